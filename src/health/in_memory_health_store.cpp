// The default HealthStore: one process's memory. Every per-request lookup is an array read
// under one mutex; deadlines also wait in min-heaps with lazy deletion (an entry whose deadline
// no longer matches its subject's is skipped when it surfaces), so the earliest reset and the
// sweep look only at what is due, never at every entry.

#include <algorithm>
#include <array>
#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <queue>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "logging.hpp"
#include "polyrouter/health_store.hpp"

namespace polyrouter {
namespace detail::in_memory {  // named, not anonymous: State's members use these types

using Wall = std::chrono::system_clock;

std::optional<HealthTime> end_of(HealthTime until) {
  if (until == health_forever) return std::nullopt;
  return until;
}

std::optional<std::chrono::milliseconds> remaining(HealthTime until, HealthTime now) {
  if (until == health_forever) return std::nullopt;
  return std::chrono::ceil<std::chrono::milliseconds>(until - now);
}

// A deadline waiting in a heap: a route's or a whole model's cooldown.
enum class Subject : std::uint8_t { route, model };
struct Due {
  HealthTime at;
  Subject subject;
  std::uint32_t index;
};
struct LaterFirst {  // std::priority_queue keeps the greatest on top: reverse it
  bool operator()(const Due& a, const Due& b) const { return a.at > b.at; }
};
using DueHeap = std::priority_queue<Due, std::vector<Due>, LaterFirst>;

// A registration that names an entry: it hears the entry's changes under its own label.
struct Member {
  std::uint32_t table;
  std::string label;  ///< the key's label in that registration (empty for models)
  bool listens;
};

void add_member(std::vector<Member>& members, std::uint32_t table, const std::string& label, bool listens) {
  for (const Member& m : members) {
    if (m.table == table) return;  // a key listed twice in one pool: one membership
  }
  members.push_back({table, label, listens});
}

constexpr std::size_t window_buckets = 10;

struct Bucket {
  HealthTime start{};
  int successes = 0;
  int failures = 0;
};

struct Breaker {
  std::array<Bucket, window_buckets> window{};  ///< a ring of window / window_buckets each
  bool open = false;
  HealthTime open_until{};
  bool half_open_told = false;   ///< breaker_half_opened reported for this opening
  std::uint64_t claim = 0;       ///< the trial's holder (0 = none); kept after it lapses
  HealthTime claim_until{};
  int trips = 0;  ///< trips in a row, without a successful trial between them
};

// A key's rate budget as a sliding log: exact over every window, O(1) amortized per take.
struct BudgetLog {
  RateBudget budget;                                  ///< the first registration's
  std::deque<HealthTime> starts;                      ///< attempts taken within the window
  std::deque<std::pair<HealthTime, std::int64_t>> spent;  ///< tokens spent within the window
  std::int64_t spent_total = 0;
  /// The latest time a take or spend was made at. Callers read their clocks before the lock, so
  /// their times may arrive out of order; one arriving late counts as made at this time, or a
  /// later caller's forgetting would hide from it attempts that are still within its window.
  HealthTime latest{};

  HealthTime ordered(HealthTime now) {
    latest = std::max(latest, now);
    return latest;
  }

  void forget_before(HealthTime cutoff) {
    while (!starts.empty() && starts.front() <= cutoff) starts.pop_front();
    while (!spent.empty() && spent.front().first <= cutoff) {
      spent_total -= spent.front().second;
      spent.pop_front();
    }
  }
};

struct KeyEntry {
  std::string pool;
  KeyFingerprint fingerprint;
  HealthTime quarantined_until{};
  BudgetLog budget;
  std::vector<Member> members;
};

struct ModelEntry {
  std::string pool;
  std::string model;
  BreakerPolicy policy;  ///< the first registration's
  HealthTime missing_until{};
  HealthTime cool_until{};  ///< every key of the pool
  bool cool_end_told = true;  ///< cooldown_ended reported for cool_until (nothing to tell yet)
  Breaker breaker;
  std::vector<Member> members;
};

struct RouteEntry {
  std::uint32_t model = 0;
  std::uint32_t key = 0;
  int failure_limit = 0;  ///< the first registration's
  HealthTime cool_until{};
  bool cool_end_told = true;
  int failed_in_a_row = 0;  ///< transient failures since its last answer
  std::vector<Member> members;
};

struct Table {
  bool listens = false;
  DueHeap waits;  ///< this registration's cooldowns, for earliest_cooldown_end()
  std::unordered_map<std::uint32_t, std::vector<std::uint32_t>> routes_of_model;
  std::vector<std::uint32_t> keys, models, routes;  ///< what it joined, for unregister
};

struct Pending {
  std::uint32_t table;
  HealthChange change;
};

// The store's whole state and logic; InMemoryHealthStore forwards to it.
class Memory {
 public:
  using ModelVerdict = HealthStore::ModelVerdict;
  using KeyVerdict = HealthStore::KeyVerdict;
  using TrialClaim = HealthStore::TrialClaim;

