// The Observer: every hook, in order, on the documented thread, with the request's id, through
// request(), stream(), request_async() and stream_async() over loopback HTTP; the provider's
// request id in each Attempt; the request id on every log line; hooks that throw.

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <polyrouter/polyrouter.hpp>

#include "fake_clock.hpp"
#include "fixtures.hpp"
#include "log_capture.hpp"
#include "observe/fan_out.hpp"
#include "observe/prometheus.hpp"
#include "test_server.hpp"

using namespace polyrouter;
using namespace std::chrono_literals;

using polyrouter::test::LogCapture;

namespace {

struct Hook {
  std::string name;
  std::string request_id;
  std::thread::id thread;
  std::string detail;
};

// Records every hook with its thread.
class HookRecorder final : public Observer {
 public:
  void on_request_start(const RequestInfo& r) override {
    add("request_start", r, std::string(r.stream ? "stream" : "plain") + (r.async ? " async" : ""));
  }
  void on_attempt_start(const RequestInfo& r, const AttemptStart& a) override {
    add("attempt_start", r,
        std::string(a.pool) + " " + std::string(a.model) + " " + std::string(a.key_label) + " retry " +
            std::to_string(a.retry) + " #" + std::to_string(a.number));
  }
  void on_attempt_end(const RequestInfo& r, const Attempt& a) override {
    add("attempt_end", r, a.key_label + " " + std::string(to_string(a.outcome)) + " " + a.provider_request_id);
  }
  void on_fallback(const RequestInfo& r, const Attempt& failed) override { add("fallback", r, failed.key_label); }
  void on_exhausted(const RequestInfo& r, const std::vector<Attempt>& attempts) override {
    add("exhausted", r, std::to_string(attempts.size()));
  }
  void on_request_end(const RequestInfo& r, const RequestEnd& end) override {
    add("request_end", r,
        (end.response != nullptr ? std::string("answered") : std::string(tag(*end.error))) + " after " +
            std::to_string(end.attempts));
  }
  void on_health_change(const HealthChange& change) override {
    add("health_change", RequestInfo{}, std::string(to_string(change.kind)));
  }

  std::vector<Hook> hooks() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return hooks_;
  }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const Hook& h : hooks()) out.push_back(h.name);
    return out;
  }

 private:
  void add(std::string name, const RequestInfo& r, std::string detail) {
    std::lock_guard<std::mutex> lock(mutex_);
    hooks_.push_back({std::move(name), std::string(r.id), std::this_thread::get_id(), std::move(detail)});
  }
  mutable std::mutex mutex_;
  std::vector<Hook> hooks_;
};

// A loopback Groq: key "k-busy" answers 503, "k-ok" answers (JSON, or SSE for a stream), and
// "k-all-busy" mode makes every key answer 503. Every answer carries x-request-id "req_<n>".
class FailoverUpstream {
 public:
  FailoverUpstream() {
    server_.respond_with([this](const test::RecordedRequest& request) {
      const std::string key = request.header("authorization");
      const bool stream = request.body.find("\"stream\":true") != std::string::npos;
      test::Reply reply;
      if (key == "Bearer k-busy" || all_busy_) {
        reply = test::Reply::text("upstream busy", 503);
      } else if (stream) {
        reply = test::Reply::text(test::load_fixture("groq_stream.sse"), 200, "text/event-stream");
      } else {
        reply = test::Reply::fixture("groq_ok.json");
      }
      std::lock_guard<std::mutex> lock(mutex_);
      sent_.push_back(header_value_ + std::to_string(sent_.size() + 1));
      return reply.with_header("x-request-id", sent_.back());
    });
  }
  std::string url() const { return server_.url(); }
  /// The x-request-id values sent, in order.
  std::vector<std::string> sent() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return sent_;
  }
  void all_busy() { all_busy_ = true; }
  /// What x-request-id values start with (then a counter).
  void request_ids_start_with(std::string prefix) {
    std::lock_guard<std::mutex> lock(mutex_);
    header_value_ = std::move(prefix);
  }

 private:
  test::TestServer server_;
  mutable std::mutex mutex_;
  std::vector<std::string> sent_;
  std::string header_value_ = "req_";
  std::atomic<bool> all_busy_{false};
};

