#include "sipfront/sip/header_id.h"

#include <array>
#include <cstring>

#include "charset.h"
#include "classify.h"

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

// The tokenizer skips the byte-by-byte token check of a name that classifies as known. That is
// exact because every known name is letters and '-' only: a byte that OR 0x20 turns into a
// lower-case letter is a letter, and the only other byte that becomes '-' is CR, which the
// tokenizer's colon search excludes.
constexpr bool NamesAreLettersAndDashes() {
  for (const Name& n : kNames) {
    for (char c : n.canonical) {
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-')) {
        return false;
      }
    }
  }
  return true;
}
static_assert(NamesAreLettersAndDashes(), "tokenizer.cc relies on it (FindNameColon)");

using internal::HeaderLookup;
using internal::kCaseBits;
using internal::kMaxNameLength;
using internal::NameSlot;
using internal::NameWords;

constexpr char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

constexpr uint64_t LowMask(std::size_t bytes) {
  return bytes >= 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * bytes)) - 1;
}

// Masks that keep the first n bytes of each word.
constexpr uint64_t Mask(std::size_t n, int word) {
  const std::size_t start = 8 * static_cast<std::size_t>(word);
  return n <= start ? 0 : LowMask(n - start);
}

constexpr HeaderLookup MakeLookup() {
  HeaderLookup t{};
  for (std::size_t n = 0; n <= kMaxNameLength; ++n) {
    for (int k = 0; k < 3; ++k) {
      t.mask[n][k] = Mask(n, k);
    }
  }
  for (std::size_t i = 1; i < kNames.size(); ++i) {
    const std::string_view name = kNames[i].canonical;
    NameWords w{};
    for (std::size_t k = 0; k < name.size(); ++k) {
      w.w[k / 8] |= static_cast<uint64_t>(static_cast<unsigned char>(Lower(name[k])))
                    << (8 * (k % 8));
    }
    t.words[i] = w;
    t.len[i] = static_cast<uint8_t>(name.size());
    uint8_t& slot = t.slot[NameSlot(w.w[0], name.size())];
    t.perfect = t.perfect && slot == 0;
    slot = static_cast<uint8_t>(i);
    if (kNames[i].compact != 0) {
      t.compact[static_cast<unsigned char>(kNames[i].compact)] = kNames[i].id;
      t.compact[static_cast<unsigned char>(kNames[i].compact - 32)] = kNames[i].id;
    }
  }
  return t;
}

}  // namespace

namespace internal {

constexpr HeaderLookup kHeaderLookup = MakeLookup();
static_assert(kHeaderLookup.perfect,
              "two header names share a hash slot: pick another kHashMultiplier");

}  // namespace internal

HeaderId ClassifyHeader(std::string_view name) {
  if (name.size() > kMaxNameLength) {
    return HeaderId::kOther;
  }
  // The word comparison is exact for token characters only (the tokenizer checked those).
  for (char c : name) {
    if (!charset::Is(c, charset::kToken)) {
      return HeaderId::kOther;
    }
  }
  char padded[24] = {};
  std::memcpy(padded, name.data(), name.size());
  return internal::ClassifyHeaderPadded(padded, name.size());
}

std::string_view CanonicalName(HeaderId id) {
  const auto i = static_cast<std::size_t>(id);
  return i < kNames.size() ? kNames[i].canonical : std::string_view();
}

}  // namespace sipfront::sip
