#include "sipfront/registrar/binding_table.h"

#include <cmath>
#include <cstring>

#include <arpa/inet.h>

#include "sipfront/base/check.h"
#include "sipfront/base/memory.h"

namespace sipfront::registrar {

// 48 bytes: see the header's layout notes.
struct BindingTable::Aor {
  uint64_t hash;
  uint64_t last_request;
  uint32_t first;     // first binding, kNil when none
  uint32_t user_ref;  // arena record holding the user when user_len > kInlineUser; free-list link
  uint16_t domain;
  uint16_t count;
  uint8_t user_len;
  char user[19];
};

// 64 bytes, one cache line.
struct BindingTable::Binding {
  uint32_t next;  // next binding of the AOR; free-list link
  uint32_t aor;
  uint32_t wheel_prev;
  uint32_t wheel_next;
  uint32_t expires_at;
  uint32_t updated_at;
  uint32_t cseq;
  uint32_t ext;  // arena record, kNil when none
  uint64_t call_id_hash;
  uint32_t contact_ip4;   // network order (compact contacts)
  uint32_t source_ip4;    // network order (IPv4 sources)
  uint16_t contact_port;  // 0: no port in the URI
  uint16_t source_port;
  uint16_t q;
  uint8_t flags;
  uint8_t contact_transport;  // ;transport= of a compact contact (TransportParam)
  uint8_t source_transport;
  uint8_t reg_id;            // 0: none; kRegIdInExt: in the extension record
  uint8_t keepalive_misses;  // NAT keepalives unanswered since the last refresh (not journaled)
  uint8_t pad;
  uint16_t user_agent;  // interned User-Agent id (0: none; not journaled)
};

namespace {

constexpr std::size_t kInlineUser = 19;
constexpr uint8_t kRegIdInExt = 255;

enum Flags : uint8_t {
  kCompactContact = 1 << 0,
  kSourceV6 = 1 << 1,
  kHasInstance = 1 << 2,
  kBehindNat = 1 << 3,  // the contact's address is not where the REGISTER came from
  kFree = 1 << 7,       // on the free list
};

// The address of a host the URI parser found to be a dotted quad (HostKind::kIPv4), in network
// order. False for an octet with a leading zero, which inet_pton refuses too (it may be meant
// as octal).
bool DottedQuad(std::string_view host, uint32_t& ip) {
  uint32_t addr = 0;
  uint32_t octet = 0;
  uint32_t leading_zero = 0;  // an octet of two or more digits started with '0'
  const char* octet_start = host.data();
  const char* const end = host.data() + host.size();
  for (const char* p = host.data(); p < end; ++p) {
    if (*p == '.') {
      leading_zero |= static_cast<uint32_t>(p - octet_start > 1 && *octet_start == '0');
      addr = addr << 8 | octet;
      octet = 0;
      octet_start = p + 1;
    } else {
      octet = octet * 10 + static_cast<uint32_t>(*p - '0');
    }
  }
  leading_zero |= static_cast<uint32_t>(end - octet_start > 1 && *octet_start == '0');
  ip = htonl(addr << 8 | octet);
  return leading_zero == 0;
}

// Whether the contact names the REGISTER's source address and port (no NAT in between).
// Contacts with a host name or without a parsed form count as behind NAT only when their
// transport is datagram-based and cannot be compared: keepalives then keep the mapping open.
bool SameAsSource(const sip::Uri* uri, const net::Endpoint& source) {
  if (uri == nullptr || uri->host.empty()) {
    return false;
  }
  const uint16_t port = uri->has_port ? uri->port : uint16_t{5060};
  if (uri->host_kind == sip::HostKind::kIPv4) {
    uint32_t ip = 0;
    return source.IsV4() && DottedQuad(uri->host, ip) && ip == source.addr.v4.sin_addr.s_addr &&
           port == source.port();
  }
  std::string_view host = uri->host;
  if (host.front() == '[' && host.size() > 2) {
    host = host.substr(1, host.size() - 2);
  }
  char text[64];
  if (host.size() >= sizeof(text)) {
    return false;
  }
  std::memcpy(text, host.data(), host.size());
  text[host.size()] = '\0';
  if (source.IsV4()) {
    in_addr a;
    return inet_pton(AF_INET, text, &a) == 1 && a.s_addr == source.addr.v4.sin_addr.s_addr &&
           port == source.port();
  }
  if (source.IsV6()) {
    in6_addr a;
    return inet_pton(AF_INET6, text, &a) == 1 &&
           std::memcmp(&a, &source.addr.v6.sin6_addr, 16) == 0 && port == source.port();
  }
  return false;
}

// ;transport= values a compact contact can carry.
constexpr std::string_view kTransportParams[] = {"", "udp", "tcp", "tls", "sctp", "ws", "wss"};

// Extension record header; followed by [16-byte IPv6 source] [contact] [instance].
struct ExtHeader {
  uint8_t size_class;
  uint8_t instance_len;
  uint16_t contact_len;
  uint32_t reg_id;
};
static_assert(sizeof(ExtHeader) == 8);

constexpr uint32_t kUnit = 16;  // arena allocation unit in bytes
constexpr std::size_t kClassBytes[] = {32, 64, 128, 256, 512, 1024};
constexpr std::size_t kClasses = std::size(kClassBytes);

int ClassFor(std::size_t bytes) {
  for (std::size_t c = 0; c < kClasses; ++c) {
    if (bytes <= kClassBytes[c]) {
      return static_cast<int>(c);
    }
  }
  return -1;
}

template <class T>
T* MapArray(std::size_t count) {
  return static_cast<T*>(MapLarge(count * sizeof(T)));
}

template <class T>
void UnmapArray(T* p, std::size_t count) {
  UnmapLarge(p, count * sizeof(T));
}

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    const char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] + 32) : a[i];
    const char y = b[i] >= 'A' && b[i] <= 'Z' ? static_cast<char>(b[i] + 32) : b[i];
    if (x != y) {
      return false;
    }
  }
  return true;
}