OrchestratorConfig failover_config(const FailoverUpstream& upstream, std::shared_ptr<Observer> observer) {
  OrchestratorConfig config;
  config.retry.max_retries = 0;  // the 503 falls over at once: one failover per request
  config.pools = {PoolConfig{Provider::groq, {"m"}, {"k-busy", "k-ok"}, upstream.url()}};
  config.observers = {std::move(observer)};
  return config;
}

enum class Entry { request, stream, request_async, stream_async };

const char* entry_name(Entry mode) {
  switch (mode) {
    case Entry::request: return "request()";
    case Entry::stream: return "stream()";
    case Entry::request_async: return "request_async()";
    case Entry::stream_async: return "stream_async()";
  }
  return "?";
}

// An async call's outcome stays in @p held until the test ends, so the test's thread frees what
// it reads: an error read on this thread and freed by the loop thread is synchronized only
// through libstdc++'s exception_ptr count, which ThreadSanitizer does not see.
Response call_entry(Orchestrator& orchestrator, Entry mode, std::shared_future<Response>& held) {
  const auto ignore = [](std::string_view) { return true; };
  switch (mode) {
    case Entry::request: return orchestrator.request("hi");
    case Entry::stream: return orchestrator.stream(ChatRequest::from_prompt("hi"), ignore);
    case Entry::request_async: held = orchestrator.request_async("hi").share(); return held.get();
    case Entry::stream_async: held = orchestrator.stream_async("hi", ignore).share(); return held.get();
  }
  throw std::logic_error("mode");
}

const std::vector<std::string> failover_order = {"request_start", "attempt_start", "attempt_end", "fallback",
                                                 "attempt_start", "attempt_end",   "request_end"};


}  // namespace

TEST_CASE("every hook fires in order, on the documented thread, with one request id", "[observer]") {
  const Entry mode = GENERATE(Entry::request, Entry::stream, Entry::request_async, Entry::stream_async);
  INFO(entry_name(mode));
  std::shared_future<Response> held;  // outlives the orchestrator (see call_entry())
  FailoverUpstream upstream;
  auto recorder = std::make_shared<HookRecorder>();
  Orchestrator orchestrator(failover_config(upstream, recorder));

  const Response response = call_entry(orchestrator, mode, held);

  // on_request_end ran before the caller got the answer: everything is recorded now.
  const std::vector<Hook> hooks = recorder->hooks();
  CHECK(recorder->names() == failover_order);
  REQUIRE(hooks.size() == failover_order.size());
  const bool async = mode == Entry::request_async || mode == Entry::stream_async;
  const bool stream = mode == Entry::stream || mode == Entry::stream_async;
  CHECK(hooks[0].detail == std::string(stream ? "stream" : "plain") + (async ? " async" : ""));
  CHECK(hooks[1].detail == "groq m GROQ_API_KEY0 retry 0 #1");
  CHECK(hooks[4].detail == "groq m GROQ_API_KEY1 retry 0 #2");
  CHECK(hooks[3].detail == "GROQ_API_KEY0");
  CHECK(hooks[6].detail == "answered after 2");

  // One request id, the response's, on every hook.
  CHECK_FALSE(response.request_id.empty());
  CHECK(response.request_id.rfind("pr-", 0) == 0);
  for (const Hook& h : hooks) CHECK(h.request_id == response.request_id);

  // Threads: the caller's for blocking calls; one other thread (the event loop) for async ones.
  const std::thread::id caller = std::this_thread::get_id();
  for (const Hook& h : hooks) {
    INFO(h.name);
    if (async) {
      CHECK(h.thread != caller);
      CHECK(h.thread == hooks[0].thread);
    } else {
      CHECK(h.thread == caller);
    }
  }

  // The provider's id of each round trip, from the x-request-id it sent.
  const std::vector<std::string> sent = upstream.sent();
  REQUIRE(sent.size() == 2);
  CHECK(hooks[2].detail == "GROQ_API_KEY0 unavailable " + sent[0]);
  CHECK(hooks[5].detail == "GROQ_API_KEY1 success " + sent[1]);
  REQUIRE(response.attempts.size() == 2);
  CHECK(response.attempts[0].provider_request_id == sent[0]);
  CHECK(response.attempts[1].provider_request_id == sent[1]);
  CHECK(response.provider_request_id == sent[1]);

  CHECK(orchestrator.stats().requests == 1);
  CHECK(orchestrator.stats().successes == 1);
  CHECK(orchestrator.stats().fallbacks == 1);
}

