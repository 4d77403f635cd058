#include "polyrouter/orchestrator.hpp"

#include <condition_variable>
#include <deque>
#include <thread>
#include <vector>

#include "logging.hpp"
#include "orchestrator/engine.hpp"
#include "orchestrator/event_loop.hpp"
#include "observe/prometheus.hpp"
#include "orchestrator/walk.hpp"
#include "providers/error_body.hpp"

namespace polyrouter {

using detail::Engine;
using detail::Walk;

namespace {

// A stream restarting on another route: the caller drops what it received before new deltas.
void tell_restart(Walk& walk, const StreamCallbacks& stream) {
  if (auto restart = walk.take_restart(); restart && stream.on_restart) stream.on_restart(*restart);
}

// The blocking driver: the walk decides, this thread calls the client and sleeps.
Response run_blocking(Engine& engine, ChatRequest request, const RequestOptions& options,
                      const StreamCallbacks* stream) {
  Walk walk(engine, std::move(request), options, stream != nullptr, /*async=*/false);
  for (;;) {
    Walk::Step step = walk.next();
    switch (step.kind) {
      case Walk::Step::Kind::finished: return walk.result();
      case Walk::Step::Kind::sleep: engine.sleep(step.delay); break;
      case Walk::Step::Kind::attempt: {
        const Engine::Pool& pool = engine.pools[step.pool];
        if (stream != nullptr) tell_restart(walk, *stream);
        const auto start = engine.now();
        // A stream commits to this route once its first delta reached the caller.
        bool committed = false;
        std::string partial;
        DeltaCallback forward;
        if (stream != nullptr) {
          forward = [&](std::string_view delta) {
            committed = true;
            partial.append(delta);
            return stream->on_delta(delta);
          };
        }
        try {
          Response response;
          if (stream != nullptr) {
            response = pool.client->stream(walk.request(), step.call, forward);
          } else if (pool.codec) {
            // A built-in client's exchange, with the key's headers prepared once.
            const detail::HttpRequest http =
                pool.codec->build(walk.request(), step.call, pool.headers_by_key[step.key]);
            response = pool.codec->parse(detail::perform_logged(pool.codec->provider(), step.call, http), step.call);
          } else {
            response = pool.client->complete(walk.request(), step.call);
          }
          walk.succeeded(std::move(response), start);
        } catch (const Error& e) {
          walk.failed(e, start, committed, std::move(partial));
        } catch (const std::exception& e) {
          if (committed) {  // thrown by the caller's own delta callback: theirs to see
            walk.abandon(e.what());
            throw;
          }
          walk.failed_unknown(e, start);  // a user's client threw outside the family
        }
        break;
      }
    }
  }
}

}  // namespace

// Runs walks on the event loop: built-in clients' transfers go through curl multi; a user's
// own client is called on one of a few worker threads and its result posted back.
class AsyncRunner {
 public:
  explicit AsyncRunner(Engine& engine) : engine_(engine) {}

  ~AsyncRunner() {
    // Workers first: a worker finishing a call posts to the loop, which must still exist.
    {
      std::lock_guard<std::mutex> lock(workers_mutex_);
      stopping_ = true;
    }
    workers_cv_.notify_all();
    for (auto& w : workers_) w.join();
    // Stop before destroying: a task still running on the loop thread reaches the loop through
    // loop_, which reset() would null first.
    if (loop_) loop_->stop();  // joins the loop thread: no callback runs after this line
    loop_.reset();
    std::lock_guard<std::mutex> lock(active_mutex_);
    for (const auto& job : active_) {
      job->fail(job->walk.cancel("cancelled: the orchestrator was destroyed with the request in flight"));
    }
  }

  static constexpr std::size_t kNotActive = static_cast<std::size_t>(-1);

