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

// What the parser extracts. Empty strings mean "absent"; -1 means absent for numbers;
// nullptr means "not checked" (long or uninteresting values).
struct TopVia {
  const char* transport;
  const char* host;
  int port;
  const char* branch;
  const char* received;
  const char* rport;  // nullptr: no rport; "": bare ;rport
};

struct FirstContact {
  const char* uri;
  int64_t expires;
  const char* q;
};

struct CSeqRow {
  uint32_t seq;
  const char* method;
};

struct FieldRow {
  const char* id;
  const char* method = "";  // requests
  const char* request_uri = nullptr;
  int status = 0;  // responses
  const char* call_id;
  CSeqRow cseq;
  const char* from_tag;
  const char* to_tag;
  int vias;
  TopVia via;
  int contacts;
  FirstContact contact;
  int64_t expires;
  int64_t max_forwards;
  int64_t content_length;
  std::size_t body_length;
};

// clang-format off
const FieldRow kFieldRows[] = {
    // folding everywhere, LWS around ':' '/' ';' '=', leading zeros, 3 Via values
    {.id = "rfc4475/wsinv", .method = "INVITE", .request_uri = "sip:vivekg@chair-dnrc.example.com;unknownparam",
     .call_id = "wsinv.ndaksdj@192.0.2.1", .cseq = {9, "INVITE"},
     .from_tag = "98asjd8", .to_tag = "1918181833n",
     .vias = 3, .via = {"UDP", "192.0.2.2", -1, "390skdjuw", "", nullptr},
     .contacts = 1, .contact = {"sip:jdrosen@example.com", -1, "0.33"},
     .expires = -1, .max_forwards = 68, .content_length = 150, .body_length = 150},
    // extension method token with unusual characters, NUL inside a quoted-pair in To
    {.id = "rfc4475/intmeth", .method = "!interesting-Method0123456789_*+`.%indeed'~", .request_uri = "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too." "(doesn't-it)@example.com",
     .call_id = "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{", .cseq = {139122385, "!interesting-Method0123456789_*+`.%indeed'~"},
     .from_tag = "_token~1'+`*%!-.", .to_tag = "",
     .vias = 1, .via = {"TCP", "host1.example.com", -1, "z9hG4bK-.!%66*_+`'~", "", nullptr},
     .contacts = 0, .contact = {"", -1, ""},
     .expires = -1, .max_forwards = 255, .content_length = 0, .body_length = 0},
    // %HH escapes stay as on the wire
    {.id = "rfc4475/esc01", .method = "INVITE", .request_uri = "sip:sips%3Auser%40example.com@example.net",
     .call_id = "esc01.239409asdfakjkn23onasd0-3234", .cseq = {234234, "INVITE"},
     .from_tag = "938", .to_tag = "",
     .vias = 1, .via = {"UDP", "host5.example.net", -1, "z9hG4bKkdjuw", "", nullptr},
     .contacts = 1, .contact = {"sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31", -1, ""},
     .expires = -1, .max_forwards = 87, .content_length = 150, .body_length = 150},
    // two distinct contacts with %00 users
    {.id = "rfc4475/escnull", .method = "REGISTER", .request_uri = "sip:example.com",
     .call_id = "escnull.39203ndfvkjdasfkq3w4otrq0adsfdfnavd", .cseq = {14398234, "REGISTER"},
     .from_tag = "839923423", .to_tag = "",
     .vias = 1, .via = {"UDP", "host5.example.com", -1, "z9hG4bKkdjuw", "", nullptr},
     .contacts = 2, .contact = {"sip:%00@host5.example.com", -1, ""},
     .expires = -1, .max_forwards = 70, .content_length = 0, .body_length = 0},
    // RE%47IST%45R is an unknown method; C%6Fntact is not Contact: 2 contacts
    {.id = "rfc4475/esc02", .method = "RE%47IST%45R", .request_uri = "sip:registrar.example.com",
     .call_id = "esc02.asdfnqwo34rq23i34jrjasdcnl23nrlknsdf", .cseq = {29344, "RE%47IST%45R"},
     .from_tag = "f232jadfj23", .to_tag = "",
     .vias = 1, .via = {"TCP", "host.example.com", -1, "z9hG4bK209%fzsnel234", "", nullptr},
     .contacts = 2, .contact = {"sip:alias1@host1.example.com", -1, ""},
     .expires = -1, .max_forwards = 70, .content_length = 0, .body_length = 0},
    // 34 Via header fields in every case variant, "V :" with LWS before the colon
    {.id = "rfc4475/longreq", .method = "INVITE", .request_uri = "sip:user@example.com",
     .call_id = nullptr, .cseq = {3882340, "INVITE"},
     .from_tag = nullptr, .to_tag = "",
     .vias = 34, .via = {"TCP", "sip33.example.com", -1, "", "", nullptr},
     .contacts = 1, .contact = {nullptr, -1, ""},
     .expires = -1, .max_forwards = 70, .content_length = 150, .body_length = 150},
    // datagram: the octets after the Content-Length: 0 body are discarded
    {.id = "rfc4475/dblreq", .method = "REGISTER", .request_uri = "sip:example.com",
     .call_id = "dblreq.0ha0isndaksdj99sdfafnl3lk233412", .cseq = {8, "REGISTER"},
     .from_tag = "43251j3j324", .to_tag = "",
     .vias = 1, .via = {"UDP", "192.0.2.125", -1, "z9hG4bKkdjuw23492", "", nullptr},
     .contacts = 1, .contact = {"sip:j.user@host.example.com", -1, ""},
     .expires = -1, .max_forwards = 8, .content_length = 0, .body_length = 0},
    // ';' inside the Request-URI user part
    {.id = "rfc4475/semiuri", .method = "OPTIONS", .request_uri = "sip:user;par=u%40example.net@example.com",
     .call_id = "semiuri.0ha0isndaksdj", .cseq = {8, "OPTIONS"},
     .from_tag = "33242", .to_tag = "",
     .vias = 1, .via = {"UDP", "192.0.2.1", -1, "z9hG4bKkdjuw", "", nullptr},
     .contacts = 0, .contact = {"", -1, ""},
     .expires = -1, .max_forwards = 3, .content_length = 0, .body_length = 0},
    // five transports, "Call-ID:  " with two spaces
    {.id = "rfc4475/transports", .method = "OPTIONS", .request_uri = "sip:user@example.com",
     .call_id = "transports.kijh4akdnaqjkwendsasfdj", .cseq = {60, "OPTIONS"},
     .from_tag = "323", .to_tag = "",
     .vias = 5, .via = {"UDP", "t1.example.com", -1, "z9hG4bKkdjuw", "", nullptr},
     .contacts = 0, .contact = {"", -1, ""},
     .expires = -1, .max_forwards = 70, .content_length = 0, .body_length = 0},
    // binary multipart body with NULs and bare LFs, framed by Content-Length exactly
    {.id = "rfc4475/mpart01", .method = "MESSAGE", .request_uri = nullptr,
     .call_id = nullptr, .cseq = {1, "MESSAGE"},
     .from_tag = "2fb0dcc9", .to_tag = "",
     .vias = 1, .via = {"UDP", "127.0.0.1", 5070, "z9hG4bK-d87543-4dade06d0bdb11ee-1--d87543-", "", ""},
     .contacts = 1, .contact = {nullptr, -1, ""},
     .expires = -1, .max_forwards = 70, .content_length = 553, .body_length = 553},
    // reason phrase with UTF-8
    {.id = "rfc4475/unreason", .status = 200,
     .call_id = "unreason.1234ksdfak3j2erwedfsASdf", .cseq = {35, "INVITE"},
     .from_tag = "11141343", .to_tag = "2229",
     .vias = 1, .via = {"UDP", "192.0.2.198", -1, "z9hG4bK1324923", "", nullptr},
     .contacts = 1, .contact = {"sip:user@host198.example.com", -1, ""},
     .expires = -1, .max_forwards = -1, .content_length = 154, .body_length = 154},
    // "SIP/2.0 100 " with an empty reason phrase
    {.id = "rfc4475/noreason", .status = 100,
     .call_id = "noreason.asndj203insdf99223ndf", .cseq = {35, "INVITE"},
     .from_tag = "39ansfi3", .to_tag = "902jndnke3",
     .vias = 1, .via = {"UDP", "192.0.2.105", -1, "z9hG4bK2398ndaoe", "", nullptr},
     .contacts = 1, .contact = {"sip:user@host105.example.com", -1, ""},
     .expires = -1, .max_forwards = -1, .content_length = 0, .body_length = 0},
    // Max-Forwards: 0 is legal
    {.id = "rfc4475/zeromf", .method = "OPTIONS", .request_uri = "sip:user@example.com",
     .call_id = nullptr, .cseq = {39234321, "OPTIONS"},
     .from_tag = "3ghsd41", .to_tag = "",
     .vias = 1, .via = {"UDP", "host1.example.com", -1, "z9hG4bKkdjuw2349i", "", nullptr},
     .contacts = 0, .contact = {"", -1, ""},
     .expires = -1, .max_forwards = 0, .content_length = 0, .body_length = 0},
    // addr-spec Contact: ";unknownparam" is a header parameter, not part of the URI
    {.id = "rfc4475/cparam01", .method = "REGISTER", .request_uri = "sip:example.com",
     .call_id = "cparam01.70710@saturn.example.com", .cseq = {2, "REGISTER"},
     .from_tag = "DkfVgjkrtMwaerKKpe", .to_tag = "",
     .vias = 1, .via = {"UDP", "saturn.example.com", 5060, "z9hG4bKkdjuw", "", nullptr},
     .contacts = 1, .contact = {"sip:+19725552222@gw1.example.net", -1, ""},
     .expires = -1, .max_forwards = 70, .content_length = 0, .body_length = 0},
    // name-addr Contact: ";unknownparam" inside <> belongs to the URI
    {.id = "rfc4475/cparam02", .method = "REGISTER", .request_uri = "sip:example.com",
     .call_id = "cparam02.70710@saturn.example.com", .cseq = {3, "REGISTER"},
     .from_tag = "838293", .to_tag = "",
     .vias = 1, .via = {"UDP", "saturn.example.com", 5060, "z9hG4bKkdjuw", "", nullptr},
     .contacts = 1, .contact = {"sip:+19725552222@gw1.example.net;unknownparam", -1, ""},
     .expires = -1, .max_forwards = 70, .content_length = 0, .body_length = 0},
    // escaped header inside <> is kept in the contact URI
    {.id = "rfc4475/regescrt", .method = "REGISTER", .request_uri = "sip:example.com",
     .call_id = "regescrt.k345asrl3fdbv@192.0.2.1", .cseq = {14398234, "REGISTER"},
     .from_tag = "8", .to_tag = "",
     .vias = 1, .via = {"UDP", "host5.example.com", -1, "z9hG4bKkdjuw", "", nullptr},
     .contacts = 1, .contact = {"sip:user@example.com?Route=%3Csip:sip.example.com%3E", -1, ""},
     .expires = -1, .max_forwards = 70, .content_length = 0, .body_length = 0},
    // RFC 2543 request: no branch, no tag, no Max-Forwards, no Content-Length
    {.id = "rfc4475/inv2543", .method = "INVITE", .request_uri = "sip:UserB@example.com",
     .call_id = "inv2543.1717@ift.client.example.com", .cseq = {56, "INVITE"},
     .from_tag = "", .to_tag = "",
     .vias = 1, .via = {"UDP", "iftgw.example.com", -1, "", "", nullptr},
     .contacts = 0, .contact = {"", -1, ""},
     .expires = -1, .max_forwards = -1, .content_length = -1, .body_length = 105},
    // non-SIP schemes in To, From and Contact are well-formed
    {.id = "rfc4475/unksm2", .method = "REGISTER", .request_uri = "sip:example.com",
     .call_id = "unksm2.daksdj@hyphenated-host.example.com", .cseq = {234902, "REGISTER"},
     .from_tag = "3234233", .to_tag = "",
     .vias = 1, .via = {"UDP", "192.0.2.21", 5060, "z9hG4bKkdjuw", "", nullptr},
     .contacts = 1, .contact = {"name:John_Smith", -1, ""},
     .expires = -1, .max_forwards = 70, .content_length = 0, .body_length = 0},
    // bracketed IPv6 everywhere
    {.id = "rfc5118/ipv6-good", .method = "REGISTER", .request_uri = "sip:[2001:db8::10]",
     .call_id = nullptr, .cseq = {98176, "REGISTER"},
     .from_tag = "81x2", .to_tag = "",
     .vias = 1, .via = {"UDP", "[2001:db8::9:1]", -1, "z9hG4bKas3-111", "", nullptr},
     .contacts = 1, .contact = {"sip:caller@[2001:db8::1]", -1, ""},
     .expires = -1, .max_forwards = 70, .content_length = 0, .body_length = 0},
    // ":5070" inside the brackets is part of the address, not a port
    {.id = "rfc5118/port-ambiguous", .method = "REGISTER", .request_uri = "sip:[2001:db8::10:5070]",
     .call_id = nullptr, .cseq = {98176, "REGISTER"},
     .from_tag = "81x2", .to_tag = "",
     .vias = 1, .via = {"UDP", "[2001:db8::9:1]", -1, "z9hG4bKas3-111", "", nullptr},
     .contacts = 1, .contact = {nullptr, -1, ""},
     .expires = -1, .max_forwards = 70, .content_length = 0, .body_length = 0},
    // received with brackets
    {.id = "rfc5118/via-received-param-with-delim", .method = "BYE", .request_uri = "sip:[2001:db8::10]",
     .call_id = nullptr, .cseq = {321, "BYE"},
     .from_tag = "81x2", .to_tag = "bd76ya",
     .vias = 1, .via = {"UDP", "[2001:db8::9:1]", -1, "z9hG4bKas3-111", "[2001:db8::9:255]", nullptr},
     .contacts = 0, .contact = {"", -1, ""},
     .expires = -1, .max_forwards = 70, .content_length = 0, .body_length = 0},
    // received without brackets
    {.id = "rfc5118/via-received-param-no-delim", .method = "OPTIONS", .request_uri = "sip:[2001:db8::10]",
     .call_id = nullptr, .cseq = {921, "OPTIONS"},
     .from_tag = "81x2", .to_tag = "",
     .vias = 1, .via = {"UDP", "[2001:db8::9:1]", -1, "z9hG4bKas3", "2001:db8::9:255", nullptr},
     .contacts = 1, .contact = {nullptr, -1, ""},
     .expires = -1, .max_forwards = 70, .content_length = 0, .body_length = 0},
    // IPv6 sent-by with a port, IPv4 received on an IPv6 sent-by
    {.id = "rfc5118/mult-ip-in-header", .method = "BYE", .request_uri = "sip:user@host.example.net",
     .call_id = nullptr, .cseq = {89187, "BYE"},
     .from_tag = "81x2", .to_tag = "9817--94",
     .vias = 3, .via = {"UDP", "[2001:db8::9:1]", 6050, "z9hG4bKas3-111", "", nullptr},
     .contacts = 0, .contact = {"", -1, ""},
     .expires = -1, .max_forwards = 70, .content_length = 0, .body_length = 0},
    // IPv4-mapped IPv6 sent-by with a port
    {.id = "rfc5118/ipv4-mapped-ipv6", .method = "INVITE", .request_uri = "sip:user@example.com",
     .call_id = nullptr, .cseq = {612, "INVITE"},
     .from_tag = "81x2", .to_tag = "",
     .vias = 2, .via = {"UDP", "[::ffff:192.0.2.10]", 19823, "z9hG4bKbh19", "", nullptr},
     .contacts = 1, .contact = {nullptr, -1, ""},
     .expires = -1, .max_forwards = 70, .content_length = 245, .body_length = 245},
    // REGISTER forwarded by a proxy: the device's Via has received and rport=63493
    {.id = "devices/polycom-spip450-register-auth", .method = "REGISTER", .request_uri = "sip:157.161.10.73:5060",
     .call_id = "e5f4a617104444e4f7a54", .cseq = {2, "REGISTER"},
     .from_tag = "54e5f4a6171043e4f7a", .to_tag = "",
     .vias = 2, .via = {"UDP", "5.148.125.101", 5060, "z9hG4bK87504c94f43e6a8cea6b493eead8f361.0", "", nullptr},
     .contacts = 1, .contact = {"sip:1154@109.70.144.77:63493", -1, ""},
     .expires = 3600, .max_forwards = 69, .content_length = 0, .body_length = 0},
    // contact with expires and q parameters after "Contact:  " (two spaces)
    {.id = "devices/nero-sipps-register", .method = "REGISTER", .request_uri = "sip:sip.cybercity.dk",
     .call_id = "578222729-4665d775@578222732-4665d772", .cseq = {68, "REGISTER"},
     .from_tag = "903df0a", .to_tag = "",
     .vias = 1, .via = {"UDP", "192.168.1.2", -1, "z9hG4bKnp151248737-46ea715e192.168.1.2", "", ""},
     .contacts = 1, .contact = {"sip:voi18063@192.168.1.2:5060;line=9c7d2dbd8822013c", 1200, "0.500"},
     .expires = 1200, .max_forwards = 70, .content_length = 0, .body_length = 0},
    // pjsip over TCP: bare rport, reg-id and +sip.instance on the contact
    {.id = "devices/microsip-register-auth-tcp", .method = "REGISTER", .request_uri = "sip:172.168.0.228;transport=tcp",
     .call_id = "1c35908a84584771bcc93bd496e0a852", .cseq = {42943, "REGISTER"},
     .from_tag = "c69b435a212843d7a890301738a3e16a", .to_tag = "",
     .vias = 1, .via = {"TCP", "172.168.0.252", 52795, "z9hG4bKPjb09d416b4ff54817a8364aece646ea91", "", ""},
     .contacts = 1, .contact = {"sip:1001@172.168.0.252:52795;transport=TCP;ob", -1, ""},
     .expires = 300, .max_forwards = 70, .content_length = 0, .body_length = 0},
    // Yealink with digest qop=auth
    {.id = "devices/yealink-t27g-register-auth", .method = "REGISTER", .request_uri = "sip:test21.djangopbx.com:5060",
     .call_id = "4_723949779@10.6.1.14", .cseq = {2, "REGISTER"},
     .from_tag = "723906295", .to_tag = "",
     .vias = 1, .via = {"UDP", "139.162.206.177", 5060, "z9hG4bK724057443", "", ""},
     .contacts = 1, .contact = {"sip:201@139.162.206.177:5060", -1, ""},
     .expires = 1800, .max_forwards = 70, .content_length = 0, .body_length = 0},
    // rport=5060 and received= on the Twilio gateway's Via; headers after Content-Length
    {.id = "devices/twilio-gateway-invite", .method = "INVITE", .request_uri = "sip:+15083728299@172.31.3.33:5070",
     .call_id = "252a93d3-bdb2-1238-6185-06d91d68c9b0", .cseq = {15623387, "INVITE"},
     .from_tag = "vQXQ3g5papXpF", .to_tag = "",
     .vias = 1, .via = {"UDP", "3.10.235.99", -1, "z9hG4bKgeBy6Fg863Z8N", "172.31.3.33", "5060"},
     .contacts = 1, .contact = {"sip:+15083084809@3.10.235.99:5060", -1, ""},
     .expires = -1, .max_forwards = 70, .content_length = 264, .body_length = 264},
    // Content-Length 309 with 662 octets after the headers: take 309
    {.id = "devices/grandstream-gxp2200-invite", .method = "INVITE", .request_uri = "sip:1001@test.pbx.com",
     .call_id = nullptr, .cseq = {1661, "INVITE"},
     .from_tag = "1459587455", .to_tag = "",
     .vias = 1, .via = {"TCP", "192.168.178.22", 38488, "z9hG4bK1428069545", "", ""},
     .contacts = 1, .contact = {"sip:250@192.168.178.22:38488;transport=tcp;user=phone", -1, ""},
     .expires = -1, .max_forwards = 70, .content_length = 309, .body_length = 309},
    // 2560-octet WebRTC INVITE relayed by a proxy: WSS Via with a .invalid host
    {.id = "devices/sipjs-invite-via-proxy", .method = "INVITE", .request_uri = "sip:+12263382742@dev-mike.tncp.textnow.com",
     .call_id = "kovfhoptshgn59q712sr", .cseq = {2207, "INVITE"},
     .from_tag = "8pamukqsoe", .to_tag = "",
     .vias = 2, .via = {"UDP", "10.243.0.157", 5060, "z9hG4bK795e.06dd5233.0", "", nullptr},
     .contacts = 1, .contact = {"sip:7keablct@10.243.17.55:43380;transport=ws;ob", -1, ""},
     .expires = -1, .max_forwards = 69, .content_length = 1699, .body_length = 1699},
    // IPv6 UPDATE from SIPp, Route with two values
    {.id = "devices/sipp-ipv6-update", .method = "UPDATE", .request_uri = nullptr,
     .call_id = nullptr, .cseq = {3, "UPDATE"},
     .from_tag = "397430SIPpTag0071846", .to_tag = "1632476SIPpTag0171847",
     .vias = 1, .via = {"UDP", "[fd17:625c:f037:2:a00:27ff:feb9:1521]", 15060, "z9hG4bK-397430-71846-5", "", nullptr},
     .contacts = 0, .contact = {"", -1, ""},
     .expires = -1, .max_forwards = 70, .content_length = 398, .body_length = 398},
    // response with header fields in alphabetical order (Via last)
    {.id = "devices/arcor-200ok", .status = 200,
     .call_id = nullptr, .cseq = {1, "INVITE"},
     .from_tag = "SD4909701-00e9d478", .to_tag = "617263616479616E-331715520-5336f785-187410205",
     .vias = 1, .via = {"UDP", "138.132.169.101", 5060, "z9hG4bKfv2f4010787h3a8q1280.1", "", nullptr},
     .contacts = 1, .contact = {nullptr, -1, ""},
     .expires = -1, .max_forwards = -1, .content_length = 212, .body_length = 212},
};
// clang-format on

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
    EXPECT_EQ(msg.cseq.seq, row.cseq.seq);
    EXPECT_EQ(msg.cseq.method_name, row.cseq.method);

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
        EXPECT_EQ(via.transport, row.via.transport);
        EXPECT_EQ(via.host, row.via.host);
        EXPECT_EQ(via.has_port ? via.port : -1, row.via.port);
        EXPECT_EQ(via.branch, row.via.branch);
        EXPECT_EQ(via.received, row.via.received);
        EXPECT_EQ(via.has_rport, row.via.rport != nullptr);
        EXPECT_EQ(via.rport, Or(row.via.rport));
      }
    }
    EXPECT_EQ(via_count, row.vias);

    ValueIterator contacts(msg, HeaderId::kContact);
    int contact_count = 0;
    while (contacts.Next(v)) {
      Contact contact;
      ASSERT_TRUE(ParseContact(v, contact).ok()) << v;
      if (contact_count++ == 0) {
        if (row.contact.uri != nullptr) {
          EXPECT_EQ(contact.addr.uri.raw, row.contact.uri);
        }
        EXPECT_EQ(contact.expires, row.contact.expires);
        EXPECT_EQ(contact.q, row.contact.q);
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
