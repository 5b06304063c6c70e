#include "sipfront/registrar/provisioned.h"
// Built on control threads (slow path; listed in scripts/fastpath-exempt.txt). The fast-path
// parts are DomainTable::Find, NetworkSet::Contains and ProvisionedCell's inline functions:
// they neither allocate nor lock.

#include <algorithm>
#include <cstring>
#include <deque>

#include <arpa/inet.h>

#include "absl/container/flat_hash_map.h"

#include "sipfront/base/ascii.h"
#include "sipfront/base/check.h"

namespace sipfront::registrar {
namespace {

constexpr std::size_t kMaxDomainLength = 253;  // RFC 1035

// A multiplicative hash of the lowercased name, eight bytes at a time (the last word
// zero-padded): a handful of domains, names of ~20 bytes, looked up on every REGISTER.
uint32_t NameHash(std::string_view s) {
  uint64_t h = s.size();
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = (h ^ AsciiLower8(w)) * 0x9e3779b97f4a7c15ull;
    h ^= h >> 29;
  }
  if (i < s.size()) {
    uint64_t w = 0;
    std::memcpy(&w, s.data() + i, s.size() - i);
    h = (h ^ AsciiLower8(w)) * 0x9e3779b97f4a7c15ull;
    h ^= h >> 29;
  }
  return static_cast<uint32_t>(h >> 32);
}

// The first `prefix` bits of `addr` (`bytes` long), the rest zero, in a 16-byte key.
std::array<uint8_t, 16> Mask(const uint8_t* addr, std::size_t bytes, uint32_t prefix) {
  std::array<uint8_t, 16> out{};
  for (std::size_t i = 0; i < bytes; ++i) {
    const uint32_t bit = static_cast<uint32_t>(i) * 8;
    if (prefix >= bit + 8) {
      out[i] = addr[i];
    } else if (prefix > bit) {
      out[i] = static_cast<uint8_t>(addr[i] & (0xff << (8 - (prefix - bit))));
    }
  }
  return out;
}

}  // namespace

// ---- DomainNames ----

struct DomainNames::Impl {
  mutable std::mutex mu;
  std::deque<std::string> storage;  // stable addresses
  absl::flat_hash_map<std::string, uint16_t> ids;
};

DomainNames::DomainNames()
    : impl_(std::make_unique<Impl>()),
      names_(std::make_unique<std::atomic<const std::string*>[]>(kMaxDomainIds)) {
  for (uint32_t i = 0; i < kMaxDomainIds; ++i) {
    names_[i].store(nullptr, std::memory_order_relaxed);
  }
}

DomainNames::~DomainNames() = default;

uint16_t DomainNames::Intern(std::string_view name) {
  std::string lower(name);
  for (char& c : lower) {
    c = AsciiLower(c);
  }
  const std::lock_guard<std::mutex> lock(impl_->mu);
  const auto it = impl_->ids.find(lower);
  if (it != impl_->ids.end()) {
    return it->second;
  }
  SIPFRONT_CHECK(impl_->ids.size() < kMaxDomainIds);
  const auto id = static_cast<uint16_t>(impl_->ids.size());
  impl_->storage.push_back(lower);
  impl_->ids.emplace(std::move(lower), id);
  names_[id].store(&impl_->storage.back(), std::memory_order_release);
  return id;
}

int32_t DomainNames::Find(std::string_view name) const {
  std::string lower(name);
  for (char& c : lower) {
    c = AsciiLower(c);
  }
  const std::lock_guard<std::mutex> lock(impl_->mu);
  const auto it = impl_->ids.find(lower);
  return it == impl_->ids.end() ? -1 : it->second;
}

std::string_view DomainNames::Name(uint16_t id) const {
  const std::string* s = names_[id].load(std::memory_order_acquire);
  return s == nullptr ? std::string_view() : std::string_view(*s);
}

// ---- NetworkSet ----

bool NetworkSet::Add(std::string_view ip, uint32_t prefix) {
  char text[INET6_ADDRSTRLEN];
  if (ip.empty() || ip.size() >= sizeof(text)) {
    return false;
  }
  std::memcpy(text, ip.data(), ip.size());
  text[ip.size()] = '\0';
  uint8_t addr[16];
  uint8_t family = 0;
  if (inet_pton(AF_INET, text, addr) == 1) {
    family = 4;
  } else if (inet_pton(AF_INET6, text, addr) == 1) {
    family = 6;
  } else {
    return false;
  }
  const std::size_t bytes = family == 4 ? 4 : 16;
  if (prefix > bytes * 8) {
    return false;
  }
  auto g = std::find_if(groups_.begin(), groups_.end(),
                        [&](const Group& x) { return x.family == family && x.prefix == prefix; });
  if (g == groups_.end()) {
    groups_.push_back(Group{family, static_cast<uint8_t>(prefix), {}});
    g = groups_.end() - 1;
  }
  g->masked.push_back(Mask(addr, bytes, prefix));
  ++size_;
  return true;
}

