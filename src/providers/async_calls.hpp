#pragma once
// Where asynchronous requests run (private): one event-loop thread for timers and for the
// built-in clients' transfers (libcurl multi, many requests on one thread), and a few worker
// threads for clients that block (a user's own, or a subclass of a built-in one). The
// orchestrator sees only this: no curl, no HTTP types.

#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <optional>

#include "polyrouter/llm_client.hpp"

namespace polyrouter::detail {

class AsyncCalls {
 public:
  using Task = std::function<void()>;
  /// How a call ended: its answer, or the exception it threw (a typed Error for the built-in
  /// clients; anything for a user's own client or a caller's delta callback).
  struct Outcome {
    std::optional<Response> response;
    std::exception_ptr error;
  };
  using Done = std::function<void(Outcome)>;

  AsyncCalls();
  /// stop(), then frees the loop.
  ~AsyncCalls();
  AsyncCalls(const AsyncCalls&) = delete;
  AsyncCalls& operator=(const AsyncCalls&) = delete;

  /// Stops the workers, then the loop (idempotent): after it returns no task, timer or call
  /// callback runs, and calls still in flight never report. Not from the loop thread.
  void stop();

  /// Runs @p task on the loop thread. Thread-safe.
  void post(Task task);
  /// Loop thread only: runs @p task after @p delay.
  void start_timer(std::chrono::milliseconds delay, Task task);
  /// Loop thread only: one call of @p client (a stream when @p on_delta is set). @p done runs on
  /// the loop thread. @p request must stay valid until then; @p on_delta runs on the loop thread
  /// for the built-in clients, on a worker for the others.
  void start_call(std::shared_ptr<LLMClient> client, const ChatRequest& request, CallOptions options,
                  DeltaCallback on_delta, Done done);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace polyrouter::detail
