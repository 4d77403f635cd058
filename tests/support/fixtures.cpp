#include "fixtures.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace polyrouter::test {

std::string fixture_path(std::string_view name) {
  std::string path = POLYROUTER_FIXTURES_DIR;
  path += '/';
  path += name;
  return path;
}

std::string load_fixture(std::string_view name) {
  const std::string path = fixture_path(name);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read fixture " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

nlohmann::json fixture_json(std::string_view name) { return nlohmann::json::parse(load_fixture(name)); }

HeadersFile load_headers_file(std::string_view name) {
  HeadersFile file;
  std::istringstream in(load_fixture(name));
  std::string line;
  bool first = true;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.empty()) continue;
    if (first && line.rfind("HTTP/", 0) == 0) {
      first = false;
      const auto space = line.find(' ');
      if (space != std::string::npos) file.status = std::stoi(line.substr(space + 1));
      continue;
    }
    first = false;
    const auto colon = line.find(':');
    if (colon == std::string::npos) throw std::runtime_error("bad header line in " + std::string(name) + ": " + line);
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    file.headers.emplace_back(line.substr(0, colon), std::move(value));
  }
  return file;
}

std::string fake_key(std::string_view prefix, std::size_t length, unsigned seed) {
  static constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string key(prefix);
  unsigned long long state = 0x9E3779B97F4A7C15ULL ^ (static_cast<unsigned long long>(seed) * 0xBF58476D1CE4E5B9ULL);
  for (std::size_t i = 0; i < length; ++i) {
    // xorshift64*: deterministic and spread enough that 8-character windows never repeat by chance.
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    const unsigned long long r = state * 0x2545F4914F6CDD1DULL;
    key += alphabet[static_cast<std::size_t>((r >> 32) % alphabet.size())];
  }
  return key;
}

bool leaks_key(std::string_view text, std::string_view key) {
  constexpr std::size_t window = 8;
  if (key.size() < window) return text.find(key) != std::string_view::npos;
  for (std::size_t i = 0; i + window <= key.size(); ++i) {
    if (text.find(key.substr(i, window)) != std::string_view::npos) return true;
  }
  return false;
}

}  // namespace polyrouter::test
