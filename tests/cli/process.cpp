#include "process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

namespace polyrouter::test {
namespace {

struct Pipe {
  int fds[2] = {-1, -1};
  Pipe() {
    if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  }
  ~Pipe() {
    close_read();
    close_write();
  }
  void close_read() {
    if (fds[0] >= 0) close(fds[0]);
    fds[0] = -1;
  }
  void close_write() {
    if (fds[1] >= 0) close(fds[1]);
    fds[1] = -1;
  }
};

}  // namespace

ProcessResult run_process(const std::vector<std::string>& argv, const std::vector<std::string>& environment,
                          const std::string& directory, const std::string& stdin_text,
                          std::chrono::milliseconds limit, const std::string& interrupt_when_out_has) {
  // Everything the child needs is prepared before fork(): the test process has threads (the
  // simulator), so the child may only make async-signal-safe calls.
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> env;
  for (const std::string& e : environment) env.push_back(const_cast<char*>(e.c_str()));
  env.push_back(nullptr);

  Pipe in, out, err;
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    if (chdir(directory.c_str()) != 0) _exit(126);
    dup2(in.fds[0], STDIN_FILENO);
    dup2(out.fds[1], STDOUT_FILENO);
    dup2(err.fds[1], STDERR_FILENO);
    execve(args[0], args.data(), env.data());
    _exit(127);
  }
  in.close_read();
  out.close_write();
  err.close_write();

  // Feed stdin without blocking, and read both outputs as they come, so no pipe fills up.
  signal(SIGPIPE, SIG_IGN);
  fcntl(in.fds[1], F_SETFL, O_NONBLOCK);
  std::size_t fed = 0;
  if (stdin_text.empty()) in.close_write();

  ProcessResult result;
  bool interrupted = false;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (out.fds[0] >= 0 || err.fds[0] >= 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      kill(pid, SIGKILL);
      break;
    }
    pollfd fds[3] = {{out.fds[0], POLLIN, 0}, {err.fds[0], POLLIN, 0}, {in.fds[1], POLLOUT, 0}};
    if (poll(fds, 3, static_cast<int>(std::min<long long>(left.count(), 1000))) < 0 && errno != EINTR) break;
    char buffer[4096];
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      const ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        (i == 0 ? result.out : result.err).append(buffer, static_cast<std::size_t>(n));
        if (i == 0 && !interrupted && !interrupt_when_out_has.empty() &&
            result.out.find(interrupt_when_out_has) != std::string::npos) {
          kill(pid, SIGINT);
          interrupted = true;
        }
      } else if (n == 0 || errno != EINTR) {
        (i == 0 ? out : err).close_read();
      }
    }
    if (fds[2].fd >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP)) != 0) {
      const ssize_t n = write(in.fds[1], stdin_text.data() + fed, stdin_text.size() - fed);
      if (n > 0) fed += static_cast<std::size_t>(n);
      if (n < 0 && errno != EAGAIN && errno != EINTR) fed = stdin_text.size();
      if (fed >= stdin_text.size()) in.close_write();
    }
  }
  in.close_write();

  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!result.timed_out && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

}  // namespace polyrouter::test
