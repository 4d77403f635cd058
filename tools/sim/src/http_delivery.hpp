#pragma once

// Writes a Reply onto an httplib response, including the deliberately broken deliveries
// (dropped connections, cut streams), which need httplib's content providers.

#include <httplib.h>

#include "provider_wire.hpp"

namespace polyrouter::sim::detail {

void deliver(const Reply& reply, httplib::Response& response);

}  // namespace polyrouter::sim::detail
