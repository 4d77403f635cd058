# Configures and builds a consumer project; fails the test on any error.
# -DSOURCE=<consumer dir> -DBINARY=<build dir> [-DPREFIX=<install prefix>] [-DPOLYROUTER_SOURCE_DIR=...]
# [-DRUN=<exe>[,<exe>...]] [-DBLIND_PKG_CONFIG=ON: configure with pkg-config seeing no package at all]
file(REMOVE_RECURSE "${BINARY}")
# No build type (no optimisation, no debug info) and a unity build: the test is that the
# package configures, compiles and links for a consumer, and an embedded polyrouter compiles
# fastest so.
set(args -S "${SOURCE}" -B "${BINARY}" -DCMAKE_BUILD_TYPE= -DCMAKE_UNITY_BUILD=ON)
if(PREFIX)
  list(APPEND args "-DCMAKE_PREFIX_PATH=${PREFIX}")
endif()
if(POLYROUTER_SOURCE_DIR)
  list(APPEND args "-DPOLYROUTER_SOURCE_DIR=${POLYROUTER_SOURCE_DIR}")
endif()
set(launcher "")
if(BLIND_PKG_CONFIG)
  file(MAKE_DIRECTORY "${BINARY}-no-pkgconfig")
  set(launcher "${CMAKE_COMMAND}" -E env --unset=PKG_CONFIG_PATH "PKG_CONFIG_LIBDIR=${BINARY}-no-pkgconfig")
endif()
execute_process(COMMAND ${launcher} "${CMAKE_COMMAND}" ${args} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configuring ${SOURCE} failed")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" --build "${BINARY}" -j2 RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "building ${SOURCE} failed")
endif()
string(REPLACE "," ";" RUN "${RUN}")  # a list through add_test: commas, not semicolons
foreach(exe IN LISTS RUN)
  execute_process(COMMAND "${BINARY}/${exe}" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${exe} exited with ${rc}")
  endif()
endforeach()
