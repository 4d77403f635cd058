#pragma once
// Reading values out of provider JSON (private). A provider may send any value anywhere: a
// number beyond int64 (converting it would be undefined behaviour), a number where a string
// belongs. The parsers read through these checks, which treat a misfit as absent and never throw
// a JSON library exception.

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace polyrouter::detail {

/// @p value when it is a whole number within int64; nullopt for a fraction, NaN, an infinity
/// or anything beyond int64.
std::optional<std::int64_t> exact_int64(double value) noexcept;
/// @p value when it is an unsigned number within int64.
std::optional<std::int64_t> exact_int64(std::uint64_t value) noexcept;
/// @p value when it is a JSON number holding a whole int64 (1, 1.0); nullopt for any other
/// value, number or not.
std::optional<std::int64_t> exact_int64(const nlohmann::json& value) noexcept;

/// The whole int64 number @p object holds under @p name, or 0 when absent or not one.
std::int64_t int64_or_zero(const nlohmann::json& object, const char* name);

/// The string @p object holds under @p name, or @p fallback when absent or not a string.
std::string string_or(const nlohmann::json& object, const char* name, std::string fallback = {});

/// Whether @p object holds true under @p name.
bool is_true(const nlohmann::json& object, const char* name);

}  // namespace polyrouter::detail