  RouteTable register_routes(const std::vector<PoolRoutes>& pools, const HealthPolicy& policy, HealthListener listener);
  void unregister_routes(const RouteTable& table);
  ModelVerdict check_model(const ModelId& model, HealthTime now);
  KeyVerdict check_route(const RouteId& route, HealthTime now);
  TrialClaim claim_trial(const ModelId& model, HealthTime now, HealthTime claim_until);
  void release_trial(const ModelId& model, TrialClaim claim);
  void quarantine_key(const KeyId& key, HealthTime now, HealthTime until);
  void mark_missing(const ModelId& model, HealthTime now, HealthTime until);
  void cool_route(const RouteId& route, HealthTime now, HealthTime until);
  void cool_model(const ModelId& model, HealthTime now, HealthTime until);
  void record_success(const RouteId& route, HealthTime now);
  void record_failure(const ModelId& model, HealthTime now, TrialClaim trial);
  bool record_route_failure(const RouteId& route);
  bool breaker_open(const ModelId& model) const;
  HealthStore::BudgetVerdict take_budget(const KeyId& key, HealthTime now);
  void spend_tokens(const KeyId& key, std::int64_t tokens, HealthTime now);
  void apply_breaker_open(const ModelId& model, HealthTime now, HealthTime until);
  void apply_breaker_closed(const ModelId& model);
  std::optional<HealthTime> earliest_cooldown_end(const RouteTable& table, HealthTime now);
  void snapshot(const RouteTable& table, HealthTime now, HealthSnapshot& out) const;
  void sweep(HealthTime now);

 private:
  mutable std::mutex mutex_;
  std::vector<KeyEntry> keys_;
  std::vector<ModelEntry> models_;
  std::vector<RouteEntry> routes_;
  std::map<std::pair<std::string, KeyFingerprint>, std::uint32_t> key_index_;
  std::map<std::pair<std::string, std::string>, std::uint32_t> model_index_;
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint32_t> route_index_;
  std::unordered_map<std::uint32_t, Table> tables_;
  std::atomic<std::uint32_t> next_table_{1};
  std::uint64_t next_claim_ = 1;
  DueHeap expiries_;  ///< every cooldown, for cooldown_ended

  // Listeners have their own mutex_, never held with the state's, so a listener may call the
  // store; recursive, since such a call may notice a change and tell it on the same thread.
  std::recursive_mutex listeners_mutex_;
  std::unordered_map<std::uint32_t, HealthListener> listeners_;

  // --- under mutex_ ---

  void tell(const std::vector<Member>& members, HealthChange::Kind kind, const std::string& pool,
            const std::string& model, bool with_label, std::optional<HealthTime> until,
            std::vector<Pending>& out) const {
    for (const Member& m : members) {
      if (!m.listens) continue;
      HealthChange c;
      c.kind = kind;
      c.pool = pool;
      c.model = model;
      if (with_label) c.key_label = m.label;
      c.until = until;
      out.push_back({m.table, std::move(c)});
    }
  }

  void tell_route(const RouteEntry& r, HealthChange::Kind kind, std::optional<HealthTime> until,
                  std::vector<Pending>& out) const {
    const ModelEntry& m = models_[r.model];
    tell(r.members, kind, m.pool, m.model, true, until, out);
  }

