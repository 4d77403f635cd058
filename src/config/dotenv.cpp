#include "config/dotenv.hpp"

#include <cctype>
#include <fstream>
#include <sstream>

#include "polyrouter/errors.hpp"

namespace polyrouter::detail {
namespace {

std::string strip_blanks(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

bool valid_name(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> parse_dotenv(const std::string& text, const std::string& origin) {
  std::vector<std::pair<std::string, std::string>> out;
  std::istringstream in(text);
  std::string raw;
  int number = 0;
  auto fail = [&](const std::string& why) -> void {
    throw ConfigError(origin + ":" + std::to_string(number) + ": " + why);
  };
  while (std::getline(in, raw)) {
    ++number;
    std::string line = strip_blanks(raw);
    if (line.empty() || line[0] == '#') continue;
    if (line.rfind("export ", 0) == 0) line = strip_blanks(line.substr(7));
    const auto eq = line.find('=');
    if (eq == std::string::npos) fail("expected NAME=value");
    const std::string name = strip_blanks(line.substr(0, eq));
    if (!valid_name(name)) fail("invalid variable name '" + name + "'");
    std::string value = strip_blanks(line.substr(eq + 1));
    if (!value.empty() && (value[0] == '"' || value[0] == '\'')) {
      const char quote = value[0];
      std::string parsed;
      std::size_t i = 1;
      bool closed = false;
      for (; i < value.size(); ++i) {
        char c = value[i];
        if (c == quote) {
          closed = true;
          break;
        }
        if (quote == '"' && c == '\\' && i + 1 < value.size()) {
          const char n = value[++i];
          parsed += n == 'n' ? '\n' : n == 't' ? '\t' : n;
          continue;
        }
        parsed += c;
      }
      if (!closed) fail("unterminated quote in value of " + name);
      const std::string rest = strip_blanks(value.substr(i + 1));
      if (!rest.empty() && rest[0] != '#') fail("unexpected text after the quoted value of " + name);
      value = parsed;
    } else if (const auto hash = value.find(" #"); hash != std::string::npos) {
      value = strip_blanks(value.substr(0, hash));  // inline comment after an unquoted value
    }
    out.emplace_back(name, value);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> read_dotenv(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return {};
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) throw ConfigError(path + ": cannot be read");
  return parse_dotenv(text.str(), path);
}

}  // namespace polyrouter::detail
