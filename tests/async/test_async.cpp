// Asynchronous requests on the orchestrator's event loop, against the simulator over loopback.

#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>

#include <polyrouter/polyrouter.hpp>
#include <polyrouter/sim/simulator.hpp>

#include "../support/test_server.hpp"
#include "../support/threads.hpp"

using namespace polyrouter;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

OrchestratorConfig three_pools(const sim::Simulator& sim) {
  OrchestratorConfig config;
  config.retry.initial_backoff = 1ms;
  config.retry.max_backoff = 2ms;
  config.pools = {{Provider::groq, {"openai/gpt-oss-120b"}, {"gk-0", "gk-1"}, sim.url()},
                  {Provider::gemini, {"gemini-2.5-flash"}, {"ge-0"}, sim.url()},
                  {Provider::cerebras, {"gpt-oss-120b"}, {"ce-0"}, sim.url()}};
  return config;
}

}  // namespace

TEST_CASE("an async request answers through the event loop", "[async]") {
  sim::Simulator sim;
  Orchestrator orchestrator(three_pools(sim));
  Response r = orchestrator.request_async("hello").get();
  CHECK_FALSE(r.text.empty());
  CHECK(r.provider == Provider::groq);
  CHECK(r.attempts.size() == 1);
  CHECK(sim.hits() == 1);
}

TEST_CASE("async requests fail over and learn exactly as blocking ones do", "[async]") {
  sim::Simulator sim(json{{"rules", {{{"key", "gk-0"}, {"behavior", "invalid_key"}},
                                     {{"key", "gk-1"}, {"behavior", "rate_limit"}, {"retry_after_s", 60}},
                                     {{"provider", "gemini"}, {"behavior", "server_error"}, {"status", 503}, {"times", 1}}}}});
  OrchestratorConfig config = three_pools(sim);
  config.retry.max_retries = 0;
  Orchestrator orchestrator(config);
  const Response first = orchestrator.request_async("one").get();
  REQUIRE(first.attempts.size() == 4);
  CHECK(first.attempts[0].outcome == AttemptOutcome::invalid_key);
  CHECK(first.attempts[1].outcome == AttemptOutcome::rate_limited);
  CHECK(first.attempts[2].outcome == AttemptOutcome::unavailable);
  CHECK(first.provider == Provider::cerebras);
  // The second request skips what was learned: no round trip to either Groq key.
  const Response second = orchestrator.request_async("two").get();
  REQUIRE(second.attempts.size() == 1);
  CHECK(second.provider == Provider::gemini);
  CHECK(sim.hits("groq") == 2);
}

TEST_CASE("async retries use real timers for backoff", "[async]") {
  sim::Simulator sim(json{{"rules", {{{"behavior", "server_error"}, {"status", 502}, {"times", 2}}}}});
  OrchestratorConfig config = three_pools(sim);
  config.retry.max_retries = 2;
  config.retry.initial_backoff = 20ms;
  config.retry.max_backoff = 1s;
  config.retry.jitter = 0.25;
  Orchestrator orchestrator(config);
  const auto start = std::chrono::steady_clock::now();
  const Response r = orchestrator.request_async("hi").get();
  CHECK(std::chrono::steady_clock::now() - start >= 15ms + 30ms);  // two jittered backoffs, at least
  REQUIRE(r.attempts.size() == 3);
  CHECK(r.attempts[2].outcome == AttemptOutcome::success);
  CHECK(r.key_label == "GROQ_API_KEY0");
}

TEST_CASE("async exhaustion fails the future with every attempt", "[async]") {
  sim::Simulator sim(json{{"rules", {{{"behavior", "invalid_key"}}}}});
  Orchestrator orchestrator(three_pools(sim));
  auto future = orchestrator.request_async("hi");
  try {
    future.get();
    FAIL("expected AllClientsExhaustedError");
  } catch (const AllClientsExhaustedError& e) {
    CHECK(e.attempts().size() == 4);
  }
}

TEST_CASE("async requests respect the deadline", "[async]") {
  sim::Simulator sim(json{{"rules", {{{"behavior", "ok"}, {"latency_ms", 2000}}}}});
  OrchestratorConfig config = three_pools(sim);
  config.retry.max_retries = 0;
  Orchestrator orchestrator(config);
  RequestOptions options;
  options.deadline = 300ms;
  const auto start = std::chrono::steady_clock::now();
  auto future = orchestrator.request_async("hi", options);
  CHECK_THROWS_AS(future.get(), AllClientsExhaustedError);
  CHECK(std::chrono::steady_clock::now() - start < 1900ms);  // cut by the deadline, not by the server
}

