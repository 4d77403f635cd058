#include "redis_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <thread>

extern char** environ;

namespace polyrouter::test {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

// ---------------------------------------------------------------------------------------------
// Processes.

// Forks run on one thread that lives as long as the process, so that PR_SET_PDEATHSIG (which
// fires when the forking *thread* ends) kills a server only when the test process dies: a test
// that crashes or is killed by CTest's timeout leaves no redis-server behind.
class Spawner {
 public:
  static Spawner& instance() {
    static Spawner* spawner = new Spawner();  // never destroyed: its thread must outlive every server
    return *spawner;
  }

  pid_t spawn(const std::vector<std::string>& argv, const std::string& output_file) {
    std::unique_lock<std::mutex> lock(mutex_);
    idle_.wait(lock, [&] { return !job_; });
    pid_t result = -1;
    bool done = false;
    job_ = [&] {
      result = fork_exec(argv, output_file);
      done = true;
    };
    wake_.notify_all();
    idle_.wait(lock, [&] { return done; });
    return result;
  }

 private:
  Spawner() { std::thread([this] { run(); }).detach(); }

  void run() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return static_cast<bool>(job_); });
      job_();
      job_ = nullptr;
      idle_.notify_all();
    }
  }

  static pid_t fork_exec(const std::vector<std::string>& argv, const std::string& output_file) {
    // Everything the child needs is prepared before fork: after it only async-signal-safe calls.
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const pid_t parent = getpid();
    const int out = ::open(output_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (out < 0) return -1;
    const pid_t pid = fork();
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);  // the parent died before prctl
      dup2(out, STDOUT_FILENO);
      dup2(out, STDERR_FILENO);
      const int in = ::open("/dev/null", O_RDONLY);
      if (in >= 0) dup2(in, STDIN_FILENO);
      setpgid(0, 0);  // a ^C aimed at the test goes to the test; we stop the server ourselves
      execvp(args[0], args.data());
      _exit(127);
    }
    ::close(out);
    return pid;
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::function<void()> job_;
};

// Runs a short program to completion (openssl); its output goes to @p output_file.
int run_program(const std::vector<std::string>& argv, const std::string& output_file) {
  const pid_t pid = Spawner::instance().spawn(argv, output_file);
  if (pid <= 0) return -1;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Reaps @p pid if it has exited; true when it has.
bool reaped(pid_t pid) {
  int status = 0;
  const pid_t r = waitpid(pid, &status, WNOHANG);
  return r == pid || (r < 0 && errno == ECHILD);
}

void wait_for_exit(pid_t pid, std::chrono::milliseconds patience) {
  const auto until = SteadyClock::now() + patience;
  while (SteadyClock::now() < until) {
    if (reaped(pid)) return;
    std::this_thread::sleep_for(5ms);
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

bool on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (!dir.empty() && ::access((dir + "/" + program).c_str(), X_OK) == 0) return true;
  }
  return false;
}

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (fd >= 0) ::close(fd);
    throw RedisServerError("[redis_server] no free loopback port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// ---------------------------------------------------------------------------------------------
// RESP over a socket: enough for a test's assertions.

class Connection {
 public:
  Connection(const RedisEndpoint& endpoint, std::chrono::milliseconds timeout)
      : deadline_(SteadyClock::now() + timeout) {
    if (!endpoint.unix_path.empty()) {
      fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      sockaddr_un addr{};
      addr.sun_family = AF_UNIX;
      std::strncpy(addr.sun_path, endpoint.unix_path.c_str(), sizeof addr.sun_path - 1);
      connect_to(reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    } else {
      fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(static_cast<std::uint16_t>(endpoint.port));
      if (::inet_pton(AF_INET, endpoint.host.c_str(), &addr.sin_addr) != 1) fail("bad host " + endpoint.host);
      connect_to(reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    }
  }
  ~Connection() {
    if (fd_ >= 0) ::close(fd_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  std::string call(const std::vector<std::string>& args) {
    std::string out = "*" + std::to_string(args.size()) + "\r\n";
    for (const auto& a : args) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
    send_all(out);
    return read_reply();
  }

 private:
  [[noreturn]] static void fail(const std::string& what) { throw RedisServerError("[redis_server] " + what); }

  int remaining_ms() const {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - SteadyClock::now());
    return left.count() > 0 ? static_cast<int>(left.count()) : 0;
  }

  void wait_for(short events) {
    pollfd p{fd_, events, 0};
    for (;;) {
      const int r = ::poll(&p, 1, remaining_ms());
      if (r > 0) return;
      if (r == 0) fail("no answer in time");
      if (errno != EINTR) fail(std::string("poll: ") + std::strerror(errno));
    }
  }

  void connect_to(const sockaddr* addr, socklen_t len) {
    if (fd_ < 0) fail("socket failed");
    if (::connect(fd_, addr, len) == 0) return;
    if (errno != EINPROGRESS && errno != EAGAIN) fail(std::string("connect: ") + std::strerror(errno));
    wait_for(POLLOUT);
    int error = 0;
    socklen_t error_len = sizeof error;
    ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &error_len);
    if (error != 0) fail(std::string("connect: ") + std::strerror(error));
  }

  void send_all(const std::string& data) {
    std::size_t sent = 0;
    while (sent < data.size()) {
      const ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n > 0) {
        sent += static_cast<std::size_t>(n);
      } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        wait_for(POLLOUT);
      } else {
        fail(std::string("send: ") + std::strerror(errno));
      }
    }
  }

  void fill() {
    wait_for(POLLIN);
    char chunk[4096];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n == 0) fail("connection closed");
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      fail(std::string("recv: ") + std::strerror(errno));
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }

  std::string line() {
    std::size_t end;
    while ((end = buffer_.find("\r\n")) == std::string::npos) fill();
    std::string l = buffer_.substr(0, end);
    buffer_.erase(0, end + 2);
    return l;
  }

  std::string bytes(std::size_t n) {
    while (buffer_.size() < n + 2) fill();
    std::string b = buffer_.substr(0, n);
    buffer_.erase(0, n + 2);
    return b;
  }

  std::string read_reply() {
    const std::string l = line();
    if (l.empty()) fail("empty reply line");
    const std::string rest = l.substr(1);
    switch (l[0]) {
      case '+':
      case ':':
        return rest;
      case '-':
        fail("error reply: " + rest);
      case '$': {
        const long n = std::stol(rest);
        return n < 0 ? "(nil)" : bytes(static_cast<std::size_t>(n));
      }
      case '*': {
        const long n = std::stol(rest);
        if (n < 0) return "(nil)";
        std::string joined;
        for (long i = 0; i < n; ++i) {
          if (i > 0) joined += '\n';
          joined += read_reply();
        }
        return joined;
      }
      default:
        fail("unexpected reply: " + l);
    }
  }

  int fd_ = -1;
  SteadyClock::time_point deadline_;
  std::string buffer_;
};

}  // namespace

