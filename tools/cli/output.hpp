#pragma once
// Rendering for the terminal and for --json. Only labels ever reach the output, never keys.

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "polyrouter/errors.hpp"
#include "polyrouter/observe.hpp"
#include "polyrouter/response.hpp"

namespace polyrouter::cli {

/// JSON whose fields keep the order they were written in.
using Json = nlohmann::ordered_json;

/// {provider, pool, model, key, outcome, status, latency_ms, retry_after_ms, error}
Json to_json(const Attempt& attempt);
Json to_json(const std::vector<Attempt>& attempts);
/// {prompt_tokens, completion_tokens, reasoning_tokens, total_tokens}
Json to_json(const Usage& usage);
/// {text, provider, pool, model, key, finish_reason, usage, attempts}
Json to_json(const Response& response);
/// {pools: [{name, provider, keys: [...], models: [...]}]}
Json to_json(const HealthSnapshot& health);

/// The class name of a typed error ("AllClientsExhaustedError").
std::string error_type_name(ErrorKind kind);

/// "cerebras gpt-oss-120b with CEREBRAS_API_KEY0 after 6 attempts (finish: stop, tokens: 12 in / 5 out)"
std::string describe(const Response& response);

/// The first line of @p text, cut to @p limit characters with "..." when longer.
std::string clip(std::string text, std::size_t limit);

/// "HTTP 401 invalid_api_key: Invalid API Key": status, provider code, transport failure and
/// (with @p with_message) the message, without the tag and labels; clipped to 90 characters.
std::string brief(const Error& e, bool with_message = true);

/// "250 ms", "1.5 s", "30 s", "2 min 5 s", "3 h 2 min".
std::string format_duration(std::chrono::milliseconds duration);

/// A left-aligned fixed-width table with a header row; no trailing newline.
std::string format_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);

}  // namespace polyrouter::cli
