// What a hostile or careless provider can send through the public clients (issue 14, issue 12):
// numbers no integer holds, values of the wrong type in streams, the key echoed in text the
// provider controls, far-future retry dates, and schema-valid tool calls of a kind the client
// does not read. Every case ends in an answer or a typed polyrouter::Error, never undefined
// behaviour (the check build runs under UBSan, float-cast-overflow included) or a JSON library
// exception.

#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "client_helpers.hpp"
#include "fixtures.hpp"
#include "polyrouter/polyrouter.hpp"
#include "test_server.hpp"

using namespace polyrouter;
using namespace std::chrono_literals;
using nlohmann::json;
using polyrouter::test::catch_as;
using polyrouter::test::Reply;
using polyrouter::test::TestServer;
namespace pt = polyrouter::test;

namespace {

const std::string kKey = "sk-live-" + pt::fake_key("", 40, 1401);

CallOptions openai_options() { return pt::options_for("m", kKey, "KEY0"); }

Response stream_openai(TestServer& server, std::string* deltas = nullptr) {
  OpenAICompatibleClient client(server.url() + "/v1");
  return client.stream(pt::hello(), openai_options(), [deltas](std::string_view d) {
    if (deltas != nullptr) deltas->append(d);
    return true;
  });
}

Response stream_gemini(TestServer& server) {
  GeminiClient client(server.url());
  return client.stream(pt::hello(), pt::options_for("gemini-2.5-flash", kKey, "KEY0"),
                       [](std::string_view) { return true; });
}

Reply sse_reply(const std::string& body) { return Reply::text(body, 200, "text/event-stream"); }

std::string sse(const json& event) { return "data: " + event.dump() + "\n\n"; }

json openai_chunk(json delta, json finish = nullptr) {
  return {{"id", "c1"}, {"choices", {{{"index", 0}, {"delta", std::move(delta)}, {"finish_reason", std::move(finish)}}}}};
}

// Every text a caller or an operator can see of @p e.
void require_no_key_in(const Error& e) {
  INFO(e.what());
  CHECK_FALSE(pt::leaks_key(e.what(), kKey));
  CHECK_FALSE(pt::leaks_key(e.detail(), kKey));
  CHECK_FALSE(pt::leaks_key(e.provider_code(), kKey));
  CHECK_FALSE(pt::leaks_key(e.context().body_excerpt, kKey));
}

}  // namespace

