#include "openai_wire.hpp"

namespace polyrouter::sim::detail {

using nlohmann::json;

std::optional<std::string> OpenAiCompatibleWire::first_tool(const json& request) const {
  const auto tools = request.find("tools");
  if (tools == request.end() || !tools->is_array() || tools->empty()) return std::nullopt;
  const auto& first = (*tools)[0];
  if (first.contains("function") && first["function"].contains("name") &&
      first["function"]["name"].is_string()) {
    return first["function"]["name"].get<std::string>();
  }
  return std::nullopt;
}

std::string OpenAiCompatibleWire::completion_id(const Answer& answer) {
  // UUID-shaped like the real ids ("chatcmpl-09d64d2a-ed1c-4473-829f-78db43f45d13").
  const auto hex = opaque_id(answer.serial, 32, "0123456789abcdef");
  std::string id = "chatcmpl-";
  for (std::size_t i = 0; i < hex.size(); ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) id += '-';
    id += hex[i];
  }
  return id;
}

std::string OpenAiCompatibleWire::system_fingerprint() { return "fp_sim0000000"; }

std::size_t OpenAiCompatibleWire::completion_tokens(const Answer& answer) {
  if (answer.tool_call) return 15;
  return split_words(answer.text).size();
}

std::string OpenAiCompatibleWire::finish_reason(const Answer& answer) {
  return answer.tool_call ? "tool_calls" : "stop";
}

json OpenAiCompatibleWire::tool_call(const Answer& answer) {
  return {{"id", opaque_id(answer.serial, 9)},
          {"type", "function"},
          {"function",
           {{"name", answer.tool_call->first}, {"arguments", answer.tool_call->second.dump()}}}};
}

json OpenAiCompatibleWire::message(const Answer& answer) {
  if (answer.tool_call) {
    return {{"role", "assistant"}, {"tool_calls", json::array({tool_call(answer)})}};
  }
  return {{"role", "assistant"}, {"content", answer.text}};
}

json OpenAiCompatibleWire::completion_body(const Answer& answer) {
  return {{"id", completion_id(answer)},
          {"object", "chat.completion"},
          {"created", unix_now()},
          {"model", answer.model},
          {"choices", json::array({{{"index", 0},
                                    {"message", message(answer)},
                                    {"logprobs", nullptr},
                                    {"finish_reason", finish_reason(answer)}}})},
          {"system_fingerprint", system_fingerprint()}};
}

json OpenAiCompatibleWire::chunk(const Answer& answer, json delta, json finish) {
  return {{"id", completion_id(answer)},
          {"object", "chat.completion.chunk"},
          {"created", unix_now()},
          {"model", answer.model},
          {"system_fingerprint", system_fingerprint()},
          {"choices", json::array({{{"index", 0},
                                    {"delta", std::move(delta)},
                                    {"logprobs", nullptr},
                                    {"finish_reason", std::move(finish)}}})}};
}

std::vector<json> OpenAiCompatibleWire::content_deltas(const Answer& answer) {
  std::vector<json> deltas;
  if (answer.tool_call) {
    // Groq sends the whole call in one delta (groq_stream_tool_call.sse); "index" is required.
    auto call = tool_call(answer);
    call["index"] = 0;
    deltas.push_back({{"tool_calls", json::array({call})}});
    return deltas;
  }
  for (auto& piece : split_words(answer.text)) deltas.push_back({{"content", piece}});
  return deltas;
}

}  // namespace polyrouter::sim::detail
