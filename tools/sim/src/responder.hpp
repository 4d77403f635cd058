#pragma once

// Decides what one request gets: credentials check, the matched rule's behavior, the model
// list check, then the provider's wire shape. Pure logic, no HTTP server involved.

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "provider_wire.hpp"
#include "scenario.hpp"

namespace polyrouter::sim::detail {

/// One request, as the routing layer understood it.
struct Call {
  Provider provider = Provider::groq;
  bool list_models = false;  // GET .../models rather than a chat request
  std::string key;           // as received; empty = no credentials
  std::string model;         // empty for model lists
  std::string method;        // Gemini RPC name (generateContent / streamGenerateContent)
  ModelPage page;            // model lists: the page asked for (Anthropic)
  bool stream = false;
  bool sse = true;  // Gemini streams without alt=sse answer one JSON array instead
  nlohmann::json body;                    // parsed request body (chat only)
  std::optional<std::string> body_error;  // set when the body is not a JSON object
  std::size_t body_bytes = 0;
  std::uint64_t serial = 0;
};

/// The reply for `call` under `rule` (nullopt = no rule matched: answer ok).
Reply respond(const Call& call, const std::optional<Rule>& rule, const Scenario& scenario);

}  // namespace polyrouter::sim::detail
