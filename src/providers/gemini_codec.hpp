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

}  // namespace polyrouter::detail::gemini
