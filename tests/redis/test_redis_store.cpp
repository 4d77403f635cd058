// RedisHealthStore against a private redis-server (tests/support/redis_server.hpp): what one
// store learns reaches another through the server, deadlines stay the later one, keys are
// known only by their fingerprints, budgets hold across stores, and an absent, slow,
// restarted or flushed server costs answers nothing.

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include <polyrouter/polyrouter.hpp>
#include <polyrouter/redis_health_store.hpp>
#include <polyrouter/sim/simulator.hpp>

#include "health/hmac_sha256.hpp"
#include "health/redis/endpoint.hpp"
#include "log_capture.hpp"
#include "redis_server.hpp"

using namespace polyrouter;
using polyrouter::test::LogCapture;
using polyrouter::test::RedisServer;
using polyrouter::test::RedisServerOptions;
using std::chrono::milliseconds;
using std::chrono::seconds;
using nlohmann::json;

namespace {

HealthTime now() { return std::chrono::system_clock::now(); }

RedisStoreOptions options_for(const std::string& url, const std::string& prefix = "polyrouter:") {
  RedisStoreOptions o;
  o.url = url;
  o.prefix = prefix;
  return o;
}

// For tests that count exactly what the server granted: a loaded machine must not turn a slow
// take into a local answer (the 50 ms default is the production bound, tested on its own).
RedisStoreOptions patient(RedisStoreOptions o) {
  o.timeout = std::chrono::milliseconds(2000);
  return o;
}

PoolRoutes groq_routes(const std::string& secret = "fleet-secret", RateBudget budget = {}) {
  PoolRoutes p;
  p.name = "groq";
  p.models = {"model-a", "model-b"};
  p.keys = {{KeyFingerprint::of(secret, "gsk_first_key_value_0001"), "GROQ_API_KEY0"},
            {KeyFingerprint::of(secret, "gsk_second_key_value_0002"), "GROQ_API_KEY1"}};
  p.budget = budget;
  return p;
}

// Polls @p done until it holds or 5 s passed (the fleet's news travels by pub/sub).
template <typename F>
bool eventually(F done) {
  const auto give_up = std::chrono::steady_clock::now() + seconds(5);
  while (!done()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return true;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

std::vector<std::string> all_keys(const RedisServer& server) { return lines_of(server.command({"KEYS", "*"})); }


// Registers @p routes in @p store and unregisters at scope exit.
struct Registered {
  HealthStore& store;
  RouteTable table;
  Registered(HealthStore& s, const PoolRoutes& routes, HealthListener listener = {})
      : store(s), table(s.register_routes({routes}, {}, std::move(listener))) {}
  ~Registered() { store.unregister_routes(table); }
  const KeyId& key(std::size_t k) const { return table.pools[0].keys[k]; }
  const ModelId& model(std::size_t m) const { return table.pools[0].models[m]; }
  const RouteId& route(std::size_t m, std::size_t k) const { return table.route(0, m, k); }
};

using KeyState = HealthStore::KeyVerdict::State;
using ModelState = HealthStore::ModelVerdict::State;

}  // namespace

TEST_CASE("redis URLs: every form parses, mistakes are ConfigErrors, a password is never shown", "[redis][config]") {
  using detail::redis::Endpoint;
  using detail::redis::parse_endpoint;
  const Endpoint plain = parse_endpoint("redis://127.0.0.1:6380/2");
  CHECK(plain.transport == Endpoint::Transport::tcp);
  CHECK(plain.host == "127.0.0.1");
  CHECK(plain.port == 6380);
  CHECK(plain.db == 2);
  CHECK(parse_endpoint("redis://cache").port == 6379);

  const Endpoint secret = parse_endpoint("rediss://app:s3cr%40t@redis.internal:6390");
  CHECK(secret.transport == Endpoint::Transport::tls);
  CHECK(secret.user == "app");
  CHECK(secret.password == "s3cr@t");
  CHECK(secret.display().find("s3cr") == std::string::npos);
  CHECK(secret.display() == "rediss://***@redis.internal:6390/0");
  CHECK(parse_endpoint("redis://:only-password@h").password == "only-password");

  const Endpoint socket = parse_endpoint("unix:///run/redis/redis.sock?db=3");
  CHECK(socket.transport == Endpoint::Transport::unix_socket);
  CHECK(socket.socket_path == "/run/redis/redis.sock");
  CHECK(socket.db == 3);
  CHECK(parse_endpoint("redis://[::1]:7000").host == "::1");

  // A raw '/' or '@' in a password: the last '@' ends the credentials.
  CHECK(parse_endpoint("redis://:ab/cd@host:6379").password == "ab/cd");
  CHECK(parse_endpoint("redis://u:p@ss/w@host/1").password == "p@ss/w");
  CHECK(parse_endpoint("redis://u:p@ss/w@host/1").db == 1);
  for (const char* wrong : {"redis:/user:hunter2@host", "rediss//:hunter2@host", "http://h:6379", "redis://",
                            "redis://h:0", "redis://h:99999", "redis://h/x",
                            "redis://:hunter2@h:port", "unix://relative.sock", "redis://h?bogus=1",
                            "redis://:hunter2@ h"}) {
    INFO(wrong);
    try {
      parse_endpoint(wrong);
      FAIL("accepted");
    } catch (const ConfigError& e) {
      CHECK(std::string(e.what()).find("hunter2") == std::string::npos);
    }
  }
  // Through the public constructor too.
  try {
    RedisHealthStore store(options_for("redis://:hunter2@h:notaport"));
    FAIL("accepted");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()).find("hunter2") == std::string::npos);
  }
}

