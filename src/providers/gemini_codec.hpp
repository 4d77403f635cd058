#pragma once
// The Gemini generateContent wire format (private).

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "polyrouter/chat.hpp"
#include "polyrouter/response.hpp"

namespace polyrouter::detail::gemini {

/// The generateContent body: systemInstruction, contents (user/model roles), generationConfig,
/// tools and toolConfig.
nlohmann::json encode_request(const ChatRequest& request);

/// The bytes encode_request(request).dump() gives, written without building a tree; nullopt for
/// a request with tools, tool calls or results, parts (images), a response format or extra
/// fields, or with text that is not UTF-8.
std::optional<std::string> write_plain_request(const ChatRequest& request);

/// What a generateContent answer holds.
struct Decoded {
  Response response;
  /// Set when the prompt or the answer was blocked (promptFeedback.blockReason, SAFETY...).
  std::string blocked_reason;
};

/// Reads a GenerateContentResponse. @throws std::invalid_argument when it has neither
/// candidates nor a block reason.
Decoded decode_response(const nlohmann::json& body);

/// Sets finish_reason (and blocked_reason for a blocked, empty answer) from the raw finish
/// reason, the text and the tool calls @p decoded holds: the last step of decode_response.
void settle_finish_reason(Decoded& decoded);

/// candidates + thoughts, the completion tokens (thinking is billed as output); 0 when the sum
/// is beyond int64.
std::int64_t completion_tokens(std::int64_t candidates, std::int64_t thoughts);

/// Assembles a streamGenerateContent (alt=sse) stream: every event is a partial
/// GenerateContentResponse whose parts are deltas; usage is cumulative; the last has finishReason.
class StreamDecoder {
 public:
  /// Reads one event and returns its text delta (may be empty).
  /// @throws std::invalid_argument on an event that is not a GenerateContentResponse.
  std::string add(const nlohmann::json& event);
  /// Whether an event carried a finish reason (the stream's only end marker).
  bool finished() const { return finished_; }
  /// Whether any output came: text, a tool call, or thinking (counted in usage).
  bool output_started() const { return output_started_; }
  Decoded finish();

 private:
  Decoded decoded_;
  bool finished_ = false;
  bool output_started_ = false;
};

}  // namespace polyrouter::detail::gemini
