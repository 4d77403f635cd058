#include "config/config_file.hpp"

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "polyrouter/errors.hpp"
#include "providers/registry.hpp"

namespace polyrouter::detail {
namespace {

using json = nlohmann::json;

// Reads one JSON object strictly, naming "file: field.path" in every error.
class Section {
 public:
  Section(const json& value, std::string origin, std::string path)
      : value_(value), origin_(std::move(origin)), path_(std::move(path)) {
    if (!value_.is_object()) fail(path_.empty() ? "(top level)" : path_, "must be an object");
  }

  [[noreturn]] void fail(const std::string& field, const std::string& why) const {
    throw ConfigError(origin_ + ": field '" + field + "' " + why);
  }

  std::string field(const char* name) const { return path_.empty() ? name : path_ + "." + name; }

  void allow(std::initializer_list<const char*> names) const {
    for (auto it = value_.begin(); it != value_.end(); ++it) {
      bool known = false;
      for (const char* n : names) known = known || it.key() == n;
      if (!known) fail(field(it.key().c_str()), "is not a known setting");
    }
  }

  void allow(const std::vector<std::string>& names) const {
    for (auto it = value_.begin(); it != value_.end(); ++it) {
      if (std::find(names.begin(), names.end(), it.key()) == names.end()) {
        fail(field(it.key().c_str()), "is not a known provider");
      }
    }
  }

  const json* find(const char* name) const {
    auto it = value_.find(name);
    return it == value_.end() ? nullptr : &*it;
  }

  void read(const char* name, std::optional<bool>& out) const {
    if (const json* v = find(name)) {
      if (!v->is_boolean()) fail(field(name), "must be true or false");
      out = v->get<bool>();
    }
  }
  void read(const char* name, bool& out) const {
    std::optional<bool> v;
    read(name, v);
    if (v) out = *v;
  }
  void read(const char* name, std::optional<std::string>& out) const {
    if (const json* v = find(name)) {
      if (!v->is_string()) fail(field(name), "must be a string");
      out = v->get<std::string>();
    }
  }
  void read(const char* name, std::string& out) const {
    std::optional<std::string> v;
    read(name, v);
    if (v) out = *v;
  }
  void read(const char* name, std::optional<int>& out, long long min = 0) const {
    if (const json* v = find(name)) {
      if (!v->is_number_integer() || v->get<long long>() < min || v->get<long long>() > 1'000'000'000) {
        fail(field(name), "must be an integer >= " + std::to_string(min));
      }
      out = v->get<int>();
    }
  }
  void read(const char* name, int& out, long long min = 0) const {
    std::optional<int> v;
    read(name, v, min);
    if (v) out = *v;
  }
  void read(const char* name, double& out, double min, double max) const {
    if (const json* v = find(name)) {
      if (!v->is_number() || v->get<double>() < min || v->get<double>() > max) {
        const auto shown = [](double x) {  // as written in a config: 0, 1, 0.25
          std::ostringstream text;
          text << x;
          return text.str();
        };
        fail(field(name), "must be a number within [" + shown(min) + ", " + shown(max) + "]");
      }
      out = v->get<double>();
    }
  }
  // Durations stop at 10^12 ms (31 years): a clock's time point plus more would overflow.
  static constexpr long long max_ms = 1'000'000'000'000;
  static bool is_ms(const json& v, long long min) {
    return v.is_number_integer() && !(v.is_number_unsigned() && v.get<std::uint64_t>() > max_ms) &&
           v.get<long long>() >= min && v.get<long long>() <= max_ms;
  }
  void read_ms(const char* name, Milliseconds& out, long long min = 0) const {
    if (const json* v = find(name)) {
      if (!is_ms(*v, min)) {
        fail(field(name), "must be an integer number of milliseconds within [" + std::to_string(min) + ", 10^12]");
      }
      out = Milliseconds(v->get<long long>());
    }
  }
  /// null = forever
  void read_ttl(const char* name, std::optional<Milliseconds>& out) const {
    if (const json* v = find(name)) {
      if (v->is_null()) {
        out.reset();
        return;
      }
      if (!is_ms(*v, 0)) fail(field(name), "must be null (forever) or milliseconds within [0, 10^12]");
      out = Milliseconds(v->get<long long>());
    }
  }
  void read(const char* name, std::optional<std::vector<std::string>>& out) const {
    if (const json* v = find(name)) {
      if (!v->is_array()) fail(field(name), "must be a list of strings");
      std::vector<std::string> list;
      for (const json& item : *v) {
        if (!item.is_string() || item.get<std::string>().empty()) {
          fail(field(name), "must be a list of non-empty strings");
        }
        list.push_back(item.get<std::string>());
      }
      out = std::move(list);
    }
  }
  Section child(const char* name) const { return Section(*find(name), origin_, field(name)); }

