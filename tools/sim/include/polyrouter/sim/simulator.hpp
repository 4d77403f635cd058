#pragma once

/// @file
/// A loopback HTTP server that speaks the Groq, Cerebras, Gemini and Anthropic wire formats, scripted by a
/// JSON scenario (see docs/simulator.md). Used by polyrouter's tests, examples and benchmarks.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "polyrouter/sim/export.hpp"

namespace polyrouter::sim {

/// An in-process provider simulator; serves from its own thread from construction until stop().
class POLYROUTER_SIM_API Simulator {
 public:
  /// Validates `scenario`, binds host:port (port 0 = any free port) and starts serving at once.
  /// @throws std::invalid_argument on a bad scenario (the message names the offending field).
  /// @throws std::runtime_error when the address cannot be bound.
  explicit Simulator(nlohmann::json scenario = nlohmann::json::object(),
                     std::string host = "127.0.0.1", int port = 0);
  /// Stops the server and joins its thread.
  ~Simulator();

  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;
  Simulator(Simulator&&) = delete;
  Simulator& operator=(Simulator&&) = delete;

  /// The bound port.
  int port() const;
  /// Root URL, e.g. "http://127.0.0.1:41234" (Groq clients append /openai/v1, Cerebras /v1,
  /// Gemini /v1beta, Anthropic /v1).
  std::string url() const;

  /// Replaces models and rules and resets rule use counts; hit counters are kept.
  /// @throws std::invalid_argument on a bad scenario (the message names the offending field).
  void set_scenario(const nlohmann::json& scenario);
  /// Zeroes hit counters and rule use counts.
  void reset();
  /// Same JSON as GET /_sim/stats: {"total": N, "hits": [{provider, key, model, count}, ...]}.
  nlohmann::json stats() const;
  /// Hits matching every non-empty filter (empty = any). Models-list requests count with model "".
  std::size_t hits(std::string_view provider = {}, std::string_view key = {},
                   std::string_view model = {}) const;
  /// The most requests of @p key at @p provider that any span of @p window held (requests
  /// exactly @p window apart are not in one span), counted as they arrived; 0 for a key never
  /// called. Exact, one pass over the key's arrivals.
  std::size_t max_hits_in_window(std::string_view provider, std::string_view key,
                                 std::chrono::milliseconds window) const;
  /// Stops serving; idempotent. In-flight latency waits are cut short.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Reads and parses a scenario file (no validation; the Simulator validates).
/// @throws std::runtime_error naming the file on an IO or JSON parse error.
POLYROUTER_SIM_API nlohmann::json load_scenario_file(const std::string& path);

}  // namespace polyrouter::sim
