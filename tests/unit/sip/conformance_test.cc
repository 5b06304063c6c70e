// The conformance corpus (tests/corpus/sip: RFC 4475, RFC 5118, real devices) through the
// tokenizer and validator: every MANIFEST.tsv verdict, for every scanner, each message in the
// guard-page harness; the exact error and offset of every invalid message; and field-level
// checks of what the parser extracts from a large share of the valid ones.
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "sipfront/sip/headers.h"
#include "sipfront/sip/message.h"

#include "buffers.h"
#include "corpus.h"

namespace sipfront::sip {
namespace {

using sipfront::testing::Corpus;
using sipfront::testing::CorpusCase;
using sipfront::testing::CorpusFile;
using sipfront::testing::GuardedBuffer;
using sipfront::testing::Verdict;

// Tokenize + ValidateMessage: the parser's verdict on one message.
struct Outcome {
  ParseError error;
  uint32_t offset;
};

Outcome Parse(PaddedView in, Message& msg, Scanner scanner) {
  const ParseError e = Tokenize(in, Framing::kDatagram, msg, kMaxMessageSize, scanner);
  if (e != ParseError::kOk) {
    return {e, msg.error_offset};
  }
  const ParseStatus st = ValidateMessage(msg);
  return {st.error, st.ok() ? 0 : msg.OffsetOf(st.at)};
}

std::vector<Scanner> SupportedScanners() {
  std::vector<Scanner> out;
  for (Scanner s : {Scanner::kScalar, Scanner::kSse2, Scanner::kAvx2}) {
    if (ScannerSupported(s)) {
      out.push_back(s);
    }
  }
  return out;
}

class ConformanceTest : public ::testing::TestWithParam<std::size_t> {};

TEST_P(ConformanceTest, MatchesManifestVerdictWithEveryScanner) {
  const CorpusCase& c = Corpus()[GetParam()];
  const GuardedBuffer buf(c.bytes);
  static Message msg;
  std::vector<Outcome> outcomes;
  for (Scanner s : SupportedScanners()) {
    const Outcome o = Parse(buf.view(), msg, s);
    outcomes.push_back(o);
    if (c.expected == Verdict::kInvalid) {
      EXPECT_NE(o.error, ParseError::kOk) << c.id() << " [" << ScannerName(s) << "] must be "
                                          << "rejected: " << c.parser_must;
    } else {
      EXPECT_EQ(o.error, ParseError::kOk)
          << c.id() << " [" << ScannerName(s) << "] must parse, got " << ErrorName(o.error)
          << " at " << o.offset << ": " << c.parser_must;
    }
  }
  for (const Outcome& o : outcomes) {
    EXPECT_EQ(o.error, outcomes[0].error) << c.id() << ": scanners disagree";
    EXPECT_EQ(o.offset, outcomes[0].offset) << c.id() << ": scanners disagree";
  }
}

INSTANTIATE_TEST_SUITE_P(Corpus, ConformanceTest, ::testing::Range<std::size_t>(0, Corpus().size()),
                         [](const ::testing::TestParamInfo<std::size_t>& info) {
                           std::string id = Corpus()[info.param].id();
                           for (char& ch : id) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) {
                               ch = '_';
                             }
                           }
                           return id;
                         });

TEST(ConformanceTest, CorpusIsComplete) {
  // 50 RFC 4475 archive members, 12 RFC 5118 messages, 23 device messages.
  int counts[3] = {0, 0, 0};
  for (const CorpusCase& c : Corpus()) {
    counts[c.dir == "rfc4475" ? 0 : c.dir == "rfc5118" ? 1 : 2]++;
  }
  EXPECT_EQ(counts[0], 50);
  EXPECT_EQ(counts[1], 12);
  EXPECT_EQ(counts[2], 23);
}

// Every invalid message: the error the parser must give, and the bytes at the error offset.
struct ErrorRow {
  const char* id;
  ParseError error;
  const char* at;  // the message bytes starting at the reported offset
};

