// Anthropic: the Messages API under /v1, key in x-api-key (ANTHROPIC_API_KEY0.., ANTHROPIC_BASE_URL
// as the official SDKs name them).
#include "providers/anthropic/codec.hpp"
#include "providers/anthropic/errors.hpp"
#include "providers/registry.hpp"

namespace polyrouter::detail {

const ProviderDescriptor& descriptor_anthropic() {
  static const ProviderDescriptor d{Provider("anthropic"), "ANTHROPIC", "https://api.anthropic.com", "/v1",
                                    {"claude-sonnet-4-6", "claude-haiku-4-5"}, /*from_environment=*/true,
                                    /*order=*/40, anthropic::make_codec,
                                    ErrorRules{anthropic::classify_error, anthropic::reset_hint}};
  return d;
}

}  // namespace polyrouter::detail
