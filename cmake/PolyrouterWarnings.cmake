# Warnings and sanitizers are set per target, never through CMAKE_CXX_FLAGS.
function(polyrouter_set_warnings target)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion)
    if(POLYROUTER_WERROR)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
  endif()
endfunction()

# The library is always instrumented; anything linking it gets the sanitizer runtime through
# its link options. Programs (tools, tests, benchmarks) are instrumented too only with
# POLYROUTER_SANITIZE_PROGRAMS: ASan and UBSan find the library's faults without it, and
# instrumenting test code triples its build time; ThreadSanitizer wants both sides of a race.
function(polyrouter_set_sanitizers target)
  if(NOT POLYROUTER_SANITIZE)
    return()
  endif()
  set(sanitize ${POLYROUTER_SANITIZE})
  if(sanitize MATCHES "undefined")
    # GCC leaves float-to-integer overflow out of "undefined"; a provider's 1e300 must be caught.
    string(APPEND sanitize ",float-cast-overflow")
  endif()
  set(flags -fsanitize=${sanitize} -fno-omit-frame-pointer)
  if(target STREQUAL "polyrouter")
    target_compile_options(${target} PRIVATE ${flags})
    target_link_options(${target} INTERFACE -fsanitize=${sanitize})
  elseif(POLYROUTER_SANITIZE_PROGRAMS)
    target_compile_options(${target} PRIVATE ${flags})
    target_link_options(${target} PRIVATE -fsanitize=${sanitize})
  endif()
endfunction()
