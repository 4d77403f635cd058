#pragma once
// The fast path for a plain chat.completion: one streaming (SAX) pass over the body that keeps
// only what a Response carries, with no JSON tree built and freed per answer.

#include <optional>
#include <string_view>

#include "polyrouter/response.hpp"

namespace polyrouter::detail::openai {

/// The Response in @p body when it is a well-formed chat.completion whose first choice has a
/// message without tool calls and which carries no error envelope. Anything else (malformed
/// JSON, tool calls, an error, a missing choice, a repeated object) gives nullopt: the caller
/// then decodes the body as a tree, which names what is wrong. Where both succeed they agree.
std::optional<Response> read_plain_response(std::string_view body);

}  // namespace polyrouter::detail::openai
