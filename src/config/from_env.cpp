#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <map>
#include <system_error>

#include "config/base_url.hpp"
#include "config/config_file.hpp"
#include "config/dotenv.hpp"
#include "logging.hpp"
#include "providers/registry.hpp"
#include "polyrouter/environment.hpp"
#include "polyrouter/errors.hpp"
#include "polyrouter/logging.hpp"
#include "polyrouter/redis_health_store.hpp"

extern char** environ;

namespace polyrouter {
namespace {

bool file_exists(const std::string& path) { return std::ifstream(path).good(); }

// The process environment over the .env file: the environment wins.
class Variables {
 public:
  explicit Variables(const std::vector<std::pair<std::string, std::string>>& dotenv) {
    for (const auto& [name, value] : dotenv) values_[name] = value;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
      std::string_view entry(*e);
      const auto eq = entry.find('=');
      if (eq != std::string_view::npos) values_[std::string(entry.substr(0, eq))] = std::string(entry.substr(eq + 1));
    }
  }

  std::optional<std::string> get(const std::string& name) const {
    auto it = values_.find(name);
    if (it == values_.end() || it->second.empty()) return std::nullopt;
    return it->second;
  }

  /// Like get(), but a variable set to "" is present (and empty).
  std::optional<std::string> get_even_if_empty(const std::string& name) const {
    auto it = values_.find(name);
    if (it == values_.end()) return std::nullopt;
    return it->second;
  }

