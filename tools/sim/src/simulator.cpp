#include "polyrouter/sim/simulator.hpp"

#include <httplib.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>

#include "hit_counter.hpp"
#include "http_delivery.hpp"
#include "key_limiter.hpp"
#include "provider_wire.hpp"
#include "request_reader.hpp"
#include "responder.hpp"
#include "scenario.hpp"
#include "socket_shutdown.hpp"

namespace polyrouter::sim {
namespace detail {

// httplib::Server with two socket fixes for a test server.
class LoopbackServer : public httplib::Server {
 public:
  LoopbackServer() {
    // httplib's default also sets SO_REUSEPORT, which would let a second simulator bind the
    // same fixed port and silently share its traffic. Plain SO_REUSEADDR makes that an error.
    set_socket_options([](socket_t sock) {
      int yes = 1;
      ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    });
  }

  // httplib listens with a backlog of 5: a burst of concurrent connects overflows it and some
  // clients see their connection reset. Listening again on the bound socket widens it.
  void widen_backlog() { ::listen(svr_sock_, SOMAXCONN); }
};

}  // namespace detail

namespace {

using detail::Call;
using detail::Provider;
using detail::read_chat_call;
using detail::read_gemini_call;
using detail::read_models_call;
using nlohmann::json;

// Enough workers for 64 concurrent clients plus idle keep-alive connections, each of which
// holds a worker until it closes or times out.
constexpr std::size_t kWorkerThreads = 128;


void reply_json(httplib::Response& response, int status, const json& body) {
  response.status = status;
  response.set_content(body.dump(), "application/json");
}

// Unknown paths get a JSON 404 naming the path, which makes client URL bugs obvious. httplib
// calls this for every status >= 400; our own error replies already have a body.
httplib::Server::HandlerResponse answer_unknown_url(const httplib::Request& request,
                                                    httplib::Response& response) {
  if (!response.body.empty() || response.status != 404) {
    return httplib::Server::HandlerResponse::Unhandled;
  }
  reply_json(response, 404,
             {{"error",
               {{"message", "Unknown request URL: " + request.method + " " + request.path +
                                " (polyrouter-sim)"},
                {"type", "invalid_request_error"},
                {"code", "unknown_url"}}}});
  return httplib::Server::HandlerResponse::Handled;
}

// A bug in the simulator should show up as a readable 500, not a dropped connection.
void answer_exception(const httplib::Request&, httplib::Response& response,
                      std::exception_ptr error) {
  std::string what = "unknown error";
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
  }
  reply_json(response, 500, {{"error", {{"message", "polyrouter-sim internal error: " + what},
                                        {"type", "internal_server_error"}}}});
}

}  // namespace

struct Simulator::Impl {
  detail::LoopbackServer server;
  std::thread thread;
  std::atomic<bool> loop_done{false};
  std::string host;
  int port = 0;

  // Guards everything a request reads or changes: scenario, rule uses, hit counts.
  mutable std::mutex mutex;
  std::shared_ptr<const detail::Scenario> scenario = std::make_shared<detail::Scenario>();
  detail::RuleBook rules;
  detail::HitCounter hits;
  detail::KeyLimiter limits;
  std::uint64_t next_serial = 0;

  // Lets stop() cut latency waits short instead of waiting them out.
  std::mutex stop_mutex;
  std::condition_variable stop_cv;
  bool stopping = false;
  std::mutex lifecycle_mutex;

  Impl() { add_routes(); }
  ~Impl() { stop(); }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  void set_scenario(const json& value) {
    auto parsed = std::make_shared<const detail::Scenario>(detail::parse_scenario(value));
    std::lock_guard lock(mutex);
    rules = detail::RuleBook(*parsed);
    scenario = std::move(parsed);
  }

  void reset() {
    std::lock_guard lock(mutex);
    hits.reset();
    rules.reset_uses();
    limits.reset();
  }

