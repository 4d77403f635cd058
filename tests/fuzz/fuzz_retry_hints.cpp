// Every retry-hint parser on any text: never throws, never negative, never beyond the cap
// (10^9 s), whatever the form (seconds, Go and protobuf durations, HTTP dates, messages).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "retry_hints.hpp"

using namespace polyrouter;
using std::chrono::milliseconds;

namespace {

void check(std::optional<milliseconds> hint, std::string_view input) {
  constexpr milliseconds cap{1'000'000'000'000};
  if (hint && (hint->count() < 0 || *hint > cap)) fuzz::fail("retry hint out of range", input);
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
  return 0;
}
