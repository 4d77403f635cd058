#include "polyrouter/observe.hpp"

#include "polyrouter/health_change.hpp"

namespace polyrouter {
namespace {

std::string reset_text(const std::optional<std::chrono::milliseconds>& reset_in) {
  return reset_in ? " (resets in " + std::to_string(reset_in->count()) + " ms)" : std::string();
}

}  // namespace

std::string_view to_string(KeyHealth::State state) noexcept {
  return state == KeyHealth::State::ok ? "ok" : "quarantined";
}

std::string_view to_string(ModelHealth::State state) noexcept {
  switch (state) {
    case ModelHealth::State::ok: return "ok";
    case ModelHealth::State::missing: return "missing";
    case ModelHealth::State::breaker_open: return "breaker_open";
    case ModelHealth::State::breaker_half_open: return "breaker_half_open";
  }
  return "ok";
}

std::string_view to_string(HealthChange::Kind kind) noexcept {
  switch (kind) {
    case HealthChange::Kind::key_quarantined: return "key_quarantined";
    case HealthChange::Kind::model_missing: return "model_missing";
    case HealthChange::Kind::cooldown_started: return "cooldown_started";
    case HealthChange::Kind::cooldown_ended: return "cooldown_ended";
    case HealthChange::Kind::breaker_opened: return "breaker_opened";
    case HealthChange::Kind::breaker_half_opened: return "breaker_half_opened";
    case HealthChange::Kind::breaker_closed: return "breaker_closed";
  }
  return "unknown";
}

std::string format_health(const HealthSnapshot& snapshot) {
  std::string out;
  for (const PoolHealth& pool : snapshot.pools) {
    out += "pool " + pool.name + " (" + std::string(to_string(pool.provider)) + ")\n";
    for (const KeyHealth& key : pool.keys) {
      out += "  key   " + key.label + ": " + std::string(to_string(key.state));
      if (key.state != KeyHealth::State::ok) out += key.reset_in ? reset_text(key.reset_in) : " (for good)";
      out += "\n";
    }
    for (const ModelHealth& model : pool.models) {
      out += "  model " + model.model + ": " + std::string(to_string(model.state));
      if (model.state == ModelHealth::State::missing && !model.reset_in) out += " (for good)";
      out += reset_text(model.reset_in) + "\n";
      for (const Cooldown& c : model.cooldowns) {
        out += "    cooling with " + c.key_label + " for " + std::to_string(c.reset_in.count()) + " ms\n";
      }
    }
  }
  return out;
}

}  // namespace polyrouter
