#include "check.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "error_report.hpp"
#include "exit_codes.hpp"
#include "interrupt.hpp"
#include "output.hpp"
#include "polyrouter/chat.hpp"
#include "polyrouter/errors.hpp"
#include "polyrouter/llm_client.hpp"
#include "polyrouter/orchestrator.hpp"

namespace polyrouter::cli {
namespace {

using std::chrono::milliseconds;

struct Probe {
  std::string pool;
  Provider provider = Provider::openai_compatible;
  std::string model;
  std::string key_label;
  std::string status;  // ok, invalid_key, rate_limited, model_missing, unreachable, error
  int http_status = 0;
  milliseconds latency{0};
  std::optional<milliseconds> reset_in;
  std::string reset_at_utc;    // ISO 8601, for --json
  std::string reset_at_local;  // HH:MM:SS, for the table
  std::string detail;
};

void set_reset(Probe& probe, std::optional<milliseconds> reset_in) {
  probe.reset_in = reset_in;
  if (!reset_in) return;
  const auto at = std::chrono::system_clock::now() + *reset_in;
  const std::time_t t = std::chrono::system_clock::to_time_t(at);
  std::tm utc{};
  std::tm local{};
  gmtime_r(&t, &utc);
  localtime_r(&t, &local);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  probe.reset_at_utc = buffer;
  std::strftime(buffer, sizeof buffer, "%H:%M:%S", &local);
  probe.reset_at_local = buffer;
}

class Progress {
 public:
  Progress() : enabled_(isatty(STDERR_FILENO) == 1) {}
  void show(std::size_t done, std::size_t total, const Probe& last) const {
    if (!enabled_) return;
    std::cerr << "\r\033[K[" << done << '/' << total << "] " << last.pool << ' ' << last.model << ' ' << last.key_label
              << std::flush;
  }
  void clear() const {
    if (enabled_) std::cerr << "\r\033[K" << std::flush;
  }

 private:
  bool enabled_;
};

// One probe is one request through an orchestrator that knows exactly one route (this pool,
// model and key), with no retry and no breaker: exactly one round trip, run on the library's
// event loop (request_async), classified by the attempt it made.
OrchestratorConfig probe_config(const OrchestratorConfig& config, const PoolConfig& pool, const std::string& model,
                                const ApiKey& key, milliseconds timeout) {
  OrchestratorConfig one;
  PoolConfig route = pool;
  route.models = {model};
  route.keys = {key};
  one.pools = {std::move(route)};
  one.http = config.http;
  one.retry.max_retries = 0;
  one.retry_throttle.enabled = false;
  one.breaker.failure_ratio = 0;
  one.timeouts.connect = std::min(config.timeouts.connect, timeout);
  one.timeouts.attempt = timeout;
  one.timeouts.total = timeout;
  return one;
}

ChatRequest probe_request() {
  ChatRequest request = ChatRequest::from_prompt("ping");
  request.max_tokens = 1;  // the cheapest real call
  return request;
}

// "[polyrouter.x] groq m (KEY) HTTP 401 code: why" -> "HTTP 401 code: why": the route is in the
// row's other columns.
std::string reason_of(const Attempt& a) {
  std::string text = a.error;
  if (text.rfind('[', 0) == 0 && text.find("] ") != std::string::npos) text.erase(0, text.find("] ") + 2);
  const std::string route = std::string(to_string(a.provider)) + " " + a.model + " (" + a.key_label + ") ";
  if (text.rfind(route, 0) == 0) text.erase(0, route.size());
  return text.substr(0, text.find('\n'));
}

void classify(Probe& probe, const Attempt& a) {
  probe.http_status = a.http_status;
  probe.latency = a.latency;
  switch (a.outcome) {
    case AttemptOutcome::success:
      probe.status = "ok";
      probe.detail = "answered in " + format_duration(a.latency);
      return;
    case AttemptOutcome::rate_limited:
      probe.status = "rate_limited";
      set_reset(probe, a.retry_after);
      probe.detail = (a.retry_after ? "resets in " + format_duration(*a.retry_after) + " (at " + probe.reset_at_local + ")"
                                    : std::string("no reset time given")) +
                     "; " + reason_of(a);
      return;
    case AttemptOutcome::invalid_key: probe.status = "invalid_key"; break;
    case AttemptOutcome::model_not_found: probe.status = "model_missing"; break;
    case AttemptOutcome::unavailable:
    case AttemptOutcome::timeout: probe.status = "unreachable"; break;
    default: probe.status = "error"; break;
  }
  probe.detail = (probe.status == "error" ? std::string(to_string(a.outcome)) + ": " : std::string()) + reason_of(a);
}

void classify(Probe& probe, const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const AllClientsExhaustedError& e) {
    if (!e.attempts().empty()) return classify(probe, e.attempts().back());
    probe.status = "unreachable";
    probe.detail = e.detail();
  } catch (const Error& e) {  // a rejected probe: bad request, content filtered
    probe.status = "error";
    probe.http_status = e.http_status();
    probe.detail = error_type_name(e.kind()) + ": " + brief(e);
  } catch (const std::exception& e) {
    probe.status = "error";
    probe.detail = e.what();
  }
}

Json probe_json(const Probe& p) {
  Json row;
  row["pool"] = p.pool;
  row["provider"] = std::string(to_string(p.provider));
  row["model"] = p.model;
  row["key"] = p.key_label;
  row["status"] = p.status;
  row["http_status"] = p.http_status != 0 ? Json(p.http_status) : Json(nullptr);
  row["latency_ms"] = p.latency.count();
  row["reset_in_ms"] = p.reset_in ? Json(p.reset_in->count()) : Json(nullptr);
  row["reset_at"] = p.reset_at_utc.empty() ? Json(nullptr) : Json(p.reset_at_utc);
  row["detail"] = p.detail;
  return row;
}

// Rows are printed as probes finish, so the columns are sized from what is known up front.
class RowPrinter {
 public:
  RowPrinter(const std::vector<Probe>& probes, bool json) : json_(json) {
    width_ = {4, 5, 3, 13};
    for (const Probe& p : probes) {
      width_[0] = std::max(width_[0], p.pool.size());
      width_[1] = std::max(width_[1], p.model.size());
      width_[2] = std::max(width_[2], p.key_label.size());
    }
    if (!json_) print({"pool", "model", "key", "status", "detail"});
  }
  void row(const Probe& p) const {
    if (json_) {
      std::cout << probe_json(p).dump() << std::endl;  // one JSON object per line, flushed
    } else {
      print({p.pool, p.model, p.key_label, p.status, p.detail});
    }
  }

