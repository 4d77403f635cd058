// Every retry-hint parser on any text: never throws, never negative, never beyond the cap
// (10^9 s), whatever the form (seconds, Go and protobuf durations, HTTP dates, messages).
// The rate-limit header reader too: the text as header lines, and as every known header's value.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "providers/rate_limit_headers.hpp"
#include "retry_hints.hpp"

using namespace polyrouter;
using std::chrono::milliseconds;

namespace {

void check(std::optional<milliseconds> hint, std::string_view input) {
  constexpr milliseconds cap{1'000'000'000'000};
  if (hint && (hint->count() < 0 || *hint > cap)) fuzz::fail("retry hint out of range", input);
}

void check(const RateLimitStatus& status, std::string_view input) {
  for (const RateLimitBucket* b : {&status.requests, &status.tokens}) {
    if (b->reset) check(b->reset, input);
  }
}

// The text as "name: value" lines, kept as the transport keeps them, then read.
void read_as_lines(std::string_view text) {
  detail::RateLimitLines lines;
  std::string_view rest = text;
  while (!rest.empty()) {
    const auto end = rest.find('\n');
    const std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    lines.add(line.substr(0, colon), line.substr(colon + 1));
  }
  check(detail::read_rate_limits(lines, 1'790'000'000.0), text);
  check(detail::read_rate_limits(lines), text);
  // A copy reads the same.
  const detail::RateLimitLines copy = lines;
  if (copy.size() != lines.size()) fuzz::fail("a copy of the lines lost some", text);
}

// The text as the value of every header the reader knows.
void read_as_values(std::string_view text) {
  for (const char* family : {"x-ratelimit-", "anthropic-ratelimit-"}) {
    detail::RateLimitLines lines;
    for (const char* name : {"limit-requests", "remaining-requests", "reset-requests", "limit-tokens",
                             "remaining-tokens", "reset-tokens", "requests-remaining", "requests-reset",
                             "tokens-remaining", "tokens-reset", "reset-requests-day", "reset-tokens-minute"}) {
      lines.add(std::string(family) + name, text);
    }
    lines.add("date", text);
    check(detail::read_rate_limits(lines, 1'790'000'000.0), text);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto now = std::chrono::system_clock::from_time_t(1'790'000'000);  // 2026
  check(detail::parse_retry_after(text, now), text);
  check(detail::parse_retry_after(text, std::chrono::system_clock::time_point{}), text);
  check(detail::parse_go_duration(text), text);
  check(detail::parse_float_seconds(text), text);
  check(detail::parse_proto_duration(text), text);
  check(detail::hint_in_message(text), text);
  detail::HttpResponse response;
  response.status = 429;
  for (const char* name : {"retry-after-ms", "retry-after", "x-ratelimit-reset-requests"}) {
    response.headers.emplace_back(name, std::string(text));
  }
  response.headers.emplace_back("x-ratelimit-remaining-requests", "0");
  check(detail::hint_from_headers(response), text);
  read_as_lines(text);
  read_as_values(text);
  return 0;
}
