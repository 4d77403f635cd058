// RedisHealthStore: a local InMemoryHealthStore answers every question; two background threads
// keep it in step with the fleet. The listener thread subscribes to the fleet's channel, reads
// the whole shared state at each (re)connection and applies what others learn; the writer
// thread sends what this process learns as atomic scripts. Only take_budget() talks to the
// server on a request's path, and only for pools with a budget.

#include "polyrouter/redis_health_store.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <tuple>
#include <unordered_map>

#include "health/redis/connection.hpp"
#include "health/redis/endpoint.hpp"
#include "health/redis/fact.hpp"
#include "health/redis/nodes.hpp"
#include "health/redis/scripts.hpp"
#include "logging.hpp"
#include "polyrouter/errors.hpp"

namespace polyrouter {
namespace detail::redis {  // named, not anonymous: State's members use these types
using std::chrono::milliseconds;

// Every shared entry expires within this, whatever the local deadline ("forever" included).
constexpr milliseconds max_shared_ttl = std::chrono::hours(24 * 7);
constexpr milliseconds ping_interval{250};
constexpr std::size_t max_queued_writes = 10'000;

// The scripts go by their SHA-1, as EVALSHA wants; EVAL with the body when the server lost them.
struct Script {
  const char* body;
  std::string sha;
};

std::string sha1_hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha1(), nullptr);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(hex[digest[i] >> 4]);
    out.push_back(hex[digest[i] & 15]);
  }
  return out;
}

milliseconds left_until(HealthTime until, HealthTime now) {
  if (until <= now) return milliseconds(0);
  if (until == health_forever) return max_shared_ttl;
  return std::min(std::chrono::duration_cast<milliseconds>(until - now), max_shared_ttl);
}

}  // namespace detail::redis

using namespace detail::redis;

struct RedisHealthStore::State {
  RedisStoreOptions options;
  Endpoint endpoint;
  std::string channel;
  std::string origin;  ///< this store's id on the channel: its own messages come back to it
  Script set_later{scripts::set_later, sha1_hex(scripts::set_later)};
  Script clear{scripts::clear, sha1_hex(scripts::clear)};
  Script take_script{scripts::take_budget, sha1_hex(scripts::take_budget)};
  Script spend{scripts::spend_tokens, sha1_hex(scripts::spend_tokens)};

  InMemoryHealthStore local;

  // Identities by the local store's handles, and back.
  struct KeyName {
    std::string pool, fingerprint;
    RateBudget budget;
  };
  struct ModelName {
    std::string pool, model;
  };
  mutable std::mutex names_mutex;
  std::vector<KeyName> keys;
  std::vector<ModelName> models;
  std::map<std::pair<std::string, std::string>, KeyId> key_ids;     ///< (pool, fingerprint)
  std::map<std::pair<std::string, std::string>, ModelId> model_ids; ///< (pool, model)
  std::map<std::pair<std::uint32_t, std::uint32_t>, RouteId> route_ids;  ///< (model, key)

  // What the fleet believes, as far as this process knows: applied to registrations that come
  // later, and written back after the server was lost (restarted or flushed).
  std::mutex facts_mutex;
  std::unordered_map<std::string, Fact> facts;  ///< by Redis key
  std::size_t facts_after_last_look = 0;

  // The writer's queue.
  struct Write {
    enum class Kind { fact, spend };
    Kind kind = Kind::fact;
    std::string key;
    Fact fact;               ///< Kind::fact
    std::int64_t tokens = 0; ///< Kind::spend
    milliseconds window{0};  ///< Kind::spend
  };
  std::mutex queue_mutex;
  std::condition_variable queue_changed;
  std::deque<Write> queue;
  bool stopping = false;

  std::atomic<bool> reachable{false};  ///< the server answers: worth asking
  std::atomic<bool> synced{false};
  mutable std::mutex synced_mutex;
  mutable std::condition_variable synced_changed;

