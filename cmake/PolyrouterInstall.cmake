include(CMakePackageConfigHelpers)

set(POLYROUTER_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/polyrouter")

install(TARGETS polyrouter
  EXPORT polyrouterTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/polyrouter DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES "${PROJECT_BINARY_DIR}/generated/include/polyrouter/version.hpp"
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/polyrouter)

install(EXPORT polyrouterTargets
  NAMESPACE polyrouter::
  DESTINATION ${POLYROUTER_CMAKE_DIR})

configure_package_config_file(cmake/polyrouterConfig.cmake.in
  "${PROJECT_BINARY_DIR}/polyrouterConfig.cmake"
  INSTALL_DESTINATION ${POLYROUTER_CMAKE_DIR})
write_basic_package_version_file("${PROJECT_BINARY_DIR}/polyrouterConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES
  "${PROJECT_BINARY_DIR}/polyrouterConfig.cmake"
  "${PROJECT_BINARY_DIR}/polyrouterConfigVersion.cmake"
  "${PROJECT_SOURCE_DIR}/cmake/FindHiredis.cmake"
  DESTINATION ${POLYROUTER_CMAKE_DIR})

# polyrouter.pc for non-CMake builds. The prefix is found relative to the .pc file, so the
# file is right wherever `cmake --install --prefix` puts it. A static library brings its
# dependencies' link flags with it; a shared one only its public dependency.
file(RELATIVE_PATH POLYROUTER_PC_PREFIX_FROM_PCDIR "/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/")
string(REGEX REPLACE "/$" "" POLYROUTER_PC_PREFIX_FROM_PCDIR "${POLYROUTER_PC_PREFIX_FROM_PCDIR}")
get_target_property(POLYROUTER_TYPE polyrouter TYPE)
if(POLYROUTER_TYPE STREQUAL "SHARED_LIBRARY")
  set(POLYROUTER_PC_REQUIRES "nlohmann_json")
  set(POLYROUTER_PC_REQUIRES_PRIVATE "libcurl spdlog openssl")
  set(POLYROUTER_PC_LIBS "")
  set(POLYROUTER_PC_CFLAGS "-DPOLYROUTER_SHARED")  # as the CMake target says (export.hpp)
else()
  set(POLYROUTER_PC_REQUIRES "nlohmann_json libcurl spdlog openssl")
  set(POLYROUTER_PC_REQUIRES_PRIVATE "")
  set(POLYROUTER_PC_LIBS "-lhiredis -pthread")  # hiredis.pc names the wrong libdir on Debian
  set(POLYROUTER_PC_CFLAGS "")
endif()
if(POLYROUTER_SANITIZE)  # an instrumented library needs its sanitizer runtime at link time
  string(APPEND POLYROUTER_PC_LIBS " -fsanitize=${POLYROUTER_SANITIZE}")
endif()
configure_file(cmake/polyrouter.pc.in "${PROJECT_BINARY_DIR}/polyrouter.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/polyrouter.pc" DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
