// The walk over pools × models × keys and what it learns, against the provider simulator over
// real loopback HTTP. Every test asserts the exact sequence of attempts and the server's hits.

#include <catch2/catch.hpp>

#include <polyrouter/polyrouter.hpp>
#include <polyrouter/sim/simulator.hpp>

#include "fake_clock.hpp"

using namespace polyrouter;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

struct Step {
  std::string pool, model, key;
  AttemptOutcome outcome;
};

std::vector<Step> steps(const std::vector<Attempt>& attempts) {
  std::vector<Step> out;
  for (const auto& a : attempts) out.push_back({a.pool, a.model, a.key_label, a.outcome});
  return out;
}

void require_steps(const std::vector<Attempt>& attempts, const std::vector<Step>& expected) {
  INFO(format_attempts(attempts));
  REQUIRE(attempts.size() == expected.size());
  const auto got = steps(attempts);
  for (std::size_t i = 0; i < expected.size(); ++i) {
    INFO("attempt " << i + 1);
    CHECK(got[i].pool == expected[i].pool);
    CHECK(got[i].model == expected[i].model);
    CHECK(got[i].key == expected[i].key);
    CHECK(to_string(got[i].outcome) == to_string(expected[i].outcome));
  }
}

PoolConfig pool(Provider provider, std::vector<std::string> models, std::vector<ApiKey> keys,
                const sim::Simulator& sim) {
  PoolConfig p{provider, std::move(models), std::move(keys)};
  p.base_url = sim.url();
  return p;
}

// Fast, deterministic policies: fake time, no jitter.
OrchestratorConfig base_config(test::FakeClock& clock) {
  OrchestratorConfig c;
  c.clock = clock.clock();
  c.retry.max_retries = 1;
  c.retry.jitter = 0;
  c.retry.initial_backoff = 100ms;
  c.jitter_seed = 7;
  return c;
}

const json three_pool_models = {{"groq", {"openai/gpt-oss-120b", "openai/gpt-oss-20b"}},
                                {"gemini", {"gemini-2.5-flash"}},
                                {"cerebras", {"gpt-oss-120b"}}};

}  // namespace

TEST_CASE("the walk goes pools, then models, then keys, in order", "[orchestrator][walk]") {
  sim::Simulator sim(json{{"models", three_pool_models},
                      {"rules",
                       {{{"provider", "groq"}, {"model", "openai/gpt-oss-120b"}, {"behavior", "server_error"}, {"status", 503}},
                        {{"provider", "groq"}, {"model", "openai/gpt-oss-20b"}, {"key", "gk-0"}, {"behavior", "rate_limit"}},
                        {{"provider", "groq"}, {"model", "openai/gpt-oss-20b"}, {"key", "gk-1"}, {"behavior", "rate_limit"}},
                        {{"provider", "gemini"}, {"behavior", "server_error"}, {"status", 500}}}}});
  test::FakeClock clock;
  OrchestratorConfig config = base_config(clock);
  config.retry.max_retries = 0;
  config.pools = {pool(Provider::groq, {"openai/gpt-oss-120b", "openai/gpt-oss-20b"}, {"gk-0", "gk-1"}, sim),
                  pool(Provider::gemini, {"gemini-2.5-flash"}, {"ge-0"}, sim),
                  pool(Provider::cerebras, {"gpt-oss-120b"}, {"ce-0"}, sim)};
  Orchestrator orchestrator(config);

  const Response r = orchestrator.request("hello");
  CHECK(r.provider == Provider::cerebras);
  CHECK(r.pool == "cerebras");
  CHECK(r.key_label == "CEREBRAS_API_KEY0");
  CHECK_FALSE(r.text.empty());
  require_steps(r.attempts, {{"groq", "openai/gpt-oss-120b", "GROQ_API_KEY0", AttemptOutcome::unavailable},
                             {"groq", "openai/gpt-oss-120b", "GROQ_API_KEY1", AttemptOutcome::unavailable},
                             {"groq", "openai/gpt-oss-20b", "GROQ_API_KEY0", AttemptOutcome::rate_limited},
                             {"groq", "openai/gpt-oss-20b", "GROQ_API_KEY1", AttemptOutcome::rate_limited},
                             {"gemini", "gemini-2.5-flash", "GEMINI_API_KEY0", AttemptOutcome::unavailable},
                             {"cerebras", "gpt-oss-120b", "CEREBRAS_API_KEY0", AttemptOutcome::success}});
  CHECK(sim.hits() == 6);
  CHECK(orchestrator.stats().fallbacks == 5);
  CHECK(orchestrator.stats().successes == 1);
}

TEST_CASE("round_robin rotates the starting key per request, deterministically", "[orchestrator][walk]") {
  sim::Simulator sim;
  test::FakeClock clock;
  OrchestratorConfig config = base_config(clock);
  config.round_robin = true;
  config.pools = {pool(Provider::groq, {"m"}, {"k-0", "k-1", "k-2"}, sim)};
  Orchestrator orchestrator(config);
  std::vector<std::string> first_keys;
  for (int i = 0; i < 4; ++i) first_keys.push_back(orchestrator.request("hi").key_label);
  CHECK(first_keys == std::vector<std::string>{"GROQ_API_KEY0", "GROQ_API_KEY1", "GROQ_API_KEY2", "GROQ_API_KEY0"});
}

