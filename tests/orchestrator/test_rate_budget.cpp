// Rate budgets (issue 16): what the providers' rate-limit headers say is read on every path and
// cools a key before it answers 429; a configured budget per key is kept before the provider has
// to refuse, in both drivers. Over real loopback HTTP (the simulator or a scripted server).

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <polyrouter/polyrouter.hpp>
#include <polyrouter/sim/simulator.hpp>

#include "fake_clock.hpp"
#include "fixtures.hpp"
#include "http/transport.hpp"
#include "providers/rate_limit_headers.hpp"
#include "test_server.hpp"

using namespace polyrouter;
using namespace std::chrono_literals;
using nlohmann::json;
using std::chrono::milliseconds;

namespace {

long long ms(const std::optional<milliseconds>& d) { return d ? d->count() : -1; }
long long num(const std::optional<std::int64_t>& v) { return v ? *v : -1; }

detail::RateLimitLines lines_of(const std::string& headers_file) {
  detail::RateLimitLines lines;
  for (const auto& [name, value] : test::load_headers_file(headers_file).headers) {
    if (name.rfind("x-ratelimit-", 0) == 0 || name.rfind("anthropic-ratelimit-", 0) == 0 || name == "date") {
      REQUIRE(lines.add(name, value));
    }
  }
  return lines;
}

std::size_t count_outcome(const std::vector<Attempt>& attempts, AttemptOutcome outcome) {
  std::size_t n = 0;
  for (const Attempt& a : attempts) n += a.outcome == outcome ? 1 : 0;
  return n;
}

// Counts the store calls a budget makes.
class CountingStore : public InMemoryHealthStore {
 public:
  BudgetVerdict take_budget(const KeyId& key, HealthTime now) override {
    ++takes;
    return InMemoryHealthStore::take_budget(key, now);
  }
  void spend_tokens(const KeyId& key, std::int64_t tokens, HealthTime now) override {
    ++spends;
    spent += tokens;
    InMemoryHealthStore::spend_tokens(key, tokens, now);
  }
  std::atomic<int> takes{0}, spends{0};
  std::atomic<std::int64_t> spent{0};
};

}  // namespace

// ---- learning from headers ------------------------------------------------------------------

TEST_CASE("each provider's real rate-limit headers are read into Response::rate_limits", "[rate_budget][headers]") {
  struct Expected {
    std::string provider, answer, headers;
    long long req_limit, req_remaining, req_reset, tok_limit, tok_remaining, tok_reset;
  };
  const auto e = GENERATE(values<Expected>({
      {"groq", "groq_ok.json", "groq_ok.headers.txt", 14400, 14399, 6000, 6000, 5843, 1570},
      {"openai", "openai_ok.json", "openai_ok.headers.txt", 500, 499, 120, 200000, 199987, 3},
      // Cerebras: requests per day, tokens per minute, float seconds.
      {"cerebras", "cerebras_ok.json", "cerebras_ok.headers.txt", 14400, 14397, 33011383, 60000, 59905, 11383},
      // Anthropic: RFC 3339 resets measured from `date`; the requests reset is 12 s before it
      // (a full bucket), the others equal to it.
      {"anthropic", "anthropic_ok.json", "anthropic_ok.headers.txt", 4000, 3999, 0, 2400000, 2400000, 0},
      {"gemini", "gemini_ok.json", "gemini_ok.headers.txt", -1, -1, -1, -1, -1, -1},  // sends none
  }));
  const bool async = GENERATE(false, true);
  INFO(e.provider << (async ? " async" : " blocking"));
  test::TestServer server(test::Reply::fixture(e.answer).with_headers_file(e.headers));
  OrchestratorConfig config;
  config.pools = {PoolConfig{Provider(e.provider), {"m"}, {"key-0"}, server.url()}};
  Orchestrator orchestrator(config);
  const Response r = async ? orchestrator.request_async("hi").get() : orchestrator.request("hi");
  CHECK(num(r.rate_limits.requests.limit) == e.req_limit);
  CHECK(num(r.rate_limits.requests.remaining) == e.req_remaining);
  CHECK(ms(r.rate_limits.requests.reset) == e.req_reset);
  CHECK(num(r.rate_limits.tokens.limit) == e.tok_limit);
  CHECK(num(r.rate_limits.tokens.remaining) == e.tok_remaining);
  CHECK(ms(r.rate_limits.tokens.reset) == e.tok_reset);
  CHECK(r.rate_limits.empty() == (e.provider == "gemini"));
}

