#include "output.hpp"

#include <algorithm>
#include <cstdio>

namespace polyrouter::cli {
namespace {

Json optional_ms(const std::optional<std::chrono::milliseconds>& value) {
  return value ? Json(value->count()) : Json(nullptr);
}

}  // namespace

Json to_json(const Attempt& attempt) {
  Json out;
  out["provider"] = std::string(to_string(attempt.provider));
  out["pool"] = attempt.pool;
  out["model"] = attempt.model;
  out["key"] = attempt.key_label;
  out["outcome"] = std::string(to_string(attempt.outcome));
  out["status"] = attempt.http_status != 0 ? Json(attempt.http_status) : Json(nullptr);
  out["latency_ms"] = attempt.latency.count();
  out["retry_after_ms"] = optional_ms(attempt.retry_after);
  out["error"] = attempt.error.empty() ? Json(nullptr) : Json(attempt.error);
  return out;
}

Json to_json(const std::vector<Attempt>& attempts) {
  Json out = Json::array();
  for (const Attempt& a : attempts) out.push_back(to_json(a));
  return out;
}

Json to_json(const Usage& usage) {
  Json out;
  out["prompt_tokens"] = usage.prompt_tokens;
  out["completion_tokens"] = usage.completion_tokens;
  out["reasoning_tokens"] = usage.reasoning_tokens;
  out["total_tokens"] = usage.total_tokens;
  return out;
}

Json to_json(const Response& response) {
  Json out;
  out["text"] = response.text;
  out["provider"] = std::string(to_string(response.provider));
  out["pool"] = response.pool;
  out["model"] = response.model;
  out["key"] = response.key_label;
  out["finish_reason"] = std::string(to_string(response.finish_reason));
  out["usage"] = to_json(response.usage);
  if (!response.tool_calls.empty()) {
    Json calls = Json::array();
    for (const ToolCall& call : response.tool_calls) {
      calls.push_back(Json{{"id", call.id}, {"name", call.name}, {"arguments", call.arguments}});
    }
    out["tool_calls"] = std::move(calls);
  }
  out["attempts"] = to_json(response.attempts);
  return out;
}

Json to_json(const HealthSnapshot& health) {
  Json pools = Json::array();
  for (const PoolHealth& pool : health.pools) {
    Json keys = Json::array();
    for (const KeyHealth& key : pool.keys) {
      keys.push_back(Json{{"key", key.label},
                          {"state", std::string(to_string(key.state))},
                          {"reset_in_ms", optional_ms(key.reset_in)}});
    }
    Json models = Json::array();
    for (const ModelHealth& model : pool.models) {
      Json cooldowns = Json::array();
      for (const Cooldown& c : model.cooldowns) {
        cooldowns.push_back(Json{{"key", c.key_label}, {"reset_in_ms", c.reset_in.count()}});
      }
      models.push_back(Json{{"model", model.model},
                            {"state", std::string(to_string(model.state))},
                            {"reset_in_ms", optional_ms(model.reset_in)},
                            {"cooldowns", std::move(cooldowns)}});
    }
    pools.push_back(Json{{"name", pool.name},
                         {"provider", std::string(to_string(pool.provider))},
                         {"keys", std::move(keys)},
                         {"models", std::move(models)}});
  }
  return Json{{"pools", std::move(pools)}};
}

std::string error_type_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::invalid_api_key: return "InvalidApiKeyError";
    case ErrorKind::rate_limit: return "RateLimitError";
    case ErrorKind::model_not_found: return "ModelNotFoundError";
    case ErrorKind::bad_request: return "BadRequestError";
    case ErrorKind::content_filtered: return "ContentFilteredError";
    case ErrorKind::provider_unavailable: return "ProviderUnavailableError";
    case ErrorKind::timeout: return "TimeoutError";
    case ErrorKind::invalid_json_response: return "InvalidJsonResponseError";
    case ErrorKind::stream_interrupted: return "StreamInterruptedError";
    case ErrorKind::no_api_keys: return "NoApiKeysError";
    case ErrorKind::no_model: return "NoModelError";
    case ErrorKind::config: return "ConfigError";
    case ErrorKind::all_models_failed: return "AllModelsFailedError";
    case ErrorKind::all_clients_exhausted: return "AllClientsExhaustedError";
    case ErrorKind::cancelled: return "CancelledError";
    case ErrorKind::unknown: return "UnknownError";
  }
  return "Error";
}

std::string describe(const Response& response) {
  std::string out = response.pool + " " + response.model + " with " + response.key_label;
  const std::size_t n = response.attempts.size();
  out += " after " + std::to_string(n) + (n == 1 ? " attempt" : " attempts");
  out += " (finish: " + std::string(to_string(response.finish_reason));
  if (response.usage.total_tokens > 0 || response.usage.prompt_tokens > 0) {
    out += ", tokens: " + std::to_string(response.usage.prompt_tokens) + " in / " +
           std::to_string(response.usage.completion_tokens) + " out";
  }
  return out + ")";
}

std::string clip(std::string text, std::size_t limit) {
  text = text.substr(0, text.find('\n'));
  if (text.size() > limit) text = text.substr(0, limit - 3) + "...";
  return text;
}

std::string brief(const Error& e, bool with_message) {
  std::string out;
  if (e.http_status() != 0) out += "HTTP " + std::to_string(e.http_status());
  if (!e.provider_code().empty()) out += (out.empty() ? "" : " ") + e.provider_code();
  if (e.context().transport != TransportFailure::none) {
    out += (out.empty() ? "" : " ") + std::string("transport ") + std::string(to_string(e.context().transport));
  }
  if (with_message && !e.detail().empty()) out += (out.empty() ? "" : ": ") + e.detail();
  return out.substr(0, out.find('\n'));  // whole: a reason cut mid-word explains nothing
}

std::string format_duration(std::chrono::milliseconds duration) {
  const long long ms = duration.count();
  if (ms < 1000) return std::to_string(ms) + " ms";
  if (ms < 10000 && ms % 1000 != 0) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.1f s", static_cast<double>(ms) / 1000.0);
    return buffer;
  }
  const long long s = (ms + 999) / 1000;
  if (s < 60) return std::to_string(s) + " s";
  if (s < 3600) return std::to_string(s / 60) + " min" + (s % 60 ? " " + std::to_string(s % 60) + " s" : "");
  return std::to_string(s / 3600) + " h" + (s % 3600 / 60 ? " " + std::to_string(s % 3600 / 60) + " min" : "");
}

std::string format_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width(header.size(), 0);
  for (std::size_t c = 0; c < header.size(); ++c) width[c] = header[c].size();
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size() && c < width.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  const auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t c = 0; c < cells.size() && c < width.size(); ++c) {
      out += cells[c];
      if (c + 1 < cells.size()) out.append(width[c] - cells[c].size() + 2, ' ');
    }
    return out;
  };
  std::string out = line(header);
  for (const auto& row : rows) out += "\n" + line(row);
  return out;
}

}  // namespace polyrouter::cli
