// Proves a consumer can compile and link against polyrouter and run without network.
#include <polyrouter/polyrouter.hpp>

#include <cstring>
#include <iostream>

int main() {
  polyrouter::OrchestratorConfig config;
  config.pools.push_back({polyrouter::Provider::groq, {"openai/gpt-oss-120b"}, {"gsk_consumer_test_key_0000"}});
  polyrouter::Orchestrator orchestrator{config};
  const auto health = orchestrator.health();
  std::cout << "polyrouter " << polyrouter::version_string << ", pools: " << health.pools.size() << "\n";
  return health.pools.size() == 1 && std::strlen(polyrouter::version_string) > 0 ? 0 : 1;
}
