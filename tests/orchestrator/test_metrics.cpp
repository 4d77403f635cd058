// Orchestrator::metrics_text(): the Prometheus exposition after real loopback traffic, checked
// by `promtool check metrics` and against the counts the traffic must produce.

#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <polyrouter/polyrouter.hpp>

#include "fake_clock.hpp"
#include "observe/prometheus.hpp"
#include "test_server.hpp"

#ifndef POLYROUTER_PROMTOOL
#error "POLYROUTER_PROMTOOL (the path of promtool) is set by tests/orchestrator/CMakeLists.txt"
#endif

using namespace polyrouter;
using namespace std::chrono_literals;

namespace {

struct CheckResult {
  int status = -1;
  std::string output;
};

// Runs `promtool check metrics` on @p text.
CheckResult promtool_check(const std::string& text) {
  const std::filesystem::path file =
      std::filesystem::temp_directory_path() / ("polyrouter_metrics_" + std::to_string(::getpid()) + ".txt");
  {
    std::ofstream out(file, std::ios::binary);
    out << text;
  }
  const std::string command = std::string(POLYROUTER_PROMTOOL) + " check metrics < '" + file.string() + "' 2>&1";
  CheckResult result;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    char buffer[4096];
    while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) result.output.append(buffer, n);
    const int status = ::pclose(pipe);
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::filesystem::remove(file);
  return result;
}

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.rfind(line + "\n", 0) == 0;
}

// A loopback Groq: "k-invalid" is rejected (401), "k-busy" answers 503, "k-ok" answers until
// everything is made busy.
class MetricsUpstream {
 public:
  MetricsUpstream() {
    server_.respond_with([this](const test::RecordedRequest& request) {
      const std::string key = request.header("authorization");
      if (key == "Bearer k-invalid") return test::Reply::fixture("groq_401_invalid_api_key.json", 401);
      if (key == "Bearer k-busy" || all_busy_) return test::Reply::text("upstream busy", 503);
      return test::Reply::fixture("groq_ok.json");
    });
  }
  std::string url() const { return server_.url(); }
  void all_busy() { all_busy_ = true; }

 private:
  test::TestServer server_;
  std::atomic<bool> all_busy_{false};
};

}  // namespace

TEST_CASE("the metrics text passes promtool and counts the traffic exactly", "[metrics]") {
  MetricsUpstream upstream;
  test::FakeClock clock;  // attempts take no time on it: every latency falls in the first bucket
  OrchestratorConfig config;
  config.clock = clock.clock();
  config.retry.max_retries = 0;
  PoolConfig pool{Provider::groq,
                  {"m1"},
                  {ApiKey("KEY_INVALID", "k-invalid"), ApiKey("KEY_BUSY", "k-busy"), ApiKey("KEY_OK", "k-ok")},
                  upstream.url()};
  pool.name = "eu \"west\" \\ groq";  // label values must escape both
  config.pools = {pool};
  Orchestrator orchestrator(config);

  // 1: invalid key (quarantined), busy, answered. 2 and 3: busy, answered. 4: busy, busy: exhausted.
  for (int i = 0; i < 3; ++i) orchestrator.request("hi");
  upstream.all_busy();
  CHECK_THROWS_AS(orchestrator.request("hi"), AllClientsExhaustedError);

  const std::string text = orchestrator.metrics_text();
  INFO(text);
  const CheckResult check = promtool_check(text);
  INFO(check.output);
  CHECK(check.status == 0);

  CHECK(has_line(text, "# TYPE polyrouter_requests_total counter"));
  CHECK(has_line(text, "polyrouter_requests_total 4"));
  CHECK(has_line(text, "polyrouter_successes_total 3"));
  CHECK(has_line(text, "polyrouter_fallbacks_total 5"));
  CHECK(has_line(text, "polyrouter_exhaustions_total 1"));
  const std::string route = R"(pool="eu \"west\" \\ groq",model="m1")";
  CHECK(has_line(text, "polyrouter_attempts_total{" + route + R"(,outcome="invalid_key"} 1)"));
  CHECK(has_line(text, "polyrouter_attempts_total{" + route + R"(,outcome="unavailable"} 5)"));
  CHECK(has_line(text, "polyrouter_attempts_total{" + route + R"(,outcome="success"} 3)"));
  CHECK(text.find(R"(outcome="rate_limited")") == std::string::npos);  // a series appears with its first attempt
  CHECK(has_line(text, "# TYPE polyrouter_attempt_duration_seconds histogram"));
  CHECK(has_line(text, "polyrouter_attempt_duration_seconds_bucket{" + route + R"(,outcome="success",le="0.005"} 3)"));
  CHECK(has_line(text, "polyrouter_attempt_duration_seconds_bucket{" + route + R"(,outcome="success",le="+Inf"} 3)"));
  CHECK(has_line(text, "polyrouter_attempt_duration_seconds_sum{" + route + R"(,outcome="success"} 0.000000000)"));
  CHECK(has_line(text, "polyrouter_attempt_duration_seconds_count{" + route + R"(,outcome="unavailable"} 5)"));
  CHECK(has_line(text, R"(polyrouter_key_quarantined{pool="eu \"west\" \\ groq",key="KEY_INVALID"} 1)"));
  CHECK(has_line(text, R"(polyrouter_key_quarantined{pool="eu \"west\" \\ groq",key="KEY_OK"} 0)"));
  CHECK(has_line(text, "polyrouter_model_state{" + route + R"(,state="ok"} 1)"));
  CHECK(has_line(text, "polyrouter_model_state{" + route + R"(,state="breaker_open"} 0)"));
  CHECK(has_line(text, "polyrouter_cooldowns_active{" + route + "} 0"));
  CHECK(has_line(text, R"(polyrouter_health_changes_total{kind="key_quarantined"} 1)"));  // the store told
  CHECK(has_line(text, R"(polyrouter_health_changes_total{kind="breaker_opened"} 0)"));

  // The counters behind stats() are the same.
  const Stats stats = orchestrator.stats();
  CHECK(stats.requests == 4);
  CHECK(stats.attempts.at(AttemptOutcome::unavailable) == 5);
}

