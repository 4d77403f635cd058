#pragma once
// The bench server (a minimal loopback HTTP/1.1 server answering a fixed Groq-shaped chat
// completion, or a fixed SSE stream when the body asks for one; and, on a port per shape, the real
// providers' success fixtures verbatim) and the child processes that run it.

#include <string>
#include <sys/types.h>
#include <vector>

namespace bench {

/// `polyrouter_bench --serve [--fixtures DIR]`: serves on 127.0.0.1 (free ports), prints
/// "port N name=PORT ..." on stdout once listening (its own port, then one per real shape of
/// bench/shapes.hpp, read from @p fixtures), and stops when stdin reaches end of file (the
/// parent closed it or died).
int serve_main(const std::string& fixtures);

/// The bench server in a child process, so its CPU and memory never mix with the client's.
class ServerProcess {
 public:
  /// Starts `@p self --serve --fixtures @p fixtures` and waits until it listens.
  /// @throws std::runtime_error.
  ServerProcess(const std::string& self, const std::string& fixtures);
  /// Closes the child's stdin and waits for it.
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  /// "http://127.0.0.1:PORT".
  std::string url() const;
  /// The real shapes' origins, "groq=http://127.0.0.1:PORT,..." (empty when none is served).
  std::string shape_urls() const;

 private:
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int port_ = 0;
  std::string shape_urls_;
};

/// Runs @p argv (argv[0] is the program) and returns its exit status (-1 when it could not
/// run, 128 + signal when killed) and everything it wrote to stdout. Its stderr passes through.
struct ChildOutput {
  int status = -1;
  std::string out;
};
ChildOutput run_child(const std::vector<std::string>& argv);

/// The full path of a program found in PATH, or "" when absent.
std::string find_in_path(const std::string& program);

}  // namespace bench
