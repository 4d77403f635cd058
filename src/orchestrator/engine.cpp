#include "orchestrator/engine.hpp"

#include <cctype>
#include <thread>


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

std::vector<HealthBook::PoolShape> shape_of(const OrchestratorConfig& c) {
  std::vector<HealthBook::PoolShape> shape;
  for (const PoolConfig& p : c.pools) shape.push_back({p.models.size(), p.keys.size()});
  return shape;
}

}  // namespace

Engine::Engine(OrchestratorConfig c)
    : config((validate(c), std::move(c))),
      health(shape_of(config), config.breaker, config.retry.route_failure_limit),
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
