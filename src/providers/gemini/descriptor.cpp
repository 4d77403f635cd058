// Gemini Developer API: generateContent under /v1beta, key in x-goog-api-key.
#include "providers/registry.hpp"
#include "providers/wire.hpp"

namespace polyrouter::detail {

const ProviderDescriptor& descriptor_gemini() {
  static const ProviderDescriptor d{
      Provider::gemini, "GEMINI", "https://generativelanguage.googleapis.com", "/v1beta",
      {"gemini-2.5-flash", "gemini-3-flash-preview"}, /*from_environment=*/true, /*order=*/20, make_gemini_codec, {}};
  return d;
}

}  // namespace polyrouter::detail
