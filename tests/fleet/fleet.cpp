#include "fleet.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace polyrouter::test {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TempFolder::TempFolder() {
  char folder[] = "/tmp/polyrouter-fleet-XXXXXX";
  if (::mkdtemp(folder) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = folder;
}

TempFolder::~TempFolder() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

void create_file(const std::string& path) {
  const std::string tmp = path + ".tmp";
  std::ofstream(tmp) << "go\n";
  std::rename(tmp.c_str(), path.c_str());
}

void wait_for_files(const std::vector<std::string>& paths, std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  for (const auto& p : paths) {
    struct stat st {};
    while (::stat(p.c_str(), &st) != 0) {
      if (std::chrono::steady_clock::now() > until) throw std::runtime_error("not created in time: " + p);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
}

WorkerProcess::WorkerProcess(const std::vector<std::string>& args, const std::string& output_prefix)
    : out_(output_prefix + ".out"), err_(output_prefix + ".err") {
  std::vector<std::string> argv = {POLYROUTER_FLEET_WORKER};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> raw;
  for (auto& a : argv) raw.push_back(a.data());
  raw.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  const int rc = posix_spawn(&pid_, raw[0], &actions, nullptr, raw.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    pid_ = -1;
    throw std::runtime_error(std::string("could not start ") + POLYROUTER_FLEET_WORKER);
  }
}

WorkerProcess::~WorkerProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

std::string WorkerProcess::error_output() const { return slurp(err_); }
std::string WorkerProcess::output() const { return slurp(out_); }

nlohmann::json WorkerProcess::wait(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) throw std::runtime_error("worker already waited for");
  const auto until = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  for (;;) {
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) break;
    if (r < 0 && errno != EINTR) throw std::runtime_error("waitpid failed");
    if (std::chrono::steady_clock::now() > until) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
      throw std::runtime_error("fleet worker did not finish in time; stderr:\n" + slurp(err_));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  pid_ = -1;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error("fleet worker failed (status " + std::to_string(status) + "); stderr:\n" + slurp(err_));
  }
  const std::string out = slurp(out_);
  try {
    return nlohmann::json::parse(out);
  } catch (const nlohmann::json::exception&) {
    throw std::runtime_error("fleet worker printed no summary: '" + out + "'; stderr:\n" + slurp(err_));
  }
}

}  // namespace polyrouter::test
