// Issue 13's fault suite: sixteen provider misbehaviours, each through the Orchestrator against
// the simulator over loopback HTTP, with request(), stream() and stream_async() where they
// apply. One OpenAI-compatible endpoint, a primary and a fallback model, library defaults
// except time limits scaled down (the suite's 30 s attempt timeout becomes 1 s and so on), so
// the whole file runs in seconds. Each case asserts the outcome and the hits the simulator saw.

#include <catch2/catch.hpp>

#include <atomic>
#include <future>
#include <mutex>
#include <sstream>
#include <thread>

#include <polyrouter/polyrouter.hpp>
#include <polyrouter/sim/simulator.hpp>

#include "fake_clock.hpp"

using namespace polyrouter;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

enum class Mode { request, stream, stream_async };

const char* name_of(Mode mode) {
  switch (mode) {
    case Mode::request: return "request()";
    case Mode::stream: return "stream()";
    default: return "stream_async()";
  }
}

constexpr Mode all_modes[] = {Mode::request, Mode::stream, Mode::stream_async};
constexpr Mode stream_modes[] = {Mode::stream, Mode::stream_async};

// Sixty words, so a cut after 40 events leaves a long partial answer.
std::string sixty_words() {
  std::ostringstream out;
  for (int i = 1; i <= 60; ++i) out << (i > 1 ? " " : "") << "word" << i;
  return out.str();
}

// What a stream handed its caller, from whichever thread delivers it.
class Received {
 public:
  StreamCallbacks callbacks() {
    return {[this](std::string_view delta) {
              std::lock_guard<std::mutex> lock(mutex_);
              text_.append(delta);
              return true;
            },
            [this](const StreamRestart& restart) {
              std::lock_guard<std::mutex> lock(mutex_);
              restarts_.push_back(restart);
              discarded_.push_back(text_);
              text_.clear();  // what a caller does: drop what it showed
            }};
  }
  std::string text() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return text_;
  }
  std::vector<StreamRestart> restarts() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return restarts_;
  }
  std::vector<std::string> discarded() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return discarded_;
  }

 private:
  mutable std::mutex mutex_;
  std::string text_;
  std::vector<StreamRestart> restarts_;
  std::vector<std::string> discarded_;
};

// One endpoint, a primary and a fallback model, one key.
struct Suite {
  explicit Suite(json rules) : sim(json{{"rules", std::move(rules)}}) {
    PoolConfig pool{Provider::groq, {"primary", "fallback"}, {"sk-suite-key-0001"}};
    pool.base_url = sim.url();
    config.pools = {pool};
    config.timeouts.attempt = 1000ms;  // the suite's 30 s, scaled
    config.timeouts.first_delta = 500ms;
    config.timeouts.stall = 500ms;
    config.retry.initial_backoff = 20ms;  // the same retries, without real seconds of waiting
    config.retry.max_backoff = 100ms;
  }

  Response run(Mode mode, Received& received, const std::string& prompt = "hi") {
    Orchestrator& o = orchestrator();
    switch (mode) {
      case Mode::request: {
        Response r = o.request(prompt);
        received.callbacks().on_delta(r.text);
        return r;
      }
      case Mode::stream: return o.stream(ChatRequest::from_prompt(prompt), received.callbacks());
      default: return o.stream_async(ChatRequest::from_prompt(prompt), received.callbacks()).get();
    }
  }

  Orchestrator& orchestrator() {
    if (!built) built = std::make_unique<Orchestrator>(config);
    return *built;
  }
  std::size_t primary_hits() const { return sim.hits("groq", "", "primary"); }
  std::size_t fallback_hits() const { return sim.hits("groq", "", "fallback"); }

  sim::Simulator sim;
  OrchestratorConfig config;
  std::unique_ptr<Orchestrator> built;
};

json on_primary(json rule) {
  rule["model"] = "primary";
  return rule;
}

std::chrono::milliseconds since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
}

}  // namespace

TEST_CASE("fault 1: a 429 with Retry-After once, then healthy", "[faults]") {
  for (Mode mode : all_modes) {
    DYNAMIC_SECTION(name_of(mode)) {
      Suite s(json::array({on_primary({{"behavior", "rate_limit"}, {"retry_after_s", 2}, {"times", 1}})}));
      Received got;
      const Response r = s.run(mode, got);
      CHECK(r.model == "fallback");
      CHECK(got.text() == r.text);
      CHECK(s.primary_hits() == 1);  // not asked again before the hint
      CHECK(r.attempts.at(0).retry_after == 2000ms);
      // Within the hint, the primary stays out; the answer still comes.
      const Response again = s.run(mode, got);
      CHECK(again.model == "fallback");
      CHECK(s.primary_hits() == 1);
    }
  }
}

