#pragma once
/// @file The exception family. Everything polyrouter throws derives from polyrouter::Error.
///
/// Messages carry a stable tag such as "[polyrouter.rate_limit]" and never hold an API key: keys
/// appear only as their label ("GROQ_API_KEY1"), bodies only as a short, masked excerpt.

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "polyrouter/export.hpp"
#include "polyrouter/provider.hpp"
#include "polyrouter/response.hpp"

namespace polyrouter {

/// Which concrete error this is; lets code switch instead of chaining dynamic_casts. A kind
/// always comes with its class (rate_limit with RateLimitError, ...): only those classes can
/// give an Error its kind.
enum class ErrorKind {
  invalid_api_key,
  rate_limit,
  model_not_found,
  bad_request,
  content_filtered,
  provider_unavailable,
  timeout,
  invalid_json_response,
  stream_interrupted,
  no_api_keys,
  no_model,
  config,
  all_models_failed,
  all_clients_exhausted,
  cancelled,
  unknown,
};

/// The stable tag of a kind, e.g. "polyrouter.rate_limit".
POLYROUTER_API std::string_view tag(ErrorKind kind) noexcept;

/// The library's own names for transport failures (every libcurl code maps onto one of these).
enum class TransportFailure {
  none,        ///< an HTTP status was received
  resolve,     ///< host name could not be resolved
  connect,     ///< connection refused or unreachable
  tls,         ///< TLS handshake or certificate verification failed
  send,        ///< the request could not be sent
  receive,     ///< the connection dropped while reading the answer
  timeout,     ///< connect or total timeout
  too_large,   ///< the body exceeded the configured cap
  aborted,     ///< cancelled by the caller
  other,
};

/// "resolve", "connect", ...
POLYROUTER_API std::string_view to_string(TransportFailure failure) noexcept;

/// What is known about the failed call. Never holds a key.
struct POLYROUTER_API ErrorContext {
  std::optional<Provider> provider;
  std::string model;
  std::string key_label;
  int http_status = 0;                 ///< 0 when no status was received
  std::string provider_code;           ///< the provider's own code or status ("invalid_api_key", "RESOURCE_EXHAUSTED")
  std::string body_excerpt;            ///< first bytes of the body, keys masked
  std::optional<std::chrono::milliseconds> retry_after;  ///< the provider's retry hint
  TransportFailure transport = TransportFailure::none;
  /// The orchestrator's id of the request this error belongs to ("pr-42", as on its log lines).
  /// Set on the errors the orchestrator raises (AllClientsExhaustedError,
  /// StreamInterruptedError) and, through CallOptions::request_id, on those of the built-in
  /// clients; empty for a client used on its own.
  std::string request_id;
  /// The provider's id of the failed round trip (its `x-request-id` / `request-id` header),
  /// keys masked; empty when it sent none.
  std::string provider_request_id;
};

/// Base of every polyrouter exception. Throw one of its classes: Error itself cannot be made,
/// so no error can claim a kind() its class does not have (code downcasts by kind()).
class POLYROUTER_API Error : public std::runtime_error {
 public:
  ErrorKind kind() const noexcept { return kind_; }
  const ErrorContext& context() const noexcept { return context_; }
  /// The message without the tag and context prefix.
  const std::string& detail() const noexcept { return detail_; }

  std::optional<Provider> provider() const noexcept { return context_.provider; }
  const std::string& model() const noexcept { return context_.model; }
  const std::string& key_label() const noexcept { return context_.key_label; }
  int http_status() const noexcept { return context_.http_status; }
  const std::string& provider_code() const noexcept { return context_.provider_code; }
  const std::string& body_excerpt() const noexcept { return context_.body_excerpt; }
  std::optional<std::chrono::milliseconds> retry_after() const noexcept { return context_.retry_after; }
  /// The orchestrator's request id (see ErrorContext::request_id); empty when unknown.
  const std::string& request_id() const noexcept { return context_.request_id; }

 protected:
  // Copies only as a whole class: `throw e;` from `catch (const Error& e)` would slice a
  // RateLimitError into an Error still saying rate_limit. Rethrow with `throw;`.
  Error(const Error&) = default;
  Error(Error&&) = default;
  Error& operator=(const Error&) = default;
  Error& operator=(Error&&) = default;

