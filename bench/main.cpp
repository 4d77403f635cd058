// polyrouter_bench: what polyrouter adds over a raw libcurl + nlohmann_json client, measured side
// by side in one run and reported as ratios. See docs/benchmarks.md.
//
// The driver (no --child) starts the bench server in a child process, runs every case in a
// process of its own (so peak RSS, threads and learned state never leak between cases) and
// prints the results as markdown.

#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <curl/curl.h>

#include "cases.hpp"
#include "common.hpp"
#include "server.hpp"
#include "shapes.hpp"

namespace {

using bench::json;
using bench::Options;

const char* kUsage = R"(usage: polyrouter_bench [options]

  --quick          tiny counts (CTest smoke run): every case runs once, no figure is judged
  --case A[,B..]   run only these cases: healthy healthy_cpu learned_bad_key first_failover
                   threads async stream memory_async rss_growth real_shapes real_shapes_cpu
                   healthy_redis fleet_redis redis_propagation (these start a private
                   redis-server)
  --requests N     the main count of the selected cases (requests per round; in-flight
                   requests for memory_async; total requests for healthy_cpu, real_shapes_cpu
                   and rss_growth)
  --callgrind      also count instructions per request with valgrind (healthy_cpu, and
                   real_shapes_cpu for every real shape)
  --url URL        use a bench server already listening at URL instead of starting one
  --shapes LIST    with --url: that server's real-shape origins, "groq=URL,cerebras=URL,..."
                   (its first stdout line lists their ports)
  --fixtures DIR   the success fixtures the real shapes serve and expect (default: the
                   repository's tests/fixtures, compiled in)
  --shape NAME     the real shape real_shapes_cpu runs (groq cerebras openai gemini
                   groq_tool_call openai_tool_call gemini_tool_call; default groq)
  --variant V      polyrouter | baseline for healthy_cpu, real_shapes_cpu and memory_async; for the other
                   cases, run only that variant (to profile one side; no ratio then)
  --json FILE      also write every raw result (per-round values included) to FILE
  --child          run the case(s) in this process and print the raw result (driver use)
  --serve          be the bench server (driver use)

  `polyrouter_bench --case healthy_cpu --variant polyrouter` (or real_shapes_cpu) runs in this
  process, so it can be put under valgrind directly:
    valgrind --tool=callgrind --collect-atstart=no --toggle-collect=bench_measured_region \
      polyrouter_bench --case healthy_cpu --variant polyrouter --requests 2000
)";

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, sep)) {
    if (!part.empty()) out.push_back(part);
  }
  return out;
}

std::string self_path(const char* argv0) {
  char buffer[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buffer, sizeof buffer - 1);
  if (n > 0) {
    buffer[n] = '\0';
    return buffer;
  }
  return argv0;
}

// ---------------------------------------------------------------------------------------------
// Running cases.

constexpr const char* kResultTag = "@@RESULT ";

struct CaseRun {
  json result;
  std::string error;  // empty = fine
};

CaseRun parse_child(const bench::ChildOutput& output, const std::string& what) {
  CaseRun run;
  std::stringstream lines(output.out);
  std::string line;
  std::string last;
  while (std::getline(lines, line)) {
    if (line.rfind(kResultTag, 0) == 0) last = line.substr(std::string(kResultTag).size());
  }
  if (output.status != 0 || last.empty()) {
    run.error = what + ": exit status " + std::to_string(output.status);
    return run;
  }
  run.result = json::parse(last, nullptr, false);
  if (run.result.is_discarded()) run.error = what + ": unreadable result";
  return run;
}

std::vector<std::string> child_args(const Options& o, const std::string& name, const std::string& url,
                                    const std::string& variant) {
  std::vector<std::string> args = {o.self, "--child", "--case", name, "--url", url};
  if (!o.shapes.empty()) {
    args.push_back("--shapes");
    args.push_back(o.shapes);
  }
  if (!o.fixtures.empty()) {
    args.push_back("--fixtures");
    args.push_back(o.fixtures);
  }
  if (o.quick) args.push_back("--quick");
  if (o.requests > 0) {
    args.push_back("--requests");
    args.push_back(std::to_string(o.requests));
  }
  if (!variant.empty()) {
    args.push_back("--variant");
    args.push_back(variant);
  }
  return args;
}

