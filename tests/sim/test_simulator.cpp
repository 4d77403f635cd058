// The simulator over real loopback HTTP, using httplib's client (not polyrouter's): every
// behavior for every provider, streaming framing, rule bookkeeping, stats and validation.

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "polyrouter/sim/simulator.hpp"

namespace {

using nlohmann::json;
using polyrouter::sim::Simulator;
using Clock = std::chrono::steady_clock;

const std::vector<std::string> kProviders{"groq", "cerebras", "gemini"};

std::string default_model(const std::string& provider) {
  if (provider == "groq") return "openai/gpt-oss-120b";
  if (provider == "cerebras") return "gpt-oss-120b";
  return "gemini-2.5-flash";
}

/// A response captured through a content receiver, so a cut body is kept, not thrown away.
struct Http {
  bool complete = false;  // the transfer finished without a transport error
  int status = 0;
  httplib::Headers headers;
  std::string body;

  bool has_header(const std::string& name) const { return headers.count(name) > 0; }
  std::string header(const std::string& name) const {
    const auto found = headers.find(name);
    return found == headers.end() ? std::string() : found->second;
  }
  json json_body() const { return json::parse(body); }
};

Http send(const Simulator& sim, const std::string& method, const std::string& path,
          httplib::Headers headers = {}, const std::string& body = {}) {
  httplib::Client client(sim.url());
  client.set_connection_timeout(5, 0);
  client.set_read_timeout(20, 0);
  httplib::Request request;
  request.method = method;
  request.path = path;
  request.headers = std::move(headers);
  if (!body.empty()) {
    request.body = body;
    request.set_header("Content-Type", "application/json");
  }
  Http out;
  request.content_receiver = [&out](const char* data, std::size_t size, std::uint64_t,
                                    std::uint64_t) {
    out.body.append(data, size);
    return true;
  };
  httplib::Response response;
  auto error = httplib::Error::Success;
  out.complete = client.send(request, response, error);
  out.status = response.status;
  out.headers = response.headers;
  return out;
}

json openai_tools() {
  return json::array({{{"type", "function"},
                       {"function",
                        {{"name", "get_weather"},
                         {"parameters", {{"type", "object"}, {"properties", json::object()}}}}}}});
}

json gemini_tools() {
  return json::array({{{"functionDeclarations", json::array({{{"name", "get_weather"}}})}}});
}

struct ChatOptions {
  bool stream = false;
  bool tools = false;
};

/// One chat request in the provider's own wire format; an empty key sends no credentials.
Http chat(const Simulator& sim, const std::string& provider, const std::string& key,
          const std::string& model, ChatOptions options = {}) {
  httplib::Headers headers;
  if (provider == "gemini") {
    json body = {{"contents", json::array({{{"role", "user"}, {"parts", {{{"text", "Hi"}}}}}})}};
    if (options.tools) body["tools"] = gemini_tools();
    if (!key.empty()) headers.emplace("x-goog-api-key", key);
    const auto path = "/v1beta/models/" + model +
                      (options.stream ? ":streamGenerateContent?alt=sse" : ":generateContent");
    return send(sim, "POST", path, headers, body.dump());
  }
  json body = {{"model", model},
               {"messages", json::array({{{"role", "user"}, {"content", "Hi"}}})},
               {"stream", options.stream}};
  if (options.tools) body["tools"] = openai_tools();
  if (!key.empty()) headers.emplace("Authorization", "Bearer " + key);
  const auto path = provider == "groq" ? "/openai/v1/chat/completions" : "/v1/chat/completions";
  return send(sim, "POST", path, headers, body.dump());
}

Http list_models(const Simulator& sim, const std::string& provider, const std::string& key) {
  httplib::Headers headers;
  if (provider == "gemini") {
    if (!key.empty()) headers.emplace("x-goog-api-key", key);
    return send(sim, "GET", "/v1beta/models", headers);
  }
  if (!key.empty()) headers.emplace("Authorization", "Bearer " + key);
  return send(sim, "GET", provider == "groq" ? "/openai/v1/models" : "/v1/models", headers);
}

/// SSE frames of a body, split on the blank line.
std::vector<std::string> sse_frames(const std::string& body) {
  std::vector<std::string> frames;
  std::size_t start = 0;
  for (auto end = body.find("\n\n"); end != std::string::npos; end = body.find("\n\n", start)) {
    frames.push_back(body.substr(start, end - start));
    start = end + 2;
  }
  return frames;
}

/// The `data:` payloads of a body, in order (including a final "[DONE]").
std::vector<std::string> data_payloads(const std::string& body) {
  std::vector<std::string> payloads;
  for (const auto& frame : sse_frames(body)) {
    std::size_t line_start = 0;
    while (line_start < frame.size()) {
      auto line_end = frame.find('\n', line_start);
      if (line_end == std::string::npos) line_end = frame.size();
      const auto line = frame.substr(line_start, line_end - line_start);
      if (line.rfind("data: ", 0) == 0) payloads.push_back(line.substr(6));
      line_start = line_end + 1;
    }
  }
  return payloads;
}

/// The answer text a stream carries, concatenating the provider's deltas.
std::string streamed_text(const std::string& provider, const std::vector<std::string>& payloads) {
  std::string text;
  for (const auto& payload : payloads) {
    if (payload == "[DONE]") continue;
    const auto event = json::parse(payload);
    if (provider == "gemini") {
      for (const auto& part : event["candidates"][0]["content"]["parts"]) {
        text += part.value("text", "");
      }
    } else if (!event["choices"].empty()) {
      const auto& delta = event["choices"][0]["delta"];
      if (delta.contains("content") && delta["content"].is_string()) {
        text += delta["content"].get<std::string>();
      }
    }
  }
  return text;
}

/// The error object of a provider error body (Cerebras' envelope is flat).
json error_of(const std::string& provider, const Http& response) {
  const auto body = response.json_body();
  return provider == "cerebras" ? body : body.at("error");
}

json rule(const std::string& provider, const std::string& behavior, json extra = json::object()) {
  extra["provider"] = provider;
  extra["behavior"] = behavior;
  return extra;
}

json scenario_with(std::vector<json> rules) { return {{"rules", std::move(rules)}}; }

}  // namespace

// --- success ------------------------------------------------------------------------------

