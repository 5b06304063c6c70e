// sipfront/registrar/journal.h — what survives a restart: journal records and snapshots.
//
// Every binding change a worker makes (set: a binding added or refreshed, with its full state;
// remove; expire) is encoded as one self-contained record and appended to that worker's
// journal. A record names its AOR by domain *name* and unescaped user (domain ids follow the
// configuration and may change between runs) and carries absolute wall-clock times, so it
// means the same thing after a restart. Replay is idempotent: a set overwrites whatever
// binding it matches (RFC 3261 §19.1.4 URI equivalence, or +sip.instance and reg-id), a
// remove of an absent binding does nothing; so a snapshot taken while changes continue
// ("fuzzy"), followed by every journal record written after the snapshot began, rebuilds the
// exact state.
//
// Framing (little-endian):   u32 crc32c(length ‖ body)   u32 length   body[length]
// Body (all integers little-endian; strings are raw bytes, no terminator):
//   u8 op
//   u8 domain length (1..253)         domain
//   u8 user length (1..kMaxUserLength) user
//   u16 contact length (1..kMaxContactLength) contact
//   u8 instance length (0..kMaxInstanceLength) instance
//   u32 reg-id
//   kSet only:
//     u16 q (0..1000 or kNoQ)   u64 expires_wall   u64 updated_wall   u32 cseq
//     u64 call_id_hash          u8 transport (Transport)
//     u8 source family (0 unset, 4 IPv4, 6 IPv6), then 4 or 16 address bytes (network
//     order) and u16 port for 4 and 6
// The body ends exactly there: a length that disagrees is corruption. A typical kSet record
// (E.164 user, IPv4 contact and source, no instance) is about 125 bytes.
//
// A file (journal segment or snapshot) starts with a 16-byte header: magic "SFJ1" or "SFS1",
// u32 version (1), u64 sequence: (epoch << 32) | rotation for a segment (informational: the
// file name is authoritative), the shard number for a snapshot.
//
// A reader stops at the first record whose length runs past the end of the file (torn write)
// or whose checksum fails or whose fields are impossible (corruption); everything before it is
// intact.
//
// Threading: the codec functions are pure. Lifetime: decoded views point into the input.
#ifndef SIPFRONT_REGISTRAR_JOURNAL_H_
#define SIPFRONT_REGISTRAR_JOURNAL_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sipfront/net/endpoint.h"
#include "sipfront/registrar/binding_table.h"

namespace sipfront::registrar {

enum class JournalOp : uint8_t {
  kSet = 1,     // add or refresh: the binding's full state
  kRemove = 2,  // removed by a REGISTER (expires=0, Contact *, replaced as oldest)
  kExpire = 3,  // removed by the timer wheel
};

// One binding, as a journal record carries it.
struct JournalRecord {
  JournalOp op;
  std::string_view domain;    // lower-case domain name
  std::string_view user;      // unescaped AOR user
  std::string_view contact;   // contact URI as registered
  std::string_view instance;  // +sip.instance, quotes kept; "" when none
  uint32_t reg_id;
  // kSet only:
  uint16_t q;             // kNoQ when none
  uint64_t expires_wall;  // unix seconds
  uint64_t updated_wall;  // unix seconds
  uint32_t cseq;
  uint64_t call_id_hash;
  net::Endpoint source;
  Transport transport;
};

// Longest domain name a record carries (RFC 1035).
inline constexpr std::size_t kMaxJournalDomain = 253;

// Largest encoded record (framing included): limits on user, domain, contact and instance.
inline constexpr std::size_t kMaxJournalRecord =
    8 + 1 + 256 + 1 + kMaxUserLength + 2 + kMaxContactLength + 1 + kMaxInstanceLength + 64;

// Writes one framed record to `out` (capacity `cap`); returns its size, or 0 if it does not fit
// or a field is outside what DecodeRecord accepts (empty or over-long domain, user or contact,
// over-long instance, q above 1000 other than kNoQ, unknown op or transport). Never allocates.
std::size_t EncodeRecord(const JournalRecord& r, char* out, std::size_t cap);

enum class DecodeStatus : uint8_t {
  kOk,
  kEnd,      // no bytes left
  kTorn,     // the record runs past the end of the input
  kCorrupt,  // checksum mismatch or an impossible field
};

// Decodes the record at the start of `in`; on kOk sets `size` to its framed size and `out` to
// views into `in` (kRemove/kExpire: the kSet-only fields are zero, q kNoQ, source unset).
// Every length is checked against the bytes left and the limits above before it is used, so
// any input is safe. kTorn: fewer than 8 bytes, or a plausible length running past `in`;
// kCorrupt: a length of 0 or above kMaxJournalRecord - 8, a checksum mismatch, or an
// impossible field. `out` and `size` are unspecified unless kOk.
DecodeStatus DecodeRecord(std::string_view in, JournalRecord& out, std::size_t& size);

// File headers.
inline constexpr std::size_t kFileHeaderSize = 16;
inline constexpr uint32_t kFileVersion = 1;
enum class FileKind : uint8_t {
  kJournal,   // "SFJ1"
  kSnapshot,  // "SFS1"
};
enum class HeaderStatus : uint8_t {
  kOk,
  kShort,       // fewer than kFileHeaderSize bytes
  kBadMagic,    // not this kind of file
  kBadVersion,  // right magic, version other than kFileVersion (written by another release)
};
void EncodeFileHeader(FileKind kind, uint64_t sequence, char* out /* kFileHeaderSize */);
HeaderStatus DecodeFileHeader(std::string_view in, FileKind kind, uint64_t& sequence);

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78, pre- and post-inverted as in RFC 3720
// and ext4), with the SSE4.2 crc32 instruction where the CPU has it, a table otherwise.
// Chains: Crc32c(b, nb, Crc32c(a, na)) == Crc32c(a ‖ b).
uint32_t Crc32c(const void* data, std::size_t n, uint32_t crc = 0);
// The table implementation alone, so tests can compare both.
uint32_t Crc32cPortableForTest(const void* data, std::size_t n, uint32_t crc = 0);

}  // namespace sipfront::registrar

#endif  // SIPFRONT_REGISTRAR_JOURNAL_H_
