#pragma once
// A streamed exchange (private): SSE framing, time-to-first-delta and stall limits,
// cancellation, and errors raised while parsing events carried out of libcurl's callbacks.
// The same StreamExchange runs under the blocking transport and under the event loop.

#include <chrono>
#include <exception>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "http/sse.hpp"
#include "http/transport.hpp"
#include "polyrouter/llm_client.hpp"

namespace polyrouter::detail {

/// One provider's stream format: events in, text deltas out, the answer at the end.
class StreamDecoding {
 public:
  virtual ~StreamDecoding() = default;
  /// The text delta @p event carries (may be empty).
  /// @throws the typed error of an error event or a malformed chunk.
  virtual std::string add(const SseEvent& event, const HttpResponse& http, const CallOptions& options) = 0;
  /// The answer once the body ended; @p cancelled when the caller stopped the stream.
  /// @throws ProviderUnavailableError when the stream ended without its terminator.
  virtual Response finish(const HttpResponse& http, const CallOptions& options, bool cancelled) = 0;
  /// Whether any model output (text, reasoning, a tool call) arrived: the first-delta limit
  /// guards the model starting to answer, whatever it answers with.
  virtual bool output_started() const = 0;
};

/// Drives one streamed transfer, whoever performs it: attach() wires it into the request,
/// the transport runs the request, finish() turns the outcome into the answer or the error.
class StreamExchange {
 public:
  StreamExchange(Provider provider, CallOptions options, std::unique_ptr<StreamDecoding> decoding,
                 DeltaCallback on_delta);
  StreamExchange(const StreamExchange&) = delete;
  StreamExchange& operator=(const StreamExchange&) = delete;

  /// Routes @p request's body through this exchange; it must outlive the transfer.
  void attach(HttpRequest& request);
  /// @throws the typed error for error statuses, transport failures, TTFT and stall limits,
  ///         error events, cut streams, and whatever the delta callback threw.
  Response finish(HttpResponse http);

 private:
  using TimePoint = std::chrono::steady_clock::time_point;
  TimePoint now() const { return options_.clock ? options_.clock() : std::chrono::steady_clock::now(); }
  bool on_event(const SseEvent& event);
  bool skip_event(std::string_view why);  ///< counts and logs an unparseable event; true
  bool on_progress();

  enum class Limit { none, first_byte, first_delta, stall };
  /// An event buffered beyond max_response_bytes.
  bool event_too_large() const { return reader_.buffered() > max_event_bytes_; }

  Provider provider_;
  CallOptions options_;
  std::unique_ptr<StreamDecoding> decoding_;
  DeltaCallback on_delta_;
  SseReader reader_;
  HttpResponse meta_;  ///< status and headers for error context (the body goes to the decoder)
  std::exception_ptr failure_;  ///< thrown inside a libcurl callback: carried out, rethrown after
  bool cancelled_ = false;
  bool byte_seen_ = false;
  bool output_seen_ = false;
  bool too_large_ = false;
  std::size_t skipped_events_ = 0;  ///< unparseable events passed over
  std::size_t max_event_bytes_ = 0;
  std::chrono::milliseconds first_byte_limit_{0};  ///< 0: the transport's timeout covers it
  Limit limit_hit_ = Limit::none;
  TimePoint start_{};
  TimePoint last_data_{};
};

/// @throws if @p event is an error event: `event: error`, or data / raw text holding a
///         top-level "error" object. Returns the parsed JSON of a data event otherwise, or
///         null for unframed text that is not an error.
nlohmann::json parse_event(Provider provider, const CallOptions& options, const SseEvent& event,
                           const HttpResponse& http);

/// @throws ProviderUnavailableError: the stream ended without its terminator.
[[noreturn]] void throw_cut_stream(Provider provider, const CallOptions& options, const HttpResponse& http,
                                   std::string_view what);

}  // namespace polyrouter::detail