TEST_CASE("ok answers with the provider's success shape", "[sim][ok]") {
  Simulator sim;

  SECTION("groq") {
    const auto response = chat(sim, "groq", "k", "openai/gpt-oss-120b");
    REQUIRE(response.complete);
    REQUIRE(response.status == 200);
    CHECK(response.header("Content-Type") == "application/json");
    const auto body = response.json_body();
    CHECK(body["id"].get<std::string>().rfind("chatcmpl-", 0) == 0);
    CHECK(body["object"] == "chat.completion");
    CHECK(body["model"] == "openai/gpt-oss-120b");
    CHECK(body["choices"][0]["message"]["role"] == "assistant");
    CHECK(body["choices"][0]["message"]["content"] == "Hello from groq openai/gpt-oss-120b.");
    CHECK(body["choices"][0]["finish_reason"] == "stop");
    CHECK(body["usage"]["total_tokens"] ==
          body["usage"]["prompt_tokens"].get<int>() + body["usage"]["completion_tokens"].get<int>());
    CHECK(body["usage"].contains("queue_time"));
    CHECK(body["x_groq"]["id"].get<std::string>().rfind("req_", 0) == 0);
    CHECK(body["service_tier"] == "on_demand");
    CHECK(response.header("x-request-id").rfind("req_", 0) == 0);
    CHECK(response.header("x-ratelimit-limit-requests") == "14400");
    CHECK(response.header("x-ratelimit-remaining-tokens") == "5843");
    CHECK(response.header("x-ratelimit-reset-requests") == "6s");
    CHECK(response.header("x-ratelimit-reset-tokens") == "1.57s");
    CHECK_FALSE(response.has_header("retry-after"));
  }
  SECTION("cerebras") {
    const auto response = chat(sim, "cerebras", "k", "gpt-oss-120b");
    REQUIRE(response.status == 200);
    const auto body = response.json_body();
    CHECK(body["object"] == "chat.completion");
    CHECK(body["model"] == "gpt-oss-120b");
    CHECK(body["choices"][0]["message"]["content"] == "Hello from cerebras gpt-oss-120b.");
    CHECK(body["choices"][0]["finish_reason"] == "stop");
    CHECK(body["usage"]["prompt_tokens_details"]["cached_tokens"] == 0);
    CHECK(body["time_info"].contains("total_time"));
    CHECK(response.has_header("x-request-id"));
    CHECK(response.header("x-ratelimit-limit-requests-day") == "14400");
    CHECK(response.header("x-ratelimit-reset-requests-day") == "33011.382867097855");
    CHECK(response.header("x-ratelimit-reset-tokens-minute") == "11.382867097854614");
  }
  SECTION("gemini, key in the header") {
    const auto response = chat(sim, "gemini", "k", "gemini-2.5-flash");
    REQUIRE(response.status == 200);
    const auto body = response.json_body();
    const auto& candidate = body["candidates"][0];
    CHECK(candidate["content"]["role"] == "model");
    CHECK(candidate["content"]["parts"][0]["text"] == "Hello from gemini gemini-2.5-flash.");
    CHECK(candidate["finishReason"] == "STOP");
    CHECK(body["usageMetadata"]["totalTokenCount"] ==
          body["usageMetadata"]["promptTokenCount"].get<int>() +
              body["usageMetadata"]["candidatesTokenCount"].get<int>());
    CHECK(body["modelVersion"] == "gemini-2.5-flash");
    CHECK(body["responseId"].is_string());
    CHECK_FALSE(response.has_header("x-ratelimit-limit-requests"));
  }
  SECTION("gemini, key in the query") {
    const auto response =
        send(sim, "POST", "/v1beta/models/gemini-2.5-flash:generateContent?key=qk", {},
             R"({"contents":[]})");
    REQUIRE(response.status == 200);
    CHECK(sim.hits("gemini", "qk", "gemini-2.5-flash") == 1);
  }
}

TEST_CASE("a rule's text replaces the default answer", "[sim][ok]") {
  const auto provider = GENERATE(from_range(kProviders));
  Simulator sim(scenario_with({rule(provider, "ok", {{"text", "Custom words here."}})}));
  const auto response = chat(sim, provider, "k", default_model(provider));
  REQUIRE(response.status == 200);
  const auto body = response.json_body();
  if (provider == "gemini") {
    CHECK(body["candidates"][0]["content"]["parts"][0]["text"] == "Custom words here.");
  } else {
    CHECK(body["choices"][0]["message"]["content"] == "Custom words here.");
  }
}

TEST_CASE("tool_call answers with a tool call when the request has tools", "[sim][tool_call]") {
  const json args = {{"city", "Paris"}};

  SECTION("openai-compatible") {
    const auto provider = GENERATE(as<std::string>{}, "groq", "cerebras");
    Simulator sim(scenario_with(
        {rule(provider, "tool_call", {{"tool_name", "lookup"}, {"tool_args", args}})}));
    const auto response = chat(sim, provider, "k", default_model(provider), {false, true});
    REQUIRE(response.status == 200);
    const auto choice = response.json_body()["choices"][0];
    CHECK(choice["finish_reason"] == "tool_calls");
    const auto& call = choice["message"]["tool_calls"][0];
    CHECK(call["id"].is_string());
    CHECK(call["type"] == "function");
    CHECK(call["function"]["name"] == "lookup");
    REQUIRE(call["function"]["arguments"].is_string());
    CHECK(json::parse(call["function"]["arguments"].get<std::string>()) == args);
  }
  SECTION("gemini") {
    Simulator sim(scenario_with(
        {rule("gemini", "tool_call", {{"tool_name", "lookup"}, {"tool_args", args}})}));
    const auto response = chat(sim, "gemini", "k", "gemini-2.5-flash", {false, true});
    REQUIRE(response.status == 200);
    const auto candidate = response.json_body()["candidates"][0];
    CHECK(candidate["finishReason"] == "STOP");
    CHECK(candidate["content"]["parts"][0]["functionCall"]["name"] == "lookup");
    CHECK(candidate["content"]["parts"][0]["functionCall"]["args"] == args);
  }
  SECTION("the request's first tool and empty args by default") {
    const auto provider = GENERATE(from_range(kProviders));
    Simulator sim(scenario_with({rule(provider, "tool_call")}));
    const auto body = chat(sim, provider, "k", default_model(provider), {false, true}).json_body();
    if (provider == "gemini") {
      CHECK(body["candidates"][0]["content"]["parts"][0]["functionCall"]["name"] == "get_weather");
      CHECK(body["candidates"][0]["content"]["parts"][0]["functionCall"]["args"] == json::object());
    } else {
      CHECK(body["choices"][0]["message"]["tool_calls"][0]["function"]["name"] == "get_weather");
      CHECK(body["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"] == "{}");
    }
  }
  SECTION("text when the request declares no tools") {
    const auto provider = GENERATE(from_range(kProviders));
    Simulator sim(scenario_with({rule(provider, "tool_call")}));
    const auto body = chat(sim, provider, "k", default_model(provider)).json_body();
    if (provider == "gemini") {
      CHECK(body["candidates"][0]["content"]["parts"][0].contains("text"));
    } else {
      CHECK(body["choices"][0]["finish_reason"] == "stop");
      CHECK(body["choices"][0]["message"]["content"].is_string());
    }
  }
}

// --- credentials --------------------------------------------------------------------------

