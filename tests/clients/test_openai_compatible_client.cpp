// OpenAICompatibleClient (Groq, Cerebras, generic) over real loopback HTTP and real libcurl:
// the exact request sent, parsing of real-shaped answers, and every error class.

#include <algorithm>
#include <chrono>
#include <ctime>
#include <string>
#include <thread>
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
using pt::hello;
using pt::options_for;
using pt::starts_with;
using pt::str;

namespace {

const std::string kGroqKey = pt::fake_key("gsk_", 48, 101);
const std::string kCerebrasKey = pt::fake_key("csk-", 40, 102);
const std::string kOpenAIKey = pt::fake_key("sk-proj-", 48, 103);

CallOptions groq_options(std::string model = "openai/gpt-oss-120b") {
  return options_for(std::move(model), kGroqKey, "GROQ_API_KEY0");
}
CallOptions cerebras_options(std::string model = "gpt-oss-120b") {
  return options_for(std::move(model), kCerebrasKey, "CEREBRAS_API_KEY1");
}
CallOptions openai_options(std::string model = "gpt-4.1-mini") {
  return options_for(std::move(model), kOpenAIKey, "OPENAI_API_KEY");
}

void check_no_leak(const Error& e, const std::string& key) {
  INFO("what(): " << e.what());
  INFO("body_excerpt(): " << e.body_excerpt());
  CHECK_FALSE(pt::leaks_key(e.what(), key));
  CHECK_FALSE(pt::leaks_key(e.body_excerpt(), key));
  CHECK_FALSE(pt::leaks_key(e.detail(), key));
}

// What every classified HTTP error must carry.
void check_http_error(const Error& e, ErrorKind kind, int status, const std::string& code, const CallOptions& o,
                      Provider provider) {
  INFO("what(): " << e.what());
  CHECK(str(tag(e.kind())) == str(tag(kind)));
  CHECK(starts_with(e.what(), "[" + str(tag(kind)) + "]"));
  CHECK(e.http_status() == status);
  CHECK(e.provider_code() == code);
  CHECK(e.model() == o.model);
  CHECK(e.key_label() == o.key_label);
  REQUIRE(e.provider().has_value());
  CHECK(str(to_string(*e.provider())) == str(to_string(provider)));
  CHECK(str(to_string(e.context().transport)) == "none");
  CHECK(std::string(e.what()).find(o.key_label) != std::string::npos);
  check_no_leak(e, o.api_key);
}

json chat_answer(const json& message, const json& finish_reason, const json& extra = json::object()) {
  json body{{"id", "chatcmpl-test"},
            {"object", "chat.completion"},
            {"created", 1770770798},
            {"model", "openai/gpt-oss-120b"},
            {"choices", json::array({{{"index", 0}, {"message", message}, {"finish_reason", finish_reason}}})},
            {"usage", {{"prompt_tokens", 10}, {"completion_tokens", 5}, {"total_tokens", 15}}}};
  for (auto it = extra.begin(); it != extra.end(); ++it) body[it.key()] = it.value();
  return body;
}

std::string http_date_in(std::chrono::seconds from_now) {
  const std::time_t when = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() + from_now);
  std::tm tm{};
  gmtime_r(&when, &tm);
  char buffer[64];
  const std::size_t n = std::strftime(buffer, sizeof buffer, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return std::string(buffer, n);
}

const std::string kCloudflare502 =
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n";

}  // namespace

// =============================================================================================
// The exact request
// =============================================================================================

TEST_CASE("Groq request: POST /openai/v1/chat/completions with bearer key and JSON", "[groq][request]") {
  TestServer server(Reply::fixture("groq_ok.json"));
  auto client = OpenAICompatibleClient::groq(server.url());
  CHECK(client.provider() == Provider::groq);
  CHECK(client.api_base() == server.url() + "/openai/v1");

  client.complete(hello(), groq_options());

  REQUIRE(server.count() == 1);
  const auto r = server.last();
  CHECK(r.method == "POST");
  CHECK(r.path == "/openai/v1/chat/completions");
  CHECK(r.target == "/openai/v1/chat/completions");
  CHECK(r.query.empty());
  CHECK(r.header("authorization") == "Bearer " + kGroqKey);
  CHECK(r.header("content-type") == "application/json");
  CHECK(r.header("accept") == "application/json");
  CHECK(starts_with(r.header("user-agent"), "polyrouter/"));
  CHECK(r.header("user-agent") == std::string("polyrouter/") + POLYROUTER_VERSION_STRING);
  CHECK_FALSE(r.has_header("expect"));  // no 100-continue round trip
  CHECK(r.json() == json{{"model", "openai/gpt-oss-120b"},
                         {"messages", json::array({{{"role", "user"}, {"content", "Hello"}}})}});
}

TEST_CASE("Groq request: a trailing slash on the root is not doubled", "[groq][request]") {
  TestServer server(Reply::fixture("groq_ok.json"));
  auto client = OpenAICompatibleClient::groq(server.url() + "/");
  CHECK(client.api_base() == server.url() + "/openai/v1");
  client.complete(hello(), groq_options());
  CHECK(server.last().path == "/openai/v1/chat/completions");
}

TEST_CASE("Groq request: every ChatRequest field is encoded as the OpenAI wire format", "[groq][request]") {
  TestServer server(Reply::fixture("groq_ok.json"));
  auto client = OpenAICompatibleClient::groq(server.url());

  ChatRequest request;
  request.messages = {Message::system("You are terse."), Message::user("What is the weather in Paris?")};
  Message call = Message::assistant("");
  call.tool_calls.push_back(ToolCall{"call_1", "get_weather", R"({"city":"Paris"})", ""});
  request.messages.push_back(call);
  request.messages.push_back(Message::tool("call_1", "get_weather", R"({"temp_c":18})"));
  request.temperature = 0.7;
  request.top_p = 1.0;
  request.max_tokens = 512;
  request.stop = {"\n\n"};
  request.seed = 42;
  request.response_format = ResponseFormat::json_schema(
      "answer", {{"type", "object"},
                 {"properties", {{"answer", {{"type", "string"}}}}},
                 {"required", {"answer"}},
                 {"additionalProperties", false}});
  request.tools = {Tool{"get_weather", "Current weather for a city", pt::weather_parameters()}};
  request.tool_choice = ToolChoice::automatic();

  client.complete(request, groq_options());

  json expected = pt::fixture_json("openai_request_full.json");
  expected.erase("stream");  // complete() does not stream; it sends no "stream" field at all
  const json sent = server.last().json();
  CHECK(sent == expected);
  CHECK_FALSE(sent.contains("max_tokens"));  // the deprecated name is never sent
  CHECK(sent["messages"][2]["content"].is_null());
  CHECK(sent["messages"][3]["tool_call_id"] == "call_1");
}