  // take_budget()'s connections (to each node), one set per caller at a time.
  std::mutex idle_mutex;
  std::condition_variable idle_changed;
  std::vector<std::unique_ptr<Nodes>> idle;
  std::atomic<int> connections_wanted{0};  ///< asked of the writer thread by takes that found none
  std::atomic<std::int64_t> pool_retry_at{0};  ///< steady-clock ticks: no connection can be made before
  std::atomic<bool> take_error_logged{false};
  std::atomic<std::uint64_t> member_serial{0};

  std::atomic<std::uint64_t> outages{0}, syncs{0}, writes{0}, writes_dropped{0}, remote_updates{0}, budget_takes{0},
      budget_local{0}, commands_count{0};

  std::thread listener, writer;

  explicit State(RedisStoreOptions o) : options(std::move(o)), endpoint(parse_endpoint(options.url)) {
    channel = options.prefix + "events";
    std::random_device random;
    origin = std::to_string(random()) + "-" + std::to_string(random());
  }

  HealthTime now() const { return options.clock ? options.clock() : std::chrono::system_clock::now(); }

  // --- names ---

  std::string key_name(const Fact& f) const { return detail::redis::key_name(f, options.prefix); }
  std::string describe(const Fact& f) const { return detail::redis::describe(f, origin); }

  // The fact @p kind until @p until about a key, a model, or both (a route), by their names.
  Fact fact(Fact::Kind kind, const KeyId* key, const ModelId* model, HealthTime until) const {
    Fact f;
    f.kind = kind;
    f.until = until;
    std::lock_guard<std::mutex> lock(names_mutex);
    if (key) {
      f.pool = keys[key->index].pool;
      f.fingerprint = keys[key->index].fingerprint;
    }
    if (model) {
      f.pool = models[model->index].pool;
      f.model = models[model->index].model;
    }
    return f;
  }

  // --- learning here, telling the fleet ---

  // Under facts_mutex: once the map has doubled since the last look, facts whose deadline passed
  // (and closed breakers) go, so it holds what is true now, amortized O(1) per fact.
  void forget_passed(HealthTime at) {
    if (facts.size() < 2 * facts_after_last_look + 64) return;
    for (auto it = facts.begin(); it != facts.end();) {
      it = it->second.until == HealthTime{} || it->second.until <= at ? facts.erase(it) : std::next(it);
    }
    facts_after_last_look = facts.size();
  }

  // A fact this process learned: remembered, and written through unless it already passed.
  void learned(Fact fact, HealthTime at) {
    if (fact.until != HealthTime{} && fact.until <= at) return;
    std::string key = key_name(fact);
    {
      std::lock_guard<std::mutex> lock(facts_mutex);
      forget_passed(at);
      auto [it, added] = facts.try_emplace(key, fact);
      if (!added) {
        if (fact.until != HealthTime{} && it->second.until != HealthTime{} && it->second.until >= fact.until) return;
        it->second = fact;
      }
    }
    Write w;
    w.key = std::move(key);
    w.fact = std::move(fact);
    enqueue(std::move(w));
  }

  void enqueue(Write w) {
    {
      std::lock_guard<std::mutex> lock(queue_mutex);
      if (queue.size() >= max_queued_writes) {
        queue.pop_front();  // the oldest; the facts map keeps what matters for the next sync
        ++writes_dropped;
      }
      queue.push_back(std::move(w));
    }
    queue_changed.notify_all();
  }

  Routed command_for(const Write& w, HealthTime at) const {
    if (w.kind == Write::Kind::spend) {
      return {w.key,
              {"EVALSHA", spend.sha, "1", w.key,
               origin + "-" + std::to_string(member_serial_next()) + ":" + std::to_string(w.tokens),
               std::to_string(w.window.count())}};
    }
    if (w.fact.until == HealthTime{}) return {w.key, {"EVALSHA", clear.sha, "1", w.key, describe(w.fact), channel}};
    return {w.key,
            {"EVALSHA", set_later.sha, "1", w.key, std::to_string(left_until(w.fact.until, at).count()),
             describe(w.fact), channel}};
  }

  /// Connections bounded by @p exchange each command; made within connect_timeout.
  std::unique_ptr<Nodes> make_nodes(milliseconds exchange) const {
    std::map<std::string, std::string> bodies;
    for (const Script* s : {&set_later, &clear, &take_script, &spend}) bodies[s->sha] = s->body;
    return std::make_unique<Nodes>(endpoint, options.tls_ca_file, options.connect_timeout, exchange, std::move(bodies));
  }