  const json& value() const { return value_; }
  const std::string& origin() const { return origin_; }

 private:
  const json& value_;
  std::string origin_;
  std::string path_;
};

// "restart", "continue_partial" or "surface", as StreamRecovery names them.
std::optional<StreamRecovery> read_stream_recovery(const Section& s) {
  const json* v = s.find("stream_recovery");
  if (v == nullptr) return std::nullopt;
  if (*v == "restart") return StreamRecovery::restart;
  if (*v == "continue_partial") return StreamRecovery::continue_partial;
  if (*v == "surface") return StreamRecovery::surface;
  s.fail(s.field("stream_recovery"), "must be \"restart\", \"continue_partial\" or \"surface\"");
}

// "rate_budget": {"requests_per_minute": N, "tokens_per_minute": M}; at least one of them.
std::optional<RateBudget> read_rate_budget(const Section& s) {
  if (!s.find("rate_budget")) return std::nullopt;
  const Section b = s.child("rate_budget");
  b.allow({"requests_per_minute", "tokens_per_minute"});
  std::optional<int> requests, tokens;
  b.read("requests_per_minute", requests, 1);
  b.read("tokens_per_minute", tokens, 1);
  if (!requests && !tokens) b.fail(s.field("rate_budget"), "must set requests_per_minute or tokens_per_minute");
  RateBudget budget;
  budget.requests = requests.value_or(0);
  budget.tokens = tokens.value_or(0);
  budget.window = std::chrono::minutes(1);
  return budget;
}

ProviderSection read_provider(const Section& s, std::string name, std::optional<Provider> provider) {
  ProviderSection p;
  p.name = std::move(name);
  p.provider = provider;
  if (provider) {
    s.allow({"models", "key_count", "base_url", "shared_quota", "stream_recovery", "rate_budget"});
  } else {
    s.allow({"name", "models", "key_count", "base_url", "shared_quota", "stream_recovery", "rate_budget"});
  }
  s.read("models", p.models);
  if (p.models && p.models->empty()) s.fail(s.field("models"), "must not be empty");
  s.read("key_count", p.key_count);
  s.read("base_url", p.base_url);
  s.read("shared_quota", p.shared_quota);
  p.stream_recovery = read_stream_recovery(s);
  p.rate_budget = read_rate_budget(s);
  return p;
}

}  // namespace

FileConfig parse_config(const std::string& text, const std::string& origin, const OrchestratorConfig& defaults) {
  // The key path being parsed, so that a number the parser cannot hold (1e400) names its field.
  std::vector<std::string> keys;
  const json::parser_callback_t track = [&keys](int depth, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::key) {
      keys.resize(static_cast<std::size_t>(std::max(depth, 1)));
      keys.back() = parsed.get<std::string>();
    }
    return true;
  };
  json doc;
  try {
    doc = json::parse(text, track);
  } catch (const json::out_of_range& e) {
    std::string field;
    for (const std::string& key : keys) field += (field.empty() ? "" : ".") + key;
    throw ConfigError(origin + ": field '" + field + "' holds a number out of range (" + e.what() + ")");
  } catch (const json::exception& e) {
    throw ConfigError(origin + ": not valid JSON: " + e.what());
  }
  const Section top(doc, origin, "");
  top.allow({"debug", "in_depth_debug", "provider_order", "system_prompt", "round_robin", "content_filter",
             "providers", "openai_compatible", "retry", "cooldown", "breaker", "timeouts", "max_response_bytes",
             "stream_recovery", "health_store"});

  FileConfig out;
  out.policies = defaults;
  OrchestratorConfig& c = out.policies;
  top.read("debug", out.debug);
  top.read("in_depth_debug", out.in_depth_debug);
  top.read("provider_order", out.provider_order);
  top.read("system_prompt", c.system_prompt);
  top.read("round_robin", c.round_robin);
  if (const json* v = top.find("content_filter")) {
    if (*v == "surface") {
      c.content_filter = ContentFilterPolicy::surface;
    } else if (*v == "next") {
      c.content_filter = ContentFilterPolicy::next;
    } else {
      top.fail("content_filter", "must be \"surface\" or \"next\"");
    }
  }
  if (const auto recovery = read_stream_recovery(top)) c.stream_recovery = *recovery;
  if (top.find("max_response_bytes")) {
    int bytes = 0;
    top.read("max_response_bytes", bytes, 1024);
    c.http.max_response_bytes = static_cast<std::size_t>(bytes);
  }

