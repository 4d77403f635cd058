#pragma once
/// @file A configuration read from the environment, a .env file and polyrouter.json.

#include <string>
#include <string_view>

#include "polyrouter/config.hpp"
#include "polyrouter/export.hpp"

namespace polyrouter {

/// Where Orchestrator::from_env() reads from.
struct POLYROUTER_API EnvOptions {
  /// The .env file; read when it exists. The process environment wins over it.
  std::string env_file = ".env";
  /// JSON config; empty = $POLYROUTER_CONFIG, else "polyrouter.json" when it exists.
  std::string config_file;
};

/// Builds a config the way the original tool did: .env, GROQ_API_KEY0.., GEMINI_API_KEY0..,
/// CEREBRAS_API_KEY0.., *_BASE_URL, and the JSON config file.
/// @throws ConfigError naming the file and field; NoApiKeysError when no key is found.
POLYROUTER_API OrchestratorConfig config_from_env(const EnvOptions& options = {});

/// How a pool's name appears in its environment variables: "groq" -> "GROQ", "my-llm" ->
/// "MY_LLM" (read as MY_LLM_API_KEY0.., MY_LLM_BASE_URL).
POLYROUTER_API std::string env_var_prefix(std::string_view pool_name);

}  // namespace polyrouter
