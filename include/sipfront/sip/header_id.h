// sipfront/sip/header_id.h — header field names classified once, at tokenize time.
//
// Tokenize() classifies every header name into a HeaderId (case-insensitively, compact forms
// included) so later code switches on the id and never compares names again. Names sipfront
// does not know are kOther and stay opaque: name and value spans as on the wire.
//
// Threading: pure functions over immutable tables.
#ifndef SIPFRONT_SIP_HEADER_ID_H_
#define SIPFRONT_SIP_HEADER_ID_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sipfront::sip {

enum class HeaderId : uint8_t {
  kOther = 0,
  kVia,     // v
  kFrom,    // f
  kTo,      // t
  kCallId,  // i
  kCSeq,
  kContact,  // m
  kMaxForwards,
  kExpires,
  kContentLength,    // l
  kContentType,      // c
  kContentEncoding,  // e
  kContentDisposition,
  kAuthorization,
  kProxyAuthorization,
  kWwwAuthenticate,
  kProxyAuthenticate,
  kAuthenticationInfo,
  kRoute,
  kRecordRoute,
  kPath,
  kServiceRoute,
  kSupported,  // k
  kRequire,
  kProxyRequire,
  kUnsupported,
  kAllow,
  kAllowEvents,  // u
  kEvent,        // o
  kDate,
  kUserAgent,
  kServer,
  kSubject,         // s
  kReferTo,         // r
  kReferredBy,      // b
  kSessionExpires,  // x
  kMinSe,
  kIdentity,      // y
  kIdentityInfo,  // n
  kMinExpires,
  kAccept,
  kAcceptEncoding,
  kAcceptLanguage,
  kAcceptContact,       // a
  kRejectContact,       // j
  kRequestDisposition,  // d
  kWarning,
  kRetryAfter,
  kTimestamp,
  kOrganization,
  kPriority,
  kReplyTo,
  kInReplyTo,
  kAlertInfo,
  kCallInfo,
  kErrorInfo,
  kMimeVersion,
  kRAck,
  kRSeq,
  kReason,
  kReplaces,
  kPrivacy,
  kPAssertedIdentity,
  kPPreferredIdentity,
  kCount,
};

inline constexpr std::size_t kHeaderIdCount = static_cast<std::size_t>(HeaderId::kCount);

// Classifies a header field name (no surrounding whitespace). Case-insensitive; one-letter
// compact forms of RFC 3261 §7.3.3 and the IANA registry map to their long form. Any other
// name, including an empty one, is kOther.
[[nodiscard]] HeaderId ClassifyHeader(std::string_view name);

// The canonical long name ("Call-ID", "CSeq", "WWW-Authenticate"); "" for kOther.
[[nodiscard]] std::string_view CanonicalName(HeaderId id);

}  // namespace sipfront::sip

#endif  // SIPFRONT_SIP_HEADER_ID_H_
