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
# A build-tree export too, so a parent project can export targets that link to polyrouter.
export(EXPORT polyrouterTargets
  NAMESPACE polyrouter::
  FILE "${PROJECT_BINARY_DIR}/polyrouterTargets.cmake")

configure_package_config_file(cmake/polyrouterConfig.cmake.in
  "${PROJECT_BINARY_DIR}/polyrouterConfig.cmake"
  INSTALL_DESTINATION ${POLYROUTER_CMAKE_DIR})
write_basic_package_version_file("${PROJECT_BINARY_DIR}/polyrouterConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES
  "${PROJECT_BINARY_DIR}/polyrouterConfig.cmake"
  "${PROJECT_BINARY_DIR}/polyrouterConfigVersion.cmake"
  DESTINATION ${POLYROUTER_CMAKE_DIR})
