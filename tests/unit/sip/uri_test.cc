// Table-driven tests of sipfront/sip/uri.h: ParseUri() field splitting for SIP, SIPS, tel and
// other URIs (RFC 3261 §19.1, §25.1; RFC 5118 IPv6 references; RFC 3966), ParamIterator and
// FindParam, Unescape, UriEquivalent (the RFC 3261 §19.1.4 examples) and CanonicalAor.
// Error offsets count from the start of the parsed string.
#include "sipfront/sip/uri.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <ostream>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "sipfront/sip/parse_error.h"

namespace sipfront::sip {

void PrintTo(ParseError e, std::ostream* os) { *os << ErrorName(e); }

namespace {

using namespace std::string_view_literals;
using enum UriScheme;
using enum HostKind;

constexpr ParseError kOk = ParseError::kOk;
constexpr ParseError kBad = ParseError::kBadUri;
constexpr int32_t kNoPort = -1;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c + ('a' - 'A'));
    }
  }
  return out;
}

struct UriRow {
  std::string_view input;
  ParseError error;
  uint32_t offset;  // of the first bad byte, for kBad
  const char* comment;
  UriScheme kind = kSip;
  std::string_view user = {};
  std::string_view password = {};
  std::string_view host = {};
  HostKind host_kind = kNone;
  int32_t port = kNoPort;
  std::string_view params = {};
  std::string_view headers = {};
};