std::string redis_command(const RedisEndpoint& endpoint, const std::vector<std::string>& args,
                          const std::string& password, std::chrono::milliseconds timeout) {
  Connection connection(endpoint, timeout);
  if (!password.empty()) connection.call({"AUTH", password});
  return connection.call(args);
}

bool redis_server_available() { return on_path("redis-server"); }

// ---------------------------------------------------------------------------------------------

RedisServer::RedisServer(RedisServerOptions options) : options_(std::move(options)) {
  if (!redis_server_available()) {
    throw RedisServerError(
        "[redis_server] redis-server is not installed (scripts/deps.sh installs redis-server and redis-tools)");
  }
  char folder[] = "/tmp/polyrouter-redis-XXXXXX";  // short: a unix socket path has 107 bytes
  if (::mkdtemp(folder) == nullptr) throw RedisServerError("[redis_server] mkdtemp failed");
  folder_ = folder;
  try {
    if (options_.unix_socket) unix_path_ = folder_ + "/redis.sock";
    if (options_.tls) {
      if (!on_path("openssl")) throw RedisServerError("[redis_server] openssl is not installed");
      const std::string log = folder_ + "/openssl.log";
      const std::string ext = folder_ + "/server.ext";
      std::ofstream(ext) << "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                            "basicConstraints=CA:FALSE\n"
                            "keyUsage=digitalSignature,keyEncipherment\n"
                            "extendedKeyUsage=serverAuth\n";
      const std::vector<std::vector<std::string>> steps = {
          {"openssl", "req", "-x509", "-new", "-nodes", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
           "-keyout", folder_ + "/ca.key", "-out", folder_ + "/ca.crt", "-days", "2", "-subj",
           "/CN=polyrouter test CA"},
          {"openssl", "req", "-new", "-nodes", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
           "-keyout", folder_ + "/server.key", "-out", folder_ + "/server.csr", "-subj", "/CN=localhost"},
          {"openssl", "x509", "-req", "-in", folder_ + "/server.csr", "-CA", folder_ + "/ca.crt", "-CAkey",
           folder_ + "/ca.key", "-CAcreateserial", "-out", folder_ + "/server.crt", "-days", "2", "-extfile", ext},
      };
      for (const auto& step : steps) {
        if (run_program(step, log) != 0) {
          throw RedisServerError("[redis_server] openssl " + step[1] + " failed:\n" + read_file(log));
        }
      }
      ca_file_ = folder_ + "/ca.crt";
    }
    // A free port can be taken by someone else before the server binds it: try a few.
    for (int tries = 0;; ++tries) {
      port_ = free_port();
      tls_port_ = options_.tls ? free_port() : 0;
      cluster_port_ = options_.cluster ? free_port() : 0;
      try {
        start();
        break;
      } catch (const RedisServerError&) {
        if (tries >= 4 || read_file(folder_ + "/redis.log").find("ddress already in use") == std::string::npos) {
          throw;
        }
      }
    }
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove_all(folder_, ignored);
    throw;
  }
}

