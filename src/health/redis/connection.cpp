#include "health/redis/connection.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>

namespace polyrouter::detail::redis {

void ReplyFree::operator()(redisReply* r) const noexcept { freeReplyObject(r); }

bool is_error(const Reply& r) { return r && r->type == REDIS_REPLY_ERROR; }

std::string_view text_of(const Reply& r) {
  if (!r || (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS && r->type != REDIS_REPLY_ERROR)) return {};
  return {r->str, r->len};
}

long long integer_of(const Reply& r) {
  if (!r) return 0;
  if (r->type == REDIS_REPLY_INTEGER) return r->integer;
  if (r->type == REDIS_REPLY_STRING) {
    try {
      return std::stoll(std::string(r->str, r->len));
    } catch (...) {
      return 0;
    }
  }
  return 0;
}

std::vector<std::string_view> texts_of(const Reply& r) {
  std::vector<std::string_view> out;
  if (!r || r->type != REDIS_REPLY_ARRAY) return out;
  for (std::size_t i = 0; i < r->elements; ++i) {
    const redisReply* e = r->element[i];
    const bool text = e->type == REDIS_REPLY_STRING || e->type == REDIS_REPLY_STATUS;
    out.emplace_back(text ? std::string_view(e->str, e->len) : std::string_view());
  }
  return out;
}

bool read_scan_page(const Reply& r, std::string& cursor, std::vector<std::string>& names) {
  if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) return false;
  const redisReply* next = r->element[0];
  const redisReply* page = r->element[1];
  if (next->type != REDIS_REPLY_STRING || page->type != REDIS_REPLY_ARRAY) return false;
  cursor.assign(next->str, next->len);
  names.clear();
  for (std::size_t i = 0; i < page->elements; ++i) {
    if (page->element[i]->type == REDIS_REPLY_STRING) names.emplace_back(page->element[i]->str, page->element[i]->len);
  }
  return true;
}

namespace {

using Deadline = Connection::Clock::time_point;

int millis_left(Deadline deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Connection::Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 60'000));
}

std::string os_error(int error) { return std::strerror(error); }

std::string ssl_error() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "TLS error";
  char buffer[256];
  ERR_error_string_n(code, buffer, sizeof buffer);
  return buffer;
}

// A write to a peer that hung up must not kill the process: SIGPIPE is held back for this
// thread and any it raised is consumed, as libcurl does around OpenSSL.
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    sigpending(&pending_before_);
    pthread_sigmask(SIG_BLOCK, &pipe, &old_);
  }
  ~SigpipeGuard() {
    if (!sigismember(&pending_before_, SIGPIPE)) {
      sigset_t pipe;
      sigemptyset(&pipe);
      sigaddset(&pipe, SIGPIPE);
      const timespec zero{0, 0};
      while (sigtimedwait(&pipe, nullptr, &zero) > 0) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  sigset_t old_{};
  sigset_t pending_before_{};
};

}  // namespace

// One TLS context per CA file for the process: loading the system's trust store costs some
// 20 ms of CPU, too much for every connection (a budget take's pool grows under load). A
// context is safe to share between threads once set up; each connection holds a reference.
SSL_CTX* shared_context(const std::string& ca_file) {
  struct Contexts {
    std::mutex mutex;
    std::map<std::string, SSL_CTX*> by_ca_file;
    ~Contexts() {
      for (auto& [file, ctx] : by_ca_file) SSL_CTX_free(ctx);  // connections still open hold their own
    }
  };
  static Contexts contexts;
  std::lock_guard<std::mutex> lock(contexts.mutex);
  SSL_CTX*& ctx = contexts.by_ca_file[ca_file];
  if (!ctx) {
    SSL_CTX* made = SSL_CTX_new(TLS_client_method());
    if (!made) throw ConnectionError{"redis: " + ssl_error()};
    SSL_CTX_set_min_proto_version(made, TLS1_2_VERSION);
    SSL_CTX_set_default_verify_paths(made);
    if (!ca_file.empty() && SSL_CTX_load_verify_locations(made, ca_file.c_str(), nullptr) != 1) {
      const std::string why = ssl_error();
      SSL_CTX_free(made);
      contexts.by_ca_file.erase(ca_file);
      throw ConnectionError{"redis: cannot read the CA file " + ca_file + ": " + why};
    }
    SSL_CTX_set_verify(made, SSL_VERIFY_PEER, nullptr);
    ctx = made;
  }
  SSL_CTX_up_ref(ctx);
  return ctx;
}

struct Connection::Io {
  int fd = -1;
  SSL_CTX* ctx = nullptr;
  SSL* ssl = nullptr;
  redisReader* reader = nullptr;
  std::string where;  ///< "127.0.0.1:6379" or the socket path: for messages

