#pragma once
// polyrouter ask: one prompt (or several rounds of it) through an Orchestrator.

#include <optional>
#include <string>
#include <vector>

#include "sources.hpp"

namespace polyrouter::cli {

struct AskOptions {
  SourceOptions source;
  std::vector<std::string> prompt;        ///< words joined by spaces; empty or "-" = stdin
  std::optional<std::string> system;      ///< replaces the configured system prompt
  std::optional<double> temperature;
  std::optional<int> max_tokens;
  std::optional<long long> max_wait_ms;   ///< wait this long for a cooldown to end
  std::optional<long long> timeout_ms;    ///< the whole request's deadline
  bool stream = false;
  bool attempts = false;                  ///< who answered and the attempt table, on stderr
  bool health = false;                    ///< the health snapshot after the last request
  int repeat = 1;                         ///< requests through the same orchestrator
};

/// @returns the exit code.
int run_ask(const AskOptions& options);

}  // namespace polyrouter::cli
