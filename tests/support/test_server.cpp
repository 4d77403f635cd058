#include "test_server.hpp"

#include "socket_shutdown.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <httplib.h>

namespace polyrouter::test {
namespace {

constexpr std::size_t kPiece = 64 * 1024;
constexpr std::chrono::milliseconds kNeverCap{60000};

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

const std::string& piece_of_a() {
  static const std::string piece(kPiece, 'a');
  return piece;
}

bool is_internal_header(const std::string& name) {
  // cpp-httplib adds these to every request it parses; no client sent them.
  return name == "REMOTE_ADDR" || name == "REMOTE_PORT" || name == "LOCAL_ADDR" || name == "LOCAL_PORT";
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// RecordedRequest

std::string RecordedRequest::header(std::string_view lower_case_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_case_name) return value;
  }
  return {};
}

bool RecordedRequest::has_header(std::string_view lower_case_name) const {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& h) { return h.first == lower_case_name; });
}

std::string RecordedRequest::param(std::string_view name) const {
  auto it = query.find(std::string(name));
  return it == query.end() ? std::string() : it->second;
}

bool RecordedRequest::has_param(std::string_view name) const { return query.count(std::string(name)) > 0; }

nlohmann::json RecordedRequest::json() const { return nlohmann::json::parse(body); }

// ---------------------------------------------------------------------------------------------
// Reply

Reply Reply::json(const nlohmann::json& body, int status) {
  Reply r;
  r.status = status;
  r.body = body.dump();
  return r;
}

Reply Reply::text(std::string body, int status, std::string content_type) {
  Reply r;
  r.status = status;
  r.body = std::move(body);
  r.content_type = std::move(content_type);
  return r;
}

Reply Reply::fixture(std::string_view name, int status) {
  Reply r;
  r.status = status;
  r.body = load_fixture(name);
  return r;
}

Reply Reply::never() {
  Reply r;
  r.delay = kNeverCap;
  r.body = "{}";
  return r;
}

Reply Reply::truncated(std::string body, std::size_t missing) {
  Reply r;
  r.body = std::move(body);
  r.truncate_missing = missing == 0 ? 1 : missing;
  return r;
}

Reply Reply::huge(std::size_t bytes, bool chunked) {
  Reply r;
  r.huge_bytes = bytes;
  r.huge_chunked = chunked;
  return r;
}

Reply Reply::with_headers_file(std::string_view name) const {
  Reply r = *this;
  HeadersFile file = load_headers_file(name);
  if (file.status != 0) r.status = file.status;
  for (auto& [header_name, value] : file.headers) {
    if (lower(header_name) == "content-type") {
      r.content_type = value;
    } else {
      r.headers.emplace_back(header_name, value);
    }
  }
  return r;
}

Reply Reply::with_header(std::string name, std::string value) const {
  Reply r = *this;
  if (lower(name) == "content-type") {
    r.content_type = std::move(value);
  } else {
    r.headers.emplace_back(std::move(name), std::move(value));
  }
  return r;
}

Reply Reply::after(std::chrono::milliseconds wait) const {
  Reply r = *this;
  r.delay = wait;
  return r;
}

// ---------------------------------------------------------------------------------------------
// TestServer

struct TestServer::Impl {
  httplib::Server server;
  std::thread thread;
  int port = -1;
  std::atomic<int> listen_fd{-1};

  mutable std::mutex mutex;
  mutable std::condition_variable changed;  // a request arrived, or the server is stopping
  bool stopping = false;
  Reply default_reply;
  std::deque<Reply> queue;
  std::function<Reply(const RecordedRequest&)> handler;
  std::vector<RecordedRequest> requests;

  void handle(const httplib::Request& req, httplib::Response& res);
};

