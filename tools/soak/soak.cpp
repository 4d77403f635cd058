#include "soak.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <future>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <typeinfo>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <polyrouter/polyrouter.hpp>
#include <polyrouter/sim/simulator.hpp>

// Present only when a sanitizer runtime is linked in (the library is instrumented, so the
// program links its runtime): RSS is then the sanitizer's, not the library's, and is not judged.
extern "C" void __asan_init() __attribute__((weak));
extern "C" void __tsan_init() __attribute__((weak));

namespace polyrouter::soak {
namespace {

using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using nlohmann::json;

constexpr const char* kModel = "openai/gpt-oss-20b";
constexpr const char* kPrompt = "Say hello.";
constexpr milliseconds kBucket{100};             // successes are counted per 100 ms
constexpr long kBucketsPerWindow = 5;            // and judged per 0.5 s window
constexpr long kMaxBuckets = 4L * 3600 * 10;     // four hours of buckets
constexpr milliseconds kHangSlack{10000};        // past the request deadline: a hang
constexpr int kThreadSlack = 4;                  // libcurl's own helpers, if any

struct Key {
  const char* label;
  const char* value;
};
constexpr Key kInvalidKey{"SOAK_INVALID", "soak-invalid-key-0001"};
constexpr Key kRateLimitedKey{"SOAK_RATE_LIMITED", "soak-rate-limited-key-0002"};
constexpr Key kUnavailableKey{"SOAK_ALWAYS_503", "soak-always-503-key-0003"};
constexpr Key kHealthyKeys[] = {{"SOAK_HEALTHY_0", "soak-healthy-key-0004"},
                                {"SOAK_HEALTHY_1", "soak-healthy-key-0005"}};

const char* mix_name(Mix mix) { return mix == Mix::hardening ? "hardening" : "breaker"; }

bool under_sanitizer() { return __asan_init != nullptr || __tsan_init != nullptr; }

long rss_kb() {
  long pages_total = 0;
  long pages_resident = 0;
  std::ifstream statm("/proc/self/statm");
  statm >> pages_total >> pages_resident;
  return pages_resident * (sysconf(_SC_PAGESIZE) / 1024);
}

int thread_count() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::atoi(line.c_str() + 8);
  }
  return 0;
}

// The scripted bad keys, and 10% 500 + 10% 503 on every call that would answer ok.
json scenario_for(const Options& options) {
  json rules = json::array();
  rules.push_back({{"key", kInvalidKey.value}, {"behavior", "invalid_key"}});
  if (options.mix == Mix::hardening) {
    rules.push_back({{"key", kRateLimitedKey.value}, {"behavior", "rate_limit"}, {"retry_after_s", 30}});
  }
  rules.push_back({{"key", kUnavailableKey.value}, {"behavior", "server_error"}, {"status", 503}});
  return {{"description", std::string("polyrouter_soak, mix ") + mix_name(options.mix)},
          {"models", {{"groq", {kModel}}}},
          {"rules", rules},
          {"random_faults",
           {{"seed", options.seed},
            {"faults", {{{"status", 500}, {"fraction", 0.1}}, {{"status", 503}, {"fraction", 0.1}}}}}}};
}

// hardening: the invalid key first, so every request in flight before its first 401 meets it;
// the rate-limited and always-503 keys between the healthy ones, met whenever the first healthy
// call fails. breaker: issue 13's order, the healthy keys first; with bad_keys_first, the
// invalid and always-503 keys come first, so every request meets them until they are learned.
std::vector<ApiKey> keys_for(Mix mix, bool bad_keys_first) {
  const auto key = [](const Key& k) { return ApiKey(k.label, k.value); };
  if (bad_keys_first) {
    return {key(kInvalidKey), key(kUnavailableKey), key(kHealthyKeys[0]), key(kHealthyKeys[1])};
  }
  if (mix == Mix::hardening) {
    return {key(kInvalidKey), key(kHealthyKeys[0]), key(kRateLimitedKey), key(kUnavailableKey),
            key(kHealthyKeys[1])};
  }
  return {key(kHealthyKeys[0]), key(kHealthyKeys[1]), key(kUnavailableKey), key(kInvalidKey)};
}

