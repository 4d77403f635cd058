#pragma once
/// @file The provider families polyrouter speaks to.

#include <optional>
#include <string_view>

namespace polyrouter {

/// A provider family. Groq and Cerebras speak the OpenAI-compatible protocol with their own
/// base URLs; `openai_compatible` is any other server of that protocol (OpenAI, vLLM, llama.cpp).
enum class Provider { groq, gemini, cerebras, openai_compatible };

/// Lower-case name: "groq", "gemini", "cerebras", "openai_compatible".
std::string_view to_string(Provider provider) noexcept;

/// Parses a name as written by to_string(); nullopt when unknown.
std::optional<Provider> provider_from_string(std::string_view name) noexcept;

}  // namespace polyrouter
