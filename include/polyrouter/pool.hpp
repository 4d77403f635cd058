#pragma once
/// @file One provider account: its client, models and keys.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "polyrouter/export.hpp"
#include "polyrouter/http_options.hpp"
#include "polyrouter/policies.hpp"
#include "polyrouter/provider.hpp"
#include "polyrouter/rate_limits.hpp"

namespace polyrouter {

class LLMClient;  // llm_client.hpp

/// An API key and the label it is shown by. The value is never logged or put in a message.
struct POLYROUTER_API ApiKey {
  std::string label;  ///< e.g. "GROQ_API_KEY1"; empty = assigned from the pool ("<POOL>_API_KEY<i>")
  std::string value;

  ApiKey() = default;
  ApiKey(std::string key) : value(std::move(key)) {}  // NOLINT: implicit, so {key0, key1} reads well
  ApiKey(const char* key) : value(key) {}             // NOLINT
  ApiKey(std::string key_label, std::string key) : label(std::move(key_label)), value(std::move(key)) {}
};

/// One provider account: a client, its ordered models and its ordered keys.
struct POLYROUTER_API PoolConfig {
  PoolConfig() = default;
  /// The common case in one line: `{Provider::groq, {"openai/gpt-oss-120b"}, {key0, key1}}`.
  PoolConfig(Provider pool_provider, std::vector<std::string> pool_models, std::vector<ApiKey> pool_keys,
             std::string pool_base_url = {})
      : provider(pool_provider),
        models(std::move(pool_models)),
        keys(std::move(pool_keys)),
        base_url(std::move(pool_base_url)) {}

  Provider provider = Provider::openai_compatible;
  std::vector<std::string> models;  ///< tried in order
  std::vector<ApiKey> keys;         ///< tried in order for each model
  /// Empty = the provider's default. For groq, cerebras and gemini this is the root
  /// ("http://127.0.0.1:8080"), as GROQ_BASE_URL is; for openai_compatible it includes the
  /// version path ("http://localhost:8080/v1").
  std::string base_url;
  std::string name;                 ///< shown in attempts and logs; empty = the provider's name
  /// The keys share one account quota: a rate limit cools the model for every key of the pool.
  bool shared_quota = false;
  /// Each key's own budget (requests and tokens per window), kept before the provider refuses.
  RateBudget rate_budget;
  /// How a stream cut on this pool recovers, and (continue_partial) whether its models may
  /// continue another route's cut stream; empty = OrchestratorConfig::stream_recovery.
  std::optional<StreamRecovery> stream_recovery;
  /// The user's own client; when set, provider and base_url only label it.
  std::shared_ptr<LLMClient> client;
};

/// The client a pool talks through: its own `client` when set, else the built-in client for
/// its provider at its base URL. @throws ConfigError (an openai_compatible pool without base_url).
POLYROUTER_API std::shared_ptr<LLMClient> make_client(const PoolConfig& pool, const HttpOptions& http = {});

}  // namespace polyrouter
