// Stream framing (TCP/TLS): message boundaries in a byte stream, CRLF keepalives, partial
// reads reported as kIncomplete without copying, pipelined messages, size limits.
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
using sipfront::testing::PaddedBuffer;
using sipfront::testing::Verdict;

Message& Msg() {
  static Message msg;
  return msg;
}

ParseError Stream(std::string_view bytes, std::size_t max = kMaxMessageSize) {
  const GuardedBuffer buf(bytes);
  return Tokenize(buf.view(), Framing::kStream, Msg(), max);
}

// Valid corpus messages that carry Content-Length, as framed on a datagram.
std::vector<std::string> FramedCorpusMessages() {
  std::vector<std::string> out;
  for (const CorpusCase& c : Corpus()) {
    if (c.expected == Verdict::kInvalid) {
      continue;
    }
    const PaddedBuffer buf(c.bytes);
    if (Tokenize(buf.view(), Framing::kDatagram, Msg()) == ParseError::kOk &&
        Msg().content_length != kAbsent) {
      out.push_back(c.bytes.substr(0, Msg().size));
    }
  }
  return out;
}

TEST(StreamTest, EveryPrefixOfACorpusMessageIsIncompleteAndTheWholeIsOk) {
  const std::vector<std::string> messages = FramedCorpusMessages();
  ASSERT_GE(messages.size(), 55u);  // a floor, so the test cannot become vacuous
  for (const std::string& m : messages) {
    for (std::size_t k = 1; k < m.size(); ++k) {
      ASSERT_EQ(Stream(std::string_view(m).substr(0, k)), ParseError::kIncomplete)
          << "prefix " << k << " of " << m.substr(0, 60);
    }
    ASSERT_EQ(Stream(m), ParseError::kOk) << m.substr(0, 60);
    EXPECT_EQ(Msg().size, m.size());
  }
}

TEST(StreamTest, IncompleteBodyReportsTheTotalSizeNeeded) {
  const std::string m = "MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 10\r\n\r\n0123";
  ASSERT_EQ(Stream(m), ParseError::kIncomplete);
  EXPECT_EQ(Msg().size, m.size() + 6);
  // While the header section is incomplete, the need is unknown.
  ASSERT_EQ(Stream("MESSAGE sip:a@b SIP/2.0\r\nContent-Len"), ParseError::kIncomplete);
  EXPECT_EQ(Msg().size, 0u);
}

TEST(StreamTest, PipelinedMessagesAreFramedOneByOne) {
  const std::vector<std::string> messages = FramedCorpusMessages();
  std::string stream;
  for (const std::string& m : messages) {
    stream += m;
    stream += "\r\n\r\n";  // a keepalive ping between messages
  }
  const PaddedBuffer buf(stream);
  std::size_t pos = 0;
  std::size_t seen = 0;
  std::size_t pings = 0;
  while (pos < stream.size()) {
    const PaddedView rest(buf.view().data() + pos, stream.size() - pos,
                          buf.view().capacity() - pos);
    const ParseError e = Tokenize(rest, Framing::kStream, Msg());
    ASSERT_TRUE(e == ParseError::kOk || e == ParseError::kKeepalive)
        << ErrorName(e) << " at " << pos;
    if (e == ParseError::kOk) {
      ASSERT_LT(seen, messages.size());
      EXPECT_EQ(Msg().size, messages[seen].size());
      ++seen;
    } else {
      EXPECT_EQ(Msg().size, 4u);
      ++pings;
    }
    pos += Msg().size;
  }
  EXPECT_EQ(seen, messages.size());
  EXPECT_EQ(pings, messages.size());
}

// RFC 4475 §3.1.2.x dblreq on a stream: the REGISTER, a CRLF, then the INVITE.
TEST(StreamTest, DblreqIsTwoMessagesOnAStream) {
  const std::string bytes = CorpusFile("rfc4475/dblreq").bytes;
  const PaddedBuffer buf(bytes);
  ASSERT_EQ(Tokenize(buf.view(), Framing::kStream, Msg()), ParseError::kOk);
  EXPECT_EQ(Msg().method, Method::kRegister);
  std::size_t pos = Msg().size;
  auto rest = [&] {
    return PaddedView(buf.view().data() + pos, bytes.size() - pos, buf.view().capacity() - pos);
  };
  ASSERT_EQ(Tokenize(rest(), Framing::kStream, Msg()), ParseError::kKeepalive);
  EXPECT_EQ(Msg().size, 2u);  // a single CRLF ("pong") before the next start line
  pos += Msg().size;
  ASSERT_EQ(Tokenize(rest(), Framing::kStream, Msg()), ParseError::kOk);
  EXPECT_EQ(Msg().method, Method::kInvite);
  EXPECT_EQ(Msg().content_length, 150);
}

