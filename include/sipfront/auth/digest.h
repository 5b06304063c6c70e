// sipfront/auth/digest.h — HTTP Digest for SIP registrations (RFC 7616, RFC 8760, RFC 3261 §22).
//
// What a registrar worker needs to challenge and verify inline, without allocating:
//   * HA1 = H(username ":" realm ":" password), computed once per credential and algorithm when
//     credentials are loaded; plaintext passwords are never kept (CredentialStore).
//   * Stateless nonces (NonceCodec): the nonce carries its issue time and an HMAC-SHA256 over
//     that time and the realm under a server secret, so any worker (or any edge sharing the
//     secret) can check it, and an old one is answered with stale=true.
//   * Response verification for qop=auth (DigestVerifier), MD5 or SHA-256, with hashing
//     contexts allocated once per worker.
//
// Threading: CredentialStore and NonceCodec are immutable after construction and may be read
// from any thread. DigestVerifier belongs to one thread.
#ifndef SIPFRONT_AUTH_DIGEST_H_
#define SIPFRONT_AUTH_DIGEST_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "sipfront/base/status.h"
#include "sipfront/sip/headers.h"

namespace sipfront::auth {

enum class Algorithm : uint8_t { kMd5, kSha256 };

// Parses an algorithm parameter: "MD5" or "SHA-256" (case-insensitive); an empty view is MD5
// (RFC 7616 §3.3 default). Returns false for anything else (including the -sess variants,
// which sipfront does not offer).
[[nodiscard]] bool ParseAlgorithm(std::string_view s, Algorithm& out);
[[nodiscard]] std::string_view AlgorithmName(Algorithm a);  // "MD5", "SHA-256"

// A lowercase hex digest: 32 chars for MD5, 64 for SHA-256.
struct HexDigest {
  char hex[64];
  uint8_t len;
  [[nodiscard]] std::string_view view() const { return {hex, len}; }
};

// H(username ":" realm ":" password). Slow path (credential loading).
HexDigest ComputeHa1(Algorithm a, std::string_view username, std::string_view realm,
                     std::string_view password);

// Credentials of one (realm, username): the HA1 for each algorithm.
struct CredentialEntry {
  HexDigest ha1_md5;
  HexDigest ha1_sha256;
  [[nodiscard]] const HexDigest& ha1(Algorithm a) const {
    return a == Algorithm::kMd5 ? ha1_md5 : ha1_sha256;
  }
};

// (realm, username) -> CredentialEntry. Built on the slow path, then read-only: Find() never
// allocates and is safe from any thread once building is done. Realms compare
// case-insensitively (they are domain names), usernames exactly.
class CredentialStore {
 public:
  CredentialStore();
  ~CredentialStore();
  CredentialStore(CredentialStore&&) noexcept;
  CredentialStore& operator=(CredentialStore&&) noexcept;

  // Computes both HA1s from the password (which is not retained). Replaces an existing entry.
  void Add(std::string_view realm, std::string_view username, std::string_view password);
  // Adds precomputed HA1s (provisioning stores keep only those).
  void AddHa1(std::string_view realm, std::string_view username, const CredentialEntry& entry);
  [[nodiscard]] const CredentialEntry* Find(std::string_view realm,
                                            std::string_view username) const;
  [[nodiscard]] std::size_t size() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Nonce = 16 hex digits of the issue time (unix seconds) followed by 32 hex digits of
// HMAC-SHA256(secret, time || realm) truncated to 128 bits: 48 characters, token-safe.
inline constexpr std::size_t kNonceLength = 48;

enum class NonceCheck : uint8_t {
  kValid,
  kStale,    // authentic, but older than the lifetime (answer 401 with stale=true)
  kInvalid,  // malformed, forged, for another realm, or from the future
};

class NonceCodec {
 public:
  // `secret` is the server key (32 random bytes, shared by every worker and every edge that
  // should accept each other's nonces). `lifetime_s` is how long a nonce stays valid.
  NonceCodec(std::span<const uint8_t, 32> secret, uint32_t lifetime_s);
  ~NonceCodec();
  NonceCodec(const NonceCodec&) = delete;
  NonceCodec& operator=(const NonceCodec&) = delete;

  // Writes kNonceLength characters for issue time `now` and `realm` into `out`.
  void Mint(uint64_t now, std::string_view realm, char* out) const;
  // Checks a nonce at time `now`. Allocation-free.
  [[nodiscard]] NonceCheck Check(std::string_view nonce, std::string_view realm,
                                 uint64_t now) const;
  [[nodiscard]] uint32_t lifetime() const { return lifetime_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  uint32_t lifetime_;
};

// Why a response did not verify.
enum class DigestResult : uint8_t {
  kOk,
  kBadAlgorithm,   // algorithm parameter not MD5 or SHA-256
  kMissingField,   // username, realm, nonce, uri, response, qop, nc or cnonce absent
  kBadQop,         // qop other than "auth"
  kBadResponse,    // wrong length or not hex
  kMismatch,       // computed response differs: wrong password (or HA1)
};

// Verifies digest responses with hashing contexts allocated once. One per worker thread.
class DigestVerifier {
 public:
  DigestVerifier();
  ~DigestVerifier();
  DigestVerifier(const DigestVerifier&) = delete;
  DigestVerifier& operator=(const DigestVerifier&) = delete;

  // Checks `c` (already parsed: sip::ParseCredentials) for request `method` against `ha1` of
  // algorithm `a`: response == H(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" H(method ":" uri)),
  // qop=auth only. Constant-time comparison. Does not check the nonce (NonceCodec), the realm
  // or that uri matches the Request-URI (the caller's policy). Never allocates.
  [[nodiscard]] DigestResult Verify(Algorithm a, const sip::Credentials& c,
                                    std::string_view method, std::string_view ha1);

  // The expected response for the given fields (tests, the load generator).
  HexDigest Response(Algorithm a, std::string_view ha1, std::string_view nonce,
                     std::string_view nc, std::string_view cnonce, std::string_view qop,
                     std::string_view method, std::string_view uri);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Writes one challenge header line, CRLF included:
//   WWW-Authenticate: Digest realm="R", nonce="N", qop="auth", algorithm=SHA-256[, stale=true]
// (`proxy` gives Proxy-Authenticate). Returns the length, or 0 if `cap` is too small.
std::size_t WriteChallenge(char* out, std::size_t cap, Algorithm a, std::string_view realm,
                           std::string_view nonce, bool stale, bool proxy = false);

}  // namespace sipfront::auth

#endif  // SIPFRONT_AUTH_DIGEST_H_
