// Journal record codec and CRC-32C. Workers encode one record per binding change, so this is
// fast-path code: no allocation, every length bounded before use.
#include "sipfront/registrar/journal.h"

#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace sipfront::registrar {
namespace {

constexpr std::size_t kFrameHeader = 8;  // crc, length
constexpr std::size_t kMaxBody = kMaxJournalRecord - kFrameHeader;
// Fixed bytes of every body: op, three u8 lengths, the u16 contact length, reg-id.
constexpr std::size_t kCommonFixed = 1 + 1 + 1 + 2 + 1 + 4;
// kSet adds q, expires, updated, cseq, call-id hash, transport, source family.
constexpr std::size_t kSetFixed = 2 + 8 + 8 + 4 + 8 + 1 + 1;
constexpr std::size_t kLongestBody = kCommonFixed + kMaxJournalDomain + kMaxUserLength +
                                     kMaxContactLength + kMaxInstanceLength + kSetFixed + 16 + 2;
static_assert(kLongestBody <= kMaxBody, "kMaxJournalRecord must hold the largest record");
static_assert(kMaxInstanceLength <= 0xff && kMaxUserLength <= 0xff && kMaxJournalDomain <= 0xff,
              "u8 lengths");
static_assert(kMaxContactLength <= 0xffff, "u16 length");

constexpr uint8_t kFamilyNone = 0;
constexpr uint8_t kFamilyV4 = 4;
constexpr uint8_t kFamilyV6 = 6;
constexpr uint16_t kMaxQ = 1000;

// ---- CRC-32C ----
// Written here because neither OpenSSL nor abseil 20220623 (the libraries sipfront links)
// offers CRC-32C; abseil's absl/crc arrived in 20230125.

constexpr uint32_t kCastagnoli = 0x82F63B78u;  // reflected

struct CrcTable {
  uint32_t v[256];
};

constexpr CrcTable MakeCrcTable() {
  CrcTable t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) {
      c = (c & 1) != 0 ? (c >> 1) ^ kCastagnoli : c >> 1;
    }
    t.v[i] = c;
  }
  return t;
}

constexpr CrcTable kCrcTable = MakeCrcTable();

uint32_t PortableUpdate(uint32_t c, const unsigned char* p, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    c = kCrcTable.v[(c ^ p[i]) & 0xff] ^ (c >> 8);
  }
  return c;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t Sse42Update(uint32_t c, const unsigned char* p,
                                                       std::size_t n) {
  while (n > 0 && (reinterpret_cast<uintptr_t>(p) & 7) != 0) {
    c = _mm_crc32_u8(c, *p++);
    --n;
  }
  uint64_t c64 = c;
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    c64 = _mm_crc32_u64(c64, v);
    p += 8;
    n -= 8;
  }
  c = static_cast<uint32_t>(c64);
  while (n > 0) {
    c = _mm_crc32_u8(c, *p++);
    --n;
  }
  return c;
}

bool DetectSse42() {
  __builtin_cpu_init();  // static initialisers may run before libgcc's own
  return __builtin_cpu_supports("sse4.2") != 0;
}

const bool have_sse42 = DetectSse42();
#endif

// ---- little-endian fields ----

void Put16(unsigned char* p, uint16_t v) {
  p[0] = static_cast<unsigned char>(v);
  p[1] = static_cast<unsigned char>(v >> 8);
}

void Put32(unsigned char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    p[i] = static_cast<unsigned char>(v >> (8 * i));
  }
}

void Put64(unsigned char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) {
    p[i] = static_cast<unsigned char>(v >> (8 * i));
  }
}