  std::uint64_t member_serial_next() const { return const_cast<State*>(this)->member_serial.fetch_add(1) + 1; }

  void commands_sent(Connection& c) { commands_count += c.take_commands_sent(); }
  void commands_sent(Nodes& n) { commands_count += n.take_commands_sent(); }

  // --- the writer thread ---

  void write_loop() {
    const std::unique_ptr<Nodes> nodes = make_nodes(options.connect_timeout);
    std::unique_lock<std::mutex> lock(queue_mutex);
    for (;;) {
      queue_changed.wait_for(lock, milliseconds(100), [&] {
        return stopping || (reachable && (!queue.empty() || connections_wanted > 0));
      });
      if (queue.empty() && stopping) return;
      if (reachable && connections_wanted > 0) {
        lock.unlock();
        connect_for_budgets();
        lock.lock();
        continue;
      }
      if (queue.empty() || !reachable) {
        if (stopping) return;
        continue;
      }
      std::vector<Write> batch;
      while (!queue.empty() && batch.size() < 512) {
        batch.push_back(std::move(queue.front()));
        queue.pop_front();
      }
      lock.unlock();
      const HealthTime at = now();
      std::vector<Routed> commands;
      for (const Write& w : batch) {
        if (w.kind == Write::Kind::fact && w.fact.until != HealthTime{} && w.fact.until <= at) continue;
        commands.push_back(command_for(w, at));
      }
      // A connection from before a server restart fails at its first use: one fresh try.
      bool sent = commands.empty();
      for (int attempt = 0; attempt < 2 && !sent; ++attempt) {
        try {
          const auto replies = nodes->run(commands);
          commands_sent(*nodes);
          for (const Reply& r : replies) {
            if (is_error(r)) detail::log().warn("redis {}: a write failed: {}", endpoint.display(), text_of(r));
          }
          writes += commands.size();
          sent = true;
        } catch (const ConnectionError& e) {
          commands_sent(*nodes);
          detail::log().debug("{}", e.message);
        }
      }
      if (!sent) {
        // The server is away: the listener notices, logs it once and writes every fact back
        // when it returns; until then the batch waits here (spending included).
        reachable = false;
        std::lock_guard<std::mutex> relock(queue_mutex);
        for (auto it = batch.rbegin(); it != batch.rend() && queue.size() < max_queued_writes; ++it) {
          queue.push_front(std::move(*it));
        }
      }
      lock.lock();
    }
  }

  // Connections for take_budget(), made here so that no TLS handshake or connect happens on a
  // request's path: to the server, or to every master of a cluster.
  void connect_for_budgets() {
    {
      std::lock_guard<std::mutex> lock(idle_mutex);
      if (!idle.empty()) {  // one came back meanwhile
        connections_wanted = 0;
        return;
      }
    }
    auto nodes = make_nodes(options.timeout);  // used on requests' paths
    try {
      for (const Endpoint& master : nodes->masters()) nodes->connection(master);
    } catch (const ConnectionError& e) {
      commands_sent(*nodes);
      detail::log().debug("{}", e.message);
      connections_wanted = 0;  // asked again by the next take that finds none, after a pause
      pool_retry_at = (std::chrono::steady_clock::now() + options.reconnect_interval).time_since_epoch().count();
      return;
    }
    commands_sent(*nodes);
    nodes->stop_connecting();  // a redirection to a node it lacks fails the take, never connects
    {
      std::lock_guard<std::mutex> lock(idle_mutex);
      if (connections_wanted > 0) --connections_wanted;
      idle.push_back(std::move(nodes));
    }
    idle_changed.notify_all();
  }

  // --- the listener thread ---

