#pragma once
// The Gemini generateContent wire format (private).

#include <string>

#include <nlohmann/json.hpp>

#include "polyrouter/chat.hpp"
#include "polyrouter/response.hpp"

namespace polyrouter::detail::gemini {

/// The generateContent body: systemInstruction, contents (user/model roles), generationConfig,
/// tools and toolConfig.
nlohmann::json encode_request(const ChatRequest& request);

/// What a generateContent answer holds.
struct Decoded {
  Response response;
  /// Set when the prompt or the answer was blocked (promptFeedback.blockReason, SAFETY...).
  std::string blocked_reason;
};

/// Reads a GenerateContentResponse. @throws std::invalid_argument when it has neither
/// candidates nor a block reason.
Decoded decode_response(const nlohmann::json& body);

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
