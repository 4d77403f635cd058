#pragma once

// Random faults on healthy calls: a scenario's "random_faults" turns a seeded fraction of the
// calls that would answer ok into server errors, so a soak sees background noise on top of its
// scripted failures. Which calls fail depends only on the seed and the call's serial number
// (the order in which the simulator received it), never on timing or threads.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace polyrouter::sim::detail {

struct RandomFaults {
  struct Fault {
    int status = 500;       // answered as a server_error with this status
    double fraction = 0.0;  // of healthy calls, in [0, 1]
  };
  std::uint64_t seed = 0;
  std::vector<Fault> faults;  // fractions add up to at most 1

  /// The status the call with @p serial fails with, or 0 when it stays healthy.
  int status_for(std::uint64_t serial) const;
};

/// Parses {"seed": 7, "faults": [{"status": 500, "fraction": 0.1}, ...]}.
/// @throws std::invalid_argument naming the offending field under @p where.
RandomFaults parse_random_faults(const nlohmann::json& value, const std::string& where);

}  // namespace polyrouter::sim::detail
