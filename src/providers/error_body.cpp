#include "providers/error_body.hpp"

#include <algorithm>
#include <chrono>

#include "logging.hpp"
#include "masking.hpp"
#include "polyrouter/mask.hpp"
#include "providers/rate_limit_headers.hpp"
#include "providers/registry.hpp"
#include "retry_hints.hpp"

namespace polyrouter::detail {
namespace {

using json = nlohmann::json;

std::string string_field(const json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end()) return {};
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return std::to_string(it->get<long long>());
  return {};
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

}  // namespace

ErrorBody parse_error_json(const json& body) {
  ErrorBody e;
  e.is_json = true;
  if (!body.is_object()) return e;
  auto error = body.find("error");
  if (error != body.end() && error->is_object()) {
    e.message = string_field(*error, "message");
    e.type = string_field(*error, "type");
    e.code = string_field(*error, "code");
    e.status = string_field(*error, "status");
    if (auto c = error->find("code"); c != error->end() && c->is_number_integer()) {
      e.status_code = c->get<int>();
      e.code.clear();
    }
    if (auto d = error->find("details"); d != error->end()) e.details = *d;
    if (auto s = body.find("status_code"); s != body.end() && s->is_number_integer()) {
      e.status_code = s->get<int>();
    }
    if (auto s = error->find("status_code"); s != error->end() && s->is_number_integer()) {
      e.status_code = s->get<int>();
    }
  } else if (error != body.end() && error->is_string()) {
    e.message = error->get<std::string>();
  } else if (body.contains("message")) {  // Cerebras' flat envelope
    e.message = string_field(body, "message");
    e.type = string_field(body, "type");
    e.code = string_field(body, "code");
    if (auto s = body.find("status_code"); s != body.end() && s->is_number_integer()) {
      e.status_code = s->get<int>();
    }
  } else if (body.contains("detail")) {  // Cerebras/FastAPI 403
    const json& detail = body["detail"];
    e.message = detail.is_string() ? detail.get<std::string>() : detail.dump();
  }
  return e;
}

ErrorBody parse_error_body(std::string_view body) {
  json parsed = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_discarded() && parsed.is_object()) return parse_error_json(parsed);
  ErrorBody e;
  e.message = body.empty() ? "empty body" : "non-JSON body";
  return e;
}