  void listen_loop() {
    milliseconds backoff = options.reconnect_interval;
    bool lost_logged = false;
    auto lost_at = std::chrono::steady_clock::now();
    bool ever_connected = false;
    while (!is_stopping()) {
      try {
        Connection subscription(endpoint, options.tls_ca_file, options.connect_timeout);
        subscription.send({"SUBSCRIBE", channel}, options.connect_timeout);
        auto confirmed = subscription.read(options.connect_timeout);
        if (!confirmed) throw ConnectionError{"redis " + endpoint.display() + ": no answer to SUBSCRIBE"};
        const auto subscribed = texts_of(*confirmed);
        if (subscribed.empty() || subscribed[0] != "subscribe") {
          // e.g. NOPERM: an ACL that keeps this user off the channel.
          throw ConnectionError{"redis " + endpoint.display() + ": SUBSCRIBE refused: " + std::string(text_of(*confirmed))};
        }
        // Subscribed first, then read: nothing said in between is missed.
        const std::unique_ptr<Nodes> nodes = make_nodes(options.connect_timeout);
        try {
          read_shared_state(*nodes);
          write_back(*nodes);
        } catch (...) {
          commands_sent(*nodes);
          throw;
        }
        commands_sent(*nodes);
        commands_sent(subscription);
        if (lost_logged) {
          const auto ms = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - lost_at);
          detail::log().info("redis {} is back after {} ms; shared state read again", endpoint.display(), ms.count());
        } else if (!ever_connected) {
          detail::log().debug("redis {}: connected", endpoint.display());
        }
        reachable = true;
        {
          std::lock_guard<std::mutex> lock(synced_mutex);
          synced = true;
        }
        synced_changed.notify_all();
        queue_changed.notify_all();
        ever_connected = true;
        lost_logged = false;
        backoff = options.reconnect_interval;
        serve(subscription);
      } catch (const ConnectionError& e) {
        reachable = false;
        {
          std::lock_guard<std::mutex> lock(synced_mutex);
          synced = false;
        }
        if (!lost_logged) {
          // Once per outage: the requests go on from local memory meanwhile.
          ++outages;
          lost_logged = true;
          lost_at = std::chrono::steady_clock::now();
          detail::log().warn("{}; answering from local memory until it is back", e.message);
        }
      }
      std::unique_lock<std::mutex> lock(queue_mutex);
      queue_changed.wait_for(lock, backoff, [&] { return stopping; });
      backoff = std::min(backoff * 2, milliseconds(2000));
    }
  }

  bool is_stopping() {
    std::lock_guard<std::mutex> lock(queue_mutex);
    return stopping;
  }

  // Reads the fleet's messages until the connection fails or the store stops. A server that
  // stops answering PING (paused, partitioned) counts as lost.
  void serve(Connection& subscription) {
    auto last_ping = std::chrono::steady_clock::now();
    bool ping_pending = false;
    while (!is_stopping()) {
      auto message = subscription.read(milliseconds(50));
      const auto t = std::chrono::steady_clock::now();
      if (message) {
        const auto parts = texts_of(*message);
        if (parts.size() >= 3 && parts[0] == "message") on_message(parts[2]);
        if (!parts.empty() && parts[0] == "pong") {
          ping_pending = false;
          if (!reachable) {
            reachable = true;  // answering again after a stall: worth asking again
            queue_changed.notify_all();
          }
        }
      }
      const milliseconds since = std::chrono::duration_cast<milliseconds>(t - last_ping);
      if (ping_pending && since > options.connect_timeout) {
        throw ConnectionError{"redis " + endpoint.display() + ": no answer to PING"};
      }
      if (!ping_pending && since >= (reachable ? milliseconds(1000) : ping_interval)) {
        subscription.send({"PING"}, options.connect_timeout);
        commands_sent(subscription);
        ping_pending = true;
        last_ping = t;
      }
    }
  }

  void on_message(std::string_view payload) {
    const auto space = payload.find(' ');
    if (space == std::string_view::npos) return;
    long long ttl = 0;
    try {
      ttl = std::stoll(std::string(payload.substr(0, space)));
    } catch (...) {
      return;
    }
    apply_remote(payload.substr(space + 1), std::min<long long>(ttl, max_shared_ttl.count()), true);
  }

  // Applies a fact told by @p description (JSON) with @p ttl ms left (0 = cleared).
  void apply_remote(std::string_view description, long long ttl, bool skip_own) {
    std::string written_by;
    auto fact = read_description(description, written_by);
    if (!fact || (skip_own && written_by == origin)) return;
    Fact& f = *fact;
    const HealthTime at = now();
    f.until = ttl > 0 ? at + std::chrono::duration_cast<HealthTime::duration>(milliseconds(ttl)) : HealthTime{};
    if (ttl <= 0 && f.kind != Fact::Kind::breaker) return;
    {
      std::lock_guard<std::mutex> lock(facts_mutex);
      forget_passed(at);
      facts[key_name(f)] = f;
    }
    ++remote_updates;
    apply_locally(f, at);
  }

  void apply_locally(const Fact& f, HealthTime at) {
    std::optional<KeyId> key;
    std::optional<ModelId> model;
    std::optional<RouteId> route;
    {
      std::lock_guard<std::mutex> lock(names_mutex);
      if (!f.fingerprint.empty()) {
        auto k = key_ids.find({f.pool, f.fingerprint});
        if (k == key_ids.end()) return;  // not a key of this process: remembered in facts
        key = k->second;
      }
      if (!f.model.empty()) {
        auto m = model_ids.find({f.pool, f.model});
        if (m == model_ids.end()) return;
        model = m->second;
      }
      if (key && model) {
        auto r = route_ids.find({model->index, key->index});
        if (r == route_ids.end()) return;
        route = r->second;
      }
    }
    applying_remote() = true;
    switch (f.kind) {
      case Fact::Kind::quarantine:
        if (key) local.quarantine_key(*key, at, f.until);
        break;
      case Fact::Kind::missing:
        if (model) local.mark_missing(*model, at, f.until);
        break;
      case Fact::Kind::cool_route:
        if (route) local.cool_route(*route, at, f.until);
        break;
      case Fact::Kind::cool_model:
        if (model) local.cool_model(*model, at, f.until);
        break;
      case Fact::Kind::breaker:
        if (model && f.until == HealthTime{}) local.apply_breaker_closed(*model);
        if (model && f.until != HealthTime{}) local.apply_breaker_open(*model, at, f.until);
        break;
    }
    applying_remote() = false;
  }

  // Set while a fact from elsewhere is applied: the breaker changes it causes are not news.
  static bool& applying_remote() {
    thread_local bool flag = false;
    return flag;
  }

  // Every master of a cluster holds part of the state: each is scanned.
  void read_shared_state(Nodes& nodes) {
    std::size_t read = 0;
    for (const Endpoint& master : nodes.masters()) {
      if (is_stopping()) return;  // a SCAN walks the whole database: the destructor waits for none
      read += read_node(nodes.connection(master));
    }
    ++syncs;
    detail::log().debug("redis {}: read {} shared entries", endpoint.display(), read);
  }

  std::size_t read_node(Connection& c) {
    std::string cursor = "0";
    std::size_t read = 0;
    do {
      if (is_stopping()) return read;
      Reply page =
          c.command({"SCAN", cursor, "MATCH", options.prefix + "{*", "COUNT", "1000"}, options.connect_timeout);
      std::vector<std::string> names;
      if (!read_scan_page(page, cursor, names)) throw ConnectionError{"redis " + endpoint.display() + ": unexpected SCAN reply"};
      std::vector<Connection::Command> reads;
      std::vector<std::string> entries;
      for (std::string& name : names) {
        if (name.find("}:budget:") != std::string::npos || name.find("}:tokens:") != std::string::npos) continue;
        reads.push_back({"HGET", name, "meta"});
        reads.push_back({"PTTL", name});
        entries.push_back(std::move(name));
      }
      if (reads.empty()) continue;
      const auto replies = c.pipeline(reads, options.connect_timeout);
      for (std::size_t i = 0; i < entries.size(); ++i) {
        const long long ttl = integer_of(replies[2 * i + 1]);
        const std::string_view meta = text_of(replies[2 * i]);
        if (ttl <= 0 || meta.empty() || is_error(replies[2 * i])) continue;
        apply_remote(meta, ttl, false);
        ++read;
      }
    } while (cursor != "0");
    return read;
  }

  // After a (re)connection: what this process knows goes back to a server that may have
  // restarted empty or been flushed. The scripts keep the later deadline, so this never
  // shortens what another process wrote meanwhile.
  void write_back(Nodes& nodes) {
    const HealthTime at = now();
    std::vector<Routed> commands;
    {
      std::lock_guard<std::mutex> lock(facts_mutex);
      for (auto it = facts.begin(); it != facts.end();) {
        const Fact& f = it->second;
        if (f.until == HealthTime{} || f.until <= at) {
          it = facts.erase(it);
          continue;
        }
        Write w;
        w.key = it->first;
        w.fact = f;
        commands.push_back(command_for(w, at));
        ++it;
      }
    }
    // In batches, as the writer sends: one pipeline of every fact could outlast its timeout.
    for (std::size_t from = 0; from < commands.size(); from += 512) {
      const auto to = std::min(commands.size(), from + 512);
      nodes.run(std::vector<Routed>(commands.begin() + static_cast<std::ptrdiff_t>(from),
                                    commands.begin() + static_cast<std::ptrdiff_t>(to)));
    }
  }

  // --- rate budgets ---

  // A pooled connection for a take; none made here: when the pool is empty the writer thread
  // is asked for one and the take waits for it at most `timeout`.
  std::unique_ptr<Nodes> idle_connection() {
    std::unique_lock<std::mutex> lock(idle_mutex);
    if (idle.empty()) {
      // Making one just failed: answer from memory at once rather than wait for another failure.
      if (std::chrono::steady_clock::now().time_since_epoch().count() < pool_retry_at) return nullptr;
      ++connections_wanted;
      { std::lock_guard<std::mutex> writer_waits(queue_mutex); }  // so the writer cannot miss the call
      queue_changed.notify_all();
      idle_changed.wait_for(lock, options.timeout, [&] { return !idle.empty(); });
      if (idle.empty()) return nullptr;
    }
    std::unique_ptr<Nodes> c = std::move(idle.back());
    idle.pop_back();
    return c;
  }

  HealthStore::BudgetVerdict take(const KeyId& key, HealthTime at) {
    KeyName name;
    {
      std::lock_guard<std::mutex> lock(names_mutex);
      name = keys[key.index];
    }
    if (!name.budget.enabled()) return {};
    if (reachable) {
      std::unique_ptr<Nodes> c = idle_connection();
      if (c) {
        const std::string tag = options.prefix + "{k:" + name.fingerprint + "}:";
        std::vector<Routed> command(1);
        command[0].key = tag + "budget:" + name.pool;
        command[0].command = {"EVALSHA", take_script.sha, "2", command[0].key, tag + "tokens:" + name.pool,
                              std::to_string(name.budget.requests), std::to_string(name.budget.tokens),
                              std::to_string(std::max<long long>(1, name.budget.window.count())),
                              origin + "-" + std::to_string(member_serial_next())};
        const auto started = std::chrono::steady_clock::now();
        try {
          auto replies = c->run(command);
          commands_sent(*c);
          if (!is_error(replies.front())) {
            const long long wait = integer_of(replies.front());
            {
              std::lock_guard<std::mutex> lock(idle_mutex);
              idle.push_back(std::move(c));
            }
            idle_changed.notify_one();
            ++budget_takes;
            if (wait <= 0) return {};
            return {false, at + std::chrono::duration_cast<HealthTime::duration>(milliseconds(wait))};
          }
          // The server's refusal (OOM, READONLY, LOADING, NOPERM): the connection is sound.
          const std::string why(text_of(replies.front()));
          {
            std::lock_guard<std::mutex> lock(idle_mutex);
            idle.push_back(std::move(c));
          }
          idle_changed.notify_one();
          if (!take_error_logged.exchange(true)) {
            detail::log().warn("redis {}: a budget take was refused: {} (answering from memory; said once)",
                               endpoint.display(), why);
          } else {
            detail::log().debug("redis {}: a budget take was refused: {}", endpoint.display(), why);
          }
        } catch (const ConnectionError& e) {
          commands_sent(*c);
          detail::log().debug("{}", e.message);
          // A connection from before a server restart fails at once: the writer makes new
          // ones. One that timed out means the server stalls: ask it no more until it PONGs.
          if (std::chrono::steady_clock::now() - started >= options.timeout / 2) reachable = false;
        }
      }
    }
    ++budget_local;
    return local.take_budget(key, at);
  }
};

