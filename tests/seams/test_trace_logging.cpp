// Trace logging shows every exchange, on every path, with the key masked.

#include <catch2/catch.hpp>

#include <mutex>
#include <string>
#include <vector>

#include <polyrouter/polyrouter.hpp>
#include <polyrouter/sim/simulator.hpp>

using namespace polyrouter;

namespace {

constexpr const char* secret = "gsk_TraceSecretKey0123456789abcdefWXYZ";

class LogCapture {
 public:
  LogCapture() {
    set_log_level(LogLevel::trace);
    set_log_handler([this](LogLevel level, std::string_view line) {
      if (level != LogLevel::trace) return;
      std::lock_guard<std::mutex> lock(mutex_);
      lines_.emplace_back(line);
    });
  }
  ~LogCapture() {
    set_log_handler(nullptr);
    set_log_level(LogLevel::off);
  }
  // Trace lines holding every one of @p parts.
  std::size_t count(std::initializer_list<std::string_view> parts) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::size_t n = 0;
    for (const auto& line : lines_) {
      bool all = true;
      for (auto part : parts) all = all && line.find(part) != std::string::npos;
      n += all ? 1 : 0;
    }
    return n;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> lines_;
};

}  // namespace

TEST_CASE("every path logs its request and its answer at trace level, key masked", "[seams]") {
  sim::Simulator sim;
  OrchestratorConfig config;
  config.pools = {{Provider::groq, {"openai/gpt-oss-120b"}, {secret}, sim.url()},
                  {Provider::gemini, {"gemini-2.5-flash"}, {secret}, sim.url()}};
  // Groq fails every time (no retry): each request shows a failed exchange, then Gemini's answer.
  config.retry.max_retries = 0;
  sim.set_scenario({{"rules", {{{"provider", "groq"}, {"behavior", "server_error"}, {"status", 503}}}}});
  LogCapture log;
  Orchestrator orchestrator(config);
  const auto ignore = [](std::string_view) { return true; };

  orchestrator.request("marker-request");
  orchestrator.stream("marker-stream", ignore);
  orchestrator.request_async("marker-async").get();
  orchestrator.stream_async(ChatRequest::from_prompt("marker-stream-async"), ignore).get();

  for (const char* marker : {"marker-request", "marker-async"}) {
    INFO(marker);
    CHECK(log.count({"groq", "request:", marker}) == 1);
    CHECK(log.count({"gemini", "request:", marker}) == 1);
  }
  for (const char* marker : {"marker-stream\"", "marker-stream-async"}) {
    INFO(marker);
    CHECK(log.count({"groq", "request:", marker}) == 1);
    CHECK(log.count({"gemini", "request:", marker}) == 1);
  }
  // Answers: Groq's 503 on all four paths (two of them streams), Gemini's 200 likewise, and
  // the stream events in between.
  CHECK(log.count({"groq", "-> HTTP 503"}) == 4);
  CHECK(log.count({"groq", "stream -> HTTP 503"}) == 2);
  CHECK(log.count({"gemini", "-> HTTP 200"}) == 4);
  CHECK(log.count({"gemini", "stream -> HTTP 200"}) == 2);
  CHECK(log.count({"gemini", "stream event"}) >= 2);
  CHECK(log.count({secret}) == 0);
  CHECK(log.count({"TraceSecretKey"}) == 0);
}
