#pragma once
/// @file Rate budgets: what a key may spend per window (configured, RateBudget), and what a
/// provider says a key has left with each answer (learned, RateLimitStatus).

#include <chrono>
#include <cstdint>
#include <optional>

#include "polyrouter/export.hpp"

namespace polyrouter {

/// A budget for each key of a pool, kept on this side so that a key is skipped (or waited for
/// within max_wait) before the provider has to refuse it with a 429. Any window of `window`
/// holds at most `requests` attempts and starts no attempt once `tokens` are spent in it. In
/// process by default; shared by a fleet through a shared HealthStore (RedisHealthStore).
struct POLYROUTER_API RateBudget {
  std::int64_t requests = 0;  ///< attempts per window; 0 = no request budget
  std::int64_t tokens = 0;    ///< tokens per window (the answers' usage); 0 = no token budget
  std::chrono::milliseconds window{std::chrono::minutes(1)};

  bool enabled() const noexcept { return requests > 0 || tokens > 0; }
};

/// One of a provider's limits as an answer's headers describe it.
struct POLYROUTER_API RateLimitBucket {
  std::optional<std::int64_t> limit;
  std::optional<std::int64_t> remaining;
  std::optional<std::chrono::milliseconds> reset;  ///< until the bucket is full again
};

/// What the provider said about the key with an answer: `x-ratelimit-{limit,remaining,reset}-
/// {requests,tokens}` (Groq, OpenAI), their `-day`/`-minute` forms (Cerebras) and
/// `anthropic-ratelimit-*`. Empty when it sent none (Gemini).
struct POLYROUTER_API RateLimitStatus {
  RateLimitBucket requests;
  RateLimitBucket tokens;

  bool empty() const noexcept {
    return !requests.limit && !requests.remaining && !requests.reset && !tokens.limit && !tokens.remaining &&
           !tokens.reset;
  }
};

}  // namespace polyrouter
