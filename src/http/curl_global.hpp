#pragma once

namespace polyrouter::detail {

/// Runs curl_global_init exactly once per process, before the first handle is made.
/// Never paired with curl_global_cleanup: other code in the process may still use libcurl.
void ensure_curl_global_init();

}  // namespace polyrouter::detail
