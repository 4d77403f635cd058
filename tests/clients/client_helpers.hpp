#pragma once
// Helpers shared by the client tests (one definition, so the test files also build as one
// unity translation unit).

#include <chrono>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "polyrouter/polyrouter.hpp"

namespace polyrouter::test {

/// Options for one call, with time limits far above any answer here that still bound a hung test.
inline CallOptions options_for(std::string model, std::string key, std::string label) {
  CallOptions o;
  o.model = std::move(model);
  o.api_key = std::move(key);
  o.key_label = std::move(label);
  o.timeout = std::chrono::seconds(10);
  o.connect_timeout = std::chrono::seconds(2);
  return o;
}

inline ChatRequest hello() { return ChatRequest::from_prompt("Hello"); }

inline std::string str(std::string_view s) { return std::string(s); }

inline bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

/// A JSON-schema parameter object for a get_weather(city) tool.
inline const nlohmann::json& weather_parameters() {
  static const nlohmann::json parameters = {
      {"type", "object"}, {"properties", {{"city", {{"type", "string"}}}}}, {"required", {"city"}}};
  return parameters;
}

}  // namespace polyrouter::test
