// A key's identity for health stores: HMAC-SHA256 under a secret, never the key or a plain hash.

#include "health/key_fingerprint.hpp"

#include <algorithm>
#include <random>

#include "health/hmac_sha256.hpp"
#include "polyrouter/errors.hpp"
#include "polyrouter/health_store.hpp"

namespace polyrouter {

KeyFingerprint KeyFingerprint::of(std::string_view secret, std::string_view key) {
  if (secret.empty()) throw ConfigError("a key fingerprint needs a secret (an empty one would be a plain hash)");
  const detail::Sha256Digest mac = detail::hmac_sha256(secret, key);
  KeyFingerprint f;
  std::copy_n(mac.begin(), f.bytes.size(), f.bytes.begin());  // HMAC truncated to 128 bits (RFC 2104 §5)
  return f;
}

std::string KeyFingerprint::hex() const {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 0x0f]);
  }
  return out;
}

namespace detail {

const std::string& process_fingerprint_secret() {
  static const std::string secret = [] {
    std::random_device random;  // the OS's entropy source (getrandom / /dev/urandom) on Linux
    std::string s(32, '\0');
    for (std::size_t i = 0; i < s.size(); i += 4) {
      const std::uint32_t r = random();
      for (std::size_t j = 0; j < 4; ++j) s[i + j] = static_cast<char>(r >> (8 * j));
    }
    return s;
  }();
  return secret;
}

}  // namespace detail
}  // namespace polyrouter
