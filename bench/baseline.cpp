#include "baseline.hpp"

#include <stdexcept>
#include <utility>

#include <nlohmann/json.hpp>

#include "common.hpp"

namespace bench {
namespace {

std::size_t append_body(char* data, std::size_t size, std::size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

// The body polyrouter's Groq client sends for a one-prompt request.
std::string chat_body(const std::string& prompt) {
  json body = {{"model", kModel}, {"messages", json::array({{{"role", "user"}, {"content", prompt}}})}};
  return body.dump();
}

std::string answer_of(const std::string& body) {
  const json j = json::parse(body);
  return j.at("choices").at(0).at("message").at("content").get<std::string>();
}

curl_slist* make_headers(const std::string& key, const char* accept) {
  curl_slist* h = nullptr;
  h = curl_slist_append(h, ("Authorization: Bearer " + key).c_str());
  h = curl_slist_append(h, accept);
  h = curl_slist_append(h, "Content-Type: application/json");
  return h;
}

}  // namespace

RawClient::RawClient(const std::string& root, const std::vector<std::string>& keys) : easy_(curl_easy_init()) {
  if (easy_ == nullptr) throw std::runtime_error("curl_easy_init failed");
  for (const std::string& key : keys) headers_.push_back(make_headers(key, "Accept: application/json"));
  curl_easy_setopt(easy_, CURLOPT_URL, chat_url(root).c_str());
  curl_easy_setopt(easy_, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy_, CURLOPT_USERAGENT, "bench/1.0");
  curl_easy_setopt(easy_, CURLOPT_POST, 1L);
  curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, &append_body);
  curl_easy_setopt(easy_, CURLOPT_WRITEDATA, &received_);
}

RawClient::~RawClient() {
  curl_easy_cleanup(easy_);
  for (curl_slist* h : headers_) curl_slist_free_all(h);
}

long RawClient::complete(const std::string& prompt, std::size_t key_index, std::string& text) {
  body_ = chat_body(prompt);
  received_.clear();
  curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, headers_.at(key_index));
  curl_easy_setopt(easy_, CURLOPT_POSTFIELDS, body_.data());
  curl_easy_setopt(easy_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body_.size()));
  const CURLcode code = curl_easy_perform(easy_);
  if (code != CURLE_OK) throw std::runtime_error(std::string("curl: ") + curl_easy_strerror(code));
  long status = 0;
  curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &status);
  if (status == 200) {
    text = answer_of(received_);
  } else {
    // Read why, as any client must before deciding what to do next.
    const json error = json::parse(received_, nullptr, false);
    text = error.is_object() && error.contains("error") ? error["error"].value("code", "") : "";
  }
  return status;
}

std::string RawClient::ask(const std::string& prompt) {
  std::string text;
  const long status = complete(prompt, 0, text);
  if (status != 200 || text != kAnswer) throw std::runtime_error("baseline: unexpected answer " + text);
  return text;
}

RawShapeClient::RawShapeClient(RawExchange exchange) : exchange_(std::move(exchange)), easy_(curl_easy_init()) {
  if (easy_ == nullptr) throw std::runtime_error("curl_easy_init failed");
  for (const std::string& h : exchange_.headers) headers_ = curl_slist_append(headers_, h.c_str());
  curl_easy_setopt(easy_, CURLOPT_URL, exchange_.url.c_str());
  curl_easy_setopt(easy_, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy_, CURLOPT_USERAGENT, "bench/1.0");
  curl_easy_setopt(easy_, CURLOPT_POST, 1L);
  curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, headers_);
  curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, &append_body);
  curl_easy_setopt(easy_, CURLOPT_WRITEDATA, &received_);
}

RawShapeClient::~RawShapeClient() {
  curl_easy_cleanup(easy_);
  curl_slist_free_all(headers_);
}

void RawShapeClient::ask() {
  body_ = exchange_.body();
  received_.clear();
  curl_easy_setopt(easy_, CURLOPT_POSTFIELDS, body_.data());
  curl_easy_setopt(easy_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body_.size()));
  const CURLcode code = curl_easy_perform(easy_);
  if (code != CURLE_OK) throw std::runtime_error(std::string("curl: ") + curl_easy_strerror(code));
  long status = 0;
  curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) throw std::runtime_error("raw: HTTP " + std::to_string(status) + " from " + exchange_.url);
  exchange_.check(received_);
}

RawStreamClient::RawStreamClient(const std::string& root, const std::string& key) : easy_(curl_easy_init()) {
  if (easy_ == nullptr) throw std::runtime_error("curl_easy_init failed");
  headers_ = make_headers(key, "Accept: text/event-stream");
  curl_easy_setopt(easy_, CURLOPT_URL, chat_url(root).c_str());
  curl_easy_setopt(easy_, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy_, CURLOPT_USERAGENT, "bench/1.0");
  curl_easy_setopt(easy_, CURLOPT_POST, 1L);
  curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, headers_);
  curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, &RawStreamClient::on_write);
  curl_easy_setopt(easy_, CURLOPT_WRITEDATA, this);
}

RawStreamClient::~RawStreamClient() {
  curl_easy_cleanup(easy_);
  curl_slist_free_all(headers_);
}

std::size_t RawStreamClient::on_write(char* data, std::size_t size, std::size_t count, void* user) {
  auto* self = static_cast<RawStreamClient*>(user);
  self->buffer_.append(data, size * count);
  std::size_t end;
  while ((end = self->buffer_.find("\n\n")) != std::string::npos) {
    // One event: its "data: " lines (the bench stream has one per event).
    std::size_t pos = 0;
    while (pos < end) {
      std::size_t eol = self->buffer_.find('\n', pos);
      if (eol == std::string::npos || eol > end) eol = end;
      if (self->buffer_.compare(pos, 6, "data: ") == 0) self->on_event(self->buffer_.substr(pos + 6, eol - pos - 6));
      pos = eol + 1;
    }
    self->buffer_.erase(0, end + 2);
  }
  return size * count;
}