TEST_CASE("numbers beyond int64 anywhere in an OpenAI answer read as absent", "[hostile][openai]") {
  TestServer server(Reply::json(json::parse(R"({"x":1e19,"id":"c1","big":-1e300,
      "choices":[{"message":{"content":"fine","n":1e19},"finish_reason":"stop"}],
      "usage":{"prompt_tokens":1e19,"completion_tokens":2.5,"total_tokens":18446744073709551615}})")));
  OpenAICompatibleClient client(server.url() + "/v1");
  const Response r = client.complete(pt::hello(), openai_options());
  CHECK(r.text == "fine");
  CHECK(r.usage.prompt_tokens == 0);
  CHECK(r.usage.completion_tokens == 0);
  CHECK(r.usage.total_tokens == 0);

  SECTION("in the tree decoder too (an answer with a tool call)") {
    server.respond(Reply::json(json::parse(R"({"choices":[{"message":{"content":null,"tool_calls":[
        {"id":"t","type":"function","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls"}],
        "usage":{"prompt_tokens":1e300,"completion_tokens":-1e300,"total_tokens":7}})")));
    const Response t = client.complete(pt::hello(), openai_options());
    REQUIRE(t.tool_calls.size() == 1);
    CHECK(t.usage.prompt_tokens == 0);
    CHECK(t.usage.completion_tokens == 0);
    CHECK(t.usage.total_tokens == 7);
  }
}

TEST_CASE("numbers beyond int64 in a Gemini answer read as absent", "[hostile][gemini]") {
  TestServer server(Reply::json(json::parse(R"({"candidates":[{"content":{"parts":[{"text":"fine"}]},
      "finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":1e300,"candidatesTokenCount":9223372036854775807,
      "thoughtsTokenCount":9223372036854775807,"totalTokenCount":12}})")));
  GeminiClient client(server.url());
  const Response r = client.complete(pt::hello(), pt::options_for("gemini-2.5-flash", kKey, "KEY0"));
  CHECK(r.text == "fine");
  CHECK(r.usage.prompt_tokens == 0);
  CHECK(r.usage.completion_tokens == 0);  // candidates + thoughts does not fit an int64
  CHECK(r.usage.total_tokens == 12);
}

TEST_CASE("a stream's tool-call index that is no small integer is skipped", "[hostile][openai][stream]") {
  TestServer server(sse_reply(
      sse(openai_chunk({{"content", "Hel"}})) +
      sse(openai_chunk({{"tool_calls", {{{"index", 1e300}, {"id", "a"}, {"function", {{"name", "huge"}}}}}}})) +
      sse(openai_chunk({{"tool_calls", {{{"index", "x"}, {"id", "b"}, {"function", {{"name", "text"}}}}}}})) +
      sse(openai_chunk({{"tool_calls", {{{"index", 0.5}, {"id", "c"}, {"function", {{"name", "half"}}}}}}})) +
      sse(openai_chunk({{"tool_calls", {{{"index", 0}, {"id", "d"}, {"function", {{"name", "ok"}}}}}}})) +
      sse(openai_chunk({{"content", "lo"}}, "stop")) + "data: [DONE]\n\n"));
  std::string deltas;
  const Response r = stream_openai(server, &deltas);
  CHECK(deltas == "Hello");
  CHECK(r.text == "Hello");
  REQUIRE(r.tool_calls.size() == 1);
  CHECK(r.tool_calls[0].name == "ok");
}

TEST_CASE("a Gemini stream event with a finishReason that is not text is a typed error",
          "[hostile][gemini][stream]") {
  const std::string event = R"(data: {"candidates":[{"content":{"parts":[{"text":"Hi"}]},"finishReason":3}]})";
  TestServer server(sse_reply(event + "\n\n"));
  // The reason reads as absent: a stream that never said it finished was cut.
  const auto e = catch_as<Error>([&] { stream_gemini(server); });
  REQUIRE(e);
  CHECK(e->kind() == ErrorKind::provider_unavailable);

  SECTION("an event that is no GenerateContentResponse is InvalidJsonResponseError") {
    server.respond(sse_reply(R"(data: {"something":"else"})" "\n\n"));
    CHECK_THROWS_AS(stream_gemini(server), InvalidJsonResponseError);
  }
}

TEST_CASE("an OpenAI answer keeps its text and function calls next to a tool call of an unknown kind",
          "[hostile][openai][tools]") {
  TestServer server(Reply::json(json::parse(R"({"id":"c9","choices":[{"message":{"content":"Let me check.",
      "tool_calls":[{"id":"call_1","type":"custom","custom":{"name":"grep","input":"needle"}},
                    {"id":"call_2","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}},
                    {"id":"call_3","type":"web_search_preview"}]},
      "finish_reason":"tool_calls"}],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}})")));
  OpenAICompatibleClient client(server.url() + "/v1");
  const Response r = client.complete(pt::hello(), openai_options());
  CHECK(r.text == "Let me check.");
  REQUIRE(r.tool_calls.size() == 1);
  CHECK(r.tool_calls[0].id == "call_2");
  CHECK(r.tool_calls[0].name == "get_weather");
  CHECK(r.tool_calls[0].arguments == R"({"city":"Oslo"})");
  CHECK(r.finish_reason == FinishReason::tool_calls);
  CHECK(r.usage.total_tokens == 7);

  SECTION("and so does a stream") {
    server.respond(sse_reply(
        sse(openai_chunk({{"content", "Let me check."}})) +
        sse(openai_chunk({{"tool_calls", {{{"index", 0}, {"id", "call_1"}, {"type", "custom"},
                                           {"custom", {{"name", "grep"}, {"input", "needle"}}}}}}})) +
        sse(openai_chunk({{"tool_calls", {{{"index", 1}, {"id", "call_2"}, {"type", "function"},
                                           {"function", {{"name", "get_weather"}, {"arguments", "{}"}}}}}}}, "tool_calls")) +
        "data: [DONE]\n\n"));
    const Response s = stream_openai(server);
    CHECK(s.text == "Let me check.");
    REQUIRE(s.tool_calls.size() == 1);
    CHECK(s.tool_calls[0].name == "get_weather");
  }
}

