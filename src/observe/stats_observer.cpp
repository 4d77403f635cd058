#include "observe/stats_observer.hpp"

namespace polyrouter::detail {

std::uint64_t StatsObserver::Histogram::count() const {
  std::uint64_t n = 0;
  for (std::uint64_t b : buckets) n += b;
  return n;
}

StatsObserver::StatsObserver(const std::vector<PoolConfig>& pools) {
  for (const PoolConfig& pool : pools) {
    first_route_.push_back(routes_);
    routes_ += pool.models.size();
  }
  series_ = std::make_unique<Series[]>(routes_ * attempt_outcome_count);
}

void StatsObserver::attempt_ended(std::size_t pool, std::size_t model, AttemptOutcome outcome,
                                  std::chrono::nanoseconds latency) noexcept {
  const std::int64_t ns = latency.count() > 0 ? latency.count() : 0;  // an injected clock may step back
  std::size_t bucket = 0;
  while (bucket < bound_count && ns > bounds_ns[bucket]) ++bucket;
  Series& s = series_[index(pool, model, outcome)];
  s.buckets[bucket].fetch_add(1, std::memory_order_relaxed);
  s.sum_ns.fetch_add(static_cast<std::uint64_t>(ns), std::memory_order_relaxed);
}

void StatsObserver::health_changed(HealthChange::Kind kind) noexcept {
  const auto i = static_cast<std::size_t>(kind);
  if (i < health_changes_.size()) health_changes_[i].fetch_add(1, std::memory_order_relaxed);
}

std::size_t StatsObserver::model_count(std::size_t pool) const {
  const std::size_t end = pool + 1 < first_route_.size() ? first_route_[pool + 1] : routes_;
  return end - first_route_[pool];
}

StatsObserver::Histogram StatsObserver::histogram(std::size_t pool, std::size_t model, AttemptOutcome outcome) const {
  const Series& s = series_[index(pool, model, outcome)];
  Histogram h;
  for (std::size_t i = 0; i < h.buckets.size(); ++i) h.buckets[i] = s.buckets[i].load(std::memory_order_relaxed);
  h.sum_ns = s.sum_ns.load(std::memory_order_relaxed);
  return h;
}

Stats StatsObserver::stats() const {
  Stats s;
  s.requests = requests_.load(std::memory_order_relaxed);
  s.successes = successes_.load(std::memory_order_relaxed);
  s.fallbacks = fallbacks_.load(std::memory_order_relaxed);
  s.exhaustions = exhaustions_.load(std::memory_order_relaxed);
  for (std::size_t pool = 0; pool < pool_count(); ++pool) {
    for (std::size_t model = 0; model < model_count(pool); ++model) {
      for (std::size_t o = 0; o < attempt_outcome_count; ++o) {
        const auto outcome = static_cast<AttemptOutcome>(o);
        if (const std::uint64_t n = histogram(pool, model, outcome).count()) s.attempts[outcome] += n;
      }
    }
  }
  for (std::size_t k = 0; k < health_changes_.size(); ++k) {
    if (const std::uint64_t n = health_changes_[k].load(std::memory_order_relaxed)) {
      s.health_changes[static_cast<HealthChange::Kind>(k)] = n;
    }
  }
  return s;
}

}  // namespace polyrouter::detail
