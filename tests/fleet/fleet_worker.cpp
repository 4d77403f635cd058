// polyrouter_fleet_worker: one process of a simulated fleet (tests/fleet, bench). It builds one
// Orchestrator from its arguments, optionally sharing what it learns through a RedisHealthStore,
// sends requests from a few threads and prints one JSON summary on stdout. Public API only.
//
//   polyrouter_fleet_worker --sim URL --pool main=bad,ok [--pool spare=s@60/2000] [--redis URL]
//       [--secret S] [--requests 500] [--concurrency 4] [--go-file F] [--start-delay-ms 100]
//
// Exit code 0 when it ran (failed requests are counted in the summary, not fatal), 2 on bad
// usage or when the orchestrator could not be built.

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <polyrouter/polyrouter.hpp>
#include <polyrouter/redis_health_store.hpp>

namespace {

using nlohmann::json;
using Steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct Options {
  std::string sim_url;
  std::vector<std::string> pools;  // NAME=KEY[,KEY...][@REQUESTS/WINDOW_MS]
  std::string model = "openai/gpt-oss-20b";
  std::string redis_url;
  std::string redis_ca;           // rediss://: a CA file trusted besides the system's
  std::string prefix = "polyrouter:";
  std::string log_level = "off";  // polyrouter's log, on stderr
  std::string secret;
  std::int64_t requests = 100;    // in all, across the threads (0 = until duration_ms)
  std::int64_t duration_ms = 0;   // stop starting requests after this (0 = no limit)
  int concurrency = 1;
  std::string ready_file;         // created once built (and synced): the test may say go
  std::string go_file;            // wait until this file exists before starting
  std::string done_file;          // created once the last request ended
  std::int64_t linger_ms = 0;     // then stay alive (and in the fleet) this long
  std::int64_t start_delay_ms = 0;
  std::int64_t max_wait_ms = 0;   // Timeouts::max_wait: wait for a cooled or spent key
  std::int64_t sync_timeout_ms = 5000;   // wait_until_synced before the first request
  std::int64_t final_sync_ms = 0;        // after the last request, wait this long to be in sync again
  bool fail_unsynced = false;            // exit 2 when the store did not sync at start
};

// "NAME=KEY[,KEY...][@REQUESTS/WINDOW_MS]"; each key's label is its value (the simulator's keys
// are not secrets, and the tests count attempts by label).
polyrouter::PoolConfig parse_pool(const std::string& spec, const Options& o) {
  const auto eq = spec.find('=');
  if (eq == std::string::npos || eq == 0) throw std::invalid_argument("--pool " + spec + ": expected NAME=KEYS");
  std::string keys = spec.substr(eq + 1);
  polyrouter::PoolConfig pool(polyrouter::Provider::groq, {o.model}, {}, o.sim_url);
  pool.name = spec.substr(0, eq);
  const auto at = keys.find('@');
  if (at != std::string::npos) {
    const std::string budget = keys.substr(at + 1);
    keys.resize(at);
    const auto slash = budget.find('/');
    if (slash == std::string::npos) throw std::invalid_argument("--pool " + spec + ": budget is REQUESTS/WINDOW_MS");
    pool.rate_budget.requests = std::stoll(budget.substr(0, slash));
    pool.rate_budget.window = std::chrono::milliseconds(std::stoll(budget.substr(slash + 1)));
  }
  std::size_t start = 0;
  while (start <= keys.size()) {
    const auto comma = keys.find(',', start);
    const std::string key = keys.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!key.empty()) pool.keys.emplace_back(key, key);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (pool.keys.empty()) throw std::invalid_argument("--pool " + spec + ": no keys");
  return pool;
}

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// Written to a temporary name and renamed, so a watcher never sees a half-made file.
void touch(const std::string& path) {
  const std::string tmp = path + ".tmp";
  std::ofstream(tmp) << ::getpid() << "\n";
  std::rename(tmp.c_str(), path.c_str());
}

std::int64_t epoch_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// What the threads saw, merged under one lock at the end of each request.
struct Tally {
  std::mutex mutex;
  std::int64_t requests = 0;
  std::int64_t answers = 0;
  std::map<std::string, std::int64_t> failures;         // by error tag
  std::map<std::string, std::int64_t> attempts;         // by "pool/label"
  std::map<std::string, std::int64_t> outcomes;         // by attempt outcome
  std::map<std::string, std::int64_t> answered_by;      // by "pool/label"
  std::string first_failure;
  double max_latency_ms = 0;
  std::vector<double> latencies_ms;

