#pragma once
/// @file Where an orchestrator keeps what it learns about its routes: the HealthStore seam, and
/// InMemoryHealthStore, the default. See docs/health-store.md for the contract in full.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "polyrouter/config.hpp"
#include "polyrouter/export.hpp"
#include "polyrouter/health_change.hpp"
#include "polyrouter/observe.hpp"
#include "polyrouter/rate_limits.hpp"

namespace polyrouter {

/// Health deadlines are absolute system time, so that another process (or a server, through
/// a TTL) can read them. The orchestrator passes its own notion of now (OrchestratorConfig::clock).
using HealthTime = std::chrono::system_clock::time_point;

/// A deadline that never passes: remembered for the store's lifetime.
inline constexpr HealthTime health_forever = HealthTime::max();

/// A key's stable identity: HMAC-SHA256 of the key under a secret, its first 128 bits. The same
/// key and secret give the same fingerprint in every process; without the secret it tells
/// nothing about the key. Stores identify keys by it, never by the key or an unkeyed hash.
struct POLYROUTER_API KeyFingerprint {
  std::array<std::uint8_t, 16> bytes{};

  /// @throws ConfigError when @p secret is empty (that would be an unkeyed hash).
  static KeyFingerprint of(std::string_view secret, std::string_view key);
  /// 32 lower-case hex digits, e.g. for a remote store's key names.
  std::string hex() const;

  friend bool operator==(const KeyFingerprint& a, const KeyFingerprint& b) { return a.bytes == b.bytes; }
  friend bool operator!=(const KeyFingerprint& a, const KeyFingerprint& b) { return a.bytes != b.bytes; }
  friend bool operator<(const KeyFingerprint& a, const KeyFingerprint& b) { return a.bytes < b.bytes; }
};

/// A key as a store sees it.
struct POLYROUTER_API KeyIdentity {
  KeyFingerprint fingerprint;  ///< the identity
  std::string label;           ///< for display only (HealthChange, snapshots), e.g. "GROQ_API_KEY0"
};

/// One pool's routes by stable identity: a route is (pool name, model, key fingerprint).
struct POLYROUTER_API PoolRoutes {
  std::string name;
  std::vector<std::string> models;  ///< in the pool's order
  std::vector<KeyIdentity> keys;    ///< in the pool's order
  RateBudget budget;                ///< each key's (PoolConfig::rate_budget)
};

/// The rules a store applies to what it learns about the routes registered with it.
struct POLYROUTER_API HealthPolicy {
  BreakerPolicy breaker;
  int route_failure_limit = 3;  ///< see RetryPolicy::route_failure_limit
};

/// The store's own number for a (pool, model).
struct POLYROUTER_API ModelId {
  std::uint32_t index = 0;
};
/// The store's own number for a (pool, key fingerprint).
struct POLYROUTER_API KeyId {
  std::uint32_t index = 0;
};
/// The store's own numbers for a (pool, model, key fingerprint), its model and its key.
struct POLYROUTER_API RouteId {
  ModelId model;
  KeyId key;
  std::uint32_t index = 0;
};

/// What HealthStore::register_routes() hands back: handles for every model, key and route, in
/// the order given, so that no identity is built or hashed per request. Only the store that
/// made them understands them.
struct POLYROUTER_API RouteTable {
  struct Pool {
    std::vector<ModelId> models;
    std::vector<KeyId> keys;
    std::vector<RouteId> routes;  ///< models × keys, model-major
  };
  std::uint32_t id = 0;  ///< the registration, for earliest_cooldown_end(), snapshot(), unregister_routes()
  std::vector<Pool> pools;

