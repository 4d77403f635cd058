#include "polyrouter/openai_compatible_client.hpp"

#include <optional>
#include <stdexcept>

#include "providers/content_parts.hpp"
#include "providers/error_body.hpp"
#include "providers/openai_codec.hpp"
#include "providers/openai_reader.hpp"
#include "providers/streaming.hpp"
#include "providers/wire.hpp"

namespace polyrouter {
namespace {

// The headers every request with @p api_key carries.
std::vector<std::string> openai_headers(const std::string& api_key, const HttpOptions& http) {
  std::vector<std::string> headers{"Authorization: Bearer " + api_key, "Accept: application/json"};
  for (const auto& [name, value] : http.extra_headers) headers.push_back(name + ": " + value);
  return headers;
}

std::vector<std::string> openai_chat_headers(const std::string& api_key, const HttpOptions& http) {
  std::vector<std::string> headers = openai_headers(api_key, http);
  headers.emplace_back("Content-Type: application/json");
  return headers;
}

detail::HttpRequest openai_base_request(const std::string& url, const CallOptions& options, const HttpOptions& http) {
  detail::HttpRequest request;
  request.url = url;
  request.timeout = options.timeout;
  request.connect_timeout = options.connect_timeout;
  request.max_response_bytes = http.max_response_bytes;
  return request;
}

detail::HttpRequest openai_chat_request(const std::string& api_base, const HttpOptions& http, const ChatRequest& chat,
                                        const CallOptions& options,
                                        std::shared_ptr<const detail::HeaderList> headers = nullptr) {
  detail::HttpRequest request = openai_base_request(api_base + "/chat/completions", options, http);
  if (headers) {
    request.header_list = std::move(headers);
  } else {
    request.headers = openai_chat_headers(options.api_key, http);
  }
  if (std::optional<std::string> plain = detail::openai::write_plain_request(chat, options.model, false)) {
    request.body = std::move(*plain);
  } else {
    request.body = detail::openai::encode_request(chat, options.model).dump();
  }
  return request;
}

Response openai_chat_response(Provider provider, const detail::HttpResponse& http, const CallOptions& options) {
  const bool success = http.failure == TransportFailure::none && http.status >= 200 && http.status < 300;
  if (success) {
    if (std::optional<Response> plain = detail::openai::read_plain_response(http.body)) {
      plain->provider = provider;
      plain->model = options.model;
      return std::move(*plain);
    }
  }
  // Errors, tool calls and anything unusual: the tree decoder, which names what is wrong.
  const nlohmann::json body = detail::success_json(provider, options, http);
  try {
    Response response = detail::openai::decode_response(body);
    response.provider = provider;
    response.model = options.model;
    return response;
  } catch (const std::exception& e) {
    detail::throw_invalid_response(provider, options, http, e.what());
  }
}

detail::HttpRequest openai_stream_request(const std::string& api_base, const HttpOptions& http, const ChatRequest& chat,
                                   const CallOptions& options) {
  detail::HttpRequest request = openai_base_request(api_base + "/chat/completions", options, http);
  request.headers = openai_chat_headers(options.api_key, http);
  if (std::optional<std::string> plain = detail::openai::write_plain_request(chat, options.model, true)) {
    request.body = std::move(*plain);
    return request;
  }
  nlohmann::json body = detail::openai::encode_request(chat, options.model);
  body["stream"] = true;
  if (!body.contains("stream_options")) body["stream_options"] = {{"include_usage", true}};
  request.body = body.dump();
  return request;
}

// chat.completion.chunk events, ended by data: [DONE].
class OpenAIStreamDecoding final : public detail::StreamDecoding {
 public:
  explicit OpenAIStreamDecoding(Provider provider) : provider_(provider) {}

  bool output_started() const override { return decoder_.output_started(); }

  std::string add(const detail::SseEvent& event, const detail::HttpResponse& http,
                  const CallOptions& options) override {
    if (event.data == "[DONE]") {
      done_ = true;
      return {};
    }
    const nlohmann::json chunk = detail::parse_event(provider_, options, event, http);
    if (chunk.is_null()) return {};
    return decoder_.add(chunk);
  }

