#pragma once
// Where every subcommand gets its providers from: config_from_env() plus the command line's
// overrides. (check and models reach each pool through polyrouter::make_client().)

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "polyrouter/environment.hpp"

namespace polyrouter::cli {

/// A mistake on the command line found after parsing (exit code 2).
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Options every subcommand shares.
struct SourceOptions {
  std::string config_file;                ///< empty = $POLYROUTER_CONFIG or ./polyrouter.json
  std::string env_file = ".env";          ///< empty = read no .env file
  bool env_file_required = false;         ///< named on the command line: missing is an error
  std::vector<std::string> providers;     ///< keep only these pools, in this order
  std::vector<std::string> models;        ///< replace every kept pool's models
  int verbosity = 0;                      ///< 1 = debug, 2+ = trace
  bool json = false;
};

/// config_from_env() with the overrides applied, pool names and key labels filled in.
/// @throws ConfigError (also for a missing --env-file), NoApiKeysError; UsageError for an
///         unknown --provider.
OrchestratorConfig load_config(const SourceOptions& options);

/// Every key value of @p config, so diagnostics can be scrubbed of them.
class Secrets {
 public:
  Secrets() = default;
  explicit Secrets(const OrchestratorConfig& config);
  /// @p text with every known key (and anything shaped like a provider key) masked.
  std::string scrub(std::string_view text) const;

 private:
  std::vector<std::string> values_;
};

}  // namespace polyrouter::cli
