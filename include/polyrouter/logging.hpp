#pragma once
/// @file polyrouter's logger: spdlog logger "polyrouter", silent by default.
///
/// debug prints each selection, skip, cooldown and rotation decision; trace adds request and
/// response bodies with keys masked. The global spdlog logger is never touched.

#include <functional>
#include <string_view>

#include "polyrouter/export.hpp"

namespace polyrouter {

enum class LogLevel { trace, debug, info, warn, error, off };

/// Sets the level of the "polyrouter" logger (default off).
POLYROUTER_API void set_log_level(LogLevel level);
POLYROUTER_API LogLevel log_level() noexcept;

/// Sends every log line to @p handler instead of stderr (nullptr restores stderr). The handler
/// may be called from any thread using an orchestrator.
POLYROUTER_API void set_log_handler(std::function<void(LogLevel level, std::string_view message)> handler);

}  // namespace polyrouter
