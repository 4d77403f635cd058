#pragma once
/// @file A function call the model asked for; in answers and in assistant turns.

#include <string>

#include "polyrouter/export.hpp"

namespace polyrouter {

/// One function call requested by the model.
struct POLYROUTER_API ToolCall {
  std::string id;         ///< provider's call id; Gemini has none, so one is made up
  std::string name;       ///< function name
  std::string arguments;  ///< arguments as JSON text, exactly as the model produced them (may be invalid)
  std::string signature;  ///< provider-opaque token to echo back (Gemini thoughtSignature), else empty
};

}  // namespace polyrouter