TEST_CASE("an invalid key is quarantined for its pool and never tried again", "[orchestrator][health]") {
  sim::Simulator sim(json{{"rules", {{{"key", "bad-key"}, {"behavior", "invalid_key"}}}}});
  test::FakeClock clock;
  OrchestratorConfig config = base_config(clock);
  config.pools = {pool(Provider::groq, {"m1", "m2"}, {"bad-key", "good-key"}, sim)};
  Orchestrator orchestrator(config);

  const Response first = orchestrator.request("one");
  require_steps(first.attempts, {{"groq", "m1", "GROQ_API_KEY0", AttemptOutcome::invalid_key},
                                 {"groq", "m1", "GROQ_API_KEY1", AttemptOutcome::success}});
  clock.advance(24h);
  for (int i = 0; i < 3; ++i) {
    const Response later = orchestrator.request("again");
    require_steps(later.attempts, {{"groq", "m1", "GROQ_API_KEY1", AttemptOutcome::success}});
  }
  CHECK(sim.hits("groq", "bad-key") == 1);
  const auto health = orchestrator.health();
  CHECK(health.pools[0].keys[0].state == KeyHealth::State::quarantined);
  CHECK_FALSE(health.pools[0].keys[0].reset_in.has_value());  // for the orchestrator's lifetime
  CHECK(health.pools[0].keys[1].state == KeyHealth::State::ok);
}

TEST_CASE("an invalid key's quarantine ends after its configured TTL", "[orchestrator][health]") {
  sim::Simulator sim(json{{"rules", {{{"key", "bad-key"}, {"behavior", "invalid_key"}, {"times", 1}}}}});
  test::FakeClock clock;
  OrchestratorConfig config = base_config(clock);
  config.cooldown.invalid_key_ttl = 10min;
  config.pools = {pool(Provider::groq, {"m1"}, {"bad-key", "good-key"}, sim)};
  Orchestrator orchestrator(config);
  orchestrator.request("one");
  clock.advance(9min);
  CHECK(orchestrator.request("two").attempts.size() == 1);
  clock.advance(2min);
  const Response after = orchestrator.request("three");
  require_steps(after.attempts, {{"groq", "m1", "GROQ_API_KEY0", AttemptOutcome::success}});
}

TEST_CASE("a rate-limited key cools until the provider's reset, then is tried again", "[orchestrator][health]") {
  // The simulator's Groq 429 says retry-after: 30.
  sim::Simulator sim(json{{"rules", {{{"key", "k-0"}, {"behavior", "rate_limit"}, {"retry_after_s", 30}, {"times", 1}}}}});
  test::FakeClock clock;
  OrchestratorConfig config = base_config(clock);
  config.pools = {pool(Provider::groq, {"m"}, {"k-0", "k-1"}, sim)};
  Orchestrator orchestrator(config);

  const Response first = orchestrator.request("one");
  require_steps(first.attempts, {{"groq", "m", "GROQ_API_KEY0", AttemptOutcome::rate_limited},
                                 {"groq", "m", "GROQ_API_KEY1", AttemptOutcome::success}});
  REQUIRE(first.attempts[0].retry_after.has_value());
  CHECK(*first.attempts[0].retry_after == 30s);

  auto health = orchestrator.health();
  REQUIRE(health.pools[0].models[0].cooldowns.size() == 1);
  CHECK(health.pools[0].models[0].cooldowns[0].key_label == "GROQ_API_KEY0");
  CHECK(health.pools[0].models[0].cooldowns[0].reset_in == 30s);

  clock.advance(29s);
  require_steps(orchestrator.request("two").attempts, {{"groq", "m", "GROQ_API_KEY1", AttemptOutcome::success}});
  CHECK(sim.hits("groq", "k-0") == 1);

  clock.advance(2s);
  require_steps(orchestrator.request("three").attempts, {{"groq", "m", "GROQ_API_KEY0", AttemptOutcome::success}});
  CHECK(sim.hits("groq", "k-0") == 2);
}

TEST_CASE("Gemini's RetryInfo sets the cooldown", "[orchestrator][health][gemini]") {
  sim::Simulator sim(json{{"rules", {{{"provider", "gemini"}, {"behavior", "rate_limit"}, {"retry_after_s", 26}}}}});
  test::FakeClock clock;
  OrchestratorConfig config = base_config(clock);
  config.pools = {pool(Provider::gemini, {"gemini-2.5-flash"}, {"AIza-sim-key"}, sim),
                  pool(Provider::cerebras, {"gpt-oss-120b"}, {"csk-sim"}, sim)};
  Orchestrator orchestrator(config);
  const Response r = orchestrator.request("hi");
  REQUIRE(r.attempts.size() == 2);
  CHECK(r.attempts[0].outcome == AttemptOutcome::rate_limited);
  CHECK(r.attempts[0].retry_after == std::optional<std::chrono::milliseconds>(26s));
  CHECK(orchestrator.health().pools[0].models[0].cooldowns.at(0).reset_in == 26s);
}

TEST_CASE("a rate limit without a hint cools for the configured default", "[orchestrator][health]") {
  sim::Simulator sim(json{{"rules", {{{"provider", "gemini"}, {"behavior", "rate_limit"}, {"retry_after_s", 0}}}}});
  test::FakeClock clock;
  OrchestratorConfig config = base_config(clock);
  config.cooldown.rate_limit_default = 45s;
  config.pools = {pool(Provider::gemini, {"gemini-2.5-flash"}, {"AIza-sim-key"}, sim)};
  Orchestrator orchestrator(config);
  CHECK_THROWS_AS(orchestrator.request("hi"), AllClientsExhaustedError);
  const auto cooldowns = orchestrator.health().pools[0].models[0].cooldowns;
  REQUIRE(cooldowns.size() == 1);
  CHECK(cooldowns[0].reset_in == 45s);
}

