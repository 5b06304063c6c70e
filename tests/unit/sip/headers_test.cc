// Table-driven tests of sipfront/sip/headers.h: the structured header parsers (ParseVia,
// ParseFromTo, ParseNameAddr, ParseContact, ParseCredentials, ParseDate, IsContactStar), the
// list walker (ValueIterator), and the whole-message checks (ValidateMessage, CheckRequest,
// ParseRegister). Parser error offsets count from the start of the parsed value; message-level
// offsets count from the start of the header lines that follow the start line, unless a table
// says otherwise.
#include "sipfront/sip/headers.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "sipfront/sip/header_id.h"
#include "sipfront/sip/message.h"
#include "sipfront/sip/parse_error.h"
#include "sipfront/sip/uri.h"

#include "buffers.h"

namespace sipfront::sip {

void PrintTo(ParseError e, std::ostream* os) { *os << ErrorName(e); }

namespace {

using namespace std::string_view_literals;
using enum ParseError;
using ::sipfront::testing::GuardedBuffer;

constexpr int32_t kNoPort = -1;

// Offset of `at` inside `s`, or -1 when `at` is null or outside it.
int64_t OffsetIn(std::string_view s, const char* at) {
  if (at == nullptr || at < s.data() || at > s.data() + s.size()) {
    return -1;
  }
  return at - s.data();
}

// A message tokenized from a guard-page buffer that lives as long as this object.
struct Tokenized {
  explicit Tokenized(std::string_view text) : buf(text) {
    error = Tokenize(buf.view(), Framing::kDatagram, *msg);
  }
  GuardedBuffer buf;
  std::unique_ptr<Message> msg = std::make_unique<Message>();
  ParseError error = kOk;
};

// ---------------------------------------------------------------------------------------------
// ParseVia (RFC 3261 §20.42, §25.1 via-parm; RFC 3581 rport; RFC 5118 §4.5 received).

struct ViaRow {
  std::string_view value;
  ParseError error;
  uint32_t offset;
  const char* comment;
  std::string_view transport = {};
  std::string_view host = {};
  HostKind host_kind = HostKind::kNone;
  int32_t port = kNoPort;
  std::string_view branch = {};
  std::string_view received = {};
  bool has_rport = false;
  std::string_view rport = {};
  std::string_view maddr = {};
  int16_t ttl = -1;
  std::string_view params = {};
};

const ViaRow kViaRows[] = {
    {"SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds", kOk, 0, "RFC 3261 example", "UDP",
     "pc33.atlanta.com", HostKind::kName, kNoPort, "z9hG4bK776asdhds", "", false, "", "", -1,
     "branch=z9hG4bK776asdhds"},
    // Long token values are scanned 16 bytes at a time on letters, digits, '-' and '.'; the
    // other token marks are taken bytewise and the scan goes on after them.
    {"SIP/2.0/UDP h;branch=z9hG4bK_a!b%c*d+e`f'g~h-i.jklmnopqrstuvw;rport", kOk, 0,
     "every token mark in 16-byte runs of a branch", "UDP", "h", HostKind::kName, kNoPort,
     "z9hG4bK_a!b%c*d+e`f'g~h-i.jklmnopqrstuvw", "", true, "", "", -1,
     "branch=z9hG4bK_a!b%c*d+e`f'g~h-i.jklmnopqrstuvw;rport"},
    // IPv4 sent-by hosts of under 8, 8 to 15 and 16 or more bytes to the end of the value, and a
    // host name that starts with a digit.
    {"SIP/2.0/UDP 1.2.3.4", kOk, 0, "IPv4 sent-by of 7 bytes", "UDP", "1.2.3.4", HostKind::kIPv4},
    {"SIP/2.0/UDP 255.255.255.255", kOk, 0, "IPv4 sent-by of 15 bytes", "UDP", "255.255.255.255",
     HostKind::kIPv4},
    {"SIP/2.0/UDP 192.168.1.2:5060;rport", kOk, 0, "IPv4 sent-by, port and rport", "UDP",
     "192.168.1.2", HostKind::kIPv4, 5060, "", "", true, "", "", -1, "rport"},
    {"SIP/2.0/UDP 1.2.3.4x.example.com", kOk, 0, "host name that starts as an IPv4 address", "UDP",
     "1.2.3.4x.example.com", HostKind::kName},
    {"SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK74b43", kOk, 0, "host and port",
     "TCP", "client.atlanta.example.com", HostKind::kName, 5060, "z9hG4bK74b43", "", false, "", "",
     -1, "branch=z9hG4bK74b43"},
    {"SIP/2.0/UDP 192.0.2.1:5060;received=192.0.2.207;branch=z9hG4bK77asjd", kOk, 0,
     "IPv4 sent-by and received", "UDP", "192.0.2.1", HostKind::kIPv4, 5060, "z9hG4bK77asjd",
     "192.0.2.207", false, "", "", -1, "received=192.0.2.207;branch=z9hG4bK77asjd"},
    {"SIP/2.0/UDP [2001:db8::9:1];branch=z9hG4bKas3-111", kOk, 0, "IPv6 sent-by (RFC 5118)", "UDP",
     "[2001:db8::9:1]", HostKind::kIPv6, kNoPort, "z9hG4bKas3-111", "", false, "", "", -1,
     "branch=z9hG4bKas3-111"},
    {"SIP/2.0/UDP [2001:db8::9:1]:5060;received=[2001:db8::9:255];branch=z9hG4bKas3", kOk, 0,
     "received with brackets (RFC 5118 §4.5)", "UDP", "[2001:db8::9:1]", HostKind::kIPv6, 5060,
     "z9hG4bKas3", "[2001:db8::9:255]", false, "", "", -1,
     "received=[2001:db8::9:255];branch=z9hG4bKas3"},
    {"SIP/2.0/UDP [2001:db8::9:1];received=2001:db8::9:255;branch=z9hG4bKas3", kOk, 0,
     "received without brackets (RFC 5118 §4.5)", "UDP", "[2001:db8::9:1]", HostKind::kIPv6,
     kNoPort, "z9hG4bKas3", "2001:db8::9:255", false, "", "", -1,
     "received=2001:db8::9:255;branch=z9hG4bKas3"},
    {"SIP/2.0/UDP h;received=::ffff:192.0.2.1", kOk, 0, "IPv4-mapped received", "UDP", "h",
     HostKind::kName, kNoPort, "", "::ffff:192.0.2.1", false, "", "", -1,
     "received=::ffff:192.0.2.1"},
    {"SIP/2.0/UDP h;rport", kOk, 0, "empty rport (RFC 3581 request)", "UDP", "h", HostKind::kName,
     kNoPort, "", "", true, "", "", -1, "rport"},
    {"SIP/2.0/UDP h;rport=5061", kOk, 0, "rport with a value (RFC 3581 response)", "UDP", "h",
     HostKind::kName, kNoPort, "", "", true, "5061", "", -1, "rport=5061"},
    {"SIP/2.0/UDP h;received=1.2.3.4;rport=0", kOk, 0, "rport 0", "UDP", "h", HostKind::kName,
     kNoPort, "", "1.2.3.4", true, "0", "", -1, "received=1.2.3.4;rport=0"},
    {"SIP/2.0/UDP h;maddr=224.2.0.1;ttl=16", kOk, 0, "multicast maddr and ttl", "UDP", "h",
     HostKind::kName, kNoPort, "", "", false, "", "224.2.0.1", 16, "maddr=224.2.0.1;ttl=16"},
    {"SIP/2.0/UDP h;maddr=proxy.example.com", kOk, 0, "maddr hostname", "UDP", "h", HostKind::kName,
     kNoPort, "", "", false, "", "proxy.example.com", -1, "maddr=proxy.example.com"},
    {"SIP/2.0/UDP h;maddr=[ff02::1]", kOk, 0, "maddr IPv6 reference", "UDP", "h", HostKind::kName,
     kNoPort, "", "", false, "", "[ff02::1]", -1, "maddr=[ff02::1]"},
    {"SIP/2.0/UDP h;ttl=0", kOk, 0, "ttl 0", "UDP", "h", HostKind::kName, kNoPort, "", "", false,
     "", "", 0, "ttl=0"},
    {"SIP/2.0/UDP h;ttl=255", kOk, 0, "ttl 255", "UDP", "h", HostKind::kName, kNoPort, "", "",
     false, "", "", 255, "ttl=255"},
    {"SIP / 2.0 / UDP h", kOk, 0, "SWS around the slashes", "UDP", "h", HostKind::kName},
    {"SIP/2.0/UDP h : 5060", kOk, 0, "SWS around the port colon", "UDP", "h", HostKind::kName,
     5060},
    {"SIP/2.0/UDP h ; branch = z9 ", kOk, 0, "LWS around ';' and '='", "UDP", "h", HostKind::kName,
     kNoPort, "z9", "", false, "", "", -1, "branch = z9"},
    {"SIP/2.0/UDP\r\n h;branch=z9", kOk, 0, "folded before the sent-by", "UDP", "h",
     HostKind::kName, kNoPort, "z9", "", false, "", "", -1, "branch=z9"},
    {"SIP/2.0/UDP h\r\n ;branch=z9", kOk, 0, "folded before a parameter", "UDP", "h",
     HostKind::kName, kNoPort, "z9", "", false, "", "", -1, "branch=z9"},
    {"sip/2.0/udp h", kOk, 0, "sent-protocol kept as on the wire", "udp", "h", HostKind::kName},
    {"SIP/2.0/TLS h", kOk, 0, "TLS", "TLS", "h", HostKind::kName},
    {"SIP/2.0/SCTP h", kOk, 0, "SCTP", "SCTP", "h", HostKind::kName},
    {"SIP/2.0/WS h.invalid", kOk, 0, "WebSocket (RFC 7118)", "WS", "h.invalid", HostKind::kName},
    {"SIP/2.0/WSS h", kOk, 0, "secure WebSocket", "WSS", "h", HostKind::kName},
    {"SIP/2.0/FOO h", kOk, 0, "extension transport token", "FOO", "h", HostKind::kName},
    {"SIP/2.0/UDP h;BRANCH=z9", kOk, 0, "parameter names are case-insensitive", "UDP", "h",
     HostKind::kName, kNoPort, "z9", "", false, "", "", -1, "BRANCH=z9"},
    {"SIP/2.0/UDP h;x=\"quoted;value\";lr", kOk, 0, "quoted generic parameter and a flag", "UDP",
     "h", HostKind::kName, kNoPort, "", "", false, "", "", -1, "x=\"quoted;value\";lr"},
    {"SIP/2.0/UDP h;x=[::1]", kOk, 0, "IPv6 reference as a generic value", "UDP", "h",
     HostKind::kName, kNoPort, "", "", false, "", "", -1, "x=[::1]"},
    {"SIP/2.0/UDP h:0", kOk, 0, "port 0", "UDP", "h", HostKind::kName, 0},
    {"SIP/2.0/UDP h:65535", kOk, 0, "largest port", "UDP", "h", HostKind::kName, 65535},
    {"SIP/2.0/UDP example.com.;branch=z9", kOk, 0, "sent-by with a trailing dot", "UDP",
     "example.com.", HostKind::kName, kNoPort, "z9", "", false, "", "", -1, "branch=z9"},
    {"SIP/2.0/UDP host_1.example.com", kOk, 0, "'_' in the sent-by host as documented", "UDP",
     "host_1.example.com", HostKind::kName},
    {"SIP/2.0/ UDP h", kOk, 0, "LWS after the last slash", "UDP", "h", HostKind::kName},
    {"SIP/2.0/\r\n UDP h", kOk, 0, "folded after the last slash", "UDP", "h", HostKind::kName},
    {"SIP/2.1/UDP h", kOk, 0, "another protocol version", "UDP", "h", HostKind::kName},
    // Rejected.
    {"", kBadVia, 0, "empty"},
    {"SIP/2.0 h", kBadVia, 8, "no transport"},
    {"SIP/2.0/UDP", kBadVia, 11, "no sent-by"},
    {"SIP/2.0/", kBadVia, 8, "nothing after the last slash"},
    {"SIP/2.0/UDPh", kBadVia, 12, "no LWS before the sent-by"},
    {"SIP//UDP h", kBadVia, 4, "empty protocol version"},
    {"/2.0/UDP h", kBadVia, 0, "empty protocol name"},
    {"SIP/2.0/ h", kBadVia, 10, "empty transport: the host is taken as the transport"},
    {"SIP/2.0/UDP -bad", kBadVia, 12, "bad host"},
    {"SIP/2.0/UDP 1.2.3.256", kBadVia, 12, "bad IPv4 address"},
    {"SIP/2.0/UDP h;branch=z9hG4bK_abcdefghij/klmnop", kBadVia, 39,
     "'/' after a token mark in a 16-byte run of a branch"},
    {"SIP/2.0/UDP h;branch=z9hG4bK~abcdefghij,klmnop", kBadVia, 39,
     "',' after a token mark in a 16-byte run of a branch"},
    {"SIP/2.0/UDP 1.2.3.256;branch=z9hG4bK1", kBadVia, 12, "bad IPv4 address, 16 bytes after it"},
    {"SIP/2.0/UDP 1.2.3.4.5", kBadVia, 12, "five-part dotted number"},
    {"SIP/2.0/UDP 1.2.3", kBadVia, 12, "three-part dotted number"},
    {"SIP/2.0/UDP 1.2.3.4>", kBadVia, 19, "'>' after an IPv4 sent-by"},
    {"SIP/2.0/UDP 2001:db8::1", kBadVia, 12, "IPv6 sent-by without brackets"},
    {"SIP/2.0/UDP [2001:db8::1", kBadVia, 12, "unterminated IPv6 reference"},
    {"SIP/2.0/UDP h:", kBadVia, 14, "empty port"},
    {"SIP/2.0/UDP h:65536", kBadVia, 14, "port above 65535"},
    {"SIP/2.0/UDP h:x", kBadVia, 14, "non-numeric port"},
    {"SIP/2.0/UDP h;", kBadVia, 14, "empty parameter"},
    {"SIP/2.0/UDP h;;branch=1", kBadVia, 14, "empty parameter (;;)"},
    {"SIP/2.0/UDP h x", kBadVia, 14, "junk after the sent-by"},
    {"SIP/2.0/UDP h, SIP/2.0/UDP g", kBadVia, 13, "a comma-separated list is not one via-parm"},
    {"SIP/2.0/UDP h;branch", kBadVia, 14, "branch without a value"},
    {"SIP/2.0/UDP h;branch=", kBadVia, 21, "branch with an empty value"},
    {"SIP/2.0/UDP h;branch=\"z9\"", kBadVia, 21, "quoted branch (RFC 4475 badbranch)"},
    {"SIP/2.0/UDP h;branch=z9\0"sv, kBadVia, 23, "NUL after the branch"},
    {"SIP/2.0/UDP h;received=host.com", kBadVia, 23, "received hostname"},
    {"SIP/2.0/UDP h;received=1.2.3.256", kBadVia, 23, "received bad IPv4"},
    {"SIP/2.0/UDP h;received=", kBadVia, 23, "received empty"},
    {"SIP/2.0/UDP h;received", kBadVia, 14, "received without a value"},
    {"SIP/2.0/UDP h;received=1.2.3.4x", kBadVia, 30, "junk after received"},
    {"SIP/2.0/UDP h;received=[1.2.3.4]", kBadVia, 23, "IPv4 address inside brackets"},
    {"SIP/2.0/UDP h;received=abc.de", kBadVia, 23, "hex-looking name is not an address"},
    {"SIP/2.0/UDP h;rport=", kBadVia, 20, "rport with '=' but no value"},
    {"SIP/2.0/UDP h;rport=abc", kBadVia, 20, "non-numeric rport"},
    {"SIP/2.0/UDP h;rport=65536", kBadVia, 20, "rport above 65535"},
    {"SIP/2.0/UDP h;maddr", kBadVia, 14, "maddr without a value"},
    {"SIP/2.0/UDP h;maddr=-x", kBadVia, 20, "maddr not a host"},
    {"SIP/2.0/UDP h;ttl=256", kBadVia, 18, "ttl above 255"},
    {"SIP/2.0/UDP h;ttl=0016", kBadVia, 18, "ttl of four digits"},
    {"SIP/2.0/UDP h;ttl=abc", kBadVia, 18, "non-numeric ttl"},
    {"SIP/2.0/UDP h;ttl", kBadVia, 14, "ttl without a value"},
    {"SIP/2.0/UDP h;x=\"open", kBadVia, 16, "unterminated quoted value"},
    {"SIP/2.0/UDP h;x=<y>", kBadVia, 16, "'<' as a parameter value"},
};

// The parsers reset Uri, Via and Credentials by writing zero bytes (lex.h ZeroResult), which is
// `out = T{}` only while every member's value-initialised form is zero: a default member
// initializer added to one of these structs must fail here, not change parse results.
template <class T>
bool ValueInitialisedIsAllZero() {
  alignas(T) unsigned char raw[sizeof(T)];
  std::memset(raw, 0xa5, sizeof(raw));
  T* t = new (raw) T{};
  const unsigned char zero[sizeof(T)] = {};
  const bool all_zero = std::memcmp(t, zero, sizeof(T)) == 0;
  t->~T();
  return all_zero;
}

TEST(HeadersTest, ResultStructsValueInitialiseToZeroBytes) {
  EXPECT_TRUE(ValueInitialisedIsAllZero<Uri>());
  EXPECT_TRUE(ValueInitialisedIsAllZero<Via>());
  EXPECT_TRUE(ValueInitialisedIsAllZero<Credentials>());
}

TEST(HeadersTest, ParsesVia) {
  for (const ViaRow& row : kViaRows) {
    SCOPED_TRACE(row.comment);
    const std::string value(row.value);
    Via via;
    const ParseStatus st = ParseVia(value, via);
    ASSERT_EQ(st.error, row.error) << row.value;
    if (row.error != kOk) {
      EXPECT_EQ(OffsetIn(value, st.at), row.offset);
      continue;
    }
    EXPECT_EQ(via.protocol_name, value.substr(0, 3));
    EXPECT_EQ(via.transport, row.transport);
    EXPECT_EQ(via.host, row.host);
    EXPECT_EQ(via.host_kind, row.host_kind);
    EXPECT_EQ(via.has_port, row.port != kNoPort);
    if (row.port != kNoPort) {
      EXPECT_EQ(via.port, row.port);
    }
    EXPECT_EQ(via.branch, row.branch);
    EXPECT_EQ(via.received, row.received);
    EXPECT_EQ(via.has_rport, row.has_rport);
    EXPECT_EQ(via.rport, row.rport);
    EXPECT_EQ(via.maddr, row.maddr);
    EXPECT_EQ(via.ttl, row.ttl);
    EXPECT_EQ(via.params, row.params);
  }
}

TEST(HeadersTest, SplitsViaSentProtocol) {
  Via via;
  ASSERT_TRUE(ParseVia("SIP / 2.0 / UDP h", via).ok());
  EXPECT_EQ(via.protocol_name, "SIP");
  EXPECT_EQ(via.protocol_version, "2.0");
  EXPECT_EQ(via.transport, "UDP");
}

// ---------------------------------------------------------------------------------------------
// ParseFromTo and ParseNameAddr (RFC 3261 §20.20, §20.39, §25.1 name-addr / addr-spec).

struct FromToRow {
  std::string_view value;
  ParseError error;  // kOk or kBadFrom
  uint32_t offset;
  const char* comment;
  std::string_view display = {};
  std::string_view uri = {};
  bool angle = false;
  std::string_view tag = {};
  std::string_view params = {};
};

const FromToRow kFromToRows[] = {
    {"Bob <sip:bob@biloxi.com>;tag=a6c85cf", kOk, 0, "token display name and tag", "Bob",
     "sip:bob@biloxi.com", true, "a6c85cf", "tag=a6c85cf"},
    {"<sip:bob@biloxi.com>", kOk, 0, "no display name, no tag", "", "sip:bob@biloxi.com", true},
    {"\"Bob\" <sips:bob@biloxi.com>;tag=1928301774", kOk, 0, "quoted display name kept quoted",
     "\"Bob\"", "sips:bob@biloxi.com", true, "1928301774", "tag=1928301774"},
    {"\"Bob\"<sip:bob@b>", kOk, 0, "no LWS after a quoted display name", "\"Bob\"", "sip:bob@b",
     true},
    {"Bob<sip:bob@b>", kOk, 0, "no LWS after a token display name (RFC 4475 lwsdisp)", "Bob",
     "sip:bob@b", true},
    {"A B  C <sip:x@y>", kOk, 0, "several tokens", "A B  C", "sip:x@y", true},
    {"Anonymous <sip:c8oqz84zk7z@privacy.org>;tag=hyh8", kOk, 0, "RFC 3261 §20.20 example",
     "Anonymous", "sip:c8oqz84zk7z@privacy.org", true, "hyh8", "tag=hyh8"},
    {"sip:+12125551212@server.phone2net.com;tag=887s", kOk, 0,
     "addr-spec: ';' starts header parameters", "", "sip:+12125551212@server.phone2net.com", false,
     "887s", "tag=887s"},
    {"sip:bob@biloxi.com", kOk, 0, "bare addr-spec", "", "sip:bob@biloxi.com", false},
    {"<sip:a@b;transport=tcp>;tag=1", kOk, 0, "URI parameters stay inside the brackets", "",
     "sip:a@b;transport=tcp", true, "1", "tag=1"},
    {"<sip:a@b?subject=x>", kOk, 0, "URI headers allowed inside brackets", "", "sip:a@b?subject=x",
     true},
    {"\"\" <sip:a@b>", kOk, 0, "empty quoted display name", "\"\"", "sip:a@b", true},
    {"\"A \\\"q\\\" <x>, y\" <sip:a@b>", kOk, 0, "quoted-pairs, '<', '>' and ',' in the name",
     "\"A \\\"q\\\" <x>, y\"", "sip:a@b", true},
    {"\"a\\\0b\" <sip:a@b>"sv, kOk, 0, "raw NUL in a quoted-pair (RFC 4475 intmeth)",
     "\"a\\\0b\""sv, "sip:a@b", true},
    {"\"\xc3\xa9\" <sip:a@b>", kOk, 0, "UTF-8 display name", "\"\xc3\xa9\"", "sip:a@b", true},
    // Quoted strings are scanned 16 bytes at a time; an HT, CR or LF stops the vector step and
    // the scan goes on after it.
    {"\"Bob\tand\tAlice Smith Jr.\" <sip:a@b>", kOk, 0, "HTs inside a 16-byte run of a name",
     "\"Bob\tand\tAlice Smith Jr.\"", "sip:a@b", true},
    {"\"a long display name\r\n with a fold in it\" <sip:a@b>", kOk, 0,
     "a fold inside a long quoted name", "\"a long display name\r\n with a fold in it\"", "sip:a@b",
     true},
    {"\"tab\tthen quote\" <sip:a@b>;tag=xyz", kOk, 0, "HT and closing quote in one 16-byte run",
     "\"tab\tthen quote\"", "sip:a@b", true, "xyz", "tag=xyz"},
    {"<sip:a@b>;TAG=x", kOk, 0, "upper-case tag name", "", "sip:a@b", true, "x", "TAG=x"},
    {"<sip:a@b> ; tag = x ", kOk, 0, "LWS around ';' and '='", "", "sip:a@b", true, "x", "tag = x"},
    {"<sip:a@b>;tag=x;foo=bar;baz", kOk, 0, "other parameters kept raw", "", "sip:a@b", true, "x",
     "tag=x;foo=bar;baz"},
    {"<sip:a@b>;foo=\"x;tag=y\"", kOk, 0, "tag inside a quoted value is not the tag", "", "sip:a@b",
     true, "", "foo=\"x;tag=y\""},
    {"tel:+1-555;tag=9", kOk, 0, "tel addr-spec", "", "tel:+1-555", false, "9", "tag=9"},
    {"<tel:+1-555>", kOk, 0, "tel name-addr", "", "tel:+1-555", true},
    {"<mailto:a@b>", kOk, 0, "other URI scheme", "", "mailto:a@b", true},
    {"<sip:a@b>\r\n ;tag=x", kOk, 0, "folded before the tag", "", "sip:a@b", true, "x", "tag=x"},
    {"  <sip:a@b>  ", kOk, 0, "surrounding LWS", "", "sip:a@b", true},
    {"<sip:a@[2001:db8::1]:5060>", kOk, 0, "IPv6 URI", "", "sip:a@[2001:db8::1]:5060", true},
    // Rejected.
    {"", kBadFrom, 0, "empty"},
    {"   ", kBadFrom, 3, "whitespace only"},
    {"<sip:a@b", kBadFrom, 8, "missing '>'"},
    {"<sip:ab@exa", kBadFrom, 11, "missing '>' in a span of 8 to 15 bytes"},
    {"<sip:abcd@example.com", kBadFrom, 21, "missing '>' after a 16-byte run"},
    {"\"Bob\tand\x01Alice Smith Jr.\" <sip:a@b>", kBadFrom, 0,
     "control byte after an HT in a 16-byte run of a quoted name"},
    {"\"Bob and Alice Smith\x7f\" <sip:a@b>", kBadFrom, 0, "DEL after a 16-byte run of a name"},
    {"\"Bob\tand\tAlice Smith Jr. <sip:a@b>", kBadFrom, 0, "unterminated name with HTs"},
    {"< sip:a@b>", kBadFrom, 1, "LWS after '<' (RFC 4475 badaspec)"},
    {"<sip:a@b >", kBadFrom, 8, "LWS before '>'"},
    {"<>", kBadFrom, 1, "empty URI"},
    {"<sip:a@b> junk", kBadFrom, 10, "junk after the name-addr"},
    {"<sip:a@b><sip:c@d>", kBadFrom, 9, "two name-addrs"},
    {"<sip:a@b>;", kBadFrom, 10, "empty parameter"},
    {"<sip:a@b>;;tag=1", kBadFrom, 10, "empty parameter (;;)"},
    {"<sip:a@b>;tag", kBadFrom, 10, "tag without a value"},
    {"<sip:a@b>;tag=", kBadFrom, 14, "tag with an empty value"},
    {"<sip:a@b>;tag=\"x\"", kBadFrom, 14, "quoted tag"},
    {"<sip:a@b>;x=\"open", kBadFrom, 12, "unterminated quoted parameter"},
    {"\"Bob <sip:a@b>", kBadFrom, 0, "unterminated display name"},
    {"\"Bob\" sip:a@b", kBadFrom, 6, "quoted display name before an addr-spec"},
    {"\"Bob\"", kBadFrom, 5, "display name only"},
    {"\"a\001b\" <sip:a@b>", kBadFrom, 0, "control byte in the display name"},
    {"Bob", kBadFrom, 3, "token only"},
    {"Bob sip:a@b", kBadFrom, 7, "token display name before an addr-spec"},
    {"Bob \"x\" <sip:a@b>", kBadFrom, 4, "token and quoted display name mixed"},
    {"Bell, Alexander <sip:a.g.bell@bell-tel.com>;tag=43", kBadFrom, 4,
     "unquoted ',' in the display name (RFC 4475 baddn)"},
    {"A@B <sip:a@b>", kBadFrom, 1, "'@' in a token display name"},
    {"sip:a@b?x=y", kBadFrom, 7, "'?' in an addr-spec"},
    {"sip:a,b@c", kBadFrom, 5, "',' in an addr-spec"},
    {"sip:a@b:99999", kBadFrom, 8, "bad port in an addr-spec"},
    {"sip:a@b;tag=\"q\"", kBadFrom, 12, "quoted tag after an addr-spec"},
};

TEST(HeadersTest, ParsesFromAndTo) {
  for (const FromToRow& row : kFromToRows) {
    SCOPED_TRACE(row.comment);
    const std::string value(row.value);
    FromTo ft;
    const ParseStatus st = ParseFromTo(value, ft, kBadFrom);
    ASSERT_EQ(st.error, row.error) << row.value;
    if (row.error != kOk) {
      EXPECT_EQ(OffsetIn(value, st.at), row.offset);
      // The caller's error code is what comes back.
      FromTo to;
      EXPECT_EQ(ParseFromTo(value, to, kBadTo).error, kBadTo);
      continue;
    }
    EXPECT_EQ(ft.addr.display_name, row.display);
    EXPECT_EQ(ft.addr.uri.raw, row.uri);
    EXPECT_EQ(ft.addr.angle_brackets, row.angle);
    EXPECT_EQ(ft.tag, row.tag);
    EXPECT_EQ(ft.addr.params, row.params);
  }
}

TEST(HeadersTest, FillsTheUriOfAFromHeader) {
  FromTo ft;
  ASSERT_TRUE(ParseFromTo("\"A\" <sips:alice:pw@[::1]:5061;lr>;tag=9", ft, kBadFrom).ok());
  EXPECT_EQ(ft.addr.uri.kind, UriScheme::kSips);
  EXPECT_EQ(ft.addr.uri.user, "alice");
  EXPECT_EQ(ft.addr.uri.password, "pw");
  EXPECT_EQ(ft.addr.uri.host, "[::1]");
  EXPECT_EQ(ft.addr.uri.port, 5061);
  EXPECT_EQ(ft.addr.uri.params, "lr");
  // A second parse into the same struct clears the old tag and display name.
  ASSERT_TRUE(ParseFromTo("sip:b@c", ft, kBadFrom).ok());
  EXPECT_EQ(ft.tag, "");
  EXPECT_EQ(ft.addr.display_name, "");
  EXPECT_FALSE(ft.addr.angle_brackets);
}

struct NameAddrRow {
  std::string_view value;
  bool require_angle;
  ParseError error;  // kOk or kBadRoute
  uint32_t offset;
  const char* comment;
  std::string_view uri = {};
  std::string_view uri_params = {};
  std::string_view params = {};
};

const NameAddrRow kNameAddrRows[] = {
    {"<sip:p1.example.com;lr>", true, kOk, 0, "loose route", "sip:p1.example.com;lr", "lr"},
    {"<sip:p1.example.com;lr>;foo=bar", true, kOk, 0, "route with a header parameter",
     "sip:p1.example.com;lr", "lr", "foo=bar"},
    {"Proxy <sip:p1@x;lr>", true, kOk, 0, "display name in a route", "sip:p1@x;lr", "lr"},
    {"<sip:[2001:db8::1];lr>", true, kOk, 0, "IPv6 route", "sip:[2001:db8::1];lr", "lr"},
    {"sip:p1;lr", false, kOk, 0, "addr-spec: ';lr' is a header parameter here", "sip:p1", "", "lr"},
    {"sip:p1.example.com;lr", true, kBadRoute, 0, "route without <> (RFC 3261 §20.34)"},
    {"<sip:p1.example.com;lr", true, kBadRoute, 22, "route without '>'"},
    {"<sip:p1;;lr>", true, kBadRoute, 8, "empty URI parameter in a route"},
    {"", true, kBadRoute, 0, "empty route"},
};

TEST(HeadersTest, ParsesNameAddr) {
  for (const NameAddrRow& row : kNameAddrRows) {
    SCOPED_TRACE(row.comment);
    const std::string value(row.value);
    NameAddr na;
    const ParseStatus st = ParseNameAddr(value, na, kBadRoute, row.require_angle);
    ASSERT_EQ(st.error, row.error) << row.value;
    if (row.error != kOk) {
      EXPECT_EQ(OffsetIn(value, st.at), row.offset);
      continue;
    }
    EXPECT_EQ(na.uri.raw, row.uri);
    EXPECT_EQ(na.uri.params, row.uri_params);
    EXPECT_EQ(na.params, row.params);
  }
}

// ---------------------------------------------------------------------------------------------
// ParseContact (RFC 3261 §20.10; RFC 5626 §4.2 +sip.instance and reg-id) and IsContactStar.

struct ContactRow {
  std::string_view value;
  ParseError error;  // kOk or kBadContact
  uint32_t offset;
  const char* comment;
  std::string_view uri = {};
  int64_t expires = kAbsent;
  std::string_view q = {};
  std::string_view instance = {};
  std::string_view reg_id = {};
  std::string_view params = {};
};

const ContactRow kContactRows[] = {
    {"<sip:alice@pc33.atlanta.com>", kOk, 0, "plain contact", "sip:alice@pc33.atlanta.com"},
    {"\"Mr. Watson\" <sip:watson@worcester.bell-telephone.com>;q=0.7;expires=3600", kOk, 0,
     "RFC 3261 §20.10 example", "sip:watson@worcester.bell-telephone.com", 3600, "0.7", "", "",
     "q=0.7;expires=3600"},
    {"\"Mr. Watson\" <mailto:watson@bell-telephone.com>;q=0.1", kOk, 0, "mailto contact",
     "mailto:watson@bell-telephone.com", kAbsent, "0.1", "", "", "q=0.1"},
    {"sip:alice@192.0.2.4;expires=60", kOk, 0, "addr-spec: expires is a header parameter",
     "sip:alice@192.0.2.4", 60, "", "", "", "expires=60"},
    {"<sip:a@b>;q=1", kOk, 0, "q=1", "sip:a@b", kAbsent, "1", "", "", "q=1"},
    {"<sip:a@b>;q=1.", kOk, 0, "q=1.", "sip:a@b", kAbsent, "1.", "", "", "q=1."},
    {"<sip:a@b>;q=1.000", kOk, 0, "q=1.000", "sip:a@b", kAbsent, "1.000", "", "", "q=1.000"},
    {"<sip:a@b>;q=0", kOk, 0, "q=0", "sip:a@b", kAbsent, "0", "", "", "q=0"},
    {"<sip:a@b>;q=0.", kOk, 0, "q=0.", "sip:a@b", kAbsent, "0.", "", "", "q=0."},
    {"<sip:a@b>;q=0.123", kOk, 0, "three decimals", "sip:a@b", kAbsent, "0.123", "", "", "q=0.123"},
    {"<sip:a@b>;expires=0", kOk, 0, "expires=0", "sip:a@b", 0, "", "", "", "expires=0"},
    {"<sip:a@b>;expires=4294967295", kOk, 0, "expires 2^32-1", "sip:a@b", 4294967295, "", "", "",
     "expires=4294967295"},
    {"<sip:a@b>;expires=4294967296", kOk, 0, "expires above 2^32-1 is treated as absent", "sip:a@b",
     kAbsent, "", "", "", "expires=4294967296"},
    {"<sip:a@b>;+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>\";reg-id=1", kOk, 0,
     "RFC 5626 instance and reg-id", "sip:a@b", kAbsent, "",
     "\"<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>\"", "1",
     "+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>\";reg-id=1"},
    {"<sip:a@b>;reg-id=4294967295", kOk, 0, "largest reg-id", "sip:a@b", kAbsent, "", "",
     "4294967295", "reg-id=4294967295"},
    {"<sip:a@b>;+sip.instance=tok", kOk, 0, "unquoted instance token", "sip:a@b", kAbsent, "",
     "tok", "", "+sip.instance=tok"},
    {"<sip:a@b>;EXPIRES=60;Q=0.5", kOk, 0, "upper-case parameter names", "sip:a@b", 60, "0.5", "",
     "", "EXPIRES=60;Q=0.5"},
    {"<sip:a@b;transport=tcp>;methods=\"INVITE,BYE\"", kOk, 0, "quoted value with a comma",
     "sip:a@b;transport=tcp", kAbsent, "", "", "", "methods=\"INVITE,BYE\""},
    {"<sip:a@b> ; expires = 60", kOk, 0, "LWS around ';' and '='", "sip:a@b", 60, "", "", "",
     "expires = 60"},
    {"<sip:a@b>;audio;video", kOk, 0, "feature tags without values", "sip:a@b", kAbsent, "", "", "",
     "audio;video"},
    // Rejected.
    {"", kBadContact, 0, "empty"},
    {"*", kBadContact, 1, "'*' is not a contact-param (IsContactStar handles it)"},
    {"<sip:a@b>;q=2", kBadContact, 12, "q above 1"},
    {"<sip:a@b>;q=1.5", kBadContact, 12, "q 1.5"},
    {"<sip:a@b>;q=1.001", kBadContact, 12, "q 1.001"},
    {"<sip:a@b>;q=0.1234", kBadContact, 12, "four decimals"},
    {"<sip:a@b>;q=.5", kBadContact, 12, "no leading digit"},
    {"<sip:a@b>;q=\"0.5\"", kBadContact, 12, "quoted q"},
    {"<sip:a@b>;q", kBadContact, 10, "q without a value"},
    {"<sip:a@b>;expires=abc", kBadContact, 18, "non-numeric expires"},
    {"<sip:a@b>;expires=-1", kBadContact, 18, "negative expires"},
    {"<sip:a@b>;expires=\"60\"", kBadContact, 18, "quoted expires"},
    {"<sip:a@b>;expires", kBadContact, 10, "expires without a value"},
    {"<sip:a@b>;+sip.instance", kBadContact, 10, "instance without a value"},
    {"<sip:a@b>;reg-id=x", kBadContact, 17, "non-numeric reg-id"},
    {"<sip:a@b>;reg-id=4294967296", kBadContact, 17, "reg-id above 2^32-1"},
    {"<sip:a@b>;reg-id", kBadContact, 10, "reg-id without a value"},
    {"sip:a@b?x=y", kBadContact, 7, "'?' in an addr-spec (RFC 4475 regbadct)"},
    {"sip:a@b, sip:c@d", kBadContact, 7, "a list is not one contact-param"},
    {"<sip:a@b>;expires=60 junk", kBadContact, 21, "junk after the parameters"},
    {"<sip:a b@c>", kBadContact, 6, "SP inside the URI"},
};

TEST(HeadersTest, ParsesContact) {
  for (const ContactRow& row : kContactRows) {
    SCOPED_TRACE(row.comment);
    const std::string value(row.value);
    Contact c;
    const ParseStatus st = ParseContact(value, c);
    ASSERT_EQ(st.error, row.error) << row.value;
    if (row.error != kOk) {
      EXPECT_EQ(OffsetIn(value, st.at), row.offset);
      continue;
    }
    EXPECT_EQ(c.addr.uri.raw, row.uri);
    EXPECT_EQ(c.expires, row.expires);
    EXPECT_EQ(c.q, row.q);
    EXPECT_EQ(c.instance, row.instance);
    EXPECT_EQ(c.reg_id, row.reg_id);
    EXPECT_EQ(c.addr.params, row.params);
  }
}

TEST(HeadersTest, ResetsContactFieldsOnEveryCall) {
  Contact c;
  ASSERT_TRUE(ParseContact("<sip:a@b>;q=0.5;expires=9;+sip.instance=\"x\";reg-id=2", c).ok());
  ASSERT_TRUE(ParseContact("<sip:a@b>", c).ok());
  EXPECT_EQ(c.expires, kAbsent);
  EXPECT_EQ(c.q, "");
  EXPECT_EQ(c.instance, "");
  EXPECT_EQ(c.reg_id, "");
}

TEST(HeadersTest, ResetsViaAndCredentialsFieldsOnEveryCall) {
  Via v;
  ASSERT_TRUE(ParseVia("SIP/2.0/UDP 1.2.3.4:5060;branch=z9hG4bK1;received=5.6.7.8;rport=9;"
                       "maddr=m.example;ttl=3",
                       v)
                  .ok());
  ASSERT_TRUE(ParseVia("SIP/2.0/TCP h.example", v).ok());
  EXPECT_FALSE(v.has_port);
  EXPECT_EQ(v.port, 0);
  EXPECT_EQ(v.branch, "");
  EXPECT_EQ(v.received, "");
  EXPECT_FALSE(v.has_rport);
  EXPECT_EQ(v.rport, "");
  EXPECT_EQ(v.maddr, "");
  EXPECT_EQ(v.ttl, -1);
  EXPECT_EQ(v.params, "");
  Credentials c;
  ASSERT_TRUE(ParseCredentials("Digest username=\"u\", realm=r, nonce=n, uri=\"sip:a\", "
                               "response=ab, algorithm=MD5, cnonce=c, opaque=o, qop=auth, "
                               "nc=00000001, userhash=true",
                               c, kBadAuthorization)
                  .ok());
  ASSERT_TRUE(ParseCredentials("Basic x=y", c, kBadAuthorization).ok());
  EXPECT_FALSE(c.is_digest);
  EXPECT_EQ(c.username, "");
  EXPECT_EQ(c.realm, "");
  EXPECT_EQ(c.nonce, "");
  EXPECT_EQ(c.uri, "");
  EXPECT_EQ(c.response, "");
  EXPECT_EQ(c.algorithm, "");
  EXPECT_EQ(c.cnonce, "");
  EXPECT_EQ(c.opaque, "");
  EXPECT_EQ(c.qop, "");
  EXPECT_EQ(c.nc, "");
  EXPECT_FALSE(c.userhash);
  EXPECT_EQ(c.params, "x=y");
}

struct StarRow {
  std::string_view value;
  bool star;
  const char* comment;
};

const StarRow kStarRows[] = {
    {"*", true, "the wildcard"},
    {"", false, "empty"},
    {"**", false, "two stars"},
    {"<*>", false, "bracketed star"},
    {"*;expires=0", false, "star with a parameter is not the wildcard"},
    {"<sip:a@b>", false, "a contact"},
};

TEST(HeadersTest, RecognizesTheContactWildcard) {
  for (const StarRow& row : kStarRows) {
    SCOPED_TRACE(row.comment);
    EXPECT_EQ(IsContactStar(row.value), row.star);
  }
}

// ---------------------------------------------------------------------------------------------
// ParseCredentials (RFC 3261 §20.7, §25.1; RFC 7616; RFC 8760). Quoted values come back
// without their quotes.

struct CredRow {
  std::string_view value;
  ParseError error;  // kOk or kBadAuthorization
  uint32_t offset = 0;
  const char* comment = "";
  std::string_view scheme = {};
  bool is_digest = false;
  std::string_view username = {};
  std::string_view realm = {};
  std::string_view nonce = {};
  std::string_view uri = {};
  std::string_view response = {};
  std::string_view algorithm = {};
  std::string_view cnonce = {};
  std::string_view opaque = {};
  std::string_view qop = {};
  std::string_view nc = {};
  bool userhash = false;
  std::string_view params = {};
};

const CredRow kCredRows[] = {
    {.value = "Digest username=\"bob\", realm=\"biloxi.com\", nonce=\"dcd98b7102dd2f0e8b11d0f600bf"
              "b0c093\", uri=\"sip:bob@biloxi.com\", qop=auth, nc=00000001, cnonce=\"0a4f113b\", "
              "response=\"6629fae49393a05397450978507c4ef1\", "
              "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\", algorithm=MD5",
     .error = kOk,
     .comment = "RFC 3261 §22.4-style digest response with every field",
     .scheme = "Digest",
     .is_digest = true,
     .username = "bob",
     .realm = "biloxi.com",
     .nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093",
     .uri = "sip:bob@biloxi.com",
     .response = "6629fae49393a05397450978507c4ef1",
     .algorithm = "MD5",
     .cnonce = "0a4f113b",
     .opaque = "5ccc069c403ebaf9f0171e9517f40e41",
     .qop = "auth",
     .nc = "00000001"},
    {.value = "Digest username=\"a\"",
     .error = kOk,
     .comment = "one parameter",
     .scheme = "Digest",
     .is_digest = true,
     .username = "a",
     .params = "username=\"a\""},
    {.value = "Digest username=bob, realm=biloxi.com",
     .error = kOk,
     .comment = "token values",
     .scheme = "Digest",
     .is_digest = true,
     .username = "bob",
     .realm = "biloxi.com",
     .params = "username=bob, realm=biloxi.com"},
    {.value = "digest username=\"a\"",
     .error = kOk,
     .comment = "scheme is case-insensitive",
     .scheme = "digest",
     .is_digest = true,
     .username = "a"},
    {.value = "Digest USERNAME=\"a\", Realm=\"r\"",
     .error = kOk,
     .comment = "parameter names are case-insensitive",
     .scheme = "Digest",
     .is_digest = true,
     .username = "a",
     .realm = "r"},
    {.value = "Digest  username = \"a\" ,realm=\"r\"",
     .error = kOk,
     .comment = "LWS around '=' and ','",
     .scheme = "Digest",
     .is_digest = true,
     .username = "a",
     .realm = "r",
     .params = "username = \"a\" ,realm=\"r\""},
    {.value = "Digest\tusername=\"a\"",
     .error = kOk,
     .comment = "HT after the scheme",
     .scheme = "Digest",
     .is_digest = true,
     .username = "a"},
    {.value = "Digest username=\r\n \"a\",\t realm= r",
     .error = kOk,
     .comment = "fold after '=', HT and SP after ',', SP before a token value",
     .scheme = "Digest",
     .is_digest = true,
     .username = "a",
     .realm = "r"},
    {.value = "Digest realm=\"r\" \t, nonce=n",
     .error = kOk,
     .comment = "SP and HT between a quoted value and ','",
     .scheme = "Digest",
     .is_digest = true,
     .realm = "r",
     .nonce = "n"},
    {.value = "Digest username=\"a\",\r\n realm=\"r\"",
     .error = kOk,
     .comment = "folded between parameters",
     .scheme = "Digest",
     .is_digest = true,
     .username = "a",
     .realm = "r"},
    {.value = "Digest username=\"a\\\"b\"",
     .error = kOk,
     .comment = "quoted-pair kept escaped",
     .scheme = "Digest",
     .is_digest = true,
     .username = "a\\\"b"},
    {.value = "Digest username=\"\", realm=\"r\"",
     .error = kOk,
     .comment = "empty quoted username",
     .scheme = "Digest",
     .is_digest = true,
     .username = "",
     .realm = "r"},
    {.value = "Digest username=\"h\", userhash=true",
     .error = kOk,
     .comment = "RFC 7616 userhash",
     .scheme = "Digest",
     .is_digest = true,
     .username = "h",
     .userhash = true},
    {.value = "Digest username=\"h\", userhash=\"TRUE\"",
     .error = kOk,
     .comment = "userhash value case-insensitive",
     .scheme = "Digest",
     .is_digest = true,
     .username = "h",
     .userhash = true},
    {.value = "Digest username=\"h\", userhash=false",
     .error = kOk,
     .comment = "userhash false",
     .scheme = "Digest",
     .is_digest = true,
     .username = "h"},
    {.value = "Digest username=\"a\", algorithm=SHA-256, response=\"0123456789abcdef0123456789abcd"
              "ef0123456789abcdef0123456789abcdef\"",
     .error = kOk,
     .comment = "RFC 8760 SHA-256 response of 64 hex digits",
     .scheme = "Digest",
     .is_digest = true,
     .username = "a",
     .response = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
     .algorithm = "SHA-256"},
    {.value = "Digest nc=0000000a, response=ABCDEF",
     .error = kOk,
     .comment = "lower- and upper-case hex",
     .scheme = "Digest",
     .is_digest = true,
     .response = "ABCDEF",
     .nc = "0000000a"},
    {.value = "Digest username=\"a\", foo=bar, baz=\"q\"",
     .error = kOk,
     .comment = "unknown digest parameters kept in params",
     .scheme = "Digest",
     .is_digest = true,
     .username = "a",
     .params = "username=\"a\", foo=bar, baz=\"q\""},
    {.value = "Foo username=\"x\", a=b",
     .error = kOk,
     .comment = "other scheme: digest fields stay empty",
     .scheme = "Foo",
     .is_digest = false,
     .params = "username=\"x\", a=b"},
    {.value = "Digest x-param1=\"v\", abcdefghijklmnopqrstuvw=tok, USERNAME=\"a\", Nonce=\"n\", "
              "opaquE=\"o\"",
     .error = kOk,
     .comment =
         "names with '-' and digits after letters, a name of more than 16 letters, mixed case",
     .scheme = "Digest",
     .is_digest = true,
     .username = "a",
     .nonce = "n",
     .opaque = "o"},
    {.value = "Digest usernamx=\"a\", realn=\"r\", uri1=\"u\", nc2=x, qo=y, responsf=\"z\"",
     .error = kOk,
     .comment = "near-misses of digest parameter names are other parameters",
     .scheme = "Digest",
     .is_digest = true},
    // Rejected.
    {.value = "", .error = kBadAuthorization, .offset = 0, .comment = "empty"},
    {.value = "Digest user@name=\"a\", realm=\"r\"",
     .error = kBadAuthorization,
     .offset = 11,
     .comment = "a byte outside token inside a parameter name"},
    {.value = "Digest", .error = kBadAuthorization, .offset = 6, .comment = "scheme only"},
    {.value = "Digest=x",
     .error = kBadAuthorization,
     .offset = 6,
     .comment = "no LWS after scheme"},
    {.value = "Digest ", .error = kBadAuthorization, .offset = 7, .comment = "no parameters"},
    {.value = "Digest username",
     .error = kBadAuthorization,
     .offset = 15,
     .comment = "parameter without '='"},
    {.value = "Digest username=",
     .error = kBadAuthorization,
     .offset = 16,
     .comment = "parameter without a value"},
    {.value = "Digest username=\"a",
     .error = kBadAuthorization,
     .offset = 16,
     .comment = "unterminated quoted value"},
    {.value = "Digest username=\"a\x01\"",
     .error = kBadAuthorization,
     .offset = 16,
     .comment = "control byte in a quoted value"},
    {.value = "Digest username=\"a\" realm=\"r\"",
     .error = kBadAuthorization,
     .offset = 20,
     .comment = "missing comma"},
    {.value = "Digest username= ",
     .error = kBadAuthorization,
     .offset = 17,
     .comment = "only LWS after '='"},
    {.value = "Digest username=\"a\" ;x",
     .error = kBadAuthorization,
     .offset = 20,
     .comment = "LWS and then a byte other than ','"},
    {.value = "Digest username=\"a\", ",
     .error = kBadAuthorization,
     .offset = 21,
     .comment = "trailing comma and SP"},
    {.value = "Digest username=\"a\",,realm=\"r\"",
     .error = kBadAuthorization,
     .offset = 20,
     .comment = "empty element between commas"},
    {.value = "Digest username=\"a\",",
     .error = kBadAuthorization,
     .offset = 20,
     .comment = "trailing comma"},
    {.value = "Digest ,username=\"a\"",
     .error = kBadAuthorization,
     .offset = 7,
     .comment = "leading comma"},
    {.value = "Digest username=<a>",
     .error = kBadAuthorization,
     .offset = 16,
     .comment = "value neither token nor quoted-string"},
    {.value = "Digest nc=1", .error = kBadAuthorization, .offset = 10, .comment = "short nc"},
    {.value = "Digest nc=0000000g",
     .error = kBadAuthorization,
     .offset = 10,
     .comment = "non-hex nc"},
    {.value = "Digest nc=000000001",
     .error = kBadAuthorization,
     .offset = 10,
     .comment = "nine-digit nc"},
    {.value = "Digest response=\"xyz\"",
     .error = kBadAuthorization,
     .offset = 16,
     .comment = "non-hex response"},
    {.value = "Digest response=\"\"",
     .error = kBadAuthorization,
     .offset = 16,
     .comment = "empty response"},
    {.value = "Basic dXNlcjpwYXNz",
     .error = kBadAuthorization,
     .offset = 18,
     .comment = "token68 credentials are not auth-params"},
};

TEST(HeadersTest, ParsesCredentials) {
  for (const CredRow& row : kCredRows) {
    SCOPED_TRACE(row.comment);
    const std::string value(row.value);
    Credentials c;
    const ParseStatus st = ParseCredentials(value, c, kBadAuthorization);
    ASSERT_EQ(st.error, row.error) << row.value;
    if (row.error != kOk) {
      EXPECT_EQ(OffsetIn(value, st.at), row.offset);
      Credentials p;
      EXPECT_EQ(ParseCredentials(value, p, kBadProxyAuthorization).error, kBadProxyAuthorization);
      continue;
    }
    EXPECT_EQ(c.scheme, row.scheme);
    EXPECT_EQ(c.is_digest, row.is_digest);
    EXPECT_EQ(c.username, row.username);
    EXPECT_EQ(c.realm, row.realm);
    EXPECT_EQ(c.nonce, row.nonce);
    EXPECT_EQ(c.uri, row.uri);
    EXPECT_EQ(c.response, row.response);
    EXPECT_EQ(c.algorithm, row.algorithm);
    EXPECT_EQ(c.cnonce, row.cnonce);
    EXPECT_EQ(c.opaque, row.opaque);
    EXPECT_EQ(c.qop, row.qop);
    EXPECT_EQ(c.nc, row.nc);
    EXPECT_EQ(c.userhash, row.userhash);
    if (!row.params.empty()) {
      EXPECT_EQ(c.params, row.params);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// ParseDate (RFC 3261 §20.17: rfc1123-date in GMT).

struct DateRow {
  std::string_view value;
  ParseError error;
  uint32_t offset;
  const char* comment;
};

const DateRow kDateRows[] = {
    {"Sat, 13 Nov 2010 23:29:00 GMT", kOk, 0, "RFC 3261 §20.17 example"},
    {"Thu, 21 Feb 2002 13:02:03 GMT", kOk, 0, "RFC 4475 style date"},
    {"Mon, 01 Jan 2024 00:00:00 GMT", kOk, 0, "midnight"},
    {"Sun, 31 Dec 1999 23:59:60 GMT", kOk, 0, "leap second"},
    {"Wed, 31 Dec 9999 23:59:59 GMT", kOk, 0, "far future"},
    {"sat, 13 nov 2010 23:29:00 gmt", kOk, 0, "names are case-insensitive"},
    {"Tue, 02 Feb 2010 10:00:00 GMT", kOk, 0, "Tue and Feb"},
    {"Fri, 05 Mar 2010 10:00:00 GMT", kOk, 0, "Fri and Mar"},
    {"Wed, 07 Apr 2010 10:00:00 GMT", kOk, 0, "Wed and Apr"},
    {"Thu, 06 May 2010 10:00:00 GMT", kOk, 0, "Thu and May"},
    {"Mon, 07 Jun 2010 10:00:00 GMT", kOk, 0, "Jun"},
    {"Mon, 05 Jul 2010 10:00:00 GMT", kOk, 0, "Jul"},
    {"Mon, 02 Aug 2010 10:00:00 GMT", kOk, 0, "Aug"},
    {"Mon, 06 Sep 2010 10:00:00 GMT", kOk, 0, "Sep"},
    {"Mon, 04 Oct 2010 10:00:00 GMT", kOk, 0, "Oct"},
    // Rejected.
    {"Fri, 01 Jan 2010 16:00:00 EST", kBadDate, 26, "not GMT (RFC 4475 baddate)"},
    {"Sat, 13 Nov 2010 23:29:00 UTC", kBadDate, 26, "UTC instead of GMT"},
    {"", kBadDate, 0, "empty"},
    {"Sat, 13 Nov 2010 23:29:00", kBadDate, 25, "no zone"},
    {"Sat, 13 Nov 2010 23:29:00 GMT ", kBadDate, 29, "one byte too long"},
    {"Sat, 3 Nov 2010 23:29:00 GMT", kBadDate, 28, "one-digit day"},
    {"Xyz, 13 Nov 2010 23:29:00 GMT", kBadDate, 0, "unknown weekday"},
    {"Sat; 13 Nov 2010 23:29:00 GMT", kBadDate, 3, "';' after the weekday"},
    {"Sat,_13 Nov 2010 23:29:00 GMT", kBadDate, 4, "no SP after the comma"},
    {"Sat, 32 Nov 2010 23:29:00 GMT", kBadDate, 5, "day 32"},
    {"Sat, 00 Nov 2010 23:29:00 GMT", kBadDate, 5, "day 0"},
    {"Sat, 1x Nov 2010 23:29:00 GMT", kBadDate, 5, "non-numeric day"},
    {"Sat,  3 Nov 2010 23:29:00 GMT", kBadDate, 5, "space-padded day"},
    {"Sat, 13-Nov-2010 23:29:00 GMT", kBadDate, 7, "'-' separators"},
    {"Sat, 13 Noo 2010 23:29:00 GMT", kBadDate, 8, "unknown month"},
    {"Sat, 13 Nov 20x0 23:29:00 GMT", kBadDate, 12, "non-numeric year"},
    {"Sat, 13 Nov 2010 24:00:00 GMT", kBadDate, 17, "hour 24"},
    {"Sat, 13 Nov 2010 23:60:00 GMT", kBadDate, 17, "minute 60"},
    {"Sat, 13 Nov 2010 23:59:61 GMT", kBadDate, 17, "second 61"},
    {"Sat, 13 Nov 2010 2a:00:00 GMT", kBadDate, 17, "non-numeric hour"},
    {"Sat, 13 Nov 2010 23-29-00 GMT", kBadDate, 19, "'-' in the time"},
    {"Sat, 13 Nov 2010 23:29:00_GMT", kBadDate, 25, "no SP before the zone"},
    {"1289690940", kBadDate, 10, "epoch seconds"},
};

TEST(HeadersTest, ParsesDates) {
  for (const DateRow& row : kDateRows) {
    SCOPED_TRACE(row.comment);
    const std::string value(row.value);
    const ParseStatus st = ParseDate(value);
    ASSERT_EQ(st.error, row.error) << row.value;
    if (row.error != kOk) {
      EXPECT_EQ(OffsetIn(value, st.at), row.offset);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// ValueIterator: comma-separated values across header fields, in message order.

struct ValueRow {
  std::string_view lines;  // header lines after the request line
  HeaderId id;
  std::vector<std::string_view> values;
  const char* comment;
};

const ValueRow kValueRows[] = {
    {"Via: a, b\r\nVia: c\r\n", HeaderId::kVia, {"a", "b", "c"}, "two fields, three values"},
    {"Via: a\r\nTo: x\r\nv: b,c\r\n",
     HeaderId::kVia,
     {"a", "b", "c"},
     "interleaved field and compact form"},
    {"Via: a\r\nContact: b\r\nVia: c\r\n", HeaderId::kContact, {"b"}, "only the asked-for id"},
    {"To: x\r\n", HeaderId::kVia, {}, "no such header"},
    {"Contact: \"Doe, John\" <sip:j@x>, <sip:k@y>\r\n",
     HeaderId::kContact,
     {"\"Doe, John\" <sip:j@x>", "<sip:k@y>"},
     "no split inside a quoted string"},
    {"Contact: \"a\\\"b, c\" <sip:x@y>\r\n",
     HeaderId::kContact,
     {"\"a\\\"b, c\" <sip:x@y>"},
     "escaped quote inside a quoted string"},
    {"Contact: <sip:a,b@x>;q=1, <sip:c@d>\r\n",
     HeaderId::kContact,
     {"<sip:a,b@x>;q=1", "<sip:c@d>"},
     "no split inside <...>"},
    {"Contact: <sip:x@y>;p=\"1,2\", <sip:z@w>\r\n",
     HeaderId::kContact,
     {"<sip:x@y>;p=\"1,2\"", "<sip:z@w>"},
     "no split inside a quoted parameter"},
    {"Route: <sip:p1;lr>,<sip:p2;lr>\r\n",
     HeaderId::kRoute,
     {"<sip:p1;lr>", "<sip:p2;lr>"},
     "no LWS around the comma"},
    {"Record-Route: <sip:p1;lr>\r\nRecord-Route: <sip:p2;lr>, <sip:p3;lr>\r\n",
     HeaderId::kRecordRoute,
     {"<sip:p1;lr>", "<sip:p2;lr>", "<sip:p3;lr>"},
     "Record-Route list"},
    {"Path: <sip:a;lr>\r\n", HeaderId::kPath, {"<sip:a;lr>"}, "Path"},
    {"Via: a,,b\r\n", HeaderId::kVia, {"a", "", "b"}, "empty element in the middle"},
    {"Via: a,\r\n", HeaderId::kVia, {"a", ""}, "trailing comma gives an empty element"},
    {"Via: abcdefghij, klmnopqrstuvwxyz0123,x\r\n",
     HeaderId::kVia,
     {"abcdefghij", "klmnopqrstuvwxyz0123", "x"},
     "elements with a comma in the 8 to 15 bytes after a 16-byte run, or in the first 16"},
    {"Via: abcdefghij\r\n", HeaderId::kVia, {"abcdefghij"}, "one element of 8 to 15 bytes"},
    {"Via: , a\r\n", HeaderId::kVia, {"", "a"}, "leading comma gives an empty element"},
    {"Via:\r\n", HeaderId::kVia, {""}, "empty field gives one empty element"},
    {"Via: a\r\n , b\r\n", HeaderId::kVia, {"a", "b"}, "folded around the comma"},
    {"Via:  a  ,  b  \r\n", HeaderId::kVia, {"a", "b"}, "values are LWS-trimmed"},
    {"Contact: \"open, <sip:x@y>\r\n",
     HeaderId::kContact,
     {"\"open, <sip:x@y>"},
     "unterminated quote runs to the end"},
    {"Contact: <sip:x@y, z\r\n",
     HeaderId::kContact,
     {"<sip:x@y, z"},
     "unterminated '<' runs to the end"},
    {"Contact: *\r\n", HeaderId::kContact, {"*"}, "wildcard"},
};

TEST(HeadersTest, IteratesListValuesAcrossFields) {
  for (const ValueRow& row : kValueRows) {
    SCOPED_TRACE(row.comment);
    const Tokenized t(std::string("REGISTER sip:b SIP/2.0\r\n") + std::string(row.lines) + "\r\n");
    ASSERT_EQ(t.error, kOk);
    ValueIterator it(*t.msg, row.id);
    std::vector<std::string_view> got;
    std::string_view v;
    while (it.Next(v)) {
      got.push_back(v);
      ASSERT_LT(got.size(), 100u);
    }
    EXPECT_EQ(got, row.values);
    EXPECT_FALSE(it.Next(v)) << "stays at the end";
  }
}

// ---------------------------------------------------------------------------------------------
// ValidateMessage: every structured header and the Request-URI.

struct ValidateRow {
  std::string_view message;
  ParseError error;
  uint32_t offset;  // from the start of the message
  const char* comment;
};

const ValidateRow kValidateRows[] = {
    {"INVITE sip:bob@biloxi.com SIP/2.0\r\n"
     "Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds\r\n"
     "Max-Forwards: 70\r\n"
     "To: Bob <sip:bob@biloxi.com>\r\n"
     "From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n"
     "Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n"
     "CSeq: 314159 INVITE\r\n"
     "Contact: <sip:alice@pc33.atlanta.com>\r\n"
     "Content-Type: application/sdp\r\n"
     "Content-Length: 0\r\n\r\n",
     kOk, 0, "RFC 3261 §4 INVITE"},
    {"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9\r\nTo: <sip:a@b>;tag=1\r\n\r\n", kOk, 0,
     "response"},
    {"INVITE sip:a@b SIP/2.0\r\nContact: *\r\n\r\n", kOk, 0, "wildcard Contact"},
    {"INVITE sip:a@b SIP/2.0\r\nRoute: <sip:p1;lr>, <sip:p2;lr>\r\n"
     "Record-Route: <sip:p3;lr>\r\nPath: <sip:p4;lr>\r\n\r\n",
     kOk, 0, "route sets"},
    {"INVITE sip:a@b SIP/2.0\r\nDate: Sat, 13 Nov 2010 23:29:00 GMT\r\n\r\n", kOk, 0, "Date"},
    {"INVITE sip:a@b SIP/2.0\r\nAuthorization: Digest username=\"a\"\r\n"
     "Proxy-Authorization: Digest username=\"b\"\r\n\r\n",
     kOk, 0, "credentials"},
    {"INVITE sip:a@b SIP/2.0\r\nX-Junk: <<<\"\r\nSubject: ;;;\r\n\r\n", kOk, 0,
     "unknown and unstructured headers are not looked at"},
    {"INVITE tel:+1-555 SIP/2.0\r\n\r\n", kOk, 0, "tel Request-URI"},
    {"INVITE urn:service:sos SIP/2.0\r\n\r\n", kOk, 0, "URN Request-URI (RFC 5031)"},
    {"INVITE sip:a@b;lr SIP/2.0\r\n\r\n", kOk, 0, "Request-URI with a parameter"},
    {"INVITE <sip:user@example.com> SIP/2.0\r\n\r\n", kBadRequestUri, 7,
     "<> around the Request-URI (RFC 4475 ltgtruri)"},
    {"INVITE sip:a@b?x=y SIP/2.0\r\n\r\n", kBadRequestUri, 14,
     "headers in a Request-URI (RFC 3261 §19.1.1)"},
    {"INVITE sips:a@b?x=y SIP/2.0\r\n\r\n", kBadRequestUri, 15, "headers in a SIPS Request-URI"},
    {"INVITE sip:a@b:99999 SIP/2.0\r\n\r\n", kBadRequestUri, 15, "bad port in the Request-URI"},
    {"INVITE sip:\xc3\xa9@b SIP/2.0\r\n\r\n", kBadRequestUri, 11,
     "raw non-ASCII user in the Request-URI"},
    {"INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=\r\n\r\n", kBadVia, 50, "bad Via"},
    {"INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h, SIP/2.0/UDP\r\n\r\n", kBadVia, 55,
     "bad second Via element"},
    {"INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h,,SIP/2.0/UDP g\r\n\r\n", kBadVia, 43,
     "empty Via element"},
    {"INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nv: x\r\n\r\n", kBadVia, 48,
     "bad Via in a second field"},
    {"INVITE sip:a@b SIP/2.0\r\nFrom: <sip:a@b\r\n\r\n", kBadFrom, 38, "bad From"},
    {"INVITE sip:a@b SIP/2.0\r\nt: sip:a@b?x\r\n\r\n", kBadTo, 34, "bad To (compact)"},
    {"INVITE sip:a@b SIP/2.0\r\nContact: <sip:a@b>, <sip:c@d>;q=9\r\n\r\n", kBadContact, 56,
     "bad second Contact"},
    {"INVITE sip:a@b SIP/2.0\r\nContact: *, <sip:a@b>\r\n\r\n", kBadContact, 34,
     "'*' inside a Contact list"},
    {"INVITE sip:a@b SIP/2.0\r\nRoute: sip:p1;lr\r\n\r\n", kBadRoute, 31, "Route without <>"},
    {"INVITE sip:a@b SIP/2.0\r\nRecord-Route: <sip:p1;lr>, sip:p2\r\n\r\n", kBadRecordRoute, 51,
     "Record-Route element without <>"},
    {"INVITE sip:a@b SIP/2.0\r\nPath: <sip:p1;;lr>\r\n\r\n", kBadPath, 38, "bad Path URI"},
    {"INVITE sip:a@b SIP/2.0\r\nDate: yesterday\r\n\r\n", kBadDate, 39, "bad Date"},
    {"INVITE sip:a@b SIP/2.0\r\nAuthorization: Digest\r\n\r\n", kBadAuthorization, 45,
     "bad Authorization"},
    {"INVITE sip:a@b SIP/2.0\r\nProxy-Authorization: Digest nc=1\r\n\r\n", kBadProxyAuthorization,
     55, "bad Proxy-Authorization"},
    {"INVITE sip:a@b SIP/2.0\r\nFrom: x\r\nVia: y\r\n\r\n", kBadFrom, 31,
     "first error in message order wins"},
    {"INVITE <sip:a@b> SIP/2.0\r\nVia: y\r\n\r\n", kBadRequestUri, 7,
     "Request-URI is checked before the headers"},
    {"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP\r\n\r\n", kBadVia, 32, "bad Via in a response"},
};

TEST(HeadersTest, ValidatesWholeMessages) {
  for (const ValidateRow& row : kValidateRows) {
    SCOPED_TRACE(row.comment);
    const Tokenized t(row.message);
    ASSERT_EQ(t.error, kOk);
    const ParseStatus st = ValidateMessage(*t.msg);
    ASSERT_EQ(st.error, row.error);
    if (row.error != kOk) {
      EXPECT_EQ(st.at - t.msg->base, static_cast<std::ptrdiff_t>(row.offset));
    } else {
      EXPECT_EQ(st.at, nullptr);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// CheckRequest (RFC 3261 §8.1.1, §8.2).

constexpr std::string_view kVia = "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n";  // 36 bytes
constexpr std::string_view kFrom = "From: <sip:a@b>;tag=1\r\n";              // 23 bytes
constexpr std::string_view kTo = "To: <sip:c@d>\r\n";                        // 15 bytes
constexpr std::string_view kCallId = "Call-ID: x\r\n";                       // 12 bytes
constexpr std::string_view kCSeq = "CSeq: 1 INVITE\r\n";                     // 16 bytes

struct CheckRow {
  std::vector<std::string_view> lines;  // header lines after "INVITE sip:a@b SIP/2.0\r\n"
  ParseError error;
  int32_t offset;  // of the offending header name from the start of the lines; -24 = base
  const char* comment;
};

constexpr int32_t kBase = -24;  // the start line (msg.base)

const CheckRow kCheckRows[] = {
    {{kVia, kFrom, kTo, kCallId, kCSeq}, kOk, 0, "all mandatory headers"},
    {{kVia, kFrom, kTo, kCallId, kCSeq, "Max-Forwards: 70\r\n", "Expires: 60\r\n"},
     kOk,
     0,
     "with the optional single-valued headers"},
    {{kVia, kVia, kFrom, kTo, kCallId, kCSeq}, kOk, 0, "several Via fields are fine"},
    {{kVia, kFrom, kTo, kCallId, kCSeq, "Contact: <sip:a@b>\r\n", "m: <sip:c@d>\r\n"},
     kOk,
     0,
     "several Contact fields are fine"},
    {{kFrom, kTo, kCallId, kCSeq}, kMissingVia, kBase, "missing Via"},
    {{kVia, kTo, kCallId, kCSeq}, kMissingFrom, kBase, "missing From"},
    {{kVia, kFrom, kCallId, kCSeq}, kMissingTo, kBase, "missing To"},
    {{kVia, kFrom, kTo, kCSeq}, kMissingCallId, kBase, "missing Call-ID"},
    {{kVia, kFrom, kTo, kCallId}, kMissingCSeq, kBase, "missing CSeq"},
    {{}, kMissingVia, kBase, "no headers at all: Via is reported first"},
    {{kVia, kFrom, kTo, kCallId, kCSeq, "From: <sip:x@y>\r\n"}, kMultipleFrom, 102, "second From"},
    {{kVia, kFrom, "f: <sip:x@y>\r\n", kTo, kCallId, kCSeq},
     kMultipleFrom,
     59,
     "second From in compact form"},
    {{kVia, kFrom, kTo, kTo, kCallId, kCSeq}, kMultipleTo, 74, "second To"},
    {{kVia, kFrom, kTo, kCallId, "i: y\r\n", kCSeq}, kMultipleCallId, 86, "second Call-ID"},
    {{kVia, kFrom, kTo, kCallId, kCSeq, kCSeq}, kMultipleCSeq, 102, "second CSeq"},
    {{kVia, kFrom, kTo, kCallId, kCSeq, "Max-Forwards: 70\r\n", "Max-Forwards: 69\r\n"},
     kMultipleMaxForwards,
     120,
     "second Max-Forwards"},
    {{kVia, kFrom, kTo, kCallId, kCSeq, "Expires: 1\r\n", "Expires: 2\r\n"},
     kMultipleExpires,
     114,
     "second Expires"},
    {{kFrom, kFrom, kTo, kCallId, kCSeq},
     kMissingVia,
     kBase,
     "missing Via is reported before a repeated From"},
    {{kVia, kFrom, kFrom, kCallId, kCSeq},
     kMultipleFrom,
     59,
     "rules apply in order: From is checked for repeats before To for presence"},
};

TEST(HeadersTest, ChecksRequestLevelRules) {
  for (const CheckRow& row : kCheckRows) {
    SCOPED_TRACE(row.comment);
    std::string text = "INVITE sip:a@b SIP/2.0\r\n";
    for (std::string_view l : row.lines) {
      text += l;
    }
    text += "\r\n";
    const Tokenized t(text);
    ASSERT_EQ(t.error, kOk);
    const ParseStatus st = CheckRequest(*t.msg);
    ASSERT_EQ(st.error, row.error);
    if (row.error != kOk) {
      EXPECT_EQ(st.at - t.msg->base, row.offset + 24);
    }
  }
}

// A missing header is reported at the start line, past leading CRLFs.
TEST(HeadersTest, ReportsMissingHeadersAtTheStartLine) {
  const Tokenized t("\r\n\r\nINVITE sip:a@b SIP/2.0\r\nFrom: <sip:a@b>;tag=1\r\n\r\n");
  ASSERT_EQ(t.error, kOk);
  const ParseStatus st = CheckRequest(*t.msg);
  ASSERT_EQ(st.error, kMissingVia);
  EXPECT_EQ(st.at - t.msg->base, 4);
}

// ---------------------------------------------------------------------------------------------
// ParseRegister (RFC 3261 §10.3).

std::string Register(std::string_view contacts, std::string_view extra = {}) {
  std::string s =
      "REGISTER sips:ss2.biloxi.example.com SIP/2.0\r\n"
      "Via: SIP/2.0/TLS client.biloxi.example.com:5061;branch=z9hG4bKnashd92;rport, "
      "SIP/2.0/UDP second.example.com\r\n"
      "Max-Forwards: 70\r\n"
      "From: Bob <sips:bob@biloxi.example.com>;tag=ja743ks76zlflH\r\n"
      "To: Bob <sips:bob@biloxi.example.com>\r\n"
      "Call-ID: 1j9FpLxk3uxtm8tn@biloxi.example.com\r\n"
      "CSeq: 2 REGISTER\r\n";
  s += contacts;
  s += extra;
  s += "Content-Length: 0\r\n\r\n";
  return s;
}

TEST(HeadersTest, ParsesARegister) {
  const Tokenized t(Register(
      "Contact: <sips:bob@client.biloxi.example.com>;expires=3600;q=0.8, "
      "\"Bob 2\" <sip:bob@192.0.2.9:5070;transport=tcp>\r\n"
      "m: <sip:bob@[2001:db8::2]>;+sip.instance=\"<urn:uuid:1>\";reg-id=1\r\n",
      "Authorization: Digest username=\"bob\", realm=\"atlanta.example.com\", "
      "nonce=\"ea9c8e88df84f1cec4341ae6cbe5a359\", opaque=\"\", "
      "uri=\"sips:ss2.biloxi.example.com\", response=\"dfe56131d1958046689d83306477ecc\"\r\n"));
  ASSERT_EQ(t.error, kOk);
  auto out = std::make_unique<RegisterFields>();
  const ParseStatus st = ParseRegister(*t.msg, *out);
  ASSERT_TRUE(st.ok()) << ErrorName(st.error);
  EXPECT_EQ(out->request_uri.kind, UriScheme::kSips);
  EXPECT_EQ(out->request_uri.host, "ss2.biloxi.example.com");
  EXPECT_EQ(out->to.addr.uri.raw, "sips:bob@biloxi.example.com");
  EXPECT_EQ(out->to.tag, "");
  EXPECT_EQ(out->from.tag, "ja743ks76zlflH");
  EXPECT_EQ(out->top_via.transport, "TLS");
  EXPECT_EQ(out->top_via.host, "client.biloxi.example.com");
  EXPECT_EQ(out->top_via.port, 5061);
  EXPECT_TRUE(out->top_via.has_rport);
  EXPECT_FALSE(out->contact_star);
  ASSERT_EQ(out->contact_count, 3);
  EXPECT_EQ(out->contacts[0].addr.uri.raw, "sips:bob@client.biloxi.example.com");
  EXPECT_EQ(out->contacts[0].expires, 3600);
  EXPECT_EQ(out->contacts[0].q, "0.8");
  EXPECT_EQ(out->contacts[1].addr.display_name, "\"Bob 2\"");
  EXPECT_EQ(out->contacts[1].addr.uri.port, 5070);
  EXPECT_EQ(out->contacts[1].expires, kAbsent);
  EXPECT_EQ(out->contacts[2].instance, "\"<urn:uuid:1>\"");
  EXPECT_EQ(out->contacts[2].reg_id, "1");
  ASSERT_TRUE(out->has_credentials);
  EXPECT_EQ(out->credentials.username, "bob");
  EXPECT_EQ(out->credentials.opaque, "");
  EXPECT_EQ(out->credentials.response, "dfe56131d1958046689d83306477ecc");
}

struct RegisterRow {
  std::string message;
  ParseError error;
  std::string_view at;  // the offending bytes start at the first occurrence of this in message
  const char* comment;
  int contact_count = 0;
  bool star = false;
  bool credentials = false;
};

std::string Contacts(int n) {
  std::string s;
  for (int i = 0; i < n; ++i) {
    s += "Contact: <sip:u" + std::to_string(i) + "@h>\r\n";
  }
  return s;
}

std::string ContactList(int n) {
  std::string s = "Contact: ";
  for (int i = 0; i < n; ++i) {
    s += (i == 0 ? "<sip:u" : ", <sip:u") + std::to_string(i) + "@h>";
  }
  return s + "\r\n";
}

const std::vector<RegisterRow>& RegisterRows() {
  static const std::vector<RegisterRow> rows = {
      {Register(""), kOk, {}, "no Contact: a query for bindings", 0},
      {Register("Contact: *\r\n", "Expires: 0\r\n"),
       kOk,
       {},
       "wildcard removes all bindings",
       0,
       true},
      {Register("Contact: <sip:a@b>\r\n"), kOk, {}, "one binding", 1},
      {Register(Contacts(kMaxRegisterContacts)),
       kOk,
       {},
       "kMaxRegisterContacts fields",
       static_cast<int>(kMaxRegisterContacts)},
      {Register(ContactList(kMaxRegisterContacts)),
       kOk,
       {},
       "kMaxRegisterContacts values in one field",
       static_cast<int>(kMaxRegisterContacts)},
      {Register(Contacts(kMaxRegisterContacts + 1)), kTooManyContacts, "<sip:u32@h>",
       "one Contact field above the limit"},
      {Register(ContactList(kMaxRegisterContacts + 1)), kTooManyContacts, "<sip:u32@h>",
       "one Contact value above the limit"},
      {Register("Contact: *\r\nContact: <sip:a@b>\r\n"), kBadContact, "*\r\n",
       "'*' with another Contact field (RFC 3261 §10.3 step 6)"},
      {Register("Contact: *\r\nContact: *\r\n"), kBadContact, "*\r\nContent",
       "two '*' fields (RFC 3261 §10.3 step 6: no additional Contact fields)"},
      {Register("Contact: *, *\r\n"), kBadContact, "*\r\n", "two '*' values in one field"},
      {Register("Contact: <sip:a@b>, *\r\n"), kBadContact, "<sip:a@b>, *",
       "'*' after a contact in one field"},
      {Register("Contact: *, <sip:a@b>\r\n"), kBadContact, "*, <sip:a@b>",
       "'*' before a contact in one field"},
      {Register("Contact: <sip:a@b>;expires=x\r\n"), kBadContact, "x\r\n", "bad expires"},
      {Register("Contact: <sip:a@b>,\r\n"), kBadContact, "\r\nContent-Length",
       "empty element after a trailing comma"},
      {Register("Contact: <sip:a@b>\r\n", "Authorization: Digest username=\"bob\"\r\n"),
       kOk,
       {},
       "with credentials",
       1,
       false,
       true},
      {Register("", "Authorization: Digest nc=1\r\n"), kBadAuthorization, "1\r\nContent",
       "bad credentials"},
      {Register("", "Proxy-Authorization: Digest nc=1\r\n"),
       kOk,
       {},
       "Proxy-Authorization is not looked at"},
  };
  return rows;
}

TEST(HeadersTest, ParsesRegisterContactsAndLimits) {
  for (const RegisterRow& row : RegisterRows()) {
    SCOPED_TRACE(row.comment);
    const Tokenized t(row.message);
    ASSERT_EQ(t.error, kOk);
    auto out = std::make_unique<RegisterFields>();
    const ParseStatus st = ParseRegister(*t.msg, *out);
    ASSERT_EQ(st.error, row.error);
    if (row.error != kOk) {
      const std::size_t want = row.message.find(row.at);
      ASSERT_NE(want, std::string::npos);
      EXPECT_EQ(st.at - t.msg->base, static_cast<std::ptrdiff_t>(want));
      continue;
    }
    EXPECT_EQ(out->contact_count, row.contact_count);
    EXPECT_EQ(out->contact_star, row.star);
    EXPECT_EQ(out->has_credentials, row.credentials);
    for (int i = 0; i < row.contact_count && row.contact_count > 1; ++i) {
      std::string user = std::to_string(i);
      user.insert(0, 1, 'u');
      EXPECT_EQ(out->contacts[i].addr.uri.user, user);
    }
  }
}

struct RegisterMissingRow {
  std::string_view message;
  ParseError error;
  uint32_t offset;  // from the start of the message
  const char* comment;
};

const RegisterMissingRow kRegisterMissingRows[] = {
    {"REGISTER sip:b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:a@b>;tag=1\r\n"
     "Call-ID: x\r\nCSeq: 1 REGISTER\r\n\r\n",
     kMissingTo, 0, "missing To"},
    {"REGISTER sip:b SIP/2.0\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\n"
     "Call-ID: x\r\nCSeq: 1 REGISTER\r\n\r\n",
     kMissingVia, 0, "missing Via"},
    {"REGISTER sip:b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\n"
     "CSeq: 1 REGISTER\r\n\r\n",
     kMissingCallId, 0, "missing Call-ID"},
    {"REGISTER sip:b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\n"
     "To: <sip:a@b>\r\nCall-ID: x\r\nCSeq: 1 REGISTER\r\n\r\n",
     kMultipleTo, 82, "two To fields"},
    {"REGISTER sip:b?x=y SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:a@b>;tag=1\r\n"
     "To: <sip:a@b>\r\nCall-ID: x\r\nCSeq: 1 REGISTER\r\n\r\n",
     kBadRequestUri, 14, "headers in the Request-URI"},
    {"REGISTER sip:b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:a@b>;tag=1\r\nTo: sip:a@b?x\r\n"
     "Call-ID: x\r\nCSeq: 1 REGISTER\r\n\r\n",
     kBadTo, 78, "bad To"},
    {"REGISTER sip:b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:a@b\r\nTo: <sip:a@b>\r\n"
     "Call-ID: x\r\nCSeq: 1 REGISTER\r\n\r\n",
     kBadFrom, 58, "bad From"},
    {"REGISTER sip:b SIP/2.0\r\nVia: SIP/2.0/UDP\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\n"
     "Call-ID: x\r\nCSeq: 1 REGISTER\r\n\r\n",
     kBadVia, 40, "bad top Via"},
    {"REGISTER sip:b SIP/2.0\r\nVia: SIP/2.0/UDP h, junk\r\nFrom: <sip:a@b>;tag=1\r\n"
     "To: <sip:a@b>\r\nCall-ID: x\r\nCSeq: 1 REGISTER\r\n\r\n",
     kOk, 0, "only the top Via element is parsed"},
};

TEST(HeadersTest, ReportsRegisterHeaderErrors) {
  for (const RegisterMissingRow& row : kRegisterMissingRows) {
    SCOPED_TRACE(row.comment);
    const Tokenized t(row.message);
    ASSERT_EQ(t.error, kOk);
    auto out = std::make_unique<RegisterFields>();
    const ParseStatus st = ParseRegister(*t.msg, *out);
    ASSERT_EQ(st.error, row.error);
    if (row.error != kOk) {
      EXPECT_EQ(st.at - t.msg->base, static_cast<std::ptrdiff_t>(row.offset));
    }
  }
}

}  // namespace
}  // namespace sipfront::sip
