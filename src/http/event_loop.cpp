#include "http/event_loop.hpp"

#include <algorithm>
#include <deque>
#include <string>
#include <string_view>

#include <curl/curl.h>

#include "http/curl_global.hpp"

namespace polyrouter::detail {

struct EventLoop::Transfer {
  HttpRequest request;
  std::unique_ptr<Exchange> exchange;
  std::function<void(HttpResponse)> done;
  void* easy = nullptr;  ///< null while it waits for its host
  std::size_t slot = 0;  ///< where it is in transfers_
  Host* host = nullptr;
  std::chrono::steady_clock::time_point queued_at;
};

// Why the loop queues: libcurl 7.x keeps transfers that wait for a connection in a list that
// curl_multi_remove_handle and curl_multi_perform walk on every call, so 1,000 requests to one
// HTTP/1 host with 32 connections made each completion visit ~970 cold transfers. An HTTP/1
// host runs at most max_host_connections transfers at once anyway; the others wait here, in
// order. A host that answered over HTTP/2 multiplexes, so libcurl gets all its transfers.
struct EventLoop::Host {
  std::string origin;
  std::size_t running = 0;
  bool multiplexed = false;
  std::deque<Transfer*> waiting;
};

namespace {

// "scheme://host:port" of @p url: the unit libcurl's connection limit counts by.
std::string_view origin_of(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return url;
  return url.substr(0, url.find('/', scheme_end + 3));
}

}  // namespace

EventLoop::EventLoop(long max_host_connections) : max_host_connections_(max_host_connections) {
  ensure_curl_global_init();
  CURLM* multi = curl_multi_init();
  curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, max_host_connections);
  curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, max_host_connections * 4);
  multi_ = multi;
  thread_ = std::thread([this] { run(); });
  loop_id_ = thread_.get_id();  // before any post: posts come only once the constructor returned
}

void EventLoop::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  curl_multi_wakeup(static_cast<CURLM*>(multi_));
  if (thread_.joinable()) thread_.join();
}

EventLoop::~EventLoop() {
  stop();
  auto* multi = static_cast<CURLM*>(multi_);
  for (auto& transfer : transfers_) {
    if (transfer->easy == nullptr) continue;  // still waiting for its host
    curl_multi_remove_handle(multi, static_cast<CURL*>(transfer->easy));
    curl_easy_cleanup(static_cast<CURL*>(transfer->easy));
  }
  transfers_.clear();
  for (void* easy : idle_handles_) curl_easy_cleanup(static_cast<CURL*>(easy));
  curl_multi_cleanup(multi);
}

void EventLoop::post(Task task) {
  bool was_empty;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    was_empty = queue_.empty();
    queue_.push_back(std::move(task));
  }
  // The loop looks at the queue before every wait: it needs waking only when it may be
  // waiting, which is never while the queue holds earlier tasks or when it posts to itself.
  if (was_empty && std::this_thread::get_id() != loop_id_) curl_multi_wakeup(static_cast<CURLM*>(multi_));
}

void EventLoop::start_transfer(HttpRequest request, std::function<void(HttpResponse)> done) {
  auto owned = std::make_unique<Transfer>();
  Transfer* transfer = owned.get();
  transfer->request = std::move(request);
  transfer->done = std::move(done);
  transfer->slot = transfers_.size();
  transfer->host = &host_of(transfer->request.url);
  transfers_.push_back(std::move(owned));
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++in_flight_;
  }
  if (may_launch(*transfer->host)) {
    launch(transfer);
  } else {
    transfer->queued_at = std::chrono::steady_clock::now();
    const auto deadline = transfer->queued_at + transfer->request.timeout;
    if (!next_wait_deadline_ || deadline < *next_wait_deadline_) next_wait_deadline_ = deadline;
    transfer->host->waiting.push_back(transfer);
  }
}

void EventLoop::expire_waiting(std::chrono::steady_clock::time_point now) {
  next_wait_deadline_.reset();
  std::vector<Transfer*> expired;
  for (const auto& host : hosts_) {
    auto& waiting = host->waiting;
    for (auto it = waiting.begin(); it != waiting.end();) {
      const auto deadline = (*it)->queued_at + (*it)->request.timeout;
      if (deadline <= now) {
        expired.push_back(*it);
        it = waiting.erase(it);
        continue;
      }
      if (!next_wait_deadline_ || deadline < *next_wait_deadline_) next_wait_deadline_ = deadline;
      ++it;
    }
  }
  for (Transfer* transfer : expired) finish(transfer, CURLE_OPERATION_TIMEDOUT);
}

EventLoop::Host& EventLoop::host_of(std::string_view url) {
  const std::string_view origin = origin_of(url);
  for (const auto& host : hosts_) {
    if (host->origin == origin) return *host;
  }
  hosts_.push_back(std::make_unique<Host>());
  hosts_.back()->origin = std::string(origin);
  return *hosts_.back();
}