TEST_CASE("what one store learns, another sharing the server acts on", "[redis]") {
  RedisServer server;
  RedisHealthStore a(options_for(server.url())), b(options_for(server.url()));
  REQUIRE(a.wait_until_synced(seconds(5)));
  REQUIRE(b.wait_until_synced(seconds(5)));
  std::vector<HealthChange> heard;
  std::mutex heard_mutex;
  Registered ra(a, groq_routes());
  Registered rb(b, groq_routes(), [&](const HealthChange& c) {
    std::lock_guard<std::mutex> lock(heard_mutex);
    heard.push_back(c);
  });

  const HealthTime t = now();
  a.quarantine_key(ra.key(0), t, t + seconds(60));
  a.cool_route(ra.route(1, 1), t, t + seconds(30));
  a.mark_missing(ra.model(0), t, t + seconds(60));
  CHECK(eventually([&] { return b.check_route(rb.route(1, 0), now()).state == KeyState::quarantined; }));
  CHECK(eventually([&] { return b.check_route(rb.route(1, 1), now()).state == KeyState::cooling; }));
  CHECK(eventually([&] { return b.check_model(rb.model(0), now()).state == ModelState::missing; }));
  // The deadline travels as time left: b's copy ends when a's does, within the trip's time.
  const auto until = b.check_route(rb.route(1, 1), now()).until;
  CHECK(until > t + seconds(29));
  CHECK(until < t + seconds(31));
  // b's observers hear it as their own news, by their own labels.
  {
    std::lock_guard<std::mutex> lock(heard_mutex);
    CHECK(std::any_of(heard.begin(), heard.end(), [](const HealthChange& c) {
      return c.kind == HealthChange::Kind::key_quarantined && c.key_label == "GROQ_API_KEY0";
    }));
  }

  a.cool_model(ra.model(1), t, t + seconds(45));  // every key of model-b, beyond the route's 30 s
  CHECK(eventually([&] { return b.check_route(rb.route(1, 1), now()).until > t + seconds(44); }));
  CHECK(a.stats().writes >= 4);
  CHECK(b.stats().remote_updates >= 4);
  CHECK(a.stats().connected);
}