  void tell_model(const ModelEntry& m, HealthChange::Kind kind, std::optional<HealthTime> until,
                  std::vector<Pending>& out) const {
    tell(m.members, kind, m.pool, m.model, false, until, out);
  }

  // A cooldown whose deadline passed is told once. The deadline itself stays: a caller whose
  // clock runs a little behind (another thread, another process) still sees it running.
  void end_route_cooldown(RouteEntry& r, HealthTime now, std::vector<Pending>& out) const {
    if (r.cool_end_told || now < r.cool_until) return;
    r.cool_end_told = true;
    tell_route(r, HealthChange::Kind::cooldown_ended, r.cool_until, out);
  }
  void end_model_cooldown(ModelEntry& m, HealthTime now, std::vector<Pending>& out) const {
    if (m.cool_end_told || now < m.cool_until) return;
    m.cool_end_told = true;
    tell_model(m, HealthChange::Kind::cooldown_ended, m.cool_until, out);
  }

  HealthTime& deadline_of(const Due& d) {
    return d.subject == Subject::route ? routes_[d.index].cool_until : models_[d.index].cool_until;
  }

  // Pops every cooldown due by now and tells those not told yet. Each entry is popped once:
  // O(log n) per cooldown set.
  void expire(HealthTime now, std::vector<Pending>& out) {
    while (!expiries_.empty() && expiries_.top().at <= now) {
      const Due d = expiries_.top();
      expiries_.pop();
      if (deadline_of(d) != d.at) continue;  // superseded by a later deadline
      if (d.subject == Subject::route) {
        end_route_cooldown(routes_[d.index], now, out);
      } else {
        end_model_cooldown(models_[d.index], now, out);
      }
    }
  }

  void schedule(const Due& d, const std::vector<Member>& members, HealthTime now) {
    expiries_.push(d);
    for (const Member& m : members) {
      auto t = tables_.find(m.table);
      if (t == tables_.end()) continue;
      DueHeap& waits = t->second.waits;
      while (!waits.empty() && waits.top().at <= now) waits.pop();  // keeps the heap to what is ahead
      waits.push(d);
    }
  }

  // Whether some route of the table on this model is usable once its cooldown ends at d.at.
  bool wait_still_useful(const Table& table, const Due& d) {
    if (deadline_of(d) != d.at) return false;  // superseded
    if (d.subject == Subject::route) {
      const RouteEntry& r = routes_[d.index];
      const ModelEntry& m = models_[r.model];
      // Still blocked then (a longer model-wide cooldown has its own entry).
      return keys_[r.key].quarantined_until <= d.at && m.missing_until <= d.at && m.cool_until <= d.at;
    }
    const ModelEntry& m = models_[d.index];
    if (m.missing_until > d.at) return false;
    auto found = table.routes_of_model.find(d.index);
    if (found == table.routes_of_model.end()) return false;
    for (std::uint32_t ri : found->second) {  // one model's keys_, only for the entry on top
      const RouteEntry& r = routes_[ri];
      if (keys_[r.key].quarantined_until <= d.at && r.cool_until <= d.at) return true;
    }
    return false;
  }

  Bucket& bucket(const BreakerPolicy& policy, Breaker& b, HealthTime now) const {
    const auto width =
        std::max<Wall::duration>(std::chrono::duration_cast<Wall::duration>(policy.window) / window_buckets,
                                  std::chrono::milliseconds(1));
    const auto index = now.time_since_epoch() / width;
    Bucket& current = b.window[static_cast<std::size_t>(index) % window_buckets];
    const HealthTime start{index * width};
    if (current.start != start) current = Bucket{start, 0, 0};  // a lap old: reuse it
    return current;
  }

