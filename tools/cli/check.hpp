#pragma once
// polyrouter check: one cheap real call per configured key x model, and a health table.

#include <cstddef>

#include "sources.hpp"

namespace polyrouter::cli {

struct CheckOptions {
  SourceOptions source;
  long long timeout_ms = 10000;  ///< per probe
  std::size_t concurrency = 32;  ///< probes in flight at once
};

/// Probes concurrently on the library's event loop and prints each row as it finishes.
/// @returns 0 when at least one combination works, 4 when none does, 2 on a config error,
///          130 after Ctrl-C (the rows gathered so far are printed).
int run_check(const CheckOptions& options);

}  // namespace polyrouter::cli