TEST_CASE("Groq request: unset optional fields are not sent", "[groq][request]") {
  TestServer server(Reply::fixture("groq_ok.json"));
  auto client = OpenAICompatibleClient::groq(server.url());
  ChatRequest request = ChatRequest::from_prompt("Hi");
  request.messages.insert(request.messages.begin(), Message::system("Be brief."));
  client.complete(request, groq_options());
  const json sent = server.last().json();
  for (const char* field : {"temperature", "top_p", "max_completion_tokens", "stop", "seed", "response_format",
                            "tools", "tool_choice", "stream"}) {
    INFO(field);
    CHECK_FALSE(sent.contains(field));
  }
  CHECK(sent["messages"] == json::array({{{"role", "system"}, {"content", "Be brief."}},
                                         {{"role", "user"}, {"content", "Hi"}}}));
}

TEST_CASE("Groq request: JSON mode sends response_format json_object", "[groq][request]") {
  TestServer server(Reply::fixture("groq_ok.json"));
  auto client = OpenAICompatibleClient::groq(server.url());
  ChatRequest request = ChatRequest::from_prompt("Reply in json");
  request.response_format = ResponseFormat::json_object();
  client.complete(request, groq_options());
  CHECK(server.last().json()["response_format"] == json{{"type", "json_object"}});
}

TEST_CASE("Groq request: tool_choice modes", "[groq][request]") {
  TestServer server(Reply::fixture("groq_ok.json"));
  auto client = OpenAICompatibleClient::groq(server.url());
  ChatRequest request = ChatRequest::from_prompt("Weather?");
  request.tools = {Tool{"get_weather", "", pt::weather_parameters()}};

  SECTION("none") {
    request.tool_choice = ToolChoice::none();
    client.complete(request, groq_options());
    CHECK(server.last().json()["tool_choice"] == "none");
  }
  SECTION("required") {
    request.tool_choice = ToolChoice::required();
    client.complete(request, groq_options());
    CHECK(server.last().json()["tool_choice"] == "required");
  }
  SECTION("a forced function") {
    request.tool_choice = ToolChoice::force("get_weather");
    client.complete(request, groq_options());
    CHECK(server.last().json()["tool_choice"] == json{{"type", "function"}, {"function", {{"name", "get_weather"}}}});
  }
  SECTION("unset sends no tool_choice, and a tool without description has none") {
    client.complete(request, groq_options());
    const json sent = server.last().json();
    CHECK_FALSE(sent.contains("tool_choice"));
    CHECK(sent["tools"] == json::array({{{"type", "function"},
                                         {"function", {{"name", "get_weather"}, {"parameters", pt::weather_parameters()}}}}}));
  }
}

TEST_CASE("Groq request: extra fields pass through and win over polyrouter's", "[groq][request]") {
  TestServer server(Reply::fixture("groq_ok.json"));
  auto client = OpenAICompatibleClient::groq(server.url());
  ChatRequest request = ChatRequest::from_prompt("Hi");
  request.temperature = 0.9;
  request.extra = {{"reasoning_effort", "low"}, {"service_tier", "flex"}, {"temperature", 0.2}};
  client.complete(request, groq_options());
  const json sent = server.last().json();
  CHECK(sent["reasoning_effort"] == "low");
  CHECK(sent["service_tier"] == "flex");
  CHECK(sent["temperature"] == 0.2);
}

TEST_CASE("Groq request: HttpOptions extra headers are sent", "[groq][request]") {
  TestServer server(Reply::fixture("groq_ok.json"));
  HttpOptions http;
  http.extra_headers = {{"X-Title", "polyrouter-tests"}, {"HTTP-Referer", "https://example.test"}};
  auto client = OpenAICompatibleClient::groq(server.url(), http);
  client.complete(hello(), groq_options());
  const auto r = server.last();
  CHECK(r.header("x-title") == "polyrouter-tests");
  CHECK(r.header("http-referer") == "https://example.test");
  CHECK(r.header("authorization") == "Bearer " + kGroqKey);
}

TEST_CASE("Cerebras request: POST /v1/chat/completions with the csk bearer key", "[cerebras][request]") {
  TestServer server(Reply::fixture("cerebras_ok.json").with_headers_file("cerebras_ok.headers.txt"));
  auto client = OpenAICompatibleClient::cerebras(server.url());
  CHECK(client.provider() == Provider::cerebras);
  CHECK(client.api_base() == server.url() + "/v1");

  ChatRequest request = ChatRequest::from_prompt("Hello");
  request.max_tokens = 256;
  request.stop = {"END", "STOP"};
  request.seed = 7;
  request.extra = {{"reasoning_effort", "none"}};
  client.complete(request, cerebras_options());

  const auto r = server.last();
  CHECK(r.method == "POST");
  CHECK(r.path == "/v1/chat/completions");
  CHECK(r.header("authorization") == "Bearer " + kCerebrasKey);
  CHECK(r.header("content-type") == "application/json");
  CHECK(starts_with(r.header("user-agent"), "polyrouter/"));
  const json sent = r.json();
  CHECK(sent["model"] == "gpt-oss-120b");
  CHECK(sent["max_completion_tokens"] == 256);
  CHECK(sent["stop"] == json::array({"END", "STOP"}));
  CHECK(sent["seed"] == 7);
  CHECK(sent["reasoning_effort"] == "none");
}

TEST_CASE("Generic OpenAI-compatible request: the api base includes the version path", "[openai][request]") {
  TestServer server(Reply::fixture("openai_tool_call.json"));
  OpenAICompatibleClient client(server.url() + "/v1/");
  CHECK(client.provider() == Provider::openai_compatible);
  CHECK(client.api_base() == server.url() + "/v1");
  client.complete(hello(), openai_options());
  const auto r = server.last();
  CHECK(r.method == "POST");
  CHECK(r.path == "/v1/chat/completions");
  CHECK(r.header("authorization") == "Bearer " + kOpenAIKey);
  CHECK(r.json()["model"] == "gpt-4.1-mini");
}

// =============================================================================================
// Success parsing
// =============================================================================================

TEST_CASE("Groq answer: text, finish reason, usage and id from groq_ok.json", "[groq][response]") {
  TestServer server(Reply::fixture("groq_ok.json").with_headers_file("groq_ok.headers.txt"));
  auto client = OpenAICompatibleClient::groq(server.url());
  const Response r = client.complete(hello(), groq_options("llama-3.3-70b-versatile"));
  CHECK(r.text == "I'd like to introduce \"Luminaria\" - a joyous holiday that celebrates the magic of light.");
  CHECK(str(to_string(r.finish_reason)) == "stop");
  CHECK(r.raw_finish_reason == "stop");
  CHECK(r.usage.prompt_tokens == 45);
  CHECK(r.usage.completion_tokens == 607);
  CHECK(r.usage.total_tokens == 652);
  CHECK(r.usage.reasoning_tokens == 0);
  CHECK(r.id == "chatcmpl-09d64d2a-ed1c-4473-829f-78db43f45d13");
  CHECK(r.provider == Provider::groq);
  CHECK(r.model == "llama-3.3-70b-versatile");
  CHECK(r.tool_calls.empty());
  CHECK(r.attempts.empty());
  CHECK(r.key_label.empty());  // set by the orchestrator, not by a client
}

