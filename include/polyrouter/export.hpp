#pragma once
/// @file POLYROUTER_API: what the library exports.
///
/// The library is built with hidden visibility; POLYROUTER_API marks the public classes and
/// functions, so a shared build exports its API and nothing of its internals. The exception
/// family is marked too: its type information must be one and the same on both sides of the
/// library's boundary for a caller's `catch (const polyrouter::Error&)` to work.
///
/// CMake defines POLYROUTER_SHARED for the users of a shared build (and POLYROUTER_BUILDING
/// while building it); only Windows needs them, to tell dllexport from dllimport.

#if defined(_WIN32) || defined(__CYGWIN__)
#  if defined(POLYROUTER_BUILDING) && defined(POLYROUTER_SHARED)
#    define POLYROUTER_API __declspec(dllexport)
#  elif defined(POLYROUTER_SHARED)
#    define POLYROUTER_API __declspec(dllimport)
#  else
#    define POLYROUTER_API
#  endif
#elif defined(__GNUC__) || defined(__clang__)
#  define POLYROUTER_API __attribute__((visibility("default")))
#else
#  define POLYROUTER_API
#endif
