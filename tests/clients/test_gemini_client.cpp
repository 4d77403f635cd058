// GeminiClient over real loopback HTTP and real libcurl: the generateContent request, parsing of
// real-shaped answers (text, tools, thought signatures, blocks), every error class, model lists.

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

const std::string kGeminiKey = pt::fake_key("AIza", 35, 201);
const std::string kSignature = "EskgCsYgAb4+9vtF7/499YQS2bjZs3xcQI+iAl+ILn29nK1j0Kg6su7QsUUUk3nrAAfnS2w5";

CallOptions gemini_options(std::string model = "gemini-2.5-flash") {
  CallOptions o;
  o.model = std::move(model);
  o.api_key = kGeminiKey;
  o.key_label = "GEMINI_API_KEY0";
  o.timeout = 10s;
  o.connect_timeout = 2s;
  return o;
}

void check_no_leak(const Error& e) {
  INFO("what(): " << e.what());
  INFO("body_excerpt(): " << e.body_excerpt());
  CHECK_FALSE(pt::leaks_key(e.what(), kGeminiKey));
  CHECK_FALSE(pt::leaks_key(e.body_excerpt(), kGeminiKey));
  CHECK_FALSE(pt::leaks_key(e.detail(), kGeminiKey));
}

void check_http_error(const Error& e, ErrorKind kind, int status, const std::string& code) {
  INFO("what(): " << e.what());
  CHECK(str(tag(e.kind())) == str(tag(kind)));
  CHECK(starts_with(e.what(), "[" + str(tag(kind)) + "]"));
  CHECK(e.http_status() == status);
  CHECK(e.provider_code() == code);
  CHECK(e.model() == "gemini-2.5-flash");
  CHECK(e.key_label() == "GEMINI_API_KEY0");
  REQUIRE(e.provider().has_value());
  CHECK(*e.provider() == Provider::gemini);
  CHECK(str(to_string(e.context().transport)) == "none");
  check_no_leak(e);
}

// The request carries the key only in x-goog-api-key: never in the URL, never as Bearer.
void check_key_placement(const pt::RecordedRequest& r) {
  CHECK(r.header("x-goog-api-key") == kGeminiKey);
  CHECK_FALSE(r.has_header("authorization"));
  CHECK_FALSE(r.has_param("key"));
  CHECK_FALSE(pt::leaks_key(r.target, kGeminiKey));
}

json gemini_answer(const json& parts, const std::string& finish_reason) {
  return {{"candidates", json::array({{{"content", {{"parts", parts}, {"role", "model"}}},
                                       {"finishReason", finish_reason},
                                       {"index", 0}}})},
          {"usageMetadata", {{"promptTokenCount", 5}, {"candidatesTokenCount", 3}, {"totalTokenCount", 8}}},
          {"modelVersion", "gemini-2.5-flash"},
          {"responseId", "resp-test"}};
}

json google_error(int code, const std::string& status, const std::string& message, json details = nullptr) {
  json error{{"code", code}, {"message", message}, {"status", status}};
  if (!details.is_null()) error["details"] = std::move(details);
  return {{"error", std::move(error)}};
}

}  // namespace

// =============================================================================================
// The exact request
// =============================================================================================

TEST_CASE("Gemini request: POST :generateContent with the key in x-goog-api-key only", "[gemini][request]") {
  TestServer server(Reply::fixture("gemini_ok.json"));
  GeminiClient client(server.url());
  CHECK(client.provider() == Provider::gemini);
  CHECK(client.api_base() == server.url() + "/v1beta");

  client.complete(hello(), gemini_options());

  REQUIRE(server.count() == 1);
  const auto r = server.last();
  CHECK(r.method == "POST");
  CHECK(r.path == "/v1beta/models/gemini-2.5-flash:generateContent");
  CHECK(r.target == "/v1beta/models/gemini-2.5-flash:generateContent");
  check_key_placement(r);
  CHECK(r.header("content-type") == "application/json");
  CHECK(r.header("accept") == "application/json");
  CHECK(starts_with(r.header("user-agent"), "polyrouter/"));
  CHECK(r.json() == json{{"contents", json::array({{{"role", "user"}, {"parts", json::array({{{"text", "Hello"}}})}}})}});
}

