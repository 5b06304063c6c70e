#include "sipfront/auth/digest.h"

#include <cstring>

#include <openssl/crypto.h>

#include "absl/strings/ascii.h"

#include "sipfront/base/ascii.h"

#include "hash.h"

namespace sipfront::auth {
namespace {

using internal::DigestHexLength;
using internal::Hasher;

bool IsHex(std::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

constexpr std::string_view kQopAuth = "auth";

}  // namespace

bool ParseAlgorithm(std::string_view s, Algorithm& out) {
  // RFC 7616 §3.3: "If the algorithm parameter is not present, it is assumed to be MD5."
  if (s.empty() || AsciiIEquals(s, "MD5")) {
    out = Algorithm::kMd5;
    return true;
  }
  if (AsciiIEquals(s, "SHA-256")) {
    out = Algorithm::kSha256;
    return true;
  }
  return false;
}

std::string_view AlgorithmName(Algorithm a) { return a == Algorithm::kMd5 ? "MD5" : "SHA-256"; }

HexDigest ComputeHa1(Algorithm a, std::string_view username, std::string_view realm,
                     std::string_view password) {
  Hasher h;
  h.Init(a);
  h.Update(username);
  h.Update(":", 1);
  h.Update(realm);
  h.Update(":", 1);
  h.Update(password);
  return h.FinalHex();
}

struct DigestVerifier::Impl {
  Hasher hasher;
  // H(A2) = H(method ":" uri) depends on neither the user nor the nonce, and a registrar
  // sees the same "REGISTER" and "sip:domain" over and over: remember the last one.
  static constexpr std::size_t kHa2KeyMax = 256;
  char ha2_key[kHa2KeyMax];
  std::size_t ha2_key_len = 0;
  Algorithm ha2_alg = Algorithm::kMd5;
  HexDigest ha2{};
};

DigestVerifier::DigestVerifier() : impl_(std::make_unique<Impl>()) {}
DigestVerifier::~DigestVerifier() = default;

DigestResult DigestVerifier::Verify(Algorithm a, const sip::Credentials& c, std::string_view method,
                                    std::string_view ha1) {
  if (!c.is_digest || c.username.empty() || c.realm.empty() || c.nonce.empty() || c.uri.empty() ||
      c.response.empty() || c.qop.empty() || c.nc.empty() || c.cnonce.empty()) {
    return DigestResult::kMissingField;
  }
  Algorithm claimed;
  if (!ParseAlgorithm(c.algorithm, claimed) || claimed != a) {
    return DigestResult::kBadAlgorithm;
  }
  // qop is a token; RFC 7616 clients may quote it (the parser has dropped the quotes). A
  // quoted-pair inside it would make it something other than "auth".
  if (!AsciiIEquals(c.qop, kQopAuth)) {
    return DigestResult::kBadQop;
  }
  // nc-value = 8LHEX (RFC 7616 §3.4); uppercase is tolerated, hashed as sent.
  if (c.nc.size() != 8 || !IsHex(c.nc)) {
    return DigestResult::kBadResponse;
  }
  const std::size_t hex_len = DigestHexLength(a);
  if (c.response.size() != hex_len) {
    return DigestResult::kBadResponse;
  }
  // Fold the client's hex to lowercase (see the header: the digest value does not depend on the
  // case). Branches depend only on the client's bytes, never on the expected value.
  char got[64];
  for (std::size_t i = 0; i < hex_len; ++i) {
    const char ch = c.response[i];
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(ch))) {
      return DigestResult::kBadResponse;
    }
    got[i] = (ch >= 'A' && ch <= 'F') ? static_cast<char>(ch - 'A' + 'a') : ch;
  }

