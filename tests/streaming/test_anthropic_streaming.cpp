// Anthropic's event stream through the orchestrator and the client: the event grammar
// (message_start, content blocks, input_json / thinking deltas, message_delta, message_stop, ping),
// errors inside the 200 stream before and after the commit point, cut streams, both drivers.
// Real libcurl against scripted loopback servers.

#include <catch2/catch.hpp>

#include <polyrouter/polyrouter.hpp>

#include "stream_helpers.hpp"

using namespace polyrouter;
using namespace polyrouter::test;
using namespace std::chrono_literals;

namespace {

const Provider kClaude("anthropic");

std::string claude_event(const json& payload) {
  return "event: " + payload["type"].get<std::string>() + "\ndata: " + payload.dump() + "\n\n";
}

std::string claude_text(const std::string& text) {
  return claude_event(
      {{"type", "content_block_delta"}, {"index", 0}, {"delta", {{"type", "text_delta"}, {"text", text}}}});
}

std::string claude_start() {
  return claude_event({{"type", "message_start"},
                       {"message",
                        {{"id", "msg_s"},
                         {"type", "message"},
                         {"role", "assistant"},
                         {"content", json::array()},
                         {"model", "m"},
                         {"stop_reason", nullptr},
                         {"usage", {{"input_tokens", 7}, {"output_tokens", 1}}}}}}) +
         claude_event(
             {{"type", "content_block_start"}, {"index", 0}, {"content_block", {{"type", "text"}, {"text", ""}}}});
}

std::string claude_end(const std::string& stop_reason = "end_turn") {
  return claude_event({{"type", "content_block_stop"}, {"index", 0}}) +
         claude_event({{"type", "message_delta"},
                       {"delta", {{"stop_reason", stop_reason}, {"stop_sequence", nullptr}}},
                       {"usage", {{"output_tokens", 5}}}}) +
         claude_event({{"type", "message_stop"}});
}

std::string claude_error(const std::string& type, const std::string& message) {
  return claude_event({{"type", "error"}, {"error", {{"details", nullptr}, {"type", type}, {"message", message}}}});
}

// The fixture without its last @p drop events.
std::string fixture_without_last(const std::string& name, std::size_t drop) {
  std::string text = fixture(name);
  for (std::size_t i = 0; i < drop; ++i) {
    const auto end = text.rfind("\n\nevent: ");
    REQUIRE(end != std::string::npos);
    text.resize(end + 2);
  }
  return text;
}

std::shared_ptr<LLMClient> claude_client(const std::string& url) {
  PoolConfig pool;
  pool.provider = kClaude;
  pool.base_url = url;
  return make_client(pool);
}

CallOptions claude_call() {
  CallOptions o;
  o.model = "claude-sonnet-4-6";
  o.api_key = "sk-ant-test";
  o.key_label = "ANTHROPIC_API_KEY0";
  o.timeout = 10s;
  return o;
}

}  // namespace

TEST_CASE("Anthropic stream: anthropic_stream.sse, ping ignored, usage from message_start and message_delta",
          "[stream][anthropic]") {
  const bool async = GENERATE(false, true);
  StreamServer server;
  server.script({{fixture("anthropic_stream.sse")}});
  Orchestrator orchestrator(config_for({pool_at(kClaude, server.url())}));
  Collector c;
  const Response r =
      async ? orchestrator.stream_async("hi", c.callback()).get() : orchestrator.stream("hi", c.callback());
  CHECK(c.deltas() == std::vector<std::string>{"Hello", "! I", "'m doing well, thank you for asking",
                                               ". How are you doing today?", " Is",
                                               " there anything I can help you with?"});
  CHECK(r.text == c.text());
  CHECK(r.id == "msg_01QC4g3HwBThD4BaNtBckFDJ");
  CHECK(r.finish_reason == FinishReason::stop);
  CHECK(r.raw_finish_reason == "end_turn");
  CHECK(r.usage.prompt_tokens == 12);
  CHECK(r.usage.completion_tokens == 30);  // message_delta's cumulative count, not a sum
  CHECK(r.usage.total_tokens == 42);
  CHECK(r.provider == kClaude);
  CHECK(r.skipped_events == 0);
  REQUIRE(server.bodies().size() == 1);
  CHECK(json::parse(server.bodies()[0])["stream"] == true);
}

