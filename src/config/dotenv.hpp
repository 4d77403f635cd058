#pragma once
// .env files (private): KEY=VALUE lines, '#' comments, optional `export ` prefix, single quotes
// (literal) and double quotes (with \n \t \" \\ escapes).

#include <string>
#include <utility>
#include <vector>

namespace polyrouter::detail {

/// Parses .env text; @p origin names the file in errors.
/// @throws ConfigError naming the file and line of a malformed entry.
std::vector<std::pair<std::string, std::string>> parse_dotenv(const std::string& text, const std::string& origin);

/// Reads and parses a file; an absent file yields nothing.
/// @throws ConfigError when the file exists but cannot be read or parsed.
std::vector<std::pair<std::string, std::string>> read_dotenv(const std::string& path);

}  // namespace polyrouter::detail
