#include "providers/streaming.hpp"

#include <chrono>
#include <exception>

#include "logging.hpp"
#include "polyrouter/mask.hpp"
#include "providers/error_body.hpp"

namespace polyrouter::detail {

using Clock = std::chrono::steady_clock;

StreamResult run_stream(Provider provider, const CallOptions& options, HttpRequest request,
                        const std::function<EventVerdict(const SseEvent&)>& on_event, const bool& delta_seen) {
  std::exception_ptr failure;  // thrown inside a libcurl callback: carried out, rethrown after
  bool cancelled = false;
  enum class Limit { none, first_delta, stall } limit_hit = Limit::none;
  const auto start = Clock::now();
  auto last_data = start;

  SseReader reader([&](const SseEvent& event) {
    try {
      if (on_event(event) == EventVerdict::cancel) {
        cancelled = true;
        return false;
      }
      return true;
    } catch (...) {
      failure = std::current_exception();
      return false;
    }
  });
  request.on_body = [&](std::string_view bytes) {
    last_data = Clock::now();
    return reader.feed(bytes);
  };
  request.on_progress = [&] {
    const auto now = Clock::now();
    if (!delta_seen && options.first_delta_timeout.count() > 0 && now - start > options.first_delta_timeout) {
      limit_hit = Limit::first_delta;
      return false;
    }
    if (delta_seen && options.stall_timeout.count() > 0 && now - last_data > options.stall_timeout) {
      limit_hit = Limit::stall;
      return false;
    }
    return true;
  };
  request.headers.emplace_back("Accept: text/event-stream");

  HttpResponse http = perform(request);
  if (failure) std::rethrow_exception(failure);
  if (limit_hit != Limit::none) {
    ErrorContext context = make_context(provider, options, &http);
    context.transport = TransportFailure::timeout;
    throw TimeoutError(limit_hit == Limit::first_delta
                           ? "no first delta within " + std::to_string(options.first_delta_timeout.count()) + " ms"
                           : "stream stalled for " + std::to_string(options.stall_timeout.count()) + " ms",
                       std::move(context));
  }
  if (cancelled) return {true, std::move(http)};
  if (http.failure != TransportFailure::none) throw_for_transport(provider, options, http);
  if (http.status < 200 || http.status >= 300) throw_for_status(provider, options, http);
  // The body ended: whatever is buffered is the last event.
  reader.finish();
  if (failure) std::rethrow_exception(failure);
  return {cancelled, std::move(http)};
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