TEST_CASE("missing credentials get each provider's refusal", "[sim][auth]") {
  // The rule would answer ok; credentials are checked before any rule is consulted.
  Simulator sim(scenario_with({{{"behavior", "ok"}, {"times", 1}}}));

  SECTION("groq: 401 invalid_api_key") {
    const auto response = chat(sim, "groq", "", "openai/gpt-oss-120b");
    CHECK(response.status == 401);
    CHECK(response.json_body()["error"]["code"] == "invalid_api_key");
  }
  SECTION("cerebras: 403 Not authenticated") {
    const auto response = chat(sim, "cerebras", "", "gpt-oss-120b");
    CHECK(response.status == 403);
    CHECK(response.json_body() == json{{"detail", "Not authenticated"}});
  }
  SECTION("gemini: 403 PERMISSION_DENIED") {
    const auto response = chat(sim, "gemini", "", "gemini-2.5-flash");
    CHECK(response.status == 403);
    const auto error = response.json_body()["error"];
    CHECK(error["code"] == 403);
    CHECK(error["status"] == "PERMISSION_DENIED");
    CHECK(error["message"].get<std::string>().find("unregistered callers") != std::string::npos);
  }
  SECTION("counted with an empty key, without using up rules") {
    chat(sim, "groq", "", "openai/gpt-oss-120b");
    CHECK(sim.hits("groq", "", "openai/gpt-oss-120b") == 1);
    const auto after = chat(sim, "groq", "k", "openai/gpt-oss-120b");
    CHECK(after.status == 200);
  }
}

TEST_CASE("invalid_key", "[sim][invalid_key]") {
  SECTION("groq: 401 invalid_api_key") {
    Simulator sim(scenario_with({rule("groq", "invalid_key")}));
    const auto response = chat(sim, "groq", "bad", "openai/gpt-oss-120b");
    CHECK(response.status == 401);
    CHECK(response.json_body() == json::parse(R"({"error":{"message":"Invalid API Key",
        "type":"invalid_request_error","code":"invalid_api_key"}})"));
  }
  SECTION("cerebras: 401 flat wrong_api_key") {
    Simulator sim(scenario_with({rule("cerebras", "invalid_key")}));
    const auto response = chat(sim, "cerebras", "bad", "gpt-oss-120b");
    CHECK(response.status == 401);
    CHECK(response.json_body() == json::parse(R"({"message":"Wrong API Key",
        "type":"invalid_request_error","param":"api_key","code":"wrong_api_key"})"));
  }
  SECTION("gemini: 400 INVALID_ARGUMENT with API_KEY_INVALID") {
    Simulator sim(scenario_with({rule("gemini", "invalid_key")}));
    const auto response = chat(sim, "gemini", "bad", "gemini-2.5-flash");
    CHECK(response.status == 400);
    const auto error = response.json_body()["error"];
    CHECK(error["code"] == 400);
    CHECK(error["status"] == "INVALID_ARGUMENT");
    CHECK(error["message"] == "API key not valid. Please pass a valid API key.");
    CHECK(error["details"][0]["@type"] == "type.googleapis.com/google.rpc.ErrorInfo");
    CHECK(error["details"][0]["reason"] == "API_KEY_INVALID");
  }
  SECTION("only the key the rule names") {
    Simulator sim(scenario_with({{{"key", "bad"}, {"behavior", "invalid_key"}}}));
    CHECK(chat(sim, "groq", "bad", "openai/gpt-oss-120b").status == 401);
    CHECK(chat(sim, "groq", "good", "openai/gpt-oss-120b").status == 200);
    CHECK(chat(sim, "gemini", "bad", "gemini-2.5-flash").status == 400);
  }
  SECTION("beats an unknown model, as the key is checked first") {
    Simulator sim(json{{"models", {{"groq", {"openai/gpt-oss-20b"}}}},
                   {"rules", {rule("groq", "invalid_key")}}});
    CHECK(chat(sim, "groq", "bad", "no-such-model").status == 401);
  }
}

// --- rate limits --------------------------------------------------------------------------

TEST_CASE("rate_limit: groq", "[sim][rate_limit]") {
  SECTION("per-minute tokens, default 30 s") {
    Simulator sim(scenario_with({rule("groq", "rate_limit")}));
    const auto response = chat(sim, "groq", "k", "openai/gpt-oss-20b");
    CHECK(response.status == 429);
    const auto error = response.json_body()["error"];
    CHECK(error["code"] == "rate_limit_exceeded");
    CHECK(error["type"] == "tokens");
    const auto message = error["message"].get<std::string>();
    CHECK(message.find("`openai/gpt-oss-20b`") != std::string::npos);
    CHECK(message.find("(TPM)") != std::string::npos);
    CHECK(message.find("Please try again in 30s.") != std::string::npos);
    CHECK(response.header("retry-after") == "30");
    CHECK(response.header("x-ratelimit-reset-tokens") == "30s");
    CHECK(response.header("x-ratelimit-remaining-tokens") == "0");
    CHECK(response.has_header("x-ratelimit-reset-requests"));
    CHECK(response.has_header("x-ratelimit-remaining-requests"));
    CHECK(response.has_header("x-request-id"));
  }
  SECTION("per day") {
    Simulator sim(
        scenario_with({rule("groq", "rate_limit", {{"retry_after_s", 566.4}, {"daily", true}})}));
    const auto response = chat(sim, "groq", "k", "openai/gpt-oss-20b");
    CHECK(response.status == 429);
    const auto error = response.json_body()["error"];
    CHECK(error["type"] == "requests");
    CHECK(error["message"].get<std::string>().find("(RPD)") != std::string::npos);
    CHECK(error["message"].get<std::string>().find("Please try again in 9m26.4s.") !=
          std::string::npos);
    CHECK(response.header("retry-after") == "567");
    CHECK(response.header("x-ratelimit-reset-requests") == "9m26.4s");
    CHECK(response.header("x-ratelimit-remaining-requests") == "0");
  }
  SECTION("reset headers use Go durations") {
    const auto [seconds, duration, retry_after] = GENERATE(table<double, std::string, std::string>({
        {0.172, "172ms", "1"},
        {1.57, "1.57s", "2"},
        {6, "6s", "6"},
        {179.56, "2m59.56s", "180"},
        {3600, "1h0m0s", "3600"},
    }));
    Simulator sim(scenario_with({rule("groq", "rate_limit", {{"retry_after_s", seconds}})}));
    const auto response = chat(sim, "groq", "k", "openai/gpt-oss-20b");
    CHECK(response.header("x-ratelimit-reset-tokens") == duration);
    CHECK(response.header("retry-after") == retry_after);
  }
}

TEST_CASE("rate_limit: cerebras", "[sim][rate_limit]") {
  SECTION("per minute") {
    Simulator sim(scenario_with({rule("cerebras", "rate_limit", {{"retry_after_s", 11.5}})}));
    const auto response = chat(sim, "cerebras", "k", "gpt-oss-120b");
    CHECK(response.status == 429);
    const auto body = response.json_body();
    CHECK_FALSE(body.contains("error"));
    CHECK(body["code"] == "request_quota_exceeded");
    CHECK(body["type"] == "too_many_requests_error");
    CHECK(body["param"] == "quota");
    CHECK(body["message"] == "Requests per minute limit exceeded - too many requests sent.");
    CHECK(response.header("retry-after") == "12");
    CHECK(response.header("x-ratelimit-reset-tokens-minute") == "11.5");
    CHECK(response.header("x-ratelimit-remaining-tokens-minute") == "0");
    CHECK(response.has_header("x-ratelimit-reset-requests-day"));
  }
  SECTION("per day") {
    Simulator sim(scenario_with({rule("cerebras", "rate_limit", {{"daily", true}})}));
    const auto response = chat(sim, "cerebras", "k", "gpt-oss-120b");
    CHECK(response.status == 429);
    CHECK(response.json_body()["message"].get<std::string>().find("per day") != std::string::npos);
    CHECK(response.header("retry-after") == "30");
    CHECK(response.header("x-ratelimit-reset-requests-day") == "30.0");
    CHECK(response.header("x-ratelimit-remaining-requests-day") == "0");
  }
}

