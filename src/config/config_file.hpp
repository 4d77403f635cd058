#pragma once
// The JSON config file (private): what the original tool's config.py held, plus polyrouter's
// retry, cooldown, breaker and timeout settings. Read strictly: an unknown or mistyped field is
// a ConfigError naming the file and the field.

#include <optional>
#include <string>
#include <vector>

#include "polyrouter/config.hpp"

namespace polyrouter::detail {

/// One provider's section.
struct ProviderSection {
  std::string name;                               ///< "groq", or a custom endpoint's name
  std::optional<Provider> provider;               ///< nullopt for a custom endpoint
  std::optional<std::vector<std::string>> models;
  std::optional<int> key_count;                   ///< use at most this many keys
  std::optional<std::string> base_url;
  std::optional<bool> shared_quota;
  std::optional<StreamRecovery> stream_recovery;
  /// "rate_budget": {"requests_per_minute": N, "tokens_per_minute": M}, each key's own.
  std::optional<RateBudget> rate_budget;
};

/// "health_store": where a fleet shares what it learns.
struct SharedStoreSection {
  std::string redis;  ///< URL; empty = none
  std::optional<std::string> prefix;
  std::optional<std::string> tls_ca_file;
  std::optional<int> timeout_ms;
  std::optional<std::string> fleet_secret;
};

struct FileConfig {
  std::optional<bool> debug;
  std::optional<bool> in_depth_debug;
  std::optional<std::vector<std::string>> provider_order;
  std::vector<ProviderSection> providers;         ///< built-in providers then custom endpoints
  SharedStoreSection health_store;
  /// Applies the policy fields (retry, cooldown, breaker, timeouts, ...) onto a config.
  OrchestratorConfig policies;
};

/// Parses @p text; @p origin names the file in errors. Policy fields not in the file keep the
/// values of @p defaults. @throws ConfigError.
FileConfig parse_config(const std::string& text, const std::string& origin, const OrchestratorConfig& defaults);

/// Reads and parses a file. @throws ConfigError when missing, unreadable or invalid.
FileConfig read_config_file(const std::string& path, const OrchestratorConfig& defaults);

}  // namespace polyrouter::detail