// Instructions counted inside bench_measured_region, from a callgrind output file.
double callgrind_total(const std::string& file) {
  std::ifstream in(file);
  std::string line;
  double summary = -1;
  double totals = -1;
  while (std::getline(in, line)) {
    if (line.rfind("summary:", 0) == 0) summary = std::stod(line.substr(8));
    if (line.rfind("totals:", 0) == 0) totals = std::stod(line.substr(7));
  }
  return totals >= 0 ? totals : summary;
}

// Instructions per request of @p case_name (healthy_cpu, or real_shapes_cpu for @p shape), each
// variant counted by callgrind in a child process of its own.
CaseRun run_callgrind(const Options& o, const std::string& url, const std::string& case_name,
                      const std::string& shape = {}) {
  CaseRun run;
  const std::string valgrind = bench::find_in_path("valgrind");
  if (valgrind.empty()) {
    run.error = "valgrind not found";
    return run;
  }
  const long n = o.requests > 0 ? o.requests : (o.quick ? 20 : shape.empty() ? 2000 : 500);
  run.result = json::object();
  for (const std::string variant : {"polyrouter", "baseline"}) {
    // Next to the raw results when there are any (for callgrind_annotate), else in /tmp.
    const std::string name = "callgrind." + (shape.empty() ? "" : shape + ".") + variant + ".out";
    const auto slash = o.json_file.rfind('/');
    const std::string file = slash != std::string::npos
                                 ? o.json_file.substr(0, slash) + "/" + name
                                 : "/tmp/polyrouter_bench." + std::to_string(::getpid()) + "." + name;
    std::vector<std::string> args = {valgrind,
                                     "--tool=callgrind",
                                     "--collect-atstart=no",
                                     "--toggle-collect=bench_measured_region",
                                     "--callgrind-out-file=" + file};
    for (const std::string& a : child_args(o, case_name, url, variant)) args.push_back(a);
    args.push_back("--requests");
    args.push_back(std::to_string(n));
    if (!shape.empty()) {
      args.push_back("--shape");
      args.push_back(shape);
    }
    const std::string what = case_name + (shape.empty() ? "" : " " + shape) + " " + variant;
    bench::note("callgrind: " + what + ", " + std::to_string(n) + " requests");
    CaseRun child = parse_child(bench::run_child(args), what);
    const double total = callgrind_total(file);
    if (!child.error.empty() || total <= 0) {
      run.error = child.error.empty() ? "no callgrind totals in " + file : child.error;
      return run;
    }
    child.result["instructions"] = total;
    child.result["instructions_per_request"] = total / static_cast<double>(n);
    child.result["callgrind_file"] = file;
    run.result[variant] = child.result;
  }
  return run;
}

// ---------------------------------------------------------------------------------------------
// The report.

std::string fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

std::string grouped(double value) {
  const long long v = std::llround(value);
  std::string digits = std::to_string(v < 0 ? -v : v);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return v < 0 ? "-" + out : out;
}

std::string us(double v) { return fixed(v, 1) + " µs"; }
std::string ratio(double a, double b) { return b > 0 ? fixed(a / b, 3) + "×" : "–"; }
std::string times(double r) { return fixed(r, 3) + "×"; }
std::string rps(double v) { return grouped(v) + " req/s"; }
std::string kb(double v) { return grouped(v) + " kB"; }

struct Row {
  std::string number, name, measure, polyrouter, baseline, ratio, target, result;
};

/// A row of the real provider shapes' table; rows print by group (time, instructions, async),
/// whichever case ran first.
struct ShapeRow {
  int group;
  std::string shape, answer, measure, polyrouter, raw, ratio, target, result;
};

class Report {
 public:
  explicit Report(bool quick) : quick_(quick) {}

