#pragma once
// The fleet tests' helpers: a temporary folder, polyrouter_fleet_worker processes and their
// JSON summaries, and the choreography files (ready, go, done) the workers wait on.

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace polyrouter::test {

/// A fresh folder under /tmp, removed with everything in it.
class TempFolder {
 public:
  TempFolder();
  ~TempFolder();
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;
  std::string path(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

/// Creates @p path (the workers' --go-file).
void create_file(const std::string& path);
/// Waits until every file of @p paths exists. @throws std::runtime_error naming the first
/// missing one after @p timeout.
void wait_for_files(const std::vector<std::string>& paths, std::chrono::milliseconds timeout);

/// One polyrouter_fleet_worker process (POLYROUTER_FLEET_WORKER), its stdout and stderr kept
/// in files; killed by the destructor if it still runs.
class WorkerProcess {
 public:
  WorkerProcess(const std::vector<std::string>& args, const std::string& output_prefix);
  ~WorkerProcess();
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;

  /// Waits for the exit and returns the summary. @throws std::runtime_error (with its stderr)
  /// on a timeout, a non-zero exit or a missing summary.
  nlohmann::json wait(std::chrono::milliseconds timeout);
  /// Everything it wrote to stderr so far (its log, with --log-level).
  std::string error_output() const;
  /// Everything it wrote to stdout so far.
  std::string output() const;

 private:
  pid_t pid_ = -1;
  std::string out_;
  std::string err_;
};

}  // namespace polyrouter::test
