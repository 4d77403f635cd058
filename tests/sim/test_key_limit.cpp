// The simulator's provider-like key limits (a rule's `rate_limit`) and its per-key arrival
// windows (max_hits_in_window, GET /_sim/stats?window_ms=), over real loopback HTTP with
// httplib's client.

#include <httplib.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "polyrouter/sim/simulator.hpp"

namespace {

using nlohmann::json;
using polyrouter::sim::Simulator;
using namespace std::chrono_literals;

struct Answer {
  int status = 0;
  httplib::Headers headers;
  std::string header(const std::string& name) const {
    const auto found = headers.find(name);
    return found == headers.end() ? std::string() : found->second;
  }
};

Answer chat(const Simulator& sim, const std::string& provider, const std::string& key) {
  httplib::Client client(sim.url());
  const std::string path = provider == "groq" ? "/openai/v1/chat/completions" : "/v1/chat/completions";
  const json body = {{"model", "m"}, {"messages", {{{"role", "user"}, {"content", "hi"}}}}};
  auto result = client.Post(path, {{"Authorization", "Bearer " + key}}, body.dump(), "application/json");
  REQUIRE(result);
  return {result->status, result->headers};
}

}  // namespace

TEST_CASE("a key limit admits N requests per window with accurate Groq headers, then 429s", "[sim][rate_limit]") {
  Simulator sim(json{{"rules", {{{"key", "k"}, {"rate_limit", {{"requests", 3}, {"window_ms", 60000}}}}}}});
  for (int i = 0; i < 3; ++i) {
    const Answer a = chat(sim, "groq", "k");
    CHECK(a.status == 200);
    CHECK(a.header("x-ratelimit-limit-requests") == "3");
    CHECK(a.header("x-ratelimit-remaining-requests") == std::to_string(2 - i));
    CHECK(a.headers.count("x-ratelimit-remaining-requests") == 1);  // replaces the healthy value
  }
  const Answer refused = chat(sim, "groq", "k");
  CHECK(refused.status == 429);
  CHECK(refused.header("x-ratelimit-remaining-requests") == "0");
  const std::string reset = refused.header("x-ratelimit-reset-requests");  // Go duration, under a minute
  CHECK((reset.back() == 's' && reset.find('m') == std::string::npos));
  CHECK(std::stod(reset) > 50);
  CHECK(std::stod(reset) <= 60);
  CHECK(refused.header("retry-after") == "60");
  // Another key is not limited.
  CHECK(chat(sim, "groq", "other").status == 200);
  CHECK(chat(sim, "groq", "other").header("x-ratelimit-remaining-requests") == "14399");
  // reset() empties the windows.
  sim.reset();
  CHECK(chat(sim, "groq", "k").status == 200);
}

TEST_CASE("a key limit's window slides: one request comes back as the oldest leaves", "[sim][rate_limit]") {
  Simulator sim(json{{"rules", {{{"key", "k"}, {"rate_limit", {{"requests", 2}, {"window_ms", 300}}}}}}});
  const auto start = std::chrono::steady_clock::now();
  CHECK(chat(sim, "cerebras", "k").status == 200);
  const Answer last = chat(sim, "cerebras", "k");
  CHECK(last.status == 200);
  // Cerebras' form: a per-minute requests bucket next to its per-day one, float seconds.
  CHECK(last.header("x-ratelimit-remaining-requests-minute") == "0");
  CHECK(last.header("x-ratelimit-limit-requests-minute") == "2");
  CHECK(last.header("x-ratelimit-remaining-requests-day") == "14397");
  const double reset = std::stod(last.header("x-ratelimit-reset-requests-minute"));
  CHECK(reset > 0.0);
  CHECK(reset <= 0.3);
  if (std::chrono::steady_clock::now() - start < 250ms) CHECK(chat(sim, "cerebras", "k").status == 429);
  // Waiting out the reset the headers gave is enough.
  std::this_thread::sleep_until(start + 300ms + std::chrono::milliseconds(static_cast<int>(reset * 1000)));
  CHECK(chat(sim, "cerebras", "k").status == 200);
  CHECK(sim.hits("cerebras", "k") >= 3);
}

TEST_CASE("max_hits_in_window is the most arrivals any span held, in stats too", "[sim][stats]") {
  Simulator sim;
  for (int i = 0; i < 3; ++i) chat(sim, "groq", "k");
  std::this_thread::sleep_for(400ms);  // two groups, far apart
  for (int i = 0; i < 2; ++i) chat(sim, "groq", "k");
  chat(sim, "groq", "other");
  CHECK(sim.max_hits_in_window("groq", "k", 300ms) == 3);
  CHECK(sim.max_hits_in_window("groq", "k", 10s) == 5);
  CHECK(sim.max_hits_in_window("groq", "k", 1ms) >= 1);
  CHECK(sim.max_hits_in_window("groq", "never", 10s) == 0);
  CHECK(sim.max_hits_in_window("cerebras", "k", 10s) == 0);

  httplib::Client client(sim.url());
  auto result = client.Get("/_sim/stats?window_ms=300");
  REQUIRE(result);
  REQUIRE(result->status == 200);
  const json stats = json::parse(result->body);
  REQUIRE(stats["max_hits_in_window"].size() == 2);
  CHECK(stats["max_hits_in_window"][0] ==
        json{{"provider", "groq"}, {"key", "k"}, {"window_ms", 300}, {"max_hits", 3}});
  CHECK(stats["max_hits_in_window"][1]["max_hits"] == 1);
  CHECK_FALSE(json::parse(client.Get("/_sim/stats")->body).contains("max_hits_in_window"));
  CHECK(client.Get("/_sim/stats?window_ms=soon")->status == 400);
  sim.reset();
  CHECK(sim.max_hits_in_window("groq", "k", 10s) == 0);
}

TEST_CASE("a bad rate_limit rule is rejected naming the field", "[sim][rate_limit][validation]") {
  const auto message = [](const json& limit) {
    try {
      Simulator sim(json{{"rules", {{{"key", "k"}, {"rate_limit", limit}}}}});
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  CHECK(message(json{{"requests", 0}, {"window_ms", 10}}).find("rules[0].rate_limit.requests") != std::string::npos);
  CHECK(message(json{{"requests", 2}}).find("rules[0].rate_limit") != std::string::npos);
  CHECK(message(json{{"requests", 2}, {"window_ms", 10}, {"burst", 1}}).find("rate_limit.burst") != std::string::npos);
  CHECK(message(json(5)).find("rules[0].rate_limit") != std::string::npos);
  CHECK(message(json{{"requests", 2}, {"window_ms", 10}}) == "accepted");
}