  void trip(ModelEntry& m, HealthTime now, std::vector<Pending>& out) const {
    const BreakerPolicy& policy = m.policy;
    Breaker& b = m.breaker;
    // Short at first (a blip should cost seconds), doubling while the model keeps failing.
    auto interval = policy.open_duration;
    for (int i = 0; i < b.trips && interval < policy.max_open_duration; ++i) interval *= 2;
    b.open = true;
    b.open_until = now + std::min(interval, std::max(policy.max_open_duration, policy.open_duration));
    b.half_open_told = false;
    b.claim = 0;
    ++b.trips;
    b.window = {};  // after it closes, the ratio starts afresh
    tell_model(m, HealthChange::Kind::breaker_opened, b.open_until, out);
  }

  // Once the open interval passed, the breaker is half-open: say so once per opening.
  void notice_half_open(ModelEntry& m, HealthTime now, std::vector<Pending>& out) const {
    Breaker& b = m.breaker;
    if (b.open && now >= b.open_until && !b.half_open_told) {
      b.half_open_told = true;
      tell_model(m, HealthChange::Kind::breaker_half_opened, std::nullopt, out);
    }
  }

  // A later deadline than the one set (and still ahead) starts a cooldown: its end is told anew.
  static bool start_cooldown(HealthTime& cool_until, bool& end_told, HealthTime until, HealthTime now) {
    if (until <= cool_until || until <= now) return false;
    cool_until = until;
    end_told = false;
    return true;
  }

  // --- without mutex_ ---

  // Runs @p change under the lock, after the cooldowns due by @p now, then tells what either
  // noticed, outside it.
  template <typename Change>
  void update(HealthTime now, Change change) {
    std::vector<Pending> pending;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      expire(now, pending);
      change(pending);
    }
    deliver(pending);
  }

