#pragma once
/// @file Watching an orchestrator: one interface for every event of a request and of its health.
///
/// Every event goes through one fan-out, in this order: the orchestrator's own counters (behind
/// Orchestrator::stats() and Orchestrator::metrics_text(), always there), then
/// OrchestratorConfig::events (the callback form, an Observer adapter), then each of
/// OrchestratorConfig::observers in order.
///
/// **Threads.** A hook runs on the thread that drives the request:
/// - request() and stream(): the calling thread;
/// - request_async() and stream_async(): the orchestrator's event-loop thread, for every hook
///   of the request. A pool with your own LLMClient runs that client on a worker thread, but its
///   result is posted back to the loop, and on_attempt_end runs there.
/// - One exception: when the orchestrator is destroyed with async requests in flight, their
///   on_request_end runs on the thread destroying it.
/// Hooks of one request never overlap; hooks of different requests may run at the same time on
/// different threads, so an observer shared by requests must be thread-safe. On the async path
/// every request shares the loop: a hook must be short and must not block.
///
/// **Exceptions.** Hooks must not throw. One that does is caught, logged at warn level on the
/// "polyrouter" logger with the request id and the hook's name, and ignored: the request goes
/// on and the other observers are still called.
///
/// The arguments are valid only during the call; copy what you keep.

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "polyrouter/errors.hpp"
#include "polyrouter/export.hpp"
#include "polyrouter/health_change.hpp"
#include "polyrouter/provider.hpp"
#include "polyrouter/response.hpp"

namespace polyrouter {

/// The request an event belongs to.
struct POLYROUTER_API RequestInfo {
  /// "pr-42": unique within the process. The same id is on every log line of the request, in
  /// Response::request_id, CallOptions::request_id and ErrorContext::request_id.
  std::string_view id;
  bool stream = false;  ///< stream() or stream_async()
  bool async = false;   ///< request_async() or stream_async(): the hooks run on the event loop
};

/// A round trip about to start.
struct POLYROUTER_API AttemptStart {
  std::string_view pool;
  Provider provider = Provider::openai_compatible;
  std::string_view model;
  std::string_view key_label;  ///< e.g. "GROQ_API_KEY1", never the key
  int retry = 0;               ///< 0: the first try of this (pool, model, key) in the request; n: its n-th retry
  std::size_t number = 1;      ///< this attempt's place in the request, from 1
};

/// How a request ended.
struct POLYROUTER_API RequestEnd {
  const Response* response = nullptr;  ///< the answer; null when the request failed
  /// What it failed with; nullopt when answered. ErrorKind::unknown when your own stream
  /// callback threw (the exception is yours and reaches you as it is).
  std::optional<ErrorKind> error;
  std::string_view error_message;        ///< the error's what(); empty when answered
  std::size_t attempts = 0;              ///< round trips made
  std::chrono::milliseconds duration{0}; ///< from on_request_start, on the orchestrator's clock
};

/// Receives what an orchestrator does. Override the hooks you need; each does nothing by default.
/// Per request the order is: on_request_start; then per attempt on_attempt_start and
/// on_attempt_end (on_fallback before the attempt start that follows a failure on another
/// combination); on_exhausted when every route failed; on_request_end last, before the caller
/// gets the answer or the error.
class POLYROUTER_API Observer {
 public:
  virtual ~Observer() = default;

  /// The request starts walking.
  virtual void on_request_start(const RequestInfo& /*request*/) {}
  /// A round trip starts.
  virtual void on_attempt_start(const RequestInfo& /*request*/, const AttemptStart& /*attempt*/) {}
  /// A round trip finished (any outcome); Attempt::provider_request_id is the provider's id.
  virtual void on_attempt_end(const RequestInfo& /*request*/, const Attempt& /*attempt*/) {}
  /// The walk moves on from @p failed to another (pool, model, key).
  virtual void on_fallback(const RequestInfo& /*request*/, const Attempt& /*failed*/) {}
  /// Every route failed: the request ends in AllClientsExhaustedError (or, for a stream that had
  /// delivered text, StreamInterruptedError). @p attempts: every round trip made.
  virtual void on_exhausted(const RequestInfo& /*request*/, const std::vector<Attempt>& /*attempts*/) {}
  /// The request ended: called once for every on_request_start.
  virtual void on_request_end(const RequestInfo& /*request*/, const RequestEnd& /*end*/) {}
  /// The health store learned or forgot something about this orchestrator's routes
  /// (quarantine, missing model, cooldown start or end, breaker open, half-open or close). Runs
  /// on the thread whose call to the store made the change known: usually this orchestrator's
  /// request (its thread, or the event loop, as above), but with a store shared by several
  /// orchestrators it may be another one's request thread, and a store that learns from
  /// elsewhere (another process) may call it from its own thread. Not tied to a request.
  /// The orchestrator's counters count them by kind.
  virtual void on_health_change(const HealthChange& /*change*/) {}
};

/// The callback form of an Observer, kept for compatibility: OrchestratorConfig::events runs
/// through the same fan-out, on the same threads and under the same rules (must not throw).
struct POLYROUTER_API Events {
  std::function<void(const Attempt&)> on_attempt;  ///< every finished round trip (on_attempt_end)
  /// the walk moved on from @p failed to the next (pool, model, key) (on_fallback)
  std::function<void(const Attempt& failed)> on_fallback;
  std::function<void(const std::vector<Attempt>& attempts)> on_exhausted;  ///< (on_exhausted)
};

}  // namespace polyrouter