 private:
  // Each class below passes its own kind; nothing else may choose one.
  Error(ErrorKind kind, std::string_view message, ErrorContext context = {});
  friend class InvalidApiKeyError;
  friend class RateLimitError;
  friend class ModelNotFoundError;
  friend class BadRequestError;
  friend class ContentFilteredError;
  friend class ProviderUnavailableError;
  friend class InvalidJsonResponseError;
  friend class StreamInterruptedError;
  friend class ConfigError;
  friend class AllModelsFailedError;
  friend class AllClientsExhaustedError;
  friend class CancelledError;
  friend class UnknownError;

  ErrorKind kind_;
  ErrorContext context_;
  std::string detail_;
};

/// The key was rejected (401, 403, Gemini API_KEY_INVALID / PERMISSION_DENIED, unusable billing).
class POLYROUTER_API InvalidApiKeyError : public Error {
 public:
  explicit InvalidApiKeyError(std::string_view message, ErrorContext context = {})
      : Error(ErrorKind::invalid_api_key, message, std::move(context)) {}
};

/// 429, Gemini RESOURCE_EXHAUSTED, Groq 498, Cerebras queue_exceeded.
class POLYROUTER_API RateLimitError : public Error {
 public:
  enum class Scope {
    key,       ///< this key's quota on this model
    provider,  ///< the provider's capacity: another key of the same provider will not help
    network,   ///< the provider's edge blocks the caller's network (a CDN block page): no key or model helps
  };
  RateLimitError(std::string_view message, ErrorContext context = {}, Scope scope = Scope::key,
                 bool daily = false, bool no_quota = false)
      : Error(ErrorKind::rate_limit, message, std::move(context)), scope_(scope), daily_(daily), no_quota_(no_quota) {}
  Scope scope() const noexcept { return scope_; }
  /// A per-day wall (RPD, TPD, PerDay quota): wait for the reset, do not retry inline.
  bool daily() const noexcept { return daily_; }
  /// The key has no quota at all for this model (Gemini free tier, "limit: 0"): a lasting wall.
  bool no_quota() const noexcept { return no_quota_; }

 private:
  Scope scope_;
  bool daily_;
  bool no_quota_;
};

/// The model does not exist, is decommissioned, or this account may not use it.
class POLYROUTER_API ModelNotFoundError : public Error {
 public:
  explicit ModelNotFoundError(std::string_view message, ErrorContext context = {})
      : Error(ErrorKind::model_not_found, message, std::move(context)) {}
};

/// A 400/413/422 caused by the request.
class POLYROUTER_API BadRequestError : public Error {
 public:
  enum class Cause {
    request,         ///< the request itself is wrong: failing over would only repeat it
    context_length,  ///< too long for this model (or this tier's per-request budget): another model may take it
    model_output,    ///< the model's output failed validation (Groq tool_use_failed, json_validate_failed)
  };
  BadRequestError(std::string_view message, ErrorContext context = {}, Cause cause = Cause::request)
      : Error(ErrorKind::bad_request, message, std::move(context)), cause_(cause) {}
  Cause cause() const noexcept { return cause_; }
  bool context_length() const noexcept { return cause_ == Cause::context_length; }

 private:
  Cause cause_;
};

/// The provider blocked the prompt or the answer (Gemini SAFETY, promptFeedback.blockReason).
class POLYROUTER_API ContentFilteredError : public Error {
 public:
  explicit ContentFilteredError(std::string_view message, ErrorContext context = {})
      : Error(ErrorKind::content_filtered, message, std::move(context)) {}
};

/// A transient fault: 5xx, 408, 409, or the connection failed.
class POLYROUTER_API ProviderUnavailableError : public Error {
 public:
  explicit ProviderUnavailableError(std::string_view message, ErrorContext context = {})
      : Error(ErrorKind::provider_unavailable, message, std::move(context)) {}

