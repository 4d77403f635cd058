#pragma once
// The orchestrator's own observer (private): the counters behind Orchestrator::stats() and the
// per (pool, model, outcome) latency histograms behind metrics_text(). Sized once from the
// configuration and lock-free, so an attempt costs two relaxed atomic adds and no lookup, and
// a scrape reads while any number of threads update.

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "polyrouter/config.hpp"
#include "polyrouter/health_change.hpp"
#include "polyrouter/observe.hpp"
#include "polyrouter/response.hpp"

namespace polyrouter::detail {

constexpr std::size_t attempt_outcome_count = static_cast<std::size_t>(AttemptOutcome::unknown_error) + 1;
constexpr std::size_t health_change_kind_count = static_cast<std::size_t>(HealthChange::Kind::breaker_closed) + 1;

class StatsObserver {
 public:
  /// The latency buckets' upper bounds, as written in `le` (seconds), and in nanoseconds. From
  /// a loopback answer to an attempt timing out at its 60 s default.
  static constexpr std::size_t bound_count = 14;
  static constexpr std::array<std::string_view, bound_count> bound_labels{
      "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "30", "60", "120"};
  static constexpr std::array<std::int64_t, bound_count> bounds_ns{
      5'000'000,     10'000'000,     25'000'000,     50'000'000,     100'000'000,
      250'000'000,   500'000'000,    1'000'000'000,  2'500'000'000,  5'000'000'000,
      10'000'000'000, 30'000'000'000, 60'000'000'000, 120'000'000'000};

  /// One (pool, model, outcome) histogram at one instant: per-bucket counts (not cumulative),
  /// the last bucket beyond every bound.
  struct Histogram {
    std::array<std::uint64_t, bound_count + 1> buckets{};
    std::uint64_t sum_ns = 0;
    std::uint64_t count() const;
  };

  /// @p pools: their models give the routes (pool index, model index).
  explicit StatsObserver(const std::vector<PoolConfig>& pools);

  void request_started() noexcept { requests_.fetch_add(1, std::memory_order_relaxed); }
  void request_ended(bool answered) noexcept {
    if (answered) successes_.fetch_add(1, std::memory_order_relaxed);
  }
  void fell_back() noexcept { fallbacks_.fetch_add(1, std::memory_order_relaxed); }
  void exhausted() noexcept { exhaustions_.fetch_add(1, std::memory_order_relaxed); }
  void attempt_ended(std::size_t pool, std::size_t model, AttemptOutcome outcome,
                     std::chrono::nanoseconds latency) noexcept;
  void health_changed(HealthChange::Kind kind) noexcept;

  Stats stats() const;
  std::size_t pool_count() const { return first_route_.size(); }
  std::size_t model_count(std::size_t pool) const;
  Histogram histogram(std::size_t pool, std::size_t model, AttemptOutcome outcome) const;

 private:
  struct Series {
    std::array<std::atomic<std::uint64_t>, bound_count + 1> buckets{};
    std::atomic<std::uint64_t> sum_ns{0};
  };
  std::size_t index(std::size_t pool, std::size_t model, AttemptOutcome outcome) const {
    return (first_route_[pool] + model) * attempt_outcome_count + static_cast<std::size_t>(outcome);
  }

  std::vector<std::size_t> first_route_;  ///< per pool: the index of its first model's route
  std::size_t routes_ = 0;
  std::unique_ptr<Series[]> series_;      ///< routes × outcomes
  std::atomic<std::uint64_t> requests_{0}, successes_{0}, fallbacks_{0}, exhaustions_{0};
  std::array<std::atomic<std::uint64_t>, health_change_kind_count> health_changes_{};
};

}  // namespace polyrouter::detail
