#pragma once
/// @file What a caller asks: messages, sampling, output format and tools.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "polyrouter/export.hpp"
#include "polyrouter/tool_call.hpp"

namespace polyrouter {

/// Who wrote a message.
enum class Role { system, user, assistant, tool };

/// "system", "user", "assistant", "tool".
POLYROUTER_API std::string_view to_string(Role role) noexcept;

/// One piece of a message's content: text, or an image by URL or by its bytes. Providers take
/// images in user messages (OpenAI `image_url`, Gemini `inlineData`/`fileData`, Anthropic
/// `image` blocks); an image in any other message is a BadRequestError before any round trip.
struct POLYROUTER_API ContentPart {
  enum class Kind { text, image_url, image_bytes };
  Kind kind = Kind::text;
  /// The text (text); the URL, https:// or a data: URL (image_url); the raw bytes, any byte
  /// values, not base64 (image_bytes).
  std::string data;
  /// The image's media type ("image/png", "image/jpeg", "image/gif", "image/webp"): required for
  /// image_bytes; optional for image_url (Gemini's fileData sends it; else guessed from the URL).
  std::string media_type;

  static ContentPart text(std::string value);
  static ContentPart image_url(std::string url, std::string media_type = {});
  static ContentPart image_bytes(std::string bytes, std::string media_type);
  static ContentPart image_bytes(const std::vector<std::uint8_t>& bytes, std::string media_type);
  bool is_image() const noexcept { return kind != Kind::text; }
};

/// One turn of a conversation.
struct POLYROUTER_API Message {
  Role role = Role::user;
  std::string content;
  std::vector<ToolCall> tool_calls;  ///< assistant turns that called tools
  std::string tool_call_id;          ///< tool turns: the call this answers
  std::string name;                  ///< tool turns: the function's name (Gemini needs it)
  /// More content after `content` (which, when not empty, is the first text): text and images.
  /// A message with parts is written as a list of parts; one without writes `content` as today.
  std::vector<ContentPart> parts;

  static Message system(std::string text);
  static Message user(std::string text);
  /// A user turn of text and images:
  /// `Message::user({ContentPart::text("What is this?"), ContentPart::image_url("https://...")})`.
  static Message user(std::vector<ContentPart> parts);
  static Message assistant(std::string text);
  /// A tool result answering @p call_id of function @p function_name.
  static Message tool(std::string call_id, std::string function_name, std::string result);
};

/// A function the model may call; @p parameters is a JSON Schema object.
struct POLYROUTER_API Tool {
  std::string name;
  std::string description;
  nlohmann::json parameters = nlohmann::json::object();
};

/// How the model may use tools.
struct POLYROUTER_API ToolChoice {
  enum class Mode { unset, none, auto_, required, function };
  Mode mode = Mode::unset;
  std::string function;  ///< the forced function when mode == function

  static ToolChoice none() { return {Mode::none, {}}; }
  static ToolChoice automatic() { return {Mode::auto_, {}}; }
  static ToolChoice required() { return {Mode::required, {}}; }
  static ToolChoice force(std::string name) { return {Mode::function, std::move(name)}; }
};

/// The shape of the answer: free text, any JSON object, or JSON matching a schema.
struct POLYROUTER_API ResponseFormat {
  enum class Type { text, json_object, json_schema };
  Type type = Type::text;
  std::string schema_name = "response";
  nlohmann::json schema;  ///< JSON Schema, for json_schema
  bool strict = true;

  static ResponseFormat json_object() { return {Type::json_object, "response", nullptr, false}; }
  static ResponseFormat json_schema(std::string name, nlohmann::json schema, bool strict = true) {
    return {Type::json_schema, std::move(name), std::move(schema), strict};
  }
};

/// A chat completion request, independent of any provider's wire format.
struct POLYROUTER_API ChatRequest {
  std::vector<Message> messages;
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::optional<int> max_tokens;  ///< sent as max_completion_tokens / maxOutputTokens
  std::vector<std::string> stop;
  std::optional<std::int64_t> seed;
  ResponseFormat response_format;
  std::vector<Tool> tools;
  ToolChoice tool_choice;
  /// Extra top-level fields merged into the wire body as they are (e.g. Groq "reasoning_effort",
  /// Gemini "safetySettings"). They win over fields polyrouter writes.
  nlohmann::json extra = nlohmann::json::object();

  /// A request holding one user message.
  static ChatRequest from_prompt(std::string prompt);
};

}  // namespace polyrouter
