#include "providers/streaming.hpp"

#include "logging.hpp"
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
  if (options_.stream_total_timeout.count() > 0) {
    // The attempt timeout guards the wait for the first byte; then only the stall limit and
    // the request's deadline bound a stream, however long it healthily runs.
    first_byte_limit_ = options_.timeout;
    request.timeout = options_.stream_total_timeout;
  }
  // The cap bounds one event; the transport does not count a streamed body against it.
  max_event_bytes_ = request.max_response_bytes;
  request.on_body = [this](std::string_view bytes) {
    last_data_ = now();
    byte_seen_ = true;
    if (!reader_.feed(bytes)) return false;
    if (!event_too_large()) return true;
    too_large_ = true;
    return false;
  };
  request.on_progress = [this] { return on_progress(); };
  request.headers.emplace_back("Accept: text/event-stream");
}

bool StreamExchange::on_event(const SseEvent& event) {
  if (event.data.size() > max_event_bytes_) {  // arrived whole in one read
    too_large_ = true;
    return false;
  }
  if (auto& logger = log(); logger.should_log(spdlog::level::trace)) {
    logger.trace("{}{} {} stream event{}{}: {}", log_prefix(options_), to_string(provider_), options_.model,
                 event.event.empty() ? "" : " ",
                 redact(event.event, options_.api_key), redact(event.data, options_.api_key));
  }
  std::string delta;
  try {
    delta = decoding_->add(event, meta_, options_);
  } catch (const InvalidJsonResponseError& e) {
    return skip_event(e.what());
  } catch (const Error&) {
    failure_ = std::current_exception();  // an error event: the provider's, typed
    return false;
  } catch (const std::exception& e) {
    // The parser's edge: whatever else a decoder throws is a malformed event, never mistaken
    // for an exception from the caller's callback.
    return skip_event(redact(e.what(), options_.api_key));
  }
  output_seen_ = output_seen_ || decoding_->output_started();
  if (delta.empty()) return true;
  try {
    if (on_delta_(delta)) return true;
    cancelled_ = true;
  } catch (...) {
    failure_ = std::current_exception();  // the caller's own: carried out as it is
  }
  return false;
}

bool StreamExchange::skip_event(std::string_view why) {
  // One unparseable event in an otherwise healthy stream: pass over it; a stream that never
  // says anything parseable still fails in finish().
  ++skipped_events_;
  log().warn("{}skipping an unparseable stream event ({} so far): {}", log_prefix(options_), skipped_events_, why);
  return true;
}

bool StreamExchange::on_progress() {
  if (first_byte_limit_.count() <= 0 && options_.first_delta_timeout.count() <= 0 &&
      options_.stall_timeout.count() <= 0) {
    return true;
  }
  const TimePoint t = now();
  if (!byte_seen_ && first_byte_limit_.count() > 0 && t - start_ > first_byte_limit_) {
    limit_hit_ = Limit::first_byte;
    return false;
  }
  if (!output_seen_ && options_.first_delta_timeout.count() > 0 && t - start_ > options_.first_delta_timeout) {
    limit_hit_ = Limit::first_delta;
    return false;
  }
  if (output_seen_ && options_.stall_timeout.count() > 0 && t - last_data_ > options_.stall_timeout) {
    limit_hit_ = Limit::stall;
    return false;
  }
  return true;
}

Response StreamExchange::finish(HttpResponse http) {
  meta_ = std::move(http);
  if (auto& logger = log(); logger.should_log(spdlog::level::trace)) {
    logger.trace("{}{} {} stream -> HTTP {} in {} ms ({}): {}", log_prefix(options_), to_string(provider_),
                 options_.model, meta_.status,
                 std::chrono::duration_cast<std::chrono::milliseconds>(now() - start_).count(),
                 to_string(meta_.failure), excerpt(meta_.body, options_.api_key));
  }
  if (failure_) std::rethrow_exception(failure_);
  if (limit_hit_ != Limit::none) {
    ErrorContext context = make_context(provider_, options_, &meta_);
    context.transport = TransportFailure::timeout;
    const auto ms = [](std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; };
    switch (limit_hit_) {
      case Limit::first_byte: throw TimeoutError("no answer within " + ms(first_byte_limit_), std::move(context));
      case Limit::first_delta:
        throw TimeoutError("no first delta within " + ms(options_.first_delta_timeout), std::move(context));
      default: throw TimeoutError("stream stalled for " + ms(options_.stall_timeout), std::move(context));
    }
  }
  if (too_large_) {
    ErrorContext context = make_context(provider_, options_, &meta_);
    context.transport = TransportFailure::too_large;
    throw ProviderUnavailableError("a stream event exceeded " + std::to_string(max_event_bytes_) + " bytes",
                                   std::move(context));
  }
  if (!cancelled_) {
    if (meta_.failure != TransportFailure::none) throw_for_transport(provider_, options_, meta_);
    if (meta_.status < 200 || meta_.status >= 300) throw_for_status(provider_, options_, meta_);
    // The body ended: whatever is buffered is the last event.
    reader_.finish();
    if (failure_) std::rethrow_exception(failure_);
    if (skipped_events_ > 0 && !output_seen_) {
      throw InvalidJsonResponseError("no parseable event in the stream (" + std::to_string(skipped_events_) +
                                         " malformed)",
                                     make_context(provider_, options_, &meta_));
    }
  }
  Response response = decoding_->finish(meta_, options_, cancelled_);
  response.skipped_events = skipped_events_;
  take_exchange_facts(meta_, options_, response);
  return response;
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
