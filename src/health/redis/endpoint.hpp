#pragma once
// Where a Redis server is, parsed from the URL forms RedisStoreOptions::url accepts (private).

#include <string>
#include <string_view>

namespace polyrouter::detail::redis {

struct Endpoint {
  enum class Transport { tcp, tls, unix_socket };
  Transport transport = Transport::tcp;
  std::string host;         ///< tcp, tls
  int port = 6379;          ///< tcp, tls
  std::string socket_path;  ///< unix_socket
  int db = 0;
  std::string user;         ///< AUTH user password (Redis 6 ACL) when set
  std::string password;     ///< never logged: see display()

  /// The URL with the password masked ("redis://:***@host:6379/0").
  std::string display() const;
};

/// @throws ConfigError naming the problem (never the password).
Endpoint parse_endpoint(std::string_view url);

}  // namespace polyrouter::detail::redis