TEST_CASE("Groq answer: a tool call from groq_tool_call.json", "[groq][response][tools]") {
  TestServer server(Reply::fixture("groq_tool_call.json"));
  auto client = OpenAICompatibleClient::groq(server.url());
  const Response r = client.complete(hello(), groq_options());
  REQUIRE(r.tool_calls.size() == 1);
  CHECK(r.tool_calls[0].id == "ax9fskhev");
  CHECK(r.tool_calls[0].name == "weather");
  CHECK(r.tool_calls[0].arguments == "{}");
  CHECK(r.tool_calls[0].signature.empty());
  CHECK(r.text.empty());
  CHECK(str(to_string(r.finish_reason)) == "tool_calls");
  CHECK(r.raw_finish_reason == "tool_calls");
  CHECK(r.usage.total_tokens == 233);
}

TEST_CASE("Generic answer: a tool call from openai_tool_call.json", "[openai][response][tools]") {
  TestServer server(Reply::fixture("openai_tool_call.json"));
  OpenAICompatibleClient client(server.url() + "/v1");
  const Response r = client.complete(hello(), openai_options());
  REQUIRE(r.tool_calls.size() == 1);
  CHECK(r.tool_calls[0].id == "call_Ab12Cd34Ef56Gh78");
  CHECK(r.tool_calls[0].name == "get_weather");
  CHECK(json::parse(r.tool_calls[0].arguments) == json{{"city", "Paris"}});
  CHECK(r.tool_calls[0].arguments == R"({"city":"Paris"})");  // kept exactly as the model wrote it
  CHECK(r.text.empty());  // content: null
  CHECK(str(to_string(r.finish_reason)) == "tool_calls");
  CHECK(r.usage.prompt_tokens == 82);
  CHECK(r.usage.completion_tokens == 17);
  CHECK(r.usage.total_tokens == 99);
  CHECK(r.id == "chatcmpl-9xYzAbCdEf0123456789");
  CHECK(r.provider == Provider::openai_compatible);
}

TEST_CASE("Groq answer: invalid tool-call arguments are returned as written", "[groq][response][tools]") {
  const json message{{"role", "assistant"},
                     {"tool_calls", json::array({{{"id", "c1"},
                                                  {"type", "function"},
                                                  {"function", {{"name", "f"}, {"arguments", "{\"a\": 1,"}}}}})}};
  TestServer server(Reply::json(chat_answer(message, "tool_calls")));
  auto client = OpenAICompatibleClient::groq(server.url());
  const Response r = client.complete(hello(), groq_options());
  REQUIRE(r.tool_calls.size() == 1);
  CHECK(r.tool_calls[0].arguments == "{\"a\": 1,");
}

TEST_CASE("Groq answer: JSON mode content and reasoning tokens", "[groq][response]") {
  json body = chat_answer({{"role", "assistant"}, {"content", R"({"answer":"Paris"})"}}, "stop");
  body["usage"] = {{"prompt_tokens", 20},
                   {"completion_tokens", 40},
                   {"total_tokens", 60},
                   {"completion_tokens_details", {{"reasoning_tokens", 31}}}};
  TestServer server(Reply::json(body));
  auto client = OpenAICompatibleClient::groq(server.url());
  ChatRequest request = ChatRequest::from_prompt("Capital of France, as json");
  request.response_format = ResponseFormat::json_object();
  const Response r = client.complete(request, groq_options());
  CHECK(json::parse(r.text) == json{{"answer", "Paris"}});
  CHECK(r.usage.reasoning_tokens == 31);
  CHECK(r.usage.completion_tokens == 40);
}

TEST_CASE("Groq answer: usage only under x_groq (older responses)", "[groq][response]") {
  json body = chat_answer({{"role", "assistant"}, {"content", "ok"}}, "stop");
  body.erase("usage");
  body["x_groq"] = {{"id", "req_1"}, {"usage", {{"prompt_tokens", 3}, {"completion_tokens", 4}, {"total_tokens", 7}}}};
  TestServer server(Reply::json(body));
  auto client = OpenAICompatibleClient::groq(server.url());
  const Response r = client.complete(hello(), groq_options());
  CHECK(r.usage.prompt_tokens == 3);
  CHECK(r.usage.completion_tokens == 4);
  CHECK(r.usage.total_tokens == 7);
}

TEST_CASE("OpenAI-compatible answer: finish reasons are normalized and kept raw", "[groq][response]") {
  struct Case {
    json raw;
    const char* normalized;
  };
  const std::vector<Case> cases{{"stop", "stop"},
                                {"length", "length"},
                                {"tool_calls", "tool_calls"},
                                {"function_call", "tool_calls"},
                                {"content_filter", "content_filter"},
                                {"end_turn", "other"},
                                {nullptr, "unknown"}};
  for (const Case& c : cases) {
    DYNAMIC_SECTION("finish_reason " << c.raw.dump()) {
      TestServer server(Reply::json(chat_answer({{"role", "assistant"}, {"content", "x"}}, c.raw)));
      auto client = OpenAICompatibleClient::groq(server.url());
      const Response r = client.complete(hello(), groq_options());
      CHECK(str(to_string(r.finish_reason)) == c.normalized);
      CHECK(r.raw_finish_reason == (c.raw.is_string() ? c.raw.get<std::string>() : std::string()));
    }
  }
}

TEST_CASE("Cerebras answer: cerebras_ok.json, reasoning kept out of the text", "[cerebras][response]") {
  TestServer server(Reply::fixture("cerebras_ok.json").with_headers_file("cerebras_ok.headers.txt"));
  auto client = OpenAICompatibleClient::cerebras(server.url());
  const Response r = client.complete(hello(), cerebras_options());
  CHECK(r.text == "Hello! How can I help you today?");
  CHECK(r.text.find("The user greets") == std::string::npos);
  CHECK(str(to_string(r.finish_reason)) == "stop");
  CHECK(r.usage.prompt_tokens == 71);
  CHECK(r.usage.completion_tokens == 24);
  CHECK(r.usage.total_tokens == 95);
  CHECK(r.id == "chatcmpl-4f0b8c3e-1a2b-4c5d-9e8f-0123456789ab");
  CHECK(r.provider == Provider::cerebras);
  CHECK(r.model == "gpt-oss-120b");
}

TEST_CASE("Cerebras answer: a reasoning model cut by the cap has no text and finish length",
          "[cerebras][response]") {
  const json message{{"role", "assistant"}, {"reasoning", "Let me think about this at length..."}};
  TestServer server(Reply::json(chat_answer(message, "length")));
  auto client = OpenAICompatibleClient::cerebras(server.url());
  const Response r = client.complete(hello(), cerebras_options());
  CHECK(r.text.empty());
  CHECK(str(to_string(r.finish_reason)) == "length");
}