std::string excerpt(std::string_view body, std::string_view secret) {
  constexpr std::size_t limit = 240;
  // Mask before cutting: a key straddling the cut would match neither rule afterwards.
  const std::string masked = redact(body.substr(0, limit * 4), secret);
  std::string out;
  bool space = false;
  bool cut = body.size() > limit * 4;
  for (char c : masked) {
    const bool is_space = c == ' ' || c == '\n' || c == '\r' || c == '\t';
    if (is_space) {
      space = !out.empty();
      continue;
    }
    if (out.size() >= limit) {
      cut = true;
      break;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  if (cut) out += "...";
  return out;
}

std::string provider_request_id(const HttpResponse& response, const CallOptions& options) {
  return response.request_id.empty() ? std::string() : redact(response.request_id, options.api_key);
}

std::string take_provider_request_id(HttpResponse& response, const CallOptions& options) {
  if (may_need_redaction(response.request_id, options.api_key)) return redact(response.request_id, options.api_key);
  return std::move(response.request_id);
}

void take_exchange_facts(HttpResponse& response, const CallOptions& options, Response& answer) {
  answer.provider_request_id = take_provider_request_id(response, options);
  if (!response.rate_limits.empty()) answer.rate_limits = read_rate_limits(response.rate_limits);
}

std::string log_prefix(const CallOptions& options) {
  return options.request_id.empty() ? std::string() : "[" + options.request_id + "] ";
}

ErrorContext make_context(Provider provider, const CallOptions& options, const HttpResponse* response) {
  ErrorContext c;
  c.provider = provider;
  c.model = options.model;
  c.key_label = options.key_label;
  c.request_id = options.request_id;
  if (response != nullptr) {
    c.http_status = static_cast<int>(response->status);
    c.body_excerpt = excerpt(response->body, options.api_key);
    c.transport = response->failure;
    c.provider_request_id = provider_request_id(*response, options);
  }
  return c;
}

void throw_for_error(Provider provider, ErrorContext context, const ErrorBody& e, int status,
                     const HttpResponse* response, std::string_view secret) {
  const std::string& code = e.code;
  const ProviderDescriptor* descriptor = find_provider(provider);
  const ErrorRules rules = descriptor != nullptr ? descriptor->errors : ErrorRules{};
  // Everything below comes from the provider, which may echo the key anywhere: mask it before
  // it reaches the error, its attempts and the log lines made from them.
  context.provider_code = redact(!code.empty() ? code : !e.status.empty() ? e.status : e.type, secret);
  std::string message = redact(e.message.empty() ? "HTTP " + std::to_string(status) : e.message, secret);
  if (!e.is_json && response != nullptr) {
    std::string_view type = response->header("content-type");
    message += type.empty() ? std::string() : " (" + redact(type, secret) + ")";
  }

  // Retry hint: headers first (Retry-After and friends), then the provider's own, then the message.
  std::optional<std::chrono::milliseconds> hint;
  if (response != nullptr) hint = hint_from_headers(*response);
  if (!hint && rules.retry_hint != nullptr) {
    static const HttpResponse no_response;  // an error event inside a stream
    hint = rules.retry_hint(e, response != nullptr ? *response : no_response);
  }
  if (!hint) hint = hint_in_message(e.message);
  context.retry_after = hint;

  // The provider's own signals first (they may only refine the context and return).
  if (rules.classify != nullptr) rules.classify(e, status, response, context, message, secret);

  // A CDN's block page (Cloudflare "Attention Required" / "you have been blocked") on a 403 is
  // about the caller's network, not the key.
  if (status == 403 && !e.is_json && response != nullptr &&
      (contains(response->body, "Attention Required") || contains(response->body, "have been blocked"))) {
    throw RateLimitError("the provider's edge blocks this network (a CDN block page): " + message,
                         std::move(context), RateLimitError::Scope::network);
  }
  const bool key_code = code == "invalid_api_key" || code == "wrong_api_key" || code == "organization_restricted";
  if (key_code || status == 401 || status == 403 || status == 402 || e.status == "PERMISSION_DENIED" ||
      e.status == "UNAUTHENTICATED" || e.status == "FAILED_PRECONDITION") {
    throw InvalidApiKeyError(message, std::move(context));
  }
  if (code == "model_not_found" || code == "model_decommissioned" || status == 404 ||
      e.status == "NOT_FOUND") {
    throw ModelNotFoundError(message, std::move(context));
  }
  if (code == "context_length_exceeded" || e.type == "context_length_exceeded" || status == 413) {
    throw BadRequestError(message, std::move(context), BadRequestError::Cause::context_length);
  }
  if (status == 429 || status == 498 || e.status == "RESOURCE_EXHAUSTED") {
    const bool daily = contains(e.message, "(RPD)") || contains(e.message, "(TPD)") || contains(e.message, "per day");
    const bool capacity = code == "queue_exceeded" || code == "capacity_exceeded" || status == 498;
    throw RateLimitError(message, std::move(context),
                         capacity ? RateLimitError::Scope::provider : RateLimitError::Scope::key, daily);
  }
  if (code == "content_policy_violation" || code == "content_filter") {
    // A 400 whose cause is the content, not its form: the provider's reason is the message.
    throw ContentFilteredError(message, std::move(context));
  }
  if (code == "tool_use_failed" || code == "json_validate_failed") {
    throw BadRequestError(message, std::move(context), BadRequestError::Cause::model_output);
  }
  if (status == 400 || status == 422 || e.status == "INVALID_ARGUMENT") {
    throw BadRequestError(message, std::move(context));
  }
  if (status == 408 || status == 409 || status >= 500 || e.status == "UNAVAILABLE" ||
      e.status == "INTERNAL" || e.status == "DEADLINE_EXCEEDED" || status == 499) {
    throw ProviderUnavailableError(message, std::move(context));
  }
  (void)provider;
  throw UnknownError(message, std::move(context));
}

void throw_for_status(Provider provider, const CallOptions& options, const HttpResponse& response) {
  throw_for_error(provider, make_context(provider, options, &response), parse_error_body(response.body),
                  static_cast<int>(response.status), &response, options.api_key);
}

void throw_for_transport(Provider provider, const CallOptions& options, const HttpResponse& response) {
  ErrorContext context = make_context(provider, options, &response);
  context.body_excerpt.clear();
  const std::string message = redact(response.failure_message, options.api_key);
  if (response.failure == TransportFailure::timeout) throw TimeoutError(message, std::move(context));
  throw ProviderUnavailableError(message, std::move(context));
}

void throw_invalid_response(Provider provider, const CallOptions& options, const HttpResponse& response,
                            std::string_view why) {
  throw InvalidJsonResponseError(redact(why, options.api_key), make_context(provider, options, &response));
}

json success_json(Provider provider, const CallOptions& options, const HttpResponse& response) {
  if (response.failure != TransportFailure::none) throw_for_transport(provider, options, response);
  if (response.status < 200 || response.status >= 300) throw_for_status(provider, options, response);
  json body = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    throw_invalid_response(provider, options, response,
                           response.body.empty() ? "empty body on a success status" : "malformed JSON on a success status");
  }
  if (!body.is_object()) throw_invalid_response(provider, options, response, "expected a JSON object");
  if (body.contains("error") && !body["error"].is_null()) {
    // Some proxies answer 200 with an error envelope.
    ErrorBody e = parse_error_json(body);
    throw_for_error(provider, make_context(provider, options, &response), e,
                    e.status_code != 0 ? e.status_code : 500, &response, options.api_key);
  }
  return body;
}

}  // namespace polyrouter::detail
