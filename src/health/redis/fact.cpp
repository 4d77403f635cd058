#include "health/redis/fact.hpp"

#include <nlohmann/json.hpp>

namespace polyrouter::detail::redis {
namespace {

constexpr struct {
  Fact::Kind kind;
  const char* name;
} kinds[] = {{Fact::Kind::quarantine, "quarantine"},
             {Fact::Kind::missing, "missing"},
             {Fact::Kind::cool_route, "cool_route"},
             {Fact::Kind::cool_model, "cool_model"},
             {Fact::Kind::breaker, "breaker"}};

const char* name_of(Fact::Kind kind) {
  for (const auto& k : kinds) {
    if (k.kind == kind) return k.name;
  }
  return "?";
}

// A string field, or "" when absent or of another type (a message is anyone's text).
std::string text_field(const nlohmann::json& object, const char* name) {
  const auto found = object.find(name);
  return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

}  // namespace

std::string key_name(const Fact& f, const std::string& prefix) {
  switch (f.kind) {
    case Fact::Kind::quarantine: return prefix + "{k:" + f.fingerprint + "}:quarantine:" + f.pool;
    case Fact::Kind::cool_route: return prefix + "{k:" + f.fingerprint + "}:cool:" + f.pool + ":" + f.model;
    case Fact::Kind::missing: return prefix + "{m:" + f.pool + ":" + f.model + "}:missing";
    case Fact::Kind::cool_model: return prefix + "{m:" + f.pool + ":" + f.model + "}:cool";
    case Fact::Kind::breaker: return prefix + "{m:" + f.pool + ":" + f.model + "}:breaker";
  }
  return prefix;
}

std::string describe(const Fact& f, const std::string& origin) {
  nlohmann::json meta{{"o", origin}, {"t", name_of(f.kind)}, {"p", f.pool}};
  if (!f.model.empty()) meta["m"] = f.model;
  if (!f.fingerprint.empty()) meta["f"] = f.fingerprint;
  // Pool and model names are the user's: any bytes, replaced where they are not UTF-8.
  return meta.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<Fact> read_description(std::string_view text, std::string& origin) {
  const auto meta = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!meta.is_object()) return std::nullopt;
  const std::string kind = text_field(meta, "t");
  Fact f;
  bool known = false;
  for (const auto& k : kinds) {
    if (kind == k.name) {
      f.kind = k.kind;
      known = true;
    }
  }
  if (!known) return std::nullopt;
  f.pool = text_field(meta, "p");
  f.model = text_field(meta, "m");
  f.fingerprint = text_field(meta, "f");
  // What a fact is about decides where it applies: one without it is nobody's.
  const bool about_key = f.kind == Fact::Kind::quarantine || f.kind == Fact::Kind::cool_route;
  const bool about_model = f.kind != Fact::Kind::quarantine;
  if (f.pool.empty() || (about_key && f.fingerprint.empty()) || (about_model && f.model.empty())) return std::nullopt;
  origin = text_field(meta, "o");
  return f;
}

}  // namespace polyrouter::detail::redis
