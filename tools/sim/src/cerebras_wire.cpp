// Cerebras: flat error bodies (no "error" wrapper), `time_info`, a final `choices: []` usage
// chunk, and float-second rate-limit resets. Shapes follow protocols.md §3 and fixtures cerebras_*.

#include "openai_wire.hpp"

namespace polyrouter::sim::detail {
namespace {

using nlohmann::json;

// Values from cerebras_ok.headers.txt / protocols.md §3.6.
constexpr double kDayReset = 33011.382867097855;
constexpr double kMinuteReset = 11.382867097854614;

Reply cerebras_json_reply(int status, const json& body) {
  Reply reply;
  reply.status = status;
  reply.body = body.dump();
  reply.headers = {{"x-request-id", next_request_id()}};
  return reply;
}

Reply flat_error(int status, std::string_view message, std::string_view type, json param,
                 json code) {
  return cerebras_json_reply(status, {{"message", message},
                             {"type", type},
                             {"param", std::move(param)},
                             {"code", std::move(code)}});
}

void add_rate_headers(Reply& reply, std::string remaining_requests, std::string remaining_tokens,
                      double reset_requests, double reset_tokens) {
  reply.headers.insert(reply.headers.end(),
                       {{"x-ratelimit-limit-requests-day", "14400"},
                        {"x-ratelimit-limit-tokens-minute", "60000"},
                        {"x-ratelimit-remaining-requests-day", std::move(remaining_requests)},
                        {"x-ratelimit-remaining-tokens-minute", std::move(remaining_tokens)},
                        {"x-ratelimit-reset-requests-day", float_seconds(reset_requests)},
                        {"x-ratelimit-reset-tokens-minute", float_seconds(reset_tokens)}});
}

json cerebras_usage(const Answer& answer, std::size_t completion_tokens) {
  return {{"prompt_tokens", answer.prompt_tokens},
          {"completion_tokens", completion_tokens},
          {"total_tokens", answer.prompt_tokens + completion_tokens},
          {"prompt_tokens_details", {{"cached_tokens", 0}}}};
}

json time_info() {
  return {{"queue_time", 0.00026},
          {"prompt_time", 0.0024},
          {"completion_time", 0.0133},
          {"total_time", 0.0172},
          {"created", unix_now()}};
}

// Cerebras chunks omit `logprobs`, and `finish_reason` until it is set (cerebras_stream.sse).
json trim_chunk(json chunk) {
  auto& choice = chunk["choices"][0];
  choice.erase("logprobs");
  if (choice["finish_reason"].is_null()) choice.erase("finish_reason");
  return chunk;
}

class CerebrasWire final : public OpenAiCompatibleWire {
 public:
  Provider provider() const override { return Provider::cerebras; }

  // No Authorization header at all: FastAPI's 403 (protocols.md §3.1).
  Reply missing_key() const override { return cerebras_json_reply(403, {{"detail", "Not authenticated"}}); }

  Reply invalid_key() const override {
    return flat_error(401, "Wrong API Key", "invalid_request_error", "api_key", "wrong_api_key");
  }

  Reply rate_limited(std::string_view, double retry_after_s, bool daily) const override {
    auto reply = flat_error(429,
                            daily ? "Requests per day limit exceeded - too many requests sent."
                                  : "Requests per minute limit exceeded - too many requests sent.",
                            "too_many_requests_error", "quota", "request_quota_exceeded");
    reply.headers.emplace_back("retry-after", retry_after_header(retry_after_s));
    // The exhausted bucket shows remaining 0 and resets in retry_after_s (cf.
    // cerebras_429_requests.headers.txt); the other keeps its usual values.
    if (daily) {
      add_rate_headers(reply, "0", "59905", retry_after_s, kMinuteReset);
    } else {
      add_rate_headers(reply, "13012", "0", kDayReset, retry_after_s);
    }
    return reply;
  }

  Reply model_not_found(std::string_view, std::string_view) const override {
    return flat_error(404, "Model does not exist or you do not have access to it.",
                      "not_found_error", "model", "model_not_found");
  }

  Reply bad_request(std::string_view message) const override {
    return flat_error(400, message, "invalid_request_error", nullptr, nullptr);
  }

  Reply server_error(int status) const override {
    return flat_error(status, status_text(status),
                      status >= 500 ? "server_error" : "invalid_request_error", nullptr, nullptr);
  }

  Reply completion(const Answer& answer) const override {
    auto body = completion_body(answer);
    body["choices"][0].erase("logprobs");
    body["usage"] = cerebras_usage(answer, completion_tokens(answer));
    body["time_info"] = time_info();
    auto reply = cerebras_json_reply(200, body);
    add_rate_headers(reply, "14397", "59905", kDayReset, kMinuteReset);
    return reply;
  }

  // cerebras_stream.sse: a role chunk, the deltas (the last one carries finish_reason), then a
  // `choices: []` chunk with usage and time_info.
  StreamBody stream(const Answer& answer) const override {
    StreamBody body;
    body.done_marker = true;
    body.events.push_back(trim_chunk(chunk(answer, {{"role", "assistant"}}, nullptr)));
    auto deltas = content_deltas(answer);
    for (std::size_t i = 0; i < deltas.size(); ++i) {
      const bool last = i + 1 == deltas.size();
      body.events.push_back(trim_chunk(
          chunk(answer, std::move(deltas[i]), last ? json(finish_reason(answer)) : json(nullptr))));
    }
    auto usage_chunk = chunk(answer, json::object(), nullptr);
    usage_chunk["choices"] = json::array();
    usage_chunk["usage"] = cerebras_usage(answer, completion_tokens(answer));
    usage_chunk["time_info"] = time_info();
    body.events.push_back(std::move(usage_chunk));
    return body;
  }

  // protocols.md §3.4: {"error":{...},"status_code":N} as a plain data event.
  std::string stream_error_frame(int status) const override {
    return sse_frame({{"error",
                       {{"message", status_text(status)},
                        {"type", status >= 500 ? "server_error" : "invalid_request_error"},
                        {"param", nullptr},
                        {"code", nullptr}}},
                      {"status_code", status}});
  }

  Reply model_list(const std::vector<std::string>& ids) const override {
    json data = json::array();
    for (const auto& id : ids) {
      data.push_back(
          {{"id", id}, {"object", "model"}, {"created", 1700000000}, {"owned_by", "Cerebras"}});
    }
    auto reply = cerebras_json_reply(200, {{"object", "list"}, {"data", std::move(data)}});
    add_rate_headers(reply, "14397", "59905", kDayReset, kMinuteReset);
    return reply;
  }

  std::vector<std::string> default_models() const override {
    return {"gpt-oss-120b", "zai-glm-4.7"};
  }
};

}  // namespace

const ProviderWire& cerebras_wire() {
  static const CerebrasWire wire;
  return wire;
}

}  // namespace polyrouter::sim::detail