RedisHealthStore::RedisHealthStore(RedisStoreOptions options) : state_(std::make_unique<State>(std::move(options))) {
  if (state_->options.timeout.count() <= 0) throw ConfigError("redis timeout must be positive");
  if (state_->options.connect_timeout.count() <= 0) throw ConfigError("redis connect_timeout must be positive");
  if (state_->options.reconnect_interval.count() <= 0) throw ConfigError("redis reconnect_interval must be positive");
  state_->listener = std::thread([s = state_.get()] { s->listen_loop(); });
  state_->writer = std::thread([s = state_.get()] { s->write_loop(); });
}

RedisHealthStore::~RedisHealthStore() {
  {
    std::lock_guard<std::mutex> lock(state_->queue_mutex);
    state_->stopping = true;
  }
  state_->queue_changed.notify_all();
  state_->listener.join();
  state_->writer.join();
}

bool RedisHealthStore::wait_until_synced(std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(state_->synced_mutex);
  return state_->synced_changed.wait_for(lock, timeout, [&] { return state_->synced.load(); });
}

RedisStoreStats RedisHealthStore::stats() const {
  RedisStoreStats s;
  s.connected = state_->synced && state_->reachable;
  s.outages = state_->outages;
  s.syncs = state_->syncs;
  s.writes = state_->writes;
  s.writes_dropped = state_->writes_dropped;
  s.remote_updates = state_->remote_updates;
  s.budget_takes = state_->budget_takes;
  s.budget_local = state_->budget_local;
  s.commands = state_->commands_count;
  return s;
}

