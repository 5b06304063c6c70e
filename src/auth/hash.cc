#include "hash.h"

#include <cstring>

#include <openssl/crypto.h>

#include "sipfront/base/check.h"

namespace sipfront::auth::internal {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";
constexpr std::size_t kSha256Block = 64;  // RFC 2104 B

// Lowercases into a stack chunk and feeds `sink` chunk by chunk: no copy of the whole input.
template <typename Sink>
void ForEachLowerChunk(std::string_view s, Sink&& sink) {
  char buf[64];
  while (!s.empty()) {
    const std::size_t n = s.size() < sizeof(buf) ? s.size() : sizeof(buf);
    for (std::size_t i = 0; i < n; ++i) {
      const char c = s[i];
      buf[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    sink(buf, n);
    s.remove_prefix(n);
  }
}

}  // namespace

void Hasher::Init(Algorithm a) {
  algorithm_ = a;
  // The low-level init functions only fail on a null context.
  if (a == Algorithm::kMd5) {
    MD5_Init(&md5_);
  } else {
    SHA256_Init(&sha256_);
  }
}

void Hasher::Update(const void* data, std::size_t n) {
  if (algorithm_ == Algorithm::kMd5) {
    MD5_Update(&md5_, data, n);
  } else {
    SHA256_Update(&sha256_, data, n);
  }
}

void Hasher::UpdateUnquoted(std::string_view s) {
  // quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F): drop the backslash, keep the next byte.
  while (!s.empty()) {
    const std::size_t bs = s.find('\\');
    if (bs == std::string_view::npos || bs + 1 == s.size()) {
      Update(s);
      return;
    }
    Update(s.data(), bs);
    Update(s.data() + bs + 1, 1);
    s.remove_prefix(bs + 2);
  }
}

void Hasher::UpdateLower(std::string_view s) {
  ForEachLowerChunk(s, [this](const char* p, std::size_t n) { Update(p, n); });
}

void Hasher::Final(uint8_t* out) {
  if (algorithm_ == Algorithm::kMd5) {
    MD5_Final(out, &md5_);
  } else {
    SHA256_Final(out, &sha256_);
  }
}

HexDigest Hasher::FinalHex() {
  uint8_t raw[kMaxDigestBytes];
  const std::size_t n = DigestBytes(algorithm_);
  Final(raw);
  HexDigest h{};
  ToHex(raw, n, h.hex);
  h.len = static_cast<uint8_t>(2 * n);
  return h;
}

namespace {

// The two lowercase hex digits of each byte value, in output order.
struct HexPairs {
  char pair[256][2];
};

constexpr HexPairs MakeHexPairs() {
  HexPairs t{};
  for (int b = 0; b < 256; ++b) {
    t.pair[b][0] = kHexDigits[b >> 4];
    t.pair[b][1] = kHexDigits[b & 0x0f];
  }
  return t;
}

constexpr HexPairs kHexPairs = MakeHexPairs();

}  // namespace

void ToHex(const uint8_t* bytes, std::size_t n, char* out) {
  for (std::size_t i = 0; i < n; ++i) {
    std::memcpy(out + 2 * i, kHexPairs.pair[bytes[i]], 2);
  }
}

HmacSha256::HmacSha256(std::span<const uint8_t> key) {
  // Longer keys would first be hashed (RFC 2104 §2); sipfront's secrets are 32 bytes.
  SIPFRONT_CHECK(key.size() <= kSha256Block);
  uint8_t ipad[kSha256Block];
  uint8_t opad[kSha256Block];
  std::memset(ipad, 0x36, sizeof(ipad));
  std::memset(opad, 0x5c, sizeof(opad));
  for (std::size_t i = 0; i < key.size(); ++i) {
    ipad[i] ^= key[i];
    opad[i] ^= key[i];
  }
  SIPFRONT_CHECK(SHA256_Init(&inner_) == 1);
  SIPFRONT_CHECK(SHA256_Update(&inner_, ipad, sizeof(ipad)) == 1);
  SIPFRONT_CHECK(SHA256_Init(&outer_) == 1);
  SIPFRONT_CHECK(SHA256_Update(&outer_, opad, sizeof(opad)) == 1);
  OPENSSL_cleanse(ipad, sizeof(ipad));
  OPENSSL_cleanse(opad, sizeof(opad));
}

HmacSha256::~HmacSha256() {
  OPENSSL_cleanse(&inner_, sizeof(inner_));
  OPENSSL_cleanse(&outer_, sizeof(outer_));
}

void HmacSha256::Mac(std::span<const uint8_t> head, std::string_view lower_tail,
                     uint8_t out[SHA256_DIGEST_LENGTH]) const {
  SHA256_CTX ctx = inner_;
  SHA256_Update(&ctx, head.data(), head.size());
  ForEachLowerChunk(lower_tail,
                    [&ctx](const char* p, std::size_t n) { SHA256_Update(&ctx, p, n); });
  uint8_t inner_digest[SHA256_DIGEST_LENGTH];
  SHA256_Final(inner_digest, &ctx);
  ctx = outer_;
  SHA256_Update(&ctx, inner_digest, sizeof(inner_digest));
  SHA256_Final(out, &ctx);
  OPENSSL_cleanse(&ctx, sizeof(ctx));
}

}  // namespace sipfront::auth::internal