// The simulator's server thread creates its worker pool before it accepts a connection, so
// once it has answered one request every worker thread exists and the count is stable.
int thread_count_once_serving(const std::string& url) {
  CallOptions call;
  call.api_key = kHealthyKeys[0].value;
  call.key_label = kHealthyKeys[0].label;
  OpenAICompatibleClient::groq(url).list_models(call);  // a model list: no rule, no random fault
  return thread_count();
}

enum class Kind { async, sync, stream };
constexpr const char* kKindNames[] = {"request_async", "request", "stream_async"};

// Every request's start and end, successes per 100 ms bucket, outcomes by kind and error tag.
class Recorder {
 public:
  Recorder(std::size_t total, SteadyClock::time_point start)
      : start_(start), started_ms_(total), finished_ms_(total), succeeded_(total), done_(total),
        buckets_(kMaxBuckets) {
    // Every page is touched now, before the RSS baseline, not as the run reaches it.
    for (auto& ms : started_ms_) ms.store(-1, std::memory_order_relaxed);
  }

  std::size_t begin() {
    const auto id = next_id_.fetch_add(1);
    started_ms_[id].store(elapsed_ms(), std::memory_order_release);
    in_flight_.fetch_add(1);
    last_issue_ms_.store(elapsed_ms(), std::memory_order_relaxed);
    return id;
  }

  /// @p response set on success, @p error on failure.
  void finish(std::size_t id, Kind kind, const Response* response, std::exception_ptr error) {
    auto& counts = kinds_[static_cast<int>(kind)];
    if (error == nullptr) {
      if (response == nullptr || response->text.empty()) {
        note_violation_outcome("a Response without text");
      }
      counts.success.fetch_add(1);
      buckets_[static_cast<std::size_t>(std::min(elapsed_ms() / kBucket.count(), kMaxBuckets - 1))].fetch_add(1);
    } else {
      counts.failure.fetch_add(1);
      classify(error);
    }
    finished_ms_[id].store(elapsed_ms(), std::memory_order_relaxed);
    succeeded_[id].store(error == nullptr, std::memory_order_relaxed);
    done_[id].store(true, std::memory_order_release);
    in_flight_.fetch_sub(1);
    completed_.fetch_add(1);
  }

  void on_attempt(const Attempt& attempt) {
    attempts_[static_cast<std::size_t>(attempt.outcome)].fetch_add(1, std::memory_order_relaxed);
    if (attempt.outcome == AttemptOutcome::invalid_key && !first_invalid_seen_.exchange(true)) {
      in_flight_at_first_invalid_ = in_flight_.load();
    }
  }

  long elapsed_ms() const {
    return std::chrono::duration_cast<milliseconds>(SteadyClock::now() - start_).count();
  }
  long completed() const { return completed_.load(); }
  long last_issue_ms() const { return last_issue_ms_.load(); }
  long in_flight_at_first_invalid() const { return in_flight_at_first_invalid_.load(); }
  bool first_invalid_seen() const { return first_invalid_seen_.load(); }

  /// The oldest request still running and how long it has been, or nothing. Monitor only.
  std::optional<std::pair<std::size_t, long>> oldest_unfinished() {
    const auto issued = next_id_.load();
    while (oldest_ < issued && done_[oldest_].load(std::memory_order_acquire)) ++oldest_;
    if (oldest_ >= issued) return std::nullopt;
    // Requests are issued by several threads: the next one may be older still.
    std::size_t oldest = oldest_;
    long started = started_ms_[oldest_].load(std::memory_order_acquire);
    for (auto id = oldest_ + 1; id < std::min(issued, oldest_ + 512); ++id) {
      const long ms = started_ms_[id].load(std::memory_order_acquire);
      if (!done_[id].load(std::memory_order_acquire) && ms >= 0 && (started < 0 || ms < started)) {
        oldest = id;
        started = ms;
      }
    }
    if (started < 0) return std::nullopt;
    return std::make_pair(oldest, elapsed_ms() - started);
  }

  /// Requests that started and finished outside [from_ms, to_ms], and their successes. After
  /// the run only.
  std::pair<long, long> outside(long from_ms, long to_ms) const {
    long requests = 0;
    long successes = 0;
    for (std::size_t id = 0; id < next_id_.load(); ++id) {
      const long started = started_ms_[id].load();
      const long finished = finished_ms_[id].load();
      if (finished < from_ms || started > to_ms) {
        ++requests;
        successes += succeeded_[id].load() ? 1 : 0;
      }
    }
    return {requests, successes};
  }

