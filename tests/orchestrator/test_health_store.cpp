// The HealthStore seam: keyed fingerprints (with published test vectors), the in-memory store's
// rules (later deadline kept, expiry, trial claims that lapse, the earliest reset among many
// entries, what its listener hears), and orchestrators using a store they are given, over real
// loopback HTTP against the simulator.

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include <polyrouter/polyrouter.hpp>
#include <polyrouter/sim/simulator.hpp>

#include "fake_clock.hpp"
#include "health/hmac_sha256.hpp"
#include "store_fixture.hpp"

using namespace polyrouter;
using namespace std::chrono_literals;
using nlohmann::json;
using test::t0;
using KeyState = HealthStore::KeyVerdict::State;
using ModelState = HealthStore::ModelVerdict::State;
using Kind = HealthChange::Kind;

namespace {

std::string hex(const detail::Sha256Digest& d) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (std::uint8_t b : d) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 0x0f]);
  }
  return out;
}

// Everything a listener heard, safe to read from the test's thread.
class Heard {
 public:
  HealthListener listener() {
    return [this](const HealthChange& c) {
      std::lock_guard<std::mutex> lock(mutex_);
      changes_.push_back(c);
    };
  }
  std::vector<HealthChange> take() {
    std::lock_guard<std::mutex> lock(mutex_);
    return std::exchange(changes_, {});
  }

 private:
  std::mutex mutex_;
  std::vector<HealthChange> changes_;
};

}  // namespace

// ---- the keyed fingerprint --------------------------------------------------------------