TEST_CASE("rate_limit: gemini", "[sim][rate_limit]") {
  const auto daily = GENERATE(false, true);
  Simulator sim(
      scenario_with({rule("gemini", "rate_limit", {{"retry_after_s", 26}, {"daily", daily}})}));
  const auto response = chat(sim, "gemini", "k", "gemini-2.5-flash");
  CHECK(response.status == 429);
  const auto error = response.json_body()["error"];
  CHECK(error["code"] == 429);
  CHECK(error["status"] == "RESOURCE_EXHAUSTED");
  CHECK(error["message"].get<std::string>().find("Please retry in 26s.") != std::string::npos);
  REQUIRE(error["details"].size() == 3);
  CHECK(error["details"][0]["@type"] == "type.googleapis.com/google.rpc.QuotaFailure");
  const auto quota_id = error["details"][0]["violations"][0]["quotaId"].get<std::string>();
  CHECK((quota_id.find("PerDay") != std::string::npos) == daily);
  CHECK(error["details"][0]["violations"][0]["quotaDimensions"]["model"] == "gemini-2.5-flash");
  CHECK(error["details"][1]["@type"] == "type.googleapis.com/google.rpc.Help");
  CHECK(error["details"][2]["@type"] == "type.googleapis.com/google.rpc.RetryInfo");
  CHECK(error["details"][2]["retryDelay"] == "26s");
  // Gemini sends no rate-limit headers at all.
  CHECK_FALSE(response.has_header("retry-after"));
  for (const auto& header : response.headers) {
    CHECK(header.first.rfind("x-ratelimit", 0) != 0);
  }
}

// --- models -------------------------------------------------------------------------------

TEST_CASE("unknown models get each provider's not-found", "[sim][unknown_model]") {
  const json models = {{"groq", {"openai/gpt-oss-120b"}},
                       {"cerebras", {"gpt-oss-120b"}},
                       {"gemini", {"gemini-2.5-flash"}}};

  SECTION("groq: 404 model_not_found") {
    Simulator sim(json{{"models", models}});
    CHECK(chat(sim, "groq", "k", "openai/gpt-oss-120b").status == 200);
    const auto response = chat(sim, "groq", "k", "llama-9");
    CHECK(response.status == 404);
    const auto error = response.json_body()["error"];
    CHECK(error["code"] == "model_not_found");
    CHECK(error["message"] == "The model `llama-9` does not exist or you do not have access to it.");
  }
  SECTION("cerebras: 404 flat") {
    Simulator sim(json{{"models", models}});
    const auto response = chat(sim, "cerebras", "k", "llama3.1-8b");
    CHECK(response.status == 404);
    const auto body = response.json_body();
    CHECK(body["code"] == "model_not_found");
    CHECK(body["type"] == "not_found_error");
    CHECK(body["param"] == "model");
  }
  SECTION("gemini: 404 NOT_FOUND") {
    Simulator sim(json{{"models", models}});
    const auto response = chat(sim, "gemini", "k", "gemini-pro");
    CHECK(response.status == 404);
    const auto error = response.json_body()["error"];
    CHECK(error["status"] == "NOT_FOUND");
    CHECK(error["message"].get<std::string>().rfind("models/gemini-pro is not found", 0) == 0);
  }
  SECTION("a provider without a list knows every model") {
    Simulator sim(json{{"models", {{"groq", {"openai/gpt-oss-120b"}}}}});
    CHECK(chat(sim, "cerebras", "k", "anything-at-all").status == 200);
  }
  SECTION("the unknown_model behavior forces it") {
    const auto provider = GENERATE(from_range(kProviders));
    Simulator sim(scenario_with({rule(provider, "unknown_model")}));
    CHECK(chat(sim, provider, "k", default_model(provider)).status == 404);
  }
}

TEST_CASE("model list endpoints", "[sim][models]") {
  SECTION("scenario models, in the provider's list shape") {
    Simulator sim(json{{"models",
                    {{"groq", {"openai/gpt-oss-120b", "openai/gpt-oss-20b"}},
                     {"cerebras", {"gpt-oss-120b"}},
                     {"gemini", {"gemini-2.5-flash"}}}}});
    const auto groq = list_models(sim, "groq", "k");
    REQUIRE(groq.status == 200);
    CHECK(groq.json_body()["object"] == "list");
    CHECK(groq.json_body()["data"].size() == 2);
    CHECK(groq.json_body()["data"][1]["id"] == "openai/gpt-oss-20b");
    CHECK(groq.json_body()["data"][0]["object"] == "model");

    const auto cerebras = list_models(sim, "cerebras", "k");
    REQUIRE(cerebras.status == 200);
    CHECK(cerebras.json_body()["data"][0]["id"] == "gpt-oss-120b");

    const auto gemini = list_models(sim, "gemini", "k");
    REQUIRE(gemini.status == 200);
    CHECK(gemini.json_body()["models"][0]["name"] == "models/gemini-2.5-flash");
    CHECK(gemini.json_body()["models"][0]["supportedGenerationMethods"][0] == "generateContent");
    CHECK_FALSE(gemini.json_body().contains("nextPageToken"));
  }
  SECTION("defaults without a scenario list") {
    Simulator sim;
    CHECK_FALSE(list_models(sim, "groq", "k").json_body()["data"].empty());
    CHECK_FALSE(list_models(sim, "gemini", "k").json_body()["models"].empty());
  }
  SECTION("credentials and rules apply, hits count with an empty model") {
    Simulator sim(scenario_with({{{"key", "bad"}, {"behavior", "invalid_key"}}}));
    CHECK(list_models(sim, "cerebras", "").status == 403);
    CHECK(list_models(sim, "groq", "bad").status == 401);
    CHECK(list_models(sim, "groq", "good").status == 200);
    CHECK(sim.hits("groq", "good", "") == 1);
    CHECK(sim.hits("groq") == 2);
  }
}

// --- server-side failures ------------------------------------------------------------------

