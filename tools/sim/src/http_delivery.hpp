#pragma once

// Writes a Reply onto an httplib response, including the deliberately broken deliveries
// (dropped connections, cut streams), which need httplib's content providers.

#include <httplib.h>

#include <chrono>
#include <functional>

#include "provider_wire.hpp"

namespace polyrouter::sim::detail {

/// Waits up to a duration, returning early when the server stops.
using Wait = std::function<void(std::chrono::milliseconds)>;

/// A Delivery::reset reply is the caller's to carry out: it needs the connection itself.
void deliver(const Reply& reply, httplib::Response& response, Wait wait);

}  // namespace polyrouter::sim::detail