TEST_CASE("rate-limit headers: the exhausted Anthropic family, Cerebras' minute form, odd values", "[rate_budget][headers]") {
  SECTION("Anthropic's 429: input tokens at 0 are the tokens bucket, reset 12 s after date") {
    const RateLimitStatus s = detail::read_rate_limits(lines_of("anthropic_429.headers.txt"));
    CHECK(num(s.requests.limit) == 50);
    CHECK(num(s.requests.remaining) == 47);
    CHECK(ms(s.requests.reset) == 2000);
    CHECK(num(s.tokens.limit) == 30000);
    CHECK(num(s.tokens.remaining) == 0);
    CHECK(ms(s.tokens.reset) == 12000);
  }
  SECTION("Cerebras' 429: tokens per minute at 0") {
    const RateLimitStatus s = detail::read_rate_limits(lines_of("cerebras_429_requests.headers.txt"));
    CHECK(num(s.tokens.remaining) == 0);
    CHECK(ms(s.tokens.reset) == 11383);
    CHECK(num(s.requests.remaining) == 13012);
  }
  SECTION("a -minute requests form wins over -day, whatever the order") {
    detail::RateLimitLines lines;
    lines.add("x-ratelimit-limit-requests-day", "14400");
    lines.add("X-RateLimit-Remaining-Requests-Minute", "0");  // names as an HTTP/1.1 server may write them
    lines.add("x-ratelimit-remaining-requests-day", "14000");
    lines.add("x-ratelimit-reset-requests-minute", "6.0");
    lines.add("x-ratelimit-limit-requests-minute", "30");
    lines.add("x-ratelimit-reset-requests-day", "33011.38");
    const RateLimitStatus s = detail::read_rate_limits(lines);
    CHECK(num(s.requests.limit) == 30);
    CHECK(num(s.requests.remaining) == 0);
    CHECK(ms(s.requests.reset) == 6000);
    CHECK_FALSE(s.tokens.limit);
  }
  SECTION("values that are not numbers or durations are left out, the rest kept") {
    detail::RateLimitLines lines;
    lines.add("x-ratelimit-limit-requests", "lots");
    lines.add("x-ratelimit-remaining-requests", "-1");
    lines.add("x-ratelimit-reset-requests", "soon");
    lines.add("x-ratelimit-remaining-tokens", "12");
    lines.add("x-ratelimit-reset-tokens", "2m59.56s");
    lines.add("x-ratelimit-unknown-thing", "1");
    const RateLimitStatus s = detail::read_rate_limits(lines);
    CHECK_FALSE(s.requests.limit);
    CHECK_FALSE(s.requests.remaining);
    CHECK_FALSE(s.requests.reset);
    CHECK(num(s.tokens.remaining) == 12);
    CHECK(ms(s.tokens.reset) == 179560);
  }
  SECTION("Anthropic without date: resets from the given now") {
    detail::RateLimitLines lines;
    lines.add("anthropic-ratelimit-requests-remaining", "0");
    lines.add("anthropic-ratelimit-requests-reset", "2026-03-20T20:00:11Z");
    const double now = 1774036805.5;  // 2026-03-20T20:00:05.5Z
    const RateLimitStatus s = detail::read_rate_limits(lines, now);
    CHECK(num(s.requests.remaining) == 0);
    CHECK(ms(s.requests.reset) == 5500);
  }
  SECTION("lines past the capacity are dropped, never overflow") {
    detail::RateLimitLines lines;
    std::size_t kept = 0;
    for (int i = 0; i < 100; ++i) kept += lines.add("x-ratelimit-limit-requests", std::string(100, '1')) ? 1 : 0;
    CHECK(kept == lines.size());
    CHECK(kept < 100);
    const detail::RateLimitLines copy = lines;
    CHECK(copy.size() == kept);
    CHECK(copy.value(kept - 1) == std::string(100, '1'));
  }
}