TEST_CASE("Gemini request: a trailing slash on the root is not doubled", "[gemini][request]") {
  TestServer server(Reply::fixture("gemini_ok.json"));
  GeminiClient client(server.url() + "/");
  CHECK(client.api_base() == server.url() + "/v1beta");
  client.complete(hello(), gemini_options("gemini-2.5-flash-lite"));
  CHECK(server.last().path == "/v1beta/models/gemini-2.5-flash-lite:generateContent");
}

TEST_CASE("Gemini request: roles, generationConfig, tools and extras as in gemini_request_full.json",
          "[gemini][request]") {
  TestServer server(Reply::fixture("gemini_ok.json"));
  GeminiClient client(server.url());
  const json expected = pt::fixture_json("gemini_request_full.json");

  ChatRequest request;
  request.messages = {Message::system("You are terse."), Message::user("What is the weather in Paris?")};
  Message call = Message::assistant("");
  call.tool_calls.push_back(ToolCall{"call_0", "get_weather", R"({"city":"Paris"})", kSignature});
  request.messages.push_back(call);
  request.messages.push_back(Message::tool("call_0", "get_weather", R"({"temp_c":18})"));
  request.temperature = 0.7;
  request.top_p = 0.95;
  request.max_tokens = 512;
  request.stop = {"\n\n"};
  request.seed = 42;
  request.response_format = ResponseFormat::json_schema(
      "answer", {{"type", "object"}, {"properties", {{"answer", {{"type", "string"}}}}}, {"required", {"answer"}}});
  request.tools = {Tool{"get_weather", "Current weather for a city", pt::weather_parameters()}};
  request.tool_choice = ToolChoice::automatic();
  request.extra = {{"safetySettings", expected["safetySettings"]}};

  client.complete(request, gemini_options());
  const json sent = server.last().json();

  CHECK(sent["systemInstruction"] == expected["systemInstruction"]);
  CHECK(sent["contents"] == expected["contents"]);  // assistant -> "model", tool result -> user functionResponse
  CHECK(sent["generationConfig"] == expected["generationConfig"]);
  CHECK(sent["toolConfig"] == expected["toolConfig"]);
  CHECK(sent["safetySettings"] == expected["safetySettings"]);
  CHECK(sent["tools"] == json::array({{{"functionDeclarations",
                                        json::array({{{"name", "get_weather"},
                                                      {"description", "Current weather for a city"},
                                                      {"parametersJsonSchema", pt::weather_parameters()}}})}}}));
  // Nothing of the OpenAI shape leaks into the Gemini body.
  for (const char* field : {"model", "messages", "max_completion_tokens", "tool_choice", "response_format"}) {
    INFO(field);
    CHECK_FALSE(sent.contains(field));
  }
}

TEST_CASE("Gemini request: tool results", "[gemini][request][tools]") {
  TestServer server(Reply::fixture("gemini_ok.json"));
  GeminiClient client(server.url());
  ChatRequest request = ChatRequest::from_prompt("Weather in Paris and Rome?");
  Message calls = Message::assistant("Checking both.");
  calls.tool_calls.push_back(ToolCall{"call_0", "get_weather", R"({"city":"Paris"})", ""});
  calls.tool_calls.push_back(ToolCall{"call_1", "get_weather", R"({"city":"Rome"})", ""});
  request.messages.push_back(calls);
  request.messages.push_back(Message::tool("call_0", "get_weather", R"({"temp_c":18})"));
  request.messages.push_back(Message::tool("call_1", "get_weather", "sunny"));
  client.complete(request, gemini_options());

  const json contents = server.last().json()["contents"];
  REQUIRE(contents.size() == 3);
  CHECK(contents[1] == json{{"role", "model"},
                            {"parts", json::array({{{"text", "Checking both."}},
                                                   {{"functionCall", {{"name", "get_weather"}, {"args", {{"city", "Paris"}}}}}},
                                                   {{"functionCall", {{"name", "get_weather"}, {"args", {{"city", "Rome"}}}}}}})}});
  // Consecutive tool results travel as parts of one user turn; a non-object result is wrapped.
  CHECK(contents[2] == json{{"role", "user"},
                            {"parts", json::array({{{"functionResponse",
                                                     {{"name", "get_weather"}, {"response", {{"temp_c", 18}}}}}},
                                                   {{"functionResponse",
                                                     {{"name", "get_weather"}, {"response", {{"result", "sunny"}}}}}}})}});
}

