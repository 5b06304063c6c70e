// Table-driven tests of Tokenize() (sipfront/sip/message.h): start line, header fields, the
// scalar header fields, framing (datagram and stream), limits, and the 64-byte block edges of
// the stage-1 scanners. Every Tokenize row runs through the guard-page harness (GuardedBuffer:
// any read past the 64-byte padding faults) for every scanner, skipping those the CPU lacks
// (picohttpparser test.c rows, Envoy codec_impl_test.cc parametrization).
//
// Offsets in the tables are byte offsets from the start of the input unless a table says
// otherwise. Also here: ErrorResponseFor/ErrorName for every ParseError, ClassifyMethod and
// the scanner registry.
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <ostream>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "sipfront/sip/header_id.h"
#include "sipfront/sip/message.h"
#include "sipfront/sip/parse_error.h"

#include "buffers.h"

namespace sipfront::sip {

// Readable names in gtest failure messages.
void PrintTo(ParseError e, std::ostream* os) { *os << ErrorName(e); }
void PrintTo(Scanner s, std::ostream* os) { *os << ScannerName(s); }
void PrintTo(HeaderId id, std::ostream* os) {
  *os << (id == HeaderId::kOther ? "(other)" : CanonicalName(id));
}

namespace {

using namespace std::string_view_literals;
using enum ParseError;
using ::sipfront::testing::GuardedBuffer;

constexpr Framing kDgram = Framing::kDatagram;
constexpr Framing kStream = Framing::kStream;

// The request line most rows start with: 24 bytes, so header lines start at offset 24.
constexpr std::string_view kReqLine = "INVITE sip:a@b SIP/2.0\r\n";
static_assert(kReqLine.size() == 24);

// RFC 3261 §25.1 token characters, written out independently of src/sip/charset.h.
bool IsTokenChar(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("-.!%*_+`'~").find(static_cast<char>(c)) != std::string_view::npos;
}

class TokenizerTest : public ::testing::TestWithParam<Scanner> {
 protected:
  void SetUp() override {
    if (!ScannerSupported(GetParam())) {
      GTEST_SKIP() << "scanner " << ScannerName(GetParam()) << " not supported by this CPU";
    }
  }

  // Tokenizes `input` from a fresh guard-page buffer that stays alive until the next Run().
  ParseError Run(std::string_view input, Framing framing = kDgram,
                 std::size_t max_size = kMaxMessageSize) {
    buf_ = std::make_unique<GuardedBuffer>(input);
    return Tokenize(buf_->view(), framing, *msg_, max_size, GetParam());
  }

  [[nodiscard]] const Message& msg() const { return *msg_; }

  // Every view of a successfully tokenized message lies inside the message.
  void ExpectViewsInside() const {
    const Message& m = *msg_;
    auto inside = [&m](std::string_view v) {
      return v.empty() || (v.data() >= m.base && v.data() + v.size() <= m.base + m.size);
    };
    EXPECT_TRUE(inside(m.method_name));
    EXPECT_TRUE(inside(m.request_uri));
    EXPECT_TRUE(inside(m.reason_phrase));
    EXPECT_TRUE(inside(m.body));
    for (uint16_t i = 0; i < m.header_count; ++i) {
      EXPECT_TRUE(inside(m.headers[i].name)) << "header " << i;
      EXPECT_TRUE(inside(m.headers[i].value)) << "header " << i;
    }
  }

