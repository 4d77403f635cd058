#include "socket_shutdown.hpp"

#include <cstdlib>
#include <vector>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace polyrouter::sim::detail {

namespace {

// Every accepted connection on @p port whose peer matches @p remote_port (0 = any).
std::vector<int> accepted_sockets(int port, int remote_port) {
  std::vector<int> fds;
  if (DIR* dir = opendir("/proc/self/fd")) {
    while (const dirent* entry = readdir(dir)) {
      char* end = nullptr;
      const long fd = std::strtol(entry->d_name, &end, 10);
      if (end != entry->d_name && *end == '\0') fds.push_back(static_cast<int>(fd));
    }
    closedir(dir);
  }
  std::vector<int> matching;
  for (int fd : fds) {
    sockaddr_storage local{};
    socklen_t length = sizeof local;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) != 0) continue;
    if (local.ss_family != AF_INET) continue;
    if (ntohs(reinterpret_cast<const sockaddr_in*>(&local)->sin_port) != port) continue;
    sockaddr_storage peer{};
    length = sizeof peer;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length) != 0) continue;  // not connected
    if (remote_port != 0 && (peer.ss_family != AF_INET ||
                             ntohs(reinterpret_cast<const sockaddr_in*>(&peer)->sin_port) != remote_port)) {
      continue;
    }
    matching.push_back(fd);
  }
  return matching;
}

}  // namespace

void shutdown_accepted_sockets(int port) {
  for (int fd : accepted_sockets(port, 0)) ::shutdown(fd, SHUT_RDWR);
}

void shutdown_connection(int port, int remote_port) {
  for (int fd : accepted_sockets(port, remote_port)) ::shutdown(fd, SHUT_RDWR);
}

}  // namespace polyrouter::sim::detail
