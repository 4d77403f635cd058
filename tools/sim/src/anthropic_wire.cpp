// Anthropic Messages API: `{"type":"error","error":{type,message},"request_id"}` envelopes,
// content-block answers, anthropic-ratelimit-* headers with RFC 3339 resets, named SSE events
// ending with message_stop (no [DONE]), 529 overloaded. Shapes follow protocols.md section 9
// and fixtures anthropic_*.

#include <algorithm>

#include "provider_wire.hpp"

namespace polyrouter::sim::detail {
// Its own namespace: the wires' helpers share names and may be compiled as one unity file.
namespace anthropic_shapes {
namespace {

using nlohmann::json;

constexpr const char* kOrganization = "00000000-0000-4000-8000-00000000051a";

std::string message_id(const Answer& answer) {
  return "msg_01" + opaque_id(answer.serial, 22, "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz123456789");
}
std::string tool_use_id(const Answer& answer) {
  return "toolu_01" + opaque_id(answer.serial + 7, 22, "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz123456789");
}

Reply reply_with(int status, const json& body) {
  Reply reply;
  reply.status = status;
  reply.body = body.dump();
  reply.headers = {{"request-id", next_request_id()}, {"anthropic-organization-id", kOrganization}};
  return reply;
}

json error_body(std::string_view type, std::string_view message) {
  return {{"type", "error"}, {"error", {{"type", type}, {"message", message}}}, {"request_id", next_request_id()}};
}

// The error type and message Anthropic sends with a status (anthropic_5xx/4xx fixtures).
std::pair<std::string_view, std::string_view> error_for(int status) {
  switch (status) {
    case 400:
      return {"invalid_request_error", "Invalid request"};
    case 401:
      return {"authentication_error", "invalid x-api-key"};
    case 402:
      return {"billing_error", "Your credit balance is too low to access the Anthropic API."};
    case 403:
      return {"permission_error", "Permission denied"};
    case 404:
      return {"not_found_error", "Not found"};
    case 413:
      return {"request_too_large", "Request exceeds the maximum size"};
    case 429:
      return {"rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit"};
    case 504:
      return {"timeout_error", "Request timed out"};
    case 529:
      return {"overloaded_error", "Overloaded"};
    default:
      return {status < 500 ? "invalid_request_error" : "api_error",
              status < 500 ? "Invalid request" : "Internal server error"};
  }
}

Reply error_reply(int status) {
  const auto [type, message] = error_for(status);
  if (status == 413) {
    // From the edge, not the API: no top-level type, no request_id (anthropic_413 fixture).
    Reply reply;
    reply.status = 413;
    reply.body = json{{"error", {{"type", type}, {"message", message}}}}.dump();
    return reply;
  }
  Reply reply = reply_with(status, error_body(type, message));
  if (status == 529 || status >= 500 || status == 429 || status == 408 || status == 409) {
    reply.headers.emplace_back("x-should-retry", "true");
  }
  return reply;
}

// Healthy per-minute limits (anthropic_ok.headers.txt): every family with room left.
void add_ok_rate_headers(Reply& reply) {
  const auto reset = rfc3339_from_now(1);
  reply.headers.insert(reply.headers.end(), {{"anthropic-ratelimit-requests-limit", "4000"},
                                             {"anthropic-ratelimit-requests-remaining", "3999"},
                                             {"anthropic-ratelimit-requests-reset", reset},
                                             {"anthropic-ratelimit-input-tokens-limit", "2000000"},
                                             {"anthropic-ratelimit-input-tokens-remaining", "2000000"},
                                             {"anthropic-ratelimit-input-tokens-reset", reset},
                                             {"anthropic-ratelimit-output-tokens-limit", "400000"},
                                             {"anthropic-ratelimit-output-tokens-remaining", "400000"},
                                             {"anthropic-ratelimit-output-tokens-reset", reset},
                                             {"anthropic-ratelimit-tokens-limit", "2400000"},
                                             {"anthropic-ratelimit-tokens-remaining", "2400000"},
                                             {"anthropic-ratelimit-tokens-reset", reset}});
}

std::size_t output_tokens(const Answer& answer) { return answer.tool_call ? 15 : split_words(answer.text).size(); }

json usage(const Answer& answer, std::size_t output) {
  return {{"input_tokens", answer.prompt_tokens},
          {"cache_creation_input_tokens", 0},
          {"cache_read_input_tokens", 0},
          {"cache_creation", {{"ephemeral_5m_input_tokens", 0}, {"ephemeral_1h_input_tokens", 0}}},
          {"output_tokens", output},
          {"service_tier", "standard"}};
}

json message(const Answer& answer, json content, json stop_reason, std::size_t output) {
  return {{"model", answer.model},    {"id", message_id(answer)},      {"type", "message"},
          {"role", "assistant"},      {"content", std::move(content)}, {"stop_reason", std::move(stop_reason)},
          {"stop_sequence", nullptr}, {"usage", usage(answer, output)}};
}

class AnthropicWire final : public ProviderWire {
 public:
  Provider provider() const override { return Provider::anthropic; }

