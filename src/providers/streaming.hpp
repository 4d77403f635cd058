#pragma once
// Running a streamed exchange (private): SSE framing, time-to-first-delta and stall limits,
// cancellation, and errors raised while parsing events carried out of libcurl's callbacks.

#include <functional>

#include "http/sse.hpp"
#include "http/transport.hpp"
#include "polyrouter/llm_client.hpp"

namespace polyrouter::detail {

/// What the event handler tells the stream.
enum class EventVerdict { more, cancel };

struct StreamResult {
  bool cancelled = false;  ///< the caller stopped it
  HttpResponse http;       ///< status and headers (the body went to the handler)
};

/// Performs @p request as a stream. Each SSE event goes to @p on_event, which may throw a typed
/// error (an error event) or ask to cancel. @p delta_seen tells whether a text delta has been
/// handed over yet (the time-to-first-delta limit applies before, the stall limit after).
/// @throws the typed error for error statuses, transport failures, TTFT and stall timeouts,
///         and whatever @p on_event threw.
StreamResult run_stream(Provider provider, const CallOptions& options, HttpRequest request,
                        const std::function<EventVerdict(const SseEvent&)>& on_event, const bool& delta_seen);

/// @throws if @p event is an error event: `event: error`, or data / raw text holding a
///         top-level "error" object. Returns the parsed JSON of a data event otherwise.
nlohmann::json parse_event(Provider provider, const CallOptions& options, const SseEvent& event,
                           const HttpResponse& http);

/// @throws ProviderUnavailableError: the stream ended without its terminator.
[[noreturn]] void throw_cut_stream(Provider provider, const CallOptions& options, const HttpResponse& http,
                                   std::string_view what);

}  // namespace polyrouter::detail
