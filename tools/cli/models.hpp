#pragma once
// polyrouter models: what each configured provider offers.

#include "sources.hpp"

namespace polyrouter::cli {

struct ModelsOptions {
  SourceOptions source;
  long long timeout_ms = 20000;  ///< per provider
};

/// Lists each pool's models with the first key that answers. @returns 0 when at least one pool answered.
int run_models(const ModelsOptions& options);

}  // namespace polyrouter::cli