  long successes_in_bucket(long bucket) const {
    return bucket < 0 || bucket >= kMaxBuckets ? 0 : buckets_[static_cast<std::size_t>(bucket)].load();
  }

  struct Counts {
    std::atomic<long> success{0};
    std::atomic<long> failure{0};
  };
  const Counts& counts(Kind kind) const { return kinds_[static_cast<int>(kind)]; }

  std::map<std::string, long> errors() const {
    std::lock_guard lock(mutex_);
    return errors_;
  }
  std::vector<std::string> untyped() const {
    std::lock_guard lock(mutex_);
    return untyped_;
  }
  long untyped_count() const { return untyped_count_.load(); }
  /// Round trips by outcome ("success", "unavailable", ...), the ones that happened.
  std::map<std::string, long> attempts() const {
    std::map<std::string, long> out;
    for (std::size_t i = 0; i < attempts_.size(); ++i) {
      if (const long n = attempts_[i].load()) out[std::string(to_string(static_cast<AttemptOutcome>(i)))] = n;
    }
    return out;
  }
  std::string first_error() const {
    std::lock_guard lock(mutex_);
    return first_error_;
  }

 private:
  void classify(std::exception_ptr error) {
    try {
      std::rethrow_exception(error);
    } catch (const Error& e) {
      std::lock_guard lock(mutex_);
      if (errors_.empty()) first_error_ = std::string(e.what()).substr(0, std::string(e.what()).find('\n'));
      ++errors_[std::string(tag(e.kind()))];
    } catch (const std::exception& e) {
      note_violation_outcome(std::string(typeid(e).name()) + ": " + e.what());
    } catch (...) {
      note_violation_outcome("an exception that is not a std::exception");
    }
  }

  void note_violation_outcome(const std::string& what) {
    untyped_count_.fetch_add(1);
    std::lock_guard lock(mutex_);
    if (untyped_.size() < 5) untyped_.push_back(what);
  }

  SteadyClock::time_point start_;
  std::atomic<std::size_t> next_id_{0};
  std::vector<std::atomic<long>> started_ms_;
  std::vector<std::atomic<long>> finished_ms_;
  std::vector<std::atomic<bool>> succeeded_;
  std::vector<std::atomic<bool>> done_;
  std::vector<std::atomic<std::uint32_t>> buckets_;
  std::size_t oldest_ = 0;
  std::atomic<long> in_flight_{0};
  std::atomic<long> completed_{0};
  std::atomic<long> last_issue_ms_{0};
  std::atomic<bool> first_invalid_seen_{false};
  std::atomic<long> in_flight_at_first_invalid_{0};
  std::array<Counts, 3> kinds_;
  std::array<std::atomic<long>, static_cast<std::size_t>(AttemptOutcome::unknown_error) + 1> attempts_{};
  mutable std::mutex mutex_;
  std::map<std::string, long> errors_;
  std::string first_error_;
  std::vector<std::string> untyped_;
  std::atomic<long> untyped_count_{0};
};

// While the upstream is down every request fails in microseconds, so unpaced drivers would
// burn the rest of the run in the outage. During it, the drivers together issue at the rate
// requests completed before it: an open-loop load, as clients arriving at a steady rate.
class Pacer {
 public:
  void start(double requests_per_second) {
    std::lock_guard lock(mutex_);
    interval_ = std::chrono::duration_cast<SteadyClock::duration>(
        std::chrono::duration<double>(1.0 / std::max(requests_per_second, 1.0)));
    next_ = SteadyClock::now();
    active_ = true;
  }
  void stop() {
    std::lock_guard lock(mutex_);
    active_ = false;
  }
  /// Returns when the caller may issue its next request.
  void admit() {
    SteadyClock::time_point slot;
    {
      std::lock_guard lock(mutex_);
      if (!active_) return;
      slot = std::max(next_, SteadyClock::now());
      next_ = slot + interval_;
    }
    std::this_thread::sleep_until(slot);
  }

 private:
  std::mutex mutex_;
  bool active_ = false;
  SteadyClock::duration interval_{};
  SteadyClock::time_point next_;
};

ChatRequest soak_request() {
  ChatRequest request;
  request.messages = {Message::user(kPrompt)};
  return request;
}

