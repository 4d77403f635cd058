#include "providers/anthropic/format.hpp"

#include <algorithm>
#include <limits>

#include "providers/content_parts.hpp"
#include "providers/json_read.hpp"

namespace polyrouter::detail::anthropic {
namespace {

using json = nlohmann::json;

// One turn as it is built: a role and its content blocks.
struct Turn {
  const char* role;
  json blocks = json::array();
};

json text_block(const std::string& text) { return {{"type", "text"}, {"text", text}}; }

bool is_media_type_taken(const std::string& media_type) {
  return media_type == "image/jpeg" || media_type == "image/png" || media_type == "image/gif" ||
         media_type == "image/webp";
}

json image_block(const ContentPart& part) {
  if (std::optional<InlineImage> image = inline_image(part)) {
    if (!is_media_type_taken(image->media_type)) {
      throw Unsupported("Anthropic takes image/jpeg, image/png, image/gif or image/webp images, not '" +
                        image->media_type + "'");
    }
    return {{"type", "image"},
            {"source", {{"type", "base64"}, {"media_type", image->media_type}, {"data", std::move(image->base64)}}}};
  }
  return {{"type", "image"}, {"source", {{"type", "url"}, {"url", part.data}}}};
}

// Tool-use ids must match ^[a-zA-Z0-9_-]+$; another provider's id may not. The same id is
// rewritten the same way in the call and in its result.
std::string tool_use_id(const std::string& id) {
  std::string out = id;
  for (char& c : out) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) c = '_';
  }
  return out;
}

// A tool's input must be a JSON object; arguments that are not one are sent as {}.
json tool_input(const std::string& arguments) {
  json input = json::parse(arguments, nullptr, /*allow_exceptions=*/false);
  if (input.is_discarded() || !input.is_object()) return json::object();
  return input;
}

// input_schema must be an object schema ({"type":"object", ...}).
json input_schema(const json& parameters) {
  if (!parameters.is_object()) return {{"type", "object"}, {"properties", json::object()}};
  json schema = parameters;
  if (!schema.contains("type")) schema["type"] = "object";
  return schema;
}

json encode_tool_choice(const ToolChoice& choice) {
  switch (choice.mode) {
    case ToolChoice::Mode::none:
      return {{"type", "none"}};
    case ToolChoice::Mode::auto_:
      return {{"type", "auto"}};
    case ToolChoice::Mode::required:
      return {{"type", "any"}};
    case ToolChoice::Mode::function:
      return {{"type", "tool"}, {"name", choice.function}};
    case ToolChoice::Mode::unset:
      break;
  }
  return nullptr;
}

json encode_system(const ChatRequest& request) {
  json blocks = json::array();
  for (const Message& m : request.messages) {
    if (m.role != Role::system) continue;
    std::string text = message_text(m);
    if (!text.empty()) blocks.push_back(text_block(text));
  }
  if (blocks.empty()) return nullptr;
  if (blocks.size() == 1) return blocks[0]["text"];
  return blocks;
}

// The content blocks one message contributes; empty text is left out (the API refuses it).
json blocks_of(const Message& m) {
  json blocks = json::array();
  switch (m.role) {
    case Role::system:
      break;
    case Role::user:
      if (!m.content.empty()) blocks.push_back(text_block(m.content));
      for (const ContentPart& part : m.parts) {
        if (part.is_image()) {
          blocks.push_back(image_block(part));
        } else if (!part.data.empty()) {
          blocks.push_back(text_block(part.data));
        }
      }
      break;
    case Role::assistant: {
      const std::string text = message_text(m);
      if (!text.empty()) blocks.push_back(text_block(text));
      for (const ToolCall& call : m.tool_calls) {
        blocks.push_back({{"type", "tool_use"},
                          {"id", tool_use_id(call.id)},
                          {"name", call.name},
                          {"input", tool_input(call.arguments)}});
      }
      break;
    }
    case Role::tool: {
      json result{{"type", "tool_result"}, {"tool_use_id", tool_use_id(m.tool_call_id)}};
      const std::string text = message_text(m);
      if (!text.empty()) result["content"] = text;
      blocks.push_back(std::move(result));
      break;
    }
  }
  return blocks;
}

