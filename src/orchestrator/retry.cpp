#include "orchestrator/retry.hpp"

#include <algorithm>
#include <cmath>

namespace polyrouter::detail {

Backoff::Backoff(RetryPolicy policy, std::uint64_t seed)
    : policy_(policy), random_(seed != 0 ? seed : std::random_device{}()) {}

std::chrono::milliseconds Backoff::delay(int retries_taken, std::optional<std::chrono::milliseconds> hint) {
  if (hint) return std::min(*hint, policy_.max_retry_hint);
  const double base = static_cast<double>(policy_.initial_backoff.count()) *
                      std::pow(policy_.multiplier, static_cast<double>(retries_taken));
  const double capped = std::min(base, static_cast<double>(policy_.max_backoff.count()));
  double fraction;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    fraction = std::uniform_real_distribution<double>(0.0, policy_.jitter)(random_);
  }
  return std::chrono::milliseconds(static_cast<long long>(capped * (1.0 - fraction)));
}

RetryThrottle::RetryThrottle(RetryThrottlePolicy policy) : policy_(policy), tokens_(policy.max_tokens) {}

void RetryThrottle::on_success() {
  std::lock_guard<std::mutex> lock(mutex_);
  tokens_ = std::min(policy_.max_tokens, tokens_ + policy_.token_ratio);
}

void RetryThrottle::on_failure() {
  std::lock_guard<std::mutex> lock(mutex_);
  tokens_ = std::max(0.0, tokens_ - 1.0);
}

bool RetryThrottle::allows_retry() const {
  if (!policy_.enabled) return true;
  std::lock_guard<std::mutex> lock(mutex_);
  return tokens_ > policy_.max_tokens / 2.0;
}

}  // namespace polyrouter::detail