TEST_CASE("request ids differ between requests, orchestrators and threads", "[observer]") {
  FailoverUpstream upstream;
  auto recorder = std::make_shared<HookRecorder>();
  Orchestrator first(failover_config(upstream, recorder));
  Orchestrator second(failover_config(upstream, recorder));
  std::set<std::string> ids;
  std::vector<std::future<Response>> pending;
  for (int i = 0; i < 3; ++i) {
    ids.insert(first.request("a").request_id);
    ids.insert(second.request("b").request_id);
    pending.push_back(first.request_async("c"));
  }
  for (auto& f : pending) ids.insert(f.get().request_id);
  CHECK(ids.size() == 9);
  // Each request's hooks carry its own id only: seven hooks per id.
  std::map<std::string, int> hooks_per_id;
  for (const Hook& h : recorder->hooks()) ++hooks_per_id[h.request_id];
  CHECK(hooks_per_id.size() == 9);
  for (const auto& [id, n] : hooks_per_id) {
    INFO(id);
    CHECK(ids.count(id) == 1);
    CHECK(n == 7);
  }
}

TEST_CASE("an exhausted request reports on_exhausted, then its end, and its error carries the id", "[observer]") {
  const Entry mode = GENERATE(Entry::request, Entry::stream, Entry::request_async, Entry::stream_async);
  INFO(entry_name(mode));
  std::shared_future<Response> held;  // outlives the orchestrator (see call_entry())
  FailoverUpstream upstream;
  upstream.all_busy();
  auto recorder = std::make_shared<HookRecorder>();
  Orchestrator orchestrator(failover_config(upstream, recorder));

  const auto error = test::catch_as<AllClientsExhaustedError>([&] { call_entry(orchestrator, mode, held); });
  REQUIRE(error);
  CHECK(recorder->names() == std::vector<std::string>{"request_start", "attempt_start", "attempt_end", "fallback",
                                                      "attempt_start", "attempt_end", "exhausted", "request_end"});
  const std::vector<Hook> hooks = recorder->hooks();
  REQUIRE(hooks.size() == 8);
  CHECK(hooks[6].detail == "2");
  CHECK(hooks[7].detail == "polyrouter.all_clients_exhausted after 2");
  CHECK_FALSE(error->request_id().empty());
  CHECK(error->request_id() == hooks[0].request_id);
  CHECK(error->context().request_id == hooks[0].request_id);
  const std::vector<std::string> sent = upstream.sent();
  REQUIRE(error->attempts().size() == 2);
  REQUIRE(sent.size() == 2);
  CHECK(error->attempts()[0].provider_request_id == sent[0]);
  CHECK(error->attempts()[1].provider_request_id == sent[1]);
  CHECK(orchestrator.stats().exhaustions == 1);
  CHECK(orchestrator.stats().successes == 0);
}

TEST_CASE("a provider error carries the provider's and the orchestrator's request ids", "[observer]") {
  // A bad request is the caller's fault: the walk stops with the provider's own error.
  test::TestServer server(test::Reply::fixture("groq_400_json_mode_with_tools.json", 400)
                              .with_header("x-request-id", "req_bad_request_1"));
  OrchestratorConfig config;
  config.pools = {PoolConfig{Provider::groq, {"m"}, {"k"}, server.url()}};
  Orchestrator orchestrator(config);
  const auto error = test::catch_as<BadRequestError>([&] { orchestrator.request("hi"); });
  REQUIRE(error);
  CHECK(error->context().provider_request_id == "req_bad_request_1");
  CHECK(error->request_id().rfind("pr-", 0) == 0);
}

