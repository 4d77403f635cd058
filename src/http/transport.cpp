#include "http/transport.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <curl/curl.h>

#include "http/curl_global.hpp"
#include "polyrouter/version.hpp"

namespace polyrouter::detail {
namespace {

// Every CURLcode the library can meet, mapped onto its own failure kinds in one place.
TransportFailure classify(CURLcode code) {
  switch (code) {
    case CURLE_OK: return TransportFailure::none;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: return TransportFailure::resolve;
    case CURLE_COULDNT_CONNECT:
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL: return TransportFailure::connect;
    case CURLE_OPERATION_TIMEDOUT: return TransportFailure::timeout;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_USE_SSL_FAILED: return TransportFailure::tls;
    case CURLE_SEND_ERROR:
    case CURLE_SEND_FAIL_REWIND: return TransportFailure::send;
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_HTTP3:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_BAD_CONTENT_ENCODING: return TransportFailure::receive;
    case CURLE_FILESIZE_EXCEEDED: return TransportFailure::too_large;
    case CURLE_ABORTED_BY_CALLBACK: return TransportFailure::aborted;
    default: return TransportFailure::other;
  }
}

struct EasyDeleter {
  void operator()(CURL* handle) const noexcept { curl_easy_cleanup(handle); }
};

CURL* thread_handle() {
  thread_local std::unique_ptr<CURL, EasyDeleter> handle;
  if (!handle) {
    ensure_curl_global_init();
    handle.reset(curl_easy_init());
  }
  // No curl_easy_reset between transfers: Exchange::attach sets every option a transfer
  // depends on, and a reset costs more than the rest of the setup together.
  return handle.get();
}

}  // namespace

struct SlistDeleter {
  void operator()(curl_slist* list) const noexcept { curl_slist_free_all(list); }
};

struct Exchange::State {
  const HttpRequest* request;
  HttpResponse response;
  std::unique_ptr<curl_slist, SlistDeleter> headers;
  char error_buffer[CURL_ERROR_SIZE] = {0};
  CURL* easy = nullptr;
  bool too_large = false;
  bool aborted = false;
  bool keep_headers = true;
  std::size_t received = 0;

  bool streaming() const {
    if (!request->on_body) return false;
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    return status >= 200 && status < 300;
  }

  static std::size_t on_write(char* data, std::size_t size, std::size_t count, void* user) {
    auto* s = static_cast<State*>(user);
    const std::size_t n = size * count;
    const bool streaming = s->streaming();
    s->received += n;
    // A streamed body is bounded per event by its reader, not as a whole.
    if (!streaming && s->received > s->request->max_response_bytes) {
      s->too_large = true;
      return 0;  // makes libcurl stop with CURLE_WRITE_ERROR
    }
    if (streaming) {
      if (!s->request->on_body(std::string_view(data, n))) {
        s->aborted = true;
        return 0;
      }
    } else {
      s->response.body.append(data, n);
    }
    return n;
  }

  static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
    auto* s = static_cast<State*>(user);
    const std::size_t n = size * count;
    std::string_view line(data, n);
    if (line.substr(0, 5) == "HTTP/") {
      // A new response (after 100-continue or a redirect). Only failures read headers (retry
      // hints, content type), so a 2xx answer keeps none but its request id.
      s->response.headers.clear();
      s->response.request_id.clear();
      s->response.rate_limits.clear();
      int status = 0;
      if (const auto space = line.find(' '); space != std::string_view::npos && line.size() >= space + 4) {
        std::from_chars(line.data() + space + 1, line.data() + space + 4, status);
      }
      s->keep_headers = status < 200 || status >= 300;
      return n;
    }
    if (s->response.request_id.empty()) {
      if (const std::size_t value_at = request_id_value_at(line)) {
        s->response.request_id = std::string(header_value(line.substr(value_at)).substr(0, 128));
      }
    }
    RateLimitLines::Family family{};
    std::size_t rest_at = 0;
    if (RateLimitLines::classify(line, family, rest_at)) {
      const std::size_t colon = line.find(':', rest_at);
      if (colon != std::string_view::npos) {
        s->response.rate_limits.add(family, line.substr(rest_at, colon - rest_at),
                                    header_value(line.substr(colon + 1)));
      }
    }
    if (!s->keep_headers) return n;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return n;
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    s->response.headers.emplace_back(std::move(name), std::string(header_value(line.substr(colon + 1))));
    return n;
  }

  // Where the value starts when @p line is a header servers name their exchange by:
  // x-request-id (OpenAI, Groq, most proxies) or request-id (Anthropic); else 0. Runs on every
  // header line of every answer, so most lines are turned away by their first letter.
  static std::size_t request_id_value_at(std::string_view line) {
    constexpr std::string_view name = "request-id:";
    if (line.empty()) return 0;
    const char first = static_cast<char>(line[0] | 0x20);  // only 'X'/'x' and 'R'/'r' can match below
    std::size_t at = 0;
    if (first == 'x') {
      if (line.size() < 2 || line[1] != '-') return 0;
      at = 2;
    } else if (first != 'r') {
      return 0;
    }
    if (line.size() < at + name.size()) return 0;
    for (std::size_t i = 0; i < name.size(); ++i) {
      char c = line[at + i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (c != name[i]) return 0;
    }
    return at + name.size();
  }

  static std::string_view header_value(std::string_view value) {
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
      value.remove_suffix(1);
    }
    return value;
  }

  static int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    auto* s = static_cast<State*>(user);
    if (s->request->on_progress()) return 0;
    s->aborted = true;
    return 1;
  }
};

