#pragma once
// Shared pieces of polyrouter_bench: options, clocks, memory probes and the A/B round runner.

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <polyrouter/polyrouter.hpp>

namespace bench {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

/// The model, key and prompt every case sends.
inline constexpr const char* kModel = "openai/gpt-oss-20b";
inline constexpr const char* kKey = "bench-key";
inline constexpr const char* kPrompt = "Say hello in five words.";
/// What the bench server answers (the orchestrator and the baselines both check it).
inline constexpr const char* kAnswer = "Hello from the bench server.";

struct Options {
  bool quick = false;               ///< tiny counts, no figure is judged (the CTest smoke run)
  std::vector<std::string> cases;   ///< empty = every case
  long requests = -1;               ///< overrides a case's main request count
  std::string url;                  ///< an already running bench server (root URL)
  std::string shapes;               ///< its real-shape origins: "groq=URL,cerebras=URL,..."
  std::string fixtures;             ///< the fixtures directory (empty = the repository's tests/fixtures)
  std::string shape;                ///< real_shapes_cpu: the shape to run (empty = groq)
  std::string variant;              ///< per-variant cases: polyrouter | baseline
  bool child = false;               ///< run the case in this process and print its result
  bool callgrind = false;           ///< also count instructions per request with valgrind
  std::string json_file;            ///< also write the raw results here
  std::string self;                 ///< path of this executable
};

/// Seconds since @p start.
inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// CPU time (user + system) of the calling thread, in seconds.
double thread_cpu_seconds();

/// CPU time (user + system) of the whole process, every thread included, in seconds.
double process_cpu_seconds();

/// The median of @p values (0 when empty).
double median(std::vector<double> values);

/// Resident set now and its high-water mark, from /proc/self/status (kB).
struct Memory {
  long rss_kb = 0;
  long hwm_kb = 0;
};
Memory read_memory();
/// Resets VmHWM to the current RSS (Linux >= 4.0, /proc/self/clear_refs "5").
bool reset_peak_rss();

/// "<root>/openai/v1/chat/completions": where Groq chat requests go.
std::string chat_url(const std::string& root);

/// An orchestrator configuration with one Groq pool on @p root.
polyrouter::OrchestratorConfig config_for(const std::string& root, std::vector<polyrouter::ApiKey> keys);

/// Throws unless @p response carries the bench server's answer (@p expected; empty = any text).
void check_answer(const polyrouter::Response& response, const std::string& expected = kAnswer);

/// One variant of an A/B comparison: runs one round and returns its per-round metrics
/// (e.g. {"us": mean time per request}).
struct Variant {
  std::string name;
  std::function<std::map<std::string, double>()> round;
};

/// Runs @p rounds rounds of every variant, alternating the order each round (A B C, C B A, ...)
/// so that drift on a shared machine hits every variant alike. Returns, per variant and metric,
/// the per-round values. A non-empty @p only runs that variant alone (for profiling one side).
std::map<std::string, std::map<std::string, std::vector<double>>> alternate(const std::vector<Variant>& variants,
                                                                            int rounds, const std::string& only = {});

/// Progress on stderr (stdout carries results).
void note(const std::string& text);

}  // namespace bench

/// Where callgrind starts and stops counting (--toggle-collect=bench_measured_region): only
/// what runs inside it is counted.
extern "C" void bench_measured_region(void (*body)(void*), void* context);
