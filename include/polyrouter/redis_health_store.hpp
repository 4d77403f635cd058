#pragma once
/// @file RedisHealthStore: a fleet of processes shares what it learns through Redis (or Valkey),
/// without a network round trip in front of a request. See docs/scale-out.md.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "polyrouter/export.hpp"
#include "polyrouter/health_store.hpp"

namespace polyrouter {

/// Where the fleet's Redis is and how the store talks to it.
struct POLYROUTER_API RedisStoreOptions {
  /// `redis://[[user]:password@]host[:port][/db]`, `rediss://…` (TLS, the server's certificate
  /// verified against the system's trust store and `tls_ca_file`), or `unix:///path/to.sock[?db=N]`.
  /// The password is never logged nor put in a message.
  std::string url;
  /// Every key and the pub/sub channel start with it: fleets sharing one Redis keep apart.
  std::string prefix = "polyrouter:";
  /// rediss://: a PEM file of certificate authorities trusted besides the system's.
  std::string tls_ca_file;
  /// Bounds each command, and a connection take_budget() makes on a request's path, so a slow
  /// or silent server costs a request at most this (only take_budget() waits on it at all).
  std::chrono::milliseconds timeout{50};
  /// Bounds the background work (the listener's and the writer's connections, TLS handshake
  /// included, and their commands): never on a request's path.
  std::chrono::milliseconds connect_timeout{1000};
  /// How soon a lost connection is tried again (doubling up to 2 s while the server stays down).
  std::chrono::milliseconds reconnect_interval{100};
  /// Places the deadlines other processes share (sent as time left) on the local clock. Empty
  /// = the system clock. Give the orchestrator's Clock::system_now when it has one.
  std::function<HealthTime()> clock;
};

/// What the store has done, for tests, benchmarks and dashboards.
struct POLYROUTER_API RedisStoreStats {
  bool connected = false;             ///< the background connection is up and in sync
  std::uint64_t outages = 0;          ///< times the server was lost (each logged once)
  std::uint64_t syncs = 0;            ///< full reads of the shared state (at each (re)connection)
  std::uint64_t writes = 0;           ///< learned facts written to the server
  std::uint64_t writes_dropped = 0;   ///< dropped from a full queue while the server was away
                                      ///< (the facts among them are written back on reconnection)
  std::uint64_t remote_updates = 0;   ///< facts learned from other processes
  std::uint64_t budget_takes = 0;     ///< take_budget() answered by the server
  std::uint64_t budget_local = 0;     ///< take_budget() answered from local memory (server away)
  std::uint64_t commands = 0;         ///< commands sent, every connection
};

/// A HealthStore shared by every process configured with the same Redis, prefix and
/// OrchestratorConfig::key_fingerprint_secret. Reads come from a local view (an
/// InMemoryHealthStore) kept current by pub/sub; what this process learns is applied locally
/// at once and written through in the background by atomic scripts that keep the later
/// deadline, with TTLs on the server's clock. Only rate budgets (take_budget()) ask the server
/// on the request's path, one bounded script each, and only for pools that have a budget.
/// While the server is down, slow or flushed, the store answers from its local view.
class POLYROUTER_API RedisHealthStore : public HealthStore {
 public:
  /// Starts connecting in the background: an unreachable server is not an error here.
  /// @throws ConfigError for a URL it cannot use (the message never shows the password).
  explicit RedisHealthStore(RedisStoreOptions options);
  ~RedisHealthStore() override;
  RedisHealthStore(const RedisHealthStore&) = delete;
  RedisHealthStore& operator=(const RedisHealthStore&) = delete;

  /// Waits up to @p timeout for the connection and the first full read of the shared state;
  /// whether it came. For processes that would rather start knowing what the fleet knows.
  bool wait_until_synced(std::chrono::milliseconds timeout) const;
  RedisStoreStats stats() const;
  /// The URL with its password masked, for logs.
  std::string display_url() const;

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

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace polyrouter
