#pragma once
// The OpenAI Chat Completions wire format (private): ChatRequest -> JSON body, JSON -> Response.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "polyrouter/chat.hpp"
#include "polyrouter/response.hpp"

namespace polyrouter::detail::openai {

/// The request body for @p model (without "stream").
nlohmann::json encode_request(const ChatRequest& request, const std::string& model);

/// Reads a chat.completion object. @throws std::invalid_argument naming what is missing.
Response decode_response(const nlohmann::json& body);

/// Assembles a chat.completion.chunk stream into a Response.
class StreamDecoder {
 public:
  /// Reads one chunk and returns its text delta (may be empty).
  std::string add(const nlohmann::json& chunk);
  /// The answer so far.
  Response finish();

 private:
  Response response_;
  std::vector<ToolCall> calls_;  ///< by the chunk's tool-call index
};

/// "stop" -> FinishReason::stop, ...
FinishReason decode_finish_reason(const std::string& reason);

}  // namespace polyrouter::detail::openai
