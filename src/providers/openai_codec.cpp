#include "providers/openai_codec.hpp"

#include <optional>
#include <stdexcept>

#include "logging.hpp"
#include "providers/content_parts.hpp"
#include "providers/json_read.hpp"

namespace polyrouter::detail::openai {
namespace {

using json = nlohmann::json;

// A user message with parts: text and image_url parts (bytes as a data: URL).
json encode_parts(const Message& m) {
  json parts = json::array();
  if (!m.content.empty()) parts.push_back({{"type", "text"}, {"text", m.content}});
  for (const ContentPart& part : m.parts) {
    if (part.is_image()) {
      parts.push_back({{"type", "image_url"}, {"image_url", {{"url", image_url_of(part)}}}});
    } else {
      parts.push_back({{"type", "text"}, {"text", part.data}});
    }
  }
  return parts;
}

json encode_message(const Message& m) {
  json out{{"role", to_string(m.role)}};
  const bool calls_tools = m.role == Role::assistant && !m.tool_calls.empty();
  if (has_parts(m) && m.role == Role::user) {
    out["content"] = encode_parts(m);
  } else if (has_parts(m)) {
    // Only user messages take images (check_images): the others keep one string.
    std::string text = message_text(m);
    out["content"] = calls_tools && text.empty() ? json(nullptr) : json(std::move(text));
  } else {
    out["content"] = calls_tools && m.content.empty() ? json(nullptr) : json(m.content);
  }
  if (calls_tools) {
    json calls = json::array();
    for (const ToolCall& call : m.tool_calls) {
      calls.push_back({{"id", call.id},
                       {"type", "function"},
                       {"function", {{"name", call.name}, {"arguments", call.arguments}}}});
    }
    out["tool_calls"] = std::move(calls);
  }
  if (m.role == Role::tool) out["tool_call_id"] = m.tool_call_id;
  return out;
}

json encode_tool_choice(const ToolChoice& choice) {
  switch (choice.mode) {
    case ToolChoice::Mode::none: return "none";
    case ToolChoice::Mode::auto_: return "auto";
    case ToolChoice::Mode::required: return "required";
    case ToolChoice::Mode::function:
      return {{"type", "function"}, {"function", {{"name", choice.function}}}};
    case ToolChoice::Mode::unset: break;
  }
  return nullptr;
}

// A {"type":"function","function":{...}} tool call; nullopt for a call of another kind
// ("custom", or one newer than this code). @throws std::invalid_argument for a malformed call.
std::optional<ToolCall> decode_function_call(const json& call) {
  if (!call.is_object()) throw std::invalid_argument("malformed tool call");
  if (auto type = call.find("type"); type != call.end() && type->is_string() && *type != "function") {
    return std::nullopt;
  }
  auto fn = call.find("function");
  if (fn == call.end() || !fn->is_object()) throw std::invalid_argument("malformed tool call");
  ToolCall tc;
  tc.id = string_or(call, "id");
  tc.name = string_or(*fn, "name");
  auto args = fn->find("arguments");
  if (args == fn->end() || args->is_null()) {
    tc.arguments = "{}";
  } else {
    tc.arguments = args->is_string() ? args->get<std::string>() : args->dump();
  }
  return tc;
}

Usage decode_usage(const json& usage) {
  Usage u;
  if (!usage.is_object()) return u;
  u.prompt_tokens = int64_or_zero(usage, "prompt_tokens");
  u.completion_tokens = int64_or_zero(usage, "completion_tokens");
  u.total_tokens = int64_or_zero(usage, "total_tokens");
  if (auto details = usage.find("completion_tokens_details"); details != usage.end() && details->is_object()) {
    u.reasoning_tokens = int64_or_zero(*details, "reasoning_tokens");
  }
  return u;
}

}  // namespace

json encode_request(const ChatRequest& request, const std::string& model) {
  json body{{"model", model}};
  json messages = json::array();
  for (const Message& m : request.messages) messages.push_back(encode_message(m));
  body["messages"] = std::move(messages);
  if (request.temperature) body["temperature"] = *request.temperature;
  if (request.top_p) body["top_p"] = *request.top_p;
  if (request.max_tokens) body["max_completion_tokens"] = *request.max_tokens;
  if (!request.stop.empty()) body["stop"] = request.stop;
  if (request.seed) body["seed"] = *request.seed;
  switch (request.response_format.type) {
    case ResponseFormat::Type::text: break;
    case ResponseFormat::Type::json_object: body["response_format"] = {{"type", "json_object"}}; break;
    case ResponseFormat::Type::json_schema:
      body["response_format"] = {{"type", "json_schema"},
                                 {"json_schema",
                                  {{"name", request.response_format.schema_name},
                                   {"schema", request.response_format.schema},
                                   {"strict", request.response_format.strict}}}};
      break;
  }
  if (!request.tools.empty()) {
    json tools = json::array();
    for (const Tool& t : request.tools) {
      json function{{"name", t.name}, {"parameters", t.parameters}};
      if (!t.description.empty()) function["description"] = t.description;
      tools.push_back({{"type", "function"}, {"function", std::move(function)}});
    }
    body["tools"] = std::move(tools);
  }
  if (json choice = encode_tool_choice(request.tool_choice); !choice.is_null()) body["tool_choice"] = choice;
  if (request.extra.is_object()) {
    for (auto it = request.extra.begin(); it != request.extra.end(); ++it) body[it.key()] = it.value();
  }
  return body;
}

namespace {

// Whether write_plain_request can write @p request: no tools, tool calls, response format or
// extra fields, which only the tree encoder writes.
bool is_plain(const ChatRequest& request) {
  if (!request.tools.empty() || request.tool_choice.mode != ToolChoice::Mode::unset) return false;
  if (request.response_format.type != ResponseFormat::Type::text) return false;
  if (request.extra.is_object() && !request.extra.empty()) return false;
  for (const Message& m : request.messages) {
    if (m.role == Role::assistant && !m.tool_calls.empty()) return false;
    if (has_parts(m)) return false;  // a list of parts (images): the tree encoder writes it
  }
  return true;
}

}  // namespace

std::optional<std::string> write_plain_request(const ChatRequest& request, const std::string& model, bool stream) {
  if (!is_plain(request)) return std::nullopt;
  std::string out;
  std::size_t size = model.size() + 128;
  for (const Message& m : request.messages) size += m.content.size() + m.tool_call_id.size() + 48;
  out.reserve(size);
  // nlohmann's own serializer writes every value: the same escaping, number format and UTF-8
  // check as dump(). Keys go in the order of the tree encoder's sorted object.
  nlohmann::detail::serializer<json> writer(nlohmann::detail::output_adapter<char>(out), ' ');
  const auto value = [&](const json& v) { writer.dump(v, false, false, 0); };
  try {
    out.push_back('{');
    if (request.max_tokens) {
      out.append(R"("max_completion_tokens":)");
      value(*request.max_tokens);
      out.push_back(',');
    }
    out.append(R"("messages":[)");
    for (std::size_t i = 0; i < request.messages.size(); ++i) {
      const Message& m = request.messages[i];
      out.append(i == 0 ? R"({"content":)" : R"(,{"content":)");
      value(m.content);
      out.append(R"(,"role":")");
      out.append(to_string(m.role));  // a fixed lower-case word
      out.push_back('"');
      if (m.role == Role::tool) {
        out.append(R"(,"tool_call_id":)");
        value(m.tool_call_id);
      }
      out.push_back('}');
    }
    out.append(R"(],"model":)");
    value(model);
    if (request.seed) {
      out.append(R"(,"seed":)");
      value(*request.seed);
    }
    if (!request.stop.empty()) {
      out.append(R"(,"stop":)");
      value(request.stop);
    }
    if (stream) out.append(R"(,"stream":true,"stream_options":{"include_usage":true})");
    if (request.temperature) {
      out.append(R"(,"temperature":)");
      value(*request.temperature);
    }
    if (request.top_p) {
      out.append(R"(,"top_p":)");
      value(*request.top_p);
    }
    out.push_back('}');
  } catch (const json::exception&) {
    return std::nullopt;  // invalid UTF-8: the tree encoder's dump() reports it
  }
  return out;
}

FinishReason decode_finish_reason(const std::string& reason) {
  if (reason == "stop") return FinishReason::stop;
  if (reason == "length") return FinishReason::length;
  if (reason == "tool_calls" || reason == "function_call") return FinishReason::tool_calls;
  if (reason == "content_filter") return FinishReason::content_filter;
  if (reason.empty()) return FinishReason::unknown;
  return FinishReason::other;
}

Response decode_response(const json& body) {
  auto choices = body.find("choices");
  if (choices == body.end() || !choices->is_array() || choices->empty() || !(*choices)[0].is_object()) {
    throw std::invalid_argument("no choices in the response");
  }
  const json& choice = (*choices)[0];
  auto message = choice.find("message");
  if (message == choice.end() || !message->is_object()) throw std::invalid_argument("choice without a message");

  Response r;
  if (auto content = message->find("content"); content != message->end() && content->is_string()) {
    r.text = content->get<std::string>();
  }
  if (auto calls = message->find("tool_calls"); calls != message->end() && calls->is_array()) {
    for (const json& call : *calls) {
      if (std::optional<ToolCall> tc = decode_function_call(call)) {
        r.tool_calls.push_back(std::move(*tc));
      } else {
        log().debug("openai: skipped a tool call that is not a function call");  // the answer stands
      }
    }
  }
  if (auto reason = choice.find("finish_reason"); reason != choice.end() && reason->is_string()) {
    r.raw_finish_reason = reason->get<std::string>();
  }
  r.finish_reason = decode_finish_reason(r.raw_finish_reason);
  if (auto usage = body.find("usage"); usage != body.end() && usage->is_object()) {
    r.usage = decode_usage(*usage);
  } else if (auto x = body.find("x_groq"); x != body.end() && x->is_object() && x->contains("usage")) {
    r.usage = decode_usage((*x)["usage"]);  // older Groq responses
  }
  if (auto id = body.find("id"); id != body.end() && id->is_string()) r.id = id->get<std::string>();
  return r;
}

std::string StreamDecoder::add(const json& chunk) {
  if (auto id = chunk.find("id"); id != chunk.end() && id->is_string() && response_.id.empty()) {
    response_.id = id->get<std::string>();
  }
  // Usage arrives on the last chunk: top-level (include_usage, 2026 Groq) or under x_groq.
  if (auto usage = chunk.find("usage"); usage != chunk.end() && usage->is_object()) {
    response_.usage = decode_usage(*usage);
  } else if (auto x = chunk.find("x_groq"); x != chunk.end() && x->is_object() && x->contains("usage")) {
    response_.usage = decode_usage((*x)["usage"]);
  }
  std::string text;
  auto choices = chunk.find("choices");
  if (choices == chunk.end() || !choices->is_array() || choices->empty()) return text;
  const json& choice = (*choices)[0];
  if (!choice.is_object()) return text;
  if (auto reason = choice.find("finish_reason"); reason != choice.end() && reason->is_string()) {
    response_.raw_finish_reason = reason->get<std::string>();
  }
  auto delta = choice.find("delta");
  if (delta == choice.end() || !delta->is_object()) return text;
  if (auto content = delta->find("content"); content != delta->end() && content->is_string()) {
    text = content->get<std::string>();
    response_.text += text;
  }
  for (const char* field : {"content", "reasoning", "reasoning_content", "tool_calls"}) {
    auto part = delta->find(field);
    if (part != delta->end() && !part->is_null() && !(part->is_string() && part->get_ref<const std::string&>().empty())) {
      output_started_ = true;
    }
  }
  if (auto calls = delta->find("tool_calls"); calls != delta->end() && calls->is_array()) {
    for (const json& part : *calls) {
      if (!part.is_object()) continue;
      auto given = part.find("index");
      const std::optional<std::int64_t> index = given == part.end() ? 0 : exact_int64(*given);
      if (!index || *index < 0 || *index > 1024) continue;  // a bogus index must not make us allocate
      const auto slot = static_cast<std::size_t>(*index);
      if (calls_.size() <= slot) calls_.resize(slot + 1);
      ToolCall& call = calls_[slot];
      if (auto id = part.find("id"); id != part.end() && id->is_string()) call.id = id->get<std::string>();
      if (auto fn = part.find("function"); fn != part.end() && fn->is_object()) {
        if (auto name = fn->find("name"); name != fn->end() && name->is_string()) call.name += name->get<std::string>();
        if (auto args = fn->find("arguments"); args != fn->end() && args->is_string()) {
          call.arguments += args->get<std::string>();
        }
      }
    }
  }
  return text;
}

Response StreamDecoder::finish() {
  Response out = response_;
  for (const ToolCall& call : calls_) {
    if (!call.name.empty()) out.tool_calls.push_back(call);
  }
  out.finish_reason = decode_finish_reason(out.raw_finish_reason);
  return out;
}

}  // namespace polyrouter::detail::openai