TEST_CASE("a breaker opened in one process opens in the others, and closes with it", "[redis]") {
  RedisServer server;
  RedisHealthStore a(options_for(server.url())), b(options_for(server.url()));
  REQUIRE(a.wait_until_synced(seconds(5)));
  REQUIRE(b.wait_until_synced(seconds(5)));
  HealthPolicy policy;
  policy.breaker.failure_ratio = 0.5;
  policy.breaker.minimum_requests = 2;
  policy.breaker.open_duration = milliseconds(400);
  const RouteTable ta = a.register_routes({groq_routes()}, policy, {});
  const RouteTable tb = b.register_routes({groq_routes()}, policy, {});
  const ModelId ma = ta.pools[0].models[0], mb = tb.pools[0].models[0];
  const HealthTime t = now();
  a.record_failure(ma, t, {});
  a.record_failure(ma, t, {});
  REQUIRE(a.breaker_open(ma));
  CHECK(eventually([&] { return b.breaker_open(mb); }));
  CHECK(b.check_model(mb, now()).state == ModelState::breaker_open);
  // Once the opening has run out, A's trial succeeds: B hears the breaker closed.
  REQUIRE(eventually([&] { return a.check_model(ma, now()).state == ModelState::trial_available; }));
  const HealthTime later = now();
  const auto claim = a.claim_trial(ma, later, later + seconds(1));
  REQUIRE(claim);
  a.record_success(ta.route(0, 0, 0), later);
  CHECK_FALSE(a.breaker_open(ma));
  CHECK(eventually([&] { return !b.breaker_open(mb); }));

  SECTION("a close never undoes an opening another process wrote after it") {
    // B trips it again (ahead on the server); a success A had in flight closes only A's.
    b.record_failure(mb, now(), {});
    b.record_failure(mb, now(), {});
    REQUIRE(b.breaker_open(mb));
    REQUIRE(eventually([&] { return a.breaker_open(ma); }));
    a.record_success(ta.route(0, 0, 0), now());
    CHECK_FALSE(a.breaker_open(ma));
    // A's writer sends in order and the channel keeps it: once B hears A's next fact, it would
    // have heard a close sent before it.
    a.quarantine_key(ta.pools[0].keys[1], now(), now() + seconds(60));
    REQUIRE(eventually([&] { return b.check_route(tb.route(0, 1, 1), now()).state == KeyState::quarantined; }));
    CHECK(b.breaker_open(mb));
  }
  a.unregister_routes(ta);
  b.unregister_routes(tb);
}

