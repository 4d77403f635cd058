#pragma once

// What Groq and Cerebras share: the OpenAI chat-completions body, chunk and tool-call shapes.
// The subclasses add their own envelopes, usage extras and rate-limit headers.

#include "provider_wire.hpp"

namespace polyrouter::sim::detail {

class OpenAiCompatibleWire : public ProviderWire {
 public:
  std::optional<std::string> first_tool(const nlohmann::json& request) const override;

 protected:
  static std::string completion_id(const Answer& answer);
  static std::string system_fingerprint();
  static std::size_t completion_tokens(const Answer& answer);
  static std::string finish_reason(const Answer& answer);
  /// A complete tool-call object: {id, type:"function", function:{name, arguments(string)}}.
  static nlohmann::json tool_call(const Answer& answer);
  /// choices[0].message for a non-stream completion.
  static nlohmann::json message(const Answer& answer);
  /// The common body of a non-stream completion, without usage.
  static nlohmann::json completion_body(const Answer& answer);
  /// A chat.completion.chunk with one choice.
  static nlohmann::json chunk(const Answer& answer, nlohmann::json delta,
                              nlohmann::json finish_reason);
  /// Content deltas for a text answer, or the single tool-call delta.
  static std::vector<nlohmann::json> content_deltas(const Answer& answer);
};

}  // namespace polyrouter::sim::detail
