#include "health/redis/endpoint.hpp"

#include <cctype>
#include <charconv>

#include "polyrouter/errors.hpp"

namespace polyrouter::detail::redis {
namespace {

[[noreturn]] void bad(std::string_view shown, std::string_view why) {
  throw ConfigError("redis URL '" + std::string(shown) + "': " + std::string(why));
}

bool to_int(std::string_view text, int& out) {
  if (text.empty()) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

// %XX escapes, as a password with '@' or ':' must be written.
std::string percent_decoded(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() &&
        std::isxdigit(static_cast<unsigned char>(text[i + 1])) && std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

// The URL as it may be shown: whatever comes before its last '@' (credentials, even with a
// raw '/' or a mistyped scheme) becomes "***", the scheme kept when it is there.
std::string masked(std::string_view url) {
  const auto at = url.rfind('@');
  if (at == std::string_view::npos) return std::string(url);
  const auto scheme_end = url.find("://");
  const std::string scheme = scheme_end != std::string_view::npos && scheme_end < at
                                 ? std::string(url.substr(0, scheme_end + 3))
                                 : std::string();
  return scheme + "***" + std::string(url.substr(at));
}

}  // namespace

std::string Endpoint::display() const {
  // The whole of the credentials: a user name may hold the password's text by chance.
  const std::string auth = password.empty() && user.empty() ? "" : "***@";
  switch (transport) {
    case Transport::unix_socket:
      return "unix://" + auth + socket_path + "?db=" + std::to_string(db);
    case Transport::tls:
      return "rediss://" + auth + host + ":" + std::to_string(port) + "/" + std::to_string(db);
    case Transport::tcp:
      break;
  }
  return "redis://" + auth + host + ":" + std::to_string(port) + "/" + std::to_string(db);
}

Endpoint parse_endpoint(std::string_view url) {
  const std::string shown = masked(url);
  Endpoint e;
  std::string_view rest;
  if (url.substr(0, 8) == "redis://") {
    rest = url.substr(8);
  } else if (url.substr(0, 9) == "rediss://") {
    e.transport = Endpoint::Transport::tls;
    rest = url.substr(9);
  } else if (url.substr(0, 7) == "unix://") {
    e.transport = Endpoint::Transport::unix_socket;
    rest = url.substr(7);
  } else {
    bad(shown, "expected redis://, rediss:// or unix://");
  }
  if (rest.find_first_of(" \t\r\n") != std::string_view::npos) bad(shown, "contains white space");

  // Query: only db=N (the unix form's database).
  std::string_view query;
  if (const auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  // Credentials: [user][:password]@ before the host (or the socket path); a path or a database
  // has no '@', so the last one ends them (a raw '/' in a password stays in the password).
  const auto at = rest.rfind('@');
  if (at != std::string_view::npos) {
    const std::string_view credentials = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const auto colon = credentials.find(':');
    if (colon == std::string_view::npos) {
      e.password = percent_decoded(credentials);  // redis://secret@host: the password alone
    } else {
      e.user = percent_decoded(credentials.substr(0, colon));
      e.password = percent_decoded(credentials.substr(colon + 1));
    }
  }

  if (e.transport == Endpoint::Transport::unix_socket) {
    if (rest.empty() || rest.front() != '/') bad(shown, "a unix URL needs an absolute socket path (unix:///path)");
    e.socket_path = std::string(rest);
  } else {
    const auto path_at = rest.find('/');
    std::string_view authority = rest.substr(0, path_at);
    if (path_at != std::string_view::npos) {
      const std::string_view db = rest.substr(path_at + 1);
      if (!db.empty() && (!to_int(db, e.db) || e.db < 0)) bad(shown, "the database must be a number");
    }
    if (!authority.empty() && authority.front() == '[') {  // [::1]:6379
      const auto close = authority.find(']');
      if (close == std::string_view::npos) bad(shown, "unclosed IPv6 address");
      e.host = std::string(authority.substr(1, close - 1));
      authority = authority.substr(close + 1);
      if (!authority.empty() && authority.front() != ':') bad(shown, "unexpected text after the address");
    } else {
      const auto colon = authority.find(':');
      e.host = std::string(authority.substr(0, colon));
      authority = colon == std::string_view::npos ? std::string_view() : authority.substr(colon);
    }
    if (!authority.empty()) {
      if (!to_int(authority.substr(1), e.port) || e.port <= 0 || e.port > 65535) bad(shown, "the port must be 1-65535");
    }
    if (e.host.empty()) bad(shown, "no host");
  }
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    if (pair.substr(0, 3) == "db=") {
      if (!to_int(pair.substr(3), e.db) || e.db < 0) bad(shown, "the database must be a number");
    } else if (!pair.empty()) {
      bad(shown, "unknown parameter '" + std::string(pair.substr(0, pair.find('='))) + "'");
    }
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
  }
  return e;
}

}  // namespace polyrouter::detail::redis
