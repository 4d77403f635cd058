#include "cases.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <fstream>
#include <future>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <unistd.h>

#include <polyrouter/sim/simulator.hpp>
#include <polyrouter/redis_health_store.hpp>

#include "baseline.hpp"
#include "redis_server.hpp"
#include "shapes.hpp"

namespace bench {
namespace {

using polyrouter::ChatRequest;
using polyrouter::Orchestrator;
using polyrouter::Response;

// A count for this run: the full figure, the --quick one, or --requests when it is given.
std::size_t count(const Options& o, std::size_t full, std::size_t quick, bool main_count = false) {
  if (main_count && o.requests > 0) return static_cast<std::size_t>(o.requests);
  return o.quick ? quick : full;
}

int rounds(const Options& o, int full) { return o.quick ? 2 : full; }

// Per-variant medians of every metric, plus the per-round values.
json summarize(const std::map<std::string, std::map<std::string, std::vector<double>>>& samples) {
  json out = json::object();
  for (const auto& [variant, metrics] : samples) {
    for (const auto& [metric, values] : metrics) {
      out[variant][metric] = median(values);
      out[variant][metric + "_rounds"] = values;
    }
  }
  return out;
}

// The median over rounds of a / b, rounds paired in time (robust to drift between rounds).
double paired_ratio(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> r;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    if (b[i] > 0) r.push_back(a[i] / b[i]);
  }
  return median(r);
}

// Sequential requests on this thread: mean wall and thread-CPU microseconds per request.
template <typename F>
std::map<std::string, double> timed(std::size_t n, F&& one) {
  const double cpu0 = thread_cpu_seconds();
  const auto t0 = Clock::now();
  for (std::size_t i = 0; i < n; ++i) one();
  const double wall = seconds_since(t0);
  const double cpu = thread_cpu_seconds() - cpu0;
  const double d = static_cast<double>(n);
  return {{"us", wall * 1e6 / d}, {"cpu_us", cpu * 1e6 / d}};
}

// ---------------------------------------------------------------------------------------------
// 1 + 2. Healthy path vs the raw libcurl baseline.

json healthy(const Options& o, const std::string& url) {
  const std::size_t per_round = count(o, 300, 20, true);
  const int n_rounds = rounds(o, 41);
  Orchestrator orchestrator(config_for(url, {kKey}));
  RawClient raw(url, {kKey});
  for (std::size_t i = 0; i < count(o, 500, 10); ++i) {
    check_answer(orchestrator.request(kPrompt));
    raw.ask(kPrompt);
  }
  auto samples = alternate({{"polyrouter", [&] { return timed(per_round, [&] { check_answer(orchestrator.request(kPrompt)); }); }},
                            {"baseline", [&] { return timed(per_round, [&] { raw.ask(kPrompt); }); }}},
                           n_rounds, o.variant);
  json out = summarize(samples);
  out["paired_ratio"] = paired_ratio(samples["polyrouter"]["us"], samples["baseline"]["us"]);
  out["requests_per_round"] = per_round;
  out["rounds"] = n_rounds;
  return out;
}

// For callgrind: N requests of one variant inside bench_measured_region, nothing else counted.
struct CpuRun {
  std::size_t n;
  std::function<void()> one;
};

json healthy_cpu(const Options& o, const std::string& url) {
  const std::size_t n = count(o, 2000, 20, true);
  const std::string variant = o.variant.empty() ? "polyrouter" : o.variant;
  std::unique_ptr<Orchestrator> orchestrator;
  std::unique_ptr<RawClient> raw;
  CpuRun run{n, {}};
  if (variant == "polyrouter") {
    orchestrator = std::make_unique<Orchestrator>(config_for(url, {kKey}));
    run.one = [&] { check_answer(orchestrator->request(kPrompt)); };
  } else if (variant == "baseline") {
    raw = std::make_unique<RawClient>(url, std::vector<std::string>{kKey});
    run.one = [&] { raw->ask(kPrompt); };
  } else {
    throw std::invalid_argument("healthy_cpu: --variant polyrouter|baseline");
  }
  for (int i = 0; i < 50; ++i) run.one();  // connection, first-use allocations, lazy statics
  bench_measured_region(
      [](void* context) {
        auto* r = static_cast<CpuRun*>(context);
        for (std::size_t i = 0; i < r->n; ++i) r->one();
      },
      &run);
  return {{"variant", variant}, {"requests", n}};
}

// ---------------------------------------------------------------------------------------------
// 3 + 4. Keys: a learned bad key and a first failover, on the simulator (it counts round trips).

json simulator_scenario() {
  return json{{"rules", json::array({{{"key", "sim-bad"}, {"behavior", "invalid_key"}}})}};
}

json learned_bad_key(const Options& o, const std::string&) {
  polyrouter::sim::Simulator sim(simulator_scenario());
  json out;
  // Requests run on a thread of their own: its reused connection closes when it ends, so the
  // simulator stops at once instead of waiting out its keep-alive timeout.
  std::thread([&] {
    const std::size_t per_round = count(o, 300, 10, true);
    const int n_rounds = rounds(o, 31);
    Orchestrator learned(config_for(sim.url(), {"sim-bad", "sim-good"}));
    Orchestrator healthy_pool(config_for(sim.url(), {"sim-good"}));
    check_answer(learned.request(kPrompt), "");  // learns that sim-bad is invalid
    const std::size_t learn_hits = sim.hits("groq", "sim-bad");
    for (std::size_t i = 0; i < count(o, 300, 10); ++i) {
      check_answer(learned.request(kPrompt), "");
      check_answer(healthy_pool.request(kPrompt), "");
    }
    const std::size_t bad_before = sim.hits("groq", "sim-bad");
    std::size_t learned_requests = 0;
    std::size_t learned_hits = 0;
    auto samples = alternate(
        {{"learned",
          [&] {
            const std::size_t before = sim.hits();
            auto m = timed(per_round, [&] {
              Response r = learned.request(kPrompt);
              check_answer(r, "");
              if (r.attempts.size() != 1) throw std::runtime_error("learned bad key: more than one attempt");
            });
            learned_hits += sim.hits() - before;
            learned_requests += per_round;
            return m;
          }},
         {"healthy", [&] { return timed(per_round, [&] { check_answer(healthy_pool.request(kPrompt), ""); }); }}},
        n_rounds, o.variant);
    out = summarize(samples);
    out["paired_ratio"] = paired_ratio(samples["learned"]["us"], samples["healthy"]["us"]);
    out["learn_bad_hits"] = learn_hits;
    out["bad_hits_after_learning"] = sim.hits("groq", "sim-bad") - bad_before;
    out["round_trips_per_request"] = static_cast<double>(learned_hits) / static_cast<double>(learned_requests);
    out["requests_per_round"] = per_round;
    out["rounds"] = n_rounds;
  }).join();
  return out;
}

json first_failover(const Options& o, const std::string&) {
  polyrouter::sim::Simulator sim(simulator_scenario());
  json out;
  std::thread([&] {
    const std::size_t per_round = count(o, 100, 5, true);
    const int n_rounds = rounds(o, 21);
    RawClient raw(sim.url(), {"sim-bad", "sim-good"});
    // Fresh orchestrators, built before the clock starts: each learns nothing before its request.
    auto fresh = [&](std::vector<polyrouter::ApiKey> keys) {
      std::vector<std::unique_ptr<Orchestrator>> out_list;
      for (std::size_t i = 0; i < per_round; ++i) {
        out_list.push_back(std::make_unique<Orchestrator>(config_for(sim.url(), keys)));
      }
      return out_list;
    };
    for (std::size_t i = 0; i < count(o, 200, 5); ++i) {
      Orchestrator(config_for(sim.url(), {"sim-bad", "sim-good"})).request(kPrompt);
      std::string text;
      raw.complete(kPrompt, 0, text);
      raw.complete(kPrompt, 1, text);
    }
    std::size_t failover_requests = 0;
    std::size_t failover_hits = 0;
    std::size_t failover_bad_hits = 0;
    auto orchestrated = [&](std::vector<polyrouter::ApiKey> keys, bool count_hits) {
      auto list = fresh(keys);
      const std::size_t hits0 = sim.hits();
      const std::size_t bad0 = sim.hits("groq", "sim-bad");
      std::size_t i = 0;
      auto m = timed(per_round, [&] {
        Response r = list[i++]->request(kPrompt);
        check_answer(r, "");
        if (r.attempts.size() != keys.size()) throw std::runtime_error("first failover: unexpected attempts");
      });
      if (count_hits) {
        failover_hits += sim.hits() - hits0;
        failover_bad_hits += sim.hits("groq", "sim-bad") - bad0;
        failover_requests += per_round;
      }
      return m;
    };
    auto raw_request = [&](bool with_bad_key) {
      return timed(per_round, [&] {
        std::string text;
        if (with_bad_key && raw.complete(kPrompt, 0, text) != 401) throw std::runtime_error("raw: expected 401");
        if (raw.complete(kPrompt, 1, text) != 200 || text.empty()) throw std::runtime_error("raw: expected 200");
      });
    };
    auto samples = alternate({{"failover", [&] { return orchestrated({"sim-bad", "sim-good"}, true); }},
                              {"healthy", [&] { return orchestrated({"sim-good"}, false); }},
                              {"raw_failover", [&] { return raw_request(true); }},
                              {"raw_healthy", [&] { return raw_request(false); }}},
                             n_rounds, o.variant);
    out = summarize(samples);
    out["paired_ratio"] = paired_ratio(samples["failover"]["us"], samples["raw_failover"]["us"]);
    out["round_trips_per_request"] = static_cast<double>(failover_hits) / static_cast<double>(failover_requests);
    out["bad_key_trips_per_request"] =
        static_cast<double>(failover_bad_hits) / static_cast<double>(failover_requests);
    out["requests_per_round"] = per_round;
    out["rounds"] = n_rounds;
  }).join();
  return out;
}

// ---------------------------------------------------------------------------------------------
// 5. Concurrency.

// Requests per second and process CPU per request of @p run, which answers @p n requests.
template <typename F>
std::map<std::string, double> throughput(std::size_t n, F&& run) {
  const double cpu0 = process_cpu_seconds();
  const auto t0 = Clock::now();
  run();
  const double wall = seconds_since(t0);
  const double cpu = process_cpu_seconds() - cpu0;
  return {{"rps", static_cast<double>(n) / wall}, {"cpu_us", cpu * 1e6 / static_cast<double>(n)}};
}

// @p threads threads, each running @p per_thread(total / threads): throughput and CPU.
template <typename PerThread>
std::map<std::string, double> threaded(std::size_t threads, std::size_t total, PerThread&& per_thread) {
  const std::size_t each = total / threads;
  std::atomic<bool> failed{false};
  std::string failure;
  std::mutex failure_mutex;
  auto m = throughput(each * threads, [&] {
    std::vector<std::thread> pool;
    for (std::size_t t = 0; t < threads; ++t) {
      pool.emplace_back([&] {
        try {
          per_thread(each);
        } catch (const std::exception& e) {
          std::lock_guard<std::mutex> lock(failure_mutex);
          failed = true;
          failure = e.what();
        }
      });
    }
    for (auto& th : pool) th.join();
  });
  if (failed) throw std::runtime_error(failure);
  return m;
}

json threads_case(const Options& o, const std::string& url) {
  const std::size_t total = count(o, 3200, 128, true);
  const int n_rounds = rounds(o, 11);
  Orchestrator orchestrator(config_for(url, {kKey}));
  RawMulti multi(url, kKey);
  json out = json::object();
  for (std::size_t t : {std::size_t{1}, std::size_t{8}, std::size_t{64}}) {
    std::vector<Variant> variants = {
        {"polyrouter",
         [&] {
           return threaded(t, total, [&](std::size_t n) {
             for (std::size_t i = 0; i < n; ++i) check_answer(orchestrator.request(kPrompt));
           });
         }},
        {"baseline_threads", [&] {
           return threaded(t, total, [&](std::size_t n) {
             RawClient raw(url, {kKey});
             for (std::size_t i = 0; i < n; ++i) raw.ask(kPrompt);
           });
         }}};
    if (t == 64) {
      variants.push_back({"baseline_multi", [&] { return throughput(total, [&] { multi.run(total, t); }); }});
    }
    for (const Variant& v : variants) {
      if (o.variant.empty() || o.variant == v.name) v.round();  // warm-up: threads, connections, caches
    }
    auto samples = alternate(variants, n_rounds, o.variant);
    json s = summarize(samples);
    s["paired_ratio"] = paired_ratio(samples["polyrouter"]["rps"], samples["baseline_threads"]["rps"]);
    if (t == 64) s["paired_ratio_multi"] = paired_ratio(samples["polyrouter"]["rps"], samples["baseline_multi"]["rps"]);
    out[std::to_string(t)] = s;
  }
  out["requests_per_round"] = total;
  out["rounds"] = n_rounds;
  return out;
}

// A closed loop through request_async: @p in_flight requests outstanding until @p total are done.
// Each request is make_request(); an answer counts as an error unless is_expected(answer).
template <typename MakeRequest, typename IsExpected>
class AsyncLoop {
 public:
  AsyncLoop(Orchestrator& orchestrator, std::size_t total, MakeRequest make_request, IsExpected is_expected)
      : orchestrator_(orchestrator), total_(total), make_request_(make_request), is_expected_(is_expected) {}