TEST_CASE("the key echoed in a Content-Type or an error code never reaches the error", "[hostile][security]") {
  TestServer server(Reply::text("internal error", 500, "text/plain; " + kKey));
  OpenAICompatibleClient client(server.url() + "/v1");

  auto e = catch_as<ProviderUnavailableError>([&] { client.complete(pt::hello(), openai_options()); });
  REQUIRE(e);
  require_no_key_in(*e);
  CHECK_THAT(e->what(), Catch::Contains("text/plain"));  // the type is still shown, masked

  for (const char* field : {"code", "type", "status"}) {
    INFO(field);
    server.respond(Reply::json({{"error", {{"message", "no"}, {field, kKey}}}}, 401));
    auto k = catch_as<InvalidApiKeyError>([&] { client.complete(pt::hello(), openai_options()); });
    REQUIRE(k);
    require_no_key_in(*k);
    CHECK_FALSE(k->provider_code().empty());
  }
  // Gemini's ErrorInfo reason and a blocked prompt's reason are the provider's text too.
  GeminiClient gemini(server.url());
  server.respond(Reply::json({{"error", {{"code", 400}, {"message", "bad"}, {"status", "INVALID_ARGUMENT"},
                                         {"details", {{{"@type", "type.googleapis.com/google.rpc.ErrorInfo"},
                                                       {"reason", kKey}}}}}}},
                             400));
  auto g = catch_as<Error>([&] { gemini.complete(pt::hello(), pt::options_for("gemini-2.5-flash", kKey, "KEY0")); });
  REQUIRE(g);
  require_no_key_in(*g);
  // A key of no known shape is masked because it is the key, not because it looks like one
  // (the ErrorInfo reason once reached provider_code masked by shape only).
  const std::string shapeless = "Qm9vbGVhbkZsYWdzTm90QUtleVNoYXBl";
  server.respond(Reply::json({{"error", {{"code", 400}, {"message", "bad"}, {"status", "INVALID_ARGUMENT"},
                                         {"details", {{{"@type", "type.googleapis.com/google.rpc.ErrorInfo"},
                                                       {"reason", shapeless}}}}}}},
                             400));
  auto s = catch_as<Error>(
      [&] { gemini.complete(pt::hello(), pt::options_for("gemini-2.5-flash", shapeless, "KEY0")); });
  REQUIRE(s);
  CHECK_FALSE(pt::leaks_key(s->provider_code(), shapeless));
  CHECK_FALSE(pt::leaks_key(s->what(), shapeless));
  server.respond(Reply::json({{"promptFeedback", {{"blockReason", kKey}}}}));
  auto b = catch_as<ContentFilteredError>(
      [&] { gemini.complete(pt::hello(), pt::options_for("gemini-2.5-flash", kKey, "KEY0")); });
  REQUIRE(b);
  require_no_key_in(*b);
}

TEST_CASE("a far-future Retry-After date gives no hint rather than 'now' or centuries", "[hostile][retry_hints]") {
  TestServer server;
  OpenAICompatibleClient client(server.url() + "/v1");
  for (const char* date : {"Tue, 01 Jan 3000 00:00:00 GMT", "Fri, 01 Jan 2262 00:00:00 GMT",
                           "Sat, 01 Jan 9999 00:00:00 GMT"}) {
    INFO(date);
    server.respond(Reply::json({{"error", {{"message", "slow down"}, {"type", "rate_limit"}}}}, 429)
                       .with_header("Retry-After", date));
    auto e = catch_as<RateLimitError>([&] { client.complete(pt::hello(), openai_options()); });
    REQUIRE(e);
    CHECK_FALSE(e->retry_after().has_value());  // beyond the cap, as "Retry-After: 99999999999" is
  }
}
