#include "orchestrator/attempt.hpp"

#include <stdexcept>

namespace polyrouter::detail {
namespace {

// What observers are told about the caller's own exception.
std::string message_of(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "an exception outside std::exception";
  }
}

}  // namespace

AttemptRun::AttemptRun(Walk& walk, std::shared_ptr<const StreamCallbacks> stream, TimePoint start)
    : walk_(&walk), stream_(std::move(stream)), start_(start) {
  if (!stream_) return;
  delivered_ = std::make_shared<Delivered>();
  if (auto restart = walk.take_restart(); restart && stream_->on_restart) stream_->on_restart(*restart);
}

DeltaCallback AttemptRun::forward() const {
  if (!stream_) return {};
  return [stream = stream_, delivered = delivered_](std::string_view delta) {
    delivered->committed = true;
    delivered->partial.append(delta);
    try {
      return stream->on_delta(delta);
    } catch (...) {
      delivered->callback_threw = true;
      throw;
    }
  };
}

std::exception_ptr AttemptRun::report(std::optional<Response> response, std::exception_ptr error) const {
  if (!error) {
    walk_->succeeded(std::move(*response), start_);
    return nullptr;
  }
  if (delivered_ && delivered_->callback_threw) {  // theirs to see, as it is
    walk_->abandon(message_of(error));
    return error;
  }
  try {
    std::rethrow_exception(error);
  } catch (const Error& e) {
    if (delivered_) {
      walk_->failed(e, start_, delivered_->committed, std::move(delivered_->partial));
    } else {
      walk_->failed(e, start_);
    }
  } catch (const std::exception& e) {
    walk_->failed_unknown(e, start_);  // a user's client threw outside the family
  } catch (...) {
    walk_->failed_unknown(std::runtime_error("the client threw something that is not a std::exception"), start_);
  }
  return nullptr;
}

}  // namespace polyrouter::detail
