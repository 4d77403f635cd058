#include "polyrouter/wire_client.hpp"

#include <utility>

#include "logging.hpp"
#include "polyrouter/mask.hpp"
#include "providers/error_body.hpp"
#include "providers/wire.hpp"

namespace polyrouter {
namespace detail {

WireCodec::~WireCodec() = default;

std::shared_ptr<const HeaderList> WireCodec::cached_headers(const std::string& api_key) const {
  {
    std::lock_guard<std::mutex> lock(headers_mutex_);
    for (const auto& [key, headers] : headers_) {
      if (key == api_key) return headers;
    }
  }
  auto headers = headers_for(api_key);
  std::lock_guard<std::mutex> lock(headers_mutex_);
  if (headers_.size() < max_cached_keys) headers_.emplace_back(api_key, headers);
  return headers;
}

Response WireCodec::answer(HttpResponse response, const CallOptions& options) const {
  Response answer = parse(response, options);
  take_exchange_facts(response, options, answer);
  return answer;
}

void trace_request(Provider provider, const CallOptions& options, const HttpRequest& request) {
  auto& logger = log();
  if (!logger.should_log(spdlog::level::trace)) return;
  logger.trace("{}{} {} {} request: {}", log_prefix(options), to_string(provider), request.method,
               redact_url(request.url, options.api_key), redact(request.body, options.api_key));
}

void trace_response(Provider provider, const CallOptions& options, const HttpResponse& response,
                    std::chrono::steady_clock::duration took) {
  auto& logger = log();
  if (!logger.should_log(spdlog::level::trace)) return;
  logger.trace("{}{} {} -> HTTP {} in {} ms ({}): {}", log_prefix(options), to_string(provider), options.model,
               response.status,
               std::chrono::duration_cast<std::chrono::milliseconds>(took).count(), to_string(response.failure),
               excerpt(response.body, options.api_key));
}

HttpResponse perform_logged(Provider provider, const CallOptions& options, const HttpRequest& request) {
  trace_request(provider, options, request);
  const auto started = std::chrono::steady_clock::now();
  HttpResponse response = perform(request);
  trace_response(provider, options, response, std::chrono::steady_clock::now() - started);
  return response;
}

}  // namespace detail

WireClient::WireClient(std::shared_ptr<const detail::WireCodec> codec, std::string api_base, HttpOptions http,
                       const std::type_info& own_type)
    : codec_(std::move(codec)),
      api_base_(std::move(api_base)),
      http_(std::move(http)),
      own_type_(&own_type) {}

Provider WireClient::provider() const noexcept { return codec_->provider(); }

Response WireClient::complete(const ChatRequest& request, const CallOptions& options) {
  const detail::HttpRequest http = codec_->build(request, options, codec_->cached_headers(options.api_key));
  return codec_->answer(detail::perform_logged(codec_->provider(), options, http), options);
}

Response WireClient::stream(const ChatRequest& request, const CallOptions& options, const DeltaCallback& on_delta) {
  detail::HttpRequest http = codec_->build_stream(request, options);
  detail::trace_request(codec_->provider(), options, http);
  detail::StreamExchange exchange(codec_->provider(), options, codec_->stream_decoding(), on_delta);
  exchange.attach(http);
  return exchange.finish(detail::perform(http));
}

std::vector<ModelInfo> WireClient::list_models(const CallOptions& options) {
  return codec_->list_models(options, [this, &options](const detail::HttpRequest& request) {
    return detail::perform_logged(codec_->provider(), options, request);
  });
}

std::shared_ptr<const detail::WireCodec> WireClient::event_loop_codec() const {
  return typeid(*this) == *own_type_ ? codec_ : nullptr;
}

}  // namespace polyrouter
