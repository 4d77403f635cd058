// The simulator's Anthropic Messages wire over real loopback HTTP, using httplib's client (not
// polyrouter's): the request checks the API makes, success, error and rate-limit shapes, named
// SSE events, in-stream errors, the fault behaviors, and GET /v1/models shared with Cerebras.

#include <httplib.h>

#include <regex>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "polyrouter/sim/simulator.hpp"

namespace {

using nlohmann::json;
using polyrouter::sim::Simulator;

const std::string kClaudeModel = "claude-sonnet-4-6";

struct ClaudeHttp {
  bool complete = false;
  int status = 0;
  httplib::Headers headers;
  std::string body;

  std::string header(const std::string& name) const {
    const auto found = headers.find(name);
    return found == headers.end() ? std::string() : found->second;
  }
  bool has_header(const std::string& name) const { return headers.count(name) > 0; }
  json json_body() const { return json::parse(body); }
};

ClaudeHttp claude_send(const Simulator& sim, const std::string& method, const std::string& path,
                       const httplib::Headers& headers, const std::string& body = {}) {
  httplib::Client client(sim.url());
  client.set_connection_timeout(5, 0);
  client.set_read_timeout(20, 0);
  httplib::Request request;
  request.method = method;
  request.path = path;
  request.headers = headers;
  if (!body.empty()) {
    request.body = body;
    request.set_header("Content-Type", "application/json");
  }
  ClaudeHttp out;
  request.content_receiver = [&out](const char* data, std::size_t size, std::uint64_t, std::uint64_t) {
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

httplib::Headers claude_headers(const std::string& key) {
  httplib::Headers headers{{"anthropic-version", "2023-06-01"}};
  if (!key.empty()) headers.emplace("x-api-key", key);
  return headers;
}

json claude_body(bool stream = false, bool tools = false) {
  json body{
      {"model", kClaudeModel}, {"max_tokens", 64}, {"messages", json::array({{{"role", "user"}, {"content", "Hi"}}})}};
  if (stream) body["stream"] = true;
  if (tools) {
    body["tools"] = json::array({{{"name", "get_weather"}, {"input_schema", {{"type", "object"}}}}});
  }
  return body;
}

ClaudeHttp claude_chat(const Simulator& sim, const std::string& key, bool stream = false, bool tools = false) {
  return claude_send(sim, "POST", "/v1/messages", claude_headers(key), claude_body(stream, tools).dump());
}

// (event name, data) of each SSE frame.
std::vector<std::pair<std::string, std::string>> claude_frames(const std::string& body) {
  std::vector<std::pair<std::string, std::string>> frames;
  std::size_t start = 0;
  for (auto end = body.find("\n\n"); end != std::string::npos; end = body.find("\n\n", start)) {
    const std::string frame = body.substr(start, end - start);
    std::string event;
    std::string data;
    std::size_t line_start = 0;
    while (line_start < frame.size()) {
      auto line_end = frame.find('\n', line_start);
      if (line_end == std::string::npos) line_end = frame.size();
      const std::string line = frame.substr(line_start, line_end - line_start);
      if (line.rfind("event: ", 0) == 0) event = line.substr(7);
      if (line.rfind("data: ", 0) == 0) data = line.substr(6);
      line_start = line_end + 1;
    }
    frames.emplace_back(event, data);
    start = end + 2;
  }
  return frames;
}

json claude_rule(const std::string& behavior, json extra = json::object()) {
  extra["provider"] = "anthropic";
  extra["behavior"] = behavior;
  return extra;
}

json claude_scenario(std::vector<json> rules) { return {{"rules", std::move(rules)}}; }

bool is_rfc3339(const std::string& text) {
  return std::regex_match(text, std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)"));
}

}  // namespace

TEST_CASE("anthropic: ok answers with a message and healthy rate-limit headers", "[sim][anthropic][ok]") {
  Simulator sim;
  const auto response = claude_chat(sim, "k");
  REQUIRE(response.status == 200);
  CHECK(response.header("Content-Type") == "application/json");
  const json body = response.json_body();
  CHECK(body["type"] == "message");
  CHECK(body["role"] == "assistant");
  CHECK(body["model"] == kClaudeModel);
  CHECK(body["id"].get<std::string>().rfind("msg_01", 0) == 0);
  CHECK(body["content"] == json::parse(R"([{"type":"text","text":"Hello from anthropic claude-sonnet-4-6."}])"));
  CHECK(body["stop_reason"] == "end_turn");
  CHECK(body["stop_sequence"].is_null());
  CHECK(body["usage"]["input_tokens"].get<int>() > 0);
  CHECK(body["usage"]["output_tokens"] == 4);
  CHECK(body["usage"]["cache_read_input_tokens"] == 0);
  CHECK(response.header("request-id").rfind("req_", 0) == 0);
  CHECK(response.header("anthropic-ratelimit-requests-remaining") == "3999");
  CHECK(is_rfc3339(response.header("anthropic-ratelimit-input-tokens-reset")));
  CHECK_FALSE(response.has_header("retry-after"));
  CHECK(sim.hits("anthropic", "k", kClaudeModel) == 1);
}

TEST_CASE("anthropic: tool_call answers a tool_use block when the request has tools", "[sim][anthropic][tool_call]") {
  Simulator sim(claude_scenario({claude_rule("tool_call", {{"tool_args", {{"city", "Paris"}}}})}));
  const json with_tools = claude_chat(sim, "k", false, true).json_body();
  CHECK(with_tools["stop_reason"] == "tool_use");
  const json& block = with_tools["content"][0];
  CHECK(block["type"] == "tool_use");
  CHECK(block["id"].get<std::string>().rfind("toolu_01", 0) == 0);
  CHECK(block["name"] == "get_weather");
  CHECK(block["input"] == json{{"city", "Paris"}});
  const json without = claude_chat(sim, "k").json_body();
  CHECK(without["content"][0]["type"] == "text");
}

TEST_CASE("anthropic: the checks the API makes before anything else", "[sim][anthropic][auth][validation]") {
  Simulator sim;
  SECTION("no x-api-key: 401; a Bearer token is not an API key") {
    for (const httplib::Headers& headers :
         {claude_headers(""), httplib::Headers{{"anthropic-version", "2023-06-01"}, {"Authorization", "Bearer k"}}}) {
      const auto response = claude_send(sim, "POST", "/v1/messages", headers, claude_body().dump());
      CHECK(response.status == 401);
      CHECK(response.json_body()["error"] ==
            json{{"type", "authentication_error"}, {"message", "x-api-key header is required"}});
    }
  }
  SECTION("no anthropic-version") {
    const auto response = claude_send(sim, "POST", "/v1/messages", {{"x-api-key", "k"}}, claude_body().dump());
    CHECK(response.status == 400);
    CHECK(response.json_body()["error"]["message"] == "anthropic-version: header is required");
  }
  SECTION("a field the closed request schema does not know") {
    json body = claude_body();
    body["seed"] = 1;
    const auto response = claude_send(sim, "POST", "/v1/messages", claude_headers("k"), body.dump());
    CHECK(response.status == 400);
    CHECK(response.json_body()["error"]["type"] == "invalid_request_error");
    CHECK(response.json_body()["error"]["message"] == "seed: Extra inputs are not permitted");
  }
  SECTION("no max_tokens") {
    json body = claude_body();
    body.erase("max_tokens");
    const auto response = claude_send(sim, "POST", "/v1/messages", claude_headers("k"), body.dump());
    CHECK(response.status == 400);
    CHECK(response.json_body()["error"]["message"] == "max_tokens: Field required");
  }
}

TEST_CASE("anthropic: errors in the API's envelope", "[sim][anthropic][errors]") {
  SECTION("invalid_key") {
    Simulator sim(claude_scenario({claude_rule("invalid_key")}));
    const auto response = claude_chat(sim, "bad");
    CHECK(response.status == 401);
    const json body = response.json_body();
    CHECK(body["type"] == "error");
    CHECK(body["error"] == json{{"type", "authentication_error"}, {"message", "invalid x-api-key"}});
    CHECK(body["request_id"].get<std::string>().rfind("req_", 0) == 0);
  }
  SECTION("unknown model") {
    Simulator sim(json{{"models", {{"anthropic", {"claude-haiku-4-5"}}}}});
    const auto response = claude_chat(sim, "k");
    CHECK(response.status == 404);
    CHECK(response.json_body()["error"] == json{{"type", "not_found_error"}, {"message", "model: " + kClaudeModel}});
  }
  SECTION("server errors: 529 overloaded, 500 api_error, 413 from the edge") {
    const auto [status, type] = GENERATE(table<int, std::string>(
        {{529, "overloaded_error"}, {500, "api_error"}, {504, "timeout_error"}, {413, "request_too_large"}}));
    Simulator sim(claude_scenario({claude_rule("server_error", {{"status", status}})}));
    const auto response = claude_chat(sim, "k");
    CHECK(response.status == status);
    const json body = response.json_body();
    CHECK(body["error"]["type"] == type);
    CHECK(body.contains("request_id") == (status != 413));
    if (status >= 500) CHECK(response.header("x-should-retry") == "true");
  }
  SECTION("context_length: the too-long prompt of anthropic_400") {
    Simulator sim(claude_scenario({claude_rule("context_length")}));
    const auto response = claude_chat(sim, "k");
    CHECK(response.status == 400);
    CHECK(response.json_body()["error"] ==
          json{{"type", "invalid_request_error"}, {"message", "prompt is too long: 200251 tokens > 200000 maximum"}});
  }
}

TEST_CASE("anthropic: rate limits", "[sim][anthropic][rate_limit]") {
  SECTION("per minute: retry-after and the exhausted family's RFC 3339 reset") {
    Simulator sim(claude_scenario({claude_rule("rate_limit", {{"retry_after_s", 30}})}));
    const auto response = claude_chat(sim, "k");
    CHECK(response.status == 429);
    CHECK(response.json_body()["error"]["type"] == "rate_limit_error");
    CHECK(response.header("retry-after") == "30");
    CHECK(response.header("x-should-retry") == "true");
    CHECK(response.header("anthropic-ratelimit-input-tokens-remaining") == "0");
    CHECK(response.header("anthropic-ratelimit-output-tokens-remaining") != "0");
    CHECK(is_rfc3339(response.header("anthropic-ratelimit-input-tokens-reset")));
    CHECK(response.header("anthropic-ratelimit-input-tokens-reset") >
          response.header("anthropic-ratelimit-requests-reset"));
  }
  SECTION("daily: a spend cap, without retry-after") {
    Simulator sim(claude_scenario({claude_rule("rate_limit", {{"daily", true}})}));
    const auto response = claude_chat(sim, "k");
    CHECK(response.status == 429);
    CHECK(response.json_body()["error"]["details"]["error_code"] == "enforced_spend_limit_reached");
    CHECK_FALSE(response.has_header("retry-after"));
  }
}

TEST_CASE("anthropic: streams of named events ending with message_stop", "[sim][anthropic][stream]") {
  SECTION("text") {
    Simulator sim;
    const auto response = claude_chat(sim, "k", true);
    REQUIRE(response.complete);
    CHECK(response.header("Content-Type") == "text/event-stream");
    const auto frames = claude_frames(response.body);
    REQUIRE(frames.size() >= 8);
    std::string text;
    for (const auto& [event, data] : frames) {
      const json payload = json::parse(data);
      CHECK(payload["type"] == event);  // the event name is the data's type
      if (event == "content_block_delta") text += payload["delta"]["text"].get<std::string>();
    }
    CHECK(frames.front().first == "message_start");
    CHECK(frames[2].first == "ping");
    CHECK(frames[frames.size() - 2].first == "message_delta");
    CHECK(json::parse(frames[frames.size() - 2].second)["delta"]["stop_reason"] == "end_turn");
    CHECK(frames.back().first == "message_stop");
    CHECK(text == "Hello from anthropic claude-sonnet-4-6.");
    CHECK(response.body.find("[DONE]") == std::string::npos);
  }
  SECTION("a tool call in input_json_delta fragments, the first one empty") {
    Simulator sim(claude_scenario({claude_rule("tool_call", {{"tool_args", {{"q", 1}}}})}));
    const auto frames = claude_frames(claude_chat(sim, "k", true, true).body);
    std::string input;
    std::vector<std::string> fragments;
    for (const auto& [event, data] : frames) {
      const json payload = json::parse(data);
      if (event == "content_block_start") CHECK(payload["content_block"]["type"] == "tool_use");
      if (event == "content_block_delta") fragments.push_back(payload["delta"]["partial_json"].get<std::string>());
      if (event == "message_delta") CHECK(payload["delta"]["stop_reason"] == "tool_use");
    }
    REQUIRE(fragments.size() == 3);
    CHECK(fragments[0].empty());
    CHECK(json::parse(fragments[0] + fragments[1] + fragments[2]) == json{{"q", 1}});
  }
  SECTION("error_in_stream: an `event: error` frame, no message_stop") {
    Simulator sim(claude_scenario({claude_rule("error_in_stream", {{"after_chunks", 4}, {"status", 529}})}));
    const auto response = claude_chat(sim, "k", true);
    REQUIRE(response.complete);
    CHECK(response.status == 200);
    const auto frames = claude_frames(response.body);
    REQUIRE(frames.size() == 5);
    CHECK(frames.back().first == "error");
    CHECK(json::parse(frames.back().second) ==
          json::parse(R"({"type":"error","error":{"details":null,"type":"overloaded_error","message":"Overloaded"}})"));
  }
  SECTION("stream_cut: that many events, then the connection closes") {
    Simulator sim(claude_scenario({claude_rule("stream_cut", {{"after_chunks", 3}})}));
    const auto response = claude_chat(sim, "k", true);
    CHECK_FALSE(response.complete);
    CHECK(claude_frames(response.body).size() == 3);
  }
  SECTION("malformed_json: the first event's data is cut, its event line kept") {
    Simulator sim(claude_scenario({claude_rule("malformed_json")}));
    const auto frames = claude_frames(claude_chat(sim, "k", true).body);
    REQUIRE(frames.size() == 1);
    CHECK(frames[0].first == "message_start");
    CHECK_FALSE(json::accept(frames[0].second));
  }
}

TEST_CASE("anthropic: GET /v1/models pages with limit and after_id; Bearer callers get Cerebras's list",
          "[sim][anthropic][models]") {
  Simulator sim(json{{"models", {{"anthropic", {"a", "b", "c"}}, {"cerebras", {"gpt-oss-120b"}}}}});
  const auto first = claude_send(sim, "GET", "/v1/models?limit=2", claude_headers("k"));
  REQUIRE(first.status == 200);
  const json page = first.json_body();
  CHECK(page["data"].size() == 2);
  CHECK(page["data"][0]["type"] == "model");
  CHECK(page["data"][0]["id"] == "a");
  CHECK(page["first_id"] == "a");
  CHECK(page["last_id"] == "b");
  CHECK(page["has_more"] == true);
  const json next = claude_send(sim, "GET", "/v1/models?limit=2&after_id=b", claude_headers("k")).json_body();
  CHECK(next["data"].size() == 1);
  CHECK(next["data"][0]["id"] == "c");
  CHECK(next["has_more"] == false);
  const json cerebras = claude_send(sim, "GET", "/v1/models", {{"Authorization", "Bearer k"}}).json_body();
  CHECK(cerebras["object"] == "list");
  CHECK(cerebras["data"][0]["id"] == "gpt-oss-120b");
  CHECK(sim.hits("anthropic", "k", "") == 2);
  CHECK(sim.hits("cerebras", "k", "") == 1);
}

TEST_CASE("anthropic: a scenario names the provider like the others", "[sim][anthropic][validation]") {
  CHECK_NOTHROW(Simulator(json{{"models", {{"anthropic", {"claude-haiku-4-5"}}}},
                               {"rules", {{{"provider", "anthropic"}, {"behavior", "ok"}}}}}));
  try {
    Simulator sim(json{{"rules", {{{"provider", "claude"}}}}});
    FAIL("an unknown provider was accepted");
  } catch (const std::invalid_argument& e) {
    CHECK_THAT(e.what(), Catch::Contains("anthropic"));
  }
}
