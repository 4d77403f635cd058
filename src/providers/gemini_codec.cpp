#include "providers/gemini_codec.hpp"

#include <limits>
#include <stdexcept>

#include "providers/content_parts.hpp"
#include "providers/json_read.hpp"

namespace polyrouter::detail::gemini {
namespace {

using json = nlohmann::json;

json text_part(const std::string& text) { return {{"text", text}}; }

// A tool result must be a JSON object in a functionResponse.
json tool_result(const std::string& content) {
  json parsed = json::parse(content, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_discarded() && parsed.is_object()) return parsed;
  return {{"result", parsed.is_discarded() ? json(content) : parsed}};
}

// An image part: its bytes as inlineData, a URL Gemini fetches as fileData.
json image_part(const ContentPart& part) {
  if (std::optional<InlineImage> image = inline_image(part)) {
    return {{"inlineData", {{"mimeType", image->media_type}, {"data", std::move(image->base64)}}}};
  }
  json file{{"fileUri", part.data}};
  if (std::string media_type = media_type_of(part); !media_type.empty()) file["mimeType"] = std::move(media_type);
  return {{"fileData", std::move(file)}};
}

// A user turn's parts: `content` as text, then text and image parts (one empty text part for
// an empty message, as before parts existed).
json user_parts(const Message& m) {
  if (!has_parts(m)) return json::array({text_part(m.content)});
  json parts = json::array();
  if (!m.content.empty()) parts.push_back(text_part(m.content));
  for (const ContentPart& part : m.parts) parts.push_back(part.is_image() ? image_part(part) : text_part(part.data));
  if (parts.empty()) parts.push_back(text_part(""));
  return parts;
}

json encode_tool_config(const ToolChoice& choice) {
  switch (choice.mode) {
    case ToolChoice::Mode::unset: return nullptr;
    case ToolChoice::Mode::none: return {{"functionCallingConfig", {{"mode", "NONE"}}}};
    case ToolChoice::Mode::auto_: return {{"functionCallingConfig", {{"mode", "AUTO"}}}};
    case ToolChoice::Mode::required: return {{"functionCallingConfig", {{"mode", "ANY"}}}};
    case ToolChoice::Mode::function:
      return {{"functionCallingConfig", {{"mode", "ANY"}, {"allowedFunctionNames", {choice.function}}}}};
  }
  return nullptr;
}

bool is_block_reason(const std::string& reason) {
  return reason == "SAFETY" || reason == "PROHIBITED_CONTENT" || reason == "BLOCKLIST" || reason == "SPII" ||
         reason == "RECITATION" || reason == "IMAGE_SAFETY" || reason == "IMAGE_PROHIBITED_CONTENT" ||
         reason == "IMAGE_RECITATION";
}

}  // namespace

json encode_request(const ChatRequest& request) {
  json body = json::object();
  json system_parts = json::array();
  json contents = json::array();
  for (const Message& m : request.messages) {
    switch (m.role) {
      case Role::system: system_parts.push_back(text_part(message_text(m))); break;
      case Role::user: contents.push_back({{"role", "user"}, {"parts", user_parts(m)}}); break;
      case Role::assistant: {
        json parts = json::array();
        if (std::string text = message_text(m); !text.empty()) parts.push_back(text_part(text));
        for (const ToolCall& call : m.tool_calls) {
          json args = json::parse(call.arguments, nullptr, /*allow_exceptions=*/false);
          if (args.is_discarded() || !args.is_object()) args = json::object();
          json part{{"functionCall", {{"name", call.name}, {"args", std::move(args)}}}};
          if (!call.signature.empty()) part["thoughtSignature"] = call.signature;
          parts.push_back(std::move(part));
        }
        if (parts.empty()) parts.push_back(text_part(""));
        contents.push_back({{"role", "model"}, {"parts", std::move(parts)}});
        break;
      }
      case Role::tool: {
        json part{{"functionResponse", {{"name", m.name}, {"response", tool_result(message_text(m))}}}};
        // Consecutive tool results travel as parts of one user turn.
        if (!contents.empty() && contents.back()["role"] == "user" &&
            contents.back()["parts"][0].contains("functionResponse")) {
          contents.back()["parts"].push_back(std::move(part));
        } else {
          contents.push_back({{"role", "user"}, {"parts", {std::move(part)}}});
        }
        break;
      }
    }
  }
  if (!system_parts.empty()) body["systemInstruction"] = {{"parts", std::move(system_parts)}};
  body["contents"] = std::move(contents);

  json config = json::object();
  if (request.temperature) config["temperature"] = *request.temperature;
  if (request.top_p) config["topP"] = *request.top_p;
  if (request.max_tokens) config["maxOutputTokens"] = *request.max_tokens;
  if (!request.stop.empty()) config["stopSequences"] = request.stop;
  if (request.seed) config["seed"] = *request.seed;
  switch (request.response_format.type) {
    case ResponseFormat::Type::text: break;
    case ResponseFormat::Type::json_object: config["responseMimeType"] = "application/json"; break;
    case ResponseFormat::Type::json_schema:
      config["responseMimeType"] = "application/json";
      config["responseJsonSchema"] = request.response_format.schema;
      break;
  }
  if (!config.empty()) body["generationConfig"] = std::move(config);

  if (!request.tools.empty()) {
    json declarations = json::array();
    for (const Tool& t : request.tools) {
      json fn{{"name", t.name}, {"parametersJsonSchema", t.parameters}};
      if (!t.description.empty()) fn["description"] = t.description;
      declarations.push_back(std::move(fn));
    }
    body["tools"] = json::array({{{"functionDeclarations", std::move(declarations)}}});
  }
  if (json tool_config = encode_tool_config(request.tool_choice); !tool_config.is_null()) {
    body["toolConfig"] = std::move(tool_config);
  }
  if (request.extra.is_object()) {
    for (auto it = request.extra.begin(); it != request.extra.end(); ++it) body[it.key()] = it.value();
  }
  return body;
}

namespace {

// Whether write_plain_request can write @p request: text messages from the system, the user and
// the assistant only, and no field that only the tree encoder writes.
bool is_plain(const ChatRequest& request) {
  if (!request.tools.empty() || request.tool_choice.mode != ToolChoice::Mode::unset) return false;
  if (request.response_format.type != ResponseFormat::Type::text) return false;
  if (request.extra.is_object() && !request.extra.empty()) return false;
  for (const Message& m : request.messages) {
    if (m.role == Role::tool || has_parts(m)) return false;
    if (m.role == Role::assistant && !m.tool_calls.empty()) return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> write_plain_request(const ChatRequest& request) {
  if (!is_plain(request)) return std::nullopt;
  std::string out;
  std::size_t size = 128;
  for (const Message& m : request.messages) size += m.content.size() + 40;
  out.reserve(size);
  // nlohmann's own serializer writes every value: the same escaping, number format and UTF-8
  // check as dump(). Keys go in the order of the tree encoder's sorted objects.
  nlohmann::detail::serializer<json> writer(nlohmann::detail::output_adapter<char>(out), ' ');
  const auto value = [&](const json& v) { writer.dump(v, false, false, 0); };
  try {
    out.append(R"({"contents":[)");
    bool first = true;
    for (const Message& m : request.messages) {
      if (m.role == Role::system) continue;
      out.append(first ? R"({"parts":[{"text":)" : R"(,{"parts":[{"text":)");
      first = false;
      value(m.content);  // an assistant's empty text is one empty text part too
      out.append(m.role == Role::user ? R"(}],"role":"user"})" : R"(}],"role":"model"})");
    }
    out.push_back(']');
    const bool config = request.max_tokens || request.seed || !request.stop.empty() || request.temperature ||
                        request.top_p;
    if (config) {
      out.append(R"(,"generationConfig":{)");
      const char* separator = "";
      const auto field = [&](const char* name) {
        out.append(separator);
        out.append(name);
        separator = ",";
      };
      if (request.max_tokens) {
        field(R"("maxOutputTokens":)");
        value(*request.max_tokens);
      }
      if (request.seed) {
        field(R"("seed":)");
        value(*request.seed);
      }
      if (!request.stop.empty()) {
        field(R"("stopSequences":)");
        value(request.stop);
      }
      if (request.temperature) {
        field(R"("temperature":)");
        value(*request.temperature);
      }
      if (request.top_p) {
        field(R"("topP":)");
        value(*request.top_p);
      }
      out.push_back('}');
    }
    first = true;
    for (const Message& m : request.messages) {
      if (m.role != Role::system) continue;
      out.append(first ? R"(,"systemInstruction":{"parts":[{"text":)" : R"(,{"text":)");
      first = false;
      value(m.content);
      out.push_back('}');
    }
    if (!first) out.append("]}");
    out.push_back('}');
  } catch (const json::exception&) {
    return std::nullopt;  // invalid UTF-8: the tree encoder's dump() reports it
  }
  return out;
}

Decoded decode_response(const json& body) {
  Decoded out;
  Response& r = out.response;
  if (auto usage = body.find("usageMetadata"); usage != body.end() && usage->is_object()) {
    r.usage.prompt_tokens = int64_or_zero(*usage, "promptTokenCount");
    r.usage.reasoning_tokens = int64_or_zero(*usage, "thoughtsTokenCount");
    r.usage.completion_tokens = completion_tokens(int64_or_zero(*usage, "candidatesTokenCount"), r.usage.reasoning_tokens);
    r.usage.total_tokens = int64_or_zero(*usage, "totalTokenCount");
  }
  if (auto id = body.find("responseId"); id != body.end() && id->is_string()) r.id = id->get<std::string>();

  auto candidates = body.find("candidates");
  if (candidates == body.end() || !candidates->is_array() || candidates->empty()) {
    auto feedback = body.find("promptFeedback");
    if (feedback != body.end() && feedback->is_object() && feedback->contains("blockReason")) {
      out.blocked_reason = string_or(*feedback, "blockReason", "BLOCKED");
      r.finish_reason = FinishReason::content_filter;
      return out;
    }
    throw std::invalid_argument("no candidates in the response");
  }
  const json& candidate = (*candidates)[0];
  if (!candidate.is_object()) throw std::invalid_argument("candidate is not an object");
  r.raw_finish_reason = string_or(candidate, "finishReason");

  if (auto content = candidate.find("content"); content != candidate.end() && content->is_object()) {
    auto parts = content->find("parts");
    if (parts != content->end() && parts->is_array()) {
      for (const json& part : *parts) {
        if (!part.is_object()) continue;
        if (is_true(part, "thought")) continue;  // thought summaries are not the answer
        if (auto text = part.find("text"); text != part.end() && text->is_string()) r.text += text->get<std::string>();
        if (auto call = part.find("functionCall"); call != part.end() && call->is_object()) {
          ToolCall tc;
          tc.name = string_or(*call, "name");
          tc.id = call->contains("id") && (*call)["id"].is_string() ? (*call)["id"].get<std::string>()
                                                                    : "call_" + std::to_string(r.tool_calls.size());
          tc.arguments = call->contains("args") ? (*call)["args"].dump() : "{}";
          tc.signature = string_or(part, "thoughtSignature");
          r.tool_calls.push_back(std::move(tc));
        }
      }
    }
  }

  settle_finish_reason(out);
  return out;
}

std::int64_t completion_tokens(std::int64_t candidates, std::int64_t thoughts) {
  const bool fits = thoughts >= 0 ? candidates <= std::numeric_limits<std::int64_t>::max() - thoughts
                                  : candidates >= std::numeric_limits<std::int64_t>::min() - thoughts;
  return fits ? candidates + thoughts : 0;  // a sum beyond int64 is no count
}

void settle_finish_reason(Decoded& out) {
  Response& r = out.response;
  const std::string& reason = r.raw_finish_reason;
  if (is_block_reason(reason)) {
    r.finish_reason = FinishReason::content_filter;
    if (r.text.empty() && r.tool_calls.empty()) out.blocked_reason = reason;
  } else if (!r.tool_calls.empty()) {
    r.finish_reason = FinishReason::tool_calls;  // Gemini ends a call with STOP
  } else if (reason == "STOP") {
    r.finish_reason = FinishReason::stop;
  } else if (reason == "MAX_TOKENS") {
    r.finish_reason = FinishReason::length;
  } else if (reason.empty()) {
    r.finish_reason = FinishReason::unknown;
  } else {
    r.finish_reason = FinishReason::other;
  }
}

std::string StreamDecoder::add(const json& event) {
  if (!event.contains("candidates") && !event.contains("promptFeedback")) {
    // A usage-only event: nothing to say yet.
    if (!event.contains("usageMetadata")) throw std::invalid_argument("neither candidates nor usage");
    Decoded usage_only = decode_response(json{{"usageMetadata", event["usageMetadata"]}, {"candidates", json::array({json::object()})}});
    decoded_.response.usage = usage_only.response.usage;
    return {};
  }
  Decoded part = decode_response(event);
  Response& r = decoded_.response;
  if (part.response.usage.total_tokens != 0 || part.response.usage.prompt_tokens != 0) r.usage = part.response.usage;
  if (r.id.empty()) r.id = part.response.id;
  if (!part.blocked_reason.empty()) decoded_.blocked_reason = part.blocked_reason;
  r.text += part.response.text;
  if (!part.response.text.empty() || !part.response.tool_calls.empty() || part.response.usage.reasoning_tokens > 0) {
    output_started_ = true;
  }
  for (ToolCall& call : part.response.tool_calls) {
    call.id = "call_" + std::to_string(r.tool_calls.size());
    r.tool_calls.push_back(std::move(call));
  }
  if (!part.response.raw_finish_reason.empty()) {
    finished_ = true;
    r.raw_finish_reason = part.response.raw_finish_reason;
  }
  if (!part.blocked_reason.empty() && part.response.raw_finish_reason.empty()) finished_ = true;
  return part.response.text;
}

Decoded StreamDecoder::finish() {
  Decoded out = decoded_;
  Response& r = out.response;
  const std::string& reason = r.raw_finish_reason;
  if (!out.blocked_reason.empty() || reason == "SAFETY" || reason == "PROHIBITED_CONTENT" || reason == "BLOCKLIST" ||
      reason == "SPII" || reason == "RECITATION") {
    r.finish_reason = FinishReason::content_filter;
  } else if (!r.tool_calls.empty()) {
    r.finish_reason = FinishReason::tool_calls;
  } else if (reason == "STOP") {
    r.finish_reason = FinishReason::stop;
  } else if (reason == "MAX_TOKENS") {
    r.finish_reason = FinishReason::length;
  } else {
    r.finish_reason = reason.empty() ? FinishReason::unknown : FinishReason::other;
  }
  return out;
}

}  // namespace polyrouter::detail::gemini