  void run(std::size_t in_flight) {
    const std::size_t first = std::min(in_flight, total_);
    started_ = first;
    for (std::size_t i = 0; i < first; ++i) submit();
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [this] { return finished_; });
    if (errors_ > 0) throw std::runtime_error("async: " + std::to_string(errors_.load()) + " requests failed");
  }

 private:
  void submit() {
    orchestrator_.request_async(
        make_request_(),
        [this](Response r) {
          if (!is_expected_(r)) ++errors_;
          completed();
        },
        [this](std::exception_ptr) {
          ++errors_;
          completed();
        });
  }
  // On the event loop: start the next request, or wake run() after the last.
  void completed() {
    if (started_.fetch_add(1) < total_) submit();
    if (done_.fetch_add(1) + 1 == total_) {
      std::lock_guard<std::mutex> lock(mutex_);
      finished_ = true;
      cv_.notify_all();
    }
  }

  Orchestrator& orchestrator_;
  const std::size_t total_;
  MakeRequest make_request_;
  IsExpected is_expected_;
  std::atomic<std::size_t> started_{0};
  std::atomic<std::size_t> done_{0};
  std::atomic<std::size_t> errors_{0};
  std::mutex mutex_;
  std::condition_variable cv_;
  bool finished_ = false;
};

json async_case(const Options& o, const std::string& url) {
  const std::size_t total = count(o, 10000, 300, true);
  const int n_rounds = rounds(o, 9);
  Orchestrator orchestrator(config_for(url, {kKey}));
  RawMulti multi(url, kKey);
  json out = json::object();
  for (std::size_t n : {std::size_t{64}, std::size_t{1000}}) {
    std::vector<Variant> variants = {
        {"polyrouter",
         [&] {
           return throughput(total, [&] {
             AsyncLoop(orchestrator, total, [] { return ChatRequest::from_prompt(kPrompt); },
                       [](const Response& r) { return r.text == kAnswer; })
                 .run(n);
           });
         }},
        {"baseline_multi", [&] { return throughput(total, [&] { multi.run(total, n); }); }}};
    for (const Variant& v : variants) {
      if (o.variant.empty() || o.variant == v.name) v.round();  // warm-up: loop thread, handles, connections
    }
    auto samples = alternate(variants, n_rounds, o.variant);
    json s = summarize(samples);
    s["paired_ratio"] = paired_ratio(samples["polyrouter"]["rps"], samples["baseline_multi"]["rps"]);
    out[std::to_string(n)] = s;
  }
  out["requests_per_round"] = total;
  out["rounds"] = n_rounds;
  return out;
}

