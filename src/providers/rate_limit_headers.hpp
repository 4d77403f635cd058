#pragma once
// What an answer's headers say about the key's rate limits (private): Groq's and OpenAI's
// x-ratelimit-{limit,remaining,reset}-{requests,tokens}, Cerebras' -requests-day/-minute and
// -tokens-minute forms, Anthropic's anthropic-ratelimit-*. One pass over the few lines the
// transport kept (HttpResponse::rate_limits), no allocation; nothing to do when there are none.

#include <chrono>
#include <optional>

#include "http/transport.hpp"
#include "polyrouter/rate_limits.hpp"

namespace polyrouter::detail {

/// The limits @p lines describe. Resets are durations from the answer: Anthropic's RFC 3339
/// resets are measured from its `date` header (the server's clock), else from @p now_seconds
/// (seconds since the epoch; read from the system clock only when needed and not given).
RateLimitStatus read_rate_limits(const RateLimitLines& lines, std::optional<double> now_seconds = std::nullopt);

}  // namespace polyrouter::detail
