#pragma once
// Helpers shared by the streaming tests: SSE chunks of both protocols, pools and configs.

#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <polyrouter/polyrouter.hpp>

#include "fixtures.hpp"
#include "stream_server.hpp"

namespace polyrouter::test {

using nlohmann::json;
using namespace std::chrono_literals;

inline std::string chunk(const std::string& content, const char* finish = nullptr) {
  json c{{"id", "chatcmpl-1"}, {"object", "chat.completion.chunk"},
         {"choices", {{{"index", 0}, {"delta", {{"content", content}}}, {"finish_reason", finish ? json(finish) : json(nullptr)}}}}};
  return sse(c.dump());
}

inline std::string gemini_event(const std::string& text, const char* finish = nullptr) {
  json candidate{{"content", {{"role", "model"}, {"parts", {{{"text", text}}}}}}, {"index", 0}};
  if (finish) candidate["finishReason"] = finish;
  json e{{"candidates", {candidate}},
         {"usageMetadata", {{"promptTokenCount", 3}, {"candidatesTokenCount", 2}, {"totalTokenCount", 5}}}};
  return sse(e.dump());
}

/// "Hel" then "lo" in @p provider's stream format; the server holds "lo" until open_gate().
inline void script_hello_held(StreamServer& server, Provider provider) {
  const bool openai = provider != Provider::gemini;
  server.script({{openai ? chunk("Hel") : gemini_event("Hel")},
                 {openai ? chunk("lo", "stop") : gemini_event("lo", "STOP"), /*wait_for_gate=*/true},
                 {openai ? sse("[DONE]") : std::string()}});
}

/// A fixture's text; a missing file fails the test with its name (fixtures.hpp).
inline std::string fixture(const std::string& name) { return load_fixture(name); }

inline PoolConfig pool_at(Provider provider, const std::string& url, std::string model = "m") {
  PoolConfig p{provider, {std::move(model)}, {"test-key-" + std::string(to_string(provider))}};
  p.base_url = url;
  return p;
}

inline OrchestratorConfig config_for(std::vector<PoolConfig> pools) {
  OrchestratorConfig c;
  c.pools = std::move(pools);
  c.retry.max_retries = 0;
  c.timeouts.attempt = 10s;
  return c;
}

// Collects deltas from whichever thread delivers them.
class Collector {
 public:
  DeltaCallback callback() {
    return [this](std::string_view d) {
      std::lock_guard<std::mutex> lock(mutex_);
      deltas_.emplace_back(d);
      return true;
    };
  }
  std::vector<std::string> deltas() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return deltas_;
  }
  std::string text() const {
    std::string out;
    for (const auto& d : deltas()) out += d;
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> deltas_;
};

}  // namespace polyrouter::test