uint32_t Get32(const unsigned char* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

uint64_t Get64(const unsigned char* p) {
  return static_cast<uint64_t>(Get32(p)) | static_cast<uint64_t>(Get32(p + 4)) << 32;
}

class Writer {
 public:
  explicit Writer(unsigned char* p) : p_(p) {}
  void U8(uint8_t v) { *p_++ = v; }
  void U16(uint16_t v) {
    Put16(p_, v);
    p_ += 2;
  }
  void U32(uint32_t v) {
    Put32(p_, v);
    p_ += 4;
  }
  void U64(uint64_t v) {
    Put64(p_, v);
    p_ += 8;
  }
  void Bytes(const void* s, std::size_t n) {
    if (n != 0) {
      std::memcpy(p_, s, n);
    }
    p_ += n;
  }

 private:
  unsigned char* p_;
};

// Bounds-checked reads: each returns false (and reads nothing) past the end.
class Reader {
 public:
  Reader(const unsigned char* p, std::size_t n) : p_(p), end_(p + n) {}
  [[nodiscard]] bool U8(uint8_t& v) {
    if (end_ - p_ < 1) {
      return false;
    }
    v = *p_++;
    return true;
  }
  [[nodiscard]] bool U16(uint16_t& v) {
    if (end_ - p_ < 2) {
      return false;
    }
    v = static_cast<uint16_t>(p_[0] | p_[1] << 8);
    p_ += 2;
    return true;
  }
  [[nodiscard]] bool U32(uint32_t& v) {
    if (end_ - p_ < 4) {
      return false;
    }
    v = Get32(p_);
    p_ += 4;
    return true;
  }
  [[nodiscard]] bool U64(uint64_t& v) {
    if (end_ - p_ < 8) {
      return false;
    }
    v = Get64(p_);
    p_ += 8;
    return true;
  }
  [[nodiscard]] bool Bytes(std::size_t n, const unsigned char*& out) {
    if (static_cast<std::size_t>(end_ - p_) < n) {
      return false;
    }
    out = p_;
    p_ += n;
    return true;
  }
  [[nodiscard]] bool View(std::size_t n, std::string_view& out) {
    const unsigned char* s = nullptr;
    if (!Bytes(n, s)) {
      return false;
    }
    out = std::string_view(reinterpret_cast<const char*>(s), n);
    return true;
  }
  [[nodiscard]] bool AtEnd() const { return p_ == end_; }

 private:
  const unsigned char* p_;
  const unsigned char* end_;
};

bool ValidOp(JournalOp op) {
  return op == JournalOp::kSet || op == JournalOp::kRemove || op == JournalOp::kExpire;
}

bool ValidTransport(uint8_t t) { return t <= static_cast<uint8_t>(Transport::kWss); }

bool ValidQ(uint16_t q) { return q <= kMaxQ || q == kNoQ; }

constexpr char kJournalMagic[4] = {'S', 'F', 'J', '1'};
constexpr char kSnapshotMagic[4] = {'S', 'F', 'S', '1'};

}  // namespace

uint32_t Crc32c(const void* data, std::size_t n, uint32_t crc) {
  const auto* p = static_cast<const unsigned char*>(data);
#if defined(__x86_64__)
  if (have_sse42) {
    return ~Sse42Update(~crc, p, n);
  }
#endif
  return ~PortableUpdate(~crc, p, n);
}

uint32_t Crc32cPortableForTest(const void* data, std::size_t n, uint32_t crc) {
  return ~PortableUpdate(~crc, static_cast<const unsigned char*>(data), n);
}

std::size_t EncodeRecord(const JournalRecord& r, char* out, std::size_t cap) {
  if (!ValidOp(r.op) || r.domain.empty() || r.domain.size() > kMaxJournalDomain || r.user.empty() ||
      r.user.size() > kMaxUserLength || r.contact.empty() || r.contact.size() > kMaxContactLength ||
      r.instance.size() > kMaxInstanceLength) {
    return 0;
  }
  std::size_t body =
      kCommonFixed + r.domain.size() + r.user.size() + r.contact.size() + r.instance.size();
  uint8_t family = kFamilyNone;
  if (r.op == JournalOp::kSet) {
    if (!ValidQ(r.q) || !ValidTransport(static_cast<uint8_t>(r.transport))) {
      return 0;
    }
    body += kSetFixed;
    if (r.source.IsV4()) {
      family = kFamilyV4;
      body += 4 + 2;
    } else if (r.source.IsV6()) {
      family = kFamilyV6;
      body += 16 + 2;
    }
  }
  if (cap < kFrameHeader || cap - kFrameHeader < body) {
    return 0;
  }
  auto* frame = reinterpret_cast<unsigned char*>(out);
  Writer w(frame + kFrameHeader);
  w.U8(static_cast<uint8_t>(r.op));
  w.U8(static_cast<uint8_t>(r.domain.size()));
  w.Bytes(r.domain.data(), r.domain.size());
  w.U8(static_cast<uint8_t>(r.user.size()));
  w.Bytes(r.user.data(), r.user.size());
  w.U16(static_cast<uint16_t>(r.contact.size()));
  w.Bytes(r.contact.data(), r.contact.size());
  w.U8(static_cast<uint8_t>(r.instance.size()));
  w.Bytes(r.instance.data(), r.instance.size());
  w.U32(r.reg_id);
  if (r.op == JournalOp::kSet) {
    w.U16(r.q);
    w.U64(r.expires_wall);
    w.U64(r.updated_wall);
    w.U32(r.cseq);
    w.U64(r.call_id_hash);
    w.U8(static_cast<uint8_t>(r.transport));
    w.U8(family);
    if (family == kFamilyV4) {
      w.Bytes(&r.source.addr.v4.sin_addr, 4);
      w.U16(r.source.port());
    } else if (family == kFamilyV6) {
      w.Bytes(&r.source.addr.v6.sin6_addr, 16);
      w.U16(r.source.port());
    }
  }
  Put32(frame + 4, static_cast<uint32_t>(body));
  Put32(frame, Crc32c(frame + 4, 4 + body));
  return kFrameHeader + body;
}