bool is_tool_result(const json& block) { return block["type"] == "tool_result"; }

std::vector<Turn> encode_turns(const ChatRequest& request) {
  std::vector<Turn> turns;
  for (const Message& m : request.messages) {
    if (m.role == Role::system) continue;
    json blocks = blocks_of(m);
    if (blocks.empty()) continue;
    const char* role = m.role == Role::assistant ? "assistant" : "user";  // tool results travel as user
    if (turns.empty() || std::string_view(turns.back().role) != role) turns.push_back(Turn{role});
    for (json& block : blocks) turns.back().blocks.push_back(std::move(block));
  }
  if (!turns.empty() && std::string_view(turns.front().role) == "assistant") {
    Turn opening{"user"};
    opening.blocks.push_back(text_block(opening_user_turn));
    turns.insert(turns.begin(), std::move(opening));
  }
  for (Turn& turn : turns) {
    // Tool results come first in their user turn; text after them.
    std::stable_partition(turn.blocks.begin(), turn.blocks.end(), is_tool_result);
  }
  // A final assistant turn is a prefill, which may not end in whitespace.
  if (!turns.empty() && std::string_view(turns.back().role) == "assistant") {
    json& last = turns.back().blocks.back();
    if (last["type"] == "text") {
      std::string text = last["text"].get<std::string>();
      while (!text.empty() &&
             (text.back() == ' ' || text.back() == '\n' || text.back() == '\t' || text.back() == '\r')) {
        text.pop_back();
      }
      if (text.empty()) {
        turns.back().blocks.erase(turns.back().blocks.size() - 1);
        if (turns.back().blocks.empty()) turns.pop_back();
      } else {
        last["text"] = std::move(text);
      }
    }
  }
  return turns;
}

json encode_messages(const ChatRequest& request) {
  json messages = json::array();
  for (Turn& turn : encode_turns(request)) {
    // One text block is written as a plain string, the form every example uses.
    json content =
        turn.blocks.size() == 1 && turn.blocks[0]["type"] == "text" ? turn.blocks[0]["text"] : std::move(turn.blocks);
    messages.push_back({{"role", turn.role}, {"content", std::move(content)}});
  }
  return messages;
}

std::int64_t sum_or_zero(std::int64_t a, std::int64_t b) {
  if ((b > 0 && a > std::numeric_limits<std::int64_t>::max() - b) ||
      (b < 0 && a < std::numeric_limits<std::int64_t>::min() - b)) {
    return 0;  // a sum beyond int64 is no count
  }
  return a + b;
}

// input_tokens excludes what the prompt cache wrote and read: the prompt is all three.
Usage usage_of(std::int64_t input, std::int64_t cache_creation, std::int64_t cache_read, std::int64_t output,
               std::int64_t thinking) {
  Usage u;
  u.prompt_tokens = sum_or_zero(sum_or_zero(input, cache_creation), cache_read);
  u.completion_tokens = output;  // thinking included, as Anthropic bills it
  u.reasoning_tokens = thinking;
  u.total_tokens = sum_or_zero(u.prompt_tokens, u.completion_tokens);
  return u;
}

std::int64_t thinking_tokens(const json& usage) {
  auto details = usage.find("output_tokens_details");
  if (details == usage.end() || !details->is_object()) return 0;
  return int64_or_zero(*details, "thinking_tokens");
}

}  // namespace