const UriRow kUriRows[] = {
    // SIP and SIPS (RFC 3261 §19.1.1, §19.1.3 examples).
    {"sip:alice@atlanta.com", kOk, 0, "user and domain", kSip, "alice", "", "atlanta.com", kName},
    {"sips:alice@atlanta.com", kOk, 0, "SIPS", kSips, "alice", "", "atlanta.com", kName},
    {"SIP:ALICE@ATLANTA.COM", kOk, 0, "upper-case scheme", kSip, "ALICE", "", "ATLANTA.COM", kName},
    {"SiPs:a@b", kOk, 0, "mixed-case SIPS scheme", kSips, "a", "", "b", kName},
    // The '@' search: in a whole 16-byte run, in the 8 to 15 bytes after it, bytewise, or absent.
    {"sip:abcdefghijklmnopq@h", kOk, 0, "'@' after 17 bytes", kSip, "abcdefghijklmnopq", "", "h",
     kName},
    {"sip:abcdefghijk@h.com", kOk, 0, "'@' at byte 11 of 17", kSip, "abcdefghijk", "", "h.com",
     kName},
    {"sip:ab@h", kOk, 0, "'@' in a span under 8 bytes", kSip, "ab", "", "h", kName},
    {"sip:abcdefghijk.example.com", kOk, 0, "no '@' in 23 bytes", kSip, "", "",
     "abcdefghijk.example.com", kName},
    {"sip:h.example.co", kOk, 0, "no '@' in 12 bytes", kSip, "", "", "h.example.co", kName},
    {"sip:alice:secretword@atlanta.com;transport=tcp", kOk, 0, "password and a parameter", kSip,
     "alice", "secretword", "atlanta.com", kName, kNoPort, "transport=tcp"},
    {"sips:alice@atlanta.com?subject=project%20x&priority=urgent", kOk, 0, "two headers", kSips,
     "alice", "", "atlanta.com", kName, kNoPort, "", "subject=project%20x&priority=urgent"},
    {"sip:+1-212-555-1212:1234@gateway.com;user=phone", kOk, 0, "telephone-subscriber user", kSip,
     "+1-212-555-1212", "1234", "gateway.com", kName, kNoPort, "user=phone"},
    {"sips:1212@gateway.com", kOk, 0, "numeric user", kSips, "1212", "", "gateway.com", kName},
    {"sip:alice@192.0.2.4", kOk, 0, "IPv4 host", kSip, "alice", "", "192.0.2.4", kIPv4},
    // A parameter name's leading letters, digits, '-' and '.' are skipped in one vector test with 8
    // or more bytes left; the scan goes on bytewise after them.
    {"sip:h;abcdefgh", kOk, 0, "8-byte parameter name at the end", kSip, "", "", "h", kName,
     kNoPort, "abcdefgh"},
    {"sip:h;a-b.c9_x~y=1;lr", kOk, 0, "'_' and '~' after a run in a parameter name", kSip, "", "",
     "h", kName, kNoPort, "a-b.c9_x~y=1;lr"},
    {"sip:h;transport%41=tcp", kOk, 0, "escape after a run in a parameter name", kSip, "", "", "h",
     kName, kNoPort, "transport%41=tcp"},
    // IPv4 hosts are scanned on a 16-byte window: read in place with 16 bytes left, copied with
    // 8 to 15 (zeros after the end), bytewise under 8.
    {"sip:1.2.3.4", kOk, 0, "IPv4 host of 7 bytes (bytewise)", kSip, "", "", "1.2.3.4", kIPv4},
    {"sip:10.2.3.4", kOk, 0, "IPv4 host of 8 bytes", kSip, "", "", "10.2.3.4", kIPv4},
    {"sip:255.255.255.255", kOk, 0, "IPv4 host of 15 bytes, all parts 255", kSip, "", "",
     "255.255.255.255", kIPv4},
    {"sip:255.255.255.255;lr", kOk, 0, "IPv4 host of 15 bytes and more after it", kSip, "", "",
     "255.255.255.255", kIPv4, kNoPort, "lr"},
    {"sip:a@249.250.199.0:5060;transport=tcp", kOk, 0, "IPv4 parts 249, 250, 199, 0", kSip, "a", "",
     "249.250.199.0", kIPv4, 5060, "transport=tcp"},
    {"sip:a@010.002.3.4", kOk, 0, "IPv4 parts with leading zeros", kSip, "a", "", "010.002.3.4",
     kIPv4},
    {"sip:a@0.0.0.0;maddr=1.2.3.4", kOk, 0, "IPv4 host followed by a numeric parameter", kSip, "a",
     "", "0.0.0.0", kIPv4, kNoPort, "maddr=1.2.3.4"},
    {"sip:a@1.2.3.4-x.example.com", kOk, 0, "digit-leading host name", kSip, "a", "",
     "1.2.3.4-x.example.com", kName},
    {"sip:a@12.34.56.example.com", kOk, 0, "host name after three numeric labels", kSip, "a", "",
     "12.34.56.example.com", kName},
    {"sip:atlanta.com;method=REGISTER?to=alice%40atlanta.com", kOk, 0, "no user", kSip, "", "",
     "atlanta.com", kName, kNoPort, "method=REGISTER", "to=alice%40atlanta.com"},
    {"sip:alice;day=tuesday@atlanta.com", kOk, 0, "';' and '=' inside the user part", kSip,
     "alice;day=tuesday", "", "atlanta.com", kName},
    {"sip:alice@atlanta.com:5060", kOk, 0, "port", kSip, "alice", "", "atlanta.com", kName, 5060},
    {"sip:alice@atlanta.com:0", kOk, 0, "port 0", kSip, "alice", "", "atlanta.com", kName, 0},
    {"sip:alice@atlanta.com:65535", kOk, 0, "largest port", kSip, "alice", "", "atlanta.com", kName,
     65535},
    {"sip:alice@atlanta.com:05060", kOk, 0, "port with a leading zero", kSip, "alice", "",
     "atlanta.com", kName, 5060},
    {"sip:alice@atlanta.com:0000005060", kOk, 0, "more than five digits, leading zeros", kSip,
     "alice", "", "atlanta.com", kName, 5060},
    {"sip:alice@atlanta.com:7;lr", kOk, 0, "one-digit port, then a parameter", kSip, "alice", "",
     "atlanta.com", kName, 7, "lr"},
    {"sip:a@b", kOk, 0, "one-letter user and host", kSip, "a", "", "b", kName},
    {"sip:localhost", kOk, 0, "single-label host", kSip, "", "", "localhost", kName},
    {"sip:example.com.", kOk, 0, "fully qualified host with a trailing dot", kSip, "", "",
     "example.com.", kName},
    {"sip:a-b.example.com", kOk, 0, "'-' inside a label", kSip, "", "", "a-b.example.com", kName},
    {"sip:1.example.com", kOk, 0, "domain label starting with a digit", kSip, "", "",
     "1.example.com", kName},
    {"sip:x.y2", kOk, 0, "top label with a digit after the first letter", kSip, "", "", "x.y2",
     kName},
    {"sip:host_name.example.com", kOk, 0, "'_' in a hostname tolerated as documented", kSip, "", "",
     "host_name.example.com", kName},
    {"sip:a%40b@host", kOk, 0, "escapes are kept as on the wire", kSip, "a%40b", "", "host", kName},
    {"sip:%61lice@atlanta.com", kOk, 0, "escaped unreserved character kept", kSip, "%61lice", "",
     "atlanta.com", kName},
    {"sip:a%00b@host", kOk, 0, "escaped NUL kept (RFC 4475 escnull)", kSip, "a%00b", "", "host",
     kName},
    {"sip:&=+$,;?/-_.!~*'()@host", kOk, 0, "every user-unreserved and mark character", kSip,
     "&=+$,;?/-_.!~*'()", "", "host", kName},
    {"sip:u:&=+$,-_.!~*'()%41@host", kOk, 0, "every password character and an escape", kSip, "u",
     "&=+$,-_.!~*'()%41", "host", kName},
    {"sip:user:@host", kOk, 0, "empty password", kSip, "user", "", "host", kName},
    {"sip:a@host;lr", kOk, 0, "parameter without value", kSip, "a", "", "host", kName, kNoPort,
     "lr"},
    {"sip:a@host;lr;transport=udp;maddr=239.255.255.1;ttl=15", kOk, 0, "several parameters", kSip,
     "a", "", "host", kName, kNoPort, "lr;transport=udp;maddr=239.255.255.1;ttl=15"},
    {"sip:a@host;x=%41", kOk, 0, "escaped parameter value", kSip, "a", "", "host", kName, kNoPort,
     "x=%41"},
    {"sip:a@host;a=[::1]:5;b=/+$&", kOk, 0, "param-unreserved characters", kSip, "a", "", "host",
     kName, kNoPort, "a=[::1]:5;b=/+$&"},
    {"sip:a@host:5060;lr?h=v", kOk, 0, "port, parameter and header", kSip, "a", "", "host", kName,
     5060, "lr", "h=v"},
    {"sip:a@host?a=", kOk, 0, "empty header value", kSip, "a", "", "host", kName, kNoPort, "",
     "a="},
    {"sip:a@host?a=b&c=d", kOk, 0, "two headers", kSip, "a", "", "host", kName, kNoPort, "",
     "a=b&c=d"},
    {"sip:a@host?h=%20[]/?:+$", kOk, 0, "hnv-unreserved characters", kSip, "a", "", "host", kName,
     kNoPort, "", "h=%20[]/?:+$"},
    // IPv6 references (RFC 5118).
    {"sip:[2001:db8::10]", kOk, 0, "IPv6 reference", kSip, "", "", "[2001:db8::10]", kIPv6},
    {"sip:[2001:db8::10]:5070", kOk, 0, "IPv6 reference with port", kSip, "", "", "[2001:db8::10]",
     kIPv6, 5070},
    {"sip:alice@[::1]", kOk, 0, "loopback", kSip, "alice", "", "[::1]", kIPv6},
    {"sip:[::]", kOk, 0, "unspecified address", kSip, "", "", "[::]", kIPv6},
    {"sip:[::ffff:192.0.2.1]", kOk, 0, "IPv4-mapped (RFC 5118 §4.2)", kSip, "", "",
     "[::ffff:192.0.2.1]", kIPv6},
    {"sip:[2001:db8:0:0:0:0:0:1]", kOk, 0, "eight groups", kSip, "", "", "[2001:db8:0:0:0:0:0:1]",
     kIPv6},
    {"sip:[2001:db8::192.0.2.1]", kOk, 0, "embedded IPv4 after '::' (RFC 5118 §4.10)", kSip, "", "",
     "[2001:db8::192.0.2.1]", kIPv6},
    {"sip:[2001:db8:::192.0.2.1]", kOk, 0,
     "':::' before IPv4 accepted as documented (RFC 5118 §4.10, RFC 3261 ABNF bug)", kSip, "", "",
     "[2001:db8:::192.0.2.1]", kIPv6},
    {"sip:[1:2:3:4:5:6:1.2.3.4]", kOk, 0, "six groups and IPv4", kSip, "", "",
     "[1:2:3:4:5:6:1.2.3.4]", kIPv6},
    {"sip:[1::]", kOk, 0, "trailing '::'", kSip, "", "", "[1::]", kIPv6},
    {"sip:[1:2:3:4:5:6:7::]", kOk, 0, "seven groups and '::'", kSip, "", "", "[1:2:3:4:5:6:7::]",
     kIPv6},
    {"sip:[::1:2:3:4:5:6:7]", kOk, 0, "'::' and seven groups", kSip, "", "", "[::1:2:3:4:5:6:7]",
     kIPv6},
    {"sip:[FFFF::AbCd]", kOk, 0, "upper- and mixed-case hex", kSip, "", "", "[FFFF::AbCd]", kIPv6},
    {"sip:[fe80::1]:0;maddr=[ff02::1]", kOk, 0, "IPv6 in a parameter value", kSip, "", "",
     "[fe80::1]", kIPv6, 0, "maddr=[ff02::1]"},
    // tel (RFC 3966) and other schemes.
    {"tel:+1-201-555-0123", kOk, 0, "global tel number", kTel, "+1-201-555-0123"},
    {"tel:7042;phone-context=example.com", kOk, 0, "local number with context", kTel, "7042", "",
     "", kNone, kNoPort, "phone-context=example.com"},
    {"tel:+1(201)555.0123", kOk, 0, "visual separators", kTel, "+1(201)555.0123"},
    {"tel:*67#", kOk, 0, "'*' and '#'", kTel, "*67#"},
    {"TEL:+1", kOk, 0, "upper-case tel scheme", kTel, "+1"},
    {"mailto:alice@example.com", kOk, 0, "other scheme: opaque", kOther},
    {"http://example.com/path?x=1", kOk, 0, "http URI", kOther},
    {"urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6", kOk, 0, "URN", kOther},
    {"x-custom+1.0-a:op%41que", kOk, 0, "scheme with '+', '-' and '.'", kOther},
    {"sipx:a@b", kOk, 0, "scheme that only starts with sip", kOther},
    // Rejected.
    {"", kBad, 0, "empty"},
    {"sip", kBad, 3, "no colon"},
    {"1sip:a@b", kBad, 0, "scheme starting with a digit"},
    {":a@b", kBad, 0, "empty scheme"},
    {"s_p:a@b", kBad, 1, "'_' in the scheme"},
    {"sip:", kBad, 4, "nothing after the scheme"},
    {"sip:@host", kBad, 4, "empty user before '@'"},
    {"sip:a@", kBad, 6, "empty host"},
    {"sip:a@host:", kBad, 11, "empty port"},
    {"sip:a@host:65536", kBad, 11, "port above 65535"},
    {"sip:a@host:99999999999", kBad, 11, "huge port"},
    {"sip:a@host:99999", kBad, 11, "five digits above 65535"},
    {"sip:a@host:000070000", kBad, 11, "above 65535 after leading zeros"},
    {"sip:a@host:-1", kBad, 11, "negative port"},
    {"sip:a@host:5060x", kBad, 15, "junk after the port"},
    {"sip:a@host:5060:5061", kBad, 15, "two ports"},
    {"sip:a%2@host", kBad, 5, "truncated escape in the user"},
    {"sip:a%zz@host", kBad, 5, "non-hex escape in the user"},
    {"sip:a b@host", kBad, 5, "SP in the user"},
    {"sip:a<b@host", kBad, 5, "'<' in the user"},
    {"sip:a\0b@host"sv, kBad, 5, "raw NUL in the user"},
    {"sip:\xc3\xa9@host", kBad, 4, "raw non-ASCII user"},
    {"sip:a:p w@host", kBad, 7, "SP in the password"},
    {"sip:a:p:q@host", kBad, 7, "':' in the password"},
    {"sip:a:p%g0@host", kBad, 7, "bad escape in the password"},
    {"sip:a:p@ss@host", kBad, 10, "second '@'"},
    {"sip:a@-host", kBad, 6, "label starting with '-'"},
    {"sip:a@host-", kBad, 6, "label ending with '-'"},
    {"sip:a@.host", kBad, 6, "empty first label"},
    {"sip:a@ho..st", kBad, 6, "empty inner label"},
    {"sip:a@example.123", kBad, 6, "top label starting with a digit"},
    {"sip:a@example.-com", kBad, 6, "top label starting with '-'"},
    {"sip:a@1.2.3", kBad, 6, "three-part dotted number"},
    {"sip:a@1.2.3.256", kBad, 6, "IPv4 part above 255"},
    {"sip:a@1.2.3.4.5", kBad, 6, "five-part dotted number"},
    {"sip:a@1234.1.1.1", kBad, 6, "four-digit IPv4 part"},
    {"sip:a@1..2.3", kBad, 6, "empty IPv4 part"},
    {"sip:a@256.1.1.1", kBad, 6, "first IPv4 part above 255"},
    {"sip:a@1.260.1.1", kBad, 6, "IPv4 part 260"},
    {"sip:a@1.1.300.1;lr", kBad, 6, "IPv4 part 300 with 16 bytes in the span"},
    {"sip:a@1.1.1.999", kBad, 6, "IPv4 part 999"},
    {"sip:a@1.1.1.1234", kBad, 6, "four-digit last IPv4 part"},
    {"sip:a@1.1.1234.1;lr=1", kBad, 6, "four-digit inner IPv4 part"},
    {"sip:a@1.2.3.", kBad, 6, "empty last IPv4 part"},
    {"sip:a@.1.2.3.4", kBad, 6, "empty first IPv4 part"},
    {"sip:a@1.2.3.4.", kBad, 6, "IPv4 address and a trailing dot"},
    {"sip:a@1.2.3.4.5;transport=udp", kBad, 6, "five-part dotted number, 16 bytes in the span"},
    {"sip:a@1.2.3:5060", kBad, 6, "three-part dotted number and a port"},
    {"sip:a@1.2.3.4>", kBad, 13, "'>' after the IPv4 host"},
    {"sip:a@1.2.3.4x", kBad, 6, "IPv4 address run on into a top label \"4x\""},
    {"sip:a@h\xc3\xa9", kBad, 7, "raw non-ASCII host"},
    {"sip:a@ho st", kBad, 8, "SP in the host"},
    {"sip:a@host#frag", kBad, 10, "fragment"},
    {"sip:a@host>", kBad, 10, "'>' after the host"},
    {"sip:a@host\0"sv, kBad, 10, "NUL after the host"},
    {"sip:2001:db8::1", kBad, 4, "IPv6 address without brackets"},
    {"sip:[2001:db8::1", kBad, 4, "unterminated IPv6 reference"},
    {"sip:[2001:db8::1]x", kBad, 17, "junk after the IPv6 reference"},
    {"sip:[]", kBad, 4, "empty IPv6 reference"},
    {"sip:[1:2:3:4:5:6:7:8:9]", kBad, 4, "nine groups"},
    {"sip:[1:2:3:4:5:6:7]", kBad, 4, "seven groups without '::'"},
    {"sip:[1:2:3:4:5:6:7:8::]", kBad, 4, "eight groups and '::'"},
    {"sip:[1::2::3]", kBad, 4, "two '::'"},
    {"sip:[12345::1]", kBad, 4, "five-digit group"},
    {"sip:[:1]", kBad, 4, "single leading ':'"},
    {"sip:[1:]", kBad, 4, "single trailing ':'"},
    {"sip:[g::1]", kBad, 4, "non-hex group"},
    {"sip:[::ffff:1.2.3.256]", kBad, 4, "bad embedded IPv4"},
    {"sip:[::1.2.3]", kBad, 4, "short embedded IPv4"},
    {"sip:[1.2.3.4]", kBad, 4, "IPv4 inside brackets"},
    {"sip:h;transport%4g=tcp", kBad, 15, "bad escape after a letter run in a parameter name"},
    {"sip:h;transport\"=tcp;lr", kBad, 15, "DQUOTE after a letter run in a parameter name"},
    {"sip:a@host;", kBad, 11, "empty parameter at the end"},
    {"sip:a@host;;lr", kBad, 11, "empty parameter (;;)"},
    {"sip:a@host;lr=", kBad, 14, "parameter with '=' but no value"},
    {"sip:a@host;=x", kBad, 11, "parameter without a name"},
    {"sip:a@host;a b", kBad, 12, "SP in the parameters"},
    {"sip:a@host;x=%4", kBad, 13, "truncated escape in a parameter"},
    {"sip:a@host;x=\"q\"", kBad, 13, "quoted parameter value in a URI"},
    {"sip:a@host;x=a,b", kBad, 14, "',' in a URI parameter"},
    {"sip:a@host?", kBad, 11, "empty headers"},
    {"sip:a@host?a", kBad, 12, "header without '='"},
    {"sip:a@host?=b", kBad, 11, "header without a name"},
    {"sip:a@host?a=b&", kBad, 15, "empty header after '&'"},
    {"sip:a@host?a=b c", kBad, 14, "SP in a header value"},
    {"sip:a@host?a=%G0", kBad, 13, "bad escape in a header value"},
    {"sip:a@host?a=b;c", kBad, 14, "';' in a header value"},
    {"tel:", kBad, 4, "empty tel number"},
    {"tel:+1 234", kBad, 6, "SP in a tel number"},
    {"tel:+1;", kBad, 7, "empty tel parameter"},
    {"tel:+1?x=y", kBad, 6, "headers in a tel URI"},
    {"tel:+1z", kBad, 6, "letter outside HEXDIG in a tel number"},
    {"mailto:", kBad, 7, "empty opaque part"},
    {"mailto:a b", kBad, 8, "SP in an opaque part"},
    {"mailto:a%zz", kBad, 8, "bad escape in an opaque part"},
    {"http://a/<b>", kBad, 9, "'<' in an opaque part"},
};

