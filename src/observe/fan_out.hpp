#pragma once
// One call per event (private). The walk reports each event here once: the orchestrator's own
// counters hear it first, inline and without a virtual call; then Events and the user's
// observers, in order, each shielded so a throwing hook is logged and ignored. With no listener
// beyond the counters an event costs its atomic adds and one branch.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include "observe/stats_observer.hpp"
#include "polyrouter/config.hpp"
#include "polyrouter/observer.hpp"

namespace polyrouter::detail {

class ObserverFanOut {
 public:
  /// @throws ConfigError when an entry of config.observers is null.
  explicit ObserverFanOut(const OrchestratorConfig& config);

  /// Whether anything beyond the counters listens: callers skip building hook arguments when not.
  bool has_listeners() const noexcept { return !listeners_.empty(); }

  void request_started(const RequestInfo& request) {
    stats_.request_started();
    if (has_listeners()) notify_request_start(request);
  }
  /// Only listeners hear it: call it when has_listeners().
  void attempt_started(const RequestInfo& request, const AttemptStart& attempt);
  /// @p pool, @p model: the route's indices in the configuration; @p latency: the precise one.
  void attempt_ended(const RequestInfo& request, const Attempt& attempt, std::size_t pool, std::size_t model,
                     std::chrono::nanoseconds latency) {
    stats_.attempt_ended(pool, model, attempt.outcome, latency);
    if (has_listeners()) notify_attempt_end(request, attempt);
  }
  void fell_back(const RequestInfo& request, const Attempt& failed) {
    stats_.fell_back();
    if (has_listeners()) notify_fallback(request, failed);
  }
  void exhausted(const RequestInfo& request, const std::vector<Attempt>& attempts) {
    stats_.exhausted();
    if (has_listeners()) notify_exhausted(request, attempts);
  }
  void request_ended(const RequestInfo& request, const RequestEnd& end) {
    stats_.request_ended(end.response != nullptr);
    if (has_listeners()) notify_request_end(request, end);
  }
  /// For the health store: a change it learned or noticed, reported from the thread that
  /// noticed it (see Observer::on_health_change).
  void health_changed(const HealthChange& change);

  const StatsObserver& stats() const noexcept { return stats_; }

 private:
  void notify_request_start(const RequestInfo& request);
  void notify_attempt_end(const RequestInfo& request, const Attempt& attempt);
  void notify_fallback(const RequestInfo& request, const Attempt& failed);
  void notify_exhausted(const RequestInfo& request, const std::vector<Attempt>& attempts);
  void notify_request_end(const RequestInfo& request, const RequestEnd& end);

  StatsObserver stats_;
  std::vector<std::shared_ptr<Observer>> listeners_;  ///< Events' adapter (when set), then the user's
};

/// A new request id, unique within the process: "pr-1", "pr-2", ...
std::string next_request_id();

}  // namespace polyrouter::detail
