#include "orchestrator/engine.hpp"

#include <cctype>
#include <map>
#include <thread>

#include "health/key_fingerprint.hpp"
#include "logging.hpp"
#include "polyrouter/environment.hpp"


namespace polyrouter::detail {
namespace {

void validate(const OrchestratorConfig& c) {
  if (c.pools.empty()) throw ConfigError("no provider pools configured");
  if (c.retry.max_retries < 0) throw ConfigError("retry.max_retries must be >= 0");
  if (c.retry.route_failure_limit < 0) throw ConfigError("retry.route_failure_limit must be >= 0");
  if (c.retry.multiplier < 1.0) throw ConfigError("retry.multiplier must be >= 1");
  if (c.retry.jitter < 0.0 || c.retry.jitter > 1.0) throw ConfigError("retry.jitter must be within [0, 1]");
  if (c.retry.initial_backoff.count() < 0 || c.retry.max_backoff.count() < 0) {
    throw ConfigError("retry backoff must be >= 0");
  }
  if (c.timeouts.attempt.count() <= 0 || c.timeouts.total.count() <= 0 || c.timeouts.connect.count() <= 0) {
    throw ConfigError("timeouts must be > 0");
  }
  if (c.timeouts.max_wait.count() < 0) throw ConfigError("timeouts.max_wait must be >= 0");
  if (!(c.breaker.failure_ratio >= 0.0 && c.breaker.failure_ratio <= 1.0)) {
    throw ConfigError("breaker.failure_ratio must be within [0, 1]");
  }
  if (c.breaker.minimum_requests < 1) throw ConfigError("breaker.minimum_requests must be >= 1");
  if (c.breaker.window.count() <= 0 || c.breaker.open_duration.count() <= 0 ||
      c.breaker.max_open_duration.count() <= 0) {
    throw ConfigError("breaker durations must be > 0");
  }
  if (c.retry_throttle.max_tokens <= 0 || c.retry_throttle.token_ratio < 0) {
    throw ConfigError("retry_throttle values must be positive");
  }
}

// Each pool's routes by stable identity. Two pools of one config under the same name (two
// openai_compatible servers, say) stay apart: the second is "name#2", and so on.
std::vector<PoolRoutes> identities_of(const OrchestratorConfig& c) {
  const std::string& secret =
      c.key_fingerprint_secret.empty() ? process_fingerprint_secret() : c.key_fingerprint_secret;
  std::vector<PoolRoutes> out;
  std::map<std::string, int> seen;
  for (const PoolConfig& p : c.pools) {
    PoolRoutes r;
    const int n = ++seen[p.name];
    r.name = n == 1 ? p.name : p.name + "#" + std::to_string(n);
    r.models = p.models;
    r.budget = p.rate_budget;
    for (const ApiKey& key : p.keys) r.keys.push_back({KeyFingerprint::of(secret, key.value), key.label});
    out.push_back(std::move(r));
  }
  return out;
}

// A store of the user's own must hand back a handle for every model, key and route.
void check_table(const RouteTable& table, const std::vector<PoolRoutes>& pools) {
  bool ok = table.pools.size() == pools.size();
  for (std::size_t i = 0; ok && i < pools.size(); ++i) {
    const RouteTable::Pool& p = table.pools[i];
    ok = p.models.size() == pools[i].models.size() && p.keys.size() == pools[i].keys.size() &&
         p.routes.size() == p.models.size() * p.keys.size();
  }
  if (!ok) throw ConfigError("the health store's register_routes() returned a table of the wrong shape");
}

}  // namespace

Engine::Engine(OrchestratorConfig c)
    : config((validate(c), std::move(c))),
      health(config.health_store ? config.health_store : std::make_shared<InMemoryHealthStore>()),
      backoff(config.retry, config.jitter_seed),
      throttle(config.retry_throttle),
      observers(config) {
  for (PoolConfig& p : config.pools) {
    // A custom client names its provider itself; a pool is shown by that name unless given one.
    const Provider provider = p.client ? p.client->provider() : p.provider;
    if (p.name.empty()) p.name = std::string(to_string(provider.empty() ? p.provider : provider));
    if (p.models.empty()) throw NoModelError("pool '" + p.name + "' has no model");
    if (p.keys.empty()) throw NoApiKeysError("pool '" + p.name + "' has no API key");
    const std::string prefix = env_var_prefix(p.name) + "_API_KEY";
    for (std::size_t i = 0; i < p.keys.size(); ++i) {
      if (p.keys[i].label.empty()) p.keys[i].label = prefix + std::to_string(i);
    }
    auto client = make_client(p, config.http);
    pools.push_back({p, std::move(client), slots});
    slots += p.models.size() * p.keys.size();
  }
  if (config.clock.now && !config.clock.system_now) {
    steady_anchor_ = config.clock.now();
    system_anchor_ = std::chrono::system_clock::now();
  }
  const std::vector<PoolRoutes> identities = identities_of(config);
  routes = health->register_routes(identities, HealthPolicy{config.breaker, config.retry.route_failure_limit},
                                   [this](const HealthChange& change) { on_health_change(change); });
  try {
    check_table(routes, identities);
  } catch (...) {
    health->unregister_routes(routes);
    throw;
  }
}

Engine::~Engine() { health->unregister_routes(routes); }

HealthTime Engine::health_now() const {
  if (config.clock.system_now) return config.clock.system_now();
  if (config.clock.now) {
    const auto elapsed = config.clock.now() - steady_anchor_;
    return system_anchor_ + std::chrono::duration_cast<std::chrono::system_clock::duration>(elapsed);
  }
  return std::chrono::system_clock::now();
}

void Engine::on_health_change(const HealthChange& change) {
  log().debug("health: {} {}{}{}{}{}", to_string(change.kind), change.pool, change.model.empty() ? "" : " ",
              change.model, change.key_label.empty() ? "" : " ", change.key_label);
  observers.health_changed(change);
}

void Engine::sleep(milliseconds d) const {
  if (d.count() <= 0) return;
  if (config.clock.sleep) {
    config.clock.sleep(d);
  } else {
    std::this_thread::sleep_for(d);
  }
}

}  // namespace polyrouter::detail
