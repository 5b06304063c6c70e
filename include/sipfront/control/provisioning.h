// sipfront/control/provisioning.h — from the provisioning store to the workers, and from the
// binding tables to the API.
//
//   BuildDomainAuth     one domain of the store's runtime view -> its immutable piece (HA1s, IP
//                       ACL network sets); BuildProvisioned does every domain (tests, benches).
//   ProvisioningLoader  keeps one piece per domain and a thread that, when told (the API calls
//                       Notify() after every write) or when the store's revision moves (polled:
//                       another edge sharing a PostgreSQL store wrote), reloads only the domains
//                       whose content_revision moved, publishes a snapshot sharing the other
//                       pieces, and frees snapshots the workers have passed. A failed load keeps
//                       the current snapshot (logged once per distinct error, retried at the
//                       next poll).
//   TableRegistrations  the API's RegistrationSource: lock-free Lookup() on the shard tables.
//   SeedStore           the configuration's "provisioning" block -> an empty store.
#ifndef SIPFRONT_CONTROL_PROVISIONING_H_
#define SIPFRONT_CONTROL_PROVISIONING_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "sipfront/base/hash.h"
#include "sipfront/base/status.h"
#include "sipfront/control/api.h"
#include "sipfront/control/store.h"
#include "sipfront/registrar/binding_table.h"
#include "sipfront/registrar/provisioned.h"

namespace sipfront::control {

[[nodiscard]] std::shared_ptr<const registrar::DomainAuth> BuildDomainAuth(
    const RuntimeDomain& domain);
[[nodiscard]] std::unique_ptr<registrar::Provisioned> BuildProvisioned(
    const Runtime& runtime, registrar::DomainNames& names);

class ProvisioningLoader {
 public:
  // `store` is the loader's own connection. `poll_ms`: how often the revision is checked.
  ProvisioningLoader(std::unique_ptr<Store> store, registrar::DomainNames& names,
                     uint32_t poll_ms = 1000);
  ~ProvisioningLoader();  // Stop()s
  ProvisioningLoader(const ProvisioningLoader&) = delete;
  ProvisioningLoader& operator=(const ProvisioningLoader&) = delete;

  // Brings the per-domain pieces up to date with the store (loading only domains whose
  // content_revision moved) and returns a new snapshot; nullptr when the store's revision is
  // the one of the last snapshot. Called by main for the first snapshot, then by the thread.
  absl::StatusOr<std::unique_ptr<registrar::Provisioned>> Refresh();

  // Starts the thread, publishing into `cell` (which outlives the loader's Stop()).
  void Start(registrar::ProvisionedCell& cell);
  void Stop();
  // Something changed: reload now (any thread, cheap).
  void Notify();

  struct Counters {
    std::atomic<uint64_t> reloads{0};         // snapshots published
    std::atomic<uint64_t> domains_loaded{0};  // domains (re)built from the store, in all
    std::atomic<uint64_t> errors{0};          // failed loads
    std::atomic<uint64_t> revision{0};        // of the snapshot built last
  };
  [[nodiscard]] const Counters& counters() const { return counters_; }

 private:
  void Run();

  struct Piece {
    std::string name;
    bool registration = false;
    uint64_t content_revision = 0;
    std::shared_ptr<const registrar::DomainAuth> auth;
  };

  std::unique_ptr<Store> store_;
  registrar::ProvisionedCell* cell_ = nullptr;
  registrar::DomainNames& names_;
  std::unordered_map<std::string, Piece> pieces_;  // by domain SID; one thread at a time
  bool built_ = false;                             // Refresh() returned a snapshot
  uint32_t poll_ms_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool notified_ = false;
  bool stop_ = false;
  std::thread thread_;
  Counters counters_;
};

class TableRegistrations : public RegistrationSource {
 public:
  // `tables` one per shard (shard = hash & (tables.size() - 1)); they outlive this object.
  TableRegistrations(std::vector<const registrar::BindingTable*> tables, HashKey key,
                     const registrar::DomainNames& names);
  bool Lookup(std::string_view domain_name, std::string_view user,
              std::vector<LiveBinding>& out) override;

 private:
  std::vector<const registrar::BindingTable*> tables_;
  HashKey key_;
  const registrar::DomainNames& names_;
  std::vector<registrar::BindingCopy> scratch_;  // Lookup() runs on the API thread only
};

// A seed account: what the configuration's "provisioning" block gives (passwords in clear,
// hashed by the store).
struct SeedCredential {
  std::string username;
  std::string password;
};
struct SeedCredentialList {
  std::string sid;
  std::string friendly_name;
  std::vector<SeedCredential> credentials;
};
struct SeedDomain {
  std::string sid;
  std::string domain_name;
  bool sip_registration = false;
  std::vector<std::string> registration_credential_lists;
};
struct SeedAccount {
  std::string sid;
  std::string auth_token;  // empty: the account gets none (no API access) unless it has one
  std::vector<SeedCredentialList> credential_lists;
  std::vector<SeedDomain> domains;
};
struct SeedReport {
  bool seeded = false;  // the store was empty and now holds the seed
  uint32_t accounts_updated = 0;
};
// Accounts are synchronised from the seed on every start (they have no API of their own):
// inserted, or their auth token replaced when the seed gives one. Domains, lists,
// credentials and mappings are written only when the store holds no domain and no credential
// list yet (the first start); afterwards the API owns them.
absl::StatusOr<SeedReport> SeedStore(Store& store, const std::vector<SeedAccount>& accounts);

}  // namespace sipfront::control

#endif  // SIPFRONT_CONTROL_PROVISIONING_H_
