#pragma once
// How many threads this process runs, for tests that bound it (Linux: /proc/self/task).

#include <dirent.h>

#include <cstddef>

namespace polyrouter::test {

inline std::size_t thread_count() {
  std::size_t n = 0;
  if (DIR* dir = opendir("/proc/self/task")) {
    while (dirent* entry = readdir(dir)) {
      if (entry->d_name[0] != '.') ++n;
    }
    closedir(dir);
  }
  return n;
}

}  // namespace polyrouter::test
