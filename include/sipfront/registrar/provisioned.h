// sipfront/registrar/provisioned.h — what the workers check REGISTERs (and calls) against:
// the provisioned domains, their registration credentials (HA1s) and their IP access control
// lists, as one immutable snapshot swapped live (RCU-style) when the provisioning store
// changes.
//
//   DomainNames      domain name <-> id, stable for the life of the process (ids are never
//                    reused): bindings, journal records and snapshots refer to domains by id,
//                    and a domain deleted over REST keeps its name until its bindings expire.
//   DomainAuth       what one domain's requests are checked against: its HA1s and its IP ACL
//                    network sets. Immutable once built, shared by consecutive snapshots for as
//                    long as the domain does not change, so a change rebuilds only the domains
//                    it touched.
//   Provisioned      one immutable snapshot: DomainTable (name -> DomainInfo, each pointing at
//                    its DomainAuth) and the DomainAuth pieces it holds.
//   ProvisionedCell  the current snapshot, published by one control thread, read by the
//                    workers without locks. Reclamation is quiescent-state based: a worker
//                    announces Quiescent() at the top of each loop iteration (it holds no
//                    snapshot pointer from before then); an old snapshot is freed once every
//                    worker has announced a quiescent point after its replacement was
//                    published. Workers iterate at least once a second, so an old snapshot
//                    lives about a second; a nonce minted under one snapshot checks under the
//                    next (nonces depend on the realm and the server secret only), so a swap
//                    causes no burst of 401s.
//
// Threading: DomainNames::Name() from any thread; Intern()/Find() from control threads (one
// mutex). A published Provisioned is read-only. ProvisionedCell: Load()/Quiescent(r)/Offline(r)
// by reader r; Publish()/Reclaim() by one publisher thread.
#ifndef SIPFRONT_REGISTRAR_PROVISIONED_H_
#define SIPFRONT_REGISTRAR_PROVISIONED_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "sipfront/auth/digest.h"
#include "sipfront/base/compiler.h"
#include "sipfront/net/endpoint.h"

namespace sipfront::registrar {

inline constexpr uint32_t kMaxDomainIds = 0xffff;

class DomainNames {
 public:
  DomainNames();
  ~DomainNames();
  DomainNames(const DomainNames&) = delete;
  DomainNames& operator=(const DomainNames&) = delete;

  // The id of `name` (lowercased), assigned on first sight. SIPFRONT_CHECKs that fewer than
  // kMaxDomainIds distinct names were ever interned.
  uint16_t Intern(std::string_view name);
  // The id of `name` (case-insensitive), or -1 when never interned.
  [[nodiscard]] int32_t Find(std::string_view name) const;
  // The lowercase name of `id`, or "" for an id never assigned. Lock-free; the view stays
  // valid for the life of this object.
  [[nodiscard]] std::string_view Name(uint16_t id) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::unique_ptr<std::atomic<const std::string*>[]> names_;
};

// A set of IP networks (an IP access control list, or the union of those mapped to a
// domain). Contains() is allocation-free: per address family and prefix length present, one
// binary search over masked addresses.
class NetworkSet {
 public:
  // `ip` an IPv4 or IPv6 literal; false (nothing added) when it does not parse or the prefix
  // is out of range.
  bool Add(std::string_view ip, uint32_t prefix);
  // Sorts; call once after the last Add().
  void Seal();
  [[nodiscard]] bool Contains(const net::Endpoint& peer) const;
  [[nodiscard]] std::size_t size() const { return size_; }

 private:
  struct Group {
    uint8_t family;  // 4 or 6
    uint8_t prefix;
    std::vector<std::array<uint8_t, 16>> masked;  // sorted
  };
  std::vector<Group> groups_;
  std::size_t size_ = 0;
};

struct DomainAuth {
  auth::CredentialStore credentials;  // realm = the domain's name
  // Whether an IP ACL is mapped for registrations / calls: then only the networks may send
  // (an ACL with no addresses admits nobody).
  bool registration_acl = false;
  NetworkSet registration_networks;
  bool calls_acl = false;
  NetworkSet calls_networks;
  uint64_t content_revision = 0;  // the store's, when it was built (control/store.h)
};

struct DomainInfo {
  uint16_t id;
  bool registration;
  std::string name;                  // lowercase; also the digest realm
  const DomainAuth* auth = nullptr;  // never null in a published snapshot
};

// Provisioned SIP domains by name (one snapshot). Built on a control thread, then read-only.
class DomainTable {
 public:
  // Adds `name` with the id `names` gives it; returns that id. One entry per name (a second
  // Add of a name updates its flag and auth).
  uint16_t Add(DomainNames& names, std::string_view name, bool registration,
               const DomainAuth* auth = nullptr);
  // Case-insensitive; no allocation. nullptr when not provisioned in this snapshot.
  [[nodiscard]] const DomainInfo* Find(std::string_view host) const;
  [[nodiscard]] std::size_t size() const { return domains_.size(); }
  [[nodiscard]] const std::vector<DomainInfo>& all() const { return domains_; }

