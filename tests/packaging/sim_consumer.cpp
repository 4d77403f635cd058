// Proves the installed simulator target links and answers through the library.
#include <polyrouter/polyrouter.hpp>
#include <polyrouter/sim/simulator.hpp>

#include <iostream>

int main() {
  polyrouter::sim::Simulator sim;
  polyrouter::OrchestratorConfig config;
  polyrouter::PoolConfig pool{polyrouter::Provider::groq, {"openai/gpt-oss-120b"}, {"sim-key"}};
  pool.base_url = sim.url();
  config.pools.push_back(pool);
  polyrouter::Orchestrator orchestrator{config};
  const auto response = orchestrator.request("ping");
  std::cout << response.text << "\n";
  return response.text.empty() || sim.hits() != 1 ? 1 : 0;
}