// ---------------------------------------------------------------------------------------------
// 6. Streaming: time to the first delta.

json stream_case(const Options& o, const std::string& url) {
  const std::size_t per_round = count(o, 200, 10, true);
  const int n_rounds = rounds(o, 31);
  Orchestrator orchestrator(config_for(url, {kKey}));
  RawStreamClient raw(url, kKey);
  auto polyrouter_round = [&] {
    double first_total = 0;
    const auto t0 = Clock::now();
    for (std::size_t i = 0; i < per_round; ++i) {
      const auto start = Clock::now();
      bool seen = false;
      Response r = orchestrator.stream(kPrompt, [&](std::string_view) {
        if (!seen) {
          seen = true;
          first_total += std::chrono::duration<double>(Clock::now() - start).count();
        }
        return true;
      });
      check_answer(r);
    }
    const double d = static_cast<double>(per_round);
    return std::map<std::string, double>{{"ttft_us", first_total * 1e6 / d}, {"us", seconds_since(t0) * 1e6 / d}};
  };
  auto raw_round = [&] {
    double first_total = 0;
    const auto t0 = Clock::now();
    for (std::size_t i = 0; i < per_round; ++i) {
      std::chrono::nanoseconds first{0};
      raw.stream(kPrompt, first);
      first_total += std::chrono::duration<double>(first).count();
    }
    const double d = static_cast<double>(per_round);
    return std::map<std::string, double>{{"ttft_us", first_total * 1e6 / d}, {"us", seconds_since(t0) * 1e6 / d}};
  };
  polyrouter_round();
  raw_round();
  auto samples = alternate({{"polyrouter", polyrouter_round}, {"baseline", raw_round}}, n_rounds, o.variant);
  json out = summarize(samples);
  out["paired_ratio"] = paired_ratio(samples["polyrouter"]["ttft_us"], samples["baseline"]["ttft_us"]);
  out["requests_per_round"] = per_round;
  out["rounds"] = n_rounds;
  return out;
}

