#pragma once
/// @file One thing an orchestrator learned, or stopped believing, about a route.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "polyrouter/export.hpp"

namespace polyrouter {

/// A change in what the health store believes. Reported by the store (it alone sees a
/// breaker half-open or a cooldown run out) to the orchestrator's Observer.
struct POLYROUTER_API HealthChange {
  enum class Kind {
    key_quarantined,      ///< the key was rejected: out of every model of its pool
    model_missing,        ///< the model does not exist for this pool
    cooldown_started,     ///< a (model, key) rate-limited, or a whole model/pool when key_label is empty
    cooldown_ended,       ///< noticed when the route was next looked at after its deadline
    breaker_opened,
    breaker_half_opened,  ///< one trial request may go through
    breaker_closed,
  };
  Kind kind = Kind::cooldown_started;
  std::string pool;
  std::string model;      ///< empty: every model of the pool
  std::string key_label;  ///< empty: every key (shown as its label, never its value)
  /// When it ends (system time, so another process can read it); nullopt = no set end.
  std::optional<std::chrono::system_clock::time_point> until;
};

/// "key_quarantined", "cooldown_started", ...
POLYROUTER_API std::string_view to_string(HealthChange::Kind kind) noexcept;

}  // namespace polyrouter