TEST_CASE("a shared-quota pool cools the model for every key at once", "[orchestrator][health]") {
  sim::Simulator sim(json{{"rules", {{{"provider", "groq"}, {"behavior", "rate_limit"}, {"retry_after_s", 20}}}}});
  test::FakeClock clock;
  OrchestratorConfig config = base_config(clock);
  PoolConfig shared = pool(Provider::groq, {"m1", "m2"}, {"k-0", "k-1", "k-2"}, sim);
  shared.shared_quota = true;
  config.pools = {shared, pool(Provider::cerebras, {"gpt-oss-120b"}, {"csk-sim"}, sim)};
  Orchestrator orchestrator(config);

  const Response r = orchestrator.request("hi");
  // One 429 per model is enough: the other keys share the same quota.
  require_steps(r.attempts, {{"groq", "m1", "GROQ_API_KEY0", AttemptOutcome::rate_limited},
                             {"groq", "m2", "GROQ_API_KEY0", AttemptOutcome::rate_limited},
                             {"cerebras", "gpt-oss-120b", "CEREBRAS_API_KEY0", AttemptOutcome::success}});
  CHECK(sim.hits("groq", "k-1") == 0);
  CHECK(sim.hits("groq", "k-2") == 0);
  CHECK(orchestrator.health().pools[0].models[0].cooldowns.size() == 3);
}

TEST_CASE("a model the provider reports missing is skipped from then on", "[orchestrator][health]") {
  sim::Simulator sim(json{{"models", {{"groq", {"openai/gpt-oss-120b"}}}}});
  test::FakeClock clock;
  OrchestratorConfig config = base_config(clock);
  config.pools = {pool(Provider::groq, {"llama-3.3-70b-versatile", "openai/gpt-oss-120b"}, {"k-0", "k-1"}, sim)};
  Orchestrator orchestrator(config);

  require_steps(orchestrator.request("one").attempts,
                {{"groq", "llama-3.3-70b-versatile", "GROQ_API_KEY0", AttemptOutcome::model_not_found},
                 {"groq", "openai/gpt-oss-120b", "GROQ_API_KEY0", AttemptOutcome::success}});
  require_steps(orchestrator.request("two").attempts,
                {{"groq", "openai/gpt-oss-120b", "GROQ_API_KEY0", AttemptOutcome::success}});
  CHECK(sim.hits("groq", {}, "llama-3.3-70b-versatile") == 1);
  CHECK(orchestrator.health().pools[0].models[0].state == ModelHealth::State::missing);
}

TEST_CASE("the breaker opens on the ratio of failed requests, half-opens after its delay, closes on success",
          "[orchestrator][breaker]") {
  sim::Simulator sim(json{{"rules", {{{"model", "flaky"}, {"behavior", "server_error"}, {"status", 503}}}}});
  test::FakeClock clock;
  OrchestratorConfig config = base_config(clock);
  config.retry.max_retries = 0;
  config.breaker.minimum_requests = 3;
  config.breaker.open_duration = 2s;
  config.pools = {pool(Provider::groq, {"flaky", "steady"}, {"k-0", "k-1"}, sim)};
  Orchestrator orchestrator(config);

  // Each request fails on both keys of the flaky model: one failed request each, not two.
  for (const char* prompt : {"one", "two"}) {
    require_steps(orchestrator.request(prompt).attempts,
                  {{"groq", "flaky", "GROQ_API_KEY0", AttemptOutcome::unavailable},
                   {"groq", "flaky", "GROQ_API_KEY1", AttemptOutcome::unavailable},
                   {"groq", "steady", "GROQ_API_KEY0", AttemptOutcome::success}});
  }
  CHECK(orchestrator.health().pools[0].models[0].state == ModelHealth::State::ok);
  orchestrator.request("three");  // the third failed request of three: open
  CHECK(orchestrator.health().pools[0].models[0].state == ModelHealth::State::breaker_open);

  // While open, no round trip to it.
  require_steps(orchestrator.request("four").attempts, {{"groq", "steady", "GROQ_API_KEY0", AttemptOutcome::success}});
  CHECK(sim.hits("groq", {}, "flaky") == 6);

  // After the delay one trial goes through; it fails, so the breaker opens again at once.
  clock.advance(2100ms);
  CHECK(orchestrator.health().pools[0].models[0].state == ModelHealth::State::breaker_half_open);
  require_steps(orchestrator.request("five").attempts,
                {{"groq", "flaky", "GROQ_API_KEY0", AttemptOutcome::unavailable},
                 {"groq", "steady", "GROQ_API_KEY0", AttemptOutcome::success}});
  CHECK(orchestrator.health().pools[0].models[0].state == ModelHealth::State::breaker_open);
  clock.advance(2100ms);  // the second interval is twice the first
  CHECK(orchestrator.health().pools[0].models[0].state == ModelHealth::State::breaker_open);

  // The model recovers: the next trial succeeds and closes the breaker.
  sim.set_scenario(json::object());
  clock.advance(2100ms);
  require_steps(orchestrator.request("six").attempts, {{"groq", "flaky", "GROQ_API_KEY0", AttemptOutcome::success}});
  CHECK(orchestrator.health().pools[0].models[0].state == ModelHealth::State::ok);
  require_steps(orchestrator.request("seven").attempts, {{"groq", "flaky", "GROQ_API_KEY0", AttemptOutcome::success}});
}

