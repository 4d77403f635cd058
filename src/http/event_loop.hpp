#pragma once
// One thread driving many HTTP transfers through a curl multi handle (private). Timers and
// posted tasks run on the same thread, so a request's whole walk runs there without locks of
// its own; connections live in the multi handle's cache and are reused across requests.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include "http/transport.hpp"

namespace polyrouter::detail {

class EventLoop {
 public:
  using Task = std::function<void()>;

  /// @p max_host_connections caps connections per host. Further requests to an HTTP/1 host wait
  /// in the loop's own queue and reuse connections as they free up; libcurl multiplexes HTTP/2.
  explicit EventLoop(long max_host_connections = 32);
  /// Stops the thread. Transfers still running are dropped without their callbacks.
  ~EventLoop();
  /// Stops and joins the thread, as the destructor does (idempotent): after it returns no task,
  /// timer or transfer callback runs. Not from the loop thread.
  void stop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  /// Runs @p task on the loop thread. Thread-safe.
  void post(Task task);
  /// Loop thread only: starts @p request; @p done gets the result on the loop thread.
  void start_transfer(HttpRequest request, std::function<void(HttpResponse)> done);
  /// Loop thread only: runs @p task after @p delay.
  void start_timer(std::chrono::milliseconds delay, Task task);

  /// Transfers started and not yet finished, those waiting for their host included. Thread-safe.
  std::size_t transfers_in_flight() const;
  /// Loop thread only: transfers waiting for a connection to their HTTP/1 host.
  std::size_t transfers_waiting() const;

 private:
  struct Transfer;
  struct Host;
  void run();
  void launch(Transfer* transfer);
  void finish(Transfer* transfer, int code);
  bool may_launch(const Host& host) const;
  Host& host_of(std::string_view url);
  void expire_waiting(std::chrono::steady_clock::time_point now);

  void* multi_ = nullptr;  // CURLM*
  std::thread thread_;
  std::thread::id loop_id_;
  mutable std::mutex mutex_;
  std::vector<Task> queue_;
  bool stop_ = false;
  std::multimap<std::chrono::steady_clock::time_point, Task> timers_;  // loop thread only
  std::vector<std::unique_ptr<Transfer>> transfers_;                   // loop thread only
  std::vector<void*> idle_handles_;                                    // loop thread only
  // Loop thread only: per origin, transfers handed to libcurl and those waiting for a turn.
  // A handful of origins (one per pool): a scan finds one without building a string.
  std::vector<std::unique_ptr<Host>> hosts_;
  // The earliest time limit among waiting transfers: they time out on time even when every
  // connection of their host stays busy.
  std::optional<std::chrono::steady_clock::time_point> next_wait_deadline_;
  long max_host_connections_;
  std::size_t in_flight_ = 0;                                          // guarded by mutex_
};

}  // namespace polyrouter::detail
