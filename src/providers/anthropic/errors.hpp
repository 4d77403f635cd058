#pragma once
// What Anthropic's errors say beyond the shared classifier's rules (private): the error type
// decides where the status does not (529 overloaded, a too-long prompt in a 400, a spend cap in
// a 429, errors inside a 200 stream), and the anthropic-ratelimit-*-reset headers give the wait
// when retry-after does not.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "http/transport.hpp"
#include "polyrouter/errors.hpp"
#include "providers/error_body.hpp"

namespace polyrouter::detail::anthropic {

/// ErrorRules::classify: throws the typed error when Anthropic's own signals decide it.
void classify_error(const ErrorBody& error, int status, const HttpResponse* response, ErrorContext& context,
                    const std::string& message, std::string_view secret);

/// ErrorRules::retry_hint: the latest `anthropic-ratelimit-*-reset` (RFC 3339) among the limits
/// with nothing remaining, measured from the response's `date` (else from now).
std::optional<std::chrono::milliseconds> reset_hint(const ErrorBody& error, const HttpResponse& response);

/// The HTTP status an error type stands for, for errors inside a 200 stream, which carry none:
/// overloaded_error -> 529, rate_limit_error -> 429, ...; 500 for types newer than this code.
int status_of_error_type(std::string_view type);

/// Seconds since the epoch of an RFC 3339 timestamp ("2026-03-20T20:00:11Z", fractions and
/// offsets allowed); nullopt for anything else.
std::optional<double> parse_rfc3339(std::string_view text);

}  // namespace polyrouter::detail::anthropic