TEST_CASE("Gemini request: several system messages become parts of systemInstruction", "[gemini][request]") {
  TestServer server(Reply::fixture("gemini_ok.json"));
  GeminiClient client(server.url());
  ChatRequest request;
  request.messages = {Message::system("Be terse."), Message::system("Answer in French."), Message::user("Hi"),
                      Message::assistant("Salut."), Message::user("Encore")};
  client.complete(request, gemini_options());
  const json sent = server.last().json();
  CHECK(sent["systemInstruction"] == json{{"parts", json::array({{{"text", "Be terse."}}, {{"text", "Answer in French."}}})}});
  REQUIRE(sent["contents"].size() == 3);
  CHECK(sent["contents"][0]["role"] == "user");
  CHECK(sent["contents"][1] == json{{"role", "model"}, {"parts", json::array({{{"text", "Salut."}}})}});
  CHECK(sent["contents"][2]["role"] == "user");
  CHECK_FALSE(sent.contains("generationConfig"));
}

TEST_CASE("Gemini request: JSON mode and tool modes", "[gemini][request]") {
  TestServer server(Reply::fixture("gemini_ok.json"));
  GeminiClient client(server.url());
  ChatRequest request = ChatRequest::from_prompt("Weather?");

  SECTION("json_object sets only responseMimeType") {
    request.response_format = ResponseFormat::json_object();
    client.complete(request, gemini_options());
    CHECK(server.last().json()["generationConfig"] == json{{"responseMimeType", "application/json"}});
  }
  request.tools = {Tool{"get_weather", "", pt::weather_parameters()}};
  SECTION("required is ANY") {
    request.tool_choice = ToolChoice::required();
    client.complete(request, gemini_options());
    CHECK(server.last().json()["toolConfig"] == json{{"functionCallingConfig", {{"mode", "ANY"}}}});
  }
  SECTION("a forced function is ANY with allowedFunctionNames") {
    request.tool_choice = ToolChoice::force("get_weather");
    client.complete(request, gemini_options());
    CHECK(server.last().json()["toolConfig"] ==
          json{{"functionCallingConfig", {{"mode", "ANY"}, {"allowedFunctionNames", {"get_weather"}}}}});
  }
  SECTION("none is NONE") {
    request.tool_choice = ToolChoice::none();
    client.complete(request, gemini_options());
    CHECK(server.last().json()["toolConfig"] == json{{"functionCallingConfig", {{"mode", "NONE"}}}});
  }
  SECTION("unset sends no toolConfig and no description") {
    client.complete(request, gemini_options());
    const json sent = server.last().json();
    CHECK_FALSE(sent.contains("toolConfig"));
    CHECK(sent["tools"][0]["functionDeclarations"][0] ==
          json{{"name", "get_weather"}, {"parametersJsonSchema", pt::weather_parameters()}});
  }
}

// =============================================================================================
// Success parsing
// =============================================================================================

TEST_CASE("Gemini answer: gemini_ok.json with thinking tokens billed as completion", "[gemini][response]") {
  TestServer server(Reply::fixture("gemini_ok.json"));
  GeminiClient client(server.url());
  const Response r = client.complete(hello(), gemini_options("gemini-3-pro-preview"));
  CHECK(r.text == "There are **3** r's in strawberry.\n\nHere is the breakdown: st**r**awbe**rr**y.");
  CHECK(str(to_string(r.finish_reason)) == "stop");
  CHECK(r.raw_finish_reason == "STOP");
  CHECK(r.usage.prompt_tokens == 9);
  CHECK(r.usage.reasoning_tokens == 244);
  CHECK(r.usage.completion_tokens == 28 + 244);
  CHECK(r.usage.total_tokens == 281);
  CHECK(r.id == "Un6LacrVMcjUxs0PmJfWoQc");
  CHECK(r.provider == Provider::gemini);
  CHECK(r.model == "gemini-3-pro-preview");
  CHECK(r.tool_calls.empty());
}

