#include "config/base_url.hpp"

#include <algorithm>
#include <cctype>
#include <string>

#include "polyrouter/errors.hpp"

namespace polyrouter::detail {
namespace {

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
         });
}

}  // namespace

void check_base_url(std::string_view url, std::string_view setting) {
  const auto fail = [&](std::string_view why) {
    throw ConfigError(std::string(setting) + ": '" + std::string(url) + "' " + std::string(why));
  };
  if (url.empty()) fail("is empty (leave the setting out to use the provider's default)");
  std::string_view rest;
  if (starts_with_nocase(url, "https://")) {
    rest = url.substr(8);
  } else if (starts_with_nocase(url, "http://")) {
    rest = url.substr(7);
  } else {
    fail("is not a URL polyrouter can call (it must start with http:// or https://)");
  }
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  std::string_view host = authority.substr(authority.rfind('@') == std::string_view::npos ? 0 : authority.rfind('@') + 1);
  if (!host.empty() && host.front() == '[') {
    host = host.substr(0, host.find(']') == std::string_view::npos ? host.size() : host.find(']') + 1);
  } else {
    host = host.substr(0, host.find(':'));
  }
  if (host.empty() || host == "[") fail("has no host");
  const auto bad = std::find_if(url.begin(), url.end(), [](char c) {
    return std::isspace(static_cast<unsigned char>(c)) || std::iscntrl(static_cast<unsigned char>(c));
  });
  if (bad != url.end()) fail("contains a space or control character");
}

}  // namespace polyrouter::detail
