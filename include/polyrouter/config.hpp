#pragma once
/// @file Everything an Orchestrator is built from: its pools (pool.hpp), its policies
/// (policies.hpp) and what observes it. Reading one from the environment: environment.hpp.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "polyrouter/export.hpp"
#include "polyrouter/http_options.hpp"
#include "polyrouter/observe.hpp"
#include "polyrouter/observer.hpp"
#include "polyrouter/policies.hpp"
#include "polyrouter/pool.hpp"
#include "polyrouter/provider.hpp"

namespace polyrouter {

class HealthStore;

/// Everything an Orchestrator is built from.
struct POLYROUTER_API OrchestratorConfig {
  std::vector<PoolConfig> pools;  ///< tried in order
  std::string system_prompt;      ///< prepended to every request when not empty
  bool round_robin = false;       ///< rotate the starting key per request
  RetryPolicy retry;
  RetryThrottlePolicy retry_throttle;
  CooldownPolicy cooldown;
  BreakerPolicy breaker;
  Timeouts timeouts;
  ContentFilterPolicy content_filter = ContentFilterPolicy::surface;
  StreamRecovery stream_recovery = StreamRecovery::restart;
  HttpOptions http;               ///< for the built-in clients
  Clock clock;
  std::uint64_t jitter_seed = 0;  ///< 0 = seeded from the system
  Events events;                  ///< callbacks, called like an Observer (see observer.hpp)
  /// Called for every event after the orchestrator's own counters and `events`, in order
  /// (threads and rules: observer.hpp).
  std::vector<std::shared_ptr<Observer>> observers;
  /// Where what is learned is kept (health_store.hpp); share one between orchestrators, or
  /// across a fleet, to share what they learn. Null = a private InMemoryHealthStore.
  std::shared_ptr<HealthStore> health_store;
  /// Keys reach the store only as HMAC-SHA256 fingerprints under this secret. Empty = random
  /// per process; a fleet sharing a store configures the same one.
  std::string key_fingerprint_secret;
};

}  // namespace polyrouter
