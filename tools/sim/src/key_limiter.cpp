#include "key_limiter.hpp"

#include <algorithm>

#include "provider_wire.hpp"

namespace polyrouter::sim::detail {

KeyLimiter::Verdict KeyLimiter::admit(const Rule& rule, Provider provider, const std::string& key,
                                      Clock::time_point now) {
  const KeyRateLimit& limit = *rule.rate_limit;
  auto& window = windows_[{rule.index, provider, key}];
  // Half-open windows: a request made W ago has just left.
  while (!window.empty() && window.front() <= now - limit.window) window.pop_front();
  Verdict v;
  v.limit = limit.requests;
  v.admitted = window.size() < limit.requests;
  if (v.admitted) window.push_back(now);
  v.remaining = limit.requests - std::min(window.size(), limit.requests);
  if (!window.empty()) {
    v.reset = std::chrono::ceil<std::chrono::milliseconds>(window.front() + limit.window - now);
  }
  return v;
}

void add_limit_headers(Reply& reply, Provider provider, const KeyLimiter::Verdict& verdict) {
  const double reset_s = static_cast<double>(verdict.reset.count()) / 1000.0;
  std::vector<std::pair<std::string, std::string>> headers;
  switch (provider) {
    case Provider::groq:
      headers = {{"x-ratelimit-limit-requests", std::to_string(verdict.limit)},
                 {"x-ratelimit-remaining-requests", std::to_string(verdict.remaining)},
                 {"x-ratelimit-reset-requests", go_duration(reset_s)}};
      break;
    case Provider::cerebras:
      headers = {{"x-ratelimit-limit-requests-minute", std::to_string(verdict.limit)},
                 {"x-ratelimit-remaining-requests-minute", std::to_string(verdict.remaining)},
                 {"x-ratelimit-reset-requests-minute", float_seconds(reset_s)}};
      break;
    case Provider::anthropic:
      headers = {{"anthropic-ratelimit-requests-limit", std::to_string(verdict.limit)},
                 {"anthropic-ratelimit-requests-remaining", std::to_string(verdict.remaining)},
                 {"anthropic-ratelimit-requests-reset", rfc3339_from_now(reset_s)}};
      break;
    case Provider::gemini: return;  // no rate-limit headers, like the real API
  }
  // These replace what the wire put there for a healthy or unrelated bucket.
  auto& h = reply.headers;
  h.erase(std::remove_if(h.begin(), h.end(),
                         [&](const auto& header) {
                           return std::any_of(headers.begin(), headers.end(),
                                              [&](const auto& mine) { return mine.first == header.first; });
                         }),
          h.end());
  h.insert(h.end(), headers.begin(), headers.end());
  if (!verdict.admitted) {
    // The provider says when to come back: whole seconds, as Retry-After is sent.
    h.erase(std::remove_if(h.begin(), h.end(), [](const auto& header) { return header.first == "retry-after"; }),
            h.end());
    h.emplace_back("retry-after", retry_after_header(reset_s));
  }
}

}  // namespace polyrouter::sim::detail
