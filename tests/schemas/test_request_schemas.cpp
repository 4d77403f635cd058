// Every request shape the clients build validates against the providers' published request
// schemas (tests/schemas, extracted from their OpenAPI documents: README.md there), so a change
// of the wire a provider would refuse fails here. The bodies are the ones the clients really
// write, captured by a loopback server, for complete() and stream().

#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "fixtures.hpp"
#include "polyrouter/polyrouter.hpp"
#include "schema_validator.hpp"
#include "test_server.hpp"

using namespace polyrouter;
using nlohmann::json;
using polyrouter::test::Reply;
using polyrouter::test::SchemaValidator;
using polyrouter::test::TestServer;
namespace pt = polyrouter::test;

namespace {

json schema_document(const std::string& name) {
  std::ifstream in(std::string(POLYROUTER_SCHEMAS_DIR) + "/" + name);
  REQUIRE(in.good());
  return json::parse(in);
}

const SchemaValidator& anthropic_schema() {
  static const SchemaValidator v(schema_document("anthropic_messages.json"));
  return v;
}
const SchemaValidator& openai_schema() {
  static const SchemaValidator v(schema_document("openai_chat_completions.json"));
  return v;
}
const SchemaValidator& groq_schema() {
  static const SchemaValidator v(schema_document("groq_chat_completions.json"));
  return v;
}
const SchemaValidator& gemini_schema() {
  static const SchemaValidator v(schema_document("gemini_generate_content.json"),
                                 polyrouter::test::SchemaOptions{true});
  return v;
}

// Gemini's Part holds one kind of data (the proto's `oneof data`), a rule the Discovery document
// cannot state: a part with text and inlineData is refused.
std::vector<std::string> gemini_part_errors(const json& body) {
  static const std::vector<std::string> data_fields{
      "text",           "inlineData",          "functionCall", "functionResponse", "fileData",
      "executableCode", "codeExecutionResult", "toolCall",     "toolResponse"};
  std::vector<std::string> errors;
  const auto check_parts = [&](const json& content, const std::string& where) {
    if (!content.is_object() || !content.contains("parts")) return;
    for (std::size_t i = 0; i < content["parts"].size(); ++i) {
      int kinds = 0;
      for (const auto& field : data_fields) kinds += content["parts"][i].contains(field) ? 1 : 0;
      if (kinds != 1)
        errors.push_back(where + "/parts/" + std::to_string(i) + ": " + std::to_string(kinds) + " kinds of data");
    }
  };
  if (body.contains("systemInstruction")) check_parts(body["systemInstruction"], "/systemInstruction");
  for (std::size_t i = 0; body.contains("contents") && i < body["contents"].size(); ++i) {
    check_parts(body["contents"][i], "/contents/" + std::to_string(i));
  }
  return errors;
}

// The one known difference between what polyrouter sends and a published schema, kept visible:
// Groq's closed request schema has no stream_options (its SDK types dropped it in 2024), yet the
// API accepts it and adds a usage chunk (protocols.md 2.2, third-party reports of 2025 and 2026).
// Every other field must validate.
json without_known_deviations(const std::string& wire, json body) {
  if (wire == "groq" && body.value("stream", false)) {
    CHECK(body["stream_options"] == json{{"include_usage", true}});
    body.erase("stream_options");
  }
  return body;
}

std::vector<std::string> errors_for(const std::string& wire, const json& written) {
  const json body = without_known_deviations(wire, written);
  if (wire == "anthropic") return anthropic_schema().errors(body);
  if (wire == "groq") return groq_schema().errors(body);
  if (wire == "gemini") {
    std::vector<std::string> errors = gemini_schema().errors(body);
    for (auto& e : gemini_part_errors(body)) errors.push_back(std::move(e));
    return errors;
  }
  return openai_schema().errors(body);
}

// ---------------------------------------------------------------------------------------------
// The request shapes
// ---------------------------------------------------------------------------------------------

json weather() {
  return {{"type", "object"}, {"properties", {{"city", {{"type", "string"}}}}}, {"required", {"city"}}};
}

std::string png_bytes() { return std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16); }

