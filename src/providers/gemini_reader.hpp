#pragma once
// The fast path for a generateContent answer: one streaming (SAX) pass over the body that keeps
// only what a Response carries, with no JSON tree built and freed per answer.

#include <optional>
#include <string_view>

#include "providers/gemini_codec.hpp"

namespace polyrouter::detail::gemini {

/// What decode_response(json::parse(body)) gives when @p body is a well-formed JSON object with
/// no error envelope and either a first candidate (its text, functionCall and thought parts,
/// finishReason) or a prompt block (promptFeedback.blockReason), plus usageMetadata and
/// responseId. Anything else (malformed JSON, a first candidate that is not an object, no
/// candidates and no block, a repeated field) gives nullopt: the caller then decodes the body as a
/// tree, which names what is wrong.
std::optional<Decoded> read_response(std::string_view body);

}  // namespace polyrouter::detail::gemini
