// Cerebras: the OpenAI Chat Completions protocol under /v1.
#include "providers/registry.hpp"
#include "providers/wire.hpp"

namespace polyrouter::detail {

const ProviderDescriptor& descriptor_cerebras() {
  static const ProviderDescriptor d{Provider::cerebras, "CEREBRAS", "https://api.cerebras.ai", "/v1", {"gpt-oss-120b"},
                                    /*from_environment=*/true, /*order=*/30, make_openai_codec, {}};
  return d;
}

}  // namespace polyrouter::detail