std::map<std::string, ChatRequest> request_shapes(bool json_object) {
  std::map<std::string, ChatRequest> shapes;
  shapes["plain"] = ChatRequest::from_prompt("Hello");

  ChatRequest system;
  system.messages = {Message::system("You are terse."), Message::user("Hi")};
  shapes["system"] = system;

  ChatRequest multi;
  multi.messages = {Message::system("One."), Message::user("a"), Message::assistant("b"),
                    Message::user("c"),      Message::user("d"), Message::assistant("Prefill: ")};
  shapes["multi-turn"] = multi;

  for (const auto& [name, choice] :
       std::vector<std::pair<std::string, ToolChoice>>{{"tools", ToolChoice{}},
                                                       {"tools, choice auto", ToolChoice::automatic()},
                                                       {"tools, choice required", ToolChoice::required()},
                                                       {"tools, choice none", ToolChoice::none()},
                                                       {"tools, choice forced", ToolChoice::force("get_weather")}}) {
    ChatRequest tools = ChatRequest::from_prompt("Weather in Paris?");
    tools.tools = {Tool{"get_weather", "Current weather for a city", weather()}, Tool{"no_args", "", json::object()}};
    tools.tool_choice = choice;
    shapes[name] = tools;
  }

  ChatRequest results;
  results.messages.push_back(Message::user("Weather in Paris and Rome?"));
  Message calls = Message::assistant("Looking.");
  calls.tool_calls.push_back(ToolCall{"call_1", "get_weather", R"({"city":"Paris"})", ""});
  calls.tool_calls.push_back(ToolCall{"call_2", "get_weather", R"({"city":"Rome"})", "c2ln"});
  results.messages.push_back(calls);
  results.messages.push_back(Message::tool("call_1", "get_weather", R"({"temp_c":18})"));
  results.messages.push_back(Message::tool("call_2", "get_weather", "21 degrees"));
  results.messages.push_back(Message::user("Thanks"));
  results.tools = {Tool{"get_weather", "Current weather for a city", weather()}};
  shapes["tool results"] = results;

  ChatRequest images;
  images.messages = {
      Message::system("Describe images."),
      Message::user({ContentPart::text("What are these?"), ContentPart::image_url("https://example.com/a.jpg"),
                     ContentPart::image_bytes(png_bytes(), "image/png"),
                     ContentPart::image_url("data:image/gif;base64,R0lGODlh")})};
  shapes["images"] = images;

  ChatRequest sampling = ChatRequest::from_prompt("Hello");
  sampling.temperature = 0.5;
  sampling.top_p = 0.9;
  sampling.max_tokens = 256;
  sampling.stop = {"END"};
  sampling.seed = 42;
  shapes["sampling"] = sampling;

  ChatRequest schema = ChatRequest::from_prompt("Answer in JSON");
  schema.response_format = ResponseFormat::json_schema("answer", {{"type", "object"},
                                                                  {"properties", {{"a", {{"type", "string"}}}}},
                                                                  {"required", {"a"}},
                                                                  {"additionalProperties", false}});
  shapes["json schema"] = schema;

  if (json_object) {
    ChatRequest object = ChatRequest::from_prompt("Answer in JSON");
    object.response_format = ResponseFormat::json_object();
    shapes["json object"] = object;
  }
  return shapes;
}

struct Wire {
  std::string name;  ///< which schema: openai, groq, gemini, anthropic
  Provider provider;
  std::string path;  ///< appended to the server's root for the base URL
  std::string model;
  const char* answer;  ///< the JSON fixture to answer with
  const char* stream;  ///< the SSE fixture to answer a stream with
  bool json_object;    ///< whether the wire carries "any JSON object" answers
};

const std::vector<Wire>& wires() {
  static const std::vector<Wire> all{
      {"openai", Provider("openai"), "/v1", "gpt-4o-mini", "groq_ok.json", "openai_stream_include_usage.sse", true},
      {"groq", Provider::groq, "", "openai/gpt-oss-120b", "groq_ok.json", "groq_stream.sse", true},
      {"gemini", Provider::gemini, "", "gemini-2.5-flash", "gemini_ok.json", "gemini_stream.sse", true},
      {"anthropic", Provider("anthropic"), "", "claude-sonnet-4-6", "anthropic_ok.json", "anthropic_stream.sse", false},
  };
  return all;
}

