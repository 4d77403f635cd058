#pragma once
// The provider registry (private): one descriptor per provider family says everything the
// library needs to know about it. The descriptors are the files src/providers/*/descriptor.cpp;
// CMake collects them, so adding a wire protocol touches its own folder only (plus the
// simulator's wire, tests and docs).

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "polyrouter/errors.hpp"
#include "polyrouter/llm_client.hpp"

namespace polyrouter::detail {

class WireCodec;
struct ErrorBody;
struct HttpResponse;

/// Rules only this provider's errors need; the shared classifier (error_body.cpp) runs after them.
struct ErrorRules {
  /// Throws the typed error when the provider's own signals decide it; returns to let the shared
  /// rules decide. @p context is complete (provider code and retry hint set); @p message masked.
  /// @p secret: the key, to mask wherever provider text goes into the context.
  void (*classify)(const ErrorBody& error, int status, const HttpResponse* response, ErrorContext& context,
                   const std::string& message, std::string_view secret) = nullptr;
  /// A retry hint the shared header rules do not know (e.g. a reset time in a provider header).
  std::optional<std::chrono::milliseconds> (*retry_hint)(const ErrorBody& error,
                                                         const HttpResponse& response) = nullptr;
};

struct ProviderDescriptor {
  Provider provider;
  /// Where from_env() and the CLI look: GROQ → GROQ_API_KEY0.., GROQ_API_KEY, GROQ_BASE_URL.
  std::string_view env_prefix;
  /// The root a pool without base_url talks to; empty = a base_url is required.
  std::string_view default_root;
  /// Appended to a root to reach the API ("/openai/v1"). Empty when the base URL a user gives
  /// already holds it (OpenAI's SDK convention: OPENAI_BASE_URL=https://api.openai.com/v1).
  std::string_view version_path;
  /// The models a pool uses when none are configured.
  std::vector<std::string> default_models;
  /// Whether from_env() adds a pool for it when its keys are set (not for the generic
  /// openai_compatible family, which needs an endpoint named in the config file).
  bool from_environment = true;
  /// Position in the default pool order (lower first).
  int order = 100;
  /// The wire codec for @p api_base (the root plus version_path, or the base URL as given).
  std::shared_ptr<const WireCodec> (*make_codec)(Provider provider, std::string api_base, HttpOptions http) = nullptr;
  ErrorRules errors;
};

/// Every registered provider, in default pool order.
const std::vector<const ProviderDescriptor*>& registered_providers();

/// The descriptor of @p provider; null for a custom client's own name.
const ProviderDescriptor* find_provider(Provider provider) noexcept;

/// The API base a pool of @p descriptor talks to: its base_url (or default root) with the
/// version path appended, trailing slashes removed.
std::string api_base_of(const ProviderDescriptor& descriptor, std::string_view base_url);

}  // namespace polyrouter::detail