  const RouteId& route(std::size_t pool, std::size_t model, std::size_t key) const {
    const Pool& p = pools[pool];
    return p.routes[model * p.keys.size() + key];
  }
};

/// Told what the store starts or stops believing about a registered route (see HealthChange).
using HealthListener = std::function<void(const HealthChange&)>;

/// What an orchestrator has learned about its routes: quarantined keys, missing models,
/// cooldowns, circuit breakers. One store may serve several orchestrators (a fleet's shared
/// memory, or two orchestrators in one process): what one learns, the others act on.
///
/// The contract every implementation keeps:
/// - **No waiting.** Every method returns without network or disk I/O and without waiting on
///   anything but the store's own short lock (take_budget() alone may run one bounded command):
///   the walk calls them on a request's path, and on the event-loop thread. A remote store serves a local view, refreshes it in the background
///   (e.g. pub/sub) and writes what it learns through in the background.
/// - **Thread-safe.** Any method may be called from any number of threads at once.
/// - **Later deadlines win.** Learning a deadline never shortens one already set, atomically.
/// - **Listeners outside the lock.** A registration's listener is called after the store's
///   lock is released, on the thread whose call noticed the change; calls are serialized, and
///   none is running once unregister_routes() returned. A listener may call the store's other
///   methods; it must not throw, nor call register_routes() or unregister_routes().
/// - **Times are system time** (HealthTime), and each call gets the caller's now: the store
///   reads no clock of its own (a remote store turns deadline - now into a server-side TTL).
class POLYROUTER_API HealthStore {
 public:
  /// Can a model be tried now?
  struct ModelVerdict {
    enum class State {
      usable,
      missing,          ///< the provider said it does not exist (until `until`)
      breaker_open,     ///< failing: skip it (until `until`, or while another caller holds the trial)
      trial_available,  ///< half-open: whoever claims the trial (claim_trial()) may try it once
    };
    State state = State::usable;
    HealthTime until{};
  };

  /// Can a route (a key on a model) be tried now?
  struct KeyVerdict {
    enum class State { usable, quarantined, cooling };
    State state = State::usable;
    HealthTime until{};
  };

  /// May a key start one more attempt within its rate budget?
  struct BudgetVerdict {
    bool granted = true;
    HealthTime until{};  ///< when refused: the soonest it may be granted
  };

  /// A held half-open trial; false = not granted.
  struct TrialClaim {
    std::uint64_t id = 0;
    explicit operator bool() const noexcept { return id != 0; }
  };

  virtual ~HealthStore();

  /// Interns @p pools' identities and returns their handles; @p listener (may be empty) hears
  /// every change to these routes from then on, with the labels given here. A route already
  /// known (same pool name, model, fingerprint) shares its state. A model's breaker follows the
  /// policy of the registration that first named it. Called at an orchestrator's construction.
  virtual RouteTable register_routes(const std::vector<PoolRoutes>& pools, const HealthPolicy& policy,
                                     HealthListener listener) = 0;
  /// Forgets the registration (its listener, its earliest-reset index); what was learned stays.
  virtual void unregister_routes(const RouteTable& table) = 0;

  /// Missing, breaker open, or half-open with the trial free. Claims nothing.
  virtual ModelVerdict check_model(const ModelId& model, HealthTime now) = 0;
  /// Quarantined or cooling (per route, or for the whole model).
  virtual KeyVerdict check_route(const RouteId& route, HealthTime now) = 0;

  /// Claims a half-open breaker's one trial until @p claim_until: granted to one caller at a
  /// time; a claim not ended by then lapses, so a claimant that vanished blocks nobody.
  virtual TrialClaim claim_trial(const ModelId& model, HealthTime now, HealthTime claim_until) = 0;
  /// The trial ended in neither success nor transient failure: the next caller may claim it.
  /// A claim that lapsed and was claimed again is left alone.
  virtual void release_trial(const ModelId& model, TrialClaim claim) = 0;

  /// The key was rejected (401/403): out of every model of its pool until @p until.
  virtual void quarantine_key(const KeyId& key, HealthTime now, HealthTime until) = 0;
  /// The model does not exist for the pool until @p until.
  virtual void mark_missing(const ModelId& model, HealthTime now, HealthTime until) = 0;
  /// Rate-limited: the route cools until @p until.
  virtual void cool_route(const RouteId& route, HealthTime now, HealthTime until) = 0;
  /// Shared quota or provider-wide capacity: the model cools for every key until @p until.
  virtual void cool_model(const ModelId& model, HealthTime now, HealthTime until) = 0;

