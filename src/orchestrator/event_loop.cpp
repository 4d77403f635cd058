#include "orchestrator/event_loop.hpp"

#include <curl/curl.h>

#include "http/curl_global.hpp"

namespace polyrouter::detail {

struct EventLoop::Transfer {
  HttpRequest request;
  std::unique_ptr<Exchange> exchange;
  std::function<void(HttpResponse)> done;
  void* easy = nullptr;
  std::size_t slot = 0;  ///< where it is in transfers_
};

EventLoop::EventLoop(long max_host_connections) {
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
  CURL* easy;
  if (!idle_handles_.empty()) {
    easy = static_cast<CURL*>(idle_handles_.back());
    idle_handles_.pop_back();
  } else {
    easy = curl_easy_init();
  }
  auto transfer = std::make_unique<Transfer>();
  transfer->request = std::move(request);
  transfer->done = std::move(done);
  transfer->exchange = std::make_unique<Exchange>(transfer->request);
  transfer->exchange->attach(easy);
  transfer->easy = easy;
  transfer->slot = transfers_.size();
  // The handle points back at its transfer, so finishing one needs no lookup.
  curl_easy_setopt(easy, CURLOPT_PRIVATE, transfer.get());
  curl_multi_add_handle(static_cast<CURLM*>(multi_), easy);
  transfers_.push_back(std::move(transfer));
  std::lock_guard<std::mutex> lock(mutex_);
  ++in_flight_;
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
      if (owner == nullptr) continue;
      const std::size_t slot = static_cast<Transfer*>(owner)->slot;
      std::unique_ptr<Transfer> transfer = std::move(transfers_[slot]);
      if (slot + 1 < transfers_.size()) {  // swap-and-pop: O(1) with 1,000 in flight
        transfers_[slot] = std::move(transfers_.back());
        transfers_[slot]->slot = slot;
      }
      transfers_.pop_back();
      HttpResponse response = transfer->exchange->finish(easy, code);
      curl_easy_setopt(easy, CURLOPT_PRIVATE, nullptr);
      idle_handles_.push_back(easy);  // the next transfer sets every option it depends on
      {
        std::lock_guard<std::mutex> lock(mutex_);
        --in_flight_;
      }
      transfer->done(std::move(response));
    }

    int wait_ms = 1000;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!queue_.empty() || stop_) wait_ms = 0;
    }
    if (!timers_.empty()) {
      const auto until = std::chrono::ceil<std::chrono::milliseconds>(timers_.begin()->first -
                                                                      std::chrono::steady_clock::now());
      wait_ms = std::max(0, std::min(wait_ms, static_cast<int>(until.count())));
    }
    curl_multi_poll(multi, nullptr, 0, wait_ms, nullptr);
  }
}

}  // namespace polyrouter::detail
