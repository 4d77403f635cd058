// Chaos: requests keep flowing from several processes and threads while their shared
// redis-server is killed, restarted, paused (silent, connections open) and flushed. No request
// may fail because of it, none may wait on the silent server, and every store reconnects.

#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <polyrouter/sim/simulator.hpp>

#include "fleet.hpp"
#include "redis_server.hpp"

using nlohmann::json;
using polyrouter::sim::Simulator;
using polyrouter::test::RedisServer;
using polyrouter::test::TempFolder;
using polyrouter::test::WorkerProcess;
using namespace std::chrono_literals;

namespace {

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

}  // namespace

TEST_CASE("chaos: redis-server killed, restarted, paused and flushed mid-run, and no request fails", "[fleet][chaos]") {
  INFO("the chaos test needs redis-server (scripts/deps.sh installs it)");
  REQUIRE(polyrouter::test::redis_server_available());

  // A password in the URL: it must never reach a log line.
  constexpr const char* kPassword = "chaos-Pa55word";
  polyrouter::test::RedisServerOptions options;
  options.password = kPassword;
  RedisServer redis(options);
  // A dead key to learn and share, and a budget on every key so each request's take_budget (the
  // one call that asks the server) meets the outage.
  Simulator sim(json{{"rules", json::array({{{"key", "sim-bad"}, {"behavior", "invalid_key"}}})}});
  TempFolder folder;
  constexpr int kProcesses = 3;
  constexpr int kConcurrency = 2;
  constexpr auto kPause = 1500ms;
  std::vector<std::unique_ptr<WorkerProcess>> workers;
  std::vector<std::string> ready;
  for (int i = 0; i < kProcesses; ++i) {
    ready.push_back(folder.path("ready" + std::to_string(i)));
    workers.push_back(std::make_unique<WorkerProcess>(
        std::vector<std::string>{"--sim", sim.url(), "--redis", redis.url(), "--prefix", "chaos:", "--secret",
                                 "chaos-secret", "--fail-unsynced", "--pool", "main=sim-bad,sim-ok@1000000/60000",
                                 "--requests", "0", "--duration-ms", "6500", "--concurrency",
                                 std::to_string(kConcurrency), "--final-sync-ms", "10000", "--log-level", "info",
                                 "--ready-file", ready.back(), "--go-file", folder.path("go")},
        folder.path("worker" + std::to_string(i))));
  }
  polyrouter::test::wait_for_files(ready, 60s);
  polyrouter::test::create_file(folder.path("go"));

  // The timeline, while the workers send for 6.5 s.
  std::this_thread::sleep_for(1000ms);
  redis.kill();  // gone without a goodbye
  std::this_thread::sleep_for(500ms);
  redis.restart();  // back on the same port, empty
  std::this_thread::sleep_for(1000ms);
  redis.pause();  // silent: connections open, nothing answers
  std::this_thread::sleep_for(kPause);
  redis.resume();
  std::this_thread::sleep_for(500ms);
  redis.flushall();  // everything shared is gone at once

  long long requests = 0;
  for (auto& w : workers) {
    const json s = w->wait(60s);
    INFO(s.dump());
    requests += s["requests"].get<long long>();
    std::cout << "chaos: worker answered " << s["answers"] << " of " << s["requests"] << ", latency " << s["latency_ms"]
              << ", store " << s["redis"] << "\n";
    CHECK(s["failed"] == 0);
    CHECK(s["requests"].get<long long>() > 0);
    // No request waited out the silent server (1.5 s): the store's bound is 50 ms a call.
    CHECK(s["latency_ms"]["max"].get<double>() < 1000.0);
    REQUIRE(s["redis"].is_object());
    CHECK(s["redis"]["outages"].get<long long>() >= 1);
    CHECK(s["redis"]["synced_at_end"] == true);
    CHECK(s["redis"]["connected"] == true);
    // Takes went to the server while it was there, and to local memory while it was not.
    CHECK(s["redis"]["budget_takes"].get<long long>() > 0);
    CHECK(s["redis"]["budget_local"].get<long long>() > 0);
    // Each outage is logged once, as a warning; the password never is.
    const std::string log = w->error_output();
    INFO(log);
    CHECK(occurrences(log, "answering from local memory until it is back") == s["redis"]["outages"].get<std::size_t>());
    CHECK(log.find(kPassword) == std::string::npos);
    CHECK(w->output().find(kPassword) == std::string::npos);
  }
  // Nobody forgot what it knew when the shared copy vanished (restart, FLUSHALL): the invalid key
  // was paid only by the requests in flight when it was first learned.
  CHECK(sim.hits("groq", "sim-bad") <= static_cast<std::size_t>(kProcesses * kConcurrency));
  std::cout << "chaos: " << requests << " requests from " << kProcesses
            << " processes through a kill, a restart, a 1.5 s pause and a FLUSHALL; invalid key called "
            << sim.hits("groq", "sim-bad") << " times\n";
}
