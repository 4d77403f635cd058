#pragma once
// One request's walk over pools × models × keys, as a state machine (private). It decides; the
// driver acts: the blocking driver calls the client and sleeps, the event loop starts transfers
// and timers. Both get exactly the same order, retries, cooldowns, waits and deadlines.

#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "orchestrator/engine.hpp"
#include "polyrouter/chat.hpp"
#include "polyrouter/llm_client.hpp"
#include "polyrouter/orchestrator.hpp"

namespace polyrouter::detail {

class Walk {
 public:
  struct Step {
    enum class Kind { attempt, sleep, finished };
    static Step sleep_for(milliseconds d) {
      Step s;
      s.kind = Kind::sleep;
      s.delay = d;
      return s;
    }
    Kind kind = Kind::finished;
    std::size_t pool = 0, model = 0, key = 0;
    CallOptions call;          ///< for attempts
    milliseconds delay{0};     ///< for sleeps
  };

  /// @p stream, @p async: how the request was made (RequestInfo). A Walk may be moved only
  /// before its first next().
  Walk(Engine& engine, ChatRequest request, const RequestOptions& options, bool stream = false, bool async = false);
  /// A walk dropped while its request is open (the caller's own exception unwinding) still
  /// reports the request's end.
  ~Walk();
  Walk(Walk&&) = default;
  Walk(const Walk&) = delete;
  Walk& operator=(const Walk&) = delete;
  Walk& operator=(Walk&&) = delete;

  /// What to do now.
  Step next();
  /// The attempt from the last Step ended with an answer.
  void succeeded(Response response, TimePoint start);
  /// The attempt from the last Step failed with @p error. Call it from the handler that caught
  /// @p error: a request error that must reach the caller is kept as the exception in flight.
  /// @p committed: a stream had already handed text (@p partial) to the caller.
  void failed(const Error& error, TimePoint start, bool committed = false, std::string partial = {});
  /// The attempt failed with something outside the Error family.
  void failed_unknown(const std::exception& error, TimePoint start);

  /// After Step::finished: the answer, or throws the walk's error.
  Response result();
  /// After Step::finished: the walk's error, moved out (null when it answered; then call result()).
  std::exception_ptr take_error();
  /// The request ends with the caller's own exception (thrown by its stream callback): observers
  /// hear the end; the exception goes to the caller as it is.
  void abandon(std::string_view message);
  /// The request is cancelled unfinished (its orchestrator is being destroyed): the
  /// CancelledError to hand the caller, after observers heard the end.
  std::exception_ptr cancel(std::string_view reason);

  /// "pr-42": on every log line of this request (RequestInfo::id).
  const std::string& id() const { return id_; }

  /// The request for the attempt of the last Step (with a prefill when it continues a stream).
  const ChatRequest& request() const { return prefilling_ ? prefilled_ : request_; }
  /// After an attempt Step: set when the caller must discard the text it received before this
  /// attempt's deltas arrive (a stream restarting on another route). Taken once.
  std::optional<StreamRestart> take_restart();

 private:
  enum class Next { next_key, next_model, next_pool };
  /// An attempt record for the current (pool, model, key).
  Attempt attempt_here(AttemptOutcome outcome, TimePoint start, TimePoint end) const;
  /// Keeps @p attempt (made from @p start to @p end) and reports it.
  void record(Attempt attempt, TimePoint start, TimePoint end);
  RequestInfo info() const { return {id_, stream_, async_}; }
  /// The error that ends the walk, and what observers are told about it.
  void end_with(std::exception_ptr error, ErrorKind kind, std::string message);
  /// Reports the request's end once (nothing when it never started).
  void report_end();
  void move_on(Next next);
  /// Learns from a non-transient failure; returns true when the error must stop the walk.
  bool on_failure(const Error& e, Next& next);
  void finish_exhausted(std::string_view reason);
  /// Takes one attempt from the current key's rate budget when its pool has one (no store call
  /// otherwise); refused: remembers when it frees and returns false.
  bool take_budget();
  /// What an answer's rate-limit headers say: a bucket with nothing left cools the route until
  /// its reset, before the provider has to answer 429.
  void learn_rate_limits(const RateLimitStatus& limits, HealthTime now);
  std::optional<HealthTime> budget_until_;  ///< this pass: the soonest a refused budget frees
  std::vector<std::pair<std::size_t, std::size_t>> budget_spent_;  ///< this pass: (pool, key) refused
  /// Counts a request failure for the model that failed transiently and did not answer.
  void settle_breaker();
  std::optional<std::pair<std::size_t, std::size_t>> breaker_pending_;  ///< (pool, model)
  bool transient_seen_ = false;
  bool concluded_ = false;
  /// Once, when the walk's outcome is taken: the breaker and the throttle hear it.
  void conclude();

  Engine& engine_;
  std::string id_;
  bool stream_ = false;
  bool async_ = false;
  bool started_ = false;  ///< observers heard the request start
  bool ended_ = false;    ///< ...and its end
  TimePoint started_at_{};  ///< when the request was made (its deadline counts from here)
  std::optional<ErrorKind> error_kind_;  ///< for observers: what error_ holds, without rethrowing it
  std::string error_message_;
  ChatRequest request_;
  TimePoint deadline_;
  milliseconds attempt_timeout_;
  milliseconds max_wait_;
  std::uint64_t turn_;

  // Cursor.
  int pass_ = 0;
  std::size_t pool_ = 0, model_ = 0, n_ = 0, key_ = 0;
  bool model_checked_ = false;
  HealthStore::TrialClaim trial_;  ///< held while this walk tries a half-open model
  /// The trial (if held) ended in neither success nor transient failure: the next caller may try.
  void release_trial();
  int retry_ = 0;
  std::optional<milliseconds> pending_retry_;  ///< sleep, then try the same combination again
  bool retrying_ = false;

  std::size_t slot() const;  ///< the current (pool, model, key) in done_
  std::vector<bool> done_;   ///< per (pool, model, key): failed for good in this request
  std::vector<Attempt> attempts_;
  std::size_t attempt_count_ = 0;  ///< attempts_ may have moved into the error
  bool cut_by_deadline_ = false;
  std::string reason_ = "every provider, model and key failed";

  // Stream recovery. delivered_: text the caller holds from earlier attempts and has not been
  // told to discard; it is continued (prefill) or voided (restart) by the next attempt.
  StreamRecovery recovery_of(std::size_t pool) const;
  void prepare_stream_recovery();
  std::string delivered_;
  std::optional<Attempt> cut_attempt_;
  std::optional<StreamRestart> restart_;
  ChatRequest prefilled_;
  bool prefilling_ = false;
  bool prefill_rejected_ = false;

  bool finished_ = false;
  std::optional<Response> response_;
  std::exception_ptr error_;
};

}  // namespace polyrouter::detail