TEST(UriTest, SplitsUriFields) {
  for (const UriRow& row : kUriRows) {
    SCOPED_TRACE(row.comment);
    const std::string copy(row.input);  // exact-size heap copy: reads past the end are caught
    Uri uri;
    const ParseStatus st = ParseUri(copy, uri);
    ASSERT_EQ(st.error, row.error) << row.input;
    EXPECT_EQ(uri.raw, copy);
    if (row.error != kOk) {
      ASSERT_NE(st.at, nullptr);
      EXPECT_EQ(st.at - copy.data(), static_cast<std::ptrdiff_t>(row.offset)) << row.input;
      continue;
    }
    EXPECT_EQ(st.at, nullptr);
    EXPECT_EQ(uri.kind, row.kind);
    EXPECT_EQ(uri.opaque, copy.substr(copy.find(':') + 1));
    EXPECT_EQ(uri.scheme, copy.substr(0, copy.find(':')));
    if (row.kind == kOther) {
      continue;
    }
    EXPECT_EQ(uri.user, row.user);
    EXPECT_EQ(uri.password, row.password);
    EXPECT_EQ(uri.host, row.host);
    EXPECT_EQ(uri.host_kind, row.host_kind);
    EXPECT_EQ(uri.has_port, row.port != kNoPort);
    if (row.port != kNoPort) {
      EXPECT_EQ(uri.port, row.port);
    }
    EXPECT_EQ(uri.params, row.params);
    EXPECT_EQ(uri.headers, row.headers);
  }
}