// The bodies @p wire's client writes for every shape, complete() and stream().
std::vector<std::pair<std::string, json>> written_bodies(const Wire& wire) {
  TestServer server;
  server.respond_with([&](const pt::RecordedRequest& r) {
    const bool streamed =
        r.path.find("stream") != std::string::npos || r.body.find("\"stream\":true") != std::string::npos;
    return streamed ? Reply::text(pt::load_fixture(wire.stream), 200, "text/event-stream")
                    : Reply::fixture(wire.answer);
  });
  PoolConfig pool;
  pool.provider = wire.provider;
  pool.base_url = server.url() + wire.path;
  auto client = make_client(pool);
  CallOptions options;
  options.model = wire.model;
  options.api_key = "test-key-0000";
  options.key_label = "KEY0";
  std::vector<std::pair<std::string, json>> bodies;
  for (const auto& [name, request] : request_shapes(wire.json_object)) {
    client->complete(request, options);
    bodies.emplace_back(name, server.last().json());
    client->stream(request, options, [](std::string_view) { return true; });
    bodies.emplace_back(name + " (stream)", server.last().json());
  }
  return bodies;
}

}  // namespace

TEST_CASE("every request shape validates against the provider's published schema", "[schemas]") {
  for (const Wire& wire : wires()) {
    DYNAMIC_SECTION(wire.name) {
      const auto bodies = written_bodies(wire);
      CHECK(bodies.size() == 2 * request_shapes(wire.json_object).size());
      for (const auto& [shape, body] : bodies) {
        INFO(wire.name << " " << shape << ": " << body.dump());
        const std::vector<std::string> errors = errors_for(wire.name, body);
        for (const auto& e : errors) UNSCOPED_INFO(e);
        CHECK(errors.empty());
      }
    }
  }
}

TEST_CASE("the published example requests validate", "[schemas]") {
  CHECK(anthropic_schema().errors(pt::fixture_json("anthropic_request_full.json")).empty());
  CHECK(openai_schema().errors(pt::fixture_json("openai_request_full.json")).empty());
  const json gemini = pt::fixture_json("gemini_request_full.json");
  CHECK(gemini_schema().errors(gemini).empty());
  CHECK(gemini_part_errors(gemini).empty());
}

TEST_CASE("the validator refuses what the providers refuse", "[schemas]") {
  SECTION("Anthropic: no max_tokens, an unknown field, a system role, a bad image type, an empty tool name") {
    json body = pt::fixture_json("anthropic_request_full.json");
    body.erase("max_tokens");
    CHECK_FALSE(anthropic_schema().errors(body).empty());
    body = pt::fixture_json("anthropic_request_full.json");
    body["seed"] = 1;
    CHECK_FALSE(anthropic_schema().errors(body).empty());
    body = pt::fixture_json("anthropic_request_full.json");
    body["messages"][0]["content"][1]["source"]["media_type"] = "image/bmp";
    CHECK_FALSE(anthropic_schema().errors(body).empty());
    body = pt::fixture_json("anthropic_request_full.json");
    body["tool_choice"] = {{"type", "function"}};
    CHECK_FALSE(anthropic_schema().errors(body).empty());
    body = pt::fixture_json("anthropic_request_full.json");
    body["messages"][1]["content"][1]["input"] = "{\"city\":\"Paris\"}";  // input must be an object
    CHECK_FALSE(anthropic_schema().errors(body).empty());
  }
  SECTION("OpenAI: an unknown role, an image part without its url, a tool call without an id") {
    json body = pt::fixture_json("openai_request_full.json");
    body["messages"][0]["role"] = "robot";
    CHECK_FALSE(openai_schema().errors(body).empty());
    body = pt::fixture_json("openai_request_full.json");
    body["messages"].push_back(
        {{"role", "user"}, {"content", {{{"type", "image_url"}, {"image_url", json::object()}}}}});
    CHECK_FALSE(openai_schema().errors(body).empty());
    body = pt::fixture_json("openai_request_full.json");
    body.erase("messages");
    CHECK_FALSE(openai_schema().errors(body).empty());
  }
  SECTION("Groq: its closed request refuses an unknown field") {
    json body{{"model", "m"}, {"messages", {{{"role", "user"}, {"content", "hi"}}}}};
    CHECK(groq_schema().errors(body).empty());
    body["no_such_field"] = 1;
    CHECK_FALSE(groq_schema().errors(body).empty());
  }
  SECTION("Gemini: a field the document does not list, two kinds of data in one part") {
    json body = pt::fixture_json("gemini_request_full.json");
    body["contents"][0]["parts"][0] = {{"image", {{"mimeType", "image/png"}, {"data", "AA=="}}}};
    CHECK_FALSE(gemini_schema().errors(body).empty());
    body = pt::fixture_json("gemini_request_full.json");
    body["contents"][0]["parts"][0]["inlineData"] = {{"mimeType", "image/png"}, {"data", "AA=="}};
    CHECK(gemini_schema().errors(body).empty());
    CHECK_FALSE(gemini_part_errors(body).empty());
  }
}
