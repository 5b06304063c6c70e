// sipfront/registrar/binding_table.h — one shard of the location service: AOR -> contacts.
//
// A BindingTable holds the bindings of the AORs that hash to its shard. It is sized once, at
// construction, for a number of AORs and bindings; nothing grows afterwards: a full table makes
// the REGISTER fail with 503, never reallocates.
//
// Layout (docs/architecture.md "Binding tables" has the figures):
//   * index: open addressing, linear probing, backward-shift deletion; 8-byte slots holding
//     32 bits of the AOR hash (a tag) and the AOR record number; sized for a load of 0.8 with
//     Lemire's multiply-shift range reduction (no power-of-two rounding).
//   * AOR records, 48 bytes: full hash, user (inline up to 19 bytes, else in the arena), domain
//     id, binding count, first binding, fingerprint of the last applied REGISTER.
//   * bindings, 64 bytes: a typical contact ("sip:USER@IPv4[:port][;transport=x]" with USER the
//     AOR's own user) and an IPv4 source are stored in binary; anything else (other contact
//     forms, IPv6 sources, +sip.instance) goes into an extension record in the arena.
//   * arena: power-of-two size classes (32..1024 bytes) with free lists, bump-allocated.
//   * expiry: a timer wheel with one-second slots, intrusive doubly linked lists through the
//     bindings; the owner advances it between batches.
//
// Threading: exactly one writer (the shard's owning worker) calls the mutating functions.
// Readers on other threads call Lookup(), which copies an AOR's bindings under a per-table
// seqlock and retries while a write is in progress: no locks, no allocation. All storage is
// allocated at construction and freed only by the destructor, so a racing reader never
// touches unmapped memory; it only discards torn copies.
#ifndef SIPFRONT_REGISTRAR_BINDING_TABLE_H_
#define SIPFRONT_REGISTRAR_BINDING_TABLE_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "sipfront/base/compiler.h"
#include "sipfront/base/hash.h"
#include "sipfront/net/endpoint.h"
#include "sipfront/sip/uri.h"

namespace sipfront::registrar {

inline constexpr uint32_t kNil = 0xffffffffu;

// Limits on what one binding stores (larger is rejected before reaching the table).
inline constexpr std::size_t kMaxUserLength = 64;
inline constexpr std::size_t kMaxContactLength = 511;
inline constexpr std::size_t kMaxInstanceLength = 255;
inline constexpr uint16_t kNoQ = 0xffff;
// User-Agent strings are interned per table (a deployment sees tens of phone models and
// firmware versions): at most this many distinct ones, each cut to this many bytes. They are
// informational (the API's Registrations), not journaled: after a restart a binding shows its
// User-Agent again from its next refresh.
inline constexpr uint32_t kMaxUserAgents = 1023;
inline constexpr std::size_t kMaxUserAgentLength = 119;

// The canonical address-of-record: provisioned domain id and unescaped user part
// (RFC 3261 §10.3 step 5). `hash` is Hash64 over domain id and user under the deployment key.
struct AorKey {
  uint16_t domain;
  std::string_view user;
  uint64_t hash;
};

// The AOR key of (domain id, unescaped user): Hash64 over the domain id big-endian in front of
// the user, under the deployment key. The registrar, recovery and the API's Registrations
// reader must all agree on it. `user` at most kMaxUserLength bytes (longer: hashed cut).
[[nodiscard]] inline AorKey MakeAorKey(uint16_t domain, std::string_view user, const HashKey& key) {
  char buf[kMaxUserLength + 2];
  const std::size_t n = user.size() < kMaxUserLength ? user.size() : kMaxUserLength;
  buf[0] = static_cast<char>(domain >> 8);
  buf[1] = static_cast<char>(domain & 0xff);
  for (std::size_t i = 0; i < n; ++i) {
    buf[2 + i] = user[i];
  }
  return AorKey{domain, user, Hash64(std::string_view(buf, n + 2), key)};
}

// Transport a binding was registered over (the source of the REGISTER).
enum class Transport : uint8_t { kUdp = 0, kTcp, kTls, kSctp, kWs, kWss };

// A binding as the writer supplies it.
struct BindingData {
  std::string_view contact;     // contact URI as on the wire (no <>)
  const sip::Uri* contact_uri;  // parsed form of `contact`
  std::string_view instance;    // +sip.instance value as on the wire (quotes kept), or ""
  uint32_t reg_id;              // 0: none
  uint16_t q;                   // 0..1000, or kNoQ
  uint32_t expires_at;          // monotonic seconds
  uint32_t cseq;
  uint64_t call_id_hash;
  net::Endpoint source;  // where the REGISTER came from (received/rport)
  Transport transport;
  std::string_view user_agent = {};  // the REGISTER's User-Agent, or ""
};

// A binding as readers see it: a self-contained copy.
struct BindingCopy {
  char contact[kMaxContactLength];
  uint16_t contact_len;
  char instance[kMaxInstanceLength];
  uint8_t instance_len;
  uint32_t reg_id;
  uint16_t q;
  uint32_t expires_at;
  uint32_t updated_at;
  uint32_t cseq;
  uint64_t call_id_hash;
  net::Endpoint source;
  Transport transport;
  char user_agent[kMaxUserAgentLength];
  uint8_t user_agent_len;

