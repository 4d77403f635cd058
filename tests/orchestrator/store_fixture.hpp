#pragma once
// An InMemoryHealthStore with one registration of a given shape, addressed by position the way
// the orchestrator does, for tests of the store's rules.

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include <polyrouter/health_store.hpp>

namespace polyrouter::test {

using namespace std::chrono_literals;

/// Far from the epoch: HealthTime{} means "no deadline" inside the store.
inline const HealthTime t0 = HealthTime(std::chrono::hours(1000));

/// Pools named "p0", "p1", ... with models "m0", ... and keys "key-0", ... labelled "K0", ...
inline std::vector<PoolRoutes> shape(const std::vector<std::pair<int, int>>& models_and_keys,
                                     const std::string& secret = "test-secret") {
  std::vector<PoolRoutes> pools;
  for (std::size_t p = 0; p < models_and_keys.size(); ++p) {
    PoolRoutes pool;
    pool.name = "p" + std::to_string(p);
    for (int m = 0; m < models_and_keys[p].first; ++m) pool.models.push_back("m" + std::to_string(m));
    for (int k = 0; k < models_and_keys[p].second; ++k) {
      pool.keys.push_back({KeyFingerprint::of(secret, "key-" + std::to_string(k)), "K" + std::to_string(k)});
    }
    pools.push_back(std::move(pool));
  }
  return pools;
}

struct StoreFixture {
  explicit StoreFixture(const std::vector<std::pair<int, int>>& models_and_keys, BreakerPolicy breaker = {},
                        int route_failure_limit = 0, HealthListener listener = {})
      : table(store.register_routes(shape(models_and_keys), HealthPolicy{breaker, route_failure_limit},
                                    std::move(listener))) {}
  ~StoreFixture() { store.unregister_routes(table); }

  const ModelId& model(std::size_t p, std::size_t m) const { return table.pools[p].models[m]; }
  const KeyId& key(std::size_t p, std::size_t k) const { return table.pools[p].keys[k]; }
  const RouteId& route(std::size_t p, std::size_t m, std::size_t k) const { return table.route(p, m, k); }

  InMemoryHealthStore store;
  RouteTable table;
};

}  // namespace polyrouter::test