TEST_CASE("SHA-256 and HMAC-SHA256 match the published test vectors", "[orchestrator][health_store]") {
  // FIPS 180-2, appendix B.
  CHECK(hex(detail::sha256("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(hex(detail::sha256("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(hex(detail::sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")) ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  // A million 'a', given in uneven pieces so that pieces straddle the 64-byte blocks.
  detail::Sha256 h;
  const std::string a(1000, 'a');
  std::size_t given = 0;
  for (std::size_t piece = 1; given < 1000000; piece = piece % 997 + 1) {
    const std::size_t n = std::min({piece, a.size(), 1000000 - given});
    h.update(std::string_view(a.data(), n));
    given += n;
  }
  CHECK(hex(h.finish()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");

  // RFC 4231, test cases 1, 2, 3, 6 and 7 (6 and 7: a key longer than the block is hashed first).
  CHECK(hex(detail::hmac_sha256(std::string(20, '\x0b'), "Hi There")) ==
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  CHECK(hex(detail::hmac_sha256("Jefe", "what do ya want for nothing?")) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(hex(detail::hmac_sha256(std::string(20, '\xaa'), std::string(50, '\xdd'))) ==
        "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
  CHECK(hex(detail::hmac_sha256(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First")) ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  CHECK(hex(detail::hmac_sha256(std::string(131, '\xaa'),
                                "This is a test using a larger than block-size key and a larger than block-size data. "
                                "The key needs to be hashed before being used by the HMAC algorithm.")) ==
        "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

TEST_CASE("a key's fingerprint is keyed: the same secret agrees, another secret does not",
          "[orchestrator][health_store]") {
  const std::string key = "gsk_live_0123456789abcdefghij";
  const KeyFingerprint a = KeyFingerprint::of("fleet-secret", key);
  CHECK(a == KeyFingerprint::of("fleet-secret", key));
  CHECK(a != KeyFingerprint::of("another-secret", key));
  CHECK(a != KeyFingerprint::of("fleet-secret", key + "x"));
  // HMAC truncated to 128 bits, not a hash of the key alone.
  CHECK(a.hex() == hex(detail::hmac_sha256("fleet-secret", key)).substr(0, 32));
  CHECK(a.hex().substr(0, 32) != hex(detail::sha256(key)).substr(0, 32));
  CHECK(a.hex().size() == 32);
  CHECK(a.hex().find(key) == std::string::npos);
  CHECK_THROWS_AS(KeyFingerprint::of("", key), ConfigError);  // that would be a plain hash
}

// ---- the in-memory store's rules ------------------------------------------------------

TEST_CASE("quarantines and missing models keep the later deadline, and end on their own",
          "[orchestrator][health_store]") {
  test::StoreFixture f({{2, 2}});
  HealthStore& store = f.store;
  store.quarantine_key(f.key(0, 0), t0, t0 + 60s);
  store.quarantine_key(f.key(0, 0), t0, t0 + 10s);  // shorter: ignored
  CHECK(store.check_route(f.route(0, 1, 0), t0 + 30s).state == KeyState::quarantined);  // every model
  CHECK(store.check_route(f.route(0, 1, 0), t0 + 30s).until == t0 + 60s);
  CHECK(store.check_route(f.route(0, 0, 1), t0 + 30s).state == KeyState::usable);
  CHECK(store.check_route(f.route(0, 0, 0), t0 + 61s).state == KeyState::usable);

  store.mark_missing(f.model(0, 1), t0, health_forever);
  store.mark_missing(f.model(0, 1), t0, t0 + 1s);
  CHECK(store.check_model(f.model(0, 1), t0 + 24h).state == ModelState::missing);
  CHECK(store.check_model(f.model(0, 0), t0 + 24h).state == ModelState::usable);
}

TEST_CASE("a half-open trial's claim lapses on its own, and only its holder can end it",
          "[orchestrator][health_store][breaker]") {
  BreakerPolicy policy;
  policy.minimum_requests = 1;
  policy.open_duration = 10s;
  test::StoreFixture f({{1, 1}}, policy);
  HealthStore& store = f.store;
  const ModelId& m = f.model(0, 0);
  store.record_failure(m, t0, {});
  REQUIRE(store.check_model(m, t0 + 10s).state == ModelState::trial_available);

  // The first claimant vanishes (a crashed process, a lost walk) without a word.
  const auto vanished = store.claim_trial(m, t0 + 10s, t0 + 15s);
  REQUIRE(vanished);
  CHECK(store.check_model(m, t0 + 14s).state == ModelState::breaker_open);
  CHECK(store.check_model(m, t0 + 14s).until == t0 + 15s);
  CHECK_FALSE(store.claim_trial(m, t0 + 14s, t0 + 20s));
  // Past its deadline the model is not blocked: the next caller gets the trial.
  CHECK(store.check_model(m, t0 + 15s).state == ModelState::trial_available);
  const auto next = store.claim_trial(m, t0 + 15s, t0 + 20s);
  REQUIRE(next);
  CHECK(next.id != vanished.id);
  // The vanished claimant's late word changes nothing: its claim is not the one held.
  store.release_trial(m, vanished);
  store.record_failure(m, t0 + 16s, vanished);
  CHECK(store.check_model(m, t0 + 16s).state == ModelState::breaker_open);
  CHECK(store.check_model(m, t0 + 16s).until == t0 + 20s);  // still next's trial, not reopened
  // The holder's failure reopens the breaker, for longer (20 s after the 10 s).
  store.record_failure(m, t0 + 17s, next);
  CHECK(store.check_model(m, t0 + 17s).until == t0 + 37s);
}

TEST_CASE("one of many threads claiming a half-open trial at once gets it",
          "[orchestrator][health_store][concurrency]") {
  BreakerPolicy policy;
  policy.minimum_requests = 1;
  policy.open_duration = 1s;
  test::StoreFixture f({{1, 1}}, policy);
  f.store.record_failure(f.model(0, 0), t0, {});
  std::atomic<int> granted{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      while (!go.load()) std::this_thread::yield();
      if (f.store.check_model(f.model(0, 0), t0 + 2s).state == ModelState::trial_available &&
          f.store.claim_trial(f.model(0, 0), t0 + 2s, t0 + 60s)) {
        ++granted;
      }
    });
  }
  go = true;
  for (auto& t : threads) t.join();
  CHECK(granted == 1);
}

TEST_CASE("the earliest reset is right among thousands of entries, as time passes and deadlines move",
          "[orchestrator][health_store]") {
  // Checked against a brute-force scan of every route after each of 3,000 random changes.
  const int models = 40, keys = 50;  // 2,000 routes
  test::StoreFixture f({{models, keys}});
  HealthStore& store = f.store;
  std::vector<HealthTime> route_cool(models * keys), model_cool(models), missing(models), quarantined(keys);
  std::mt19937 random(12345);
  auto pick = [&](int n) { return static_cast<std::size_t>(std::uniform_int_distribution<int>(0, n - 1)(random)); };
  auto seconds = [&](int lo, int hi) {
    return std::chrono::seconds(std::uniform_int_distribution<int>(lo, hi)(random));
  };

  auto brute_force = [&](HealthTime now) {
    std::optional<HealthTime> best;
    for (int m = 0; m < models; ++m) {
      for (int k = 0; k < keys; ++k) {
        const HealthTime usable_at = std::max(route_cool[m * keys + k], model_cool[m]);
        if (usable_at <= now || quarantined[k] > usable_at || missing[m] > usable_at) continue;
        if (!best || usable_at < *best) best = usable_at;
      }
    }
    return best;
  };

  HealthTime now = t0;
  for (int step = 0; step < 3000; ++step) {
    const int op = static_cast<int>(pick(100));
    if (op < 70) {
      const std::size_t m = pick(models), k = pick(keys);
      const HealthTime until = now + seconds(1, 600);
      store.cool_route(f.route(0, m, k), now, until);
      route_cool[m * keys + k] = std::max(route_cool[m * keys + k], until);
    } else if (op < 80) {
      const std::size_t m = pick(models);
      const HealthTime until = now + seconds(1, 600);
      store.cool_model(f.model(0, m), now, until);
      model_cool[m] = std::max(model_cool[m], until);
    } else if (op < 83) {
      const std::size_t k = pick(keys);
      const HealthTime until = pick(2) == 0 ? health_forever : now + seconds(1, 900);
      store.quarantine_key(f.key(0, k), now, until);
      quarantined[k] = std::max(quarantined[k], until);
    } else if (op < 85) {
      const std::size_t m = pick(models);
      const HealthTime until = pick(2) == 0 ? health_forever : now + seconds(1, 900);
      store.mark_missing(f.model(0, m), now, until);
      missing[m] = std::max(missing[m], until);
    } else if (op < 95) {
      now += seconds(0, 30);
    } else {
      // Lookups notice ended cooldowns and forget them; the answer must not change.
      const std::size_t m = pick(models), k = pick(keys);
      store.check_route(f.route(0, m, k), now);
    }
    const auto expected = brute_force(now);
    const auto got = store.earliest_cooldown_end(f.table, now);
    INFO("step " << step);
    REQUIRE(got.has_value() == expected.has_value());
    if (expected) REQUIRE(*got == *expected);
  }
}

TEST_CASE("the earliest reset counts only the asking registration's routes", "[orchestrator][health_store]") {
  InMemoryHealthStore store;
  PoolRoutes a{"groq", {"m"}, {{KeyFingerprint::of("s", "key-a"), "A"}}, {}};
  PoolRoutes b{"groq", {"m"}, {{KeyFingerprint::of("s", "key-b"), "B"}}, {}};
  const RouteTable ta = store.register_routes({a}, {}, {});
  const RouteTable tb = store.register_routes({b}, {}, {});
  store.cool_route(ta.route(0, 0, 0), t0, t0 + 5s);
  store.cool_route(tb.route(0, 0, 0), t0, t0 + 50s);
  CHECK(store.earliest_cooldown_end(ta, t0) == t0 + 5s);
  CHECK(store.earliest_cooldown_end(tb, t0) == t0 + 50s);
  CHECK(ta.pools[0].models[0].index == tb.pools[0].models[0].index);  // one model, shared
  store.unregister_routes(ta);
  store.unregister_routes(tb);
}

TEST_CASE("the listener hears every change once, outside the store's lock", "[orchestrator][health_store]") {
  Heard heard;
  BreakerPolicy policy;
  policy.minimum_requests = 1;
  policy.open_duration = 10s;
  HealthStore* self = nullptr;
  const RouteTable* table = nullptr;
  int reentered = 0;
  // A listener that reads the store: it would deadlock if called under the store's lock.
  test::StoreFixture f({{2, 2}}, policy, 0, [&](const HealthChange& c) {
    HealthSnapshot snap;
    self->snapshot(*table, t0, snap);
    self->check_route(table->route(0, 1, 1), t0);
    ++reentered;
    heard.listener()(c);
  });
  self = &f.store;
  table = &f.table;
  HealthStore& store = f.store;

  store.quarantine_key(f.key(0, 1), t0, health_forever);
  store.mark_missing(f.model(0, 1), t0, t0 + 1h);
  store.cool_route(f.route(0, 0, 0), t0, t0 + 30s);
  store.cool_route(f.route(0, 0, 0), t0, t0 + 20s);  // not later: no change, nothing told
  store.cool_model(f.model(0, 0), t0, t0 + 40s);
  auto changes = heard.take();
  REQUIRE(changes.size() == 4);
  CHECK(changes[0].kind == Kind::key_quarantined);
  CHECK(changes[0].pool == "p0");
  CHECK(changes[0].model.empty());  // every model of the pool
  CHECK(changes[0].key_label == "K1");
  CHECK_FALSE(changes[0].until.has_value());  // no set end
  CHECK(changes[1].kind == Kind::model_missing);
  CHECK(changes[1].model == "m1");
  CHECK(changes[1].until == t0 + 1h);
  CHECK(changes[2].kind == Kind::cooldown_started);
  CHECK(changes[2].key_label == "K0");
  CHECK(changes[2].until == t0 + 30s);
  CHECK(changes[3].kind == Kind::cooldown_started);
  CHECK(changes[3].key_label.empty());  // the whole model
  CHECK(changes[3].model == "m0");

  // A lookup after the deadline notices the end, once; a sweep finds the rest.
  store.check_route(f.route(0, 0, 0), t0 + 35s);  // the model-wide cooldown still runs
  CHECK(heard.take().size() == 1);                 // the route's own ended at 30 s
  store.check_route(f.route(0, 0, 0), t0 + 36s);
  CHECK(heard.take().empty());
  store.sweep(t0 + 41s);
  changes = heard.take();
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].kind == Kind::cooldown_ended);
  CHECK(changes[0].key_label.empty());
  CHECK(changes[0].until == t0 + 40s);
  store.sweep(t0 + 50s);
  CHECK(heard.take().empty());

  // The breaker: opened, half-opened (noticed by a check), closed.
  store.record_failure(f.model(0, 0), t0 + 50s, {});
  store.check_model(f.model(0, 0), t0 + 55s);
  store.check_model(f.model(0, 0), t0 + 61s);
  store.check_model(f.model(0, 0), t0 + 62s);  // told once per opening
  store.record_success(f.route(0, 0, 0), t0 + 63s);
  changes = heard.take();
  REQUIRE(changes.size() == 3);
  CHECK(changes[0].kind == Kind::breaker_opened);
  CHECK(changes[0].until == t0 + 60s);
  CHECK(changes[1].kind == Kind::breaker_half_opened);
  CHECK(changes[2].kind == Kind::breaker_closed);
  CHECK(reentered == 9);
}

TEST_CASE("a listener's own call into the store may notice a change: it is told on the same thread",
          "[orchestrator][health_store]") {
  HealthStore* self = nullptr;
  const RouteTable* table = nullptr;
  std::vector<Kind> kinds;
  test::StoreFixture f({{1, 1}}, {}, 0, [&](const HealthChange& c) {
    kinds.push_back(c.kind);
    // Looks at the route long after: notices the cooldown that was just told ended.
    if (c.kind == Kind::cooldown_started) self->check_route(table->route(0, 0, 0), t0 + 1h);
  });
  self = &f.store;
  table = &f.table;
  f.store.cool_route(f.route(0, 0, 0), t0, t0 + 30s);
  CHECK(kinds == std::vector<Kind>{Kind::cooldown_started, Kind::cooldown_ended});
}

TEST_CASE("a shared store tells each registration under its own labels, and none after it left",
          "[orchestrator][health_store]") {
  InMemoryHealthStore store;
  Heard first, second;
  const KeyFingerprint key = KeyFingerprint::of("s", "the-key");
  const RouteTable a = store.register_routes({PoolRoutes{"groq", {"m"}, {{key, "MINE"}}, {}}}, {}, first.listener());
  const RouteTable b = store.register_routes({PoolRoutes{"groq", {"m"}, {{key, "THEIRS"}}, {}}}, {}, second.listener());
  store.quarantine_key(a.pools[0].keys[0], t0, health_forever);  // learned through a...
  CHECK(store.check_route(b.route(0, 0, 0), t0).state == KeyState::quarantined);  // ...known to b
  auto heard_a = first.take(), heard_b = second.take();
  REQUIRE(heard_a.size() == 1);
  REQUIRE(heard_b.size() == 1);
  CHECK(heard_a[0].key_label == "MINE");
  CHECK(heard_b[0].key_label == "THEIRS");
  store.unregister_routes(b);
  store.cool_route(a.route(0, 0, 0), t0, t0 + 1s);
  CHECK(first.take().size() == 1);
  CHECK(second.take().empty());
  store.unregister_routes(a);
}

// ---- orchestrators using a store they are given --------------------------------------------

namespace {

// A user's own store: wraps the in-memory one, records what the orchestrator tells it.
class RecordingStore : public HealthStore {
 public:
  RouteTable register_routes(const std::vector<PoolRoutes>& pools, const HealthPolicy& policy,
                             HealthListener listener) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      registered_ = pools;
    }
    // Hear what the orchestrator hears, then pass it on.
    return inner_.register_routes(pools, policy, [this, listener](const HealthChange& c) {
      heard_.listener()(c);
      if (listener) listener(c);
    });
  }
  void unregister_routes(const RouteTable& table) override { inner_.unregister_routes(table); }
  ModelVerdict check_model(const ModelId& model, HealthTime now) override {
    count("check_model");
    return inner_.check_model(model, now);
  }
  KeyVerdict check_route(const RouteId& route, HealthTime now) override {
    count("check_route");
    return inner_.check_route(route, now);
  }
  TrialClaim claim_trial(const ModelId& model, HealthTime now, HealthTime claim_until) override {
    count("claim_trial");
    return inner_.claim_trial(model, now, claim_until);
  }
  void release_trial(const ModelId& model, TrialClaim claim) override { inner_.release_trial(model, claim); }
  void quarantine_key(const KeyId& key, HealthTime now, HealthTime until) override {
    count("quarantine_key");
    inner_.quarantine_key(key, now, until);
  }
  void mark_missing(const ModelId& model, HealthTime now, HealthTime until) override {
    count("mark_missing");
    inner_.mark_missing(model, now, until);
  }
  void cool_route(const RouteId& route, HealthTime now, HealthTime until) override {
    count("cool_route");
    inner_.cool_route(route, now, until);
  }
  void cool_model(const ModelId& model, HealthTime now, HealthTime until) override {
    count("cool_model");
    inner_.cool_model(model, now, until);
  }
  void record_success(const RouteId& route, HealthTime now) override {
    count("record_success");
    inner_.record_success(route, now);
  }
  void record_failure(const ModelId& model, HealthTime now, TrialClaim trial) override {
    count("record_failure");
    inner_.record_failure(model, now, trial);
  }
  bool record_route_failure(const RouteId& route) override { return inner_.record_route_failure(route); }
  bool breaker_open(const ModelId& model) const override { return inner_.breaker_open(model); }
  std::optional<HealthTime> earliest_cooldown_end(const RouteTable& table, HealthTime now) override {
    return inner_.earliest_cooldown_end(table, now);
  }
  void snapshot(const RouteTable& table, HealthTime now, HealthSnapshot& out) const override {
    inner_.snapshot(table, now, out);
  }
  void sweep(HealthTime now) override { inner_.sweep(now); }

  int calls(const std::string& name) {
    std::lock_guard<std::mutex> lock(mutex_);
    return calls_[name];
  }
  std::vector<PoolRoutes> registered() {
    std::lock_guard<std::mutex> lock(mutex_);
    return registered_;
  }
  Heard& heard() { return heard_; }

 private:
  void count(const std::string& name) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++calls_[name];
  }
  InMemoryHealthStore inner_;
  Heard heard_;
  std::mutex mutex_;
  std::map<std::string, int> calls_;
  std::vector<PoolRoutes> registered_;
};

PoolConfig groq_pool(std::vector<ApiKey> keys, const sim::Simulator& sim, std::vector<std::string> models = {"m"}) {
  PoolConfig p{Provider::groq, std::move(models), std::move(keys)};
  p.base_url = sim.url();
  return p;
}

}  // namespace

TEST_CASE("an orchestrator given its own store teaches it what it learns, by fingerprint only",
          "[orchestrator][health_store]") {
  sim::Simulator sim(json{{"rules", {{{"key", "bad-key-value"}, {"behavior", "invalid_key"}},
                                     {{"key", "slow-key-value"},
                                      {"behavior", "rate_limit"},
                                      {"retry_after_s", 30},
                                      {"times", 1}}}}});
  test::FakeClock clock;
  auto store = std::make_shared<RecordingStore>();
  OrchestratorConfig config;
  config.clock = clock.clock();
  config.health_store = store;
  config.key_fingerprint_secret = "fleet-secret";
  config.pools = {groq_pool({"bad-key-value", "slow-key-value", "good-key-value"}, sim)};
  Orchestrator orchestrator(config);

  const Response r = orchestrator.request("hello");
  CHECK(r.key_label == "GROQ_API_KEY2");
  CHECK(store->calls("quarantine_key") == 1);
  CHECK(store->calls("cool_route") == 1);
  CHECK(store->calls("record_success") == 1);
  CHECK(store->calls("check_model") == 1);  // one model check and one route check per attempt
  CHECK(store->calls("check_route") == 3);

  // What the store was given identifies keys by keyed fingerprint, labels only for display.
  const auto registered = store->registered();
  REQUIRE(registered.size() == 1);
  CHECK(registered[0].name == "groq");
  CHECK(registered[0].models == std::vector<std::string>{"m"});
  REQUIRE(registered[0].keys.size() == 3);
  CHECK(registered[0].keys[0].fingerprint == KeyFingerprint::of("fleet-secret", "bad-key-value"));
  CHECK(registered[0].keys[0].label == "GROQ_API_KEY0");

  // What it heard, as the orchestrator did: labels, never a key.
  const auto changes = store->heard().take();
  REQUIRE(changes.size() == 2);
  CHECK(changes[0].kind == Kind::key_quarantined);
  CHECK(changes[0].key_label == "GROQ_API_KEY0");
  CHECK(changes[1].kind == Kind::cooldown_started);
  CHECK(changes[1].key_label == "GROQ_API_KEY1");
  CHECK(changes[1].until == clock.clock().system_now() + 30s);
  for (const HealthChange& c : changes) {
    for (const std::string& text : {c.pool, c.model, c.key_label}) CHECK(text.find("-key-value") == std::string::npos);
  }

  // The snapshot comes from the store, too.
  const HealthSnapshot health = orchestrator.health();
  CHECK(health.pools[0].keys[0].state == KeyHealth::State::quarantined);
  REQUIRE(health.pools[0].models[0].cooldowns.size() == 1);
  CHECK(health.pools[0].models[0].cooldowns[0].reset_in == 30s);

  // The cooldown ends; the next lookup notices, the orchestrator hears it and uses the key.
  clock.advance(31s);
  CHECK(orchestrator.request("again").key_label == "GROQ_API_KEY1");
  CHECK(sim.hits("groq", "bad-key-value") == 1);
  const auto later = store->heard().take();
  REQUIRE(later.size() == 1);
  CHECK(later[0].kind == Kind::cooldown_ended);
  CHECK(later[0].key_label == "GROQ_API_KEY1");
}

TEST_CASE("two orchestrators sharing a store: what one learns, the other never pays for",
          "[orchestrator][health_store]") {
  sim::Simulator sim(json{{"rules", {{{"key", "bad-key"}, {"behavior", "invalid_key"}},
                                     {{"key", "busy-key"},
                                      {"behavior", "rate_limit"},
                                      {"retry_after_s", 30},
                                      {"times", 1}}}}});
  test::FakeClock clock;
  auto shared = std::make_shared<InMemoryHealthStore>();
  auto config_for = [&](std::vector<ApiKey> keys) {
    OrchestratorConfig c;
    c.clock = clock.clock();
    c.retry.max_retries = 0;
    c.health_store = shared;
    c.pools = {groq_pool(std::move(keys), sim)};
    return c;
  };
  // Different key order and labels: identities are (pool, model, fingerprint), not positions.
  Orchestrator first(config_for({{"A_BAD", "bad-key"}, {"A_BUSY", "busy-key"}, {"A_OK", "ok-key"}}));
  Orchestrator second(config_for({{"B_BUSY", "busy-key"}, {"B_BAD", "bad-key"}, {"B_OK", "ok-key"}}));

  CHECK(first.request("one").key_label == "A_OK");
  CHECK(sim.hits("groq", "bad-key") == 1);
  CHECK(sim.hits("groq", "busy-key") == 1);
  // The second walks its own order, skips what the first learned, and never calls those keys.
  for (int i = 0; i < 5; ++i) CHECK(second.request("two").key_label == "B_OK");
  CHECK(sim.hits("groq", "bad-key") == 1);
  CHECK(sim.hits("groq", "busy-key") == 1);
  const HealthSnapshot seen = second.health();
  CHECK(seen.pools[0].keys[1].state == KeyHealth::State::quarantined);
  REQUIRE(seen.pools[0].models[0].cooldowns.size() == 1);
  CHECK(seen.pools[0].models[0].cooldowns[0].key_label == "B_BUSY");

  // After the cooldown both may call the busy key again; the bad key stays out.
  clock.advance(31s);
  OrchestratorConfig busy_first = config_for({{"C_BUSY", "busy-key"}, {"C_BAD", "bad-key"}});
  Orchestrator third(busy_first);
  CHECK(third.request("three").key_label == "C_BUSY");
  CHECK(sim.hits("groq", "bad-key") == 1);
}

TEST_CASE("orchestrators with different fingerprint secrets share nothing through a store",
          "[orchestrator][health_store]") {
  sim::Simulator sim(json{{"rules", {{{"key", "bad-key"}, {"behavior", "invalid_key"}}}}});
  auto shared = std::make_shared<InMemoryHealthStore>();
  auto config_for = [&](std::string secret) {
    OrchestratorConfig c;
    c.health_store = shared;
    c.key_fingerprint_secret = std::move(secret);
    c.pools = {groq_pool({"bad-key", "ok-key"}, sim)};
    return c;
  };
  Orchestrator first(config_for("secret-one"));
  Orchestrator second(config_for("secret-two"));
  first.request("one");
  second.request("two");
  CHECK(sim.hits("groq", "bad-key") == 2);  // the same key, unrecognisable under another secret
}

TEST_CASE("threads of two orchestrators share one store while another reads it",
          "[orchestrator][health_store][concurrency]") {
  sim::Simulator sim(json{{"rules", {{{"key", "bad-key"}, {"behavior", "invalid_key"}},
                                     {{"key", "busy-key"}, {"behavior", "rate_limit"}, {"retry_after_s", 600}}}}});
  auto shared = std::make_shared<InMemoryHealthStore>();
  std::atomic<int> told{0};
  auto config_for = [&](std::vector<ApiKey> keys) {
    OrchestratorConfig c;
    c.health_store = shared;
    c.key_fingerprint_secret = "fleet";
    c.pools = {groq_pool(std::move(keys), sim)};
    return c;
  };
  Orchestrator first(config_for({"bad-key", "busy-key", "ok-key"}));
  Orchestrator second(config_for({"busy-key", "bad-key", "ok-key"}));
  // A third registration only listens, to the bad key, as an observer of the shared store would.
  const RouteTable watcher = shared->register_routes(
      {PoolRoutes{"groq", {"m"}, {{KeyFingerprint::of("fleet", "bad-key"), "WATCHED"}}, {}}}, {},
      [&](const HealthChange& c) {
        if (c.kind == Kind::key_quarantined && c.key_label == "WATCHED") ++told;
      });

  constexpr int threads_each = 4, per_thread = 25;
  std::atomic<int> answered{0};
  std::atomic<bool> done{false};
  std::vector<std::thread> threads;
  for (Orchestrator* o : {&first, &second}) {
    for (int t = 0; t < threads_each; ++t) {
      threads.emplace_back([&answered, o] {
        for (int i = 0; i < per_thread; ++i) {
          if (o->request("hello").key_label == "GROQ_API_KEY2") ++answered;
        }
      });
    }
  }
  std::thread reader([&] {
    while (!done.load()) {
      (void)first.health();
      (void)second.health();
    }
  });
  for (auto& t : threads) t.join();
  done = true;
  reader.join();
  shared->unregister_routes(watcher);

  CHECK(answered == 2 * threads_each * per_thread);
  // Each key that fails is paid at most once per thread that raced past it before the first
  // answer came back, whichever orchestrator the thread belongs to.
  CHECK(sim.hits("groq", "bad-key") <= static_cast<std::size_t>(2 * threads_each));
  CHECK(sim.hits("groq", "busy-key") <= static_cast<std::size_t>(2 * threads_each));
  CHECK(told == 1);  // learned once, by whichever thread was first; the others changed nothing
  CHECK(second.health().pools[0].keys[1].state == KeyHealth::State::quarantined);
}

TEST_CASE("a rate budget is exact: no window holds more than it grants, and it grants all it may, under 8 threads",
          "[orchestrator][health_store][budget][concurrency]") {
  constexpr int budget = 5;
  constexpr auto window = 100ms;
  constexpr int threads = 8, takes_per_thread = 2, phases = 150;
  InMemoryHealthStore store;
  std::vector<PoolRoutes> pools = test::shape({{1, 1}});
  pools[0].budget.requests = budget;
  pools[0].budget.window = window;
  const RouteTable table = store.register_routes(pools, {}, {});
  const KeyId key = table.pools[0].keys[0];

  // Each phase, every thread takes at the same instant; between phases time moves on by a
  // random step, so windows cut across phases in every way. The log is what was granted when.
  std::mt19937 random(16);
  std::uniform_int_distribution<int> step_ms(1, 60);
  HealthTime now = test::t0;
  std::vector<std::pair<HealthTime, int>> granted;  // (time, grants at that time)
  for (int phase = 0; phase < phases; ++phase) {
    now += std::chrono::milliseconds(step_ms(random));
    std::atomic<int> grants{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&] {
        for (int i = 0; i < takes_per_thread; ++i) grants += store.take_budget(key, now).granted ? 1 : 0;
      });
    }
    for (auto& t : pool) t.join();
    granted.emplace_back(now, grants.load());
  }
  store.unregister_routes(table);

  // Brute force over the log: every window starting at a grant holds at most the budget, and
  // each phase got exactly what its window had left (a budget that under-grants is wrong too).
  int total = 0;
  for (std::size_t i = 0; i < granted.size(); ++i) {
    int in_window = 0;      // [t_i, t_i + window)
    int before = 0;         // (t_i - window, t_i), granted in earlier phases
    for (std::size_t j = 0; j < granted.size(); ++j) {
      if (granted[j].first >= granted[i].first && granted[j].first < granted[i].first + window) {
        in_window += granted[j].second;
      }
      if (j < i && granted[j].first > granted[i].first - window) before += granted[j].second;
    }
    INFO("phase " << i);
    CHECK(in_window <= budget);
    CHECK(granted[i].second == std::min(threads * takes_per_thread, budget - before));
    total += granted[i].second;
  }
  CHECK(total > budget * 10);  // the windows moved on many times
}

TEST_CASE("a refused budget says when it frees; tokens count from spend_tokens", "[orchestrator][health_store][budget]") {
  InMemoryHealthStore store;
  std::vector<PoolRoutes> pools = test::shape({{1, 2}});
  pools[0].budget.requests = 2;
  pools[0].budget.tokens = 100;
  pools[0].budget.window = 10s;
  const RouteTable table = store.register_routes(pools, {}, {});
  const KeyId a = table.pools[0].keys[0], b = table.pools[0].keys[1];
  CHECK(store.take_budget(a, t0).granted);
  CHECK(store.take_budget(a, t0 + 3s).granted);
  const auto refused = store.take_budget(a, t0 + 4s);
  CHECK_FALSE(refused.granted);
  CHECK(refused.until == t0 + 10s);
  CHECK(store.take_budget(a, t0 + 10s).granted);  // the first take left its window
  // Tokens: refused once the window's answers used them, until enough of them left it.
  CHECK(store.take_budget(b, t0).granted);
  store.spend_tokens(b, 60, t0);
  store.spend_tokens(b, 60, t0 + 2s);
  const auto spent = store.take_budget(b, t0 + 3s);
  CHECK_FALSE(spent.granted);
  CHECK(spent.until == t0 + 10s);  // then 60 are left in the window: under 100
  CHECK(store.take_budget(b, t0 + 10s).granted);
  store.unregister_routes(table);
}
