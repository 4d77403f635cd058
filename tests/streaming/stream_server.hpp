#pragma once
// A loopback server that streams a scripted body piece by piece, so tests control exactly when
// each SSE event leaves: it can hold a piece until the client proves it saw an earlier one,
// pause, end cleanly, or cut the connection.

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace polyrouter::test {

struct Piece {
  std::string bytes;
  bool wait_for_gate = false;            ///< hold until open_gate() (bounded)
  std::chrono::milliseconds delay{0};   ///< pause before sending
};

enum class Ending { clean, cut };

class StreamServer {
 public:
  StreamServer() {
    server_.new_task_queue = [] { return new httplib::ThreadPool(8); };
    // httplib's stop() waits out idle keep-alive connections: one request per connection leaves
    // none idle. (A keep-alive timeout of 0 did that too, but httplib applies it to the first
    // request as well: a request whose bytes came more than 10 ms after the connection, as on a
    // loaded machine, got an empty reply.)
    server_.set_keep_alive_max_count(1);
    server_.set_keep_alive_timeout(5);
    auto handler = [this](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        ++requests_;
        paths_.push_back(req.path);
        bodies_.push_back(req.body);
        request_cv_.notify_all();
      }
      if (status_ != 200) {
        res.status = status_;
        res.set_content(error_body_, "application/json");
        return;
      }
      res.set_chunked_content_provider("text/event-stream", [this](std::size_t, httplib::DataSink& sink) {
        for (const Piece& piece : script_) {
          if (piece.delay.count() > 0 && !wait_until_stopped(piece.delay)) return false;
          if (piece.wait_for_gate) {
            std::unique_lock<std::mutex> lock(mutex_);
            gate_cv_.wait_for(lock, std::chrono::seconds(5), [this] { return gate_open_ || stopping_; });
            gate_opened_in_time_ = gate_open_;
          }
          if (!sink.is_writable() || !sink.write(piece.bytes.data(), piece.bytes.size())) {
            std::lock_guard<std::mutex> lock(mutex_);
            client_went_away_ = true;
            done_cv_.notify_all();
            return false;
          }
        }
        if (ending_ == Ending::cut) return false;
        sink.done();
        return true;
      });
    };
    server_.Post(R"(/.*)", handler);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    for (int i = 0; i < 500 && !server_.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }

  ~StreamServer() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    gate_cv_.notify_all();
    stop_cv_.notify_all();
    server_.stop();
    thread_.join();
  }

  void script(std::vector<Piece> pieces, Ending ending = Ending::clean) {
    script_ = std::move(pieces);
    ending_ = ending;
  }
  void fail_with(int status, std::string body) {
    status_ = status;
    error_body_ = std::move(body);
  }
  void open_gate() {
    std::lock_guard<std::mutex> lock(mutex_);
    gate_open_ = true;
    gate_cv_.notify_all();
  }
  bool gate_opened_in_time() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return gate_opened_in_time_;
  }
  /// Waits (bounded) until a write failed because the client closed the connection.
  bool wait_client_gone(std::chrono::milliseconds limit) {
    std::unique_lock<std::mutex> lock(mutex_);
    return done_cv_.wait_for(lock, limit, [this] { return client_went_away_; });
  }
  /// Waits (bounded) until @p n requests arrived.
  bool wait_for_requests(int n, std::chrono::milliseconds limit) {
    std::unique_lock<std::mutex> lock(mutex_);
    return request_cv_.wait_for(lock, limit, [&] { return requests_ >= n; });
  }
  int requests() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  /// The request bodies received, in order.
  std::vector<std::string> bodies() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return bodies_;
  }

 private:
  bool wait_until_stopped(std::chrono::milliseconds d) {
    std::unique_lock<std::mutex> lock(mutex_);
    return !stop_cv_.wait_for(lock, d, [this] { return stopping_; });
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::vector<Piece> script_;
  Ending ending_ = Ending::clean;
  int status_ = 200;
  std::string error_body_;
  mutable std::mutex mutex_;
  std::condition_variable gate_cv_, done_cv_, stop_cv_, request_cv_;
  bool gate_open_ = false, gate_opened_in_time_ = false, stopping_ = false, client_went_away_ = false;
  int requests_ = 0;
  std::vector<std::string> paths_;
  std::vector<std::string> bodies_;
};

/// "data: <json>\n\n"
inline std::string sse(const std::string& data) { return "data: " + data + "\n\n"; }

}  // namespace polyrouter::test
