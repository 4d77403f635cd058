#pragma once
// The Anthropic Messages API as a WireCodec (private): POST {root}/v1/messages with the key in
// x-api-key and anthropic-version 2023-06-01; GET {root}/v1/models paged with after_id.

#include <memory>
#include <string>

#include "providers/wire.hpp"

namespace polyrouter::detail::anthropic {

/// The version every request names (the API refuses a request without one).
inline constexpr const char* api_version = "2023-06-01";

/// The codec for @p api_base (the root plus /v1).
std::shared_ptr<const WireCodec> make_codec(Provider provider, std::string api_base, HttpOptions http);

}  // namespace polyrouter::detail::anthropic
