#pragma once

// Turns an httplib request on a provider route into a Call: who is asking (key as received),
// for which model, streamed or not. The provider-specific parts are where the key and the
// model live.

#include <httplib.h>

#include "responder.hpp"

namespace polyrouter::sim::detail {

/// Groq or Cerebras chat: Bearer key, model and stream flag from the JSON body.
Call read_chat_call(Provider provider, const httplib::Request& request);
/// Gemini generateContent / streamGenerateContent: model from the path (matches[1]).
Call read_gemini_call(const httplib::Request& request, bool stream);
/// Anthropic POST /v1/messages: x-api-key; the version header, the required fields and the
/// closed field list checked as the API does; model and stream flag from the body.
Call read_anthropic_call(const httplib::Request& request);
/// Whether a GET /v1/models comes from an Anthropic client (x-api-key or anthropic-version),
/// not a Cerebras one (Bearer): both APIs use that path.
bool is_anthropic_request(const httplib::Request& request);
/// GET .../models of any provider.
Call read_models_call(Provider provider, const httplib::Request& request);

}  // namespace polyrouter::sim::detail