  Response finish(const detail::HttpResponse& http, const CallOptions& options, bool cancelled) override {
    Response response = decoder_.finish();
    if (cancelled) {
      response.raw_finish_reason = "cancelled";
      response.finish_reason = FinishReason::other;
    } else if (!done_ && response.raw_finish_reason.empty()) {
      // A body that ended cleanly after a finish reason is complete; [DONE] is only a courtesy.
      detail::throw_cut_stream(provider_, options, http, "stream ended before a finish reason or data: [DONE]");
    }
    response.provider = provider_;
    response.model = options.model;
    return response;
  }

 private:
  Provider provider_;
  detail::openai::StreamDecoder decoder_;
  bool done_ = false;
};

class OpenAICodec final : public detail::WireCodec {
 public:
  OpenAICodec(Provider provider, std::string api_base, HttpOptions http)
      : api_base_(detail::without_trailing_slash(api_base)), provider_(provider), http_(std::move(http)) {}
  Provider provider() const noexcept override { return provider_; }
  std::shared_ptr<const detail::HeaderList> headers_for(const std::string& api_key) const override {
    return std::make_shared<const detail::HeaderList>(openai_chat_headers(api_key, http_));
  }
  detail::HttpRequest build(const ChatRequest& request, const CallOptions& options,
                            std::shared_ptr<const detail::HeaderList> headers) const override {
    detail::check_images(request, provider_, options);
    return openai_chat_request(api_base_, http_, request, options, std::move(headers));
  }
  Response parse(const detail::HttpResponse& response, const CallOptions& options) const override {
    return openai_chat_response(provider_, response, options);
  }
  detail::HttpRequest build_stream(const ChatRequest& request, const CallOptions& options) const override {
    detail::check_images(request, provider_, options);
    return openai_stream_request(api_base_, http_, request, options);
  }
  std::unique_ptr<detail::StreamDecoding> stream_decoding() const override {
    return std::make_unique<OpenAIStreamDecoding>(provider_);
  }
  std::vector<ModelInfo> list_models(const CallOptions& options, const Perform& perform) const override;

 private:
  std::string api_base_;
  Provider provider_;
  HttpOptions http_;
};

std::vector<ModelInfo> OpenAICodec::list_models(const CallOptions& options, const Perform& perform) const {
  detail::HttpRequest request = openai_base_request(api_base_ + "/models", options, http_);
  request.headers = openai_headers(options.api_key, http_);
  request.method = "GET";
  const detail::HttpResponse http = perform(request);
  const nlohmann::json body = detail::success_json(provider_, options, http);
  auto data = body.find("data");
  if (data == body.end() || !data->is_array()) {
    detail::throw_invalid_response(provider_, options, http, "model list without \"data\"");
  }
  std::vector<ModelInfo> models;
  for (const auto& entry : *data) {
    if (!entry.is_object() || !entry.contains("id") || !entry["id"].is_string()) continue;
    ModelInfo info;
    info.id = entry["id"].get<std::string>();
    info.display_name = info.id;
    if (auto w = entry.find("context_window"); w != entry.end() && w->is_number_integer()) {
      info.context_window = w->get<std::int64_t>();
    }
    models.push_back(std::move(info));
  }
  return models;
}

}  // namespace
namespace detail {
std::shared_ptr<const WireCodec> make_openai_codec(Provider provider, std::string api_base, HttpOptions http) {
  return std::make_shared<OpenAICodec>(provider, std::move(api_base), std::move(http));
}
}  // namespace detail

OpenAICompatibleClient::OpenAICompatibleClient(std::string api_base, Provider provider, HttpOptions http)
    : WireClient(detail::make_openai_codec(provider, api_base, http), detail::without_trailing_slash(api_base), http,
                 typeid(OpenAICompatibleClient)) {}

OpenAICompatibleClient OpenAICompatibleClient::groq(std::string_view root, HttpOptions http) {
  return OpenAICompatibleClient(detail::without_trailing_slash(std::string(root)) + "/openai/v1", Provider::groq,
                                std::move(http));
}

OpenAICompatibleClient OpenAICompatibleClient::cerebras(std::string_view root, HttpOptions http) {
  return OpenAICompatibleClient(detail::without_trailing_slash(std::string(root)) + "/v1", Provider::cerebras,
                                std::move(http));
}

}  // namespace polyrouter