TEST_CASE("failing keys do not open the breaker of a model that answers on another key", "[orchestrator][breaker]") {
  // Two keys always 503, retried: six transient failures before every answer. Counted per
  // attempt they would trip a breaker; the model answers every request, so it stays closed.
  sim::Simulator sim(json{{"rules", {{{"key", "k-0"}, {"behavior", "server_error"}, {"status", 503}},
                                     {{"key", "k-1"}, {"behavior", "server_error"}, {"status", 503}}}}});
  test::FakeClock clock;
  OrchestratorConfig config = base_config(clock);
  config.retry.max_retries = 2;
  config.retry_throttle.enabled = false;
  config.breaker.minimum_requests = 5;
  config.pools = {pool(Provider::groq, {"m", "other"}, {"k-0", "k-1", "k-2"}, sim)};
  Orchestrator orchestrator(config);
  for (int i = 0; i < 20; ++i) {
    const Response r = orchestrator.request("hi");
    REQUIRE(r.model == "m");
    REQUIRE(r.key_label == "GROQ_API_KEY2");
  }
  CHECK(orchestrator.health().pools[0].models[0].state == ModelHealth::State::ok);
  CHECK(sim.hits("groq", {}, "other") == 0);
}

TEST_CASE("a host that does not resolve is not retried; a refused connection is retried once",
          "[orchestrator][retry]") {
  sim::Simulator sim;
  test::FakeClock clock;
  OrchestratorConfig config = base_config(clock);
  config.retry.max_retries = 2;
  PoolConfig unreachable{Provider::groq, {"m"}, {"k-0"}};
  unreachable.name = "unreachable";
  const Step failed{"unreachable", "m", "UNREACHABLE_API_KEY0", AttemptOutcome::unavailable};
  const Step answered{"gemini", "gemini-2.5-flash", "GEMINI_API_KEY0", AttemptOutcome::success};
  SECTION("DNS: couldn't resolve host moves on at once") {
    unreachable.base_url = "http://polyrouter-test.invalid";
    config.pools = {unreachable, pool(Provider::gemini, {"gemini-2.5-flash"}, {"g-0"}, sim)};
    require_steps(Orchestrator(config).request("hi").attempts, {failed, answered});
    CHECK(clock.sleeps().empty());  // no backoff either
  }
  SECTION("connection refused: one retry after backoff (a restarting server), then on") {
    unreachable.base_url = "http://127.0.0.1:1";
    config.pools = {unreachable, pool(Provider::gemini, {"gemini-2.5-flash"}, {"g-0"}, sim)};
    require_steps(Orchestrator(config).request("hi").attempts, {failed, failed, answered});
    CHECK(clock.sleeps().size() == 1);
  }
}

TEST_CASE("a CDN block page cools the whole pool for a while and quarantines no key", "[orchestrator][rate_limit]") {
  sim::Simulator sim(json{{"rules", {{{"provider", "groq"}, {"behavior", "html_error"}, {"status", 403}, {"times", 1}}}}});
  test::FakeClock clock;
  OrchestratorConfig config = base_config(clock);
  config.pools = {pool(Provider::groq, {"m1", "m2"}, {"k-0", "k-1"}, sim),
                  pool(Provider::gemini, {"gemini-2.5-flash"}, {"g-0"}, sim)};
  Orchestrator orchestrator(config);
  require_steps(orchestrator.request("one").attempts,
                {{"groq", "m1", "GROQ_API_KEY0", AttemptOutcome::rate_limited},
                 {"gemini", "gemini-2.5-flash", "GEMINI_API_KEY0", AttemptOutcome::success}});
  const HealthSnapshot health = orchestrator.health();
  for (const KeyHealth& key : health.pools[0].keys) CHECK(key.state == KeyHealth::State::ok);
  CHECK(health.pools[0].models[1].cooldowns.size() == 2);  // every model, every key
  // Within the block, no round trip to the pool; after it, the pool answers again.
  CHECK(orchestrator.request("two").pool == "gemini");
  CHECK(sim.hits("groq") == 1);
  clock.advance(config.cooldown.network_block + 1s);
  CHECK(orchestrator.request("three").pool == "groq");
}

TEST_CASE("a key without quota for a model (Gemini limit: 0) stays out of it for hours", "[orchestrator][rate_limit]") {
  struct NoQuota : LLMClient {
    Provider provider() const noexcept override { return Provider::gemini; }
    Response complete(const ChatRequest&, const CallOptions&) override {
      ErrorContext context;
      context.retry_after = 30s;  // the hint says seconds; the wall is lasting
      throw RateLimitError("Quota exceeded for metric: ..., limit: 0, model: gemini-2.5-pro", context,
                           RateLimitError::Scope::key, /*daily=*/true, /*no_quota=*/true);
    }
  };
  sim::Simulator sim;
  test::FakeClock clock;
  OrchestratorConfig config = base_config(clock);
  PoolConfig walled{Provider::gemini, {"gemini-2.5-pro"}, {"g-0"}};
  walled.client = std::make_shared<NoQuota>();
  config.pools = {walled, pool(Provider::groq, {"m"}, {"k-0"}, sim)};
  Orchestrator orchestrator(config);
  CHECK(orchestrator.request("hi").pool == "groq");
  const auto cooldowns = orchestrator.health().pools[0].models[0].cooldowns;
  REQUIRE(cooldowns.size() == 1);
  CHECK(cooldowns[0].reset_in >= config.cooldown.no_quota - 1s);
  CHECK(config.cooldown.no_quota >= 1h);
}