TEST(UriTest, ResetsTheOutputOnEveryCall) {
  Uri uri;
  ASSERT_TRUE(ParseUri("sips:u:p@[::1]:5061;lr?h=v", uri).ok());
  EXPECT_TRUE(uri.has_port);
  ASSERT_TRUE(ParseUri("sip:host", uri).ok());
  EXPECT_EQ(uri.kind, kSip);
  EXPECT_EQ(uri.user, "");
  EXPECT_EQ(uri.password, "");
  EXPECT_FALSE(uri.has_port);
  EXPECT_EQ(uri.params, "");
  EXPECT_EQ(uri.headers, "");
  EXPECT_EQ(uri.host_kind, kName);
}

// A URI inside a larger buffer: parsing stops at the view's end, not at the buffer's.
TEST(UriTest, StopsAtTheEndOfTheView) {
  const std::string_view buf = "sip:alice@atlanta.com:5060>;tag=1";
  Uri uri;
  ASSERT_TRUE(ParseUri(buf.substr(0, 21), uri).ok());
  EXPECT_EQ(uri.host, "atlanta.com");
  EXPECT_FALSE(uri.has_port);
  ASSERT_TRUE(ParseUri(buf.substr(0, 26), uri).ok());
  EXPECT_EQ(uri.port, 5060);
}

