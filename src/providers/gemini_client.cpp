#include "polyrouter/gemini_client.hpp"

#include <optional>
#include <stdexcept>

#include "polyrouter/mask.hpp"
#include "providers/content_parts.hpp"
#include "providers/error_body.hpp"
#include "providers/gemini_codec.hpp"
#include "providers/gemini_reader.hpp"
#include "providers/json_read.hpp"
#include "providers/streaming.hpp"
#include "providers/wire.hpp"

namespace polyrouter {
namespace {

// The headers every request with @p api_key carries. The key travels in a header, never in
// the URL, so it cannot leak through URL logging.
std::vector<std::string> gemini_headers(const std::string& api_key, const HttpOptions& http) {
  std::vector<std::string> headers{"x-goog-api-key: " + api_key, "Accept: application/json"};
  for (const auto& [name, value] : http.extra_headers) headers.push_back(name + ": " + value);
  return headers;
}

std::vector<std::string> gemini_chat_headers(const std::string& api_key, const HttpOptions& http) {
  std::vector<std::string> headers = gemini_headers(api_key, http);
  headers.emplace_back("Content-Type: application/json");
  return headers;
}

detail::HttpRequest gemini_base_request(std::string url, const CallOptions& options, const HttpOptions& http) {
  detail::HttpRequest request;
  request.url = std::move(url);
  request.timeout = options.timeout;
  request.connect_timeout = options.connect_timeout;
  request.max_response_bytes = http.max_response_bytes;
  return request;
}

// The request body: written directly when it is text only, else built as a tree and dumped.
std::string gemini_body(const ChatRequest& chat) {
  if (std::optional<std::string> plain = detail::gemini::write_plain_request(chat)) return std::move(*plain);
  return detail::gemini::encode_request(chat).dump();
}

detail::HttpRequest gemini_chat_request(const std::string& api_base, const HttpOptions& http, const ChatRequest& chat,
                                        const CallOptions& options,
                                        std::shared_ptr<const detail::HeaderList> headers = nullptr) {
  detail::HttpRequest request =
      gemini_base_request(api_base + "/models/" + options.model + ":generateContent", options, http);
  if (headers) {
    request.header_list = std::move(headers);
  } else {
    request.headers = gemini_chat_headers(options.api_key, http);
  }
  request.body = gemini_body(chat);
  return request;
}

// The prompt or the answer was blocked (promptFeedback.blockReason, SAFETY, ...).
[[noreturn]] void throw_blocked(Provider provider, const std::string& reason, const CallOptions& options, const detail::HttpResponse& http) {
  ErrorContext context = detail::make_context(provider, options, &http);
  context.provider_code = redact(reason, options.api_key);  // the provider's text
  throw ContentFilteredError("blocked by the provider (" + context.provider_code + ")", std::move(context));
}

Response gemini_chat_response(Provider provider, const detail::HttpResponse& http, const CallOptions& options) {
  const bool success = http.failure == TransportFailure::none && http.status >= 200 && http.status < 300;
  std::optional<detail::gemini::Decoded> fast;
  if (success) fast = detail::gemini::read_response(http.body);
  detail::gemini::Decoded decoded;
  if (fast) {
    decoded = std::move(*fast);
  } else {
    // Errors and anything unusual: the tree decoder, which names what is wrong.
    const nlohmann::json body = detail::success_json(provider, options, http);
    try {
      decoded = detail::gemini::decode_response(body);
    } catch (const std::exception& e) {
      detail::throw_invalid_response(provider, options, http, e.what());
    }
  }
  if (!decoded.blocked_reason.empty()) {
    throw_blocked(provider, decoded.blocked_reason, options, http);
  }
  decoded.response.provider = provider;
  decoded.response.model = options.model;
  return std::move(decoded.response);
}

detail::HttpRequest gemini_stream_request(const std::string& api_base, const HttpOptions& http, const ChatRequest& chat,
                                   const CallOptions& options) {
  detail::HttpRequest request =
      gemini_base_request(api_base + "/models/" + options.model + ":streamGenerateContent?alt=sse", options, http);
  request.headers = gemini_chat_headers(options.api_key, http);
  request.body = gemini_body(chat);
  return request;
}

// Partial GenerateContentResponses; Gemini has no [DONE]: the last event carries a finishReason.
class GeminiStreamDecoding final : public detail::StreamDecoding {
 public:
  explicit GeminiStreamDecoding(Provider provider) : provider_(provider) {}
  bool output_started() const override { return decoder_.output_started(); }

  std::string add(const detail::SseEvent& event, const detail::HttpResponse& http,
                  const CallOptions& options) override {
    const nlohmann::json json = detail::parse_event(provider_, options, event, http);
    if (json.is_null()) return {};
    return decoder_.add(json);  // what it throws becomes InvalidJsonResponseError in StreamExchange
  }

