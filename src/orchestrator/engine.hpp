#pragma once
// What every request of one orchestrator shares (private): the pools and their clients, the
// health store and its handles, retry timing, counters and events. Walks (sync or async) read
// and update it.

#include <array>
#include <atomic>
#include <memory>
#include <vector>

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

  static constexpr std::size_t outcome_count = static_cast<std::size_t>(AttemptOutcome::unknown_error) + 1;

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

  std::atomic<std::uint64_t> requests{0}, successes{0}, fallbacks{0}, exhaustions{0};
  std::array<std::atomic<std::uint64_t>, outcome_count> outcomes{};
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
  /// only it sees among them). Called outside the store's lock, on the thread that noticed.
  void on_health_change(const HealthChange& change) const;
  HealthTime system_anchor_{};  ///< with an injected steady `now` only: wall time at construction...
  TimePoint steady_anchor_{};   ///< ...and that `now` then
};

}  // namespace polyrouter::detail
