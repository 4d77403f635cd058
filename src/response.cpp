#include "polyrouter/response.hpp"

namespace polyrouter {

std::string_view to_string(FinishReason reason) noexcept {
  switch (reason) {
    case FinishReason::stop: return "stop";
    case FinishReason::length: return "length";
    case FinishReason::tool_calls: return "tool_calls";
    case FinishReason::content_filter: return "content_filter";
    case FinishReason::other: return "other";
    case FinishReason::unknown: return "unknown";
  }
  return "unknown";
}

std::string_view to_string(AttemptOutcome outcome) noexcept {
  switch (outcome) {
    case AttemptOutcome::success: return "success";
    case AttemptOutcome::invalid_key: return "invalid_key";
    case AttemptOutcome::rate_limited: return "rate_limited";
    case AttemptOutcome::model_not_found: return "model_not_found";
    case AttemptOutcome::bad_request: return "bad_request";
    case AttemptOutcome::content_filtered: return "content_filtered";
    case AttemptOutcome::unavailable: return "unavailable";
    case AttemptOutcome::timeout: return "timeout";
    case AttemptOutcome::invalid_response: return "invalid_response";
    case AttemptOutcome::unknown_error: return "unknown_error";
  }
  return "unknown_error";
}

}  // namespace polyrouter
