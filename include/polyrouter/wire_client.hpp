#pragma once
/// @file The base of polyrouter's own clients: one provider's wire protocol over HTTP.

#include <memory>
#include <string>
#include <typeinfo>
#include <vector>

#include "polyrouter/export.hpp"
#include "polyrouter/llm_client.hpp"

namespace polyrouter {

/// A client speaking one of the wire protocols of the provider registry (OpenAI Chat
/// Completions, Gemini generateContent, ...). Subclass one to change what a call does: the
/// orchestrator calls your complete() and stream() on every path, asynchronous ones included
/// (a subclass's calls then run on the orchestrator's worker threads, not on its event loop).
class POLYROUTER_API WireClient : public LLMClient {
 public:
  Provider provider() const noexcept override;
  Response complete(const ChatRequest& request, const CallOptions& options) override;
  Response stream(const ChatRequest& request, const CallOptions& options, const DeltaCallback& on_delta) override;
  std::vector<ModelInfo> list_models(const CallOptions& options) override;

  /// The versioned base URL requests go to.
  const std::string& api_base() const noexcept { return api_base_; }
  /// The HTTP settings this client was made with.
  const HttpOptions& http_options() const noexcept { return http_; }

 protected:
  /// @p own_type: the concrete library class being built; only an object of exactly that type
  /// lets the event loop run its calls without calling complete()/stream().
  WireClient(std::shared_ptr<const detail::WireCodec> codec, std::string api_base, HttpOptions http,
             const std::type_info& own_type);

 private:
  std::shared_ptr<const detail::WireCodec> event_loop_codec() const override;

  std::shared_ptr<const detail::WireCodec> codec_;
  std::string api_base_;
  HttpOptions http_;
  const std::type_info* own_type_;
};

}  // namespace polyrouter