TEST_CASE("server_error", "[sim][server_error]") {
  SECTION("default 500 for every provider") {
    const auto provider = GENERATE(from_range(kProviders));
    Simulator sim(scenario_with({rule(provider, "server_error")}));
    const auto response = chat(sim, provider, "k", default_model(provider));
    CHECK(response.status == 500);
    const auto error = error_of(provider, response);
    CHECK(error["message"].is_string());
    if (provider == "gemini") {
      CHECK(error["code"] == 500);
      CHECK(error["status"] == "INTERNAL");
    } else if (provider == "groq") {
      CHECK(error["type"] == "internal_server_error");
    } else {
      CHECK(error["type"] == "server_error");
    }
  }
  SECTION("gemini 503 UNAVAILABLE") {
    Simulator sim(scenario_with({rule("gemini", "server_error", {{"status", 503}})}));
    const auto response = chat(sim, "gemini", "k", "gemini-2.5-flash");
    CHECK(response.status == 503);
    CHECK(response.json_body() == json::parse(R"({"error":{"code":503,
        "message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}})"));
  }
  SECTION("groq 503") {
    Simulator sim(scenario_with({rule("groq", "server_error", {{"status", 503}})}));
    const auto response = chat(sim, "groq", "k", "openai/gpt-oss-120b");
    CHECK(response.status == 503);
    CHECK(response.json_body()["error"]["type"] == "internal_server_error");
  }
}

TEST_CASE("malformed_json", "[sim][malformed_json]") {
  const auto provider = GENERATE(from_range(kProviders));
  Simulator sim(scenario_with({rule(provider, "malformed_json")}));

  SECTION("a truncated JSON body with status 200") {
    const auto response = chat(sim, provider, "k", default_model(provider));
    REQUIRE(response.complete);
    CHECK(response.status == 200);
    CHECK(response.header("Content-Type").rfind("application/json", 0) == 0);
    CHECK(response.body.size() > 10);
    CHECK(response.body.front() == '{');
    CHECK_FALSE(json::accept(response.body));
  }
  SECTION("a stream whose first event is truncated") {
    const auto response = chat(sim, provider, "k", default_model(provider), {true});
    REQUIRE(response.complete);
    CHECK(response.status == 200);
    const auto payloads = data_payloads(response.body);
    REQUIRE_FALSE(payloads.empty());
    CHECK_FALSE(json::accept(payloads[0]));
  }
}

TEST_CASE("html_error", "[sim][html_error]") {
  const auto provider = GENERATE(from_range(kProviders));

  SECTION("default 502 Cloudflare page") {
    Simulator sim(scenario_with({rule(provider, "html_error")}));
    const auto response = chat(sim, provider, "k", default_model(provider));
    CHECK(response.status == 502);
    CHECK(response.header("Content-Type").rfind("text/html", 0) == 0);
    CHECK(response.body.find("<html>") != std::string::npos);
    CHECK(response.body.find("502 Bad Gateway") != std::string::npos);
    CHECK(response.body.find("cloudflare") != std::string::npos);
    CHECK_FALSE(json::accept(response.body));
  }
  SECTION("custom status") {
    Simulator sim(scenario_with({rule(provider, "html_error", {{"status", 503}})}));
    const auto response = chat(sim, provider, "k", default_model(provider));
    CHECK(response.status == 503);
    CHECK(response.body.find("503 Service Unavailable") != std::string::npos);
  }
}

TEST_CASE("drop_connection sends less body than announced", "[sim][drop_connection]") {
  const auto provider = GENERATE(from_range(kProviders));
  const auto stream = GENERATE(false, true);
  Simulator sim(scenario_with({rule(provider, "drop_connection")}));
  const auto response = chat(sim, provider, "k", default_model(provider), {stream});
  CHECK_FALSE(response.complete);
  CHECK(response.status == 200);
  REQUIRE(response.has_header("Content-Length"));
  CHECK(response.body.size() < std::stoul(response.header("Content-Length")));
  // The server is still fine afterwards.
  CHECK(chat(sim, "groq", "other", "openai/gpt-oss-120b").status == 200);
}

// --- streaming ----------------------------------------------------------------------------

TEST_CASE("streams: groq", "[sim][stream]") {
  Simulator sim;
  const auto response = chat(sim, "groq", "k", "openai/gpt-oss-120b", {true});
  REQUIRE(response.complete);
  CHECK(response.status == 200);
  CHECK(response.header("Content-Type") == "text/event-stream");
  CHECK(response.body.rfind("data: ", 0) == 0);
  CHECK(response.body.size() >= 2);
  CHECK(response.body.substr(response.body.size() - 2) == "\n\n");

  const auto payloads = data_payloads(response.body);
  REQUIRE(payloads.size() >= 6);  // role chunk, >= 3 deltas, finish chunk, [DONE]
  CHECK(payloads.back() == "[DONE]");
  const auto first = json::parse(payloads.front());
  CHECK(first["object"] == "chat.completion.chunk");
  CHECK(first["choices"][0]["delta"]["role"] == "assistant");
  CHECK(first["x_groq"]["id"].get<std::string>().rfind("req_", 0) == 0);
  const auto last = json::parse(payloads[payloads.size() - 2]);
  CHECK(last["choices"][0]["delta"] == json::object());
  CHECK(last["choices"][0]["finish_reason"] == "stop");
  CHECK(last["x_groq"]["usage"]["total_tokens"].is_number());
  CHECK(last["usage"] == last["x_groq"]["usage"]);
  CHECK(streamed_text("groq", payloads) == "Hello from groq openai/gpt-oss-120b.");
  std::size_t content_chunks = 0;
  for (std::size_t i = 1; i + 2 < payloads.size(); ++i) {
    CHECK(json::parse(payloads[i])["choices"][0]["delta"].contains("content"));
    ++content_chunks;
  }
  CHECK(content_chunks >= 3);
}

TEST_CASE("streams: cerebras", "[sim][stream]") {
  Simulator sim(scenario_with({rule("cerebras", "ok", {{"text", "one two three four"}})}));
  const auto response = chat(sim, "cerebras", "k", "gpt-oss-120b", {true});
  REQUIRE(response.complete);
  CHECK(response.header("Content-Type") == "text/event-stream");
  const auto payloads = data_payloads(response.body);
  REQUIRE(payloads.size() == 7);  // role, 4 deltas, usage chunk, [DONE]
  CHECK(payloads.back() == "[DONE]");
  CHECK(json::parse(payloads[0])["choices"][0]["delta"] == json{{"role", "assistant"}});
  CHECK(json::parse(payloads[4])["choices"][0]["finish_reason"] == "stop");
  const auto usage_chunk = json::parse(payloads[5]);
  CHECK(usage_chunk["choices"] == json::array());
  CHECK(usage_chunk["usage"]["completion_tokens"] == 4);
  CHECK(usage_chunk["time_info"].contains("total_time"));
  CHECK(streamed_text("cerebras", payloads) == "one two three four");
}

TEST_CASE("streams: gemini", "[sim][stream]") {
  Simulator sim;

  SECTION("alt=sse: one event per word, no [DONE]") {
    const auto response = chat(sim, "gemini", "k", "gemini-2.5-flash", {true});
    REQUIRE(response.complete);
    CHECK(response.header("Content-Type") == "text/event-stream");
    const auto payloads = data_payloads(response.body);
    REQUIRE(payloads.size() >= 3);
    for (const auto& payload : payloads) {
      CHECK(payload != "[DONE]");
      const auto event = json::parse(payload);
      CHECK(event.contains("usageMetadata"));
      CHECK(event["modelVersion"] == "gemini-2.5-flash");
    }
    const auto last = json::parse(payloads.back());
    CHECK(last["candidates"][0]["finishReason"] == "STOP");
    CHECK_FALSE(json::parse(payloads.front())["candidates"][0].contains("finishReason"));
    CHECK(streamed_text("gemini", payloads) == "Hello from gemini gemini-2.5-flash.");
  }
  SECTION("without alt=sse: one JSON array") {
    const auto response = send(sim, "POST", "/v1beta/models/gemini-2.5-flash:streamGenerateContent",
                               {{"x-goog-api-key", "k"}}, R"({"contents":[]})");
    REQUIRE(response.status == 200);
    const auto body = response.json_body();
    REQUIRE(body.is_array());
    CHECK(body.size() >= 3);
    CHECK(body.back()["candidates"][0]["finishReason"] == "STOP");
  }
}

