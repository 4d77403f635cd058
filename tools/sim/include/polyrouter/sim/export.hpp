#pragma once
/// @file POLYROUTER_SIM_API: what the simulator library exports (as polyrouter/export.hpp does
/// for the library: hidden by default, the marked API visible).

#if defined(_WIN32) || defined(__CYGWIN__)
#  if defined(POLYROUTER_SIM_BUILDING) && defined(POLYROUTER_SIM_SHARED)
#    define POLYROUTER_SIM_API __declspec(dllexport)
#  elif defined(POLYROUTER_SIM_SHARED)
#    define POLYROUTER_SIM_API __declspec(dllimport)
#  else
#    define POLYROUTER_SIM_API
#  endif
#elif defined(__GNUC__) || defined(__clang__)
#  define POLYROUTER_SIM_API __attribute__((visibility("default")))
#else
#  define POLYROUTER_SIM_API
#endif
