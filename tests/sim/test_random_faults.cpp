// The simulator's random faults over real loopback HTTP: the fraction of healthy calls that
// fail, the same calls for the same seed, scripted answers left alone, strict validation.

#include <httplib.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "polyrouter/sim/simulator.hpp"

namespace {

using nlohmann::json;
using polyrouter::sim::Simulator;

json with_faults(std::uint64_t seed, double fraction_500, double fraction_503, json rules = json::array()) {
  return {{"rules", std::move(rules)},
          {"random_faults",
           {{"seed", seed},
            {"faults", {{{"status", 500}, {"fraction", fraction_500}}, {{"status", 503}, {"fraction", fraction_503}}}}}}};
}

/// The statuses of @p count Groq chat calls with @p key, in order, over one keep-alive connection.
std::vector<int> statuses(const Simulator& sim, int count, const std::string& key = "good-key",
                          const std::string& path = "/openai/v1/chat/completions") {
  httplib::Client client(sim.url());
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);  // headers and body go out in two writes: no 40 ms Nagle wait each
  const httplib::Headers headers{{"Authorization", "Bearer " + key}};
  const std::string body = R"({"model":"openai/gpt-oss-20b","messages":[{"role":"user","content":"hi"}]})";
  std::vector<int> out;
  for (int i = 0; i < count; ++i) {
    const auto response = path.find("models") != std::string::npos
                              ? client.Get(path.c_str(), headers)
                              : client.Post(path.c_str(), headers, body, "application/json");
    out.push_back(response ? response->status : -1);
  }
  return out;
}

long count_of(const std::vector<int>& values, int value) {
  return static_cast<long>(std::count(values.begin(), values.end(), value));
}

}  // namespace

TEST_CASE("random_faults fail the given fraction of healthy calls, the same calls for a seed",
          "[sim][random_faults]") {
  constexpr int kCalls = 1000;
  std::vector<int> first;
  {
    Simulator sim(with_faults(7, 0.1, 0.1));
    first = statuses(sim, kCalls);
  }
  // 100 expected of each; 3.5 standard deviations either way.
  CHECK(count_of(first, 500) >= 67);
  CHECK(count_of(first, 500) <= 133);
  CHECK(count_of(first, 503) >= 67);
  CHECK(count_of(first, 503) <= 133);
  CHECK(count_of(first, 200) + count_of(first, 500) + count_of(first, 503) == kCalls);

  Simulator again(with_faults(7, 0.1, 0.1));
  CHECK(statuses(again, kCalls) == first);
  Simulator other_seed(with_faults(8, 0.1, 0.1));
  CHECK(statuses(other_seed, kCalls) != first);
}

TEST_CASE("random_faults answer in the provider's server-error shape", "[sim][random_faults]") {
  Simulator sim(with_faults(1, 0.0, 1.0));
  httplib::Client client(sim.url());
  const auto response = client.Post("/openai/v1/chat/completions", {{"Authorization", "Bearer k"}},
                                    R"({"model":"m","messages":[]})", "application/json");
  REQUIRE(response);
  CHECK(response->status == 503);
  CHECK(json::parse(response->body).at("error").contains("message"));
}

TEST_CASE("random_faults leave scripted answers, model lists and keyless calls alone", "[sim][random_faults]") {
  Simulator sim;
  // Set from code on a running simulator, as a soak does.
  sim.set_scenario(with_faults(3, 0.5, 0.5, json::array({{{"key", "bad-key"}, {"behavior", "invalid_key"}}})));
  CHECK(count_of(statuses(sim, 50, "bad-key"), 401) == 50);
  CHECK(count_of(statuses(sim, 50, "good-key", "/openai/v1/models"), 200) == 50);
  CHECK(count_of(statuses(sim, 50, "good-key"), 200) == 0);

  httplib::Client client(sim.url());
  const auto keyless = client.Post("/openai/v1/chat/completions", R"({"model":"m","messages":[]})", "application/json");
  REQUIRE(keyless);
  CHECK(keyless->status == 401);

  sim.set_scenario(json::object());  // no random_faults: healthy again
  CHECK(count_of(statuses(sim, 50), 200) == 50);
}

TEST_CASE("random_faults validate and name the offending field", "[sim][random_faults][validation]") {
  const auto [scenario, where] = GENERATE(table<std::string, std::string>({
      {R"({"random_faults":[]})", "random_faults"},
      {R"({"random_faults":{"seed":-1}})", "random_faults.seed"},
      {R"({"random_faults":{"sead":1}})", "random_faults.sead"},
      {R"({"random_faults":{"faults":{}}})", "random_faults.faults"},
      {R"({"random_faults":{"faults":[{"status":200,"fraction":0.1}]}})", "random_faults.faults[0].status"},
      {R"({"random_faults":{"faults":[{"status":500}]}})", "random_faults.faults[0].fraction"},
      {R"({"random_faults":{"faults":[{"status":500,"fraction":1.5}]}})", "random_faults.faults[0].fraction"},
      {R"({"random_faults":{"faults":[{"status":500,"fraction":0.1,"colour":1}]}})", "random_faults.faults[0].colour"},
      {R"({"random_faults":{"faults":[{"fraction":0.6},{"status":503,"fraction":0.6}]}})", "random_faults.faults"},
  }));
  CAPTURE(scenario);
  CHECK_THROWS_WITH(Simulator(json::parse(scenario)), Catch::Contains(where + ":"));
}