  void add(Row row) { rows_.push_back(std::move(row)); }
  // A row judged against a target: "met" / "MISSED", or "not judged" in a quick run.
  void judged(Row row, bool met) {
    row.result = quick_ ? "not judged (--quick)" : met ? "met" : "**MISSED**";
    if (!quick_ && !met) ++missed_;
    rows_.push_back(std::move(row));
  }
  void failed(const std::string& number, const std::string& name, const std::string& error) {
    rows_.push_back({number, name, "**failed**: " + error, "", "", "", "", "**failed**"});
  }
  void add_shape(ShapeRow row) { shape_rows_.push_back(std::move(row)); }
  void judged_shape(ShapeRow row, bool met) {
    row.result = quick_ ? "not judged (--quick)" : met ? "met" : "**MISSED**";
    if (!quick_ && !met) ++missed_;
    shape_rows_.push_back(std::move(row));
  }

  std::string markdown() const {
    std::string out =
        "| # | case | measure | polyrouter | baseline | ratio | target | result |\n"
        "|---|---|---|---:|---:|---:|---|---|\n";
    for (const Row& r : rows_) {
      out += "| " + r.number + " | " + r.name + " | " + r.measure + " | " + r.polyrouter + " | " + r.baseline +
             " | " + r.ratio + " | " + r.target + " | " + r.result + " |\n";
    }
    return out;
  }
  /// The real provider shapes' table; empty when that case did not run.
  std::string shapes_markdown() const {
    if (shape_rows_.empty()) return {};
    std::vector<ShapeRow> rows = shape_rows_;
    std::stable_sort(rows.begin(), rows.end(), [](const ShapeRow& a, const ShapeRow& b) { return a.group < b.group; });
    std::string out =
        "| provider shape | answer (body; headers) | measure | polyrouter | raw | ratio | target | result |\n"
        "|---|---|---|---:|---:|---:|---|---|\n";
    for (const ShapeRow& r : rows) {
      out += "| " + r.shape + " | " + r.answer + " | " + r.measure + " | " + r.polyrouter + " | " + r.raw + " | " +
             r.ratio + " | " + r.target + " | " + r.result + " |\n";
    }
    return out;
  }
  int missed() const { return missed_; }

 private:
  bool quick_;
  std::vector<Row> rows_;
  std::vector<ShapeRow> shape_rows_;
  int missed_ = 0;
};

// A real shape's answer: its fixtures and the path it is served at.
std::string shape_answer(const bench::ShapeSpec& spec) {
  return "`" + std::string(spec.body_file) + "`; `" + spec.headers_file + "`, at `" + spec.path + "`";
}

double num(const json& j, const std::string& pointer) {
  const json& v = j.at(json::json_pointer(pointer));
  return v.get<double>();
}

