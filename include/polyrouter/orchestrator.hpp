#pragma once
/// @file The Orchestrator: one request, many providers, models and keys.

#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "polyrouter/environment.hpp"
#include "polyrouter/delta_callback.hpp"
#include "polyrouter/export.hpp"
#include "polyrouter/observe.hpp"
#include "polyrouter/response.hpp"

namespace polyrouter {

struct ChatRequest;  // chat.hpp: include it to build one (it brings nlohmann/json)

/// Per-request overrides of the configured time limits.
struct POLYROUTER_API RequestOptions {
  std::optional<std::chrono::milliseconds> max_wait;  ///< wait for a cooldown up to this
  std::optional<std::chrono::milliseconds> deadline;  ///< total time for this request
  std::optional<std::chrono::milliseconds> attempt_timeout;
};

/// Sent to a stream's caller when its route failed after text was delivered and the request
/// starts over on another route (StreamRecovery::restart): the text received so far is void.
struct POLYROUTER_API StreamRestart {
  std::size_t discarded_bytes = 0;  ///< how much of what the caller received is void
  Attempt failed;                   ///< the attempt that was cut (its error says why)
};

/// A stream's callbacks. `on_delta` gets each text delta; `on_restart`, when set, is called
/// before the first delta of a restarted answer. Without it a restart is silent: the deltas of
/// the new answer follow what arrived, and only Response::text is the clean answer.
struct POLYROUTER_API StreamCallbacks {
  DeltaCallback on_delta;
  std::function<void(const StreamRestart&)> on_restart;
};

/// Walks pools × models × keys in order and answers with the first success, remembering
/// what failed. One Orchestrator serves many threads; what it learns is shared among them.
class POLYROUTER_API Orchestrator {
 public:
  /// @throws ConfigError (no pools, bad values), NoApiKeysError, NoModelError.
  explicit Orchestrator(OrchestratorConfig config);
  ~Orchestrator();
  Orchestrator(Orchestrator&&) noexcept;
  Orchestrator& operator=(Orchestrator&&) noexcept;
  Orchestrator(const Orchestrator&) = delete;
  Orchestrator& operator=(const Orchestrator&) = delete;

  /// Built from the environment, .env and the JSON config (see config_from_env()).
  static Orchestrator from_env(const EnvOptions& options = {});

  /// Asks @p prompt as one user message.
  /// @throws BadRequestError, ContentFilteredError (when configured to surface),
  ///         AllClientsExhaustedError with every attempt.
  Response request(std::string_view prompt, const RequestOptions& options = {});
  /// Asks a full chat request. @throws as request(prompt).
  Response request(const ChatRequest& request, const RequestOptions& options = {});

  /// Streams the answer: each text delta reaches @p on_delta as soon as it arrives. Until the
  /// first delta, failures fail over exactly as request() does. After it, a failure recovers
  /// as OrchestratorConfig::stream_recovery says: restart on the next route (the default),
  /// continue there from the partial text, or raise StreamInterruptedError.
  /// Returning false from @p on_delta stops the stream (the Response holds what arrived).
  /// @throws as request(), and StreamInterruptedError (surfaced, or no route could recover).
  Response stream(const ChatRequest& request, const DeltaCallback& on_delta, const RequestOptions& options = {});
  /// Streams with a restart notice (see StreamCallbacks). @throws as stream().
  Response stream(const ChatRequest& request, const StreamCallbacks& callbacks, const RequestOptions& options = {});
  /// Streams the answer to @p prompt. @throws as stream(ChatRequest).
  Response stream(std::string_view prompt, const DeltaCallback& on_delta, const RequestOptions& options = {});

  /// Asks without blocking: the walk (same order, retries, cooldowns, waits and deadline as
  /// request()) runs on the orchestrator's event loop, one thread for all requests in flight.
  /// Destroying the orchestrator fails what is still in flight with CancelledError.
  std::future<Response> request_async(ChatRequest request, const RequestOptions& options = {});
  /// Asks @p prompt without blocking.
  std::future<Response> request_async(std::string_view prompt, const RequestOptions& options = {});
  /// Callback form: exactly one of @p on_success / @p on_error is called, on the event-loop
  /// thread (keep them short; they must not block).
  void request_async(ChatRequest request, std::function<void(Response)> on_success,
                     std::function<void(std::exception_ptr)> on_error, const RequestOptions& options = {});

  /// Streams without blocking: the walk of request_async() with the commit point of stream().
  /// @p on_delta runs on the event-loop thread (for a pool with your own LLMClient, on the
  /// worker thread calling it); keep it short, it must not block.
  std::future<Response> stream_async(ChatRequest request, DeltaCallback on_delta, const RequestOptions& options = {});
  /// Streams the answer to @p prompt without blocking.
  std::future<Response> stream_async(std::string_view prompt, DeltaCallback on_delta,
                                     const RequestOptions& options = {});
  /// Streams without blocking, with a restart notice (on the thread that delivers deltas).
  std::future<Response> stream_async(ChatRequest request, StreamCallbacks callbacks,
                                     const RequestOptions& options = {});
  /// Callback form of stream_async(): exactly one of @p on_success / @p on_error is called.
  void stream_async(ChatRequest request, DeltaCallback on_delta, std::function<void(Response)> on_success,
                    std::function<void(std::exception_ptr)> on_error, const RequestOptions& options = {});

  /// Counters since construction.
  Stats stats() const;
  /// Every counter, per-attempt latency histograms by pool, model and outcome, and gauges of
  /// the health learned so far, as Prometheus text (exposition format 0.0.4): serve it on your
  /// /metrics endpoint. Safe to call while requests run.
  std::string metrics_text() const;
  /// What has been learned: quarantined keys, cooldowns, missing models, breakers.
  HealthSnapshot health() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace polyrouter