TEST_CASE("async with a wait for a cooldown within max_wait", "[async]") {
  sim::Simulator sim(json{{"rules", {{{"behavior", "rate_limit"}, {"retry_after_s", 1}, {"times", 1}}}}});
  OrchestratorConfig config;
  config.pools = {{Provider::groq, {"m"}, {"k"}, sim.url()}};
  Orchestrator orchestrator(config);
  RequestOptions options;
  options.max_wait = 3s;
  const Response r = orchestrator.request_async("hi", options).get();
  REQUIRE(r.attempts.size() == 2);
  CHECK(r.attempts[0].outcome == AttemptOutcome::rate_limited);
  CHECK(r.attempts[1].outcome == AttemptOutcome::success);
}

TEST_CASE("the callback form calls exactly one of its callbacks", "[async]") {
  sim::Simulator sim(json{{"rules", {{{"provider", "groq"}, {"behavior", "invalid_key"}}}}});
  Orchestrator orchestrator(three_pools(sim));
  std::mutex mutex;
  std::condition_variable cv;
  int successes = 0, errors = 0;
  std::string text;
  orchestrator.request_async(
      ChatRequest::from_prompt("hi"),
      [&](Response r) {
        std::lock_guard<std::mutex> lock(mutex);
        text = r.text;
        ++successes;
        cv.notify_all();
      },
      [&](std::exception_ptr) {
        std::lock_guard<std::mutex> lock(mutex);
        ++errors;
        cv.notify_all();
      });
  std::unique_lock<std::mutex> lock(mutex);
  REQUIRE(cv.wait_for(lock, 10s, [&] { return successes + errors > 0; }));
  CHECK(successes == 1);
  CHECK(errors == 0);
  CHECK_FALSE(text.empty());
}

TEST_CASE("a user's own client runs off the event loop in async requests", "[async]") {
  struct Echo : LLMClient {
    Provider provider() const noexcept override { return Provider::openai_compatible; }
    Response complete(const ChatRequest& request, const CallOptions&) override {
      Response r;
      r.text = "echo " + request.messages.back().content;
      return r;
    }
  };
  OrchestratorConfig config;
  PoolConfig echo{Provider::openai_compatible, {"m"}, {"k"}};
  echo.client = std::make_shared<Echo>();
  config.pools = {echo};
  Orchestrator orchestrator(config);
  CHECK(orchestrator.request_async("hi").get().text == "echo hi");
}

TEST_CASE("1,000 concurrent async requests ride one event loop", "[async][concurrency]") {
  sim::Simulator sim(json{{"rules", {{{"behavior", "ok"}, {"latency_ms", 20}}}}});
  OrchestratorConfig config = three_pools(sim);
  Orchestrator orchestrator(config);
  orchestrator.request_async("warm up").get();  // starts the loop thread
  const std::size_t before = test::thread_count();

  std::vector<std::future<Response>> futures;
  futures.reserve(1000);
  for (int i = 0; i < 1000; ++i) futures.push_back(orchestrator.request_async("hello " + std::to_string(i)));
  const std::size_t during = test::thread_count();
  std::size_t answered = 0;
  for (auto& f : futures) answered += f.get().text.empty() ? 0 : 1;

  CHECK(answered == 1000);
  CHECK(during <= before + 1);  // no thread per request: the loop already existed
  CHECK(sim.hits() == 1001);
  // Connections are reused: at most the loop's per-host cap were ever opened for 1,001 requests.
  CHECK(sim.stats()["connections"].get<int>() <= 32);
  CHECK(orchestrator.stats().successes == 1001);
}

TEST_CASE("destroying the orchestrator cancels requests in flight cleanly", "[async]") {
  sim::Simulator sim(json{{"rules", {{{"behavior", "ok"}, {"latency_ms", 3000}}}}});
  std::vector<std::future<Response>> futures;
  {
    Orchestrator orchestrator(three_pools(sim));
    for (int i = 0; i < 20; ++i) futures.push_back(orchestrator.request_async("slow"));
  }
  for (auto& f : futures) {
    REQUIRE(f.wait_for(1s) == std::future_status::ready);
    CHECK_THROWS_AS(f.get(), CancelledError);
  }
}

TEST_CASE("a request to a server that never answers is cancelled by the orchestrator's destruction", "[async]") {
  test::TestServer server(test::Reply::never());
  OrchestratorConfig config;
  config.pools = {{Provider::groq, {"openai/gpt-oss-120b"}, {"gk-0"}, server.url()}};
  std::future<Response> answer;
  {
    Orchestrator orchestrator(config);
    answer = orchestrator.request_async("hello?");
    REQUIRE(server.wait_for_count(1, 10s));  // in flight: the server holds it
    CHECK(answer.wait_for(0s) == std::future_status::timeout);
  }
  REQUIRE(answer.wait_for(1s) == std::future_status::ready);
  try {
    answer.get();
    FAIL("the request was not cancelled");
  } catch (const CancelledError& e) {
    CHECK(e.kind() == ErrorKind::cancelled);
    CHECK(std::string(e.what()).rfind("[polyrouter.cancelled]", 0) == 0);
  }
}
