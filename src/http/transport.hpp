#pragma once
// HTTP over libcurl (private). One easy handle per thread is reused for every request made on
// that thread, so its connection cache keeps keep-alive connections open between requests.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "polyrouter/errors.hpp"

namespace polyrouter::detail {

/// Request headers turned into libcurl's list once, for many requests (a key's constant
/// headers): building the list costs a dozen allocations per request otherwise.
class HeaderList {
 public:
  /// @p headers as "Name: value" lines.
  explicit HeaderList(const std::vector<std::string>& headers);
  ~HeaderList();
  HeaderList(const HeaderList&) = delete;
  HeaderList& operator=(const HeaderList&) = delete;
  void* get() const { return list_; }  ///< curl_slist*

 private:
  void* list_ = nullptr;
};

struct HttpRequest {
  const char* method = "POST";  ///< "POST" or "GET"
  std::string url;
  std::vector<std::string> headers;  ///< "Name: value"
  std::shared_ptr<const HeaderList> header_list;  ///< when set, sent instead of `headers`
  std::string body;
  std::chrono::milliseconds timeout{60000};
  std::chrono::milliseconds connect_timeout{5000};
  std::size_t max_response_bytes = std::size_t{8} << 20;
  /// When set, the body of a 2xx answer goes here as it arrives instead of into
  /// HttpResponse::body (error bodies are still collected); returning false aborts the
  /// transfer (TransportFailure::aborted).
  std::function<bool(std::string_view chunk)> on_body;
  /// When set, called while the transfer runs (about once per second when idle, more often
  /// while data flows); returning false aborts it (TransportFailure::aborted).
  std::function<bool()> on_progress;
};

/// An answer's rate-limit headers (`x-ratelimit-*`, `anthropic-ratelimit-*`) and its `date`,
/// for any status, kept inline: every answer of Groq, Cerebras, OpenAI and Anthropic carries
/// them, and keeping them must cost no allocation. Each is kept as its family and the rest of
/// its name, lower-cased ("limit-requests" of x-ratelimit-limit-requests). What does not fit
/// (far more than any provider sends) is dropped. Read by providers/rate_limit_headers.
class RateLimitLines {
 public:
  static constexpr std::size_t capacity = 768;  ///< bytes of names and values
  static constexpr std::size_t max_lines = 24;
  enum class Family : std::uint8_t { x_ratelimit, anthropic_ratelimit, date };

  RateLimitLines() noexcept {}  // NOLINT: user-provided, so the buffer stays uninitialized
  RateLimitLines(const RateLimitLines& other) noexcept { *this = other; }
  RateLimitLines& operator=(const RateLimitLines& other) noexcept {
    // Only what is used: the buffer is mostly empty, and the answer is moved about.
    used_ = other.used_;
    count_ = other.count_;
    std::copy(other.text_, other.text_ + used_, text_);
    std::copy(other.spans_, other.spans_ + count_, spans_);
    return *this;
  }

  /// The family of the header @p name (any case) and where the rest of its name starts; false
  /// for a header not kept. Looks at the first letter first: most names are turned away there.
  static bool classify(std::string_view name, Family& family, std::size_t& rest_at) noexcept;
  /// Keeps @p rest (lower-cased) of a @p family header and its @p value; false when they do not fit.
  bool add(Family family, std::string_view rest, std::string_view value) noexcept;
  /// The same for a whole header name; false when it is not kept or does not fit.
  bool add(std::string_view name, std::string_view value) noexcept {
    Family family{};
    std::size_t rest_at = 0;
    return classify(name, family, rest_at) && add(family, name.substr(rest_at), value);
  }
  void clear() noexcept { used_ = count_ = 0; }
  std::size_t size() const noexcept { return count_; }
  bool empty() const noexcept { return count_ == 0; }
  Family family(std::size_t i) const noexcept { return spans_[i].family; }
  std::string_view rest(std::size_t i) const noexcept { return {text_ + spans_[i].at, spans_[i].rest_size}; }
  std::string_view value(std::size_t i) const noexcept {
    return {text_ + spans_[i].at + spans_[i].rest_size, spans_[i].value_size};
  }

 private:
  struct Span {
    std::uint16_t at, rest_size, value_size;  // set by add(); only the first count_ are read
    Family family;
  };
  char text_[capacity];
  Span spans_[max_lines];
  std::uint16_t used_ = 0;
  std::uint8_t count_ = 0;
};

struct HttpResponse {
  long status = 0;
  /// Names lower-cased. Kept for answers outside 2xx only: nothing reads a success's headers.
  std::vector<std::pair<std::string, std::string>> headers;
  /// The server's id of this exchange, from `x-request-id` or `request-id` (whichever comes
  /// first), for any status; as sent, at most 128 bytes.
  std::string request_id;
  /// The rate-limit headers and `date`, for any status (see RateLimitLines).
  RateLimitLines rate_limits;
  std::string body;
  TransportFailure failure = TransportFailure::none;
  std::string failure_message;  ///< libcurl's explanation when failure != none

  /// The first header named @p lower_case_name, or empty.
  std::string_view header(std::string_view lower_case_name) const;
};

/// One transfer's state, for any easy handle: the sync path uses a per-thread handle, the
/// event loop its own. The request must outlive the exchange.
class Exchange {
 public:
  explicit Exchange(const HttpRequest& request);
  ~Exchange();
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  /// Sets every option of @p easy (a CURL*) for this transfer.
  void attach(void* easy);
  /// Reads the result off @p easy after libcurl finished with @p code (a CURLcode).
  HttpResponse finish(void* easy, int code);

  struct State;

 private:
  std::unique_ptr<State> state_;
};

/// Performs one request on this thread's reused handle. Never throws for network faults:
/// they come back as HttpResponse::failure.
HttpResponse perform(const HttpRequest& request);

/// @p url without trailing slashes, so paths can be appended with one.
std::string without_trailing_slash(std::string_view url);

/// @p text percent-encoded for use in a URL query.
std::string url_escape(std::string_view text);

/// The User-Agent sent with every request: "polyrouter/<version>".
std::string_view user_agent();

}  // namespace polyrouter::detail
