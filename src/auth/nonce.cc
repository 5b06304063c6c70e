#include <cstring>

#include <openssl/crypto.h>

#include "sipfront/auth/digest.h"

#include "hash.h"

namespace sipfront::auth {
namespace {

constexpr std::size_t kTimeHexLength = 16;  // 64-bit issue time
constexpr std::size_t kMacBytes = 16;       // HMAC-SHA256 truncated to 128 bits
static_assert(kTimeHexLength + 2 * kMacBytes == kNonceLength);

void TimeBytes(uint64_t t, uint8_t out[8]) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<uint8_t>(t & 0xff);
    t >>= 8;
  }
}

// Lowercase hex only: the nonce must come back exactly as minted.
int LowerHexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  return -1;
}

}  // namespace

struct NonceCodec::Impl {
  explicit Impl(std::span<const uint8_t, 32> secret) : hmac(secret) {}
  internal::HmacSha256 hmac;

  // 32 lowercase hex characters of the truncated HMAC over (time || lowercase realm).
  void MacHex(uint64_t t, std::string_view realm, char out[2 * kMacBytes]) const {
    uint8_t time_be[8];
    TimeBytes(t, time_be);
    uint8_t mac[SHA256_DIGEST_LENGTH];
    hmac.Mac(time_be, realm, mac);
    internal::ToHex(mac, kMacBytes, out);
  }
};

NonceCodec::NonceCodec(std::span<const uint8_t, 32> secret, uint32_t lifetime_s)
    : impl_(std::make_unique<Impl>(secret)), lifetime_(lifetime_s) {}

NonceCodec::~NonceCodec() = default;

void NonceCodec::Mint(uint64_t now, std::string_view realm, char* out) const {
  uint8_t time_be[8];
  TimeBytes(now, time_be);
  internal::ToHex(time_be, sizeof(time_be), out);
  impl_->MacHex(now, realm, out + kTimeHexLength);
}

NonceCheck NonceCodec::Check(std::string_view nonce, std::string_view realm, uint64_t now) const {
  if (nonce.size() != kNonceLength) {
    return NonceCheck::kInvalid;
  }
  uint64_t issued = 0;
  for (std::size_t i = 0; i < kTimeHexLength; ++i) {
    const int v = LowerHexValue(nonce[i]);
    if (v < 0) {
      return NonceCheck::kInvalid;
    }
    issued = (issued << 4) | static_cast<uint64_t>(v);
  }
  for (std::size_t i = kTimeHexLength; i < kNonceLength; ++i) {
    if (LowerHexValue(nonce[i]) < 0) {
      return NonceCheck::kInvalid;
    }
  }
  // Rejected before the HMAC: a nonce from the future is invalid whether authentic or not.
  if (issued > now && issued - now > kNonceFutureSkew) {
    return NonceCheck::kInvalid;
  }
  char expected[2 * kMacBytes];
  impl_->MacHex(issued, realm, expected);
  if (CRYPTO_memcmp(expected, nonce.data() + kTimeHexLength, sizeof(expected)) != 0) {
    return NonceCheck::kInvalid;
  }
  if (issued < now && now - issued > lifetime_) {
    return NonceCheck::kStale;
  }
  return NonceCheck::kValid;
}

}  // namespace sipfront::auth