TEST_CASE("the later deadline wins on the server, atomically, whoever writes last", "[redis][concurrency]") {
  RedisServer server;
  RedisHealthStore a(options_for(server.url())), b(options_for(server.url()));
  REQUIRE(a.wait_until_synced(seconds(5)));
  REQUIRE(b.wait_until_synced(seconds(5)));
  Registered ra(a, groq_routes()), rb(b, groq_routes());
  const HealthTime t = now();
  // 8 threads on two stores write deadlines 1..400 s in a random order.
  std::vector<int> order(400);
  for (int i = 0; i < 400; ++i) order[static_cast<std::size_t>(i)] = i + 1;
  std::shuffle(order.begin(), order.end(), std::mt19937(7));
  std::atomic<std::size_t> next{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < 8; ++w) {
    threads.emplace_back([&, w] {
      for (std::size_t i; (i = next++) < order.size();) {
        HealthStore& store = w % 2 ? static_cast<HealthStore&>(a) : b;
        const RouteId& route = w % 2 ? ra.route(0, 1) : rb.route(0, 1);
        store.cool_route(route, t, t + seconds(order[i]));
      }
    });
  }
  for (auto& th : threads) th.join();
  // Everything written through; the server holds 400 s, and so do both views.
  std::string name;
  REQUIRE(eventually([&] {
    for (const std::string& k : all_keys(server)) {
      if (k.find(":cool:groq:model-a") != std::string::npos) name = k;
    }
    if (name.empty()) return false;
    const long long pttl = std::stoll(server.command({"PTTL", name}));
    return pttl > 390'000;
  }));
  const long long pttl = std::stoll(server.command({"PTTL", name}));
  CHECK(pttl <= 400'000);
  const long long until_ms = std::stoll(server.command({"HGET", name, "until"}));
  const long long server_ms = std::stoll(lines_of(server.command({"TIME"}))[0]) * 1000;
  CHECK(until_ms - server_ms > 390'000);  // the server's clock, not a client's
  CHECK(eventually([&] { return a.check_route(ra.route(0, 1), now()).until > t + seconds(399); }));
  CHECK(eventually([&] { return b.check_route(rb.route(0, 1), now()).until > t + seconds(399); }));
}

TEST_CASE("entries expire on the server's clock and carry nothing but fingerprints", "[redis][security]") {
  RedisServer server;
  RedisHealthStore a(options_for(server.url(), "fleet-7:"));
  REQUIRE(a.wait_until_synced(seconds(5)));
  Registered ra(a, groq_routes("the-fleet-secret", RateBudget{5, 1000, seconds(60)}));
  const HealthTime t = now();
  a.quarantine_key(ra.key(0), t, t + seconds(60));
  a.cool_route(ra.route(0, 1), t, t + milliseconds(400));
  a.mark_missing(ra.model(1), t, health_forever);  // "forever" still expires on the server
  CHECK(a.take_budget(ra.key(1), t).granted);
  a.spend_tokens(ra.key(1), 42, t);
  REQUIRE(eventually([&] { return all_keys(server).size() == 5; }));

  const std::string fp0 = KeyFingerprint::of("the-fleet-secret", "gsk_first_key_value_0001").hex();
  const std::string fp1 = KeyFingerprint::of("the-fleet-secret", "gsk_second_key_value_0002").hex();
  std::set<std::string> expected = {"fleet-7:{k:" + fp0 + "}:quarantine:groq", "fleet-7:{k:" + fp1 + "}:cool:groq:model-a",
                                    "fleet-7:{m:groq:model-b}:missing", "fleet-7:{k:" + fp1 + "}:budget:groq",
                                    "fleet-7:{k:" + fp1 + "}:tokens:groq"};
  const auto keys = all_keys(server);
  CHECK(std::set<std::string>(keys.begin(), keys.end()) == expected);

  // Nothing the server holds names a key, or an unkeyed hash of one.
  std::string everything;
  for (const std::string& k : keys) {
    everything += k + "\n";
    const std::string type = server.command({"TYPE", k});
    if (type == "hash") everything += server.command({"HGETALL", k}) + "\n";
    if (type == "zset") everything += server.command({"ZRANGE", k, "0", "-1"}) + "\n";
    const long long ttl = std::stoll(server.command({"PTTL", k}));
    INFO(k);
    CHECK(ttl > 0);  // every entry has a TTL
    CHECK(ttl <= 7LL * 24 * 3600 * 1000);
  }
  for (const std::string key : {"gsk_first_key_value_0001", "gsk_second_key_value_0002"}) {
    CHECK(everything.find(key) == std::string::npos);
    CHECK(everything.find(key.substr(key.size() - 4)) == std::string::npos);
    const auto digest = detail::sha256(key);
    std::string hex;
    for (unsigned char c : digest) {
      static constexpr char digits[] = "0123456789abcdef";
      hex += digits[c >> 4];
      hex += digits[c & 15];
    }
    CHECK(everything.find(hex.substr(0, 16)) == std::string::npos);
  }
  // The short cooldown is gone from the server once it ended there.
  CHECK(eventually([&] { return all_keys(server).size() == 4; }));
}

TEST_CASE("a store that starts later, or a registration made later, knows what the fleet learned", "[redis]") {
  RedisServer server;
  RedisHealthStore a(options_for(server.url()));
  REQUIRE(a.wait_until_synced(seconds(5)));
  Registered ra(a, groq_routes());
  const HealthTime t = now();
  a.quarantine_key(ra.key(1), t, t + seconds(60));
  a.mark_missing(ra.model(1), t, t + seconds(60));
  REQUIRE(eventually([&] { return all_keys(server).size() == 2; }));

  RedisHealthStore late(options_for(server.url()));
  REQUIRE(late.wait_until_synced(seconds(5)));
  Registered rl(late, groq_routes());
  CHECK(late.check_route(rl.route(0, 1), now()).state == KeyState::quarantined);
  CHECK(late.check_model(rl.model(1), now()).state == ModelState::missing);
  CHECK(late.stats().syncs == 1);
  // Another fleet (prefix) and another secret (fingerprints) share nothing.
  RedisHealthStore other_prefix(options_for(server.url(), "other:"));
  REQUIRE(other_prefix.wait_until_synced(seconds(5)));
  Registered ro(other_prefix, groq_routes());
  CHECK(other_prefix.check_route(ro.route(0, 1), now()).state == KeyState::usable);
  RedisHealthStore other_secret(options_for(server.url()));
  REQUIRE(other_secret.wait_until_synced(seconds(5)));
  Registered rs(other_secret, groq_routes("another-secret"));
  CHECK(other_secret.check_route(rs.route(0, 1), now()).state == KeyState::usable);
}

TEST_CASE("a rate budget holds across stores: any window admits at most its requests", "[redis][budget]") {
  RedisServer server;
  RedisHealthStore a(patient(options_for(server.url()))), b(patient(options_for(server.url())));
  REQUIRE(a.wait_until_synced(seconds(5)));
  REQUIRE(b.wait_until_synced(seconds(5)));
  const RateBudget budget{10, 0, seconds(60)};
  Registered ra(a, groq_routes("fleet-secret", budget)), rb(b, groq_routes("fleet-secret", budget));
  std::atomic<int> granted{0};
  HealthTime refused_until{};
  std::mutex refused_mutex;
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < 10; ++i) {
        HealthStore& store = w % 2 ? static_cast<HealthStore&>(a) : b;
        const KeyId& key = w % 2 ? ra.key(0) : rb.key(0);
        const auto v = store.take_budget(key, now());
        if (v.granted) {
          ++granted;
        } else {
          std::lock_guard<std::mutex> lock(refused_mutex);
          refused_until = std::max(refused_until, v.until);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(granted == 10);
  // Refused until the first take leaves the window: about a minute from now.
  CHECK(refused_until > now() + seconds(55));
  CHECK(refused_until < now() + seconds(61));
  // The other key has its own budget.
  CHECK(a.take_budget(ra.key(1), now()).granted);
  CHECK(a.stats().budget_takes + b.stats().budget_takes == 41);
  CHECK(a.stats().budget_local == 0);

  SECTION("a token budget refuses once the window's spending reaches it") {
    RedisHealthStore c(patient(options_for(server.url(), "tokens:")));
    REQUIRE(c.wait_until_synced(seconds(5)));
    Registered rc(c, groq_routes("fleet-secret", RateBudget{0, 100, seconds(60)}));
    CHECK(c.take_budget(rc.key(0), now()).granted);
    c.spend_tokens(rc.key(0), 60, now());
    c.spend_tokens(rc.key(0), 50, now());
    CHECK(eventually([&] { return !c.take_budget(rc.key(0), now()).granted; }));
  }
}

TEST_CASE("with no server, the store answers from memory at once and connects when one comes", "[redis][outage]") {
  RedisServerOptions with_password;
  with_password.password = "hunter2-pass";
  RedisServer server(with_password);
  server.kill();  // its port is free now; restart() brings a server back on it
  LogCapture log;
  RedisHealthStore store(options_for(server.url()));
  CHECK_FALSE(store.wait_until_synced(milliseconds(300)));
  Registered r(store, groq_routes("fleet-secret", RateBudget{2, 0, seconds(60)}));
  const HealthTime t = now();
  store.quarantine_key(r.key(0), t, t + seconds(60));
  CHECK(store.check_route(r.route(0, 0), t).state == KeyState::quarantined);
  // Budgets from local memory: the same limit, per process.
  CHECK(store.take_budget(r.key(1), t).granted);
  CHECK(store.take_budget(r.key(1), t).granted);
  CHECK_FALSE(store.take_budget(r.key(1), t).granted);
  CHECK(store.stats().budget_local == 3);
  CHECK(store.stats().outages == 1);
  CHECK_FALSE(store.stats().connected);

  // The server comes: the store connects and writes what it learned meanwhile.
  server.restart();
  REQUIRE(store.wait_until_synced(seconds(5)));
  CHECK(eventually([&] {
    const auto keys = all_keys(server);
    return keys.size() == 1 && keys[0].find(":quarantine:groq") != std::string::npos;
  }));
  CHECK(store.stats().outages == 1);
  CHECK(log.joined().find("hunter2-pass") == std::string::npos);
  CHECK(log.count({"answering from local memory"}) == 1);  // logged once, however many retries
  CHECK(log.count({"is back after"}) == 1);
}

TEST_CASE("a server killed, restarted, paused and flushed: the store answers throughout and recovers",
          "[redis][outage][concurrency]") {
  RedisServer server;
  LogCapture log;
  RedisStoreOptions o = options_for(server.url());
  RedisHealthStore store(o), peer(o);
  REQUIRE(store.wait_until_synced(seconds(5)));
  REQUIRE(peer.wait_until_synced(seconds(5)));
  Registered r(store, groq_routes("fleet-secret", RateBudget{1000, 0, seconds(60)}));
  Registered rp(peer, groq_routes("fleet-secret", RateBudget{1000, 0, seconds(60)}));
  const HealthTime t = now();
  store.quarantine_key(r.key(0), t, t + seconds(120));
  REQUIRE(eventually([&] { return peer.check_route(rp.route(0, 0), now()).state == KeyState::quarantined; }));

  // Readers keep asking throughout: every answer comes from memory, none waits on the server.
  std::atomic<bool> stop{false};
  std::atomic<long long> slowest_read_us{0};
  std::atomic<int> wrong{0};
  std::thread reader([&] {
    while (!stop) {
      const auto start = std::chrono::steady_clock::now();
      const auto v = store.check_route(r.route(0, 0), now());
      const auto us =
          std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
      slowest_read_us = std::max<long long>(slowest_read_us, us);
      if (v.state != KeyState::quarantined) ++wrong;
      store.take_budget(r.key(1), now());  // bounded by the timeout at worst
    }
  });

  server.kill();
  // The listener notices (a take that timed out may say "away" sooner, without an outage).
  CHECK(eventually([&] { return store.stats().outages == 1; }));
  CHECK_FALSE(store.stats().connected);
  server.restart();  // empty: nothing was persisted
  CHECK(eventually([&] { return store.stats().connected; }));
  // Written back after the restart: the fleet's memory survives a server that lost it.
  CHECK(eventually([&] {
    const auto keys = all_keys(server);
    return std::any_of(keys.begin(), keys.end(), [](const std::string& k) { return k.find(":quarantine:groq") != std::string::npos; });
  }));

  server.pause();
  std::this_thread::sleep_for(milliseconds(1200));  // a silent server for over a second
  const auto take_start = std::chrono::steady_clock::now();
  store.take_budget(r.key(1), now());
  const auto take_ms =
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - take_start).count();
  server.resume();
  CHECK(take_ms < 1000);  // bounded by the 50 ms timeout, never the pause
  CHECK(eventually([&] { return store.stats().connected; }));

  server.flushall();
  CHECK(store.check_route(r.route(0, 0), now()).state == KeyState::quarantined);
  stop = true;
  reader.join();
  CHECK(wrong == 0);
  CHECK(slowest_read_us < 1'000'000);  // reads never waited on the server (its pause was 1.2 s)
  CHECK(store.stats().outages >= 1);
  CHECK(log.count({"is back after"}) >= 1);

  // And the peer learns again through the restarted server.
  store.cool_route(r.route(1, 1), now(), now() + seconds(30));
  CHECK(eventually([&] { return peer.check_route(rp.route(1, 1), now()).state == KeyState::cooling; }));
}

TEST_CASE("rediss:// verifies the server's certificate, and a password in the URL authenticates and is never logged",
          "[redis][tls]") {
  RedisServerOptions tls;
  tls.tls = true;
  tls.password = "tls-pass-word-77";
  RedisServer server(tls);
  LogCapture log;
  {
    RedisStoreOptions o = options_for(server.url());
    o.tls_ca_file = server.ca_file();
    RedisHealthStore a(o), b(o);
    if (!a.wait_until_synced(seconds(5)) || !b.wait_until_synced(seconds(5))) FAIL(log.joined());
    Registered ra(a, groq_routes()), rb(b, groq_routes());
    a.quarantine_key(ra.key(1), now(), now() + seconds(60));
    CHECK(eventually([&] { return b.check_route(rb.route(0, 1), now()).state == KeyState::quarantined; }));
    CHECK(a.display_url().find("tls-pass-word-77") == std::string::npos);
  }
  {
    // Without the CA the certificate is not trusted: no connection, and a clear log line.
    RedisHealthStore untrusted(options_for(server.url()));
    CHECK_FALSE(untrusted.wait_until_synced(milliseconds(500)));
    CHECK(log.count({"certificate"}) >= 1);
  }
  {
    // The wrong password: refused by the server, in its own words.
    std::string url = server.url();
    url.replace(url.find("tls-pass-word-77"), 16, "wrong-pass-word!");
    RedisStoreOptions o = options_for(url);
    o.tls_ca_file = server.ca_file();
    RedisHealthStore refused(o);
    CHECK_FALSE(refused.wait_until_synced(milliseconds(500)));
    CHECK(log.joined().find("wrong-pass-word!") == std::string::npos);
  }
  CHECK(log.joined().find("tls-pass-word-77") == std::string::npos);
}

TEST_CASE("a unix socket URL reaches the server", "[redis]") {
  RedisServerOptions with_socket;
  with_socket.unix_socket = true;
  RedisServer server(with_socket);
  RedisHealthStore a(options_for(server.unix_url()));
  REQUIRE(a.wait_until_synced(seconds(5)));
  Registered ra(a, groq_routes());
  a.quarantine_key(ra.key(0), now(), now() + seconds(60));
  CHECK(eventually([&] { return all_keys(server).size() == 1; }));
}

TEST_CASE("two orchestrators sharing Redis: the second never calls the key the first found invalid",
          "[redis][orchestrator]") {
  RedisServer server;
  sim::Simulator sim(json{{"rules", {{{"key", "bad-key"}, {"behavior", "invalid_key"}}}}});
  auto make = [&] {
    OrchestratorConfig c;
    c.pools.push_back(PoolConfig(Provider::groq, {"model-a"}, {"bad-key", "ok-key"}, sim.url()));
    c.key_fingerprint_secret = "fleet-secret";
    auto store = std::make_shared<RedisHealthStore>(options_for(server.url()));
    REQUIRE(store->wait_until_synced(seconds(5)));
    c.health_store = store;
    return std::make_pair(std::make_unique<Orchestrator>(c), store);
  };
  auto [first, first_store] = make();
  auto [second, second_store] = make();
  CHECK(first->request("hi").key_label == "GROQ_API_KEY1");
  CHECK(sim.hits("groq", "bad-key") == 1);
  REQUIRE(eventually([&] { return second_store->stats().remote_updates >= 1; }));
  for (int i = 0; i < 5; ++i) CHECK(second->request("hi").key_label == "GROQ_API_KEY1");
  CHECK(sim.hits("groq", "bad-key") == 1);
}

TEST_CASE("POLYROUTER_REDIS_URL and polyrouter.json's health_store configure a shared store", "[redis][config]") {
  RedisServer server;
  sim::Simulator sim;
  ::setenv("GROQ_API_KEY0", "k0", 1);
  ::setenv("GROQ_BASE_URL", sim.url().c_str(), 1);
  ::setenv("POLYROUTER_REDIS_URL", server.url().c_str(), 1);
  ::unsetenv("POLYROUTER_FLEET_SECRET");
  CHECK_THROWS_AS(config_from_env(), ConfigError);  // a fleet needs its secret
  ::setenv("POLYROUTER_FLEET_SECRET", "s", 1);
  ::setenv("POLYROUTER_REDIS_PREFIX", "envfleet:", 1);
  {
    OrchestratorConfig c = config_from_env();
    auto* store = dynamic_cast<RedisHealthStore*>(c.health_store.get());
    REQUIRE(store != nullptr);
    CHECK(store->stats().connected);  // config_from_env waited for the first sync
    CHECK(c.key_fingerprint_secret == "s");
    Orchestrator o(c);
    o.request("hi");
  }
  ::unsetenv("POLYROUTER_REDIS_URL");
  ::unsetenv("POLYROUTER_REDIS_PREFIX");
  ::unsetenv("POLYROUTER_FLEET_SECRET");
  {
    const std::string path = server.folder() + "/polyrouter.json";
    std::ofstream(path) << json{{"health_store", {{"redis", server.url()}, {"prefix", "filefleet:"}, {"fleet_secret", "f"}}}}.dump();
    EnvOptions from_file;
    from_file.config_file = path;
    OrchestratorConfig c = config_from_env(from_file);
    REQUIRE(dynamic_cast<RedisHealthStore*>(c.health_store.get()) != nullptr);
    CHECK(c.key_fingerprint_secret == "f");
    std::ofstream(path) << json{{"health_store", {{"prefix", "x:"}}}}.dump();
    CHECK_THROWS_AS(config_from_env(from_file), ConfigError);  // no URL
  }
  ::unsetenv("GROQ_API_KEY0");
  ::unsetenv("GROQ_BASE_URL");
}

TEST_CASE("a Redis Cluster: entries live on the masters their hash tags name, and every store sees them all",
          "[redis][cluster]") {
  RedisServerOptions node;
  node.cluster = true;
  RedisServer n1(node), n2(node), n3(node);
  const std::string create = "redis-cli --cluster create 127.0.0.1:" + std::to_string(n1.port()) + " 127.0.0.1:" +
                             std::to_string(n2.port()) + " 127.0.0.1:" + std::to_string(n3.port()) +
                             " --cluster-yes > " + n1.folder() + "/create.log 2>&1";
  REQUIRE(std::system(create.c_str()) == 0);
  REQUIRE(eventually([&] {
    for (const RedisServer* n : {&n1, &n2, &n3}) {
      if (n->command({"CLUSTER", "INFO"}).find("cluster_state:ok") == std::string::npos) return false;
    }
    return true;
  }));

  // Six keys: their hash tags spread them over the masters.
  PoolRoutes routes = groq_routes("fleet-secret", RateBudget{3, 0, seconds(60)});
  routes.keys.clear();
  for (int i = 0; i < 6; ++i) {
    routes.keys.push_back({KeyFingerprint::of("fleet-secret", "cluster-key-" + std::to_string(i)), "K" + std::to_string(i)});
  }
  RedisHealthStore a(patient(options_for(n1.url()))), b(patient(options_for(n2.url())));
  REQUIRE(a.wait_until_synced(seconds(5)));
  REQUIRE(b.wait_until_synced(seconds(5)));
  Registered ra(a, routes), rb(b, routes);
  const HealthTime t = now();
  for (std::size_t k = 0; k < 6; ++k) a.quarantine_key(ra.key(k), t, t + seconds(60));
  for (std::size_t k = 0; k < 6; ++k) {
    INFO(k);
    CHECK(eventually([&] { return b.check_route(rb.route(0, k), now()).state == KeyState::quarantined; }));
  }
  int holding = 0;
  long long total = 0;
  for (const RedisServer* n : {&n1, &n2, &n3}) {
    const long long size = std::stoll(n->command({"DBSIZE"}));
    holding += size > 0;
    total += size;
  }
  CHECK(total == 6);
  CHECK(holding >= 2);  // not all on the seed: redirections were followed

  // Budgets: each key's script runs on its own master, whichever node a store was given.
  for (std::size_t k = 0; k < 6; ++k) {
    int granted = 0;
    for (int i = 0; i < 5; ++i) granted += (i % 2 ? a : b).take_budget(i % 2 ? ra.key(k) : rb.key(k), now()).granted;
    CHECK(granted == 3);
  }
  CHECK(a.stats().budget_local + b.stats().budget_local == 0);

  // A store that starts later reads every master.
  RedisHealthStore late(options_for(n3.url()));
  REQUIRE(late.wait_until_synced(seconds(5)));
  Registered rl(late, routes);
  for (std::size_t k = 0; k < 6; ++k) CHECK(late.check_route(rl.route(0, k), now()).state == KeyState::quarantined);
}

TEST_CASE("anything else published on the fleet's channel is ignored, and the store listens on", "[redis][hostile]") {
  RedisServer server;
  RedisHealthStore a(options_for(server.url())), b(options_for(server.url()));
  REQUIRE(a.wait_until_synced(seconds(5)));
  REQUIRE(b.wait_until_synced(seconds(5)));
  Registered ra(a, groq_routes()), rb(b, groq_routes());
  const std::string fp0 = KeyFingerprint::of("fleet-secret", "gsk_first_key_value_0001").hex();
  for (const std::string& junk :
       {std::string("hello"), std::string("30000"), std::string("30000 not json"), std::string("30000 [1,2]"),
        std::string(R"(30000 {"o":"x","t":"quarantine","p":5,"f":")") + fp0 + "\"}",  // a number for a name
        std::string(R"(30000 {"t":["quarantine"],"p":"groq","f":")") + fp0 + "\"}",
        std::string(R"(30000 {"t":"quarantine","p":"groq"})"),                       // about nobody
        std::string(R"(-5 {"t":"quarantine","p":"groq","f":")") + fp0 + "\"}",      // a past deadline
        std::string(R"(99999999999999999999999 {"t":"quarantine","p":"groq","f":")") + fp0 + "\"}",
        std::string("30000 {\"t\":\"quarantine\",\"p\":\"gr\xff\xfeoq\",\"f\":\"x\"}")}) {
    server.command({"PUBLISH", "polyrouter:events", junk});
  }
  // Still listening: a real fact from a arrives, and nothing above quarantined the key.
  a.cool_route(ra.route(1, 1), now(), now() + seconds(30));
  CHECK(eventually([&] { return b.check_route(rb.route(1, 1), now()).state == KeyState::cooling; }));
  CHECK(b.check_route(rb.route(0, 0), now()).state == KeyState::usable);
  CHECK(b.stats().connected);
}
