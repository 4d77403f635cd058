#include "providers/streaming.hpp"

#include "polyrouter/mask.hpp"
#include "providers/error_body.hpp"

namespace polyrouter::detail {

StreamExchange::StreamExchange(Provider provider, CallOptions options, std::unique_ptr<StreamDecoding> decoding,
                               DeltaCallback on_delta)
    : provider_(provider),
      options_(std::move(options)),
      decoding_(std::move(decoding)),
      on_delta_(std::move(on_delta)),
      reader_([this](const SseEvent& event) { return on_event(event); }) {}

void StreamExchange::attach(HttpRequest& request) {
  start_ = last_data_ = now();
  request.on_body = [this](std::string_view bytes) {
    last_data_ = now();
    return reader_.feed(bytes);
  };
  request.on_progress = [this] { return on_progress(); };
  request.headers.emplace_back("Accept: text/event-stream");
}

bool StreamExchange::on_event(const SseEvent& event) {
  std::string delta;
  try {
    delta = decoding_->add(event, meta_, options_);
  } catch (const Error&) {
    failure_ = std::current_exception();
    return false;
  } catch (const std::exception& e) {
    // The parser's edge: whatever a decoder throws is the provider's malformed event, never
    // mistaken for an exception from the caller's callback.
    ErrorContext context = make_context(provider_, options_, &meta_);
    context.body_excerpt = excerpt(event.data, options_.api_key);
    const std::string why = "malformed event in the stream: " + redact(e.what(), options_.api_key);
    failure_ = std::make_exception_ptr(InvalidJsonResponseError(why, std::move(context)));
    return false;
  }
  if (delta.empty()) return true;
  delta_seen_ = true;
  try {
    if (on_delta_(delta)) return true;
    cancelled_ = true;
  } catch (...) {
    failure_ = std::current_exception();  // the caller's own: carried out as it is
  }
  return false;
}

bool StreamExchange::on_progress() {
  if (options_.first_delta_timeout.count() <= 0 && options_.stall_timeout.count() <= 0) return true;
  const TimePoint t = now();
  if (!delta_seen_ && options_.first_delta_timeout.count() > 0 && t - start_ > options_.first_delta_timeout) {
    limit_hit_ = Limit::first_delta;
    return false;
  }
  if (delta_seen_ && options_.stall_timeout.count() > 0 && t - last_data_ > options_.stall_timeout) {
    limit_hit_ = Limit::stall;
    return false;
  }
  return true;
}

Response StreamExchange::finish(HttpResponse http) {
  meta_ = std::move(http);
  if (failure_) std::rethrow_exception(failure_);
  if (limit_hit_ != Limit::none) {
    ErrorContext context = make_context(provider_, options_, &meta_);
    context.transport = TransportFailure::timeout;
    throw TimeoutError(limit_hit_ == Limit::first_delta
                           ? "no first delta within " + std::to_string(options_.first_delta_timeout.count()) + " ms"
                           : "stream stalled for " + std::to_string(options_.stall_timeout.count()) + " ms",
                       std::move(context));
  }
  if (!cancelled_) {
    if (meta_.failure != TransportFailure::none) throw_for_transport(provider_, options_, meta_);
    if (meta_.status < 200 || meta_.status >= 300) throw_for_status(provider_, options_, meta_);
    // The body ended: whatever is buffered is the last event.
    reader_.finish();
    if (failure_) std::rethrow_exception(failure_);
  }
  return decoding_->finish(meta_, options_, cancelled_);
}

nlohmann::json parse_event(Provider provider, const CallOptions& options, const SseEvent& event,
                           const HttpResponse& http) {
  nlohmann::json json = nlohmann::json::parse(event.data, nullptr, /*allow_exceptions=*/false);
  const bool has_error = !json.is_discarded() && json.is_object() && json.contains("error") && !json["error"].is_null();
  if (event.event == "error" || has_error) {
    ErrorBody e = json.is_discarded() ? parse_error_body(event.data) : parse_error_json(json);
    ErrorContext context = make_context(provider, options, &http);
    context.body_excerpt = excerpt(event.data, options.api_key);
    // An error inside a 200 stream: its status is in the body (Cerebras status_code, Gemini code).
    const int status = e.status_code != 0 ? e.status_code : 500;
    context.http_status = status;
    throw_for_error(provider, std::move(context), e, status, nullptr, options.api_key);
  }
  if (event.event == "raw") return nullptr;  // unframed text that is not an error: ignored
  if (json.is_discarded() || !json.is_object()) {
    ErrorContext context = make_context(provider, options, &http);
    context.body_excerpt = excerpt(event.data, options.api_key);
    throw InvalidJsonResponseError("malformed event in the stream", std::move(context));
  }
  return json;
}

void throw_cut_stream(Provider provider, const CallOptions& options, const HttpResponse& http, std::string_view what) {
  ErrorContext context = make_context(provider, options, &http);
  context.transport = TransportFailure::receive;
  throw ProviderUnavailableError(what, std::move(context));
}

}  // namespace polyrouter::detail