TEST_CASE("when everything is cooling, the request waits for the reset within max_wait", "[orchestrator][wait]") {
  sim::Simulator sim(json{{"rules", {{{"behavior", "rate_limit"}, {"retry_after_s", 5}, {"times", 1}}}}});
  test::FakeClock clock;
  OrchestratorConfig config = base_config(clock);
  config.pools = {pool(Provider::groq, {"m"}, {"k-0"}, sim)};
  Orchestrator orchestrator(config);

  RequestOptions options;
  options.max_wait = 10s;
  const Response r = orchestrator.request("hi", options);
  require_steps(r.attempts, {{"groq", "m", "GROQ_API_KEY0", AttemptOutcome::rate_limited},
                             {"groq", "m", "GROQ_API_KEY0", AttemptOutcome::success}});
  REQUIRE(clock.sleeps().size() == 1);
  CHECK(clock.sleeps()[0] == 5s);
}

TEST_CASE("when the reset is beyond max_wait, the request fails with the earliest reset", "[orchestrator][wait]") {
  sim::Simulator sim(json{{"rules", {{{"key", "k-0"}, {"behavior", "rate_limit"}, {"retry_after_s", 40}},
                                 {{"key", "k-1"}, {"behavior", "rate_limit"}, {"retry_after_s", 25}}}}});
  test::FakeClock clock;
  OrchestratorConfig config = base_config(clock);
  config.pools = {pool(Provider::groq, {"m"}, {"k-0", "k-1"}, sim)};
  Orchestrator orchestrator(config);

  RequestOptions options;
  options.max_wait = 10s;
  try {
    orchestrator.request("hi", options);
    FAIL("expected AllClientsExhaustedError");
  } catch (const AllClientsExhaustedError& e) {
    require_steps(e.attempts(), {{"groq", "m", "GROQ_API_KEY0", AttemptOutcome::rate_limited},
                                 {"groq", "m", "GROQ_API_KEY1", AttemptOutcome::rate_limited}});
    REQUIRE(e.earliest_reset().has_value());
    CHECK(*e.earliest_reset() == 25s);
    CHECK(clock.sleeps().empty());
  }
}

TEST_CASE("a transient fault is retried on the same combination, then succeeds", "[orchestrator][retry]") {
  sim::Simulator sim(json{{"rules", {{{"behavior", "server_error"}, {"status", 503}, {"times", 2}}}}});
  test::FakeClock clock;
  OrchestratorConfig config = base_config(clock);
  config.retry.max_retries = 2;
  config.retry.initial_backoff = 500ms;
  config.pools = {pool(Provider::groq, {"m"}, {"k-0", "k-1"}, sim)};
  Orchestrator orchestrator(config);

  const Response r = orchestrator.request("hi");
  require_steps(r.attempts, {{"groq", "m", "GROQ_API_KEY0", AttemptOutcome::unavailable},
                             {"groq", "m", "GROQ_API_KEY0", AttemptOutcome::unavailable},
                             {"groq", "m", "GROQ_API_KEY0", AttemptOutcome::success}});
  // Exponential backoff (jitter off here): 500 ms, then 1 s.
  CHECK(clock.sleeps() == std::vector<std::chrono::milliseconds>{500ms, 1000ms});
  CHECK(sim.hits("groq", "k-1") == 0);
}

TEST_CASE("jitter shortens each backoff by at most its fraction", "[orchestrator][retry]") {
  sim::Simulator sim(json{{"rules", {{{"behavior", "server_error"}, {"status", 500}}}}});
  test::FakeClock clock;
  OrchestratorConfig config = base_config(clock);
  config.retry.max_retries = 3;
  config.retry.jitter = 0.25;
  config.retry.initial_backoff = 1000ms;
  config.retry.max_backoff = 3000ms;
  config.pools = {pool(Provider::groq, {"m"}, {"k-0"}, sim)};
  Orchestrator orchestrator(config);
  CHECK_THROWS_AS(orchestrator.request("hi"), AllClientsExhaustedError);
  const auto sleeps = clock.sleeps();
  REQUIRE(sleeps.size() == 3);
  const std::chrono::milliseconds ceilings[] = {1000ms, 2000ms, 3000ms};  // the third is capped
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(sleeps[i] <= ceilings[i]);
    CHECK(sleeps[i] >= ceilings[i] * 3 / 4);
  }
}

TEST_CASE("retries are bounded per combination; moving on is not", "[orchestrator][retry]") {
  sim::Simulator sim(json{{"rules", {{{"provider", "groq"}, {"behavior", "server_error"}, {"status", 502}}}}});
  test::FakeClock clock;
  OrchestratorConfig config = base_config(clock);
  config.retry.max_retries = 2;
  config.breaker.failure_ratio = 0;  // isolate the retry bound from the breaker
  config.retry_throttle.enabled = false;  // and from the throttle
  config.pools = {pool(Provider::groq, {"m1", "m2"}, {"k-0", "k-1"}, sim),
                  pool(Provider::cerebras, {"gpt-oss-120b"}, {"csk-sim"}, sim)};
  Orchestrator orchestrator(config);
  const Response r = orchestrator.request("hi");
  REQUIRE(r.attempts.size() == 4 * 3 + 1);  // each of 4 groq combinations: 1 try + 2 retries
  for (std::size_t i = 0; i < 12; ++i) CHECK(r.attempts[i].outcome == AttemptOutcome::unavailable);
  CHECK(r.provider == Provider::cerebras);
  CHECK(sim.hits("groq") == 12);
}