std::string RedisHealthStore::display_url() const { return state_->endpoint.display(); }

RouteTable RedisHealthStore::register_routes(const std::vector<PoolRoutes>& pools, const HealthPolicy& policy,
                                             HealthListener listener) {
  State& s = *state_;
  // Breaker changes happen inside the local store: its listener is where they are seen.
  auto shared = std::make_shared<HealthListener>(std::move(listener));
  RouteTable table = s.local.register_routes(pools, policy, [&s, shared](const HealthChange& change) {
    if (!State::applying_remote() &&
        (change.kind == HealthChange::Kind::breaker_opened || change.kind == HealthChange::Kind::breaker_closed)) {
      std::optional<ModelId> model;
      {
        std::lock_guard<std::mutex> lock(s.names_mutex);
        auto found = s.model_ids.find({change.pool, change.model});
        if (found != s.model_ids.end()) model = found->second;
      }
      if (model) {
        const HealthTime until = change.kind == HealthChange::Kind::breaker_opened && change.until ? *change.until
                                                                                                   : HealthTime{};
        s.learned(s.fact(Fact::Kind::breaker, nullptr, &*model, until), s.now());
      }
    }
    if (*shared) (*shared)(change);
  });
  {
    std::lock_guard<std::mutex> lock(s.names_mutex);
    for (std::size_t p = 0; p < pools.size(); ++p) {
      const RouteTable::Pool& handles = table.pools[p];
      for (std::size_t m = 0; m < handles.models.size(); ++m) {
        const std::uint32_t i = handles.models[m].index;
        if (s.models.size() <= i) s.models.resize(i + 1);
        s.models[i] = {pools[p].name, pools[p].models[m]};
        s.model_ids[{pools[p].name, pools[p].models[m]}] = handles.models[m];
      }
      for (std::size_t k = 0; k < handles.keys.size(); ++k) {
        const std::uint32_t i = handles.keys[k].index;
        if (s.keys.size() <= i) s.keys.resize(i + 1);
        const bool first = s.keys[i].fingerprint.empty();
        if (first) s.keys[i] = {pools[p].name, pools[p].keys[k].fingerprint.hex(), pools[p].budget};
        s.key_ids[{pools[p].name, s.keys[i].fingerprint}] = handles.keys[k];
      }
      for (const RouteId& r : handles.routes) s.route_ids[{r.model.index, r.key.index}] = r;
    }
  }
  // What the fleet already knew about these routes.
  std::vector<Fact> known;
  {
    std::lock_guard<std::mutex> lock(s.facts_mutex);
    for (const auto& [name, fact] : s.facts) known.push_back(fact);
  }
  const HealthTime at = s.now();
  for (const Fact& f : known) {
    if (f.until != HealthTime{} && f.until > at) s.apply_locally(f, at);
  }
  return table;
}

