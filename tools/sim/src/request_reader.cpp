#include "request_reader.hpp"

#include <cctype>
#include <string_view>
#include <utility>

namespace polyrouter::sim::detail {
namespace {

using nlohmann::json;

// Groq and Cerebras: "Authorization: Bearer <key>"; anything else counts as no key.
std::string bearer_token(const httplib::Request& request) {
  const auto header = request.get_header_value("Authorization");
  constexpr std::string_view prefix = "Bearer ";
  if (header.size() <= prefix.size()) return {};
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return {};
    }
  }
  return header.substr(prefix.size());
}

// Gemini: the x-goog-api-key header, else the `key` query parameter.
std::string gemini_key(const httplib::Request& request) {
  return request.has_header("x-goog-api-key") ? request.get_header_value("x-goog-api-key")
                                              : request.get_param_value("key");
}

}  // namespace

Call read_chat_call(Provider provider, const httplib::Request& request) {
  Call call;
  call.provider = provider;
  call.key = bearer_token(request);
  call.body_bytes = request.body.size();
  auto body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) {
    call.body_error = "failed to parse request body: expected a JSON object";
    return call;
  }
  const auto model = body.find("model");
  if (model == body.end() || !model->is_string()) {
    call.body_error = "'model' : property 'model' is missing or not a string";
  } else {
    call.model = model->get<std::string>();
  }
  const auto stream = body.find("stream");
  call.stream = stream != body.end() && stream->is_boolean() && stream->get<bool>();
  call.body = std::move(body);
  return call;
}

Call read_gemini_call(const httplib::Request& request, bool stream) {
  Call call;
  call.provider = Provider::gemini;
  call.key = gemini_key(request);
  call.model = request.matches[1];
  call.method = stream ? "streamGenerateContent" : "generateContent";
  call.stream = stream;
  call.sse = request.get_param_value("alt") == "sse";
  call.body_bytes = request.body.size();
  auto body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) {
    call.body_error = "Invalid JSON payload received. Expected an object.";
  } else {
    call.body = std::move(body);
  }
  return call;
}

Call read_models_call(Provider provider, const httplib::Request& request) {
  Call call;
  call.provider = provider;
  call.list_models = true;
  if (provider == Provider::gemini) {
    call.key = gemini_key(request);
  } else {
    call.key = bearer_token(request);
  }
  return call;
}

}  // namespace polyrouter::sim::detail
