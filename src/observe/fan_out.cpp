#include "observe/fan_out.hpp"

#include <atomic>
#include <charconv>
#include <exception>
#include <string>

#include "logging.hpp"
#include "polyrouter/errors.hpp"
#include "polyrouter/mask.hpp"

namespace polyrouter::detail {
namespace {

// OrchestratorConfig::events as an Observer: the callback form of the same hooks.
class EventsObserver final : public Observer {
 public:
  explicit EventsObserver(Events events) : events_(std::move(events)) {}

  void on_attempt_end(const RequestInfo&, const Attempt& attempt) override {
    if (events_.on_attempt) events_.on_attempt(attempt);
  }
  void on_fallback(const RequestInfo&, const Attempt& failed) override {
    if (events_.on_fallback) events_.on_fallback(failed);
  }
  void on_exhausted(const RequestInfo&, const std::vector<Attempt>& attempts) override {
    if (events_.on_exhausted) events_.on_exhausted(attempts);
  }

 private:
  Events events_;
};

// Calls @p call on every listener; what a hook throws is logged and goes no further.
template <typename Call>
void each(const std::vector<std::shared_ptr<Observer>>& listeners, std::string_view hook, std::string_view request_id,
          Call&& call) {
  for (const auto& listener : listeners) {
    try {
      call(*listener);
    } catch (const std::exception& e) {
      log().warn("[{}] an observer's {} threw (ignored): {}", request_id, hook, redact(e.what()));
    } catch (...) {
      log().warn("[{}] an observer's {} threw (ignored)", request_id, hook);
    }
  }
}

}  // namespace

ObserverFanOut::ObserverFanOut(const OrchestratorConfig& config) : stats_(config.pools) {
  const Events& events = config.events;
  if (events.on_attempt || events.on_fallback || events.on_exhausted) {
    listeners_.push_back(std::make_shared<EventsObserver>(events));
  }
  for (std::size_t i = 0; i < config.observers.size(); ++i) {
    if (!config.observers[i]) throw ConfigError("observers[" + std::to_string(i) + "] is null");
    listeners_.push_back(config.observers[i]);
  }
}

void ObserverFanOut::notify_request_start(const RequestInfo& request) {
  each(listeners_, "on_request_start", request.id, [&](Observer& o) { o.on_request_start(request); });
}

void ObserverFanOut::attempt_started(const RequestInfo& request, const AttemptStart& attempt) {
  each(listeners_, "on_attempt_start", request.id, [&](Observer& o) { o.on_attempt_start(request, attempt); });
}

void ObserverFanOut::notify_attempt_end(const RequestInfo& request, const Attempt& attempt) {
  each(listeners_, "on_attempt_end", request.id, [&](Observer& o) { o.on_attempt_end(request, attempt); });
}

void ObserverFanOut::notify_fallback(const RequestInfo& request, const Attempt& failed) {
  each(listeners_, "on_fallback", request.id, [&](Observer& o) { o.on_fallback(request, failed); });
}

void ObserverFanOut::notify_exhausted(const RequestInfo& request, const std::vector<Attempt>& attempts) {
  each(listeners_, "on_exhausted", request.id, [&](Observer& o) { o.on_exhausted(request, attempts); });
}

void ObserverFanOut::notify_request_end(const RequestInfo& request, const RequestEnd& end) {
  each(listeners_, "on_request_end", request.id, [&](Observer& o) { o.on_request_end(request, end); });
}

void ObserverFanOut::health_changed(const HealthChange& change) {
  stats_.health_changed(change.kind);
  each(listeners_, "on_health_change", "-", [&](Observer& o) { o.on_health_change(change); });
}

std::string next_request_id() {
  // Process-wide rather than per orchestrator: two orchestrators logging to one sink stay apart.
  static std::atomic<std::uint64_t> counter{0};
  char text[24] = "pr-";
  const auto end = std::to_chars(text + 3, text + sizeof text, counter.fetch_add(1, std::memory_order_relaxed) + 1);
  return std::string(text, end.ptr);
}

}  // namespace polyrouter::detail
