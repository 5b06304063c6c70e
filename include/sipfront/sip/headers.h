// sipfront/sip/headers.h — parsers for structured header values, and whole-message checks.
//
// Each parser takes one header value (a view from Message::headers, LWS-trimmed, possibly
// folded) and fills a struct of spans into it. None allocates, copies or unescapes. List
// headers (Via, Contact, Route, Record-Route, Path) hold comma-separated values, possibly
// across several header fields; ValueIterator walks them in order without splitting inside
// quoted strings or <...>.
//
// ValidateMessage() parses everything sipfront understands in a tokenized message (the
// Request-URI and every Via, From, To, Contact, Route, Record-Route, Path, Date,
// Authorization and Proxy-Authorization value): a message is well-formed when Tokenize()
// and ValidateMessage() both return kOk. CheckRequest() adds the message-level rules a UAS
// applies before acting on a request (mandatory headers present, single-valued ones once).
//
// Lifetime: all views point into the message's input buffer.
// Threading: pure functions; a ValueIterator belongs to one thread.
#ifndef SIPFRONT_SIP_HEADERS_H_
#define SIPFRONT_SIP_HEADERS_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sipfront/sip/message.h"
#include "sipfront/sip/parse_error.h"
#include "sipfront/sip/uri.h"

namespace sipfront::sip {

// name-addr or addr-spec with its header parameters (RFC 3261 §20.10, §25.1).
struct NameAddr {
  std::string_view display_name;  // quoted (quotes kept) or a run of tokens; "" when absent
  Uri uri;
  std::string_view params;  // header parameters after the URI, without the leading ';'
  bool angle_brackets;      // name-addr form: uri-parameters belong to the URI
};

// From / To: a NameAddr plus its tag.
struct FromTo {
  NameAddr addr;
  std::string_view tag;  // "" when absent
};

// One via-parm (RFC 3261 §20.42) with RFC 3581 rport and RFC 5118 received forms.
struct Via {
  std::string_view protocol_name;     // "SIP"
  std::string_view protocol_version;  // "2.0"
  std::string_view transport;         // "UDP", "TCP", "TLS", "SCTP", "WS", "WSS" or a token
  std::string_view host;              // sent-by host (IPv6 with brackets)
  HostKind host_kind;
  bool has_port;
  uint16_t port;
  std::string_view branch;    // "" when absent
  std::string_view received;  // "" when absent; IPv6 with or without brackets as sent
  bool has_rport;
  std::string_view rport;   // "" for a bare ";rport", else the digits
  std::string_view maddr;   // "" when absent
  int16_t ttl;              // -1 when absent
  std::string_view params;  // every via-param, raw, without the leading ';'
};

// One contact-param of a Contact header (RFC 3261 §20.10, RFC 5626 §4.2).
struct Contact {
  NameAddr addr;
  int64_t expires;            // kAbsent when absent or above 2^32-1
  std::string_view q;         // qvalue as on the wire; "" when absent
  std::string_view instance;  // +sip.instance value, quotes kept; "" when absent
  std::string_view reg_id;    // reg-id digits; "" when absent
};

// Authorization / Proxy-Authorization credentials (RFC 3261 §20.7, RFC 7616, RFC 8760).
// Quoted values are given without their quotes (quoted-pairs still escaped).
struct Credentials {
  std::string_view scheme;  // "Digest" or another auth-scheme token
  bool is_digest;
  std::string_view username, realm, nonce, uri, response, algorithm, cnonce, opaque, qop, nc;
  bool userhash;            // RFC 7616 userhash=true
  std::string_view params;  // every auth-param, raw
};

// Parses a From or To value; failures are reported with `error` (kBadFrom or kBadTo).
ParseStatus ParseFromTo(std::string_view value, FromTo& out, ParseError error);
// Parses one name-addr / addr-spec with parameters. `require_angle` is set for Route-style
// headers (RFC 3261 §20.34), which allow only the name-addr form.
ParseStatus ParseNameAddr(std::string_view value, NameAddr& out, ParseError error,
                          bool require_angle);
// Parses one via-parm (a single comma-separated element). Failures: kBadVia.
ParseStatus ParseVia(std::string_view value, Via& out);
// Parses one contact-param (not "*"). Failures: kBadContact.
ParseStatus ParseContact(std::string_view value, Contact& out);
// Parses an Authorization or Proxy-Authorization value; failures are reported with `error`.
ParseStatus ParseCredentials(std::string_view value, Credentials& out, ParseError error);
// Checks an RFC 1123 date in GMT (RFC 3261 §20.17). Failures: kBadDate.
ParseStatus ParseDate(std::string_view value);

// True when a Contact header value is the wildcard "*" (RFC 3261 §10.2.2).
[[nodiscard]] bool IsContactStar(std::string_view value);

// Walks the comma-separated values of every header field with one id, in message order.
// Values are LWS-trimmed; an empty element (",,") is yielded as an empty view so parsers
// reject it.
class ValueIterator {
 public:
  ValueIterator(const Message& msg, HeaderId id);
  // Yields the next value; false at the end.
  bool Next(std::string_view& value);

 private:
  const Message& msg_;
  const Header* header_;
  std::string_view rest_;
  bool pending_;  // rest_ holds at least one more (possibly empty) element
};

struct RegisterFields;

// Parses everything sipfront understands in `msg` (see the file comment). Returns the first
// error in message order. With `parsed` (ParseRegister's successful result for `msg`), skips
// what that already checked: the Request-URI, the first To and From, the first Via value,
// every Contact and the first Authorization.
ParseStatus ValidateMessage(const Message& msg, const RegisterFields* parsed = nullptr);

// Message-level rules for a request a UAS acts on (RFC 3261 §8.1.1, §8.2): Via, From, To,
// Call-ID and CSeq present (kMissing...), and From, To, Call-ID, CSeq, Max-Forwards, Expires
// at most once (kMultiple...). `at` points at the offending header name, or at the start
// line for a missing header.
ParseStatus CheckRequest(const Message& msg);

// The fields a registrar needs from a REGISTER (RFC 3261 §10.3), parsed in one call.
inline constexpr std::size_t kMaxRegisterContacts = 32;

struct RegisterFields {
  Uri request_uri;
  FromTo to;  // the address-of-record
  FromTo from;
  Via top_via;  // where the response goes (RFC 3261 §18.2.2, RFC 3581)
  bool contact_star;
  uint8_t contact_count;
  Contact contacts[kMaxRegisterContacts];
  bool has_credentials;
  Credentials credentials;  // the first Authorization header
};

// Parses the Request-URI, To, From, the top Via, every Contact and the first Authorization of
// a tokenized REGISTER. Missing To/From/Via/Call-ID/CSeq are reported as by CheckRequest;
// more than kMaxRegisterContacts contacts is kTooManyContacts. Other headers are not looked at.
ParseStatus ParseRegister(const Message& msg, RegisterFields& out);

}  // namespace sipfront::sip

#endif  // SIPFRONT_SIP_HEADERS_H_
