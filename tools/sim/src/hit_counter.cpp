#include "hit_counter.hpp"

#include <algorithm>

namespace polyrouter::sim::detail {

void HitCounter::count(std::string_view provider, std::string_view key, std::string_view model, int client_port,
                       Clock::time_point at) {
  ++counts_[{std::string(provider), std::string(key), std::string(model)}];
  client_ports_.insert(client_port);
  auto& times = arrivals_[{std::string(provider), std::string(key)}];
  // The lock orders the calls, not the clock reads before it: keep the list sorted.
  times.push_back(times.empty() ? at : std::max(at, times.back()));
}

void HitCounter::reset() {
  counts_.clear();
  client_ports_.clear();
  arrivals_.clear();
}

std::size_t HitCounter::max_hits_in_window(std::string_view provider, std::string_view key,
                                           std::chrono::nanoseconds window) const {
  const auto found = arrivals_.find(std::make_pair(std::string(provider), std::string(key)));
  if (found == arrivals_.end() || window.count() <= 0) return 0;
  const auto& times = found->second;
  // Two pointers: the most arrivals in [times[first], times[first] + window).
  std::size_t best = 0;
  std::size_t first = 0;
  for (std::size_t last = 0; last < times.size(); ++last) {
    while (times[last] - times[first] >= window) ++first;
    best = std::max(best, last - first + 1);
  }
  return best;
}

nlohmann::json HitCounter::windows(std::chrono::milliseconds window) const {
  auto out = nlohmann::json::array();
  for (const auto& [id, times] : arrivals_) {
    out.push_back({{"provider", id.first},
                   {"key", id.second},
                   {"window_ms", window.count()},
                   {"max_hits", max_hits_in_window(id.first, id.second, window)}});
  }
  return out;
}

nlohmann::json HitCounter::stats() const {
  auto hits = nlohmann::json::array();
  std::size_t total = 0;
  for (const auto& [id, count] : counts_) {
    const auto& [provider, key, model] = id;
    hits.push_back({{"provider", provider}, {"key", key}, {"model", model}, {"count", count}});
    total += count;
  }
  return {{"total", total}, {"connections", client_ports_.size()}, {"hits", std::move(hits)}};
}

std::size_t HitCounter::hits(std::string_view provider, std::string_view key,
                             std::string_view model) const {
  std::size_t total = 0;
  for (const auto& [id, count] : counts_) {
    const auto& [p, k, m] = id;
    if ((provider.empty() || p == provider) && (key.empty() || k == key) &&
        (model.empty() || m == model)) {
      total += count;
    }
  }
  return total;
}

}  // namespace polyrouter::sim::detail
