#pragma once
/// @file Client for the OpenAI Chat Completions protocol: Groq, Cerebras, OpenAI, vLLM, llama.cpp...

#include <string>
#include <string_view>

#include "polyrouter/export.hpp"
#include "polyrouter/wire_client.hpp"

namespace polyrouter {

/// Speaks POST {api_base}/chat/completions with a Bearer key.
class POLYROUTER_API OpenAICompatibleClient : public WireClient {
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
};

}  // namespace polyrouter