TEST_CASE("streams and async streams read the rate-limit headers too", "[rate_budget][headers][stream]") {
  // The simulator's key limit sends Groq's request headers on its stream answers.
  sim::Simulator sim(json{{"rules", {{{"key", "k0"}, {"rate_limit", {{"requests", 5}, {"window_ms", 60000}}}}}}});
  OrchestratorConfig config;
  config.pools = {PoolConfig{Provider::groq, {"m"}, {"k0"}, sim.url()}};
  Orchestrator orchestrator(config);
  std::string text;
  const auto on_delta = [&text](std::string_view d) {
    text += d;
    return true;
  };
  const Response a = orchestrator.stream("hi", on_delta);
  const Response b = orchestrator.stream_async("hi", on_delta).get();
  CHECK(num(a.rate_limits.requests.limit) == 5);
  CHECK(num(a.rate_limits.requests.remaining) == 4);
  CHECK(num(b.rate_limits.requests.remaining) == 3);
  CHECK(ms(b.rate_limits.requests.reset) > 0);
  CHECK(ms(b.rate_limits.requests.reset) <= 60000);
}

// ---- learned cooling ------------------------------------------------------------------------

TEST_CASE("0 requests remaining with reset 6 s cools that key for 6 s, with no 429 at all", "[rate_budget][learned]") {
  const bool async = GENERATE(false, true);
  INFO((async ? "async" : "blocking"));
  test::FakeClock clock;
  test::TestServer server;
  server.respond_with([&](const test::RecordedRequest& request) {
    test::Reply reply = test::Reply::fixture("groq_ok.json").with_headers_file("groq_ok.headers.txt");
    if (request.header("authorization") == "Bearer key-0") {
      // The key's last request in its window: the next would be refused for 6 s.
      reply.headers.erase(std::remove_if(reply.headers.begin(), reply.headers.end(),
                                         [](const auto& h) { return h.first.rfind("x-ratelimit-", 0) == 0; }),
                          reply.headers.end());
      reply = reply.with_header("x-ratelimit-limit-requests", "30")
                  .with_header("x-ratelimit-remaining-requests", "0")
                  .with_header("x-ratelimit-reset-requests", "6s");
    }
    return reply;
  });
  OrchestratorConfig config;
  config.clock = clock.clock();
  config.pools = {PoolConfig{Provider::groq, {"m"}, {"key-0", "key-1"}, server.url()}};
  Orchestrator orchestrator(config);
  const auto ask = [&] { return async ? orchestrator.request_async("hi").get() : orchestrator.request("hi"); };

  const Response first = ask();
  CHECK(first.key_label == "GROQ_API_KEY0");
  CHECK(num(first.rate_limits.requests.remaining) == 0);
  const Response second = ask();  // key-0 cools: straight to key-1, one attempt
  CHECK(second.key_label == "GROQ_API_KEY1");
  CHECK(second.attempts.size() == 1);
  clock.advance(5999ms);
  CHECK(ask().key_label == "GROQ_API_KEY1");  // still cooling
  clock.advance(1ms);
  CHECK(ask().key_label == "GROQ_API_KEY0");  // 6 s later it is back
  // key-0 was never asked while it had nothing left: the provider had no 429 to send.
  std::vector<std::string> asked;
  for (const auto& r : server.requests()) asked.push_back(r.header("authorization"));
  CHECK(asked == std::vector<std::string>{"Bearer key-0", "Bearer key-1", "Bearer key-1", "Bearer key-0"});
}

TEST_CASE("a simulated key limit is learned from the headers: streams never meet its 429", "[rate_budget][learned][stream]") {
  const bool async = GENERATE(false, true);
  INFO((async ? "async" : "blocking"));
  sim::Simulator sim(json{{"rules", {{{"key", "k0"}, {"rate_limit", {{"requests", 2}, {"window_ms", 60000}}}}}}});
  OrchestratorConfig config;
  config.pools = {PoolConfig{Provider::groq, {"m"}, {"k0", "k1"}, sim.url()}};
  Orchestrator orchestrator(config);
  std::vector<Attempt> attempts;
  for (int i = 0; i < 5; ++i) {
    const auto ignore = [](std::string_view) { return true; };
    const Response r = async ? orchestrator.stream_async("hi", ignore).get() : orchestrator.stream("hi", ignore);
    attempts.insert(attempts.end(), r.attempts.begin(), r.attempts.end());
    CHECK(r.key_label == (i < 2 ? "GROQ_API_KEY0" : "GROQ_API_KEY1"));
  }
  CHECK(count_outcome(attempts, AttemptOutcome::rate_limited) == 0);
  CHECK(attempts.size() == 5);
  CHECK(sim.hits("groq", "k0") == 2);
  CHECK(sim.hits("groq", "k1") == 3);
}

