#include "observe/prometheus.hpp"

#include <cinttypes>
#include <cstdio>
#include <map>
#include <tuple>

namespace polyrouter::detail {
namespace {

using Labels = std::vector<std::pair<std::string_view, std::string>>;

// Series with equal labels (two pools of one name, a model listed twice) add up: the
// exposition must not repeat a series.
using RouteKey = std::tuple<std::string, std::string, AttemptOutcome>;

void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void sample(std::string& out, std::string_view name, const Labels& labels, std::string_view value) {
  out += name;
  if (!labels.empty()) {
    out += '{';
    for (std::size_t i = 0; i < labels.size(); ++i) {
      if (i > 0) out += ',';
      out += labels[i].first;
      out += "=\"";
      out += escape_label_value(labels[i].second);
      out += '"';
    }
    out += '}';
  }
  out += ' ';
  out += value;
  out += '\n';
}

void sample(std::string& out, std::string_view name, const Labels& labels, std::uint64_t value) {
  sample(out, name, labels, std::to_string(value));
}

// Nanoseconds as seconds, exactly and whatever the locale: "1.250000000".
std::string seconds(std::uint64_t ns) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%" PRIu64 ".%09" PRIu64, ns / 1'000'000'000u, ns % 1'000'000'000u);
  return buffer;
}

void counters(std::string& out, const Stats& s) {
  family(out, "polyrouter_requests_total", "counter", "Requests started.");
  sample(out, "polyrouter_requests_total", {}, s.requests);
  family(out, "polyrouter_successes_total", "counter", "Requests answered.");
  sample(out, "polyrouter_successes_total", {}, s.successes);
  family(out, "polyrouter_fallbacks_total", "counter",
         "Times a request moved on to another (pool, model, key) after a failure.");
  sample(out, "polyrouter_fallbacks_total", {}, s.fallbacks);
  family(out, "polyrouter_exhaustions_total", "counter", "Requests on which every route failed.");
  sample(out, "polyrouter_exhaustions_total", {}, s.exhaustions);
  family(out, "polyrouter_health_changes_total", "counter",
         "What the health store learned or forgot (quarantines, cooldowns, breakers), by kind.");
  for (std::size_t k = 0; k < health_change_kind_count; ++k) {
    const auto kind = static_cast<HealthChange::Kind>(k);
    const auto it = s.health_changes.find(kind);
    sample(out, "polyrouter_health_changes_total", {{"kind", std::string(to_string(kind))}},
           it == s.health_changes.end() ? 0 : it->second);
  }
}

void attempts(std::string& out, const StatsObserver& stats, const std::vector<PoolConfig>& pools) {
  std::map<RouteKey, StatsObserver::Histogram> series;
  for (std::size_t p = 0; p < stats.pool_count() && p < pools.size(); ++p) {
    for (std::size_t m = 0; m < stats.model_count(p); ++m) {
      for (std::size_t o = 0; o < attempt_outcome_count; ++o) {
        const auto outcome = static_cast<AttemptOutcome>(o);
        const StatsObserver::Histogram h = stats.histogram(p, m, outcome);
        if (h.count() == 0) continue;  // a series appears with its first attempt
        StatsObserver::Histogram& total = series[RouteKey{pools[p].name, pools[p].models[m], outcome}];
        for (std::size_t b = 0; b < h.buckets.size(); ++b) total.buckets[b] += h.buckets[b];
        total.sum_ns += h.sum_ns;
      }
    }
  }
  const auto labels_of = [](const RouteKey& key) {
    return Labels{{"pool", std::get<0>(key)}, {"model", std::get<1>(key)},
                  {"outcome", std::string(to_string(std::get<2>(key)))}};
  };
  family(out, "polyrouter_attempts_total", "counter", "Round trips, by pool, model and outcome.");
  for (const auto& [key, h] : series) sample(out, "polyrouter_attempts_total", labels_of(key), h.count());

  family(out, "polyrouter_attempt_duration_seconds", "histogram",
         "Round-trip latency (for a stream, until it ended), by pool, model and outcome.");
  for (const auto& [key, h] : series) {
    Labels labels = labels_of(key);
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b < h.buckets.size(); ++b) {
      cumulative += h.buckets[b];
      labels.emplace_back("le", b < StatsObserver::bound_count ? std::string(StatsObserver::bound_labels[b]) : "+Inf");
      sample(out, "polyrouter_attempt_duration_seconds_bucket", labels, cumulative);
      labels.pop_back();
    }
    sample(out, "polyrouter_attempt_duration_seconds_sum", labels, seconds(h.sum_ns));
    sample(out, "polyrouter_attempt_duration_seconds_count", labels, cumulative);
  }
}

void health(std::string& out, const HealthSnapshot& snapshot) {
  std::map<std::pair<std::string, std::string>, std::uint64_t> quarantined;  // (pool, key)
  std::map<std::tuple<std::string, std::string, std::string>, std::uint64_t> model_states;  // (pool, model, state)
  std::map<std::pair<std::string, std::string>, std::uint64_t> cooldowns;  // (pool, model)
  constexpr ModelHealth::State states[] = {ModelHealth::State::ok, ModelHealth::State::missing,
                                           ModelHealth::State::breaker_open, ModelHealth::State::breaker_half_open};
  for (const PoolHealth& pool : snapshot.pools) {
    for (const KeyHealth& key : pool.keys) {
      quarantined[{pool.name, key.label}] += key.state == KeyHealth::State::quarantined ? 1 : 0;
    }
    for (const ModelHealth& model : pool.models) {
      for (ModelHealth::State state : states) {
        model_states[{pool.name, model.model, std::string(to_string(state))}] += model.state == state ? 1 : 0;
      }
      cooldowns[{pool.name, model.model}] += model.cooldowns.size();
    }
  }
  family(out, "polyrouter_key_quarantined", "gauge", "1 while the provider's rejection keeps the key out of its pool.");
  for (const auto& [key, n] : quarantined) {
    sample(out, "polyrouter_key_quarantined", {{"pool", key.first}, {"key", key.second}}, n);
  }
  family(out, "polyrouter_model_state", "gauge",
         "1 for the model's current state: ok, missing, breaker_open or breaker_half_open.");
  for (const auto& [key, n] : model_states) {
    sample(out, "polyrouter_model_state",
           {{"pool", std::get<0>(key)}, {"model", std::get<1>(key)}, {"state", std::get<2>(key)}}, n);
  }
  family(out, "polyrouter_cooldowns_active", "gauge",
         "Keys cooling down on the model after a rate limit.");
  for (const auto& [key, n] : cooldowns) {
    sample(out, "polyrouter_cooldowns_active", {{"pool", key.first}, {"model", key.second}}, n);
  }
}

}  // namespace

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

std::string prometheus_text(const StatsObserver& stats, const std::vector<PoolConfig>& pools,
                            const HealthSnapshot& snapshot) {
  std::string out;
  counters(out, stats.stats());
  attempts(out, stats, pools);
  health(out, snapshot);
  return out;
}

}  // namespace polyrouter::detail
