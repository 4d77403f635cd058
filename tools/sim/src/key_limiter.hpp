#pragma once

// A provider-like rate limit on a key (a rule's `rate_limit`): a sliding window of W ms that
// admits at most N requests, and what the provider's headers say about it. Not thread-safe:
// the server locks around it.

#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <string>
#include <tuple>

#include "scenario.hpp"

namespace polyrouter::sim::detail {

class KeyLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  struct Verdict {
    bool admitted = true;
    std::size_t limit = 0;
    std::size_t remaining = 0;  ///< after this request
    /// Until the window has room for one more request (its oldest request leaves it), rounded
    /// up to the millisecond: a client that waits this long is admitted.
    std::chrono::milliseconds reset{0};
  };

  /// Counts one request of @p key under @p rule's limit at @p now (refused ones do not count).
  Verdict admit(const Rule& rule, Provider provider, const std::string& key, Clock::time_point now);
  void reset() { windows_.clear(); }

 private:
  std::map<std::tuple<std::size_t, Provider, std::string>, std::deque<Clock::time_point>> windows_;
};

/// @p reply (an answer to a request @p verdict admitted, or the provider's 429 when it did not)
/// with the provider's request-limit headers for it: Groq `x-ratelimit-*-requests` (Go
/// durations), Cerebras `x-ratelimit-*-requests-minute` (float seconds), Anthropic
/// `anthropic-ratelimit-requests-*` (RFC 3339); Gemini sends none.
struct Reply;
void add_limit_headers(Reply& reply, Provider provider, const KeyLimiter::Verdict& verdict);

}  // namespace polyrouter::sim::detail
