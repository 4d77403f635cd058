// The Anthropic Messages client (a registered provider, made by make_client) over real loopback
// HTTP and real libcurl: the exact requests, parsing of every anthropic_* fixture, every error
// class with its retry hint, model lists paged with after_id.

#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "fixtures.hpp"
#include "polyrouter/polyrouter.hpp"
#include "client_helpers.hpp"
#include "test_server.hpp"

using namespace polyrouter;
using namespace std::chrono_literals;
using nlohmann::json;
using polyrouter::test::catch_as;
using polyrouter::test::Reply;
using polyrouter::test::TestServer;
namespace pt = polyrouter::test;

namespace {

const std::string kAnthropicKey = pt::fake_key("sk-ant-api03-", 80, 301);
const Provider kAnthropic("anthropic");

std::shared_ptr<LLMClient> anthropic_at(const std::string& root, HttpOptions http = {}) {
  PoolConfig pool;
  pool.provider = kAnthropic;
  pool.base_url = root;
  return make_client(pool, http);
}

CallOptions anthropic_options(std::string model = "claude-sonnet-4-5-20250929") {
  return pt::options_for(std::move(model), kAnthropicKey, "ANTHROPIC_API_KEY0");
}

void anthropic_no_leak(const Error& e) {
  INFO("what(): " << e.what());
  CHECK_FALSE(pt::leaks_key(e.what(), kAnthropicKey));
  CHECK_FALSE(pt::leaks_key(e.body_excerpt(), kAnthropicKey));
  CHECK_FALSE(pt::leaks_key(e.detail(), kAnthropicKey));
}

// The key in x-api-key only: never as a Bearer token, never in the URL.
void check_anthropic_headers(const pt::RecordedRequest& r) {
  CHECK(r.header("x-api-key") == kAnthropicKey);
  CHECK(r.header("anthropic-version") == "2023-06-01");
  CHECK_FALSE(r.has_header("authorization"));
  CHECK_FALSE(pt::leaks_key(r.target, kAnthropicKey));
}

Reply anthropic_stream_reply(const std::string& fixture) {
  return Reply::text(pt::load_fixture(fixture), 200, "text/event-stream");
}

// The bytes of a base64 text (the test's own decoder, independent of the library's encoder).
std::string from_base64(const std::string& text) {
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=') break;
    buffer = (buffer << 6) | static_cast<unsigned>(alphabet.find(c));
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

json anthropic_message(json content, const std::string& stop_reason) {
  return {{"id", "msg_test"},
          {"type", "message"},
          {"role", "assistant"},
          {"model", "claude-test"},
          {"content", std::move(content)},
          {"stop_reason", stop_reason},
          {"stop_sequence", nullptr},
          {"usage", {{"input_tokens", 5}, {"output_tokens", 3}}}};
}

json anthropic_error(const std::string& type, const std::string& message) {
  return {{"type", "error"}, {"error", {{"type", type}, {"message", message}}}, {"request_id", "req_test"}};
}

}  // namespace

// =============================================================================================
// The registry
// =============================================================================================

TEST_CASE("Anthropic is a registered provider with the SDK's root and version path", "[anthropic][registry]") {
  REQUIRE(provider_from_string("anthropic").has_value());
  CHECK(*provider_from_string("anthropic") == kAnthropic);
  PoolConfig pool;
  pool.provider = kAnthropic;
  auto client = std::dynamic_pointer_cast<WireClient>(make_client(pool));
  REQUIRE(client);
  CHECK(client->provider() == kAnthropic);
  CHECK(client->api_base() == "https://api.anthropic.com/v1");
  pool.base_url = "http://127.0.0.1:9/";
  CHECK(std::dynamic_pointer_cast<WireClient>(make_client(pool))->api_base() == "http://127.0.0.1:9/v1");
}

// =============================================================================================
// The exact requests
// =============================================================================================

TEST_CASE("Anthropic request: POST /v1/messages, x-api-key, anthropic-version, exact body", "[anthropic][request]") {
  TestServer server(Reply::fixture("anthropic_ok.json"));
  auto client = anthropic_at(server.url());
  client->complete(pt::hello(), anthropic_options());
  REQUIRE(server.count() == 1);
  const auto r = server.last();
  CHECK(r.method == "POST");
  CHECK(r.path == "/v1/messages");
  CHECK(r.target == "/v1/messages");
  check_anthropic_headers(r);
  CHECK(r.header("content-type") == "application/json");
  CHECK(pt::starts_with(r.header("user-agent"), "polyrouter/"));
  // max_tokens is required by the API: the documented default when the request sets none.
  CHECK(r.body ==
        R"({"max_tokens":4096,"messages":[{"content":"Hello","role":"user"}],"model":"claude-sonnet-4-5-20250929"})");
}

TEST_CASE("Anthropic request: system prompts go to the top-level system", "[anthropic][request]") {
  TestServer server(Reply::fixture("anthropic_ok.json"));
  auto client = anthropic_at(server.url());
  SECTION("one system message: a string") {
    ChatRequest request;
    request.messages = {Message::system("You are terse."), Message::user("Hi")};
    request.max_tokens = 100;
    client->complete(request, anthropic_options());
    CHECK(
        server.last().body ==
        R"({"max_tokens":100,"messages":[{"content":"Hi","role":"user"}],"model":"claude-sonnet-4-5-20250929","system":"You are terse."})");
  }
  SECTION("several, wherever they are: text blocks in order") {
    ChatRequest request;
    request.messages = {Message::system("One."), Message::user("Hi"), Message::assistant("Hello."),
                        Message::system("Two."), Message::user("Bye")};
    client->complete(request, anthropic_options());
    const json sent = server.last().json();
    CHECK(sent["system"] == json::parse(R"([{"type":"text","text":"One."},{"type":"text","text":"Two."}])"));
    CHECK(sent["messages"] == json::parse(R"([{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello."},
                                              {"role":"user","content":"Bye"}])"));
  }
}

