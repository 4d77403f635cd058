#pragma once
// Runs a program as a child process with exactly the environment given, feeding it stdin and
// capturing stdout, stderr and the exit code, with a time limit.

#include <chrono>
#include <string>
#include <vector>

namespace polyrouter::test {

struct ProcessResult {
  int exit_code = -1;   ///< -1 when killed by a signal or the time limit
  bool timed_out = false;
  std::string out;
  std::string err;
};

/// Runs @p argv (argv[0] is the program's path) in @p directory with only @p environment
/// ("NAME=value" entries). Kills it after @p limit. When @p interrupt_when_out_has is not empty,
/// sends SIGINT (as Ctrl-C does) once the child's stdout contains it.
ProcessResult run_process(const std::vector<std::string>& argv, const std::vector<std::string>& environment,
                          const std::string& directory, const std::string& stdin_text = {},
                          std::chrono::milliseconds limit = std::chrono::milliseconds(30000),
                          const std::string& interrupt_when_out_has = {});

}  // namespace polyrouter::test
