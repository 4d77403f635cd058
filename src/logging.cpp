#include "logging.hpp"

#include <memory>
#include <mutex>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include "polyrouter/logging.hpp"

namespace polyrouter {
namespace {

spdlog::level::level_enum to_spdlog(LogLevel level) {
  switch (level) {
    case LogLevel::trace: return spdlog::level::trace;
    case LogLevel::debug: return spdlog::level::debug;
    case LogLevel::info: return spdlog::level::info;
    case LogLevel::warn: return spdlog::level::warn;
    case LogLevel::error: return spdlog::level::err;
    case LogLevel::off: return spdlog::level::off;
  }
  return spdlog::level::off;
}

LogLevel from_spdlog(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace: return LogLevel::trace;
    case spdlog::level::debug: return LogLevel::debug;
    case spdlog::level::info: return LogLevel::info;
    case spdlog::level::warn: return LogLevel::warn;
    case spdlog::level::err:
    case spdlog::level::critical: return LogLevel::error;
    default: return LogLevel::off;
  }
}

// Forwards to the user's handler when one is set, else to stderr. base_sink's mutex
// serializes both, so a handler never runs concurrently with itself.
class HandlerSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  using Handler = std::function<void(LogLevel, std::string_view)>;

  void set_handler(Handler handler) {
    std::lock_guard<std::mutex> lock(mutex_);
    handler_ = std::move(handler);
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (handler_) {
      try {
        handler_(from_spdlog(msg.level), std::string_view(msg.payload.data(), msg.payload.size()));
      } catch (...) {
        // A log call never throws into the request that logged.
      }
      return;
    }
    stderr_->log(msg);
  }
  void flush_() override { stderr_->flush(); }

 private:
  Handler handler_;
  std::shared_ptr<spdlog::sinks::stderr_color_sink_st> stderr_ =
      std::make_shared<spdlog::sinks::stderr_color_sink_st>();
};

struct LoggerState {
  std::shared_ptr<HandlerSink> sink = std::make_shared<HandlerSink>();
  std::shared_ptr<spdlog::logger> logger;

  LoggerState() {
    logger = std::make_shared<spdlog::logger>("polyrouter", sink);
    logger->set_level(spdlog::level::off);
    logger->set_pattern("[%H:%M:%S.%e] [polyrouter] [%l] %v");
    // Registered so spdlog users can find it with spdlog::get("polyrouter"); never the default.
    if (!spdlog::get("polyrouter")) {
      try {
        spdlog::register_logger(logger);
      } catch (const spdlog::spdlog_ex&) {
        // Another copy of the library registered first; ours stays private.
      }
    }
  }
};

LoggerState& state() {
  static LoggerState instance;
  return instance;
}

}  // namespace

namespace detail {
spdlog::logger& log() { return *state().logger; }
}  // namespace detail

void set_log_level(LogLevel level) { state().logger->set_level(to_spdlog(level)); }

LogLevel log_level() noexcept { return from_spdlog(state().logger->level()); }

void set_log_handler(std::function<void(LogLevel, std::string_view)> handler) {
  state().sink->set_handler(std::move(handler));
}

}  // namespace polyrouter
