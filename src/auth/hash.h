// Internal to src/auth: incremental MD5 / SHA-256 over OpenSSL's low-level digest functions,
// lowercase hex, and an HMAC-SHA256 key with precomputed inner and outer states.
//
// Why not EVP: see the file comment of sipfront/auth/digest.h (OpenSSL 3.0's EVP digests
// allocate on every init and every copy). Everything here is a plain struct with no heap
// state, so it can sit in preallocated storage or on the stack and be copied by assignment.
// This is the only file in sipfront that names the deprecated low-level API; the build defines
// OPENSSL_SUPPRESS_DEPRECATED for src/auth only.
#ifndef SIPFRONT_SRC_AUTH_HASH_H_
#define SIPFRONT_SRC_AUTH_HASH_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include <openssl/md5.h>
#include <openssl/sha.h>

#include "sipfront/auth/digest.h"

namespace sipfront::auth::internal {

inline constexpr std::size_t kMaxDigestBytes = SHA256_DIGEST_LENGTH;

// Digest length in bytes (16 for MD5, 32 for SHA-256).
constexpr std::size_t DigestBytes(Algorithm a) {
  return a == Algorithm::kMd5 ? MD5_DIGEST_LENGTH : SHA256_DIGEST_LENGTH;
}
// Hex digest length (32 or 64).
constexpr std::size_t DigestHexLength(Algorithm a) { return 2 * DigestBytes(a); }

// One running hash of either algorithm.
class Hasher {
 public:
  void Init(Algorithm a);
  void Update(const void* data, std::size_t n);
  void Update(std::string_view s) { Update(s.data(), s.size()); }
  // Feeds the value of a quoted-string body with its quoted-pairs ("\x") unescaped
  // (RFC 3261 §25.1, RFC 7616 unq()).
  void UpdateUnquoted(std::string_view s);
  // Feeds `s` with ASCII letters lowercased.
  void UpdateLower(std::string_view s);
  // Finishes into `out` (DigestBytes(algorithm) bytes). The hasher must be Init()ed again
  // before reuse.
  void Final(uint8_t* out);
  // Finishes as a lowercase HexDigest.
  HexDigest FinalHex();

 private:
  Algorithm algorithm_ = Algorithm::kMd5;
  MD5_CTX md5_{};
  SHA256_CTX sha256_{};
};

// Writes 2 * n lowercase hex characters of `bytes` into `out`.
void ToHex(const uint8_t* bytes, std::size_t n, char* out);

// HMAC-SHA256 (RFC 2104) for keys of at most one block (64 bytes), with the keyed inner and
// outer states computed once. Mac() copies them to the stack: const, reentrant, allocation-free.
class HmacSha256 {
 public:
  explicit HmacSha256(std::span<const uint8_t> key);
  ~HmacSha256();
  HmacSha256(const HmacSha256&) = delete;
  HmacSha256& operator=(const HmacSha256&) = delete;

  // HMAC over the concatenation of `head` and `lower_tail` with ASCII letters of the latter
  // lowercased: the nonce's (time || lowercase realm) without a copy of the realm.
  void Mac(std::span<const uint8_t> head, std::string_view lower_tail,
           uint8_t out[SHA256_DIGEST_LENGTH]) const;

 private:
  SHA256_CTX inner_{};  // after key ^ ipad
  SHA256_CTX outer_{};  // after key ^ opad
};

}  // namespace sipfront::auth::internal

#endif  // SIPFRONT_SRC_AUTH_HASH_H_
