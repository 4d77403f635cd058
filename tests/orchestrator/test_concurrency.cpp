// One orchestrator shared by many threads, with faults injected. Run under ThreadSanitizer in CI
// (label "concurrency").

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include <polyrouter/polyrouter.hpp>
#include <polyrouter/sim/simulator.hpp>

using namespace polyrouter;
using nlohmann::json;

TEST_CASE("16 threads share one orchestrator and its health memory", "[orchestrator][concurrency]") {
  sim::Simulator sim(json{{"rules",
                       {{{"provider", "groq"}, {"key", "bad-key"}, {"behavior", "invalid_key"}},
                        {{"provider", "groq"}, {"key", "busy-key"}, {"behavior", "rate_limit"}, {"retry_after_s", 600}},
                        {{"provider", "gemini"}, {"behavior", "server_error"}, {"status", 503}, {"times", 10}}}}});
  OrchestratorConfig config;
  config.retry.initial_backoff = std::chrono::milliseconds(1);
  config.retry.max_backoff = std::chrono::milliseconds(2);
  PoolConfig groq{Provider::groq, {"openai/gpt-oss-120b"}, {"bad-key", "busy-key"}};
  PoolConfig gemini{Provider::gemini, {"gemini-2.5-flash"}, {"g-0"}};
  PoolConfig cerebras{Provider::cerebras, {"gpt-oss-120b"}, {"c-0"}};
  for (PoolConfig* p : {&groq, &gemini, &cerebras}) p->base_url = sim.url();
  config.pools = {groq, gemini, cerebras};
  Orchestrator orchestrator(config);

  constexpr int threads = 16, per_thread = 20;
  std::atomic<int> answered{0}, failed{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int i = 0; i < per_thread; ++i) {
        try {
          const Response r = orchestrator.request("hello");
          if (!r.text.empty() && (r.provider == Provider::gemini || r.provider == Provider::cerebras)) ++answered;
        } catch (const Error&) {
          ++failed;
        }
      }
    });
  }
  for (auto& th : pool) th.join();

  CHECK(failed == 0);
  CHECK(answered == threads * per_thread);
  // What one thread learned, the others used: each bad key is hit at most once per thread
  // that raced past it before the first answer arrived, never once per request.
  CHECK(sim.hits("groq", "bad-key") <= static_cast<std::size_t>(threads));
  CHECK(sim.hits("groq", "busy-key") <= static_cast<std::size_t>(threads));
  const Stats s = orchestrator.stats();
  CHECK(s.requests == threads * per_thread);
  CHECK(s.successes == threads * per_thread);
  const auto health = orchestrator.health();
  CHECK(health.pools[0].keys[0].state == KeyHealth::State::quarantined);
  REQUIRE(health.pools[0].models[0].cooldowns.size() == 1);
  CHECK(health.pools[0].models[0].cooldowns[0].key_label == "GROQ_API_KEY1");
}