// RFC 4475 grandstream fixture: 309 bytes of body, then 353 bytes that start the next message.
TEST(StreamTest, ExtraOctetsAfterContentLengthBelongToTheNextMessage) {
  const std::string bytes = CorpusFile("devices/grandstream-gxp2200-invite").bytes;
  const PaddedBuffer buf(bytes);
  ASSERT_EQ(Tokenize(buf.view(), Framing::kStream, Msg()), ParseError::kOk);
  EXPECT_EQ(Msg().body.size(), 309u);
  EXPECT_EQ(bytes.size() - Msg().size, 353u);
}

TEST(StreamTest, Keepalives) {
  struct Row {
    std::string_view input;
    ParseError error;
    uint32_t size;
  };
  const Row rows[] = {
      // RFC 5626 §4.4.1 ping
      {"\r\n\r\n", ParseError::kKeepalive, 4},
      // ping followed by a message: only the ping is consumed
      {"\r\n\r\nOPTIONS", ParseError::kKeepalive, 4},
      // pong (single CRLF) followed by a start line
      {"\r\nOPTIONS sip:a@b SIP/2.0\r\n", ParseError::kKeepalive, 2},
      // half a CRLF: wait
      {"\r", ParseError::kIncomplete, 0},
      // a CRLF alone may be the first half of a ping: wait
      {"\r\n", ParseError::kIncomplete, 0},
      // three quarters of a ping: wait
      {"\r\n\r", ParseError::kIncomplete, 0},
      // a bare LF is not a keepalive
      {"\n\n", ParseError::kBadLineEnding, 0},
      // CR followed by something else
      {"\rX", ParseError::kBadLineEnding, 0},
      // nothing yet
      {"", ParseError::kIncomplete, 0},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(ErrorName(Stream(row.input)), ErrorName(row.error)) << "input " << row.input.size();
    if (row.error == ParseError::kKeepalive) {
      EXPECT_EQ(Msg().size, row.size);
    }
  }
}

TEST(StreamTest, DatagramKeepaliveIsTheWholeDatagram) {
  const GuardedBuffer buf("\r\n\r\n\r\n");
  ASSERT_EQ(Tokenize(buf.view(), Framing::kDatagram, Msg()), ParseError::kKeepalive);
  EXPECT_EQ(Msg().size, 6u);
}

TEST(StreamTest, MissingContentLengthIsAFramingErrorOnStreams) {
  // RFC 3261 §18.3: Content-Length MUST be used with stream transports.
  const std::string m = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n\r\n";
  EXPECT_EQ(Stream(m), ParseError::kMissingContentLength);
  EXPECT_EQ(Msg().error_offset, m.size());
  // RFC 4475 inv2543 has no Content-Length: fine on UDP, not on a stream.
  const std::string& inv = CorpusFile("rfc4475/inv2543").bytes;
  EXPECT_EQ(Stream(inv), ParseError::kMissingContentLength);
}

TEST(StreamTest, ConflictingContentLengthIsAFramingError) {
  // RFC 4475 mcl01: the connection must be closed, nothing can be framed.
  EXPECT_EQ(Stream(CorpusFile("rfc4475/mcl01").bytes), ParseError::kConflictingContentLength);
}

TEST(StreamTest, LimitsTheMessageSize) {
  // No end of headers within the limit.
  std::string big = "OPTIONS sip:a@b SIP/2.0\r\nX: ";
  big.append(300, 'a');
  EXPECT_EQ(Stream(big, 256), ParseError::kMessageTooLarge);
  EXPECT_EQ(Msg().error_offset, 256u);
  // Headers fit, but the declared body would exceed the limit: reject before buffering it.
  const std::string m = "MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 100000\r\n\r\n";
  EXPECT_EQ(Stream(m, 4096), ParseError::kMessageTooLarge);
  EXPECT_EQ(Msg().error_offset, m.size());
  // Under the limit, an incomplete header section just waits.
  EXPECT_EQ(Stream(big.substr(0, 200), 256), ParseError::kIncomplete);
}

TEST(StreamTest, BareLineFeedInAPartialHeaderSectionFailsEarly) {
  // A peer sending LF-only lines would otherwise be buffered up to the size limit.
  EXPECT_EQ(Stream("OPTIONS sip:a@b SIP/2.0\nVia: x"), ParseError::kBadLineEnding);
  EXPECT_EQ(Msg().error_offset, 23u);
}

}  // namespace
}  // namespace sipfront::sip
