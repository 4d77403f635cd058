#include "orchestrator/health.hpp"

#include <algorithm>

namespace polyrouter::detail {
namespace {

std::optional<std::chrono::milliseconds> remaining(TimePoint until, TimePoint now) {
  if (until == forever) return std::nullopt;
  return std::chrono::ceil<std::chrono::milliseconds>(until - now);
}

}  // namespace

HealthBook::HealthBook(const std::vector<PoolShape>& shape, BreakerPolicy breaker) : breaker_(breaker) {
  pools_.reserve(shape.size());
  for (const PoolShape& s : shape) {
    Pool pool;
    pool.quarantined_until.assign(s.keys, TimePoint{});
    pool.models.resize(s.models);
    for (Model& m : pool.models) m.cool_until.assign(s.keys, TimePoint{});
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

void HealthBook::record_success(std::size_t pool, std::size_t model) {
  std::lock_guard<std::mutex> lock(mutex_);
  pools_[pool].models[model].breaker = Breaker{};
}

void HealthBook::record_transient_failure(std::size_t pool, std::size_t model, TimePoint now) {
  if (breaker_.failure_threshold <= 0) return;
  std::lock_guard<std::mutex> lock(mutex_);
  Breaker& b = pools_[pool].models[model].breaker;
  ++b.failures;
  if (b.trial_in_flight || b.failures >= breaker_.failure_threshold) {
    b.open = true;
    b.open_until = now + breaker_.open_duration;
    b.trial_in_flight = false;
  }
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