// Transport codes of a compact contact; kUpperCase marks "transport=UDP" (echoed as sent).
constexpr uint8_t kUpperCase = 0x80;

// Writes sip:USER@IP[:port][;transport=t]; returns the length. `out` holds 160 bytes.
std::size_t RenderCompact(std::string_view user, uint32_t ip, uint16_t port, uint8_t transport,
                          char* out) {
  char* p = out;
  std::memcpy(p, "sip:", 4);
  p += 4;
  const std::size_t ulen = user.size() < kMaxUserLength ? user.size() : kMaxUserLength;
  std::memcpy(p, user.data(), ulen);
  p += ulen;
  *p++ = '@';
  p += net::FormatIPv4(ip, p);
  if (port != 0) {
    *p++ = ':';
    char digits[8];
    int n = 0;
    uint32_t v = port;
    do {
      digits[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    while (n > 0) {
      *p++ = digits[--n];
    }
  }
  const uint8_t code = transport & ~kUpperCase;
  if (code != 0 && code < std::size(kTransportParams)) {
    std::memcpy(p, ";transport=", 11);
    p += 11;
    for (char c : kTransportParams[code]) {
      *p++ = (transport & kUpperCase) != 0 ? static_cast<char>(c - 32) : c;
    }
  }
  return static_cast<std::size_t>(p - out);
}

// A contact that can be stored in binary: sip:USER@IPv4[:port][;transport=t] where USER is the
// AOR's user, and which renders back byte for byte (so a device comparing its contact as a
// string still finds it). Fills ip (network order), port and transport code.
bool Compactable(const sip::Uri& u, std::string_view aor_user, uint32_t& ip, uint16_t& port,
                 uint8_t& transport) {
  if (u.kind != sip::UriScheme::kSip || u.host_kind != sip::HostKind::kIPv4 ||
      !u.password.empty() || !u.headers.empty() || u.user != aor_user || u.raw.size() > 160 ||
      aor_user.size() > kMaxUserLength || u.raw.substr(0, 4) != "sip:") {
    return false;
  }
  transport = 0;
  if (!u.params.empty()) {
    constexpr std::string_view kPrefix = "transport=";
    if (u.params.size() <= kPrefix.size() || u.params.substr(0, kPrefix.size()) != kPrefix) {
      return false;
    }
    // Rendered back in lower or upper case only, as the first letter says.
    const std::string_view value = u.params.substr(kPrefix.size());
    for (std::size_t t = 1; t < std::size(kTransportParams); ++t) {
      if (IEquals(value, kTransportParams[t])) {
        const bool upper = value[0] < 'a';
        for (std::size_t k = 0; k < value.size(); ++k) {
          const char want =
              upper ? static_cast<char>(kTransportParams[t][k] - 32) : kTransportParams[t][k];
          if (value[k] != want) {
            return false;
          }
        }
        transport = static_cast<uint8_t>(upper ? t | kUpperCase : t);
      }
    }
    if (transport == 0) {
      return false;
    }
  }
  // The parser checked the host is a dotted quad; one with a leading zero would not render
  // back as it came.
  if (!DottedQuad(u.host, ip)) {
    return false;
  }
  port = u.has_port ? u.port : 0;
  if (u.has_port && u.port == 0) {
    return false;
  }
  // What RenderCompact writes is raw byte for byte exactly when raw has no bytes besides
  // "sip:" USER "@" HOST [":" PORT] [";" PARAMS] with PORT in its shortest decimal form: the
  // parts above are each as rendered, so their lengths adding up to raw's settles it.
  std::size_t port_len = 0;
  if (u.has_port) {
    port_len = 2 + (port >= 10) + (port >= 100) + (port >= 1000) + (port >= 10000);
  }
  const std::size_t params_len = u.params.empty() ? 0 : 1 + u.params.size();
  return u.raw.size() == 4 + u.user.size() + 1 + u.host.size() + port_len + params_len;
}

}  // namespace

BindingTable::BindingTable(const TableOptions& options) : options_(options) {
  static_assert(sizeof(Aor) == 48, "AOR record layout (docs/architecture.md)");
  static_assert(sizeof(Binding) == 64, "binding record: one cache line");
  SIPFRONT_CHECK(options.aor_capacity > 0 && options.binding_capacity > 0);
  SIPFRONT_CHECK(options.aor_capacity < kNil && options.binding_capacity < kNil);
  // Load factor 0.8 at full capacity.
  index_slots_ = static_cast<uint32_t>(static_cast<uint64_t>(options.aor_capacity) * 5 / 4 + 8);
  index_ = MapArray<uint64_t>(index_slots_);
  aors_ = MapArray<Aor>(options.aor_capacity);
  bindings_ = MapArray<Binding>(options.binding_capacity);
  arena_units_ = static_cast<uint32_t>(options.arena_bytes / kUnit);
  arena_ = MapArray<char>(static_cast<std::size_t>(arena_units_) * kUnit);
  arena_top_ = 0;
  for (std::size_t c = 0; c < kClasses; ++c) {
    arena_free_[c] = kNil;
    arena_free_count_[c] = 0;
  }
  // Free lists start empty: records are taken from a high-water mark first, so untouched
  // capacity costs no resident memory.
  free_aor_ = kNil;
  free_binding_ = kNil;
  uint32_t wheel = 1;
  while (wheel <= options.max_expires + 1) {
    wheel <<= 1;
  }
  wheel_mask_ = wheel - 1;
  wheel_ = MapArray<uint32_t>(wheel);  // 0: empty slot; else binding + 1
  wheel_now_ = 0;
  user_agents_ = MapArray<UserAgent>(kMaxUserAgents);
  user_agent_index_ = MapArray<uint16_t>(2 * (kMaxUserAgents + 1));
}

BindingTable::~BindingTable() {
  UnmapArray(index_, index_slots_);
  UnmapArray(aors_, options_.aor_capacity);
  UnmapArray(bindings_, options_.binding_capacity);
  UnmapArray(arena_, static_cast<std::size_t>(arena_units_) * kUnit);
  UnmapArray(wheel_, wheel_mask_ + 1);
  UnmapArray(user_agents_, kMaxUserAgents);
  UnmapArray(user_agent_index_, 2 * (kMaxUserAgents + 1));
}

TableOptions SizeForShare(uint64_t max_bindings, uint32_t shards, uint32_t max_expires) {
  SIPFRONT_CHECK(shards > 0);
  const uint64_t share = (max_bindings + shards - 1) / shards;
  const auto spread = static_cast<uint64_t>(6.0 * std::sqrt(static_cast<double>(share)));
  const uint64_t per_shard = share + spread + 64;
  SIPFRONT_CHECK(per_shard < kNil);
  TableOptions o;
  o.aor_capacity = static_cast<uint32_t>(per_shard);
  o.binding_capacity = static_cast<uint32_t>(per_shard);
  o.arena_bytes = static_cast<std::size_t>(per_shard) * 32;
  o.max_expires = max_expires;
  return o;
}

std::array<BindingTable::Region, 3> BindingTable::HotRegions() const {
  return {Region{index_, static_cast<std::size_t>(index_slots_) * sizeof(uint64_t)},
          Region{aors_, static_cast<std::size_t>(options_.aor_capacity) * sizeof(Aor)},
          Region{bindings_, static_cast<std::size_t>(options_.binding_capacity) * sizeof(Binding)}};
}

std::size_t BindingTable::MemoryBytes() const {
  return static_cast<std::size_t>(index_slots_) * sizeof(uint64_t) +
         static_cast<std::size_t>(options_.aor_capacity) * sizeof(Aor) +
         static_cast<std::size_t>(options_.binding_capacity) * sizeof(Binding) +
         static_cast<std::size_t>(arena_units_) * kUnit +
         (static_cast<std::size_t>(wheel_mask_) + 1) * sizeof(uint32_t) +
         kMaxUserAgents * sizeof(UserAgent) + 2 * (kMaxUserAgents + 1) * sizeof(uint16_t);
}

uint16_t BindingTable::InternUserAgent(std::string_view ua) {
  if (ua.empty()) {
    return 0;
  }
  if (ua.size() > kMaxUserAgentLength) {
    ua = ua.substr(0, kMaxUserAgentLength);
  }
  // FNV-1a: a User-Agent is short and seen once per REGISTER on the writer only.
  uint64_t h = 14695981039346656037ull;
  for (const char c : ua) {
    h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ull;
  }
  const uint32_t slots = 2 * (kMaxUserAgents + 1);
  uint32_t s = static_cast<uint32_t>(h % slots);
  for (;; s = s + 1 == slots ? 0 : s + 1) {
    const uint16_t id = user_agent_index_[s];
    if (id == 0) {
      break;
    }
    const UserAgent& e = user_agents_[id - 1];
    if (e.hash == h && e.len == ua.size() && std::memcmp(e.text, ua.data(), ua.size()) == 0) {
      return id;
    }
  }
  const uint32_t n = user_agent_count_.load(std::memory_order_relaxed);
  if (n >= kMaxUserAgents) {
    ++counters_.user_agents_full;
    return 0;
  }
  UserAgent& e = user_agents_[n];
  e.hash = h;
  e.len = static_cast<uint8_t>(ua.size());
  std::memcpy(e.text, ua.data(), ua.size());
  user_agent_index_[s] = static_cast<uint16_t>(n + 1);
  // Readers look at entries below the count only: the entry is complete before it is counted.
  user_agent_count_.store(n + 1, std::memory_order_release);
  return static_cast<uint16_t>(n + 1);
}

// ---- index ----

uint32_t BindingTable::ProbeStart(uint64_t hash) const {
  return static_cast<uint32_t>(
      (static_cast<uint64_t>(static_cast<uint32_t>(hash)) * index_slots_) >> 32);
}

std::string_view BindingTable::UserOf(uint32_t aor) const {
  const Aor& a = aors_[aor];
  const uint8_t len = a.user_len;  // read once: a reader may race the owner
  if (len <= kInlineUser) {
    return {a.user, len};
  }
  const uint32_t ref = a.user_ref;
  if (ref >= arena_units_ ||
      static_cast<std::size_t>(arena_units_ - ref) * kUnit < sizeof(ExtHeader) + len) {
    return {};  // torn read
  }
  return {ArenaPtr(ref) + sizeof(ExtHeader), len};
}

bool BindingTable::AorEquals(uint32_t aor, const AorKey& key) const {
  const Aor& a = aors_[aor];
  return a.hash == key.hash && a.domain == key.domain && UserOf(aor) == key.user;
}

uint32_t BindingTable::FindAorUnsynchronized(const AorKey& key) const {
  const auto tag = static_cast<uint32_t>(key.hash);
  uint32_t slot = ProbeStart(key.hash);
  for (uint32_t probes = 0; probes < index_slots_; ++probes) {
    const uint64_t e = index_[slot];
    if (e == 0) {
      return kNil;
    }
    const auto aor = static_cast<uint32_t>(e) - 1;
    if (static_cast<uint32_t>(e >> 32) == tag && aor < options_.aor_capacity &&
        AorEquals(aor, key)) {
      return aor;
    }
    slot = slot + 1 == index_slots_ ? 0 : slot + 1;
  }
  return kNil;
}

uint32_t BindingTable::FindAor(const AorKey& key) const { return FindAorUnsynchronized(key); }

uint32_t BindingTable::CreateAor(const AorKey& key) {
  if (key.user.size() > kMaxUserLength) {
    return kNil;
  }
  uint32_t user_ref = kNil;
  if (key.user.size() > kInlineUser) {
    user_ref = ArenaAlloc(sizeof(ExtHeader) + key.user.size());
    if (user_ref == kNil) {
      ++counters_.full;
      return kNil;
    }
    std::memcpy(ArenaPtr(user_ref) + sizeof(ExtHeader), key.user.data(), key.user.size());
  }
  uint32_t aor = free_aor_;
  if (aor != kNil) {
    free_aor_ = aors_[aor].user_ref;
  } else if (high_aor_.load(std::memory_order_relaxed) < options_.aor_capacity) {
    aor = high_aor_.load(std::memory_order_relaxed);
    high_aor_.store(aor + 1, std::memory_order_release);
  } else {
    if (user_ref != kNil) {
      ArenaFree(user_ref);
    }
    ++counters_.full;
    return kNil;
  }
  Aor& a = aors_[aor];
  a.hash = key.hash;
  a.last_request = 0;
  a.first = kNil;
  a.user_ref = user_ref;
  a.domain = key.domain;
  a.count = 0;
  a.user_len = static_cast<uint8_t>(key.user.size());
  if (key.user.size() <= kInlineUser) {
    std::memcpy(a.user, key.user.data(), key.user.size());
  }
  uint32_t slot = ProbeStart(key.hash);
  while (index_[slot] != 0) {
    slot = slot + 1 == index_slots_ ? 0 : slot + 1;
  }
  index_[slot] = (static_cast<uint64_t>(static_cast<uint32_t>(key.hash)) << 32) | (aor + 1);
  ++counters_.aors;
  return aor;
}

void BindingTable::IndexErase(uint32_t slot) {
  // Backward-shift deletion: move later entries of the cluster into the hole when the hole
  // lies between their home slot and where they sit (no tombstones, probes stay short).
  uint32_t hole = slot;
  uint32_t j = slot;
  while (true) {
    j = j + 1 == index_slots_ ? 0 : j + 1;
    const uint64_t e = index_[j];
    if (e == 0) {
      break;
    }
    const uint32_t home = ProbeStart(e >> 32);
    const bool movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
    if (movable) {
      index_[hole] = e;
      hole = j;
    }
  }
  index_[hole] = 0;
}

void BindingTable::RemoveAorIfEmpty(uint32_t aor) {
  Aor& a = aors_[aor];
  if (a.count != 0) {
    return;
  }
  uint32_t slot = ProbeStart(a.hash);
  while (static_cast<uint32_t>(index_[slot]) != aor + 1) {
    slot = slot + 1 == index_slots_ ? 0 : slot + 1;
  }
  IndexErase(slot);
  if (a.user_ref != kNil && a.user_len > kInlineUser) {
    ArenaFree(a.user_ref);
  }
  a.hash = 0;
  a.user_ref = free_aor_;
  free_aor_ = aor;
  --counters_.aors;
}

// ---- arena ----

char* BindingTable::ArenaPtr(uint32_t ref) {
  return arena_ + static_cast<std::size_t>(ref) * kUnit;
}
const char* BindingTable::ArenaPtr(uint32_t ref) const {
  return arena_ + static_cast<std::size_t>(ref) * kUnit;
}

uint32_t BindingTable::ArenaAlloc(std::size_t bytes) {
  const int c = ClassFor(bytes);
  if (c < 0) {
    return kNil;
  }
  uint32_t ref = arena_free_[c];
  if (ref != kNil) {
    std::memcpy(&arena_free_[c], ArenaPtr(ref) + 4, sizeof(uint32_t));
    --arena_free_count_[c];
  } else {
    const auto units = static_cast<uint32_t>(kClassBytes[c] / kUnit);
    if (arena_units_ - arena_top_ < units) {
      return kNil;
    }
    ref = arena_top_;
    arena_top_ += units;
  }
  ArenaPtr(ref)[0] = static_cast<char>(c);
  return ref;
}

void BindingTable::ArenaFree(uint32_t ref) {
  char* p = ArenaPtr(ref);
  const auto c = static_cast<uint8_t>(p[0]);
  std::memcpy(p + 4, &arena_free_[c], sizeof(uint32_t));
  arena_free_[c] = ref;
  ++arena_free_count_[c];
}

// ---- bindings ----

uint32_t BindingTable::First(uint32_t aor) const { return aors_[aor].first; }
uint32_t BindingTable::Next(uint32_t binding) const { return bindings_[binding].next; }
uint32_t BindingTable::BindingCount(uint32_t aor) const { return aors_[aor].count; }
uint64_t BindingTable::LastRequest(uint32_t aor) const { return aors_[aor].last_request; }
void BindingTable::SetLastRequest(uint32_t aor, uint64_t fingerprint) {
  aors_[aor].last_request = fingerprint;
}
uint32_t BindingTable::ExpiresAt(uint32_t b) const { return bindings_[b].expires_at; }
uint32_t BindingTable::UpdatedAt(uint32_t b) const { return bindings_[b].updated_at; }
uint32_t BindingTable::CSeqOf(uint32_t b) const { return bindings_[b].cseq; }
uint64_t BindingTable::CallIdHash(uint32_t b) const { return bindings_[b].call_id_hash; }

void BindingTable::AddNeed(const BindingData& d, ArenaNeed& need) {
  // Worst case: not compact, IPv6 source, an extension record in any case.
  const int c = ClassFor(sizeof(ExtHeader) + 16 + d.contact.size() + d.instance.size());
  ++need.per_class[c < 0 ? kClasses - 1 : c];
}

void BindingTable::AddUserNeed(std::string_view user, ArenaNeed& need) {
  if (user.size() > kInlineUser) {
    const int c = ClassFor(sizeof(ExtHeader) + user.size());
    ++need.per_class[c < 0 ? kClasses - 1 : c];
  }
}

bool BindingTable::CanApply(uint32_t new_aors, uint32_t new_bindings, const ArenaNeed& need) const {
  if (options_.binding_capacity - counters_.bindings < new_bindings ||
      options_.aor_capacity - counters_.aors < new_aors) {
    return false;
  }
  uint64_t bump_units = 0;
  for (std::size_t c = 0; c < kClasses; ++c) {
    if (need.per_class[c] > arena_free_count_[c]) {
      bump_units += static_cast<uint64_t>(need.per_class[c] - arena_free_count_[c]) *
                    (kClassBytes[c] / kUnit);
    }
  }
  return bump_units <= arena_units_ - arena_top_;
}

bool BindingTable::Encode(uint32_t b, const BindingData& d, uint32_t aor) {
  Binding& x = bindings_[b];
  uint32_t ip = 0;
  uint16_t port = 0;
  uint8_t transport = 0;
  const bool compact =
      d.contact_uri != nullptr && Compactable(*d.contact_uri, UserOf(aor), ip, port, transport);
  const bool v6 = d.source.IsV6();
  const bool big_reg_id = d.reg_id >= kRegIdInExt;
  const std::size_t contact_bytes = compact ? 0 : d.contact.size();
  const std::size_t ext_bytes = contact_bytes + d.instance.size() + (v6 ? 16 : 0);
  uint32_t ext = kNil;
  if (ext_bytes != 0 || big_reg_id) {
    if (d.contact.size() > kMaxContactLength || d.instance.size() > kMaxInstanceLength) {
      return false;
    }
    ext = ArenaAlloc(sizeof(ExtHeader) + ext_bytes);
    if (ext == kNil) {
      return false;
    }
    char* p = ArenaPtr(ext);
    ExtHeader h{static_cast<uint8_t>(p[0]), static_cast<uint8_t>(d.instance.size()),
                static_cast<uint16_t>(contact_bytes), d.reg_id};
    std::memcpy(p, &h, sizeof(h));
    char* q = p + sizeof(h);
    if (v6) {
      std::memcpy(q, &d.source.addr.v6.sin6_addr, 16);
      q += 16;
    }
    if (contact_bytes != 0) {
      std::memcpy(q, d.contact.data(), contact_bytes);
      q += contact_bytes;
    }
    if (!d.instance.empty()) {
      std::memcpy(q, d.instance.data(), d.instance.size());
    }
  }
  if (x.ext != kNil) {
    ArenaFree(x.ext);
  }
  x.ext = ext;
  x.flags = static_cast<uint8_t>((compact ? kCompactContact : 0) | (v6 ? kSourceV6 : 0) |
                                 (d.instance.empty() ? 0 : kHasInstance) |
                                 (SameAsSource(d.contact_uri, d.source) ? 0 : kBehindNat));
  x.keepalive_misses = 0;  // keepalive misses: a refresh proves the device is there
  x.user_agent = InternUserAgent(d.user_agent);
  x.contact_ip4 = ip;
  x.contact_port = port;
  x.contact_transport = transport;
  x.source_ip4 = d.source.IsV4() ? d.source.addr.v4.sin_addr.s_addr : 0;
  x.source_port = d.source.port();
  x.source_transport = static_cast<uint8_t>(d.transport);
  x.reg_id = big_reg_id ? kRegIdInExt : static_cast<uint8_t>(d.reg_id);
  x.q = d.q;
  x.cseq = d.cseq;
  x.call_id_hash = d.call_id_hash;
  return true;
}

uint32_t BindingTable::Insert(uint32_t aor, const BindingData& d, uint32_t now) {
  uint32_t b = free_binding_;
  if (b != kNil) {
    free_binding_ = bindings_[b].next;
  } else if (high_binding_ < options_.binding_capacity) {
    b = high_binding_++;
  } else {
    ++counters_.full;
    return kNil;
  }
  Binding& x = bindings_[b];
  x.ext = kNil;
  if (!Encode(b, d, aor)) {
    x.next = free_binding_;
    free_binding_ = b;
    ++counters_.full;
    return kNil;
  }
  x.aor = aor;
  x.updated_at = now;
  x.expires_at = d.expires_at;
  Aor& a = aors_[aor];
  x.next = a.first;
  a.first = b;
  ++a.count;
  WheelLink(b);
  ++counters_.bindings;
  return b;
}

bool BindingTable::Update(uint32_t b, const BindingData& d, uint32_t now) {
  Binding& x = bindings_[b];
  if (!Encode(b, d, x.aor)) {
    ++counters_.full;
    return false;
  }
  x.updated_at = now;
  if (x.expires_at != d.expires_at) {
    WheelUnlink(b);
    x.expires_at = d.expires_at;
    WheelLink(b);
  }
  return true;
}

void BindingTable::FreeBindingStorage(uint32_t b) {
  Binding& x = bindings_[b];
  if (x.ext != kNil) {
    ArenaFree(x.ext);
    x.ext = kNil;
  }
  x.next = free_binding_;
  x.flags = kFree;
  free_binding_ = b;
  --counters_.bindings;
}

bool BindingTable::Live(uint32_t b) const {
  return b < high_binding_ && (bindings_[b].flags & kFree) == 0;
}

bool BindingTable::BehindNat(uint32_t b) const { return (bindings_[b].flags & kBehindNat) != 0; }

Transport BindingTable::SourceTransport(uint32_t b) const {
  return static_cast<Transport>(bindings_[b].source_transport);
}

net::Endpoint BindingTable::SourceOf(uint32_t b) const {
  const Binding& x = bindings_[b];
  net::Endpoint e;
  if ((x.flags & kSourceV6) != 0) {
    e.addr.v6.sin6_family = AF_INET6;
    std::memcpy(&e.addr.v6.sin6_addr, ArenaPtr(x.ext) + sizeof(ExtHeader), 16);
    e.len = sizeof(sockaddr_in6);
  } else {
    e.addr.v4.sin_family = AF_INET;
    e.addr.v4.sin_addr.s_addr = x.source_ip4;
    e.len = sizeof(sockaddr_in);
  }
  e.set_port(x.source_port);
  return e;
}

uint8_t BindingTable::KeepaliveMisses(uint32_t b) const { return bindings_[b].keepalive_misses; }
void BindingTable::SetKeepaliveMisses(uint32_t b, uint8_t n) { bindings_[b].keepalive_misses = n; }

void BindingTable::Remove(uint32_t b) {
  Binding& x = bindings_[b];
  Aor& a = aors_[x.aor];
  if (a.first == b) {
    a.first = x.next;
  } else {
    uint32_t p = a.first;
    while (bindings_[p].next != b) {
      p = bindings_[p].next;
    }
    bindings_[p].next = x.next;
  }
  --a.count;
  WheelUnlink(b);
  FreeBindingStorage(b);
}

void BindingTable::RemoveExpired(uint32_t b) {
  const uint32_t aor = bindings_[b].aor;
  BeginWrite();
  Remove(b);
  RemoveAorIfEmpty(aor);
  EndWrite();
  ++counters_.expired;
}

// ---- timer wheel ----

void BindingTable::WheelLink(uint32_t b) {
  Binding& x = bindings_[b];
  uint32_t& head = wheel_[x.expires_at & wheel_mask_];
  x.wheel_prev = kNil;
  x.wheel_next = head == 0 ? kNil : head - 1;
  if (x.wheel_next != kNil) {
    bindings_[x.wheel_next].wheel_prev = b;
  }
  head = b + 1;
}

void BindingTable::WheelUnlink(uint32_t b) {
  Binding& x = bindings_[b];
  if (x.wheel_prev == kNil) {
    wheel_[x.expires_at & wheel_mask_] = x.wheel_next == kNil ? 0 : x.wheel_next + 1;
  } else {
    bindings_[x.wheel_prev].wheel_next = x.wheel_next;
  }
  if (x.wheel_next != kNil) {
    bindings_[x.wheel_next].wheel_prev = x.wheel_prev;
  }
}

uint32_t BindingTable::ExpireSlot(uint32_t now) {
  const uint32_t head = wheel_[now & wheel_mask_];
  for (uint32_t b = head == 0 ? kNil : head - 1; b != kNil; b = bindings_[b].wheel_next) {
    if (static_cast<int32_t>(bindings_[b].expires_at - now) <= 0) {
      return b;
    }
  }
  return kNil;
}

// ---- matching and copying ----

bool BindingTable::Matches(uint32_t b, const sip::Uri& contact, std::string_view instance,
                           uint32_t reg_id) const {
  const Binding& x = bindings_[b];
  if (!instance.empty() && reg_id != 0) {
    if ((x.flags & kHasInstance) == 0) {
      return false;
    }
    BindingCopy copy;
    Decode(b, copy);
    return copy.instance_view() == instance && copy.reg_id == reg_id;
  }
  if ((x.flags & kCompactContact) != 0) {
    uint32_t ip = 0;
    uint16_t port = 0;
    uint8_t transport = 0;
    if (contact.kind != sip::UriScheme::kSip) {
      return false;
    }
    if (Compactable(contact, UserOf(x.aor), ip, port, transport)) {
      // transport=UDP and transport=udp are the same URI (RFC 3261 §19.1.4).
      return ip == x.contact_ip4 && port == x.contact_port &&
             (transport & ~kUpperCase) == (x.contact_transport & ~kUpperCase);
    }
    // Not in compact form (e.g. other parameters): compare as URIs below.
  }
  BindingCopy copy;
  Decode(b, copy);
  sip::Uri stored;
  if (!sip::ParseUri(copy.contact_view(), stored).ok()) {
    return false;
  }
  return sip::UriEquivalent(stored, contact);
}

void BindingTable::Decode(uint32_t b, BindingCopy& out) const {
  // Readers may decode while the owner rewrites this binding (the seqlock makes them retry
  // afterwards): decode from one snapshot of the record, and bound every length and index in
  // it, so a torn copy cannot read outside the table's memory.
  Binding x;  // NOLINT(cppcoreguidelines-pro-type-member-init): filled by memcpy below
  std::memcpy(&x, &bindings_[b], sizeof(x));
  ExtHeader h{0, 0, 0, 0};
  const char* ext = nullptr;
  const char* ext_end = nullptr;
  if (x.ext != kNil && x.ext < arena_units_) {
    const char* start = ArenaPtr(x.ext);
    std::memcpy(&h, start, sizeof(h));
    const std::size_t room = static_cast<std::size_t>(arena_units_ - x.ext) * kUnit;
    const std::size_t size = h.size_class < kClasses ? kClassBytes[h.size_class] : 0;
    ext_end = start + (size < room ? size : room);
    ext = start + sizeof(h) <= ext_end ? start + sizeof(h) : nullptr;
  }
  auto take = [&ext, &ext_end](std::size_t n) -> const char* {
    if (ext == nullptr || static_cast<std::size_t>(ext_end - ext) < n) {
      ext = nullptr;
      return nullptr;
    }
    const char* p = ext;
    ext += n;
    return p;
  };
  out.source = net::Endpoint{};
  const char* v6 = (x.flags & kSourceV6) != 0 ? take(16) : nullptr;
  if (v6 != nullptr) {
    out.source.addr.v6.sin6_family = AF_INET6;
    std::memcpy(&out.source.addr.v6.sin6_addr, v6, 16);
    out.source.len = sizeof(sockaddr_in6);
  } else {
    out.source.addr.v4.sin_family = AF_INET;
    out.source.addr.v4.sin_addr.s_addr = x.source_ip4;
    out.source.len = sizeof(sockaddr_in);
  }
  out.source.set_port(x.source_port);
  out.contact_len = 0;
  if ((x.flags & kCompactContact) != 0) {
    if (x.aor < options_.aor_capacity) {
      out.contact_len = static_cast<uint16_t>(RenderCompact(
          UserOf(x.aor), x.contact_ip4, x.contact_port, x.contact_transport, out.contact));
    }
  } else if (h.contact_len <= kMaxContactLength) {
    if (const char* c = take(h.contact_len); c != nullptr) {
      std::memcpy(out.contact, c, h.contact_len);
      out.contact_len = h.contact_len;
    }
  }
  out.instance_len = 0;
  if ((x.flags & kHasInstance) != 0) {
    if (const char* i = take(h.instance_len); i != nullptr) {
      std::memcpy(out.instance, i, h.instance_len);
      out.instance_len = h.instance_len;
    }
  }
  out.reg_id = x.reg_id == kRegIdInExt ? h.reg_id : x.reg_id;
  out.q = x.q;
  out.expires_at = x.expires_at;
  out.updated_at = x.updated_at;
  out.cseq = x.cseq;
  out.call_id_hash = x.call_id_hash;
  out.transport = static_cast<Transport>(x.source_transport);
  out.user_agent_len = 0;
  if (x.user_agent != 0 && x.user_agent <= user_agent_count_.load(std::memory_order_acquire)) {
    const UserAgent& e = user_agents_[x.user_agent - 1];
    const std::size_t n = e.len < kMaxUserAgentLength ? e.len : kMaxUserAgentLength;
    std::memcpy(out.user_agent, e.text, n);
    out.user_agent_len = static_cast<uint8_t>(n);
  }
}

void BindingTable::Copy(uint32_t b, BindingCopy& out) const { Decode(b, out); }
uint32_t BindingTable::AorOfBinding(uint32_t b) const { return bindings_[b].aor; }
uint16_t BindingTable::DomainOf(uint32_t aor) const { return aors_[aor].domain; }

// ---- seqlock ----

void BindingTable::BeginWrite() {
  version_.store(version_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
}

void BindingTable::EndWrite() {
  version_.store(version_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
}

uint32_t BindingTable::Lookup(const AorKey& key, BindingCopy* out, uint32_t max) const {
  while (true) {
    const uint64_t v1 = version_.load(std::memory_order_acquire);
    if ((v1 & 1) != 0) {
      continue;
    }
    uint32_t n = 0;
    const uint32_t aor = FindAorUnsynchronized(key);
    if (aor != kNil) {
      // Bounded walk: a torn chain cannot loop forever.
      uint32_t b = aors_[aor].first;
      for (uint32_t steps = 0;
           b != kNil && b < options_.binding_capacity && n < max && steps < 1024; ++steps) {
        Decode(b, out[n++]);
        b = bindings_[b].next;
      }
    }
    std::atomic_thread_fence(std::memory_order_acquire);
    if (version_.load(std::memory_order_relaxed) == v1) {
      return n;
    }
  }
}

bool BindingTable::ReadAor(uint32_t aor, char* user_out, AorView& view, BindingCopy* scratch,
                           uint32_t max) const {
  while (true) {
    const uint64_t v1 = version_.load(std::memory_order_acquire);
    if ((v1 & 1) != 0) {
      continue;
    }
    Aor a;  // NOLINT(cppcoreguidelines-pro-type-member-init): filled by memcpy below
    std::memcpy(&a, &aors_[aor], sizeof(a));
    bool live = a.hash != 0 && a.count != 0;
    uint32_t n = 0;
    if (live) {
      const std::string_view user = UserOf(aor);
      const std::size_t len = user.size() < kMaxUserLength ? user.size() : kMaxUserLength;
      std::memcpy(user_out, user.data(), len);
      view.user = std::string_view(user_out, len);
      view.domain = a.domain;
      uint32_t b = a.first;
      for (uint32_t steps = 0;
           b != kNil && b < options_.binding_capacity && n < max && steps < 1024; ++steps) {
        Decode(b, scratch[n++]);
        b = bindings_[b].next;
      }
    }
    std::atomic_thread_fence(std::memory_order_acquire);
    if (version_.load(std::memory_order_relaxed) == v1) {
      view.bindings = scratch;
      view.count = n;
      return live && n != 0;
    }
  }
}

}  // namespace sipfront::registrar
