#pragma once
/// @file Test helpers that need no Catch2 and no polyrouter: the wire fixtures (tests/fixtures), fake keys,
/// key-leak checks and a way to capture a typed exception for inspection.

#include <cstddef>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace polyrouter::test {

/// Absolute path of a file in tests/fixtures.
std::string fixture_path(std::string_view name);

/// The text of a fixture. @throws std::runtime_error naming the file when it cannot be read.
std::string load_fixture(std::string_view name);

/// A fixture parsed as JSON.
nlohmann::json fixture_json(std::string_view name);

/// A `*.headers.txt` fixture: the status line ("HTTP/2 429") and "name: value" lines.
struct HeadersFile {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  ///< names as written (lower case)
};
HeadersFile load_headers_file(std::string_view name);

/// A deterministic, realistic-looking fake key: @p prefix then @p length alphanumerics derived
/// from @p seed (e.g. fake_key("gsk_", 48, 1)). Never a real credential.
std::string fake_key(std::string_view prefix, std::size_t length, unsigned seed);

/// True when @p text contains any 8-character piece of @p key: the whole key, or enough of it to
/// count as a leak (a masked key shows only its provider prefix and its last four characters).
bool leaks_key(std::string_view text, std::string_view key);

/// What catch_as() caught, read through `->` and `*`: the thrown object itself, kept alive, not
/// a copy (polyrouter::Error does not copy: a copy as the base class would slice).
template <typename E>
class Caught {
 public:
  Caught() = default;
  explicit Caught(std::exception_ptr held) : held_(std::move(held)) {
    try {
      std::rethrow_exception(held_);
    } catch (const E& e) {
      error_ = &e;
    }
  }
  explicit operator bool() const noexcept { return error_ != nullptr; }
  bool has_value() const noexcept { return error_ != nullptr; }
  const E& operator*() const noexcept { return *error_; }
  const E* operator->() const noexcept { return error_; }

 private:
  std::exception_ptr held_;
  const E* error_ = nullptr;
};

/// Runs @p call and returns the exception of type E it threw, or nothing when it returned.
/// Exceptions of any other type propagate (Catch2 reports them with their message).
template <typename E, typename F>
Caught<E> catch_as(F&& call) {
  try {
    std::forward<F>(call)();
  } catch (const E&) {
    return Caught<E>(std::current_exception());
  }
  return {};
}

}  // namespace polyrouter::test
