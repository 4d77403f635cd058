#pragma once
// One attempt of a walk, whoever performs it (private). The blocking driver and the event-loop
// driver run this same code for the commit point of a stream, the caller's callbacks and the
// report of the outcome to the walk.

#include <exception>
#include <memory>
#include <optional>
#include <string>

#include "orchestrator/walk.hpp"

namespace polyrouter::detail {

class AttemptRun {
 public:
  /// Right after the walk's attempt step. @p stream: the caller's callbacks for a stream, null
  /// for a plain call; a stream restarting on another route first tells the caller to discard.
  AttemptRun(Walk& walk, std::shared_ptr<const StreamCallbacks> stream, TimePoint start);

  /// The delta callback to hand the client: empty for a plain call. A stream commits to this
  /// route once its first delta reached the caller.
  DeltaCallback forward() const;

  /// Tells the walk how the call ended. Returns the exception the caller must get as it is
  /// (their own delta callback threw it); null when the walk took the outcome.
  std::exception_ptr report(std::optional<Response> response, std::exception_ptr error) const;

 private:
  struct Delivered {
    bool committed = false;
    bool callback_threw = false;
    std::string partial;
  };
  Walk* walk_;
  std::shared_ptr<const StreamCallbacks> stream_;
  std::shared_ptr<Delivered> delivered_;  ///< streams only
  TimePoint start_;
};

}  // namespace polyrouter::detail
