#pragma once
/// @file Showing secrets safely.

#include <string>
#include <string_view>

#include "polyrouter/export.hpp"

namespace polyrouter {

/// A key as it may be shown: its prefix and last four characters, e.g. "gsk_…a1b2".
/// Short keys show only "…" and at most their last two characters.
POLYROUTER_API std::string mask_key(std::string_view key);

/// @p text with every occurrence of @p secret replaced by mask_key(secret), and any
/// substring shaped like a provider key (gsk_…, csk-…, AIza…, sk-…) masked as well.
POLYROUTER_API std::string redact(std::string_view text, std::string_view secret = {});

/// @p url as it may be logged: redact(), plus the password of its user info and the value of
/// every query parameter whose name suggests a credential (key, token, secret, password,
/// signature, auth) masked, e.g. "https://…@host/v1?key=…a1b2".
POLYROUTER_API std::string redact_url(std::string_view url, std::string_view secret = {});

}  // namespace polyrouter
