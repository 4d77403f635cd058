// polyrouter_soak: the rerunnable fault soak (docs/reliability.md, "Fault soak";
// scripts/soak.sh runs the full forms). Exit code 0 when every invariant held, 1 on a
// violation, 2 on bad usage.

#include <iostream>
#include <map>
#include <string>

#include <CLI/CLI.hpp>

#include "soak.hpp"

int main(int argc, char** argv) {
  using polyrouter::soak::Mix;
  polyrouter::soak::Options options;
  CLI::App app{"polyrouter_soak: request_async, request() and stream_async against the simulator "
               "with bad keys, random 500/503 and an upstream restart; checks every invariant"};
  std::string breaker = "on";
  app.add_option("--mix", options.mix,
                 "hardening: invalid, rate-limited, always-503 and 2 healthy keys, all phases and a restart; "
                 "breaker: invalid, always-503 and 2 healthy keys, request_async only, >= 99.5% success")
      ->transform(CLI::CheckedTransformer(std::map<std::string, Mix>{{"hardening", Mix::hardening},
                                                                    {"breaker", Mix::breaker}}));
  app.add_option("--async", options.async_requests, "request_async calls")->check(CLI::NonNegativeNumber);
  app.add_option("--inflight", options.inflight, "request_async calls in flight")->check(CLI::PositiveNumber);
  app.add_option("--sync", options.sync_requests, "request() calls")->check(CLI::NonNegativeNumber);
  app.add_option("--threads", options.threads, "threads making the request() calls")->check(CLI::PositiveNumber);
  app.add_option("--streams", options.streams, "stream_async calls")->check(CLI::NonNegativeNumber);
  app.add_option("--stream-inflight", options.stream_inflight, "stream_async calls in flight")
      ->check(CLI::PositiveNumber);
  app.add_option("--restart-after", options.restart_after,
                 "stop the upstream once this many requests completed (0 = never)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--outage-ms", options.outage_ms, "how long the upstream stays stopped")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--breaker", breaker, "the orchestrator's circuit breaker: on (default policy) or off")
      ->check(CLI::IsMember({"on", "off"}));
  app.add_flag("--bad-keys-first", options.bad_keys_first,
               "breaker mix: the invalid and always-503 keys before the healthy ones (default: after)");
  app.add_option("--seed", options.seed, "seed of the random faults and the retry jitter");
  app.add_option("--deadline-ms", options.deadline_ms, "per-request deadline (Timeouts::total)")
      ->check(CLI::PositiveNumber);
  app.add_option("--min-success", options.min_success_percent, "required success percentage (0 = not checked)")
      ->check(CLI::Range(0.0, 100.0));
  app.add_option("--warmup", options.warmup, "completed requests before the RSS baseline (0 = 20% of all)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--rss-limit-kb", options.rss_limit_kb, "allowed RSS growth after warm-up (-1 = not checked)");
  app.add_option("--recovery-limit-ms", options.recovery_limit_ms, "throughput back within this of the restart")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--json", options.json_file, "also write every figure to this file");
  CLI11_PARSE(app, argc, argv);

  options.breaker = breaker == "on";
  if (options.bad_keys_first && options.mix != Mix::breaker) {
    std::cerr << "polyrouter_soak: --bad-keys-first belongs to --mix breaker (hardening puts the invalid key "
                 "first already)\n";
    return 2;
  }
  // The breaker mix is issue 13's soak: async only, no restart, success judged.
  if (options.mix == Mix::breaker) {
    if (app.count("--sync") == 0) options.sync_requests = 0;
    if (app.count("--streams") == 0) options.streams = 0;
    if (app.count("--restart-after") == 0) options.restart_after = 0;
    if (app.count("--min-success") == 0) options.min_success_percent = 99.5;
  } else if (app.count("--restart-after") == 0) {
    options.restart_after = (options.async_requests + options.sync_requests + options.streams) / 2;
  }
  try {
    return polyrouter::soak::run(options);
  } catch (const std::exception& e) {
    std::cerr << "polyrouter_soak: " << e.what() << '\n';
    return 1;
  }
}

#if defined(__SANITIZE_THREAD__)
// Replaces the simulator's weak list (keeping its httplib entry). libstdc++.so is not built
// with ThreadSanitizer, so TSan cannot see the atomic reference count of std::exception_ptr
// (eh_ptr.cc): an error read from a future on one thread and its last reference dropped on the
// event-loop thread look like a race. The pattern only matches __exception_ptr's own functions.
extern "C" const char* __tsan_default_suppressions() {
  return "race:libcpp-httplib.so\nrace:__exception_ptr\n";
}
#endif