// =============================================================================================
// Errors: Groq
// =============================================================================================

namespace {

struct MappingCase {
  const char* name;
  Reply reply;
  ErrorKind kind;
  int status;
  std::string code;
};

template <typename Client>
void run_mapping_cases(const std::vector<MappingCase>& cases, Client make_client, const CallOptions& o,
                       Provider provider) {
  for (const MappingCase& c : cases) {
    DYNAMIC_SECTION(c.name) {
      TestServer server(c.reply);
      auto client = make_client(server.url());
      auto e = catch_as<Error>([&] { client.complete(hello(), o); });
      REQUIRE(e);
      check_http_error(*e, c.kind, c.status, c.code, o, provider);
      CHECK(server.count() == 1);  // clients never retry
    }
  }
}

}  // namespace

TEST_CASE("Groq errors: each status and body maps onto its class", "[groq][errors]") {
  const std::vector<MappingCase> cases{
      {"400 json mode with tools", Reply::fixture("groq_400_json_mode_with_tools.json", 400),
       ErrorKind::bad_request, 400, "invalid_request_error"},
      {"401 invalid_api_key", Reply::fixture("groq_401_invalid_api_key.json", 401), ErrorKind::invalid_api_key, 401,
       "invalid_api_key"},
      {"403 organization_restricted", Reply::fixture("groq_403_organization_restricted.json", 403),
       ErrorKind::invalid_api_key, 403, "organization_restricted"},
      {"400 organization_restricted", Reply::fixture("groq_403_organization_restricted.json", 400),
       ErrorKind::invalid_api_key, 400, "organization_restricted"},
      {"404 model_not_found", Reply::fixture("groq_404_model_not_found.json", 404), ErrorKind::model_not_found, 404,
       "model_not_found"},
      {"400 model_decommissioned",
       Reply::json({{"error",
                     {{"message",
                       "The model `llama-3.1-70b-versatile` has been decommissioned and is no longer supported. "
                       "Please refer to https://console.groq.com/docs/deprecations for a recommendation on which "
                       "model to use instead."},
                      {"type", "invalid_request_error"},
                      {"code", "model_decommissioned"}}}},
                   400),
       ErrorKind::model_not_found, 400, "model_decommissioned"},
      {"408 request timeout",
       Reply::json({{"error", {{"message", "Request Timeout"}, {"type", "timeout_error"}}}}, 408),
       ErrorKind::provider_unavailable, 408, "timeout_error"},
      {"409 conflict", Reply::json({{"error", {{"message", "Conflict"}, {"type", "conflict_error"}}}}, 409),
       ErrorKind::provider_unavailable, 409, "conflict_error"},
      {"422 unprocessable",
       Reply::json({{"error",
                     {{"message", "Unprocessable Entity: the model output could not be parsed"},
                      {"type", "invalid_request_error"}}}},
                   422),
       ErrorKind::bad_request, 422, "invalid_request_error"},
      {"500 internal",
       Reply::json({{"error", {{"message", "Internal Server Error"}, {"type", "internal_server_error"}}}}, 500),
       ErrorKind::provider_unavailable, 500, "internal_server_error"},
      {"502 Cloudflare HTML page", Reply::text(kCloudflare502, 502, "text/html"), ErrorKind::provider_unavailable,
       502, ""},
      {"503 Envoy plain text",
       Reply::text("upstream connect error or disconnect/reset before headers. reset reason: overflow", 503),
       ErrorKind::provider_unavailable, 503, ""},
      {"504 gateway timeout HTML",
       Reply::text("<html><body><h1>504 Gateway Time-out</h1></body></html>", 504, "text/html"),
       ErrorKind::provider_unavailable, 504, ""},
  };
  run_mapping_cases(
      cases, [](const std::string& url) { return OpenAICompatibleClient::groq(url); }, groq_options(),
      Provider::groq);
}

TEST_CASE("Groq 400 plain bad request: cause request, no retry hint", "[groq][errors]") {
  TestServer server(Reply::fixture("groq_400_json_mode_with_tools.json", 400));
  auto client = OpenAICompatibleClient::groq(server.url());
  auto e = catch_as<BadRequestError>([&] { client.complete(hello(), groq_options()); });
  REQUIRE(e);
  check_no_leak(*e, kGroqKey);
  CHECK(e->cause() == BadRequestError::Cause::request);
  CHECK_FALSE(e->context_length());
  CHECK(e->detail() == "json mode cannot be combined with tool/function calling");
  CHECK_FALSE(e->retry_after().has_value());
  CHECK(e->body_excerpt().find("json mode cannot be combined") != std::string::npos);
}

TEST_CASE("Groq 400 context_length_exceeded: context_length() is true", "[groq][errors]") {
  TestServer server(Reply::fixture("groq_400_context_length_exceeded.json", 400));
  auto client = OpenAICompatibleClient::groq(server.url());
  auto e = catch_as<BadRequestError>([&] { client.complete(hello(), groq_options()); });
  REQUIRE(e);
  check_http_error(*e, ErrorKind::bad_request, 400, "context_length_exceeded", groq_options(), Provider::groq);
  CHECK(e->context_length());
  CHECK(e->cause() == BadRequestError::Cause::context_length);
}

TEST_CASE("Groq 400 tool_use_failed and json_validate_failed: cause model_output", "[groq][errors]") {
  for (const char* name : {"groq_400_tool_use_failed.json", "groq_400_json_validate_failed.json"}) {
    DYNAMIC_SECTION(name) {
      TestServer server(Reply::fixture(name, 400));
      auto client = OpenAICompatibleClient::groq(server.url());
      auto e = catch_as<BadRequestError>([&] { client.complete(hello(), groq_options()); });
      REQUIRE(e);
      check_no_leak(*e, kGroqKey);
      CHECK(e->cause() == BadRequestError::Cause::model_output);
      CHECK_FALSE(e->context_length());
      CHECK(e->http_status() == 400);
      CHECK(starts_with(e->what(), "[polyrouter.bad_request]"));
      check_no_leak(*e, kGroqKey);
    }
  }
}

TEST_CASE("Groq 413 Request too large: BadRequest with context_length", "[groq][errors]") {
  const json body{
      {"error",
       {{"message",
         "Request too large for model `openai/gpt-oss-120b` in organization `org_01kes94v04f9ramd2n1vj4gjnc` "
         "service tier `on_demand` on tokens per minute (TPM): Limit 8000, Requested 12328, please reduce your "
         "message size and try again. Need more tokens? Upgrade to Dev Tier today at "
         "https://console.groq.com/settings/billing"},
        {"type", "tokens"},
        {"code", "rate_limit_exceeded"}}}};
  TestServer server(Reply::json(body, 413));
  auto client = OpenAICompatibleClient::groq(server.url());
  REQUIRE_THROWS_AS(client.complete(hello(), groq_options()), BadRequestError);
  auto e = catch_as<BadRequestError>([&] { client.complete(hello(), groq_options()); });
  REQUIRE(e);
  check_http_error(*e, ErrorKind::bad_request, 413, "rate_limit_exceeded", groq_options(), Provider::groq);
  CHECK(e->context_length());
  CHECK_FALSE(e->retry_after().has_value());
}

