#pragma once
/// @file What an orchestrator lets you observe: counters and the health it has learned.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "polyrouter/export.hpp"
#include "polyrouter/health_change.hpp"
#include "polyrouter/provider.hpp"
#include "polyrouter/response.hpp"

namespace polyrouter {

/// Counters since construction, kept by the orchestrator's own observer (see observer.hpp;
/// Orchestrator::metrics_text() shows them with latencies and health as Prometheus text).
struct POLYROUTER_API Stats {
  std::uint64_t requests = 0;     ///< started (on_request_start)
  std::uint64_t successes = 0;    ///< answered
  std::uint64_t fallbacks = 0;    ///< times the walk moved on to another combination
  std::uint64_t exhaustions = 0;  ///< requests that ended in AllClientsExhaustedError
  std::map<AttemptOutcome, std::uint64_t> attempts;  ///< round trips by outcome
  std::map<HealthChange::Kind, std::uint64_t> health_changes;  ///< what the health store reported, by kind
};

/// Health of one key in a pool.
struct POLYROUTER_API KeyHealth {
  enum class State { ok, quarantined };
  std::string label;
  State state = State::ok;
  std::optional<std::chrono::milliseconds> reset_in;  ///< quarantine end; nullopt = ok or forever
};

/// A (model, key) cooling down after a rate limit.
struct POLYROUTER_API Cooldown {
  std::string key_label;
  std::chrono::milliseconds reset_in{0};
};

/// Health of one model in a pool.
struct POLYROUTER_API ModelHealth {
  enum class State { ok, missing, breaker_open, breaker_half_open };
  std::string model;
  State state = State::ok;
  std::optional<std::chrono::milliseconds> reset_in;  ///< when missing ends or the breaker half-opens
  std::vector<Cooldown> cooldowns;
};

/// Health of one pool.
struct POLYROUTER_API PoolHealth {
  std::string name;
  Provider provider = Provider::openai_compatible;
  std::vector<ModelHealth> models;
  std::vector<KeyHealth> keys;
};

/// Everything the orchestrator has learned, at one instant.
struct POLYROUTER_API HealthSnapshot {
  std::vector<PoolHealth> pools;
};

POLYROUTER_API std::string_view to_string(KeyHealth::State state) noexcept;
POLYROUTER_API std::string_view to_string(ModelHealth::State state) noexcept;

/// A readable multi-line rendering of a snapshot.
POLYROUTER_API std::string format_health(const HealthSnapshot& snapshot);

}  // namespace polyrouter
