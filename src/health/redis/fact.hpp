#pragma once
// One thing a fleet shares (private): what it is, whom it is about, until when; its Redis key
// and the description written beside it and sent on the channel.

#include <optional>
#include <string>
#include <string_view>

#include "polyrouter/health_store.hpp"

namespace polyrouter::detail::redis {

struct Fact {
  enum class Kind { quarantine, missing, cool_route, cool_model, breaker };
  Kind kind = Kind::quarantine;
  std::string pool, model, fingerprint;  ///< model: empty for a key's; fingerprint: empty for a model's
  HealthTime until{};                    ///< local time; HealthTime{} = cleared (a breaker closed)
};

/// Its Redis key under @p prefix: `P{k:FP}:…` for a key's facts, `P{m:POOL:MODEL}:…` for a
/// model's (hash tags: one key's entries share a cluster slot).
std::string key_name(const Fact& fact, const std::string& prefix);

/// The description written by @p origin: `{"o":…,"t":"quarantine","p":…,"m":…,"f":…}`.
std::string describe(const Fact& fact, const std::string& origin);

/// Reads a description (any text: nullopt unless it is one, never throws); @p origin gets its
/// writer. `until` is left empty: the caller places the time left on its clock.
std::optional<Fact> read_description(std::string_view text, std::string& origin);

}  // namespace polyrouter::detail::redis