TEST_CASE("Gemini answer: thought summaries are skipped and text parts joined", "[gemini][response]") {
  const json parts = json::array({{{"text", "Thinking about greetings..."}, {"thought", true}},
                                  {{"text", "Hello"}},
                                  {{"text", ", world."}},
                                  {{"text", ""}, {"thoughtSignature", "EtoFCtcFAb4"}}});
  TestServer server(Reply::json(gemini_answer(parts, "STOP")));
  GeminiClient client(server.url());
  const Response r = client.complete(hello(), gemini_options());
  CHECK(r.text == "Hello, world.");
  CHECK(r.id == "resp-test");
}

TEST_CASE("Gemini answer: a function call from gemini_tool_call.json with its thought signature",
          "[gemini][response][tools]") {
  TestServer server(Reply::fixture("gemini_tool_call.json"));
  GeminiClient client(server.url());
  const Response r = client.complete(hello(), gemini_options());
  REQUIRE(r.tool_calls.size() == 1);
  const ToolCall& call = r.tool_calls[0];
  CHECK(call.name == "weather");
  CHECK(json::parse(call.arguments) == json{{"location", "San Francisco"}});
  CHECK(call.signature ==
        "EskgCsYgAb4+9vtF7/499YQS2bjZs3xcQI+iAl+ILn29nK1j0Kg6su7QsUUUk3nrAAfnS2w5WiVvlcCqu9fAebJ2cvfaEyBahEt5");
  CHECK_FALSE(call.id.empty());  // Gemini sends none: one is made up
  CHECK(str(to_string(r.finish_reason)) == "tool_calls");  // Gemini ends a call with STOP
  CHECK(r.raw_finish_reason == "STOP");
  CHECK(r.usage.completion_tokens == 15 + 893);
  CHECK(r.usage.total_tokens == 937);
}

TEST_CASE("Gemini answer: a returned call round-trips with its signature", "[gemini][request][tools]") {
  TestServer server(Reply::fixture("gemini_tool_call.json"));
  GeminiClient client(server.url());
  ChatRequest request = ChatRequest::from_prompt("Weather in SF?");
  const Response first = client.complete(request, gemini_options());
  REQUIRE(first.tool_calls.size() == 1);
  Message assistant = Message::assistant(first.text);
  assistant.tool_calls = first.tool_calls;
  request.messages.push_back(assistant);
  request.messages.push_back(Message::tool(first.tool_calls[0].id, first.tool_calls[0].name, R"({"temp_c":15})"));
  client.complete(request, gemini_options());

  const json turn = server.last().json()["contents"][1];
  CHECK(turn["role"] == "model");
  REQUIRE(turn["parts"].size() == 1);
  CHECK(turn["parts"][0]["thoughtSignature"] == first.tool_calls[0].signature);
  CHECK(turn["parts"][0]["functionCall"] == json{{"name", "weather"}, {"args", {{"location", "San Francisco"}}}});
}

TEST_CASE("Gemini answer: MAX_TOKENS is finish length with the partial text", "[gemini][response]") {
  TestServer server(Reply::fixture("gemini_finish_max_tokens.json"));
  GeminiClient client(server.url());
  const Response r = client.complete(hello(), gemini_options());
  CHECK(r.text == "The history of the Roman Empire begins with");
  CHECK(str(to_string(r.finish_reason)) == "length");
  CHECK(r.raw_finish_reason == "MAX_TOKENS");
  CHECK(r.usage.completion_tokens == 8);
  CHECK(r.id == "mAxToK0000000000");
}

TEST_CASE("Gemini answer: other finish reasons", "[gemini][response]") {
  TestServer server;
  GeminiClient client(server.url());
  SECTION("an unlisted reason is other") {
    server.respond(Reply::json(gemini_answer(json::array({{{"text", "x"}}}), "MALFORMED_FUNCTION_CALL")));
    const Response r = client.complete(hello(), gemini_options());
    CHECK(str(to_string(r.finish_reason)) == "other");
    CHECK(r.raw_finish_reason == "MALFORMED_FUNCTION_CALL");
  }
  SECTION("SAFETY after some text is a content_filter finish, not an error") {
    server.respond(Reply::json(gemini_answer(json::array({{{"text", "Here is how"}}}), "SAFETY")));
    const Response r = client.complete(hello(), gemini_options());
    CHECK(r.text == "Here is how");
    CHECK(str(to_string(r.finish_reason)) == "content_filter");
  }
}

