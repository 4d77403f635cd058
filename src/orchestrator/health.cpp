#include "orchestrator/health.hpp"

#include <algorithm>

namespace polyrouter::detail {
namespace {

std::optional<std::chrono::milliseconds> remaining(TimePoint until, TimePoint now) {
  if (until == forever) return std::nullopt;
  return std::chrono::ceil<std::chrono::milliseconds>(until - now);
}

}  // namespace

HealthBook::HealthBook(const std::vector<PoolShape>& shape, BreakerPolicy breaker, int route_failure_limit)
    : breaker_(breaker), route_failure_limit_(route_failure_limit) {
  pools_.reserve(shape.size());
  for (const PoolShape& s : shape) {
    Pool pool;
    pool.quarantined_until.assign(s.keys, TimePoint{});
    pool.models.resize(s.models);
    for (Model& m : pool.models) {
      m.cool_until.assign(s.keys, TimePoint{});
      m.failed_in_a_row.assign(s.keys, 0);
    }
    pools_.push_back(std::move(pool));
  }
}

HealthBook::ModelVerdict HealthBook::check_model(std::size_t pool, std::size_t model, TimePoint now) {
  std::lock_guard<std::mutex> lock(mutex_);
  Model& m = pools_[pool].models[model];
  if (now < m.missing_until) return {ModelVerdict::State::missing, m.missing_until, false};
  Breaker& b = m.breaker;
  if (!b.open) return {};
  if (now < b.open_until || b.trial_in_flight) {
    return {ModelVerdict::State::breaker_open, b.open_until, false};
  }
  b.trial_in_flight = true;  // half-open: exactly one caller gets through
  return {ModelVerdict::State::usable, {}, true};
}

HealthBook::KeyVerdict HealthBook::check_key(std::size_t pool, std::size_t model, std::size_t key,
                                             TimePoint now) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const Pool& p = pools_[pool];
  if (now < p.quarantined_until[key]) return {KeyVerdict::State::quarantined, p.quarantined_until[key]};
  const TimePoint cool = p.models[model].cool_until[key];
  if (now < cool) return {KeyVerdict::State::cooling, cool};
  return {};
}

void HealthBook::quarantine_key(std::size_t pool, std::size_t key, TimePoint until) {
  std::lock_guard<std::mutex> lock(mutex_);
  TimePoint& t = pools_[pool].quarantined_until[key];
  t = std::max(t, until);
}

void HealthBook::mark_missing(std::size_t pool, std::size_t model, TimePoint until) {
  std::lock_guard<std::mutex> lock(mutex_);
  TimePoint& t = pools_[pool].models[model].missing_until;
  t = std::max(t, until);
}

void HealthBook::cool(std::size_t pool, std::size_t model, std::size_t key, TimePoint until) {
  std::lock_guard<std::mutex> lock(mutex_);
  TimePoint& t = pools_[pool].models[model].cool_until[key];
  t = std::max(t, until);
}

void HealthBook::cool_model(std::size_t pool, std::size_t model, TimePoint until) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (TimePoint& t : pools_[pool].models[model].cool_until) t = std::max(t, until);
}

bool HealthBook::record_route_failure(std::size_t pool, std::size_t model, std::size_t key) {
  std::lock_guard<std::mutex> lock(mutex_);
  int& n = pools_[pool].models[model].failed_in_a_row[key];
  const bool failing = route_failure_limit_ > 0 && n >= route_failure_limit_;
  if (n < route_failure_limit_) ++n;
  return failing;
}

HealthBook::Bucket& HealthBook::bucket(Breaker& b, TimePoint now) const {
  const auto width = std::max<std::chrono::steady_clock::duration>(breaker_.window / window_buckets,
                                                                    std::chrono::milliseconds(1));
  const auto index = now.time_since_epoch() / width;
  Bucket& current = b.window[static_cast<std::size_t>(index) % window_buckets];
  const TimePoint start{index * width};
  if (current.start != start) current = Bucket{start, 0, 0};  // a lap old: reuse it
  return current;
}

