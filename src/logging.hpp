#pragma once
// The library's own spdlog logger (private). Callers format lazily: spdlog checks the level
// before formatting, so a silent logger costs one atomic load per call site.

#include <spdlog/spdlog.h>

namespace polyrouter::detail {

/// The "polyrouter" logger, created on first use with level off.
spdlog::logger& log();

}  // namespace polyrouter::detail
