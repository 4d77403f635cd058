#pragma once
// Retry timing and the retry throttle (private).

#include <chrono>
#include <mutex>
#include <optional>
#include <random>

#include "polyrouter/config.hpp"

namespace polyrouter::detail {

/// Exponential backoff with jitter, in the style of the official SDKs: the n-th retry waits
/// min(initial * multiplier^n, max) shortened by up to `jitter`; a server hint replaces the
/// computed delay, capped at max_retry_hint.
class Backoff {
 public:
  Backoff(RetryPolicy policy, std::uint64_t seed);
  std::chrono::milliseconds delay(int retries_taken, std::optional<std::chrono::milliseconds> hint);

 private:
  RetryPolicy policy_;
  std::mutex mutex_;
  std::mt19937_64 random_;
};

/// gRPC's retry throttling: tokens start full; a failure costs 1, a success returns
/// token_ratio; retries are allowed while tokens > max_tokens / 2. Stops retry storms when
/// most attempts fail, without affecting failover to other keys and models.
class RetryThrottle {
 public:
  explicit RetryThrottle(RetryThrottlePolicy policy);
  void on_success();
  void on_failure();
  bool allows_retry() const;

 private:
  RetryThrottlePolicy policy_;
  mutable std::mutex mutex_;
  double tokens_;
};

}  // namespace polyrouter::detail