  void deliver(std::vector<Pending>& pending) {
    if (pending.empty()) return;
    std::lock_guard<std::recursive_mutex> lock(listeners_mutex_);
    for (const Pending& p : pending) {
      auto found = listeners_.find(p.table);
      if (found == listeners_.end()) continue;
      try {
        found->second(p.change);
      } catch (...) {
        // A listener must not throw; if it does, the request that noticed the change goes on.
        detail::log().warn("a health listener threw on {}", to_string(p.change.kind));
      }
    }
  }
};

RouteTable Memory::register_routes(const std::vector<PoolRoutes>& pools, const HealthPolicy& policy,
                                   HealthListener listener) {
  RouteTable out;
  const bool listens = static_cast<bool>(listener);
  out.id = next_table_.fetch_add(1, std::memory_order_relaxed);
  if (listens) {
    // Before the routes join: no change to them can be told to a registration without its
    // listener. The two mutexes are never held together.
    std::lock_guard<std::recursive_mutex> lock(listeners_mutex_);
    listeners_.emplace(out.id, std::move(listener));
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    Table& table = tables_[out.id];
    table.listens = listens;
    for (const PoolRoutes& pool : pools) {
      RouteTable::Pool handles;
      for (const std::string& model : pool.models) {
        auto [it, added] = model_index_.try_emplace({pool.name, model}, static_cast<std::uint32_t>(models_.size()));
        if (added) {
          ModelEntry entry;
          entry.pool = pool.name;
          entry.model = model;
          entry.policy = policy.breaker;
          models_.push_back(std::move(entry));
        }
        add_member(models_[it->second].members, out.id, {}, listens);
        table.models.push_back(it->second);
        handles.models.push_back(ModelId{it->second});
      }
      for (const KeyIdentity& key : pool.keys) {
        auto [it, added] =
            key_index_.try_emplace({pool.name, key.fingerprint}, static_cast<std::uint32_t>(keys_.size()));
        if (added) {
          KeyEntry entry;
          entry.pool = pool.name;
          entry.fingerprint = key.fingerprint;
          entry.budget.budget = pool.budget;
          keys_.push_back(std::move(entry));
        }
        add_member(keys_[it->second].members, out.id, key.label, listens);
        table.keys.push_back(it->second);
        handles.keys.push_back(KeyId{it->second});
      }
      for (std::size_t m = 0; m < pool.models.size(); ++m) {
        for (std::size_t k = 0; k < pool.keys.size(); ++k) {
          const std::uint32_t mi = handles.models[m].index, ki = handles.keys[k].index;
          auto [it, added] = route_index_.try_emplace({mi, ki}, static_cast<std::uint32_t>(routes_.size()));
          if (added) {
            RouteEntry entry;
            entry.model = mi;
            entry.key = ki;
            entry.failure_limit = policy.route_failure_limit;
            routes_.push_back(std::move(entry));
          }
          add_member(routes_[it->second].members, out.id, pool.keys[k].label, listens);
          table.routes.push_back(it->second);
          std::vector<std::uint32_t>& of_model = table.routes_of_model[mi];
          if (std::find(of_model.begin(), of_model.end(), it->second) == of_model.end()) of_model.push_back(it->second);
          handles.routes.push_back(RouteId{handles.models[m], handles.keys[k], it->second});
        }
      }
      out.pools.push_back(std::move(handles));
    }
  }
  return out;
}

void Memory::unregister_routes(const RouteTable& table) {
  {
    // Waits for a listener call in progress: none runs after this returns.
    std::lock_guard<std::recursive_mutex> lock(listeners_mutex_);
    listeners_.erase(table.id);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = tables_.find(table.id);
  if (found == tables_.end()) return;
  auto leave = [&](std::vector<Member>& members) {
    members.erase(std::remove_if(members.begin(), members.end(), [&](const Member& m) { return m.table == table.id; }),
                  members.end());
  };
  for (std::uint32_t i : found->second.keys) leave(keys_[i].members);
  for (std::uint32_t i : found->second.models) leave(models_[i].members);
  for (std::uint32_t i : found->second.routes) leave(routes_[i].members);
  tables_.erase(found);
}

Memory::ModelVerdict Memory::check_model(const ModelId& model, HealthTime now) {
  std::vector<Pending> pending;  // stays empty (no allocation) unless something changed
  ModelVerdict verdict;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ModelEntry& m = models_[model.index];
    const Breaker& b = m.breaker;
    if (now < m.missing_until) {
      verdict = {ModelVerdict::State::missing, m.missing_until};
    } else if (b.open) {
      if (now < b.open_until) {
        verdict = {ModelVerdict::State::breaker_open, b.open_until};
      } else {
        notice_half_open(m, now, pending);
        if (b.claim != 0 && now < b.claim_until) {
          verdict = {ModelVerdict::State::breaker_open, b.claim_until};  // another caller's trial
        } else {
          verdict = {ModelVerdict::State::trial_available, {}};
        }
      }
    }
  }
  deliver(pending);
  return verdict;
}

Memory::KeyVerdict Memory::check_route(const RouteId& route, HealthTime now) {
  std::vector<Pending> pending;
  KeyVerdict verdict;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    RouteEntry& r = routes_[route.index];
    ModelEntry& m = models_[r.model];
    end_route_cooldown(r, now, pending);  // a cooldown that ran out is noticed here
    end_model_cooldown(m, now, pending);
    const HealthTime quarantined = keys_[r.key].quarantined_until;
    const HealthTime cool = std::max(r.cool_until, m.cool_until);
    if (now < quarantined) {
      verdict = {KeyVerdict::State::quarantined, quarantined};
    } else if (now < cool) {
      verdict = {KeyVerdict::State::cooling, cool};
    }
  }
  deliver(pending);
  return verdict;
}

Memory::TrialClaim Memory::claim_trial(const ModelId& model, HealthTime now, HealthTime claim_until) {
  std::vector<Pending> pending;
  TrialClaim claim;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ModelEntry& m = models_[model.index];
    Breaker& b = m.breaker;
    if (b.open && now >= b.open_until && now >= m.missing_until) {
      notice_half_open(m, now, pending);
      if (b.claim == 0 || now >= b.claim_until) {  // free, or its holder's claim lapsed
        b.claim = next_claim_++;
        b.claim_until = claim_until;
        claim.id = b.claim;
      }
    }
  }
  deliver(pending);
  return claim;
}

void Memory::release_trial(const ModelId& model, TrialClaim claim) {
  if (!claim) return;
  std::lock_guard<std::mutex> lock(mutex_);
  Breaker& b = models_[model.index].breaker;
  if (b.claim == claim.id) b.claim = 0;
}

