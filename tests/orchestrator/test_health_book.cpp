// The health book's rules, directly: the later deadline wins, breakers take one trial.

#include <catch2/catch.hpp>

#include "orchestrator/health.hpp"

using namespace polyrouter;
using namespace std::chrono_literals;
using detail::HealthBook;

namespace {
const detail::TimePoint t0 = detail::TimePoint(1000h);
}

TEST_CASE("a second rate limit while cooling keeps the later deadline", "[orchestrator][health]") {
  HealthBook book({{1, 2}}, BreakerPolicy{});
  book.cool(0, 0, 0, t0 + 30s);
  book.cool(0, 0, 0, t0 + 10s);  // shorter: ignored
  CHECK(book.check_key(0, 0, 0, t0 + 20s).state == HealthBook::KeyVerdict::State::cooling);
  CHECK(book.check_key(0, 0, 0, t0 + 20s).until == t0 + 30s);
  book.cool_model(0, 0, t0 + 15s);  // a shared-quota limit must not shorten it either
  CHECK(book.check_key(0, 0, 0, t0 + 20s).until == t0 + 30s);
  CHECK(book.check_key(0, 0, 1, t0 + 10s).until == t0 + 15s);
  book.cool(0, 0, 0, t0 + 45s);  // longer: taken
  CHECK(book.check_key(0, 0, 0, t0 + 40s).state == HealthBook::KeyVerdict::State::cooling);
  CHECK(book.check_key(0, 0, 0, t0 + 46s).state == HealthBook::KeyVerdict::State::usable);
}

TEST_CASE("a half-open breaker lets exactly one caller through", "[orchestrator][breaker]") {
  BreakerPolicy policy;
  policy.minimum_requests = 1;
  policy.open_duration = 10s;
  HealthBook book({{1, 1}}, policy);
  book.record_failure(0, 0, t0);
  CHECK(book.check_model(0, 0, t0 + 5s).state == HealthBook::ModelVerdict::State::breaker_open);
  const auto first = book.check_model(0, 0, t0 + 11s);
  CHECK(first.state == HealthBook::ModelVerdict::State::usable);
  CHECK(first.trial);
  CHECK(book.check_model(0, 0, t0 + 11s).state == HealthBook::ModelVerdict::State::breaker_open);
  book.release_trial(0, 0);  // the trial ended in, say, a rate limit: someone else may try
  CHECK(book.check_model(0, 0, t0 + 12s).trial);
  book.record_success(0, 0, 0, t0 + 12s);
  const auto closed = book.check_model(0, 0, t0 + 12s);
  CHECK(closed.state == HealthBook::ModelVerdict::State::usable);
  CHECK_FALSE(closed.trial);
}

TEST_CASE("earliest cooldown ignores quarantined keys and missing models", "[orchestrator][health]") {
  HealthBook book({{2, 2}}, BreakerPolicy{});
  book.cool(0, 0, 0, t0 + 5s);
  book.quarantine_key(0, 0, detail::forever);
  book.cool(0, 1, 1, t0 + 9s);
  CHECK(book.earliest_cooldown_end(t0) == t0 + 9s);
  book.mark_missing(0, 1, detail::forever);
  CHECK_FALSE(book.earliest_cooldown_end(t0).has_value());
}

TEST_CASE("the breaker opens on the failure ratio over its window, for longer on each trip in a row",
          "[orchestrator][breaker]") {
  BreakerPolicy policy;
  policy.failure_ratio = 0.5;
  policy.minimum_requests = 4;
  policy.window = 10s;
  policy.open_duration = 2s;
  policy.max_open_duration = 5s;
  HealthBook book({{1, 1}}, policy);
  using State = HealthBook::ModelVerdict::State;

  // Below the minimum, or below the ratio, it stays closed.
  book.record_failure(0, 0, t0);
  book.record_failure(0, 0, t0 + 1s);
  book.record_failure(0, 0, t0 + 2s);
  CHECK(book.check_model(0, 0, t0 + 2s).state == State::usable);
  for (int i = 0; i < 4; ++i) book.record_success(0, 0, 0, t0 + 3s);
  book.record_failure(0, 0, t0 + 3s);  // 4 of 8
  CHECK(book.check_model(0, 0, t0 + 3s).state == State::breaker_open);

  // Old outcomes leave the window: 3 failures of 3 after 20 s do not reach the minimum.
  HealthBook fresh({{1, 1}}, policy);
  for (int i = 0; i < 3; ++i) fresh.record_failure(0, 0, t0);
  fresh.record_failure(0, 0, t0 + 20s);
  fresh.record_failure(0, 0, t0 + 20s);
  CHECK(fresh.check_model(0, 0, t0 + 20s).state == State::usable);

  // The open interval: 2 s, then 4 s after a failed trial, then capped at 5 s.
  CHECK(book.check_model(0, 0, t0 + 4900ms).state == State::breaker_open);
  REQUIRE(book.check_model(0, 0, t0 + 5001ms).trial);
  book.record_failure(0, 0, t0 + 5001ms);
  CHECK(book.check_model(0, 0, t0 + 8900ms).state == State::breaker_open);
  REQUIRE(book.check_model(0, 0, t0 + 9002ms).trial);
  book.record_failure(0, 0, t0 + 9002ms);
  CHECK(book.check_model(0, 0, t0 + 13900ms).state == State::breaker_open);
  REQUIRE(book.check_model(0, 0, t0 + 14003ms).trial);
  book.record_success(0, 0, 0, t0 + 14003ms);
  CHECK(book.check_model(0, 0, t0 + 14003ms).state == State::usable);
}

TEST_CASE("a zero failure ratio never opens the breaker", "[orchestrator][breaker]") {
  BreakerPolicy policy;
  policy.failure_ratio = 0;
  policy.minimum_requests = 1;
  HealthBook book({{1, 1}}, policy);
  for (int i = 0; i < 100; ++i) book.record_failure(0, 0, t0);
  CHECK(book.check_model(0, 0, t0).state == HealthBook::ModelVerdict::State::usable);
}
