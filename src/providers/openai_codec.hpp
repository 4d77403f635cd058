#pragma once
// The OpenAI Chat Completions wire format (private): ChatRequest -> JSON body, JSON -> Response.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "polyrouter/chat.hpp"
#include "polyrouter/response.hpp"

namespace polyrouter::detail::openai {

/// The request body for @p model (without "stream").
nlohmann::json encode_request(const ChatRequest& request, const std::string& model);

/// The bytes encode_request(request, model).dump() gives (with "stream" and "stream_options"
/// when @p stream), written without building a tree; nullopt for a request with tools, tool
/// calls, a response format or extra fields, or with text that is not UTF-8.
std::optional<std::string> write_plain_request(const ChatRequest& request, const std::string& model, bool stream);

/// Reads a chat.completion object. @throws std::invalid_argument naming what is missing.
Response decode_response(const nlohmann::json& body);

/// Assembles a chat.completion.chunk stream into a Response.
class StreamDecoder {
 public:
  /// Reads one chunk and returns its text delta (may be empty).
  std::string add(const nlohmann::json& chunk);
  /// The answer so far.
  Response finish();
  /// Whether any output came: text, reasoning or a tool call.
  bool output_started() const { return output_started_; }

 private:
  Response response_;
  bool output_started_ = false;
  std::vector<ToolCall> calls_;  ///< by the chunk's tool-call index
};

/// "stop" -> FinishReason::stop, ...
FinishReason decode_finish_reason(const std::string& reason);

}  // namespace polyrouter::detail::openai