void Memory::quarantine_key(const KeyId& key, HealthTime now, HealthTime until) {
  update(now, [&](std::vector<Pending>& pending) {
    KeyEntry& k = keys_[key.index];
    if (until <= k.quarantined_until) return;
    k.quarantined_until = until;
    tell(k.members, HealthChange::Kind::key_quarantined, k.pool, {}, true, end_of(until), pending);
  });
}

void Memory::mark_missing(const ModelId& model, HealthTime now, HealthTime until) {
  update(now, [&](std::vector<Pending>& pending) {
    ModelEntry& m = models_[model.index];
    if (until <= m.missing_until) return;
    m.missing_until = until;
    tell_model(m, HealthChange::Kind::model_missing, end_of(until), pending);
  });
}

void Memory::cool_route(const RouteId& route, HealthTime now, HealthTime until) {
  update(now, [&](std::vector<Pending>& pending) {
    RouteEntry& r = routes_[route.index];
    if (!start_cooldown(r.cool_until, r.cool_end_told, until, now)) return;
    schedule({until, Subject::route, route.index}, r.members, now);
    tell_route(r, HealthChange::Kind::cooldown_started, end_of(until), pending);
  });
}

void Memory::cool_model(const ModelId& model, HealthTime now, HealthTime until) {
  update(now, [&](std::vector<Pending>& pending) {
    ModelEntry& m = models_[model.index];
    if (!start_cooldown(m.cool_until, m.cool_end_told, until, now)) return;
    schedule({until, Subject::model, model.index}, m.members, now);
    tell_model(m, HealthChange::Kind::cooldown_started, end_of(until), pending);
  });
}

void Memory::record_success(const RouteId& route, HealthTime now) {
  std::vector<Pending> pending;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    RouteEntry& r = routes_[route.index];
    r.failed_in_a_row = 0;
    ModelEntry& m = models_[r.model];
    Breaker& b = m.breaker;
    if (b.open) {
      b.open = false;
      b.claim = 0;
      b.trips = 0;
      b.window = {};
      tell_model(m, HealthChange::Kind::breaker_closed, std::nullopt, pending);
    }
    ++bucket(m.policy, b, now).successes;
  }
  deliver(pending);
}

void Memory::record_failure(const ModelId& model, HealthTime now, TrialClaim trial) {
  std::vector<Pending> pending;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ModelEntry& m = models_[model.index];
    const BreakerPolicy& policy = m.policy;
    if (policy.failure_ratio <= 0) return;
    Breaker& b = m.breaker;
    if (b.open) {
      // The trial failed: open again, for longer. Anyone else's failure was counted before.
      if (trial && b.claim == trial.id) trip(m, now, pending);
    } else {
      ++bucket(policy, b, now).failures;
      int successes = 0, failures = 0;
      for (const Bucket& k : b.window) {
        if (k.start + policy.window <= now) continue;  // outside the window
        successes += k.successes;
        failures += k.failures;
      }
      const int total = successes + failures;
      if (total >= policy.minimum_requests && failures >= policy.failure_ratio * total) trip(m, now, pending);
    }
  }
  deliver(pending);
}

bool Memory::record_route_failure(const RouteId& route) {
  std::lock_guard<std::mutex> lock(mutex_);
  RouteEntry& r = routes_[route.index];
  const bool failing = r.failure_limit > 0 && r.failed_in_a_row >= r.failure_limit;
  if (r.failed_in_a_row < r.failure_limit) ++r.failed_in_a_row;
  return failing;
}

bool Memory::breaker_open(const ModelId& model) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return models_[model.index].breaker.open;
}

HealthStore::BudgetVerdict Memory::take_budget(const KeyId& key, HealthTime now) {
  std::lock_guard<std::mutex> lock(mutex_);
  BudgetLog& log = keys_[key.index].budget;
  const RateBudget& budget = log.budget;
  if (!budget.enabled()) return {};
  now = log.ordered(now);
  const auto window = std::chrono::duration_cast<Wall::duration>(budget.window);
  log.forget_before(now - window);
  if (budget.requests > 0 && static_cast<std::int64_t>(log.starts.size()) >= budget.requests) {
    return {false, log.starts.front() + window};
  }
  if (budget.tokens > 0 && log.spent_total >= budget.tokens) {
    // Refused until enough of the oldest spending leaves the window.
    std::int64_t left = log.spent_total;
    for (const auto& [at, tokens] : log.spent) {
      left -= tokens;
      if (left < budget.tokens) return {false, at + window};
    }
  }
  if (budget.requests > 0) log.starts.push_back(now);
  return {};
}

