// Groq: the OpenAI Chat Completions protocol under /openai/v1.
#include "providers/registry.hpp"
#include "providers/wire.hpp"

namespace polyrouter::detail {

const ProviderDescriptor& descriptor_groq() {
  static const ProviderDescriptor d{
      Provider::groq, "GROQ", "https://api.groq.com", "/openai/v1", {"openai/gpt-oss-120b", "openai/gpt-oss-20b"},
      /*from_environment=*/true, /*order=*/10, make_openai_codec, {}};
  return d;
}

}  // namespace polyrouter::detail