  [[nodiscard]] std::string_view contact_view() const { return {contact, contact_len}; }
  [[nodiscard]] std::string_view user_agent_view() const { return {user_agent, user_agent_len}; }
  [[nodiscard]] std::string_view instance_view() const { return {instance, instance_len}; }
};

struct TableOptions {
  uint32_t aor_capacity = 1024;
  uint32_t binding_capacity = 1024;
  std::size_t arena_bytes = 64 * 1024;  // for extension records and long users
  uint32_t max_expires = 3600;          // sizes the timer wheel (slots > max_expires)
};

// Options for one of `shards` tables sharing `max_bindings` (AORs are spread by hash, so
// each table gets its share plus six standard deviations of the binomial spread: at 100M
// over 16 shards that is 0.24% headroom, at 1M 1%).
[[nodiscard]] TableOptions SizeForShare(uint64_t max_bindings, uint32_t shards,
                                        uint32_t max_expires);

struct TableCounters {
  uint64_t aors = 0;              // live AORs
  uint64_t bindings = 0;          // live bindings
  uint64_t expired = 0;           // bindings removed by the wheel
  uint64_t full = 0;              // inserts refused for lack of space
  uint64_t user_agents_full = 0;  // User-Agents not stored: kMaxUserAgents distinct ones seen
};

class BindingTable {
 public:
  explicit BindingTable(const TableOptions& options);
  ~BindingTable();
  BindingTable(const BindingTable&) = delete;
  BindingTable& operator=(const BindingTable&) = delete;

  // ---- writer API (owning worker only) ----

  // Record number of the AOR, or kNil.
  [[nodiscard]] uint32_t FindAor(const AorKey& key) const;
  // Creates an empty AOR; kNil when the table is full.
  [[nodiscard]] uint32_t CreateAor(const AorKey& key);
  // Removes an AOR that has no bindings left.
  void RemoveAorIfEmpty(uint32_t aor);

  // Bindings of an AOR: First() then Next() until kNil.
  [[nodiscard]] uint32_t First(uint32_t aor) const;
  [[nodiscard]] uint32_t Next(uint32_t binding) const;
  [[nodiscard]] uint32_t BindingCount(uint32_t aor) const;

  // Fingerprint of the last REGISTER applied to the AOR (0: none), to recognise
  // retransmissions (RFC 3261 §17.2.3 key: Call-ID, CSeq, branch).
  [[nodiscard]] uint64_t LastRequest(uint32_t aor) const;
  void SetLastRequest(uint32_t aor, uint64_t fingerprint);

