#pragma once
// The baselines: what a careful hand-written client on raw libcurl + nlohmann_json does, with
// nothing polyrouter adds (no walk, no health, no error classification, no attempts).

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <curl/curl.h>

namespace bench {

/// One reused easy handle; the same headers and body as polyrouter's Groq client; the answer
/// parsed with nlohmann::json and choices[0].message.content extracted.
class RawClient {
 public:
  /// @p keys: one prebuilt header list per key (complete() picks one).
  RawClient(const std::string& root, const std::vector<std::string>& keys);
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  /// POSTs @p prompt with key @p key_index. Returns the HTTP status; on 200 @p text receives
  /// the answer, otherwise the error body is parsed (as a client must, to tell why).
  long complete(const std::string& prompt, std::size_t key_index, std::string& text);
  /// complete() with key 0, throwing unless the answer is 200 with text.
  std::string ask(const std::string& prompt);

 private:
  CURL* easy_;
  std::vector<curl_slist*> headers_;
  std::string body_;
  std::string received_;
};

/// One request as a raw client sends it to a real provider's shape (bench/shapes.hpp): its
/// URL and headers, its body built anew for every request, and the check of the whole answer.
struct RawExchange {
  std::string url;
  std::vector<std::string> headers;                ///< "Name: value"
  std::function<std::string()> body;               ///< serializes the request, as a client must each time
  std::function<void(const std::string&)> check;   ///< parses the 200 answer fully; throws unless expected
};

/// RawClient for a RawExchange: one reused easy handle, the exchange's headers set once.
class RawShapeClient {
 public:
  explicit RawShapeClient(RawExchange exchange);
  ~RawShapeClient();
  RawShapeClient(const RawShapeClient&) = delete;
  RawShapeClient& operator=(const RawShapeClient&) = delete;

  /// One request; throws unless the answer is 200 and the expected one.
  void ask();

 private:
  RawExchange exchange_;
  CURL* easy_;
  curl_slist* headers_ = nullptr;
  std::string body_;
  std::string received_;
};

/// Streams with one reused easy handle, frames SSE by hand and parses each data event.
class RawStreamClient {
 public:
  explicit RawStreamClient(const std::string& root, const std::string& key);
  ~RawStreamClient();
  RawStreamClient(const RawStreamClient&) = delete;
  RawStreamClient& operator=(const RawStreamClient&) = delete;

  /// One streamed answer; returns the full text. @p first_delta: time from the call to the
  /// first non-empty text delta.
  std::string stream(const std::string& prompt, std::chrono::nanoseconds& first_delta);

 private:
  static std::size_t on_write(char* data, std::size_t size, std::size_t count, void* user);
  void on_event(const std::string& data);

  CURL* easy_;
  curl_slist* headers_ = nullptr;
  std::string body_;
  std::string buffer_;
  std::string text_;
  bool first_seen_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::nanoseconds first_delta_{0};
};

/// One curl multi handle keeping N transfers in flight, reusing easy handles, with the same
/// per-host connection cap as polyrouter's event loop (32) and cache size (4 x 32).
class RawMulti {
 public:
  RawMulti(const std::string& root, const std::string& key, long max_host_connections = 32);
  /// The same for @p exchange's requests instead of the bench server's Groq one.
  explicit RawMulti(RawExchange exchange, long max_host_connections = 32);
  ~RawMulti();
  RawMulti(const RawMulti&) = delete;
  RawMulti& operator=(const RawMulti&) = delete;

  /// Answers @p total requests with @p in_flight of them in flight at any time (a closed
  /// loop: each completion starts the next). @throws on a failed or wrong answer.
  void run(std::size_t total, std::size_t in_flight);

 private:
  struct Slot;
  void start(Slot& slot);

  CURLM* multi_;
  std::string url_;
  curl_slist* headers_ = nullptr;
  std::unique_ptr<RawExchange> exchange_;  ///< null: the bench server's Groq request
  std::vector<Slot*> slots_;
};

}  // namespace bench
