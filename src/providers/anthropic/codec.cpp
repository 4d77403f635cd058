#include "providers/anthropic/codec.hpp"

#include <stdexcept>
#include <utility>
#include <vector>

#include "polyrouter/mask.hpp"
#include "providers/anthropic/errors.hpp"
#include "providers/anthropic/format.hpp"
#include "providers/content_parts.hpp"
#include "providers/error_body.hpp"
#include "providers/json_read.hpp"
#include "providers/streaming.hpp"

namespace polyrouter::detail::anthropic {
namespace {

using json = nlohmann::json;

// The key travels in x-api-key only: never as a Bearer token (that is for OAuth tokens), never
// in the URL.
std::vector<std::string> request_headers(const std::string& api_key, const HttpOptions& http) {
  std::vector<std::string> headers{"x-api-key: " + api_key, std::string("anthropic-version: ") + api_version,
                                   "Accept: application/json"};
  for (const auto& [name, value] : http.extra_headers) headers.push_back(name + ": " + value);
  return headers;
}

std::vector<std::string> chat_headers(const std::string& api_key, const HttpOptions& http) {
  std::vector<std::string> headers = request_headers(api_key, http);
  headers.emplace_back("Content-Type: application/json");
  return headers;
}

HttpRequest base_request(std::string url, const CallOptions& options, const HttpOptions& http) {
  HttpRequest request;
  request.url = std::move(url);
  request.timeout = options.timeout;
  request.connect_timeout = options.connect_timeout;
  request.max_response_bytes = http.max_response_bytes;
  return request;
}

// Errors inside a 200 stream: `event: error` with {"type":"error","error":{"type",...}} and no
// status; the error's type stands for the status it would have had outside a stream.
class MessagesStreamDecoding final : public StreamDecoding {
 public:
  explicit MessagesStreamDecoding(Provider provider) : provider_(provider) {}
  bool output_started() const override { return decoder_.output_started(); }

  std::string add(const SseEvent& event, const HttpResponse& http, const CallOptions& options) override {
    const json data = json::parse(event.data, nullptr, /*allow_exceptions=*/false);
    const bool error_data =
        !data.is_discarded() && data.is_object() &&
        (data.value("type", json()) == "error" || (data.contains("error") && !data["error"].is_null()));
    if (event.event == "error" || error_data) {
      const ErrorBody e = data.is_discarded() ? parse_error_body(event.data) : parse_error_json(data);
      ErrorContext context = make_context(provider_, options, &http);
      context.body_excerpt = excerpt(event.data, options.api_key);
      const int status = status_of_error_type(e.type);
      context.http_status = status;
      throw_for_error(provider_, std::move(context), e, status, nullptr, options.api_key);
    }
    if (event.event == "raw" && data.is_discarded()) return {};  // unframed text that is not an error
    if (data.is_discarded() || !data.is_object()) {
      ErrorContext context = make_context(provider_, options, &http);
      context.body_excerpt = excerpt(event.data, options.api_key);
      throw InvalidJsonResponseError("malformed event in the stream", std::move(context));
    }
    return decoder_.add(data);  // what it throws becomes a skipped event in StreamExchange
  }

  Response finish(const HttpResponse& http, const CallOptions& options, bool cancelled) override {
    Response response = decoder_.finish();
    if (cancelled) {
      response.raw_finish_reason = "cancelled";
      response.finish_reason = FinishReason::other;
    } else if (!decoder_.finished()) {
      // message_stop is the only end marker: a stream without it was cut, whatever it said.
      throw_cut_stream(provider_, options, http, "stream ended before message_stop");
    }
    response.provider = provider_;
    response.model = options.model;
    return response;
  }

 private:
  Provider provider_;
  StreamDecoder decoder_;
};

class MessagesCodec final : public WireCodec {
 public:
  MessagesCodec(Provider provider, std::string api_base, HttpOptions http)
      : provider_(provider), api_base_(without_trailing_slash(api_base)), http_(std::move(http)) {}

  Provider provider() const noexcept override { return provider_; }

  std::shared_ptr<const HeaderList> headers_for(const std::string& api_key) const override {
    return std::make_shared<const HeaderList>(chat_headers(api_key, http_));
  }

  HttpRequest build(const ChatRequest& request, const CallOptions& options,
                    std::shared_ptr<const HeaderList> headers) const override {
    HttpRequest http = base_request(api_base_ + "/messages", options, http_);
    if (headers) {
      http.header_list = std::move(headers);
    } else {
      http.headers = chat_headers(options.api_key, http_);
    }
    http.body = body_of(request, options, /*stream=*/false);
    return http;
  }

  Response parse(const HttpResponse& http, const CallOptions& options) const override {
    const json body = success_json(provider_, options, http);
    try {
      Response response = decode_response(body);
      response.provider = provider_;
      response.model = options.model;
      return response;
    } catch (const std::exception& e) {
      throw_invalid_response(provider_, options, http, e.what());
    }
  }

  HttpRequest build_stream(const ChatRequest& request, const CallOptions& options) const override {
    HttpRequest http = base_request(api_base_ + "/messages", options, http_);
    http.headers = chat_headers(options.api_key, http_);
    http.body = body_of(request, options, /*stream=*/true);
    return http;
  }

  std::unique_ptr<StreamDecoding> stream_decoding() const override {
    return std::make_unique<MessagesStreamDecoding>(provider_);
  }

  std::vector<ModelInfo> list_models(const CallOptions& options, const Perform& perform) const override;

 private:
  // @throws BadRequestError, before any round trip, for what this wire cannot carry.
  std::string body_of(const ChatRequest& request, const CallOptions& options, bool stream) const {
    check_images(request, provider_, options);
    json body;
    try {
      body = encode_request(request, options.model);
    } catch (const Unsupported& e) {
      throw BadRequestError(redact(e.what(), options.api_key), make_context(provider_, options));
    }
    if (stream) body["stream"] = true;
    return body.dump();
  }

  Provider provider_;
  std::string api_base_;
  HttpOptions http_;
};

std::vector<ModelInfo> MessagesCodec::list_models(const CallOptions& options, const Perform& perform) const {
  std::vector<ModelInfo> models;
  std::string after_id;
  // Pages are bounded so a server that always has more cannot keep us forever.
  for (int page = 0; page < 100; ++page) {
    std::string url = api_base_ + "/models?limit=1000";
    if (!after_id.empty()) url += "&after_id=" + url_escape(after_id);
    HttpRequest request = base_request(std::move(url), options, http_);
    request.headers = request_headers(options.api_key, http_);
    request.method = "GET";
    const HttpResponse http = perform(request);
    const json body = success_json(provider_, options, http);
    auto data = body.find("data");
    if (data == body.end() || !data->is_array()) {
      throw_invalid_response(provider_, options, http, "model list without \"data\"");
    }
    for (const json& entry : *data) {
      if (!entry.is_object() || !entry.contains("id") || !entry["id"].is_string()) continue;
      ModelInfo info;
      info.id = entry["id"].get<std::string>();
      info.display_name = string_or(entry, "display_name", info.id);
      info.context_window = int64_or_zero(entry, "max_input_tokens");
      models.push_back(std::move(info));
    }
    const std::string last_id = string_or(body, "last_id");
    if (!is_true(body, "has_more") || last_id.empty() || last_id == after_id) break;
    after_id = last_id;
  }
  return models;
}

}  // namespace

std::shared_ptr<const WireCodec> make_codec(Provider provider, std::string api_base, HttpOptions http) {
  return std::make_shared<MessagesCodec>(provider, std::move(api_base), std::move(http));
}

}  // namespace polyrouter::detail::anthropic