// ---- configured budgets ---------------------------------------------------------------------

TEST_CASE("a spent request budget moves to the next key, then ends with the budget's reset", "[rate_budget][budget]") {
  test::FakeClock clock;
  sim::Simulator sim;
  auto store = std::make_shared<CountingStore>();
  OrchestratorConfig config;
  config.clock = clock.clock();
  config.health_store = store;
  PoolConfig groq{Provider::groq, {"m"}, {"k0", "k1"}, sim.url()};
  groq.rate_budget.requests = 2;
  groq.rate_budget.window = 60s;
  config.pools = {groq};
  Orchestrator orchestrator(config);

  std::vector<std::string> keys;
  for (int i = 0; i < 4; ++i) {
    keys.push_back(orchestrator.request("hi").key_label);
    clock.advance(1s);
  }
  CHECK(keys == std::vector<std::string>{"GROQ_API_KEY0", "GROQ_API_KEY0", "GROQ_API_KEY1", "GROQ_API_KEY1"});
  // Both spent, max_wait 0: no attempt at all, and the hint is when k0's first request leaves its window.
  const auto error = test::catch_as<AllClientsExhaustedError>([&] { orchestrator.request("hi"); });
  REQUIRE(error);
  CHECK(error->attempts().empty());
  CHECK(std::string(error->what()).find("rate budget of 2 keys is spent") != std::string::npos);
  REQUIRE(error->earliest_reset());
  CHECK(error->earliest_reset()->count() == 56000);
  CHECK(sim.hits() == 4);
  // The budget comes back with the window.
  clock.advance(56s);
  CHECK(orchestrator.request("hi").key_label == "GROQ_API_KEY0");
  CHECK(sim.hits() == 5);
}

TEST_CASE("a spent budget is waited for within max_wait, like a cooldown", "[rate_budget][budget]") {
  test::FakeClock clock;
  sim::Simulator sim;
  OrchestratorConfig config;
  config.clock = clock.clock();
  config.timeouts.max_wait = 30s;
  // Two models: the key's one budget is refused for each, and counted once.
  PoolConfig groq{Provider::groq, {"m", "m2"}, {"k0"}, sim.url()};
  groq.rate_budget.requests = 1;
  groq.rate_budget.window = 20s;
  config.pools = {groq};
  Orchestrator orchestrator(config);
  orchestrator.request("hi");
  clock.advance(5s);
  const Response r = orchestrator.request("hi");  // waits the 15 s left, then asks
  CHECK(r.attempts.size() == 1);
  CHECK(clock.sleeps() == std::vector<milliseconds>{15000ms});
  // Beyond max_wait: no wait, the budget's reset in the error.
  RequestOptions short_wait;
  short_wait.max_wait = 10s;
  const auto error = test::catch_as<AllClientsExhaustedError>([&] { orchestrator.request("hi", short_wait); });
  REQUIRE(error);
  CHECK(error->earliest_reset() == std::optional<milliseconds>(20000ms));
  CHECK(std::string(error->what()).find("the rate budget of 1 key is spent") != std::string::npos);
  CHECK(clock.sleeps().size() == 1);
  CHECK(sim.hits() == 2);
}

