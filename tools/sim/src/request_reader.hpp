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
/// GET .../models of any provider.
Call read_models_call(Provider provider, const httplib::Request& request);

}  // namespace polyrouter::sim::detail