void report_case(Report& report, const std::string& name, const CaseRun& run) {
  const json& r = run.result;
  const std::map<std::string, std::string> numbers = {
      {"healthy", "1, 2"},  {"healthy_cpu", "2"},     {"learned_bad_key", "3"},
      {"first_failover", "4"}, {"threads", "5"},       {"async", "5"},
      {"stream", "6"},      {"memory_async", "7"},    {"rss_growth", "7"},
      {"real_shapes", "8"}, {"real_shapes_cpu", "8"}, {"healthy_redis", "9"},
      {"fleet_redis", "10"}, {"redis_propagation", "10"}};
  const std::string n = numbers.count(name) != 0 ? numbers.at(name) : "";
  if (!run.error.empty()) {
    report.failed(n, name, run.error);
    return;
  }
  if (name == "healthy") {
    const double p = num(r, "/polyrouter/us"), b = num(r, "/baseline/us"), q = num(r, "/paired_ratio");
    report.judged({"1", "healthy path", "time per request, `request()` vs raw easy handle", us(p), us(b), times(q),
                   "≤ 1.10×", ""},
                  q <= 1.10);
    const double pc = num(r, "/polyrouter/cpu_us"), bc = num(r, "/baseline/cpu_us");
    report.add({"2", "healthy path", "client CPU per request (thread CPU clock); polyrouter adds " + us(pc - bc),
                us(pc), us(bc), ratio(pc, bc), "report", "–"});
  } else if (name == "healthy_cpu") {
    const double p = num(r, "/polyrouter/instructions_per_request");
    const double b = num(r, "/baseline/instructions_per_request");
    report.add({"2", "healthy path",
                "instructions per request (callgrind, client process); polyrouter adds " + grouped(p - b),
                grouped(p), grouped(b), ratio(p, b), "report", "–"});
  } else if (name == "learned_bad_key") {
    const double p = num(r, "/learned/us"), b = num(r, "/healthy/us"), q = num(r, "/paired_ratio");
    report.judged({"3", "learned bad key", "time per request, keys {bad, good} (bad learned) vs pool {good}", us(p),
                   us(b), times(q), "≤ 1.05×", ""},
                  q <= 1.05);
    const double added = num(r, "/bad_hits_after_learning");
    const double trips = num(r, "/round_trips_per_request");
    report.judged({"3", "learned bad key",
                   "round trips to the bad key after learning (server hits; " + fixed(trips, 3) +
                       " round trips per request)",
                   grouped(added), "–", "–", "0", ""},
                  added == 0 && trips == 1.0);
  } else if (name == "first_failover") {
    const double f = num(r, "/failover/us"), h = num(r, "/healthy/us");
    const double rf = num(r, "/raw_failover/us"), rh = num(r, "/raw_healthy/us");
    report.add({"4", "first failover", "time per request, bad key not yet learned vs raw client trying bad then good",
                us(f), us(rf), times(num(r, "/paired_ratio")), "report", "–"});
    report.add({"4", "first failover", "cost of one failover (failover request − healthy request)", us(f - h),
                us(rf - rh), ratio(f - h, rf - rh), "report", "–"});
    const double trips = num(r, "/round_trips_per_request");
    report.judged({"4", "first failover", "round trips per failover request (server hits)", fixed(trips, 3), "2", "–",
                   "2 (one extra)", ""},
                  trips == 2.0);
  } else if (name == "threads") {
    for (const std::string t : {"1", "8", "64"}) {
      const double p = num(r, "/" + t + "/polyrouter/rps"), b = num(r, "/" + t + "/baseline_threads/rps");
      report.add({"5", t + (t == "1" ? " thread" : " threads"),
                  "throughput, one shared Orchestrator vs a raw easy handle per thread", rps(p), rps(b),
                  times(num(r, "/" + t + "/paired_ratio")), "report", "–"});
    }
    const double p = num(r, "/64/polyrouter/rps"), m = num(r, "/64/baseline_multi/rps");
    const double q = num(r, "/64/paired_ratio_multi");
    const double pc = num(r, "/64/polyrouter/cpu_us"), mc = num(r, "/64/baseline_multi/cpu_us");
    report.judged({"5", "64 threads",
                   "throughput vs curl multi, 64 in flight (process CPU per request " + us(pc) + " vs " + us(mc) + ")",
                   rps(p), rps(m), times(q), "≥ 0.90×", ""},
                  q >= 0.90);
  } else if (name == "async") {
    for (const std::string n_flight : {"64", "1000"}) {
      const double p = num(r, "/" + n_flight + "/polyrouter/rps"), m = num(r, "/" + n_flight + "/baseline_multi/rps");
      const double q = num(r, "/" + n_flight + "/paired_ratio");
        const double pc = num(r, "/" + n_flight + "/polyrouter/cpu_us");
      const double mc = num(r, "/" + n_flight + "/baseline_multi/cpu_us");
      report.judged({"5", "async, " + n_flight + " in flight",
                     "throughput, `request_async` vs curl multi (process CPU per request " + us(pc) + " vs " + us(mc) +
                         ")",
                     rps(p), rps(m), times(q), "≥ 0.90×", ""},
                    q >= 0.90);
    }
  } else if (name == "stream") {
    const double p = num(r, "/polyrouter/ttft_us"), b = num(r, "/baseline/ttft_us");
    report.add({"6", "streaming", "time to first delta, `stream()` vs raw SSE client", us(p), us(b),
                times(num(r, "/paired_ratio")), "report", "–"});
    const double pt = num(r, "/polyrouter/us"), bt = num(r, "/baseline/us");
    report.add({"6", "streaming", "time per streamed request", us(pt), us(bt), ratio(pt, bt), "report", "–"});
  } else if (name == "memory_async") {
    const double p = num(r, "/polyrouter/peak_growth_kb"), b = num(r, "/baseline/peak_growth_kb");
    const double n_flight = num(r, "/polyrouter/in_flight");
    report.add({"7", "memory, " + grouped(n_flight) + " async in flight",
                "peak RSS above the idle process (" + fixed(p / n_flight, 1) + " kB vs " + fixed(b / n_flight, 1) +
                    " kB per request)",
                kb(p), kb(b), ratio(p, b), "report", "–"});
  } else if (name == "real_shapes") {
    // In the case's own order (bench/shapes.cpp), not the JSON objects' alphabetical one.
    for (const bench::ShapeSpec& spec : bench::shape_specs()) {
      if (!r.at("blocking").contains(spec.name)) continue;
      const json& s = r.at("blocking").at(spec.name);
      const double p = num(s, "/polyrouter/us"), b = num(s, "/baseline/us"), q = num(s, "/paired_ratio");
      report.judged_shape({0, spec.label, shape_answer(spec), "time per request, `request()` vs raw easy handle", us(p),
                           us(b), times(q), "≤ 1.10×", ""},
                          q <= 1.10);
    }
    for (const bench::ShapeSpec& spec : bench::shape_specs()) {
      if (!r.at("async").contains(spec.name)) continue;
      const json& s = r.at("async").at(spec.name);
      const double p = num(s, "/polyrouter/rps"), m = num(s, "/baseline_multi/rps"), q = num(s, "/paired_ratio");
      const double pc = num(s, "/polyrouter/cpu_us"), mc = num(s, "/baseline_multi/cpu_us");
      report.judged_shape({2, spec.label, shape_answer(spec),
                           "throughput, `request_async` vs curl multi, " + grouped(num(r, "/async_in_flight")) +
                               " in flight (process CPU per request " + us(pc) + " vs " + us(mc) + ")",
                           rps(p), rps(m), times(q), "≥ 0.90×", ""},
                          q >= 0.90);
    }
  } else if (name == "real_shapes_cpu") {
    for (const bench::ShapeSpec& spec : bench::shape_specs()) {
      if (!r.contains(spec.name)) continue;
      const json& s = r.at(spec.name);
      const double p = num(s, "/polyrouter/instructions_per_request");
      const double b = num(s, "/baseline/instructions_per_request");
      report.add_shape({1, spec.label, shape_answer(spec),
                        "instructions per request (callgrind, client process); polyrouter adds " + grouped(p - b),
                        grouped(p), grouped(b), ratio(p, b), "report", "–"});
    }
  } else if (name == "healthy_redis") {
    const double p = num(r, "/redis/us"), b = num(r, "/memory/us"), q = num(r, "/paired_ratio");
    report.judged({"9", "healthy path, Redis store",
                   "time per request, `RedisHealthStore` on a private redis-server vs `InMemoryHealthStore`", us(p),
                   us(b), times(q), "≤ 1.05×", ""},
                  q <= 1.05);
    const double pc = num(r, "/redis/cpu_us"), bc = num(r, "/memory/cpu_us");
    report.add({"9", "healthy path, Redis store",
                "client CPU per request (thread CPU clock); the Redis store adds " + us(pc - bc), us(pc), us(bc),
                ratio(pc, bc), "report", "–"});
    report.add({"9", "healthy path, Redis store",
                "Redis commands per request (the server's count; the store counted " +
                    fixed(num(r, "/store_commands_per_request"), 3) + ")",
                fixed(num(r, "/server_commands_per_request"), 3), "0", "–", "report", "–"});
  } else if (name == "fleet_redis") {
    const std::string fleet = grouped(num(r, "/orchestrators")) + " orchestrators";
    for (const std::string budget : {"", "_budget"}) {
      const std::string redis = "/redis" + budget, memory = "/memory" + budget;
      const std::string what = budget.empty() ? "" : ", each request taking from a rate budget";
      const double p = num(r, redis + "/rps"), b = num(r, memory + "/rps");
      const double pc = num(r, redis + "/cpu_us"), bc = num(r, memory + "/cpu_us");
      report.add({"10", "fleet of " + fleet + what,
                  "throughput, a thread, an orchestrator and a `RedisHealthStore` each, one redis-server, vs "
                  "in-memory stores (process CPU per request " + us(pc) + " vs " + us(bc) + ": " + (pc >= bc ? "+" : "−") + us(std::fabs(pc - bc)) +
                      "; redis-server CPU " + us(num(r, redis + "/server_cpu_us")) + " per request)",
                  rps(p), rps(b), times(num(r, "/paired_ratio" + budget)), "report", "–"});
      report.add({"10", "fleet of " + fleet + what,
                  "Redis commands per request, as the stores sent them (the server counted " +
                      fixed(num(r, redis + "/server_commands_per_request"), 3) +
                      ", the commands scripts run and background traffic included; 200 idle stores: " +
                      fixed(num(r, "/idle_commands_per_second"), 0) + " commands/s)",
                  fixed(num(r, redis + "/store_commands_per_request"), 3), "0", "–", "report", "–"});
    }
  } else if (name == "redis_propagation") {
    for (const std::string way : {"plain", "tls"}) {
      const std::string at = "/" + way;
      report.add({"10", way == "tls" ? "fleet, how stale (rediss://, a password)" : "fleet, how stale",
                  "a fact learned by one `RedisHealthStore` until another's listener hears it (pub/sub through the "
                  "server; " + grouped(num(r, at + "/facts")) + " facts one at a time): median, p99 " +
                      us(num(r, at + "/p99_us")) + ", max " + us(num(r, at + "/max_us")) +
                      "; the store's first write " + us(num(r, at + "/first_us")),
                  us(num(r, at + "/p50_us")), "–", "–", "report", "–"});
    }
  } else if (name == "rss_growth") {
    const double g = num(r, "/growth_kb");
    const double n_req = num(r, "/requests");
    report.judged({"7", "memory, sequential", "RSS growth over " + grouped(n_req) + " requests (after " +
                                                  grouped(num(r, "/warmup")) + " warm-up)",
                   kb(g), "–", "–", "< 1,024 kB", ""},
                  g < 1024 && n_req >= 1000000);
  }
}