TEST_CASE("the provider's request id is read from each provider's real headers", "[observer]") {
  // name, answer fixture, header fixture, the id its headers carry
  const auto [provider, answer, headers, id] = GENERATE(table<std::string, std::string, std::string, std::string>({
      {"groq", "groq_ok.json", "groq_ok.headers.txt", "req_01hxnxvkfjf6ttkqzfpw23ng08"},
      {"openai", "openai_ok.json", "openai_ok.headers.txt", "req_7c1e9a4f0b2d48e6a3f5c8d9b1e0a2f4"},
      {"anthropic", "anthropic_ok.json", "anthropic_ok.headers.txt", "req_011CZexample0000000000000"},
      {"gemini", "gemini_ok.json", "gemini_ok.headers.txt", ""},  // Gemini sends none
  }));
  INFO(provider);
  const bool async = GENERATE(false, true);
  test::TestServer server(test::Reply::fixture(answer).with_headers_file(headers));
  OrchestratorConfig config;
  // A key of real length: redact() masks every occurrence of the key, and a one-letter key
  // would mask that letter in the id.
  config.pools = {PoolConfig{Provider(provider), {"m"}, {test::fake_key("key-", 40, 5)}, server.url()}};
  Orchestrator orchestrator(config);
  const Response r = async ? orchestrator.request_async("hi").get() : orchestrator.request("hi");
  CHECK(r.provider_request_id == id);
  REQUIRE(r.attempts.size() == 1);
  CHECK(r.attempts[0].provider_request_id == id);
}

TEST_CASE("a key pasted into the provider's request id is masked", "[observer][mask]") {
  const std::string key = test::fake_key("gsk_", 48, 11);
  test::TestServer server;
  server.respond_with([&](const test::RecordedRequest& request) {
    const bool ok = request.header("authorization") == "Bearer " + key + "-ok";
    test::Reply reply = ok ? test::Reply::fixture("groq_ok.json") : test::Reply::text("busy", 503);
    // The header echoes whichever key asked, pasted into the id.
    return reply.with_header("x-request-id", "req_" + request.header("authorization").substr(7));
  });
  OrchestratorConfig config;
  config.retry.max_retries = 0;
  config.pools = {PoolConfig{Provider::groq, {"m"}, {key, key + "-ok"}, server.url()}};
  Orchestrator orchestrator(config);
  const Response r = orchestrator.request("hi");
  REQUIRE(r.attempts.size() == 2);
  for (const Attempt& a : r.attempts) {
    INFO(a.provider_request_id);
    CHECK_FALSE(a.provider_request_id.empty());
    CHECK_FALSE(test::leaks_key(a.provider_request_id, key));
  }
  CHECK_FALSE(test::leaks_key(r.provider_request_id, key));
}

