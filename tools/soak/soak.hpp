#pragma once
// polyrouter_soak: a fault soak against the in-process provider simulator. Asynchronous,
// blocking and streamed requests run at once through one Orchestrator while the simulator
// answers with scripted bad keys and random server errors, and stops for a while mid-run.
// Every invariant is checked; any violation makes run() return non-zero.

#include <cstdint>
#include <string>

namespace polyrouter::soak {

/// The two key layouts (docs/reliability.md, "Fault soak").
enum class Mix {
  hardening,  ///< invalid, rate-limited, always-503 and 2 healthy keys; 10% 500 + 10% 503
  breaker,    ///< invalid, always-503 and 2 healthy keys; 10% 500 + 10% 503; >= 99.5% success
};

struct Options {
  Mix mix = Mix::hardening;
  long async_requests = 100000;  ///< request_async, callback form
  int inflight = 256;            ///< request_async kept in flight
  long sync_requests = 20000;    ///< request(), shared by `threads` threads
  int threads = 16;
  long streams = 10000;          ///< stream_async, future form
  int stream_inflight = 32;
  long restart_after = 50000;    ///< completed requests before the upstream stops; 0 = never
                                 ///< (polyrouter_soak's default: half of all requests)
  int outage_ms = 2000;          ///< how long the upstream stays down
  bool breaker = true;           ///< false: BreakerPolicy::failure_ratio = 0 (never opens)
  bool bad_keys_first = false;   ///< breaker mix: invalid and always-503 keys before the healthy ones
  std::uint64_t seed = 1;        ///< the simulator's random faults and the retry jitter
  int deadline_ms = 20000;       ///< Timeouts::total; a request unfinished 10 s past it hangs
  double min_success_percent = 0;  ///< 0 = not checked
  long warmup = 0;               ///< completed requests before the RSS baseline; 0 = 20% of all
  long rss_limit_kb = 2048;      ///< RSS growth allowed after warm-up; < 0 = not checked
  int recovery_limit_ms = 2000;  ///< throughput back within this of the restart
  std::string json_file;         ///< also write every figure here
};

/// Runs the soak, prints the report on stdout and returns 0 when every invariant held,
/// 1 otherwise. A hang ends the process at once with exit code 1, after a HANG line.
int run(const Options& options);

}  // namespace polyrouter::soak