// Every variant's median of every metric: the numbers behind the table.
std::string details(const json& results) {
  std::string out = "| case | variant | metric | median |\n|---|---|---|---:|\n";
  std::function<void(const std::string&, const std::string&, const json&)> walk =
      [&](const std::string& name, const std::string& prefix, const json& j) {
        for (auto it = j.begin(); it != j.end(); ++it) {
          const std::string key = it.key();
          if (key.size() > 7 && key.compare(key.size() - 7, 7, "_rounds") == 0) continue;
          if (key == "samples" || key == "callgrind_file") continue;
          if (it->is_object()) {
            walk(name, prefix.empty() ? key : prefix + "/" + key, *it);
          } else if (it->is_number() || it->is_boolean() || it->is_string()) {
            std::string value = it->is_number_float() ? fixed(it->get<double>(), 3) : it->dump();
            out += "| " + name + " | " + (prefix.empty() ? "–" : prefix) + " | " + key + " | " + value + " |\n";
          }
        }
      };
  for (auto it = results.begin(); it != results.end(); ++it) walk(it.key(), "", *it);
  return out;
}

int drive(Options o) {
  std::unique_ptr<bench::ServerProcess> server;
  std::string url = o.url;
  if (url.empty()) {
    server = std::make_unique<bench::ServerProcess>(o.self, o.fixtures);
    url = server->url();
    o.shapes = server->shape_urls();
  }
  bench::note("bench server at " + url + (o.quick ? " (quick run)" : ""));
  std::vector<std::string> cases = o.cases;
  if (cases.empty()) {
    for (const std::string& name : bench::case_names()) {
      if ((name != "healthy_cpu" && name != "real_shapes_cpu") || o.callgrind) cases.push_back(name);
    }
  }
  Report report(o.quick);
  json results = json::object();
  int failures = 0;
  for (const std::string& name : cases) {
    bench::note("case " + name);
    CaseRun run;
    if (name == "healthy_cpu") {
      run = run_callgrind(o, url, name);
    } else if (name == "real_shapes_cpu") {
      run.result = json::object();
      for (const bench::ShapeSpec& spec : bench::shape_specs()) {
        // A quick run only checks that the machinery works: one shape, not seven valgrind pairs.
        if (o.quick && &spec != &bench::shape_specs().front()) break;
        CaseRun shape = run_callgrind(o, url, name, spec.name);
        if (!shape.error.empty()) {
          run.error = shape.error;
          break;
        }
        run.result[spec.name] = shape.result;
      }
    } else if (bench::runs_per_variant(name)) {
      run.result = json::object();
      for (const std::string variant : {"polyrouter", "baseline"}) {
        CaseRun child = parse_child(bench::run_child(child_args(o, name, url, variant)), name + " " + variant);
        if (!child.error.empty()) {
          run.error = child.error;
          break;
        }
        run.result[variant] = child.result;
      }
    } else {
      run = parse_child(bench::run_child(child_args(o, name, url, "")), name);
    }
    if (!run.error.empty()) {
      ++failures;
      bench::note("case " + name + " FAILED: " + run.error);
    } else {
      results[name] = run.result;
    }
    try {
      report_case(report, name, run);
    } catch (const std::exception& e) {
      ++failures;
      report.failed("", name, std::string("incomplete result: ") + e.what());
    }
  }
  std::cout << "## Results\n\n" << report.markdown() << "\n";
  if (const std::string shapes = report.shapes_markdown(); !shapes.empty()) {
    std::cout << "## Real provider shapes\n\n" << shapes << "\n";
  }
  std::cout << "## Every median\n\n" << details(results) << std::flush;
  if (!o.json_file.empty()) std::ofstream(o.json_file) << results.dump(2) << "\n";
  if (report.missed() > 0) bench::note(std::to_string(report.missed()) + " figure(s) missed");
  return failures == 0 ? 0 : 1;
}

