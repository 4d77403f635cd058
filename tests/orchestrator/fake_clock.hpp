#pragma once
// A clock for the orchestrator that only moves when it sleeps (or when a test advances it), so
// cooldowns of minutes and backoffs of seconds are tested in milliseconds.

#include <atomic>
#include <chrono>
#include <mutex>
#include <vector>

#include <polyrouter/config.hpp>

namespace polyrouter::test {

class FakeClock {
 public:
  using duration = std::chrono::steady_clock::duration;

  polyrouter::Clock clock() {
    return {[this] { return std::chrono::steady_clock::time_point(duration(now_.load())); },
            [this](duration d) {
              {
                std::lock_guard<std::mutex> lock(mutex_);
                sleeps_.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(d));
              }
              now_ += d.count();
            },
            // Wall time moves with it, from the same origin: orchestrators sharing this clock
            // (and a health store) agree on every deadline exactly.
            [this] {
              return std::chrono::system_clock::time_point(
                  std::chrono::duration_cast<std::chrono::system_clock::duration>(duration(now_.load())));
            }};
  }
  void advance(duration d) { now_ += d.count(); }
  std::vector<std::chrono::milliseconds> sleeps() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return sleeps_;
  }

 private:
  // Starts far from the epoch: a zero time point means "no deadline" inside the health store.
  std::atomic<duration::rep> now_{std::chrono::duration_cast<duration>(std::chrono::hours(1000)).count()};
  mutable std::mutex mutex_;
  std::vector<std::chrono::milliseconds> sleeps_;
};

}  // namespace polyrouter::test
