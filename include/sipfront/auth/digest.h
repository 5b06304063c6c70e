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
// Hashing is OpenSSL's (libcrypto 3): MD5 and SHA-256 through its low-level MD5_*/SHA256_*
// functions (the same assembly the EVP provider runs), and HMAC-SHA256 built from them per
// RFC 2104. Not EVP_Digest*: in OpenSSL 3.0 every EVP_DigestInit_ex() frees and re-allocates
// the provider context (crypto/evp/digest.c, evp_md_init_internal) and EVP_MD_CTX_copy_ex()
// allocates through dupctx, so no EVP digest is allocation-free per call; the low-level
// contexts are plain structs that live in preallocated storage or on the stack and can be
// copied. Measured on this box: SHA-256 of a 120-byte message 94 ns low-level, 177 ns through
// EVP (with one malloc/free). The low-level functions are deprecated in 3.0; src/auth builds
// with OPENSSL_SUPPRESS_DEPRECATED and keeps them behind one internal header (src/auth/hash.h).
//
// Hex: sipfront emits lowercase hex (RFC 7616 LHEX) and hashes every client string exactly as
// sent. It accepts a response in either case (the digest value is the same; Kamailio and
// Asterisk compare case-insensitively too) and an nc of 8 hex digits in either case (nc enters
// the hash as sent). Nonces are sipfront's own and must come back exactly as minted (lowercase).
//
// Allocation: after construction, DigestVerifier::Verify/Response, NonceCodec::Mint/Check,
// CredentialStore::Find, WriteChallenge, ParseAlgorithm and AlgorithmName allocate nothing
// (neither operator new nor OpenSSL's CRYPTO_malloc; tests/unit/auth/zero_alloc_test.cc
// counts both).
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

// Longest realm (a domain name) and username CredentialStore holds: Find() builds its key in
// a fixed stack buffer of this size.
inline constexpr std::size_t kMaxRealmLength = 253;
inline constexpr std::size_t kMaxUsernameLength = 128;

// (realm, username) -> CredentialEntry. Built on the slow path, then read-only: Find() never
// allocates and is safe from any thread once building is done. Realms compare
// case-insensitively (ASCII; they are domain names), usernames exactly.
class CredentialStore {
 public:
  CredentialStore();
  ~CredentialStore();
  CredentialStore(CredentialStore&&) noexcept;
  CredentialStore& operator=(CredentialStore&&) noexcept;

  // Computes both HA1s from the password (which is not retained). Replaces an existing entry.
  // The HA1s are computed over `realm` exactly as given: it must be the realm string sent in
  // challenges (clients hash the realm they were challenged with). Returns false, storing
  // nothing, when realm is longer than kMaxRealmLength or username than kMaxUsernameLength
  // (such an entry could never be found).
  bool Add(std::string_view realm, std::string_view username, std::string_view password);
  // Adds precomputed HA1s (provisioning stores keep only those); hex digits are stored
  // lowercased. Returns false as Add() does.
  bool AddHa1(std::string_view realm, std::string_view username, const CredentialEntry& entry);
  // The entry for (realm, username), or nullptr (also for over-long arguments). The pointer
  // stays valid until the next Add/AddHa1 or the store's destruction. Never allocates.
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

// A nonce up to this many seconds in the future still checks (clock skew between edges).
inline constexpr uint64_t kNonceFutureSkew = 5;

// Mints and checks stateless nonces. The realm enters the HMAC lowercased (ASCII), so realms
// that differ only in case share nonces.
//
// HMAC without allocation: the constructor absorbs key^ipad and key^opad into two SHA-256
// contexts once (RFC 2104 §4's precomputation) and forgets the key. Mint() and Check() copy
// those two read-only states into contexts on their own stack (plain struct copies, ~112 bytes
// each) and finish the inner and outer hash there: no per-thread scratch, no warm-up call, no
// lock, and 2 SHA-256 compressions per call instead of 4. tests/unit/auth checks the result
// against OpenSSL's HMAC().
class NonceCodec {
 public:
  // `secret` is the server key (32 random bytes, shared by every worker and every edge that
  // should accept each other's nonces). `lifetime_s` is how long a nonce stays valid.
  NonceCodec(std::span<const uint8_t, 32> secret, uint32_t lifetime_s);
  ~NonceCodec();
  NonceCodec(const NonceCodec&) = delete;
  NonceCodec& operator=(const NonceCodec&) = delete;

  // Writes kNonceLength characters (lowercase hex, no NUL) for issue time `now` (unix seconds)
  // and `realm` into `out`. Allocation-free and thread-safe.
  void Mint(uint64_t now, std::string_view realm, char* out) const;
  // Checks a nonce at time `now`. Allocation-free and thread-safe. Returns
  //   kInvalid  length other than kNonceLength, a character that is not lowercase hex, an
  //             issue time more than kNonceFutureSkew seconds after `now`, or an HMAC that
  //             does not match (forged, tampered, or minted for another realm or secret);
  //   kStale    authentic, but `now` is more than lifetime() seconds after the issue time;
  //   kValid    otherwise.
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
  kBadAlgorithm,  // algorithm parameter not MD5 or SHA-256
  kMissingField,  // not Digest, or username, realm, nonce, uri, response, qop, nc or cnonce
                  // absent or empty
  kBadQop,        // qop other than "auth" (ASCII case-insensitive)
  kBadResponse,   // response not 32 (MD5) / 64 (SHA-256) hex digits, or nc not 8 hex digits
  kMismatch,      // computed response differs: wrong password (or HA1), or any hashed field
                  // (nonce, uri, method, nc, cnonce, qop) changed
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
  // qop=auth only. Checks, in order: the fields are present (kMissingField); the algorithm
  // parameter, absent meaning MD5 (RFC 7616 §3.4), names `a` (kBadAlgorithm); qop is "auth"
  // (kBadQop); nc and response are well-formed hex of the right length (kBadResponse); then
  // the value (kMismatch). Quoted-pairs in nonce, cnonce, uri and qop are unescaped as they
  // are hashed (RFC 7616's unq()). Constant-time comparison. `ha1` is lowercase hex as
  // CredentialStore keeps it. Does not check the nonce (NonceCodec), the realm, the username
  // or that uri matches the Request-URI (the caller's policy). Never allocates.
  [[nodiscard]] DigestResult Verify(Algorithm a, const sip::Credentials& c, std::string_view method,
                                    std::string_view ha1);

  // The expected response for the given fields, taken as decoded values (no quoted-pairs):
  // tests, the load generator. Never allocates.
  HexDigest Response(Algorithm a, std::string_view ha1, std::string_view nonce, std::string_view nc,
                     std::string_view cnonce, std::string_view qop, std::string_view method,
                     std::string_view uri);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Writes one challenge header line, CRLF included:
//   WWW-Authenticate: Digest realm="R", nonce="N", qop="auth", algorithm=SHA-256[, stale=true]
// (`proxy` gives Proxy-Authenticate; algorithm=MD5 for kMd5). A '"' or '\\' in realm or nonce
// is written as a quoted-pair. Returns the length, or 0 if `cap` is too small or realm or
// nonce holds a control character (CR, LF, NUL, ...: header injection). Never allocates.
std::size_t WriteChallenge(char* out, std::size_t cap, Algorithm a, std::string_view realm,
                           std::string_view nonce, bool stale, bool proxy = false);

}  // namespace sipfront::auth

#endif  // SIPFRONT_AUTH_DIGEST_H_
