// The private parsers for "come back later" hints (src/retry_hints.hpp): Go durations (Groq),
// float seconds (Cerebras), protobuf durations (Gemini RetryInfo), Retry-After, message hints.

#include <chrono>
#include <ctime>
#include <optional>
#include <string>

#include <catch2/catch.hpp>

#include "fixtures.hpp"
#include "retry_hints.hpp"

using polyrouter::detail::hint_from_headers;
using polyrouter::detail::hint_in_message;
using polyrouter::detail::HttpResponse;
using polyrouter::detail::parse_float_seconds;
using polyrouter::detail::parse_go_duration;
using polyrouter::detail::parse_proto_duration;
using polyrouter::detail::parse_retry_after;
namespace pt = polyrouter::test;

namespace {

// The value in milliseconds, or -1 for nullopt (so failures print a number).
long long ms(const std::optional<std::chrono::milliseconds>& d) { return d ? d->count() : -1; }

std::chrono::system_clock::time_point utc(int year, int month, int day, int hour, int minute, int second) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

HttpResponse with_headers(std::vector<std::pair<std::string, std::string>> headers) {
  HttpResponse r;
  r.status = 429;
  r.headers = std::move(headers);
  return r;
}

HttpResponse from_headers_file(const char* name) {
  HttpResponse r;
  const pt::HeadersFile file = pt::load_headers_file(name);
  r.status = file.status;
  r.headers = file.headers;  // the fixtures write names in lower case, as the transport stores them
  return r;
}

}  // namespace

TEST_CASE("Go durations as Groq sends them", "[retry_hints][groq]") {
  CHECK(ms(parse_go_duration("2m59.56s")) == 179560);
  CHECK(ms(parse_go_duration("172ms")) == 172);
  CHECK(ms(parse_go_duration("391ms")) == 391);
  CHECK(ms(parse_go_duration("1h2m3s")) == 3723000);
  CHECK(ms(parse_go_duration("6s")) == 6000);
  CHECK(ms(parse_go_duration("1.57s")) == 1570);
  CHECK(ms(parse_go_duration("7.66s")) == 7660);
  CHECK(ms(parse_go_duration("11.455s")) == 11455);
  CHECK(ms(parse_go_duration("9m38.016s")) == 578016);
  CHECK(ms(parse_go_duration("23m58.56s")) == 1438560);
  CHECK(ms(parse_go_duration("1m26.4s")) == 86400);
  CHECK(ms(parse_go_duration("6m0s")) == 360000);
  CHECK(ms(parse_go_duration("1.5h")) == 5400000);
  CHECK(ms(parse_go_duration("0s")) == 0);
  CHECK(ms(parse_go_duration(" 12ms ")) == 12);
}

TEST_CASE("Go durations below a millisecond round up, never down to zero", "[retry_hints][groq]") {
  CHECK(ms(parse_go_duration("500us")) == 1);
  CHECK(ms(parse_go_duration("1500us")) == 2);
  CHECK(ms(parse_go_duration("250ns")) == 1);
}

TEST_CASE("Text that is not a Go duration is rejected", "[retry_hints][groq]") {
  for (const char* text : {"", "   ", "s", "12", "5x", "1.5 s", "-1s", "abc", "1m-2s", "ms", "2m59.56"}) {
    INFO('"' << text << '"');
    CHECK_FALSE(parse_go_duration(text).has_value());
  }
}

TEST_CASE("Go durations with three decimals are exact to the millisecond", "[retry_hints][groq]") {
  // ceil(seconds * 1000) in floating point turns 2.007 s into 2008 ms (2.007 * 1000 = 2007.0000000000002).
  CHECK(ms(parse_go_duration("2.007s")) == 2007);
  CHECK(ms(parse_go_duration("4.009s")) == 4009);
  CHECK(ms(parse_float_seconds("2.011")) == 2011);
  CHECK(ms(parse_proto_duration("8.015s")) == 8015);
}

TEST_CASE("Float seconds as Cerebras sends them", "[retry_hints][cerebras]") {
  CHECK(ms(parse_float_seconds("11.382867097854614")) == 11383);  // rounded up: never retry early
  CHECK(ms(parse_float_seconds("33011.382867097855")) == 33011383);
  CHECK(ms(parse_float_seconds("0")) == 0);
  CHECK(ms(parse_float_seconds("12")) == 12000);
  CHECK(ms(parse_float_seconds("0.25")) == 250);
  CHECK(ms(parse_float_seconds(" 3 ")) == 3000);
  for (const char* text : {"", "abc", "-5", "1.2.3", "12s", "1e3", "inf", "nan", "."}) {
    INFO('"' << text << '"');
    CHECK_FALSE(parse_float_seconds(text).has_value());
  }
}

