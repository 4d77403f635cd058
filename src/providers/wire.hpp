#pragma once
// A provider's wire protocol as a codec (private): it builds HTTP requests and parses HTTP
// responses, and performs no I/O itself. The built-in clients (WireClient) join its halves around
// a blocking transfer; the event loop runs the transfers of many requests on one thread.

#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <string>
#include <vector>

#include "http/transport.hpp"
#include "providers/streaming.hpp"
#include "polyrouter/llm_client.hpp"

namespace polyrouter::detail {

class WireCodec {
 public:
  using Perform = std::function<HttpResponse(const HttpRequest&)>;

  virtual ~WireCodec();
  virtual Provider provider() const noexcept = 0;
  /// The constant headers of every chat request made with @p api_key.
  virtual std::shared_ptr<const HeaderList> headers_for(const std::string& api_key) const = 0;
  /// headers_for(), built once per key: a request then costs no header allocations.
  std::shared_ptr<const HeaderList> cached_headers(const std::string& api_key) const;
  /// The non-streaming chat request; @p headers from cached_headers(options.api_key), or null.
  virtual HttpRequest build(const ChatRequest& request, const CallOptions& options,
                            std::shared_ptr<const HeaderList> headers = nullptr) const = 0;
  /// The answer to build()'s request. @throws every typed error the exchange can produce.
  virtual Response parse(const HttpResponse& response, const CallOptions& options) const = 0;
  /// parse(), plus what every protocol's answer takes from the exchange itself: the provider's
  /// request id (Response::provider_request_id). What the drivers call.
  Response answer(const HttpResponse& response, const CallOptions& options) const;
  /// The streaming chat request.
  virtual HttpRequest build_stream(const ChatRequest& request, const CallOptions& options) const = 0;
  /// The decoder for build_stream()'s events.
  virtual std::unique_ptr<StreamDecoding> stream_decoding() const = 0;
  /// The models the key may use; pages through @p perform as the protocol requires.
  virtual std::vector<ModelInfo> list_models(const CallOptions& options, const Perform& perform) const = 0;

 private:
  // A few keys per codec; one handed ever-new keys stops caching past the bound.
  static constexpr std::size_t max_cached_keys = 64;
  mutable std::mutex headers_mutex_;
  mutable std::vector<std::pair<std::string, std::shared_ptr<const HeaderList>>> headers_;
};

std::shared_ptr<const WireCodec> make_openai_codec(Provider provider, std::string api_base, HttpOptions http);
std::shared_ptr<const WireCodec> make_gemini_codec(Provider provider, std::string api_base, HttpOptions http);

/// What the orchestrator's drivers may ask of any client without knowing its class.
struct ClientAccess {
  /// The codec of a built-in client whose calls the event loop may run itself; null for any other
  /// client, a subclass of a built-in one included (its overrides must be called).
  static std::shared_ptr<const WireCodec> event_loop_codec(const LLMClient& client) {
    return client.event_loop_codec();
  }
};

/// HTTP traces at trace level, keys masked: the request, then the answer's status and excerpt.
/// Every path logs through these (blocking, event loop, streams).
void trace_request(Provider provider, const CallOptions& options, const HttpRequest& request);
void trace_response(Provider provider, const CallOptions& options, const HttpResponse& response,
                    std::chrono::steady_clock::duration took);

}  // namespace polyrouter::detail
