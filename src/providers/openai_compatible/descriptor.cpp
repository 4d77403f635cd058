// Any other server of the OpenAI Chat Completions protocol: named in the config file with its
// base URL (version path included), never found in the environment on its own.
#include "providers/registry.hpp"
#include "providers/wire.hpp"

namespace polyrouter::detail {

const ProviderDescriptor& descriptor_openai_compatible() {
  static const ProviderDescriptor d{Provider::openai_compatible, "", "", "", {}, /*from_environment=*/false,
                                    /*order=*/1000, make_openai_codec, {}};
  return d;
}

}  // namespace polyrouter::detail
