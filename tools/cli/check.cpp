#include "check.hpp"

#include <unistd.h>

#include <chrono>
#include <ctime>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "error_report.hpp"
#include "exit_codes.hpp"
#include "output.hpp"
#include "polyrouter/chat.hpp"
#include "polyrouter/errors.hpp"

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

// Exactly one round trip, classified by the typed error it ends in.
void run_probe(LLMClient& client, const ApiKey& key, Probe& probe, milliseconds timeout, milliseconds connect) {
  ChatRequest request = ChatRequest::from_prompt("ping");
  request.max_tokens = 1;  // the cheapest real call
  CallOptions call;
  call.model = probe.model;
  call.api_key = key.value;
  call.key_label = key.label;
  call.timeout = timeout;
  call.connect_timeout = std::min(connect, timeout);

  const auto start = std::chrono::steady_clock::now();
  const auto elapsed = [&] {
    return std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
  };
  try {
    client.complete(request, call);
    probe.latency = elapsed();
    probe.status = "ok";
    probe.http_status = 200;
    probe.detail = "answered in " + format_duration(probe.latency);
    return;
  } catch (const RateLimitError& e) {
    probe.status = "rate_limited";
    set_reset(probe, e.retry_after());
    probe.detail = (e.retry_after() ? "resets in " + format_duration(*e.retry_after()) + " (at " +
                                          probe.reset_at_local + ")"
                                    : std::string("no reset time given")) +
                   (e.daily() ? ", daily quota" : "") + "; " + brief(e, false);
    probe.http_status = e.http_status();
  } catch (const InvalidApiKeyError& e) {
    probe.status = "invalid_key";
    probe.detail = brief(e);
    probe.http_status = e.http_status();
  } catch (const ModelNotFoundError& e) {
    probe.status = "model_missing";
    probe.detail = brief(e);
    probe.http_status = e.http_status();
  } catch (const ProviderUnavailableError& e) {  // TimeoutError too
    probe.status = "unreachable";
    probe.detail = brief(e);
    probe.http_status = e.http_status();
  } catch (const Error& e) {
    probe.status = "error";
    probe.detail = error_type_name(e.kind()) + ": " + brief(e);
    probe.http_status = e.http_status();
  } catch (const std::exception& e) {
    probe.status = "error";
    probe.detail = clip(e.what(), 90);
  }
  probe.latency = elapsed();
}

class Progress {
 public:
  Progress() : enabled_(isatty(STDERR_FILENO) == 1) {}
  void show(std::size_t done, std::size_t total, const Probe& probe) const {
    if (!enabled_) return;
    std::cerr << "\r\033[K[" << done << '/' << total << "] " << probe.pool << ' ' << probe.model << ' '
              << probe.key_label << std::flush;
  }
  void clear() const {
    if (enabled_) std::cerr << "\r\033[K" << std::flush;
  }

 private:
  bool enabled_;
};

}  // namespace

int run_check(const CheckOptions& options) {
  Secrets secrets;
  try {
    const OrchestratorConfig config = load_config(options.source);
    secrets = Secrets(config);
    const milliseconds timeout(options.timeout_ms);

    std::size_t total = 0;
    for (const PoolConfig& pool : config.pools) total += pool.models.size() * pool.keys.size();

    std::vector<Probe> probes;
    const Progress progress;
    for (const PoolConfig& pool : config.pools) {
      const auto client = make_client(pool, config.http);
      for (const std::string& model : pool.models) {
        for (const ApiKey& key : pool.keys) {
          Probe probe;
          probe.pool = pool.name;
          probe.provider = client->provider();
          probe.model = model;
          probe.key_label = key.label;
          progress.show(probes.size() + 1, total, probe);
          run_probe(*client, key, probe, timeout, config.timeouts.connect);
          probe.detail = secrets.scrub(probe.detail);
          probes.push_back(std::move(probe));
        }
      }
    }
    progress.clear();

    std::size_t ok = 0;
    for (const Probe& p : probes) ok += p.status == "ok" ? 1 : 0;

    if (options.source.json) {
      Json out = Json::array();
      for (const Probe& p : probes) {
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
        out.push_back(std::move(row));
      }
      std::cout << out.dump(2) << std::endl;
    } else {
      std::vector<std::vector<std::string>> rows;
      for (const Probe& p : probes) rows.push_back({p.pool, p.model, p.key_label, p.status, p.detail});
      std::cout << format_table({"pool", "model", "key", "status", "detail"}, rows) << '\n'
                << ok << " of " << probes.size() << (probes.size() == 1 ? " combination" : " combinations")
                << " ok\n";
    }
    return ok > 0 ? exit_ok : exit_exhausted;
  } catch (...) {
    return report_exception(std::current_exception(), options.source.json, secrets);
  }
}

}  // namespace polyrouter::cli
