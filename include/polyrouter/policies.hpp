#pragma once
/// @file How an orchestrator retries, cools down, breaks circuits, times out and tells time.

#include <chrono>
#include <functional>
#include <optional>

#include "polyrouter/export.hpp"

namespace polyrouter {

using Milliseconds = std::chrono::milliseconds;

/// What a stream does when its route fails after text reached the caller (the commit point).
enum class StreamRecovery {
  /// Run the request again on the next route; the caller is told to discard what it received
  /// (StreamCallbacks::on_restart) and then gets the new answer from its start.
  restart,
  /// Ask the next route to continue from the partial text (an assistant prefill) and deliver
  /// only the continuation. For pools whose models accept a prefill; a route that rejects it
  /// is asked again from the start (restart).
  continue_partial,
  /// Raise StreamInterruptedError with the partial text.
  surface,
};

/// Retries of transient faults (5xx, 408, 409, connection errors, timeouts, malformed JSON).
struct POLYROUTER_API RetryPolicy {
  int max_retries = 2;                ///< per (pool, model, key); moving on is never limited by it
  Milliseconds initial_backoff{500};
  Milliseconds max_backoff{8000};
  double multiplier = 2.0;
  /// Each delay is shortened by up to this fraction. The default is "full jitter": many
  /// requests failing together would otherwise wake together and hit the upstream in waves.
  double jitter = 1.0;
  Milliseconds max_retry_hint{10000}; ///< a server's Retry-After replaces the backoff, capped here
  /// A (pool, model, key) whose last this-many attempts all failed transiently gets no retries
  /// (one attempt, then the walk moves on) until it answers again, so a key that always fails
  /// does not cost every request its backoff (0 = no limit).
  int route_failure_limit = 3;
};

/// gRPC-style retry throttle: each request that failed transiently costs one token, each
/// answered request returns token_ratio; retries are allowed only while more than half the
/// tokens remain. Counted per request, not per attempt: a key that always fails must not starve
/// the retries that rescue requests on the healthy keys.
struct POLYROUTER_API RetryThrottlePolicy {
  bool enabled = true;
  double max_tokens = 10.0;
  double token_ratio = 0.1;
};

/// How long learned failures are remembered.
struct POLYROUTER_API CooldownPolicy {
  Milliseconds rate_limit_default{60000};        ///< when a 429 carries no hint
  std::optional<Milliseconds> invalid_key_ttl;   ///< nullopt = the orchestrator's lifetime
  std::optional<Milliseconds> missing_model_ttl; ///< nullopt = the orchestrator's lifetime
  /// Per-day walls (RPD, TPD, Gemini PerDay) cool at least this long, whatever the hint says.
  Milliseconds daily_limit_minimum{600000};
  /// A key with no quota for a model (Gemini "limit: 0") keeps out of it this long.
  Milliseconds no_quota{6 * 3600 * 1000};
  /// A provider's edge blocking the caller's network (Cloudflare "Attention Required") cools
  /// the whole pool this long; its keys are not to blame and stay usable afterwards.
  Milliseconds network_block{300000};
};

/// Per (pool, model) circuit breaker. It counts one outcome per request (a request that got its
/// answer from the model, on whichever key and after whatever retries, is a success) and opens
/// on the failure ratio over a sliding window, as Envoy's outlier detection and Hystrix do.
struct POLYROUTER_API BreakerPolicy {
  double failure_ratio = 0.5;           ///< opens when this share of the window's requests failed (0 = never)
  int minimum_requests = 20;            ///< ...and the window holds at least this many
  Milliseconds window{10000};           ///< how far back outcomes count
  Milliseconds open_duration{2000};     ///< the first open interval; then one trial request (half-open)
  Milliseconds max_open_duration{60000}; ///< each trip in a row doubles the interval, up to this
};

/// Time limits.
struct POLYROUTER_API Timeouts {
  Milliseconds connect{5000};
  Milliseconds attempt{60000};   ///< one round trip
  Milliseconds total{180000};    ///< one request: bounds retries, waits and failover
  Milliseconds max_wait{0};      ///< wait this long for a cooldown to end rather than fail
  /// Streams: fail over when no model output (text, reasoning or a tool call) came within this.
  Milliseconds first_delta{15000};
  Milliseconds stall{30000};     ///< streams: after the first delta, the longest silence allowed
};


/// What a content-filter block does.
enum class ContentFilterPolicy { surface, next };

/// Time as the orchestrator sees it. Injectable so tests of cooldowns and backoff never sleep.
struct POLYROUTER_API Clock {
  std::function<std::chrono::steady_clock::time_point()> now;  ///< empty = steady_clock::now
  std::function<void(std::chrono::steady_clock::duration)> sleep; ///< empty = this_thread::sleep_for
  /// Wall time, for the health store's deadlines (another process can read them). Empty =
  /// system_clock::now, or, when `now` is injected, `now` plus the offset between the two clocks
  /// taken once at construction, so an injected `now` drives health deadlines as well.
  std::function<std::chrono::system_clock::time_point()> system_now;
};

}  // namespace polyrouter