// ---------------------------------------------------------------------------------------------
// ParamIterator: yields "name" or "name=value", joined here with " | ".

struct ParamRow {
  std::string_view params;
  std::string_view expected;
  const char* comment;
};

const ParamRow kParamRows[] = {
    {"", "", "empty list"},
    {"lr", "lr", "one parameter without value"},
    {"transport=tcp", "transport=tcp", "one parameter with value"},
    {"a=1;lr;b=\"x;y\"", "a=1 | lr | b=\"x;y\"", "quoted value keeps its quotes and ';'"},
    {" a = 1 ; b ", "a=1 | b", "LWS around ';' and '='"},
    {"a\t=\t1", "a=1", "HT around '='"},
    {"a\r\n =1", "a=1", "folded LWS before '='"},
    {";;a;;", "a", "empty elements are skipped"},
    {";", "", "only a separator"},
    {"a=", "a=", "'=' with an empty value"},
    {"a=1;A=2", "a=1 | A=2", "names keep their case"},
    {"tag=abc;expires=60;+sip.instance=\"<urn:uuid:1>\"",
     "tag=abc | expires=60 | +sip.instance=\"<urn:uuid:1>\"", "contact-style parameters"},
    {"maddr=[::1];x", "maddr=[::1] | x", "IPv6 reference as a value"},
    {"q=\"a\\\"b;c\";r", "q=\"a\\\"b;c\" | r", "quoted-pair quote inside a quoted value"},
    {"a=\"open;b", "a=\"open;b", "unterminated quote swallows the rest"},
    {"a=b=c", "a=b=c", "'=' inside a value"},
    {"a=%41", "a=%41", "escapes are not decoded"},
};

