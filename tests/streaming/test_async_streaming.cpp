// Streams on the orchestrator's event loop: the same commit point as blocking streams, deltas
// on the loop thread as they arrive, cancellation, injected-clock limits, and shutdown with
// streams in flight. Real libcurl (curl multi) against scripted loopback servers.

#include <catch2/catch.hpp>

#include <atomic>
#include <future>
#include <memory>
#include <thread>

#include <polyrouter/polyrouter.hpp>
#include <polyrouter/sim/simulator.hpp>

#include "../orchestrator/fake_clock.hpp"
#include "../support/threads.hpp"
#include "stream_helpers.hpp"

using namespace polyrouter;
using namespace polyrouter::test;
using namespace std::chrono_literals;

TEST_CASE("async streams hand each delta over as it arrives, on the loop thread", "[async_stream]") {
  for (Provider provider : {Provider::cerebras, Provider::gemini}) {
    DYNAMIC_SECTION(to_string(provider)) {
      StreamServer server;
      script_hello_held(server, provider);
      Orchestrator orchestrator(config_for({pool_at(provider, server.url())}));
      Collector c;
      std::thread::id delta_thread;
      auto future = orchestrator.stream_async("hi", [&](std::string_view d) {
        delta_thread = std::this_thread::get_id();
        server.open_gate();  // the server holds the rest until we have seen the first delta
        return c.callback()(d);
      });
      const Response r = future.get();
      CHECK(server.gate_opened_in_time());
      CHECK(c.deltas() == std::vector<std::string>{"Hel", "lo"});
      CHECK(r.text == "Hello");
      CHECK(r.finish_reason == FinishReason::stop);
      CHECK(delta_thread != std::this_thread::get_id());
    }
  }
}

TEST_CASE("async streams fail over before the first delta", "[async_stream][failover]") {
  StreamServer fallback;
  fallback.script({{gemini_event("saved", "STOP")}});
  StreamServer failing;
  SECTION("an error status") { failing.fail_with(429, R"({"error":{"message":"slow down","type":"rate_limit"}})"); }
  SECTION("an error event inside a 200 stream") {
    failing.script({{"event: error\ndata: {\"error\":{\"message\":\"boom\",\"type\":\"internal_server_error\",\"status_code\":500}}\n\n"}});
  }
  SECTION("a malformed first event") { failing.script({{sse("{\"choices\": [")}}); }
  SECTION("the connection cut before any text") { failing.script({{": keep-alive\n\n"}}, Ending::cut); }

  Orchestrator orchestrator(
      config_for({pool_at(Provider::groq, failing.url()), pool_at(Provider::gemini, fallback.url())}));
  Collector c;
  const Response r = orchestrator.stream_async("hi", c.callback()).get();
  CHECK(r.text == "saved");
  CHECK(c.text() == "saved");
  REQUIRE(r.attempts.size() == 2);
  CHECK(r.attempts[0].outcome != AttemptOutcome::success);
  CHECK(r.provider == Provider::gemini);
}

TEST_CASE("with the surface policy, async streams raise StreamInterruptedError after the first delta",
          "[async_stream][interrupted]") {
  StreamServer never_used;
  never_used.script({{chunk("other model", "stop")}, {sse("[DONE]")}});
  StreamServer server;
  SECTION("cut connection") { server.script({{chunk("Hello")}, {chunk(" wor")}}, Ending::cut); }
  SECTION("ends without data: [DONE]") { server.script({{chunk("Hello")}, {chunk(" wor")}}); }
  SECTION("an error event after text") {
    server.script({{chunk("Hello")}, {chunk(" wor")},
                   {sse(R"({"error":{"message":"queue full","type":"too_many_requests_error"},"status_code":429})")}});
  }
  SECTION("a malformed chunk after text") { server.script({{chunk("Hello")}, {chunk(" wor")}, {sse("{not json")}}); }
  SECTION("a tool-call index of the wrong type after text, then the end without [DONE]") {
    // Once a JSON library exception escaped here, taken for the caller's own.
    server.script({{chunk("Hello")}, {chunk(" wor")},
                   {sse(R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":"x","function":{"name":"f"}}]}}]})")}});
  }

  OrchestratorConfig config =
      config_for({pool_at(Provider::cerebras, server.url()), pool_at(Provider::groq, never_used.url())});
  config.stream_recovery = StreamRecovery::surface;
  Orchestrator orchestrator(config);
  Collector c;
  auto future = orchestrator.stream_async("hi", c.callback());
  try {
    future.get();
    FAIL("expected StreamInterruptedError");
  } catch (const StreamInterruptedError& e) {
    CHECK(e.partial_text() == "Hello wor");
    CHECK(c.text() == "Hello wor");
    REQUIRE(e.attempts().size() == 1);
  }
  CHECK(never_used.requests() == 0);
}

