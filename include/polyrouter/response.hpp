#pragma once
/// @file What a caller gets back: the answer and every attempt that led to it.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "polyrouter/export.hpp"
#include "polyrouter/provider.hpp"
#include "polyrouter/rate_limits.hpp"
#include "polyrouter/tool_call.hpp"

namespace polyrouter {

/// Why the model stopped, normalized across providers.
enum class FinishReason { stop, length, tool_calls, content_filter, other, unknown };

/// "stop", "length", "tool_calls", "content_filter", "other", "unknown".
POLYROUTER_API std::string_view to_string(FinishReason reason) noexcept;

/// Token counts as the provider reported them (0 when not reported).
struct POLYROUTER_API Usage {
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;  ///< includes reasoning tokens where the provider bills them
  std::int64_t reasoning_tokens = 0;
  std::int64_t total_tokens = 0;
};

/// What one attempt at one (pool, model, key) ended in.
enum class AttemptOutcome {
  success,
  invalid_key,
  rate_limited,
  model_not_found,
  bad_request,
  content_filtered,
  unavailable,    ///< 5xx, 408, 409, connection failure
  timeout,
  invalid_response,
  unknown_error,
};

/// "success", "invalid_key", "rate_limited", ...
POLYROUTER_API std::string_view to_string(AttemptOutcome outcome) noexcept;

/// One round trip made while answering a request.
struct POLYROUTER_API Attempt {
  std::string pool;       ///< the pool's name
  Provider provider = Provider::openai_compatible;
  std::string model;
  std::string key_label;  ///< e.g. "GROQ_API_KEY1", never the key
  AttemptOutcome outcome = AttemptOutcome::success;
  int http_status = 0;    ///< 0 when no HTTP status was received
  std::chrono::milliseconds latency{0};
  std::optional<std::chrono::milliseconds> retry_after;  ///< the provider's retry hint, if any
  std::string error;      ///< the typed error's message, empty on success
  /// The provider's id for this round trip, from its `x-request-id` (OpenAI, Groq, Cerebras)
  /// or `request-id` (Anthropic) header, keys masked; empty when it sent none (Gemini sends
  /// none we know of) or no answer came. Quote it to the provider's support.
  std::string provider_request_id;
};

/// A completed chat answer.
struct POLYROUTER_API Response {
  std::string text;
  std::vector<ToolCall> tool_calls;
  /// The model's visible reasoning where the provider returns it apart from the answer
  /// (Anthropic `thinking` blocks); never part of `text`. Empty otherwise.
  std::string reasoning;
  FinishReason finish_reason = FinishReason::unknown;
  std::string raw_finish_reason;  ///< as the provider spelled it
  Usage usage;
  std::string id;                 ///< provider's response id
  Provider provider = Provider::openai_compatible;
  std::string model;              ///< the model that answered (as requested)
  std::string pool;               ///< set by the orchestrator
  std::string key_label;          ///< set by the orchestrator
  std::vector<Attempt> attempts;  ///< set by the orchestrator, in order, the successful one last
  std::size_t skipped_events = 0; ///< streams: unparseable events skipped in an otherwise healthy stream
  /// The orchestrator's id of the request ("pr-42"), on each of its log lines; set by the
  /// orchestrator (see RequestInfo::id).
  std::string request_id;
  /// The provider's id of the round trip that answered (see Attempt::provider_request_id).
  std::string provider_request_id;
  /// What the provider said the answering key has left (its rate-limit headers).
  RateLimitStatus rate_limits;
};

}  // namespace polyrouter
