#pragma once
// One connection to a Redis server (private): RESP over TCP, TLS (OpenSSL) or a unix socket,
// every step bounded by a deadline. hiredis formats the commands and parses the replies; the
// socket is ours, so that TLS and the timeouts work the same on every transport.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "health/redis/endpoint.hpp"

struct redisReply;

namespace polyrouter::detail::redis {

struct ReplyFree {
  void operator()(redisReply* r) const noexcept;
};
using Reply = std::unique_ptr<redisReply, ReplyFree>;

/// What a reply says, read without hiredis types.
bool is_error(const Reply& r);
std::string_view text_of(const Reply& r);  ///< string, status or error text; "" otherwise
long long integer_of(const Reply& r);      ///< integers, and strings holding one; 0 otherwise
/// An array reply's elements as text ("" for those that are not strings); empty otherwise.
std::vector<std::string_view> texts_of(const Reply& r);
/// SCAN's reply: the next cursor and this page's names; false when it is not one.
bool read_scan_page(const Reply& r, std::string& cursor, std::vector<std::string>& names);

/// A connection failed or timed out. Never carries the password.
struct ConnectionError {
  std::string message;
};

class Connection {
 public:
  using Clock = std::chrono::steady_clock;
  using Command = std::vector<std::string>;

  /// Connects, and authenticates and selects the database, within @p timeout.
  /// @throws ConnectionError.
  Connection(const Endpoint& endpoint, const std::string& tls_ca_file, std::chrono::milliseconds timeout);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Sends every command in one write and reads their replies, in order, within @p timeout.
  /// @throws ConnectionError (then the connection is unusable).
  std::vector<Reply> pipeline(const std::vector<Command>& commands, std::chrono::milliseconds timeout);
  Reply command(const Command& command, std::chrono::milliseconds timeout);

  /// Sends without reading a reply (subscriptions).
  void send(const Command& command, std::chrono::milliseconds timeout);
  /// The next reply if one arrives within @p timeout, else nullopt. @throws ConnectionError.
  std::optional<Reply> read(std::chrono::milliseconds timeout);

  /// Commands sent since the last call (for the store's count).
  std::uint64_t take_commands_sent() { return std::exchange(sent_, 0); }

 private:
  struct Io;
  std::unique_ptr<Io> io_;
  std::uint64_t sent_ = 0;
};

}  // namespace polyrouter::detail::redis