TEST_CASE("Anthropic stream: a tool call assembled from input_json_delta fragments", "[stream][anthropic][tools]") {
  StreamServer server;
  server.script({{fixture("anthropic_stream_tool_use.sse")}});
  Orchestrator orchestrator(config_for({pool_at(kClaude, server.url())}));
  Collector c;
  const Response r = orchestrator.stream("hi", c.callback());
  CHECK(c.deltas().empty());
  CHECK(r.text.empty());
  REQUIRE(r.tool_calls.size() == 1);
  CHECK(r.tool_calls[0].id == "toolu_01Cr31vcGoeeRgi3Eo5Ds8qN");
  CHECK(r.tool_calls[0].name == "website_update");
  CHECK(json::parse(r.tool_calls[0].arguments) ==
        json::parse(fixture("anthropic_tool_use.json"))["content"][0]["input"]);
  CHECK(r.finish_reason == FinishReason::tool_calls);
  CHECK(r.usage.prompt_tokens == 912);
  CHECK(r.usage.completion_tokens == 118);
}

TEST_CASE("Anthropic stream: thinking is reasoning, a tool without arguments is {}, unknown events pass",
          "[stream][anthropic]") {
  StreamServer server;
  server.script(
      {{claude_start()},
       {claude_event({{"type", "content_block_start"},
                      {"index", 1},
                      {"content_block", {{"type", "thinking"}, {"thinking", ""}}}})},
       {claude_event({{"type", "content_block_delta"},
                      {"index", 1},
                      {"delta", {{"type", "thinking_delta"}, {"thinking", "Let me see."}}}})},
       {claude_event({{"type", "content_block_delta"},
                      {"index", 1},
                      {"delta", {{"type", "signature_delta"}, {"signature", "c2ln"}}}})},
       {claude_event({{"type", "a_new_event_type"}, {"index", 1}})},
       {claude_text("Answer")},
       {claude_event(
           {{"type", "content_block_start"},
            {"index", 2},
            {"content_block", {{"type", "tool_use"}, {"id", "toolu_2"}, {"name", "now"}, {"input", json::object()}}}})},
       {claude_event({{"type", "content_block_delta"},
                      {"index", 2},
                      {"delta", {{"type", "input_json_delta"}, {"partial_json", ""}}}})},
       {claude_end("tool_use")}});
  Orchestrator orchestrator(config_for({pool_at(kClaude, server.url())}));
  Collector c;
  const Response r = orchestrator.stream("hi", c.callback());
  CHECK(c.text() == "Answer");
  CHECK(r.text == "Answer");
  CHECK(r.reasoning == "Let me see.");
  REQUIRE(r.tool_calls.size() == 1);
  CHECK(r.tool_calls[0].arguments == "{}");
  CHECK(r.finish_reason == FinishReason::tool_calls);
}

TEST_CASE("Anthropic stream: an error event before any text fails over", "[stream][anthropic][failover]") {
  const bool async = GENERATE(false, true);
  StreamServer failing;
  failing.script({{claude_start()}, {claude_error("overloaded_error", "Overloaded")}});
  StreamServer fallback;
  fallback.script({{chunk("saved", "stop")}, {sse("[DONE]")}});
  Orchestrator orchestrator(config_for({pool_at(kClaude, failing.url()), pool_at(Provider::cerebras, fallback.url())}));
  Collector c;
  const Response r =
      async ? orchestrator.stream_async("hi", c.callback()).get() : orchestrator.stream("hi", c.callback());
  CHECK(c.text() == "saved");
  REQUIRE(r.attempts.size() == 2);
  CHECK(r.attempts[0].provider == kClaude);
  CHECK(r.attempts[0].outcome == AttemptOutcome::unavailable);
  CHECK(r.attempts[0].http_status == 529);  // what overloaded_error stands for
  CHECK(r.provider == Provider::cerebras);
}

TEST_CASE("Anthropic stream: anthropic_stream_error.sse after text", "[stream][anthropic][interrupted]") {
  StreamServer failing;
  failing.script({{fixture("anthropic_stream_error.sse")}});
  StreamServer fallback;
  fallback.script({{chunk("Bonjour", "stop")}, {sse("[DONE]")}});
  OrchestratorConfig config =
      config_for({pool_at(kClaude, failing.url()), pool_at(Provider::cerebras, fallback.url())});
  const std::string partial = "Hello! I'm doing well, thank you for asking";

  SECTION("surface: StreamInterruptedError with the partial text, never a short success") {
    config.stream_recovery = StreamRecovery::surface;
    Orchestrator orchestrator(config);
    Collector c;
    try {
      orchestrator.stream("hi", c.callback());
      FAIL("expected StreamInterruptedError");
    } catch (const StreamInterruptedError& e) {
      CHECK(e.partial_text() == partial);
      CHECK(c.text() == partial);
      REQUIRE(e.attempts().size() == 1);
      CHECK(e.attempts()[0].outcome == AttemptOutcome::unavailable);
      CHECK(e.attempts()[0].http_status == 529);
    }
    CHECK(fallback.requests() == 0);
  }
  SECTION("restart: the caller is told, the next route answers") {
    Orchestrator orchestrator(config);
    std::vector<std::string> events;
    StreamCallbacks callbacks{[&](std::string_view d) {
                                events.emplace_back(d);
                                return true;
                              },
                              [&](const StreamRestart& restart) {
                                events.push_back("<restart " + std::to_string(restart.discarded_bytes) + ">");
                                CHECK(restart.failed.provider == kClaude);
                              }};
    const Response r = orchestrator.stream(ChatRequest::from_prompt("hi"), callbacks);
    REQUIRE(events.size() == 5);
    CHECK(events[3] == "<restart " + std::to_string(partial.size()) + ">");
    CHECK(events[4] == "Bonjour");
    CHECK(r.text == "Bonjour");
    CHECK(r.provider == Provider::cerebras);
  }
}

