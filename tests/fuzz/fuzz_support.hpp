#pragma once
// Shared by the libFuzzer harnesses (white-box: they call src/ internals). A broken invariant
// aborts, which libFuzzer reports as a crash with the input that caused it.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

#include "polyrouter/errors.hpp"
#include "polyrouter/llm_client.hpp"

namespace polyrouter::fuzz {

/// The key every harness calls with; no text a harness checks may contain it.
inline const std::string kKey = "sk-live-FuzzKey0123456789abcdefghijklmnopqrstuv";

[[noreturn]] inline void fail(std::string_view why, std::string_view text = {}) {
  std::fprintf(stderr, "invariant broken: %.*s\n%.*s\n", static_cast<int>(why.size()), why.data(),
               static_cast<int>(text.size()), text.data());
  std::abort();
}

inline CallOptions call_options() {
  CallOptions options;
  options.model = "fuzz-model";
  options.api_key = kKey;
  options.key_label = "FUZZ_KEY0";
  return options;
}

inline void require_no_key(std::string_view text) {
  if (text.find(kKey) != std::string_view::npos) fail("the key leaked", text);
}

/// Every text of a typed error: no key, and a retry hint that is >= 0 and capped.
inline void check_error(const Error& e) {
  require_no_key(e.what());
  require_no_key(e.detail());
  require_no_key(e.provider_code());
  require_no_key(e.context().body_excerpt);
  if (auto hint = e.retry_after()) {
    constexpr std::chrono::milliseconds cap{1'000'000'000'000};  // 10^9 s, the parsers' cap
    if (hint->count() < 0 || *hint > cap) fail("retry hint out of range", e.what());
  }
}

/// Runs @p parse; only a polyrouter::Error (checked) or the @p Allowed exceptions may escape it.
template <typename Allowed = Error, typename F>
void only_typed_errors(F&& parse) {
  try {
    parse();
  } catch (const Error& e) {
    check_error(e);
  } catch (const Allowed&) {
  } catch (const std::exception& e) {
    fail("an exception outside the polyrouter family", e.what());
  }
}

}  // namespace polyrouter::fuzz
