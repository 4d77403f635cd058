#pragma once

#include "polyrouter/sim/export.hpp"

namespace polyrouter::sim::detail {

/// Shuts down the server side of every connection this process accepted on @p port.
///
/// cpp-httplib 0.11 keeps an idle kept-alive connection's worker waiting for the next request
/// for up to the keep-alive timeout, even after stop(), and clients such as libcurl keep such
/// connections open in their caches. Shutting the sockets down wakes those workers at once, so
/// stopping a server never waits out the timeout.
/// Exported although internal: the tests' own loopback server (tests/support) uses it too.
POLYROUTER_SIM_API void shutdown_accepted_sockets(int port);

/// Shuts down the one connection accepted on @p port from the client's @p remote_port: the
/// client sees it close before any response byte.
void shutdown_connection(int port, int remote_port);

}  // namespace polyrouter::sim::detail