const ErrorRow kErrorRows[] = {
    // extraneous ";;,;,," after the Via sent-by: an empty via-param
    {"rfc4475/badinv01", ParseError::kBadVia, ";,;,,"},
    // Content-Length 9999 with a 154-byte body in one datagram: offset is the datagram's end
    {"rfc4475/clerr", ParseError::kBodyTruncated, ""},
    // Content-Length: -999
    {"rfc4475/ncl", ParseError::kBadContentLength, "-999"},
    // CSeq 36893488147419103232 > 2^32-1: offset at the number
    {"rfc4475/scalar02", ParseError::kBadCSeq, "36893488147419103232 REGISTER"},
    // response CSeq 9292394834772304023312 > 2^32-1
    {"rfc4475/scalarlg", ParseError::kBadCSeq, "9292394834772304023312"},
    // To display name opens a quote that never closes
    {"rfc4475/quotbal", ParseError::kBadTo, "\"Mr. J. User <sip:j.user@example.com>"},
    // Request-URI in <>
    {"rfc4475/ltgtruri", ParseError::kBadRequestUri, "<sip:user@example.com>"},
    // LWS inside the Request-URI: "sip:user@example.com; lr" splits the start line
    {"rfc4475/lwsruri", ParseError::kBadRequestUri, " lr SIP/2.0"},
    // two SP between method and Request-URI
    {"rfc4475/lwsstart", ParseError::kBadRequestUri, " sip:user@example.com  SIP/2.0"},
    // trailing SP after SIP-Version
    {"rfc4475/trws", ParseError::kBadRequestLine, " \r\n"},
    // escaped headers in the Request-URI: offset at the '?'
    {"rfc4475/escruri", ParseError::kBadRequestUri, "?Route=%3Csip:example.com%3E SIP/2.0"},
    // Date in EST, only GMT is allowed
    {"rfc4475/baddate", ParseError::kBadDate, "EST"},
    // addr-spec Contact with an escaped header must use <>
    {"rfc4475/regbadct", ParseError::kBadContact, "?Route=%3Csip:sip.example.com%3E"},
    // SP inside <> of the To addr-spec
    {"rfc4475/badaspec", ParseError::kBadTo, " sip:t.watson@example.org >"},
    // archive defect: no empty line ends the header section (reported before the From/To
    // display names with commas, which ValidateMessage would reject next)
    {"rfc4475/baddn", ParseError::kMissingHeaderEnd, ""},
    // SIP/7.0 in the Request-Line: 505
    {"rfc4475/badvers", ParseError::kUnsupportedVersion, "SIP/7.0\r\n"},
    // OPTIONS request with CSeq method INVITE
    {"rfc4475/mismatch01", ParseError::kCSeqMethodMismatch, "INVITE\r\n"},
    // NEWMETHOD request with CSeq method INVITE
    {"rfc4475/mismatch02", ParseError::kCSeqMethodMismatch, "INVITE\r\n"},
    // status code 4294967301
    {"rfc4475/bigcode", ParseError::kBadStatusCode, "4294967301 better"},
    // Content-Length 13 then Content-Length 5
    {"rfc4475/mcl01", ParseError::kConflictingContentLength, "5\r\n"},
    // Request-Line without SIP-Version: offset is the end of the line
    {"rfc4475/test", ParseError::kBadVersion, "\r\nTO :"},
    // unbracketed IPv6 Request-URI host "2001:db8::10"
    {"rfc5118/ipv6-bad", ParseError::kBadRequestUri, "2001:db8::10 SIP/2.0"},
    // unbracketed IPv6 Request-URI host: "fec0" parses as a host and "0" as its port, so
    // the first byte that fits no grammar is the ':' after them
    {"devices/valid8-ipv6-invite-unbracketed", ParseError::kBadRequestUri,
     ":0:0:216:d3ff:fe0d:22c:5060 SIP/2.0"},
    // Contact <sip:martin@(null)>: "(null)" is not a host
    {"devices/linphone-3.6.1-invite", ParseError::kBadContact, "(null)>"},
    // From tag "7618c7618^": '^' is not a token character
    {"devices/pingtel-register", ParseError::kBadFrom, "^\r\n"},
    // bare LF line endings: offset at the first LF
    {"devices/cisco-7960-invite-lf", ParseError::kBadLineEnding, "\nVia:"},
};