  if (top.find("providers")) {
    const Section providers = top.child("providers");
    std::vector<std::string> names;  // every provider the registry finds by its name alone
    for (const ProviderDescriptor* d : registered_providers()) {
      if (d->from_environment) names.emplace_back(to_string(d->provider));
    }
    providers.allow(names);
    for (const std::string& name : names) {
      if (providers.find(name.c_str())) {
        out.providers.push_back(read_provider(providers.child(name.c_str()), name, Provider(name)));
      }
    }
  }
  if (const json* custom = top.find("openai_compatible")) {
    if (!custom->is_array()) top.fail("openai_compatible", "must be a list of endpoints");
    for (std::size_t i = 0; i < custom->size(); ++i) {
      const Section s((*custom)[i], origin, "openai_compatible[" + std::to_string(i) + "]");
      std::string name;
      s.read("name", name);
      std::optional<std::string> base;
      s.read("base_url", base);
      if (name.empty()) s.fail(s.field("name"), "is required");
      if (!base || base->empty()) s.fail(s.field("base_url"), "is required");
      ProviderSection p = read_provider(s, name, std::nullopt);
      if (!p.models) s.fail(s.field("models"), "is required");
      out.providers.push_back(std::move(p));
    }
  }
  if (top.find("health_store")) {
    const Section s = top.child("health_store");
    s.allow({"redis", "prefix", "tls_ca_file", "timeout_ms", "fleet_secret"});
    s.read("redis", out.health_store.redis);
    if (out.health_store.redis.empty()) s.fail(s.field("redis"), "is required (a redis:// URL)");
    s.read("prefix", out.health_store.prefix);
    s.read("tls_ca_file", out.health_store.tls_ca_file);
    s.read("timeout_ms", out.health_store.timeout_ms, 1);
    s.read("fleet_secret", out.health_store.fleet_secret);
  }
  if (top.find("retry")) {
    const Section r = top.child("retry");
    r.allow({"max_retries", "initial_backoff_ms", "max_backoff_ms", "multiplier", "jitter", "max_retry_hint_ms",
             "throttle", "throttle_max_tokens", "throttle_token_ratio", "route_failure_limit"});
    r.read("max_retries", c.retry.max_retries);
    r.read("route_failure_limit", c.retry.route_failure_limit);
    r.read_ms("initial_backoff_ms", c.retry.initial_backoff);
    r.read_ms("max_backoff_ms", c.retry.max_backoff);
    r.read("multiplier", c.retry.multiplier, 1.0, 100.0);
    r.read("jitter", c.retry.jitter, 0.0, 1.0);
    r.read_ms("max_retry_hint_ms", c.retry.max_retry_hint);
    r.read("throttle", c.retry_throttle.enabled);
    r.read("throttle_max_tokens", c.retry_throttle.max_tokens, 1.0, 1e6);
    r.read("throttle_token_ratio", c.retry_throttle.token_ratio, 0.0, 1e6);
  }
  if (top.find("cooldown")) {
    const Section s = top.child("cooldown");
    s.allow({"rate_limit_default_ms", "invalid_key_ttl_ms", "missing_model_ttl_ms", "daily_limit_minimum_ms",
             "no_quota_ms", "network_block_ms"});
    s.read_ms("rate_limit_default_ms", c.cooldown.rate_limit_default);
    s.read_ttl("invalid_key_ttl_ms", c.cooldown.invalid_key_ttl);
    s.read_ttl("missing_model_ttl_ms", c.cooldown.missing_model_ttl);
    s.read_ms("daily_limit_minimum_ms", c.cooldown.daily_limit_minimum);
    s.read_ms("no_quota_ms", c.cooldown.no_quota);
    s.read_ms("network_block_ms", c.cooldown.network_block);
  }
  if (top.find("breaker")) {
    const Section s = top.child("breaker");
    s.allow({"failure_ratio", "minimum_requests", "window_ms", "open_ms", "max_open_ms"});
    s.read("failure_ratio", c.breaker.failure_ratio, 0.0, 1.0);
    s.read("minimum_requests", c.breaker.minimum_requests, 1);
    s.read_ms("window_ms", c.breaker.window, 1);
    s.read_ms("open_ms", c.breaker.open_duration, 1);
    s.read_ms("max_open_ms", c.breaker.max_open_duration, 1);
  }
  if (top.find("timeouts")) {
    const Section s = top.child("timeouts");
    s.allow({"connect_ms", "attempt_ms", "total_ms", "max_wait_ms", "first_delta_ms", "stall_ms"});
    s.read_ms("connect_ms", c.timeouts.connect, 1);
    s.read_ms("attempt_ms", c.timeouts.attempt, 1);
    s.read_ms("total_ms", c.timeouts.total, 1);
    s.read_ms("max_wait_ms", c.timeouts.max_wait);
    s.read_ms("first_delta_ms", c.timeouts.first_delta);
    s.read_ms("stall_ms", c.timeouts.stall);
  }
  return out;
}

FileConfig read_config_file(const std::string& path, const OrchestratorConfig& defaults) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw ConfigError(path + ": config file cannot be opened");
  std::ostringstream text;
  text << file.rdbuf();
  return parse_config(text.str(), path, defaults);
}

}  // namespace polyrouter::detail