  /// The route answered: the model's breaker counts a success (and closes if open) and the
  /// route's transient-failure streak ends.
  virtual void record_success(const RouteId& route, HealthTime now) = 0;
  /// A request the model failed transiently (once per request, whatever its retries): may open
  /// the breaker on the window's failure ratio. With @p trial (the caller's claim), the
  /// half-open trial failed: the breaker opens again, for longer.
  virtual void record_failure(const ModelId& model, HealthTime now, TrialClaim trial) = 0;
  /// One attempt on the route failed transiently. Returns whether its previous
  /// route_failure_limit attempts had all failed already (then it gets no same-route retries).
  virtual bool record_route_failure(const RouteId& route) = 0;
  /// Whether the model's breaker is open (claims nothing).
  virtual bool breaker_open(const ModelId& model) const = 0;

  /// Takes one attempt from the key's rate budget (PoolRoutes::budget), when it has one: refused
  /// while the window holds its `requests`, or its `tokens` are spent. The one method allowed a
  /// network round trip: a shared store runs one atomic, bounded command here, and answers from
  /// its own memory when that fails. The default grants everything (no budgets).
  virtual BudgetVerdict take_budget(const KeyId& key, HealthTime now);
  /// Counts @p tokens (an answer's usage) against the key's token budget. Never waits.
  /// The default does nothing.
  virtual void spend_tokens(const KeyId& key, std::int64_t tokens, HealthTime now);

  /// The soonest a cooling route of @p table becomes usable (its key not quarantined, its model
  /// not missing beyond that); nullopt when none will. Without scanning every entry.
  virtual std::optional<HealthTime> earliest_cooldown_end(const RouteTable& table, HealthTime now) = 0;
  /// Fills @p out (laid out as @p table: pools, models, keys, names already set) at @p now.
  virtual void snapshot(const RouteTable& table, HealthTime now, HealthSnapshot& out) const = 0;
  /// Reports cooldowns whose deadline passed by @p now (cooldown_ended) to the listeners.
  virtual void sweep(HealthTime now) = 0;
};

/// The default store: what one process learns, in memory. Lookups are O(1) array reads under
/// one mutex; deadlines wait in min-heaps (lazy deletion), so the earliest reset and sweeps
/// look only at what is due. Identities registered stay until the store goes.
class POLYROUTER_API InMemoryHealthStore : public HealthStore {
 public:
  InMemoryHealthStore();
  ~InMemoryHealthStore() override;
  InMemoryHealthStore(const InMemoryHealthStore&) = delete;
  InMemoryHealthStore& operator=(const InMemoryHealthStore&) = delete;

  RouteTable register_routes(const std::vector<PoolRoutes>& pools, const HealthPolicy& policy,
                             HealthListener listener) override;
  void unregister_routes(const RouteTable& table) override;
  ModelVerdict check_model(const ModelId& model, HealthTime now) override;
  KeyVerdict check_route(const RouteId& route, HealthTime now) override;
  TrialClaim claim_trial(const ModelId& model, HealthTime now, HealthTime claim_until) override;
  void release_trial(const ModelId& model, TrialClaim claim) override;
  void quarantine_key(const KeyId& key, HealthTime now, HealthTime until) override;
  void mark_missing(const ModelId& model, HealthTime now, HealthTime until) override;
  void cool_route(const RouteId& route, HealthTime now, HealthTime until) override;
  void cool_model(const ModelId& model, HealthTime now, HealthTime until) override;
  void record_success(const RouteId& route, HealthTime now) override;
  void record_failure(const ModelId& model, HealthTime now, TrialClaim trial) override;
  bool record_route_failure(const RouteId& route) override;
  bool breaker_open(const ModelId& model) const override;
  BudgetVerdict take_budget(const KeyId& key, HealthTime now) override;
  void spend_tokens(const KeyId& key, std::int64_t tokens, HealthTime now) override;
  std::optional<HealthTime> earliest_cooldown_end(const RouteTable& table, HealthTime now) override;
  void snapshot(const RouteTable& table, HealthTime now, HealthSnapshot& out) const override;
  void sweep(HealthTime now) override;

  /// For a store that keeps its local view here (RedisHealthStore): a breaker another process
  /// opened until @p until (opened here too, without counting a trip), or closed.
  void apply_breaker_open(const ModelId& model, HealthTime now, HealthTime until);
  void apply_breaker_closed(const ModelId& model);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace polyrouter
