#pragma once
// SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), compact and dependency-free (private).
// Used only to fingerprint API keys once per orchestrator, so clarity beats speed here.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace polyrouter::detail {

using Sha256Digest = std::array<std::uint8_t, 32>;

/// Incremental SHA-256.
class Sha256 {
 public:
  Sha256();
  void update(std::string_view data);
  /// The digest of everything given; the object is spent afterwards.
  Sha256Digest finish();

 private:
  void compress(const std::uint8_t* block);
  std::array<std::uint32_t, 8> state_;
  std::array<std::uint8_t, 64> buffer_{};
  std::size_t buffered_ = 0;
  std::uint64_t length_ = 0;  ///< bytes given so far
};

Sha256Digest sha256(std::string_view data);
Sha256Digest hmac_sha256(std::string_view key, std::string_view message);

}  // namespace polyrouter::detail