TEST_CASE("Groq 429 with the real headers: retry-after wins over the message", "[groq][errors][rate_limit]") {
  TestServer server(Reply::fixture("groq_429.json").with_headers_file("groq_429.headers.txt"));
  auto client = OpenAICompatibleClient::groq(server.url());
  REQUIRE_THROWS_AS(client.complete(hello(), groq_options()), RateLimitError);
  auto e = catch_as<RateLimitError>([&] { client.complete(hello(), groq_options()); });
  REQUIRE(e);
  check_http_error(*e, ErrorKind::rate_limit, 429, "rate_limit_exceeded", groq_options(), Provider::groq);
  CHECK(e->scope() == RateLimitError::Scope::key);
  CHECK_FALSE(e->daily());
  REQUIRE(e->retry_after().has_value());
  CHECK(e->retry_after()->count() == 12000);  // retry-after: 12
  CHECK(std::string(e->what()).find("retry after 12000 ms") != std::string::npos);
}

TEST_CASE("Groq 429 without headers: the wait is read from the message", "[groq][errors][rate_limit]") {
  TestServer server(Reply::fixture("groq_429.json", 429));
  auto client = OpenAICompatibleClient::groq(server.url());
  auto e = catch_as<RateLimitError>([&] { client.complete(hello(), groq_options()); });
  REQUIRE(e);
  check_no_leak(*e, kGroqKey);
  REQUIRE(e->retry_after().has_value());
  CHECK(e->retry_after()->count() == 11455);  // "Please try again in 11.455s."
  CHECK_FALSE(e->daily());
  CHECK(e->scope() == RateLimitError::Scope::key);
}

TEST_CASE("Groq 429 per-day wall (RPD): daily()", "[groq][errors][rate_limit]") {
  TestServer server(Reply::fixture("groq_429_rpd.json", 429));
  auto client = OpenAICompatibleClient::groq(server.url());
  auto e = catch_as<RateLimitError>([&] { client.complete(hello(), groq_options("openai/gpt-oss-20b")); });
  REQUIRE(e);
  check_http_error(*e, ErrorKind::rate_limit, 429, "rate_limit_exceeded", groq_options("openai/gpt-oss-20b"),
                   Provider::groq);
  CHECK(e->daily());
  CHECK(e->scope() == RateLimitError::Scope::key);
  REQUIRE(e->retry_after().has_value());
  CHECK(e->retry_after()->count() == 86400);  // "Please try again in 1m26.4s."
}

TEST_CASE("Groq 429 hint from x-ratelimit-reset of the exhausted bucket only", "[groq][errors][rate_limit]") {
  const json body{{"error",
                   {{"message",
                     "Rate limit reached for model `openai/gpt-oss-120b` in organization "
                     "`org_01kes94v04f9ramd2n1vj4gjnc` service tier `on_demand` on requests per minute (RPM): "
                     "Limit 30, Used 30, Requested 1."},
                    {"type", "requests"},
                    {"code", "rate_limit_exceeded"}}}};
  TestServer server;
  auto client = OpenAICompatibleClient::groq(server.url());

  SECTION("requests exhausted, tokens not") {
    server.respond(Reply::json(body, 429)
                       .with_header("x-ratelimit-limit-requests", "14400")
                       .with_header("x-ratelimit-remaining-requests", "0")
                       .with_header("x-ratelimit-reset-requests", "2m59.56s")
                       .with_header("x-ratelimit-remaining-tokens", "5843")
                       .with_header("x-ratelimit-reset-tokens", "1.57s"));
    auto e = catch_as<RateLimitError>([&] { client.complete(hello(), groq_options()); });
    REQUIRE(e);
    check_no_leak(*e, kGroqKey);
    REQUIRE(e->retry_after().has_value());
    CHECK(e->retry_after()->count() == 179560);
  }
  SECTION("tokens exhausted, requests not") {
    server.respond(Reply::json(body, 429)
                       .with_header("x-ratelimit-remaining-requests", "14350")
                       .with_header("x-ratelimit-reset-requests", "2m59.56s")
                       .with_header("x-ratelimit-remaining-tokens", "0")
                       .with_header("x-ratelimit-reset-tokens", "7.66s"));
    auto e = catch_as<RateLimitError>([&] { client.complete(hello(), groq_options()); });
    REQUIRE(e);
    check_no_leak(*e, kGroqKey);
    REQUIRE(e->retry_after().has_value());
    CHECK(e->retry_after()->count() == 7660);
  }
  SECTION("no bucket exhausted: no hint") {
    server.respond(Reply::json(body, 429)
                       .with_header("x-ratelimit-remaining-requests", "14350")
                       .with_header("x-ratelimit-reset-requests", "2m59.56s")
                       .with_header("x-ratelimit-remaining-tokens", "7563")
                       .with_header("x-ratelimit-reset-tokens", "11.455s"));
    auto e = catch_as<RateLimitError>([&] { client.complete(hello(), groq_options()); });
    REQUIRE(e);
    check_no_leak(*e, kGroqKey);
    CHECK_FALSE(e->retry_after().has_value());
  }
}

TEST_CASE("429 retry-after as an HTTP-date", "[groq][errors][rate_limit]") {
  TestServer server(Reply::fixture("groq_429.json", 429).with_header("Retry-After", http_date_in(30s)));
  auto client = OpenAICompatibleClient::groq(server.url());
  auto e = catch_as<RateLimitError>([&] { client.complete(hello(), groq_options()); });
  REQUIRE(e);
  check_no_leak(*e, kGroqKey);
  REQUIRE(e->retry_after().has_value());
  // The date has one-second resolution and a little time passes: 28 s < hint <= 30 s.
  CHECK(e->retry_after()->count() > 28000);
  CHECK(e->retry_after()->count() <= 30000);
}

TEST_CASE("429 retry-after-ms wins over retry-after", "[groq][errors][rate_limit]") {
  TestServer server(Reply::fixture("groq_429.json", 429)
                        .with_header("retry-after-ms", "1500")
                        .with_header("retry-after", "12"));
  auto client = OpenAICompatibleClient::groq(server.url());
  auto e = catch_as<RateLimitError>([&] { client.complete(hello(), groq_options()); });
  REQUIRE(e);
  check_no_leak(*e, kGroqKey);
  REQUIRE(e->retry_after().has_value());
  CHECK(e->retry_after()->count() == 1500);
}