void RedisHealthStore::unregister_routes(const RouteTable& table) { state_->local.unregister_routes(table); }

HealthStore::ModelVerdict RedisHealthStore::check_model(const ModelId& model, HealthTime now) {
  return state_->local.check_model(model, now);
}
HealthStore::KeyVerdict RedisHealthStore::check_route(const RouteId& route, HealthTime now) {
  return state_->local.check_route(route, now);
}
HealthStore::TrialClaim RedisHealthStore::claim_trial(const ModelId& model, HealthTime now, HealthTime claim_until) {
  return state_->local.claim_trial(model, now, claim_until);
}
void RedisHealthStore::release_trial(const ModelId& model, TrialClaim claim) { state_->local.release_trial(model, claim); }

void RedisHealthStore::quarantine_key(const KeyId& key, HealthTime now, HealthTime until) {
  state_->local.quarantine_key(key, now, until);
  state_->learned(state_->fact(Fact::Kind::quarantine, &key, nullptr, until), now);
}
void RedisHealthStore::mark_missing(const ModelId& model, HealthTime now, HealthTime until) {
  state_->local.mark_missing(model, now, until);
  state_->learned(state_->fact(Fact::Kind::missing, nullptr, &model, until), now);
}
void RedisHealthStore::cool_route(const RouteId& route, HealthTime now, HealthTime until) {
  state_->local.cool_route(route, now, until);
  state_->learned(state_->fact(Fact::Kind::cool_route, &route.key, &route.model, until), now);
}
void RedisHealthStore::cool_model(const ModelId& model, HealthTime now, HealthTime until) {
  state_->local.cool_model(model, now, until);
  state_->learned(state_->fact(Fact::Kind::cool_model, nullptr, &model, until), now);
}

