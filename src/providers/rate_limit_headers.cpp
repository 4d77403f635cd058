#include "providers/rate_limit_headers.hpp"

#include <cmath>
#include <string>
#include <string_view>

#include "providers/anthropic/errors.hpp"
#include "retry_hints.hpp"
#include "text_scan.hpp"

namespace polyrouter::detail {
// Named, not anonymous: a unity build puts other files' helpers of the same names beside these.
namespace rate_limit_reading {

using std::chrono::milliseconds;

inline bool starts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && std::char_traits<char>::compare(s.data(), prefix.data(), prefix.size()) == 0;
}

// A count as the headers send it ("14399"): digits only, at most 18 of them.
std::optional<std::int64_t> integer(std::string_view text) {
  text = trim(text);
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

// Which of a provider's forms of a bucket is read when several come: a per-minute limit is the
// one a burst meets first (Cerebras may send -requests-minute next to -requests-day).
enum Form : int { none = 0, per_day = 1, plain = 2, per_minute = 3 };

struct Slot {
  RateLimitBucket bucket;
  Form form = none;

  void set(Form f, char field, std::string_view value, bool duration_is_go) {
    if (f < form) return;
    if (f > form) {
      bucket = {};
      form = f;
    }
    switch (field) {
      case 'l': bucket.limit = integer(value); break;
      case 'r': bucket.remaining = integer(value); break;
      default: {
        std::optional<milliseconds> d = duration_is_go ? parse_go_duration(value) : std::nullopt;
        if (!d) d = parse_float_seconds(value);  // Cerebras: "11.382867097854614"
        bucket.reset = d;
      }
    }
  }
};

// "limit-requests-day" (the rest after "x-ratelimit-"): field 'l'/'r'/'s' (reset), bucket and
// form. By letters and lengths first: this runs for six headers of every answer.
bool openai_name(std::string_view rest, char& field, bool& tokens, Form& form) {
  if (rest.size() < 12) return false;  // "reset-tokens" is the shortest
  std::size_t at = 0;
  if (rest[0] == 'l' && starts_with(rest, "limit-")) {
    field = 'l';
    at = 6;
  } else if (rest[2] == 'm' && starts_with(rest, "remaining-")) {
    field = 'r';
    at = 10;
  } else if (rest[2] == 's' && starts_with(rest, "reset-")) {
    field = 's';
    at = 6;
  } else {
    return false;
  }
  rest.remove_prefix(at);
  if (rest[0] == 'r' && starts_with(rest, "requests")) {
    tokens = false;
    rest.remove_prefix(8);
  } else if (rest[0] == 't' && starts_with(rest, "tokens")) {
    tokens = true;
    rest.remove_prefix(6);
  } else {
    return false;
  }
  if (rest.empty()) {
    form = plain;
  } else if (rest == "-minute") {
    form = per_minute;
  } else if (rest == "-day") {
    form = per_day;
  } else {
    return false;
  }
  return true;
}

// Anthropic's families: requests, tokens (the most restrictive token limit), input-tokens,
// output-tokens. The reset is an RFC 3339 time, kept as seconds since the epoch until `date` is known.
struct AnthropicFamily {
  RateLimitBucket bucket;
  std::optional<double> reset_at;
  bool seen = false;
};

}  // namespace rate_limit_reading

RateLimitStatus read_rate_limits(const RateLimitLines& lines, std::optional<double> now_seconds) {
  using namespace rate_limit_reading;  // NOLINT: the helpers above
  RateLimitStatus status;
  if (lines.empty()) return status;
  Slot requests, tokens;
  // requests, tokens, input-tokens, output-tokens
  AnthropicFamily anthropic[4];
  bool any_anthropic = false;
  std::string_view date;  // parsed only for Anthropic's resets
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string_view rest = lines.rest(i);
    const std::string_view value = lines.value(i);
    switch (lines.family(i)) {
      case RateLimitLines::Family::date:
        date = value;
        continue;
      case RateLimitLines::Family::x_ratelimit: {
        char field = 0;
        bool is_tokens = false;
        Form form = none;
        if (openai_name(rest, field, is_tokens, form)) {
          (is_tokens ? tokens : requests).set(form, field, value, /*duration_is_go=*/true);
        }
        continue;
      }
      case RateLimitLines::Family::anthropic_ratelimit: break;
    }
    std::string_view name = rest;
    int family = -1;
    for (const auto& [prefix, index] : {std::pair<std::string_view, int>{"requests-", 0}, {"tokens-", 1},
                                        {"input-tokens-", 2}, {"output-tokens-", 3}}) {
      if (starts_with(name, prefix)) {
        family = index;
        name.remove_prefix(prefix.size());
        break;
      }
    }
    if (family < 0) continue;
    AnthropicFamily& f = anthropic[family];
    if (name == "limit") {
      f.bucket.limit = integer(value);
    } else if (name == "remaining") {
      f.bucket.remaining = integer(value);
    } else if (name == "reset") {
      f.reset_at = anthropic::parse_rfc3339(value);
    } else {
      continue;
    }
    f.seen = any_anthropic = true;
  }
  status.requests = requests.bucket;
  status.tokens = tokens.bucket;
  if (!any_anthropic) return status;

  // The server's clock, when it says it: a skewed local clock does not stretch the wait.
  double now = 0;
  if (const std::optional<double> server_now = date.empty() ? std::nullopt : parse_http_date(date)) {
    now = *server_now;
  } else if (now_seconds) {
    now = *now_seconds;
  } else {
    now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  }
  for (AnthropicFamily& f : anthropic) {
    if (!f.reset_at) continue;
    const double seconds = *f.reset_at - now;
    if (!std::isfinite(seconds) || seconds > 1e9) continue;
    // A reset earlier than `date` is a full bucket.
    f.bucket.reset = seconds <= 0 ? milliseconds(0)
                                  : milliseconds(static_cast<long long>(std::ceil(seconds * 1000.0 - 1e-6)));
  }
  if (anthropic[0].seen) status.requests = anthropic[0].bucket;
  // Tokens: an exhausted family is the one that refuses the next request; else the most
  // restrictive one Anthropic names (tokens-*), else input tokens.
  int chosen = anthropic[1].seen ? 1 : anthropic[2].seen ? 2 : anthropic[3].seen ? 3 : -1;
  for (int i = 1; i <= 3; ++i) {
    const RateLimitBucket& b = anthropic[i].bucket;
    if (anthropic[i].seen && b.remaining && *b.remaining == 0 && b.reset &&
        (chosen < 0 || !anthropic[chosen].bucket.remaining || *anthropic[chosen].bucket.remaining != 0 ||
         !anthropic[chosen].bucket.reset || *b.reset > *anthropic[chosen].bucket.reset)) {
      chosen = i;
    }
  }
  if (chosen > 0) status.tokens = anthropic[chosen].bucket;
  return status;
}

}  // namespace polyrouter::detail