TEST(ConformanceTest, EveryInvalidMessageHasItsPreciseError) {
  std::size_t invalid = 0;
  for (const CorpusCase& c : Corpus()) {
    invalid += c.expected == Verdict::kInvalid ? 1 : 0;
  }
  EXPECT_EQ(invalid, std::size(kErrorRows)) << "every invalid corpus message needs a row";
  for (const ErrorRow& row : kErrorRows) {
    const CorpusCase& c = CorpusFile(row.id);
    ASSERT_EQ(c.expected, Verdict::kInvalid) << row.id;
    const GuardedBuffer buf(c.bytes);
    static Message msg;
    const Outcome o = Parse(buf.view(), msg, DefaultScanner());
    EXPECT_EQ(ErrorName(o.error), ErrorName(row.error)) << row.id;
    ASSERT_LE(o.offset, c.bytes.size()) << row.id;
    const std::string_view at = std::string_view(c.bytes).substr(o.offset);
    EXPECT_EQ(at.substr(0, std::string_view(row.at).size()), std::string_view(row.at)) << row.id;
    if (std::string_view(row.at).empty()) {
      EXPECT_EQ(o.offset, c.bytes.size()) << row.id;
    }
  }
}

// Semantic errors are well-formed; CheckRequest catches the message-level ones.
TEST(ConformanceTest, SemanticErrorsAreCaughtByCheckRequest) {
  struct Row {
    const char* id;
    ParseError error;
  };
  const Row rows[] = {
      // no Call-ID, From or To: the first missing one in RFC 3261 §8.1.1 order
      {"rfc4475/insuf", ParseError::kMissingFrom},
      // two From, To, Call-ID and CSeq fields
      {"rfc4475/multi01", ParseError::kMultipleFrom},
      // a well-formed request with an unknown Require option: nothing wrong at this layer
      {"rfc4475/bext01", ParseError::kOk},
      // branch is exactly the magic cookie: tolerated here
      {"rfc4475/badbranch", ParseError::kOk},
  };
  for (const Row& row : rows) {
    const GuardedBuffer buf(CorpusFile(row.id).bytes);
    static Message msg;
    ASSERT_EQ(Parse(buf.view(), msg, DefaultScanner()).error, ParseError::kOk) << row.id;
    EXPECT_EQ(ErrorName(CheckRequest(msg).error), ErrorName(row.error)) << row.id;
  }
}

// What the parser extracts. Empty strings mean "absent"; -1 means absent for numbers.
struct FieldRow {
  const char* id;
  const char* method;  // requests; "" for responses
  int status;          // responses; 0 for requests
  const char* request_uri;
  const char* call_id;
  uint32_t cseq;
  const char* cseq_method;
  const char* from_tag;
  const char* to_tag;
  int vias;
  const char* via_transport;
  const char* via_host;
  int via_port;
  const char* via_branch;
  const char* via_received;
  const char* via_rport;  // nullptr: no rport; "": bare rport
  int contacts;           // -2: "*"
  const char* contact_uri;
  int64_t contact_expires;
  const char* contact_q;
  int64_t expires;
  int64_t max_forwards;
  int64_t content_length;
  std::size_t body_length;
};

