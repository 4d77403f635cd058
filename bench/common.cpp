#include "common.hpp"

#include <time.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <stdexcept>

namespace bench {

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double median(std::vector<double> values) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2.0;
}

Memory read_memory() {
  Memory m;
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) m.rss_kb = std::stol(line.substr(6));
    if (line.rfind("VmHWM:", 0) == 0) m.hwm_kb = std::stol(line.substr(6));
  }
  return m;
}

bool reset_peak_rss() {
  std::ofstream clear("/proc/self/clear_refs");
  if (!clear) return false;
  clear << "5";
  clear.flush();
  return static_cast<bool>(clear);
}

std::string chat_url(const std::string& root) { return root + "/openai/v1/chat/completions"; }

polyrouter::OrchestratorConfig config_for(const std::string& root, std::vector<polyrouter::ApiKey> keys) {
  polyrouter::OrchestratorConfig config;
  config.pools.emplace_back(polyrouter::Provider::groq, std::vector<std::string>{kModel}, std::move(keys), root);
  config.jitter_seed = 1;
  return config;
}

void check_answer(const polyrouter::Response& response, const std::string& expected) {
  if (expected.empty() ? response.text.empty() : response.text != expected) {
    throw std::runtime_error("unexpected answer: '" + response.text + "'");
  }
}

std::map<std::string, std::map<std::string, std::vector<double>>> alternate(const std::vector<Variant>& variants,
                                                                            int rounds, const std::string& only) {
  std::map<std::string, std::map<std::string, std::vector<double>>> out;
  for (int r = 0; r < rounds; ++r) {
    for (std::size_t i = 0; i < variants.size(); ++i) {
      const Variant& v = variants[r % 2 == 0 ? i : variants.size() - 1 - i];
      if (!only.empty() && v.name != only) continue;
      for (const auto& [metric, value] : v.round()) out[v.name][metric].push_back(value);
    }
  }
  return out;
}

void note(const std::string& text) { std::cerr << "[bench] " << text << std::endl; }

}  // namespace bench

extern "C" __attribute__((noinline)) void bench_measured_region(void (*body)(void*), void* context) {
  body(context);
  asm volatile("" ::: "memory");  // keeps the call from being folded away
}