TEST_CASE("an async stream's callback can stop it, closing the connection", "[async_stream][cancel]") {
  StreamServer server;
  std::vector<Piece> pieces{{chunk("one ")}, {chunk("two ")}};
  for (int i = 0; i < 50; ++i) pieces.push_back({chunk("more "), false, 20ms});
  pieces.push_back({sse("[DONE]")});
  server.script(pieces);
  Orchestrator orchestrator(config_for({pool_at(Provider::groq, server.url())}));
  int calls = 0;  // only the loop thread touches it before the future is ready
  const Response r = orchestrator.stream_async("hi", [&](std::string_view) { return ++calls < 2; }).get();
  CHECK(calls == 2);
  CHECK(r.text == "one two ");
  CHECK(r.raw_finish_reason == "cancelled");
  CHECK(server.wait_client_gone(3s));
}

TEST_CASE("async stream limits follow the injected clock", "[async_stream][clock]") {
  FakeClock clock;
  StreamServer server;
  StreamServer fallback;
  fallback.script({{chunk("saved", "stop")}, {sse("[DONE]")}});
  OrchestratorConfig config =
      config_for({pool_at(Provider::groq, server.url()), pool_at(Provider::cerebras, fallback.url())});
  config.clock = clock.clock();
  config.timeouts.total = 100h;
  config.timeouts.first_delta = 1h;
  config.timeouts.stall = 1h;

  SECTION("no first delta: fails over") {
    server.script({{chunk("too late", "stop"), /*wait_for_gate=*/true}, {sse("[DONE]")}});
    Orchestrator orchestrator(config);
    auto future = orchestrator.stream_async("hi", [](std::string_view) { return true; });
    REQUIRE(server.wait_for_requests(1, 5s));
    CHECK(future.wait_for(50ms) == std::future_status::timeout);
    clock.advance(2h);
    REQUIRE(future.wait_for(5s) == std::future_status::ready);
    const Response r = future.get();
    CHECK(r.text == "saved");
    CHECK(r.attempts.at(0).outcome == AttemptOutcome::timeout);
  }
  SECTION("a stall after text: interrupted (surface policy)") {
    server.script({{chunk("Hello")}, {chunk("ld", "stop"), /*wait_for_gate=*/true}, {sse("[DONE]")}});
    config.stream_recovery = StreamRecovery::surface;
    Orchestrator orchestrator(config);
    std::promise<void> first_delta;
    auto future = orchestrator.stream_async("hi", [&](std::string_view) {
      first_delta.set_value();
      return true;
    });
    REQUIRE(first_delta.get_future().wait_for(5s) == std::future_status::ready);
    CHECK(future.wait_for(50ms) == std::future_status::timeout);
    clock.advance(2h);
    REQUIRE(future.wait_for(5s) == std::future_status::ready);
    CHECK_THROWS_AS(future.get(), StreamInterruptedError);
    CHECK(fallback.requests() == 0);
  }
}