// request_async, callback form, keeping options.inflight in flight.
void drive_async(Orchestrator& orchestrator, Recorder& recorder, Pacer& pacer, const Options& options) {
  std::mutex mutex;
  std::condition_variable changed;
  int in_flight = 0;
  const auto request = soak_request();
  for (long i = 0; i < options.async_requests; ++i) {
    {
      std::unique_lock lock(mutex);
      changed.wait(lock, [&] { return in_flight < options.inflight; });
      ++in_flight;
    }
    pacer.admit();
    const auto id = recorder.begin();
    // Notified under the lock: once in_flight reaches 0 this function returns and the
    // condition variable is gone.
    auto release = [&mutex, &changed, &in_flight] {
      std::lock_guard lock(mutex);
      --in_flight;
      changed.notify_all();
    };
    try {
      orchestrator.request_async(
          request,
          [&recorder, id, release](Response response) {
            recorder.finish(id, Kind::async, &response, nullptr);
            release();
          },
          [&recorder, id, release](std::exception_ptr error) {
            recorder.finish(id, Kind::async, nullptr, error);
            release();
          });
    } catch (...) {
      recorder.finish(id, Kind::async, nullptr, std::current_exception());
      release();
    }
  }
  std::unique_lock lock(mutex);
  changed.wait(lock, [&] { return in_flight == 0; });
}