// ---------------------------------------------------------------------------------------------
// 7. Memory.

json memory_async(const Options& o, const std::string& url) {
  const std::size_t in_flight = count(o, 1000, 1000, true);
  const std::string variant = o.variant.empty() ? "polyrouter" : o.variant;
  json out = {{"variant", variant}, {"in_flight", in_flight}};
  Memory before;
  Memory peak;
  bool reset = false;
  if (variant == "polyrouter") {
    Orchestrator orchestrator(config_for(url, {kKey}));
    std::vector<std::future<Response>> warm;
    for (int i = 0; i < 64; ++i) warm.push_back(orchestrator.request_async(kPrompt));
    for (auto& f : warm) check_answer(f.get());
    before = read_memory();
    reset = reset_peak_rss();
    std::vector<std::future<Response>> futures;
    futures.reserve(in_flight);
    for (std::size_t i = 0; i < in_flight; ++i) futures.push_back(orchestrator.request_async(kPrompt));
    for (auto& f : futures) check_answer(f.get());
    peak = read_memory();
  } else if (variant == "baseline") {
    RawMulti multi(url, kKey);
    multi.run(64, 64);
    before = read_memory();
    reset = reset_peak_rss();
    multi.run(in_flight, in_flight);
    peak = read_memory();
  } else {
    throw std::invalid_argument("memory_async: --variant polyrouter|baseline");
  }
  out["rss_before_kb"] = before.rss_kb;
  out["hwm_kb"] = peak.hwm_kb;
  out["rss_after_kb"] = peak.rss_kb;
  out["peak_growth_kb"] = peak.hwm_kb - before.rss_kb;
  out["peak_reset"] = reset;
  return out;
}

long statm_rss_kb() { return read_memory().rss_kb; }

