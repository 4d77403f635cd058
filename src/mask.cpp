#include "polyrouter/mask.hpp"

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

}  // namespace polyrouter