TEST_CASE("the retry throttle stops retry storms when most requests fail", "[orchestrator][retry]") {
  sim::Simulator sim(json{{"rules", {{{"behavior", "server_error"}, {"status", 500}}}}});
  test::FakeClock clock;
  OrchestratorConfig config = base_config(clock);
  config.retry.max_retries = 5;
  config.retry.route_failure_limit = 0;  // the throttle alone limits retries here
  config.breaker.failure_ratio = 0;
  config.retry_throttle.max_tokens = 4;  // retries allowed while tokens > 2
  config.pools = {pool(Provider::groq, {"m"}, {"k-0", "k-1", "k-2"}, sim)};
  Orchestrator orchestrator(config);
  // Each failed request costs one token: 4 -> 3 -> 2, then no more retries.
  CHECK_THROWS_AS(orchestrator.request("one"), AllClientsExhaustedError);
  CHECK_THROWS_AS(orchestrator.request("two"), AllClientsExhaustedError);
  CHECK(sim.hits("groq", "k-0") == 12);
  CHECK_THROWS_AS(orchestrator.request("three"), AllClientsExhaustedError);
  CHECK(sim.hits("groq", "k-0") == 13);
  CHECK(sim.hits("groq", "k-1") == 13);
  CHECK(sim.hits("groq", "k-2") == 13);
}

TEST_CASE("a key that always fails does not starve the retries of the healthy ones", "[orchestrator][retry]") {
  // The bad key fails every request; the healthy one fails once in a while and is rescued by a
  // retry. Counted per attempt, the bad key's failures would drain the throttle.
  sim::Simulator sim(json{{"rules", {{{"key", "k-bad"}, {"behavior", "server_error"}, {"status", 503}},
                                     {{"key", "k-ok"}, {"behavior", "server_error"}, {"status", 500}, {"times", 1}}}}});
  test::FakeClock clock;
  OrchestratorConfig config = base_config(clock);
  config.retry.max_retries = 1;
  config.breaker.failure_ratio = 0;
  config.pools = {pool(Provider::groq, {"m"}, {"k-bad", "k-ok"}, sim)};
  Orchestrator orchestrator(config);
  for (int i = 0; i < 20; ++i) CHECK(orchestrator.request("hi").key_label == "GROQ_API_KEY1");
  sim.set_scenario(json{{"rules", {{{"key", "k-bad"}, {"behavior", "server_error"}, {"status", 503}},
                                   {{"key", "k-ok"}, {"behavior", "server_error"}, {"status", 500}, {"times", 1}}}}});
  const Response r = orchestrator.request("hi");  // k-ok fails once: its retry still runs
  CHECK(r.key_label == "GROQ_API_KEY1");
  CHECK(r.attempts.back().outcome == AttemptOutcome::success);
}

TEST_CASE("the request deadline bounds retries and failover", "[orchestrator][deadline]") {
  sim::Simulator sim(json{{"rules", {{{"behavior", "server_error"}, {"status", 503}}}}});
  test::FakeClock clock;
  OrchestratorConfig config = base_config(clock);
  config.retry.max_retries = 10;
  config.retry.initial_backoff = 1s;
  config.retry.max_backoff = 1s;
  config.breaker.failure_ratio = 0;
  config.retry_throttle.enabled = false;
  config.pools = {pool(Provider::groq, {"m"}, {"k-0", "k-1"}, sim)};
  Orchestrator orchestrator(config);

  RequestOptions options;
  options.deadline = 2500ms;
  try {
    orchestrator.request("hi", options);
    FAIL("expected AllClientsExhaustedError");
  } catch (const AllClientsExhaustedError& e) {
    // Tries at t=0, 1 s and 2 s; a third retry would end past 2.5 s, so key 1 gets the rest.
    CHECK(sim.hits("groq", "k-0") == 3);
    CHECK(std::string(e.what()).find("deadline") != std::string::npos);
    std::chrono::milliseconds slept{0};
    for (auto s : clock.sleeps()) slept += s;
    CHECK(slept <= 2500ms);
  }
}

TEST_CASE("a slow server is cut off by the per-attempt timeout and the walk moves on", "[orchestrator][deadline]") {
  sim::Simulator sim(json{{"rules", {{{"provider", "groq"}, {"behavior", "ok"}, {"latency_ms", 3000}}}}});
  OrchestratorConfig config;
  config.retry.max_retries = 0;
  config.timeouts.attempt = 200ms;
  config.pools = {pool(Provider::groq, {"m"}, {"k-0"}, sim), pool(Provider::cerebras, {"gpt-oss-120b"}, {"c"}, sim)};
  Orchestrator orchestrator(config);
  const Response r = orchestrator.request("hi");
  require_steps(r.attempts, {{"groq", "m", "GROQ_API_KEY0", AttemptOutcome::timeout},
                             {"cerebras", "gpt-oss-120b", "CEREBRAS_API_KEY0", AttemptOutcome::success}});
}

