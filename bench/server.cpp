#include "server.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <unordered_map>
#include <utility>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "common.hpp"
#include "shapes.hpp"

namespace bench {
namespace {

// A Groq success body (groq_ok.json's shape) with a short answer: a few hundred bytes, so the
// round trip is as cheap as the server can make it and the client's own work shows.
std::string completion_body() {
  json body = {
      {"id", "chatcmpl-bench-0001"},
      {"object", "chat.completion"},
      {"created", 1770770798},
      {"model", kModel},
      {"choices",
       json::array({{{"index", 0},
                     {"message", {{"role", "assistant"}, {"content", kAnswer}}},
                     {"logprobs", nullptr},
                     {"finish_reason", "stop"}}})},
      {"usage",
       {{"queue_time", 0.041876985},
        {"prompt_tokens", 45},
        {"prompt_time", 0.001954727},
        {"completion_tokens", 6},
        {"completion_time", 0.02},
        {"total_tokens", 51},
        {"total_time", 0.021954727}}},
      {"usage_breakdown", nullptr},
      {"system_fingerprint", "fp_f8b414701e"},
      {"x_groq", {{"id", "req_01kh52m3qqem4sw141xf026ehx"}, {"seed", 167346302}}},
      {"service_tier", "on_demand"}};
  return body.dump();
}

std::string stream_event(const json& delta, const json& finish_reason, bool last) {
  json chunk = {{"id", "chatcmpl-bench-0001"},
                {"object", "chat.completion.chunk"},
                {"created", 1770770839},
                {"model", kModel},
                {"system_fingerprint", "fp_f8b414701e"},
                {"choices", json::array({{{"index", 0},
                                          {"delta", delta},
                                          {"logprobs", nullptr},
                                          {"finish_reason", finish_reason}}})}};
  if (last) {
    json usage = {{"prompt_tokens", 45}, {"completion_tokens", 5}, {"total_tokens", 50}};
    chunk["x_groq"] = {{"id", "req_01kh52ndshfr2azv0xe6tnv4fx"}, {"usage", usage}};
    chunk["usage"] = usage;
  }
  return "data: " + chunk.dump() + "\n\n";
}

// groq_stream.sse's shape: a role chunk, one chunk per word, a finish chunk with usage, [DONE].
// Sent in two writes: the role chunk and the first word, then the rest.
std::pair<std::string, std::string> stream_body() {
  std::string first = stream_event({{"role", "assistant"}, {"content", ""}}, nullptr, false);
  std::string rest;
  const char* words[] = {"Hello", " from", " the", " bench", " server."};
  bool first_word = true;
  for (const char* w : words) {
    (first_word ? first : rest) += stream_event({{"content", w}}, nullptr, false);
    first_word = false;
  }
  rest += stream_event(json::object(), "stop", true);
  rest += "data: [DONE]\n\n";
  return {first, rest};
}

// The headers a real Groq answer carries (groq_ok.headers.txt), so the client parses as many.
const std::vector<std::pair<std::string, std::string>> kGroqHeaders = {
    {"cache-control", "private, max-age=0, no-store, no-cache, must-revalidate"},
    {"vary", "Origin"},
    {"x-groq-region", "bra"},
    {"x-ratelimit-limit-requests", "14400"},
    {"x-ratelimit-limit-tokens", "6000"},
    {"x-ratelimit-remaining-requests", "14399"},
    {"x-ratelimit-remaining-tokens", "5843"},
    {"x-ratelimit-reset-requests", "6s"},
    {"x-ratelimit-reset-tokens", "1.57s"},
    {"x-request-id", "req_01hxnxvkfjf6ttkqzfpw23ng08"},
    {"via", "1.1 google"},
    {"cf-cache-status", "DYNAMIC"},
    {"server", "cloudflare"},
};

// The value of header @p lower_name in the request head @p head (names compared
// case-insensitively), or "".
std::string_view header_value(std::string_view head, std::string_view lower_name) {
  std::size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos && pos + 2 < head.size()) {
    const std::size_t line_start = pos + 2;
    const std::size_t line_end = head.find("\r\n", line_start);
    if (line_end == std::string_view::npos) break;
    const std::string_view line = head.substr(line_start, line_end - line_start);
    const std::size_t colon = line.find(':');
    if (colon == lower_name.size()) {
      bool same = true;
      for (std::size_t i = 0; i < colon && same; ++i) {
        same = std::tolower(static_cast<unsigned char>(line[i])) == lower_name[i];
      }
      if (same) {
        std::string_view value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        return value;
      }
    }
    pos = line_end;
  }
  return {};
}

std::size_t content_length(std::string_view head) {
  std::size_t n = 0;
  for (char c : header_value(head, "content-length")) {
    if (c < '0' || c > '9') break;
    n = n * 10 + static_cast<std::size_t>(c - '0');
  }
  return n;
}

// One client connection of the event loop: bytes received and not yet answered, and answer
// bytes the socket has not taken yet.
class Peer {
 public:
  Peer(int fd, int route) : fd_(fd), route_(route) {}

