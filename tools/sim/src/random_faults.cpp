#include "random_faults.hpp"

#include "scenario.hpp"

#include <limits>
#include <stdexcept>
#include <utility>

namespace polyrouter::sim::detail {
namespace {

using nlohmann::json;

[[noreturn]] void reject(const std::string& where, const std::string& what) {
  throw std::invalid_argument("[polyrouter.sim.scenario] " + where + ": " + what);
}

// SplitMix64's finaliser: a well-mixed 64-bit value from (seed, serial), so every call's draw
// is independent of every other's and needs no shared generator state.
std::uint64_t splitmix64(std::uint64_t value) {
  value += 0x9e3779b97f4a7c15ULL;
  value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9ULL;
  value = (value ^ (value >> 27)) * 0x94d049bb133111ebULL;
  return value ^ (value >> 31);
}

// A uniform draw in [0, 1) from the top 53 bits.
double uniform_draw(std::uint64_t seed, std::uint64_t serial) {
  return static_cast<double>(splitmix64(splitmix64(seed) ^ serial) >> 11) * 0x1.0p-53;
}

RandomFaults::Fault parse_fault(const json& value, const std::string& where) {
  if (!value.is_object()) reject(where, "expected an object {\"status\", \"fraction\"}");
  for (const auto& item : value.items()) {
    if (item.key() != "status" && item.key() != "fraction") {
      reject(where + "." + item.key(), "unknown field (expected status or fraction)");
    }
  }
  RandomFaults::Fault fault;
  if (value.contains("status")) {
    const auto& status = value["status"];
    if (!status.is_number_integer() || status.get<std::int64_t>() < 400 || status.get<std::int64_t>() > 599) {
      reject(where + ".status", "expected an integer in [400, 599]");
    }
    fault.status = status.get<int>();
  }
  if (!value.contains("fraction")) reject(where + ".fraction", "missing");
  const auto& fraction = value["fraction"];
  if (!fraction.is_number() || !(fraction.get<double>() >= 0.0 && fraction.get<double>() <= 1.0)) {
    reject(where + ".fraction", "expected a number in [0, 1]");
  }
  fault.fraction = fraction.get<double>();
  return fault;
}

}  // namespace

int RandomFaults::status_for(std::uint64_t serial) const {
  if (faults.empty()) return 0;
  const double u = uniform_draw(seed, serial);
  double upper = 0.0;
  for (const auto& fault : faults) {
    upper += fault.fraction;
    if (u < upper) return fault.status;
  }
  return 0;
}

RandomFaults parse_random_faults(const json& value, const std::string& where) {
  if (!value.is_object()) reject(where, "expected an object {\"seed\", \"faults\"}");
  for (const auto& item : value.items()) {
    if (item.key() != "seed" && item.key() != "faults") {
      reject(where + "." + item.key(), "unknown field (expected seed or faults)");
    }
  }
  RandomFaults out;
  if (value.contains("seed")) {
    if (!value["seed"].is_number_unsigned()) reject(where + ".seed", "expected an integer >= 0");
    out.seed = value["seed"].get<std::uint64_t>();
  }
  if (value.contains("faults")) {
    const auto& faults = value["faults"];
    if (!faults.is_array()) reject(where + ".faults", "expected an array of {status, fraction}");
    double total = 0.0;
    for (std::size_t i = 0; i < faults.size(); ++i) {
      out.faults.push_back(parse_fault(faults[i], where + ".faults[" + std::to_string(i) + "]"));
      total += out.faults.back().fraction;
    }
    if (total > 1.0 + 1e-9) reject(where + ".faults", "fractions add up to more than 1");
  }
  return out;
}

std::optional<Rule> with_random_fault(const RandomFaults& faults, std::uint64_t serial,
                                      std::optional<Rule> rule) {
  if (rule && rule->behavior != Behavior::ok) return rule;
  const int status = faults.status_for(serial);
  if (status == 0) return rule;
  Rule fault = rule.value_or(Rule{});
  fault.behavior = Behavior::server_error;
  fault.status = status;
  return fault;
}

}  // namespace polyrouter::sim::detail
