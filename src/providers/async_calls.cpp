#include "providers/async_calls.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "http/event_loop.hpp"
#include "providers/wire.hpp"

namespace polyrouter::detail {
namespace {

// Blocking clients get a thread each while they run, up to this many at once; more wait.
constexpr std::size_t max_workers = 8;

template <typename Call>
AsyncCalls::Outcome outcome_of(Call&& call) {
  AsyncCalls::Outcome outcome;
  try {
    outcome.response.emplace(call());
  } catch (...) {
    outcome.error = std::current_exception();
  }
  return outcome;
}

}  // namespace

struct AsyncCalls::State {
  std::once_flag loop_once;
  std::unique_ptr<EventLoop> loop;
  std::mutex workers_mutex;
  std::condition_variable workers_cv;
  std::deque<Task> work;
  std::vector<std::thread> workers;
  std::size_t idle_workers = 0;
  bool stopping = false;

  EventLoop& event_loop() {
    std::call_once(loop_once, [this] { loop = std::make_unique<EventLoop>(); });
    return *loop;
  }

  void run_on_worker(Task task) {
    std::lock_guard<std::mutex> lock(workers_mutex);
    if (stopping) return;  // shutting down: the caller fails what is still in flight
    work.push_back(std::move(task));
    if (idle_workers == 0 && workers.size() < max_workers) {
      workers.emplace_back([this] { work_loop(); });
    } else {
      workers_cv.notify_one();
    }
  }

  void work_loop() {
    for (;;) {
      Task task;
      {
        std::unique_lock<std::mutex> lock(workers_mutex);
        ++idle_workers;
        workers_cv.wait(lock, [this] { return stopping || !work.empty(); });
        --idle_workers;
        if (stopping) return;
        task = std::move(work.front());
        work.pop_front();
      }
      task();
    }
  }
};

AsyncCalls::AsyncCalls() : state_(std::make_unique<State>()) {}

AsyncCalls::~AsyncCalls() { stop(); }

void AsyncCalls::stop() {
  // Workers first: a worker finishing a call posts to the loop, which must still exist.
  {
    std::lock_guard<std::mutex> lock(state_->workers_mutex);
    state_->stopping = true;
  }
  state_->workers_cv.notify_all();
  for (auto& w : state_->workers) {
    if (w.joinable()) w.join();
  }
  // Stop the loop before freeing it: a task still running on it may reach it through `loop`.
  if (state_->loop) state_->loop->stop();
}

void AsyncCalls::post(Task task) { state_->event_loop().post(std::move(task)); }

void AsyncCalls::start_timer(std::chrono::milliseconds delay, Task task) {
  state_->event_loop().start_timer(delay, std::move(task));
}

void AsyncCalls::start_call(std::shared_ptr<LLMClient> client, const ChatRequest& request, CallOptions options,
                            DeltaCallback on_delta, Done done) {
  EventLoop& loop = state_->event_loop();
  if (auto codec = ClientAccess::event_loop_codec(*client)) {
    const Provider provider = codec->provider();
    const auto started = std::chrono::steady_clock::now();
    HttpRequest http;
    try {
      http = on_delta ? codec->build_stream(request, options)
                      : codec->build(request, options, codec->cached_headers(options.api_key));
    } catch (...) {
      // A request the codec refuses before any round trip (BadRequestError): the outcome goes
      // back through the loop like any other, never up the loop thread.
      loop.post([done = std::move(done), error = std::current_exception()]() mutable {
        Outcome outcome;
        outcome.error = std::move(error);
        done(std::move(outcome));
      });
      return;
    }
    if (!on_delta) {
      trace_request(provider, options, http);
      loop.start_transfer(std::move(http), [codec, options = std::move(options), done = std::move(done),
                                            started](HttpResponse response) {
        trace_response(codec->provider(), options, response, std::chrono::steady_clock::now() - started);
        done(outcome_of([&] { return codec->answer(response, options); }));
      });
      return;
    }
    trace_request(provider, options, http);
    auto exchange = std::make_shared<StreamExchange>(provider, std::move(options), codec->stream_decoding(),
                                                     std::move(on_delta));
    exchange->attach(http);  // the transfer's callbacks reach the exchange the lambda keeps alive
    loop.start_transfer(std::move(http), [exchange, done = std::move(done)](HttpResponse response) {
      done(outcome_of([&] { return exchange->finish(std::move(response)); }));
    });
    return;
  }
  // A client that blocks runs on a worker; its outcome comes back to the loop.
  state_->run_on_worker([this, client = std::move(client), &request, options = std::move(options),
                         on_delta = std::move(on_delta), done = std::move(done)]() mutable {
    Outcome outcome = outcome_of([&] {
      return on_delta ? client->stream(request, options, on_delta) : client->complete(request, options);
    });
    state_->loop->post([done = std::move(done), outcome = std::move(outcome)]() mutable { done(std::move(outcome)); });
  });
}

}  // namespace polyrouter::detail
