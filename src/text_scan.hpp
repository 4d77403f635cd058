#pragma once
// Small readers of header and date text (private), shared by the retry-hint, rate-limit and
// provider error parsers. No allocation.

#include <cstddef>
#include <string_view>

namespace polyrouter::detail {

/// @p s without leading blanks and trailing blanks or line ends.
inline std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

/// Exactly @p digits decimal digits at @p at; -1 when they are not there.
inline int digits_at(std::string_view text, std::size_t at, std::size_t digits) {
  if (at + digits > text.size()) return -1;
  int value = 0;
  for (std::size_t i = at; i < at + digits; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

}  // namespace polyrouter::detail