std::string Join(std::string_view params) {
  std::string out;
  ParamIterator it(params);
  Param p;
  while (it.Next(p)) {
    if (!out.empty()) {
      out += " | ";
    }
    out += p.name;
    if (p.has_value) {
      out += "=";
      out += p.value;
    } else {
      EXPECT_TRUE(p.value.empty());
    }
  }
  EXPECT_FALSE(it.Next(p)) << "stays at the end";
  return out;
}

TEST(UriTest, IteratesParameters) {
  for (const ParamRow& row : kParamRows) {
    SCOPED_TRACE(row.comment);
    EXPECT_EQ(Join(row.params), row.expected) << row.params;
  }
}

struct FindRow {
  std::string_view params;
  std::string_view name;
  bool found;
  const char* comment;
  std::string_view value = {};
  bool has_value = false;
};

const FindRow kFindRows[] = {
    {"transport=tcp;lr", "lr", true, "parameter without value", "", false},
    {"transport=tcp;lr", "transport", true, "parameter with value", "tcp", true},
    {"transport=tcp;lr", "TRANSPORT", true, "names compare case-insensitively", "tcp", true},
    {"Transport=TCP", "transport", true, "value keeps its case", "TCP", true},
    {"transport=tcp", "transpor", false, "prefix of a name"},
    {"transport=tcp", "transports", false, "longer than a name"},
    {"", "lr", false, "empty list"},
    {"a=1;a=2", "a", true, "first of two", "1", true},
    {"x=\"a;tag=b\"", "tag", false, "inside a quoted value"},
    {" expires = 60 ", "expires", true, "LWS around the value", "60", true},
    {"Q=0.5", "q", true, "upper-case name", "0.5", true},
    {"a=;b", "a", true, "empty value", "", true},
    {"lr", "", false, "empty name is never found"},
};

TEST(UriTest, FindsParametersByName) {
  for (const FindRow& row : kFindRows) {
    SCOPED_TRACE(row.comment);
    Param p{"unset", "unset", true};
    ASSERT_EQ(FindParam(row.params, row.name, p), row.found);
    if (!row.found) {
      continue;
    }
    EXPECT_EQ(Lower(p.name), Lower(row.name));
    EXPECT_EQ(p.value, row.value);
    EXPECT_EQ(p.has_value, row.has_value);
  }
}

// ---------------------------------------------------------------------------------------------
// Unescape.

struct UnescapeRow {
  std::string_view in;
  std::size_t cap;
  int64_t result;  // decoded length or -1
  std::string_view out;
  const char* comment;
};

const UnescapeRow kUnescapeRows[] = {
    {"", 16, 0, "", "empty input"},
    {"", 0, 0, "", "empty input with no room"},
    {"abc", 16, 3, "abc", "nothing to decode"},
    {"%41", 16, 1, "A", "one escape"},
    {"%61lice", 16, 5, "alice", "escape at the start"},
    {"a%20b", 16, 3, "a b", "escape in the middle"},
    {"ab%7e", 16, 3, "ab~", "escape at the end, lower-case hex"},
    {"%7e%7E", 16, 2, "~~", "lower- and upper-case hex"},
    {"%00", 16, 1, "\0"sv, "%00 decodes to a NUL byte"},
    {"a%00b", 16, 3, "a\0b"sv, "NUL in the middle"},
    {"%C3%A9", 16, 2, "\xc3\xa9", "UTF-8 bytes"},
    {"%ff%FF", 16, 2, "\xff\xff", "byte 0xff"},
    {"%25", 16, 1, "%", "escaped '%'"},
    {"%2541", 16, 3, "%41", "decoded once only"},
    {"%", 16, -1, "", "lone '%'"},
    {"%%", 16, -1, "", "'%%'"},
    {"%4", 16, -1, "", "one hex digit"},
    {"a%4", 16, -1, "", "one hex digit at the end"},
    {"%4g", 16, -1, "", "second digit not hex"},
    {"%g4", 16, -1, "", "first digit not hex"},
    {"%%41", 16, -1, "", "'%' followed by an escape"},
    {"% 41", 16, -1, "", "SP inside an escape"},
    {"abc", 3, 3, "abc", "exact fit"},
    {"abc", 2, -1, "", "one byte short"},
    {"%41%42", 2, 2, "AB", "escapes need one byte each"},
    {"%41%42", 1, -1, "", "second escape does not fit"},
    {"a", 0, -1, "", "no room at all"},
};

