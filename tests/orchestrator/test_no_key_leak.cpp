// Keys never appear in logs (even at trace level), exceptions or attempt records.

#include <catch2/catch.hpp>

#include <mutex>

#include <polyrouter/polyrouter.hpp>
#include <polyrouter/sim/simulator.hpp>

using namespace polyrouter;
using nlohmann::json;

namespace {

struct LogCapture {
  std::mutex mutex;
  std::vector<std::string> lines;
  LogCapture() {
    set_log_level(LogLevel::trace);
    set_log_handler([this](LogLevel, std::string_view line) {
      std::lock_guard<std::mutex> lock(mutex);
      lines.emplace_back(line);
    });
  }
  ~LogCapture() {
    set_log_handler(nullptr);
    set_log_level(LogLevel::off);
  }
};

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
    std::lock_guard<std::mutex> lock(capture.mutex);
    REQUIRE(capture.lines.size() > 5);  // trace really logged requests and responses
    texts.insert(texts.end(), capture.lines.begin(), capture.lines.end());
  }
  for (const std::string& text : texts) {
    for (const std::string& key : {bad, busy, good, gemini}) {
      INFO(text);
      CHECK(text.find(key) == std::string::npos);
      CHECK(text.find(key.substr(4, 30)) == std::string::npos);  // nor a large part of it
    }
  }
}