TEST_CASE("a user's own client streams off the event loop", "[async_stream]") {
  struct Echo : LLMClient {
    Provider provider() const noexcept override { return Provider::openai_compatible; }
    Response complete(const ChatRequest& request, const CallOptions&) override {
      Response r;
      r.text = "echo " + request.messages.back().content;
      r.finish_reason = FinishReason::stop;
      return r;
    }
  };
  PoolConfig echo{Provider::openai_compatible, {"m"}, {"k"}};
  echo.client = std::make_shared<Echo>();
  OrchestratorConfig config;
  config.pools = {echo};
  Orchestrator orchestrator(config);
  Collector c;
  const Response r = orchestrator.stream_async("hi", c.callback()).get();
  CHECK(r.text == "echo hi");
  CHECK(c.text() == "echo hi");  // LLMClient::stream's default: the whole text as one delta
}

TEST_CASE("the callback form of stream_async calls exactly one of its callbacks", "[async_stream]") {
  sim::Simulator sim;
  PoolConfig gemini{Provider::gemini, {"gemini-2.5-flash"}, {"g0"}, sim.url()};
  Orchestrator orchestrator(config_for({gemini}));
  Collector c;
  std::promise<Response> done;
  std::atomic<int> calls{0};
  orchestrator.stream_async(
      ChatRequest::from_prompt("hi"), c.callback(),
      [&](Response r) {
        ++calls;
        done.set_value(std::move(r));
      },
      [&](std::exception_ptr e) {
        ++calls;
        done.set_exception(e);
      });
  const Response r = done.get_future().get();
  CHECK(calls == 1);
  CHECK_FALSE(r.text.empty());
  CHECK(c.text() == r.text);
  CHECK(c.deltas().size() >= 2);
}

TEST_CASE("many async streams share one event loop and its connections", "[async_stream][concurrency]") {
  sim::Simulator sim(nlohmann::json{{"rules", {{{"behavior", "ok"}, {"latency_ms", 20}}}}});
  PoolConfig groq{Provider::groq, {"openai/gpt-oss-120b"}, {"k0"}, sim.url()};
  Orchestrator orchestrator(config_for({groq}));
  orchestrator.stream_async("warm up", [](std::string_view) { return true; }).get();
  const std::size_t before = thread_count();

  constexpr int n = 300;
  std::vector<Collector> collectors(n);
  std::vector<std::future<Response>> futures;
  for (int i = 0; i < n; ++i) futures.push_back(orchestrator.stream_async("hello", collectors[i].callback()));
  const std::size_t during = thread_count();
  int whole = 0;
  for (int i = 0; i < n; ++i) {
    const Response r = futures[i].get();
    whole += !r.text.empty() && r.text == collectors[i].text() ? 1 : 0;
  }
  CHECK(whole == n);
  CHECK(during <= before);  // no thread per stream
  CHECK(sim.stats()["connections"].get<int>() <= 32);  // the loop's per-host connection cap
}

TEST_CASE("destroying the orchestrator with streams in flight fails them cleanly", "[async_stream][concurrency]") {
  StreamServer server;
  server.script({{chunk("Hello")}, {chunk(" never"), /*wait_for_gate=*/true}, {sse("[DONE]")}});
  std::vector<std::future<Response>> futures;
  std::promise<void> all_streaming;
  std::atomic<int> streaming{0};
  {
    OrchestratorConfig config = config_for({pool_at(Provider::groq, server.url())});
    // The test server may close a connection it accepted before the request's bytes came (its
    // keep-alive wait is 0): a stream the walk could not start must not pass for a cancelled one.
    config.retry.max_retries = 1;
    Orchestrator orchestrator(config);
    for (int i = 0; i < 4; ++i) {
      auto first = std::make_shared<std::once_flag>();
      futures.push_back(orchestrator.stream_async("hi", [&, first](std::string_view) {
        std::call_once(*first, [&] {
          if (++streaming == 4) all_streaming.set_value();
        });
        return true;
      }));
    }
    // Every stream in flight, held at the gate after its first delta.
    REQUIRE(all_streaming.get_future().wait_for(5s) == std::future_status::ready);
  }
  for (auto& f : futures) {
    REQUIRE(f.wait_for(1s) == std::future_status::ready);
    CHECK_THROWS_AS(f.get(), CancelledError);
  }
}
