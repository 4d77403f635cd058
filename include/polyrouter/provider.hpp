#pragma once
/// @file Which provider a pool, a client, an attempt or an error belongs to.

#include <optional>
#include <string_view>

#include "polyrouter/export.hpp"

namespace polyrouter {

/// A provider's name: one of the built-in families ("groq", "gemini", "cerebras",
/// "openai_compatible", and those the provider registry adds) or a custom client's own name.
/// A small value: compared by name, copied freely; the text lives for the whole program.
class POLYROUTER_API Provider {
 public:
  /// No provider ("").
  constexpr Provider() noexcept = default;
  /// Any name, e.g. a custom client's ("my-llm"); the text is copied once and kept.
  explicit Provider(std::string_view name);

  constexpr std::string_view name() const noexcept { return name_; }
  constexpr bool empty() const noexcept { return name_.empty(); }

  friend constexpr bool operator==(Provider a, Provider b) noexcept { return a.name_ == b.name_; }
  friend constexpr bool operator!=(Provider a, Provider b) noexcept { return a.name_ != b.name_; }
  friend constexpr bool operator<(Provider a, Provider b) noexcept { return a.name_ < b.name_; }

  /// The families every build knows (the registry may list more: provider_from_string()).
  static const Provider groq;
  static const Provider gemini;
  static const Provider cerebras;
  /// Any other server of the OpenAI Chat Completions protocol (vLLM, llama.cpp, a gateway).
  static const Provider openai_compatible;

 private:
  struct Literal {};
  constexpr Provider(Literal, std::string_view name) noexcept : name_(name) {}
  std::string_view name_;
};

inline constexpr Provider Provider::groq{Literal{}, "groq"};
inline constexpr Provider Provider::gemini{Literal{}, "gemini"};
inline constexpr Provider Provider::cerebras{Literal{}, "cerebras"};
inline constexpr Provider Provider::openai_compatible{Literal{}, "openai_compatible"};

/// The provider's name: "groq", "gemini", "anthropic", "my-llm"...
constexpr std::string_view to_string(Provider provider) noexcept { return provider.name(); }

/// A provider the registry knows by @p name ("groq", "anthropic", ...); nullopt otherwise.
POLYROUTER_API std::optional<Provider> provider_from_string(std::string_view name) noexcept;

}  // namespace polyrouter
