#pragma once

// The misbehaviours of a provider under stress (issue 13's fault suite): connections that close
// before answering, streams that start late, stall, carry a broken event or end without their
// terminator, and the 400s a fallback must or must not absorb. Each breaks a healthy reply.

#include "provider_wire.hpp"
#include "responder.hpp"

namespace polyrouter::sim::detail {

/// Whether @p behavior is one of the faults below.
bool is_fault_behavior(Behavior behavior);

/// The reply for a fault rule, made from the @p healthy reply the call would otherwise get.
Reply fault_reply(const Call& call, const Rule& rule, Reply healthy, const ProviderWire& wire);

}  // namespace polyrouter::sim::detail
