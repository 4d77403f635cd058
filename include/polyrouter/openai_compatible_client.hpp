#pragma once
/// @file Client for the OpenAI Chat Completions protocol: Groq, Cerebras, OpenAI, vLLM, llama.cpp...

#include <string>
#include <string_view>

#include "polyrouter/llm_client.hpp"

namespace polyrouter {

/// Speaks POST {api_base}/chat/completions with a Bearer key.
class OpenAICompatibleClient : public LLMClient {
 public:
  /// Default roots, as the official SDKs name them (GROQ_BASE_URL, CEREBRAS_BASE_URL).
  static constexpr std::string_view groq_default_root = "https://api.groq.com";
  static constexpr std::string_view cerebras_default_root = "https://api.cerebras.ai";

  /// @p api_base includes the version path, as OpenAI's SDK takes it
  /// ("https://api.openai.com/v1", "http://localhost:8080/v1").
  explicit OpenAICompatibleClient(std::string api_base,
                                  Provider provider = Provider::openai_compatible,
                                  HttpOptions http = {});

  /// Groq at @p root (the client appends /openai/v1).
  static OpenAICompatibleClient groq(std::string_view root = groq_default_root, HttpOptions http = {});
  /// Cerebras at @p root (the client appends /v1).
  static OpenAICompatibleClient cerebras(std::string_view root = cerebras_default_root,
                                         HttpOptions http = {});

  Provider provider() const noexcept override { return provider_; }
  Response complete(const ChatRequest& request, const CallOptions& options) override;
  Response stream(const ChatRequest& request, const CallOptions& options, const DeltaCallback& on_delta) override;
  std::vector<ModelInfo> list_models(const CallOptions& options) override;

  /// The versioned base URL requests go to.
  const std::string& api_base() const noexcept { return api_base_; }
  /// The HTTP settings this client was made with.
  const HttpOptions& http_options() const noexcept { return http_; }

 private:
  std::string api_base_;
  Provider provider_;
  HttpOptions http_;
};

}  // namespace polyrouter
