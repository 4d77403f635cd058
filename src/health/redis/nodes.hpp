#pragma once
// The servers a store talks to (private): one Redis, or the masters of a Redis Cluster. A
// command about a key goes to the node that serves the key's slot, learned from MOVED replies;
// each node gets its own connection. One Nodes is used by one thread at a time.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "health/redis/connection.hpp"
#include "health/redis/endpoint.hpp"

namespace polyrouter::detail::redis {

/// The Redis Cluster slot of @p key (CRC16 of its hash tag when it has one).
std::uint16_t key_slot(std::string_view key);

/// A command about one key (the key decides the node).
struct Routed {
  std::string key;
  Connection::Command command;
};

class Nodes {
 public:
  /// @p scripts: SHA-1 → body, to load a script a node does not know (EVALSHA → EVAL).
  /// @p connect_timeout bounds making a connection (TLS and AUTH included), @p timeout each
  /// exchange on one.
  Nodes(Endpoint seed, std::string tls_ca_file, std::chrono::milliseconds connect_timeout,
        std::chrono::milliseconds timeout, std::map<std::string, std::string> scripts);

  /// Runs @p commands, pipelined per node, following MOVED and ASK redirections, all within one
  /// timeout. Replies in order. @throws ConnectionError (every connection is then dropped).
  std::vector<Reply> run(const std::vector<Routed>& commands);

  /// The nodes that hold keys: a cluster's masters (CLUSTER NODES), else the seed alone.
  /// @throws ConnectionError.
  std::vector<Endpoint> masters();
  /// A connection to @p node (made when needed). @throws ConnectionError.
  Connection& connection(const Endpoint& node);
  /// Commands sent since the last call, on every connection.
  std::uint64_t take_commands_sent();
  /// Drops every connection (after a failure: they may be half-used).
  void reset() { connections_.clear(); }
  /// From now on no connection is made: a node not connected yet is a ConnectionError. For
  /// connections used on a request's path, made ahead of it.
  void stop_connecting() { may_connect_ = false; }

 private:
  std::string address_of(std::uint16_t slot) const;
  Endpoint endpoint_at(const std::string& address) const;

  Endpoint seed_;
  std::string seed_address_;
  std::string tls_ca_file_;
  std::chrono::milliseconds connect_timeout_;
  std::chrono::milliseconds timeout_;
  std::map<std::string, std::string> scripts_;
  std::map<std::uint16_t, std::string> slot_owner_;  ///< learned from MOVED
  std::map<std::string, std::unique_ptr<Connection>> connections_;  ///< by "host:port"
  std::uint64_t dropped_sent_ = 0;  ///< counted on connections dropped since
  bool may_connect_ = true;
};

}  // namespace polyrouter::detail::redis