const FieldRow kFieldRows[] = {
    // folding everywhere, LWS around ':' '/' ';' '=', leading zeros, 3 Via values
    {"rfc4475/wsinv",
     "INVITE",
     0,
     "sip:vivekg@chair-dnrc.example.com;unknownparam",
     "wsinv.ndaksdj@192.0.2.1",
     9,
     "INVITE",
     "98asjd8",
     "1918181833n",
     3,
     "UDP",
     "192.0.2.2",
     -1,
     "390skdjuw",
     "",
     nullptr,
     1,
     "sip:jdrosen@example.com",
     -1,
     "0.33",
     -1,
     68,
     150,
     150},
    // extension method token with unusual characters, NUL inside a quoted-pair in To
    {"rfc4475/intmeth",
     "!interesting-Method0123456789_*+`.%indeed'~",
     0,
     "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too."
     "(doesn't-it)@example.com",
     "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{",
     139122385,
     "!interesting-Method0123456789_*+`.%indeed'~",
     "_token~1'+`*%!-.",
     "",
     1,
     "TCP",
     "host1.example.com",
     -1,
     "z9hG4bK-.!%66*_+`'~",
     "",
     nullptr,
     0,
     "",
     -1,
     "",
     -1,
     255,
     0,
     0},
    // %HH escapes stay as on the wire
    {"rfc4475/esc01",
     "INVITE",
     0,
     "sip:sips%3Auser%40example.com@example.net",
     "esc01.239409asdfakjkn23onasd0-3234",
     234234,
     "INVITE",
     "938",
     "",
     1,
     "UDP",
     "host5.example.net",
     -1,
     "z9hG4bKkdjuw",
     "",
     nullptr,
     1,
     "sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31",
     -1,
     "",
     -1,
     87,
     150,
     150},
    // two distinct contacts with %00 users
    {"rfc4475/escnull",
     "REGISTER",
     0,
     "sip:example.com",
     "escnull.39203ndfvkjdasfkq3w4otrq0adsfdfnavd",
     14398234,
     "REGISTER",
     "839923423",
     "",
     1,
     "UDP",
     "host5.example.com",
     -1,
     "z9hG4bKkdjuw",
     "",
     nullptr,
     2,
     "sip:%00@host5.example.com",
     -1,
     "",
     -1,
     70,
     0,
     0},
    // RE%47IST%45R is an unknown method; C%6Fntact is not Contact: 2 contacts
    {"rfc4475/esc02",
     "RE%47IST%45R",
     0,
     "sip:registrar.example.com",
     "esc02.asdfnqwo34rq23i34jrjasdcnl23nrlknsdf",
     29344,
     "RE%47IST%45R",
     "f232jadfj23",
     "",
     1,
     "TCP",
     "host.example.com",
     -1,
     "z9hG4bK209%fzsnel234",
     "",
     nullptr,
     2,
     "sip:alias1@host1.example.com",
     -1,
     "",
     -1,
     70,
     0,
     0},
    // 34 Via header fields in every case variant, "V :" with LWS before the colon
    {"rfc4475/longreq",
     "INVITE",
     0,
     "sip:user@example.com",
     nullptr,
     3882340,
     "INVITE",
     nullptr,
     "",
     34,
     "TCP",
     "sip33.example.com",
     -1,
     "",
     "",
     nullptr,
     1,
     nullptr,
     -1,
     "",
     -1,
     70,
     150,
     150},
    // datagram: the octets after the Content-Length: 0 body are discarded
    {"rfc4475/dblreq",
     "REGISTER",
     0,
     "sip:example.com",
     "dblreq.0ha0isndaksdj99sdfafnl3lk233412",
     8,
     "REGISTER",
     "43251j3j324",
     "",
     1,
     "UDP",
     "192.0.2.125",
     -1,
     "z9hG4bKkdjuw23492",
     "",
     nullptr,
     1,
     "sip:j.user@host.example.com",
     -1,
     "",
     -1,
     8,
     0,
     0},
    // ';' inside the Request-URI user part
    {"rfc4475/semiuri",
     "OPTIONS",
     0,
     "sip:user;par=u%40example.net@example.com",
     "semiuri.0ha0isndaksdj",
     8,
     "OPTIONS",
     "33242",
     "",
     1,
     "UDP",
     "192.0.2.1",
     -1,
     "z9hG4bKkdjuw",
     "",
     nullptr,
     0,
     "",
     -1,
     "",
     -1,
     3,
     0,
     0},
    // five transports, "Call-ID:  " with two spaces
    {"rfc4475/transports",
     "OPTIONS",
     0,
     "sip:user@example.com",
     "transports.kijh4akdnaqjkwendsasfdj",
     60,
     "OPTIONS",
     "323",
     "",
     5,
     "UDP",
     "t1.example.com",
     -1,
     "z9hG4bKkdjuw",
     "",
     nullptr,
     0,
     "",
     -1,
     "",
     -1,
     70,
     0,
     0},
    // binary multipart body with NULs and bare LFs, framed by Content-Length exactly
    {"rfc4475/mpart01",
     "MESSAGE",
     0,
     nullptr,
     nullptr,
     1,
     "MESSAGE",
     "2fb0dcc9",
     "",
     1,
     "UDP",
     "127.0.0.1",
     5070,
     "z9hG4bK-d87543-4dade06d0bdb11ee-1--d87543-",
     "",
     "",
     1,
     nullptr,
     -1,
     "",
     -1,
     70,
     553,
     553},
    // reason phrase with UTF-8
    {"rfc4475/unreason",
     "",
     200,
     "",
     "unreason.1234ksdfak3j2erwedfsASdf",
     35,
     "INVITE",
     "11141343",
     "2229",
     1,
     "UDP",
     "192.0.2.198",
     -1,
     "z9hG4bK1324923",
     "",
     nullptr,
     1,
     "sip:user@host198.example.com",
     -1,
     "",
     -1,
     -1,
     154,
     154},
    // "SIP/2.0 100 " with an empty reason phrase
    {"rfc4475/noreason",
     "",
     100,
     "",
     "noreason.asndj203insdf99223ndf",
     35,
     "INVITE",
     "39ansfi3",
     "902jndnke3",
     1,
     "UDP",
     "192.0.2.105",
     -1,
     "z9hG4bK2398ndaoe",
     "",
     nullptr,
     1,
     "sip:user@host105.example.com",
     -1,
     "",
     -1,
     -1,
     0,
     0},
    // Max-Forwards: 0 is legal
    {"rfc4475/zeromf",
     "OPTIONS",
     0,
     "sip:user@example.com",
     nullptr,
     39234321,
     "OPTIONS",
     "3ghsd41",
     "",
     1,
     "UDP",
     "host1.example.com",
     -1,
     "z9hG4bKkdjuw2349i",
     "",
     nullptr,
     0,
     "",
     -1,
     "",
     -1,
     0,
     0,
     0},
    // addr-spec Contact: ";unknownparam" is a header parameter, not part of the URI
    {"rfc4475/cparam01",
     "REGISTER",
     0,
     "sip:example.com",
     "cparam01.70710@saturn.example.com",
     2,
     "REGISTER",
     "DkfVgjkrtMwaerKKpe",
     "",
     1,
     "UDP",
     "saturn.example.com",
     5060,
     "z9hG4bKkdjuw",
     "",
     nullptr,
     1,
     "sip:+19725552222@gw1.example.net",
     -1,
     "",
     -1,
     70,
     0,
     0},
    // name-addr Contact: ";unknownparam" inside <> belongs to the URI
    {"rfc4475/cparam02",
     "REGISTER",
     0,
     "sip:example.com",
     "cparam02.70710@saturn.example.com",
     3,
     "REGISTER",
     "838293",
     "",
     1,
     "UDP",
     "saturn.example.com",
     5060,
     "z9hG4bKkdjuw",
     "",
     nullptr,
     1,
     "sip:+19725552222@gw1.example.net;unknownparam",
     -1,
     "",
     -1,
     70,
     0,
     0},
    // escaped header inside <> is kept in the contact URI
    {"rfc4475/regescrt",
     "REGISTER",
     0,
     "sip:example.com",
     "regescrt.k345asrl3fdbv@192.0.2.1",
     14398234,
     "REGISTER",
     "8",
     "",
     1,
     "UDP",
     "host5.example.com",
     -1,
     "z9hG4bKkdjuw",
     "",
     nullptr,
     1,
     "sip:user@example.com?Route=%3Csip:sip.example.com%3E",
     -1,
     "",
     -1,
     70,
     0,
     0},
    // RFC 2543 request: no branch, no tag, no Max-Forwards, no Content-Length
    {"rfc4475/inv2543",
     "INVITE",
     0,
     "sip:UserB@example.com",
     "inv2543.1717@ift.client.example.com",
     56,
     "INVITE",
     "",
     "",
     1,
     "UDP",
     "iftgw.example.com",
     -1,
     "",
     "",
     nullptr,
     0,
     "",
     -1,
     "",
     -1,
     -1,
     -1,
     105},
    // non-SIP schemes in To, From and Contact are well-formed
    {"rfc4475/unksm2",
     "REGISTER",
     0,
     "sip:example.com",
     "unksm2.daksdj@hyphenated-host.example.com",
     234902,
     "REGISTER",
     "3234233",
     "",
     1,
     "UDP",
     "192.0.2.21",
     5060,
     "z9hG4bKkdjuw",
     "",
     nullptr,
     1,
     "name:John_Smith",
     -1,
     "",
     -1,
     70,
     0,
     0},
    // bracketed IPv6 everywhere
    {"rfc5118/ipv6-good",
     "REGISTER",
     0,
     "sip:[2001:db8::10]",
     nullptr,
     98176,
     "REGISTER",
     "81x2",
     "",
     1,
     "UDP",
     "[2001:db8::9:1]",
     -1,
     "z9hG4bKas3-111",
     "",
     nullptr,
     1,
     "sip:caller@[2001:db8::1]",
     -1,
     "",
     -1,
     70,
     0,
     0},
    // ":5070" inside the brackets is part of the address, not a port
    {"rfc5118/port-ambiguous",
     "REGISTER",
     0,
     "sip:[2001:db8::10:5070]",
     nullptr,
     98176,
     "REGISTER",
     "81x2",
     "",
     1,
     "UDP",
     "[2001:db8::9:1]",
     -1,
     "z9hG4bKas3-111",
     "",
     nullptr,
     1,
     nullptr,
     -1,
     "",
     -1,
     70,
     0,
     0},
    // received with brackets
    {"rfc5118/via-received-param-with-delim",
     "BYE",
     0,
     "sip:[2001:db8::10]",
     nullptr,
     321,
     "BYE",
     "81x2",
     "bd76ya",
     1,
     "UDP",
     "[2001:db8::9:1]",
     -1,
     "z9hG4bKas3-111",
     "[2001:db8::9:255]",
     nullptr,
     0,
     "",
     -1,
     "",
     -1,
     70,
     0,
     0},
    // received without brackets
    {"rfc5118/via-received-param-no-delim",
     "OPTIONS",
     0,
     "sip:[2001:db8::10]",
     nullptr,
     921,
     "OPTIONS",
     "81x2",
     "",
     1,
     "UDP",
     "[2001:db8::9:1]",
     -1,
     "z9hG4bKas3",
     "2001:db8::9:255",
     nullptr,
     1,
     nullptr,
     -1,
     "",
     -1,
     70,
     0,
     0},
    // IPv6 sent-by with a port, IPv4 received on an IPv6 sent-by
    {"rfc5118/mult-ip-in-header",
     "BYE",
     0,
     "sip:user@host.example.net",
     nullptr,
     89187,
     "BYE",
     "81x2",
     "9817--94",
     3,
     "UDP",
     "[2001:db8::9:1]",
     6050,
     "z9hG4bKas3-111",
     "",
     nullptr,
     0,
     "",
     -1,
     "",
     -1,
     70,
     0,
     0},
    // IPv4-mapped IPv6 sent-by with a port
    {"rfc5118/ipv4-mapped-ipv6",
     "INVITE",
     0,
     "sip:user@example.com",
     nullptr,
     612,
     "INVITE",
     "81x2",
     "",
     2,
     "UDP",
     "[::ffff:192.0.2.10]",
     19823,
     "z9hG4bKbh19",
     "",
     nullptr,
     1,
     nullptr,
     -1,
     "",
     -1,
     70,
     245,
     245},
    // REGISTER forwarded by a proxy: the device's Via has received and rport=63493
    {"devices/polycom-spip450-register-auth",
     "REGISTER",
     0,
     "sip:157.161.10.73:5060",
     "e5f4a617104444e4f7a54",
     2,
     "REGISTER",
     "54e5f4a6171043e4f7a",
     "",
     2,
     "UDP",
     "5.148.125.101",
     5060,
     "z9hG4bK87504c94f43e6a8cea6b493eead8f361.0",
     "",
     nullptr,
     1,
     "sip:1154@109.70.144.77:63493",
     -1,
     "",
     3600,
     69,
     0,
     0},
    // contact with expires and q parameters after "Contact:  " (two spaces)
    {"devices/nero-sipps-register",
     "REGISTER",
     0,
     "sip:sip.cybercity.dk",
     "578222729-4665d775@578222732-4665d772",
     68,
     "REGISTER",
     "903df0a",
     "",
     1,
     "UDP",
     "192.168.1.2",
     -1,
     "z9hG4bKnp151248737-46ea715e192.168.1.2",
     "",
     "",
     1,
     "sip:voi18063@192.168.1.2:5060;line=9c7d2dbd8822013c",
     1200,
     "0.500",
     1200,
     70,
     0,
     0},
    // pjsip over TCP: bare rport, reg-id and +sip.instance on the contact
    {"devices/microsip-register-auth-tcp",
     "REGISTER",
     0,
     "sip:172.168.0.228;transport=tcp",
     "1c35908a84584771bcc93bd496e0a852",
     42943,
     "REGISTER",
     "c69b435a212843d7a890301738a3e16a",
     "",
     1,
     "TCP",
     "172.168.0.252",
     52795,
     "z9hG4bKPjb09d416b4ff54817a8364aece646ea91",
     "",
     "",
     1,
     "sip:1001@172.168.0.252:52795;transport=TCP;ob",
     -1,
     "",
     300,
     70,
     0,
     0},
    // Yealink with digest qop=auth
    {"devices/yealink-t27g-register-auth",
     "REGISTER",
     0,
     "sip:test21.djangopbx.com:5060",
     "4_723949779@10.6.1.14",
     2,
     "REGISTER",
     "723906295",
     "",
     1,
     "UDP",
     "139.162.206.177",
     5060,
     "z9hG4bK724057443",
     "",
     "",
     1,
     "sip:201@139.162.206.177:5060",
     -1,
     "",
     1800,
     70,
     0,
     0},
    // rport=5060 and received= on the Twilio gateway's Via; headers after Content-Length
    {"devices/twilio-gateway-invite",
     "INVITE",
     0,
     "sip:+15083728299@172.31.3.33:5070",
     "252a93d3-bdb2-1238-6185-06d91d68c9b0",
     15623387,
     "INVITE",
     "vQXQ3g5papXpF",
     "",
     1,
     "UDP",
     "3.10.235.99",
     -1,
     "z9hG4bKgeBy6Fg863Z8N",
     "172.31.3.33",
     "5060",
     1,
     "sip:+15083084809@3.10.235.99:5060",
     -1,
     "",
     -1,
     70,
     264,
     264},
    // Content-Length 309 with 662 octets after the headers: take 309
    {"devices/grandstream-gxp2200-invite",
     "INVITE",
     0,
     "sip:1001@test.pbx.com",
     nullptr,
     1661,
     "INVITE",
     "1459587455",
     "",
     1,
     "TCP",
     "192.168.178.22",
     38488,
     "z9hG4bK1428069545",
     "",
     "",
     1,
     "sip:250@192.168.178.22:38488;transport=tcp;user=phone",
     -1,
     "",
     -1,
     70,
     309,
     309},
    // 2560-octet WebRTC INVITE relayed by a proxy: WSS Via with a .invalid host
    {"devices/sipjs-invite-via-proxy",
     "INVITE",
     0,
     "sip:+12263382742@dev-mike.tncp.textnow.com",
     "kovfhoptshgn59q712sr",
     2207,
     "INVITE",
     "8pamukqsoe",
     "",
     2,
     "UDP",
     "10.243.0.157",
     5060,
     "z9hG4bK795e.06dd5233.0",
     "",
     nullptr,
     1,
     "sip:7keablct@10.243.17.55:43380;transport=ws;ob",
     -1,
     "",
     -1,
     69,
     1699,
     1699},
    // IPv6 UPDATE from SIPp, Route with two values
    {"devices/sipp-ipv6-update",
     "UPDATE",
     0,
     nullptr,
     nullptr,
     3,
     "UPDATE",
     "397430SIPpTag0071846",
     "1632476SIPpTag0171847",
     1,
     "UDP",
     "[fd17:625c:f037:2:a00:27ff:feb9:1521]",
     15060,
     "z9hG4bK-397430-71846-5",
     "",
     nullptr,
     0,
     "",
     -1,
     "",
     -1,
     70,
     398,
     398},
    // response with header fields in alphabetical order (Via last)
    {"devices/arcor-200ok",
     "",
     200,
     "",
     nullptr,
     1,
     "INVITE",
     "SD4909701-00e9d478",
     "617263616479616E-331715520-5336f785-187410205",
     1,
     "UDP",
     "138.132.169.101",
     5060,
     "z9hG4bKfv2f4010787h3a8q1280.1",
     "",
     nullptr,
     1,
     nullptr,
     -1,
     "",
     -1,
     -1,
     212,
     212},
};

