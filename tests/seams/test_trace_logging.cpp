// Trace logging shows every exchange, on every path, with the key masked.

#include <catch2/catch.hpp>

#include <mutex>
#include <string>
#include <vector>

#include <polyrouter/polyrouter.hpp>
#include <polyrouter/sim/simulator.hpp>

#include "log_capture.hpp"

using namespace polyrouter;

using polyrouter::test::LogCapture;

namespace {

constexpr const char* secret = "gsk_TraceSecretKey0123456789abcdefWXYZ";


}  // namespace

TEST_CASE("every path logs its request and its answer at trace level, key masked", "[seams]") {
  sim::Simulator sim;
  OrchestratorConfig config;
  config.pools = {{Provider::groq, {"openai/gpt-oss-120b"}, {secret}, sim.url()},
                  {Provider::gemini, {"gemini-2.5-flash"}, {secret}, sim.url()}};
  // Groq fails every time (no retry): each request shows a failed exchange, then Gemini's answer.
  config.retry.max_retries = 0;
  sim.set_scenario({{"rules", {{{"provider", "groq"}, {"behavior", "server_error"}, {"status", 503}}}}});
  LogCapture log(LogLevel::trace, LogLevel::trace);
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