namespace {

// The list for @p headers, plus "Expect:": no 100-continue round trip for larger bodies.
curl_slist* make_slist(const std::vector<std::string>& headers) {
  curl_slist* list = nullptr;
  for (const std::string& h : headers) {
    curl_slist* next = curl_slist_append(list, h.c_str());
    if (next == nullptr) break;  // out of memory: the request goes without the rest
    list = next;
  }
  if (curl_slist* next = curl_slist_append(list, "Expect:")) list = next;
  return list;
}

}  // namespace

namespace {

// Whether @p name starts with @p lower (lower-case letters, digits and '-'), in any case.
// HTTP/2 names are lower-case already: one memcmp then.
bool starts_with_any_case(std::string_view name, std::string_view lower) noexcept {
  if (name.size() < lower.size()) return false;
  if (std::char_traits<char>::compare(name.data(), lower.data(), lower.size()) == 0) return true;
  for (std::size_t i = 0; i < lower.size(); ++i) {
    if ((name[i] | 0x20) != lower[i]) return false;  // exact for letters, digits and '-'
  }
  return true;
}

}  // namespace

bool RateLimitLines::classify(std::string_view name, Family& family, std::size_t& rest_at) noexcept {
  if (name.empty()) return false;
  switch (name[0] | 0x20) {
    case 'x':
      family = Family::x_ratelimit;
      rest_at = 12;
      return starts_with_any_case(name, "x-ratelimit-");
    case 'a':
      family = Family::anthropic_ratelimit;
      rest_at = 20;
      return starts_with_any_case(name, "anthropic-ratelimit-");
    case 'd':
      // "date" is the whole name: "date:" on a header line, nothing more in a bare name.
      family = Family::date;
      rest_at = 4;
      return starts_with_any_case(name, "date") && (name.size() == 4 || name[4] == ':');
    default: return false;
  }
}

bool RateLimitLines::add(Family family, std::string_view rest, std::string_view value) noexcept {
  if (count_ >= max_lines || rest.size() + value.size() > capacity - used_) return false;
  Span& span = spans_[count_++];
  span.at = used_;
  span.rest_size = static_cast<std::uint16_t>(rest.size());
  span.value_size = static_cast<std::uint16_t>(value.size());
  span.family = family;
  char* out = text_ + used_;
  // Lower case by one bit: exact for the letters, digits and '-' these names are made of (a
  // name with anything else matches no rule of the reader either way).
  for (char c : rest) *out++ = static_cast<char>(c | 0x20);
  std::copy(value.begin(), value.end(), out);
  used_ = static_cast<std::uint16_t>(used_ + rest.size() + value.size());
  return true;
}

HeaderList::HeaderList(const std::vector<std::string>& headers) : list_(make_slist(headers)) {}
HeaderList::~HeaderList() { curl_slist_free_all(static_cast<curl_slist*>(list_)); }

Exchange::Exchange(const HttpRequest& request) : state_(std::make_unique<State>()) {
  state_->request = &request;
  if (!request.header_list) state_->headers.reset(make_slist(request.headers));
}

Exchange::~Exchange() = default;

void Exchange::attach(void* handle) {
  CURL* curl = static_cast<CURL*>(handle);
  State& s = *state_;
  const HttpRequest& request = *s.request;
  s.easy = curl;
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_USERAGENT, user_agent().data());  // a static, NUL-terminated string
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER,
                   request.header_list ? static_cast<curl_slist*>(request.header_list->get()) : s.headers.get());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.connect_timeout.count()));
  // A stream's announced length is not its events' size: only whole bodies are capped up front.
  curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE,
                   request.on_body ? curl_off_t{0} : static_cast<curl_off_t>(request.max_response_bytes));
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &State::on_write);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &s);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &State::on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &s);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, s.error_buffer);
  if (request.on_progress) {
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &State::on_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &s);
  } else {
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 1L);  // the handle may have streamed before
  }
  if (std::string_view(request.method) == "POST") {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  } else {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  }
}

HttpResponse Exchange::finish(void* handle, int result) {
  CURL* curl = static_cast<CURL*>(handle);
  State& s = *state_;
  const auto code = static_cast<CURLcode>(result);
  // The handle may outlive this exchange; drop pointers into it before returning.
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  s.response.status = status;
  if (code != CURLE_OK) {
    if (s.too_large) {
      s.response.failure = TransportFailure::too_large;
    } else if (s.aborted) {
      s.response.failure = TransportFailure::aborted;
    } else {
      s.response.failure = classify(code);
    }
    s.response.failure_message = s.error_buffer[0] != '\0' ? s.error_buffer : curl_easy_strerror(code);
  }
  return std::move(s.response);
}

std::string_view HttpResponse::header(std::string_view lower_case_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_case_name) return value;
  }
  return {};
}

std::string without_trailing_slash(std::string_view url) {
  while (!url.empty() && url.back() == '/') url.remove_suffix(1);
  return std::string(url);
}

std::string url_escape(std::string_view text) {
  std::string out;
  if (char* escaped = curl_easy_escape(nullptr, text.data(), static_cast<int>(text.size()))) {
    out = escaped;
    curl_free(escaped);
  }
  return out;
}

std::string_view user_agent() {
  static const std::string agent = std::string("polyrouter/") + version_string;
  return agent;
}

HttpResponse perform(const HttpRequest& request) {
  CURL* curl = thread_handle();
  if (curl == nullptr) {
    HttpResponse response;
    response.failure = TransportFailure::other;
    response.failure_message = "curl_easy_init failed";
    return response;
  }
  Exchange exchange(request);
  exchange.attach(curl);
  return exchange.finish(curl, curl_easy_perform(curl));
}

}  // namespace polyrouter::detail