TEST_CASE("a bad request is surfaced at once, not failed over", "[orchestrator][request_errors]") {
  sim::Simulator sim(json{{"rules", {{{"provider", "groq"}, {"behavior", "server_error"}, {"status", 400}}}}});
  test::FakeClock clock;
  OrchestratorConfig config = base_config(clock);
  config.pools = {pool(Provider::groq, {"m1", "m2"}, {"k-0", "k-1"}, sim),
                  pool(Provider::cerebras, {"gpt-oss-120b"}, {"csk-sim"}, sim)};
  Orchestrator orchestrator(config);
  CHECK_THROWS_AS(orchestrator.request("hi"), BadRequestError);
  CHECK(sim.hits() == 1);
}

TEST_CASE("exhaustion reports every attempt, per pool and as a table", "[orchestrator][exhaustion]") {
  sim::Simulator sim(json{{"rules", {{{"provider", "groq"}, {"behavior", "invalid_key"}},
                                 {{"provider", "gemini"}, {"behavior", "rate_limit"}, {"retry_after_s", 12}},
                                 {{"provider", "cerebras"}, {"behavior", "server_error"}, {"status", 500}}}}});
  test::FakeClock clock;
  OrchestratorConfig config = base_config(clock);
  config.retry.max_retries = 0;
  config.pools = {pool(Provider::groq, {"openai/gpt-oss-120b"}, {"k-0", "k-1"}, sim),
                  pool(Provider::gemini, {"gemini-2.5-flash"}, {"g-0"}, sim),
                  pool(Provider::cerebras, {"gpt-oss-120b"}, {"c-0"}, sim)};
  Orchestrator orchestrator(config);
  try {
    orchestrator.request("hi");
    FAIL("expected AllClientsExhaustedError");
  } catch (const AllClientsExhaustedError& e) {
    require_steps(e.attempts(), {{"groq", "openai/gpt-oss-120b", "GROQ_API_KEY0", AttemptOutcome::invalid_key},
                                 {"groq", "openai/gpt-oss-120b", "GROQ_API_KEY1", AttemptOutcome::invalid_key},
                                 {"gemini", "gemini-2.5-flash", "GEMINI_API_KEY0", AttemptOutcome::rate_limited},
                                 {"cerebras", "gpt-oss-120b", "CEREBRAS_API_KEY0", AttemptOutcome::unavailable}});
    CHECK(e.earliest_reset() == std::optional<std::chrono::milliseconds>(12s));
    REQUIRE(e.pool_failures().size() == 3);
    CHECK(e.pool_failures()[0].pool() == "groq");
    CHECK(e.pool_failures()[0].attempts().size() == 2);
    CHECK(e.pool_failures()[1].attempts().size() == 1);
    const std::string what = e.what();
    CHECK(what.rfind("[polyrouter.all_clients_exhausted]", 0) == 0);
    for (const char* label : {"GROQ_API_KEY0", "GROQ_API_KEY1", "GEMINI_API_KEY0", "CEREBRAS_API_KEY0"}) {
      CHECK(what.find(label) != std::string::npos);
    }
    CHECK(what.find("invalid_key") != std::string::npos);
    CHECK(what.find("12000ms") != std::string::npos);
    // The table's columns line up: each row's number ends under "#", its pool under "pool".
    const std::string table = format_attempts(e.attempts());
    const std::string header = table.substr(0, table.find('\n'));
    const std::string first_row = table.substr(header.size() + 1, table.find('\n', header.size() + 1) - header.size() - 1);
    CHECK(first_row.find('1') == header.find('#'));
    CHECK(first_row.find("groq") == header.find("pool"));
    CHECK(first_row.find("GROQ_API_KEY0") == header.find("key"));
  }
  CHECK(orchestrator.stats().exhaustions == 1);
  // A later request skips everything known bad: only cerebras (transient) is tried again.
  CHECK_THROWS_AS(orchestrator.request("again"), AllClientsExhaustedError);
  CHECK(sim.hits("groq") == 2);
  CHECK(sim.hits("gemini") == 1);
  CHECK(sim.hits("cerebras") == 2);
}

TEST_CASE("construction rejects configurations that cannot work", "[orchestrator][config]") {
  OrchestratorConfig none;
  CHECK_THROWS_AS(Orchestrator(none), ConfigError);

  OrchestratorConfig no_keys;
  no_keys.pools = {{Provider::groq, {"m"}, {}}};
  CHECK_THROWS_AS(Orchestrator(no_keys), NoApiKeysError);

  OrchestratorConfig no_models;
  no_models.pools = {{Provider::groq, {}, {"k"}}};
  CHECK_THROWS_AS(Orchestrator(no_models), NoModelError);

  OrchestratorConfig custom_without_url;
  custom_without_url.pools = {{Provider::openai_compatible, {"m"}, {"k"}}};
  CHECK_THROWS_AS(Orchestrator(custom_without_url), ConfigError);

  OrchestratorConfig bad_retry;
  bad_retry.pools = {{Provider::groq, {"m"}, {"k"}}};
  bad_retry.retry.max_retries = -1;
  CHECK_THROWS_AS(Orchestrator(bad_retry), ConfigError);
}

