// The health store's rules, directly: the later deadline wins, breakers take one trial.

#include <catch2/catch.hpp>

#include "store_fixture.hpp"

using namespace polyrouter;
using namespace std::chrono_literals;
using test::t0;
using KeyState = HealthStore::KeyVerdict::State;
using ModelState = HealthStore::ModelVerdict::State;

TEST_CASE("a second rate limit while cooling keeps the later deadline", "[orchestrator][health]") {
  test::StoreFixture f({{1, 2}});
  HealthStore& store = f.store;
  store.cool_route(f.route(0, 0, 0), t0, t0 + 30s);
  store.cool_route(f.route(0, 0, 0), t0, t0 + 10s);  // shorter: ignored
  CHECK(store.check_route(f.route(0, 0, 0), t0 + 20s).state == KeyState::cooling);
  CHECK(store.check_route(f.route(0, 0, 0), t0 + 20s).until == t0 + 30s);
  store.cool_model(f.model(0, 0), t0, t0 + 15s);  // a shared-quota limit must not shorten it either
  CHECK(store.check_route(f.route(0, 0, 0), t0 + 20s).until == t0 + 30s);
  CHECK(store.check_route(f.route(0, 0, 1), t0 + 10s).until == t0 + 15s);
  store.cool_route(f.route(0, 0, 0), t0, t0 + 45s);  // longer: taken
  CHECK(store.check_route(f.route(0, 0, 0), t0 + 40s).state == KeyState::cooling);
  CHECK(store.check_route(f.route(0, 0, 0), t0 + 46s).state == KeyState::usable);
}

TEST_CASE("a half-open breaker lets exactly one caller through", "[orchestrator][breaker]") {
  BreakerPolicy policy;
  policy.minimum_requests = 1;
  policy.open_duration = 10s;
  test::StoreFixture f({{1, 1}}, policy);
  HealthStore& store = f.store;
  const ModelId& m = f.model(0, 0);
  store.record_failure(m, t0, {});
  CHECK(store.check_model(m, t0 + 5s).state == ModelState::breaker_open);
  CHECK_FALSE(store.claim_trial(m, t0 + 5s, t0 + 65s));  // not before the open interval ends
  CHECK(store.check_model(m, t0 + 11s).state == ModelState::trial_available);
  CHECK(store.check_model(m, t0 + 11s).state == ModelState::trial_available);  // checking claims nothing
  const auto first = store.claim_trial(m, t0 + 11s, t0 + 71s);
  CHECK(first);
  CHECK(store.check_model(m, t0 + 11s).state == ModelState::breaker_open);
  CHECK_FALSE(store.claim_trial(m, t0 + 11s, t0 + 71s));
  store.release_trial(m, first);  // the trial ended in, say, a rate limit: someone else may try
  const auto second = store.claim_trial(m, t0 + 12s, t0 + 72s);
  CHECK(second);
  store.record_success(f.route(0, 0, 0), t0 + 12s);
  CHECK(store.check_model(m, t0 + 12s).state == ModelState::usable);
  CHECK_FALSE(store.claim_trial(m, t0 + 12s, t0 + 72s));  // closed: there is no trial to claim
}

TEST_CASE("earliest cooldown ignores quarantined keys and missing models", "[orchestrator][health]") {
  test::StoreFixture f({{2, 2}});
  HealthStore& store = f.store;
  store.cool_route(f.route(0, 0, 0), t0, t0 + 5s);
  store.quarantine_key(f.key(0, 0), t0, health_forever);
  store.cool_route(f.route(0, 1, 1), t0, t0 + 9s);
  CHECK(store.earliest_cooldown_end(f.table, t0) == t0 + 9s);
  store.mark_missing(f.model(0, 1), t0, health_forever);
  CHECK_FALSE(store.earliest_cooldown_end(f.table, t0).has_value());
}

TEST_CASE("the breaker opens on the failure ratio over its window, for longer on each trip in a row",
          "[orchestrator][breaker]") {
  BreakerPolicy policy;
  policy.failure_ratio = 0.5;
  policy.minimum_requests = 4;
  policy.window = 10s;
  policy.open_duration = 2s;
  policy.max_open_duration = 5s;
  test::StoreFixture f({{1, 1}}, policy);
  HealthStore& store = f.store;
  const ModelId& m = f.model(0, 0);

  // Below the minimum, or below the ratio, it stays closed.
  store.record_failure(m, t0, {});
  store.record_failure(m, t0 + 1s, {});
  store.record_failure(m, t0 + 2s, {});
  CHECK(store.check_model(m, t0 + 2s).state == ModelState::usable);
  for (int i = 0; i < 4; ++i) store.record_success(f.route(0, 0, 0), t0 + 3s);
  store.record_failure(m, t0 + 3s, {});  // 4 of 8
  CHECK(store.check_model(m, t0 + 3s).state == ModelState::breaker_open);

  // Old outcomes leave the window: 3 failures of 3 after 20 s do not reach the minimum.
  test::StoreFixture fresh({{1, 1}}, policy);
  for (int i = 0; i < 3; ++i) fresh.store.record_failure(fresh.model(0, 0), t0, {});
  fresh.store.record_failure(fresh.model(0, 0), t0 + 20s, {});
  fresh.store.record_failure(fresh.model(0, 0), t0 + 20s, {});
  CHECK(fresh.store.check_model(fresh.model(0, 0), t0 + 20s).state == ModelState::usable);

  // The open interval: 2 s, then 4 s after a failed trial, then capped at 5 s.
  CHECK(store.check_model(m, t0 + 4900ms).state == ModelState::breaker_open);
  auto trial = store.claim_trial(m, t0 + 5001ms, t0 + 6s);
  REQUIRE(trial);
  store.record_failure(m, t0 + 5001ms, trial);
  CHECK(store.check_model(m, t0 + 8900ms).state == ModelState::breaker_open);
  trial = store.claim_trial(m, t0 + 9002ms, t0 + 10s);
  REQUIRE(trial);
  store.record_failure(m, t0 + 9002ms, trial);
  CHECK(store.check_model(m, t0 + 13900ms).state == ModelState::breaker_open);
  REQUIRE(store.claim_trial(m, t0 + 14003ms, t0 + 15s));
  store.record_success(f.route(0, 0, 0), t0 + 14003ms);
  CHECK(store.check_model(m, t0 + 14003ms).state == ModelState::usable);
}

TEST_CASE("a zero failure ratio never opens the breaker", "[orchestrator][breaker]") {
  BreakerPolicy policy;
  policy.failure_ratio = 0;
  policy.minimum_requests = 1;
  test::StoreFixture f({{1, 1}}, policy);
  for (int i = 0; i < 100; ++i) f.store.record_failure(f.model(0, 0), t0, {});
  CHECK(f.store.check_model(f.model(0, 0), t0).state == ModelState::usable);
}
