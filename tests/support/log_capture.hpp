#pragma once
/// @file The library's log lines, captured for one test (its level set, and restored after).

#include <initializer_list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <polyrouter/logging.hpp>

namespace polyrouter::test {

class LogCapture {
 public:
  /// Logs at @p level and above; with @p only, keeps the lines of that level alone.
  explicit LogCapture(LogLevel level = LogLevel::trace, std::optional<LogLevel> only = std::nullopt)
      : previous_(log_level()) {
    set_log_handler([this, only](LogLevel at, std::string_view line) {
      if (only && at != *only) return;
      std::lock_guard<std::mutex> lock(mutex_);
      lines_.emplace_back(line);
    });
    set_log_level(level);
  }
  ~LogCapture() {
    set_log_level(previous_);
    set_log_handler(nullptr);
  }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  std::vector<std::string> lines() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return lines_;
  }
  /// Every line, each ending in a newline.
  std::string joined() const {
    std::string out;
    for (const std::string& line : lines()) out += line + "\n";
    return out;
  }
  /// The lines holding every one of @p parts.
  std::size_t count(std::initializer_list<std::string_view> parts) const {
    std::size_t n = 0;
    for (const std::string& line : lines()) {
      bool all = true;
      for (std::string_view part : parts) all = all && line.find(part) != std::string::npos;
      n += all ? 1 : 0;
    }
    return n;
  }

 private:
  LogLevel previous_;
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

}  // namespace polyrouter::test
