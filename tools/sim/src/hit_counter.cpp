#include "hit_counter.hpp"

namespace polyrouter::sim::detail {

void HitCounter::count(std::string_view provider, std::string_view key, std::string_view model, int client_port) {
  ++counts_[{std::string(provider), std::string(key), std::string(model)}];
  client_ports_.insert(client_port);
}

void HitCounter::reset() {
  counts_.clear();
  client_ports_.clear();
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