 private:
  std::vector<DomainInfo> domains_;
  // Open-addressed index over domains_ (hash of the lowercase name -> position + 1), at most
  // half full, doubled and rebuilt when it would be fuller.
  std::vector<uint32_t> index_;
  void Insert(uint32_t position);
};

struct Provisioned {
  DomainTable domains;
  std::vector<std::shared_ptr<const DomainAuth>> pieces;  // what domains[*].auth point to
  uint64_t revision = 0;                                  // the store's revision it was built from

  // Adds a domain checked against `auth` (shared: an unchanged domain's piece from the
  // previous snapshot). Returns the domain's id.
  uint16_t AddDomain(DomainNames& names, std::string_view name, bool registration,
                     std::shared_ptr<const DomainAuth> auth);
  // Adds a domain with a fresh, empty piece and returns it to be filled (tests, builders;
  // before publishing only).
  DomainAuth& AddDomain(DomainNames& names, std::string_view name, bool registration);

  // Whether `peer` may send REGISTERs (calls: INVITEs) for `d`: no ACL mapped, or listed.
  [[nodiscard]] static bool Allowed(const DomainInfo& d, const net::Endpoint& peer, bool calls) {
    if (d.auth == nullptr) {
      return true;
    }
    return calls ? !d.auth->calls_acl || d.auth->calls_networks.Contains(peer)
                 : !d.auth->registration_acl || d.auth->registration_networks.Contains(peer);
  }
  // The HA1s of `user` in `d`, or nullptr. Never allocates.
  [[nodiscard]] static const auth::CredentialEntry* Credential(const DomainInfo& d,
                                                               std::string_view user) {
    return d.auth == nullptr ? nullptr : d.auth->credentials.Find(d.name, user);
  }
};

class ProvisionedCell {
 public:
  // `readers`: how many reader ids (workers) will announce quiescent points; 0..readers-1.
  // Readers start online.
  ProvisionedCell(std::unique_ptr<const Provisioned> initial, uint32_t readers);
  ~ProvisionedCell();
  ProvisionedCell(const ProvisionedCell&) = delete;
  ProvisionedCell& operator=(const ProvisionedCell&) = delete;

  [[nodiscard]] const Provisioned* Load() const { return current_.load(std::memory_order_acquire); }
  // Reader `r` holds no pointer Load() returned before this call.
  void Quiescent(uint32_t r) const {
    slots_[r].seen.store(epoch_.load(std::memory_order_acquire), std::memory_order_release);
  }
  // Reader `r` stopped reading for good (a stopped worker never holds reclamation back).
  void Offline(uint32_t r) const { slots_[r].seen.store(~uint64_t{0}, std::memory_order_release); }

  // Publisher: makes `next` current and retires the previous snapshot.
  void Publish(std::unique_ptr<const Provisioned> next);
  // Publisher: frees every retired snapshot all readers have passed; returns how many are
  // still waiting.
  std::size_t Reclaim();
  [[nodiscard]] uint32_t readers() const { return readers_; }

 private:
  struct alignas(kCacheLine) Slot {
    std::atomic<uint64_t> seen{0};
  };
  struct Retired {
    const Provisioned* snapshot;
    uint64_t epoch;  // freed when every reader has seen an epoch >= this
  };
  std::atomic<const Provisioned*> current_;
  std::atomic<uint64_t> epoch_{1};
  uint32_t readers_;
  std::unique_ptr<Slot[]> slots_;
  std::mutex mu_;  // publisher side only
  std::vector<Retired> retired_;
};

}  // namespace sipfront::registrar

#endif  // SIPFRONT_REGISTRAR_PROVISIONED_H_