  ~Io() {
    if (ssl) SSL_free(ssl);
    if (ctx) SSL_CTX_free(ctx);
    if (fd >= 0) ::close(fd);
    if (reader) redisReaderFree(reader);
  }

  [[noreturn]] void fail(const std::string& what) const { throw ConnectionError{"redis " + where + ": " + what}; }

  void wait_for(short events, Deadline deadline, const char* doing) {
    pollfd p{fd, events, 0};
    for (;;) {
      const int n = ::poll(&p, 1, millis_left(deadline));
      if (n > 0) return;
      if (n == 0) fail(std::string("timed out ") + doing);
      if (errno != EINTR) fail(os_error(errno));
    }
  }

  void connect_socket(const Endpoint& e, Deadline deadline) {
    if (e.transport == Endpoint::Transport::unix_socket) {
      where = e.socket_path;
      sockaddr_un address{};
      address.sun_family = AF_UNIX;
      if (e.socket_path.size() >= sizeof address.sun_path) fail("socket path too long");
      std::memcpy(address.sun_path, e.socket_path.c_str(), e.socket_path.size() + 1);
      fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) fail(os_error(errno));
      if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 && errno != EINPROGRESS &&
          errno != EAGAIN) {
        fail(os_error(errno));
      }
      return;
    }
    where = e.host + ":" + std::to_string(e.port);
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_family = AF_UNSPEC;
    addrinfo* found = nullptr;
    const std::string port = std::to_string(e.port);
    if (const int rc = ::getaddrinfo(e.host.c_str(), port.c_str(), &hints, &found); rc != 0) fail(gai_strerror(rc));
    std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> list(found, freeaddrinfo);
    std::string last = "no address";
    for (addrinfo* a = found; a; a = a->ai_next) {
      fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
      if (fd < 0) continue;
      if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0 || errno == EINPROGRESS) {
        pollfd p{fd, POLLOUT, 0};
        int n;
        do {
          n = ::poll(&p, 1, millis_left(deadline));
        } while (n < 0 && errno == EINTR);
        int error = 0;
        socklen_t length = sizeof error;
        if (n > 0 && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error == 0) {
          const int one = 1;
          ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          return;
        }
        last = n == 0 ? "timed out connecting" : os_error(error ? error : errno);
      } else {
        last = os_error(errno);
      }
      ::close(fd);
      fd = -1;
    }
    fail(last);
  }

  void start_tls(const Endpoint& e, const std::string& ca_file, Deadline deadline) {
    ctx = shared_context(ca_file);
    ssl = SSL_new(ctx);
    if (!ssl || SSL_set_fd(ssl, fd) != 1) fail(ssl_error());
    // The certificate must name the host: an IP address as one, a name also sent by SNI.
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    if (X509_VERIFY_PARAM_set1_ip_asc(param, e.host.c_str()) != 1) {
      SSL_set_tlsext_host_name(ssl, e.host.c_str());
      X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      if (X509_VERIFY_PARAM_set1_host(param, e.host.c_str(), 0) != 1) fail(ssl_error());
    }
    SigpipeGuard guard;  // the handshake writes too
    for (;;) {
      ERR_clear_error();  // SSL_get_error reads this thread's queue: start it empty
      const int rc = SSL_connect(ssl);
      if (rc == 1) return;
      const int why = SSL_get_error(ssl, rc);
      if (why == SSL_ERROR_WANT_READ) {
        wait_for(POLLIN, deadline, "in the TLS handshake");
      } else if (why == SSL_ERROR_WANT_WRITE) {
        wait_for(POLLOUT, deadline, "in the TLS handshake");
      } else {
        const long verify = SSL_get_verify_result(ssl);
        fail(verify != X509_V_OK ? std::string("TLS certificate rejected: ") + X509_verify_cert_error_string(verify)
                                 : "TLS handshake failed: " + ssl_error());
      }
    }
  }

  void write_all(std::string_view data, Deadline deadline) {
    SigpipeGuard guard;
    while (!data.empty()) {
      if (ssl) {
        ERR_clear_error();
        const int n = SSL_write(ssl, data.data(), static_cast<int>(data.size()));
        if (n > 0) {
          data.remove_prefix(static_cast<std::size_t>(n));
          continue;
        }
        const int why = SSL_get_error(ssl, n);
        if (why == SSL_ERROR_WANT_WRITE) {
          wait_for(POLLOUT, deadline, "writing");
        } else if (why == SSL_ERROR_WANT_READ) {
          wait_for(POLLIN, deadline, "writing");
        } else {
          fail("write failed: " + ssl_error());
        }
        continue;
      }
      const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
      if (n > 0) {
        data.remove_prefix(static_cast<std::size_t>(n));
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        wait_for(POLLOUT, deadline, "writing");
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        fail(n == 0 ? "connection closed" : os_error(errno));
      }
    }
  }

  // Reads what is there (waiting until @p deadline for something); false when nothing came.
  bool read_some(Deadline deadline) {
    char buffer[16384];
    for (;;) {
      ssize_t n;
      if (ssl) {
        SigpipeGuard guard;  // a read may write (an alert, a key update)
        ERR_clear_error();
        n = SSL_read(ssl, buffer, sizeof buffer);
        if (n <= 0) {
          const int why = SSL_get_error(ssl, static_cast<int>(n));
          if (why == SSL_ERROR_WANT_READ || why == SSL_ERROR_WANT_WRITE) {
            pollfd p{fd, static_cast<short>(why == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT), 0};
            const int ready = ::poll(&p, 1, millis_left(deadline));
            if (ready == 0) return false;
            if (ready < 0 && errno != EINTR) fail(os_error(errno));
            continue;
          }
          fail(why == SSL_ERROR_ZERO_RETURN ? "connection closed" : "read failed: " + ssl_error());
        }
      } else {
        n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
          pollfd p{fd, POLLIN, 0};
          const int ready = ::poll(&p, 1, millis_left(deadline));
          if (ready == 0) return false;
          if (ready < 0 && errno != EINTR) fail(os_error(errno));
          continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) fail(n == 0 ? "connection closed" : os_error(errno));
      }
      if (redisReaderFeed(reader, buffer, static_cast<std::size_t>(n)) != REDIS_OK) fail("protocol error");
      return true;
    }
  }

  std::optional<Reply> next_reply(Deadline deadline) {
    for (;;) {
      void* raw = nullptr;
      if (redisReaderGetReply(reader, &raw) != REDIS_OK) fail("protocol error");
      if (raw) return Reply(static_cast<redisReply*>(raw));
      if (!read_some(deadline)) return std::nullopt;
    }
  }
};

