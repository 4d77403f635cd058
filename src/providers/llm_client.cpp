#include "polyrouter/llm_client.hpp"

#include "polyrouter/errors.hpp"

namespace polyrouter {

std::vector<ModelInfo> LLMClient::list_models(const CallOptions& options) {
  ErrorContext context;
  context.provider = provider();
  context.key_label = options.key_label;
  throw UnknownError("this client cannot list models", std::move(context));
}

}  // namespace polyrouter
