#include "health/redis/nodes.hpp"

#include <algorithm>
#include <charconv>
#include <sstream>

namespace polyrouter::detail::redis {

std::uint16_t key_slot(std::string_view key) {
  // Only the part inside the first {...} counts, when it is not empty (Redis Cluster spec).
  const auto open = key.find('{');
  if (open != std::string_view::npos) {
    const auto close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1) key = key.substr(open + 1, close - open - 1);
  }
  std::uint16_t crc = 0;  // CRC16-CCITT (XMODEM)
  for (const char c : key) {
    crc ^= static_cast<std::uint16_t>(static_cast<unsigned char>(c) << 8);
    for (int bit = 0; bit < 8; ++bit) {
      crc = static_cast<std::uint16_t>(crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1);
    }
  }
  return static_cast<std::uint16_t>(crc & 16383);
}

namespace {

std::string address(const Endpoint& e) {
  if (e.transport == Endpoint::Transport::unix_socket) return e.socket_path;
  return e.host + ":" + std::to_string(e.port);
}

// "MOVED 3999 127.0.0.1:6381" / "ASK 3999 127.0.0.1:6381": the node to ask instead.
bool redirection(const Reply& r, bool& ask, std::uint16_t& slot, std::string& target) {
  if (!is_error(r)) return false;
  const std::string_view text = text_of(r);
  ask = text.substr(0, 4) == "ASK ";
  if (!ask && text.substr(0, 6) != "MOVED ") return false;
  std::istringstream in{std::string(text)};
  std::string word;
  int number = -1;
  in >> word >> number >> target;
  if (number < 0 || number > 16383 || target.empty()) return false;
  slot = static_cast<std::uint16_t>(number);
  return true;
}

}  // namespace

Nodes::Nodes(Endpoint seed, std::string tls_ca_file, std::chrono::milliseconds connect_timeout,
             std::chrono::milliseconds timeout, std::map<std::string, std::string> scripts)
    : seed_(std::move(seed)),
      seed_address_(address(seed_)),
      tls_ca_file_(std::move(tls_ca_file)),
      connect_timeout_(connect_timeout),
      timeout_(timeout),
      scripts_(std::move(scripts)) {}

std::string Nodes::address_of(std::uint16_t slot) const {
  const auto found = slot_owner_.find(slot);
  return found == slot_owner_.end() ? seed_address_ : found->second;
}

Endpoint Nodes::endpoint_at(const std::string& where) const {
  if (where == seed_address_) return seed_;
  Endpoint e = seed_;  // the same transport, credentials and database
  const auto colon = where.rfind(':');
  e.host = where.substr(0, colon);
  if (!e.host.empty() && e.host.front() == '[') e.host = e.host.substr(1, e.host.size() - 2);
  int port = 0;
  const std::string_view digits = std::string_view(where).substr(colon + 1);
  std::from_chars(digits.data(), digits.data() + digits.size(), port);
  e.port = port;
  return e;
}

Connection& Nodes::connection(const Endpoint& node) {
  const std::string where = address(node);
  auto found = connections_.find(where);
  if (found == connections_.end()) {
    if (!may_connect_) throw ConnectionError{"redis " + where + ": not connected ahead of the request"};
    // Connected before it is kept: a failed connect leaves no entry behind.
    found = connections_.emplace(where, std::make_unique<Connection>(node, tls_ca_file_, connect_timeout_)).first;
  }
  return *found->second;
}

std::uint64_t Nodes::take_commands_sent() {
  std::uint64_t total = dropped_sent_;
  dropped_sent_ = 0;
  for (auto& [where, c] : connections_) total += c->take_commands_sent();
  return total;
}

std::vector<Reply> Nodes::run(const std::vector<Routed>& commands) {
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  const auto left = [&] {
    const auto rest = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    return std::max(rest, std::chrono::milliseconds(1));
  };
  try {
    std::vector<Reply> replies(commands.size());
    // One pipeline per node.
    std::map<std::string, std::vector<std::size_t>> by_node;
    for (std::size_t i = 0; i < commands.size(); ++i) by_node[address_of(key_slot(commands[i].key))].push_back(i);
    for (const auto& [where, indices] : by_node) {
      std::vector<Connection::Command> batch;
      for (std::size_t i : indices) batch.push_back(commands[i].command);
      auto got = connection(endpoint_at(where)).pipeline(batch, left());
      for (std::size_t j = 0; j < indices.size(); ++j) replies[indices[j]] = std::move(got[j]);
    }
    // Redirections (a slot moved, or is moving), and scripts a node has not seen: one by one.
    for (std::size_t i = 0; i < commands.size(); ++i) {
      Connection::Command command = commands[i].command;
      std::string where = address_of(key_slot(commands[i].key));
      bool asking = false;
      for (int hop = 0; hop < 5; ++hop) {
        bool ask = false;
        std::uint16_t slot = 0;
        std::string target;
        if (redirection(replies[i], ask, slot, target)) {
          if (!ask) slot_owner_[slot] = target;
          where = target;
          Connection& c = connection(endpoint_at(target));
          asking = ask;
          if (ask) {
            replies[i] = std::move(c.pipeline({{"ASKING"}, command}, left()).back());
          } else {
            replies[i] = c.command(command, left());
          }
          continue;
        }
        if (is_error(replies[i]) && text_of(replies[i]).substr(0, 8) == "NOSCRIPT" && command[0] == "EVALSHA") {
          const auto body = scripts_.find(command[1]);
          if (body == scripts_.end()) break;
          command[0] = "EVAL";
          command[1] = body->second;
          Connection& c = connection(endpoint_at(where));
          // A slot being migrated answers only after ASKING, again.
          replies[i] = asking ? std::move(c.pipeline({{"ASKING"}, command}, left()).back()) : c.command(command, left());
          continue;
        }
        break;
      }
    }
    return replies;
  } catch (const ConnectionError&) {
    for (auto& [where, c] : connections_) dropped_sent_ += c->take_commands_sent();
    connections_.clear();
    throw;
  }
}

std::vector<Endpoint> Nodes::masters() {
  Connection& seed = connection(seed_);
  const Reply nodes = seed.command({"CLUSTER", "NODES"}, timeout_);
  if (is_error(nodes)) return {seed_};  // "cluster support disabled": one server
  // "<id> <ip:port@cport[,hostname]> <flags> <master> <ping> <pong> <epoch> <state> <slots...>"
  std::vector<Endpoint> out;
  std::istringstream lines{std::string(text_of(nodes))};
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string id, where, flags;
    fields >> id >> where >> flags;
    bool master = false, failed = false;
    std::istringstream flag_list(flags);
    for (std::string flag; std::getline(flag_list, flag, ',');) {
      master = master || flag == "master";
      failed = failed || flag == "fail";  // "fail?" is a suspicion: still read it
    }
    if (!master || failed) continue;
    // "ip:port@cport[,hostname]": the announced name, when there is one, is what a TLS
    // certificate names.
    const auto comma = where.find(',');
    const std::string hostname = comma == std::string::npos ? std::string() : where.substr(comma + 1);
    where = where.substr(0, where.find('@'));
    if (!hostname.empty()) where = hostname + where.substr(where.rfind(':'));
    if (flags.find("myself") != std::string::npos) {
      out.push_back(seed_);
    } else {
      out.push_back(endpoint_at(where));
    }
  }
  if (out.empty()) out.push_back(seed_);
  return out;
}

}  // namespace polyrouter::detail::redis
