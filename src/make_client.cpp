#include <memory>

#include "config/base_url.hpp"

#include "polyrouter/config.hpp"
#include "polyrouter/errors.hpp"
#include "polyrouter/gemini_client.hpp"
#include "polyrouter/openai_compatible_client.hpp"

namespace polyrouter {

std::shared_ptr<LLMClient> make_client(const PoolConfig& pool, const HttpOptions& http) {
  if (pool.client) return pool.client;
  const std::string name = pool.name.empty() ? std::string(to_string(pool.provider)) : pool.name;
  if (!pool.base_url.empty() || pool.provider == Provider::openai_compatible) {
    if (pool.base_url.empty()) throw ConfigError("pool '" + name + "': an openai_compatible pool needs a base_url");
    detail::check_base_url(pool.base_url, "pool '" + name + "' base_url");
  }
  switch (pool.provider) {
    case Provider::groq:
      return std::make_shared<OpenAICompatibleClient>(OpenAICompatibleClient::groq(
          pool.base_url.empty() ? OpenAICompatibleClient::groq_default_root : pool.base_url, http));
    case Provider::cerebras:
      return std::make_shared<OpenAICompatibleClient>(OpenAICompatibleClient::cerebras(
          pool.base_url.empty() ? OpenAICompatibleClient::cerebras_default_root : pool.base_url, http));
    case Provider::gemini:
      return std::make_shared<GeminiClient>(pool.base_url.empty() ? GeminiClient::default_root : pool.base_url,
                                            http);
    case Provider::openai_compatible:
      return std::make_shared<OpenAICompatibleClient>(pool.base_url, Provider::openai_compatible, http);
  }
  throw ConfigError("unknown provider");
}

}  // namespace polyrouter