  /// PREFIX (as "PREFIX") and PREFIX0..N, in index order; gaps allowed.
  std::vector<ApiKey> keys(const std::string& prefix) const {
    std::vector<std::pair<long, ApiKey>> found;
    for (const auto& [name, value] : values_) {
      if (value.empty() || name.compare(0, prefix.size(), prefix) != 0) continue;
      const std::string suffix = name.substr(prefix.size());
      if (suffix.empty()) {
        found.emplace_back(-1, ApiKey(name, value));
      } else if (suffix.size() <= 6 && std::all_of(suffix.begin(), suffix.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        found.emplace_back(std::stol(suffix), ApiKey(name, value));
      }
    }
    std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<ApiKey> keys;
    for (auto& f : found) keys.push_back(std::move(f.second));
    return keys;
  }

 private:
  std::map<std::string, std::string> values_;
};

// PREFIX_REQUESTS_PER_MINUTE / PREFIX_TOKENS_PER_MINUTE: a positive integer, or a ConfigError
// naming the variable.
std::optional<std::int64_t> per_minute(const Variables& vars, const std::string& name) {
  const auto text = vars.get_even_if_empty(name);
  if (!text) return std::nullopt;
  std::int64_t value = 0;
  const char* end = text->data() + text->size();
  const auto parsed = std::from_chars(text->data(), end, value);
  if (text->empty() || parsed.ec != std::errc() || parsed.ptr != end || value < 1 || value > 1'000'000'000) {
    throw ConfigError(name + " must be a whole number within [1, 10^9], got '" + *text + "'");
  }
  return value;
}

}  // namespace

std::string env_var_prefix(std::string_view pool_name) {
  std::string out(pool_name);
  for (char& c : out) {
    c = std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : '_';
  }
  return out;
}

namespace {

// POLYROUTER_REDIS_URL (or the file's health_store.redis): the fleet's shared store. Keys reach
// it only as HMAC fingerprints under the fleet's secret, so the fleet must share one.
void share_through_redis(const Variables& vars, const detail::SharedStoreSection& file, const std::string& config_path,
                         OrchestratorConfig& config) {
  const std::string origin = config_path.empty() ? std::string("config") : config_path;
  RedisStoreOptions options;
  options.url = vars.get("POLYROUTER_REDIS_URL").value_or(file.redis);
  if (options.url.empty()) return;
  options.prefix = vars.get("POLYROUTER_REDIS_PREFIX").value_or(file.prefix.value_or(options.prefix));
  options.tls_ca_file = vars.get("POLYROUTER_REDIS_CA_FILE").value_or(file.tls_ca_file.value_or(""));
  if (file.timeout_ms) options.timeout = std::chrono::milliseconds(*file.timeout_ms);
  config.key_fingerprint_secret = vars.get("POLYROUTER_FLEET_SECRET").value_or(file.fleet_secret.value_or(""));
  if (config.key_fingerprint_secret.empty()) {
    throw ConfigError("POLYROUTER_REDIS_URL: a fleet sharing Redis needs one POLYROUTER_FLEET_SECRET (or " + origin +
                      "'s health_store.fleet_secret): keys are known there only by an HMAC under it");
  }
  const auto wait = options.timeout * 4;
  auto store = std::make_shared<RedisHealthStore>(std::move(options));
  // A process that starts (the CLI, a new replica) begins knowing what the fleet knows; a
  // server that is away costs this once, and the store keeps trying in the background.
  store->wait_until_synced(wait);
  config.health_store = std::move(store);
}

}  // namespace

OrchestratorConfig config_from_env(const EnvOptions& options) {
  const Variables vars(options.env_file.empty() ? std::vector<std::pair<std::string, std::string>>{}
                                                : detail::read_dotenv(options.env_file));

  std::string config_path = options.config_file;
  if (config_path.empty()) config_path = vars.get("POLYROUTER_CONFIG").value_or("");
  if (config_path.empty() && file_exists("polyrouter.json")) config_path = "polyrouter.json";

  OrchestratorConfig defaults;
  detail::FileConfig file;
  if (!config_path.empty()) {
    file = detail::read_config_file(config_path, defaults);
  } else {
    file.policies = defaults;
  }

  if (file.in_depth_debug.value_or(false)) {
    set_log_level(LogLevel::trace);
  } else if (file.debug.value_or(false)) {
    set_log_level(LogLevel::debug);
  }

  // Every section the config names, plus each registered provider with its defaults.
  std::vector<detail::ProviderSection> sections = file.providers;
  for (const detail::ProviderDescriptor* d : detail::registered_providers()) {
    if (!d->from_environment) continue;
    const Provider p = d->provider;
    const bool present = std::any_of(sections.begin(), sections.end(),
                                     [p](const detail::ProviderSection& s) { return s.provider == p; });
    if (!present) sections.push_back({std::string(to_string(p)), p, {}, {}, {}, {}, {}, {}});
  }
  std::vector<std::string> order = file.provider_order.value_or(std::vector<std::string>{});
  if (order.empty()) {
    for (const auto& s : sections) order.push_back(s.name);
  }

  OrchestratorConfig config = std::move(file.policies);
  std::vector<std::string> missing_keys;
  for (const std::string& name : order) {
    auto section = std::find_if(sections.begin(), sections.end(),
                                [&name](const detail::ProviderSection& s) { return s.name == name; });
    if (section == sections.end()) {
      throw ConfigError((config_path.empty() ? std::string("config") : config_path) +
                        ": field 'provider_order' names unknown provider '" + name + "'");
    }
    PoolConfig pool;
    pool.name = section->name;
    pool.provider = section->provider.value_or(Provider::openai_compatible);
    const detail::ProviderDescriptor* descriptor = detail::find_provider(pool.provider);
    pool.models = section->models.value_or(descriptor ? descriptor->default_models : std::vector<std::string>{});
    pool.shared_quota = section->shared_quota.value_or(false);
    pool.stream_recovery = section->stream_recovery;
    if (section->rate_budget) pool.rate_budget = *section->rate_budget;
    const std::string prefix = section->provider && descriptor && !descriptor->env_prefix.empty()
                                   ? std::string(descriptor->env_prefix)
                                   : env_var_prefix(section->name);
    // Like the official SDKs: the environment's *_BASE_URL wins over the file.
    if (const auto from_env = vars.get_even_if_empty(prefix + "_BASE_URL")) {
      detail::check_base_url(*from_env, prefix + "_BASE_URL");  // set but empty is a mistake, not "the default"
      pool.base_url = *from_env;
    } else if (section->base_url) {
      detail::check_base_url(*section->base_url, (config_path.empty() ? std::string("config") : config_path) +
                                                     ": field 'base_url' of provider '" + section->name + "'");
      pool.base_url = *section->base_url;
    }
    // Like the base URL, the environment's budget wins over the file's.
    if (const auto requests = per_minute(vars, prefix + "_REQUESTS_PER_MINUTE")) {
      pool.rate_budget.requests = *requests;
      pool.rate_budget.window = std::chrono::minutes(1);
    }
    if (const auto tokens = per_minute(vars, prefix + "_TOKENS_PER_MINUTE")) {
      pool.rate_budget.tokens = *tokens;
      pool.rate_budget.window = std::chrono::minutes(1);
    }
    pool.keys = vars.keys(prefix + "_API_KEY");
    if (section->key_count && pool.keys.size() > static_cast<std::size_t>(*section->key_count)) {
      pool.keys.resize(static_cast<std::size_t>(*section->key_count));
    }
    if (pool.keys.empty() && !section->provider) {
      pool.keys.push_back(ApiKey(prefix + "_API_KEY", ""));  // local servers often need no key
    }
    if (pool.keys.empty()) {
      detail::log().debug("no keys for {}: pool left out", section->name);
      missing_keys.push_back(prefix + "_API_KEY0");
      continue;
    }
    config.pools.push_back(std::move(pool));
  }
  share_through_redis(vars, file.health_store, config_path, config);
  if (config.pools.empty()) {
    std::string names;
    for (const auto& n : missing_keys) names += (names.empty() ? "" : ", ") + n;
    const std::string where = options.env_file.empty() ? "the environment" : "the environment or " + options.env_file;
    throw NoApiKeysError("no API key found in " + where + " (set " + names + ")");
  }
  return config;
}

}  // namespace polyrouter