TEST_CASE("streamed tool calls", "[sim][stream][tool_call]") {
  const auto provider = GENERATE(from_range(kProviders));
  Simulator sim(scenario_with({rule(provider, "tool_call", {{"tool_args", {{"q", 1}}}})}));
  const auto response = chat(sim, provider, "k", default_model(provider), {true, true});
  REQUIRE(response.complete);
  const auto payloads = data_payloads(response.body);
  bool saw_call = false;
  for (const auto& payload : payloads) {
    if (payload == "[DONE]") continue;
    const auto event = json::parse(payload);
    if (provider == "gemini") {
      const auto& part = event["candidates"][0]["content"]["parts"][0];
      if (part.contains("functionCall")) {
        saw_call = true;
        CHECK(part["functionCall"]["name"] == "get_weather");
        CHECK(part["functionCall"]["args"] == json{{"q", 1}});
      }
    } else if (!event["choices"].empty() && event["choices"][0]["delta"].contains("tool_calls")) {
      saw_call = true;
      const auto& call = event["choices"][0]["delta"]["tool_calls"][0];
      CHECK(call["index"] == 0);
      CHECK(call["function"]["name"] == "get_weather");
      CHECK(call["function"]["arguments"] == R"({"q":1})");
    }
  }
  CHECK(saw_call);
  if (provider != "gemini") {
    CHECK(payloads.back() == "[DONE]");
    CHECK(response.body.find(R"("finish_reason":"tool_calls")") != std::string::npos);
  }
}

TEST_CASE("stream_cut ends the stream early without its terminator", "[sim][stream_cut]") {
  const auto provider = GENERATE(from_range(kProviders));

  SECTION("after the given number of chunks") {
    const auto after = GENERATE(std::size_t{0}, std::size_t{2});
    Simulator sim(scenario_with({rule(provider, "stream_cut", {{"after_chunks", after}})}));
    const auto response = chat(sim, provider, "k", default_model(provider), {true});
    CHECK_FALSE(response.complete);
    CHECK(response.status == 200);
    const auto payloads = data_payloads(response.body);
    CHECK(payloads.size() == after);
    for (const auto& payload : payloads) CHECK(json::accept(payload));
    CHECK(response.body.find("[DONE]") == std::string::npos);
  }
  SECTION("default: one chunk") {
    Simulator sim(scenario_with({rule(provider, "stream_cut")}));
    const auto response = chat(sim, provider, "k", default_model(provider), {true});
    CHECK_FALSE(response.complete);
    CHECK(data_payloads(response.body).size() == 1);
  }
  SECTION("non-stream requests get a dropped connection") {
    Simulator sim(scenario_with({rule(provider, "stream_cut")}));
    const auto response = chat(sim, provider, "k", default_model(provider));
    CHECK_FALSE(response.complete);
    CHECK(response.body.size() < std::stoul(response.header("Content-Length")));
  }
}

TEST_CASE("error_in_stream sends an error event after some chunks", "[sim][error_in_stream]") {
  SECTION("groq: an `event: error` frame") {
    Simulator sim(scenario_with({rule("groq", "error_in_stream", {{"after_chunks", 2}})}));
    const auto response = chat(sim, "groq", "k", "openai/gpt-oss-120b", {true});
    REQUIRE(response.complete);
    CHECK(response.status == 200);
    const auto frames = sse_frames(response.body);
    REQUIRE(frames.size() == 3);
    CHECK(frames.back().rfind("event: error\ndata: ", 0) == 0);
    const auto payloads = data_payloads(response.body);
    const auto error = json::parse(payloads.back())["error"];
    CHECK(error["status_code"] == 500);
    CHECK(error["message"].is_string());
    CHECK(response.body.find("[DONE]") == std::string::npos);
  }
  SECTION("cerebras: error plus status_code") {
    Simulator sim(scenario_with(
        {rule("cerebras", "error_in_stream", {{"after_chunks", 1}, {"status", 503}})}));
    const auto response = chat(sim, "cerebras", "k", "gpt-oss-120b", {true});
    REQUIRE(response.complete);
    const auto payloads = data_payloads(response.body);
    REQUIRE(payloads.size() == 2);
    const auto last = json::parse(payloads.back());
    CHECK(last["status_code"] == 503);
    CHECK(last["error"]["message"].is_string());
  }
  SECTION("gemini: a google.rpc.Status event") {
    Simulator sim(scenario_with(
        {rule("gemini", "error_in_stream", {{"after_chunks", 2}, {"status", 503}})}));
    const auto response = chat(sim, "gemini", "k", "gemini-2.5-flash", {true});
    REQUIRE(response.complete);
    const auto payloads = data_payloads(response.body);
    REQUIRE(payloads.size() == 3);
    const auto error = json::parse(payloads.back())["error"];
    CHECK(error["code"] == 503);
    CHECK(error["status"] == "UNAVAILABLE");
  }
  SECTION("non-stream requests get the error as a plain HTTP error") {
    const auto provider = GENERATE(from_range(kProviders));
    Simulator sim(scenario_with({rule(provider, "error_in_stream", {{"status", 503}})}));
    CHECK(chat(sim, provider, "k", default_model(provider)).status == 503);
  }
}

// --- rule bookkeeping ---------------------------------------------------------------------

TEST_CASE("rules match on provider and key and model and the first match wins", "[sim][rules]") {
  Simulator sim(scenario_with({
      {{"provider", "groq"}, {"key", "k1"}, {"model", "openai/gpt-oss-20b"},
       {"behavior", "server_error"}, {"status", 502}},
      {{"provider", "groq"}, {"key", "k1"}, {"behavior", "invalid_key"}},
      {{"model", "gpt-oss-120b"}, {"behavior", "rate_limit"}},
  }));
  CHECK(chat(sim, "groq", "k1", "openai/gpt-oss-20b").status == 502);
  CHECK(chat(sim, "groq", "k1", "openai/gpt-oss-120b").status == 401);
  CHECK(chat(sim, "groq", "k2", "openai/gpt-oss-120b").status == 200);
  CHECK(chat(sim, "cerebras", "k1", "gpt-oss-120b").status == 429);
  CHECK(chat(sim, "cerebras", "k1", "zai-glm-4.7").status == 200);
}