  Response finish(const detail::HttpResponse& http, const CallOptions& options, bool cancelled) override {
    detail::gemini::Decoded decoded = decoder_.finish();
    if (cancelled) {
      decoded.response.raw_finish_reason = "cancelled";
      decoded.response.finish_reason = FinishReason::other;
    } else if (!decoder_.finished()) {
      detail::throw_cut_stream(provider_, options, http, "stream ended before a finishReason");
    } else if (!decoded.blocked_reason.empty() && decoded.response.text.empty()) {
      throw_blocked(provider_, decoded.blocked_reason, options, http);
    }
    decoded.response.provider = provider_;
    decoded.response.model = options.model;
    return std::move(decoded.response);
  }

 private:
  Provider provider_;
  detail::gemini::StreamDecoder decoder_;
};

class GeminiCodec final : public detail::WireCodec {
 public:
  GeminiCodec(Provider provider, std::string api_base, HttpOptions http)
      : provider_(provider), api_base_(detail::without_trailing_slash(api_base)), http_(std::move(http)) {}
  Provider provider() const noexcept override { return provider_; }
  std::shared_ptr<const detail::HeaderList> headers_for(const std::string& api_key) const override {
    return std::make_shared<const detail::HeaderList>(gemini_chat_headers(api_key, http_));
  }
  detail::HttpRequest build(const ChatRequest& request, const CallOptions& options,
                            std::shared_ptr<const detail::HeaderList> headers) const override {
    detail::check_images(request, provider_, options);
    return gemini_chat_request(api_base_, http_, request, options, std::move(headers));
  }
  Response parse(const detail::HttpResponse& response, const CallOptions& options) const override {
    return gemini_chat_response(provider_, response, options);
  }
  detail::HttpRequest build_stream(const ChatRequest& request, const CallOptions& options) const override {
    detail::check_images(request, provider_, options);
    return gemini_stream_request(api_base_, http_, request, options);
  }
  std::unique_ptr<detail::StreamDecoding> stream_decoding() const override {
    return std::make_unique<GeminiStreamDecoding>(provider_);
  }
  std::vector<ModelInfo> list_models(const CallOptions& options, const Perform& perform) const override;

 private:
  Provider provider_;
  std::string api_base_;
  HttpOptions http_;
};

std::vector<ModelInfo> GeminiCodec::list_models(const CallOptions& options, const Perform& perform) const {
  std::vector<ModelInfo> models;
  std::string page_token;
  // Pages are bounded so a server that always returns a token cannot loop us forever.
  for (int page = 0; page < 100; ++page) {
    std::string url = api_base_ + "/models?pageSize=1000";
    if (!page_token.empty()) url += "&pageToken=" + detail::url_escape(page_token);
    detail::HttpRequest request = gemini_base_request(std::move(url), options, http_);
    request.headers = gemini_headers(options.api_key, http_);
    request.method = "GET";
    const detail::HttpResponse http = perform(request);
    const nlohmann::json body = detail::success_json(provider_, options, http);
    auto list = body.find("models");
    if (list != body.end() && !list->is_array()) {
      detail::throw_invalid_response(provider_, options, http, "\"models\" is not a list");
    }
    if (list != body.end()) {
      for (const auto& entry : *list) {
        if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string()) continue;
        const auto& methods = entry.contains("supportedGenerationMethods") ? entry["supportedGenerationMethods"]
                                                                           : nlohmann::json::array();
        bool generates = !methods.is_array() || methods.empty();
        for (const auto& m : methods) generates = generates || m == "generateContent";
        if (!generates) continue;
        ModelInfo info;
        info.id = entry["name"].get<std::string>();
        if (info.id.rfind("models/", 0) == 0) info.id.erase(0, 7);
        info.display_name = detail::string_or(entry, "displayName", info.id);
        if (auto w = entry.find("inputTokenLimit"); w != entry.end() && w->is_number_integer()) {
          info.context_window = w->get<std::int64_t>();
        }
        models.push_back(std::move(info));
      }
    }
    auto next = body.find("nextPageToken");
    if (next == body.end() || !next->is_string() || next->get<std::string>().empty()) break;
    page_token = next->get<std::string>();
  }
  return models;
}

}  // namespace
namespace detail {
std::shared_ptr<const WireCodec> make_gemini_codec(Provider provider, std::string api_base, HttpOptions http) {
  return std::make_shared<GeminiCodec>(provider, std::move(api_base), std::move(http));
}
}  // namespace detail

GeminiClient::GeminiClient(std::string_view root, HttpOptions http)
    : WireClient(detail::make_gemini_codec(Provider::gemini, detail::without_trailing_slash(root) + "/v1beta", http),
                 detail::without_trailing_slash(root) + "/v1beta", http, typeid(GeminiClient)) {}

}  // namespace polyrouter