TEST_CASE("fault 2: a 429 without Retry-After, every time", "[faults]") {
  for (Mode mode : all_modes) {
    DYNAMIC_SECTION(name_of(mode)) {
      Suite s(json::array({on_primary({{"behavior", "server_error"}, {"status", 429}})}));
      Received got;
      for (int i = 0; i < 3; ++i) CHECK(s.run(mode, got).model == "fallback");
      CHECK(s.primary_hits() == 1);  // cooled for the default, not hammered
    }
  }
}

TEST_CASE("fault 3: a 500 once, then healthy", "[faults]") {
  for (Mode mode : all_modes) {
    DYNAMIC_SECTION(name_of(mode)) {
      Suite s(json::array({on_primary({{"behavior", "server_error"}, {"status", 500}, {"times", 1}})}));
      Received got;
      const Response r = s.run(mode, got);
      CHECK(r.model == "primary");
      CHECK(s.primary_hits() == 2);  // retried once, after backoff
      REQUIRE(r.attempts.size() == 2);
      CHECK(r.attempts[0].outcome == AttemptOutcome::unavailable);
    }
  }
}

TEST_CASE("fault 4 and 16: a 503 every time; the answer names the fallback", "[faults]") {
  for (Mode mode : all_modes) {
    DYNAMIC_SECTION(name_of(mode)) {
      Suite s(json::array({on_primary({{"behavior", "server_error"}, {"status", 503}})}));
      Received got;
      const Response r = s.run(mode, got);
      CHECK(s.primary_hits() <= 6);
      CHECK(s.primary_hits() == 3);  // the default two retries
      CHECK(r.model == "fallback");
      CHECK(r.usage.total_tokens > 0);
      CHECK(r.text == got.text());
      REQUIRE(r.attempts.size() == 4);
      for (int i = 0; i < 3; ++i) {
        CHECK(r.attempts[i].model == "primary");
        CHECK(r.attempts[i].outcome == AttemptOutcome::unavailable);
        CHECK(r.attempts[i].http_status == 503);
      }
      CHECK(r.attempts[3].model == "fallback");
    }
  }
}

TEST_CASE("fault 5: the connection closes before any response byte, once", "[faults]") {
  for (Mode mode : all_modes) {
    DYNAMIC_SECTION(name_of(mode)) {
      Suite s(json::array({on_primary({{"behavior", "reset_connection"}, {"times", 1}})}));
      Received got;
      const Response r = s.run(mode, got);
      CHECK(r.model == "primary");  // retried once on the same route
      CHECK(s.primary_hits() == 2);
      CHECK(r.attempts.at(0).outcome == AttemptOutcome::unavailable);
      CHECK(r.attempts.at(0).http_status == 0);
    }
  }
}

TEST_CASE("fault 6: a route that accepts the request and never answers", "[faults]") {
  for (Mode mode : all_modes) {
    DYNAMIC_SECTION(name_of(mode)) {
      Suite s(json::array({on_primary({{"behavior", "ok"}, {"latency_ms", 60000}})}));
      Received got;
      const auto start = std::chrono::steady_clock::now();
      const Response r = s.run(mode, got);
      CHECK(since(start) < 2 * s.config.timeouts.attempt);
      CHECK(r.model == "fallback");
      CHECK(s.primary_hits() == 1);  // a silent route is not retried
      CHECK(r.attempts.at(0).outcome == AttemptOutcome::timeout);
    }
  }
}

TEST_CASE("fault 7: headers at once, the first token late", "[faults]") {
  for (Mode mode : stream_modes) {
    DYNAMIC_SECTION(name_of(mode)) {
      Suite s(json::array({on_primary({{"behavior", "slow_first_token"}, {"delay_ms", 4000}})}));
      Received got;
      const auto start = std::chrono::steady_clock::now();
      const Response r = s.run(mode, got);
      CHECK(since(start) < 3000ms);  // the first-delta limit, not the token, ended the wait
      CHECK(r.model == "fallback");
      CHECK(got.text() == r.text);
      CHECK(s.primary_hits() == 1);
      CHECK(r.attempts.at(0).outcome == AttemptOutcome::timeout);
    }
  }
}

