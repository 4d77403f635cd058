// Keys never appear in logs (even at trace level), exceptions or attempt records.

#include <catch2/catch.hpp>

#include <mutex>

#include <polyrouter/polyrouter.hpp>
#include <polyrouter/sim/simulator.hpp>

#include "fixtures.hpp"
#include "log_capture.hpp"
#include "test_server.hpp"

using namespace polyrouter;
using polyrouter::test::LogCapture;
using nlohmann::json;

namespace {


}  // namespace

TEST_CASE("no key text in any trace log line, exception or attempt", "[orchestrator][security]") {
  const std::string bad = "gsk_" + std::string(44, 'B') + "bad1";
  const std::string busy = "gsk_" + std::string(44, 'C') + "busy";
  const std::string good = "csk-" + std::string(36, 'D') + "good";
  const std::string gemini = "AIza" + std::string(31, 'E') + "gem1";
  polyrouter::sim::Simulator sim(json{{"rules",
                                   {{{"key", bad}, {"behavior", "invalid_key"}},
                                    {{"key", busy}, {"behavior", "rate_limit"}},
                                    {{"key", gemini}, {"behavior", "server_error"}, {"status", 500}}}}});
  LogCapture capture;
  OrchestratorConfig config;
  config.retry.max_retries = 0;
  PoolConfig groq{Provider::groq, {"openai/gpt-oss-120b"}, {bad, busy}};
  PoolConfig gem{Provider::gemini, {"gemini-2.5-flash"}, {gemini}};
  PoolConfig cerebras{Provider::cerebras, {"gpt-oss-120b"}, {good}};
  for (PoolConfig* p : {&groq, &gem, &cerebras}) p->base_url = sim.url();
  config.pools = {groq, gem, cerebras};
  Orchestrator orchestrator(config);

  std::vector<std::string> texts;
  const Response r = orchestrator.request("hello");
  for (const Attempt& a : r.attempts) texts.push_back(a.key_label + " " + a.error);
  texts.push_back(format_attempts(r.attempts));
  texts.push_back(format_health(orchestrator.health()));

  sim.set_scenario(json{{"rules", {{{"behavior", "invalid_key"}}}}});
  try {
    OrchestratorConfig only_cerebras = config;
    only_cerebras.pools = {cerebras};
    Orchestrator failing(only_cerebras);
    failing.request("hello");
    FAIL("expected exhaustion");
  } catch (const AllClientsExhaustedError& e) {
    texts.push_back(e.what());
    for (const Attempt& a : e.attempts()) texts.push_back(a.error);
  }

  {
    const auto lines = capture.lines();
    REQUIRE(lines.size() > 5);  // trace really logged requests and responses
    texts.insert(texts.end(), lines.begin(), lines.end());
  }
  for (const std::string& text : texts) {
    for (const std::string& key : {bad, busy, good, gemini}) {
      INFO(text);
      CHECK(text.find(key) == std::string::npos);
      CHECK(text.find(key.substr(4, 30)) == std::string::npos);  // nor a large part of it
    }
  }
}

TEST_CASE("no key text from provider-controlled fields or base URLs in errors, attempts or logs",
          "[orchestrator][security]") {
  // The provider echoes the key where nobody masked it before: a Content-Type, an error code.
  const std::string echoed = "sk-live-" + test::fake_key("", 40, 1402);
  const std::string coded = test::fake_key("", 40, 1403);  // no provider's shape: masked as the secret
  const std::string in_userinfo = test::fake_key("", 32, 1404);
  const std::string in_query = test::fake_key("", 32, 1405);
  test::TestServer content_type(test::Reply::text("upstream broke", 500, "text/plain; " + echoed));
  test::TestServer error_code(
      test::Reply::json({{"error", {{"message", "denied"}, {"code", coded}, {"type", coded}}}}, 401));
  test::TestServer healthy(test::Reply::fixture("groq_ok.json"));

  LogCapture capture;
  OrchestratorConfig config;
  config.retry.max_retries = 0;
  PoolConfig first{Provider::openai_compatible, {"m"}, {echoed}, content_type.url() + "/v1"};
  first.name = "first";
  // A base URL that carries credentials of its own, as some gateways want.
  const std::string port = error_code.url().substr(error_code.url().rfind(':') + 1);
  PoolConfig second{Provider::openai_compatible, {"m"}, {coded},
                    "http://gateway:" + in_userinfo + "@127.0.0.1:" + port + "/v1"};
  second.name = "second";
  PoolConfig third{Provider::openai_compatible, {"m"}, {test::fake_key("", 32, 1406)},
                   healthy.url() + "/v1?api_key=" + in_query};
  third.name = "third";
  config.pools = {first, second, third};
  Orchestrator orchestrator(config);

  const Response r = orchestrator.request("hello");
  REQUIRE(r.attempts.size() == 3);
  CHECK(r.attempts[0].outcome == AttemptOutcome::unavailable);
  CHECK(r.attempts[1].outcome == AttemptOutcome::invalid_key);
  std::vector<std::string> texts{format_attempts(r.attempts)};
  for (const Attempt& a : r.attempts) texts.push_back(a.error);

  config.pools = {first, second};
  Orchestrator failing(config);
  try {
    failing.request("hello");
    FAIL("expected exhaustion");
  } catch (const AllClientsExhaustedError& e) {
    texts.push_back(e.what());
    texts.push_back(e.detail());
    for (const Attempt& a : e.attempts()) texts.push_back(a.error);
    for (const AllModelsFailedError& pool : e.pool_failures()) texts.push_back(pool.what());
  }
  {
    const auto lines = capture.lines();
    REQUIRE(lines.size() > 5);
    texts.insert(texts.end(), lines.begin(), lines.end());
  }
  for (const std::string& text : texts) {
    INFO(text);
    for (const std::string& key : {echoed, coded, in_userinfo, in_query}) CHECK_FALSE(test::leaks_key(text, key));
  }
}
