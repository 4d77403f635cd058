# Configures and builds a consumer project; fails the test on any error.
# -DSOURCE=<consumer dir> -DBINARY=<build dir> [-DPREFIX=<install prefix>] [-DPOLYROUTER_SOURCE_DIR=...]
# [-DRUN=<exe>[,<exe>...]]
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
execute_process(COMMAND "${CMAKE_COMMAND}" ${args} RESULT_VARIABLE rc)
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