 private:
  std::unique_ptr<GuardedBuffer> buf_;
  std::unique_ptr<Message> msg_ = std::make_unique<Message>();
};

// ---------------------------------------------------------------------------------------------
// Request line (RFC 3261 §7.1, §25.1).

struct RequestLineRow {
  std::string_view input;
  ParseError error;
  uint32_t offset;  // error_offset; success rows have no body, so msg.size == input.size()
  const char* comment;
  Method method = Method::kExtension;
  std::string_view method_name = {};
  std::string_view request_uri = {};
};

const RequestLineRow kRequestLineRows[] = {
    // Accepted.
    {"INVITE sip:a@b SIP/2.0\r\n\r\n", kOk, 0, "minimal INVITE without headers", Method::kInvite,
     "INVITE", "sip:a@b"},
    {"ACK sip:a@b SIP/2.0\r\n\r\n", kOk, 0, "ACK", Method::kAck, "ACK", "sip:a@b"},
    {"BYE sip:a@b SIP/2.0\r\n\r\n", kOk, 0, "BYE", Method::kBye, "BYE", "sip:a@b"},
    {"CANCEL sip:a@b SIP/2.0\r\n\r\n", kOk, 0, "CANCEL", Method::kCancel, "CANCEL", "sip:a@b"},
    {"OPTIONS sip:a@b SIP/2.0\r\n\r\n", kOk, 0, "OPTIONS", Method::kOptions, "OPTIONS", "sip:a@b"},
    {"REGISTER sip:b SIP/2.0\r\n\r\n", kOk, 0, "REGISTER with a domain-only URI", Method::kRegister,
     "REGISTER", "sip:b"},
    {"PRACK sip:a@b SIP/2.0\r\n\r\n", kOk, 0, "PRACK (RFC 3262)", Method::kPrack, "PRACK",
     "sip:a@b"},
    {"SUBSCRIBE sip:a@b SIP/2.0\r\n\r\n", kOk, 0, "SUBSCRIBE (RFC 6665)", Method::kSubscribe,
     "SUBSCRIBE", "sip:a@b"},
    {"NOTIFY sip:a@b SIP/2.0\r\n\r\n", kOk, 0, "NOTIFY (RFC 6665)", Method::kNotify, "NOTIFY",
     "sip:a@b"},
    {"PUBLISH sip:a@b SIP/2.0\r\n\r\n", kOk, 0, "PUBLISH (RFC 3903)", Method::kPublish, "PUBLISH",
     "sip:a@b"},
    {"INFO sip:a@b SIP/2.0\r\n\r\n", kOk, 0, "INFO (RFC 6086)", Method::kInfo, "INFO", "sip:a@b"},
    {"REFER sip:a@b SIP/2.0\r\n\r\n", kOk, 0, "REFER (RFC 3515)", Method::kRefer, "REFER",
     "sip:a@b"},
    {"MESSAGE sip:a@b SIP/2.0\r\n\r\n", kOk, 0, "MESSAGE (RFC 3428)", Method::kMessage, "MESSAGE",
     "sip:a@b"},
    {"UPDATE sip:a@b SIP/2.0\r\n\r\n", kOk, 0, "UPDATE (RFC 3311)", Method::kUpdate, "UPDATE",
     "sip:a@b"},
    {"FOO sip:a@b SIP/2.0\r\n\r\n", kOk, 0, "extension method token", Method::kExtension, "FOO",
     "sip:a@b"},
    {"invite sip:a@b SIP/2.0\r\n\r\n", kOk, 0, "methods are case-sensitive: invite is an extension",
     Method::kExtension, "invite", "sip:a@b"},
    {"X-Ext.1!%*_+`'~ sip:a@b SIP/2.0\r\n\r\n", kOk, 0, "method made of every token symbol",
     Method::kExtension, "X-Ext.1!%*_+`'~", "sip:a@b"},
    {"INVITE sip:a@b sip/2.0\r\n\r\n", kOk, 0, "SIP-Version is case-insensitive (RFC 3261 §7.1)",
     Method::kInvite, "INVITE", "sip:a@b"},
    {"INVITE tel:+1-201-555-0123 SIP/2.0\r\n\r\n", kOk, 0, "tel Request-URI", Method::kInvite,
     "INVITE", "tel:+1-201-555-0123"},
    {"INVITE <sip:a@b> SIP/2.0\r\n\r\n", kOk, 0,
     "<> around the Request-URI passes Tokenize (ValidateMessage rejects it, RFC 4475 ltgtruri)",
     Method::kInvite, "INVITE", "<sip:a@b>"},
    {"INVITE sip:\xc3\xa9@b SIP/2.0\r\n\r\n", kOk, 0,
     "non-ASCII bytes in the Request-URI are left to ParseUri", Method::kInvite, "INVITE",
     "sip:\xc3\xa9@b"},
    {"INVITE sip:a@b;lr?x=y SIP/2.0\r\n\r\n", kOk, 0, "Request-URI span includes params/headers",
     Method::kInvite, "INVITE", "sip:a@b;lr?x=y"},
    {"\r\nINVITE sip:a@b SIP/2.0\r\n\r\n", kOk, 0, "a leading CRLF is skipped (RFC 3261 §7.5)",
     Method::kInvite, "INVITE", "sip:a@b"},
    {"\r\n\r\n\r\nINVITE sip:a@b SIP/2.0\r\n\r\n", kOk, 0, "several leading CRLFs are skipped",
     Method::kInvite, "INVITE", "sip:a@b"},
    {"SIPX sip:a@b SIP/2.0\r\n\r\n", kOk, 0, "a method starting with SIP is not a status line",
     Method::kExtension, "SIPX", "sip:a@b"},
    // Rejected.
    {"INVITE  sip:a@b SIP/2.0\r\n\r\n", kBadRequestUri, 7,
     "two SPs after the method (RFC 4475 lwsruri-like)"},
    {"INVITE sip:a@b  SIP/2.0\r\n\r\n", kBadRequestUri, 14, "two SPs before the version"},
    {"INVITE sip:a@b SIP/2.0 \r\n\r\n", kBadRequestLine, 22, "trailing SP (RFC 4475 trws)"},
    {"INVITE sip:a@b SIP/2.0\t\r\n\r\n", kBadRequestLine, 22, "trailing HT"},
    {" INVITE sip:a@b SIP/2.0\r\n\r\n", kBadMethod, 0, "leading SP (RFC 4475 lwsstart)"},
    {"INVITE\tsip:a@b\tSIP/2.0\r\n\r\n", kBadMethod, 6, "HT instead of SP as separator"},
    {"INV@TE sip:a@b SIP/2.0\r\n\r\n", kBadMethod, 3, "non-token byte in the method"},
    {"INV\0TE sip:a@b SIP/2.0\r\n\r\n"sv, kBadMethod, 3, "NUL in the method"},
    {"INVITE\r\n\r\n", kBadMethod, 6, "method alone"},
    {"INVITE sip:a@b\r\n\r\n", kBadVersion, 14, "no SIP-Version"},
    {"INVITE  SIP/2.0\r\n\r\n", kBadRequestUri, 7, "empty Request-URI"},
    {"INVITE sip:a b SIP/2.0\r\n\r\n", kBadRequestUri, 12, "SP inside the Request-URI"},
    {"INVITE sip:a\0b SIP/2.0\r\n\r\n"sv, kBadRequestUri, 12, "NUL in the Request-URI"},
    {"INVITE sip:a\177b SIP/2.0\r\n\r\n", kBadRequestUri, 12, "DEL in the Request-URI"},
    {"INVITE sip:a\001b SIP/2.0\r\n\r\n", kBadRequestUri, 12, "control byte in the Request-URI"},
    {"INVITE sip:a@b SIP/3.0\r\n\r\n", kUnsupportedVersion, 15, "SIP/3.0 is answered 505"},
    {"INVITE sip:a@b SIP/7.0\r\n\r\n", kUnsupportedVersion, 15, "RFC 4475 badvers: SIP/7.0"},
    {"INVITE sip:a@b SIP/1.0\r\n\r\n", kUnsupportedVersion, 15, "SIP/1.0 is answered 505"},
    {"INVITE sip:a@b SIP/2.1\r\n\r\n", kUnsupportedVersion, 15, "SIP/2.1 is answered 505"},
    {"INVITE sip:a@b SIP/20\r\n\r\n", kBadVersion, 15, "version without '.'"},
    {"INVITE sip:a@b HTTP/1.1\r\n\r\n", kBadVersion, 15, "HTTP version"},
    {"INVITE sip:a@b SIP/2.0x\r\n\r\n", kBadVersion, 22, "junk after the minor version"},
    {"INVITE sip:a@b SIP/.00\r\n\r\n", kBadVersion, 19, "no major version digits"},
    {"INVITE sip:a@b SIP/22.\r\n\r\n", kBadVersion, 22, "no minor version digits"},
    {"INVITE sip:a@b SIP-2.0\r\n\r\n", kBadVersion, 15, "'-' instead of '/'"},
    {"INVITE sip:a@b SIP/2.0\n\r\n", kBadLineEnding, 22, "request line ends in a bare LF"},
    {"INVITE sip:a@b SIP/2.0\r\r\n\r\n", kBadLineEnding, 22, "request line ends in CR CR LF"},
    {"INVITE sip:a@b\rSIP/2.0\r\n\r\n", kBadLineEnding, 14, "bare CR inside the request line"},
    {"INVITE sip:a@b\nSIP/2.0\r\n\r\n", kBadLineEnding, 14, "bare LF inside the request line"},
    {"X\r\n\r\n", kBadMethod, 1, "one-byte start line"},
};

TEST_P(TokenizerTest, ParsesRequestLines) {
  for (const RequestLineRow& row : kRequestLineRows) {
    SCOPED_TRACE(row.comment);
    const ParseError e = Run(row.input);
    ASSERT_EQ(e, row.error);
    if (row.error != kOk) {
      EXPECT_EQ(msg().error_offset, row.offset);
      continue;
    }
    EXPECT_EQ(msg().kind, MessageKind::kRequest);
    EXPECT_EQ(msg().method, row.method);
    EXPECT_EQ(msg().method_name, row.method_name);
    EXPECT_EQ(msg().request_uri, row.request_uri);
    EXPECT_EQ(msg().size, row.input.size());
    EXPECT_EQ(msg().header_count, 0);
    EXPECT_TRUE(msg().body.empty());
    ExpectViewsInside();
  }
}

// Every byte in the middle of a method token: token characters extend the method, anything
// else is a bad method (or breaks the line structure).
TEST_P(TokenizerTest, ChecksEveryByteOfTheMethodToken) {
  for (int c = 0; c < 256; ++c) {
    SCOPED_TRACE(c);
    std::string input = "X";
    input += static_cast<char>(c);
    input += "Y sip:a@b SIP/2.0\r\n\r\n";
    const ParseError e = Run(input);
    if (IsTokenChar(static_cast<unsigned char>(c))) {
      ASSERT_EQ(e, kOk);
      EXPECT_EQ(msg().method_name, input.substr(0, 3));
    } else if (c == ' ') {
      ASSERT_EQ(e, kBadRequestUri);  // "X Y sip:a@b": the URI would contain a SP
      EXPECT_EQ(msg().error_offset, 3u);
    } else if (c == '\r' || c == '\n') {
      ASSERT_EQ(e, kBadLineEnding);
      EXPECT_EQ(msg().error_offset, 1u);
    } else {
      ASSERT_EQ(e, kBadMethod);
      EXPECT_EQ(msg().error_offset, 1u);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Status line (RFC 3261 §7.2, §25.1).

struct StatusLineRow {
  std::string_view input;
  ParseError error;
  uint32_t offset;  // error_offset; success rows have no body
  const char* comment;
  uint16_t status_code = 0;
  std::string_view reason = {};
};

const StatusLineRow kStatusLineRows[] = {
    // Accepted.
    {"SIP/2.0 200 OK\r\n\r\n", kOk, 0, "200 OK", 200, "OK"},
    {"SIP/2.0 100 Trying\r\n\r\n", kOk, 0, "lowest code", 100, "Trying"},
    {"SIP/2.0 699 Whatever\r\n\r\n", kOk, 0, "highest code", 699, "Whatever"},
    {"SIP/2.0 180 Ringing\r\n\r\n", kOk, 0, "provisional", 180, "Ringing"},
    {"SIP/2.0 486 Busy Here\r\n\r\n", kOk, 0, "reason with SP", 486, "Busy Here"},
    {"SIP/2.0 200 Very  Much\tOK\r\n\r\n", kOk, 0, "reason keeps inner SP and HT", 200,
     "Very  Much\tOK"},
    {"SIP/2.0 200 \xc3\x89t\xc3\xa9\r\n\r\n", kOk, 0, "UTF-8 reason phrase", 200,
     "\xc3\x89t\xc3\xa9"},
    {"SIP/2.0 200 \r\n\r\n", kOk, 0, "empty reason phrase after the SP", 200, ""},
    {"SIP/2.0 200\r\n\r\n", kOk, 0, "missing ' Reason-Phrase' tolerated (RFC 4475 noreason)", 200,
     ""},
    {"SIP/2.0 200 OK \r\n\r\n", kOk, 0, "trailing SP belongs to the reason phrase", 200, "OK "},
    {"sip/2.0 200 OK\r\n\r\n", kOk, 0, "lower-case SIP-Version", 200, "OK"},
    {"SIP/2.0 420 Bad \xe2\x80\x94 Extension\r\n\r\n", kOk, 0, "UTF-8 em dash in the reason", 420,
     "Bad \xe2\x80\x94 Extension"},
    {"\r\nSIP/2.0 200 OK\r\n\r\n", kOk, 0, "leading CRLF before a response", 200, "OK"},
    // Rejected.
    {"SIP/2.0 099 Low\r\n\r\n", kBadStatusCode, 8, "code below 100"},
    {"SIP/2.0 700 High\r\n\r\n", kBadStatusCode, 8, "code above 699"},
    {"SIP/2.0 2000 OK\r\n\r\n", kBadStatusCode, 8, "four-digit code"},
    {"SIP/2.0 20 OK\r\n\r\n", kBadStatusCode, 8, "two-digit code"},
    {"SIP/2.0 200OK\r\n\r\n", kBadStatusCode, 8, "no SP after the code"},
    {"SIP/2.0 abc OK\r\n\r\n", kBadStatusCode, 8, "non-numeric code"},
    {"SIP/2.0 -200 OK\r\n\r\n", kBadStatusCode, 8, "negative code"},
    {"SIP/2.0  200 OK\r\n\r\n", kBadStatusCode, 8, "two SPs after the version"},
    {"SIP/2.0 4294967301 better not break the receiver\r\n\r\n", kBadStatusCode, 8,
     "RFC 4475 bigcode"},
    {"SIP/2.0\r\n\r\n", kBadStatusLine, 7, "version alone"},
    {"SIP/3.0 200 OK\r\n\r\n", kUnsupportedVersion, 0, "response with SIP/3.0"},
    {"SIP/2.0x 200 OK\r\n\r\n", kBadVersion, 7, "junk after the response version"},
    {"SIP/ 200 OK\r\n\r\n", kBadVersion, 0, "empty version number"},
    {"SIP/2.0 200 O\x01K\r\n\r\n", kBadReasonPhrase, 13, "control byte in the reason phrase"},
    {"SIP/2.0 200 O\x7fK\r\n\r\n", kBadReasonPhrase, 13, "DEL in the reason phrase"},
    {"SIP/2.0 200 O\0K\r\n\r\n"sv, kBadReasonPhrase, 13, "NUL in the reason phrase"},
    {"SIP/2.0 200 OK\n\r\n", kBadLineEnding, 14, "status line ends in a bare LF"},
    {"SIP/2.0 200 O\rK\r\n\r\n", kBadLineEnding, 13, "bare CR in the reason phrase"},
};

TEST_P(TokenizerTest, ParsesStatusLines) {
  for (const StatusLineRow& row : kStatusLineRows) {
    SCOPED_TRACE(row.comment);
    const ParseError e = Run(row.input);
    ASSERT_EQ(e, row.error);
    if (row.error != kOk) {
      EXPECT_EQ(msg().error_offset, row.offset);
      continue;
    }
    EXPECT_EQ(msg().kind, MessageKind::kResponse);
    EXPECT_EQ(msg().status_code, row.status_code);
    EXPECT_EQ(msg().reason_phrase, row.reason);
    EXPECT_TRUE(msg().method_name.empty());
    EXPECT_TRUE(msg().request_uri.empty());
    EXPECT_EQ(msg().size, row.input.size());
    ExpectViewsInside();
  }
}

// Every byte inside a reason phrase: control bytes other than HT are rejected; the characters
// of the RFC 3261 §25.1 Reason-Phrase (reserved, unreserved, SP, HTAB) are accepted.
TEST_P(TokenizerTest, ChecksEveryByteOfTheReasonPhrase) {
  constexpr std::string_view kRfcChars = ";/?:@&=+$,-_.!~*'() \t";
  for (int c = 0; c < 256; ++c) {
    SCOPED_TRACE(c);
    std::string input = "SIP/2.0 200 O";
    input += static_cast<char>(c);
    input += "K\r\n\r\n";
    const ParseError e = Run(input);
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (c == '\r' || c == '\n') {
      ASSERT_EQ(e, kBadLineEnding);
      EXPECT_EQ(msg().error_offset, 13u);
    } else if ((c < 0x20 && c != '\t') || c == 0x7f) {
      ASSERT_EQ(e, kBadReasonPhrase);
      EXPECT_EQ(msg().error_offset, 13u);
    } else if (alnum || kRfcChars.find(static_cast<char>(c)) != std::string_view::npos) {
      ASSERT_EQ(e, kOk);
      EXPECT_EQ(msg().reason_phrase, input.substr(12, 3));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Header fields (RFC 3261 §7.3). `lines` follow kReqLine and are followed by the empty line;
// offsets count from the start of `lines`.

struct HeaderRow {
  std::string_view lines;
  ParseError error;
  uint32_t offset;
  const char* comment;
  uint16_t header_count = 0;  // success rows: headers found, and headers[probe] checked
  uint8_t probe = 0;
  HeaderId id = HeaderId::kOther;
  std::string_view name = {};
  std::string_view value = {};
  bool folded = false;
};

const HeaderRow kHeaderRows[] = {
    // Names: case, compact forms, whitespace around HCOLON.
    {"Via: SIP/2.0/UDP h\r\n", kOk, 0, "long name", 1, 0, HeaderId::kVia, "Via", "SIP/2.0/UDP h"},
    {"v: SIP/2.0/UDP h\r\n", kOk, 0, "compact form", 1, 0, HeaderId::kVia, "v", "SIP/2.0/UDP h"},
    {"V: x\r\n", kOk, 0, "upper-case compact form", 1, 0, HeaderId::kVia, "V", "x"},
    {"VIA: x\r\n", kOk, 0, "upper-case name", 1, 0, HeaderId::kVia, "VIA", "x"},
    {"vIa: x\r\n", kOk, 0, "mixed-case name", 1, 0, HeaderId::kVia, "vIa", "x"},
    {"Via : x\r\n", kOk, 0, "SP before the colon", 1, 0, HeaderId::kVia, "Via", "x"},
    {"Via\t:\tx\r\n", kOk, 0, "HT around the colon", 1, 0, HeaderId::kVia, "Via", "x"},
    {"Via   :x\r\n", kOk, 0, "several SPs before the colon", 1, 0, HeaderId::kVia, "Via", "x"},
    {"Via:x\r\n", kOk, 0, "no whitespace after the colon", 1, 0, HeaderId::kVia, "Via", "x"},
    {"Via:  x \t \r\n", kOk, 0, "trailing whitespace trimmed", 1, 0, HeaderId::kVia, "Via", "x"},
    {"Call-ID: a@b\r\n", kOk, 0, "Call-ID", 1, 0, HeaderId::kCallId, "Call-ID", "a@b"},
    {"call-id: a@b\r\n", kOk, 0, "lower-case Call-ID", 1, 0, HeaderId::kCallId, "call-id", "a@b"},
    {"i: a@b\r\n", kOk, 0, "compact Call-ID", 1, 0, HeaderId::kCallId, "i", "a@b"},
    {"m: <sip:a@b>\r\n", kOk, 0, "compact Contact", 1, 0, HeaderId::kContact, "m", "<sip:a@b>"},
    {"f: <sip:a@b>;tag=1\r\n", kOk, 0, "compact From", 1, 0, HeaderId::kFrom, "f",
     "<sip:a@b>;tag=1"},
    {"t: <sip:a@b>\r\n", kOk, 0, "compact To", 1, 0, HeaderId::kTo, "t", "<sip:a@b>"},
    {"l: 0\r\n", kOk, 0, "compact Content-Length", 1, 0, HeaderId::kContentLength, "l", "0"},
    {"c: application/sdp\r\n", kOk, 0, "compact Content-Type", 1, 0, HeaderId::kContentType, "c",
     "application/sdp"},
    {"e: gzip\r\n", kOk, 0, "compact Content-Encoding", 1, 0, HeaderId::kContentEncoding, "e",
     "gzip"},
    {"k: path\r\n", kOk, 0, "compact Supported", 1, 0, HeaderId::kSupported, "k", "path"},
    {"s: hello world\r\n", kOk, 0, "compact Subject", 1, 0, HeaderId::kSubject, "s", "hello world"},
    {"o: presence\r\n", kOk, 0, "compact Event", 1, 0, HeaderId::kEvent, "o", "presence"},
    {"u: presence\r\n", kOk, 0, "compact Allow-Events", 1, 0, HeaderId::kAllowEvents, "u",
     "presence"},
    {"r: <sip:c@d>\r\n", kOk, 0, "compact Refer-To", 1, 0, HeaderId::kReferTo, "r", "<sip:c@d>"},
    {"b: <sip:c@d>\r\n", kOk, 0, "compact Referred-By", 1, 0, HeaderId::kReferredBy, "b",
     "<sip:c@d>"},
    {"x: 1800\r\n", kOk, 0, "compact Session-Expires", 1, 0, HeaderId::kSessionExpires, "x",
     "1800"},
    {"y: abc\r\n", kOk, 0, "compact Identity", 1, 0, HeaderId::kIdentity, "y", "abc"},
    {"Max-Forwards: 70\r\n", kOk, 0, "Max-Forwards", 1, 0, HeaderId::kMaxForwards, "Max-Forwards",
     "70"},
    {"WWW-Authenticate: Digest realm=\"r\"\r\n", kOk, 0, "WWW-Authenticate", 1, 0,
     HeaderId::kWwwAuthenticate, "WWW-Authenticate", "Digest realm=\"r\""},
    // Values.
    {"Subject:\r\n", kOk, 0, "empty value", 1, 0, HeaderId::kSubject, "Subject", ""},
    {"Subject:   \r\n", kOk, 0, "whitespace-only value", 1, 0, HeaderId::kSubject, "Subject", ""},
    {"X-A: a:b:c\r\n", kOk, 0, "colons inside the value", 1, 0, HeaderId::kOther, "X-A", "a:b:c"},
    {"X-Custom: a;b=\"<>,\"\r\n", kOk, 0, "unknown header kept as an opaque span", 1, 0,
     HeaderId::kOther, "X-Custom", "a;b=\"<>,\""},
    {"a-b.c!%*_+`'~: v\r\n", kOk, 0, "name made of every token symbol", 1, 0, HeaderId::kOther,
     "a-b.c!%*_+`'~", "v"},
    {"X-A: \xc3\xa9t\xc3\xa9\r\n", kOk, 0, "UTF-8 value", 1, 0, HeaderId::kOther, "X-A",
     "\xc3\xa9t\xc3\xa9"},
    {"From: \"a\\\0b\" <sip:x@y>\r\n"sv, kOk, 0, "raw NUL in a quoted-pair is kept in the value", 1,
     0, HeaderId::kFrom, "From", "\"a\\\0b\" <sip:x@y>"sv},
    {"To: <sip:a@b>\r\nFrom: <sip:c@d>\r\n", kOk, 0, "second of two headers", 2, 1, HeaderId::kFrom,
     "From", "<sip:c@d>"},
    {"X-A: 1\r\nX-B: 2\r\nX-C: 3\r\n", kOk, 0, "third of three unknown headers", 3, 2,
     HeaderId::kOther, "X-C", "3"},
    // Line folding (RFC 3261 §7.3.1): the value span keeps the fold.
    {"Subject: a\r\n b\r\n", kOk, 0, "folded with SP", 1, 0, HeaderId::kSubject, "Subject",
     "a\r\n b", true},
    {"Subject: a\r\n\tb\r\n", kOk, 0, "folded with HT", 1, 0, HeaderId::kSubject, "Subject",
     "a\r\n\tb", true},
    {"Subject: a\r\n b\r\n  c\r\n", kOk, 0, "folded twice", 1, 0, HeaderId::kSubject, "Subject",
     "a\r\n b\r\n  c", true},
    {"Subject:\r\n b\r\n", kOk, 0, "value starts on the continuation line", 1, 0,
     HeaderId::kSubject, "Subject", "b", true},
    {"Subject: a\r\n \r\n", kOk, 0, "whitespace-only continuation trimmed", 1, 0,
     HeaderId::kSubject, "Subject", "a", true},
    {"Subject: a\r\n b\r\nX-A: c\r\n", kOk, 0, "header after a folded one", 2, 1, HeaderId::kOther,
     "X-A", "c"},
    {"Via: x\r\n ,y\r\n", kOk, 0, "fold before a comma", 1, 0, HeaderId::kVia, "Via", "x\r\n ,y",
     true},
    {"CSeq: 1\r\n INVITE\r\n", kOk, 0, "folded scalar header", 1, 0, HeaderId::kCSeq, "CSeq",
     "1\r\n INVITE", true},
    // Rejected.
    {"Vi@a: x\r\n", kBadHeaderName, 2, "non-token byte in the name"},
    {"X(y): z\r\n", kBadHeaderName, 1, "'(' in the name"},
    {"X/Y: z\r\n", kBadHeaderName, 1, "'/' in the name"},
    {": x\r\n", kBadHeaderName, 0, "empty name"},
    {" Via: x\r\n", kBadHeaderName, 0, "continuation line with nothing to continue"},
    {"\tVia: x\r\n", kBadHeaderName, 0, "HT continuation with nothing to continue"},
    {" \r\n", kBadHeaderName, 0, "whitespace-only first header line"},
    {"Via x: y\r\n", kMissingColon, 4, "SP inside the name"},
    {"Via\r\n", kMissingColon, 3, "no colon at all"},
    {"Via \r\n", kMissingColon, 4, "no colon after trailing SP"},
    {"To: a\r\nVia\r\n", kMissingColon, 10, "second header without colon"},
    {"Via\0: x\r\n"sv, kBadHeaderName, 3, "NUL in the name"},
    {"\0Via: x\r\n"sv, kBadHeaderName, 0, "NUL at the start of the name"},
    {"V\303\255a: x\r\n", kBadHeaderName, 1, "non-ASCII byte in the name"},
    {"Via: x\nTo: y\r\n", kBadLineEnding, 6, "bare LF ends a header"},
    {"Via: x\rTo: y\r\n", kBadLineEnding, 6, "bare CR inside a header"},
    {"Via: x\r\n\n", kBadLineEnding, 8, "bare LF as an empty line"},
    {"Via: x\r\n\r\r\n", kBadLineEnding, 8, "CR CR LF line"},
    {"Subject: a\n b\r\n", kBadLineEnding, 10, "bare LF before a continuation"},
    {"Subject: a\r\n b\n", kBadLineEnding, 14, "continuation line ends in a bare LF"},
    {"Subject: a\r\n b\rc\r\n", kBadLineEnding, 14, "bare CR in a continuation line"},
};

TEST_P(TokenizerTest, ParsesHeaderFields) {
  for (const HeaderRow& row : kHeaderRows) {
    SCOPED_TRACE(row.comment);
    const std::string input = std::string(kReqLine) + std::string(row.lines) + "\r\n";
    const ParseError e = Run(input);
    ASSERT_EQ(e, row.error);
    if (row.error != kOk) {
      EXPECT_EQ(msg().error_offset, kReqLine.size() + row.offset);
      continue;
    }
    ASSERT_EQ(msg().header_count, row.header_count);
    const Header& h = msg().headers[row.probe];
    EXPECT_EQ(h.id, row.id);
    EXPECT_EQ(h.name, row.name);
    EXPECT_EQ(h.value, row.value);
    EXPECT_EQ(h.folded, row.folded);
    EXPECT_EQ(msg().size, input.size());
    ExpectViewsInside();
  }
}

// Every byte inside a header name: token characters extend the name, ':' ends it, SP/HT need
// the colon next, CR/LF break the line, anything else is a bad name.
TEST_P(TokenizerTest, ChecksEveryByteOfAHeaderName) {
  for (int c = 0; c < 256; ++c) {
    SCOPED_TRACE(c);
    std::string lines = "X";
    lines += static_cast<char>(c);
    lines += "Y: z\r\n";
    const ParseError e = Run(std::string(kReqLine) + lines + "\r\n");
    const uint32_t at = kReqLine.size() + 1;
    if (IsTokenChar(static_cast<unsigned char>(c))) {
      ASSERT_EQ(e, kOk);
      EXPECT_EQ(msg().headers[0].name, lines.substr(0, 3));
      EXPECT_EQ(msg().headers[0].value, "z");
    } else if (c == ':') {
      ASSERT_EQ(e, kOk);
      EXPECT_EQ(msg().headers[0].name, "X");
      EXPECT_EQ(msg().headers[0].value, "Y: z");
    } else if (c == ' ' || c == '\t') {
      ASSERT_EQ(e, kMissingColon);
      EXPECT_EQ(msg().error_offset, at + 1);
    } else if (c == '\r' || c == '\n') {
      ASSERT_EQ(e, kBadLineEnding);
      EXPECT_EQ(msg().error_offset, at);
    } else {
      ASSERT_EQ(e, kBadHeaderName);
      EXPECT_EQ(msg().error_offset, at);
    }
  }
}

TEST_P(TokenizerTest, RejectsNulInHeaderName) {
  ASSERT_EQ(Run("INVITE sip:a@b SIP/2.0\r\nVia\0: x\r\n\r\n"sv), kBadHeaderName);
  EXPECT_EQ(msg().error_offset, 27u);
}

// Header index: per-id counts, first index and the next chain across interleaved headers.
TEST_P(TokenizerTest, IndexesRepeatedHeadersInOrder) {
  const std::string input = std::string(kReqLine) +
                            "Via: a\r\n"      // 0
                            "To: t\r\n"       // 1
                            "v: b\r\n"        // 2
                            "X-A: 1\r\n"      // 3
                            "VIA: c\r\n"      // 4
                            "X-B: 2\r\n"      // 5
                            "Contact: m\r\n"  // 6
                            "\r\n";
  ASSERT_EQ(Run(input), kOk);
  const Message& m = msg();
  EXPECT_EQ(m.header_count, 7);
  EXPECT_EQ(m.count[static_cast<std::size_t>(HeaderId::kVia)], 3);
  EXPECT_EQ(m.count[static_cast<std::size_t>(HeaderId::kTo)], 1);
  EXPECT_EQ(m.count[static_cast<std::size_t>(HeaderId::kContact)], 1);
  EXPECT_EQ(m.count[static_cast<std::size_t>(HeaderId::kOther)], 2);
  EXPECT_EQ(m.count[static_cast<std::size_t>(HeaderId::kFrom)], 0);
  EXPECT_EQ(m.first[static_cast<std::size_t>(HeaderId::kVia)], 0);
  EXPECT_EQ(m.first[static_cast<std::size_t>(HeaderId::kContact)], 6);
  EXPECT_EQ(m.first[static_cast<std::size_t>(HeaderId::kFrom)], kNoHeader);
  EXPECT_TRUE(m.Has(HeaderId::kVia));
  EXPECT_FALSE(m.Has(HeaderId::kFrom));
  EXPECT_EQ(m.Find(HeaderId::kFrom), nullptr);
  const Header* via = m.Find(HeaderId::kVia);
  ASSERT_NE(via, nullptr);
  EXPECT_EQ(via->value, "a");
  via = m.Next(*via);
  ASSERT_NE(via, nullptr);
  EXPECT_EQ(via->value, "b");
  EXPECT_EQ(via->name, "v");
  via = m.Next(*via);
  ASSERT_NE(via, nullptr);
  EXPECT_EQ(via->value, "c");
  EXPECT_EQ(m.Next(*via), nullptr);
  EXPECT_EQ(m.headers[1].next, kNoHeader);
  EXPECT_EQ(m.OffsetOf(via->name.data()), 24u + 8 + 7 + 6 + 8);
}

// ---------------------------------------------------------------------------------------------
// Scalar header fields: Call-ID, CSeq, Max-Forwards, Expires. `lines` follow kReqLine (an
// INVITE); offsets count from the start of `lines`.

struct ScalarRow {
  std::string_view lines;
  ParseError error;
  uint32_t offset;
  const char* comment;
  std::string_view text = {};  // Call-ID value or CSeq method
  int64_t number = kAbsent;    // CSeq number, Max-Forwards or Expires
};

// callid = word [ "@" word ] (RFC 3261 §25.1)
const ScalarRow kCallIdRows[] = {
    {"Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n", kOk, 0, "word@word",
     "a84b4c76e66710@pc33.atlanta.com"},
    {"Call-ID: f81d4fae-7dec-11d0-a765-00a0c91e6bf6\r\n", kOk, 0, "word without '@'",
     "f81d4fae-7dec-11d0-a765-00a0c91e6bf6"},
    {"i: abc\r\n", kOk, 0, "compact form", "abc"},
    {"Call-ID: -.!%*_+`'~()<>:\\\"/[]?{}@x\r\n", kOk, 0, "every word symbol",
     "-.!%*_+`'~()<>:\\\"/[]?{}@x"},
    {"Call-ID:   abc   \r\n", kOk, 0, "surrounding whitespace trimmed", "abc"},
    {"Call-ID: x\r\nCall-ID: y\r\n", kOk, 0, "the first of two is kept (CheckRequest rejects)",
     "x"},
    {"Call-ID:\r\n", kBadCallId, 8, "empty"},
    {"Call-ID: a b\r\n", kBadCallId, 10, "SP inside"},
    {"Call-ID: @host\r\n", kBadCallId, 9, "empty word before '@'"},
    {"Call-ID: a@\r\n", kBadCallId, 11, "empty word after '@'"},
    {"Call-ID: a@b@c\r\n", kBadCallId, 12, "second '@'"},
    {"Call-ID: a;b\r\n", kBadCallId, 10, "';' is not a word character"},
    {"Call-ID: a,b\r\n", kBadCallId, 10, "',' is not a word character"},
    {"Call-ID: a\r\n b\r\n", kBadCallId, 10, "folded Call-ID"},
    {"Call-ID: a\0b\r\n"sv, kBadCallId, 10, "NUL inside"},
    {"Call-ID: \xc3\xa9\r\n", kBadCallId, 9, "non-ASCII byte"},
    {"Call-ID: x\r\ni: a b\r\n", kBadCallId, 16, "a bad second Call-ID is still checked"},
};

TEST_P(TokenizerTest, ParsesCallId) {
  for (const ScalarRow& row : kCallIdRows) {
    SCOPED_TRACE(row.comment);
    const ParseError e = Run(std::string(kReqLine) + std::string(row.lines) + "\r\n");
    ASSERT_EQ(e, row.error);
    if (row.error != kOk) {
      EXPECT_EQ(msg().error_offset, kReqLine.size() + row.offset);
      continue;
    }
    EXPECT_EQ(msg().call_id, row.text);
  }
}

// CSeq = 1*DIGIT LWS Method (RFC 3261 §20.16), 32-bit number, method matching the request.
const ScalarRow kCSeqRows[] = {
    {"CSeq: 1 INVITE\r\n", kOk, 0, "basic", "INVITE", 1},
    {"CSeq: 0 INVITE\r\n", kOk, 0, "zero", "INVITE", 0},
    {"CSeq: 4294967295 INVITE\r\n", kOk, 0, "2^32-1", "INVITE", 4294967295},
    {"CSeq: 00001 INVITE\r\n", kOk, 0, "leading zeros", "INVITE", 1},
    {"CSeq:   17    INVITE  \r\n", kOk, 0, "extra whitespace", "INVITE", 17},
    {"CSeq: 1\tINVITE\r\n", kOk, 0, "HT between number and method", "INVITE", 1},
    {"CSeq: 1\r\n INVITE\r\n", kOk, 0, "folded between number and method", "INVITE", 1},
    {"cseq: 2 INVITE\r\n", kOk, 0, "lower-case name", "INVITE", 2},
    {"CSeq: 1 INVITE\r\nCSeq: 2 INVITE\r\n", kOk, 0, "the first of two is kept", "INVITE", 1},
    {"CSeq: INVITE\r\n", kBadCSeq, 6, "no number"},
    {"CSeq: 1INVITE\r\n", kBadCSeq, 7, "no LWS between number and method"},
    {"CSeq: 1\r\n", kBadCSeq, 7, "no method"},
    {"CSeq: 1 \r\n", kBadCSeq, 7, "no method after trailing SP (trimmed)"},
    {"CSeq:\r\n", kBadCSeq, 5, "empty"},
    {"CSeq: 4294967296 INVITE\r\n", kBadCSeq, 6, "2^32 (RFC 4475 scalar02)"},
    {"CSeq: 99999999999999999999999 INVITE\r\n", kBadCSeq, 6, "huge number"},
    {"CSeq: -1 INVITE\r\n", kBadCSeq, 6, "negative"},
    {"CSeq: +1 INVITE\r\n", kBadCSeq, 6, "explicit sign"},
    {"CSeq: 1 INVITE x\r\n", kBadCSeq, 14, "junk after the method"},
    {"CSeq: 1 INV@TE\r\n", kBadCSeq, 11, "non-token method"},
    {"CSeq: 1.5 INVITE\r\n", kBadCSeq, 7, "fractional number"},
    {"CSeq: 1 BYE\r\n", kCSeqMethodMismatch, 8, "method differs from the request's"},
    {"CSeq: 1 invite\r\n", kCSeqMethodMismatch, 8, "method compared case-sensitively"},
    {"CSeq: 1 INVITE\r\nCSeq: x\r\n", kBadCSeq, 22, "a bad second CSeq is still checked"},
};

TEST_P(TokenizerTest, ParsesCSeq) {
  for (const ScalarRow& row : kCSeqRows) {
    SCOPED_TRACE(row.comment);
    const ParseError e = Run(std::string(kReqLine) + std::string(row.lines) + "\r\n");
    ASSERT_EQ(e, row.error);
    if (row.error != kOk) {
      EXPECT_EQ(msg().error_offset, kReqLine.size() + row.offset);
      continue;
    }
    ASSERT_GT(msg().count[static_cast<std::size_t>(HeaderId::kCSeq)], 0);
    EXPECT_EQ(msg().cseq.seq, static_cast<uint32_t>(row.number));
    EXPECT_EQ(msg().cseq.method_name, row.text);
    EXPECT_EQ(msg().cseq.method, Method::kInvite);
  }
}

TEST_P(TokenizerTest, SkipsCSeqMethodCheckInResponses) {
  ASSERT_EQ(Run("SIP/2.0 200 OK\r\nCSeq: 7 BYE\r\n\r\n"), kOk);
  EXPECT_EQ(msg().cseq.seq, 7u);
  EXPECT_EQ(msg().cseq.method, Method::kBye);
  ASSERT_EQ(Run("SIP/2.0 200 OK\r\nCSeq: 8 FOO\r\n\r\n"), kOk);
  EXPECT_EQ(msg().cseq.method, Method::kExtension);
  EXPECT_EQ(msg().cseq.method_name, "FOO");
  ASSERT_EQ(Run("SIP/2.0 200 OK\r\nCSeq: 8\r\n\r\n"), kBadCSeq);
  EXPECT_EQ(msg().error_offset, 16u + 7);
}

TEST_P(TokenizerTest, MatchesCSeqAgainstExtensionMethods) {
  ASSERT_EQ(Run("FOO sip:a@b SIP/2.0\r\nCSeq: 3 FOO\r\n\r\n"), kOk);
  EXPECT_EQ(msg().cseq.method, Method::kExtension);
  ASSERT_EQ(Run("FOO sip:a@b SIP/2.0\r\nCSeq: 3 BAR\r\n\r\n"), kCSeqMethodMismatch);
  EXPECT_EQ(msg().error_offset, 21u + 8);
  ASSERT_EQ(Run("REGISTER sip:b SIP/2.0\r\nCSeq: 3 REGISTER\r\n\r\n"), kOk);
  EXPECT_EQ(msg().cseq.method, Method::kRegister);
}

// Max-Forwards = 1*DIGIT (RFC 3261 §20.22); above 255 it is ignored (RFC 4475 scalar02).
const ScalarRow kMaxForwardsRows[] = {
    {"Max-Forwards: 70\r\n", kOk, 0, "typical", {}, 70},
    {"Max-Forwards: 0\r\n", kOk, 0, "zero", {}, 0},
    {"Max-Forwards: 255\r\n", kOk, 0, "largest kept value", {}, 255},
    {"Max-Forwards: 007\r\n", kOk, 0, "leading zeros", {}, 7},
    {"Max-Forwards: 256\r\n", kOk, 0, "above 255 is treated as absent", {}, kAbsent},
    {"Max-Forwards: 300\r\n", kOk, 0, "RFC 4475 scalar02 value", {}, kAbsent},
    {"Max-Forwards: 99999999999999999999999\r\n",
     kOk,
     0,
     "huge value is treated as absent",
     {},
     kAbsent},
    {"X: 1\r\n", kOk, 0, "absent", {}, kAbsent},
    {"Max-Forwards: 1\r\nMax-Forwards: 2\r\n", kOk, 0, "the first of two is kept", {}, 1},
    {"Max-Forwards:\r\n", kBadMaxForwards, 13, "empty"},
    {"Max-Forwards: -1\r\n", kBadMaxForwards, 14, "negative"},
    {"Max-Forwards: +70\r\n", kBadMaxForwards, 14, "explicit sign"},
    {"Max-Forwards: 7 0\r\n", kBadMaxForwards, 15, "SP inside"},
    {"Max-Forwards: 7a\r\n", kBadMaxForwards, 15, "letter after digits"},
    {"Max-Forwards: seventy\r\n", kBadMaxForwards, 14, "not a number"},
    {"Max-Forwards: 1\r\nMax-Forwards: x\r\n", kBadMaxForwards, 31, "bad second value"},
};

TEST_P(TokenizerTest, ParsesMaxForwards) {
  for (const ScalarRow& row : kMaxForwardsRows) {
    SCOPED_TRACE(row.comment);
    const ParseError e = Run(std::string(kReqLine) + std::string(row.lines) + "\r\n");
    ASSERT_EQ(e, row.error);
    if (row.error != kOk) {
      EXPECT_EQ(msg().error_offset, kReqLine.size() + row.offset);
      continue;
    }
    EXPECT_EQ(msg().max_forwards, row.number);
  }
}

// Expires = delta-seconds (RFC 3261 §20.19); above 2^32-1 it is ignored.
const ScalarRow kExpiresRows[] = {
    {"Expires: 3600\r\n", kOk, 0, "typical", {}, 3600},
    {"Expires: 0\r\n", kOk, 0, "zero (unregister)", {}, 0},
    {"Expires: 4294967295\r\n", kOk, 0, "2^32-1", {}, 4294967295},
    {"Expires: 4294967296\r\n", kOk, 0, "2^32 is treated as absent", {}, kAbsent},
    {"Expires: 99999999999999999999999\r\n",
     kOk,
     0,
     "huge value is treated as absent",
     {},
     kAbsent},
    {"X: 1\r\n", kOk, 0, "absent", {}, kAbsent},
    {"Expires:  60 \r\n", kOk, 0, "surrounding whitespace", {}, 60},
    {"Expires: soon\r\n", kBadExpires, 9, "not a number"},
    {"Expires: 10 s\r\n", kBadExpires, 11, "unit after the number"},
    {"Expires: -1\r\n", kBadExpires, 9, "negative"},
    {"Expires:\r\n", kBadExpires, 8, "empty"},
    {"Expires: Thu, 01 Dec 1994 16:00:00 GMT\r\n", kBadExpires, 9,
     "RFC 2543 SIP-date form is gone from RFC 3261"},
};

TEST_P(TokenizerTest, ParsesExpires) {
  for (const ScalarRow& row : kExpiresRows) {
    SCOPED_TRACE(row.comment);
    const ParseError e = Run(std::string(kReqLine) + std::string(row.lines) + "\r\n");
    ASSERT_EQ(e, row.error);
    if (row.error != kOk) {
      EXPECT_EQ(msg().error_offset, kReqLine.size() + row.offset);
      continue;
    }
    EXPECT_EQ(msg().expires, row.number);
  }
}

// ---------------------------------------------------------------------------------------------
// Framing (RFC 3261 §18.3, RFC 5626 §4.4.1 keepalives). Offsets are from the start of input.

struct FramingRow {
  std::string_view input;
  Framing framing;
  ParseError error;
  uint32_t offset;  // error_offset for errors; msg.size for kOk, kIncomplete and kKeepalive
  const char* comment;
  std::string_view body = {};  // kOk only
  int64_t content_length = kAbsent;
  std::size_t max_size = kMaxMessageSize;
};

const FramingRow kFramingRows[] = {
    // Datagrams.
    {"INVITE sip:a@b SIP/2.0\r\nContent-Length: 5\r\n\r\nhello", kDgram, kOk, 50,
     "body of exactly Content-Length bytes", "hello", 5},
    {"INVITE sip:a@b SIP/2.0\r\nContent-Length: 5\r\n\r\nhelloEXTRA", kDgram, kOk, 50,
     "bytes after Content-Length are discarded", "hello", 5},
    {"INVITE sip:a@b SIP/2.0\r\n\r\nbody", kDgram, kOk, 30,
     "no Content-Length on a datagram: the body is the rest", "body"},
    {"INVITE sip:a@b SIP/2.0\r\n\r\n", kDgram, kOk, 26, "no Content-Length and no body", ""},
    {"INVITE sip:a@b SIP/2.0\r\nl: 5\r\n\r\nhello", kDgram, kOk, 37, "compact Content-Length",
     "hello", 5},
    {"INVITE sip:a@b SIP/2.0\r\nContent-Length: 0\r\n\r\ntrailing", kDgram, kOk, 45,
     "Content-Length 0 discards the rest", "", 0},
    {"INVITE sip:a@b SIP/2.0\r\nContent-Length: 5\r\nl: 5\r\n\r\nhello", kDgram, kOk, 56,
     "two equal Content-Length values", "hello", 5},
    {"INVITE sip:a@b SIP/2.0\r\nContent-Length:   5   \r\n\r\nhello", kDgram, kOk, 55,
     "whitespace around the length", "hello", 5},
    {"INVITE sip:a@b SIP/2.0\r\nContent-Length: 0005\r\n\r\nhello", kDgram, kOk, 53,
     "leading zeros", "hello", 5},
    {"INVITE sip:a@b SIP/2.0\r\n\r\nbo\rdy\n\0x"sv, kDgram, kOk, 34,
     "bare CR, LF and NUL in the body are not looked at", "bo\rdy\n\0x"sv},
    {"INVITE sip:a@b SIP/2.0\r\n\r\n\r\n\r\n", kDgram, kOk, 30,
     "CRLFs after the empty line are body", "\r\n\r\n"},
    {"\r\nINVITE sip:a@b SIP/2.0\r\n\r\n", kDgram, kOk, 28, "size counts skipped leading CRLFs",
     ""},
    {"INVITE sip:a@b SIP/2.0\r\nContent-Length: 5\r\nl: 4\r\n\r\nhello", kDgram,
     kConflictingContentLength, 46, "conflicting Content-Length values"},
    {"INVITE sip:a@b SIP/2.0\r\nContent-Length: 6\r\n\r\nhello", kDgram, kBodyTruncated, 50,
     "datagram shorter than Content-Length (RFC 3261 §18.3)"},
    {"INVITE sip:a@b SIP/2.0\r\nContent-Length: 4294967295\r\n\r\nx", kDgram, kBodyTruncated, 55,
     "largest Content-Length"},
    {"INVITE sip:a@b SIP/2.0\r\nContent-Length: abc\r\n\r\n", kDgram, kBadContentLength, 40,
     "non-numeric Content-Length"},
    {"INVITE sip:a@b SIP/2.0\r\nContent-Length: 5x\r\n\r\nhello", kDgram, kBadContentLength, 41,
     "junk after the digits"},
    {"INVITE sip:a@b SIP/2.0\r\nContent-Length: -5\r\n\r\nhello", kDgram, kBadContentLength, 40,
     "negative Content-Length"},
    {"INVITE sip:a@b SIP/2.0\r\nContent-Length:\r\n\r\n", kDgram, kBadContentLength, 39,
     "empty Content-Length"},
    {"INVITE sip:a@b SIP/2.0\r\nContent-Length: 4294967296\r\n\r\n", kDgram, kBadContentLength, 40,
     "Content-Length of 2^32"},
    {"INVITE sip:a@b SIP/2.0\r\nContent-Length: 99999999999999999999\r\n\r\n", kDgram,
     kBadContentLength, 40, "absurd Content-Length"},
    {"INVITE sip:a@b SIP/2.0\r\nContent-Length: 5\r\n 6\r\n\r\nhello", kDgram, kBadContentLength,
     41, "folded Content-Length"},
    {"INVITE sip:a@b SIP/2.0\r\nVia: x\r\n", kDgram, kMissingHeaderEnd, 32,
     "no empty line after the headers"},
    {"INVITE sip:a@b SIP/2.0\r\nVia: x", kDgram, kMissingHeaderEnd, 30,
     "last header line unterminated"},
    {"INVITE sip:a@b SIP/2.0\r\nVia: x\r", kDgram, kBadLineEnding, 30,
     "unterminated datagram ending in a bare CR"},
    {"INVITE sip:a@b SIP/2.0\r\nVia: a\rb", kDgram, kBadLineEnding, 30,
     "bare CR after the last LF of an unterminated datagram"},
    {"INVITE sip:a@b SIP/2.0", kDgram, kMissingHeaderEnd, 22, "start line only, no CRLF"},
    {"INVITE sip:a@b SIP/2.0\r\n", kDgram, kMissingHeaderEnd, 24, "start line only"},
    {"\r\n\r\n", kDgram, kKeepalive, 4, "datagram of CRLFs only"},
    {"\r\n", kDgram, kKeepalive, 2, "datagram of one CRLF"},
    {"", kDgram, kKeepalive, 0, "empty datagram"},
    {"\r\n\n", kDgram, kBadLineEnding, 2, "bare LF after a leading CRLF"},
    {"\n", kDgram, kBadLineEnding, 0, "bare LF datagram"},
    {"\r", kDgram, kBadLineEnding, 0, "bare CR datagram"},
    {"\r\r\n", kDgram, kBadLineEnding, 0, "CR CR LF at the start"},
    {"INVITE sip:a@b SIP/2.0\r\n\r\naaaaaaaaaaaaaa", kDgram, kOk, 40, "datagram exactly max_size",
     "aaaaaaaaaaaaaa", kAbsent, 40},
    {"INVITE sip:a@b SIP/2.0\r\n\r\naaaaaaaaaaaaaaa",
     kDgram,
     kMessageTooLarge,
     40,
     "datagram one byte above max_size (513)",
     {},
     kAbsent,
     40},
    // Streams.
    {"", kStream, kIncomplete, 0, "empty stream"},
    {"\r", kStream, kIncomplete, 0, "half a CRLF"},
    {"\r\n", kStream, kIncomplete, 0, "one CRLF could be the start of a ping"},
    {"\r\n\r", kStream, kIncomplete, 0, "three bytes of a ping"},
    {"\r\n\r\n", kStream, kKeepalive, 4, "ping (RFC 5626 §4.4.1)"},
    {"\r\n\r\n\r\n", kStream, kKeepalive, 4, "pings are consumed one at a time"},
    {"\r\nINVITE", kStream, kKeepalive, 2, "pong followed by a message"},
    {"\r\n\n", kStream, kKeepalive, 2, "pong; the bare LF is the next call's problem"},
    {"\n", kStream, kBadLineEnding, 0, "stream starting with a bare LF"},
    {"\rX", kStream, kBadLineEnding, 0, "stream starting with a bare CR"},
    {"\r\n\rX", kStream, kBadLineEnding, 2, "ping with a bare CR"},
    {"INVITE sip:a@b SI", kStream, kIncomplete, 0, "partial start line"},
    {"INVITE sip:a@b SIP/2.0\r", kStream, kIncomplete, 0, "start line without its LF"},
    {"INVITE sip:a@b SIP/2.0\r\nVia: x", kStream, kIncomplete, 0, "partial header section"},
    {"INVITE sip:a@b SIP/2.0\r\nContent-Length: 5\r\n\r\nhel", kStream, kIncomplete, 50,
     "partial body: size is the total needed"},
    {"INVITE sip:a@b SIP/2.0\r\nContent-Length: 5\r\n\r\n", kStream, kIncomplete, 50,
     "headers only: size is the total needed"},
    {"INVITE sip:a@b SIP/2.0\r\nContent-Length: 5\r\n\r\nhello", kStream, kOk, 50,
     "complete message", "hello", 5},
    {"INVITE sip:a@b SIP/2.0\r\nContent-Length: 5\r\n\r\nhello"
     "INVITE sip:a@b SIP/2.0\r\nContent-Length: 0\r\n\r\n",
     kStream, kOk, 50, "two pipelined messages: size of the first", "hello", 5},
    {"INVITE sip:a@b SIP/2.0\r\nContent-Length: 0\r\n\r\nINVITE sip:a", kStream, kOk, 45,
     "complete message followed by a partial one", "", 0},
    {"INVITE sip:a@b SIP/2.0\r\nContent-Length: 0\r\n\r\n\r\n\r\n", kStream, kOk, 45,
     "message followed by a ping", "", 0},
    {"SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n", kStream, kOk, 37, "response on a stream", "",
     0},
    {"INVITE sip:a@b SIP/2.0\r\n\r\n", kStream, kMissingContentLength, 26,
     "stream message without Content-Length (RFC 3261 §18.3)"},
    {"INVITE sip:a@b SIP/2.0\r\nVia: x\r\n\r\nbody", kStream, kMissingContentLength, 34,
     "stream message with a body but no Content-Length"},
    {"INVITE sip:a@b SIP/2.0\r\nContent-Length: 5\r\nl: 4\r\n\r\nhello", kStream,
     kConflictingContentLength, 46, "conflicting lengths on a stream"},
    {"INVITE sip:a@b SIP/2.0\nVia", kStream, kBadLineEnding, 22,
     "bare LF in a partial stream message"},
    {"INVITE sip:a@b SIP/2.0\r\nVia: x\nTo", kStream, kBadLineEnding, 30,
     "bare LF in a partial header section"},
    {"INVITE sip:a@b SIP/2.0\r\nVia: aaaaaaaaaaa",
     kStream,
     kMessageTooLarge,
     40,
     "partial header section already max_size long",
     {},
     kAbsent,
     40},
    {"INVITE sip:a@b SIP/2.0\r\nVia: aaaaaaaaaa",
     kStream,
     kIncomplete,
     0,
     "partial header section one byte below max_size",
     {},
     kAbsent,
     40},
    {"INVITE sip:a@b SIP/2.0\r\nContent-Length: 100\r\n\r\n",
     kStream,
     kMessageTooLarge,
     47,
     "Content-Length makes the message exceed max_size",
     {},
     kAbsent,
     60},
    {"INVITE sip:a@b SIP/2.0\r\nContent-Length: 4\r\n\r\nabcd", kStream, kOk, 49,
     "stream message exactly max_size", "abcd", 4, 49},
};

TEST_P(TokenizerTest, FramesDatagramsAndStreams) {
  for (const FramingRow& row : kFramingRows) {
    SCOPED_TRACE(row.comment);
    const ParseError e = Run(row.input, row.framing, row.max_size);
    ASSERT_EQ(e, row.error);
    if (e == kIncomplete || e == kKeepalive) {
      EXPECT_EQ(msg().size, row.offset);
      continue;
    }
    if (e != kOk) {
      EXPECT_EQ(msg().error_offset, row.offset);
      continue;
    }
    EXPECT_EQ(msg().size, row.offset);
    EXPECT_EQ(msg().body, row.body);
    EXPECT_EQ(msg().content_length, row.content_length);
    EXPECT_EQ(msg().body.data() + msg().body.size(), msg().base + msg().size);
    ExpectViewsInside();
  }
}

// Consuming a stream message by message: the sizes chain through pipelined input.
TEST_P(TokenizerTest, WalksPipelinedStreamInput) {
  const std::string_view input =
      "\r\n\r\n"
      "REGISTER sip:b SIP/2.0\r\nl: 2\r\n\r\nab"
      "\r\n"
      "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n"
      "OPTIONS sip:b SIP/2.0\r\nl: 0\r\n";
  std::vector<ParseError> results;
  std::size_t consumed = 0;
  while (true) {
    const ParseError e = Run(input.substr(consumed), kStream);
    results.push_back(e);
    if (e != kOk && e != kKeepalive) {
      break;
    }
    consumed += msg().size;
  }
  EXPECT_EQ(results, (std::vector<ParseError>{kKeepalive, kOk, kKeepalive, kOk, kIncomplete}));
  EXPECT_EQ(input.substr(consumed), "OPTIONS sip:b SIP/2.0\r\nl: 0\r\n");
}

// ---------------------------------------------------------------------------------------------
// Limits: kMaxHeaders fields and the line index behind them.

std::string ManyHeaders(std::size_t n) {
  std::string s(kReqLine);
  for (std::size_t i = 0; i < n; ++i) {
    s += "X-H: " + std::to_string(i % 10) + "\r\n";
  }
  return s + "\r\n";
}

TEST_P(TokenizerTest, AcceptsExactlyMaxHeaders) {
  ASSERT_EQ(Run(ManyHeaders(kMaxHeaders)), kOk);
  EXPECT_EQ(msg().header_count, kMaxHeaders);
  EXPECT_EQ(msg().headers[kMaxHeaders - 1].value, std::to_string((kMaxHeaders - 1) % 10));
}

TEST_P(TokenizerTest, RejectsOneHeaderAboveMax) {
  ASSERT_EQ(Run(ManyHeaders(kMaxHeaders + 1)), kTooManyHeaders);
  // Each "X-H: d\r\n" is 8 bytes; the error points at the first field that does not fit.
  EXPECT_EQ(msg().error_offset, kReqLine.size() + 8 * kMaxHeaders);
  EXPECT_EQ(ErrorResponseFor(kTooManyHeaders).status_code, 400);
}

TEST_P(TokenizerTest, RejectsFarTooManyHeaders) {
  ASSERT_EQ(Run(ManyHeaders(2000)), kTooManyHeaders);
}

TEST_P(TokenizerTest, RejectsTooManyFoldedLines) {
  // One field folded over 600 lines overflows the line index (4 lines per header).
  std::string input(kReqLine);
  input += "X: a\r\n";
  for (int i = 0; i < 600; ++i) {
    input += " b\r\n";
  }
  input += "\r\n";
  ASSERT_EQ(Run(input), kTooManyHeaders);
  // LF k of the fold sits at 29 + 4k; the index holds 4 * kMaxHeaders LFs.
  EXPECT_EQ(msg().error_offset, 29u + 4 * (4 * kMaxHeaders - 2));
}

TEST_P(TokenizerTest, AcceptsHeadersFoldedWithinTheLineBudget) {
  std::string input(kReqLine);
  for (std::size_t h = 0; h < kMaxHeaders; ++h) {
    input += "X: a\r\n b\r\n c\r\n";  // three lines per field
  }
  input += "\r\n";
  ASSERT_EQ(Run(input), kOk);
  EXPECT_EQ(msg().header_count, kMaxHeaders);
  EXPECT_EQ(msg().headers[5].value, "a\r\n b\r\n c");
}

TEST_P(TokenizerTest, RejectsMessagesAboveMaxMessageSize) {
  std::string input = std::string(kReqLine) + "\r\n";
  input.resize(kMaxMessageSize + 1, 'a');
  ASSERT_EQ(Run(input), kMessageTooLarge);
  EXPECT_EQ(msg().error_offset, kMaxMessageSize);
  EXPECT_EQ(ErrorResponseFor(kMessageTooLarge).status_code, 513);
  input.resize(kMaxMessageSize);
  ASSERT_EQ(Run(input), kOk);
  EXPECT_EQ(msg().size, kMaxMessageSize);
}

// ---------------------------------------------------------------------------------------------
// 64-byte block edges. The scanners work in 64-byte blocks from the first byte after any
// leading CRLFs; these rows put CRs, LFs and the empty line on either side of a block edge.

struct BlockRow {
  std::size_t lead;       // leading CRLF pairs (shift the block origin by 2 * lead)
  std::size_t value_len;  // length of the value of the one header "X: aaa..."
  std::size_t body_len;   // datagram body after the empty line
  const char* comment;
};

// Without leading CRLFs: header CR at 27 + value_len, its LF at 28 + value_len, the empty
// line's CR at 29 + value_len and LF at 30 + value_len; total 31 + value_len + body_len.
const BlockRow kBlockRows[] = {
    {0, 0, 0, "empty value, everything in the first block"},
    {0, 32, 0, "message ends one byte before the first block edge (63 bytes)"},
    {0, 33, 0, "message ends exactly at the first block edge (64 bytes, last LF is bit 63)"},
    {0, 34, 0, "empty line split across blocks: CR at 63, LF at 64"},
    {0, 35, 0, "header LF is byte 63; the empty line opens the second block"},
    {0, 36, 0, "header CRLF split across blocks: CR at 63, LF at 64"},
    {0, 37, 0, "header CRLF wholly in the second block, CR at 64"},
    {0, 33, 1, "empty line ends at the block edge, body byte opens the next block"},
    {0, 33, 64, "full block of body after the edge"},
    {0, 97, 0, "message ends exactly at the second block edge (128 bytes)"},
    {0, 98, 0, "empty line split across the second block edge"},
    {0, 99, 0, "header LF is byte 127"},
    {0, 100, 0, "header CRLF split across the second block edge"},
    {0, 161, 0, "message ends exactly at 192 bytes"},
    {0, 225, 0, "message ends exactly at 256 bytes"},
    {0, 1000, 0, "long value spanning many blocks"},
    {1, 33, 0, "one leading CRLF shifts the origin: 64 bytes after it, ending at a block edge"},
    {1, 34, 0, "one leading CRLF: empty line CR at origin+63, LF at origin+64"},
    {1, 35, 0, "one leading CRLF: header LF at origin+63"},
    {2, 36, 0, "two leading CRLFs: header CRLF split across the block edge after the origin"},
    {32, 10, 0, "64 bytes of leading CRLFs: the origin is itself a block edge away"},
};

std::string BlockMessage(const BlockRow& row) {
  std::string s;
  for (std::size_t i = 0; i < row.lead; ++i) {
    s += "\r\n";
  }
  s += kReqLine;
  s += "X: " + std::string(row.value_len, 'a') + "\r\n\r\n";
  s += std::string(row.body_len, 'b');
  return s;
}

TEST_P(TokenizerTest, HandlesBlockEdges) {
  for (const BlockRow& row : kBlockRows) {
    SCOPED_TRACE(row.comment);
    const std::string input = BlockMessage(row);
    ASSERT_EQ(Run(input), kOk);
    ASSERT_EQ(msg().header_count, 1);
    EXPECT_EQ(msg().headers[0].value, std::string(row.value_len, 'a'));
    EXPECT_EQ(msg().body, std::string(row.body_len, 'b'));
    EXPECT_EQ(msg().size, input.size());
    EXPECT_EQ(msg().request_uri, "sip:a@b");
  }
}

// The same messages on a stream need Content-Length; the empty line still has to be found on
// either side of every block edge.
TEST_P(TokenizerTest, HandlesBlockEdgesOnStreams) {
  for (std::size_t len = 0; len < 140; ++len) {
    SCOPED_TRACE(len);
    const std::string input = std::string(kReqLine) + "l: 0\r\nX: " + std::string(len, 'a') +
                              "\r\n\r\nNEXT sip:a@b SIP/2.0\r\n";
    ASSERT_EQ(Run(input, kStream), kOk);
    EXPECT_EQ(msg().size, input.size() - 22);
    // Every proper prefix of the header section is incomplete, not an error.
    for (std::size_t cut : {msg().size - 1, msg().size - 2, msg().size - 3}) {
      ASSERT_EQ(Run(std::string_view(input).substr(0, cut), kStream), kIncomplete) << cut;
    }
  }
}

// Sweeps the single header's length so every byte of the header CRLF and of the empty line
// lands on every position of a block, for every leading-CRLF shift.
TEST_P(TokenizerTest, SweepsLineEndsAcrossEveryBlockPosition) {
  for (std::size_t lead = 0; lead < 3; ++lead) {
    for (std::size_t len = 0; len < 200; ++len) {
      SCOPED_TRACE(::testing::Message() << "lead " << lead << " len " << len);
      const BlockRow row{lead, len, 3, ""};
      const std::string input = BlockMessage(row);
      ASSERT_EQ(Run(input), kOk);
      EXPECT_EQ(msg().headers[0].value.size(), len);
      EXPECT_EQ(msg().body, "bbb");
    }
  }
}

// A bare LF or a bare CR at every position of a block is found at its exact offset.
TEST_P(TokenizerTest, SweepsBareLineEndsAcrossEveryBlockPosition) {
  for (const char bad : {'\n', '\r'}) {
    for (std::size_t len = 0; len < 200; ++len) {
      SCOPED_TRACE(::testing::Message() << "byte " << static_cast<int>(bad) << " len " << len);
      std::string input = std::string(kReqLine) + "X: " + std::string(len, 'a');
      input += bad;
      input += "Y: b\r\n\r\n";
      ASSERT_EQ(Run(input), kBadLineEnding);
      EXPECT_EQ(msg().error_offset, kReqLine.size() + 3 + len);
    }
  }
}

// Many short lines so that LFs fill whole blocks (several per block, several blocks).
TEST_P(TokenizerTest, IndexesDenseLinesAcrossBlocks) {
  std::string input(kReqLine);
  for (int i = 0; i < 100; ++i) {
    input += "a:";
    input += static_cast<char>('0' + i % 10);
    input += "\r\n";
  }
  input += "\r\n";
  ASSERT_EQ(Run(input), kOk);
  ASSERT_EQ(msg().header_count, 100);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(msg().headers[i].value, std::string(1, static_cast<char>('0' + i % 10)));
  }
}

// Differential test: random messages made of the bytes the scanners look for must give the
// same result under every scanner as under the scalar reference.
TEST_P(TokenizerTest, AgreesWithTheScalarScannerOnRandomInput) {
  std::mt19937 rng(4475);
  constexpr std::string_view kAlphabet = "\r\n\r\n\r\n  \t:aZ0;,\"<>";
  auto scalar = std::make_unique<Message>();
  auto other = std::make_unique<Message>();
  for (int iter = 0; iter < 3000; ++iter) {
    std::string input = (iter % 3 == 0) ? std::string("\r\n") : std::string();
    input += iter % 2 == 0 ? "INVITE sip:a@b SIP/2.0\r\n" : "SIP/2.0 200 OK\r\n";
    const std::size_t len = rng() % 300;
    for (std::size_t i = 0; i < len; ++i) {
      input += kAlphabet[rng() % kAlphabet.size()];
    }
    if (iter % 4 == 0) {
      input += "\r\n\r\n";
    }
    for (const Framing f : {kDgram, kStream}) {
      SCOPED_TRACE(::testing::Message() << "iter " << iter << " stream " << (f == kStream));
      const GuardedBuffer buf_a(input);
      const GuardedBuffer buf_b(input);
      const ParseError a = Tokenize(buf_a.view(), f, *scalar, kMaxMessageSize, Scanner::kScalar);
      const ParseError b = Tokenize(buf_b.view(), f, *other, kMaxMessageSize, GetParam());
      ASSERT_EQ(a, b);
      EXPECT_EQ(scalar->size, other->size);
      if (a != kOk && a != kIncomplete && a != kKeepalive) {
        EXPECT_EQ(scalar->error_offset, other->error_offset);
      }
      if (a == kOk) {
        ASSERT_EQ(scalar->header_count, other->header_count);
        for (uint16_t h = 0; h < scalar->header_count; ++h) {
          EXPECT_EQ(scalar->headers[h].name, other->headers[h].name);
          EXPECT_EQ(scalar->headers[h].value, other->headers[h].value);
          EXPECT_EQ(scalar->headers[h].folded, other->headers[h].folded);
        }
      }
    }
  }
}

std::string ScannerParamName(const ::testing::TestParamInfo<Scanner>& info) {
  return std::string(ScannerName(info.param));
}

INSTANTIATE_TEST_SUITE_P(Scanners, TokenizerTest,
                         ::testing::Values(Scanner::kScalar, Scanner::kSse2, Scanner::kAvx2),
                         ScannerParamName);

// ---------------------------------------------------------------------------------------------
// Scanner registry.

TEST(ScannerTest, NamesEveryScanner) {
  EXPECT_EQ(ScannerName(Scanner::kScalar), "scalar");
  EXPECT_EQ(ScannerName(Scanner::kSse2), "sse2");
  EXPECT_EQ(ScannerName(Scanner::kAvx2), "avx2");
}

TEST(ScannerTest, DefaultScannerIsSupported) {
  EXPECT_TRUE(ScannerSupported(Scanner::kScalar));
  EXPECT_TRUE(ScannerSupported(DefaultScanner()));
}

// ---------------------------------------------------------------------------------------------
// ClassifyMethod (RFC 3261 §7.1: methods are case-sensitive tokens).

struct MethodRow {
  std::string_view token;
  Method method;
  const char* comment;
};

const MethodRow kMethodRows[] = {
    {"INVITE", Method::kInvite, "RFC 3261"},
    {"ACK", Method::kAck, "RFC 3261"},
    {"BYE", Method::kBye, "RFC 3261"},
    {"CANCEL", Method::kCancel, "RFC 3261"},
    {"OPTIONS", Method::kOptions, "RFC 3261"},
    {"REGISTER", Method::kRegister, "RFC 3261"},
    {"PRACK", Method::kPrack, "RFC 3262"},
    {"SUBSCRIBE", Method::kSubscribe, "RFC 6665"},
    {"NOTIFY", Method::kNotify, "RFC 6665"},
    {"PUBLISH", Method::kPublish, "RFC 3903"},
    {"INFO", Method::kInfo, "RFC 6086"},
    {"REFER", Method::kRefer, "RFC 3515"},
    {"MESSAGE", Method::kMessage, "RFC 3428"},
    {"UPDATE", Method::kUpdate, "RFC 3311"},
    {"", Method::kExtension, "empty token"},
    {"invite", Method::kExtension, "lower case is another method"},
    {"Invite", Method::kExtension, "mixed case is another method"},
    {"INVITE ", Method::kExtension, "trailing SP"},
    {"INVIT", Method::kExtension, "prefix of INVITE"},
    {"INVITES", Method::kExtension, "INVITE plus a letter"},
    {"REGISTE", Method::kExtension, "prefix of REGISTER"},
    {"SUBSCRIBED", Method::kExtension, "SUBSCRIBE plus a letter"},
    {"AC", Method::kExtension, "prefix of ACK"},
    {"ACK\0"sv, Method::kExtension, "ACK plus NUL"},
    {"FOO", Method::kExtension, "three letters, not ACK or BYE"},
    {"INFOS", Method::kExtension, "five letters, not PRACK or REFER"},
    {"NOTIFIED", Method::kExtension, "eight letters, not REGISTER"},
};

TEST(MethodTest, ClassifiesMethodTokens) {
  for (const MethodRow& row : kMethodRows) {
    SCOPED_TRACE(row.comment);
    EXPECT_EQ(ClassifyMethod(row.token), row.method) << row.token;
  }
}

// ---------------------------------------------------------------------------------------------
// ErrorResponseFor / ErrorName for every ParseError value.

struct ErrorRow {
  ParseError error;
  uint16_t status;
  std::string_view phrase;
  std::string_view name;
};

const ErrorRow kErrorRows[] = {
    {kOk, 0, "", "ok"},
    {kIncomplete, 0, "", "incomplete"},
    {kKeepalive, 0, "", "keepalive"},
    {kMessageTooLarge, 513, "Message Too Large", "message_too_large"},
    {kMissingHeaderEnd, 400, "Missing Empty Line After Headers", "missing_header_end"},
    {kBadLineEnding, 400, "Bad Line Ending", "bad_line_ending"},
    {kTooManyHeaders, 400, "Too Many Headers", "too_many_headers"},
    {kBadContentLength, 400, "Bad Content-Length", "bad_content_length"},
    {kConflictingContentLength, 400, "Conflicting Content-Length", "conflicting_content_length"},
    {kMissingContentLength, 400, "Missing Content-Length", "missing_content_length"},
    {kBodyTruncated, 400, "Content-Length Exceeds Body", "body_truncated"},
    {kBadRequestLine, 400, "Bad Request Line", "bad_request_line"},
    {kBadMethod, 400, "Bad Method", "bad_method"},
    {kBadRequestUri, 400, "Bad Request-URI", "bad_request_uri"},
    {kBadVersion, 400, "Bad SIP Version", "bad_version"},
    {kUnsupportedVersion, 505, "Version Not Supported", "unsupported_version"},
    {kBadStatusLine, 400, "Bad Status Line", "bad_status_line"},
    {kBadStatusCode, 400, "Bad Status Code", "bad_status_code"},
    {kBadReasonPhrase, 400, "Bad Reason Phrase", "bad_reason_phrase"},
    {kBadHeaderName, 400, "Bad Header Name", "bad_header_name"},
    {kMissingColon, 400, "Missing Colon In Header", "missing_colon"},
    {kBadUri, 400, "Bad URI", "bad_uri"},
    {kBadVia, 400, "Bad Via", "bad_via"},
    {kBadFrom, 400, "Bad From", "bad_from"},
    {kBadTo, 400, "Bad To", "bad_to"},
    {kBadCallId, 400, "Bad Call-ID", "bad_call_id"},
    {kBadCSeq, 400, "Bad CSeq", "bad_cseq"},
    {kCSeqMethodMismatch, 400, "CSeq Method Mismatch", "cseq_method_mismatch"},
    {kBadMaxForwards, 400, "Bad Max-Forwards", "bad_max_forwards"},
    {kBadExpires, 400, "Bad Expires", "bad_expires"},
    {kBadContact, 400, "Bad Contact", "bad_contact"},
    {kBadRoute, 400, "Bad Route", "bad_route"},
    {kBadRecordRoute, 400, "Bad Record-Route", "bad_record_route"},
    {kBadPath, 400, "Bad Path", "bad_path"},
    {kBadDate, 400, "Bad Date", "bad_date"},
    {kBadAuthorization, 400, "Bad Authorization", "bad_authorization"},
    {kBadProxyAuthorization, 400, "Bad Proxy-Authorization", "bad_proxy_authorization"},
    {kTooManyContacts, 400, "Too Many Contacts", "too_many_contacts"},
    {kMissingVia, 400, "Missing Via", "missing_via"},
    {kMissingFrom, 400, "Missing From", "missing_from"},
    {kMissingTo, 400, "Missing To", "missing_to"},
    {kMissingCallId, 400, "Missing Call-ID", "missing_call_id"},
    {kMissingCSeq, 400, "Missing CSeq", "missing_cseq"},
    {kMultipleFrom, 400, "Multiple From Headers", "multiple_from"},
    {kMultipleTo, 400, "Multiple To Headers", "multiple_to"},
    {kMultipleCallId, 400, "Multiple Call-ID Headers", "multiple_call_id"},
    {kMultipleCSeq, 400, "Multiple CSeq Headers", "multiple_cseq"},
    {kMultipleMaxForwards, 400, "Multiple Max-Forwards Headers", "multiple_max_forwards"},
    {kMultipleExpires, 400, "Multiple Expires Headers", "multiple_expires"},
};
static_assert(std::size(kErrorRows) == kParseErrorCount, "one row per ParseError value");

TEST(ParseErrorTest, MapsEveryErrorToStatusPhraseAndName) {
  for (std::size_t i = 0; i < std::size(kErrorRows); ++i) {
    const ErrorRow& row = kErrorRows[i];
    SCOPED_TRACE(row.name);
    EXPECT_EQ(static_cast<std::size_t>(row.error), i) << "rows follow the enum order";
    const ErrorResponse r = ErrorResponseFor(row.error);
    EXPECT_EQ(r.status_code, row.status);
    EXPECT_EQ(r.reason_phrase, row.phrase);
    EXPECT_EQ(ErrorName(row.error), row.name);
  }
}

TEST(ParseErrorTest, NamesAndPhrasesAreUnique) {
  std::set<std::string_view> names;
  std::set<std::string_view> phrases;
  for (std::size_t i = 0; i < kParseErrorCount; ++i) {
    const auto e = static_cast<ParseError>(i);
    const std::string_view name = ErrorName(e);
    EXPECT_TRUE(names.insert(name).second) << name;
    for (char c : name) {
      EXPECT_TRUE((c >= 'a' && c <= 'z') || c == '_') << name;
    }
    if (ErrorResponseFor(e).status_code != 0) {
      EXPECT_TRUE(phrases.insert(ErrorResponseFor(e).reason_phrase).second) << name;
    }
  }
}

TEST(ParseErrorTest, ParseStatusOkOnlyForKOk) {
  EXPECT_TRUE(ParseStatus{}.ok());
  EXPECT_FALSE((ParseStatus{kBadVia, nullptr}.ok()));
}

}  // namespace
}  // namespace sipfront::sip
