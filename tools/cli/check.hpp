#pragma once
// polyrouter check: one cheap real call per configured key x model, and a health table.

#include "sources.hpp"

namespace polyrouter::cli {

struct CheckOptions {
  SourceOptions source;
  long long timeout_ms = 20000;  ///< per probe
};

/// @returns 0 when at least one combination works, 4 when none does, 2 on a config error.
int run_check(const CheckOptions& options);

}  // namespace polyrouter::cli