TEST_CASE("Anthropic stream: without message_stop a stream is cut, whatever it said",
          "[stream][anthropic][interrupted]") {
  StreamServer cut;
  StreamServer fallback;
  fallback.script({{chunk("saved", "stop")}, {sse("[DONE]")}});
  SECTION("after message_delta with a stop reason") { cut.script({{fixture_without_last("anthropic_stream.sse", 1)}}); }
  SECTION("mid-text, the connection closed") {
    cut.script({{fixture_without_last("anthropic_stream.sse", 4)}}, Ending::cut);
  }
  OrchestratorConfig config = config_for({pool_at(kClaude, cut.url()), pool_at(Provider::cerebras, fallback.url())});
  config.stream_recovery = StreamRecovery::surface;
  Orchestrator orchestrator(config);
  Collector c;
  auto e = catch_as<StreamInterruptedError>([&] { orchestrator.stream("hi", c.callback()); });
  REQUIRE(e);
  CHECK_FALSE(e->partial_text().empty());
  CHECK(e->attempts()[0].outcome == AttemptOutcome::unavailable);
  CHECK(fallback.requests() == 0);
}

TEST_CASE("Anthropic stream: error events are typed by their error type", "[stream][anthropic][errors]") {
  StreamServer server;
  auto client = claude_client(server.url());
  const auto stream = [&] {
    return client->stream(ChatRequest::from_prompt("hi"), claude_call(), [](std::string_view) { return true; });
  };
  SECTION("rate_limit_error") {
    server.script(
        {{claude_start()}, {claude_error("rate_limit_error", "Number of requests has exceeded your rate limit")}});
    auto e = catch_as<RateLimitError>(stream);
    REQUIRE(e);
    CHECK(e->http_status() == 429);
    CHECK(e->provider_code() == "rate_limit_error");
  }
  SECTION("invalid_request_error: prompt is too long") {
    server.script({{claude_error("invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum")}});
    auto e = catch_as<BadRequestError>(stream);
    REQUIRE(e);
    CHECK(e->context_length());
  }
  SECTION("api_error") {
    server.script({{claude_start()}, {claude_text("Hi")}, {claude_error("api_error", "Internal server error")}});
    auto e = catch_as<ProviderUnavailableError>(stream);
    REQUIRE(e);
    CHECK(e->http_status() == 500);
  }
  SECTION("an error status before the stream") {
    server.fail_with(529, fixture("anthropic_529_overloaded_error.json"));
    auto e = catch_as<ProviderUnavailableError>(stream);
    REQUIRE(e);
    CHECK(e->http_status() == 529);
  }
}

TEST_CASE("Anthropic stream: the caller stops it, the answer holds what came", "[stream][anthropic][cancel]") {
  StreamServer server;
  server.script({{claude_start()}, {claude_text("one")}, {claude_text(" two")}, {claude_end()}});
  auto client = claude_client(server.url());
  const Response r =
      client->stream(ChatRequest::from_prompt("hi"), claude_call(), [](std::string_view) { return false; });
  CHECK(r.text == "one");
  CHECK(r.raw_finish_reason == "cancelled");
  CHECK(r.finish_reason == FinishReason::other);
}

TEST_CASE("Anthropic: a request refused before any round trip fails the async call, not the loop",
          "[stream][anthropic][async]") {
  StreamServer server;
  server.script({{claude_start()}, {claude_text("never")}, {claude_end()}});
  Orchestrator orchestrator(config_for({pool_at(kClaude, server.url())}));
  ChatRequest request = ChatRequest::from_prompt("hi");
  request.response_format = ResponseFormat::json_object();
  const bool stream = GENERATE(false, true);
  auto future = stream ? orchestrator.stream_async(request, [](std::string_view) { return true; })
                       : orchestrator.request_async(request);
  auto e = catch_as<BadRequestError>([&] { future.get(); });
  REQUIRE(e);
  CHECK(server.requests() == 0);
  // The loop still serves: a good request answers.
  CHECK(orchestrator.stream_async("hi", [](std::string_view) { return true; }).get().text == "never");
}
