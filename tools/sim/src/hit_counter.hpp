#pragma once

// Counts requests per (provider, key, model) so tests can assert exactly which combinations a
// client tried. Not thread-safe: the server locks around it.

#include <chrono>
#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace polyrouter::sim::detail {

class HitCounter {
 public:
  using Clock = std::chrono::steady_clock;

  /// One request from @p client_port (the client's end of its TCP connection), arrived at @p at.
  void count(std::string_view provider, std::string_view key, std::string_view model, int client_port,
             Clock::time_point at = Clock::now());
  void reset();
  /// {"total": N, "connections": C, "hits": [{provider, key, model, count}, ...]} sorted by
  /// provider, key, model. C counts the distinct client connections the requests came on.
  nlohmann::json stats() const;
  /// Hits matching every non-empty filter.
  std::size_t hits(std::string_view provider, std::string_view key, std::string_view model) const;
  /// The most requests of (@p provider, @p key) that any span of @p window held (half-open:
  /// requests exactly @p window apart are not in one span). Exact; one pass over the arrivals.
  std::size_t max_hits_in_window(std::string_view provider, std::string_view key, std::chrono::nanoseconds window) const;
  /// [{provider, key, window_ms, max_hits}, ...] for every (provider, key) that was called.
  nlohmann::json windows(std::chrono::milliseconds window) const;

 private:
  // std::map keeps the stats output sorted and therefore deterministic.
  std::map<std::tuple<std::string, std::string, std::string>, std::size_t> counts_;
  std::set<int> client_ports_;  // loopback only: a port names one connection
  // Arrival times per (provider, key), in arrival order (counted under the server's lock).
  std::map<std::pair<std::string, std::string>, std::vector<Clock::time_point>, std::less<>> arrivals_;
};

}  // namespace polyrouter::sim::detail
