#include "polyrouter/errors.hpp"

#include <algorithm>

namespace polyrouter {
namespace {

std::string compose(ErrorKind kind, std::string_view detail, const ErrorContext& c) {
  std::string out = "[";
  out += tag(kind);
  out += "]";
  if (c.provider) {
    out += " ";
    out += to_string(*c.provider);
  }
  if (!c.model.empty()) out += " " + c.model;
  if (!c.key_label.empty()) out += " (" + c.key_label + ")";
  if (c.http_status != 0) out += " HTTP " + std::to_string(c.http_status);
  if (!c.provider_code.empty()) out += " " + c.provider_code;
  if (c.transport != TransportFailure::none) {
    out += " transport=";
    out += to_string(c.transport);
  }
  out += ": ";
  out += detail;
  if (c.retry_after) out += " (retry after " + std::to_string(c.retry_after->count()) + " ms)";
  return out;
}

std::string pad(std::string text, std::size_t width) {
  if (text.size() < width) text.append(width - text.size(), ' ');
  return text;
}

}  // namespace

std::string_view tag(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::invalid_api_key: return "polyrouter.invalid_api_key";
    case ErrorKind::rate_limit: return "polyrouter.rate_limit";
    case ErrorKind::model_not_found: return "polyrouter.model_not_found";
    case ErrorKind::bad_request: return "polyrouter.bad_request";
    case ErrorKind::content_filtered: return "polyrouter.content_filtered";
    case ErrorKind::provider_unavailable: return "polyrouter.provider_unavailable";
    case ErrorKind::timeout: return "polyrouter.timeout";
    case ErrorKind::invalid_json_response: return "polyrouter.invalid_json_response";
    case ErrorKind::stream_interrupted: return "polyrouter.stream_interrupted";
    case ErrorKind::no_api_keys: return "polyrouter.no_api_keys";
    case ErrorKind::no_model: return "polyrouter.no_model";
    case ErrorKind::config: return "polyrouter.config";
    case ErrorKind::all_models_failed: return "polyrouter.all_models_failed";
    case ErrorKind::all_clients_exhausted: return "polyrouter.all_clients_exhausted";
    case ErrorKind::cancelled: return "polyrouter.cancelled";
    case ErrorKind::unknown: return "polyrouter.unknown";
  }
  return "polyrouter.unknown";
}

std::string_view to_string(TransportFailure failure) noexcept {
  switch (failure) {
    case TransportFailure::none: return "none";
    case TransportFailure::resolve: return "resolve";
    case TransportFailure::connect: return "connect";
    case TransportFailure::tls: return "tls";
    case TransportFailure::send: return "send";
    case TransportFailure::receive: return "receive";
    case TransportFailure::timeout: return "timeout";
    case TransportFailure::too_large: return "too_large";
    case TransportFailure::aborted: return "aborted";
    case TransportFailure::other: return "other";
  }
  return "other";
}

Error::Error(ErrorKind kind, std::string_view message, ErrorContext context)
    : std::runtime_error(compose(kind, message, context)),
      kind_(kind),
      context_(std::move(context)),
      detail_(message) {}

AllModelsFailedError::AllModelsFailedError(std::string pool, std::vector<Attempt> attempts,
                                           ErrorContext context)
    : Error(ErrorKind::all_models_failed,
            "every model of pool '" + pool + "' failed (" + std::to_string(attempts.size()) +
                " attempts)",
            std::move(context)),
      pool_(std::move(pool)),
      attempts_(std::move(attempts)) {}

AllClientsExhaustedError::AllClientsExhaustedError(
    std::vector<Attempt> attempts, std::vector<AllModelsFailedError> pools,
    std::optional<std::chrono::milliseconds> earliest_reset, std::string_view reason, ErrorContext context)
    : Error(ErrorKind::all_clients_exhausted,
            std::string(reason) + "; " + std::to_string(attempts.size()) + " attempts" +
                (earliest_reset ? "; earliest reset in " + std::to_string(earliest_reset->count()) + " ms"
                                : std::string()) +
                (attempts.empty() ? std::string() : "\n" + format_attempts(attempts)),
            std::move(context)),
      attempts_(std::move(attempts)),
      pools_(std::move(pools)),
      earliest_reset_(earliest_reset) {}

std::string format_attempts(const std::vector<Attempt>& attempts) {
  std::size_t pool_w = 4, model_w = 5, key_w = 3, outcome_w = 7;
  for (const Attempt& a : attempts) {
    pool_w = std::max(pool_w, a.pool.size());
    model_w = std::max(model_w, a.model.size());
    key_w = std::max(key_w, a.key_label.size());
    outcome_w = std::max(outcome_w, to_string(a.outcome).size());
  }
  std::string out = "  # " + pad("pool", pool_w) + "  " + pad("model", model_w) + "  " +
                    pad("key", key_w) + "  " + pad("outcome", outcome_w) + "  status  latency  retry_after\n";
  for (std::size_t i = 0; i < attempts.size(); ++i) {
    const Attempt& a = attempts[i];
    const std::string number = std::to_string(i + 1);
    out += std::string(number.size() < 3 ? 3 - number.size() : 0, ' ') + number;  // right-aligned under "#"
    out += " " + pad(a.pool, pool_w) + "  " + pad(a.model, model_w) + "  " + pad(a.key_label, key_w) +
           "  " + pad(std::string(to_string(a.outcome)), outcome_w) + "  " +
           pad(a.http_status ? std::to_string(a.http_status) : "-", 6) + "  " +
           pad(std::to_string(a.latency.count()) + "ms", 7) + "  " +
           (a.retry_after ? std::to_string(a.retry_after->count()) + "ms" : "-");
    if (i + 1 < attempts.size()) out += "\n";
  }
  return out;
}

}  // namespace polyrouter