TEST_CASE("Gemini SAFETY with no content: ContentFilteredError", "[gemini][response][errors]") {
  TestServer server(Reply::fixture("gemini_finish_safety.json"));
  GeminiClient client(server.url());
  REQUIRE_THROWS_AS(client.complete(hello(), gemini_options()), ContentFilteredError);
  auto e = catch_as<ContentFilteredError>([&] { client.complete(hello(), gemini_options()); });
  REQUIRE(e);
  check_http_error(*e, ErrorKind::content_filtered, 200, "SAFETY");
  CHECK(starts_with(e->what(), "[polyrouter.content_filtered]"));
}

TEST_CASE("Gemini RECITATION with no content: ContentFilteredError", "[gemini][response][errors]") {
  json body = gemini_answer(json::array(), "RECITATION");
  body["candidates"][0].erase("content");
  TestServer server(Reply::json(body));
  GeminiClient client(server.url());
  auto e = catch_as<ContentFilteredError>([&] { client.complete(hello(), gemini_options()); });
  REQUIRE(e);
  check_no_leak(*e);
  CHECK(e->provider_code() == "RECITATION");
}

TEST_CASE("Gemini promptFeedback.blockReason without candidates: ContentFilteredError",
          "[gemini][response][errors]") {
  const json body{{"promptFeedback", {{"blockReason", "PROHIBITED_CONTENT"}}},
                  {"usageMetadata", {{"promptTokenCount", 12}, {"totalTokenCount", 12}}},
                  {"modelVersion", "gemini-2.5-flash"},
                  {"responseId", "bLoCk000"}};
  TestServer server(Reply::json(body));
  GeminiClient client(server.url());
  auto e = catch_as<ContentFilteredError>([&] { client.complete(hello(), gemini_options()); });
  REQUIRE(e);
  check_http_error(*e, ErrorKind::content_filtered, 200, "PROHIBITED_CONTENT");
}

// =============================================================================================
// Errors
// =============================================================================================

TEST_CASE("Gemini errors: each google.rpc.Status maps onto its class", "[gemini][errors]") {
  struct Case {
    const char* name;
    Reply reply;
    ErrorKind kind;
    int status;
    std::string code;
  };
  const std::vector<Case> cases{
      {"400 API_KEY_INVALID", Reply::fixture("gemini_400_api_key_invalid.json", 400), ErrorKind::invalid_api_key, 400,
       "API_KEY_INVALID"},
      {"400 FAILED_PRECONDITION location", Reply::fixture("gemini_400_failed_precondition_location.json", 400),
       ErrorKind::invalid_api_key, 400, "FAILED_PRECONDITION"},
      {"400 INVALID_ARGUMENT", Reply::fixture("gemini_400_invalid_argument.json", 400), ErrorKind::bad_request, 400,
       "INVALID_ARGUMENT"},
      {"400 unknown field", Reply::fixture("gemini_400_unknown_field.json", 400), ErrorKind::bad_request, 400,
       "INVALID_ARGUMENT"},
      {"400 thought signature missing", Reply::fixture("gemini_400_thought_signature_missing.json", 400),
       ErrorKind::bad_request, 400, "INVALID_ARGUMENT"},
      {"401 UNAUTHENTICATED",
       Reply::json(google_error(401, "UNAUTHENTICATED",
                                "Request had invalid authentication credentials. Expected OAuth 2 access token, "
                                "login cookie or other valid authentication credential."),
                   401),
       ErrorKind::invalid_api_key, 401, "UNAUTHENTICATED"},
      {"402 prepayment exhausted",
       Reply::json(google_error(402, "RESOURCE_EXHAUSTED",
                                "Your prepayment credits are depleted. Please go to AI Studio to manage your billing."),
                   402),
       ErrorKind::invalid_api_key, 402, "RESOURCE_EXHAUSTED"},
      {"403 PERMISSION_DENIED", Reply::fixture("gemini_403_unregistered_caller.json", 403),
       ErrorKind::invalid_api_key, 403, "PERMISSION_DENIED"},
      {"403 leaked key",
       Reply::json(google_error(403, "PERMISSION_DENIED",
                                "Your API key was reported as leaked. Please use another API key."),
                   403),
       ErrorKind::invalid_api_key, 403, "PERMISSION_DENIED"},
      {"404 NOT_FOUND", Reply::fixture("gemini_404_model_not_found.json", 404), ErrorKind::model_not_found, 404,
       "NOT_FOUND"},
      {"429 RESOURCE_EXHAUSTED", Reply::fixture("gemini_429_quota_retryinfo.json", 429), ErrorKind::rate_limit, 429,
       "RESOURCE_EXHAUSTED"},
      {"429 help only", Reply::fixture("gemini_429_help_only.json", 429), ErrorKind::rate_limit, 429,
       "RESOURCE_EXHAUSTED"},
      {"499 CANCELLED", Reply::json(google_error(499, "CANCELLED", "The operation was cancelled."), 499),
       ErrorKind::provider_unavailable, 499, "CANCELLED"},
      {"500 INTERNAL", Reply::fixture("gemini_500_internal.json", 500), ErrorKind::provider_unavailable, 500,
       "INTERNAL"},
      {"502 HTML", Reply::text("<html><body><h1>502 Bad Gateway</h1></body></html>", 502, "text/html"),
       ErrorKind::provider_unavailable, 502, ""},
      {"503 UNAVAILABLE", Reply::fixture("gemini_503_unavailable.json", 503), ErrorKind::provider_unavailable, 503,
       "UNAVAILABLE"},
      {"504 DEADLINE_EXCEEDED", Reply::fixture("gemini_504_deadline_exceeded.json", 504),
       ErrorKind::provider_unavailable, 504, "DEADLINE_EXCEEDED"},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.name) {
      TestServer server(c.reply);
      GeminiClient client(server.url());
      auto e = catch_as<Error>([&] { client.complete(hello(), gemini_options()); });
      REQUIRE(e);
      check_http_error(*e, c.kind, c.status, c.code);
      CHECK(server.count() == 1);
    }
  }
}