  /// What the peer connected to: -1 for the bench server's own answers, else a real shape.
  int route() const { return route_; }

  /// Reads what has arrived; false once the client closed or failed.
  bool receive() {
    char chunk[16384];
    for (;;) {
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n > 0) {
        in_.append(chunk, static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }
  }

  /// Calls @p answer(peer, head, body) for every complete request received.
  template <typename Answer>
  void answer_all(Answer&& answer) {
    std::size_t start = 0;
    for (;;) {
      const std::size_t head_end = in_.find("\r\n\r\n", start);
      if (head_end == std::string::npos) break;
      const std::string_view head(in_.data() + start, head_end + 4 - start);
      const std::size_t length = content_length(head);
      if (in_.size() < head_end + 4 + length) break;
      answer(*this, head, std::string_view(in_.data() + head_end + 4, length));
      start = head_end + 4 + length;
    }
    in_.erase(0, start);
  }

  /// Sends at once what the socket takes (one write, one segment: TCP_NODELAY); queues the rest.
  void send(std::string_view data) {
    if (out_.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n > 0) data.remove_prefix(static_cast<std::size_t>(n));
    }
    out_.append(data.data(), data.size());
  }

  /// Sends queued bytes; false on a broken connection.
  bool flush() {
    while (!out_.empty()) {
      const ssize_t n = ::send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL);
      if (n > 0) {
        out_.erase(0, static_cast<std::size_t>(n));
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
      }
    }
    return true;
  }

  bool waiting_to_send() const { return !out_.empty(); }

 private:
  int fd_;
  int route_;
  std::string in_;
  std::string out_;
};

// The path of a request head's request line, without its query.
std::string_view request_path(std::string_view head) {
  const std::size_t start = head.find(' ');
  if (start == std::string_view::npos) return {};
  const std::size_t end = head.find_first_of(" ?", start + 1);
  return head.substr(start + 1, end == std::string_view::npos ? std::string_view::npos : end - start - 1);
}

const char* reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    default: return "Error";
  }
}

// A whole HTTP/1.1 answer: @p headers_text is a fixture's status line and headers (the status
// line is replaced: this server speaks HTTP/1.1), then its body with its length.
std::string http_answer(int status, const std::string& headers_text, const std::string& body) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) + "\r\n";
  std::istringstream lines(headers_text);
  std::string line;
  bool status_line = true;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (status_line || line.empty()) {
      status_line = false;
      continue;
    }
    std::string name = line.substr(0, line.find(':'));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    // This server frames the body itself, uncompressed.
    if (name == "content-length" || name == "transfer-encoding" || name == "content-encoding") continue;
    out += line + "\r\n";
  }
  return out + "content-length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// A real provider's answer shape, on a port of its own.
struct ShapeRoute {
  std::string name;
  std::string path;          ///< ShapeSpec::path
  bool gemini = false;       ///< the key travels in x-goog-api-key, not Authorization: Bearer
  std::string ok;            ///< the success fixture, verbatim, with its headers
  std::string unauthorized;  ///< the provider's answer to a request without its key header
  int listener = -1;
  int port = 0;
};

constexpr std::string_view kNotFound =
    "HTTP/1.1 404 Not Found\r\ncontent-type: text/plain\r\ncontent-length: 10\r\n\r\nnot found\n";

// A listening socket on 127.0.0.1 (free port); -1 when it cannot listen.
int listen_on_loopback(int& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t address_size = sizeof address;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(fd, SOMAXCONN) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &address_size) != 0) {
    if (fd >= 0) ::close(fd);
    return -1;
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  port = ntohs(address.sin_port);
  return fd;
}

