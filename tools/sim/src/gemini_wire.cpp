// Gemini Developer API: google.rpc.Status error bodies, candidates/parts answers, no rate-limit
// headers (RetryInfo in the body instead), no [DONE] in streams. Shapes follow protocols.md §4
// and fixtures gemini_*.

#include "provider_wire.hpp"

namespace polyrouter::sim::detail {
namespace {

using nlohmann::json;

constexpr const char* kSignature = "c2ltdWxhdGVkLXRob3VnaHQtc2lnbmF0dXJl";  // opaque, base64

Reply rpc_error(int status, std::string_view rpc_status, std::string_view message,
                json details = nullptr) {
  json error = {{"code", status}, {"message", message}, {"status", rpc_status}};
  if (!details.is_null()) error["details"] = std::move(details);
  Reply reply;
  reply.status = status;
  reply.content_type = "application/json; charset=UTF-8";
  reply.body = json{{"error", std::move(error)}}.dump();
  return reply;
}

// google.rpc.Code name and the message Google sends for a status (gemini_5xx fixtures).
std::pair<std::string_view, std::string_view> rpc_status_for(int status) {
  switch (status) {
    case 400: return {"INVALID_ARGUMENT", "Request contains an invalid argument."};
    case 401: return {"UNAUTHENTICATED", "Request had invalid authentication credentials."};
    case 403: return {"PERMISSION_DENIED", "The caller does not have permission"};
    case 404: return {"NOT_FOUND", "Requested entity was not found."};
    case 409: return {"ABORTED", "The operation was aborted."};
    case 429: return {"RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."};
    case 499: return {"CANCELLED", "The operation was cancelled."};
    case 501: return {"UNIMPLEMENTED", "Method not implemented."};
    case 502:
    case 503: return {"UNAVAILABLE", "The model is overloaded. Please try again later."};
    case 504: return {"DEADLINE_EXCEEDED", "Deadline expired before operation could complete."};
    default:
      if (status < 500) return {"FAILED_PRECONDITION", "Precondition check failed."};
      return {"INTERNAL",
              "An internal error has occurred. Please retry or report in "
              "https://developers.generativeai.google/guide/troubleshooting"};
  }
}

json usage_metadata(const Answer& answer, std::size_t candidate_tokens) {
  return {{"promptTokenCount", answer.prompt_tokens},
          {"candidatesTokenCount", candidate_tokens},
          {"totalTokenCount", answer.prompt_tokens + candidate_tokens},
          {"promptTokensDetails", json::array({{{"modality", "TEXT"},
                                                {"tokenCount", answer.prompt_tokens}}})}};
}

std::string response_id(const Answer& answer) { return opaque_id(answer.serial, 23); }

// One GenerateContentResponse holding `parts`; `finished` adds finishReason.
json response(const Answer& answer, json parts, bool finished, std::size_t candidate_tokens) {
  json candidate = {{"content", {{"parts", std::move(parts)}, {"role", "model"}}}};
  if (finished) {
    candidate["finishReason"] = "STOP";
    if (answer.tool_call) candidate["finishMessage"] = "Model generated function call(s).";
  }
  candidate["index"] = 0;
  return {{"candidates", json::array({std::move(candidate)})},
          {"usageMetadata", usage_metadata(answer, candidate_tokens)},
          {"modelVersion", answer.model},
          {"responseId", response_id(answer)}};
}

json function_call_part(const Answer& answer) {
  // Gemini 3 returns a thoughtSignature with each call; clients must echo it back.
  return {{"functionCall", {{"name", answer.tool_call->first}, {"args", answer.tool_call->second}}},
          {"thoughtSignature", kSignature}};
}

class GeminiWire final : public ProviderWire {
 public:
  Provider provider() const override { return Provider::gemini; }

  std::string json_content_type() const override { return "application/json; charset=UTF-8"; }

  Reply missing_key() const override {
    return rpc_error(403, "PERMISSION_DENIED",
                     "Method doesn't allow unregistered callers (callers without established "
                     "identity). Please use API Key or other form of API consumer identity to "
                     "call this API.");
  }

  // A bad key is HTTP 400 INVALID_ARGUMENT with ErrorInfo API_KEY_INVALID, not 401.
  Reply invalid_key() const override {
    constexpr const char* message = "API key not valid. Please pass a valid API key.";
    return rpc_error(
        400, "INVALID_ARGUMENT", message,
        json::array({{{"@type", "type.googleapis.com/google.rpc.ErrorInfo"},
                      {"reason", "API_KEY_INVALID"},
                      {"domain", "googleapis.com"},
                      {"metadata", {{"service", "generativelanguage.googleapis.com"}}}},
                     {{"@type", "type.googleapis.com/google.rpc.LocalizedMessage"},
                      {"locale", "en-US"},
                      {"message", message}}}));
  }