json rss_growth(const Options& o, const std::string& url) {
  const std::size_t total = count(o, 1000000, 2000, true);
  const std::size_t warmup = count(o, 10000, 200);
  Orchestrator orchestrator(config_for(url, {kKey}));
  for (std::size_t i = 0; i < warmup; ++i) check_answer(orchestrator.request(kPrompt));
  const long start_kb = statm_rss_kb();
  json samples = json::array();
  const std::size_t step = std::max<std::size_t>(1, total / 10);
  const auto t0 = Clock::now();
  for (std::size_t i = 1; i <= total; ++i) {
    check_answer(orchestrator.request(kPrompt));
    if (i % step == 0) {
      samples.push_back({{"requests", i}, {"rss_kb", statm_rss_kb()}});
      note("rss_growth: " + std::to_string(i) + " requests, RSS " + std::to_string(samples.back()["rss_kb"].get<long>()) + " kB");
    }
  }
  const double wall = seconds_since(t0);
  const long end_kb = statm_rss_kb();
  long max_kb = start_kb;
  for (const auto& s : samples) max_kb = std::max(max_kb, s["rss_kb"].get<long>());
  const polyrouter::Stats stats = orchestrator.stats();
  return {{"requests", total},
          {"warmup", warmup},
          {"rss_start_kb", start_kb},
          {"rss_end_kb", end_kb},
          {"rss_max_kb", max_kb},
          {"growth_kb", end_kb - start_kb},
          {"samples", samples},
          {"seconds", wall},
          {"us_per_request", wall * 1e6 / static_cast<double>(total)},
          {"successes", stats.successes}};
}

// ---------------------------------------------------------------------------------------------
// 8. The real providers' answer shapes: the healthy path (and the async path for some) against
//    the success fixtures served verbatim with their headers, each on an origin of its own.

json real_shapes(const Options& o, const std::string&) {
  const std::map<std::string, std::string> urls = parse_shape_urls(o.shapes);
  if (urls.empty()) {
    throw std::runtime_error("real_shapes: the bench server serves no real shape (see its note; --fixtures DIR)");
  }
  const std::string dir = fixtures_dir(o);
  const std::size_t per_round = count(o, 300, 20, true);
  const int n_rounds = rounds(o, 41);
  const std::size_t async_total = count(o, 10000, 300);
  const int async_rounds = rounds(o, 9);
  constexpr std::size_t in_flight = 64;
  json out = {{"blocking", json::object()}, {"async", json::object()}};
  for (const ShapeSpec& spec : shape_specs()) {
    const auto url = urls.find(spec.name);
    if (url == urls.end()) throw std::runtime_error(std::string("real_shapes: no server port for ") + spec.name);
    note("real_shapes: " + std::string(spec.name) + " (" + spec.body_file + ")");
    const Shape shape = load_shape(spec, dir, url->second);
    Orchestrator orchestrator(shape_config(shape));
    RawShapeClient raw(raw_exchange(shape));
    auto ask = [&] { check_shape_answer(orchestrator.request(shape.request), shape.expected); };
    for (std::size_t i = 0; i < count(o, 500, 10); ++i) {
      ask();
      raw.ask();
    }
    auto samples = alternate({{"polyrouter", [&] { return timed(per_round, ask); }},
                              {"baseline", [&] { return timed(per_round, [&] { raw.ask(); }); }}},
                             n_rounds, o.variant);
    json s = summarize(samples);
    s["paired_ratio"] = paired_ratio(samples["polyrouter"]["us"], samples["baseline"]["us"]);
    s["provider"] = spec.provider;
    s["body_file"] = spec.body_file;
    s["headers_file"] = spec.headers_file;
    s["path"] = shape.url.substr(shape.root.size());
    out["blocking"][spec.name] = s;
    if (!spec.async) continue;

    RawMulti multi(raw_exchange(shape));
    std::vector<Variant> variants = {
        {"polyrouter",
         [&] {
           return throughput(async_total, [&] {
             AsyncLoop(orchestrator, async_total, [&] { return shape.request; },
                       [&](const Response& r) { return answer_matches(r, shape.expected); })
                 .run(in_flight);
           });
         }},
        {"baseline_multi", [&] { return throughput(async_total, [&] { multi.run(async_total, in_flight); }); }}};
    for (const Variant& v : variants) {
      if (o.variant.empty() || o.variant == v.name) v.round();  // warm-up: loop thread, handles, connections
    }
    auto async_samples = alternate(variants, async_rounds, o.variant);
    json a = summarize(async_samples);
    a["paired_ratio"] = paired_ratio(async_samples["polyrouter"]["rps"], async_samples["baseline_multi"]["rps"]);
    a["provider"] = spec.provider;
    out["async"][spec.name] = a;
  }
  out["requests_per_round"] = per_round;
  out["rounds"] = n_rounds;
  out["async_requests_per_round"] = async_total;
  out["async_rounds"] = async_rounds;
  out["async_in_flight"] = in_flight;
  return out;
}