void Memory::spend_tokens(const KeyId& key, std::int64_t tokens, HealthTime now) {
  std::lock_guard<std::mutex> lock(mutex_);
  BudgetLog& log = keys_[key.index].budget;
  if (log.budget.tokens <= 0 || tokens <= 0) return;
  now = log.ordered(now);
  log.forget_before(now - std::chrono::duration_cast<Wall::duration>(log.budget.window));
  log.spent.emplace_back(now, tokens);
  log.spent_total += tokens;
}

void Memory::apply_breaker_open(const ModelId& model, HealthTime now, HealthTime until) {
  std::vector<Pending> pending;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ModelEntry& m = models_[model.index];
    Breaker& b = m.breaker;
    if (until <= now || (b.open && b.open_until >= until)) return;
    const bool was_open = b.open;
    b.open = true;
    b.open_until = until;
    b.half_open_told = false;
    b.claim = 0;
    b.window = {};
    if (!was_open) tell_model(m, HealthChange::Kind::breaker_opened, until, pending);
  }
  deliver(pending);
}

void Memory::apply_breaker_closed(const ModelId& model) {
  std::vector<Pending> pending;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ModelEntry& m = models_[model.index];
    Breaker& b = m.breaker;
    if (!b.open) return;
    b.open = false;
    b.claim = 0;
    b.trips = 0;
    b.window = {};
    tell_model(m, HealthChange::Kind::breaker_closed, std::nullopt, pending);
  }
  deliver(pending);
}

std::optional<HealthTime> Memory::earliest_cooldown_end(const RouteTable& table, HealthTime now) {
  std::vector<Pending> pending;
  std::optional<HealthTime> earliest;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    expire(now, pending);
    auto found = tables_.find(table.id);
    if (found != tables_.end()) {
      DueHeap& waits = found->second.waits;
      // Lazy deletion: what surfaces and no longer matters is dropped for good (deadlines only
      // grow while set, so an entry that is not useful now never becomes useful).
      while (!waits.empty() && (waits.top().at <= now || !wait_still_useful(found->second, waits.top()))) {
        waits.pop();
      }
      if (!waits.empty()) earliest = waits.top().at;
    }
  }
  deliver(pending);
  return earliest;
}

void Memory::snapshot(const RouteTable& table, HealthTime now, HealthSnapshot& out) const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (std::size_t pi = 0; pi < table.pools.size() && pi < out.pools.size(); ++pi) {
    const RouteTable::Pool& p = table.pools[pi];
    PoolHealth& ph = out.pools[pi];
    for (std::size_t k = 0; k < p.keys.size() && k < ph.keys.size(); ++k) {
      const HealthTime until = keys_[p.keys[k].index].quarantined_until;
      if (now < until) {
        ph.keys[k].state = KeyHealth::State::quarantined;
        ph.keys[k].reset_in = remaining(until, now);
      }
    }
    for (std::size_t mi = 0; mi < p.models.size() && mi < ph.models.size(); ++mi) {
      const ModelEntry& m = models_[p.models[mi].index];
      ModelHealth& mh = ph.models[mi];
      if (now < m.missing_until) {
        mh.state = ModelHealth::State::missing;
        mh.reset_in = remaining(m.missing_until, now);
      } else if (m.breaker.open) {
        const bool waiting = now < m.breaker.open_until;
        mh.state = waiting ? ModelHealth::State::breaker_open : ModelHealth::State::breaker_half_open;
        if (waiting) mh.reset_in = remaining(m.breaker.open_until, now);
      }
      for (std::size_t k = 0; k < p.keys.size() && k < ph.keys.size(); ++k) {
        const HealthTime cool = std::max(routes_[p.routes[mi * p.keys.size() + k].index].cool_until, m.cool_until);
        if (now < cool) {
          mh.cooldowns.push_back({ph.keys[k].label, remaining(cool, now).value_or(std::chrono::milliseconds::max())});
        }
      }
    }
  }
}

