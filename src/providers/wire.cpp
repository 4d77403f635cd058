#include "providers/wire.hpp"

#include "polyrouter/gemini_client.hpp"
#include "polyrouter/openai_compatible_client.hpp"

namespace polyrouter::detail {

std::shared_ptr<const WireCodec> codec_of(const LLMClient& client) {
  if (const auto* openai = dynamic_cast<const OpenAICompatibleClient*>(&client)) {
    return make_openai_codec(openai->api_base(), openai->provider(), openai->http_options());
  }
  if (const auto* gemini = dynamic_cast<const GeminiClient*>(&client)) {
    return make_gemini_codec(gemini->api_base(), gemini->http_options());
  }
  return nullptr;
}

}  // namespace polyrouter::detail
