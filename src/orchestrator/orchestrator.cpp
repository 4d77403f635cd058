#include "polyrouter/orchestrator.hpp"

#include <mutex>
#include <optional>
#include <vector>

#include "orchestrator/attempt.hpp"
#include "orchestrator/engine.hpp"
#include "observe/prometheus.hpp"
#include "orchestrator/walk.hpp"
#include "providers/async_calls.hpp"

namespace polyrouter {

using detail::Engine;
using detail::Walk;

namespace {

// The blocking driver: the walk decides, this thread calls the client and sleeps.
Response run_blocking(Engine& engine, ChatRequest request, const RequestOptions& options,
                      const StreamCallbacks* stream) {
  Walk walk(engine, std::move(request), options, stream != nullptr, /*async=*/false);
  // Not owned: the caller's callbacks outlive this call.
  const std::shared_ptr<const StreamCallbacks> callbacks(std::shared_ptr<void>(), stream);
  for (;;) {
    Walk::Step step = walk.next();
    switch (step.kind) {
      case Walk::Step::Kind::finished: return walk.result();
      case Walk::Step::Kind::sleep: engine.sleep(step.delay); break;
      case Walk::Step::Kind::attempt: {
        const detail::AttemptRun run(walk, callbacks, engine.now());
        LLMClient& client = *engine.pools[step.pool].client;
        std::optional<Response> response;
        std::exception_ptr error;
        try {
          response.emplace(stream != nullptr ? client.stream(walk.request(), step.call, run.forward())
                                             : client.complete(walk.request(), step.call));
        } catch (...) {
          error = std::current_exception();
        }
        if (auto theirs = run.report(std::move(response), std::move(error))) std::rethrow_exception(theirs);
        break;
      }
    }
  }
}

}  // namespace

// The event-loop driver: walks step on the loop thread; every call goes through AsyncCalls.
class AsyncRunner {
 public:
  explicit AsyncRunner(Engine& engine) : engine_(engine) {}

  ~AsyncRunner() {
    calls_.stop();  // no callback runs after this line
    std::lock_guard<std::mutex> lock(active_mutex_);
    for (const auto& job : active_) {
      job->fail(job->walk.cancel("the orchestrator was destroyed with the request in flight"));
    }
  }

  static constexpr std::size_t kNotActive = static_cast<std::size_t>(-1);

  struct Job {
    Walk walk;
    StreamCallbacks stream;  ///< on_delta set for streams
    std::function<void(Response)> on_success;
    std::function<void(std::exception_ptr)> on_error;
    bool finished = false;
    std::size_t active_slot = kNotActive;  ///< where it is in active_; guarded by active_mutex_

    // The callbacks (a future's promise) go as soon as they ran: the job may live on in a
    // transfer's cleanup, and the caller's thread should be the one to free the outcome.
    void succeed(Response r) {
      if (finished) return;
      finished = true;
      std::function<void(Response)> callback = std::move(on_success);
      on_error = nullptr;
      callback(std::move(r));
    }
    void fail(std::exception_ptr e) {
      if (finished) return;
      finished = true;
      std::function<void(std::exception_ptr)> callback = std::move(on_error);
      on_success = nullptr;
      callback(std::move(e));
    }
  };

  void start(ChatRequest request, const RequestOptions& options, StreamCallbacks stream,
             std::function<void(Response)> on_success, std::function<void(std::exception_ptr)> on_error) {
    const bool streaming = static_cast<bool>(stream.on_delta);
    auto job = std::make_shared<Job>(Job{Walk(engine_, std::move(request), options, streaming, /*async=*/true),
                                         std::move(stream),
                                         std::move(on_success), std::move(on_error), false});
    {
      std::lock_guard<std::mutex> lock(active_mutex_);
      job->active_slot = active_.size();
      active_.push_back(job);
    }
    calls_.post([this, job] { step(job); });
  }

 private:
  // Loop thread only.
  void step(const std::shared_ptr<Job>& job) {
    Walk::Step s = job->walk.next();
    switch (s.kind) {
      case Walk::Step::Kind::finished: {
        forget(job);
        // Hand the error on without rethrowing it here: this thread then holds no reference to
        // it, and the caller's thread alone reads and frees it.
        if (std::exception_ptr error = job->walk.take_error()) {
          job->fail(std::move(error));
          return;
        }
        try {
          job->succeed(job->walk.result());
        } catch (...) {
          job->fail(std::current_exception());
        }
        return;
      }
      case Walk::Step::Kind::sleep:
        calls_.start_timer(s.delay, [this, job] { step(job); });
        return;
      case Walk::Step::Kind::attempt: break;
    }
    std::shared_ptr<const StreamCallbacks> callbacks;
    if (job->stream.on_delta) callbacks = std::shared_ptr<const StreamCallbacks>(job, &job->stream);
    const detail::AttemptRun run(job->walk, std::move(callbacks), engine_.now());
    calls_.start_call(engine_.pools[s.pool].client, job->walk.request(), std::move(s.call), run.forward(),
                      [this, job, run](detail::AsyncCalls::Outcome outcome) {
                        if (auto theirs = run.report(std::move(outcome.response), std::move(outcome.error))) {
                          forget(job);
                          job->fail(std::move(theirs));
                          return;
                        }
                        step(job);
                      });
  }

  void forget(const std::shared_ptr<Job>& job) {
    std::lock_guard<std::mutex> lock(active_mutex_);
    const std::size_t slot = job->active_slot;
    if (slot == kNotActive) return;
    if (slot + 1 < active_.size()) {  // swap-and-pop: no tree to walk with 1,000 in flight
      active_[slot] = std::move(active_.back());
      active_[slot]->active_slot = slot;
    }
    active_.pop_back();
    job->active_slot = kNotActive;
  }