TEST_CASE("Protobuf durations as in Gemini's RetryInfo", "[retry_hints][gemini]") {
  CHECK(ms(parse_proto_duration("26s")) == 26000);
  CHECK(ms(parse_proto_duration("34.4s")) == 34400);
  CHECK(ms(parse_proto_duration("45.837906927s")) == 45838);
  CHECK(ms(parse_proto_duration("0.5s")) == 500);
  CHECK(ms(parse_proto_duration("0s")) == 0);
  for (const char* text : {"", "26", "s", "-1s", "26ms", "1m", "abc", "1.5.5s"}) {
    INFO('"' << text << '"');
    CHECK_FALSE(parse_proto_duration(text).has_value());
  }
}

TEST_CASE("Retry-After in seconds or as an IMF-fixdate", "[retry_hints]") {
  const auto now = utc(2026, 10, 21, 7, 27, 0);
  CHECK(ms(parse_retry_after("12", now)) == 12000);
  CHECK(ms(parse_retry_after("1.5", now)) == 1500);
  CHECK(ms(parse_retry_after("0", now)) == 0);
  CHECK(ms(parse_retry_after("Wed, 21 Oct 2026 07:28:00 GMT", now)) == 60000);
  CHECK(ms(parse_retry_after("Thu, 22 Oct 2026 07:27:00 GMT", now)) == 86400000);
  CHECK(ms(parse_retry_after("  Wed, 21 Oct 2026 07:27:30 GMT  ", now)) == 30000);
  // A date in the past means "now", never a negative delay.
  CHECK(ms(parse_retry_after("Wed, 21 Oct 2026 07:00:00 GMT", now)) == 0);
  for (const char* text : {"", "soon", "-5", "21 Oct 2026", "Wed, 99 Foo 2026 07:28:00 GMT"}) {
    INFO('"' << text << '"');
    CHECK_FALSE(parse_retry_after(text, now).has_value());
  }
}

