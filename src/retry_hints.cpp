#include "retry_hints.hpp"
#include "text_scan.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <string>
#include <system_error>

namespace polyrouter::detail {
namespace {

// Parses a non-negative decimal number at the front of @p s; advances @p s past it. No
// allocation: every success answer's rate-limit resets go through here.
std::optional<double> take_number(std::string_view& s) {
  std::size_t i = 0;
  bool digits = false;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, digits = true;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, digits = true;
  }
  if (!digits) return std::nullopt;
  double value = 0;
  if (s[0] == '.') {
    // from_chars wants a digit first: ".5" is 0.5.
    double fraction = 0;
    if (std::from_chars(s.data() + 1, s.data() + i, fraction).ec != std::errc()) return std::nullopt;
    value = fraction / std::pow(10.0, static_cast<double>(i - 1));
  } else if (std::from_chars(s.data(), s.data() + i, value).ec != std::errc()) {
    return std::nullopt;
  }
  s.remove_prefix(i);
  return value;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
long long days_from_civil(long long y, unsigned m, unsigned d) {
  y -= m <= 2;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long long>(doe) - 719468;
}

std::optional<milliseconds> from_seconds(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0 || seconds > 1e9) return std::nullopt;
  // The epsilon absorbs binary rounding: "2.007s" must be 2007 ms, not 2008.
  return milliseconds(static_cast<long long>(std::ceil(seconds * 1000.0 - 1e-6)));
}

}  // namespace

std::optional<milliseconds> parse_float_seconds(std::string_view value) {
  value = trim(value);
  auto number = take_number(value);
  if (!number || !value.empty()) return std::nullopt;
  return from_seconds(*number);
}

std::optional<milliseconds> parse_go_duration(std::string_view value) {
  value = trim(value);
  if (value.empty()) return std::nullopt;
  double seconds = 0;
  while (!value.empty()) {
    auto number = take_number(value);
    if (!number) return std::nullopt;
    // "ms" before "m": 172ms is milliseconds, 2m is minutes.
    if (value.substr(0, 2) == "ms") {
      seconds += *number / 1000.0;
      value.remove_prefix(2);
    } else if (value.substr(0, 2) == "us" || value.substr(0, 2) == "\xC2\xB5") {
      seconds += *number / 1e6;
      value.remove_prefix(2);
    } else if (value.substr(0, 2) == "ns") {
      seconds += *number / 1e9;
      value.remove_prefix(2);
    } else if (!value.empty() && value.front() == 'h') {
      seconds += *number * 3600;
      value.remove_prefix(1);
    } else if (!value.empty() && value.front() == 'm') {
      seconds += *number * 60;
      value.remove_prefix(1);
    } else if (!value.empty() && value.front() == 's') {
      seconds += *number;
      value.remove_prefix(1);
    } else {
      return std::nullopt;
    }
  }
  return from_seconds(seconds);
}

std::optional<milliseconds> parse_proto_duration(std::string_view value) {
  value = trim(value);
  if (value.empty() || value.back() != 's') return std::nullopt;
  return parse_float_seconds(value.substr(0, value.size() - 1));
}

std::optional<milliseconds> parse_retry_after(std::string_view value,
                                              std::chrono::system_clock::time_point now) {
  value = trim(value);
  if (value.empty()) return std::nullopt;
  if (auto seconds = parse_float_seconds(value)) return seconds;
  // IMF-fixdate: "Wed, 21 Oct 2026 07:28:00 GMT".
  const std::optional<double> when = parse_http_date(value);
  if (!when) return std::nullopt;
  // In seconds as doubles: a far-future date does not fit a system_clock time point
  // (nanoseconds end in 2262), and the delay is capped as the numeric forms are.
  const double seconds = *when - std::chrono::duration<double>(now.time_since_epoch()).count();
  if (seconds <= 0) return milliseconds(0);
  return from_seconds(seconds);
}

std::optional<double> parse_http_date(std::string_view value) {
  value = trim(value);
  // "Wed, 21 Oct 2026 07:28:00 GMT": the weekday is not checked, the rest is.
  const auto comma = value.find(", ");
  if (comma == std::string_view::npos || comma > 9) return std::nullopt;
  const std::string_view date = value.substr(comma + 2);
  static constexpr std::string_view months = "JanFebMarAprMayJunJulAugSepOctNovDec";
  const int day = digits_at(date, 0, 2);
  if (day < 1 || day > 31 || date.size() < 20 || date[2] != ' ' || date[6] != ' ') return std::nullopt;
  const std::size_t month_at = months.find(date.substr(3, 3));
  if (month_at == std::string_view::npos || month_at % 3 != 0) return std::nullopt;
  const int year = digits_at(date, 7, 4);
  const int hour = digits_at(date, 12, 2);
  const int minute = digits_at(date, 15, 2);
  const int second = digits_at(date, 18, 2);
  if (year < 0 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60 ||
      date[11] != ' ' || date[14] != ':' || date[17] != ':') {
    return std::nullopt;
  }
  const long long days = days_from_civil(year, static_cast<unsigned>(month_at / 3 + 1), static_cast<unsigned>(day));
  return static_cast<double>(days * 86400 + hour * 3600 + minute * 60 + second);
}

std::optional<milliseconds> hint_in_message(std::string_view message) {
  for (std::string_view marker : {"try again in ", "retry in "}) {
    const auto at = message.find(marker);
    if (at == std::string_view::npos) continue;
    std::string_view rest = message.substr(at + marker.size());
    std::size_t len = 0;
    while (len < rest.size() && rest[len] != ' ' && rest[len] != ',') ++len;
    std::string_view token = rest.substr(0, len);
    if (!token.empty() && token.back() == '.') token.remove_suffix(1);
    if (auto d = parse_go_duration(token)) return d;
  }
  return std::nullopt;
}

std::optional<milliseconds> hint_from_headers(const HttpResponse& response) {
  if (auto ms = parse_float_seconds(response.header("retry-after-ms"))) {
    return milliseconds(ms->count() / 1000);  // the value was milliseconds, parsed as seconds
  }
  if (auto after = parse_retry_after(response.header("retry-after"), std::chrono::system_clock::now())) {
    return after;
  }
  // Exhausted buckets only: the reset of a bucket that still has room says nothing about a 429.
  std::optional<milliseconds> hint;
  for (const auto& [name, value] : response.headers) {
    constexpr std::string_view reset_prefix = "x-ratelimit-reset-";
    if (std::string_view(name).substr(0, reset_prefix.size()) != reset_prefix) continue;
    const std::string remaining = "x-ratelimit-remaining-" + name.substr(reset_prefix.size());
    if (trim(response.header(remaining)) != "0") continue;
    auto d = parse_go_duration(value);  // Groq: "2m59.56s"
    if (!d) d = parse_float_seconds(value);  // Cerebras: "11.38"
    if (d && (!hint || *d > *hint)) hint = d;
  }
  return hint;
}

}  // namespace polyrouter::detail
