#include "sipfront/sip/header_id.h"

#include <array>
#include <cstring>

namespace sipfront::sip {
namespace {

struct Name {
  std::string_view canonical;
  HeaderId id;
  char compact;  // RFC 3261 §7.3.3 / IANA compact form, or 0
};

// Indexed by HeaderId.
constexpr std::array<Name, kHeaderIdCount> kNames = {{
    {"", HeaderId::kOther, 0},
    {"Via", HeaderId::kVia, 'v'},
    {"From", HeaderId::kFrom, 'f'},
    {"To", HeaderId::kTo, 't'},
    {"Call-ID", HeaderId::kCallId, 'i'},
    {"CSeq", HeaderId::kCSeq, 0},
    {"Contact", HeaderId::kContact, 'm'},
    {"Max-Forwards", HeaderId::kMaxForwards, 0},
    {"Expires", HeaderId::kExpires, 0},
    {"Content-Length", HeaderId::kContentLength, 'l'},
    {"Content-Type", HeaderId::kContentType, 'c'},
    {"Content-Encoding", HeaderId::kContentEncoding, 'e'},
    {"Content-Disposition", HeaderId::kContentDisposition, 0},
    {"Authorization", HeaderId::kAuthorization, 0},
    {"Proxy-Authorization", HeaderId::kProxyAuthorization, 0},
    {"WWW-Authenticate", HeaderId::kWwwAuthenticate, 0},
    {"Proxy-Authenticate", HeaderId::kProxyAuthenticate, 0},
    {"Authentication-Info", HeaderId::kAuthenticationInfo, 0},
    {"Route", HeaderId::kRoute, 0},
    {"Record-Route", HeaderId::kRecordRoute, 0},
    {"Path", HeaderId::kPath, 0},
    {"Service-Route", HeaderId::kServiceRoute, 0},
    {"Supported", HeaderId::kSupported, 'k'},
    {"Require", HeaderId::kRequire, 0},
    {"Proxy-Require", HeaderId::kProxyRequire, 0},
    {"Unsupported", HeaderId::kUnsupported, 0},
    {"Allow", HeaderId::kAllow, 0},
    {"Allow-Events", HeaderId::kAllowEvents, 'u'},
    {"Event", HeaderId::kEvent, 'o'},
    {"Date", HeaderId::kDate, 0},
    {"User-Agent", HeaderId::kUserAgent, 0},
    {"Server", HeaderId::kServer, 0},
    {"Subject", HeaderId::kSubject, 's'},
    {"Refer-To", HeaderId::kReferTo, 'r'},
    {"Referred-By", HeaderId::kReferredBy, 'b'},
    {"Session-Expires", HeaderId::kSessionExpires, 'x'},
    {"Min-SE", HeaderId::kMinSe, 0},
    {"Identity", HeaderId::kIdentity, 'y'},
    {"Identity-Info", HeaderId::kIdentityInfo, 'n'},
    {"Min-Expires", HeaderId::kMinExpires, 0},
    {"Accept", HeaderId::kAccept, 0},
    {"Accept-Encoding", HeaderId::kAcceptEncoding, 0},
    {"Accept-Language", HeaderId::kAcceptLanguage, 0},
    {"Accept-Contact", HeaderId::kAcceptContact, 'a'},
    {"Reject-Contact", HeaderId::kRejectContact, 'j'},
    {"Request-Disposition", HeaderId::kRequestDisposition, 'd'},
    {"Warning", HeaderId::kWarning, 0},
    {"Retry-After", HeaderId::kRetryAfter, 0},
    {"Timestamp", HeaderId::kTimestamp, 0},
    {"Organization", HeaderId::kOrganization, 0},
    {"Priority", HeaderId::kPriority, 0},
    {"Reply-To", HeaderId::kReplyTo, 0},
    {"In-Reply-To", HeaderId::kInReplyTo, 0},
    {"Alert-Info", HeaderId::kAlertInfo, 0},
    {"Call-Info", HeaderId::kCallInfo, 0},
    {"Error-Info", HeaderId::kErrorInfo, 0},
    {"MIME-Version", HeaderId::kMimeVersion, 0},
    {"RAck", HeaderId::kRAck, 0},
    {"RSeq", HeaderId::kRSeq, 0},
    {"Reason", HeaderId::kReason, 0},
    {"Replaces", HeaderId::kReplaces, 0},
    {"Privacy", HeaderId::kPrivacy, 0},
    {"P-Asserted-Identity", HeaderId::kPAssertedIdentity, 0},
    {"P-Preferred-Identity", HeaderId::kPPreferredIdentity, 0},
}};

constexpr bool TableMatchesEnum() {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (static_cast<std::size_t>(kNames[i].id) != i) {
      return false;
    }
  }
  return true;
}
static_assert(TableMatchesEnum(), "kNames must be indexed by HeaderId");

constexpr std::size_t kMaxNameLength = 20;  // "P-Preferred-Identity"

constexpr char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

// Lower-cased names grouped by length, so a lookup compares only same-length candidates.
struct ByLength {
  std::array<std::array<char, kMaxNameLength>, kHeaderIdCount> lower{};
  std::array<uint8_t, kHeaderIdCount> len{};
  std::array<HeaderId, kHeaderIdCount> id{};
  std::array<uint8_t, kMaxNameLength + 2> start{};  // entries of length n: [start[n], start[n+1])
  std::array<HeaderId, 128> compact{};
};

constexpr ByLength MakeByLength() {
  ByLength t{};
  std::size_t out = 0;
  for (std::size_t n = 0; n <= kMaxNameLength; ++n) {
    t.start[n] = static_cast<uint8_t>(out);
    for (const Name& name : kNames) {
      if (name.canonical.size() != n || n == 0) {
        continue;
      }
      for (std::size_t i = 0; i < n; ++i) {
        t.lower[out][i] = Lower(name.canonical[i]);
      }
      t.len[out] = static_cast<uint8_t>(n);
      t.id[out] = name.id;
      ++out;
    }
  }
  t.start[kMaxNameLength + 1] = static_cast<uint8_t>(out);
  for (const Name& name : kNames) {
    if (name.compact != 0) {
      t.compact[static_cast<unsigned char>(name.compact)] = name.id;
      t.compact[static_cast<unsigned char>(name.compact - 32)] = name.id;
    }
  }
  return t;
}

constexpr ByLength kByLength = MakeByLength();

}  // namespace

HeaderId ClassifyHeader(std::string_view name) {
  const std::size_t n = name.size();
  if (n == 1) {
    const auto c = static_cast<unsigned char>(name[0]);
    return c < 128 ? kByLength.compact[c] : HeaderId::kOther;
  }
  if (n == 0 || n > kMaxNameLength) {
    return HeaderId::kOther;
  }
  char lower[kMaxNameLength];
  for (std::size_t i = 0; i < n; ++i) {
    lower[i] = Lower(name[i]);
  }
  for (std::size_t e = kByLength.start[n]; e < kByLength.start[n + 1]; ++e) {
    if (kByLength.lower[e][0] == lower[0] &&
        std::memcmp(kByLength.lower[e].data(), lower, n) == 0) {
      return kByLength.id[e];
    }
  }
  return HeaderId::kOther;
}

std::string_view CanonicalName(HeaderId id) {
  const auto i = static_cast<std::size_t>(id);
  return i < kNames.size() ? kNames[i].canonical : std::string_view();
}

}  // namespace sipfront::sip