// For callgrind: N requests of one variant on one real shape inside bench_measured_region.
json real_shapes_cpu(const Options& o, const std::string&) {
  const std::size_t n = count(o, 500, 20, true);
  const std::string variant = o.variant.empty() ? "polyrouter" : o.variant;
  const std::string name = o.shape.empty() ? "groq" : o.shape;
  const std::map<std::string, std::string> urls = parse_shape_urls(o.shapes);
  const auto spec = std::find_if(shape_specs().begin(), shape_specs().end(),
                                 [&](const ShapeSpec& s) { return name == s.name; });
  if (spec == shape_specs().end()) throw std::invalid_argument("real_shapes_cpu: no shape named " + name);
  const auto url = urls.find(name);
  if (url == urls.end()) throw std::runtime_error("real_shapes_cpu: the bench server serves no shape " + name);
  const Shape shape = load_shape(*spec, fixtures_dir(o), url->second);
  std::unique_ptr<Orchestrator> orchestrator;
  std::unique_ptr<RawShapeClient> raw;
  CpuRun run{n, {}};
  if (variant == "polyrouter") {
    orchestrator = std::make_unique<Orchestrator>(shape_config(shape));
    run.one = [&] { check_shape_answer(orchestrator->request(shape.request), shape.expected); };
  } else if (variant == "baseline") {
    raw = std::make_unique<RawShapeClient>(raw_exchange(shape));
    run.one = [&] { raw->ask(); };
  } else {
    throw std::invalid_argument("real_shapes_cpu: --variant polyrouter|baseline");
  }
  for (int i = 0; i < 50; ++i) run.one();  // connection, first-use allocations, lazy statics
  bench_measured_region(
      [](void* context) {
        auto* r = static_cast<CpuRun*>(context);
        for (std::size_t i = 0; i < r->n; ++i) r->one();
      },
      &run);
  return {{"variant", variant}, {"shape", name}, {"requests", n}};
}

// ---------------------------------------------------------------------------------------------
// 9 + 10. The fleet's store: RedisHealthStore on a private redis-server (tests/support) against
// the in-memory store, in the same run.

constexpr const char* kFleetSecret = "bench-fleet-secret";

std::shared_ptr<polyrouter::RedisHealthStore> redis_store(const polyrouter::test::RedisServer& redis) {
  polyrouter::RedisStoreOptions options;
  options.url = redis.url();
  options.prefix = "bench:";
  auto store = std::make_shared<polyrouter::RedisHealthStore>(options);
  if (!store->wait_until_synced(std::chrono::seconds(10))) throw std::runtime_error("redis store: no sync in 10 s");
  return store;
}

polyrouter::OrchestratorConfig fleet_config(const std::string& url, std::shared_ptr<polyrouter::HealthStore> store,
                                            bool budget) {
  polyrouter::OrchestratorConfig config = config_for(url, {kKey});
  config.health_store = std::move(store);
  config.key_fingerprint_secret = kFleetSecret;
  // A budget no run reaches: every request takes from it (one script per request with Redis).
  // A short window keeps the server's log of attempts (a sorted set) near a real budget's size.
  if (budget) config.pools[0].rate_budget = {1000000000, 0, std::chrono::seconds(1)};
  return config;
}