  Reply missing_key() const override {
    return reply_with(401, error_body("authentication_error", "x-api-key header is required"));
  }

  Reply invalid_key() const override {
    return reply_with(401, error_body("authentication_error", "invalid x-api-key"));
  }

  // Per minute: retry-after and the input-tokens family exhausted until now + retry_after_s.
  // Daily: a spend cap, which sends no retry-after and keeps failing until access resumes.
  Reply rate_limited(std::string_view model, double retry_after_s, bool daily) const override {
    if (daily) {
      json body = error_body("rate_limit_error",
                             "You have reached your specified API usage limits. You will regain access on " +
                                 rfc3339_from_now(retry_after_s).substr(0, 10) + " at 00:00 UTC.");
      body["error"]["details"] = {{"error_code", "enforced_spend_limit_reached"}};
      return reply_with(429, body);
    }
    Reply reply = reply_with(
        429, error_body("rate_limit_error",
                        "This request would exceed your organization's rate limit of 30,000 input tokens per minute "
                        "(org: " +
                            std::string(kOrganization) + ", model: " + std::string(model) +
                            "). For details, refer to: https://docs.claude.com/en/api/rate-limits. You can see the "
                            "response headers for current usage. Please reduce the prompt length or the maximum "
                            "tokens requested, or try again later."));
    const auto reset = rfc3339_from_now(retry_after_s);
    const auto soon = rfc3339_from_now(1);
    reply.headers.insert(reply.headers.end(), {{"retry-after", retry_after_header(retry_after_s)},
                                               {"anthropic-ratelimit-requests-limit", "50"},
                                               {"anthropic-ratelimit-requests-remaining", "47"},
                                               {"anthropic-ratelimit-requests-reset", soon},
                                               {"anthropic-ratelimit-input-tokens-limit", "30000"},
                                               {"anthropic-ratelimit-input-tokens-remaining", "0"},
                                               {"anthropic-ratelimit-input-tokens-reset", reset},
                                               {"anthropic-ratelimit-output-tokens-limit", "8000"},
                                               {"anthropic-ratelimit-output-tokens-remaining", "8000"},
                                               {"anthropic-ratelimit-output-tokens-reset", soon},
                                               {"anthropic-ratelimit-tokens-limit", "38000"},
                                               {"anthropic-ratelimit-tokens-remaining", "8000"},
                                               {"anthropic-ratelimit-tokens-reset", reset},
                                               {"x-should-retry", "true"}});
    return reply;
  }

  Reply model_not_found(std::string_view model, std::string_view) const override {
    return reply_with(404, error_body("not_found_error", "model: " + std::string(model)));
  }

  Reply bad_request(std::string_view message) const override {
    return reply_with(400, error_body("invalid_request_error", message));
  }

  Reply server_error(int status) const override { return error_reply(status); }

  Reply completion(const Answer& answer) const override {
    json content = json::array();
    if (answer.tool_call) {
      content.push_back({{"type", "tool_use"},
                         {"id", tool_use_id(answer)},
                         {"name", answer.tool_call->first},
                         {"input", answer.tool_call->second},
                         {"caller", {{"type", "direct"}}}});
    } else {
      content.push_back({{"type", "text"}, {"text", answer.text}});
    }
    Reply reply = reply_with(
        200, message(answer, std::move(content), answer.tool_call ? "tool_use" : "end_turn", output_tokens(answer)));
    add_ok_rate_headers(reply);
    return reply;
  }