std::string_view Or(const char* s) { return s == nullptr ? std::string_view() : s; }

TEST(ConformanceTest, ExtractsTheFieldsOfValidMessages) {
  for (const FieldRow& row : kFieldRows) {
    SCOPED_TRACE(row.id);
    const CorpusCase& c = CorpusFile(row.id);
    const GuardedBuffer buf(c.bytes);
    static Message msg;
    ASSERT_EQ(Parse(buf.view(), msg, DefaultScanner()).error, ParseError::kOk);
    if (row.status == 0) {
      EXPECT_EQ(msg.kind, MessageKind::kRequest);
      EXPECT_EQ(msg.method_name, row.method);
      if (row.request_uri != nullptr) {
        EXPECT_EQ(msg.request_uri, row.request_uri);
      }
    } else {
      EXPECT_EQ(msg.kind, MessageKind::kResponse);
      EXPECT_EQ(msg.status_code, row.status);
    }
    if (row.call_id != nullptr) {
      EXPECT_EQ(msg.call_id, row.call_id);
    }
    EXPECT_EQ(msg.cseq.seq, row.cseq);
    EXPECT_EQ(msg.cseq.method_name, row.cseq_method);

    FromTo ft;
    if (row.from_tag != nullptr) {
      ASSERT_TRUE(ParseFromTo(msg.Find(HeaderId::kFrom)->value, ft, ParseError::kBadFrom).ok());
      EXPECT_EQ(ft.tag, row.from_tag);
    }
    ASSERT_TRUE(ParseFromTo(msg.Find(HeaderId::kTo)->value, ft, ParseError::kBadTo).ok());
    EXPECT_EQ(ft.tag, row.to_tag);

    ValueIterator vias(msg, HeaderId::kVia);
    std::string_view v;
    int via_count = 0;
    while (vias.Next(v)) {
      Via via;
      ASSERT_TRUE(ParseVia(v, via).ok()) << v;
      if (via_count++ == 0) {
        EXPECT_EQ(via.transport, row.via_transport);
        EXPECT_EQ(via.host, row.via_host);
        EXPECT_EQ(via.has_port ? via.port : -1, row.via_port);
        EXPECT_EQ(via.branch, row.via_branch);
        EXPECT_EQ(via.received, row.via_received);
        EXPECT_EQ(via.has_rport, row.via_rport != nullptr);
        EXPECT_EQ(via.rport, Or(row.via_rport));
      }
    }
    EXPECT_EQ(via_count, row.vias);

    ValueIterator contacts(msg, HeaderId::kContact);
    int contact_count = 0;
    while (contacts.Next(v)) {
      Contact contact;
      ASSERT_TRUE(ParseContact(v, contact).ok()) << v;
      if (contact_count++ == 0) {
        if (row.contact_uri != nullptr) {
          EXPECT_EQ(contact.addr.uri.raw, row.contact_uri);
        }
        EXPECT_EQ(contact.expires, row.contact_expires);
        EXPECT_EQ(contact.q, row.contact_q);
      }
    }
    EXPECT_EQ(contact_count, row.contacts);
    EXPECT_EQ(msg.expires, row.expires);
    EXPECT_EQ(msg.max_forwards, row.max_forwards);
    EXPECT_EQ(msg.content_length, row.content_length);
    EXPECT_EQ(msg.body.size(), row.body_length);
  }
}

