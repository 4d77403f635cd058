// Groq: OpenAI envelope `{"error":{...}}`, `x_groq` extras, Go-duration rate-limit resets.
// Shapes follow protocols.md §2 and fixtures groq_*.

#include "openai_wire.hpp"

namespace polyrouter::sim::detail {
namespace {

using nlohmann::json;

constexpr const char* kOrganization = "org_01simsimsimsimsimsimsimsim";

std::string request_id(const Answer& answer) { return "req_" + opaque_id(answer.serial, 26); }

Reply groq_json_reply(int status, const json& body, std::string request_id) {
  Reply reply;
  reply.status = status;
  reply.body = body.dump();
  reply.headers = {{"x-request-id", std::move(request_id)}, {"x-groq-region", "sim"}};
  return reply;
}

Reply error_reply(int status, json error) {
  return groq_json_reply(status, {{"error", std::move(error)}}, next_request_id());
}

// Token timings in seconds, as Groq reports them in usage.
json groq_usage(const Answer& answer, std::size_t completion_tokens) {
  const auto prompt = answer.prompt_tokens;
  return {{"queue_time", 0.012},         {"prompt_tokens", prompt},
          {"prompt_time", 0.001},        {"completion_tokens", completion_tokens},
          {"completion_time", 0.004},    {"total_tokens", prompt + completion_tokens},
          {"total_time", 0.005}};
}

// Healthy-bucket values from groq_ok.headers.txt. Limit-requests is per day, limit-tokens per
// minute (protocols.md §2.6).
void add_ok_rate_headers(Reply& reply) {
  reply.headers.insert(reply.headers.end(), {{"x-ratelimit-limit-requests", "14400"},
                                             {"x-ratelimit-limit-tokens", "6000"},
                                             {"x-ratelimit-remaining-requests", "14399"},
                                             {"x-ratelimit-remaining-tokens", "5843"},
                                             {"x-ratelimit-reset-requests", "6s"},
                                             {"x-ratelimit-reset-tokens", "1.57s"}});
}

class GroqWire final : public OpenAiCompatibleWire {
 public:
  Provider provider() const override { return Provider::groq; }

  // Groq answers a missing key exactly like a wrong one.
  Reply missing_key() const override { return invalid_key(); }

  Reply invalid_key() const override {
    return error_reply(401, {{"message", "Invalid API Key"},
                             {"type", "invalid_request_error"},
                             {"code", "invalid_api_key"}});
  }

  Reply rate_limited(std::string_view model, double retry_after_s, bool daily) const override {
    const auto wait = go_duration(retry_after_s);
    const auto message =
        "Rate limit reached for model `" + std::string(model) + "` in organization `" +
        kOrganization + "` service tier `on_demand` on " +
        (daily ? "requests per day (RPD): Limit 1000, Used 1000, Requested 1. Please try again in " +
                     wait + ". Need more requests?"
               : "tokens per minute (TPM): Limit 6000, Used 5843, Requested 500. Please try again in " +
                     wait + ". Need more tokens?") +
        " Upgrade to Dev Tier today at https://console.groq.com/settings/billing";
    auto reply = error_reply(429, {{"message", message},
                                   {"type", daily ? "requests" : "tokens"},
                                   {"code", "rate_limit_exceeded"}});
    // The exhausted bucket shows remaining 0 and resets in retry_after_s; the other bucket
    // keeps the unrelated values seen in groq_429.headers.txt, as the real service does.
    reply.headers.insert(
        reply.headers.end(),
        {{"retry-after", retry_after_header(retry_after_s)},
         {"x-ratelimit-limit-requests", daily ? "1000" : "14400"},
         {"x-ratelimit-limit-tokens", "6000"},
         {"x-ratelimit-remaining-requests", daily ? "0" : "14350"},
         {"x-ratelimit-remaining-tokens", daily ? "5843" : "0"},
         {"x-ratelimit-reset-requests", daily ? wait : "2m59.56s"},
         {"x-ratelimit-reset-tokens", daily ? "1.57s" : wait}});
    return reply;
  }

  Reply model_not_found(std::string_view model, std::string_view) const override {
    return error_reply(404, {{"message", "The model `" + std::string(model) +
                                             "` does not exist or you do not have access to it."},
                             {"type", "invalid_request_error"},
                             {"code", "model_not_found"}});
  }

  Reply bad_request(std::string_view message) const override {
    return error_reply(400, {{"message", message}, {"type", "invalid_request_error"}});
  }

  Reply server_error(int status) const override {
    return error_reply(status, {{"message", status_text(status)},
                                {"type", status >= 500 ? "internal_server_error"
                                                       : "invalid_request_error"}});
  }

  Reply completion(const Answer& answer) const override {
    auto body = completion_body(answer);
    body["usage"] = groq_usage(answer, completion_tokens(answer));
    body["usage_breakdown"] = nullptr;
    body["x_groq"] = {{"id", request_id(answer)}, {"seed", answer.serial}};
    body["service_tier"] = "on_demand";
    auto reply = groq_json_reply(200, body, request_id(answer));
    add_ok_rate_headers(reply);
    return reply;
  }

  // groq_stream.sse: a role chunk carrying x_groq{id,seed}, the deltas, then a `delta:{}`
  // chunk with finish_reason and the usage both under x_groq and at top level.
  StreamBody stream(const Answer& answer) const override {
    StreamBody body;
    body.done_marker = true;
    auto first = chunk(answer,
                       {{"role", "assistant"},
                        {"content", answer.tool_call ? json(nullptr) : json("")}},
                       nullptr);
    first["x_groq"] = {{"id", request_id(answer)}, {"seed", answer.serial}};
    body.events.push_back(std::move(first));
    for (auto& delta : content_deltas(answer)) {
      body.events.push_back(chunk(answer, std::move(delta), nullptr));
    }
    auto last = chunk(answer, json::object(), finish_reason(answer));
    const auto final_usage = groq_usage(answer, completion_tokens(answer));
    last["x_groq"] = {{"id", request_id(answer)}, {"usage", final_usage}};
    last["usage"] = final_usage;
    body.events.push_back(std::move(last));
    return body;
  }

  // protocols.md §2.4: an `event: error` frame on the 200 stream.
  std::string stream_error_frame(int status) const override {
    const json payload = {{"error",
                           {{"message", status_text(status)},
                            {"type", status >= 500 ? "internal_server_error"
                                                   : "invalid_request_error"},
                            {"code", status >= 500 ? "internal_server_error" : "bad_request"},
                            {"status_code", status}}}};
    return "event: error\n" + sse_frame(payload);
  }

  Reply model_list(const std::vector<std::string>& ids) const override {
    json data = json::array();
    for (const auto& id : ids) {
      data.push_back({{"id", id},
                      {"object", "model"},
                      {"created", 1754408224},
                      {"owned_by", "polyrouter-sim"},
                      {"active", true},
                      {"context_window", 131072},
                      {"public_apps", nullptr},
                      {"max_completion_tokens", 65536}});
    }
    auto reply = groq_json_reply(200, {{"object", "list"}, {"data", std::move(data)}}, next_request_id());
    add_ok_rate_headers(reply);
    return reply;
  }

  std::vector<std::string> default_models() const override {
    return {"openai/gpt-oss-120b", "openai/gpt-oss-20b", "qwen/qwen3-32b"};
  }
};

}  // namespace

const ProviderWire& groq_wire() {
  static const GroqWire wire;
  return wire;
}

}  // namespace polyrouter::sim::detail