TEST_CASE("Groq 498 flex capacity_exceeded: provider-wide rate limit", "[groq][errors][rate_limit]") {
  const json body{{"error",
                   {{"message", "Flex tier capacity exceeded. This is a temporary issue, please try again later."},
                    {"type", "capacity_exceeded"},
                    {"code", "capacity_exceeded"}}}};
  TestServer server(Reply::json(body, 498));
  auto client = OpenAICompatibleClient::groq(server.url());
  auto e = catch_as<RateLimitError>([&] { client.complete(hello(), groq_options()); });
  REQUIRE(e);
  check_http_error(*e, ErrorKind::rate_limit, 498, "capacity_exceeded", groq_options(), Provider::groq);
  CHECK(e->scope() == RateLimitError::Scope::provider);
  CHECK_FALSE(e->daily());
}

TEST_CASE("Groq behind Cloudflare: a 403 block page blocks the network, not the key", "[groq][errors]") {
  // The page Cloudflare serves a blocked network (protocols.md §6.7), shortened.
  const std::string page =
      "<!DOCTYPE html>\n<html><head><title>Attention Required! | Cloudflare</title></head><body>"
      "<h1>Sorry, you have been blocked</h1><h2>You are unable to access groq.com</h2>"
      "<span>Cloudflare Ray ID: <strong>8828f41b9aba80aa</strong></span></body></html>";
  TestServer server;
  auto client = OpenAICompatibleClient::groq(server.url());
  server.respond(Reply::text(page, 403, "text/html"));
  auto e = catch_as<RateLimitError>([&] { client.complete(hello(), groq_options()); });
  REQUIRE(e);
  check_no_leak(*e, kGroqKey);
  CHECK(e->scope() == RateLimitError::Scope::network);
  CHECK(e->http_status() == 403);
  // A plain 403 is still the key's.
  server.respond(Reply::text("Forbidden", 403, "text/plain"));
  CHECK(catch_as<InvalidApiKeyError>([&] { client.complete(hello(), groq_options()); }));
}

TEST_CASE("Groq 502 HTML and 503 plain text: excerpt and content type kept", "[groq][errors]") {
  TestServer server;
  auto client = OpenAICompatibleClient::groq(server.url());
  SECTION("502 HTML") {
    server.respond(Reply::text(kCloudflare502, 502, "text/html"));
    auto e = catch_as<ProviderUnavailableError>([&] { client.complete(hello(), groq_options()); });
    REQUIRE(e);
    check_no_leak(*e, kGroqKey);
    CHECK(str(tag(e->kind())) == "polyrouter.provider_unavailable");
    CHECK(e->body_excerpt().find("502 Bad Gateway") != std::string::npos);
    CHECK(e->body_excerpt().find("\r") == std::string::npos);  // whitespace collapsed
    CHECK(e->detail().find("text/html") != std::string::npos);
  }
  SECTION("503 plain text") {
    server.respond(Reply::text("upstream connect error or disconnect/reset before headers. reset reason: overflow",
                               503));
    auto e = catch_as<ProviderUnavailableError>([&] { client.complete(hello(), groq_options()); });
    REQUIRE(e);
    check_no_leak(*e, kGroqKey);
    CHECK(e->http_status() == 503);
    CHECK(e->body_excerpt().find("upstream connect error") != std::string::npos);
    CHECK(e->detail().find("text/plain") != std::string::npos);
  }
}

TEST_CASE("Groq 200 carrying an error envelope is an error, not a success", "[groq][errors]") {
  const json body{{"error", {{"message", "The server had an error while processing your request."},
                             {"type", "internal_server_error"}}}};
  TestServer server(Reply::json(body, 200));
  auto client = OpenAICompatibleClient::groq(server.url());
  auto e = catch_as<ProviderUnavailableError>([&] { client.complete(hello(), groq_options()); });
  REQUIRE(e);
  check_no_leak(*e, kGroqKey);
  CHECK(e->provider_code() == "internal_server_error");
}

// =============================================================================================
// Errors: Cerebras
// =============================================================================================

TEST_CASE("Cerebras errors: flat envelopes map onto their classes", "[cerebras][errors]") {
  const std::vector<MappingCase> cases{
      {"401 wrong_api_key", Reply::fixture("cerebras_401_wrong_api_key.json", 401), ErrorKind::invalid_api_key, 401,
       "wrong_api_key"},
      {"403 Not authenticated", Reply::json({{"detail", "Not authenticated"}}, 403), ErrorKind::invalid_api_key, 403,
       ""},
      {"402 payment required",
       Reply::json({{"message", "Payment required: your organization has no remaining credits."},
                    {"type", "payment_required_error"},
                    {"param", "billing"},
                    {"code", "payment_required"}},
                   402),
       ErrorKind::invalid_api_key, 402, "payment_required"},
      {"404 model_not_found", Reply::fixture("cerebras_404_model_not_found.json", 404), ErrorKind::model_not_found,
       404, "model_not_found"},
      {"400 bad request",
       Reply::json({{"message", "Invalid value for 'temperature': must be between 0 and 1.5"},
                    {"type", "invalid_request_error"},
                    {"param", "temperature"},
                    {"code", "invalid_value"}},
                   400),
       ErrorKind::bad_request, 400, "invalid_value"},
      {"422 unprocessable",
       Reply::json({{"message", "Unprocessable entity"}, {"type", "invalid_request_error"}}, 422),
       ErrorKind::bad_request, 422, "invalid_request_error"},
      {"429 requests per minute", Reply::fixture("cerebras_429_requests.json", 429), ErrorKind::rate_limit, 429,
       "request_quota_exceeded"},
      {"500 internal", Reply::json({{"message", "Internal server error"}, {"type", "server_error"}}, 500),
       ErrorKind::provider_unavailable, 500, "server_error"},
      {"503 unavailable", Reply::text("Service Unavailable", 503), ErrorKind::provider_unavailable, 503, ""},
  };
  run_mapping_cases(
      cases, [](const std::string& url) { return OpenAICompatibleClient::cerebras(url); }, cerebras_options(),
      Provider::cerebras);
}

TEST_CASE("Cerebras 403 Not authenticated keeps the detail text", "[cerebras][errors]") {
  TestServer server(Reply::json({{"detail", "Not authenticated"}}, 403));
  auto client = OpenAICompatibleClient::cerebras(server.url());
  auto e = catch_as<InvalidApiKeyError>([&] { client.complete(hello(), cerebras_options()); });
  REQUIRE(e);
  check_no_leak(*e, kCerebrasKey);
  CHECK(e->detail() == "Not authenticated");
}

TEST_CASE("Cerebras 400 context too long: context_length()", "[cerebras][errors]") {
  const json body{{"message", "Please reduce the length of the messages or completion. Current length is 140000 "
                              "while limit is 131072"},
                  {"type", "invalid_request_error"},
                  {"param", "messages"},
                  {"code", "context_length_exceeded"}};
  TestServer server(Reply::json(body, 400));
  auto client = OpenAICompatibleClient::cerebras(server.url());
  auto e = catch_as<BadRequestError>([&] { client.complete(hello(), cerebras_options()); });
  REQUIRE(e);
  check_no_leak(*e, kCerebrasKey);
  CHECK(e->context_length());
  CHECK(e->provider_code() == "context_length_exceeded");
}