  // Reading one binding (writer side, no seqlock needed).
  [[nodiscard]] uint32_t ExpiresAt(uint32_t binding) const;
  [[nodiscard]] uint32_t UpdatedAt(uint32_t binding) const;
  [[nodiscard]] uint32_t CSeqOf(uint32_t binding) const;
  [[nodiscard]] uint64_t CallIdHash(uint32_t binding) const;
  // Whether binding `b` is the one `contact` (RFC 3261 §10.3 step 7 / RFC 5626 §6): by
  // +sip.instance and reg-id when the request carries an instance, else by URI equivalence.
  [[nodiscard]] bool Matches(uint32_t b, const sip::Uri& contact, std::string_view instance,
                             uint32_t reg_id) const;
  // NAT keepalives (writer side): binding slots are 0..BindingSlots()-1, Live() tells the
  // used ones. BehindNat: the contact's address is not the REGISTER's source (or cannot be
  // compared). Keepalive misses count unanswered pings since the last refresh or answer;
  // they are not journaled (a restart starts them again at 0).
  [[nodiscard]] uint32_t BindingSlots() const { return high_binding_; }
  [[nodiscard]] bool Live(uint32_t b) const;
  [[nodiscard]] bool BehindNat(uint32_t b) const;
  [[nodiscard]] Transport SourceTransport(uint32_t b) const;
  [[nodiscard]] net::Endpoint SourceOf(uint32_t b) const;
  [[nodiscard]] uint8_t KeepaliveMisses(uint32_t b) const;
  void SetKeepaliveMisses(uint32_t b, uint8_t n);

  // Copies binding `b` (for responses, journals and tests).
  void Copy(uint32_t b, BindingCopy& out) const;
  // The AOR a binding belongs to, and that AOR's domain id and user (writer side).
  [[nodiscard]] uint32_t AorOfBinding(uint32_t b) const;
  [[nodiscard]] uint16_t DomainOf(uint32_t aor) const;
  [[nodiscard]] std::string_view User(uint32_t aor) const { return UserOf(aor); }

  // Mutations. Insert returns kNil and Update false when the table or the arena is full
  // (nothing changed then). `now` is the monotonic second recorded as the update time.
  // CanApply tells beforehand whether `new_bindings` more bindings, `new_aors` more AORs and
  // the arena allocations gathered in `need` (AddNeed for each Insert/Update, AddUserNeed for
  // a new AOR) are available, so a REGISTER is applied all or nothing (RFC 3261 §10.3 step 7).
  struct ArenaNeed {
    uint32_t per_class[6] = {};
  };
  static void AddNeed(const BindingData& d, ArenaNeed& need);
  static void AddUserNeed(std::string_view user, ArenaNeed& need);
  [[nodiscard]] bool CanApply(uint32_t new_aors, uint32_t new_bindings,
                              const ArenaNeed& need) const;
  [[nodiscard]] uint32_t Insert(uint32_t aor, const BindingData& d, uint32_t now);
  [[nodiscard]] bool Update(uint32_t b, const BindingData& d, uint32_t now);
  void Remove(uint32_t b);

  // Seqlock brackets around a group of mutations that readers must see all or nothing of.
  void BeginWrite();
  void EndWrite();

  // Advances the timer wheel to `now` and removes every binding whose time is <= now (and
  // its AOR when it was the last); returns how many. Calls on_expire(binding) before each
  // removal (journal, logs). Each removal is its own seqlock write.
  template <class F>
  uint32_t Expire(uint32_t now, F&& on_expire);

  [[nodiscard]] const TableCounters& counters() const { return counters_; }
  // Bytes of memory reserved for this table.
  [[nodiscard]] std::size_t MemoryBytes() const;
  // The index and the AOR and binding arrays: what start-up pre-faults (base/memory.h). The
  // arena (long users, extension records) and the timer wheel fault in on use.
  struct Region {
    void* base;
    std::size_t bytes;
  };
  [[nodiscard]] std::array<Region, 3> HotRegions() const;

  // ---- reader API (any thread) ----

  // Copies up to `max` bindings of the AOR into `out`; returns how many (0: unknown AOR).
  // Lock-free: retries while the writer is inside BeginWrite/EndWrite.
  uint32_t Lookup(const AorKey& key, BindingCopy* out, uint32_t max) const;

  // One live AOR as ForEachAor delivers it: views into reader-side storage, valid during the
  // callback only.
  struct AorView {
    uint16_t domain;
    std::string_view user;
    const BindingCopy* bindings;
    uint32_t count;
  };
  // Calls f(const AorView&) for every live AOR (snapshots). Each AOR is read consistently
  // under the seqlock; changes made while the walk runs may or may not be seen. `scratch`
  // holds `max` copies (an AOR with more bindings is cut at `max`). Returns the AORs visited.
  template <class F>
  uint64_t ForEachAor(F&& f, BindingCopy* scratch, uint32_t max) const;