  // QuotaFailure + Help + RetryInfo, and no retry-after / x-ratelimit-* headers.
  Reply rate_limited(std::string_view model, double retry_after_s, bool daily) const override {
    const auto* quota_id = daily ? "GenerateRequestsPerDayPerProjectPerModel-FreeTier"
                                 : "GenerateRequestsPerMinutePerProjectPerModel-FreeTier";
    const auto* limit = daily ? "250" : "10";
    const std::string metric = "generativelanguage.googleapis.com/generate_content_free_tier_requests";
    json dimensions = {{"location", "global"}};
    if (!model.empty()) dimensions["model"] = model;
    const auto message =
        "You exceeded your current quota, please check your plan and billing details. For more "
        "information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. "
        "To monitor your current usage, head to: https://ai.dev/rate-limit. \n* Quota exceeded "
        "for metric: " + metric + ", limit: " + limit + ", model: " + std::string(model) +
        "\nPlease retry in " + proto_duration(retry_after_s) + ".";
    return rpc_error(
        429, "RESOURCE_EXHAUSTED", message,
        json::array({{{"@type", "type.googleapis.com/google.rpc.QuotaFailure"},
                      {"violations", json::array({{{"quotaMetric", metric},
                                                   {"quotaId", quota_id},
                                                   {"quotaDimensions", dimensions},
                                                   {"quotaValue", limit}}})}},
                     {{"@type", "type.googleapis.com/google.rpc.Help"},
                      {"links", json::array({{{"description", "Learn more about Gemini API quotas"},
                                              {"url", "https://ai.google.dev/gemini-api/docs/rate-limits"}}})}},
                     {{"@type", "type.googleapis.com/google.rpc.RetryInfo"},
                      {"retryDelay", proto_duration(retry_after_s)}}}));
  }

  Reply model_not_found(std::string_view model, std::string_view method) const override {
    return rpc_error(404, "NOT_FOUND",
                     "models/" + std::string(model) +
                         " is not found for API version v1beta, or is not supported for " +
                         std::string(method.empty() ? "generateContent" : method) +
                         ". Call ListModels to see the list of available models and their "
                         "supported methods.");
  }

  Reply bad_request(std::string_view message) const override {
    return rpc_error(400, "INVALID_ARGUMENT", message);
  }

  Reply server_error(int status) const override {
    const auto [rpc_status, message] = rpc_status_for(status);
    return rpc_error(status, rpc_status, message);
  }

  Reply completion(const Answer& answer) const override {
    Reply reply;
    reply.content_type = json_content_type();
    const auto parts = answer.tool_call ? json::array({function_call_part(answer)})
                                        : json::array({{{"text", answer.text}}});
    const auto tokens = answer.tool_call ? std::size_t{15} : split_words(answer.text).size();
    reply.body = response(answer, parts, true, tokens).dump();
    return reply;
  }

  // One event per word; usageMetadata is cumulative; the last event has finishReason STOP.
  StreamBody stream(const Answer& answer) const override {
    StreamBody body;
    if (answer.tool_call) {
      body.events.push_back(response(answer, json::array({function_call_part(answer)}), true, 15));
      return body;
    }
    const auto pieces = split_words(answer.text);
    for (std::size_t i = 0; i < pieces.size(); ++i) {
      body.events.push_back(response(answer, json::array({{{"text", pieces[i]}}}),
                                     i + 1 == pieces.size(), i + 1));
    }
    return body;
  }

  // protocols.md §4.4: a data event whose payload is a google.rpc.Status error.
  std::string stream_error_frame(int status) const override {
    const auto [rpc_status, message] = rpc_status_for(status);
    return sse_frame({{"error", {{"code", status}, {"message", message}, {"status", rpc_status}}}});
  }

  Reply model_list(const std::vector<std::string>& ids) const override {
    json models = json::array();
    for (const auto& id : ids) {
      models.push_back({{"name", "models/" + id},
                        {"version", "001"},
                        {"displayName", id},
                        {"description", "Simulated by polyrouter-sim."},
                        {"inputTokenLimit", 1048576},
                        {"outputTokenLimit", 65536},
                        {"supportedGenerationMethods",
                         json::array({"generateContent", "countTokens"})},
                        {"temperature", 1},
                        {"topP", 0.95},
                        {"topK", 64},
                        {"maxTemperature", 2}});
    }
    Reply reply;
    reply.content_type = json_content_type();
    // A single page: no nextPageToken.
    reply.body = json{{"models", std::move(models)}}.dump();
    return reply;
  }

  std::vector<std::string> default_models() const override {
    return {"gemini-2.5-flash", "gemini-2.5-flash-lite"};
  }

  std::optional<std::string> first_tool(const json& request) const override {
    const auto tools = request.find("tools");
    if (tools == request.end() || !tools->is_array()) return std::nullopt;
    for (const auto& tool : *tools) {
      if (!tool.is_object()) continue;
      const auto declarations = tool.find("functionDeclarations");
      if (declarations == tool.end() || !declarations->is_array() || declarations->empty() ||
          !(*declarations)[0].is_object()) {
        continue;
      }
      const auto name = (*declarations)[0].value("name", json());
      if (name.is_string()) return name.get<std::string>();
    }
    return std::nullopt;
  }
};

}  // namespace

const ProviderWire& gemini_wire() {
  static const GeminiWire wire;
  return wire;
}

}  // namespace polyrouter::sim::detail