void RawStreamClient::on_event(const std::string& data) {
  if (data == "[DONE]") return;
  const json chunk = json::parse(data);
  const json& choices = chunk.at("choices");
  if (choices.empty()) return;
  const json& delta = choices[0].at("delta");
  auto content = delta.find("content");
  if (content == delta.end() || !content->is_string()) return;
  const std::string& text = content->get_ref<const std::string&>();
  if (text.empty()) return;
  if (!first_seen_) {
    first_seen_ = true;
    first_delta_ = std::chrono::steady_clock::now() - start_;
  }
  text_ += text;
}

std::string RawStreamClient::stream(const std::string& prompt, std::chrono::nanoseconds& first_delta) {
  json body = {{"model", kModel},
               {"messages", json::array({{{"role", "user"}, {"content", prompt}}})},
               {"stream", true},
               {"stream_options", {{"include_usage", true}}}};
  start_ = std::chrono::steady_clock::now();
  body_ = body.dump();
  buffer_.clear();
  text_.clear();
  first_seen_ = false;
  curl_easy_setopt(easy_, CURLOPT_POSTFIELDS, body_.data());
  curl_easy_setopt(easy_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body_.size()));
  const CURLcode code = curl_easy_perform(easy_);
  if (code != CURLE_OK) throw std::runtime_error(std::string("curl: ") + curl_easy_strerror(code));
  if (text_ != kAnswer) throw std::runtime_error("baseline stream: unexpected answer " + text_);
  first_delta = first_delta_;
  return text_;
}

struct RawMulti::Slot {
  CURL* easy = nullptr;
  std::string body;
  std::string received;
};

RawMulti::RawMulti(const std::string& root, const std::string& key, long max_host_connections)
    : multi_(curl_multi_init()), url_(chat_url(root)) {
  if (multi_ == nullptr) throw std::runtime_error("curl_multi_init failed");
  curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, max_host_connections);
  curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, max_host_connections * 4);
  headers_ = make_headers(key, "Accept: application/json");
}

RawMulti::RawMulti(RawExchange exchange, long max_host_connections)
    : multi_(curl_multi_init()), url_(exchange.url), exchange_(std::make_unique<RawExchange>(std::move(exchange))) {
  if (multi_ == nullptr) throw std::runtime_error("curl_multi_init failed");
  curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, max_host_connections);
  curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, max_host_connections * 4);
  for (const std::string& h : exchange_->headers) headers_ = curl_slist_append(headers_, h.c_str());
}

RawMulti::~RawMulti() {
  for (Slot* slot : slots_) {
    curl_easy_cleanup(slot->easy);
    delete slot;
  }
  curl_multi_cleanup(multi_);
  curl_slist_free_all(headers_);
}

void RawMulti::start(Slot& slot) {
  slot.body = exchange_ ? exchange_->body() : chat_body(kPrompt);
  slot.received.clear();
  curl_easy_setopt(slot.easy, CURLOPT_POSTFIELDS, slot.body.data());
  curl_easy_setopt(slot.easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(slot.body.size()));
  curl_multi_add_handle(multi_, slot.easy);
}

void RawMulti::run(std::size_t total, std::size_t in_flight) {
  while (slots_.size() < in_flight) {
    auto* slot = new Slot;
    slot->easy = curl_easy_init();
    curl_easy_setopt(slot->easy, CURLOPT_URL, url_.c_str());
    curl_easy_setopt(slot->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(slot->easy, CURLOPT_USERAGENT, "bench/1.0");
    curl_easy_setopt(slot->easy, CURLOPT_POST, 1L);
    curl_easy_setopt(slot->easy, CURLOPT_HTTPHEADER, headers_);
    curl_easy_setopt(slot->easy, CURLOPT_WRITEFUNCTION, &append_body);
    curl_easy_setopt(slot->easy, CURLOPT_WRITEDATA, &slot->received);
    curl_easy_setopt(slot->easy, CURLOPT_PRIVATE, slot);
    slots_.push_back(slot);
  }
  std::size_t started = 0;
  std::size_t done = 0;
  for (std::size_t i = 0; i < in_flight && started < total; ++i, ++started) start(*slots_[i]);
  while (done < total) {
    int running = 0;
    curl_multi_perform(multi_, &running);
    int left = 0;
    while (CURLMsg* message = curl_multi_info_read(multi_, &left)) {
      if (message->msg != CURLMSG_DONE) continue;
      CURL* easy = message->easy_handle;
      const CURLcode code = message->data.result;
      char* slot_pointer = nullptr;
      curl_easy_getinfo(easy, CURLINFO_PRIVATE, &slot_pointer);
      Slot* slot = reinterpret_cast<Slot*>(slot_pointer);
      long status = 0;
      curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
      curl_multi_remove_handle(multi_, easy);
      if (code != CURLE_OK || status != 200) {
        throw std::runtime_error(std::string("multi baseline: ") + curl_easy_strerror(code) + ", HTTP " +
                                 std::to_string(status));
      }
      if (exchange_) {
        exchange_->check(slot->received);
      } else if (answer_of(slot->received) != kAnswer) {
        throw std::runtime_error("multi baseline: unexpected answer");
      }
      ++done;
      if (started < total) {
        ++started;
        start(*slot);
      }
    }
    if (done < total) curl_multi_poll(multi_, nullptr, 0, 1000, nullptr);
  }
}

}  // namespace bench