TEST_CASE("times limits a rule to its first N hits and matching then falls through",
          "[sim][rules][times]") {
  Simulator sim(scenario_with({
      rule("gemini", "server_error", {{"model", "gemini-2.5-flash"}, {"status", 503}, {"times", 2}}),
      rule("gemini", "rate_limit", {{"times", 1}}),
  }));
  CHECK(chat(sim, "gemini", "k", "gemini-2.5-flash").status == 503);
  CHECK(chat(sim, "gemini", "k", "gemini-2.5-flash").status == 503);
  CHECK(chat(sim, "gemini", "k", "gemini-2.5-flash").status == 429);
  CHECK(chat(sim, "gemini", "k", "gemini-2.5-flash").status == 200);

  SECTION("reset() restores the uses") {
    sim.reset();
    CHECK(chat(sim, "gemini", "k", "gemini-2.5-flash").status == 503);
  }
  SECTION("set_scenario() restores the uses") {
    sim.set_scenario(scenario_with({rule("gemini", "server_error", {{"times", 1}})}));
    CHECK(chat(sim, "gemini", "k", "gemini-2.5-flash").status == 500);
    CHECK(chat(sim, "gemini", "k", "gemini-2.5-flash").status == 200);
  }
  SECTION("times 0 disables a rule") {
    sim.set_scenario(scenario_with({rule("gemini", "server_error", {{"times", 0}})}));
    CHECK(chat(sim, "gemini", "k", "gemini-2.5-flash").status == 200);
  }
}

TEST_CASE("latency_ms delays the answer", "[sim][latency]") {
  const auto provider = GENERATE(from_range(kProviders));
  const auto behavior = GENERATE(as<std::string>{}, "ok", "rate_limit");
  Simulator sim(scenario_with({rule(provider, behavior, {{"latency_ms", 150}})}));
  const auto started = Clock::now();
  const auto response = chat(sim, provider, "k", default_model(provider));
  const auto elapsed = Clock::now() - started;
  CHECK(response.status == (behavior == "ok" ? 200 : 429));
  CHECK(elapsed >= std::chrono::milliseconds(150));
}

TEST_CASE("stop() cuts a pending latency short", "[sim][latency][lifecycle]") {
  Simulator sim(scenario_with({{{"behavior", "ok"}, {"latency_ms", 60000}}}));
  std::thread client([&sim] { chat(sim, "groq", "k", "openai/gpt-oss-120b"); });
  // The hit is counted before the latency wait starts.
  for (int i = 0; i < 5000 && sim.hits() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  REQUIRE(sim.hits() == 1);
  const auto started = Clock::now();
  sim.stop();
  client.join();
  CHECK(Clock::now() - started < std::chrono::seconds(30));
}

// --- stats and control endpoints ----------------------------------------------------------

TEST_CASE("hits are counted per provider and key and model", "[sim][stats]") {
  Simulator sim;
  chat(sim, "groq", "k1", "openai/gpt-oss-120b");
  chat(sim, "groq", "k1", "openai/gpt-oss-120b");
  chat(sim, "groq", "k2", "openai/gpt-oss-20b");
  chat(sim, "gemini", "g1", "gemini-2.5-flash");
  list_models(sim, "cerebras", "c1");

  CHECK(sim.hits() == 5);
  CHECK(sim.hits("groq") == 3);
  CHECK(sim.hits("groq", "k1") == 2);
  CHECK(sim.hits("groq", "k1", "openai/gpt-oss-120b") == 2);
  CHECK(sim.hits("", "", "openai/gpt-oss-20b") == 1);
  CHECK(sim.hits("cerebras", "c1", "") == 1);
  CHECK(sim.hits("cerebras", "nobody") == 0);

  const json expected = {
      {"total", 5},
      {"connections", 5},  // one client per call in these helpers
      {"hits",
       {{{"provider", "cerebras"}, {"key", "c1"}, {"model", ""}, {"count", 1}},
        {{"provider", "gemini"}, {"key", "g1"}, {"model", "gemini-2.5-flash"}, {"count", 1}},
        {{"provider", "groq"}, {"key", "k1"}, {"model", "openai/gpt-oss-120b"}, {"count", 2}},
        {{"provider", "groq"}, {"key", "k2"}, {"model", "openai/gpt-oss-20b"}, {"count", 1}}}}};
  CHECK(sim.stats() == expected);
  const auto endpoint = send(sim, "GET", "/_sim/stats");
  REQUIRE(endpoint.status == 200);
  CHECK(endpoint.json_body() == expected);

  SECTION("reset() zeroes the counters") {
    sim.reset();
    CHECK(sim.hits() == 0);
    CHECK(sim.stats() == json{{"total", 0}, {"connections", 0}, {"hits", json::array()}});
  }
  SECTION("requests over one keep-alive connection count one connection") {
    sim.reset();
    httplib::Client client(sim.url());
    client.set_keep_alive(true);
    const httplib::Headers auth{{"Authorization", "Bearer k1"}};
    const std::string body = R"({"model":"openai/gpt-oss-120b","messages":[{"role":"user","content":"hi"}]})";
    for (int i = 0; i < 3; ++i) {
      auto res = client.Post("/openai/v1/chat/completions", auth, body, "application/json");
      REQUIRE(res);
      CHECK(res->status == 200);
    }
    CHECK(sim.stats()["total"] == 3);
    CHECK(sim.stats()["connections"] == 1);
  }
  SECTION("POST /_sim/reset zeroes the counters") {
    CHECK(send(sim, "POST", "/_sim/reset").status == 200);
    CHECK(sim.hits() == 0);
  }
  SECTION("control endpoints are not counted") {
    send(sim, "GET", "/_sim/stats");
    CHECK(sim.hits() == 5);
  }
}

TEST_CASE("POST /_sim/scenario replaces the scenario", "[sim][control]") {
  Simulator sim;
  SECTION("a good scenario") {
    const auto response = send(sim, "POST", "/_sim/scenario", {},
                               scenario_with({rule("groq", "invalid_key")}).dump());
    CHECK(response.status == 200);
    CHECK(chat(sim, "groq", "k", "openai/gpt-oss-120b").status == 401);
  }
  SECTION("a bad scenario is refused with a message naming the field") {
    const auto response =
        send(sim, "POST", "/_sim/scenario", {}, R"({"rules":[{"behavior":"explode"}]})");
    CHECK(response.status == 400);
    CHECK(response.json_body()["error"].get<std::string>().find("rules[0].behavior") !=
          std::string::npos);
    CHECK(chat(sim, "groq", "k", "openai/gpt-oss-120b").status == 200);
  }
  SECTION("a body that is not JSON") {
    CHECK(send(sim, "POST", "/_sim/scenario", {}, "{nope").status == 400);
  }
}

TEST_CASE("scenario validation names the offending field", "[sim][validation]") {
  const auto [scenario, where] = GENERATE(table<std::string, std::string>({
      {R"([])", "scenario"},
      {R"({"rulez":[]})", "rulez"},
      {R"({"models":[]})", "models"},
      {R"({"models":{"openai":["x"]}})", "models.openai"},
      {R"({"models":{"groq":"x"}})", "models.groq"},
      {R"({"models":{"groq":["a",2]}})", "models.groq[1]"},
      {R"({"rules":{}})", "rules"},
      {R"({"rules":[42]})", "rules[0]"},
      {R"({"rules":[{"behavior":"ok"},{"behavior":"explode"}]})", "rules[1].behavior"},
      {R"({"rules":[{"behavior":7}]})", "rules[0].behavior"},
      {R"({"rules":[{"colour":"red"}]})", "rules[0].colour"},
      {R"({"rules":[{"provider":"openai"}]})", "rules[0].provider"},
      {R"({"rules":[{"key":1}]})", "rules[0].key"},
      {R"({"rules":[{"model":null}]})", "rules[0].model"},
      {R"({"rules":[{"times":"2"}]})", "rules[0].times"},
      {R"({"rules":[{"times":-1}]})", "rules[0].times"},
      {R"({"rules":[{"latency_ms":1.5}]})", "rules[0].latency_ms"},
      {R"({"rules":[{"text":["a"]}]})", "rules[0].text"},
      {R"({"rules":[{"behavior":"rate_limit","retry_after_s":"30"}]})", "rules[0].retry_after_s"},
      {R"({"rules":[{"behavior":"rate_limit","retry_after_s":-1}]})", "rules[0].retry_after_s"},
      {R"({"rules":[{"behavior":"rate_limit","daily":"yes"}]})", "rules[0].daily"},
      {R"({"rules":[{"behavior":"server_error","status":200}]})", "rules[0].status"},
      {R"({"rules":[{"behavior":"html_error","status":"502"}]})", "rules[0].status"},
      {R"({"rules":[{"behavior":"stream_cut","after_chunks":-2}]})", "rules[0].after_chunks"},
      {R"({"rules":[{"behavior":"tool_call","tool_args":"{}"}]})", "rules[0].tool_args"},
      {R"({"rules":[{"behavior":"tool_call","tool_name":false}]})", "rules[0].tool_name"},
      // Fields that belong to another behavior are mistakes too.
      {R"({"rules":[{"behavior":"server_error","retry_after_s":5}]})", "rules[0].retry_after_s"},
      {R"({"rules":[{"behavior":"ok","status":500}]})", "rules[0].status"},
  }));
  CAPTURE(scenario);
  const auto value = json::parse(scenario);
  CHECK_THROWS_AS(Simulator(value), std::invalid_argument);
  CHECK_THROWS_WITH(Simulator(value), Catch::Contains(where + ":"));

  Simulator sim(scenario_with({rule("groq", "invalid_key")}));
  CHECK_THROWS_AS(sim.set_scenario(value), std::invalid_argument);
  // A refused scenario leaves the old one in place.
  CHECK(chat(sim, "groq", "k", "openai/gpt-oss-120b").status == 401);
}

TEST_CASE("every behavior and field validates", "[sim][validation]") {
  const auto scenario = json::parse(R"({
    "description": "all fields",
    "models": {"groq": ["a"], "cerebras": [], "gemini": ["b"]},
    "rules": [
      {"provider": "groq", "key": "k", "model": "a", "behavior": "ok", "text": "t",
       "times": 3, "latency_ms": 0, "description": "d"},
      {"behavior": "tool_call", "tool_name": "f", "tool_args": {"x": 1}, "text": "t"},
      {"behavior": "invalid_key"},
      {"behavior": "rate_limit", "retry_after_s": 1.5, "daily": true},
      {"behavior": "unknown_model"},
      {"behavior": "server_error", "status": 503},
      {"behavior": "malformed_json"},
      {"behavior": "html_error", "status": 502},
      {"behavior": "drop_connection"},
      {"behavior": "stream_cut", "after_chunks": 3, "text": "t"},
      {"behavior": "error_in_stream", "after_chunks": 1, "status": 500, "text": "t"},
      {"latency_ms": 10}
    ]})");
  CHECK_NOTHROW(Simulator(scenario));
}

