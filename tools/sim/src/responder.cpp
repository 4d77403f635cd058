#include "responder.hpp"

#include <algorithm>

#include "fault_behaviors.hpp"

namespace polyrouter::sim::detail {
namespace {

using nlohmann::json;

Answer make_answer(const Call& call, const std::optional<Rule>& rule, const ProviderWire& wire) {
  Answer answer;
  answer.model = call.model;
  answer.text = rule && rule->text ? *rule->text
                                   : "Hello from " + std::string(provider_name(call.provider)) +
                                         " " + call.model + ".";
  // A tool call only makes sense when the request declared tools; otherwise answer text.
  if (rule && rule->behavior == Behavior::tool_call) {
    if (auto first = wire.first_tool(call.body)) {
      answer.tool_call.emplace(rule->tool_name.value_or(*first), rule->tool_args);
    }
  }
  answer.serial = call.serial;
  answer.prompt_tokens = std::max<std::size_t>(1, call.body_bytes / 4);
  return answer;
}

Reply sse_reply(const StreamBody& stream) {
  Reply reply;
  reply.delivery = Reply::Delivery::sse;
  reply.content_type = "text/event-stream";
  for (const auto& event : stream.events) {
    reply.frames.push_back(stream.named_events ? named_sse_frame(event) : sse_frame(event));
  }
  if (stream.done_marker) reply.terminator = "data: [DONE]\n\n";
  return reply;
}

// The ok answer for this call: a model list, a completion, or a stream.
Reply success(const Call& call, const Answer& answer, const ProviderWire& wire,
              const Scenario& scenario) {
  if (call.list_models) {
    const auto listed = scenario.models.find(call.provider);
    return wire.model_page(listed != scenario.models.end() ? listed->second : wire.default_models(), call.page);
  }
  if (!call.stream) return wire.completion(answer);
  auto stream = wire.stream(answer);
  if (call.sse) return sse_reply(stream);
  // Gemini's streamGenerateContent without alt=sse sends one JSON array of responses.
  Reply reply;
  reply.content_type = wire.json_content_type();
  reply.body = json(stream.events).dump();
  return reply;
}

// malformed_json: the body (or the first stream event) is cut mid-object.
Reply truncated(Reply reply) {
  if (reply.delivery == Reply::Delivery::sse) {
    const auto& first = reply.frames.front();
    const auto data = first.find("data: ");  // after an `event:` line, if the wire names events
    const auto payload = first.substr(data + 6, first.size() - data - 8);  // "data: " ... "\n\n"
    reply.frames = {first.substr(0, data) + "data: " + payload.substr(0, payload.size() / 2) + "\n\n"};
    return reply;
  }
  reply.body.resize(reply.body.size() / 2);
  return reply;
}

// drop_connection: declare the full length, send half, hang up.
Reply dropped(Reply reply) {
  if (reply.delivery == Reply::Delivery::sse) {
    reply.body.clear();
    for (const auto& frame : reply.frames) reply.body += frame;
    reply.body += reply.terminator;
    reply.frames.clear();
    reply.terminator.clear();
  }
  reply.delivery = Reply::Delivery::drop;
  return reply;
}

// What an edge proxy sends when the origin is unhappy (protocols.md §6.7); a 403 is Cloudflare
// blocking the caller's network.
Reply html_page(int status) {
  const auto title = status == 403 ? std::string("Attention Required! | Cloudflare")
                                   : std::to_string(status) + " " + std::string(status_text(status));
  const auto heading = status == 403 ? std::string("Sorry, you have been blocked") : title;
  Reply reply;
  reply.status = status;
  reply.content_type = "text/html";
  reply.headers = {{"server", "cloudflare"}, {"cf-ray", "8828f41b9aba80aa-SIM"}};
  reply.body = "<html>\r\n<head><title>" + title + "</title></head>\r\n<body>\r\n<center><h1>" +
               heading + "</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n";
  return reply;
}

}  // namespace

Reply respond(const Call& call, const std::optional<Rule>& rule, const Scenario& scenario) {
  const auto& wire = wire_for(call.provider);
  if (call.key.empty()) return wire.missing_key();
  const auto behavior = rule ? rule->behavior : Behavior::ok;
  // The real services check the key before they look at the model or the quota.
  if (behavior == Behavior::invalid_key) return wire.invalid_key();
  if (!call.list_models) {
    if (call.body_error) return wire.bad_request(*call.body_error);
    if (behavior == Behavior::unknown_model || !scenario.knows_model(call.provider, call.model)) {
      return wire.model_not_found(call.model, call.method);
    }
  }

  const auto answer = make_answer(call, rule, wire);
  if (is_fault_behavior(behavior)) return fault_reply(call, *rule, success(call, answer, wire, scenario), wire);
  switch (behavior) {
    case Behavior::ok:
    case Behavior::tool_call:
    case Behavior::invalid_key:    // handled above
    case Behavior::unknown_model:  // only reached by model lists, which it does not affect
      return success(call, answer, wire, scenario);
    case Behavior::rate_limit:
      return wire.rate_limited(call.model, rule->retry_after_s, rule->daily);
    case Behavior::server_error:
      return wire.server_error(rule->status);
    case Behavior::malformed_json:
      return truncated(success(call, answer, wire, scenario));
    case Behavior::html_error:
      return html_page(rule->status);
    case Behavior::drop_connection:
      return dropped(success(call, answer, wire, scenario));
    case Behavior::stream_cut: {
      auto reply = success(call, answer, wire, scenario);
      if (reply.delivery != Reply::Delivery::sse) return dropped(std::move(reply));
      reply.delivery = Reply::Delivery::cut;
      reply.frames_to_send = std::min(rule->after_chunks, reply.frames.size());
      return reply;
    }
    case Behavior::error_in_stream: {
      auto reply = success(call, answer, wire, scenario);
      // Without a stream there is nothing to break mid-way: answer the error up front.
      if (reply.delivery != Reply::Delivery::sse) return wire.server_error(rule->status);
      reply.frames.resize(std::min(rule->after_chunks, reply.frames.size()));
      reply.frames.push_back(wire.stream_error_frame(rule->status));
      reply.terminator.clear();
      return reply;
    }
    default: break;  // the faults above
  }
  return success(call, answer, wire, scenario);
}

}  // namespace polyrouter::sim::detail