namespace {

std::string formatted(const Connection::Command& command) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  for (const std::string& a : command) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  char* out = nullptr;
  const int n = redisFormatCommandArgv(&out, static_cast<int>(argv.size()), argv.data(), lengths.data());
  if (n < 0 || !out) throw ConnectionError{"redis: cannot format a command"};
  std::string text(out, static_cast<std::size_t>(n));
  redisFreeCommand(out);
  return text;
}

}  // namespace

Connection::Connection(const Endpoint& endpoint, const std::string& tls_ca_file, std::chrono::milliseconds timeout)
    : io_(std::make_unique<Io>()) {
  const Deadline deadline = Clock::now() + timeout;
  io_->reader = redisReaderCreate();
  if (!io_->reader) throw ConnectionError{"redis: out of memory"};
  io_->connect_socket(endpoint, deadline);
  if (endpoint.transport == Endpoint::Transport::tls) io_->start_tls(endpoint, tls_ca_file, deadline);
  std::vector<Command> hello;
  if (!endpoint.password.empty()) {
    hello.push_back(endpoint.user.empty() ? Command{"AUTH", endpoint.password}
                                          : Command{"AUTH", endpoint.user, endpoint.password});
  }
  if (endpoint.db != 0) hello.push_back({"SELECT", std::to_string(endpoint.db)});
  if (hello.empty()) return;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  for (const Reply& r : pipeline(hello, std::max(left, std::chrono::milliseconds(1)))) {
    // The server's own words ("WRONGPASS invalid username-password pair"), never the password.
    if (is_error(r)) io_->fail(std::string(text_of(r)));
  }
}

Connection::~Connection() = default;

std::vector<Reply> Connection::pipeline(const std::vector<Command>& commands, std::chrono::milliseconds timeout) {
  const Deadline deadline = Clock::now() + timeout;
  std::string out;
  for (const Command& c : commands) out += formatted(c);
  io_->write_all(out, deadline);
  sent_ += commands.size();
  std::vector<Reply> replies;
  replies.reserve(commands.size());
  while (replies.size() < commands.size()) {
    auto reply = io_->next_reply(deadline);
    if (!reply) io_->fail("timed out waiting for a reply");
    replies.push_back(std::move(*reply));
  }
  return replies;
}

Reply Connection::command(const Command& command, std::chrono::milliseconds timeout) {
  return std::move(pipeline({command}, timeout).front());
}

void Connection::send(const Command& command, std::chrono::milliseconds timeout) {
  io_->write_all(formatted(command), Clock::now() + timeout);
  ++sent_;
}

std::optional<Reply> Connection::read(std::chrono::milliseconds timeout) {
  return io_->next_reply(Clock::now() + timeout);
}

}  // namespace polyrouter::detail::redis
