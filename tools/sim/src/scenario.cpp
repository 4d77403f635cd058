#include "scenario.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <set>
#include <stdexcept>
#include <utility>

namespace polyrouter::sim::detail {
namespace {

using nlohmann::json;

constexpr std::array<std::pair<Provider, std::string_view>, 4> kProviders{{
    {Provider::groq, "groq"},
    {Provider::cerebras, "cerebras"},
    {Provider::gemini, "gemini"},
    {Provider::anthropic, "anthropic"},
}};

constexpr std::array<std::pair<Behavior, std::string_view>, 19> kBehaviors{{
    {Behavior::ok, "ok"},
    {Behavior::tool_call, "tool_call"},
    {Behavior::invalid_key, "invalid_key"},
    {Behavior::rate_limit, "rate_limit"},
    {Behavior::unknown_model, "unknown_model"},
    {Behavior::server_error, "server_error"},
    {Behavior::malformed_json, "malformed_json"},
    {Behavior::html_error, "html_error"},
    {Behavior::drop_connection, "drop_connection"},
    {Behavior::stream_cut, "stream_cut"},
    {Behavior::error_in_stream, "error_in_stream"},
    {Behavior::reset_connection, "reset_connection"},
    {Behavior::slow_first_token, "slow_first_token"},
    {Behavior::stream_stall, "stream_stall"},
    {Behavior::malformed_event, "malformed_event"},
    {Behavior::no_done_marker, "no_done_marker"},
    {Behavior::context_length, "context_length"},
    {Behavior::content_policy, "content_policy"},
    {Behavior::reject_prefill, "reject_prefill"},
}};

// Fields every rule may carry, whatever its behavior.
const std::set<std::string, std::less<>> kCommonFields{
    "provider", "key", "model", "behavior", "times", "latency_ms", "description", "rate_limit"};

// Fields that only make sense for some behaviors; anything else is rejected so that, say,
// "retry_after_s" on a server_error rule is caught instead of silently ignored.
std::set<std::string, std::less<>> behavior_fields(Behavior behavior) {
  switch (behavior) {
    case Behavior::ok: return {"text"};
    case Behavior::tool_call: return {"text", "tool_name", "tool_args"};
    case Behavior::rate_limit: return {"retry_after_s", "daily"};
    case Behavior::server_error: return {"status"};
    case Behavior::html_error: return {"status"};
    case Behavior::stream_cut: return {"after_chunks", "text"};
    case Behavior::error_in_stream: return {"after_chunks", "status", "text"};
    case Behavior::slow_first_token: return {"delay_ms", "text"};
    case Behavior::stream_stall: return {"after_chunks", "delay_ms", "text"};
    case Behavior::malformed_event: return {"after_chunks", "text"};
    case Behavior::no_done_marker:
    case Behavior::reject_prefill: return {"text"};
    case Behavior::reset_connection:
    case Behavior::context_length:
    case Behavior::content_policy:
    case Behavior::invalid_key:
    case Behavior::unknown_model:
    case Behavior::malformed_json:
    case Behavior::drop_connection: return {};
  }
  return {};
}

int default_status(Behavior behavior) {
  switch (behavior) {
    case Behavior::html_error: return 502;
    case Behavior::server_error:
    case Behavior::error_in_stream: return 500;
    default: return 0;
  }
}

[[noreturn]] void fail(const std::string& where, const std::string& what) {
  throw std::invalid_argument("[polyrouter.sim.scenario] " + where + ": " + what);
}

std::string expect_string(const json& value, const std::string& where) {
  if (!value.is_string()) fail(where, "expected a string, got " + std::string(value.type_name()));
  return value.get<std::string>();
}

std::int64_t expect_integer(const json& value, const std::string& where, std::int64_t low,
                            std::int64_t high) {
  const auto range = "expected an integer in [" + std::to_string(low) + ", " +
                     std::to_string(high) + "]";
  if (!value.is_number_integer()) fail(where, range + ", got " + std::string(value.type_name()));
  if (value.is_number_unsigned() &&
      value.get<std::uint64_t>() > static_cast<std::uint64_t>(high)) {
    fail(where, range);
  }
  const auto number = value.get<std::int64_t>();
  if (number < low || number > high) fail(where, range);
  return number;
}

Provider expect_provider(const json& value, const std::string& where) {
  const auto name = expect_string(value, where);
  if (auto provider = provider_from_name(name)) return *provider;
  fail(where, "unknown provider '" + name + "' (expected groq, cerebras, gemini or anthropic)");
}

Behavior expect_behavior(const json& value, const std::string& where) {
  const auto name = expect_string(value, where);
  for (const auto& [behavior, known] : kBehaviors) {
    if (known == name) return behavior;
  }
  std::string known_list;
  for (const auto& entry : kBehaviors) {
    known_list += (known_list.empty() ? "" : ", ") + std::string(entry.second);
  }
  fail(where, "unknown behavior '" + name + "' (expected one of " + known_list + ")");
}

Rule parse_rule(const json& value, const std::string& where) {
  if (!value.is_object()) fail(where, "expected an object, got " + std::string(value.type_name()));
  Rule rule;
  if (value.contains("behavior")) {
    rule.behavior = expect_behavior(value.at("behavior"), where + ".behavior");
  }
  const auto extra = behavior_fields(rule.behavior);
  for (const auto& item : value.items()) {
    if (kCommonFields.count(item.key()) == 0 && extra.count(item.key()) == 0) {
      fail(where + "." + item.key(), "unknown field for behavior '" +
                                         std::string(behavior_name(rule.behavior)) + "'");
    }
  }
  rule.status = default_status(rule.behavior);

  const auto field = [&](const char* name) { return where + "." + name; };
  if (value.contains("provider")) rule.provider = expect_provider(value["provider"], field("provider"));
  if (value.contains("key")) rule.key = expect_string(value["key"], field("key"));
  if (value.contains("model")) rule.model = expect_string(value["model"], field("model"));
  if (value.contains("description")) expect_string(value["description"], field("description"));
  if (value.contains("times")) {
    rule.times = static_cast<std::size_t>(
        expect_integer(value["times"], field("times"), 0, std::numeric_limits<std::int32_t>::max()));
  }
  if (value.contains("latency_ms")) {
    rule.latency = std::chrono::milliseconds(
        expect_integer(value["latency_ms"], field("latency_ms"), 0, 3'600'000));
  }
  if (value.contains("text")) rule.text = expect_string(value["text"], field("text"));
  if (value.contains("tool_name")) rule.tool_name = expect_string(value["tool_name"], field("tool_name"));
  if (value.contains("tool_args")) {
    if (!value["tool_args"].is_object()) fail(field("tool_args"), "expected an object");
    rule.tool_args = value["tool_args"];
  }
  if (value.contains("retry_after_s")) {
    const auto& seconds = value["retry_after_s"];
    if (!seconds.is_number() || seconds.get<double>() < 0 || seconds.get<double>() > 1e7) {
      fail(field("retry_after_s"), "expected a number of seconds in [0, 10000000]");
    }
    rule.retry_after_s = seconds.get<double>();
  }
  if (value.contains("daily")) {
    if (!value["daily"].is_boolean()) fail(field("daily"), "expected true or false");
    rule.daily = value["daily"].get<bool>();
  }
  if (value.contains("status")) {
    rule.status = static_cast<int>(expect_integer(value["status"], field("status"), 400, 599));
  }
  if (value.contains("delay_ms")) {
    rule.delay = std::chrono::milliseconds(expect_integer(value["delay_ms"], field("delay_ms"), 0, 3'600'000));
  }
  if (value.contains("rate_limit")) {
    const auto& limit = value["rate_limit"];
    if (!limit.is_object()) fail(field("rate_limit"), "expected an object {\"requests\": N, \"window_ms\": W}");
    for (const auto& item : limit.items()) {
      if (item.key() != "requests" && item.key() != "window_ms") {
        fail(field("rate_limit") + "." + item.key(), "unknown field (expected requests or window_ms)");
      }
    }
    if (!limit.contains("requests") || !limit.contains("window_ms")) {
      fail(field("rate_limit"), "expected both requests and window_ms");
    }
    KeyRateLimit parsed;
    parsed.requests = static_cast<std::size_t>(
        expect_integer(limit["requests"], field("rate_limit") + ".requests", 1, 1'000'000'000));
    parsed.window = std::chrono::milliseconds(
        expect_integer(limit["window_ms"], field("rate_limit") + ".window_ms", 1, 86'400'000));
    rule.rate_limit = parsed;
  }
  if (value.contains("after_chunks")) {
    rule.after_chunks = static_cast<std::size_t>(
        expect_integer(value["after_chunks"], field("after_chunks"), 0, 1'000'000));
  }
  return rule;
}

}  // namespace

std::string_view provider_name(Provider provider) {
  for (const auto& [known, name] : kProviders) {
    if (known == provider) return name;
  }
  return "unknown";
}

std::optional<Provider> provider_from_name(std::string_view name) {
  for (const auto& [provider, known] : kProviders) {
    if (known == name) return provider;
  }
  return std::nullopt;
}

std::string_view behavior_name(Behavior behavior) {
  for (const auto& [known, name] : kBehaviors) {
    if (known == behavior) return name;
  }
  return "unknown";
}

bool Rule::matches(Provider p, std::string_view k, std::string_view m) const {
  return (!provider || *provider == p) && (!key || *key == k) && (!model || *model == m);
}

bool Scenario::knows_model(Provider provider, std::string_view model) const {
  const auto listed = models.find(provider);
  if (listed == models.end()) return true;
  return std::find(listed->second.begin(), listed->second.end(), model) != listed->second.end();
}

Scenario parse_scenario(const json& value) {
  if (!value.is_object()) fail("scenario", "expected an object, got " + std::string(value.type_name()));
  Scenario scenario;
  for (const auto& item : value.items()) {
    if (item.key() != "models" && item.key() != "rules" && item.key() != "description" &&
        item.key() != "random_faults") {
      fail(item.key(), "unknown field (expected models, rules, random_faults or description)");
    }
  }
  if (value.contains("description")) expect_string(value["description"], "description");
  if (value.contains("models")) {
    const auto& models = value["models"];
    if (!models.is_object()) fail("models", "expected an object of provider -> [model ids]");
    for (const auto& item : models.items()) {
      const auto where = "models." + item.key();
      const auto provider = expect_provider(json(item.key()), where);
      if (!item.value().is_array()) fail(where, "expected an array of model ids");
      auto& ids = scenario.models[provider];
      for (std::size_t i = 0; i < item.value().size(); ++i) {
        ids.push_back(expect_string(item.value()[i], where + "[" + std::to_string(i) + "]"));
      }
    }
  }
  if (value.contains("rules")) {
    const auto& rules = value["rules"];
    if (!rules.is_array()) fail("rules", "expected an array of rule objects");
    for (std::size_t i = 0; i < rules.size(); ++i) {
      scenario.rules.push_back(parse_rule(rules[i], "rules[" + std::to_string(i) + "]"));
      scenario.rules.back().index = i;
    }
  }
  if (value.contains("random_faults")) {
    scenario.random_faults = parse_random_faults(value["random_faults"], "random_faults");
  }
  return scenario;
}

RuleBook::RuleBook(const Scenario& scenario)
    : rules_(scenario.rules), uses_(scenario.rules.size(), 0) {}

std::optional<Rule> RuleBook::take(Provider provider, std::string_view key,
                                   std::string_view model) {
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    const auto& rule = rules_[i];
    if (!rule.matches(provider, key, model)) continue;
    if (rule.times && uses_[i] >= *rule.times) continue;  // used up: fall through to later rules
    ++uses_[i];
    return rule;
  }
  return std::nullopt;
}

void RuleBook::reset_uses() { std::fill(uses_.begin(), uses_.end(), 0); }

}  // namespace polyrouter::sim::detail