TEST_CASE("a user's own client is called on a worker; its attempt is reported on the loop", "[observer][async]") {
  // Fails on its first key, answers on its second, noting the threads it ran on.
  class Client final : public LLMClient {
   public:
    Provider provider() const noexcept override { return Provider::openai_compatible; }
    Response complete(const ChatRequest&, const CallOptions& options) override {
      {
        std::lock_guard<std::mutex> lock(mutex);
        threads.push_back(std::this_thread::get_id());
        request_ids.push_back(options.request_id);
      }
      if (options.api_key == "busy") {
        ErrorContext context;
        context.provider_request_id = "own-1";
        throw ProviderUnavailableError("busy", context);
      }
      Response r;
      r.text = "fine";
      r.provider_request_id = "own-2";
      return r;
    }
    std::mutex mutex;
    std::vector<std::thread::id> threads;
    std::vector<std::string> request_ids;
  };
  auto client = std::make_shared<Client>();
  auto recorder = std::make_shared<HookRecorder>();
  OrchestratorConfig config;
  config.retry.max_retries = 0;
  PoolConfig pool{Provider::openai_compatible, {"m"}, {"busy", "fine"}};
  pool.name = "own";
  pool.client = client;
  config.pools = {pool};
  config.observers = {recorder};
  Orchestrator orchestrator(config);

  const Response r = orchestrator.request_async("hi").get();
  CHECK(r.text == "fine");
  CHECK(recorder->names() == failover_order);
  const std::vector<Hook> hooks = recorder->hooks();
  REQUIRE(hooks.size() == 7);
  const std::thread::id loop = hooks[0].thread;
  CHECK(loop != std::this_thread::get_id());
  for (const Hook& h : hooks) CHECK(h.thread == loop);
  std::lock_guard<std::mutex> lock(client->mutex);
  REQUIRE(client->threads.size() == 2);
  for (const std::thread::id t : client->threads) CHECK(t != loop);  // the client ran on a worker
  CHECK(client->request_ids == std::vector<std::string>{r.request_id, r.request_id});
  CHECK(hooks[2].detail == "OWN_API_KEY0 unavailable own-1");
  CHECK(hooks[5].detail == "OWN_API_KEY1 success own-2");
}

TEST_CASE("every log line of a request carries its request id", "[observer][logging]") {
  const Entry mode = GENERATE(Entry::request, Entry::stream, Entry::request_async, Entry::stream_async);
  INFO(entry_name(mode));
  std::shared_future<Response> held;  // outlives the orchestrator (see call_entry())
  FailoverUpstream upstream;
  test::FakeClock clock;
  OrchestratorConfig config = failover_config(upstream, std::make_shared<HookRecorder>());
  config.clock = clock.clock();
  config.retry.max_retries = 1;  // a retry, its backoff and the fallback all log
  config.retry.jitter = 0;
  config.retry.initial_backoff = 1ms;  // the event loop's timers run on real time
  LogCapture capture(LogLevel::debug);
  Orchestrator orchestrator(config);

  const Response response = call_entry(orchestrator, mode, held);
  const std::vector<std::string> lines = capture.lines();
  REQUIRE(lines.size() >= 4);  // trying, failed, retrying, trying, failed, trying
  const std::string tag = "[" + response.request_id + "]";
  for (const std::string& line : lines) {
    INFO(line);
    CHECK(line.find(tag) != std::string::npos);
  }
  CHECK(std::any_of(lines.begin(), lines.end(),
                    [](const std::string& l) { return l.find("retrying groq m with GROQ_API_KEY0") != std::string::npos; }));
  CHECK(std::any_of(lines.begin(), lines.end(), [&](const std::string& l) {
    return l.find("(provider request " + upstream.sent().front() + ")") != std::string::npos;
  }));
}

TEST_CASE("trace lines of the built-in clients carry the request id", "[observer][logging]") {
  FailoverUpstream upstream;
  OrchestratorConfig config = failover_config(upstream, std::make_shared<HookRecorder>());
  LogCapture capture(LogLevel::debug);
  set_log_level(LogLevel::trace);
  Orchestrator orchestrator(config);
  const Response response = orchestrator.request("hi");
  std::size_t trace_lines = 0;
  for (const std::string& line : capture.lines()) {
    INFO(line);
    CHECK(line.find("[" + response.request_id + "]") != std::string::npos);
    if (line.find(" request: ") != std::string::npos || line.find(" -> HTTP ") != std::string::npos) ++trace_lines;
  }
  CHECK(trace_lines == 4);  // request and answer of each of the two attempts
}