DecodeStatus DecodeRecord(std::string_view in, JournalRecord& out, std::size_t& size) {
  if (in.empty()) {
    return DecodeStatus::kEnd;
  }
  if (in.size() < kFrameHeader) {
    return DecodeStatus::kTorn;
  }
  const auto* frame = reinterpret_cast<const unsigned char*>(in.data());
  const uint32_t crc = Get32(frame);
  const uint32_t len = Get32(frame + 4);
  if (len == 0 || len > kMaxBody) {
    return DecodeStatus::kCorrupt;
  }
  if (len > in.size() - kFrameHeader) {
    return DecodeStatus::kTorn;
  }
  if (Crc32c(frame + 4, 4 + static_cast<std::size_t>(len)) != crc) {
    return DecodeStatus::kCorrupt;
  }

  Reader r(frame + kFrameHeader, len);
  uint8_t op = 0;
  uint8_t domain_len = 0;
  uint8_t user_len = 0;
  uint16_t contact_len = 0;
  uint8_t instance_len = 0;
  if (!r.U8(op) || !ValidOp(static_cast<JournalOp>(op)) || !r.U8(domain_len) || domain_len == 0 ||
      domain_len > kMaxJournalDomain || !r.View(domain_len, out.domain) || !r.U8(user_len) ||
      user_len == 0 || user_len > kMaxUserLength || !r.View(user_len, out.user) ||
      !r.U16(contact_len) || contact_len == 0 || contact_len > kMaxContactLength ||
      !r.View(contact_len, out.contact) || !r.U8(instance_len) ||
      instance_len > kMaxInstanceLength || !r.View(instance_len, out.instance) ||
      !r.U32(out.reg_id)) {
    return DecodeStatus::kCorrupt;
  }
  out.op = static_cast<JournalOp>(op);
  out.q = kNoQ;
  out.expires_wall = 0;
  out.updated_wall = 0;
  out.cseq = 0;
  out.call_id_hash = 0;
  out.source = net::Endpoint{};
  out.transport = Transport::kUdp;
  if (out.op == JournalOp::kSet) {
    uint8_t transport = 0;
    uint8_t family = 0;
    if (!r.U16(out.q) || !ValidQ(out.q) || !r.U64(out.expires_wall) || !r.U64(out.updated_wall) ||
        !r.U32(out.cseq) || !r.U64(out.call_id_hash) || !r.U8(transport) ||
        !ValidTransport(transport) || !r.U8(family)) {
      return DecodeStatus::kCorrupt;
    }
    out.transport = static_cast<Transport>(transport);
    const unsigned char* addr = nullptr;
    uint16_t port = 0;
    if (family == kFamilyV4) {
      if (!r.Bytes(4, addr) || !r.U16(port)) {
        return DecodeStatus::kCorrupt;
      }
      out.source.addr.v4.sin_family = AF_INET;
      std::memcpy(&out.source.addr.v4.sin_addr, addr, 4);
      out.source.len = sizeof(sockaddr_in);
      out.source.set_port(port);
    } else if (family == kFamilyV6) {
      if (!r.Bytes(16, addr) || !r.U16(port)) {
        return DecodeStatus::kCorrupt;
      }
      out.source.addr.v6.sin6_family = AF_INET6;
      std::memcpy(&out.source.addr.v6.sin6_addr, addr, 16);
      out.source.len = sizeof(sockaddr_in6);
      out.source.set_port(port);
    } else if (family != kFamilyNone) {
      return DecodeStatus::kCorrupt;
    }
  }
  if (!r.AtEnd()) {
    return DecodeStatus::kCorrupt;
  }
  size = kFrameHeader + len;
  return DecodeStatus::kOk;
}

void EncodeFileHeader(FileKind kind, uint64_t sequence, char* out) {
  std::memcpy(out, kind == FileKind::kJournal ? kJournalMagic : kSnapshotMagic, 4);
  auto* p = reinterpret_cast<unsigned char*>(out);
  Put32(p + 4, kFileVersion);
  Put64(p + 8, sequence);
}

HeaderStatus DecodeFileHeader(std::string_view in, FileKind kind, uint64_t& sequence) {
  if (in.size() < kFileHeaderSize) {
    return HeaderStatus::kShort;
  }
  if (std::memcmp(in.data(), kind == FileKind::kJournal ? kJournalMagic : kSnapshotMagic, 4) != 0) {
    return HeaderStatus::kBadMagic;
  }
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  if (Get32(p + 4) != kFileVersion) {
    return HeaderStatus::kBadVersion;
  }
  sequence = Get64(p + 8);
  return HeaderStatus::kOk;
}

}  // namespace sipfront::registrar