json encode_request(const ChatRequest& request, const std::string& model) {
  json body{{"model", model}};
  body["max_tokens"] = request.max_tokens.value_or(default_max_tokens);
  if (json system = encode_system(request); !system.is_null()) body["system"] = std::move(system);
  body["messages"] = encode_messages(request);
  if (!request.stop.empty()) body["stop_sequences"] = request.stop;
  if (request.temperature) body["temperature"] = std::clamp(*request.temperature, 0.0, 1.0);
  if (request.top_p) body["top_p"] = *request.top_p;
  switch (request.response_format.type) {
    case ResponseFormat::Type::text:
      break;
    case ResponseFormat::Type::json_object:
      throw Unsupported(
          "Anthropic has no 'any JSON object' answer format; ask for a JSON schema "
          "(ResponseFormat::json_schema) instead");
    case ResponseFormat::Type::json_schema:
      body["output_config"] = {{"format", {{"type", "json_schema"}, {"schema", request.response_format.schema}}}};
      break;
  }
  if (!request.tools.empty()) {
    json tools = json::array();
    for (const Tool& t : request.tools) {
      json tool{{"name", t.name}, {"input_schema", input_schema(t.parameters)}};
      if (!t.description.empty()) tool["description"] = t.description;
      tools.push_back(std::move(tool));
    }
    body["tools"] = std::move(tools);
  }
  if (json choice = encode_tool_choice(request.tool_choice); !choice.is_null()) body["tool_choice"] = std::move(choice);
  if (request.extra.is_object()) {
    for (auto it = request.extra.begin(); it != request.extra.end(); ++it) body[it.key()] = it.value();
  }
  return body;
}

FinishReason decode_stop_reason(const std::string& reason) {
  if (reason == "end_turn" || reason == "stop_sequence") return FinishReason::stop;
  if (reason == "max_tokens" || reason == "model_context_window_exceeded") return FinishReason::length;
  if (reason == "tool_use") return FinishReason::tool_calls;
  if (reason == "refusal") return FinishReason::content_filter;
  if (reason.empty()) return FinishReason::unknown;
  return FinishReason::other;  // pause_turn, and values newer than this code
}

Response decode_response(const json& body) {
  auto content = body.find("content");
  if (content == body.end() || !content->is_array()) throw std::invalid_argument("a message without \"content\"");
  Response r;
  r.id = string_or(body, "id");
  for (const json& block : *content) {
    if (!block.is_object()) continue;
    const std::string type = string_or(block, "type");
    if (type == "text") {
      r.text += string_or(block, "text");
    } else if (type == "tool_use") {
      ToolCall call;
      call.id = string_or(block, "id");
      call.name = string_or(block, "name");
      auto input = block.find("input");
      call.arguments = input == block.end() || input->is_null() ? "{}" : input->dump();
      r.tool_calls.push_back(std::move(call));
    } else if (type == "thinking") {
      r.reasoning += string_or(block, "thinking");
    }
    // redacted_thinking (opaque), server-tool blocks and newer types carry no answer text.
  }
  r.raw_finish_reason = string_or(body, "stop_reason");
  r.finish_reason = decode_stop_reason(r.raw_finish_reason);
  if (auto usage = body.find("usage"); usage != body.end() && usage->is_object()) {
    r.usage = usage_of(int64_or_zero(*usage, "input_tokens"), int64_or_zero(*usage, "cache_creation_input_tokens"),
                       int64_or_zero(*usage, "cache_read_input_tokens"), int64_or_zero(*usage, "output_tokens"),
                       thinking_tokens(*usage));
  }
  return r;
}

StreamDecoder::Block* StreamDecoder::block(const json& event) {
  auto given = event.find("index");
  const std::optional<std::int64_t> index = given == event.end() ? std::nullopt : exact_int64(*given);
  if (!index || *index < 0 || *index > 1024) return nullptr;  // a bogus index must not make us allocate
  const auto slot = static_cast<std::size_t>(*index);
  if (blocks_.size() <= slot) blocks_.resize(slot + 1);
  return &blocks_[slot];
}

void StreamDecoder::read_usage(const json& usage) {
  if (!usage.is_object()) return;
  // Counts are cumulative; input counts repeat in message_delta on newer streams only.
  if (usage.contains("input_tokens")) input_tokens_ = int64_or_zero(usage, "input_tokens");
  if (usage.contains("cache_creation_input_tokens")) {
    cache_creation_tokens_ = int64_or_zero(usage, "cache_creation_input_tokens");
  }
  if (usage.contains("cache_read_input_tokens")) cache_read_tokens_ = int64_or_zero(usage, "cache_read_input_tokens");
  if (usage.contains("output_tokens")) output_tokens_ = int64_or_zero(usage, "output_tokens");
  if (usage.contains("output_tokens_details")) response_.usage.reasoning_tokens = thinking_tokens(usage);
}