// CPU time (user + system) the server process @p pid has used, in seconds (/proc/PID/stat).
double process_cpu_seconds_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; fields >> field; ++i) {  // fields 3.. after "pid (comm)"
    if (i == 14) utime = std::stod(field);
    if (i == 15) {
      stime = std::stod(field);
      break;
    }
  }
  return (utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

json healthy_redis(const Options& o, const std::string& url) {
  const std::size_t per_round = count(o, 300, 20, true);
  const int n_rounds = rounds(o, 41);
  polyrouter::test::RedisServer redis;
  auto store = redis_store(redis);
  Orchestrator with_redis(fleet_config(url, store, false));
  Orchestrator in_memory(fleet_config(url, nullptr, false));
  for (std::size_t i = 0; i < count(o, 500, 10); ++i) {
    check_answer(with_redis.request(kPrompt));
    check_answer(in_memory.request(kPrompt));
  }
  std::uint64_t server_commands = 0;
  std::uint64_t store_commands = 0;
  std::size_t redis_requests = 0;
  auto samples = alternate(
      {{"redis",
        [&] {
          const std::uint64_t c0 = redis.commands_processed();
          const std::uint64_t s0 = store->stats().commands;
          auto m = timed(per_round, [&] { check_answer(with_redis.request(kPrompt)); });
          server_commands += redis.commands_processed() - c0;
          store_commands += store->stats().commands - s0;
          redis_requests += per_round;
          return m;
        }},
       {"memory", [&] { return timed(per_round, [&] { check_answer(in_memory.request(kPrompt)); }); }}},
      n_rounds, o.variant);
  json out = summarize(samples);
  out["paired_ratio"] = paired_ratio(samples["redis"]["us"], samples["memory"]["us"]);
  out["server_commands_per_request"] = static_cast<double>(server_commands) / static_cast<double>(redis_requests);
  out["store_commands_per_request"] = static_cast<double>(store_commands) / static_cast<double>(redis_requests);
  out["connected"] = store->stats().connected;
  out["requests_per_round"] = per_round;
  out["rounds"] = n_rounds;
  return out;
}

json fleet_redis(const Options& o, const std::string& url) {
  const std::size_t fleet_size = 100;
  const std::size_t per_thread = count(o, 30, 2, true);
  const int n_rounds = rounds(o, 7);
  polyrouter::test::RedisServer redis;
  // One orchestrator per thread, as 100 single-threaded replicas on one machine would run;
  // each Redis-backed one with a store (and connections) of its own.
  struct Fleet {
    std::vector<std::shared_ptr<polyrouter::RedisHealthStore>> stores;
    std::vector<std::unique_ptr<Orchestrator>> orchestrators;
  };
  auto build = [&](bool with_redis, bool budget) {
    Fleet f;
    for (std::size_t i = 0; i < fleet_size; ++i) {
      std::shared_ptr<polyrouter::HealthStore> store;
      if (with_redis) {
        f.stores.push_back(redis_store(redis));
        store = f.stores.back();
      }
      f.orchestrators.push_back(std::make_unique<Orchestrator>(fleet_config(url, store, budget)));
    }
    return f;
  };
  std::map<std::string, Fleet> fleets;
  fleets.emplace("memory", build(false, false));
  fleets.emplace("redis", build(true, false));
  fleets.emplace("memory_budget", build(false, true));
  fleets.emplace("redis_budget", build(true, true));

  // Idle cost: what 200 connected stores send while nothing is asked of them.
  const std::uint64_t idle0 = redis.commands_processed();
  const auto idle_t0 = Clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(o.quick ? 0 : 2));
  const double idle_seconds = seconds_since(idle_t0);
  const double idle_commands_per_second =
      idle_seconds > 0.1 ? static_cast<double>(redis.commands_processed() - idle0) / idle_seconds : 0.0;

  // redis-server's CPU clock ticks in 10 ms steps: summed over every round of a variant, not
  // taken per round.
  std::map<std::string, std::pair<double, double>> server_cpu;  // variant → (seconds, requests)
  auto round_of = [&](const std::string& name) {
    Fleet& f = fleets.at(name);
    return [&f, &redis, &server_cpu, per_thread, name] {
      std::atomic<std::size_t> next{0};
      auto sent = [&f] {
        std::uint64_t total = 0;
        for (const auto& store : f.stores) total += store->stats().commands;
        return total;
      };
      const std::uint64_t sent0 = sent();
      const std::uint64_t c0 = redis.commands_processed();
      const double server_cpu0 = process_cpu_seconds_of(redis.pid());
      auto m = threaded(f.orchestrators.size(), per_thread * f.orchestrators.size(), [&](std::size_t n) {
        Orchestrator& orchestrator = *f.orchestrators[next++];
        for (std::size_t i = 0; i < n; ++i) check_answer(orchestrator.request(kPrompt));
      });
      const double requests = static_cast<double>(per_thread * f.orchestrators.size());
      m["server_commands_per_request"] = static_cast<double>(redis.commands_processed() - c0) / requests;
      m["store_commands_per_request"] = static_cast<double>(sent() - sent0) / requests;
      server_cpu[name].first += process_cpu_seconds_of(redis.pid()) - server_cpu0;
      server_cpu[name].second += requests;
      return m;
    };
  };
  std::vector<Variant> variants;
  for (const char* name : {"memory", "redis", "memory_budget", "redis_budget"}) variants.push_back({name, round_of(name)});
  for (const Variant& v : variants) {
    if (o.variant.empty() || o.variant == v.name) v.round();  // warm-up: threads, connections, caches
  }
  auto samples = alternate(variants, n_rounds, o.variant);
  json out = summarize(samples);
  out["paired_ratio"] = paired_ratio(samples["redis"]["rps"], samples["memory"]["rps"]);
  out["paired_ratio_budget"] = paired_ratio(samples["redis_budget"]["rps"], samples["memory_budget"]["rps"]);
  for (const auto& [name, cpu] : server_cpu) {
    if (cpu.second > 0) out[name]["server_cpu_us"] = cpu.first * 1e6 / cpu.second;
  }
  std::uint64_t store_commands = 0;
  std::uint64_t outages = 0;
  for (const char* name : {"redis", "redis_budget"}) {
    for (const auto& store : fleets.at(name).stores) {
      const auto st = store->stats();
      store_commands += st.commands;
      outages += st.outages;
    }
  }
  out["store_commands_total"] = store_commands;
  out["outages"] = outages;
  out["idle_commands_per_second"] = idle_commands_per_second;
  out["orchestrators"] = fleet_size;
  out["requests_per_round"] = per_thread * fleet_size;
  out["rounds"] = n_rounds;
  return out;
}