void RedisHealthStore::record_success(const RouteId& route, HealthTime now) { state_->local.record_success(route, now); }
void RedisHealthStore::record_failure(const ModelId& model, HealthTime now, TrialClaim trial) {
  state_->local.record_failure(model, now, trial);
}
bool RedisHealthStore::record_route_failure(const RouteId& route) { return state_->local.record_route_failure(route); }
bool RedisHealthStore::breaker_open(const ModelId& model) const { return state_->local.breaker_open(model); }

HealthStore::BudgetVerdict RedisHealthStore::take_budget(const KeyId& key, HealthTime now) {
  return state_->take(key, now);
}

void RedisHealthStore::spend_tokens(const KeyId& key, std::int64_t tokens, HealthTime now) {
  State& s = *state_;
  s.local.spend_tokens(key, tokens, now);
  State::KeyName name;
  {
    std::lock_guard<std::mutex> lock(s.names_mutex);
    name = s.keys[key.index];
  }
  if (name.budget.tokens <= 0 || tokens <= 0) return;
  State::Write w;
  w.kind = State::Write::Kind::spend;
  w.key = s.options.prefix + "{k:" + name.fingerprint + "}:tokens:" + name.pool;
  w.tokens = tokens;
  w.window = name.budget.window;
  s.enqueue(std::move(w));
}

std::optional<HealthTime> RedisHealthStore::earliest_cooldown_end(const RouteTable& table, HealthTime now) {
  return state_->local.earliest_cooldown_end(table, now);
}
void RedisHealthStore::snapshot(const RouteTable& table, HealthTime now, HealthSnapshot& out) const {
  state_->local.snapshot(table, now, out);
}
void RedisHealthStore::sweep(HealthTime now) { state_->local.sweep(now); }

}  // namespace polyrouter
