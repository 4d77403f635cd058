#include "shapes.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

#ifndef POLYROUTER_BENCH_FIXTURES
#define POLYROUTER_BENCH_FIXTURES ""
#endif

namespace bench {

const std::vector<ShapeSpec>& shape_specs() {
  // The four providers' success answers, then the tool-call answers of the same wires: a tool
  // call is the other way a healthy request ends, and OpenAI's only success fixture is one.
  static const std::vector<ShapeSpec> specs = {
      // name, label, provider, body, headers, answer without a key (and its status), path, base path, async
      {"groq", "Groq", "groq", "groq_ok.json", "groq_ok.headers.txt", "groq_401_invalid_api_key.json", 401,
       "/openai/v1/chat/completions", "", true},
      {"cerebras", "Cerebras", "cerebras", "cerebras_ok.json", "cerebras_ok.headers.txt",
       "cerebras_401_wrong_api_key.json", 401, "/v1/chat/completions", "", false},
      {"openai", "OpenAI", "openai", "openai_ok.json", "openai_ok.headers.txt", "openai_401_invalid_api_key.json",
       401, "/v1/chat/completions", "/v1", false},
      {"gemini", "Gemini", "gemini", "gemini_ok.json", "gemini_ok.headers.txt", "gemini_403_unregistered_caller.json",
       403, "/v1beta/models/{model}:generateContent", "", true},
      {"groq_tool_call", "Groq, tool call", "groq", "groq_tool_call.json", "groq_ok.headers.txt",
       "groq_401_invalid_api_key.json", 401, "/openai/v1/chat/completions", "", false},
      {"openai_tool_call", "OpenAI, tool call", "openai", "openai_tool_call.json", "openai_ok.headers.txt",
       "openai_401_invalid_api_key.json", 401, "/v1/chat/completions", "/v1", false},
      {"gemini_tool_call", "Gemini, tool call", "gemini", "gemini_tool_call.json", "gemini_ok.headers.txt",
       "gemini_403_unregistered_caller.json", 403, "/v1beta/models/{model}:generateContent", "", false},
  };
  return specs;
}

std::string fixtures_dir(const Options& options) {
  return options.fixtures.empty() ? std::string(POLYROUTER_BENCH_FIXTURES) : options.fixtures;
}

std::string read_fixture(const std::string& dir, const std::string& name) {
  const std::string path = dir + "/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read the fixture " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool path_matches(const std::string& pattern, std::string_view path) {
  const std::size_t hole = pattern.find("{model}");
  if (hole == std::string::npos) return path == pattern;
  const std::string_view before = std::string_view(pattern).substr(0, hole);
  const std::string_view after = std::string_view(pattern).substr(hole + 7);
  if (path.size() <= before.size() + after.size()) return false;
  if (path.substr(0, before.size()) != before || path.substr(path.size() - after.size()) != after) return false;
  const std::string_view segment = path.substr(before.size(), path.size() - before.size() - after.size());
  return segment.find('/') == std::string_view::npos;
}

std::map<std::string, std::string> parse_shape_urls(const std::string& list) {
  std::map<std::string, std::string> out;
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) {
    const std::size_t eq = item.find('=');
    if (eq != std::string::npos && eq > 0) out[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return out;
}

Answer decode_answer(bool gemini, const std::string& body) {
  const json j = json::parse(body);
  Answer answer;
  if (gemini) {
    for (const json& part : j.at("candidates").at(0).at("content").at("parts")) {
      if (part.value("thought", false)) continue;  // a thought summary is not the answer
      if (auto text = part.find("text"); text != part.end() && text->is_string()) {
        answer.text += text->get_ref<const std::string&>();
      }
      if (auto call = part.find("functionCall"); call != part.end()) {
        answer.calls.push_back({"call_" + std::to_string(answer.calls.size()), call->at("name").get<std::string>(),
                                call->contains("args") ? call->at("args").dump() : "{}"});
      }
    }
  } else {
    const json& message = j.at("choices").at(0).at("message");
    if (auto content = message.find("content"); content != message.end() && content->is_string()) {
      answer.text = content->get<std::string>();
    }
    if (auto calls = message.find("tool_calls"); calls != message.end() && calls->is_array()) {
      for (const json& call : *calls) {
        const json& function = call.at("function");
        answer.calls.push_back({call.at("id").get<std::string>(), function.at("name").get<std::string>(),
                                function.at("arguments").get<std::string>()});
      }
    }
  }
  return answer;
}

Shape load_shape(const ShapeSpec& spec, const std::string& dir, const std::string& root) {
  Shape shape;
  shape.spec = spec;
  shape.gemini = std::string(spec.provider) == "gemini";
  shape.root = root;
  const std::string body = read_fixture(dir, spec.body_file);
  shape.expected = decode_answer(shape.gemini, body);
  shape.model = json::parse(body).at(shape.gemini ? "modelVersion" : "model").get<std::string>();
  std::string path = spec.path;
  if (const std::size_t hole = path.find("{model}"); hole != std::string::npos) path.replace(hole, 7, shape.model);
  shape.url = root + path;
  shape.request = polyrouter::ChatRequest::from_prompt(kPrompt);
  if (!shape.expected.calls.empty()) {
    // A model calls a tool only when the request offers it: declare the one the answer calls,
    // with a string parameter for each argument it passes.
    const Call& call = shape.expected.calls.front();
    polyrouter::Tool tool;
    tool.name = call.name;
    tool.description = "The current weather at a place.";
    json properties = json::object();
    const json arguments = json::parse(call.arguments);
    for (auto it = arguments.begin(); it != arguments.end(); ++it) properties[it.key()] = {{"type", "string"}};
    tool.parameters = {{"type", "object"}, {"properties", properties}};
    shape.request.tools.push_back(std::move(tool));
  }
  return shape;
}

polyrouter::OrchestratorConfig shape_config(const Shape& shape) {
  const std::optional<polyrouter::Provider> provider = polyrouter::provider_from_string(shape.spec.provider);
  if (!provider) throw std::runtime_error(std::string("no provider named ") + shape.spec.provider);
  polyrouter::OrchestratorConfig config;
  config.pools.emplace_back(*provider, std::vector<std::string>{shape.model}, std::vector<polyrouter::ApiKey>{kKey},
                            shape.root + shape.spec.base_path);
  config.jitter_seed = 1;
  return config;
}

std::string raw_body(const Shape& shape) {
  const polyrouter::ChatRequest& request = shape.request;
  const std::string& prompt = request.messages.front().content;
  json body;
  if (shape.gemini) {
    body = {{"contents", json::array({{{"role", "user"}, {"parts", json::array({{{"text", prompt}}})}}})}};
    if (!request.tools.empty()) {
      json declarations = json::array();
      for (const polyrouter::Tool& tool : request.tools) {
        declarations.push_back(
            {{"name", tool.name}, {"description", tool.description}, {"parametersJsonSchema", tool.parameters}});
      }
      body["tools"] = json::array({{{"functionDeclarations", std::move(declarations)}}});
    }
  } else {
    body = {{"model", shape.model}, {"messages", json::array({{{"role", "user"}, {"content", prompt}}})}};
    if (!request.tools.empty()) {
      json tools = json::array();
      for (const polyrouter::Tool& tool : request.tools) {
        tools.push_back({{"type", "function"},
                         {"function",
                          {{"name", tool.name}, {"description", tool.description}, {"parameters", tool.parameters}}}});
      }
      body["tools"] = std::move(tools);
    }
  }
  return body.dump();
}

bool answer_matches(const polyrouter::Response& response, const Answer& expected) {
  if (response.text != expected.text || response.tool_calls.size() != expected.calls.size()) return false;
  for (std::size_t i = 0; i < expected.calls.size(); ++i) {
    const polyrouter::ToolCall& got = response.tool_calls[i];
    if (!(Call{got.id, got.name, got.arguments} == expected.calls[i])) return false;
  }
  return true;
}

void check_shape_answer(const polyrouter::Response& response, const Answer& expected) {
  if (!answer_matches(response, expected)) {
    throw std::runtime_error("unexpected answer: '" + response.text + "' with " +
                             std::to_string(response.tool_calls.size()) + " tool call(s)");
  }
}

RawExchange raw_exchange(const Shape& shape) {
  RawExchange exchange;
  exchange.url = shape.url;
  const std::string key_header = shape.gemini ? "x-goog-api-key: " : "Authorization: Bearer ";
  exchange.headers = {key_header + kKey, "Accept: application/json", "Content-Type: application/json"};
  exchange.body = [&shape] { return raw_body(shape); };
  exchange.check = [&shape](const std::string& body) {
    if (!(decode_answer(shape.gemini, body) == shape.expected)) throw std::runtime_error("raw: unexpected answer");
  };
  return exchange;
}

}  // namespace bench
