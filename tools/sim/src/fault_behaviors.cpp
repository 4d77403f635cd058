#include "fault_behaviors.hpp"

#include <algorithm>

namespace polyrouter::sim::detail {
namespace {

using nlohmann::json;

// A 400 in the provider's own shape, with an OpenAI-style error code where the shape has one
// (Gemini's and Anthropic's have none).
Reply bad_request_with_code(const ProviderWire& wire, std::string_view message, std::string_view code) {
  Reply reply = wire.bad_request(message);
  json body = json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_object() && body.contains("error") && body["error"].is_object() &&
      wire.provider() != Provider::gemini && wire.provider() != Provider::anthropic) {
    body["error"]["code"] = code;
    reply.body = body.dump();
  }
  return reply;
}

// Whether the request ends with an assistant turn (a prefill to continue from).
bool ends_with_prefill(const Call& call) {
  const bool gemini = call.provider == Provider::gemini;
  const char* list = gemini ? "contents" : "messages";
  if (!call.body.is_object() || !call.body.contains(list) || !call.body[list].is_array() || call.body[list].empty()) {
    return false;
  }
  const json& last = call.body[list].back();
  return last.is_object() && last.value("role", "") == (gemini ? "model" : "assistant");
}

bool streamed(const Reply& reply) { return reply.delivery == Reply::Delivery::sse; }

}  // namespace

bool is_fault_behavior(Behavior behavior) {
  switch (behavior) {
    case Behavior::reset_connection:
    case Behavior::slow_first_token:
    case Behavior::stream_stall:
    case Behavior::malformed_event:
    case Behavior::no_done_marker:
    case Behavior::context_length:
    case Behavior::content_policy:
    case Behavior::reject_prefill: return true;
    default: return false;
  }
}

Reply fault_reply(const Call& call, const Rule& rule, Reply healthy, const ProviderWire& wire) {
  switch (rule.behavior) {
    case Behavior::reset_connection: {
      Reply reply;
      reply.delivery = Reply::Delivery::reset;
      return reply;
    }
    case Behavior::slow_first_token:
      if (streamed(healthy)) {
        healthy.pause = rule.delay;
        healthy.pause_before = 0;
      }
      return healthy;
    case Behavior::stream_stall:
      if (!streamed(healthy)) return healthy;
      healthy.delivery = Reply::Delivery::cut;
      healthy.frames_to_send = std::min(rule.after_chunks, healthy.frames.size());
      healthy.pause = rule.delay;
      healthy.pause_before = healthy.frames_to_send;
      return healthy;
    case Behavior::malformed_event:
      if (streamed(healthy)) {
        const std::size_t at = std::min(rule.after_chunks > 0 ? rule.after_chunks - 1 : 0, healthy.frames.size());
        healthy.frames.insert(healthy.frames.begin() + static_cast<std::ptrdiff_t>(at),
                              "data: {\"choices\": [{\"delta\": {\"content\": \"broken\n\n");
      }
      return healthy;
    case Behavior::no_done_marker:
      healthy.terminator.clear();
      return healthy;
    case Behavior::context_length:
      if (wire.provider() == Provider::anthropic) {
        // Anthropic says it in the message of an invalid_request_error (anthropic_400 fixture).
        return wire.bad_request("prompt is too long: 200251 tokens > 200000 maximum");
      }
      return bad_request_with_code(
          wire, "This model's maximum context length is 8192 tokens. Please reduce the length of the messages.",
          "context_length_exceeded");
    case Behavior::content_policy:
      return bad_request_with_code(wire, "Your request was rejected as a result of our safety system: violence.",
                                   "content_policy_violation");
    case Behavior::reject_prefill:
      if (ends_with_prefill(call)) {
        return bad_request_with_code(wire, "This model does not support assistant message prefill.",
                                     "invalid_request_error");
      }
      return healthy;
    default: return healthy;
  }
}

}  // namespace polyrouter::sim::detail
