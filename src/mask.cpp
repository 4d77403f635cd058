#include "polyrouter/mask.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace polyrouter {
namespace {

// Key shapes of the providers polyrouter talks to; anything that looks like one is masked even
// when the caller did not name it as the secret.
constexpr std::array<std::string_view, 5> key_prefixes{"gsk_", "csk-", "AIza", "sk-", "xai-"};

bool is_key_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
}

// Whether a query parameter named @p name carries a credential ("key", "api_key", "X-Token").
bool is_secret_name(std::string_view name) {
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::string_view word : {"key", "token", "secret", "pass", "sig", "auth", "credential"}) {
    if (lower.find(word) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

std::string mask_key(std::string_view key) {
  constexpr std::string_view ellipsis = "\xE2\x80\xA6";  // "…"
  if (key.size() < 12) {
    std::string out(ellipsis);
    if (key.size() >= 6) out += key.substr(key.size() - 2);
    return out;
  }
  std::string out;
  for (std::string_view prefix : key_prefixes) {
    if (key.substr(0, prefix.size()) == prefix) {
      out = prefix;
      break;
    }
  }
  out += ellipsis;
  out += key.substr(key.size() - 4);
  return out;
}

std::string redact(std::string_view text, std::string_view secret) {
  // Most text holds nothing to mask (a provider's request id on every answer): say so in a few
  // searches rather than testing every character.
  bool suspect = !secret.empty() && text.find(secret) != std::string_view::npos;
  for (std::size_t p = 0; p < key_prefixes.size() && !suspect; ++p) {
    suspect = text.find(key_prefixes[p]) != std::string_view::npos;
  }
  if (!suspect) return std::string(text);
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (!secret.empty() && text.substr(i, secret.size()) == secret) {
      out += mask_key(secret);
      i += secret.size();
      continue;
    }
    bool masked = false;
    bool at_boundary = i == 0 || !is_key_char(text[i - 1]);
    if (at_boundary) {
      for (std::string_view prefix : key_prefixes) {
        if (text.substr(i, prefix.size()) != prefix) continue;
        std::size_t end = i + prefix.size();
        while (end < text.size() && is_key_char(text[end])) ++end;
        if (end - i >= 20) {  // long enough to be a credential, not a word like "sk-learn"
          out += mask_key(text.substr(i, end - i));
          i = end;
          masked = true;
        }
        break;
      }
    }
    if (!masked) out += text[i++];
  }
  return out;
}

std::string redact_url(std::string_view url, std::string_view secret) {
  std::string out;
  out.reserve(url.size());
  std::size_t i = 0;
  // User info: scheme://user:password@host keeps the user, masks the password.
  if (const auto scheme = url.find("://"); scheme != std::string_view::npos) {
    const std::size_t authority = scheme + 3;
    const std::size_t authority_end = std::min(url.find_first_of("/?#", authority), url.size());
    const std::size_t at = url.substr(0, authority_end).rfind('@');
    out.append(url.substr(0, authority));
    if (at != std::string_view::npos && at >= authority) {
      const std::string_view info = url.substr(authority, at - authority);
      const std::size_t colon = info.find(':');
      out.append(info.substr(0, colon));
      if (colon != std::string_view::npos) out += ":" + mask_key(info.substr(colon + 1));
      i = at;
    } else {
      i = authority;
    }
  }
  // Query: name=value pairs up to the fragment; credential-named values are masked.
  const std::size_t query = url.find('?', i);
  out.append(url.substr(i, query == std::string_view::npos ? std::string_view::npos : query + 1 - i));
  if (query != std::string_view::npos) {
    const std::size_t fragment = std::min(url.find('#', query), url.size());
    std::size_t start = query + 1;
    while (start <= fragment) {
      const std::size_t end = std::min(url.find('&', start), fragment);
      const std::string_view pair = url.substr(start, end - start);
      const std::size_t eq = pair.find('=');
      if (eq != std::string_view::npos && is_secret_name(pair.substr(0, eq))) {
        out.append(pair.substr(0, eq + 1));
        out += mask_key(pair.substr(eq + 1));
      } else {
        out.append(pair);
      }
      if (end < fragment) out += '&';
      start = end + 1;
    }
    out.append(url.substr(fragment));
  }
  return redact(out, secret);
}

}  // namespace polyrouter