 private:
  struct Aor;
  struct Binding;

  [[nodiscard]] uint32_t ProbeStart(uint64_t hash) const;
  [[nodiscard]] bool AorEquals(uint32_t aor, const AorKey& key) const;
  [[nodiscard]] uint32_t FindAorUnsynchronized(const AorKey& key) const;
  void IndexErase(uint32_t slot);
  void WheelLink(uint32_t b);
  void WheelUnlink(uint32_t b);
  void FreeBindingStorage(uint32_t b);
  bool Encode(uint32_t b, const BindingData& d, uint32_t aor);
  uint16_t InternUserAgent(std::string_view ua);
  void Decode(uint32_t b, BindingCopy& out) const;
  std::string_view UserOf(uint32_t aor) const;
  uint32_t ArenaAlloc(std::size_t bytes);
  void ArenaFree(uint32_t ref);
  char* ArenaPtr(uint32_t ref);
  const char* ArenaPtr(uint32_t ref) const;
  uint32_t ExpireSlot(uint32_t now);
  void RemoveExpired(uint32_t b);
  // Reads AOR `aor` consistently into `user_out`/`scratch`; false when it is free.
  bool ReadAor(uint32_t aor, char* user_out, AorView& view, BindingCopy* scratch,
               uint32_t max) const;

  TableOptions options_;
  uint32_t index_slots_;
  uint64_t* index_;  // (tag << 32) | (aor + 1); 0 = empty
  Aor* aors_;
  Binding* bindings_;
  char* arena_;
  uint32_t free_aor_;
  uint32_t free_binding_;
  std::atomic<uint32_t> high_aor_{0};  // records below these have been used at least once
  uint32_t high_binding_ = 0;
  uint32_t arena_top_;  // bump pointer, 16-byte units
  uint32_t arena_units_;
  uint32_t arena_free_[6] = {};
  struct UserAgent {
    uint64_t hash;
    uint8_t len;
    char text[kMaxUserAgentLength];
  };
  UserAgent* user_agents_;      // entry id-1 for id 1..kMaxUserAgents; never rewritten
  uint16_t* user_agent_index_;  // open addressing over ids, 2 * (kMaxUserAgents + 1)
  std::atomic<uint32_t> user_agent_count_{0};  // entries published (release) to readers        //
                                               // free-list heads per size class 32..1024
  uint32_t arena_free_count_[6] = {};          // chunks on each free list
  uint32_t* wheel_;
  uint32_t wheel_mask_;
  uint32_t wheel_now_;  // last second the wheel was advanced to
  TableCounters counters_;
  alignas(kCacheLine) std::atomic<uint64_t> version_{0};
};

template <class F>
uint32_t BindingTable::Expire(uint32_t now, F&& on_expire) {
  uint32_t n = 0;
  if (wheel_now_ == 0) {
    wheel_now_ = now;
  }
  // Bounded catch-up: after a stall longer than the wheel, one lap covers every slot.
  uint32_t steps = now - wheel_now_;
  if (steps > wheel_mask_ + 1) {
    steps = wheel_mask_ + 1;
    wheel_now_ = now - steps;
  }
  for (uint32_t i = 0; i < steps; ++i) {
    ++wheel_now_;
    uint32_t b;
    while ((b = ExpireSlot(wheel_now_)) != kNil) {
      on_expire(b);
      RemoveExpired(b);
      ++n;
    }
  }
  return n;
}

template <class F>
uint64_t BindingTable::ForEachAor(F&& f, BindingCopy* scratch, uint32_t max) const {
  const uint32_t high = high_aor_.load(std::memory_order_acquire);
  char user[kMaxUserLength];
  uint64_t visited = 0;
  for (uint32_t aor = 0; aor < high; ++aor) {
    AorView view{};
    if (ReadAor(aor, user, view, scratch, max)) {
      f(static_cast<const AorView&>(view));
      ++visited;
    }
  }
  return visited;
}

}  // namespace sipfront::registrar

#endif  // SIPFRONT_REGISTRAR_BINDING_TABLE_H_
