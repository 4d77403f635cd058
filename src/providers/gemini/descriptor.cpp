// Gemini Developer API: generateContent under /v1beta, key in x-goog-api-key. Its errors are
// google.rpc.Status envelopes whose details (ErrorInfo, RetryInfo, QuotaFailure) say more than
// the status: the rules below read them before the shared classifier runs.
#include <string_view>

#include <nlohmann/json.hpp>

#include "polyrouter/mask.hpp"
#include "providers/error_body.hpp"
#include "providers/registry.hpp"
#include "providers/wire.hpp"
#include "retry_hints.hpp"

namespace polyrouter::detail {
namespace {

using json = nlohmann::json;

std::string string_at(const json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The detail of google.rpc type @p type ("google.rpc.RetryInfo"), or null.
const json* detail_of(const ErrorBody& e, std::string_view type) {
  if (!e.details.is_array()) return nullptr;
  for (const json& d : e.details) {
    if (!d.is_object()) continue;
    const std::string t = string_at(d, "@type");
    if (t.size() >= type.size() && t.compare(t.size() - type.size(), type.size(), type) == 0) return &d;
  }
  return nullptr;
}

bool per_day_quota(const ErrorBody& e) {
  const json* failure = detail_of(e, "google.rpc.QuotaFailure");
  if (failure == nullptr) return false;
  auto violations = failure->find("violations");
  if (violations == failure->end() || !violations->is_array()) return false;
  for (const json& v : *violations) {
    if (v.is_object() && string_at(v, "quotaId").find("PerDay") != std::string::npos) return true;
  }
  return false;
}

void classify(const ErrorBody& e, int status, const HttpResponse* /*response*/, ErrorContext& context,
              const std::string& message, std::string_view secret) {
  const json* info = detail_of(e, "google.rpc.ErrorInfo");
  const std::string reason = info != nullptr ? string_at(*info, "reason") : std::string();
  // The reason ("API_KEY_INVALID") names the failure better than the status does.
  if (!reason.empty() && e.code.empty()) context.provider_code = redact(reason, secret);
  if (reason == "API_KEY_INVALID") throw InvalidApiKeyError(message, std::move(context));
  if (status == 429 || e.status == "RESOURCE_EXHAUSTED") {
    if (e.message.find("limit: 0") != std::string::npos) {
      // The free tier without access to this model: it will never succeed on this key.
      throw RateLimitError(message, std::move(context), RateLimitError::Scope::key, /*daily=*/true,
                           /*no_quota=*/true);
    }
    if (per_day_quota(e)) throw RateLimitError(message, std::move(context), RateLimitError::Scope::key, true);
  }
}

std::optional<std::chrono::milliseconds> retry_hint(const ErrorBody& e, const HttpResponse& /*response*/) {
  const json* retry = detail_of(e, "google.rpc.RetryInfo");
  return retry != nullptr ? parse_proto_duration(string_at(*retry, "retryDelay")) : std::nullopt;
}

}  // namespace

const ProviderDescriptor& descriptor_gemini() {
  static const ProviderDescriptor d{Provider::gemini,
                                    "GEMINI",
                                    "https://generativelanguage.googleapis.com",
                                    "/v1beta",
                                    {"gemini-2.5-flash", "gemini-3-flash-preview"},
                                    /*from_environment=*/true,
                                    /*order=*/20,
                                    make_gemini_codec,
                                    {classify, retry_hint}};
  return d;
}

}  // namespace polyrouter::detail