  struct Job {
    Walk walk;
    StreamCallbacks stream;  ///< on_delta set for streams
    CallOptions call;        ///< the attempt in flight's
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
                                         std::move(stream), {},
                                         std::move(on_success), std::move(on_error), false});
    {
      std::lock_guard<std::mutex> lock(active_mutex_);
      job->active_slot = active_.size();
      active_.push_back(job);
    }
    loop().post([this, job] { step(job); });
  }

 private:
  detail::EventLoop& loop() {
    std::call_once(loop_once_, [this] { loop_ = std::make_unique<detail::EventLoop>(); });
    return *loop_;
  }

  // What one attempt of a stream handed to the caller: after the first delta it is committed.
  struct Delivered {
    bool committed = false;
    std::string partial;
  };

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
        loop_->start_timer(s.delay, [this, job] { step(job); });
        return;
      case Walk::Step::Kind::attempt: break;
    }
    const Engine::Pool& pool = engine_.pools[s.pool];
    const auto start = engine_.now();
    std::shared_ptr<Delivered> delivered;  // streams only
    DeltaCallback forward;
    if (job->stream.on_delta) {
      tell_restart(job->walk, job->stream);
      delivered = std::make_shared<Delivered>();
      forward = [job, delivered](std::string_view delta) {
        delivered->committed = true;
        delivered->partial.append(delta);
        return job->stream.on_delta(delta);
      };
    }
    // Reports the attempt's outcome to the walk and moves on; runs on the loop thread.
    auto report = [this, job, delivered, start](auto&& outcome) {  // generic: no std::function per call
      try {
        job->walk.succeeded(outcome(), start);
      } catch (const Error& e) {
        if (delivered) {
          job->walk.failed(e, start, delivered->committed, std::move(delivered->partial));
        } else {
          job->walk.failed(e, start);
        }
      } catch (const std::exception& e) {
        if (delivered && delivered->committed) {  // thrown by the caller's own delta callback: theirs to see
          forget(job);
          job->walk.abandon(e.what());
          job->fail(std::current_exception());
          return;
        }
        job->walk.failed_unknown(e, start);
      }
      step(job);
    };

    if (pool.codec) {
      auto codec = pool.codec;
      if (!forward) {
        job->call = std::move(s.call);  // one attempt at a time: the job keeps its options
        detail::HttpRequest request = codec->build(job->walk.request(), job->call, pool.headers_by_key[s.key]);
        loop_->start_transfer(std::move(request), [report, codec, job](detail::HttpResponse http) {
          report([&] { return codec->parse(http, job->call); });
        });
        return;
      }
      detail::HttpRequest request = codec->build_stream(job->walk.request(), s.call);
      auto exchange =
          std::make_shared<detail::StreamExchange>(codec->provider(), s.call, codec->stream_decoding(), forward);
      exchange->attach(request);  // the transfer's callbacks reach the exchange the lambda keeps alive
      loop_->start_transfer(std::move(request), [report, exchange](detail::HttpResponse http) {
        report([&] { return exchange->finish(std::move(http)); });
      });
      return;
    }
    // A user's own client blocks: it runs on a worker, and its outcome comes back to the loop.
    run_on_worker([this, job, report, forward, client = pool.client, call = s.call] {
      std::exception_ptr error;
      std::shared_ptr<Response> response;
      try {
        response = std::make_shared<Response>(forward ? client->stream(job->walk.request(), call, forward)
                                                      : client->complete(job->walk.request(), call));
      } catch (...) {
        error = std::current_exception();
      }
      loop_->post([report, response, error] {
        report([&]() -> Response {
          if (error) {
            try {
              std::rethrow_exception(error);
            } catch (const std::exception&) {
              throw;
            } catch (...) {
              throw std::runtime_error("unknown exception");
            }
          }
          return std::move(*response);
        });
      });
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

  void run_on_worker(std::function<void()> task) {
    std::lock_guard<std::mutex> lock(workers_mutex_);
    if (stopping_) return;  // shutting down: the job is failed with the others in flight
    if (workers_.empty()) {
      for (int i = 0; i < 2; ++i) workers_.emplace_back([this] { work(); });
    }
    work_.push_back(std::move(task));
    workers_cv_.notify_one();
  }

  void work() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock<std::mutex> lock(workers_mutex_);
        workers_cv_.wait(lock, [this] { return stopping_ || !work_.empty(); });
        if (stopping_) return;
        task = std::move(work_.front());
        work_.pop_front();
      }
      task();
    }
  }

  Engine& engine_;
  std::once_flag loop_once_;
  std::unique_ptr<detail::EventLoop> loop_;
  std::mutex active_mutex_;
  std::vector<std::shared_ptr<Job>> active_;  // requests not yet answered
  std::mutex workers_mutex_;
  std::condition_variable workers_cv_;
  std::deque<std::function<void()>> work_;
  std::vector<std::thread> workers_;
  bool stopping_ = false;
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
  e.health.snapshot(e.now(), snapshot);
  return snapshot;
}

}  // namespace polyrouter