void TestServer::Impl::handle(const httplib::Request& req, httplib::Response& res) {
  RecordedRequest record;
  record.method = req.method;
  record.path = req.path;
  record.target = req.target;
  record.query.insert(req.params.begin(), req.params.end());
  for (const auto& [name, value] : req.headers) {
    if (!is_internal_header(name)) record.headers.emplace_back(lower(name), value);
  }
  record.body = req.body;
  record.remote_port = req.remote_port;

  Reply reply;
  std::function<Reply(const RecordedRequest&)> make;
  {
    std::lock_guard<std::mutex> lock(mutex);
    requests.push_back(record);
    if (!queue.empty()) {
      reply = std::move(queue.front());
      queue.pop_front();
    } else if (handler) {
      make = handler;
    } else {
      reply = default_reply;
    }
  }
  changed.notify_all();
  if (make) reply = make(record);

  if (reply.delay) {
    std::unique_lock<std::mutex> lock(mutex);
    changed.wait_for(lock, *reply.delay, [this] { return stopping; });
    if (stopping) {
      res.status = 503;
      res.set_content("test server stopping", "text/plain");
      return;
    }
  }

  res.status = reply.status;
  for (const auto& [name, value] : reply.headers) res.set_header(name, value);

  if (reply.huge_bytes > 0) {
    const std::size_t total = reply.huge_bytes;
    if (reply.huge_chunked) {
      res.set_chunked_content_provider(reply.content_type, [total](std::size_t offset, httplib::DataSink& sink) {
        if (offset >= total) {
          sink.done();
          return true;
        }
        return sink.write(piece_of_a().data(), std::min(total - offset, kPiece));
      });
    } else {
      res.set_content_provider(total, reply.content_type,
                               [](std::size_t /*offset*/, std::size_t length, httplib::DataSink& sink) {
                                 return sink.write(piece_of_a().data(), std::min(length, kPiece));
                               });
    }
    return;
  }
  if (reply.truncate_missing > 0) {
    auto body = std::make_shared<const std::string>(reply.body);
    res.set_content_provider(body->size() + reply.truncate_missing, reply.content_type,
                             [body](std::size_t offset, std::size_t /*length*/, httplib::DataSink& sink) {
                               // Send what there is; once it is out, give up, which closes the
                               // connection short of the declared length.
                               if (offset >= body->size()) return false;
                               return sink.write(body->data() + offset, body->size() - offset);
                             });
    return;
  }
  res.set_content(reply.body, reply.content_type);
}

TestServer::TestServer() : TestServer(Reply::json(nlohmann::json::object())) {}

TestServer::TestServer(Reply default_reply) : impl_(std::make_unique<Impl>()) {
  Impl& impl = *impl_;
  impl.default_reply = std::move(default_reply);

  // Enough workers for concurrency tests and for requests parked in a delay.
  impl.server.new_task_queue = [] { return new httplib::ThreadPool(32); };
  impl.server.set_keep_alive_max_count(1000);
  impl.server.set_keep_alive_timeout(5);
  impl.server.set_read_timeout(5);
  impl.server.set_write_timeout(5);
  // httplib writes headers and body separately; with Nagle on, each answer would wait out the
  // client's delayed ACK (~40 ms).
  impl.server.set_tcp_nodelay(true);
  impl.server.set_socket_options([&impl](::socket_t sock) {
    httplib::default_socket_options(sock);
    impl.listen_fd = sock;
  });

  auto handler = [&impl](const httplib::Request& req, httplib::Response& res) { impl.handle(req, res); };
  impl.server.Get(".*", handler);
  impl.server.Post(".*", handler);
  impl.server.Put(".*", handler);
  impl.server.Patch(".*", handler);
  impl.server.Delete(".*", handler);
  impl.server.Options(".*", handler);

  impl.port = impl.server.bind_to_any_port("127.0.0.1");
  if (impl.port <= 0) throw std::runtime_error("TestServer: cannot bind 127.0.0.1");
  // httplib listens with a backlog of 5; concurrency tests connect in bursts larger than that.
  if (impl.listen_fd >= 0) ::listen(impl.listen_fd, SOMAXCONN);

  impl.thread = std::thread([&impl] { impl.server.listen_after_bind(); });
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!impl.server.is_running()) {
    if (std::chrono::steady_clock::now() > give_up) {
      impl.server.stop();
      impl.thread.join();
      throw std::runtime_error("TestServer: the listener did not start");
    }
    std::this_thread::yield();
  }
}

TestServer::~TestServer() {
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->changed.notify_all();
  impl_->server.stop();
  polyrouter::sim::detail::shutdown_accepted_sockets(impl_->port);
  if (impl_->thread.joinable()) impl_->thread.join();
}

int TestServer::port() const noexcept { return impl_->port; }

std::string TestServer::url() const { return "http://127.0.0.1:" + std::to_string(impl_->port); }

void TestServer::respond(Reply reply) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->default_reply = std::move(reply);
  impl_->handler = nullptr;
}

void TestServer::enqueue(Reply reply) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->queue.push_back(std::move(reply));
}

void TestServer::respond_with(std::function<Reply(const RecordedRequest&)> handler) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->handler = std::move(handler);
}

std::vector<RecordedRequest> TestServer::requests() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->requests;
}

RecordedRequest TestServer::last() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  if (impl_->requests.empty()) throw std::logic_error("TestServer::last(): no request received");
  return impl_->requests.back();
}

std::size_t TestServer::count() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->requests.size();
}

std::size_t TestServer::connections_accepted() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  std::set<int> ports;
  for (const RecordedRequest& r : impl_->requests) ports.insert(r.remote_port);
  return ports.size();
}

bool TestServer::wait_for_count(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(impl_->mutex);
  return impl_->changed.wait_for(lock, timeout, [&] { return impl_->requests.size() >= n; });
}

int unused_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("unused_loopback_port: socket() failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(fd);
    throw std::runtime_error("unused_loopback_port: bind() failed");
  }
  const int port = ntohs(address.sin_port);
  ::close(fd);  // never listened on: a connection to it is refused
  return port;
}

}  // namespace polyrouter::test
