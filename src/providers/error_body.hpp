#pragma once
// Turning failed HTTP exchanges into typed errors (private). One classifier serves every
// provider: the envelopes differ (OpenAI {"error":{}}, Cerebras flat, Gemini google.rpc.Status)
// but the signals map onto the same classes (protocols.md §7).

#include <string_view>

#include <nlohmann/json.hpp>

#include "http/transport.hpp"
#include "polyrouter/errors.hpp"
#include "polyrouter/llm_client.hpp"

namespace polyrouter::detail {

/// The common fields of every provider's error envelope.
struct ErrorBody {
  std::string message;
  std::string type;    ///< OpenAI "type"
  std::string code;    ///< OpenAI/Cerebras "code" (string)
  std::string status;  ///< Gemini "status" ("RESOURCE_EXHAUSTED")
  int status_code = 0; ///< Gemini error.code, Cerebras stream status_code
  nlohmann::json details;  ///< Gemini details[]
  bool is_json = false;
};

/// Reads an error body in detection order: "error" object, flat message+type, "detail", text.
ErrorBody parse_error_body(std::string_view body);
/// Same, from an already-parsed JSON value (in-stream errors).
ErrorBody parse_error_json(const nlohmann::json& json);

/// Context for an error from this call: provider, model, key label, and (with a response)
/// status and a masked body excerpt.
ErrorContext make_context(Provider provider, const CallOptions& options,
                          const HttpResponse* response = nullptr);

/// The server's id of the exchange (HttpResponse::request_id), keys masked like any text the
/// provider controls.
std::string provider_request_id(const HttpResponse& response, const CallOptions& options);
/// The same, moved out of @p response (its last reader): no copy when there is nothing to mask.
std::string take_provider_request_id(HttpResponse& response, const CallOptions& options);

/// What every answer takes from its exchange, on every path (complete, stream, both async):
/// the provider's request id (take_provider_request_id) and what the rate-limit headers say
/// about the key (Response::rate_limits).
void take_exchange_facts(HttpResponse& response, const CallOptions& options, Response& answer);

/// "[pr-42] " for log lines of a call the orchestrator makes; empty for a client used alone.
std::string log_prefix(const CallOptions& options);

/// A short excerpt of @p body, whitespace collapsed, keys masked.
std::string excerpt(std::string_view body, std::string_view secret);

/// @throws the typed error for a response with a non-2xx status.
[[noreturn]] void throw_for_status(Provider provider, const CallOptions& options,
                                   const HttpResponse& response);
/// @throws the typed error for a parsed error envelope with HTTP status @p status; @p secret
///         (the key) is masked wherever the provider echoed it.
[[noreturn]] void throw_for_error(Provider provider, ErrorContext context, const ErrorBody& error,
                                  int status, const HttpResponse* response, std::string_view secret);
/// @throws TimeoutError or ProviderUnavailableError for a transport failure.
[[noreturn]] void throw_for_transport(Provider provider, const CallOptions& options,
                                      const HttpResponse& response);
/// @throws InvalidJsonResponseError explaining @p why.
[[noreturn]] void throw_invalid_response(Provider provider, const CallOptions& options,
                                         const HttpResponse& response, std::string_view why);

/// Performs @p request, logging it and its answer (keys masked) at trace level.
HttpResponse perform_logged(Provider provider, const CallOptions& options, const HttpRequest& request);

/// The JSON object of a 2xx answer.
/// @throws the typed error for a transport failure, an error status, an error envelope in a
///         200, or a body that is not a JSON object.
nlohmann::json success_json(Provider provider, const CallOptions& options, const HttpResponse& response);

}  // namespace polyrouter::detail
