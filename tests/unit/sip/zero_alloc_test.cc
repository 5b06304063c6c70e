// Proves the tokenizer and every header parser allocate nothing: the counting allocator in
// tests/testlib replaces global operator new in this binary, and every corpus message goes
// through everything the sip module offers in both framings and with every scanner.
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "sipfront/sip/headers.h"
#include "sipfront/sip/message.h"

#include "buffers.h"
#include "corpus.h"
#include "counting_allocator.h"

namespace sipfront::sip {
namespace {

using sipfront::testing::AllocationCount;
using sipfront::testing::Corpus;
using sipfront::testing::CorpusCase;
using sipfront::testing::PaddedBuffer;

// Runs every parser over one message; returns a checksum so nothing is optimized away.
std::size_t Exercise(PaddedView in, Framing framing, Scanner scanner, Message& msg,
                     RegisterFields& reg) {
  std::size_t sum = 0;
  const ParseError e = Tokenize(in, framing, msg, kMaxMessageSize, scanner);
  sum += static_cast<std::size_t>(e);
  if (e != ParseError::kOk) {
    sum += ErrorResponseFor(e).status_code + ErrorName(e).size();
    return sum;
  }
  const ParseStatus valid = ValidateMessage(msg);
  sum += static_cast<std::size_t>(valid.error);
  sum += static_cast<std::size_t>(CheckRequest(msg).error);
  if (msg.kind == MessageKind::kRequest) {
    Uri uri;
    sum += ParseUri(msg.request_uri, uri).ok() ? uri.host.size() : 1;
    char aor[256];
    sum += static_cast<std::size_t>(CanonicalAor(uri, aor, sizeof(aor)) + 1);
    sum += UriEquivalent(uri, uri) ? 1 : 0;
  }
  if (msg.method == Method::kRegister) {
    sum += static_cast<std::size_t>(ParseRegister(msg, reg).error) + reg.contact_count;
  }
  for (HeaderId id :
       {HeaderId::kVia, HeaderId::kContact, HeaderId::kRoute, HeaderId::kRecordRoute}) {
    ValueIterator it(msg, id);
    std::string_view v;
    while (it.Next(v)) {
      Via via;
      Contact contact;
      NameAddr na;
      sum += ParseVia(v, via).ok() ? via.host.size() : 0;
      sum += ParseContact(v, contact).ok() ? contact.addr.uri.raw.size() : 0;
      sum += ParseNameAddr(v, na, ParseError::kBadRoute, true).ok() ? na.params.size() : 0;
      ParamIterator params(contact.addr.params);
      Param p;
      while (params.Next(p)) {
        sum += p.name.size();
      }
    }
  }
  for (uint16_t i = 0; i < msg.header_count; ++i) {
    const Header& h = msg.headers[i];
    FromTo ft;
    Credentials cred;
    sum += ParseFromTo(h.value, ft, ParseError::kBadFrom).ok() ? ft.tag.size() : 0;
    sum +=
        ParseCredentials(h.value, cred, ParseError::kBadAuthorization).ok() ? cred.nonce.size() : 0;
    sum += ParseDate(h.value).ok() ? 1 : 0;
    sum += ClassifyHeader(h.name) == h.id ? 1 : 0;
  }
  return sum;
}

TEST(ZeroAllocTest, ParsingTheWholeCorpusAllocatesNothing) {
  // Everything that may allocate happens before the measured region.
  std::vector<PaddedBuffer> buffers;
  for (const CorpusCase& c : Corpus()) {
    buffers.emplace_back(c.bytes);
  }
  static Message msg;
  static RegisterFields reg;
  std::vector<Scanner> scanners;
  for (Scanner s : {Scanner::kScalar, Scanner::kSse2, Scanner::kAvx2}) {
    if (ScannerSupported(s)) {
      scanners.push_back(s);
    }
  }

  const uint64_t before = AllocationCount();
  std::size_t sum = 0;
  for (int round = 0; round < 3; ++round) {
    for (const PaddedBuffer& b : buffers) {
      for (Scanner s : scanners) {
        sum += Exercise(b.view(), Framing::kDatagram, s, msg, reg);
        sum += Exercise(b.view(), Framing::kStream, s, msg, reg);
      }
    }
  }
  const uint64_t after = AllocationCount();

  EXPECT_EQ(after - before, 0u) << "allocations while parsing " << buffers.size() << " messages";
  EXPECT_NE(sum, 0u);
}

// The counting allocator itself works (so the test above can fail).
TEST(ZeroAllocTest, CounterSeesAllocations) {
  // Called through a volatile pointer: the compiler may elide a plain new/delete pair.
  void* (*volatile op_new)(std::size_t) = static_cast<void* (*)(std::size_t)>(&::operator new);
  const uint64_t before = AllocationCount();
  void* p = op_new(16);
  ::operator delete(p);
  EXPECT_EQ(AllocationCount() - before, 1u);
}

}  // namespace
}  // namespace sipfront::sip