// --- lifecycle, files, routing ------------------------------------------------------------

TEST_CASE("lifecycle and addressing", "[sim][lifecycle]") {
  Simulator sim;
  CHECK(sim.port() > 0);
  CHECK(sim.url() == "http://127.0.0.1:" + std::to_string(sim.port()));

  SECTION("a busy fixed port is refused") {
    CHECK_THROWS_AS(Simulator(json::object(), "127.0.0.1", sim.port()), std::runtime_error);
  }
  SECTION("stop() is idempotent and the port closes") {
    sim.stop();
    sim.stop();
    httplib::Client client(sim.url());
    client.set_connection_timeout(2, 0);
    CHECK_FALSE(client.Get("/_sim/stats"));
  }
  SECTION("unknown paths get a JSON 404 naming the path") {
    const auto response = send(sim, "GET", "/openai/v1/nope");
    CHECK(response.status == 404);
    CHECK(response.json_body()["error"]["message"].get<std::string>().find("/openai/v1/nope") !=
          std::string::npos);
  }
  SECTION("a body that is not JSON is a provider 400") {
    const auto response = send(sim, "POST", "/openai/v1/chat/completions",
                               {{"Authorization", "Bearer k"}}, "{not json");
    CHECK(response.status == 400);
    CHECK(response.json_body()["error"]["type"] == "invalid_request_error");
  }
}

TEST_CASE("load_scenario_file", "[sim][files]") {
  using polyrouter::sim::load_scenario_file;
  SECTION("a missing file names the file") {
    CHECK_THROWS_AS(load_scenario_file("/nonexistent/scenario.json"), std::runtime_error);
    CHECK_THROWS_WITH(load_scenario_file("/nonexistent/scenario.json"),
                      Catch::Contains("/nonexistent/scenario.json"));
  }
  SECTION("the shipped example scenarios load and validate") {
    const auto name = GENERATE(as<std::string>{}, "all_ok.json", "demo.json", "flaky.json");
    const auto path = std::string(POLYROUTER_SIM_SCENARIO_DIR) + "/" + name;
    CAPTURE(path);
    const auto scenario = load_scenario_file(path);
    CHECK_NOTHROW(Simulator(scenario));
  }
}

TEST_CASE("concurrent clients over keep-alive connections", "[sim][concurrency]") {
  // 50 failures spread over 320 requests from 32 threads: rule uses are counted exactly.
  Simulator sim(scenario_with({rule("groq", "server_error", {{"times", 50}})}));
  constexpr int kThreads = 32;
  constexpr int kRequests = 10;
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  std::atomic<int> other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      httplib::Client client(sim.url());
      client.set_keep_alive(true);
      client.set_read_timeout(20, 0);
      const httplib::Headers headers{{"Authorization", "Bearer key-" + std::to_string(t)}};
      const auto body = json{{"model", "openai/gpt-oss-120b"}, {"messages", json::array()}}.dump();
      for (int i = 0; i < kRequests; ++i) {
        const auto result =
            client.Post("/openai/v1/chat/completions", headers, body, "application/json");
        if (result && result->status == 200) {
          ++ok;
        } else if (result && result->status == 500) {
          ++failed;
        } else {
          ++other;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(other == 0);
  CHECK(failed == 50);
  CHECK(ok == kThreads * kRequests - 50);
  CHECK(sim.hits("groq") == static_cast<std::size_t>(kThreads * kRequests));
}