TEST_CASE("an observer that throws breaks nothing: the request, the others and the counters go on", "[observer]") {
  class Thrower final : public Observer {
   public:
    void on_request_start(const RequestInfo&) override { throw std::runtime_error("start"); }
    void on_attempt_start(const RequestInfo&, const AttemptStart&) override { throw 42; }
    void on_attempt_end(const RequestInfo&, const Attempt&) override { throw std::runtime_error("end"); }
    void on_fallback(const RequestInfo&, const Attempt&) override { throw std::runtime_error("fallback"); }
    void on_request_end(const RequestInfo&, const RequestEnd&) override { throw std::runtime_error("done"); }
  };
  const Entry mode = GENERATE(Entry::request, Entry::stream, Entry::request_async, Entry::stream_async);
  INFO(entry_name(mode));
  std::shared_future<Response> held;  // outlives the orchestrator (see call_entry())
  FailoverUpstream upstream;
  auto recorder = std::make_shared<HookRecorder>();
  OrchestratorConfig config = failover_config(upstream, std::make_shared<Thrower>());
  config.observers.push_back(recorder);  // after the thrower: still hears everything
  int events_attempts = 0;
  config.events.on_attempt = [&](const Attempt&) {
    ++events_attempts;
    throw std::runtime_error("events too");
  };
  LogCapture capture(LogLevel::debug);
  Orchestrator orchestrator(config);

  const Response response = call_entry(orchestrator, mode, held);
  CHECK(response.text.size() > 0);
  CHECK(recorder->names() == failover_order);
  CHECK(events_attempts == 2);
  CHECK(orchestrator.stats().successes == 1);
  const std::vector<std::string> lines = capture.lines();
  CHECK(std::any_of(lines.begin(), lines.end(), [&](const std::string& l) {
    return l.find("[" + response.request_id + "] an observer's on_attempt_start threw (ignored)") != std::string::npos;
  }));
  CHECK(std::any_of(lines.begin(), lines.end(), [](const std::string& l) {
    return l.find("an observer's on_request_end threw (ignored): done") != std::string::npos;
  }));
}

TEST_CASE("a stream callback that throws still ends the request for observers", "[observer][streaming]") {
  const Entry mode = GENERATE(Entry::stream, Entry::stream_async);
  INFO(entry_name(mode));
  std::shared_future<Response> held;  // outlives the orchestrator (see call_entry())
  FailoverUpstream upstream;
  auto recorder = std::make_shared<HookRecorder>();
  Orchestrator orchestrator(failover_config(upstream, recorder));
  const auto boom = [](std::string_view) -> bool { throw std::runtime_error("caller's own"); };
  const auto error = test::catch_as<std::runtime_error>([&] {
    if (mode == Entry::stream) {
      orchestrator.stream(ChatRequest::from_prompt("hi"), boom);
    } else {
      held = orchestrator.stream_async("hi", boom).share();
      held.get();
    }
  });
  REQUIRE(error);
  CHECK(std::string(error->what()) == "caller's own");
  const std::vector<std::string> names = recorder->names();
  REQUIRE_FALSE(names.empty());
  CHECK(names.back() == "request_end");
  CHECK(recorder->hooks().back().detail == "polyrouter.unknown after 1");
  CHECK(std::count(names.begin(), names.end(), "request_end") == 1);
}

TEST_CASE("destroying the orchestrator ends its requests in flight for observers", "[observer][async]") {
  test::TestServer server(test::Reply::fixture("groq_ok.json").after(10s));
  auto recorder = std::make_shared<HookRecorder>();
  std::future<Response> pending;
  {
    OrchestratorConfig config;
    config.pools = {PoolConfig{Provider::groq, {"m"}, {"k"}, server.url()}};
    config.observers = {recorder};
    Orchestrator orchestrator(config);
    pending = orchestrator.request_async("hi");
    REQUIRE(server.wait_for_count(1, 5s));
  }
  const auto error = test::catch_as<CancelledError>([&] { pending.get(); });
  REQUIRE(error);
  CHECK(recorder->names() == std::vector<std::string>{"request_start", "attempt_start", "request_end"});
  CHECK(recorder->hooks().back().detail == "polyrouter.cancelled after 0");
  CHECK(error->request_id() == recorder->hooks().front().request_id);
}

