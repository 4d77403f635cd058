#pragma once
/// @file A scripted loopback HTTP server for tests (cpp-httplib underneath).
///
/// It binds 127.0.0.1 on a free port, records every request and answers as scripted: a default
/// reply, one-shot replies queued in order, or a function of the request. Special replies cover
/// the hostile cases a client must survive: a late or absent answer, a body cut short of its
/// Content-Length, and an endless-looking body streamed without being held in memory.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "fixtures.hpp"

namespace polyrouter::test {

/// One request as the server received it.
struct RecordedRequest {
  std::string method;
  std::string path;    ///< decoded path, without the query
  std::string target;  ///< the raw request target, path and query as sent
  std::multimap<std::string, std::string> query;             ///< decoded query parameters
  std::vector<std::pair<std::string, std::string>> headers;  ///< names lower-cased
  std::string body;
  int remote_port = -1;  ///< the client's port: one value per TCP connection

  /// The first header named @p lower_case_name, or "" (see has_header()).
  std::string header(std::string_view lower_case_name) const;
  bool has_header(std::string_view lower_case_name) const;
  /// The first query parameter named @p name, or "".
  std::string param(std::string_view name) const;
  bool has_param(std::string_view name) const;
  /// The body parsed as JSON. @throws nlohmann::json::parse_error.
  nlohmann::json json() const;
};

/// What the server answers.
struct Reply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  /// Wait this long before answering. The wait ends early when the server is being destroyed,
  /// which then answers 503 to a client that is no longer there.
  std::optional<std::chrono::milliseconds> delay;
  /// Declare Content-Length as body.size() + truncate_missing, send the body, then close.
  std::size_t truncate_missing = 0;
  /// Stream this many bytes of 'a' in 64 KiB pieces instead of body (never held in memory).
  std::size_t huge_bytes = 0;
  /// With huge_bytes: send chunked (no Content-Length), so only counting the bytes can stop it.
  bool huge_chunked = false;

  /// @p body serialized, with application/json.
  static Reply json(const nlohmann::json& body, int status = 200);
  /// @p body as it is, with @p content_type.
  static Reply text(std::string body, int status = 200, std::string content_type = "text/plain");
  /// The body of tests/fixtures/@p name, with application/json.
  static Reply fixture(std::string_view name, int status = 200);
  /// Never answers (until the server is destroyed, or a minute has passed).
  static Reply never();
  /// Sends the start of @p body under a Content-Length @p missing bytes larger, then closes.
  static Reply truncated(std::string body, std::size_t missing = 1000);
  /// A body of @p bytes bytes streamed in pieces; with @p chunked, without Content-Length.
  static Reply huge(std::size_t bytes, bool chunked = false);

  /// This reply with the status line and headers of the `*.headers.txt` fixture @p name
  /// (its content-type replaces content_type).
  Reply with_headers_file(std::string_view name) const;
  /// This reply with one more header.
  Reply with_header(std::string name, std::string value) const;
  /// This reply, answered after @p wait.
  Reply after(std::chrono::milliseconds wait) const;
};

/// The server. Construction returns once it is accepting; destruction stops it, releases any
/// request still waiting in a delay, closes kept-alive connections and joins every thread.
class TestServer {
 public:
  /// Starts with a default reply of 200 `{}`.
  TestServer();
  explicit TestServer(Reply default_reply);
  ~TestServer();
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  int port() const noexcept;
  /// "http://127.0.0.1:PORT"
  std::string url() const;

  /// Sets the answer for every following request (after the queued ones).
  void respond(Reply reply);
  /// Queues a one-shot answer; queued answers are used in order before the default.
  void enqueue(Reply reply);
  /// Answers every following request (after the queued ones) with @p handler(request).
  void respond_with(std::function<Reply(const RecordedRequest&)> handler);

  /// Every request received so far, in arrival order.
  std::vector<RecordedRequest> requests() const;
  /// The most recent request. @throws std::logic_error when there was none.
  RecordedRequest last() const;
  std::size_t count() const;
  /// Distinct TCP connections that carried at least one request (distinct client ports).
  std::size_t connections_accepted() const;
  /// Waits until at least @p n requests have arrived or @p timeout passed; true when they did.
  bool wait_for_count(std::size_t n, std::chrono::milliseconds timeout) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// A loopback port nothing listens on (bound, then released), for connection-refused tests.
int unused_loopback_port();

}  // namespace polyrouter::test