  void add(const std::vector<polyrouter::Attempt>& list) {
    for (const auto& a : list) {
      ++attempts[a.pool + "/" + a.key_label];
      ++outcomes[std::string(polyrouter::to_string(a.outcome))];
    }
  }
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  return v[i];
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"polyrouter_fleet_worker: one orchestrator of a simulated fleet; prints a JSON summary"};
  app.add_option("--sim", o.sim_url, "the simulator's root URL")->required();
  app.add_option("--pool", o.pools, "NAME=KEY[,KEY...][@REQUESTS/WINDOW_MS], in order (Groq pools)")->required();
  app.add_option("--model", o.model, "the model every pool serves");
  app.add_option("--redis", o.redis_url, "share what is learned through this Redis (empty: in memory)");
  app.add_option("--redis-ca", o.redis_ca, "rediss://: a PEM file of CAs trusted besides the system's");
  app.add_option("--prefix", o.prefix, "the Redis key prefix");
  app.add_option("--log-level", o.log_level, "polyrouter's log level, on stderr")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  app.add_option("--secret", o.secret, "the fleet's key fingerprint secret");
  app.add_option("--requests", o.requests, "requests in all (0 = until --duration-ms)")->check(CLI::NonNegativeNumber);
  app.add_option("--duration-ms", o.duration_ms, "start no request after this")->check(CLI::NonNegativeNumber);
  app.add_option("--concurrency", o.concurrency, "threads sending requests")->check(CLI::PositiveNumber);
  app.add_option("--ready-file", o.ready_file, "create this file once built and synced");
  app.add_option("--go-file", o.go_file, "wait until this file exists, then start");
  app.add_option("--done-file", o.done_file, "create this file once the last request ended");
  app.add_option("--linger-ms", o.linger_ms, "then stay alive this long")->check(CLI::NonNegativeNumber);
  app.add_option("--start-delay-ms", o.start_delay_ms, "then wait this long")->check(CLI::NonNegativeNumber);
  app.add_option("--max-wait-ms", o.max_wait_ms, "Timeouts::max_wait")->check(CLI::NonNegativeNumber);
  app.add_option("--sync-timeout-ms", o.sync_timeout_ms, "wait for the store's first sync this long")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--final-sync-ms", o.final_sync_ms, "after the run, wait to be in sync again this long")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--fail-unsynced", o.fail_unsynced, "exit 2 when the store did not sync before the start");
  CLI11_PARSE(app, argc, argv);

  if (o.requests == 0 && o.duration_ms == 0) {
    std::cerr << "polyrouter_fleet_worker: --requests 0 needs --duration-ms\n";
    return 2;
  }

  const std::map<std::string, polyrouter::LogLevel> levels = {
      {"trace", polyrouter::LogLevel::trace}, {"debug", polyrouter::LogLevel::debug},
      {"info", polyrouter::LogLevel::info},   {"warn", polyrouter::LogLevel::warn},
      {"error", polyrouter::LogLevel::error}, {"off", polyrouter::LogLevel::off}};
  polyrouter::set_log_level(levels.at(o.log_level));

  json summary;
  std::unique_ptr<polyrouter::Orchestrator> orchestrator;
  std::shared_ptr<polyrouter::RedisHealthStore> store;
  try {
    polyrouter::OrchestratorConfig config;
    for (const auto& spec : o.pools) config.pools.push_back(parse_pool(spec, o));
    config.key_fingerprint_secret = o.secret;
    config.timeouts.max_wait = std::chrono::milliseconds(o.max_wait_ms);
    if (!o.redis_url.empty()) {
      polyrouter::RedisStoreOptions store_options;
      store_options.url = o.redis_url;
      store_options.prefix = o.prefix;
      store_options.tls_ca_file = o.redis_ca;
      store = std::make_shared<polyrouter::RedisHealthStore>(store_options);
      config.health_store = store;
    }
    orchestrator = std::make_unique<polyrouter::Orchestrator>(std::move(config));
  } catch (const std::exception& e) {
    std::cerr << "polyrouter_fleet_worker: " << e.what() << "\n";
    return 2;
  }

  summary["synced_at_start"] = nullptr;
  if (store) {
    const bool synced = store->wait_until_synced(std::chrono::milliseconds(o.sync_timeout_ms));
    summary["synced_at_start"] = synced;
    if (!synced && o.fail_unsynced) {
      std::cerr << "polyrouter_fleet_worker: the store did not sync within " << o.sync_timeout_ms << " ms\n";
      return 2;
    }
  }

  if (!o.ready_file.empty()) touch(o.ready_file);
  if (!o.go_file.empty()) {
    while (!file_exists(o.go_file)) std::this_thread::sleep_for(2ms);
  }
  if (o.start_delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(o.start_delay_ms));

  Tally tally;
  std::atomic<std::int64_t> next{0};
  const auto started = Steady::now();
  const std::int64_t started_epoch_ms = epoch_ms();
  const auto stop_at = started + std::chrono::milliseconds(o.duration_ms);
  auto send = [&] {
    for (;;) {
      if (o.duration_ms > 0 && Steady::now() >= stop_at) return;
      if (o.requests > 0 && next.fetch_add(1) >= o.requests) return;
      const auto t0 = Steady::now();
      std::vector<polyrouter::Attempt> attempts;
      std::string answered_by;
      std::string failure;
      std::string failure_message;
      try {
        polyrouter::Response r = orchestrator->request("Say hello in five words.");
        answered_by = r.pool + "/" + r.key_label;
        attempts = std::move(r.attempts);
      } catch (const polyrouter::AllClientsExhaustedError& e) {
        failure = std::string(polyrouter::tag(e.kind()));
        failure_message = e.what();
        attempts = e.attempts();
      } catch (const polyrouter::Error& e) {
        failure = std::string(polyrouter::tag(e.kind()));
        failure_message = e.what();
      } catch (const std::exception& e) {
        failure = "std::exception";
        failure_message = e.what();
      }
      const double ms = std::chrono::duration<double, std::milli>(Steady::now() - t0).count();
      std::lock_guard<std::mutex> lock(tally.mutex);
      ++tally.requests;
      tally.add(attempts);
      tally.latencies_ms.push_back(ms);
      tally.max_latency_ms = std::max(tally.max_latency_ms, ms);
      if (failure.empty()) {
        ++tally.answers;
        ++tally.answered_by[answered_by];
      } else {
        ++tally.failures[failure];
        if (tally.first_failure.empty()) tally.first_failure = failure_message;
      }
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < o.concurrency; ++i) threads.emplace_back(send);
  for (auto& t : threads) t.join();
  const double elapsed_ms = std::chrono::duration<double, std::milli>(Steady::now() - started).count();
  if (!o.done_file.empty()) touch(o.done_file);
  if (o.linger_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(o.linger_ms));

  summary["pid"] = static_cast<long>(::getpid());
  summary["started_epoch_ms"] = started_epoch_ms;
  summary["elapsed_ms"] = elapsed_ms;
  summary["requests"] = tally.requests;
  summary["answers"] = tally.answers;
  summary["failures"] = tally.failures;
  summary["failed"] = tally.requests - tally.answers;
  summary["first_failure"] = tally.first_failure;
  summary["attempts"] = tally.attempts;
  summary["outcomes"] = tally.outcomes;
  summary["answered_by"] = tally.answered_by;
  summary["latency_ms"] = {{"max", tally.max_latency_ms},
                           {"p50", percentile(tally.latencies_ms, 0.5)},
                           {"p99", percentile(tally.latencies_ms, 0.99)}};
  summary["redis"] = nullptr;
  if (store) {
    bool synced_at_end = true;
    if (o.final_sync_ms > 0) synced_at_end = store->wait_until_synced(std::chrono::milliseconds(o.final_sync_ms));
    const polyrouter::RedisStoreStats s = store->stats();
    summary["redis"] = {{"synced_at_end", synced_at_end},
                        {"connected", s.connected},
                        {"outages", s.outages},
                        {"syncs", s.syncs},
                        {"writes", s.writes},
                        {"writes_dropped", s.writes_dropped},
                        {"remote_updates", s.remote_updates},
                        {"budget_takes", s.budget_takes},
                        {"budget_local", s.budget_local},
                        {"commands", s.commands}};
  }
  // The orchestrator (and its store) go before the summary is printed: a teardown that hangs
  // or crashes shows as a missing summary.
  orchestrator.reset();
  store.reset();
  std::cout << summary.dump() << std::endl;
  return 0;
}