TEST_CASE("HTTP dates (date, Retry-After) read without a library call", "[retry_hints]") {
  using polyrouter::detail::parse_http_date;
  const auto seconds = [](const std::optional<double>& d) { return d ? static_cast<long long>(*d) : -1LL; };
  CHECK(seconds(parse_http_date("Fri, 20 Mar 2026 19:59:59 GMT")) == 1774036799);
  CHECK(seconds(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT")) == 0);
  CHECK(seconds(parse_http_date("Tue, 29 Feb 2028 12:00:00 GMT")) == 1835438400);  // a leap day
  CHECK(seconds(parse_http_date("Thu, 12 Feb 2026 22:38:03 GMT")) ==
        std::chrono::system_clock::to_time_t(utc(2026, 2, 12, 22, 38, 3)));
  for (const char* text : {"", "Fri, 20 Mar 2026", "Fri, 20 Foo 2026 19:59:59 GMT", "Fri, 2 Mar 2026 19:59:59 GMT",
                           "Fri, 20 Mar 2026 25:59:59 GMT", "Fri 20 Mar 2026 19:59:59 GMT", "2026-03-20T19:59:59Z"}) {
    INFO('"' << text << '"');
    CHECK_FALSE(parse_http_date(text).has_value());
  }
}

TEST_CASE("Waits embedded in provider messages", "[retry_hints]") {
  CHECK(ms(hint_in_message("Rate limit reached for model `llama-3.3-70b-versatile` in organization `org_01` "
                           "service tier `on_demand` on tokens per minute (TPM): Limit 12000, Used 4437, Requested "
                           "9854. Please try again in 11.455s. Need more tokens? Upgrade to Dev Tier today")) == 11455);
  CHECK(ms(hint_in_message("... on requests per day (RPD): Limit 1000, Used 1000, Requested 1. Please try again in "
                           "1m26.4s. Need more requests?")) == 86400);
  CHECK(ms(hint_in_message("Please try again in 9m38.016s.")) == 578016);
  CHECK(ms(hint_in_message("Please try again in 172ms, or upgrade")) == 172);
  CHECK(ms(hint_in_message("You exceeded your current quota. Please retry in 36.429760048s.")) == 36430);
  CHECK(ms(hint_in_message("Please retry in 26s")) == 26000);
  CHECK_FALSE(hint_in_message("We're experiencing high traffic right now! Please try again soon.").has_value());
  CHECK_FALSE(hint_in_message("please reduce your message size and try again. Need more tokens?").has_value());
  CHECK_FALSE(hint_in_message("").has_value());
  CHECK_FALSE(hint_in_message("Please try again in a moment.").has_value());
}

TEST_CASE("Header hints in precedence order", "[retry_hints]") {
  SECTION("retry-after-ms is milliseconds") {
    CHECK(ms(hint_from_headers(with_headers({{"retry-after-ms", "1500"}}))) == 1500);
    CHECK(ms(hint_from_headers(with_headers({{"retry-after-ms", "20"}}))) == 20);
  }
  SECTION("retry-after-ms wins over retry-after") {
    CHECK(ms(hint_from_headers(with_headers({{"retry-after", "12"}, {"retry-after-ms", "250"}}))) == 250);
  }
  SECTION("retry-after wins over x-ratelimit-reset") {
    CHECK(ms(hint_from_headers(with_headers({{"retry-after", "12"},
                                             {"x-ratelimit-remaining-requests", "0"},
                                             {"x-ratelimit-reset-requests", "2m59.56s"}}))) == 12000);
  }
  SECTION("retry-after as a date is relative to now") {
    const std::time_t in_a_minute = std::time(nullptr) + 60;
    std::tm tm{};
    gmtime_r(&in_a_minute, &tm);
    char date[64];
    const std::size_t n = std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    const long long hint = ms(hint_from_headers(with_headers({{"retry-after", std::string(date, n)}})));
    CHECK(hint > 58000);
    CHECK(hint <= 60000);
  }
  SECTION("only exhausted buckets count; the longest reset wins") {
    CHECK(ms(hint_from_headers(with_headers({{"x-ratelimit-remaining-requests", "14350"},
                                             {"x-ratelimit-reset-requests", "2m59.56s"},
                                             {"x-ratelimit-remaining-tokens", "0"},
                                             {"x-ratelimit-reset-tokens", "7.66s"}}))) == 7660);
    CHECK(ms(hint_from_headers(with_headers({{"x-ratelimit-remaining-requests", "0"},
                                             {"x-ratelimit-reset-requests", "2m59.56s"},
                                             {"x-ratelimit-remaining-tokens", "0"},
                                             {"x-ratelimit-reset-tokens", "7.66s"}}))) == 179560);
    CHECK_FALSE(hint_from_headers(with_headers({{"x-ratelimit-remaining-requests", "1"},
                                                {"x-ratelimit-reset-requests", "2m59.56s"}}))
                    .has_value());
    CHECK_FALSE(hint_from_headers(with_headers({{"x-ratelimit-reset-requests", "2m59.56s"}})).has_value());
  }
  SECTION("Cerebras float-second resets") {
    CHECK(ms(hint_from_headers(with_headers({{"x-ratelimit-remaining-requests-day", "0"},
                                             {"x-ratelimit-reset-requests-day", "33011.382867097855"},
                                             {"x-ratelimit-remaining-tokens-minute", "59000"},
                                             {"x-ratelimit-reset-tokens-minute", "11.382867097854614"}}))) == 33011383);
  }
  SECTION("garbage values are ignored") {
    CHECK_FALSE(hint_from_headers(with_headers({{"retry-after", "soon"}, {"retry-after-ms", "x"}})).has_value());
    CHECK(ms(hint_from_headers(with_headers({{"retry-after-ms", "x"}, {"retry-after", "3"}}))) == 3000);
  }
  SECTION("no headers, no hint") { CHECK_FALSE(hint_from_headers(HttpResponse{}).has_value()); }
}

TEST_CASE("Header hints from the fixtures' real header sets", "[retry_hints][groq][cerebras][gemini]") {
  CHECK(ms(hint_from_headers(from_headers_file("groq_429.headers.txt"))) == 12000);
  CHECK(ms(hint_from_headers(from_headers_file("cerebras_429_requests.headers.txt"))) == 11383);
  CHECK_FALSE(hint_from_headers(from_headers_file("groq_ok.headers.txt")).has_value());
  CHECK_FALSE(hint_from_headers(from_headers_file("cerebras_ok.headers.txt")).has_value());
  CHECK_FALSE(hint_from_headers(from_headers_file("gemini_429.headers.txt")).has_value());
}