TEST_CASE("Cerebras 429 with float-second rate-limit headers", "[cerebras][errors][rate_limit]") {
  TestServer server;
  auto client = OpenAICompatibleClient::cerebras(server.url());
  SECTION("requests per minute, headers from the fixture") {
    server.respond(Reply::fixture("cerebras_429_requests.json").with_headers_file("cerebras_429_requests.headers.txt"));
    auto e = catch_as<RateLimitError>([&] { client.complete(hello(), cerebras_options()); });
    REQUIRE(e);
    check_http_error(*e, ErrorKind::rate_limit, 429, "request_quota_exceeded", cerebras_options(),
                     Provider::cerebras);
    CHECK(e->scope() == RateLimitError::Scope::key);
    CHECK_FALSE(e->daily());
    REQUIRE(e->retry_after().has_value());
    CHECK(e->retry_after()->count() == 11383);  // x-ratelimit-reset-tokens-minute: 11.382867097854614
  }
  SECTION("tokens per minute") {
    server.respond(Reply::fixture("cerebras_429_tokens_minute.json", 429)
                       .with_header("x-ratelimit-remaining-requests-day", "14000")
                       .with_header("x-ratelimit-reset-requests-day", "33011.382867097855")
                       .with_header("x-ratelimit-remaining-tokens-minute", "0")
                       .with_header("x-ratelimit-reset-tokens-minute", "42.5"));
    auto e = catch_as<RateLimitError>([&] { client.complete(hello(), cerebras_options()); });
    REQUIRE(e);
    check_no_leak(*e, kCerebrasKey);
    CHECK(e->provider_code() == "token_quota_exceeded");
    REQUIRE(e->retry_after().has_value());
    CHECK(e->retry_after()->count() == 42500);
  }
  SECTION("retry-after seconds") {
    server.respond(Reply::fixture("cerebras_429_requests.json", 429).with_header("retry-after", "60"));
    auto e = catch_as<RateLimitError>([&] { client.complete(hello(), cerebras_options()); });
    REQUIRE(e);
    check_no_leak(*e, kCerebrasKey);
    REQUIRE(e->retry_after().has_value());
    CHECK(e->retry_after()->count() == 60000);
  }
}

TEST_CASE("Cerebras 429 queue_exceeded: provider scope", "[cerebras][errors][rate_limit]") {
  const json body{{"message", "We're experiencing high traffic right now! Please try again soon."},
                  {"type", "too_many_requests_error"},
                  {"param", "queue"},
                  {"code", "queue_exceeded"}};
  TestServer server(Reply::json(body, 429));
  auto client = OpenAICompatibleClient::cerebras(server.url());
  auto e = catch_as<RateLimitError>([&] { client.complete(hello(), cerebras_options()); });
  REQUIRE(e);
  check_http_error(*e, ErrorKind::rate_limit, 429, "queue_exceeded", cerebras_options(), Provider::cerebras);
  CHECK(e->scope() == RateLimitError::Scope::provider);
  CHECK_FALSE(e->daily());
  CHECK_FALSE(e->retry_after().has_value());  // "try again soon" is no duration
}

TEST_CASE("Cerebras 429 tokens per day: daily()", "[cerebras][errors][rate_limit]") {
  const json body{{"message", "Tokens per day limit exceeded - too many tokens processed."},
                  {"type", "too_many_tokens_error"},
                  {"param", "quota"},
                  {"code", "token_quota_exceeded"}};
  TestServer server(Reply::json(body, 429));
  auto client = OpenAICompatibleClient::cerebras(server.url());
  auto e = catch_as<RateLimitError>([&] { client.complete(hello(), cerebras_options()); });
  REQUIRE(e);
  check_no_leak(*e, kCerebrasKey);
  CHECK(e->daily());
  CHECK(e->scope() == RateLimitError::Scope::key);
}

TEST_CASE("Generic 401 from openai_401_invalid_api_key.json", "[openai][errors]") {
  TestServer server(Reply::fixture("openai_401_invalid_api_key.json", 401));
  OpenAICompatibleClient client(server.url() + "/v1");
  auto e = catch_as<InvalidApiKeyError>([&] { client.complete(hello(), openai_options()); });
  REQUIRE(e);
  check_http_error(*e, ErrorKind::invalid_api_key, 401, "invalid_api_key", openai_options(),
                   Provider::openai_compatible);
  CHECK(e->detail().find("Incorrect API key provided") != std::string::npos);
}

// =============================================================================================
// Keys never leak
// =============================================================================================

TEST_CASE("Groq key echoed in an error body is masked everywhere", "[groq][errors][keys]") {
  const json body{{"error",
                   {{"message", "Incorrect API key provided: " + kGroqKey +
                                    ". You can find your API key at https://console.groq.com/keys."},
                    {"type", "invalid_request_error"},
                    {"code", "invalid_api_key"}}}};
  TestServer server(Reply::json(body, 401));
  auto client = OpenAICompatibleClient::groq(server.url());
  auto e = catch_as<InvalidApiKeyError>([&] { client.complete(hello(), groq_options()); });
  REQUIRE(e);
  check_no_leak(*e, kGroqKey);
  const std::string masked = mask_key(kGroqKey);
  CHECK(e->detail().find(masked) != std::string::npos);
  CHECK(e->body_excerpt().find(masked) != std::string::npos);
  CHECK(std::string(e->what()).find("GROQ_API_KEY0") != std::string::npos);
}

TEST_CASE("Cerebras key echoed in a flat error body is masked everywhere", "[cerebras][errors][keys]") {
  const json body{{"message", "Wrong API Key: " + kCerebrasKey},
                  {"type", "invalid_request_error"},
                  {"param", "api_key"},
                  {"code", "wrong_api_key"}};
  TestServer server(Reply::json(body, 401));
  auto client = OpenAICompatibleClient::cerebras(server.url());
  auto e = catch_as<InvalidApiKeyError>([&] { client.complete(hello(), cerebras_options()); });
  REQUIRE(e);
  check_no_leak(*e, kCerebrasKey);
  CHECK(e->detail().find(mask_key(kCerebrasKey)) != std::string::npos);
}

TEST_CASE("Key echoed in an HTML error page is masked in the excerpt", "[groq][errors][keys]") {
  TestServer server(Reply::text("<html><body>Bad key " + kGroqKey + "</body></html>", 502, "text/html"));
  auto client = OpenAICompatibleClient::groq(server.url());
  auto e = catch_as<ProviderUnavailableError>([&] { client.complete(hello(), groq_options()); });
  REQUIRE(e);
  check_no_leak(*e, kGroqKey);
}

