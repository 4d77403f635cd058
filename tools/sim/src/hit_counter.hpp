#pragma once

// Counts requests per (provider, key, model) so tests can assert exactly which combinations a
// client tried. Not thread-safe: the server locks around it.

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <tuple>

#include <nlohmann/json.hpp>

namespace polyrouter::sim::detail {

class HitCounter {
 public:
  /// One request from @p client_port (the client's end of its TCP connection).
  void count(std::string_view provider, std::string_view key, std::string_view model, int client_port);
  void reset();
  /// {"total": N, "connections": C, "hits": [{provider, key, model, count}, ...]} sorted by
  /// provider, key, model. C counts the distinct client connections the requests came on.
  nlohmann::json stats() const;
  /// Hits matching every non-empty filter.
  std::size_t hits(std::string_view provider, std::string_view key, std::string_view model) const;

 private:
  // std::map keeps the stats output sorted and therefore deterministic.
  std::map<std::tuple<std::string, std::string, std::string>, std::size_t> counts_;
  std::set<int> client_ports_;  // loopback only: a port names one connection
};

}  // namespace polyrouter::sim::detail
