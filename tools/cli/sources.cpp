#include "sources.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>

#include "polyrouter/errors.hpp"
#include "polyrouter/logging.hpp"
#include "polyrouter/mask.hpp"

namespace polyrouter::cli {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

void apply_verbosity(int verbosity) {
  if (verbosity >= 2) {
    set_log_level(LogLevel::trace);
  } else if (verbosity == 1) {
    set_log_level(LogLevel::debug);
  }
}

// --provider: keep only the named pools, in the order given.
void select_pools(OrchestratorConfig& config, const std::vector<std::string>& names) {
  std::vector<PoolConfig> kept;
  for (const std::string& wanted : names) {
    auto it = std::find_if(config.pools.begin(), config.pools.end(),
                           [&](const PoolConfig& p) { return lower(p.name) == lower(wanted); });
    if (it == config.pools.end()) {
      const bool taken = std::any_of(kept.begin(), kept.end(),
                                     [&](const PoolConfig& p) { return lower(p.name) == lower(wanted); });
      if (taken) continue;  // named twice: the first mention sets the order
      std::string known;
      for (const PoolConfig& p : config.pools) known += (known.empty() ? "" : ", ") + p.name;
      for (const PoolConfig& p : kept) known += (known.empty() ? "" : ", ") + p.name;
      throw UsageError("--provider " + wanted + ": no such provider is configured (configured: " + known +
                       "; a provider without a key, e.g. no " + env_var_prefix(wanted) + "_API_KEY0, is left out)");
    }
    kept.push_back(std::move(*it));
    config.pools.erase(it);
  }
  config.pools = std::move(kept);
}

}  // namespace

OrchestratorConfig load_config(const SourceOptions& options) {
  apply_verbosity(options.verbosity);  // so reading the config is logged too
  if (options.env_file_required && !std::ifstream(options.env_file).good()) {
    throw ConfigError("--env-file " + options.env_file + ": no such file (or it cannot be read)");
  }
  EnvOptions env;
  env.env_file = options.env_file;
  env.config_file = options.config_file;
  OrchestratorConfig config = config_from_env(env);
  apply_verbosity(options.verbosity);  // the command line wins over the file's debug flags

  if (!options.providers.empty()) select_pools(config, options.providers);
  if (!options.models.empty()) {
    for (PoolConfig& pool : config.pools) pool.models = options.models;
  }
  // As the orchestrator names them, so check and models show the same labels.
  for (PoolConfig& pool : config.pools) {
    if (pool.name.empty()) pool.name = std::string(to_string(pool.provider));
    const std::string prefix = env_var_prefix(pool.name) + "_API_KEY";
    for (std::size_t i = 0; i < pool.keys.size(); ++i) {
      if (pool.keys[i].label.empty()) pool.keys[i].label = prefix + std::to_string(i);
    }
  }
  return config;
}

Secrets::Secrets(const OrchestratorConfig& config) {
  for (const PoolConfig& pool : config.pools) {
    for (const ApiKey& key : pool.keys) {
      // Shorter values (a local server's placeholder key) would mask ordinary words.
      if (key.value.size() >= 8) values_.push_back(key.value);
    }
  }
}

std::string Secrets::scrub(std::string_view text) const {
  std::string out = redact(text);
  for (const std::string& secret : values_) out = redact(out, secret);
  return out;
}

}  // namespace polyrouter::cli
