#pragma once

// The scenario model: which models each provider knows, and the ordered rules that script
// answers. Parsing is strict so that a typo in a test scenario fails loudly instead of silently
// answering "ok".

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "random_faults.hpp"

namespace polyrouter::sim::detail {

enum class Provider { groq, cerebras, gemini, anthropic };

std::string_view provider_name(Provider provider);
std::optional<Provider> provider_from_name(std::string_view name);

enum class Behavior {
  ok,
  tool_call,
  invalid_key,
  rate_limit,
  unknown_model,
  server_error,
  malformed_json,
  html_error,
  drop_connection,
  stream_cut,
  error_in_stream,
  // Faults of issue 13 (fault_behaviors.cpp).
  reset_connection,  // the connection closes before any response byte
  slow_first_token,  // stream headers at once, the first event after delay_ms
  stream_stall,      // after_chunks events, silence for delay_ms, then the connection closes
  malformed_event,   // an unparseable event becomes event number after_chunks; otherwise complete
  no_done_marker,    // a complete stream (finish reason, usage) without data: [DONE]
  context_length,    // 400 context_length_exceeded
  content_policy,    // 400 content_policy_violation
  reject_prefill,    // 400 when the last message is an assistant prefill; ok otherwise
};

std::string_view behavior_name(Behavior behavior);

/// A provider-like limit on each key a rule matches: at most `requests` in any `window`.
struct KeyRateLimit {
  std::size_t requests = 0;
  std::chrono::milliseconds window{0};
};

struct Rule {
  // Match criteria; nullopt = any.
  std::optional<Provider> provider;
  std::optional<std::string> key;
  std::optional<std::string> model;
  std::optional<std::size_t> times;  // nullopt = unlimited

  Behavior behavior = Behavior::ok;
  std::chrono::milliseconds latency{0};
  std::optional<std::string> text;       // ok, tool_call, stream_cut, error_in_stream
  std::optional<std::string> tool_name;  // tool_call; default: the request's first tool
  nlohmann::json tool_args = nlohmann::json::object();
  double retry_after_s = 30.0;  // rate_limit
  bool daily = false;           // rate_limit
  int status = 0;               // server_error, html_error, error_in_stream (default per behavior)
  std::size_t after_chunks = 1;  // stream_cut, error_in_stream, stream_stall, malformed_event
  std::chrono::milliseconds delay{0};  // slow_first_token, stream_stall
  std::optional<KeyRateLimit> rate_limit;  // any behavior: over it, the provider's 429
  std::size_t index = 0;                   // position in the scenario's rules

  bool matches(Provider p, std::string_view k, std::string_view m) const;
};

struct Scenario {
  // A provider absent from the map knows every model.
  std::map<Provider, std::vector<std::string>> models;
  std::vector<Rule> rules;
  RandomFaults random_faults;  // none by default

  bool knows_model(Provider provider, std::string_view model) const;
};

/// @throws std::invalid_argument naming the offending field, e.g. "rules[2].times".
Scenario parse_scenario(const nlohmann::json& json);

/// Rules plus how often each has been used. Not thread-safe: the server locks around it.
class RuleBook {
 public:
  RuleBook() = default;
  explicit RuleBook(const Scenario& scenario);

  /// The first rule that matches and still has uses left; consumes one use of it.
  std::optional<Rule> take(Provider provider, std::string_view key, std::string_view model);
  void reset_uses();

 private:
  std::vector<Rule> rules_;
  std::vector<std::size_t> uses_;
};

/// @p rule (nullopt = no rule matched) unless the call is healthy (no rule, or an `ok` rule)
/// and its serial is one of the faulty ones: then a server_error rule with the drawn status.
std::optional<Rule> with_random_fault(const RandomFaults& faults, std::uint64_t serial,
                                      std::optional<Rule> rule);

}  // namespace polyrouter::sim::detail
