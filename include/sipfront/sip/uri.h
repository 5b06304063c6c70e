// sipfront/sip/uri.h — SIP, SIPS and tel URIs as spans; parameters; comparison.
//
// ParseUri() splits a URI into spans without copying or unescaping: user, password, host,
// params and headers are exactly as on the wire (%HH escapes kept). Comparison per
// RFC 3261 §19.1.4 (UriEquivalent) and the canonical AOR key (CanonicalAor) decode escapes
// into caller-provided storage; nothing here allocates.
//
// Lifetime: views point into the parsed input. Threading: pure functions.
#ifndef SIPFRONT_SIP_URI_H_
#define SIPFRONT_SIP_URI_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sipfront/sip/parse_error.h"

namespace sipfront::sip {

enum class UriScheme : uint8_t {
  kSip,
  kSips,
  kTel,    // RFC 3966: the number is in `user`, parameters in `params`
  kOther,  // any other absoluteURI (RFC 3261 §25.1); only `scheme` and `opaque` are set
};

enum class HostKind : uint8_t { kNone, kName, kIPv4, kIPv6 };

struct Uri {
  std::string_view raw;     // the whole URI
  std::string_view scheme;  // as on the wire ("sip", "SIP", "tel", ...)
  UriScheme kind;
  std::string_view user;      // "" when absent; escapes kept
  std::string_view password;  // "" when absent
  std::string_view host;      // IPv6 references keep their brackets
  HostKind host_kind;
  bool has_port;
  uint16_t port;
  std::string_view params;   // after the first ';' following hostport (or the tel number); no ';'
  std::string_view headers;  // after '?'; no '?'
  std::string_view opaque;   // everything after "scheme:"
};

// Parses `s` (no surrounding whitespace) as a SIP/SIPS URI (RFC 3261 §19.1.1, §25.1, with
// RFC 5118 IPv6 references), a tel URI (RFC 3966) or another absoluteURI.
// Returns kBadUri with `at` on the first byte that does not fit the grammar: characters
// outside the allowed sets, malformed %HH escapes, an empty user before '@', a bad host or
// port (> 65535), an empty parameter (";;"), or an IPv6 address without brackets.
ParseStatus ParseUri(std::string_view s, Uri& out);

// One ";name[=value]" element of a parameter list.
struct Param {
  std::string_view name;
  std::string_view value;  // quoted values keep their quotes; "" when has_value is false
  bool has_value;
};

// Iterates a raw parameter list such as Uri::params or NameAddr::params ("a=1;lr;b=\"x;y\"").
// Tolerates LWS around ';' and '='. Quoted values may contain ';'.
class ParamIterator {
 public:
  explicit ParamIterator(std::string_view params) : rest_(params) {}
  // Yields the next parameter; false at the end.
  bool Next(Param& p);

 private:
  std::string_view rest_;
};

// Finds a parameter by name (case-insensitive). Returns false when absent.
bool FindParam(std::string_view params, std::string_view name, Param& out);

// Decodes %HH escapes of `in` into `out` (capacity `cap`). Returns the decoded length, or
// -1 when `out` is too small or an escape is malformed. "%00" decodes to a NUL byte.
[[nodiscard]] int64_t Unescape(std::string_view in, char* out, std::size_t cap);

// RFC 3261 §19.1.4 equality of two SIP/SIPS URIs: scheme and host case-insensitive, user and
// password case-sensitive after unescaping, parameters compared per the rules for user, ttl,
// method, maddr and transport, other parameters only when present in both; headers ignored
// by this function (registrar use). Returns false for non-SIP URIs or malformed input.
[[nodiscard]] bool UriEquivalent(const Uri& a, const Uri& b);

// Writes the canonical address-of-record key "user@host" of a SIP/SIPS URI (RFC 3261 §10.3
// step 5): user unescaped, host lowercased, port, parameters and headers dropped. A URI with
// no user gives "host". Returns the key length, or -1 if `cap` is too small or the URI is not
// SIP/SIPS.
[[nodiscard]] int64_t CanonicalAor(const Uri& uri, char* out, std::size_t cap);

}  // namespace sipfront::sip

#endif  // SIPFRONT_SIP_URI_H_
