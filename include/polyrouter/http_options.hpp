#pragma once
/// @file HTTP settings of the built-in clients.

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "polyrouter/export.hpp"

namespace polyrouter {

/// HTTP settings shared by the built-in clients.
struct POLYROUTER_API HttpOptions {
  /// A plain body, or a single event of a stream, beyond this fails as too_large (a stream as a
  /// whole is not bounded by it).
  std::size_t max_response_bytes = std::size_t{8} << 20;
  std::vector<std::pair<std::string, std::string>> extra_headers;
};

}  // namespace polyrouter