TEST_CASE("Anthropic request: multi-turn alternates from a user turn", "[anthropic][request]") {
  TestServer server(Reply::fixture("anthropic_ok.json"));
  auto client = anthropic_at(server.url());
  SECTION("consecutive same-role turns are merged into blocks") {
    ChatRequest request;
    request.messages = {Message::user("a"), Message::user("b"), Message::assistant("c"), Message::assistant("d"),
                        Message::user("e")};
    client->complete(request, anthropic_options());
    CHECK(server.last().json()["messages"] == json::parse(R"([
      {"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},
      {"role":"assistant","content":[{"type":"text","text":"c"},{"type":"text","text":"d"}]},
      {"role":"user","content":"e"}])"));
  }
  SECTION("a conversation starting with the assistant gets an opening user turn") {
    ChatRequest request;
    request.messages = {Message::assistant("How can I help?"), Message::user("Say hi")};
    client->complete(request, anthropic_options());
    CHECK(server.last().json()["messages"] == json::parse(R"([{"role":"user","content":"."},
      {"role":"assistant","content":"How can I help?"},{"role":"user","content":"Say hi"}])"));
  }
  SECTION("a final assistant turn is a prefill without trailing whitespace; empty turns are left out") {
    ChatRequest request;
    request.messages = {Message::user("Count"), Message::user(""), Message::assistant("1, 2, ")};
    client->complete(request, anthropic_options());
    CHECK(server.last().json()["messages"] == json::parse(R"([{"role":"user","content":"Count"},
      {"role":"assistant","content":"1, 2,"}])"));
  }
}

TEST_CASE("Anthropic request: every field of anthropic_request_full.json", "[anthropic][request][tools][images]") {
  TestServer server(anthropic_stream_reply("anthropic_stream.sse"));
  auto client = anthropic_at(server.url());
  json expected = pt::fixture_json("anthropic_request_full.json");
  const json& turns = expected["messages"];

  ChatRequest request;
  request.messages.push_back(Message::system("You are terse."));
  const json& first_image = turns[0]["content"][1]["source"];
  request.messages.push_back(
      Message::user({ContentPart::text(turns[0]["content"][0]["text"].get<std::string>()),
                     ContentPart::image_bytes(from_base64(first_image["data"].get<std::string>()), "image/png")}));
  Message call = Message::assistant("I'll look up the weather.");
  call.tool_calls.push_back(ToolCall{"toolu_01A09q90qw90lq917835lq9", "get_weather", R"({"city": "Paris"})", ""});
  request.messages.push_back(call);
  request.messages.push_back(Message::tool("toolu_01A09q90qw90lq917835lq9", "get_weather", R"({"temp_c":18})"));
  request.messages.push_back(
      Message::user({ContentPart::image_url(turns[2]["content"][1]["source"]["url"].get<std::string>())}));
  request.max_tokens = 1024;
  request.stop = {"\n\nEND"};
  request.temperature = 0.7;
  request.seed = 42;  // no such field in the Messages API: left out
  request.tools = {Tool{"get_weather", "Current weather for a city.", pt::weather_parameters()}};
  request.tool_choice = ToolChoice::automatic();
  request.extra = {{"top_k", 40}, {"metadata", expected["metadata"]}};

  client->stream(request, anthropic_options(), [](std::string_view) { return true; });
  const auto r = server.last();
  check_anthropic_headers(r);
  const json sent = r.json();
  // The fixture sets disable_parallel_tool_use: false, the API's default, which polyrouter omits.
  expected["tool_choice"] = {{"type", "auto"}};
  CHECK(sent == expected);
}

TEST_CASE("Anthropic request: tool calls and tool results", "[anthropic][request][tools]") {
  TestServer server(Reply::fixture("anthropic_ok.json"));
  auto client = anthropic_at(server.url());
  ChatRequest request;
  request.messages.push_back(Message::user("Weather in Paris and Rome?"));
  Message calls = Message::assistant("");
  calls.tool_calls.push_back(ToolCall{"call_1", "get_weather", R"({"city":"Paris"})", ""});
  calls.tool_calls.push_back(ToolCall{"call.2", "get_weather", "not json", ""});
  request.messages.push_back(calls);
  request.messages.push_back(Message::tool("call_1", "get_weather", "18C"));
  request.messages.push_back(Message::tool("call.2", "get_weather", "21C"));
  request.messages.push_back(Message::user("Thanks"));
  request.tools = {Tool{"get_weather", "", pt::weather_parameters()}, Tool{"no_args", "Takes nothing", json::object()}};

  SECTION("blocks") {
    client->complete(request, anthropic_options());
    const json sent = server.last().json();
    CHECK(sent["messages"] == json::parse(R"([
      {"role":"user","content":"Weather in Paris and Rome?"},
      {"role":"assistant","content":[
        {"type":"tool_use","id":"call_1","name":"get_weather","input":{"city":"Paris"}},
        {"type":"tool_use","id":"call_2","name":"get_weather","input":{}}]},
      {"role":"user","content":[
        {"type":"tool_result","tool_use_id":"call_1","content":"18C"},
        {"type":"tool_result","tool_use_id":"call_2","content":"21C"},
        {"type":"text","text":"Thanks"}]}])"));
    CHECK(sent["tools"] == json::parse(R"([
      {"name":"get_weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}},
      {"name":"no_args","description":"Takes nothing","input_schema":{"type":"object"}}])"));
    CHECK_FALSE(sent.contains("tool_choice"));
  }
  SECTION("tool_choice modes") {
    const auto [choice, wire] = GENERATE(table<ToolChoice, json>({
        {ToolChoice::automatic(), json{{"type", "auto"}}},
        {ToolChoice::required(), json{{"type", "any"}}},
        {ToolChoice::none(), json{{"type", "none"}}},
        {ToolChoice::force("get_weather"), json{{"type", "tool"}, {"name", "get_weather"}}},
    }));
    request.tool_choice = choice;
    client->complete(request, anthropic_options());
    CHECK(server.last().json()["tool_choice"] == wire);
  }
}

TEST_CASE("Anthropic request: sampling fields, answer formats, extras and headers", "[anthropic][request]") {
  TestServer server(Reply::fixture("anthropic_ok.json"));
  SECTION("temperature is clamped to the API's [0, 1]; top_p and stop pass; seed is dropped") {
    auto client = anthropic_at(server.url());
    ChatRequest request = pt::hello();
    request.temperature = 1.5;
    request.top_p = 0.9;
    request.stop = {"END", "STOP"};
    request.seed = 7;
    client->complete(request, anthropic_options());
    const json sent = server.last().json();
    CHECK(sent["temperature"] == 1.0);
    CHECK(sent["top_p"] == 0.9);
    CHECK(sent["stop_sequences"] == json::array({"END", "STOP"}));
    CHECK_FALSE(sent.contains("seed"));
    CHECK_FALSE(sent.contains("stop"));
  }
  SECTION("a JSON schema answer is output_config.format") {
    auto client = anthropic_at(server.url());
    ChatRequest request = pt::hello();
    const json schema = {{"type", "object"},
                         {"properties", {{"a", {{"type", "string"}}}}},
                         {"required", {"a"}},
                         {"additionalProperties", false}};
    request.response_format = ResponseFormat::json_schema("answer", schema);
    client->complete(request, anthropic_options());
    CHECK(server.last().json()["output_config"] == json{{"format", {{"type", "json_schema"}, {"schema", schema}}}});
  }
  SECTION("any JSON object has no equivalent: BadRequestError before any round trip") {
    auto client = anthropic_at(server.url());
    ChatRequest request = pt::hello();
    request.response_format = ResponseFormat::json_object();
    for (bool stream : {false, true}) {
      auto e = catch_as<BadRequestError>([&] {
        if (stream) {
          client->stream(request, anthropic_options(), [](std::string_view) { return true; });
        } else {
          client->complete(request, anthropic_options());
        }
      });
      REQUIRE(e);
      CHECK(e->cause() == BadRequestError::Cause::request);
      CHECK(e->http_status() == 0);
      CHECK_THAT(e->what(), Catch::Contains("json_schema"));
      CHECK(e->key_label() == "ANTHROPIC_API_KEY0");
    }
    CHECK(server.count() == 0);
  }
  SECTION("extra fields win, extra headers are sent") {
    auto client =
        anthropic_at(server.url(), HttpOptions{std::size_t{8} << 20, {{"anthropic-beta", "context-1m-2025-08-07"}}});
    ChatRequest request = pt::hello();
    request.max_tokens = 10;
    request.extra = {{"max_tokens", 20}, {"thinking", {{"type", "enabled"}, {"budget_tokens", 1024}}}};
    client->complete(request, anthropic_options());
    const auto r = server.last();
    CHECK(r.header("anthropic-beta") == "context-1m-2025-08-07");
    CHECK(r.json()["max_tokens"] == 20);
    CHECK(r.json()["thinking"]["budget_tokens"] == 1024);
  }
}

// =============================================================================================
// Answers: every anthropic_* fixture
// =============================================================================================

TEST_CASE("Anthropic answer: anthropic_ok.json", "[anthropic][response]") {
  TestServer server(Reply::fixture("anthropic_ok.json").with_headers_file("anthropic_ok.headers.txt"));
  const Response r = anthropic_at(server.url())->complete(pt::hello(), anthropic_options());
  CHECK(r.text ==
        "Hello! I'm doing well, thanks for asking. How are you doing today? Is there anything I can help you with?");
  CHECK(r.finish_reason == FinishReason::stop);
  CHECK(r.raw_finish_reason == "end_turn");
  CHECK(r.id == "msg_01VdEjxAP5ahtHKrrRdNBteQ");
  CHECK(r.usage.prompt_tokens == 12);
  CHECK(r.usage.completion_tokens == 29);
  CHECK(r.usage.total_tokens == 41);
  CHECK(r.provider == kAnthropic);
  CHECK(r.model == "claude-sonnet-4-5-20250929");
  CHECK(r.tool_calls.empty());
  CHECK(r.reasoning.empty());
}

TEST_CASE("Anthropic answer: anthropic_tool_use.json is a tool call", "[anthropic][response][tools]") {
  TestServer server(Reply::fixture("anthropic_tool_use.json"));
  const Response r = anthropic_at(server.url())->complete(pt::hello(), anthropic_options());
  REQUIRE(r.tool_calls.size() == 1);
  CHECK(r.tool_calls[0].id == "toolu_01JKBd25gEfr9ZpVvn8quK2v");
  CHECK(r.tool_calls[0].name == "website_update");
  CHECK(json::parse(r.tool_calls[0].arguments) == pt::fixture_json("anthropic_tool_use.json")["content"][0]["input"]);
  CHECK(r.finish_reason == FinishReason::tool_calls);
  CHECK(r.text.empty());
  CHECK(r.usage.prompt_tokens == 912);
}

TEST_CASE("Anthropic answer: anthropic_thinking.json keeps thinking out of the text", "[anthropic][response]") {
  TestServer server(Reply::fixture("anthropic_thinking.json"));
  const Response r = anthropic_at(server.url())->complete(pt::hello(), anthropic_options());
  CHECK(r.text == "925 \xC3\xB7 5 = 185");
  CHECK(r.reasoning == "925 divided by 5 = 185");
  CHECK(r.finish_reason == FinishReason::stop);
  CHECK(r.usage.completion_tokens == 33);
}

TEST_CASE("Anthropic answer: text blocks joined, cache tokens counted in the prompt", "[anthropic][response]") {
  json body = anthropic_message(json::parse(R"([{"type":"text","text":"Hello "},{"type":"redacted_thinking","data":"x"},
    {"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{}},{"type":"text","text":"world"}])"),
                                "end_turn");
  body["usage"] = {{"input_tokens", 10},
                   {"cache_creation_input_tokens", 100},
                   {"cache_read_input_tokens", 1000},
                   {"output_tokens", 20},
                   {"output_tokens_details", {{"thinking_tokens", 7}}}};
  TestServer server(Reply::json(body));
  const Response r = anthropic_at(server.url())->complete(pt::hello(), anthropic_options());
  CHECK(r.text == "Hello world");
  CHECK(r.usage.prompt_tokens == 1110);
  CHECK(r.usage.completion_tokens == 20);
  CHECK(r.usage.reasoning_tokens == 7);
  CHECK(r.usage.total_tokens == 1130);
}

TEST_CASE("Anthropic answer: stop reasons", "[anthropic][response]") {
  const auto [raw, reason] = GENERATE(table<std::string, FinishReason>({
      {"end_turn", FinishReason::stop},
      {"stop_sequence", FinishReason::stop},
      {"max_tokens", FinishReason::length},
      {"model_context_window_exceeded", FinishReason::length},
      {"tool_use", FinishReason::tool_calls},
      {"refusal", FinishReason::content_filter},
      {"pause_turn", FinishReason::other},
      {"a_reason_from_the_future", FinishReason::other},
  }));
  TestServer server(Reply::json(anthropic_message(json::array({{{"type", "text"}, {"text", "x"}}}), raw)));
  const Response r = anthropic_at(server.url())->complete(pt::hello(), anthropic_options());
  CHECK(r.finish_reason == reason);
  CHECK(r.raw_finish_reason == raw);
}

TEST_CASE("Anthropic answer: malformed successes", "[anthropic][response][errors]") {
  TestServer server;
  auto client = anthropic_at(server.url());
  SECTION("no content") {
    server.respond(Reply::json({{"type", "message"}}));
    REQUIRE_THROWS_AS(client->complete(pt::hello(), anthropic_options()), InvalidJsonResponseError);
  }
  SECTION("cut JSON") {
    server.respond(Reply::text(R"({"type":"message","content":[{"type":"te)", 200, "application/json"));
    REQUIRE_THROWS_AS(client->complete(pt::hello(), anthropic_options()), InvalidJsonResponseError);
  }
  SECTION("an error envelope with status 200 is the error it names") {
    server.respond(Reply::fixture("anthropic_529_overloaded_error.json", 200));
    auto e = catch_as<ProviderUnavailableError>([&] { client->complete(pt::hello(), anthropic_options()); });
    REQUIRE(e);
    CHECK(e->provider_code() == "overloaded_error");
  }
}

// =============================================================================================
// Errors: every class with its retry hint
// =============================================================================================

TEST_CASE("Anthropic errors: each fixture maps onto its class", "[anthropic][errors]") {
  struct Case {
    const char* name;
    Reply reply;
    ErrorKind kind;
    int status;
    std::string code;
  };
  const std::vector<Case> cases{
      {"400 invalid_request_error",
       Reply::json(anthropic_error("invalid_request_error", "max_tokens: Field required"), 400), ErrorKind::bad_request,
       400, "invalid_request_error"},
      {"401 authentication_error", Reply::fixture("anthropic_401_authentication_error.json", 401),
       ErrorKind::invalid_api_key, 401, "authentication_error"},
      {"402 billing_error", Reply::json(anthropic_error("billing_error", "Payment required"), 402),
       ErrorKind::invalid_api_key, 402, "billing_error"},
      {"403 permission_error", Reply::fixture("anthropic_403_permission_error.json", 403), ErrorKind::invalid_api_key,
       403, "permission_error"},
      {"404 not_found_error", Reply::fixture("anthropic_404_not_found_error.json", 404), ErrorKind::model_not_found,
       404, "not_found_error"},
      {"500 api_error", Reply::fixture("anthropic_500_api_error.json", 500), ErrorKind::provider_unavailable, 500,
       "api_error"},
      {"504 timeout_error", Reply::json(anthropic_error("timeout_error", "Request timed out"), 504),
       ErrorKind::provider_unavailable, 504, "timeout_error"},
      {"529 overloaded_error",
       Reply::fixture("anthropic_529_overloaded_error.json", 529).with_headers_file("anthropic_529.headers.txt"),
       ErrorKind::provider_unavailable, 529, "overloaded_error"},
      {"400 credit balance too low",
       Reply::json(anthropic_error("invalid_request_error",
                                   "Your credit balance is too low to access the Anthropic API. Please go to Plans & "
                                   "Billing to upgrade or purchase credits."),
                   400),
       ErrorKind::invalid_api_key, 400, "invalid_request_error"},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.name) {
      TestServer server(c.reply);
      auto e = catch_as<Error>([&] { anthropic_at(server.url())->complete(pt::hello(), anthropic_options()); });
      REQUIRE(e);
      INFO(e->what());
      CHECK(pt::str(tag(e->kind())) == pt::str(tag(c.kind)));
      CHECK(e->http_status() == c.status);
      CHECK(e->provider_code() == c.code);
      CHECK(e->model() == "claude-sonnet-4-5-20250929");
      CHECK(e->key_label() == "ANTHROPIC_API_KEY0");
      REQUIRE(e->provider().has_value());
      CHECK(*e->provider() == kAnthropic);
      CHECK_FALSE(e->retry_after().has_value());  // none of these says when to come back
      anthropic_no_leak(*e);
      CHECK(server.count() == 1);  // clients never retry
    }
  }
}

TEST_CASE("Anthropic 400 prompt is too long: a context-length error, another model may take it",
          "[anthropic][errors]") {
  TestServer server(Reply::fixture("anthropic_400_invalid_request_error.json", 400));
  auto e = catch_as<BadRequestError>([&] { anthropic_at(server.url())->complete(pt::hello(), anthropic_options()); });
  REQUIRE(e);
  CHECK(e->context_length());
  CHECK_THAT(e->what(), Catch::Contains("prompt is too long"));
}

TEST_CASE("Anthropic 413 request_too_large: a bad request, not a context-length one", "[anthropic][errors]") {
  TestServer server(Reply::fixture("anthropic_413_request_too_large.json", 413));
  auto e = catch_as<BadRequestError>([&] { anthropic_at(server.url())->complete(pt::hello(), anthropic_options()); });
  REQUIRE(e);
  CHECK(e->cause() == BadRequestError::Cause::request);
  CHECK(e->provider_code() == "request_too_large");
}

TEST_CASE("Anthropic 429: rate limit with its reset", "[anthropic][errors][rate_limit]") {
  SECTION("the real headers: retry-after 12") {
    TestServer server(
        Reply::fixture("anthropic_429_rate_limit_error.json", 429).with_headers_file("anthropic_429.headers.txt"));
    auto e = catch_as<RateLimitError>([&] { anthropic_at(server.url())->complete(pt::hello(), anthropic_options()); });
    REQUIRE(e);
    CHECK(e->scope() == RateLimitError::Scope::key);
    CHECK_FALSE(e->daily());
    CHECK(e->provider_code() == "rate_limit_error");
    REQUIRE(e->retry_after().has_value());
    CHECK(e->retry_after()->count() == 12000);
    anthropic_no_leak(*e);
  }
  SECTION("without retry-after: the latest reset of an exhausted limit, from the response's date") {
    const pt::HeadersFile file = pt::load_headers_file("anthropic_429.headers.txt");
    Reply reply = Reply::fixture("anthropic_429_rate_limit_error.json", 429);
    for (const auto& [name, value] : file.headers) {
      if (name != "retry-after") reply = reply.with_header(name, value);
    }
    // input-tokens: remaining 0, reset 20:00:11 with date 19:59:59 -> 12 s. The other limits
    // have room left, so their resets (one made much later here) do not count.
    TestServer server(reply.with_header("anthropic-ratelimit-output-tokens-reset", "2026-03-20T21:00:00Z"));
    auto e = catch_as<RateLimitError>([&] { anthropic_at(server.url())->complete(pt::hello(), anthropic_options()); });
    REQUIRE(e);
    REQUIRE(e->retry_after().has_value());
    CHECK(e->retry_after()->count() == 12000);
  }
  SECTION("two exhausted limits: the later reset; fractions and offsets understood") {
    TestServer server(Reply::fixture("anthropic_429_rate_limit_error.json", 429)
                          .with_header("date", "Fri, 20 Mar 2026 19:59:59 GMT")
                          .with_header("anthropic-ratelimit-requests-remaining", "0")
                          .with_header("anthropic-ratelimit-requests-reset", "2026-03-20T20:00:04.500Z")
                          .with_header("anthropic-ratelimit-tokens-remaining", "0")
                          .with_header("anthropic-ratelimit-tokens-reset", "2026-03-20T21:00:29+01:00"));
    auto e = catch_as<RateLimitError>([&] { anthropic_at(server.url())->complete(pt::hello(), anthropic_options()); });
    REQUIRE(e);
    REQUIRE(e->retry_after().has_value());
    CHECK(e->retry_after()->count() == 30000);
  }
  SECTION("a spend cap: a lasting wall, no retry-after") {
    json body = anthropic_error("rate_limit_error", "You have reached your specified API usage limits.");
    body["error"]["details"] = {{"error_code", "enforced_spend_limit_reached"}};
    TestServer server(Reply::json(body, 429));
    auto e = catch_as<RateLimitError>([&] { anthropic_at(server.url())->complete(pt::hello(), anthropic_options()); });
    REQUIRE(e);
    CHECK(e->daily());
    CHECK(e->no_quota());
    CHECK_FALSE(e->retry_after().has_value());
  }
}

TEST_CASE("Anthropic key echoed in an error message is masked everywhere", "[anthropic][errors][keys]") {
  TestServer server(Reply::json(anthropic_error("authentication_error", "invalid x-api-key: " + kAnthropicKey), 401));
  auto e =
      catch_as<InvalidApiKeyError>([&] { anthropic_at(server.url())->complete(pt::hello(), anthropic_options()); });
  REQUIRE(e);
  anthropic_no_leak(*e);
}

// =============================================================================================
// Model lists
// =============================================================================================

TEST_CASE("Anthropic list_models pages with after_id while has_more", "[anthropic][models]") {
  TestServer server;
  const std::vector<std::vector<std::string>> pages{{"claude-opus-4-6", "claude-sonnet-4-6"}, {"claude-haiku-4-5"}};
  server.respond_with([&](const pt::RecordedRequest& r) {
    const std::size_t page = r.param("after_id") == "claude-sonnet-4-6" ? 1 : 0;
    json data = json::array();
    for (const auto& id : pages[page]) {
      data.push_back({{"type", "model"},
                      {"id", id},
                      {"display_name", "Claude " + id},
                      {"created_at", "2026-02-04T00:00:00Z"},
                      {"max_input_tokens", 200000},
                      {"max_tokens", 64000}});
    }
    return Reply::json(
        {{"data", data}, {"first_id", pages[page].front()}, {"last_id", pages[page].back()}, {"has_more", page == 0}});
  });
  const auto models = anthropic_at(server.url())->list_models(anthropic_options());
  REQUIRE(server.count() == 2);
  const auto requests = server.requests();
  for (const auto& r : requests) {
    CHECK(r.method == "GET");
    CHECK(r.path == "/v1/models");
    CHECK(r.param("limit") == "1000");
    check_anthropic_headers(r);
  }
  CHECK_FALSE(requests[0].has_param("after_id"));
  CHECK(requests[1].param("after_id") == "claude-sonnet-4-6");
  REQUIRE(models.size() == 3);
  CHECK(models[0].id == "claude-opus-4-6");
  CHECK(models[0].display_name == "Claude claude-opus-4-6");
  CHECK(models[0].context_window == 200000);
  CHECK(models[2].id == "claude-haiku-4-5");
}

TEST_CASE("Anthropic list_models: bounded, typed errors, a list without data", "[anthropic][models]") {
  TestServer server;
  auto client = anthropic_at(server.url());
  SECTION("a server that always has more and repeats its last id stops at once") {
    server.respond(Reply::json({{"data", json::array({{{"id", "m"}}})}, {"last_id", "m"}, {"has_more", true}}));
    CHECK(client->list_models(anthropic_options()).size() == 2);
    CHECK(server.count() == 2);
  }
  SECTION("401") {
    server.respond(Reply::fixture("anthropic_401_authentication_error.json", 401));
    auto e = catch_as<InvalidApiKeyError>([&] { client->list_models(anthropic_options()); });
    REQUIRE(e);
    anthropic_no_leak(*e);
  }
  SECTION("no data") {
    server.respond(Reply::json({{"has_more", false}}));
    REQUIRE_THROWS_AS(client->list_models(anthropic_options()), InvalidJsonResponseError);
  }
}