  void serve(const httplib::Request& request, Call call, httplib::Response& response) {
    std::optional<detail::Rule> rule;
    std::shared_ptr<const detail::Scenario> current;
    std::optional<detail::KeyLimiter::Verdict> limit;
    {
      std::lock_guard lock(mutex);
      const auto now = detail::KeyLimiter::Clock::now();
      call.serial = next_serial++;
      hits.count(detail::provider_name(call.provider), call.key, call.model, request.remote_port, now);
      // Requests without credentials are refused before any rule is consulted (or used up).
      if (!call.key.empty()) rule = rules.take(call.provider, call.key, call.model);
      if (rule && rule->rate_limit && !call.list_models) limit = limits.admit(*rule, call.provider, call.key, now);
      current = scenario;
      if (!call.key.empty() && !call.list_models) {
        rule = detail::with_random_fault(current->random_faults, call.serial, std::move(rule));
      }
    }
    if (rule && rule->latency.count() > 0) wait(rule->latency);
    detail::Reply reply = limit && !limit->admitted
                              ? detail::wire_for(call.provider).rate_limited(
                                    call.model, static_cast<double>(limit->reset.count()) / 1000.0, false)
                              : detail::respond(call, rule, *current);
    if (limit) detail::add_limit_headers(reply, call.provider, *limit);
    if (reply.delivery == detail::Reply::Delivery::reset) {
      detail::shutdown_connection(port, request.remote_port);
      return;
    }
    detail::deliver(reply, response, [this](std::chrono::milliseconds d) { wait(d); });
  }

  void wait(std::chrono::milliseconds duration) {
    std::unique_lock lock(stop_mutex);
    stop_cv.wait_for(lock, duration, [this] { return stopping; });
  }

  void add_routes() {
    using Request = httplib::Request;
    using Response = httplib::Response;
    server.Post("/openai/v1/chat/completions", [this](const Request& req, Response& res) {
      serve(req, read_chat_call(Provider::groq, req), res);
    });
    server.Get("/openai/v1/models", [this](const Request& req, Response& res) {
      serve(req, read_models_call(Provider::groq, req), res);
    });
    server.Post("/v1/chat/completions", [this](const Request& req, Response& res) {
      serve(req, read_chat_call(Provider::cerebras, req), res);
    });
    // Cerebras and Anthropic share this path; the credentials tell them apart.
    server.Get("/v1/models", [this](const Request& req, Response& res) {
      serve(req, read_models_call(detail::is_anthropic_request(req) ? Provider::anthropic : Provider::cerebras, req),
            res);
    });
    server.Post("/v1/messages", [this](const Request& req, Response& res) {
      serve(req, detail::read_anthropic_call(req), res);
    });
    server.Post(R"(/v1beta/models/([^/:]+):generateContent)",
                [this](const Request& req, Response& res) { serve(req, read_gemini_call(req, false), res); });
    server.Post(R"(/v1beta/models/([^/:]+):streamGenerateContent)",
                [this](const Request& req, Response& res) { serve(req, read_gemini_call(req, true), res); });
    server.Get("/v1beta/models", [this](const Request& req, Response& res) {
      serve(req, read_models_call(Provider::gemini, req), res);
    });

    server.Get("/_sim/stats", [this](const Request& req, Response& res) {
      std::optional<long long> window;
      if (req.has_param("window_ms")) {
        const std::string text = req.get_param_value("window_ms");
        char* end = nullptr;
        const long long ms = std::strtoll(text.c_str(), &end, 10);
        if (text.empty() || *end != '\0' || ms <= 0) {
          reply_json(res, 400, {{"error", "window_ms must be a positive integer of milliseconds"}});
          return;
        }
        window = ms;
      }
      std::lock_guard lock(mutex);
      json stats = hits.stats();
      if (window) stats["max_hits_in_window"] = hits.windows(std::chrono::milliseconds(*window));
      reply_json(res, 200, stats);
    });
    server.Post("/_sim/reset", [this](const Request&, Response& res) {
      reset();
      reply_json(res, 200, {{"ok", true}});
    });
    server.Post("/_sim/scenario", [this](const Request& req, Response& res) {
      const auto body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
      if (body.is_discarded()) {
        reply_json(res, 400, {{"error", "[polyrouter.sim.scenario] request body is not JSON"}});
        return;
      }
      try {
        set_scenario(body);
        reply_json(res, 200, {{"ok", true}});
      } catch (const std::invalid_argument& e) {
        reply_json(res, 400, {{"error", e.what()}});
      }
    });

    server.set_error_handler(httplib::Server::HandlerWithResponse(answer_unknown_url));
    server.set_exception_handler(answer_exception);
  }