TEST_CASE("a budget of N per window never draws the 429 of a key limited to N, in both drivers", "[rate_budget][budget]") {
  // Real time: the simulator counts on its own clock, by arrival. Its window is shorter than the
  // budget's, so that loopback latency varying between two requests (100 ms of it, under
  // sanitizers on a loaded machine) cannot make a difference, and a first request warms the
  // connection up (a new connection's first request arrives late).
  // Gemini sends no rate-limit headers, so only the budget can keep the key from its 429.
  const bool async = GENERATE(false, true);
  INFO((async ? "async" : "blocking"));
  constexpr int n = 3;
  const json scenario = {{"rules", {{{"key", "k0"}, {"rate_limit", {{"requests", n}, {"window_ms", 200}}}}}}};
  const auto run = [&](bool with_budget, sim::Simulator& sim) {
    OrchestratorConfig config;
    config.timeouts.max_wait = 2s;
    config.cooldown.rate_limit_default = 50ms;
    PoolConfig gemini{Provider::gemini, {"m"}, {"k0"}, sim.url()};
    if (with_budget) {
      gemini.rate_budget.requests = n;
      gemini.rate_budget.window = 300ms;
    }
    config.pools = {gemini};
    Orchestrator orchestrator(config);
    // The warm-up, then out of every window of both clocks.
    async ? orchestrator.request_async("hi").get() : orchestrator.request("hi");
    std::this_thread::sleep_for(300ms);
    std::vector<Attempt> attempts;
    for (int i = 0; i < 2 * n + 1; ++i) {
      const Response r = async ? orchestrator.request_async("hi").get() : orchestrator.request("hi");
      attempts.insert(attempts.end(), r.attempts.begin(), r.attempts.end());
    }
    return attempts;
  };
  {
    sim::Simulator sim(scenario);
    const auto attempts = run(true, sim);
    CHECK(count_outcome(attempts, AttemptOutcome::rate_limited) == 0);
    CHECK(attempts.size() == 2 * n + 1);
    CHECK(sim.hits("gemini", "k0") == 2 * n + 2);
    CHECK(sim.max_hits_in_window("gemini", "k0", 200ms) <= n);
  }
  {
    // The same load without the budget meets the limit: the check above can fail.
    sim::Simulator sim(scenario);
    const auto attempts = run(false, sim);
    CHECK(count_outcome(attempts, AttemptOutcome::rate_limited) > 0);
  }
}

TEST_CASE("a token budget refuses a key once its window's answers used the tokens", "[rate_budget][budget]") {
  test::FakeClock clock;
  test::TestServer server(test::Reply::fixture("groq_ok.json"));  // usage.total_tokens 652
  auto store = std::make_shared<CountingStore>();
  OrchestratorConfig config;
  config.clock = clock.clock();
  config.health_store = store;
  PoolConfig groq{Provider::groq, {"m"}, {"k0", "k1"}, server.url()};
  groq.rate_budget.tokens = 1000;
  groq.rate_budget.window = 60s;
  config.pools = {groq};
  Orchestrator orchestrator(config);
  CHECK(orchestrator.request("hi").key_label == "GROQ_API_KEY0");  // 652
  CHECK(orchestrator.request("hi").key_label == "GROQ_API_KEY0");  // 1304: spent
  CHECK(orchestrator.request("hi").key_label == "GROQ_API_KEY1");
  CHECK(store->spent == 3 * 652);
  CHECK(store->spends == 3);
  clock.advance(60s);
  CHECK(orchestrator.request("hi").key_label == "GROQ_API_KEY0");
}

TEST_CASE("a stream's final usage is spent against the token budget", "[rate_budget][budget][stream]") {
  sim::Simulator sim;
  auto store = std::make_shared<CountingStore>();
  OrchestratorConfig config;
  config.health_store = store;
  PoolConfig groq{Provider::groq, {"m"}, {"k0"}, sim.url()};
  groq.rate_budget.tokens = 1'000'000;
  config.pools = {groq};
  Orchestrator orchestrator(config);
  const Response r = orchestrator.stream("hi", [](std::string_view) { return true; });
  CHECK(r.usage.total_tokens > 0);
  CHECK(store->spent == r.usage.total_tokens);
  const Response a = orchestrator.stream_async("hi", [](std::string_view) { return true; }).get();
  CHECK(store->spent == r.usage.total_tokens + a.usage.total_tokens);
  CHECK(store->takes == 2);
}

TEST_CASE("pools without a budget make no budget call", "[rate_budget][budget]") {
  sim::Simulator sim;
  auto store = std::make_shared<CountingStore>();
  OrchestratorConfig config;
  config.health_store = store;
  config.retry.max_retries = 0;
  PoolConfig plain{Provider::groq, {"m"}, {"k0"}, sim.url()};
  PoolConfig budgeted{Provider::cerebras, {"m"}, {"k1"}, sim.url()};
  budgeted.rate_budget.requests = 100;
  config.pools = {plain, budgeted};
  Orchestrator orchestrator(config);
  for (int i = 0; i < 3; ++i) orchestrator.request("hi");
  orchestrator.request_async("hi").get();
  CHECK(store->takes == 0);
  CHECK(store->spends == 0);
  // The budgeted pool pays: one take per attempt.
  sim.set_scenario(json{{"rules", {{{"key", "k0"}, {"behavior", "server_error"}}}}});
  const Response r = orchestrator.request("hi");
  CHECK(r.pool == "cerebras");
  CHECK(store->takes == 1);
  CHECK(store->spends == 0);  // no token budget
}
