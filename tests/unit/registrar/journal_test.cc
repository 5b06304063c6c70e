// Journal codec: round trips of every op and field variant, every truncation and bit flip of
// a valid record, impossible fields under a valid checksum, random input, file headers, and
// CRC-32C against the published vectors with both implementations.
#include "sipfront/registrar/journal.h"

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "sipfront/net/endpoint.h"

namespace sipfront::registrar {
namespace {

net::Endpoint Ep(const char* s) {
  absl::StatusOr<net::Endpoint> e = net::ParseEndpoint(s);
  EXPECT_TRUE(e.ok()) << s;
  return *e;
}

// A record owning its strings.
struct Owned {
  JournalOp op = JournalOp::kSet;
  std::string domain = "example.com";
  std::string user = "+14155550100";
  std::string contact = "sip:+14155550100@203.0.113.5:5060;transport=udp";
  std::string instance{};
  uint32_t reg_id = 0;
  uint16_t q = kNoQ;
  uint64_t expires_wall = 1700003600;
  uint64_t updated_wall = 1700000000;
  uint32_t cseq = 1;
  uint64_t call_id_hash = 0x0123456789abcdefULL;
  net::Endpoint source = Ep("198.51.100.7:5060");
  Transport transport = Transport::kUdp;

  [[nodiscard]] JournalRecord View() const {
    return JournalRecord{op,           domain,       user, contact,      instance, reg_id,   q,
                         expires_wall, updated_wall, cseq, call_id_hash, source,   transport};
  }
};

void ExpectSameRecord(const Owned& want, const JournalRecord& got) {
  EXPECT_EQ(got.op, want.op);
  EXPECT_EQ(got.domain, want.domain);
  EXPECT_EQ(got.user, want.user);
  EXPECT_EQ(got.contact, want.contact);
  EXPECT_EQ(got.instance, want.instance);
  EXPECT_EQ(got.reg_id, want.reg_id);
  if (want.op == JournalOp::kSet) {
    EXPECT_EQ(got.q, want.q);
    EXPECT_EQ(got.expires_wall, want.expires_wall);
    EXPECT_EQ(got.updated_wall, want.updated_wall);
    EXPECT_EQ(got.cseq, want.cseq);
    EXPECT_EQ(got.call_id_hash, want.call_id_hash);
    EXPECT_TRUE(got.source == want.source) << net::ToString(got.source);
    EXPECT_EQ(got.transport, want.transport);
  } else {
    // Removals carry only what identifies the binding.
    EXPECT_EQ(got.q, kNoQ);
    EXPECT_EQ(got.expires_wall, 0u);
    EXPECT_EQ(got.cseq, 0u);
    EXPECT_EQ(got.source.len, 0u);
  }
}

struct Row {
  const char* what;
  Owned r;
};

std::vector<Row> Rows() {
  const std::string long_user(kMaxUserLength, 'u');
  const std::string long_domain = std::string(kMaxJournalDomain - 4, 'd') + ".com";
  std::string long_contact = "sip:" + long_user + "@host.example;x=";
  long_contact.resize(kMaxContactLength, 'c');
  const std::string long_instance =
      "\"<urn:uuid:" + std::string(kMaxInstanceLength - 13, 'f') + ">\"";
  return {
      // the common binding: E.164 user, IPv4 contact and source, no instance, no q
      {"typical set", {}},
      // IPv6 source, +sip.instance with reg-id (RFC 5626), q at its maximum, TLS
      {"ipv6 and instance",
       {.contact = "sip:alice@[2001:db8::10]:5061;transport=tls",
        .instance = "\"<urn:uuid:00000000-0000-1000-8000-000a95a0e128>\"",
        .reg_id = 1,
        .q = 1000,
        .source = Ep("[2001:db8::10]:5061"),
        .transport = Transport::kTls}},
      // every string at its limit, extreme integers
      {"limits",
       {.domain = long_domain,
        .user = long_user,
        .contact = long_contact,
        .instance = long_instance,
        .reg_id = 0xffffffffu,
        .q = 0,
        .expires_wall = ~uint64_t{0},
        .updated_wall = 0,
        .cseq = 0xffffffffu,
        .call_id_hash = ~uint64_t{0},
        .source = Ep("255.255.255.255:65535"),
        .transport = Transport::kWss}},
      // no source recorded (family byte 0)
      {"unset source", {.q = 500, .source = net::Endpoint{}, .transport = Transport::kTcp}},
      // a one-byte user and domain
      {"shortest strings", {.domain = "x", .user = "1", .contact = "sip:1@x"}},
      // removal by a REGISTER: identified by instance and reg-id
      {"remove with instance",
       {.op = JournalOp::kRemove,
        .contact = "sip:bob@192.0.2.2",
        .instance = "\"<urn:uuid:1>\"",
        .reg_id = 2}},
      // removal by URI, every string at its limit
      {"remove at limits",
       {.op = JournalOp::kRemove,
        .domain = long_domain,
        .user = long_user,
        .contact = long_contact,
        .instance = long_instance}},
      // expiry by the timer wheel
      {"expire", {.op = JournalOp::kExpire}},
  };
}

TEST(JournalTest, RoundTripsEveryOpAndFieldVariant) {
  for (const Row& row : Rows()) {
    SCOPED_TRACE(row.what);
    std::vector<char> buf(2 * kMaxJournalRecord, '\x55');
    const std::size_t n = EncodeRecord(row.r.View(), buf.data(), kMaxJournalRecord);
    ASSERT_GT(n, 8u);
    ASSERT_LE(n, kMaxJournalRecord);
    JournalRecord got{};
    std::size_t size = 0;
    ASSERT_EQ(DecodeRecord(std::string_view(buf.data(), n), got, size), DecodeStatus::kOk);
    EXPECT_EQ(size, n);
    ExpectSameRecord(row.r, got);
    // The same record again right behind: decoding stops at the first one's end.
    std::memcpy(buf.data() + n, buf.data(), n);
    ASSERT_EQ(DecodeRecord(std::string_view(buf.data(), 2 * n), got, size), DecodeStatus::kOk);
    EXPECT_EQ(size, n);
    ASSERT_EQ(DecodeRecord(std::string_view(buf.data() + n, n), got, size), DecodeStatus::kOk);
    ExpectSameRecord(row.r, got);
    // Exactly enough room, and one byte too little.
    EXPECT_EQ(EncodeRecord(row.r.View(), buf.data(), n), n);
    EXPECT_EQ(EncodeRecord(row.r.View(), buf.data(), n - 1), 0u);
  }
}

TEST(JournalTest, TypicalRecordIsCompact) {
  char buf[kMaxJournalRecord];
  const Owned r;
  // 8 framing + 42 fixed + 11 domain + 12 user + 47 contact + 6 IPv4 source and port.
  EXPECT_EQ(EncodeRecord(r.View(), buf, sizeof(buf)), 126u);
}

TEST(JournalTest, EmptyInputIsEnd) {
  JournalRecord got{};
  std::size_t size = 0;
  EXPECT_EQ(DecodeRecord({}, got, size), DecodeStatus::kEnd);
}

TEST(JournalTest, EveryTruncationIsTorn) {
  for (const Row& row : Rows()) {
    SCOPED_TRACE(row.what);
    char buf[kMaxJournalRecord];
    const std::size_t n = EncodeRecord(row.r.View(), buf, sizeof(buf));
    ASSERT_NE(n, 0u);
    for (std::size_t cut = 1; cut < n; ++cut) {
      JournalRecord got{};
      std::size_t size = 0;
      EXPECT_EQ(DecodeRecord(std::string_view(buf, cut), got, size), DecodeStatus::kTorn)
          << "cut at " << cut << " of " << n;
    }
  }
}

TEST(JournalTest, EveryBitFlipIsDetected) {
  for (const Row& row : Rows()) {
    SCOPED_TRACE(row.what);
    // The record followed by more bytes than any record needs, so a length that grows stays
    // inside the input and must fail the checksum.
    std::vector<char> buf(2 * kMaxJournalRecord, '\0');
    const std::size_t n = EncodeRecord(row.r.View(), buf.data(), buf.size());
    ASSERT_NE(n, 0u);
    for (std::size_t bit = 0; bit < 8 * n; ++bit) {
      std::vector<char> flipped = buf;
      flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
      JournalRecord got{};
      std::size_t size = 0;
      EXPECT_EQ(DecodeRecord(std::string_view(flipped.data(), flipped.size()), got, size),
                DecodeStatus::kCorrupt)
          << "bit " << bit;
      // Alone (no bytes behind it), a longer length reads as a torn write; never as a record.
      EXPECT_NE(DecodeRecord(std::string_view(flipped.data(), n), got, size), DecodeStatus::kOk)
          << "bit " << bit;
    }
  }
}

// Builds bodies field by field (the layout journal.h documents) and frames them with a valid
// checksum, so only the field under test can make decoding fail.
class BodyBuilder {
 public:
  BodyBuilder& U8(uint8_t v) {
    b_.push_back(static_cast<char>(v));
    return *this;
  }
  BodyBuilder& U16(uint16_t v) {
    return U8(static_cast<uint8_t>(v)).U8(static_cast<uint8_t>(v >> 8));
  }
  BodyBuilder& U32(uint32_t v) {
    return U16(static_cast<uint16_t>(v)).U16(static_cast<uint16_t>(v >> 16));
  }
  BodyBuilder& U64(uint64_t v) {
    return U32(static_cast<uint32_t>(v)).U32(static_cast<uint32_t>(v >> 32));
  }
  BodyBuilder& Str(const std::string& s) {
    b_ += s;
    return *this;
  }
  [[nodiscard]] std::string Frame() const { return FrameBody(b_); }
  static std::string FrameBody(const std::string& body) {
    std::string f(8, '\0');
    const auto len = static_cast<uint32_t>(body.size());
    for (int i = 0; i < 4; ++i) {
      f[4 + i] = static_cast<char>(len >> (8 * i));
    }
    f += body;
    const uint32_t crc = Crc32c(f.data() + 4, f.size() - 4);
    for (int i = 0; i < 4; ++i) {
      f[i] = static_cast<char>(crc >> (8 * i));
    }
    return f;
  }

