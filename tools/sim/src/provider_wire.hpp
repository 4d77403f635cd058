#pragma once

// One ProviderWire per provider turns a provider-neutral intent ("rate limited for 30 s",
// "answer this text") into that provider's exact status, headers and body shapes, as
// documented by each provider (real-shaped examples in tests/fixtures). Nothing here knows about HTTP
// servers, rules or routing.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "scenario.hpp"

namespace polyrouter::sim::detail {

/// A fully formed answer, ready for the HTTP layer to send.
struct Reply {
  enum class Delivery {
    whole,  // status + headers + body
    sse,    // 200 text/event-stream: every frame, then the terminator
    cut,    // like sse, but only the first `frames_to_send` frames, then the connection drops
    drop,   // headers with the full Content-Length, half the body, then the connection drops
    reset,  // nothing at all: the connection closes before any response byte
  };

  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;                 // whole, drop
  std::vector<std::string> frames;  // sse, cut: complete SSE frames ("data: ...\n\n")
  std::string terminator;           // sse: sent after the frames ("data: [DONE]\n\n" or "")
  std::size_t frames_to_send = 0;   // cut
  std::chrono::milliseconds pause{0};  // sse, cut: silence before frame number pause_before
  std::size_t pause_before = 0;
  Delivery delivery = Delivery::whole;
};

/// What the simulated model says, plus the bits a response echoes.
struct Answer {
  std::string model;
  std::string text;
  std::optional<std::pair<std::string, nlohmann::json>> tool_call;  // name, args object
  std::uint64_t serial = 0;        // makes ids unique per request
  std::size_t prompt_tokens = 1;
};

/// A streamed answer: one JSON payload per SSE `data:` event, and whether the provider ends
/// the stream with `data: [DONE]` (OpenAI-compatible) or just closes it (Gemini, Anthropic).
struct StreamBody {
  std::vector<nlohmann::json> events;
  bool done_marker = false;
  /// Each frame names its event (`event: <payload's type>` before `data:`), as Anthropic's do.
  bool named_events = false;
};

/// Which page of a model list is asked for (Anthropic pages with limit and after_id).
struct ModelPage {
  std::size_t limit = 0;  // 0 = the provider's default
  std::string after_id;
};

class ProviderWire {
 public:
  virtual ~ProviderWire() = default;

  virtual Provider provider() const = 0;

  /// No credentials at all in the request.
  virtual Reply missing_key() const = 0;
  /// Credentials present but rejected.
  virtual Reply invalid_key() const = 0;
  virtual Reply rate_limited(std::string_view model, double retry_after_s, bool daily) const = 0;
  /// `method` is the Gemini RPC (generateContent / streamGenerateContent); others ignore it.
  virtual Reply model_not_found(std::string_view model, std::string_view method) const = 0;
  virtual Reply bad_request(std::string_view message) const = 0;
  virtual Reply server_error(int status) const = 0;

  /// A 200 JSON body with the answer (text or tool call), with success headers.
  virtual Reply completion(const Answer& answer) const = 0;
  /// The answer as stream events (text deltas split by word).
  virtual StreamBody stream(const Answer& answer) const = 0;
  /// One complete SSE frame carrying an error in the provider's in-stream shape.
  virtual std::string stream_error_frame(int status) const = 0;
  /// Content type of JSON bodies.
  virtual std::string json_content_type() const { return "application/json"; }
  virtual Reply model_list(const std::vector<std::string>& ids) const = 0;
  /// The page of the list @p page asks for; providers without paging list everything.
  virtual Reply model_page(const std::vector<std::string>& ids, const ModelPage& page) const {
    (void)page;
    return model_list(ids);
  }
  /// Listed when the scenario gives no `models` for this provider.
  virtual std::vector<std::string> default_models() const = 0;
  /// Name of the first tool declared in a request body, if any.
  virtual std::optional<std::string> first_tool(const nlohmann::json& request) const = 0;
};

const ProviderWire& wire_for(Provider provider);
const ProviderWire& groq_wire();
const ProviderWire& cerebras_wire();
const ProviderWire& gemini_wire();
const ProviderWire& anthropic_wire();

// Shared helpers for the wire implementations.

/// "data: <json>\n\n"
std::string sse_frame(const nlohmann::json& payload);
/// "event: <payload's type>\ndata: <json>\n\n"
std::string named_sse_frame(const nlohmann::json& payload);
/// RFC 3339 UTC at whole seconds, @p seconds_from_now from now: "2026-03-20T20:00:11Z".
std::string rfc3339_from_now(double seconds_from_now);
/// Go's time.Duration text at millisecond precision: "172ms", "30s", "2m59.56s", "1h0m0s".
std::string go_duration(double seconds);
/// Shortest round-trip decimal, always with a fraction: "30.0", "11.455".
std::string float_seconds(double seconds);
/// Reason phrase for an HTTP status ("Service Unavailable").
std::string_view status_text(int status);
/// "req_" + 26 opaque characters, unique per process.
std::string next_request_id();
/// Protobuf Duration JSON text: "30s", "11.455s".
std::string proto_duration(double seconds);
/// Whole seconds, rounded up, as sent in Retry-After.
std::string retry_after_header(double seconds);
/// Splits text into word-sized deltas that concatenate back to it; never empty.
std::vector<std::string> split_words(const std::string& text);
/// Deterministic opaque id of `length` characters drawn from `alphabet`.
std::string opaque_id(std::uint64_t serial, std::size_t length,
                      std::string_view alphabet = "0123456789abcdefghijklmnopqrstuvwxyz");
/// Seconds since the epoch, for "created" fields.
std::int64_t unix_now();

}  // namespace polyrouter::sim::detail
