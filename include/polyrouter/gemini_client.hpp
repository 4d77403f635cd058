#pragma once
/// @file Client for the Gemini Developer API (generateContent), key in the x-goog-api-key header.

#include <string>
#include <string_view>

#include "polyrouter/llm_client.hpp"

namespace polyrouter {

/// Speaks POST {root}/v1beta/models/{model}:generateContent.
class GeminiClient : public LLMClient {
 public:
  /// Default root, as the official SDK names it (GEMINI_BASE_URL).
  static constexpr std::string_view default_root = "https://generativelanguage.googleapis.com";

  /// @p root without the version path; the client appends /v1beta.
  explicit GeminiClient(std::string_view root = default_root, HttpOptions http = {});

  Provider provider() const noexcept override { return Provider::gemini; }
  Response complete(const ChatRequest& request, const CallOptions& options) override;
  Response stream(const ChatRequest& request, const CallOptions& options, const DeltaCallback& on_delta) override;
  std::vector<ModelInfo> list_models(const CallOptions& options) override;

  /// The versioned base URL requests go to ("…/v1beta").
  const std::string& api_base() const noexcept { return api_base_; }
  /// The HTTP settings this client was made with.
  const HttpOptions& http_options() const noexcept { return http_; }

 private:
  std::string api_base_;
  HttpOptions http_;
};

}  // namespace polyrouter