TEST_CASE("latencies land in their buckets, cumulatively, with an exact sum", "[metrics]") {
  // The server answers at once; the injected clock makes each attempt take what the test says.
  test::TestServer server(test::Reply::fixture("groq_ok.json"));
  test::FakeClock clock;
  OrchestratorConfig config;
  config.pools = {PoolConfig{Provider::groq, {"m"}, {"k"}, server.url()}};
  config.pools[0].client = std::make_shared<OpenAICompatibleClient>(OpenAICompatibleClient::groq(server.url()));
  // A client that advances the clock by a set amount per call, around the built-in one.
  class Timed final : public LLMClient {
   public:
    Timed(std::shared_ptr<LLMClient> inner, test::FakeClock& clock, std::vector<std::chrono::milliseconds> steps)
        : inner_(std::move(inner)), clock_(clock), steps_(std::move(steps)) {}
    Provider provider() const noexcept override { return Provider::groq; }
    Response complete(const ChatRequest& request, const CallOptions& options) override {
      clock_.advance(steps_.at(calls_++));
      return inner_->complete(request, options);
    }

   private:
    std::shared_ptr<LLMClient> inner_;
    test::FakeClock& clock_;
    std::vector<std::chrono::milliseconds> steps_;
    std::size_t calls_ = 0;
  };
  config.pools[0].client = std::make_shared<Timed>(config.pools[0].client, clock,
                                                   std::vector<std::chrono::milliseconds>{3ms, 40ms, 1500ms, 200s});
  config.clock = clock.clock();
  config.pools[0].name = "groq";
  Orchestrator orchestrator(config);
  for (int i = 0; i < 4; ++i) orchestrator.request("hi");

  const std::string text = orchestrator.metrics_text();
  INFO(text);
  const std::string series = R"(polyrouter_attempt_duration_seconds_bucket{pool="groq",model="m",outcome="success",le=)";
  CHECK(has_line(text, series + R"("0.005"} 1)"));
  CHECK(has_line(text, series + R"("0.025"} 1)"));
  CHECK(has_line(text, series + R"("0.05"} 2)"));
  CHECK(has_line(text, series + R"("1"} 2)"));
  CHECK(has_line(text, series + R"("2.5"} 3)"));
  CHECK(has_line(text, series + R"("120"} 3)"));
  CHECK(has_line(text, series + R"("+Inf"} 4)"));
  CHECK(has_line(text, R"(polyrouter_attempt_duration_seconds_sum{pool="groq",model="m",outcome="success"} 201.543000000)"));
  CHECK(promtool_check(text).status == 0);
}

TEST_CASE("label values escape backslash, quote and line feed", "[metrics]") {
  CHECK(detail::escape_label_value("plain/model-1.5") == "plain/model-1.5");
  CHECK(detail::escape_label_value("a\"b\\c\nd") == "a\\\"b\\\\c\\nd");
}

TEST_CASE("metrics can be scraped while many threads update them", "[metrics][concurrency]") {
  test::TestServer server(test::Reply::fixture("groq_ok.json"));
  OrchestratorConfig config;
  config.pools = {PoolConfig{Provider::groq, {"m"}, {"k"}, server.url()}};
  Orchestrator orchestrator(config);
  constexpr int threads = 4, per_thread = 15;
  std::atomic<bool> done{false};
  std::vector<std::string> scrapes;
  std::thread scraper([&] {
    while (!done) scrapes.push_back(orchestrator.metrics_text());
  });
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int i = 0; i < per_thread; ++i) orchestrator.request("hi");
    });
  }
  for (auto& w : workers) w.join();
  std::vector<std::future<Response>> async;
  for (int i = 0; i < per_thread; ++i) async.push_back(orchestrator.request_async("hi"));
  for (auto& f : async) f.get();
  done = true;
  scraper.join();

  const std::string text = orchestrator.metrics_text();
  const int total = threads * per_thread + per_thread;
  CHECK(has_line(text, "polyrouter_requests_total " + std::to_string(total)));
  CHECK(has_line(text, R"(polyrouter_attempt_duration_seconds_count{pool="groq",model="m",outcome="success"} )" +
                           std::to_string(total)));
  CHECK_FALSE(scrapes.empty());
  CHECK(promtool_check(scrapes.back()).status == 0);  // a scrape taken mid-traffic is well formed too
}