TEST_CASE("fault 8: a stream cut after 40 of 60 tokens, no terminator", "[faults]") {
  const std::string text = sixty_words();
  for (Mode mode : all_modes) {
    DYNAMIC_SECTION(name_of(mode)) {
      Suite s(json::array({on_primary({{"behavior", "stream_cut"}, {"after_chunks", 40}, {"text", text}}),
               {{"model", "fallback"}, {"text", text}}}));
      Received got;
      const Response r = s.run(mode, got);
      CHECK(r.text == text);
      CHECK(got.text() == text);
      CHECK(r.model == "fallback");
      if (mode != Mode::request) {
        REQUIRE(got.restarts().size() == 1);
        CHECK(got.restarts()[0].discarded_bytes == got.discarded().at(0).size());
        CHECK(text.rfind(got.discarded()[0], 0) == 0);  // the void text was the answer's start
        CHECK(got.restarts()[0].failed.model == "primary");
        CHECK(s.primary_hits() == 1);
        REQUIRE(r.attempts.size() == 2);  // the attempts show the cut
        CHECK(r.attempts[0].outcome == AttemptOutcome::unavailable);
      }
    }
  }
}

TEST_CASE("fault 9: a stream goes silent after 20 tokens, then closes", "[faults]") {
  const std::string text = sixty_words();
  for (Mode mode : stream_modes) {
    DYNAMIC_SECTION(name_of(mode)) {
      Suite s(json::array({on_primary({{"behavior", "stream_stall"}, {"after_chunks", 20}, {"delay_ms", 4000},
                           {"text", text}, {"times", 1}}),
               {{"text", text}}}));
      Received got;
      const auto start = std::chrono::steady_clock::now();
      const Response r = s.run(mode, got);
      CHECK(since(start) < 3000ms);  // the stall limit, not the server, ended it
      CHECK(r.text == text);
      CHECK(got.text() == text);
      CHECK(r.model == "fallback");
      CHECK(got.restarts().size() == 1);
      CHECK(r.attempts.at(0).outcome == AttemptOutcome::timeout);
      // Healthy afterwards: the next request is the primary's.
      Received next;
      CHECK(s.run(mode, next).model == "primary");
    }
  }
}

TEST_CASE("fault 10: the tenth event is not JSON; the stream otherwise completes", "[faults]") {
  const std::string text = sixty_words();
  for (Mode mode : stream_modes) {
    DYNAMIC_SECTION(name_of(mode)) {
      Suite s(json::array({on_primary({{"behavior", "malformed_event"}, {"after_chunks", 10}, {"text", text}})}));
      Received got;
      const Response r = s.run(mode, got);
      CHECK(r.model == "primary");
      CHECK(r.text == text);
      CHECK(got.text() == text);
      CHECK(r.skipped_events == 1);
      CHECK(s.primary_hits() == 1);
    }
  }
}

TEST_CASE("fault 11: a complete stream without data: [DONE]", "[faults]") {
  for (Mode mode : stream_modes) {
    DYNAMIC_SECTION(name_of(mode)) {
      Suite s(json::array({on_primary({{"behavior", "no_done_marker"}, {"text", "all of it"}})}));
      Received got;
      const Response r = s.run(mode, got);
      CHECK(r.model == "primary");
      CHECK(r.text == "all of it");
      CHECK(r.finish_reason == FinishReason::stop);
      CHECK(r.usage.total_tokens > 0);
      CHECK(s.primary_hits() == 1);
    }
  }
}

TEST_CASE("fault 12: a 400 context_length_exceeded", "[faults]") {
  for (Mode mode : all_modes) {
    DYNAMIC_SECTION(name_of(mode)) {
      Suite s(json::array({on_primary({{"behavior", "context_length"}})}));
      Received got;
      const Response r = s.run(mode, got);
      CHECK(r.model == "fallback");
      CHECK(s.primary_hits() == 1);
      CHECK(r.attempts.at(0).outcome == AttemptOutcome::bad_request);
    }
  }
}

TEST_CASE("fault 13: a 400 content-policy violation", "[faults]") {
  for (Mode mode : all_modes) {
    DYNAMIC_SECTION(name_of(mode)) {
      Suite s(json::array({on_primary({{"behavior", "content_policy"}})}));
      Received got;
      try {
        s.run(mode, got);
        FAIL("expected ContentFilteredError");
      } catch (const ContentFilteredError& e) {
        CHECK_THAT(e.what(), Catch::Contains("safety system: violence"));
        CHECK(e.provider_code() == "content_policy_violation");
      }
      CHECK(s.primary_hits() == 1);
      CHECK(s.fallback_hits() == 0);
    }
  }
}

