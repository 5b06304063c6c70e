// sipfront/sip/parse_error.h — why a SIP message was rejected, and what to answer.
//
// One enum covers the whole SIP front end: framing (Tokenize), syntax of each header
// (ValidateMessage and the header parsers) and the message-level semantic checks a UAS makes
// before acting (CheckRequest). Each value maps to the status code and reason phrase sipfront
// answers with (for requests; malformed responses are dropped), and indexes the per-core error
// counters. Values are stable within a build only; never persist them.
//
// Threading: everything here is constexpr or reads immutable tables.
#ifndef SIPFRONT_SIP_PARSE_ERROR_H_
#define SIPFRONT_SIP_PARSE_ERROR_H_

#include <cstdint>
#include <string_view>

namespace sipfront::sip {

enum class [[nodiscard]] ParseError : uint8_t{
    kOk = 0,
    // Not errors of the peer: what the caller should do next.
    kIncomplete,  // stream framing: more bytes are needed (Message::size holds the need if known)
    kKeepalive,   // the input is only CRLFs (RFC 5626 §4.4.1 ping/pong); Message::size = consumed
    // Framing.
    kMessageTooLarge,           // 513: exceeds the transport's maximum message size
    kMissingHeaderEnd,          // datagram without the empty line that ends the header section
    kBadLineEnding,             // bare LF or bare CR in the start line or headers (RFC 3261 §7)
    kTooManyHeaders,            // more header fields than Message can index (kMaxHeaders)
    kBadContentLength,          // not 1*DIGIT, negative, or absurdly large
    kConflictingContentLength,  // several Content-Length fields with different values
    kMissingContentLength,      // stream transports require Content-Length (RFC 3261 §18.3)
    kBodyTruncated,             // datagram shorter than its Content-Length (RFC 3261 §18.3)
    // Start line.
    kBadRequestLine, kBadMethod, kBadRequestUri, kBadVersion,
    kUnsupportedVersion,  // 505: well-formed, but not SIP/2.0
    kBadStatusLine, kBadStatusCode, kBadReasonPhrase,
    // Header fields.
    kBadHeaderName, kMissingColon, kBadUri, kBadVia, kBadFrom, kBadTo, kBadCallId, kBadCSeq,
    kCSeqMethodMismatch, kBadMaxForwards, kBadExpires, kBadContact, kBadRoute, kBadRecordRoute,
    kBadPath, kBadDate, kBadAuthorization, kBadProxyAuthorization, kTooManyContacts,
    // Message-level checks of a request a UAS acts on (CheckRequest).
    kMissingVia, kMissingFrom, kMissingTo, kMissingCallId, kMissingCSeq, kMultipleFrom, kMultipleTo,
    kMultipleCallId, kMultipleCSeq, kMultipleMaxForwards, kMultipleExpires,
    kCount,  // number of values; sizes counter arrays
};

inline constexpr std::size_t kParseErrorCount = static_cast<std::size_t>(ParseError::kCount);

// What a UAS answers to a request rejected with `e`: 400 unless noted above.
struct ErrorResponse {
  uint16_t status_code;
  std::string_view reason_phrase;  // static storage; names the problem ("Bad CSeq")
};

// Status code and reason phrase for `e`. kOk, kIncomplete and kKeepalive map to {0, ""}.
[[nodiscard]] ErrorResponse ErrorResponseFor(ParseError e);

// Stable identifier for logs and metrics labels, e.g. "bad_cseq".
[[nodiscard]] std::string_view ErrorName(ParseError e);

// Result of a parser that works on part of a message. `at` points at the first offending
// byte inside the parsed input (or at its end when something is missing); nullptr when ok().
struct [[nodiscard]] ParseStatus {
  ParseError error = ParseError::kOk;
  const char* at = nullptr;

  [[nodiscard]] constexpr bool ok() const { return error == ParseError::kOk; }
};

}  // namespace sipfront::sip

#endif  // SIPFRONT_SIP_PARSE_ERROR_H_