  // anthropic_stream.sse: message_start, content_block_start, ping, one delta per word (or the
  // tool input in input_json_delta fragments, the first one empty), content_block_stop,
  // message_delta with the stop reason and cumulative usage, message_stop.
  StreamBody stream(const Answer& answer) const override {
    StreamBody body;
    body.named_events = true;
    json start = message(answer, json::array(), nullptr, 1);
    body.events.push_back({{"type", "message_start"}, {"message", std::move(start)}});
    if (answer.tool_call) {
      body.events.push_back({{"type", "content_block_start"},
                             {"index", 0},
                             {"content_block",
                              {{"type", "tool_use"},
                               {"id", tool_use_id(answer)},
                               {"name", answer.tool_call->first},
                               {"input", json::object()},
                               {"caller", {{"type", "direct"}}}}}});
      body.events.push_back({{"type", "ping"}});
      const std::string input = answer.tool_call->second.dump();
      const std::size_t half = input.size() / 2;
      for (const std::string& fragment : {std::string(), input.substr(0, half), input.substr(half)}) {
        body.events.push_back({{"type", "content_block_delta"},
                               {"index", 0},
                               {"delta", {{"type", "input_json_delta"}, {"partial_json", fragment}}}});
      }
    } else {
      body.events.push_back(
          {{"type", "content_block_start"}, {"index", 0}, {"content_block", {{"type", "text"}, {"text", ""}}}});
      body.events.push_back({{"type", "ping"}});
      for (const std::string& piece : split_words(answer.text)) {
        body.events.push_back(
            {{"type", "content_block_delta"}, {"index", 0}, {"delta", {{"type", "text_delta"}, {"text", piece}}}});
      }
    }
    body.events.push_back({{"type", "content_block_stop"}, {"index", 0}});
    json final_usage = usage(answer, output_tokens(answer));
    final_usage.erase("cache_creation");
    final_usage.erase("service_tier");
    body.events.push_back(
        {{"type", "message_delta"},
         {"delta", {{"stop_reason", answer.tool_call ? "tool_use" : "end_turn"}, {"stop_sequence", nullptr}}},
         {"usage", std::move(final_usage)}});
    body.events.push_back({{"type", "message_stop"}});
    return body;
  }

  // protocols.md 9.4: `event: error` on the 200 stream, the type standing for the status.
  std::string stream_error_frame(int status) const override {
    const auto [type, message] = error_for(status);
    return named_sse_frame(
        {{"type", "error"}, {"error", {{"details", nullptr}, {"type", type}, {"message", message}}}});
  }

  Reply model_list(const std::vector<std::string>& ids) const override { return model_page(ids, {}); }

  // GET /v1/models?limit=&after_id=: newest first as given, `limit` (1-1000, default 20) per page.
  Reply model_page(const std::vector<std::string>& ids, const ModelPage& page) const override {
    const std::size_t limit = page.limit == 0 ? 20 : std::min<std::size_t>(page.limit, 1000);
    std::size_t first = 0;
    if (!page.after_id.empty()) {
      const auto after = std::find(ids.begin(), ids.end(), page.after_id);
      first = after == ids.end() ? ids.size() : static_cast<std::size_t>(after - ids.begin()) + 1;
    }
    const std::size_t end = std::min(ids.size(), first + limit);
    json data = json::array();
    for (std::size_t i = first; i < end; ++i) {
      data.push_back({{"type", "model"},
                      {"id", ids[i]},
                      {"display_name", ids[i]},
                      {"created_at", "2026-02-04T00:00:00Z"},
                      {"max_input_tokens", 200000},
                      {"max_tokens", 64000}});
    }
    json body{{"data", data},
              {"first_id", first < end ? json(ids[first]) : json(nullptr)},
              {"last_id", first < end ? json(ids[end - 1]) : json(nullptr)},
              {"has_more", end < ids.size()}};
    return reply_with(200, body);
  }

  std::vector<std::string> default_models() const override {
    return {"claude-sonnet-4-6", "claude-haiku-4-5", "claude-opus-4-6"};
  }

  std::optional<std::string> first_tool(const json& request) const override {
    const auto tools = request.find("tools");
    if (tools == request.end() || !tools->is_array() || tools->empty() || !(*tools)[0].is_object()) {
      return std::nullopt;
    }
    const auto name = (*tools)[0].value("name", json());
    if (name.is_string()) return name.get<std::string>();
    return std::nullopt;
  }
};

}  // namespace
}  // namespace anthropic_shapes

const ProviderWire& anthropic_wire() {
  static const anthropic_shapes::AnthropicWire wire;
  return wire;
}

}  // namespace polyrouter::sim::detail
