#include "providers/anthropic/errors.hpp"
#include "retry_hints.hpp"
#include "text_scan.hpp"

#include <cmath>
#include <ctime>

#include <nlohmann/json.hpp>

namespace polyrouter::detail::anthropic {
namespace {

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// A spend cap (details.error_code): it keeps failing until access resumes, next month or on a
// higher tier.
bool is_spend_cap(const ErrorBody& e) {
  if (!e.details.is_object()) return false;
  auto code = e.details.find("error_code");
  return code != e.details.end() && code->is_string() && *code == "enforced_spend_limit_reached";
}

}  // namespace

std::optional<double> parse_rfc3339(std::string_view text) {
  text = trim(text);
  // 2026-03-20T20:00:11[.123]Z
  const int year = digits_at(text, 0, 4);
  const int month = digits_at(text, 5, 2);
  const int day = digits_at(text, 8, 2);
  const int hour = digits_at(text, 11, 2);
  const int minute = digits_at(text, 14, 2);
  const int second = digits_at(text, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 ||
      minute > 59 || second < 0 || second > 60 || text[4] != '-' || text[7] != '-' || text[13] != ':' ||
      text[16] != ':' || (text[10] != 'T' && text[10] != 't' && text[10] != ' ')) {
    return std::nullopt;
  }
  std::size_t at = 19;
  double fraction = 0;
  if (at < text.size() && text[at] == '.') {
    double scale = 0.1;
    ++at;
    const std::size_t first = at;
    for (; at < text.size() && text[at] >= '0' && text[at] <= '9'; ++at, scale /= 10)
      fraction += (text[at] - '0') * scale;
    if (at == first) return std::nullopt;
  }
  double offset = 0;
  if (at < text.size() && (text[at] == 'Z' || text[at] == 'z')) {
    ++at;
  } else if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
    const int offset_hours = digits_at(text, at + 1, 2);
    const int offset_minutes = digits_at(text, at + 4, 2);
    if (offset_hours < 0 || offset_hours > 23 || offset_minutes < 0 || offset_minutes > 59 || text[at + 3] != ':') {
      return std::nullopt;
    }
    offset = (text[at] == '+' ? 1 : -1) * (offset_hours * 3600.0 + offset_minutes * 60.0);
    at += 6;
  } else {
    return std::nullopt;
  }
  if (at != text.size()) return std::nullopt;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const std::time_t when = timegm(&tm);
  if (when == static_cast<std::time_t>(-1)) return std::nullopt;
  return static_cast<double>(when) + fraction - offset;
}

std::optional<std::chrono::milliseconds> reset_hint(const ErrorBody&, const HttpResponse& response) {
  constexpr std::string_view prefix = "anthropic-ratelimit-";
  constexpr std::string_view reset_suffix = "-reset";
  std::optional<double> latest;
  for (const auto& [name, value] : response.headers) {
    const std::string_view n(name);
    if (n.size() <= prefix.size() + reset_suffix.size() || n.substr(0, prefix.size()) != prefix ||
        n.substr(n.size() - reset_suffix.size()) != reset_suffix) {
      continue;
    }
    // Only a limit with nothing left explains the refusal; a full bucket's reset says nothing.
    const std::string family(n.substr(prefix.size(), n.size() - prefix.size() - reset_suffix.size()));
    if (trim(response.header(std::string(prefix) + family + "-remaining")) != "0") continue;
    const std::optional<double> when = parse_rfc3339(value);
    if (when && (!latest || *when > *latest)) latest = when;
  }
  if (!latest) return std::nullopt;
  // The server's own clock, when it says it: a skewed local clock does not stretch the wait.
  const std::optional<double> date = detail::parse_http_date(response.header("date"));
  const double now =
      date ? *date : std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const double seconds = *latest - now;
  if (!std::isfinite(seconds) || seconds > 1e9) return std::nullopt;
  if (seconds <= 0) return std::chrono::milliseconds(0);
  return std::chrono::milliseconds(static_cast<long long>(std::ceil(seconds * 1000.0 - 1e-6)));
}

int status_of_error_type(std::string_view type) {
  if (type == "invalid_request_error") return 400;
  if (type == "authentication_error") return 401;
  if (type == "billing_error") return 402;
  if (type == "permission_error") return 403;
  if (type == "not_found_error") return 404;
  if (type == "conflict_error") return 409;
  if (type == "request_too_large") return 413;
  if (type == "rate_limit_error") return 429;
  if (type == "timeout_error") return 504;
  if (type == "overloaded_error") return 529;
  return 500;  // api_error, and types newer than this code
}

void classify_error(const ErrorBody& e, int status, const HttpResponse*, ErrorContext& context,
                    const std::string& message, std::string_view /*secret*/) {
  const std::string& type = e.type;
  if (type == "overloaded_error" || status == 529) {
    // Every user's traffic, not this key's: transient, retried with backoff.
    throw ProviderUnavailableError(message, std::move(context));
  }
  if (type == "request_too_large" || status == 413) {
    // The body's bytes, not its tokens: the same body is as large for any model.
    throw BadRequestError(message, std::move(context), BadRequestError::Cause::request);
  }
  if (type == "invalid_request_error") {
    // "prompt is too long: 200251 tokens > 200000 maximum"; "input length and `max_tokens`
    // exceed context limit: ...": another model (a larger window) may take it.
    if (contains(e.message, "prompt is too long") || contains(e.message, "exceed context limit")) {
      throw BadRequestError(message, std::move(context), BadRequestError::Cause::context_length);
    }
    // A 400 about the account, not the request: this key will not work until someone acts.
    if (contains(e.message, "credit balance is too low") || contains(e.message, "organization has been disabled")) {
      throw InvalidApiKeyError(message, std::move(context));
    }
    throw BadRequestError(message, std::move(context));
  }
  if (type == "authentication_error" || type == "permission_error" || type == "billing_error") {
    throw InvalidApiKeyError(message, std::move(context));
  }
  if (type == "not_found_error") throw ModelNotFoundError(message, std::move(context));
  if (type == "rate_limit_error") {
    if (is_spend_cap(e)) {
      throw RateLimitError(message, std::move(context), RateLimitError::Scope::key, /*daily=*/true,
                           /*no_quota=*/true);
    }
    throw RateLimitError(message, std::move(context), RateLimitError::Scope::key);
  }
  if (type == "api_error" || type == "timeout_error") throw ProviderUnavailableError(message, std::move(context));
  // Anything else (an edge's own body, a type newer than this code): the shared rules decide.
}

}  // namespace polyrouter::detail::anthropic