// Every real shape, read from @p dir; none (and a note on stderr) when a fixture is missing,
// so that the bench server's own cases still run.
std::vector<ShapeRoute> load_routes(const std::string& dir) {
  std::vector<ShapeRoute> routes;
  try {
    for (const ShapeSpec& spec : shape_specs()) {
      ShapeRoute route;
      route.name = spec.name;
      route.path = spec.path;
      route.gemini = std::string(spec.provider) == "gemini";
      route.ok = http_answer(200, read_fixture(dir, spec.headers_file), read_fixture(dir, spec.body_file));
      // The error fixtures have no headers of their own: a status line and the content type.
      const std::string error_headers =
          "HTTP/2 " + std::to_string(spec.error_status) + "\ncontent-type: application/json\n";
      route.unauthorized = http_answer(spec.error_status, error_headers, read_fixture(dir, spec.error_file));
      routes.push_back(std::move(route));
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "[bench server] the real provider shapes are not served: %s\n", e.what());
    routes.clear();
  }
  return routes;
}

std::string chunk(const std::string& data) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return size + data + "\r\n";
}

}  // namespace

int serve_main(const std::string& fixtures) {
  ::signal(SIGPIPE, SIG_IGN);
  std::string common_headers;
  for (const auto& [name, value] : kGroqHeaders) common_headers += name + ": " + value + "\r\n";
  const std::string body = completion_body();
  const std::string ok = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n" + common_headers +
                         "content-length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  const std::pair<std::string, std::string> sse = stream_body();
  // A stream goes out in two writes: headers with the first word, then the rest.
  const std::string stream_first = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n" + common_headers +
                                   "transfer-encoding: chunked\r\n\r\n" + chunk(sse.first);
  const std::string stream_rest = chunk(sse.second) + "0\r\n\r\n";
  const std::string unauthorized_body =
      R"({"error":{"message":"Invalid API Key","type":"invalid_request_error","code":"invalid_api_key"}})";
  const std::string unauthorized = "HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: " +
                                   std::to_string(unauthorized_body.size()) + "\r\n\r\n" + unauthorized_body;

  int port = 0;
  const int listener = listen_on_loopback(port);
  if (listener < 0) {
    std::fprintf(stderr, "[bench server] cannot listen on 127.0.0.1\n");
    return 1;
  }
  // Each real shape is an origin of its own, as each provider is a host of its own: the paths
  // are then exactly the providers' (Cerebras and OpenAI both answer /v1/chat/completions).
  std::vector<ShapeRoute> routes = load_routes(fixtures);
  for (ShapeRoute& route : routes) {
    route.listener = listen_on_loopback(route.port);
    if (route.listener < 0) {
      std::fprintf(stderr, "[bench server] cannot listen on 127.0.0.1\n");
      return 1;
    }
  }

  // One thread serves every connection from one epoll loop: the server's work per request is
  // a few microseconds, far below the client's, and every variant of a comparison is served by
  // the same thread (with a thread per connection, one variant's server thread could be
  // scheduled worse than the other's for a whole run).
  const int poller = ::epoll_create1(EPOLL_CLOEXEC);
  auto watch = [&](int fd, int op, std::uint32_t interest) {
    epoll_event e{};
    e.events = interest;
    e.data.fd = fd;
    ::epoll_ctl(poller, op, fd, &e);
  };
  watch(listener, EPOLL_CTL_ADD, EPOLLIN);
  for (const ShapeRoute& route : routes) watch(route.listener, EPOLL_CTL_ADD, EPOLLIN);
  watch(STDIN_FILENO, EPOLL_CTL_ADD, EPOLLIN);
  // The route a listening socket accepts for: -1 the bench server's own; -2 not a listener.
  auto route_of_listener = [&](int fd) {
    if (fd == listener) return -1;
    for (std::size_t i = 0; i < routes.size(); ++i) {
      if (routes[i].listener == fd) return static_cast<int>(i);
    }
    return -2;
  };

  // "port N name=PORT ...": the bench server's port, then each real shape's.
  std::string ports = "port " + std::to_string(port);
  for (const ShapeRoute& route : routes) ports += " " + route.name + "=" + std::to_string(route.port);
  std::printf("%s\n", ports.c_str());
  std::fflush(stdout);

  std::unordered_map<int, Peer> peers;
  auto drop = [&](int fd) {
    ::epoll_ctl(poller, EPOLL_CTL_DEL, fd, nullptr);
    ::close(fd);
    peers.erase(fd);
  };
  auto answer = [&](Peer& peer, std::string_view head, std::string_view request_body) {
    if (peer.route() >= 0) {
      const ShapeRoute& route = routes[static_cast<std::size_t>(peer.route())];
      if (!path_matches(route.path, request_path(head))) {
        peer.send(kNotFound);
      } else if (route.gemini ? header_value(head, "x-goog-api-key").empty()
                              : header_value(head, "authorization").rfind("Bearer ", 0) != 0) {
        peer.send(route.unauthorized);
      } else {
        peer.send(route.ok);
      }
      return;
    }
    if (header_value(head, "authorization").rfind("Bearer ", 0) != 0) {
      peer.send(unauthorized);
    } else if (request_body.find("\"stream\":true") != std::string_view::npos) {
      peer.send(stream_first);
      peer.send(stream_rest);
    } else {
      peer.send(ok);
    }
  };
  epoll_event ready[256];
  for (;;) {
    const int n = ::epoll_wait(poller, ready, 256, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    for (int i = 0; i < n; ++i) {
      const int fd = ready[i].data.fd;
      if (fd == STDIN_FILENO) {
        char buffer[256];
        const ssize_t got = ::read(STDIN_FILENO, buffer, sizeof buffer);
        if (got == 0 || (got < 0 && errno != EINTR)) ::_exit(0);  // the parent is gone
        continue;
      }
      if (const int route = route_of_listener(fd); route != -2) {
        for (;;) {
          const int client = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
          if (client < 0) break;
          int yes = 1;
          ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
          peers.emplace(client, Peer(client, route));
          watch(client, EPOLL_CTL_ADD, EPOLLIN);
        }
        continue;
      }
      auto it = peers.find(fd);
      if (it == peers.end()) continue;
      Peer& peer = it->second;
      const bool was_waiting = peer.waiting_to_send();
      bool alive = (ready[i].events & EPOLLERR) == 0;
      if (alive && (ready[i].events & EPOLLOUT) != 0) alive = peer.flush();
      if (alive && (ready[i].events & (EPOLLIN | EPOLLHUP)) != 0) {
        alive = peer.receive();
        peer.answer_all(answer);
      }
      if (!alive) {
        drop(fd);
      } else if (peer.waiting_to_send() != was_waiting) {
        watch(fd, EPOLL_CTL_MOD, peer.waiting_to_send() ? EPOLLIN | EPOLLOUT : EPOLLIN);
      }
    }
  }
  std::fflush(stderr);
  ::_exit(0);
}

ServerProcess::ServerProcess(const std::string& self, const std::string& fixtures) {
  int in_pipe[2];
  int out_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe failed");
  }
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::dup2(in_pipe[0], STDIN_FILENO);
    ::dup2(out_pipe[1], STDOUT_FILENO);
    std::vector<const char*> args = {self.c_str(), "--serve"};
    if (!fixtures.empty()) {
      args.push_back("--fixtures");
      args.push_back(fixtures.c_str());
    }
    args.push_back(nullptr);
    ::execv(self.c_str(), const_cast<char* const*>(args.data()));
    ::_exit(127);
  }
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  stdin_fd_ = in_pipe[1];
  std::string line;
  char c = 0;
  while (::read(out_pipe[0], &c, 1) == 1 && c != '\n') line.push_back(c);
  ::close(out_pipe[0]);
  if (std::sscanf(line.c_str(), "port %d", &port_) != 1 || port_ <= 0) {
    ::close(stdin_fd_);
    ::waitpid(pid_, nullptr, 0);
    throw std::runtime_error("the bench server did not start (got '" + line + "')");
  }
  // The real shapes' ports follow: " name=PORT" each.
  std::istringstream words(line);
  std::string word;
  words >> word >> word;  // "port N"
  while (words >> word) {
    const std::size_t eq = word.find('=');
    if (eq == std::string::npos) continue;
    shape_urls_ += (shape_urls_.empty() ? "" : ",") + word.substr(0, eq) + "=http://127.0.0.1:" + word.substr(eq + 1);
  }
}

ServerProcess::~ServerProcess() {
  if (stdin_fd_ >= 0) ::close(stdin_fd_);
  if (pid_ > 0) ::waitpid(pid_, nullptr, 0);
}

std::string ServerProcess::url() const { return "http://127.0.0.1:" + std::to_string(port_); }

std::string ServerProcess::shape_urls() const { return shape_urls_; }

ChildOutput run_child(const std::vector<std::string>& argv) {
  ChildOutput result;
  int out_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return result;
  const pid_t pid = ::fork();
  if (pid < 0) return result;
  if (pid == 0) {
    ::dup2(out_pipe[1], STDOUT_FILENO);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(out_pipe[0], buffer, sizeof buffer);
    if (n > 0) {
      result.out.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  ::close(out_pipe[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) {
    result.status = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.status = 128 + WTERMSIG(status);
  }
  return result;
}

std::string find_in_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return {};
  std::stringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    const std::string candidate = dir + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

}  // namespace bench
