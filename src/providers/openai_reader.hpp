#pragma once
// The fast path for a plain chat.completion: one streaming (SAX) pass over the body that keeps
// only what a Response carries, with no JSON tree built and freed per answer.

#include <optional>
#include <string_view>

#include "polyrouter/response.hpp"

namespace polyrouter::detail::openai {

/// The Response in @p body when it is a well-formed chat.completion whose first choice has a
/// message and which carries no error envelope; its function calls are read too (arguments as
/// the text sent; calls of another type skipped, as the tree decoder does). Anything else
/// (malformed JSON or tool call, an error, a missing choice, a repeated field) gives nullopt: the
/// caller then decodes the body as a tree, which names what is wrong. Where both succeed they
/// agree.
std::optional<Response> read_plain_response(std::string_view body);

}  // namespace polyrouter::detail::openai