TEST_CASE("A self-hosted server's key of no known shape echoed in the message is masked",
          "[openai][errors][keys]") {
  // llama.cpp / vLLM keys are whatever the operator chose: only the secret itself identifies them.
  const std::string key = "local-" + pt::fake_key("", 26, 104);
  TestServer server(Reply::json({{"error",
                                  {{"message", "Invalid API key: " + key},
                                   {"type", "authentication_error"},
                                   {"code", "invalid_api_key"}}}},
                                401));
  OpenAICompatibleClient client(server.url() + "/v1");
  auto e = catch_as<InvalidApiKeyError>([&] { client.complete(hello(), options_for("qwen3", key, "LOCAL_KEY")); });
  REQUIRE(e);
  CHECK_FALSE(pt::leaks_key(e->body_excerpt(), key));
  CHECK_FALSE(pt::leaks_key(e->detail(), key));
  CHECK_FALSE(pt::leaks_key(e->what(), key));
}

TEST_CASE("A key cut by the excerpt's length limit does not leak its first characters",
          "[groq][errors][keys]") {
  // The key starts 19 characters before the excerpt's 240-character limit.
  const std::string prefix = R"({"error":{"message":")";
  // A space before the key, so only the cut (not the key's neighbour) decides whether it is masked.
  const std::string body = prefix + std::string(220 - prefix.size(), 'x') + " " + kGroqKey +
                           R"( is not valid","type":"invalid_request_error","code":"invalid_api_key"}})";
  REQUIRE(body.find(kGroqKey) == 221);
  TestServer server(Reply::text(body, 401, "application/json"));
  auto client = OpenAICompatibleClient::groq(server.url());
  auto e = catch_as<InvalidApiKeyError>([&] { client.complete(hello(), groq_options()); });
  REQUIRE(e);
  check_no_leak(*e, kGroqKey);
  INFO("body_excerpt(): " << e->body_excerpt());
  CHECK_FALSE(pt::leaks_key(e->body_excerpt(), kGroqKey));
}

// =============================================================================================
// Connections
// =============================================================================================

TEST_CASE("Groq: two sequential calls on one thread reuse one TCP connection", "[groq][keepalive]") {
  TestServer server(Reply::fixture("groq_ok.json"));
  auto client = OpenAICompatibleClient::groq(server.url());
  // On a fresh thread, so no connection cached by earlier tests on this thread can interfere.
  std::thread worker([&] {
    client.complete(hello(), groq_options());
    client.complete(hello(), groq_options());
    client.complete(hello(), groq_options());
  });
  worker.join();
  REQUIRE(server.count() == 3);
  CHECK(server.connections_accepted() == 1);
}

TEST_CASE("Cerebras: sequential calls reuse the connection after an error answer", "[cerebras][keepalive]") {
  TestServer server(Reply::fixture("cerebras_ok.json"));
  server.enqueue(Reply::fixture("cerebras_429_requests.json", 429));
  auto client = OpenAICompatibleClient::cerebras(server.url());
  std::thread worker([&] {
    CHECK_THROWS_AS(client.complete(hello(), cerebras_options()), RateLimitError);
    CHECK(client.complete(hello(), cerebras_options()).text == "Hello! How can I help you today?");
  });
  worker.join();
  REQUIRE(server.count() == 2);
  CHECK(server.connections_accepted() == 1);
}

TEST_CASE("One client used from many threads at once answers each its own request", "[groq][concurrency]") {
  TestServer server;
  server.respond_with([](const pt::RecordedRequest& r) {
    const std::string prompt = r.json()["messages"][0]["content"];
    return Reply::json(chat_answer({{"role", "assistant"}, {"content", "echo " + prompt}}, "stop",
                                   {{"id", "id-" + prompt}}));
  });
  auto client = OpenAICompatibleClient::groq(server.url());
  constexpr int kThreads = 8;
  constexpr int kCalls = 5;
  std::vector<std::vector<std::string>> failures(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        const std::string prompt = "t" + std::to_string(t) + "-" + std::to_string(i);
        try {
          const Response r = client.complete(ChatRequest::from_prompt(prompt), groq_options());
          if (r.text != "echo " + prompt || r.id != "id-" + prompt) failures[t].push_back(prompt + ": " + r.text);
        } catch (const std::exception& e) {
          failures[t].push_back(prompt + ": " + e.what());
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& list : failures) {
    for (const auto& f : list) FAIL_CHECK(f);
  }
  CHECK(server.count() == kThreads * kCalls);
  CHECK(server.connections_accepted() <= static_cast<std::size_t>(kThreads));
}

// =============================================================================================
// list_models
// =============================================================================================

TEST_CASE("Groq list_models: GET /openai/v1/models", "[groq][models]") {
  TestServer server(Reply::fixture("groq_models.json"));
  auto client = OpenAICompatibleClient::groq(server.url());
  const auto models = client.list_models(groq_options());
  const auto r = server.last();
  CHECK(r.method == "GET");
  CHECK(r.path == "/openai/v1/models");
  CHECK(r.header("authorization") == "Bearer " + kGroqKey);
  CHECK(r.body.empty());
  REQUIRE(models.size() == 4);
  CHECK(models[0].id == "openai/gpt-oss-120b");
  CHECK(models[0].display_name == "openai/gpt-oss-120b");
  CHECK(models[0].context_window == 131072);
  CHECK(models[2].id == "qwen/qwen3-32b");
  CHECK(models[3].id == "whisper-large-v3-turbo");
  CHECK(models[3].context_window == 448);
}

TEST_CASE("Cerebras list_models: GET /v1/models", "[cerebras][models]") {
  TestServer server(Reply::fixture("cerebras_models.json"));
  auto client = OpenAICompatibleClient::cerebras(server.url());
  const auto models = client.list_models(cerebras_options());
  CHECK(server.last().method == "GET");
  CHECK(server.last().path == "/v1/models");
  CHECK(server.last().header("authorization") == "Bearer " + kCerebrasKey);
  REQUIRE(models.size() == 2);
  CHECK(models[0].id == "gpt-oss-120b");
  CHECK(models[1].id == "zai-glm-4.7");
  CHECK(models[0].context_window == 0);  // not reported
}

TEST_CASE("list_models errors are typed as for complete()", "[groq][models][errors]") {
  TestServer server;
  auto client = OpenAICompatibleClient::groq(server.url());
  SECTION("401") {
    server.respond(Reply::fixture("groq_401_invalid_api_key.json", 401));
    auto e = catch_as<InvalidApiKeyError>([&] { client.list_models(groq_options()); });
    REQUIRE(e);
    CHECK(e->http_status() == 401);
    check_no_leak(*e, kGroqKey);
  }
  SECTION("a list without data") {
    server.respond(Reply::json({{"object", "list"}}));
    REQUIRE_THROWS_AS(client.list_models(groq_options()), InvalidJsonResponseError);
  }
}
