#pragma once
// What the orchestrator has learned about its pools (private). Shared by every thread using
// one orchestrator; one mutex guards it, held only for a few comparisons at a time.

#include <array>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <vector>

#include "polyrouter/config.hpp"
#include "polyrouter/observe.hpp"

namespace polyrouter::detail {

using TimePoint = std::chrono::steady_clock::time_point;

/// TimePoint::max(): remembered for the life of the orchestrator.
constexpr TimePoint forever = TimePoint::max();

class HealthBook {
 public:
  struct PoolShape {
    std::size_t models;
    std::size_t keys;
  };

  /// Can a model be tried now?
  struct ModelVerdict {
    enum class State { usable, missing, breaker_open } state = State::usable;
    TimePoint until{};
    bool trial = false;  ///< the caller holds the breaker's half-open trial: report its end
  };

  /// Can a key be tried now on a model?
  struct KeyVerdict {
    enum class State { usable, quarantined, cooling } state = State::usable;
    TimePoint until{};
  };

  /// @p route_failure_limit: see RetryPolicy::route_failure_limit.
  HealthBook(const std::vector<PoolShape>& shape, BreakerPolicy breaker, int route_failure_limit = 0);

  /// Claims the half-open trial when the breaker's delay has passed.
  ModelVerdict check_model(std::size_t pool, std::size_t model, TimePoint now);
  KeyVerdict check_key(std::size_t pool, std::size_t model, std::size_t key, TimePoint now) const;

  void quarantine_key(std::size_t pool, std::size_t key, TimePoint until);
  void mark_missing(std::size_t pool, std::size_t model, TimePoint until);
  /// Cools one (model, key); a later deadline already set is kept.
  void cool(std::size_t pool, std::size_t model, std::size_t key, TimePoint until);
  /// Cools a model for every key of the pool (shared quota or provider-wide capacity).
  void cool_model(std::size_t pool, std::size_t model, TimePoint until);

  /// A request answered by the model: counts in the window; a trial's success closes it.
  /// @p key answered: the route is trusted again (see record_route_failure()).
  void record_success(std::size_t pool, std::size_t model, std::size_t key, TimePoint now);
  /// A request the model failed transiently (once per request, whatever its retries): may
  /// open the breaker on the window's ratio; a failed trial reopens it for longer.
  void record_failure(std::size_t pool, std::size_t model, TimePoint now);
  /// One attempt on a (model, key) failed transiently. Returns whether the route's previous
  /// route_failure_limit attempts had all failed already: then it gets no same-route retries.
  bool record_route_failure(std::size_t pool, std::size_t model, std::size_t key);

  /// Whether the model's breaker is open (without claiming a trial).
  bool breaker_open(std::size_t pool, std::size_t model) const;
  /// A trial that ended neither in success nor transient failure lets the next caller try.
  void release_trial(std::size_t pool, std::size_t model);

  /// The soonest a cooling (model, key) becomes usable, among keys not quarantined and models
  /// not missing; nullopt when nothing is cooling.
  std::optional<TimePoint> earliest_cooldown_end(TimePoint now) const;

  /// Fills the health of every pool; names come from the caller.
  void snapshot(TimePoint now, HealthSnapshot& out) const;

 private:
  static constexpr std::size_t window_buckets = 10;
  struct Bucket {
    TimePoint start{};
    int successes = 0;
    int failures = 0;
  };
  struct Breaker {
    std::array<Bucket, window_buckets> window{};  ///< a ring of window / window_buckets each
    bool open = false;
    TimePoint open_until{};
    bool trial_in_flight = false;
    int trips = 0;  ///< trips in a row, without a successful trial between them
  };
  Bucket& bucket(Breaker& b, TimePoint now) const;
  void trip(Breaker& b, TimePoint now) const;
  struct Model {
    TimePoint missing_until{};
    Breaker breaker;
    std::vector<TimePoint> cool_until;  ///< per key
    std::vector<int> failed_in_a_row;   ///< per key: transient failures since its last answer
  };
  struct Pool {
    std::vector<TimePoint> quarantined_until;  ///< per key
    std::vector<Model> models;
  };

  mutable std::mutex mutex_;
  std::vector<Pool> pools_;
  BreakerPolicy breaker_;
  int route_failure_limit_;
};

}  // namespace polyrouter::detail