  void start(std::string bind_host, int bind_port) {
    host = std::move(bind_host);
    server.new_task_queue = [] { return new httplib::ThreadPool(kWorkerThreads); };
    server.set_keep_alive_max_count(100000);
    server.set_tcp_nodelay(true);  // SSE frames are small; don't let Nagle hold them back
    port = bind_port == 0 ? server.bind_to_any_port(host)
                          : (server.bind_to_port(host, bind_port) ? bind_port : -1);
    if (port <= 0) {
      throw std::runtime_error("[polyrouter.sim] cannot listen on " + host + ":" +
                               std::to_string(bind_port));
    }
    server.widen_backlog();
    thread = std::thread([this] {
      server.listen_after_bind();
      loop_done = true;
    });
    // httplib's stop() does nothing until the accept loop runs, so wait for it: otherwise an
    // immediate stop() would leave the thread serving forever. The socket already listens, so
    // clients could connect anyway.
    while (!server.is_running() && !loop_done) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (!server.is_running()) {
      thread.join();
      throw std::runtime_error("[polyrouter.sim] the server loop on " + host + ":" +
                               std::to_string(port) + " ended at once");
    }
  }

  void stop() {
    std::lock_guard lifecycle(lifecycle_mutex);
    {
      std::lock_guard lock(stop_mutex);
      stopping = true;
    }
    stop_cv.notify_all();
    server.stop();
    detail::shutdown_accepted_sockets(port);
    if (thread.joinable()) thread.join();
  }
};

Simulator::Simulator(json scenario, std::string host, int port) : impl_(std::make_unique<Impl>()) {
  impl_->set_scenario(scenario);  // validate before binding anything
  impl_->start(std::move(host), port);
}

Simulator::~Simulator() = default;

int Simulator::port() const { return impl_->port; }

std::string Simulator::url() const {
  std::string host = impl_->host;
  if (host == "0.0.0.0" || host.empty()) host = "127.0.0.1";
  if (host == "::") host = "::1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(impl_->port);
}

void Simulator::set_scenario(const json& scenario) { impl_->set_scenario(scenario); }

void Simulator::reset() { impl_->reset(); }

json Simulator::stats() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->hits.stats();
}

std::size_t Simulator::hits(std::string_view provider, std::string_view key,
                            std::string_view model) const {
  std::lock_guard lock(impl_->mutex);
  return impl_->hits.hits(provider, key, model);
}

std::size_t Simulator::max_hits_in_window(std::string_view provider, std::string_view key,
                                          std::chrono::milliseconds window) const {
  std::lock_guard lock(impl_->mutex);
  return impl_->hits.max_hits_in_window(provider, key, window);
}

void Simulator::stop() { impl_->stop(); }

}  // namespace polyrouter::sim

#if defined(__SANITIZE_THREAD__)
#define POLYROUTER_SIM_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define POLYROUTER_SIM_TSAN 1
#endif
#endif

#if defined(POLYROUTER_SIM_TSAN)
// Tests built with ThreadSanitizer link cpp-httplib as an uninstrumented shared library, so
// TSan cannot see the synchronisation inside it and reports races between httplib's own worker
// threads. Suppress those for every program that runs a simulator. Weak, so a program's own
// suppression list takes precedence; visible, because the runtime looks it up dynamically and
// the simulator is built with hidden visibility.
extern "C" __attribute__((weak, visibility("default"))) const char* __tsan_default_suppressions() {
  return "race:libcpp-httplib.so\n";
}
#endif