// request() from options.threads threads.
void drive_sync(Orchestrator& orchestrator, Recorder& recorder, Pacer& pacer, const Options& options) {
  std::atomic<long> next{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < options.threads; ++t) {
    threads.emplace_back([&] {
      const auto request = soak_request();
      while (next.fetch_add(1) < options.sync_requests) {
        pacer.admit();
        const auto id = recorder.begin();
        try {
          const auto response = orchestrator.request(request);
          recorder.finish(id, Kind::sync, &response, nullptr);
        } catch (...) {
          recorder.finish(id, Kind::sync, nullptr, std::current_exception());
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
}

// stream_async, future form, options.stream_inflight in flight. The futures are polled, not
// waited for oldest first, so each success is counted when it happens, not when an older stream
// in backoff lets the driver see it.
void drive_streams(Orchestrator& orchestrator, Recorder& recorder, Pacer& pacer, const Options& options,
                   std::atomic<long>& deltas) {
  std::vector<std::pair<std::size_t, std::future<Response>>> pending;
  const auto request = soak_request();
  // Collects every ready future; sleeps a millisecond when none is. A future that never
  // becomes ready is caught by the monitor's hang check.
  const auto collect_ready = [&] {
    const auto ready = std::partition(pending.begin(), pending.end(), [](const auto& entry) {
      return entry.second.wait_for(std::chrono::seconds(0)) != std::future_status::ready;
    });
    if (ready == pending.end()) {
      std::this_thread::sleep_for(milliseconds(1));
      return;
    }
    for (auto it = ready; it != pending.end(); ++it) {
      try {
        const auto response = it->second.get();
        recorder.finish(it->first, Kind::stream, &response, nullptr);
      } catch (...) {
        recorder.finish(it->first, Kind::stream, nullptr, std::current_exception());
      }
    }
    pending.erase(ready, pending.end());
  };
  for (long i = 0; i < options.streams; ++i) {
    while (static_cast<int>(pending.size()) >= options.stream_inflight) collect_ready();
    pacer.admit();
    const auto id = recorder.begin();
    try {
      pending.emplace_back(id, orchestrator.stream_async(request, [&deltas](std::string_view) {
        deltas.fetch_add(1, std::memory_order_relaxed);
        return true;
      }));
    } catch (...) {
      recorder.finish(id, Kind::stream, nullptr, std::current_exception());
    }
  }
  while (!pending.empty()) collect_ready();
}

std::unique_ptr<sim::Simulator> start_simulator(const json& scenario, int port) {
  const auto give_up = SteadyClock::now() + std::chrono::seconds(5);
  for (;;) {
    try {
      return std::make_unique<sim::Simulator>(scenario, "127.0.0.1", port);
    } catch (const std::runtime_error&) {
      if (SteadyClock::now() > give_up) throw;
      std::this_thread::sleep_for(milliseconds(10));  // the old socket is still closing
    }
  }
}

std::string percent(long part, long whole) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(2) << (whole == 0 ? 0.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole)) << '%';
  return out.str();
}

// Everything a run measured: what the verdict, the report and the JSON are made of.
struct Figures {
  long total = 0;
  long warmup = 0;       // completed requests before the RSS baseline
  bool judge_rss = false;
  long elapsed_ms = 0;
  long successes = 0;
  double success_percent = 0;
  json per_kind = json::object();
  std::map<std::string, long> errors;    // by tag
  std::map<std::string, long> attempts;  // by outcome
  std::string first_error;
  long untyped = 0;
  std::vector<std::string> untyped_examples;
  std::pair<long, long> served{0, 0};         // requests clear of the outage, their successes
  std::pair<long, long> after_restart{0, 0};  // requests started after the restart, their successes
  long last_issue_ms = 0;
  long first_window_ms = 0;
  long windows = 0;
  long min_window = -1;
  std::vector<double> zero_windows_s;
  long stop_ms = -1;
  long restart_ms = -1;
  long recovery_ms = -1;
  double baseline = 0;  // successes per 0.5 s before the stop
  long rss_after_warmup_kb = -1;
  long rss_end_kb = -1;
  int threads_base = 0;
  int threads_max = 0;
  int threads_bound = 0;
  long invalid_calls = 0;
  long invalid_bound = 0;  // requests in flight at the first 401
  long deltas = 0;
};

// Runs the three drivers against the simulator and watches them: warm-up RSS, threads, the
// restart, hangs. Fills what only the run itself can see.
void run_load(const Options& options, Recorder& recorder, Figures& figures) {
  const auto scenario = scenario_for(options);
  auto simulator = start_simulator(scenario, 0);
  const int port = simulator->port();
  std::size_t invalid_calls = 0;  // on simulators already stopped

  OrchestratorConfig config;
  PoolConfig pool{Provider::groq, {kModel}, keys_for(options.mix, options.bad_keys_first), simulator->url()};
  config.pools = {pool};
  config.timeouts.total = milliseconds(options.deadline_ms);
  if (!options.breaker) config.breaker.failure_ratio = 0;
  config.jitter_seed = options.seed;
  config.events.on_attempt = [&recorder](const Attempt& attempt) { recorder.on_attempt(attempt); };

  figures.threads_base = thread_count_once_serving(simulator->url());
  // The drivers (3), the sync threads and the event loop come on top of what runs now.
  figures.threads_bound = figures.threads_base + 3 + options.threads + 1 + kThreadSlack;
  std::atomic<long> deltas{0};
  {
    Orchestrator orchestrator(config);
    Pacer pacer;
    std::thread async_driver([&] { drive_async(orchestrator, recorder, pacer, options); });
    std::thread sync_driver([&] { drive_sync(orchestrator, recorder, pacer, options); });
    std::thread stream_driver([&] { drive_streams(orchestrator, recorder, pacer, options, deltas); });

    bool restarted = options.restart_after <= 0;
    while (recorder.completed() < figures.total) {
      std::this_thread::sleep_for(milliseconds(20));
      figures.threads_max = std::max(figures.threads_max, thread_count());
      if (figures.rss_after_warmup_kb < 0 && recorder.completed() >= figures.warmup) {
        figures.rss_after_warmup_kb = rss_kb();
      }
      if (!restarted && recorder.completed() >= options.restart_after) {
        restarted = true;
        invalid_calls += simulator->hits("groq", kInvalidKey.value);
        figures.stop_ms = recorder.elapsed_ms();
        pacer.start(1000.0 * static_cast<double>(recorder.completed()) /
                    static_cast<double>(std::max(figures.stop_ms, 1L)));
        simulator.reset();
        std::this_thread::sleep_for(milliseconds(options.outage_ms));
        simulator = start_simulator(scenario, port);
        figures.restart_ms = recorder.elapsed_ms();
        pacer.stop();
      }
      if (const auto oldest = recorder.oldest_unfinished()) {
        if (oldest->second > options.deadline_ms + kHangSlack.count()) {
          std::cout << "polyrouter_soak: HANG: request #" << oldest->first << " unfinished after "
                    << oldest->second << " ms (deadline " << options.deadline_ms << " ms); "
                    << recorder.completed() << " of " << figures.total << " requests completed\n"
                    << std::flush;
          std::_Exit(1);  // the orchestrator cannot be destroyed cleanly with a request stuck
        }
      }
    }
    async_driver.join();
    sync_driver.join();
    stream_driver.join();
    figures.rss_end_kb = rss_kb();
    figures.threads_max = std::max(figures.threads_max, thread_count());
  }
  figures.elapsed_ms = recorder.elapsed_ms();
  figures.invalid_calls = static_cast<long>(invalid_calls + simulator->hits("groq", kInvalidKey.value));
  figures.invalid_bound = recorder.first_invalid_seen() ? recorder.in_flight_at_first_invalid() : 0;
  figures.deltas = deltas.load();
}

void count_outcomes(const Recorder& recorder, Figures& figures) {
  for (int k = 0; k < 3; ++k) {
    const auto& counts = recorder.counts(static_cast<Kind>(k));
    const long successes = counts.success.load();
    const long requests = successes + counts.failure.load();
    figures.successes += successes;
    if (requests > 0) figures.per_kind[kKindNames[k]] = {{"requests", requests}, {"successes", successes}};
  }
  figures.success_percent = figures.total == 0 ? 0.0
                                                : 100.0 * static_cast<double>(figures.successes) /
                                                      static_cast<double>(figures.total);
  figures.errors = recorder.errors();
  figures.attempts = recorder.attempts();
  figures.first_error = recorder.first_error();
  figures.untyped = recorder.untyped_count();
  figures.untyped_examples = recorder.untyped();
}

long successes_between(const Recorder& recorder, long first_bucket, long end_bucket) {
  long sum = 0;
  for (long b = first_bucket; b < end_bucket; ++b) sum += recorder.successes_in_bucket(b);
  return sum;
}

// The 0.5 s windows while requests are issued and the upstream serves, and the recovery after
// the restart: the first 0.5 s with at least half the pre-outage rate.
void measure_windows(const Recorder& recorder, const Options& options, Figures& figures) {
  const long bucket_ms = kBucket.count();
  figures.last_issue_ms = recorder.last_issue_ms();
  if (figures.restart_ms >= 0) {
    figures.served = recorder.outside(figures.stop_ms, figures.restart_ms + options.recovery_limit_ms);
    figures.after_restart = recorder.outside(-1, figures.restart_ms);
  } else {
    figures.served = {figures.total, figures.successes};
  }

  const long load_end = figures.last_issue_ms / bucket_ms;
  const long excluded_from = figures.stop_ms < 0 ? -1 : figures.stop_ms / bucket_ms;
  const long excluded_to = figures.restart_ms < 0 ? -1 : (figures.restart_ms + options.recovery_limit_ms) / bucket_ms;
  // Windows start at the first success: before it the orchestrator and the simulator are still
  // starting up (well over 0.5 s under ThreadSanitizer). A run without any success judges all.
  long first = 0;
  while (first < load_end && recorder.successes_in_bucket(first) == 0) ++first;
  if (first == load_end) first = 0;
  figures.first_window_ms = first * bucket_ms;
  for (long window = first; window + kBucketsPerWindow <= load_end; window += kBucketsPerWindow) {
    const long last = window + kBucketsPerWindow - 1;
    if (excluded_from >= 0 && last >= excluded_from && window <= excluded_to) continue;
    const long sum = successes_between(recorder, window, window + kBucketsPerWindow);
    ++figures.windows;
    if (figures.min_window < 0 || sum < figures.min_window) figures.min_window = sum;
    if (sum == 0) figures.zero_windows_s.push_back(static_cast<double>(window * bucket_ms) / 1000.0);
  }

  if (figures.restart_ms < 0) return;
  figures.baseline = static_cast<double>(successes_between(recorder, first, excluded_from) * kBucketsPerWindow) /
                     static_cast<double>(std::max(excluded_from - first, 1L));
  const long from = figures.restart_ms / bucket_ms;
  for (long b = from; b + kBucketsPerWindow <= std::max(load_end, from + kBucketsPerWindow); ++b) {
    const long window = successes_between(recorder, b, b + kBucketsPerWindow);
    if (window > 0 && static_cast<double>(window) >= 0.5 * figures.baseline) {
      figures.recovery_ms = (b + kBucketsPerWindow) * bucket_ms - figures.restart_ms;
      return;
    }
  }
}

std::vector<std::string> violations_of(const Figures& figures, const Options& options) {
  std::vector<std::string> violations;
  const auto number = [](auto value) { return std::to_string(value); };
  if (figures.untyped > 0) {
    violations.push_back(number(figures.untyped) + " outcomes neither a Response with text nor a polyrouter::Error");
  }
  const long rss_growth = figures.rss_end_kb - figures.rss_after_warmup_kb;
  if (figures.judge_rss && figures.rss_after_warmup_kb >= 0 && rss_growth > options.rss_limit_kb) {
    violations.push_back("RSS grew " + number(rss_growth) + " kB after warm-up (limit " + number(options.rss_limit_kb) +
                         " kB)");
  }
  if (figures.threads_max > figures.threads_bound) {
    violations.push_back("threads reached " + number(figures.threads_max) + " (bound " + number(figures.threads_bound) +
                         ")");
  }
  if (figures.invalid_calls > figures.invalid_bound) {
    violations.push_back("the invalid key was called " + number(figures.invalid_calls) + " times; at most " +
                         number(figures.invalid_bound) + " requests were in flight at its first 401");
  }
  if (figures.restart_ms >= 0) {
    if (figures.after_restart.first > 0 && figures.after_restart.second == 0) {
      violations.push_back("throughput never came back after the restart: " + number(figures.after_restart.first) +
                           " requests started after it, none succeeded");
    } else if (figures.last_issue_ms < figures.restart_ms + kBucketsPerWindow * kBucket.count()) {
      violations.push_back("the requests ran out before the restart was over: recovery not measured "
                           "(lower --restart-after or --outage-ms)");
    } else if (figures.recovery_ms < 0) {
      violations.push_back("throughput never came back after the restart");
    } else if (figures.recovery_ms > options.recovery_limit_ms) {
      violations.push_back("throughput came back " + number(figures.recovery_ms) + " ms after the restart (limit " +
                           number(options.recovery_limit_ms) + " ms)");
    }
  }
  // Issue 13's figure, for its breaker soak (256 requests in flight). The hardening mix reports
  // its windows without judging them: in its last phase only 16 request() threads remain, and
  // 16 requests all waiting out a retry's backoff at once is ordinary, not an outage.
  if (options.mix == Mix::breaker && !figures.zero_windows_s.empty()) {
    std::ostringstream at;
    for (std::size_t i = 0; i < std::min<std::size_t>(figures.zero_windows_s.size(), 5); ++i) {
      at << (i ? ", " : "") << figures.zero_windows_s[i] << " s";
    }
    violations.push_back(number(figures.zero_windows_s.size()) +
                         " half-second windows with 0 successes while the upstream served (from " + at.str() +
                         (figures.zero_windows_s.size() > 5 ? ", ..." : "") + ")");
  }
  if (options.min_success_percent > 0 && figures.success_percent < options.min_success_percent) {
    std::ostringstream text;
    text << std::fixed << std::setprecision(2) << "success " << figures.success_percent << "% is below "
         << options.min_success_percent << "%";
    violations.push_back(text.str());
  }
  return violations;
}

void print_report(std::ostream& out, const Figures& f, const Options& options,
                  const std::vector<std::string>& violations) {
  const auto seconds = [](long ms) {
    std::ostringstream text;
    text << std::fixed << std::setprecision(1) << static_cast<double>(ms) / 1000.0 << " s";
    return text.str();
  };
  out << "polyrouter_soak: mix " << mix_name(options.mix) << (options.bad_keys_first ? ", bad keys first" : "")
      << ", breaker " << (options.breaker ? "on" : "off") << ", seed " << options.seed << "\n";
  out << "  requests     " << options.async_requests << " request_async (" << options.inflight << " in flight), "
      << options.sync_requests << " request() (" << options.threads << " threads), " << options.streams
      << " stream_async (" << options.stream_inflight << " in flight)\n";
  out << "  elapsed      " << seconds(f.elapsed_ms) << ", "
      << f.total * 1000 / std::max(f.elapsed_ms, 1L) << " requests/s\n";
  out << "  success      " << percent(f.successes, f.total) << " (" << f.successes << " of " << f.total << ")";
  for (const auto& [name, kind] : f.per_kind.items()) {
    out << "; " << name << " " << percent(kind["successes"].get<long>(), kind["requests"].get<long>());
  }
  out << "\n  errors      ";
  if (f.errors.empty()) out << " none";
  for (const auto& [name, count] : f.errors) out << " " << name << " " << count;
  if (f.restart_ms >= 0) {
    out << "\n  served       " << percent(f.served.second, f.served.first) << " of the " << f.served.first
        << " requests that neither started nor ended between the stop and " << options.recovery_limit_ms
        << " ms after the restart";
  }
  out << "\n  attempts    ";
  for (const auto& [name, count] : f.attempts) out << " " << name << " " << count;
  if (!f.errors.empty()) out << "\n  first error  " << f.first_error;
  out << "\n  untyped      " << f.untyped;
  for (const auto& what : f.untyped_examples) out << "\n    " << what;
  out << "\n  windows      " << f.windows << " half-second windows while serving, from " << seconds(f.first_window_ms)
      << "; min successes " << f.min_window << "; with 0 successes " << f.zero_windows_s.size() << "\n";
  if (f.restart_ms >= 0) {
    out << "  restart      upstream stopped at " << seconds(f.stop_ms) << ", serving again at " << seconds(f.restart_ms)
        << "; throughput back " << (f.recovery_ms < 0 ? std::string("never") : std::to_string(f.recovery_ms) + " ms")
        << " after the restart (pre-outage " << static_cast<long>(f.baseline) << " successes per 0.5 s)\n";
  } else {
    out << "  restart      none\n";
  }
  out << "  rss          after warm-up (" << f.warmup << " requests) " << f.rss_after_warmup_kb << " kB, at the end "
      << f.rss_end_kb << " kB, growth " << (f.rss_end_kb - f.rss_after_warmup_kb) << " kB"
      << (f.judge_rss ? " (limit " + std::to_string(options.rss_limit_kb) + " kB)" : " (not judged under a sanitizer)")
      << "\n";
  out << "  threads      at the start " << f.threads_base << ", at most " << f.threads_max << " (bound "
      << f.threads_bound << ")\n";
  out << "  invalid key  " << f.invalid_calls << " calls; " << f.invalid_bound
      << " requests in flight at its first 401\n";
  out << "  stream deltas " << f.deltas << "\n";
  if (violations.empty()) out << "  invariants   all held\n";
  for (const auto& violation : violations) out << "  VIOLATION    " << violation << "\n";
  out << std::flush;
}

json figures_json(const Figures& f, const Options& options, const std::vector<std::string>& violations) {
  return {{"mix", mix_name(options.mix)},
          {"breaker", options.breaker},
          {"bad_keys_first", options.bad_keys_first},
          {"seed", options.seed},
          {"requests", f.total},
          {"elapsed_ms", f.elapsed_ms},
          {"successes", f.successes},
          {"success_percent", f.success_percent},
          {"served_requests", f.served.first},
          {"served_successes", f.served.second},
          {"per_kind", f.per_kind},
          {"errors", f.errors},
          {"attempts", f.attempts},
          {"untyped", f.untyped},
          {"windows", f.windows},
          {"min_window_successes", f.min_window},
          {"zero_windows", f.zero_windows_s.size()},
          {"stop_ms", f.stop_ms},
          {"restart_ms", f.restart_ms},
          {"recovery_ms", f.recovery_ms},
          {"rss_after_warmup_kb", f.rss_after_warmup_kb},
          {"rss_end_kb", f.rss_end_kb},
          {"threads_base", f.threads_base},
          {"threads_max", f.threads_max},
          {"threads_bound", f.threads_bound},
          {"invalid_key_calls", f.invalid_calls},
          {"in_flight_at_first_401", f.invalid_bound},
          {"violations", violations}};
}

}  // namespace

int run(const Options& options) {
  Figures figures;
  figures.total = options.async_requests + options.sync_requests + options.streams;
  figures.warmup = options.warmup > 0 ? options.warmup : figures.total / 5;
  figures.judge_rss = options.rss_limit_kb >= 0 && !under_sanitizer();

  Recorder recorder(static_cast<std::size_t>(figures.total), SteadyClock::now());
  run_load(options, recorder, figures);
  count_outcomes(recorder, figures);
  measure_windows(recorder, options, figures);

  const auto violations = violations_of(figures, options);
  print_report(std::cout, figures, options, violations);
  if (!options.json_file.empty()) {
    std::ofstream file(options.json_file);
    file << figures_json(figures, options, violations).dump(2) << '\n';
    if (!file.flush()) {
      std::cerr << "polyrouter_soak: cannot write " << options.json_file << '\n';
      return 1;
    }
  }
  return violations.empty() ? 0 : 1;
}

}  // namespace polyrouter::soak
