#pragma once
// A provider's wire protocol split into its two halves (private): build the HTTP request, parse
// the HTTP response. The blocking clients join them around one transfer; the event loop runs
// the transfer itself, so many requests share one thread.

#include <memory>
#include <string>

#include "http/transport.hpp"
#include "providers/streaming.hpp"
#include "polyrouter/llm_client.hpp"

namespace polyrouter::detail {

class WireCodec {
 public:
  virtual ~WireCodec() = default;
  virtual Provider provider() const noexcept = 0;
  /// The constant headers of every request made with @p api_key, prepared once.
  virtual std::shared_ptr<const HeaderList> headers_for(const std::string& api_key) const = 0;
  /// The non-streaming chat request; @p headers from headers_for(options.api_key), or null.
  virtual HttpRequest build(const ChatRequest& request, const CallOptions& options,
                            std::shared_ptr<const HeaderList> headers = nullptr) const = 0;
  /// The answer to build()'s request. @throws every typed error the exchange can produce.
  virtual Response parse(const HttpResponse& response, const CallOptions& options) const = 0;
  /// The streaming chat request.
  virtual HttpRequest build_stream(const ChatRequest& request, const CallOptions& options) const = 0;
  /// The decoder for build_stream()'s events.
  virtual std::unique_ptr<StreamDecoding> stream_decoding() const = 0;
};

std::shared_ptr<const WireCodec> make_openai_codec(std::string api_base, Provider provider, HttpOptions http);
std::shared_ptr<const WireCodec> make_gemini_codec(std::string api_base, HttpOptions http);

/// The codec behind a built-in client, or nullptr for any other LLMClient.
std::shared_ptr<const WireCodec> codec_of(const LLMClient& client);

}  // namespace polyrouter::detail