TEST_CASE("fault 14: a cut stream, and a fallback that rejects a prefill", "[faults]") {
  const std::string text = sixty_words();
  for (Mode mode : stream_modes) {
    DYNAMIC_SECTION(name_of(mode)) {
      Suite s(json::array({on_primary({{"behavior", "stream_cut"}, {"after_chunks", 40}, {"text", text}}),
               {{"model", "fallback"}, {"behavior", "reject_prefill"}, {"text", text}}}));
      s.config.stream_recovery = StreamRecovery::continue_partial;
      Received got;
      const Response r = s.run(mode, got);
      CHECK(r.text == text);
      CHECK(got.text() == text);
      CHECK(got.restarts().size() == 1);   // the continuation was refused: start over
      CHECK(s.fallback_hits() == 2);       // the prefill, then the request from the start
      REQUIRE(r.attempts.size() == 3);
      CHECK(r.attempts[1].outcome == AttemptOutcome::bad_request);
      CHECK(r.attempts[2].outcome == AttemptOutcome::success);
    }
  }
}

TEST_CASE("fault 15: an outage of the primary, then recovery (short form)", "[faults]") {
  // 10 requests 1.2 s apart, the primary down for the first 6 s: fake time, real HTTP.
  for (Mode mode : all_modes) {
    DYNAMIC_SECTION(name_of(mode)) {
      test::FakeClock clock;
      Suite s(json::array({on_primary({{"behavior", "server_error"}, {"status", 503}})}));
      s.config.clock = clock.clock();
      const auto outage_end = 6000ms;
      std::chrono::milliseconds t{0};
      std::vector<std::string> served_by;
      bool recovered = false;
      for (int i = 0; i < 10; ++i, t += 1200ms) {
        if (t >= outage_end && !recovered) {
          s.sim.set_scenario(json::object());
          recovered = true;
        }
        Received got;
        served_by.push_back(s.run(mode, got).model);  // every request answers
        clock.advance(1200ms);
      }
      INFO(json(served_by).dump());
      CHECK(served_by.front() == "fallback");
      // Back on the primary within 10 s of its recovery: here at the first request after it.
      CHECK(served_by[5] == "primary");
      CHECK(served_by.back() == "primary");
    }
  }
}

TEST_CASE("fault 15: a long outage opens the breaker; the primary is back within 10 s", "[faults][breaker]") {
  test::FakeClock clock;
  Suite s(json::array({on_primary({{"behavior", "server_error"}, {"status", 503}})}));
  s.config.clock = clock.clock();
  Orchestrator& o = s.orchestrator();
  // 60 s of outage, a request every 250 ms: every one answers, from the fallback.
  for (int i = 0; i < 240; ++i) {
    REQUIRE(o.request("hi").model == "fallback");
    clock.advance(250ms);
  }
  const std::size_t during = s.primary_hits();
  CHECK(during < 240);  // the breaker spared the primary most of the outage
  s.sim.set_scenario(json::object());
  std::chrono::milliseconds back_after{0};
  for (; back_after < 20s; back_after += 250ms) {
    if (o.request("hi").model == "primary") break;
    clock.advance(250ms);
  }
  CHECK(back_after <= 10s);
}

TEST_CASE("many streams cut at once all restart on the fallback, each told once", "[faults][concurrency]") {
  const std::string text = sixty_words();
  Suite s(json::array({on_primary({{"behavior", "stream_cut"}, {"after_chunks", 20}, {"text", text}}),
                       {{"model", "fallback"}, {"text", text}}}));
  s.config.breaker.failure_ratio = 0;  // else the cuts open it, and later streams skip the primary
  s.config.timeouts.attempt = s.config.timeouts.first_delta = 30s;  // streams wait for a connection
  constexpr int streams = 40;
  std::vector<Received> received(streams);
  std::vector<std::future<Response>> answers;
  for (int i = 0; i < streams; ++i) {
    answers.push_back(s.orchestrator().stream_async(ChatRequest::from_prompt("hi"), received[i].callbacks()));
  }
  for (int i = 0; i < streams; ++i) {
    const Response r = answers[i].get();
    CHECK(r.text == text);
    CHECK(received[i].text() == text);
    CHECK(received[i].restarts().size() == 1);
  }
}

TEST_CASE("threads sharing a model with a failing key keep its breaker closed", "[faults][concurrency][breaker]") {
  // One key of two always answers 503: every request still gets its answer from the model, so
  // the breaker, counting one outcome per request, never opens however the threads interleave.
  sim::Simulator sim(json{{"rules", {{{"key", "k-bad"}, {"behavior", "server_error"}, {"status", 503}}}}});
  OrchestratorConfig config;
  PoolConfig pool{Provider::groq, {"primary", "fallback"}, {"k-bad", "k-ok"}};
  pool.base_url = sim.url();
  config.pools = {pool};
  config.retry.max_retries = 0;
  config.breaker.minimum_requests = 5;
  Orchestrator orchestrator(config);
  std::atomic<int> on_primary{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        if (orchestrator.request("hi").model == "primary") ++on_primary;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(on_primary == 200);
  CHECK(orchestrator.health().pools[0].models[0].state == ModelHealth::State::ok);
}
