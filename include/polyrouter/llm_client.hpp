#pragma once
/// @file The provider-family interface the orchestrator drives.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "polyrouter/chat.hpp"
#include "polyrouter/delta_callback.hpp"
#include "polyrouter/export.hpp"
#include "polyrouter/http_options.hpp"
#include "polyrouter/provider.hpp"
#include "polyrouter/response.hpp"

namespace polyrouter {

namespace detail {
class WireCodec;
struct ClientAccess;
}  // namespace detail

/// Per-call settings handed to a client by the orchestrator (or by a caller using a client alone).
struct POLYROUTER_API CallOptions {
  std::string model;
  std::string api_key;    ///< the secret; clients never put it in a message, log or URL
  std::string key_label;  ///< how the key is shown ("GROQ_API_KEY0")
  /// A plain call: the whole exchange. A stream: time to the first body byte, unless
  /// stream_total_timeout is 0, when it bounds the whole stream.
  std::chrono::milliseconds timeout{60000};
  /// Streams: the whole transfer once the first byte came (0 = `timeout` bounds it all). The
  /// orchestrator sets the request's remaining deadline, so a healthy long stream is never cut.
  std::chrono::milliseconds stream_total_timeout{0};
  std::chrono::milliseconds connect_timeout{5000};
  /// Streams: fail when no model output (text, reasoning, tool call) arrived within this
  /// (0 = only `timeout` applies).
  std::chrono::milliseconds first_delta_timeout{0};
  /// Streams: fail when no byte arrived for this long after the first delta (0 = no limit).
  std::chrono::milliseconds stall_timeout{0};
  /// Streams: the time source of the two limits above (empty = steady_clock::now). The
  /// orchestrator passes its own clock, so an injected clock drives them too.
  std::function<std::chrono::steady_clock::time_point()> clock;
  /// The orchestrator's id of the request this call serves ("pr-42"; empty for a client used on
  /// its own): the built-in clients put it on their log lines and in ErrorContext::request_id.
  std::string request_id;
};

/// A model a provider offers.
struct POLYROUTER_API ModelInfo {
  std::string id;                  ///< as used in requests ("openai/gpt-oss-120b", "gemini-2.5-flash")
  std::string display_name;
  std::int64_t context_window = 0; ///< 0 when unknown
};

/// One provider family: builds the wire request, parses the wire response and classifies
/// every failure into a typed error. Clients never retry and hold no per-request state, so one
/// instance may be used from many threads at once.
class POLYROUTER_API LLMClient {
 public:
  virtual ~LLMClient() = default;

  /// The provider this client speaks to, shown in errors, attempts and logs. A custom client
  /// names itself: `return Provider("my-llm");`.
  virtual Provider provider() const noexcept = 0;

  /// One chat completion.
  /// @throws Error subclasses: InvalidApiKeyError, RateLimitError, ModelNotFoundError,
  ///         BadRequestError, ContentFilteredError, ProviderUnavailableError, TimeoutError,
  ///         InvalidJsonResponseError, UnknownError.
  virtual Response complete(const ChatRequest& request, const CallOptions& options) = 0;

  /// One chat completion, streamed: @p on_delta gets each text delta as it arrives and may
  /// return false to stop (the Response then holds what arrived, finish reason "cancelled").
  /// A stream that ends without its terminator or carries an error event throws; it never
  /// ends as a short success. The default implementation calls complete() and delivers the
  /// whole text as one delta.
  /// @throws as complete().
  virtual Response stream(const ChatRequest& request, const CallOptions& options, const DeltaCallback& on_delta);

  /// The models this provider offers to this key.
  /// @throws as complete(); the default implementation throws UnknownError (not supported).
  virtual std::vector<ModelInfo> list_models(const CallOptions& options);

 private:
  friend struct detail::ClientAccess;
  /// The private hook of the built-in clients: their wire codec, so asynchronous calls can run
  /// on the event loop without a thread each. Null (the default, and for a subclass of a
  /// built-in client) means every call goes through complete() and stream().
  virtual std::shared_ptr<const detail::WireCodec> event_loop_codec() const;
};

}  // namespace polyrouter