  Impl& m = *impl_;
  Hasher& h = m.hasher;
  // The cache key is method ":" uri as received (quoted-pairs included): equal keys hash alike.
  const std::size_t key_len = method.size() + 1 + c.uri.size();
  const bool cacheable = key_len <= Impl::kHa2KeyMax;
  bool hit = false;
  if (cacheable && m.ha2_alg == a && m.ha2_key_len == key_len &&
      std::memcmp(m.ha2_key, method.data(), method.size()) == 0 &&
      m.ha2_key[method.size()] == ':' &&
      std::memcmp(m.ha2_key + method.size() + 1, c.uri.data(), c.uri.size()) == 0) {
    hit = true;
  }
  if (!hit) {
    h.Init(a);
    h.Update(method);
    h.Update(":", 1);
    h.UpdateUnquoted(c.uri);
    m.ha2 = h.FinalHex();
    if (cacheable) {
      std::memcpy(m.ha2_key, method.data(), method.size());
      m.ha2_key[method.size()] = ':';
      std::memcpy(m.ha2_key + method.size() + 1, c.uri.data(), c.uri.size());
      m.ha2_key_len = key_len;
      m.ha2_alg = a;
    } else {
      m.ha2_key_len = 0;
    }
  }
  const HexDigest& ha2 = m.ha2;

  h.Init(a);
  h.Update(ha1);
  h.Update(":", 1);
  h.UpdateUnquoted(c.nonce);
  h.Update(":", 1);
  h.Update(c.nc);
  h.Update(":", 1);
  h.UpdateUnquoted(c.cnonce);
  h.Update(":", 1);
  h.UpdateUnquoted(c.qop);
  h.Update(":", 1);
  h.Update(ha2.view());
  const HexDigest expected = h.FinalHex();

  return CRYPTO_memcmp(got, expected.hex, hex_len) == 0 ? DigestResult::kOk
                                                        : DigestResult::kMismatch;
}

HexDigest DigestVerifier::Response(Algorithm a, std::string_view ha1, std::string_view nonce,
                                   std::string_view nc, std::string_view cnonce,
                                   std::string_view qop, std::string_view method,
                                   std::string_view uri) {
  Hasher& h = impl_->hasher;
  h.Init(a);
  h.Update(method);
  h.Update(":", 1);
  h.Update(uri);
  const HexDigest ha2 = h.FinalHex();

  h.Init(a);
  for (std::string_view part : {ha1, nonce, nc, cnonce, qop}) {
    h.Update(part);
    h.Update(":", 1);
  }
  h.Update(ha2.view());
  return h.FinalHex();
}

namespace {

// Appends to a fixed buffer; remembers overflow instead of checking at every call site.
class Writer {
 public:
  Writer(char* out, std::size_t cap) : out_(out), cap_(cap) {}

  void Put(std::string_view s) {
    if (s.size() > cap_ - len_) {
      overflow_ = true;
      return;
    }
    std::memcpy(out_ + len_, s.data(), s.size());
    len_ += s.size();
  }
  void PutChar(char c) {
    if (len_ == cap_) {
      overflow_ = true;
      return;
    }
    out_[len_++] = c;
  }
  // The body of a quoted-string (RFC 3261 §25.1): '"' and '\' become quoted-pairs. Control
  // characters cannot be represented in a header value at all (header injection).
  void PutQuotedBody(std::string_view s) {
    for (char ch : s) {
      const auto u = static_cast<unsigned char>(ch);
      if (u < 0x20 || u == 0x7f) {
        invalid_ = true;
        return;
      }
      if (ch == '"' || ch == '\\') {
        PutChar('\\');
      }
      PutChar(ch);
    }
  }

  [[nodiscard]] std::size_t Result() const { return (overflow_ || invalid_) ? 0 : len_; }

 private:
  char* out_;
  std::size_t cap_;
  std::size_t len_ = 0;
  bool overflow_ = false;
  bool invalid_ = false;
};

}  // namespace

std::size_t WriteChallenge(char* out, std::size_t cap, Algorithm a, std::string_view realm,
                           std::string_view nonce, bool stale, bool proxy) {
  Writer w(out, cap);
  w.Put(proxy ? "Proxy-Authenticate: Digest realm=\"" : "WWW-Authenticate: Digest realm=\"");
  w.PutQuotedBody(realm);
  w.Put("\", nonce=\"");
  w.PutQuotedBody(nonce);
  w.Put("\", qop=\"auth\", algorithm=");
  w.Put(AlgorithmName(a));
  if (stale) {
    w.Put(", stale=true");
  }
  w.Put("\r\n");
  return w.Result();
}

}  // namespace sipfront::auth