bool EventLoop::may_launch(const Host& host) const {
  return host.multiplexed || host.running < static_cast<std::size_t>(max_host_connections_);
}

void EventLoop::launch(Transfer* transfer) {
  if (transfer->queued_at != std::chrono::steady_clock::time_point{}) {
    // The request's time limit counts its wait for a connection, as it would inside libcurl.
    const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                              transfer->queued_at);
    if (waited >= transfer->request.timeout) {
      finish(transfer, CURLE_OPERATION_TIMEDOUT);
      return;
    }
    transfer->request.timeout -= waited;
  }
  CURL* easy;
  if (!idle_handles_.empty()) {
    easy = static_cast<CURL*>(idle_handles_.back());
    idle_handles_.pop_back();
  } else {
    easy = curl_easy_init();
  }
  ++transfer->host->running;
  transfer->exchange = std::make_unique<Exchange>(transfer->request);
  transfer->exchange->attach(easy);
  transfer->easy = easy;
  // The handle points back at its transfer, so finishing one needs no lookup.
  curl_easy_setopt(easy, CURLOPT_PRIVATE, transfer);
  curl_multi_add_handle(static_cast<CURLM*>(multi_), easy);
}

void EventLoop::finish(Transfer* finished, int code) {
  CURL* easy = static_cast<CURL*>(finished->easy);
  const std::size_t slot = finished->slot;
  std::unique_ptr<Transfer> transfer = std::move(transfers_[slot]);
  if (slot + 1 < transfers_.size()) {  // swap-and-pop: O(1) with 1,000 in flight
    transfers_[slot] = std::move(transfers_.back());
    transfers_[slot]->slot = slot;
  }
  transfers_.pop_back();
  Host& host = *transfer->host;
  HttpResponse response;
  if (easy == nullptr) {  // its time ran out while it waited for a connection
    response.failure = TransportFailure::timeout;
    response.failure_message = "timed out waiting for a connection to " + host.origin;
  } else {
    response = transfer->exchange->finish(easy, code);
    --host.running;
    long version = 0;
    if (curl_easy_getinfo(easy, CURLINFO_HTTP_VERSION, &version) == CURLE_OK && version >= CURL_HTTP_VERSION_2_0) {
      host.multiplexed = true;
    }
    curl_easy_setopt(easy, CURLOPT_PRIVATE, nullptr);
    idle_handles_.push_back(easy);  // the next transfer sets every option it depends on
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    --in_flight_;
  }
  while (!host.waiting.empty() && may_launch(host)) {
    Transfer* next = host.waiting.front();
    host.waiting.pop_front();
    launch(next);
  }
  transfer->done(std::move(response));
}

std::size_t EventLoop::transfers_waiting() const {
  std::size_t waiting = 0;
  for (const auto& host : hosts_) waiting += host->waiting.size();
  return waiting;
}

void EventLoop::start_timer(std::chrono::milliseconds delay, Task task) {
  timers_.emplace(std::chrono::steady_clock::now() + delay, std::move(task));
}

std::size_t EventLoop::transfers_in_flight() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return in_flight_;
}

void EventLoop::run() {
  auto* multi = static_cast<CURLM*>(multi_);
  std::vector<Task> tasks;
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stop_) return;
      tasks.swap(queue_);
    }
    for (Task& task : tasks) task();
    tasks.clear();

    const auto now = std::chrono::steady_clock::now();
    while (!timers_.empty() && timers_.begin()->first <= now) {
      Task task = std::move(timers_.begin()->second);
      timers_.erase(timers_.begin());
      task();
    }
    if (next_wait_deadline_ && *next_wait_deadline_ <= now) expire_waiting(now);

    int running = 0;
    curl_multi_perform(multi, &running);
    int left = 0;
    while (CURLMsg* message = curl_multi_info_read(multi, &left)) {
      if (message->msg != CURLMSG_DONE) continue;
      CURL* easy = message->easy_handle;
      const CURLcode code = message->data.result;
      curl_multi_remove_handle(multi, easy);
      void* owner = nullptr;
      curl_easy_getinfo(easy, CURLINFO_PRIVATE, &owner);
      if (owner != nullptr) finish(static_cast<Transfer*>(owner), code);
    }

    int wait_ms = 1000;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!queue_.empty() || stop_) wait_ms = 0;
    }
    std::optional<std::chrono::steady_clock::time_point> wake_at = next_wait_deadline_;
    if (!timers_.empty() && (!wake_at || timers_.begin()->first < *wake_at)) wake_at = timers_.begin()->first;
    if (wake_at) {
      const auto until = std::chrono::ceil<std::chrono::milliseconds>(*wake_at - std::chrono::steady_clock::now());
      wait_ms = std::max(0, std::min(wait_ms, static_cast<int>(until.count())));
    }
    curl_multi_poll(multi, nullptr, 0, wait_ms, nullptr);
  }
}

}  // namespace polyrouter::detail
