#pragma once
// What redact() decides first, for callers that keep text they may not need to copy (private).

#include <string_view>

namespace polyrouter::detail {

/// Whether @p text holds @p secret or anything shaped like a key: when not, redact(text, secret)
/// is text unchanged.
bool may_need_redaction(std::string_view text, std::string_view secret) noexcept;

}  // namespace polyrouter::detail