RedisServer::~RedisServer() {
  stop();
  std::error_code ignored;
  std::filesystem::remove_all(folder_, ignored);
}

void RedisServer::start() {
  std::vector<std::string> argv = {"redis-server",
                                   "--bind", "127.0.0.1",
                                   "--port", std::to_string(port_),
                                   "--dir", folder_,
                                   "--logfile", folder_ + "/redis.log",
                                   "--save", "",
                                   "--appendonly", "no",
                                   "--daemonize", "no",
                                   "--loglevel", "notice"};
  if (!unix_path_.empty()) argv.insert(argv.end(), {"--unixsocket", unix_path_, "--unixsocketperm", "700"});
  if (!options_.password.empty()) argv.insert(argv.end(), {"--requirepass", options_.password});
  if (options_.tls) {
    argv.insert(argv.end(), {"--tls-port", std::to_string(tls_port_), "--tls-cert-file", folder_ + "/server.crt",
                             "--tls-key-file", folder_ + "/server.key", "--tls-ca-cert-file", ca_file_,
                             "--tls-auth-clients", "no"});
  }
  if (options_.cluster) {
    // The bus defaults to port + 10000, past 65535 for the ports free_port() often gives.
    argv.insert(argv.end(), {"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                             "--cluster-node-timeout", "2000", "--cluster-port", std::to_string(cluster_port_)});
  }
  pid_ = Spawner::instance().spawn(argv, folder_ + "/redis.stdout");
  if (pid_ <= 0) throw RedisServerError("[redis_server] could not start redis-server");
  paused_ = false;
  wait_until_ready();
}

void RedisServer::wait_until_ready() {
  const auto until = SteadyClock::now() + 10s;
  std::string last_error;
  while (SteadyClock::now() < until) {
    if (reaped(pid_)) {
      pid_ = -1;
      throw RedisServerError("[redis_server] redis-server exited at start:\n" + read_file(folder_ + "/redis.log") +
                             read_file(folder_ + "/redis.stdout"));
    }
    try {
      if (command({"PING"}, 500ms) == "PONG") return;
    } catch (const RedisServerError& e) {
      last_error = e.what();
    }
    std::this_thread::sleep_for(10ms);
  }
  kill();
  throw RedisServerError("[redis_server] redis-server did not answer PING within 10 s (" + last_error + "):\n" +
                         read_file(folder_ + "/redis.log"));
}

std::string RedisServer::plain_url() const {
  const std::string auth = options_.password.empty() ? "" : ":" + options_.password + "@";
  return "redis://" + auth + "127.0.0.1:" + std::to_string(port_) + "/0";
}

std::string RedisServer::url() const {
  if (!options_.tls) return plain_url();
  const std::string auth = options_.password.empty() ? "" : ":" + options_.password + "@";
  return "rediss://" + auth + "127.0.0.1:" + std::to_string(tls_port_) + "/0";
}

std::string RedisServer::unix_url() const { return unix_path_.empty() ? "" : "unix://" + unix_path_; }

void RedisServer::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  paused_ = false;
}

void RedisServer::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  if (paused_) ::kill(pid_, SIGCONT);  // a stopped process handles SIGTERM only once continued
  wait_for_exit(pid_, 2000ms);
  pid_ = -1;
  paused_ = false;
}

void RedisServer::restart() {
  stop();
  if (!unix_path_.empty()) ::unlink(unix_path_.c_str());
  start();
}

void RedisServer::pause() {
  if (pid_ <= 0) throw RedisServerError("[redis_server] pause: not running");
  ::kill(pid_, SIGSTOP);
  paused_ = true;
}

void RedisServer::resume() {
  if (pid_ <= 0) throw RedisServerError("[redis_server] resume: not running");
  ::kill(pid_, SIGCONT);
  paused_ = false;
}

void RedisServer::flushall() { command({"FLUSHALL"}); }

std::string RedisServer::command(const std::vector<std::string>& args, std::chrono::milliseconds timeout) const {
  RedisEndpoint endpoint;
  endpoint.port = port_;
  return redis_command(endpoint, args, options_.password, timeout);
}

std::string RedisServer::info_field(const std::string& section, const std::string& field) const {
  std::stringstream info(command({"INFO", section}));
  std::string l;
  const std::string prefix = field + ":";
  while (std::getline(info, l)) {
    if (!l.empty() && l.back() == '\r') l.pop_back();
    if (l.compare(0, prefix.size(), prefix) == 0) return l.substr(prefix.size());
  }
  throw RedisServerError("[redis_server] INFO " + section + " has no " + field);
}

std::uint64_t RedisServer::commands_processed() const {
  // The INFO that asks is counted once it has run, so the figure it reports leaves it out; the
  // AUTH before it (with a password) is counted, and left out here.
  const std::uint64_t total = std::stoull(info_field("stats", "total_commands_processed"));
  return options_.password.empty() ? total : total - 1;
}

}  // namespace polyrouter::test