 private:
  void print(const std::vector<std::string>& cells) const {
    std::string line;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      line += cells[c];
      if (c < width_.size()) line.append(width_[c] - std::min(width_[c], cells[c].size()) + 2, ' ');
    }
    std::cout << line << std::endl;  // flushed: a pipe sees each row as it finishes
  }
  bool json_;
  std::vector<std::size_t> width_;
};

// Probes in flight, bounded; each finished one comes back to the main thread through `done`.
struct InFlight {
  std::mutex mutex;
  std::condition_variable cv;
  std::deque<std::pair<std::size_t, std::variant<Response, std::exception_ptr>>> done;
};

}  // namespace

int run_check(const CheckOptions& options) {
  Secrets secrets;
  try {
    const OrchestratorConfig config = load_config(options.source);
    secrets = Secrets(config);
    const milliseconds timeout(options.timeout_ms);

    // Every (pool, model, key), taken from the pools in turn, so one slow provider cannot hold
    // every slot while the others wait.
    std::vector<std::vector<std::pair<Probe, OrchestratorConfig>>> per_pool;
    for (const PoolConfig& pool : config.pools) {
      const Provider provider = make_client(pool, config.http)->provider();  // also checks the pool
      auto& mine = per_pool.emplace_back();
      for (const std::string& model : pool.models) {
        for (const ApiKey& key : pool.keys) {
          Probe probe;
          probe.pool = pool.name;
          probe.provider = provider;
          probe.model = model;
          probe.key_label = key.label;
          mine.emplace_back(std::move(probe), probe_config(config, pool, model, key, timeout));
        }
      }
    }
    std::size_t total = 0;
    for (const auto& mine : per_pool) total += mine.size();
    std::vector<Probe> probes;
    std::vector<OrchestratorConfig> routes;
    for (std::size_t i = 0; probes.size() < total; ++i) {
      for (auto& mine : per_pool) {
        if (i >= mine.size()) continue;
        probes.push_back(std::move(mine[i].first));
        routes.push_back(std::move(mine[i].second));
      }
    }

    catch_interrupts();
    const RowPrinter printer(probes, options.source.json);
    const Progress progress;
    InFlight in_flight;
    std::map<std::size_t, std::unique_ptr<Orchestrator>> running;
    std::size_t next = 0, finished = 0, ok = 0;
    while (finished < probes.size() && !interrupted()) {
      while (next < probes.size() && running.size() < options.concurrency) {
        const std::size_t i = next++;
        auto orchestrator = std::make_unique<Orchestrator>(std::move(routes[i]));
        orchestrator->request_async(
            probe_request(),
            [&in_flight, i](Response r) {
              std::lock_guard<std::mutex> lock(in_flight.mutex);
              in_flight.done.emplace_back(i, std::move(r));
              in_flight.cv.notify_one();
            },
            [&in_flight, i](std::exception_ptr e) {
              std::lock_guard<std::mutex> lock(in_flight.mutex);
              in_flight.done.emplace_back(i, std::move(e));
              in_flight.cv.notify_one();
            });
        running.emplace(i, std::move(orchestrator));
      }
      std::unique_lock<std::mutex> lock(in_flight.mutex);
      // Short waits, so Ctrl-C is noticed promptly.
      if (!in_flight.cv.wait_for(lock, milliseconds(100), [&] { return !in_flight.done.empty(); })) continue;
      auto [i, outcome] = std::move(in_flight.done.front());
      in_flight.done.pop_front();
      lock.unlock();
      running.erase(i);  // its loop thread has finished with it: the callback already ran
      Probe& probe = probes[i];
      if (const auto* response = std::get_if<Response>(&outcome)) {
        classify(probe, response->attempts.empty() ? Attempt{} : response->attempts.back());
      } else {
        classify(probe, std::get<std::exception_ptr>(outcome));
      }
      probe.detail = secrets.scrub(probe.detail);
      ok += probe.status == "ok" ? 1 : 0;
      ++finished;
      progress.clear();
      printer.row(probe);
      if (finished < probes.size()) progress.show(finished, probes.size(), probe);
    }
    progress.clear();
    running.clear();  // fails what is still in flight (after Ctrl-C)

    if (!options.source.json) {
      std::cout << ok << " of " << probes.size() << (probes.size() == 1 ? " combination" : " combinations") << " ok";
      if (finished < probes.size()) std::cout << " (interrupted: " << finished << " probed)";
      std::cout << std::endl;
    }
    if (interrupted()) return exit_interrupted;
    return ok > 0 ? exit_ok : exit_exhausted;
  } catch (...) {
    return report_exception(std::current_exception(), options.source.json, secrets);
  }
}

}  // namespace polyrouter::cli