// How stale a process's view is: the time from one store learning a fact to another store's
// listener hearing it (pub/sub through the server), measured fact by fact, on a plain and on a
// TLS connection. The first fact is reported apart: it is the first thing the learner writes.
json propagation_over(const Options& o, const polyrouter::test::RedisServerOptions& server_options) {
  const std::size_t n = count(o, 1000, 20, true);
  polyrouter::test::RedisServer redis(server_options);
  auto make_store = [&] {
    polyrouter::RedisStoreOptions options;
    options.url = redis.url();
    options.tls_ca_file = redis.ca_file();
    options.prefix = "bench:";
    auto store = std::make_shared<polyrouter::RedisHealthStore>(options);
    if (!store->wait_until_synced(std::chrono::seconds(10))) throw std::runtime_error("redis store: no sync in 10 s");
    return store;
  };
  auto learner = make_store();
  auto listener = make_store();
  polyrouter::PoolRoutes pool;
  pool.name = "groq";
  pool.models = {kModel};
  for (std::size_t i = 0; i < n; ++i) {
    const std::string key = "propagation-key-" + std::to_string(i);
    pool.keys.push_back({polyrouter::KeyFingerprint::of(kFleetSecret, key), std::to_string(i)});
  }
  std::mutex mutex;
  std::condition_variable heard;
  std::vector<Clock::time_point> arrived(n);
  std::vector<bool> done(n, false);
  const polyrouter::RouteTable far = listener->register_routes(
      {pool}, polyrouter::HealthPolicy{}, [&](const polyrouter::HealthChange& change) {
        if (change.kind != polyrouter::HealthChange::Kind::key_quarantined) return;
        const std::size_t i = std::stoul(change.key_label);
        const auto now = Clock::now();
        std::lock_guard<std::mutex> lock(mutex);
        if (i < n && !done[i]) {
          arrived[i] = now;
          done[i] = true;
          heard.notify_all();
        }
      });
  const polyrouter::RouteTable near = learner->register_routes({pool}, polyrouter::HealthPolicy{}, {});
  std::vector<double> latency_us;
  for (std::size_t i = 0; i < n; ++i) {
    const auto now = std::chrono::system_clock::now();
    const auto t0 = Clock::now();
    learner->quarantine_key(near.pools[0].keys[i], now, now + std::chrono::minutes(10));
    std::unique_lock<std::mutex> lock(mutex);
    if (!heard.wait_for(lock, std::chrono::seconds(5), [&] { return static_cast<bool>(done[i]); })) {
      throw std::runtime_error("redis_propagation: fact " + std::to_string(i) + " not heard within 5 s");
    }
    latency_us.push_back(std::chrono::duration<double, std::micro>(arrived[i] - t0).count());
  }
  learner->unregister_routes(near);
  listener->unregister_routes(far);
  const double first = latency_us.front();
  std::vector<double> sorted(latency_us.begin() + 1, latency_us.end());
  std::sort(sorted.begin(), sorted.end());
  auto at = [&](double q) { return sorted[static_cast<std::size_t>(q * static_cast<double>(sorted.size() - 1))]; };
  return {{"facts", n},           {"first_us", first},           {"p50_us", at(0.5)},
          {"p99_us", at(0.99)},   {"max_us", sorted.back()},     {"remote_updates", listener->stats().remote_updates}};
}

json redis_propagation(const Options& o, const std::string&) {
  polyrouter::test::RedisServerOptions tls;
  tls.tls = true;
  tls.password = "bench-Pa55word";
  return {{"plain", propagation_over(o, {})}, {"tls", propagation_over(o, tls)}};
}

}  // namespace

const std::vector<std::string>& case_names() {
  static const std::vector<std::string> names = {"healthy", "healthy_cpu", "learned_bad_key", "first_failover",
                                                 "threads", "async",       "stream",          "memory_async",
                                                 "rss_growth", "real_shapes", "real_shapes_cpu",
                                                 "healthy_redis", "fleet_redis", "redis_propagation"
  };
  return names;
}

bool runs_per_variant(const std::string& name) {
  return name == "memory_async" || name == "healthy_cpu" || name == "real_shapes_cpu";
}

json run_case(const std::string& name, const Options& options, const std::string& url) {
  if (name == "healthy") return healthy(options, url);
  if (name == "healthy_cpu") return healthy_cpu(options, url);
  if (name == "learned_bad_key") return learned_bad_key(options, url);
  if (name == "first_failover") return first_failover(options, url);
  if (name == "threads") return threads_case(options, url);
  if (name == "async") return async_case(options, url);
  if (name == "stream") return stream_case(options, url);
  if (name == "memory_async") return memory_async(options, url);
  if (name == "rss_growth") return rss_growth(options, url);
  if (name == "real_shapes") return real_shapes(options, url);
  if (name == "real_shapes_cpu") return real_shapes_cpu(options, url);
  if (name == "healthy_redis") return healthy_redis(options, url);
  if (name == "fleet_redis") return fleet_redis(options, url);
  if (name == "redis_propagation") return redis_propagation(options, url);
  throw std::invalid_argument("unknown case '" + name + "'");
}

}  // namespace bench
