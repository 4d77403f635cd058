#include "request_reader.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>
#include <utility>

namespace polyrouter::sim::detail {
namespace {

using nlohmann::json;

// Groq and Cerebras: "Authorization: Bearer <key>"; anything else counts as no key.
std::string bearer_token(const httplib::Request& request) {
  const auto header = request.get_header_value("Authorization");
  constexpr std::string_view prefix = "Bearer ";
  if (header.size() <= prefix.size()) return {};
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return {};
    }
  }
  return header.substr(prefix.size());
}

// Gemini: the x-goog-api-key header, else the `key` query parameter.
std::string gemini_key(const httplib::Request& request) {
  return request.has_header("x-goog-api-key") ? request.get_header_value("x-goog-api-key")
                                              : request.get_param_value("key");
}

// Anthropic: the x-api-key header only (a Bearer token is for OAuth tokens, not API keys).
std::string anthropic_key(const httplib::Request& request) { return request.get_header_value("x-api-key"); }

// The top-level fields of CreateMessageParams, which is closed.
constexpr std::array<std::string_view, 18> kAnthropicFields{
    "cache_control", "container",     "inference_geo",  "max_tokens", "messages", "metadata",
    "model",         "output_config", "service_tier",   "stop_sequences", "stream",   "system",
    "temperature",   "thinking",      "tool_choice",    "tools",          "top_k",    "top_p"};

// What the Messages API refuses before anything else, in its own words.
std::optional<std::string> anthropic_body_error(const httplib::Request& request, const json& body) {
  if (!request.has_header("anthropic-version")) return "anthropic-version: header is required";
  if (!body.is_object()) return "Input should be a valid dictionary or object to extract fields from";
  for (const auto& item : body.items()) {
    if (std::find(kAnthropicFields.begin(), kAnthropicFields.end(), item.key()) == kAnthropicFields.end()) {
      return item.key() + ": Extra inputs are not permitted";
    }
  }
  if (!body.contains("model") || !body["model"].is_string()) return "model: Field required";
  if (!body.contains("max_tokens") || !body["max_tokens"].is_number_integer()) return "max_tokens: Field required";
  if (!body.contains("messages") || !body["messages"].is_array()) return "messages: Field required";
  return std::nullopt;
}

}  // namespace

bool is_anthropic_request(const httplib::Request& request) {
  return request.has_header("x-api-key") || request.has_header("anthropic-version");
}

Call read_anthropic_call(const httplib::Request& request) {
  Call call;
  call.provider = Provider::anthropic;
  call.key = anthropic_key(request);
  call.body_bytes = request.body.size();
  auto body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    call.body_error = "There was an issue with your request body: it is not valid JSON";
    return call;
  }
  call.body_error = anthropic_body_error(request, body);
  if (body.is_object()) {
    if (const auto model = body.find("model"); model != body.end() && model->is_string()) {
      call.model = model->get<std::string>();
    }
    const auto stream = body.find("stream");
    call.stream = stream != body.end() && stream->is_boolean() && stream->get<bool>();
  }
  call.body = std::move(body);
  return call;
}

Call read_chat_call(Provider provider, const httplib::Request& request) {
  Call call;
  call.provider = provider;
  call.key = bearer_token(request);
  call.body_bytes = request.body.size();
  auto body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) {
    call.body_error = "failed to parse request body: expected a JSON object";
    return call;
  }
  const auto model = body.find("model");
  if (model == body.end() || !model->is_string()) {
    call.body_error = "'model' : property 'model' is missing or not a string";
  } else {
    call.model = model->get<std::string>();
  }
  const auto stream = body.find("stream");
  call.stream = stream != body.end() && stream->is_boolean() && stream->get<bool>();
  call.body = std::move(body);
  return call;
}

Call read_gemini_call(const httplib::Request& request, bool stream) {
  Call call;
  call.provider = Provider::gemini;
  call.key = gemini_key(request);
  call.model = request.matches[1];
  call.method = stream ? "streamGenerateContent" : "generateContent";
  call.stream = stream;
  call.sse = request.get_param_value("alt") == "sse";
  call.body_bytes = request.body.size();
  auto body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) {
    call.body_error = "Invalid JSON payload received. Expected an object.";
  } else {
    call.body = std::move(body);
  }
  return call;
}

Call read_models_call(Provider provider, const httplib::Request& request) {
  Call call;
  call.provider = provider;
  call.list_models = true;
  if (provider == Provider::gemini) {
    call.key = gemini_key(request);
  } else if (provider == Provider::anthropic) {
    call.key = anthropic_key(request);
    // ?limit=&after_id=: a limit that is not a number in [1, 1000] falls back to the default.
    const std::string limit = request.get_param_value("limit");
    if (!limit.empty() && limit.size() <= 4 && std::all_of(limit.begin(), limit.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      call.page.limit = std::stoul(limit);
    }
    call.page.after_id = request.get_param_value("after_id");
  } else {
    call.key = bearer_token(request);
  }
  return call;
}

}  // namespace polyrouter::sim::detail