TEST_CASE("Events is an observer adapter: same fan-out, same order", "[observer]") {
  FailoverUpstream upstream;
  std::vector<std::string> seen;
  OrchestratorConfig config = failover_config(upstream, std::make_shared<HookRecorder>());
  config.events.on_attempt = [&](const Attempt& a) { seen.push_back("attempt " + std::string(to_string(a.outcome))); };
  config.events.on_fallback = [&](const Attempt& a) { seen.push_back("fallback " + a.key_label); };
  Orchestrator orchestrator(config);
  orchestrator.request("hi");
  CHECK(seen == std::vector<std::string>{"attempt unavailable", "fallback GROQ_API_KEY0", "attempt success"});
}

TEST_CASE("a null observer is a configuration error", "[observer][config]") {
  OrchestratorConfig config;
  config.pools = {PoolConfig{Provider::groq, {"m"}, {"k"}}};
  config.observers = {nullptr};
  CHECK_THROWS_AS(Orchestrator(config), ConfigError);
}

TEST_CASE("the health store's changes reach observers on the request's thread, in the request's order",
          "[observer][health]") {
  const Entry mode = GENERATE(Entry::request, Entry::request_async);
  INFO(entry_name(mode));
  std::shared_future<Response> held;  // outlives the orchestrator (see call_entry())
  test::TestServer server;
  server.respond_with([](const test::RecordedRequest& request) {
    return request.header("authorization") == "Bearer k-invalid"
               ? test::Reply::fixture("groq_401_invalid_api_key.json", 401)
               : test::Reply::fixture("groq_ok.json");
  });
  auto recorder = std::make_shared<HookRecorder>();
  OrchestratorConfig config;
  config.pools = {PoolConfig{Provider::groq, {"m"}, {"k-invalid", "k-ok"}, server.url()}};
  config.observers = {recorder};
  Orchestrator orchestrator(config);

  call_entry(orchestrator, mode, held);
  CHECK(recorder->names() == std::vector<std::string>{"request_start", "attempt_start", "attempt_end", "health_change",
                                                      "fallback", "attempt_start", "attempt_end", "request_end"});
  const std::vector<Hook> hooks = recorder->hooks();
  REQUIRE(hooks.size() == 8);
  CHECK(hooks[3].detail == "key_quarantined");
  for (const Hook& h : hooks) CHECK(h.thread == hooks[0].thread);  // the request's thread (or the loop)
  CHECK((hooks[0].thread == std::this_thread::get_id()) == (mode == Entry::request));
  CHECK(orchestrator.stats().health_changes.at(HealthChange::Kind::key_quarantined) == 1);
}

TEST_CASE("health changes reach every observer and are counted by kind", "[observer][health]") {
  // The health store reports through this seam; here it is driven directly.
  auto recorder = std::make_shared<HookRecorder>();
  OrchestratorConfig config;
  config.pools = {PoolConfig{Provider::groq, {"m"}, {"k"}}};
  config.pools[0].name = "groq";
  config.observers = {recorder};
  detail::ObserverFanOut fan_out(config);
  HealthChange change;
  change.kind = HealthChange::Kind::key_quarantined;
  change.pool = "groq";
  change.key_label = "GROQ_API_KEY0";
  fan_out.health_changed(change);
  change.kind = HealthChange::Kind::breaker_opened;
  fan_out.health_changed(change);
  fan_out.health_changed(change);

  CHECK(recorder->names() == std::vector<std::string>{"health_change", "health_change", "health_change"});
  const Stats stats = fan_out.stats().stats();
  CHECK(stats.health_changes.at(HealthChange::Kind::key_quarantined) == 1);
  CHECK(stats.health_changes.at(HealthChange::Kind::breaker_opened) == 2);
  CHECK(stats.health_changes.count(HealthChange::Kind::cooldown_started) == 0);
  const std::string text = detail::prometheus_text(fan_out.stats(), config.pools, HealthSnapshot{});
  CHECK(text.find("polyrouter_health_changes_total{kind=\"breaker_opened\"} 2\n") != std::string::npos);
  CHECK(text.find("polyrouter_health_changes_total{kind=\"cooldown_ended\"} 0\n") != std::string::npos);
}