TEST_CASE("Gemini 400 API_KEY_INVALID is InvalidApiKeyError despite its status", "[gemini][errors]") {
  TestServer server(Reply::fixture("gemini_400_api_key_invalid.json", 400));
  GeminiClient client(server.url());
  REQUIRE_THROWS_AS(client.complete(hello(), gemini_options()), InvalidApiKeyError);
  auto e = catch_as<InvalidApiKeyError>([&] { client.complete(hello(), gemini_options()); });
  REQUIRE(e);
  check_no_leak(*e);
  CHECK(e->detail() == "API key not valid. Please pass a valid API key.");
  CHECK(e->body_excerpt().find("API_KEY_INVALID") != std::string::npos);
}

TEST_CASE("Gemini 429 RetryInfo 26s with the real headers", "[gemini][errors][rate_limit]") {
  TestServer server(Reply::fixture("gemini_429_quota_retryinfo.json").with_headers_file("gemini_429.headers.txt"));
  GeminiClient client(server.url());
  REQUIRE_THROWS_AS(client.complete(hello(), gemini_options()), RateLimitError);
  auto e = catch_as<RateLimitError>([&] { client.complete(hello(), gemini_options()); });
  REQUIRE(e);
  check_http_error(*e, ErrorKind::rate_limit, 429, "RESOURCE_EXHAUSTED");
  CHECK(e->scope() == RateLimitError::Scope::key);
  CHECK_FALSE(e->daily());  // GenerateContentInputTokensPerModelPerMinute
  REQUIRE(e->retry_after().has_value());
  CHECK(e->retry_after()->count() == 26000);
}

TEST_CASE("Gemini 429 with only a Help detail has no retry hint", "[gemini][errors][rate_limit]") {
  TestServer server(Reply::fixture("gemini_429_help_only.json", 429));
  GeminiClient client(server.url());
  auto e = catch_as<RateLimitError>([&] { client.complete(hello(), gemini_options()); });
  REQUIRE(e);
  check_no_leak(*e);
  CHECK_FALSE(e->retry_after().has_value());
  CHECK_FALSE(e->daily());
}