// RFC 4475 §3.1.1.4 (escnull): the two %00 contacts are distinct after unescaping, and
// unescaping does not stop at the NUL.
TEST(ConformanceTest, EscapedNulUsersStayDistinct) {
  const GuardedBuffer buf(CorpusFile("rfc4475/escnull").bytes);
  static Message msg;
  ASSERT_EQ(Parse(buf.view(), msg, DefaultScanner()).error, ParseError::kOk);
  ValueIterator it(msg, HeaderId::kContact);
  std::string_view v;
  Contact a;
  Contact b;
  ASSERT_TRUE(it.Next(v));
  ASSERT_TRUE(ParseContact(v, a).ok());
  ASSERT_TRUE(it.Next(v));
  ASSERT_TRUE(ParseContact(v, b).ok());
  char ka[64];
  char kb[64];
  const int64_t na = CanonicalAor(a.addr.uri, ka, sizeof(ka));
  const int64_t nb = CanonicalAor(b.addr.uri, kb, sizeof(kb));
  EXPECT_EQ(std::string_view(ka, static_cast<std::size_t>(na)),
            std::string_view("\0@host5.example.com", 19));
  EXPECT_EQ(std::string_view(kb, static_cast<std::size_t>(nb)),
            std::string_view("\0\0@host5.example.com", 20));
  EXPECT_FALSE(UriEquivalent(a.addr.uri, b.addr.uri));
}

// RFC 4475 §3.1.1.3 (esc01): the Contact parameter value unescapes once to "value%41".
TEST(ConformanceTest, EscapedParameterUnescapesOnce) {
  const GuardedBuffer buf(CorpusFile("rfc4475/esc01").bytes);
  static Message msg;
  ASSERT_EQ(Parse(buf.view(), msg, DefaultScanner()).error, ParseError::kOk);
  Contact c;
  ASSERT_TRUE(ParseContact(msg.Find(HeaderId::kContact)->value, c).ok());
  Param p;
  ASSERT_TRUE(FindParam(c.addr.uri.params, "n%61me", p));
  char out[32];
  const int64_t n = Unescape(p.value, out, sizeof(out));
  EXPECT_EQ(std::string_view(out, static_cast<std::size_t>(n)), "value%41");
}

}  // namespace
}  // namespace sipfront::sip
