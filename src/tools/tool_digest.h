// The load tools' client side of digest authentication (sipfront-loadgen, sipfront-streamgen):
// per-user nonce state, the realm last challenged with, the Authorization line of a REGISTER,
// and the user index the tools encode in their Call-IDs. Header-only, like tool_common.h.
// Threading: a DigestClient belongs to one generator thread.
#ifndef SIPFRONT_SRC_TOOLS_TOOL_DIGEST_H_
#define SIPFRONT_SRC_TOOLS_TOOL_DIGEST_H_

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "sipfront/auth/digest.h"
#include "sipfront/sip/headers.h"
#include "sipfront/sip/message.h"

#include "tool_common.h"

namespace sipfront::tools {

class DigestClient {
 public:
  static constexpr std::size_t kMaxNonce = 160;
  static constexpr std::size_t kMaxOpaque = 96;

  // State for `users` users; `run_id` makes the cnonces of this run unique.
  void Reset(std::size_t users, uint32_t run_id) {
    auth_ = std::make_unique<UserAuth[]>(users);
    run_id_ = run_id;
  }

  // Whether user `u` holds a challenge (its next REGISTER carries credentials).
  [[nodiscard]] bool Challenged(uint32_t u) const { return auth_[u].nonce_len != 0; }

  // Keeps the first usable MD5 qop=auth challenge of the 401 `msg` for user `u`; false when it
  // has none. `stale` tells whether the server said stale=true.
  bool TakeChallenge(const sip::Message& msg, uint32_t u, bool& stale) {
    for (const sip::Header* h = msg.Find(sip::HeaderId::kWwwAuthenticate); h != nullptr;
         h = msg.Next(*h)) {
      sip::Credentials c;
      if (!sip::ParseCredentials(h->value, c, sip::ParseError::kBadAuthorization).ok() ||
          !c.is_digest) {
        continue;
      }
      auth::Algorithm alg;
      if (!auth::ParseAlgorithm(c.algorithm, alg) || alg != auth::Algorithm::kMd5) {
        continue;
      }
      if (!IContains(c.qop, "auth") || c.nonce.empty() || c.nonce.size() > kMaxNonce ||
          c.opaque.size() > kMaxOpaque || c.realm.empty()) {
        continue;
      }
      if (c.realm != realm_) {
        realm_ = std::string(c.realm);
        ++realm_gen_;
      }
      UserAuth& a = auth_[u];
      std::memcpy(a.nonce, c.nonce.data(), c.nonce.size());
      a.nonce_len = static_cast<uint8_t>(c.nonce.size());
      if (!c.opaque.empty()) {  // an empty view may have a null data()
        std::memcpy(a.opaque, c.opaque.data(), c.opaque.size());
      }
      a.opaque_len = static_cast<uint8_t>(c.opaque.size());
      a.nc = 0;
      stale = IContains(c.params, "stale=true") || IContains(c.params, "stale=\"true\"");
      return true;
    }
    return false;
  }

  // Appends "Authorization: Digest …" CRLF for user `u` (who must be Challenged()) with the
  // next nc on the kept nonce. The HA1 is computed once per user and realm.
  void AppendAuthorization(Writer& w, uint32_t u, std::string_view user, std::string_view password,
                           std::string_view uri) {
    UserAuth& a = auth_[u];
    if (a.ha1_realm_gen != realm_gen_) {
      a.ha1 = auth::ComputeHa1(auth::Algorithm::kMd5, user, realm_, password);
      a.ha1_realm_gen = realm_gen_;
    }
    // One cnonce per user for the whole run, and nc + 1 per request on the same nonce
    // (RFC 7616 §3.4: a client may reuse a nonce with an increasing nc).
    ++a.nc;
    char nc[8];
    char cnonce[16];
    {
      Writer x(nc, sizeof(nc));
      x.AppendHex(a.nc, 8);
      Writer y(cnonce, sizeof(cnonce));
      y.AppendHex((static_cast<uint64_t>(run_id_) << 32) | u, 16);
    }
    const std::string_view nonce(a.nonce, a.nonce_len);
    const auth::HexDigest response =
        verifier_.Response(auth::Algorithm::kMd5, a.ha1.view(), nonce, std::string_view(nc, 8),
                           std::string_view(cnonce, 16), "auth", "REGISTER", uri);
    w.Append("Authorization: Digest username=\"");
    w.Append(user);
    w.Append("\", realm=\"");
    w.Append(realm_);
    w.Append("\", nonce=\"");
    w.Append(nonce);
    w.Append("\", uri=\"");
    w.Append(uri);
    w.Append("\", response=\"");
    w.Append(response.view());
    w.Append("\", algorithm=MD5, cnonce=\"");
    w.Append(std::string_view(cnonce, 16));
    w.Append("\", qop=auth, nc=");
    w.Append(std::string_view(nc, 8));
    if (a.opaque_len != 0) {
      w.Append(", opaque=\"");
      w.Append(std::string_view(a.opaque, a.opaque_len));
      w.Append("\"");
    }
    w.Append("\r\n");
  }

 private:
  // Cold per-user digest state.
  struct UserAuth {
    auth::HexDigest ha1{};
    uint32_t ha1_realm_gen = 0;  // 0: not computed
    uint32_t nc = 0;
    uint8_t nonce_len = 0;  // 0: no challenge yet
    uint8_t opaque_len = 0;
    char nonce[kMaxNonce] = {};
    char opaque[kMaxOpaque] = {};
  };

  std::unique_ptr<UserAuth[]> auth_;
  std::string realm_;
  uint32_t realm_gen_ = 1;
  uint32_t run_id_ = 0;
  auth::DigestVerifier verifier_;
};

// The user index a tool put in a Call-ID "<tag><run_hex>-<index>" (`tag` two letters, run_hex
// eight), or -1 when the Call-ID is not this run's or the index is not below `users`.
[[nodiscard]] inline int64_t UserOfCallId(std::string_view call_id, std::string_view tag,
                                          std::string_view run_hex, std::size_t users) {
  if (call_id.size() < 12 || call_id.substr(0, 2) != tag || call_id.substr(2, 8) != run_hex ||
      call_id[10] != '-') {
    return -1;
  }
  uint64_t u = 0;
  if (!ParseU64(call_id.substr(11), u) || u >= users) {
    return -1;
  }
  return static_cast<int64_t>(u);
}

}  // namespace sipfront::tools

#endif  // SIPFRONT_SRC_TOOLS_TOOL_DIGEST_H_