 private:
  friend class TimeoutError;
  ProviderUnavailableError(ErrorKind kind, std::string_view message, ErrorContext context)
      : Error(kind, message, std::move(context)) {}
};

/// The call ran out of time (connect, attempt or whole-request deadline). Transient.
class POLYROUTER_API TimeoutError : public ProviderUnavailableError {
 public:
  explicit TimeoutError(std::string_view message, ErrorContext context = {})
      : ProviderUnavailableError(ErrorKind::timeout, message, std::move(context)) {}
};

/// A success status with a body that is not what the protocol promises.
class POLYROUTER_API InvalidJsonResponseError : public Error {
 public:
  explicit InvalidJsonResponseError(std::string_view message, ErrorContext context = {})
      : Error(ErrorKind::invalid_json_response, message, std::move(context)) {}
};

/// A streamed answer failed after its first delta reached the caller.
class POLYROUTER_API StreamInterruptedError : public Error {
 public:
  StreamInterruptedError(std::string_view message, ErrorContext context, std::string partial_text,
                         std::vector<Attempt> attempts = {})
      : Error(ErrorKind::stream_interrupted, message, std::move(context)),
        partial_text_(std::move(partial_text)), attempts_(std::move(attempts)) {}
  const std::string& partial_text() const noexcept { return partial_text_; }
  const std::vector<Attempt>& attempts() const noexcept { return attempts_; }

 private:
  std::string partial_text_;
  std::vector<Attempt> attempts_;
};

/// Invalid configuration: a bad file, field, value or combination.
class POLYROUTER_API ConfigError : public Error {
 public:
  explicit ConfigError(std::string_view message, ErrorContext context = {})
      : Error(ErrorKind::config, message, std::move(context)) {}

 private:
  friend class NoApiKeysError;
  friend class NoModelError;
  ConfigError(ErrorKind kind, std::string_view message, ErrorContext context)
      : Error(kind, message, std::move(context)) {}
};

/// A pool, or the whole configuration, has no API key.
class POLYROUTER_API NoApiKeysError : public ConfigError {
 public:
  explicit NoApiKeysError(std::string_view message, ErrorContext context = {})
      : ConfigError(ErrorKind::no_api_keys, message, std::move(context)) {}
};

/// A pool has no model.
class POLYROUTER_API NoModelError : public ConfigError {
 public:
  explicit NoModelError(std::string_view message, ErrorContext context = {})
      : ConfigError(ErrorKind::no_model, message, std::move(context)) {}
};

/// Every model of one pool failed for one request.
class POLYROUTER_API AllModelsFailedError : public Error {
 public:
  AllModelsFailedError(std::string pool, std::vector<Attempt> attempts, ErrorContext context = {});
  const std::string& pool() const noexcept { return pool_; }
  const std::vector<Attempt>& attempts() const noexcept { return attempts_; }

 private:
  std::string pool_;
  std::vector<Attempt> attempts_;
};

/// Every pool failed: the request could not be answered.
class POLYROUTER_API AllClientsExhaustedError : public Error {
 public:
  /// @p earliest_reset: the soonest a cooling combination becomes usable again, from now.
  AllClientsExhaustedError(std::vector<Attempt> attempts, std::vector<AllModelsFailedError> pools,
                           std::optional<std::chrono::milliseconds> earliest_reset,
                           std::string_view reason = "every provider, model and key failed",
                           ErrorContext context = {});
  /// Every round trip made, in order.
  const std::vector<Attempt>& attempts() const noexcept { return attempts_; }
  /// One entry per pool whose models all failed.
  const std::vector<AllModelsFailedError>& pool_failures() const noexcept { return pools_; }
  /// Time from the throw until the first cooling (pool, model, key) is usable again.
  std::optional<std::chrono::milliseconds> earliest_reset() const noexcept { return earliest_reset_; }

 private:
  std::vector<Attempt> attempts_;
  std::vector<AllModelsFailedError> pools_;
  std::optional<std::chrono::milliseconds> earliest_reset_;
};

/// Work the orchestrator dropped when it was destroyed: an async request still in flight.
class POLYROUTER_API CancelledError : public Error {
 public:
  explicit CancelledError(std::string_view message, ErrorContext context = {})
      : Error(ErrorKind::cancelled, message, std::move(context)) {}
};

/// Anything the classifiers could not place.
class POLYROUTER_API UnknownError : public Error {
 public:
  explicit UnknownError(std::string_view message, ErrorContext context = {})
      : Error(ErrorKind::unknown, message, std::move(context)) {}
};

/// Renders attempts as a short fixed-width table (one line per attempt).
POLYROUTER_API std::string format_attempts(const std::vector<Attempt>& attempts);

}  // namespace polyrouter
