// OpenAI by name: OPENAI_BASE_URL holds the version path, as the official SDK takes it.
#include "providers/registry.hpp"
#include "providers/wire.hpp"

namespace polyrouter::detail {

const ProviderDescriptor& descriptor_openai() {
  static const ProviderDescriptor d{Provider("openai"), "OPENAI", "https://api.openai.com/v1", "", {"gpt-4o-mini"},
                                    /*from_environment=*/true, /*order=*/50, make_openai_codec, {}};
  return d;
}

}  // namespace polyrouter::detail
