#include "models.hpp"

#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "error_report.hpp"
#include "exit_codes.hpp"
#include "output.hpp"
#include "polyrouter/errors.hpp"
#include "polyrouter/llm_client.hpp"

namespace polyrouter::cli {

int run_models(const ModelsOptions& options) {
  Secrets secrets;
  try {
    const OrchestratorConfig config = load_config(options.source);
    secrets = Secrets(config);
    const std::chrono::milliseconds timeout(options.timeout_ms);

    Json listed = Json::object();
    std::size_t failed = 0;
    for (const PoolConfig& pool : config.pools) {
      const auto client = make_client(pool, config.http);
      // The first key that answers: a dead or rate-limited first key should not hide the list.
      std::optional<std::vector<ModelInfo>> models;
      std::vector<std::string> errors;
      for (const ApiKey& key : pool.keys) {
        CallOptions call;
        call.api_key = key.value;
        call.key_label = key.label;
        call.timeout = timeout;
        call.connect_timeout = std::min(config.timeouts.connect, timeout);
        try {
          models = client->list_models(call);
          break;
        } catch (const Error& e) {
          errors.push_back(key.label + ": " + error_type_name(e.kind()) + ": " + secrets.scrub(brief(e)));
          if (e.kind() != ErrorKind::invalid_api_key && e.kind() != ErrorKind::rate_limit) break;
        }
      }
      if (!models) {
        ++failed;
        for (const std::string& error : errors) {
          std::cerr << "polyrouter: models: " << pool.name << " (" << error << ")\n";
        }
        continue;
      }
      Json ids = Json::array();
      for (const ModelInfo& m : *models) ids.push_back(m.id);
      if (!options.source.json) {
        for (const ModelInfo& m : *models) std::cout << pool.name << ": " << m.id << '\n';
        std::cout.flush();
      }
      listed[pool.name] = std::move(ids);
    }
    if (options.source.json) std::cout << listed.dump(2) << std::endl;
    return failed < config.pools.size() ? exit_ok : exit_exhausted;
  } catch (...) {
    return report_exception(std::current_exception(), options.source.json, secrets);
  }
}

}  // namespace polyrouter::cli
