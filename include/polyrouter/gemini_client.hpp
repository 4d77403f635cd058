#pragma once
/// @file Client for the Gemini Developer API (generateContent), key in the x-goog-api-key header.

#include <string_view>

#include "polyrouter/export.hpp"
#include "polyrouter/wire_client.hpp"

namespace polyrouter {

/// Speaks POST {root}/v1beta/models/{model}:generateContent.
class POLYROUTER_API GeminiClient : public WireClient {
 public:
  /// Default root, as the official SDK names it (GEMINI_BASE_URL).
  static constexpr std::string_view default_root = "https://generativelanguage.googleapis.com";

  /// @p root without the version path; the client appends /v1beta.
  explicit GeminiClient(std::string_view root = default_root, HttpOptions http = {});
};

}  // namespace polyrouter
