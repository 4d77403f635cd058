#pragma once
// What every request of one orchestrator shares (private): the pools and their clients, the
// health book, retry timing and the observers. Walks (sync or async) read and update it.

#include <atomic>
#include <memory>
#include <vector>

#include "observe/fan_out.hpp"
#include "orchestrator/health.hpp"
#include "orchestrator/retry.hpp"
#include "polyrouter/config.hpp"
#include "polyrouter/errors.hpp"

namespace polyrouter::detail {

using std::chrono::milliseconds;

struct Engine {
  struct Pool {
    PoolConfig config;
    std::shared_ptr<LLMClient> client;  ///< every call of the pool goes through it
    std::size_t first_slot = 0;  ///< this pool's (model, key) combinations start here in a walk
  };

  /// @throws ConfigError, NoApiKeysError, NoModelError.
  explicit Engine(OrchestratorConfig config);

  OrchestratorConfig config;
  std::vector<Pool> pools;
  std::size_t slots = 0;  ///< (pool, model, key) combinations in all
  HealthBook health;
  Backoff backoff;
  RetryThrottle throttle;

  /// Every event of every request goes through here once (counters first, then listeners).
  ObserverFanOut observers;
  std::atomic<std::uint64_t> rotation{0};

  TimePoint now() const { return config.clock.now ? config.clock.now() : std::chrono::steady_clock::now(); }
  void sleep(milliseconds d) const;
};

}  // namespace polyrouter::detail
