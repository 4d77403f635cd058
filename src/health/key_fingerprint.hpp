#pragma once
// The secret keys are fingerprinted under when none is configured (private).

#include <string>

namespace polyrouter::detail {

/// 32 random bytes drawn once per process: orchestrators of one process agree on fingerprints
/// (so they can share a store); other processes cannot compute them.
const std::string& process_fingerprint_secret();

}  // namespace polyrouter::detail
