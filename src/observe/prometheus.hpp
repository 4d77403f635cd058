#pragma once
// The Prometheus text exposition (format 0.0.4) of an orchestrator's counters, latency
// histograms and health (private; Orchestrator::metrics_text() is the public face).

#include <string>
#include <string_view>
#include <vector>

#include "observe/stats_observer.hpp"
#include "polyrouter/config.hpp"
#include "polyrouter/observe.hpp"

namespace polyrouter::detail {

/// Every metric, `polyrouter_` prefixed, with HELP and TYPE lines. @p pools: the configuration
/// the routes of @p stats were sized from (pool names filled in); @p health: read now.
std::string prometheus_text(const StatsObserver& stats, const std::vector<PoolConfig>& pools,
                            const HealthSnapshot& health);

/// @p value as a label value: backslash, double quote and line feed escaped.
std::string escape_label_value(std::string_view value);

}  // namespace polyrouter::detail