int run_here(Options o) {
  std::unique_ptr<bench::ServerProcess> server;
  std::string url = o.url;
  if (url.empty()) {
    server = std::make_unique<bench::ServerProcess>(o.self, o.fixtures);
    url = server->url();
    o.shapes = server->shape_urls();
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  try {
    for (const std::string& name : o.cases) {
      const json result = bench::run_case(name, o, url);
      std::cout << kResultTag << result.dump() << std::endl;
    }
  } catch (const std::exception& e) {
    std::cerr << "[bench] error: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  o.self = self_path(argv[0]);
  bool serve = false;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= args.size()) {
        std::cerr << a << " needs a value\n" << kUsage;
        std::exit(2);
      }
      return args[++i];
    };
    if (a == "--quick") {
      o.quick = true;
    } else if (a == "--case") {
      for (const std::string& c : split(value(), ',')) o.cases.push_back(c);
    } else if (a == "--requests") {
      o.requests = std::atol(value().c_str());
    } else if (a == "--url") {
      o.url = value();
    } else if (a == "--shapes") {
      o.shapes = value();
    } else if (a == "--fixtures") {
      o.fixtures = value();
    } else if (a == "--shape") {
      o.shape = value();
    } else if (a == "--variant") {
      o.variant = value();
    } else if (a == "--json") {
      o.json_file = value();
    } else if (a == "--callgrind") {
      o.callgrind = true;
    } else if (a == "--child") {
      o.child = true;
    } else if (a == "--serve") {
      serve = true;
    } else if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    } else {
      std::cerr << "unknown option " << a << "\n" << kUsage;
      return 2;
    }
  }
  if (serve) return bench::serve_main(bench::fixtures_dir(o));
  for (const std::string& c : o.cases) {
    bool known = false;
    for (const std::string& name : bench::case_names()) known = known || name == c;
    if (!known) {
      std::cerr << "unknown case " << c << "\n" << kUsage;
      return 2;
    }
  }
  // healthy_cpu or real_shapes_cpu alone runs here, so that valgrind can be put straight in front of it.
  if (o.child || (o.cases.size() == 1 && (o.cases[0] == "healthy_cpu" || o.cases[0] == "real_shapes_cpu"))) {
    return run_here(o);
  }
  return drive(o);
}
