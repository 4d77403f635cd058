#pragma once
// What every request of one orchestrator shares (private): the pools and their clients, the
// health store and its handles, retry timing and the observers. Walks (sync or async) read
// and update it.

#include <atomic>
#include <memory>
#include <vector>

#include "observe/fan_out.hpp"
#include "orchestrator/retry.hpp"
#include "polyrouter/config.hpp"
#include "polyrouter/errors.hpp"
#include "polyrouter/health_store.hpp"
#include "polyrouter/llm_client.hpp"

namespace polyrouter::detail {

using std::chrono::milliseconds;
using TimePoint = std::chrono::steady_clock::time_point;

struct Engine {
  struct Pool {
    PoolConfig config;
    std::shared_ptr<LLMClient> client;  ///< every call of the pool goes through it
    std::size_t first_slot = 0;  ///< this pool's (model, key) combinations start here in a walk
  };

  /// @throws ConfigError, NoApiKeysError, NoModelError.
  explicit Engine(OrchestratorConfig config);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  OrchestratorConfig config;
  std::vector<Pool> pools;
  std::size_t slots = 0;  ///< (pool, model, key) combinations in all
  std::shared_ptr<HealthStore> health;  ///< never null
  RouteTable routes;  ///< this orchestrator's handles in the store, by (pool, model, key) position
  Backoff backoff;
  RetryThrottle throttle;

  /// Every event of every request goes through here once (counters first, then listeners).
  ObserverFanOut observers;
  std::atomic<std::uint64_t> rotation{0};

  TimePoint now() const { return config.clock.now ? config.clock.now() : std::chrono::steady_clock::now(); }
  /// Wall time for the health store (see Clock::system_now).
  HealthTime health_now() const;
  void sleep(milliseconds d) const;

  const ModelId& model_id(std::size_t pool, std::size_t model) const { return routes.pools[pool].models[model]; }
  const RouteId& route_id(std::size_t pool, std::size_t model, std::size_t key) const {
    return routes.route(pool, model, key);
  }

 private:
  /// What the store tells about this orchestrator's routes (cooldown ends and breaker changes
  /// only it sees among them). Called outside the store's lock, on the thread that noticed:
  /// logged, counted and handed to the observers.
  void on_health_change(const HealthChange& change);
  HealthTime system_anchor_{};  ///< with an injected steady `now` only: wall time at construction...
  TimePoint steady_anchor_{};   ///< ...and that `now` then
};

}  // namespace polyrouter::detail
