#pragma once

// Counts requests per (provider, key, model) so tests can assert exactly which combinations a
// client tried. Not thread-safe: the server locks around it.

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <tuple>

#include <nlohmann/json.hpp>

namespace polyrouter::sim::detail {

class HitCounter {
 public:
  void count(std::string_view provider, std::string_view key, std::string_view model);
  void reset();
  /// {"total": N, "hits": [{provider, key, model, count}, ...]} sorted by provider, key, model.
  nlohmann::json stats() const;
  /// Hits matching every non-empty filter.
  std::size_t hits(std::string_view provider, std::string_view key, std::string_view model) const;

 private:
  // std::map keeps the stats output sorted and therefore deterministic.
  std::map<std::tuple<std::string, std::string, std::string>, std::size_t> counts_;
};

}  // namespace polyrouter::sim::detail