std::string StreamDecoder::add(const json& event) {
  if (!event.is_object()) throw std::invalid_argument("an event that is not an object");
  auto type_field = event.find("type");
  if (type_field == event.end() || !type_field->is_string()) throw std::invalid_argument("an event without a type");
  const std::string& type = type_field->get_ref<const std::string&>();

  if (type == "message_start") {
    auto message = event.find("message");
    if (message == event.end() || !message->is_object()) throw std::invalid_argument("message_start without a message");
    response_.id = string_or(*message, "id");
    if (auto usage = message->find("usage"); usage != message->end()) read_usage(*usage);
    return {};
  }
  if (type == "content_block_start") {
    Block* b = block(event);
    auto start = event.find("content_block");
    if (b == nullptr || start == event.end() || !start->is_object()) return {};
    const std::string kind = string_or(*start, "type");
    if (kind == "text") {
      b->kind = Block::Kind::text;
      std::string text = string_or(*start, "text");  // empty in every stream seen; kept if not
      if (!text.empty()) output_started_ = true;
      response_.text += text;
      return text;
    }
    if (kind == "tool_use") {
      b->kind = Block::Kind::tool_use;
      b->call.id = string_or(*start, "id");
      b->call.name = string_or(*start, "name");
      auto input = start->find("input");
      if (input != start->end() && input->is_object() && !input->empty()) {
        b->input = input->dump();  // a whole input up front; deltas, if any, replace it
        b->input_given = true;
      }
      output_started_ = true;
      return {};
    }
    if (kind == "thinking") {
      b->kind = Block::Kind::thinking;
      response_.reasoning += string_or(*start, "thinking");
      output_started_ = true;
    }
    return {};
  }
  if (type == "content_block_delta") {
    Block* b = block(event);
    auto delta = event.find("delta");
    if (b == nullptr || delta == event.end() || !delta->is_object()) return {};
    const std::string kind = string_or(*delta, "type");
    if (kind == "text_delta") {
      std::string text = string_or(*delta, "text");
      if (!text.empty()) output_started_ = true;
      response_.text += text;
      return text;
    }
    if (kind == "input_json_delta" && b->kind == Block::Kind::tool_use) {
      if (b->input_given) {
        b->input.clear();
        b->input_given = false;
      }
      b->input += string_or(*delta, "partial_json");
      return {};
    }
    if (kind == "thinking_delta") {
      response_.reasoning += string_or(*delta, "thinking");
      output_started_ = true;
    }
    return {};  // signature_delta, citations_delta and newer kinds carry no answer text
  }
  if (type == "message_delta") {
    if (auto delta = event.find("delta"); delta != event.end() && delta->is_object()) {
      if (auto reason = delta->find("stop_reason"); reason != delta->end() && reason->is_string()) {
        response_.raw_finish_reason = reason->get<std::string>();
      }
    }
    if (auto usage = event.find("usage"); usage != event.end()) read_usage(*usage);
    return {};
  }
  if (type == "message_stop") finished_ = true;
  return {};  // content_block_stop, ping and event types newer than this code
}

Response StreamDecoder::finish() const {
  Response out = response_;
  for (const Block& b : blocks_) {
    if (b.kind != Block::Kind::tool_use) continue;
    ToolCall call = b.call;
    call.arguments = b.input.empty() ? "{}" : b.input;  // a tool without arguments sends only ""
    out.tool_calls.push_back(std::move(call));
  }
  out.usage = usage_of(input_tokens_, cache_creation_tokens_, cache_read_tokens_, output_tokens_,
                       response_.usage.reasoning_tokens);
  out.finish_reason = decode_stop_reason(out.raw_finish_reason);
  return out;
}

}  // namespace polyrouter::detail::anthropic
