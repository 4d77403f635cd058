# What a library exports, as fmt and spdlog build theirs: hidden by default, and what its
# headers mark <PREFIX>_API (include/polyrouter/export.hpp) exported.
function(polyrouter_hide_internals target prefix)
  set_target_properties(${target} PROPERTIES
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_compile_definitions(${target} PRIVATE ${prefix}_BUILDING)
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "SHARED_LIBRARY")
    target_compile_definitions(${target} PUBLIC ${prefix}_SHARED)
  endif()
endfunction()

# <target>_internal: what the in-tree tests link when they reach past the public headers into
# src/. A static library holds every symbol, so it is the library itself; a shared one exports
# only its API, so the tests get the same compiled objects as a static archive instead.
function(polyrouter_add_internal target)
  set(internal ${target}_internal)
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "SHARED_LIBRARY")
    add_library(${internal} STATIC $<TARGET_OBJECTS:${target}>)
    target_include_directories(${internal} PUBLIC $<TARGET_PROPERTY:${target},INCLUDE_DIRECTORIES>)
    target_link_libraries(${internal} PUBLIC $<TARGET_PROPERTY:${target},LINK_LIBRARIES>)
    target_link_options(${internal} INTERFACE $<TARGET_PROPERTY:${target},INTERFACE_LINK_OPTIONS>)
    target_compile_features(${internal} PUBLIC cxx_std_17)
  else()
    add_library(${internal} INTERFACE)
    target_link_libraries(${internal} INTERFACE ${target})
  endif()
endfunction()