TEST_CASE("Gemini 429 on a PerDay quota is daily even with a short retryDelay", "[gemini][errors][rate_limit]") {
  const json details = json::array(
      {{{"@type", "type.googleapis.com/google.rpc.QuotaFailure"},
        {"violations",
         json::array({{{"quotaMetric", "generativelanguage.googleapis.com/generate_content_free_tier_requests"},
                       {"quotaId", "GenerateRequestsPerDayPerProjectPerModel-FreeTier"},
                       {"quotaDimensions", {{"location", "global"}, {"model", "gemini-2.5-flash"}}},
                       {"quotaValue", "250"}}})}},
       {{"@type", "type.googleapis.com/google.rpc.RetryInfo"}, {"retryDelay", "36.429760048s"}}});
  TestServer server(Reply::json(
      google_error(429, "RESOURCE_EXHAUSTED",
                   "You exceeded your current quota, please check your plan and billing details. Please retry in "
                   "36.429760048s.",
                   details),
      429));
  GeminiClient client(server.url());
  auto e = catch_as<RateLimitError>([&] { client.complete(hello(), gemini_options()); });
  REQUIRE(e);
  check_no_leak(*e);
  CHECK(e->daily());
  REQUIRE(e->retry_after().has_value());
  CHECK(e->retry_after()->count() == 36430);
}

TEST_CASE("Gemini 429 retry hint read from the message when there is no RetryInfo",
          "[gemini][errors][rate_limit]") {
  TestServer server(Reply::json(
      google_error(429, "RESOURCE_EXHAUSTED",
                   "Resource has been exhausted (e.g. check quota). Please retry in 4.5s."),
      429));
  GeminiClient client(server.url());
  auto e = catch_as<RateLimitError>([&] { client.complete(hello(), gemini_options()); });
  REQUIRE(e);
  check_no_leak(*e);
  REQUIRE(e->retry_after().has_value());
  CHECK(e->retry_after()->count() == 4500);
}

TEST_CASE("Gemini 429 limit: 0 means this key can never use the model", "[gemini][errors][rate_limit]") {
  TestServer server(Reply::json(
      google_error(429, "RESOURCE_EXHAUSTED",
                   "You exceeded your current quota, please check your plan and billing details. Quota exceeded for "
                   "metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 0, model: "
                   "gemini-2.5-pro"),
      429));
  GeminiClient client(server.url());
  auto e = catch_as<RateLimitError>([&] { client.complete(hello(), gemini_options()); });
  REQUIRE(e);
  check_no_leak(*e);
  CHECK(e->daily());
  CHECK(e->no_quota());
  CHECK(e->scope() == RateLimitError::Scope::key);
}

TEST_CASE("Gemini key echoed in an error message is masked everywhere", "[gemini][errors][keys]") {
  const json details = pt::fixture_json("gemini_400_api_key_invalid.json")["error"]["details"];
  TestServer server(Reply::json(
      google_error(400, "INVALID_ARGUMENT", "API key not valid: " + kGeminiKey + ". Please pass a valid API key.",
                   details),
      400));
  GeminiClient client(server.url());
  auto e = catch_as<InvalidApiKeyError>([&] { client.complete(hello(), gemini_options()); });
  REQUIRE(e);
  check_no_leak(*e);
  CHECK(e->detail().find(mask_key(kGeminiKey)) != std::string::npos);
  CHECK(e->provider_code() == "API_KEY_INVALID");
}

TEST_CASE("Gemini key glued to URL-encoded text in an error message is masked", "[gemini][errors][keys]") {
  // A proxy quoting the rejected URL percent-encodes "key=": the key then follows "%3D", so it does
  // not start at a word boundary and only the secret itself can identify it.
  TestServer server(Reply::json(
      google_error(400, "INVALID_ARGUMENT",
                   "Invalid request to /v1beta/models/gemini-2.5-flash:generateContent?key%3D" + kGeminiKey),
      400));
  GeminiClient client(server.url());
  auto e = catch_as<BadRequestError>([&] { client.complete(hello(), gemini_options()); });
  REQUIRE(e);
  CHECK_FALSE(pt::leaks_key(e->body_excerpt(), kGeminiKey));
  CHECK_FALSE(pt::leaks_key(e->detail(), kGeminiKey));
  CHECK_FALSE(pt::leaks_key(e->what(), kGeminiKey));
}

// =============================================================================================
// Connections
// =============================================================================================

TEST_CASE("Gemini: sequential calls on one thread reuse one TCP connection", "[gemini][keepalive]") {
  TestServer server(Reply::fixture("gemini_ok.json"));
  GeminiClient client(server.url());
  std::thread worker([&] {
    client.complete(hello(), gemini_options());
    client.complete(hello(), gemini_options());
  });
  worker.join();
  REQUIRE(server.count() == 2);
  CHECK(server.connections_accepted() == 1);
}