  Engine& engine_;
  std::mutex active_mutex_;
  std::vector<std::shared_ptr<Job>> active_;  // requests not yet answered
  detail::AsyncCalls calls_;                  // declared last: stopped first
};

struct Orchestrator::Impl {
  explicit Impl(OrchestratorConfig config) : engine(std::move(config)), async(engine) {}
  Engine engine;
  AsyncRunner async;  // declared last: destroyed first, while the engine still exists
};

Orchestrator::Orchestrator(OrchestratorConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}
Orchestrator::~Orchestrator() = default;
Orchestrator::Orchestrator(Orchestrator&&) noexcept = default;
Orchestrator& Orchestrator::operator=(Orchestrator&&) noexcept = default;

Orchestrator Orchestrator::from_env(const EnvOptions& options) { return Orchestrator(config_from_env(options)); }

Response Orchestrator::request(std::string_view prompt, const RequestOptions& options) {
  return run_blocking(impl_->engine, ChatRequest::from_prompt(std::string(prompt)), options, nullptr);
}

Response Orchestrator::request(const ChatRequest& request, const RequestOptions& options) {
  return run_blocking(impl_->engine, request, options, nullptr);
}

Response Orchestrator::stream(const ChatRequest& request, const DeltaCallback& on_delta, const RequestOptions& options) {
  return stream(request, StreamCallbacks{on_delta, nullptr}, options);
}

Response Orchestrator::stream(const ChatRequest& request, const StreamCallbacks& callbacks,
                              const RequestOptions& options) {
  if (!callbacks.on_delta) throw ConfigError("stream() needs an on_delta callback");
  return run_blocking(impl_->engine, request, options, &callbacks);
}

Response Orchestrator::stream(std::string_view prompt, const DeltaCallback& on_delta, const RequestOptions& options) {
  return stream(ChatRequest::from_prompt(std::string(prompt)), on_delta, options);
}

namespace {

// The future form of an asynchronous call, on top of its callback form.
template <typename Start>
std::future<Response> as_future(Start start) {
  auto promise = std::make_shared<std::promise<Response>>();
  std::future<Response> future = promise->get_future();
  start([promise](Response r) { promise->set_value(std::move(r)); },
        [promise](std::exception_ptr e) { promise->set_exception(std::move(e)); });
  return future;
}

}  // namespace

std::future<Response> Orchestrator::request_async(ChatRequest request, const RequestOptions& options) {
  return as_future([&](auto on_success, auto on_error) {
    impl_->async.start(std::move(request), options, {}, std::move(on_success), std::move(on_error));
  });
}

std::future<Response> Orchestrator::request_async(std::string_view prompt, const RequestOptions& options) {
  return request_async(ChatRequest::from_prompt(std::string(prompt)), options);
}

void Orchestrator::request_async(ChatRequest request, std::function<void(Response)> on_success,
                                 std::function<void(std::exception_ptr)> on_error, const RequestOptions& options) {
  impl_->async.start(std::move(request), options, {}, std::move(on_success), std::move(on_error));
}

std::future<Response> Orchestrator::stream_async(ChatRequest request, DeltaCallback on_delta,
                                                 const RequestOptions& options) {
  return stream_async(std::move(request), StreamCallbacks{std::move(on_delta), nullptr}, options);
}

std::future<Response> Orchestrator::stream_async(ChatRequest request, StreamCallbacks callbacks,
                                                 const RequestOptions& options) {
  if (!callbacks.on_delta) throw ConfigError("stream_async() needs an on_delta callback");
  return as_future([&](auto on_success, auto on_error) {
    impl_->async.start(std::move(request), options, std::move(callbacks), std::move(on_success), std::move(on_error));
  });
}

std::future<Response> Orchestrator::stream_async(std::string_view prompt, DeltaCallback on_delta,
                                                 const RequestOptions& options) {
  return stream_async(ChatRequest::from_prompt(std::string(prompt)), std::move(on_delta), options);
}

void Orchestrator::stream_async(ChatRequest request, DeltaCallback on_delta, std::function<void(Response)> on_success,
                                std::function<void(std::exception_ptr)> on_error, const RequestOptions& options) {
  if (!on_delta) throw ConfigError("stream_async() needs an on_delta callback");
  impl_->async.start(std::move(request), options, StreamCallbacks{std::move(on_delta), nullptr}, std::move(on_success),
                     std::move(on_error));
}

Stats Orchestrator::stats() const { return impl_->engine.observers.stats().stats(); }

std::string Orchestrator::metrics_text() const {
  const Engine& e = impl_->engine;
  return detail::prometheus_text(e.observers.stats(), e.config.pools, health());
}

HealthSnapshot Orchestrator::health() const {
  const Engine& e = impl_->engine;
  HealthSnapshot snapshot;
  for (const auto& pool : e.pools) {
    PoolHealth ph;
    ph.name = pool.config.name;
    ph.provider = pool.config.provider;
    for (const auto& m : pool.config.models) ph.models.push_back({m, ModelHealth::State::ok, std::nullopt, {}});
    for (const auto& k : pool.config.keys) ph.keys.push_back({k.label, KeyHealth::State::ok, std::nullopt});
    snapshot.pools.push_back(std::move(ph));
  }
  const HealthTime now = e.health_now();
  e.health->sweep(now);  // cooldowns that ran out are told before the snapshot shows them gone
  e.health->snapshot(e.routes, now, snapshot);
  return snapshot;
}

}  // namespace polyrouter