TEST(UriTest, UnescapesIntoCallerStorage) {
  for (const UnescapeRow& row : kUnescapeRows) {
    SCOPED_TRACE(row.comment);
    char buf[32];
    std::memset(buf, '#', sizeof(buf));
    const int64_t n = Unescape(row.in, buf, row.cap);
    ASSERT_EQ(n, row.result) << row.in;
    if (n >= 0) {
      EXPECT_EQ(std::string_view(buf, static_cast<std::size_t>(n)), row.out);
    }
    for (std::size_t i = row.cap; i < sizeof(buf); ++i) {
      ASSERT_EQ(buf[i], '#') << "wrote past cap at " << i;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// UriEquivalent: RFC 3261 §19.1.4, its examples first.

struct EquivRow {
  std::string_view a;
  std::string_view b;
  bool equal;
  const char* comment;
};

const EquivRow kEquivRows[] = {
    // RFC 3261 §19.1.4: equivalent.
    {"sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp", true,
     "§19.1.4: escaped user, host case, parameter name and value case"},
    {"sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5", true,
     "§19.1.4: parameter in one URI only is ignored"},
    {"sip:carol@chicago.com", "sip:carol@chicago.com;security=on", true,
     "§19.1.4: another parameter in one URI only"},
    {"sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on", true,
     "§19.1.4: disjoint other parameters"},
    {"sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
     "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com", true,
     "§19.1.4: parameter order does not matter"},
    {"sip:alice@atlanta.com?subject=project%20x&priority=urgent",
     "sip:alice@atlanta.com?priority=urgent&subject=project%20x", true,
     "§19.1.4: header order does not matter"},
    // RFC 3261 §19.1.4: not equivalent.
    {"SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP", false,
     "§19.1.4: different usernames (case-sensitive)"},
    {"sip:bob@biloxi.com", "sip:bob@biloxi.com:5060", false,
     "§19.1.4: can resolve to different ports"},
    {"sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp", false,
     "§19.1.4: can resolve to different transports"},
    {"sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp", false,
     "§19.1.4: different port and transport"},
    {"sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4", false,
     "§19.1.4: an address does not match the name it resolves from"},
    {"sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting", true,
     "§19.1.4 says different header component; headers are ignored here by design (uri.h)"},
    // Further rules of §19.1.4.
    {"sip:alice@atlanta.com", "sip:alice@atlanta.com", true, "identical"},
    {"sips:alice@atlanta.com", "sips:alice@atlanta.com", true, "identical SIPS"},
    {"sip:alice@atlanta.com", "sips:alice@atlanta.com", false, "SIP and SIPS never match"},
    {"SIP:alice@atlanta.com", "sip:alice@atlanta.com", true, "scheme case-insensitive"},
    {"sip:atlanta.com", "sip:alice@atlanta.com", false, "user present in one only"},
    {"sip:alice:pw@a.com", "sip:alice@a.com", false, "password present in one only"},
    {"sip:alice:pw@a.com", "sip:alice:PW@a.com", false, "password case-sensitive"},
    {"sip:alice:p%77@a.com", "sip:alice:pw@a.com", true, "password compared unescaped"},
    {"sip:Alice@h", "sip:alice@h", false, "user case-sensitive"},
    {"sip:%41@h", "sip:A@h", true, "escaped upper-case letter"},
    {"sip:%41@h", "sip:a@h", false, "escape decodes to a different case"},
    {"sip:a@h:5060", "sip:a@h:5061", false, "different ports"},
    {"sip:a@h:5060", "sip:a@h:05060", true, "same port number"},
    {"sip:a@[2001:DB8::1]", "sip:a@[2001:db8::1]", true, "IPv6 host case-insensitive"},
    {"sip:a@h;user=phone", "sip:a@h", false, "user parameter in one only"},
    {"sip:a@h;ttl=1", "sip:a@h", false, "ttl parameter in one only"},
    {"sip:a@h;method=INVITE", "sip:a@h", false, "method parameter in one only"},
    {"sip:a@h;maddr=1.2.3.4", "sip:a@h", false, "maddr parameter in one only"},
    {"sip:a@h;maddr=X.com", "sip:a@h;maddr=x.com", true, "maddr value case-insensitive"},
    {"sip:a@h;transport=tcp", "sip:a@h;transport=udp", false, "different transports"},
    {"sip:a@h;lr", "sip:a@h;lr", true, "same flag parameter"},
    {"sip:a@h;foo=1", "sip:a@h;foo=2", false, "parameter in both must match"},
    {"sip:a@h;FOO=bar", "sip:a@h;foo=BAR", true, "parameter name and value case-insensitive"},
    {"sip:a@h;foo=%62ar", "sip:a@h;foo=bar", true, "parameter value compared unescaped"},
    {"sip:a@h;x=1", "sip:a@h", true, "other parameter in one only"},
    {"sip:a%3Bb@h", "sip:a;b@h", false,
     "escaped reserved ';' differs from a literal ';' (§19.1.4, RFC 2396 reserved set)"},
    {"sip:a%40b@h", "sip:a%40b@h", true, "same escaped reserved character"},
    {"sip:a%3bb@h", "sip:a%3Bb@h", true, "escaped reserved character, hex case ignored"},
    {"sip:a@h;x=a%3Ab", "sip:a@h;x=a:b", false, "escaped ':' in a parameter value"},
    {"sip:a%2Bb@h", "sip:a+b@h", false, "escaped reserved '+'"},
    {"sip:a%2db@h", "sip:a-b@h", true, "escaped unreserved '-'"},
    {"tel:+1", "tel:+1", false, "tel URIs are not compared"},
    {"mailto:a@b", "mailto:a@b", false, "other schemes are not compared"},
};

TEST(UriTest, ComparesUrisPerRfc3261) {
  for (const EquivRow& row : kEquivRows) {
    SCOPED_TRACE(row.comment);
    Uri a;
    Uri b;
    ASSERT_TRUE(ParseUri(row.a, a).ok()) << row.a;
    ASSERT_TRUE(ParseUri(row.b, b).ok()) << row.b;
    EXPECT_EQ(UriEquivalent(a, b), row.equal) << row.a << " vs " << row.b;
    EXPECT_EQ(UriEquivalent(b, a), row.equal) << "symmetric: " << row.b << " vs " << row.a;
  }
}

// ---------------------------------------------------------------------------------------------
// CanonicalAor (RFC 3261 §10.3 step 5).

struct AorRow {
  std::string_view uri;
  std::size_t cap;
  int64_t result;  // key length or -1
  std::string_view key;
  const char* comment;
};

const AorRow kAorRows[] = {
    {"sip:alice@atlanta.com", 64, 17, "alice@atlanta.com", "user@host"},
    {"sip:alice@AtLanTa.CoM:5060;transport=tcp?x=y", 64, 17, "alice@atlanta.com",
     "host lower-cased; port, parameters and headers dropped"},
    {"sips:Alice@Example.COM", 64, 17, "Alice@example.com", "user keeps its case"},
    {"sip:%61lice@a.com", 64, 11, "alice@a.com", "user unescaped"},
    {"sip:a%00b@h", 64, 5, "a\0b@h"sv, "escaped NUL decoded"},
    {"sip:alice:pw@a.com", 64, 11, "alice@a.com", "password dropped"},
    {"sip:example.com", 64, 11, "example.com", "no user: host only"},
    {"sip:alice@[2001:DB8::1]", 64, 19, "alice@[2001:db8::1]", "IPv6 host keeps its brackets"},
    {"sip:alice@192.0.2.1", 64, 15, "alice@192.0.2.1", "IPv4 host"},
    {"sip:alice;day=tue@h", 64, 15, "alice;day=tue@h", "';' inside the user"},
    {"sip:alice@a.com", 11, 11, "alice@a.com", "exact fit"},
    {"sip:alice@a.com", 10, -1, "", "host one byte short"},
    {"sip:alice@a.com", 5, -1, "", "no room for '@' after the user"},
    {"sip:alice@a.com", 6, -1, "", "no room for the host"},
    {"sip:alice@a.com", 0, -1, "", "no room at all"},
    {"sip:a.com", 5, 5, "a.com", "host-only exact fit"},
    {"sip:a.com", 4, -1, "", "host-only one byte short"},
    {"tel:+1234", 64, -1, "", "tel URI has no AOR key"},
    {"mailto:a@b", 64, -1, "", "other scheme has no AOR key"},
};

TEST(UriTest, BuildsCanonicalAorKeys) {
  for (const AorRow& row : kAorRows) {
    SCOPED_TRACE(row.comment);
    Uri uri;
    ASSERT_TRUE(ParseUri(row.uri, uri).ok()) << row.uri;
    char buf[80];
    std::memset(buf, '#', sizeof(buf));
    const int64_t n = CanonicalAor(uri, buf, row.cap);
    ASSERT_EQ(n, row.result) << row.uri;
    if (n >= 0) {
      EXPECT_EQ(std::string_view(buf, static_cast<std::size_t>(n)), row.key);
    }
    for (std::size_t i = row.cap; i < sizeof(buf); ++i) {
      ASSERT_EQ(buf[i], '#') << "wrote past cap at " << i;
    }
  }
}

// Equivalent URIs that differ only in what CanonicalAor drops map to the same key.
TEST(UriTest, EquivalentAddressesShareAnAorKey) {
  Uri a;
  Uri b;
  ASSERT_TRUE(ParseUri("sip:%61lice@AtLanTa.CoM;transport=TCP", a).ok());
  ASSERT_TRUE(ParseUri("sip:alice@atlanta.com;Transport=tcp", b).ok());
  ASSERT_TRUE(UriEquivalent(a, b));
  char ka[64];
  char kb[64];
  const int64_t na = CanonicalAor(a, ka, sizeof(ka));
  const int64_t nb = CanonicalAor(b, kb, sizeof(kb));
  ASSERT_GT(na, 0);
  EXPECT_EQ(std::string_view(ka, static_cast<std::size_t>(na)),
            std::string_view(kb, static_cast<std::size_t>(nb)));
}

}  // namespace
}  // namespace sipfront::sip