// =============================================================================================
// list_models
// =============================================================================================

TEST_CASE("Gemini list_models follows nextPageToken and drops models that cannot generate",
          "[gemini][models]") {
  const json page2{{"models",
                    json::array({{{"name", "models/gemini-2.5-pro"},
                                  {"version", "001"},
                                  {"displayName", "Gemini 2.5 Pro"},
                                  {"inputTokenLimit", 1048576},
                                  {"outputTokenLimit", 65536},
                                  {"supportedGenerationMethods", {"generateContent", "countTokens"}}},
                                 {{"name", "models/gemini-embedding-001"},
                                  {"displayName", "Gemini Embedding 001"},
                                  {"inputTokenLimit", 2048},
                                  {"supportedGenerationMethods", {"embedContent", "countTextTokens"}}}})}};
  TestServer server(Reply::json(page2));
  server.enqueue(Reply::fixture("gemini_models.json"));
  GeminiClient client(server.url());

  const auto models = client.list_models(gemini_options());

  REQUIRE(models.size() == 3);
  CHECK(models[0].id == "gemini-2.5-flash");  // "models/" prefix removed
  CHECK(models[0].display_name == "Gemini 2.5 Flash");
  CHECK(models[0].context_window == 1048576);
  CHECK(models[1].id == "gemini-2.5-flash-lite");
  CHECK(models[2].id == "gemini-2.5-pro");
  CHECK(models[2].display_name == "Gemini 2.5 Pro");

  const auto requests = server.requests();
  REQUIRE(requests.size() == 2);
  for (const auto& r : requests) {
    CHECK(r.method == "GET");
    CHECK(r.path == "/v1beta/models");
    CHECK(r.param("pageSize") == "1000");
    check_key_placement(r);
  }
  CHECK_FALSE(requests[0].has_param("pageToken"));
  CHECK(requests[1].param("pageToken") == "Ch5tb2RlbHMvZ2VtaW5pLTIuNS1mbGFzaC1saXRl");
}

TEST_CASE("Gemini list_models stops on an empty nextPageToken", "[gemini][models]") {
  json page = pt::fixture_json("gemini_models.json");
  page["nextPageToken"] = "";
  TestServer server(Reply::json(page));
  GeminiClient client(server.url());
  CHECK(client.list_models(gemini_options()).size() == 2);
  CHECK(server.count() == 1);
}

TEST_CASE("Gemini list_models is bounded against a server that always returns a token", "[gemini][models]") {
  json page = pt::fixture_json("gemini_models.json");
  page["nextPageToken"] = "again";
  TestServer server(Reply::json(page));
  GeminiClient client(server.url());
  const auto models = client.list_models(gemini_options());
  CHECK(server.count() == 100);
  CHECK(models.size() == 200);
}

TEST_CASE("Gemini list_models sends a page token with + / = intact", "[gemini][models]") {
  // Page tokens are base64 text; '+' and '=' must be percent-encoded in a query string.
  const std::string token = "Cg1tb2RlbHMv+Z2VtaW5p/LTI=";
  json page = pt::fixture_json("gemini_models.json");
  page["nextPageToken"] = token;
  TestServer server(Reply::json({{"models", json::array()}}));
  server.enqueue(Reply::json(page));
  GeminiClient client(server.url());
  client.list_models(gemini_options());
  REQUIRE(server.count() == 2);
  CHECK(server.requests()[1].param("pageToken") == token);
}

TEST_CASE("Gemini list_models errors are typed", "[gemini][models][errors]") {
  TestServer server;
  GeminiClient client(server.url());
  SECTION("400 API_KEY_INVALID") {
    server.respond(Reply::fixture("gemini_400_api_key_invalid.json", 400));
    auto e = catch_as<InvalidApiKeyError>([&] { client.list_models(gemini_options()); });
    REQUIRE(e);
    check_no_leak(*e);
  }
  SECTION("models is not a list") {
    server.respond(Reply::json({{"models", "none"}}));
    REQUIRE_THROWS_AS(client.list_models(gemini_options()), InvalidJsonResponseError);
  }
}