void NetworkSet::Seal() {
  for (Group& g : groups_) {
    std::sort(g.masked.begin(), g.masked.end());
    g.masked.erase(std::unique(g.masked.begin(), g.masked.end()), g.masked.end());
  }
}

bool NetworkSet::Contains(const net::Endpoint& peer) const {
  const uint8_t* addr = nullptr;
  uint8_t family = 0;
  if (peer.IsV4()) {
    addr = reinterpret_cast<const uint8_t*>(&peer.addr.v4.sin_addr);
    family = 4;
  } else if (peer.IsV6()) {
    addr = reinterpret_cast<const uint8_t*>(&peer.addr.v6.sin6_addr);
    family = 6;
    // An IPv4 client on a dual-stack socket (::ffff:a.b.c.d) is checked as IPv4.
    static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(addr, kMapped, sizeof(kMapped)) == 0) {
      addr += 12;
      family = 4;
    }
  } else {
    return false;
  }
  const std::size_t bytes = family == 4 ? 4 : 16;
  for (const Group& g : groups_) {
    if (g.family != family) {
      continue;
    }
    const std::array<uint8_t, 16> key = Mask(addr, bytes, g.prefix);
    if (std::binary_search(g.masked.begin(), g.masked.end(), key)) {
      return true;
    }
  }
  return false;
}

// ---- DomainTable ----

uint16_t DomainTable::Add(DomainNames& names, std::string_view name, bool registration,
                          const DomainAuth* auth) {
  const uint16_t id = names.Intern(name);
  if (const DomainInfo* d = Find(name)) {
    DomainInfo& e = domains_[static_cast<std::size_t>(d - domains_.data())];
    e.registration = registration;
    e.auth = auth;
    return id;
  }
  domains_.push_back(DomainInfo{id, registration, std::string(names.Name(id)), auth});
  if (domains_.size() * 2 > index_.size()) {
    index_.assign(std::max<std::size_t>(16, index_.size() * 2), 0);
    for (uint32_t i = 0; i < domains_.size(); ++i) {
      Insert(i);
    }
  } else {
    Insert(static_cast<uint32_t>(domains_.size() - 1));
  }
  return id;
}

void DomainTable::Insert(uint32_t position) {
  const std::size_t mask = index_.size() - 1;
  std::size_t s = NameHash(domains_[position].name) & mask;
  while (index_[s] != 0) {
    s = (s + 1) & mask;
  }
  index_[s] = position + 1;
}

const DomainInfo* DomainTable::Find(std::string_view host) const {
  if (host.size() > kMaxDomainLength || index_.empty()) {
    return nullptr;
  }
  const std::size_t mask = index_.size() - 1;
  for (std::size_t s = NameHash(host) & mask; index_[s] != 0; s = (s + 1) & mask) {
    const DomainInfo& d = domains_[index_[s] - 1];
    if (AsciiIEquals(d.name, host)) {
      return &d;
    }
  }
  return nullptr;
}

// ---- Provisioned ----

uint16_t Provisioned::AddDomain(DomainNames& names, std::string_view name, bool registration,
                                std::shared_ptr<const DomainAuth> auth) {
  const DomainAuth* raw = auth.get();
  pieces.push_back(std::move(auth));
  return domains.Add(names, name, registration, raw);
}

DomainAuth& Provisioned::AddDomain(DomainNames& names, std::string_view name, bool registration) {
  auto piece = std::make_shared<DomainAuth>();
  DomainAuth& ref = *piece;
  AddDomain(names, name, registration, std::move(piece));
  return ref;
}

// ---- ProvisionedCell ----

ProvisionedCell::ProvisionedCell(std::unique_ptr<const Provisioned> initial, uint32_t readers)
    : current_(initial.release()), readers_(readers), slots_(std::make_unique<Slot[]>(readers)) {
  SIPFRONT_CHECK(current_.load() != nullptr);
}

ProvisionedCell::~ProvisionedCell() {
  delete current_.load();
  for (const Retired& r : retired_) {
    delete r.snapshot;
  }
}

void ProvisionedCell::Publish(std::unique_ptr<const Provisioned> next) {
  const std::lock_guard<std::mutex> lock(mu_);
  const Provisioned* old = current_.exchange(next.release(), std::memory_order_acq_rel);
  const uint64_t epoch = epoch_.fetch_add(1, std::memory_order_acq_rel) + 1;
  retired_.push_back(Retired{old, epoch});
}

std::size_t ProvisionedCell::Reclaim() {
  const std::lock_guard<std::mutex> lock(mu_);
  uint64_t min_seen = ~uint64_t{0};
  for (uint32_t r = 0; r < readers_; ++r) {
    min_seen = std::min(min_seen, slots_[r].seen.load(std::memory_order_acquire));
  }
  std::size_t kept = 0;
  for (const Retired& r : retired_) {
    if (r.epoch <= min_seen) {
      delete r.snapshot;
    } else {
      retired_[kept++] = r;
    }
  }
  retired_.resize(kept);
  return kept;
}

}  // namespace sipfront::registrar
