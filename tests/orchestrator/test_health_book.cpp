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
  policy.failure_threshold = 1;
  policy.open_duration = 10s;
  HealthBook book({{1, 1}}, policy);
  book.record_transient_failure(0, 0, t0);
  CHECK(book.check_model(0, 0, t0 + 5s).state == HealthBook::ModelVerdict::State::breaker_open);
  const auto first = book.check_model(0, 0, t0 + 11s);
  CHECK(first.state == HealthBook::ModelVerdict::State::usable);
  CHECK(first.trial);
  CHECK(book.check_model(0, 0, t0 + 11s).state == HealthBook::ModelVerdict::State::breaker_open);
  book.release_trial(0, 0);  // the trial ended in, say, a rate limit: someone else may try
  CHECK(book.check_model(0, 0, t0 + 12s).trial);
  book.record_success(0, 0);
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
