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
// Body:                       u8 op, then op-specific fields (journal.cc).
// A file (journal segment or snapshot) starts with a 16-byte header: magic "SFJ1" or "SFS1",
// u32 version (1), u64 sequence (segment) or shard number (snapshot).
//
// A reader stops at the first record whose length runs past the end of the file (torn write)
// or whose checksum fails (corruption); everything before it is intact.
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
  uint16_t q;                 // kNoQ when none
  uint64_t expires_wall;      // unix seconds
  uint64_t updated_wall;      // unix seconds
  uint32_t cseq;
  uint64_t call_id_hash;
  net::Endpoint source;
  Transport transport;
};

// Largest encoded record (framing included): limits on user, domain, contact and instance.
inline constexpr std::size_t kMaxJournalRecord = 8 + 1 + 256 + 1 + kMaxUserLength + 2 +
                                                 kMaxContactLength + 1 + kMaxInstanceLength +
                                                 64;

// Appends one framed record to `out` (capacity `cap`); returns its size, or 0 if it does not fit.
std::size_t EncodeRecord(const JournalRecord& r, char* out, std::size_t cap);

enum class DecodeStatus : uint8_t {
  kOk,
  kEnd,      // no bytes left
  kTorn,     // the record runs past the end of the input
  kCorrupt,  // checksum mismatch or an impossible field
};

// Decodes the record at the start of `in`; on kOk sets `size` to its framed size.
DecodeStatus DecodeRecord(std::string_view in, JournalRecord& out, std::size_t& size);

// CRC-32C (Castagnoli), SSE4.2 instruction where the CPU has it, table otherwise.
uint32_t Crc32c(const void* data, std::size_t n, uint32_t crc = 0);

}  // namespace sipfront::registrar

#endif  // SIPFRONT_REGISTRAR_JOURNAL_H_
