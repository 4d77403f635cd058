#include "providers/json_read.hpp"

#include <cmath>
#include <limits>

namespace polyrouter::detail {

std::optional<std::int64_t> exact_int64(double value) noexcept {
  // -2^63 and 2^63 are exact doubles: every double in [-2^63, 2^63) converts without UB.
  constexpr double limit = 9223372036854775808.0;
  if (!(value >= -limit && value < limit) || std::trunc(value) != value) return std::nullopt;
  return static_cast<std::int64_t>(value);
}

std::optional<std::int64_t> exact_int64(std::uint64_t value) noexcept {
  if (value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
  return static_cast<std::int64_t>(value);
}

std::optional<std::int64_t> exact_int64(const nlohmann::json& value) noexcept {
  if (const auto* u = value.get_ptr<const nlohmann::json::number_unsigned_t*>()) return exact_int64(*u);
  if (const auto* i = value.get_ptr<const nlohmann::json::number_integer_t*>()) return *i;
  if (const auto* f = value.get_ptr<const nlohmann::json::number_float_t*>()) return exact_int64(*f);
  return std::nullopt;
}

std::int64_t int64_or_zero(const nlohmann::json& object, const char* name) {
  if (!object.is_object()) return 0;
  auto it = object.find(name);
  return it == object.end() ? 0 : exact_int64(*it).value_or(0);
}

std::string string_or(const nlohmann::json& object, const char* name, std::string fallback) {
  if (!object.is_object()) return fallback;
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : fallback;
}

bool is_true(const nlohmann::json& object, const char* name) {
  if (!object.is_object()) return false;
  auto it = object.find(name);
  return it != object.end() && *it == true;
}

}  // namespace polyrouter::detail