void Memory::sweep(HealthTime now) {
  std::vector<Pending> pending;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    expire(now, pending);
  }
  deliver(pending);
}

}  // namespace detail::in_memory

HealthStore::~HealthStore() = default;
HealthStore::BudgetVerdict HealthStore::take_budget(const KeyId&, HealthTime) { return {}; }
void HealthStore::spend_tokens(const KeyId&, std::int64_t, HealthTime) {}

struct InMemoryHealthStore::State : detail::in_memory::Memory {};

InMemoryHealthStore::InMemoryHealthStore() : state_(std::make_unique<State>()) {}
InMemoryHealthStore::~InMemoryHealthStore() = default;

RouteTable InMemoryHealthStore::register_routes(const std::vector<PoolRoutes>& pools, const HealthPolicy& policy,
                                                HealthListener listener) {
  return state_->register_routes(pools, policy, std::move(listener));
}
void InMemoryHealthStore::unregister_routes(const RouteTable& table) { state_->unregister_routes(table); }
HealthStore::ModelVerdict InMemoryHealthStore::check_model(const ModelId& model, HealthTime now) {
  return state_->check_model(model, now);
}
HealthStore::KeyVerdict InMemoryHealthStore::check_route(const RouteId& route, HealthTime now) {
  return state_->check_route(route, now);
}
HealthStore::TrialClaim InMemoryHealthStore::claim_trial(const ModelId& model, HealthTime now, HealthTime claim_until) {
  return state_->claim_trial(model, now, claim_until);
}
void InMemoryHealthStore::release_trial(const ModelId& model, TrialClaim claim) { state_->release_trial(model, claim); }
void InMemoryHealthStore::quarantine_key(const KeyId& key, HealthTime now, HealthTime until) {
  state_->quarantine_key(key, now, until);
}
void InMemoryHealthStore::mark_missing(const ModelId& model, HealthTime now, HealthTime until) {
  state_->mark_missing(model, now, until);
}
void InMemoryHealthStore::cool_route(const RouteId& route, HealthTime now, HealthTime until) {
  state_->cool_route(route, now, until);
}
void InMemoryHealthStore::cool_model(const ModelId& model, HealthTime now, HealthTime until) {
  state_->cool_model(model, now, until);
}
void InMemoryHealthStore::record_success(const RouteId& route, HealthTime now) { state_->record_success(route, now); }
void InMemoryHealthStore::record_failure(const ModelId& model, HealthTime now, TrialClaim trial) {
  state_->record_failure(model, now, trial);
}
bool InMemoryHealthStore::record_route_failure(const RouteId& route) { return state_->record_route_failure(route); }
bool InMemoryHealthStore::breaker_open(const ModelId& model) const { return state_->breaker_open(model); }
HealthStore::BudgetVerdict InMemoryHealthStore::take_budget(const KeyId& key, HealthTime now) {
  return state_->take_budget(key, now);
}
void InMemoryHealthStore::spend_tokens(const KeyId& key, std::int64_t tokens, HealthTime now) {
  state_->spend_tokens(key, tokens, now);
}
void InMemoryHealthStore::apply_breaker_open(const ModelId& model, HealthTime now, HealthTime until) {
  state_->apply_breaker_open(model, now, until);
}
void InMemoryHealthStore::apply_breaker_closed(const ModelId& model) { state_->apply_breaker_closed(model); }
std::optional<HealthTime> InMemoryHealthStore::earliest_cooldown_end(const RouteTable& table, HealthTime now) {
  return state_->earliest_cooldown_end(table, now);
}
void InMemoryHealthStore::snapshot(const RouteTable& table, HealthTime now, HealthSnapshot& out) const {
  state_->snapshot(table, now, out);
}
void InMemoryHealthStore::sweep(HealthTime now) { state_->sweep(now); }

}  // namespace polyrouter
