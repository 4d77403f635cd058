#include <fstream>
#include <stdexcept>

#include "polyrouter/sim/simulator.hpp"

namespace polyrouter::sim {

nlohmann::json load_scenario_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("[polyrouter.sim] cannot read scenario file '" + path + "'");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error("[polyrouter.sim] scenario file '" + path +
                             "' is not valid JSON: " + e.what());
  }
}

}  // namespace polyrouter::sim