 private:
  std::string b_;
};

// The fields of a valid kSet body; each test row changes one.
struct SetFields {
  uint8_t op = 1;
  uint8_t domain_len = 11;
  std::string domain = "example.com";
  uint8_t user_len = 5;
  std::string user = "alice";
  uint16_t contact_len = 19;
  std::string contact = "sip:alice@192.0.2.1";
  uint8_t instance_len = 0;
  uint16_t q = kNoQ;
  uint8_t transport = 0;
  uint8_t family = 4;
  int addr_bytes = 4;
  std::string trailer{};

  [[nodiscard]] std::string Frame() const {
    BodyBuilder b;
    b.U8(op).U8(domain_len).Str(domain).U8(user_len).Str(user).U16(contact_len).Str(contact);
    b.U8(instance_len).U32(0).U16(q).U64(1700003600).U64(1700000000).U32(1).U64(7);
    b.U8(transport).U8(family).Str(std::string(static_cast<std::size_t>(addr_bytes), '\1'));
    b.U16(5060).Str(trailer);
    return b.Frame();
  }
};

TEST(JournalTest, RejectsImpossibleFieldsUnderAValidChecksum) {
  const std::string long_user(kMaxUserLength + 1, 'u');
  const std::string long_domain(kMaxJournalDomain + 1, 'd');
  const std::string long_contact = "sip:" + std::string(kMaxContactLength, 'c');
  struct Case {
    const char* what = nullptr;
    SetFields f;
    DecodeStatus want = DecodeStatus::kOk;
  };
  const Case cases[] = {
      // the baseline decodes: every other row fails only because of its change
      {"valid", {}, DecodeStatus::kOk},
      // op 0 and op 4 do not exist
      {"op 0", {.op = 0}, DecodeStatus::kCorrupt},
      {"op 4", {.op = 4}, DecodeStatus::kCorrupt},
      // empty and over-long domain
      {"empty domain", {.domain_len = 0, .domain = ""}, DecodeStatus::kCorrupt},
      {"domain 254",
       {.domain_len = 254, .domain = long_domain.substr(0, 254)},
       DecodeStatus::kCorrupt},
      // empty and over-long user
      {"empty user", {.user_len = 0, .user = ""}, DecodeStatus::kCorrupt},
      {"user 65", {.user_len = 65, .user = long_user}, DecodeStatus::kCorrupt},
      // empty and over-long contact
      {"empty contact", {.contact_len = 0, .contact = ""}, DecodeStatus::kCorrupt},
      {"contact 512",
       {.contact_len = 512, .contact = long_contact.substr(0, 512)},
       DecodeStatus::kCorrupt},
      // a length running past the body (the body itself is shorter than it says)
      {"domain length past body", {.domain_len = 200}, DecodeStatus::kCorrupt},
      {"contact length past body", {.contact_len = 400}, DecodeStatus::kCorrupt},
      // instance length past the body
      {"instance length past body", {.instance_len = 255}, DecodeStatus::kCorrupt},
      // q above 1000 that is not kNoQ
      {"q 1001", {.q = 1001}, DecodeStatus::kCorrupt},
      // transport beyond kWss
      {"transport 6", {.transport = 6}, DecodeStatus::kCorrupt},
      // unknown address family
      {"family 5", {.family = 5}, DecodeStatus::kCorrupt},
      // IPv6 family with an IPv4-sized address: the body ends early
      {"short ipv6", {.family = 6}, DecodeStatus::kCorrupt},
      // IPv4 family but IPv6-sized address: bytes left over
      {"long ipv4", {.addr_bytes = 16}, DecodeStatus::kCorrupt},
      // a stray byte after the last field
      {"trailing byte", {.trailer = "x"}, DecodeStatus::kCorrupt},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const std::string frame = c.f.Frame();
    JournalRecord got{};
    std::size_t size = 0;
    EXPECT_EQ(DecodeRecord(frame, got, size), c.want);
  }
}

TEST(JournalTest, RejectsImpossibleFrameLengths) {
  struct Case {
    const char* what;
    uint32_t length;
    DecodeStatus want;
  };
  const Case cases[] = {
      // a zero length (zero-filled tail after a crash)
      {"zero", 0, DecodeStatus::kCorrupt},
      // more than the largest record, even with the bytes present
      {"too long", static_cast<uint32_t>(kMaxJournalRecord - 8 + 1), DecodeStatus::kCorrupt},
      // all ones
      {"all ones", 0xffffffffu, DecodeStatus::kCorrupt},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    std::string body(kMaxJournalRecord, '\0');
    std::string frame = BodyBuilder::FrameBody(body);
    for (int i = 0; i < 4; ++i) {
      frame[4 + i] = static_cast<char>(c.length >> (8 * i));
    }
    const uint32_t crc = Crc32c(frame.data() + 4, 4);
    for (int i = 0; i < 4; ++i) {
      frame[i] = static_cast<char>(crc >> (8 * i));
    }
    JournalRecord got{};
    std::size_t size = 0;
    EXPECT_EQ(DecodeRecord(frame, got, size), c.want);
  }
}

TEST(JournalTest, EncodeRefusesWhatDecodeWouldReject) {
  struct Case {
    const char* what = nullptr;
    Owned r;
  };
  const Case cases[] = {
      // empty AOR parts
      {"empty domain", {.domain = ""}},
      {"empty user", {.user = ""}},
      {"empty contact", {.contact = ""}},
      // one byte over each limit
      {"domain 254", {.domain = std::string(254, 'd')}},
      {"user 65", {.user = std::string(kMaxUserLength + 1, 'u')}},
      {"contact 512", {.contact = std::string(kMaxContactLength + 1, 'c')}},
      {"instance 256", {.instance = std::string(kMaxInstanceLength + 1, 'i')}},
      // q between 1000 and kNoQ
      {"q 1001", {.q = 1001}},
      // op and transport outside their enums
      {"op 0", {.op = static_cast<JournalOp>(0)}},
      {"transport 6", {.transport = static_cast<Transport>(6)}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    char buf[2 * kMaxJournalRecord];
    EXPECT_EQ(EncodeRecord(c.r.View(), buf, sizeof(buf)), 0u);
  }
}

bool Inside(std::string_view v, std::string_view in) {
  return v.empty() || (v.data() >= in.data() && v.data() + v.size() <= in.data() + in.size());
}

TEST(JournalTest, RandomInputNeverDecodesOutOfBounds) {
  std::mt19937_64 rng(20240601);
  std::vector<char> valid(kMaxJournalRecord);
  std::vector<Row> rows = Rows();
  uint64_t ok = 0;
  for (int iter = 0; iter < 200000; ++iter) {
    std::string in;
    if (iter % 2 == 0) {
      // Raw random bytes, any length.
      in.resize(rng() % 1400);
      for (char& c : in) {
        c = static_cast<char>(rng());
      }
    } else {
      // A valid body with a few bytes changed, re-framed with a valid checksum: exercises the
      // field checks rather than the checksum.
      const Owned& r = rows[rng() % rows.size()].r;
      const std::size_t n = EncodeRecord(r.View(), valid.data(), valid.size());
      std::string body(valid.data() + 8, n - 8);
      const int changes = 1 + static_cast<int>(rng() % 4);
      for (int k = 0; k < changes; ++k) {
        body[rng() % body.size()] = static_cast<char>(rng());
      }
      if (rng() % 4 == 0) {
        body.resize(rng() % (body.size() + 1) + 1, 'x');
      }
      in = BodyBuilder::FrameBody(body);
    }
    JournalRecord got{};
    std::size_t size = 0;
    if (DecodeRecord(in, got, size) != DecodeStatus::kOk) {
      continue;
    }
    ++ok;
    ASSERT_LE(size, in.size());
    ASSERT_TRUE(Inside(got.domain, in) && Inside(got.user, in) && Inside(got.contact, in) &&
                Inside(got.instance, in));
    // What decodes re-encodes to the same bytes: nothing in a record is ignored.
    std::vector<char> again(kMaxJournalRecord);
    ASSERT_EQ(EncodeRecord(got, again.data(), again.size()), size);
    ASSERT_EQ(std::string_view(again.data(), size), std::string_view(in.data(), size));
  }
  // The mutated half must sometimes still be valid, or the field checks were not reached.
  EXPECT_GT(ok, 1000u);
}

TEST(JournalTest, FileHeadersRoundTripAndReject) {
  char h[kFileHeaderSize];
  uint64_t seq = 0;
  EncodeFileHeader(FileKind::kJournal, 0x0000000300000002ULL, h);
  EXPECT_EQ(std::string_view(h, 4), "SFJ1");
  ASSERT_EQ(DecodeFileHeader(std::string_view(h, sizeof(h)), FileKind::kJournal, seq),
            HeaderStatus::kOk);
  EXPECT_EQ(seq, 0x0000000300000002ULL);
  EXPECT_EQ(DecodeFileHeader(std::string_view(h, sizeof(h)), FileKind::kSnapshot, seq),
            HeaderStatus::kBadMagic);
  EXPECT_EQ(DecodeFileHeader(std::string_view(h, sizeof(h) - 1), FileKind::kJournal, seq),
            HeaderStatus::kShort);
  EncodeFileHeader(FileKind::kSnapshot, 17, h);
  EXPECT_EQ(std::string_view(h, 4), "SFS1");
  ASSERT_EQ(DecodeFileHeader(std::string_view(h, sizeof(h)), FileKind::kSnapshot, seq),
            HeaderStatus::kOk);
  EXPECT_EQ(seq, 17u);
  h[4] = 2;  // version 2
  EXPECT_EQ(DecodeFileHeader(std::string_view(h, sizeof(h)), FileKind::kSnapshot, seq),
            HeaderStatus::kBadVersion);
}

// Bit-at-a-time CRC-32C, the definition both implementations must match.
uint32_t ReferenceCrc32c(const unsigned char* p, std::size_t n) {
  uint32_t c = 0xffffffffu;
  for (std::size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) {
      c = (c & 1) != 0 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    }
  }
  return ~c;
}

TEST(Crc32cTest, MatchesPublishedVectors) {
  std::string zeros(32, '\0');
  std::string ones(32, '\xff');
  std::string up(32, '\0');
  std::string down(32, '\0');
  for (int i = 0; i < 32; ++i) {
    up[i] = static_cast<char>(i);
    down[i] = static_cast<char>(31 - i);
  }
  struct Case {
    const char* what;
    std::string data;
    uint32_t want;
  };
  const Case cases[] = {
      // the check value of the CRC catalogue (CRC-32/ISCSI)
      {"123456789", "123456789", 0xE3069283u},
      // nothing
      {"empty", "", 0u},
      // RFC 3720 appendix B.4: 32 bytes of zeros, of ones, ascending, descending
      {"zeros", zeros, 0x8A9136AAu},
      {"ones", ones, 0x62A8AB43u},
      {"ascending", up, 0x46DD794Eu},
      {"descending", down, 0x113FDB5Cu},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    EXPECT_EQ(Crc32c(c.data.data(), c.data.size()), c.want);
    EXPECT_EQ(Crc32cPortableForTest(c.data.data(), c.data.size()), c.want);
  }
}

TEST(Crc32cTest, BothImplementationsAgreeOnRandomData) {
  std::mt19937_64 rng(7);
  std::vector<unsigned char> data(4096 + 16);
  for (unsigned char& c : data) {
    c = static_cast<unsigned char>(rng());
  }
  for (int iter = 0; iter < 5000; ++iter) {
    // Every alignment and length, including the 8-byte loop's head and tail.
    const std::size_t off = rng() % 16;
    const std::size_t n = iter < 64 ? static_cast<std::size_t>(iter) : rng() % 4096;
    const unsigned char* p = data.data() + off;
    const uint32_t want = ReferenceCrc32c(p, n);
    ASSERT_EQ(Crc32c(p, n), want) << off << " " << n;
    ASSERT_EQ(Crc32cPortableForTest(p, n), want) << off << " " << n;
    // Chaining: two pieces give the same as one.
    const std::size_t split = n == 0 ? 0 : rng() % n;
    ASSERT_EQ(Crc32c(p + split, n - split, Crc32c(p, split)), want);
  }
}

}  // namespace
}  // namespace sipfront::registrar
