// The orchestrator over the simulator's Anthropic wire: a dead key (401) and an overloaded one
// (529) give way to a healthy key; a rate-limited key cools down for the time its headers say;
// with request(), stream() and stream_async().

#include <catch2/catch.hpp>

#include <mutex>
#include <string>

#include <polyrouter/polyrouter.hpp>
#include <polyrouter/sim/simulator.hpp>

using namespace polyrouter;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

enum class ClaudeMode { request, stream, stream_async };

constexpr ClaudeMode claude_modes[] = {ClaudeMode::request, ClaudeMode::stream, ClaudeMode::stream_async};

const char* claude_mode_name(ClaudeMode mode) {
  switch (mode) {
    case ClaudeMode::request:
      return "request()";
    case ClaudeMode::stream:
      return "stream()";
    default:
      return "stream_async()";
  }
}

const std::string kDeadKey = "sk-ant-api03-dead-0000000000000000000000000000000000";
const std::string kOverloadedKey = "sk-ant-api03-busy-1111111111111111111111111111111111";
const std::string kLimitedKey = "sk-ant-api03-slow-2222222222222222222222222222222222";
const std::string kHealthyKey = "sk-ant-api03-good-3333333333333333333333333333333333";

struct ClaudeSuite {
  explicit ClaudeSuite(std::vector<std::string> keys)
      : sim(json{{"models", {{"anthropic", {"claude-sonnet-4-6"}}}},
                 {"rules",
                  {{{"provider", "anthropic"}, {"key", kDeadKey}, {"behavior", "invalid_key"}},
                   {{"provider", "anthropic"}, {"key", kOverloadedKey}, {"behavior", "server_error"}, {"status", 529}},
                   {{"provider", "anthropic"}, {"key", kLimitedKey}, {"behavior", "rate_limit"}, {"retry_after_s", 30}},
                   {{"provider", "anthropic"},
                    {"key", kHealthyKey},
                    {"behavior", "ok"},
                    {"text", "Claude answers here."}}}}}) {
    std::vector<ApiKey> pool_keys;
    for (std::size_t i = 0; i < keys.size(); ++i) {
      pool_keys.emplace_back("ANTHROPIC_API_KEY" + std::to_string(i), keys[i]);
    }
    PoolConfig pool{Provider("anthropic"), {"claude-sonnet-4-6"}, std::move(pool_keys)};
    pool.base_url = sim.url();
    config.pools = {pool};
    config.retry.max_retries = 1;
    config.retry.initial_backoff = 5ms;
    config.retry.max_backoff = 20ms;
    config.timeouts.attempt = 5s;
  }

  Response run(ClaudeMode mode, std::string& streamed) {
    if (!orchestrator) orchestrator = std::make_unique<Orchestrator>(config);
    std::mutex mutex;
    const auto collect = [&](std::string_view delta) {
      std::lock_guard<std::mutex> lock(mutex);
      streamed.append(delta);
      return true;
    };
    switch (mode) {
      case ClaudeMode::request:
        return orchestrator->request("hi");
      case ClaudeMode::stream:
        return orchestrator->stream("hi", collect);
      default:
        return orchestrator->stream_async("hi", collect).get();
    }
  }

  std::size_t hits(const std::string& key) const { return sim.hits("anthropic", key, "claude-sonnet-4-6"); }

  sim::Simulator sim;
  OrchestratorConfig config;
  std::unique_ptr<Orchestrator> orchestrator;
};

}  // namespace

TEST_CASE("Anthropic failover: a dead key and an overloaded key give way to a healthy one", "[anthropic][failover]") {
  for (ClaudeMode mode : claude_modes) {
    DYNAMIC_SECTION(claude_mode_name(mode)) {
      ClaudeSuite suite({kDeadKey, kOverloadedKey, kHealthyKey});
      std::string streamed;
      const Response r = suite.run(mode, streamed);
      CHECK(r.text == "Claude answers here.");
      if (mode != ClaudeMode::request) CHECK(streamed == r.text);
      CHECK(r.provider == Provider("anthropic"));
      CHECK(r.key_label == "ANTHROPIC_API_KEY2");
      REQUIRE(r.attempts.size() == 4);
      CHECK(r.attempts[0].key_label == "ANTHROPIC_API_KEY0");
      CHECK(r.attempts[0].outcome == AttemptOutcome::invalid_key);
      CHECK(r.attempts[0].http_status == 401);
      for (int i : {1, 2}) {  // 529 is transient: retried once on the key, then the next key
        CHECK(r.attempts[i].key_label == "ANTHROPIC_API_KEY1");
        CHECK(r.attempts[i].outcome == AttemptOutcome::unavailable);
        CHECK(r.attempts[i].http_status == 529);
      }
      CHECK(r.attempts[3].outcome == AttemptOutcome::success);
      CHECK(suite.hits(kDeadKey) == 1);
      CHECK(suite.hits(kOverloadedKey) == 2);
      CHECK(suite.hits(kHealthyKey) == 1);

      // The dead key is out for good: the next request does not ask it again.
      std::string again;
      CHECK(suite.run(mode, again).text == "Claude answers here.");
      CHECK(suite.hits(kDeadKey) == 1);
    }
  }
}

TEST_CASE("Anthropic failover: a rate-limited key cools down for the time its headers give",
          "[anthropic][failover][rate_limit]") {
  for (ClaudeMode mode : claude_modes) {
    DYNAMIC_SECTION(claude_mode_name(mode)) {
      ClaudeSuite suite({kLimitedKey, kHealthyKey});
      std::string streamed;
      const Response r = suite.run(mode, streamed);
      CHECK(r.key_label == "ANTHROPIC_API_KEY1");
      REQUIRE(r.attempts.size() == 2);
      CHECK(r.attempts[0].outcome == AttemptOutcome::rate_limited);
      CHECK(r.attempts[0].http_status == 429);
      CHECK(r.attempts[0].retry_after == std::optional<std::chrono::milliseconds>(30s));
      const auto health = suite.orchestrator->health();
      REQUIRE(health.pools.size() == 1);
      std::string again;
      suite.run(mode, again);
      CHECK(suite.hits(kLimitedKey) == 1);  // still cooling: not asked again
    }
  }
}
