#pragma once
/// @file What a stream hands each piece of text to.

#include <functional>
#include <string_view>

namespace polyrouter {

/// Receives each streamed text delta; return false to stop the stream.
using DeltaCallback = std::function<bool(std::string_view delta)>;

}  // namespace polyrouter