void HealthBook::trip(Breaker& b, TimePoint now) const {
  // Short at first (a blip should cost seconds), doubling while the model keeps failing.
  auto interval = breaker_.open_duration;
  for (int i = 0; i < b.trips && interval < breaker_.max_open_duration; ++i) interval *= 2;
  b.open = true;
  b.open_until = now + std::min(interval, std::max(breaker_.max_open_duration, breaker_.open_duration));
  b.trial_in_flight = false;
  ++b.trips;
  b.window = {};  // after it closes, the ratio starts afresh
}

void HealthBook::record_success(std::size_t pool, std::size_t model, std::size_t key, TimePoint now) {
  std::lock_guard<std::mutex> lock(mutex_);
  pools_[pool].models[model].failed_in_a_row[key] = 0;
  Breaker& b = pools_[pool].models[model].breaker;
  if (b.open) {
    b.open = false;
    b.trial_in_flight = false;
    b.trips = 0;
    b.window = {};
  }
  ++bucket(b, now).successes;
}

void HealthBook::record_failure(std::size_t pool, std::size_t model, TimePoint now) {
  if (breaker_.failure_ratio <= 0) return;
  std::lock_guard<std::mutex> lock(mutex_);
  Breaker& b = pools_[pool].models[model].breaker;
  if (b.open) {
    if (b.trial_in_flight) trip(b, now);  // the trial failed: open again, for longer
    return;
  }
  ++bucket(b, now).failures;
  int successes = 0, failures = 0;
  for (const Bucket& k : b.window) {
    if (k.start + breaker_.window <= now) continue;  // outside the window
    successes += k.successes;
    failures += k.failures;
  }
  const int total = successes + failures;
  if (total >= breaker_.minimum_requests && failures >= breaker_.failure_ratio * total) trip(b, now);
}

bool HealthBook::breaker_open(std::size_t pool, std::size_t model) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return pools_[pool].models[model].breaker.open;
}

void HealthBook::release_trial(std::size_t pool, std::size_t model) {
  std::lock_guard<std::mutex> lock(mutex_);
  pools_[pool].models[model].breaker.trial_in_flight = false;
}

std::optional<TimePoint> HealthBook::earliest_cooldown_end(TimePoint now) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::optional<TimePoint> earliest;
  for (const Pool& p : pools_) {
    for (const Model& m : p.models) {
      if (now < m.missing_until) continue;
      for (std::size_t k = 0; k < m.cool_until.size(); ++k) {
        if (now < p.quarantined_until[k]) continue;
        if (m.cool_until[k] > now && (!earliest || m.cool_until[k] < *earliest)) earliest = m.cool_until[k];
      }
    }
  }
  return earliest;
}

void HealthBook::snapshot(TimePoint now, HealthSnapshot& out) const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (std::size_t pi = 0; pi < pools_.size() && pi < out.pools.size(); ++pi) {
    const Pool& p = pools_[pi];
    PoolHealth& ph = out.pools[pi];
    for (std::size_t k = 0; k < p.quarantined_until.size() && k < ph.keys.size(); ++k) {
      if (now < p.quarantined_until[k]) {
        ph.keys[k].state = KeyHealth::State::quarantined;
        ph.keys[k].reset_in = remaining(p.quarantined_until[k], now);
      }
    }
    for (std::size_t mi = 0; mi < p.models.size() && mi < ph.models.size(); ++mi) {
      const Model& m = p.models[mi];
      ModelHealth& mh = ph.models[mi];
      if (now < m.missing_until) {
        mh.state = ModelHealth::State::missing;
        mh.reset_in = remaining(m.missing_until, now);
      } else if (m.breaker.open) {
        const bool waiting = now < m.breaker.open_until;
        mh.state = waiting ? ModelHealth::State::breaker_open : ModelHealth::State::breaker_half_open;
        if (waiting) mh.reset_in = remaining(m.breaker.open_until, now);
      }
      for (std::size_t k = 0; k < m.cool_until.size() && k < ph.keys.size(); ++k) {
        if (now < m.cool_until[k]) {
          mh.cooldowns.push_back({ph.keys[k].label, *remaining(m.cool_until[k], now)});
        }
      }
    }
  }
}

}  // namespace polyrouter::detail
