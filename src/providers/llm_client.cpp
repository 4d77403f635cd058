#include "polyrouter/llm_client.hpp"

#include "polyrouter/errors.hpp"

namespace polyrouter {

Response LLMClient::stream(const ChatRequest& request, const CallOptions& options, const DeltaCallback& on_delta) {
  Response response = complete(request, options);
  if (on_delta && !response.text.empty() && !on_delta(response.text)) response.raw_finish_reason = "cancelled";
  return response;
}

std::vector<ModelInfo> LLMClient::list_models(const CallOptions& options) {
  ErrorContext context;
  context.provider = provider();
  context.key_label = options.key_label;
  throw UnknownError("this client cannot list models", std::move(context));
}

std::shared_ptr<const detail::WireCodec> LLMClient::event_loop_codec() const { return nullptr; }

}  // namespace polyrouter