TEST_CASE("the system prompt is prepended to every request", "[orchestrator][walk]") {
  // A custom client records what reaches it: the orchestrator's job here, not the network's.
  struct Recorder : LLMClient {
    ChatRequest seen;
    Provider provider() const noexcept override { return Provider::openai_compatible; }
    Response complete(const ChatRequest& request, const CallOptions&) override {
      seen = request;
      Response r;
      r.text = "ok";
      return r;
    }
  };
  auto recorder = std::make_shared<Recorder>();
  OrchestratorConfig config;
  config.system_prompt = "You are terse.";
  PoolConfig custom{Provider::openai_compatible, {"m"}, {"k"}};
  custom.name = "mine";
  custom.client = recorder;
  config.pools = {custom};
  Orchestrator orchestrator(config);
  const Response r = orchestrator.request("Why is the sky blue?");
  CHECK(r.pool == "mine");
  CHECK(r.key_label == "MINE_API_KEY0");
  REQUIRE(recorder->seen.messages.size() == 2);
  CHECK(recorder->seen.messages[0].role == Role::system);
  CHECK(recorder->seen.messages[0].content == "You are terse.");
  CHECK(recorder->seen.messages[1].content == "Why is the sky blue?");
}

TEST_CASE("content filtering follows the configured policy", "[orchestrator][request_errors]") {
  struct Filtering : LLMClient {
    Provider provider() const noexcept override { return Provider::gemini; }
    Response complete(const ChatRequest&, const CallOptions& o) override {
      ErrorContext c;
      c.model = o.model;
      throw ContentFilteredError("blocked (SAFETY)", c);
    }
  };
  sim::Simulator sim;
  OrchestratorConfig config;
  PoolConfig filtering{Provider::gemini, {"gemini-2.5-flash"}, {"g"}};
  filtering.client = std::make_shared<Filtering>();
  config.pools = {filtering, pool(Provider::cerebras, {"gpt-oss-120b"}, {"c"}, sim)};

  SECTION("surface") {
    Orchestrator orchestrator(config);
    CHECK_THROWS_AS(orchestrator.request("hi"), ContentFilteredError);
    CHECK(sim.hits() == 0);
  }
  SECTION("move on") {
    config.content_filter = ContentFilterPolicy::next;
    Orchestrator orchestrator(config);
    const Response r = orchestrator.request("hi");
    CHECK(r.provider == Provider::cerebras);
    CHECK(r.attempts.front().outcome == AttemptOutcome::content_filtered);
  }
}

TEST_CASE("events and counters report attempts, fallbacks and exhaustion", "[orchestrator][events]") {
  sim::Simulator sim(json{{"rules", {{{"key", "k-0"}, {"behavior", "invalid_key"}}}}});
  std::vector<AttemptOutcome> seen;
  int fallbacks = 0, exhausted = 0;
  OrchestratorConfig config;
  config.events.on_attempt = [&](const Attempt& a) { seen.push_back(a.outcome); };
  config.events.on_fallback = [&](const Attempt&) { ++fallbacks; };
  config.events.on_exhausted = [&](const std::vector<Attempt>&) { ++exhausted; };
  config.pools = {pool(Provider::groq, {"m"}, {"k-0", "k-1"}, sim)};
  Orchestrator orchestrator(config);
  orchestrator.request("hi");
  CHECK(seen == std::vector<AttemptOutcome>{AttemptOutcome::invalid_key, AttemptOutcome::success});
  CHECK(fallbacks == 1);
  CHECK(exhausted == 0);
  const Stats s = orchestrator.stats();
  CHECK(s.requests == 1);
  CHECK(s.successes == 1);
  CHECK(s.fallbacks == 1);
  CHECK(s.attempts.at(AttemptOutcome::invalid_key) == 1);
  CHECK(s.attempts.at(AttemptOutcome::success) == 1);
}

TEST_CASE("a key that keeps failing gets one attempt per request, no retries, until it answers", "[orchestrator][retry]") {
  // k-0 answers 503 to its first 7 calls, then recovers; k-1 always answers.
  sim::Simulator sim(json{{"rules", {{{"key", "k-0"}, {"behavior", "server_error"}, {"status", 503}, {"times", 7}}}}});
  test::FakeClock clock;
  OrchestratorConfig config = base_config(clock);
  config.retry.max_retries = 2;
  config.breaker.failure_ratio = 0;
  config.retry_throttle.enabled = false;
  config.pools = {pool(Provider::groq, {"m"}, {"k-0", "k-1"}, sim)};
  Orchestrator orchestrator(config);

  // Request 1: k-0 fails its attempt and both retries (3 in a row), then k-1 answers.
  CHECK(orchestrator.request("one").key_label == "GROQ_API_KEY1");
  CHECK(sim.hits("groq", "k-0") == 3);
  // Requests 2 to 5: k-0 is known to be failing: one attempt each, no backoff, then k-1.
  const std::size_t sleeps_before = clock.sleeps().size();
  for (int i = 0; i < 4; ++i) {
    const Response r = orchestrator.request("again");
    CHECK(r.key_label == "GROQ_API_KEY1");
    CHECK(r.attempts.size() == 2);
  }
  CHECK(sim.hits("groq", "k-0") == 7);
  CHECK(clock.sleeps().size() == sleeps_before);  // no request waited out a backoff on k-0
  // k-0 recovers: its next attempt answers, and it is the first choice again.
  CHECK(orchestrator.request("back").key_label == "GROQ_API_KEY0");
  CHECK(sim.hits("groq", "k-0") == 8);
}
