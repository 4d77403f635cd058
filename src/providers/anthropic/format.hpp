#pragma once
// The Anthropic Messages API wire format (private): ChatRequest -> the /v1/messages body,
// a Message -> Response, and the assembly of its SSE event stream.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "polyrouter/chat.hpp"
#include "polyrouter/response.hpp"

namespace polyrouter::detail::anthropic {

/// max_tokens when the request sets none: the API requires one and has no default. 4096 fits
/// every current model's output limit and stays far below the size the official SDKs refuse
/// to send without streaming.
inline constexpr int default_max_tokens = 4096;

/// The text of the user turn put first when a conversation starts with the assistant: the API
/// expects user and assistant turns to alternate from a user turn.
inline constexpr const char* opening_user_turn = ".";

/// A request this wire cannot carry (a JSON-object answer format, an image type it does not
/// take). The client turns it into a BadRequestError before any round trip.
class Unsupported : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// The body for @p model (without "stream"): system prompts -> top-level `system`; roles
/// alternating from a user turn, consecutive same-role turns merged, tool results as
/// `tool_result` blocks in a user turn (before any text of that turn); `max_tokens` (the
/// request's or default_max_tokens); `stop_sequences`; temperature clamped to the API's [0, 1];
/// tools with `input_schema`; `tool_choice`; a JSON-schema answer as `output_config.format`;
/// `extra` last, winning. Dropped, as the API has no such field: seed.
/// @throws Unsupported.
nlohmann::json encode_request(const ChatRequest& request, const std::string& model);

/// "end_turn" -> FinishReason::stop, ...
FinishReason decode_stop_reason(const std::string& reason);

/// Reads a Message. @throws std::invalid_argument naming what is missing.
Response decode_response(const nlohmann::json& body);

/// Assembles the event stream (message_start, content_block_start/delta/stop, message_delta,
/// message_stop; ping and unknown events ignored) into a Response.
class StreamDecoder {
 public:
  /// Reads one event (its JSON data) and returns its text delta (may be empty).
  /// @throws std::invalid_argument for an event that is not an object with a "type".
  std::string add(const nlohmann::json& event);
  /// Whether message_stop arrived: the stream's only end marker.
  bool finished() const { return finished_; }
  /// Whether any output came: text, thinking or a tool call.
  bool output_started() const { return output_started_; }
  Response finish() const;

 private:
  struct Block {
    enum class Kind { other, text, tool_use, thinking };
    Kind kind = Kind::other;
    ToolCall call;      ///< tool_use
    std::string input;  ///< tool_use: the partial_json fragments so far
    bool input_given = false;
  };
  Block* block(const nlohmann::json& event);
  void read_usage(const nlohmann::json& usage);

  Response response_;
  std::vector<Block> blocks_;  ///< by the event's index
  std::int64_t input_tokens_ = 0;
  std::int64_t cache_creation_tokens_ = 0;
  std::int64_t cache_read_tokens_ = 0;
  std::int64_t output_tokens_ = 0;
  bool finished_ = false;
  bool output_started_ = false;
};

}  // namespace polyrouter::detail::anthropic
