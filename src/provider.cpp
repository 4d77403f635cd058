#include "polyrouter/provider.hpp"

namespace polyrouter {

std::string_view to_string(Provider provider) noexcept {
  switch (provider) {
    case Provider::groq: return "groq";
    case Provider::gemini: return "gemini";
    case Provider::cerebras: return "cerebras";
    case Provider::openai_compatible: return "openai_compatible";
  }
  return "unknown";
}

std::optional<Provider> provider_from_string(std::string_view name) noexcept {
  for (Provider p : {Provider::groq, Provider::gemini, Provider::cerebras, Provider::openai_compatible}) {
    if (to_string(p) == name) return p;
  }
  return std::nullopt;
}

}  // namespace polyrouter
