// sipfront/control/store.h — the provisioning store: SQLite (default, a file under data_dir)
// or PostgreSQL (edges that share one store), behind one class.
//
// One Store is one database connection and belongs to one thread at a time (the REST server
// has its own, the provisioning loader that feeds the workers its own). Every write is one
// transaction that also bumps the store's revision, so a reader on another edge sees a change
// by polling Revision(). Schema changes are numbered migrations (schema_migrations table),
// applied in order inside a transaction when the store is opened; a database newer than this
// build is refused.
//
// Errors (absl::Status codes; messages name the field or resource and are fit for an API
// error body):
//   NotFound           no such resource in this account (another account's SID too)
//   InvalidArgument    a field failed model.h validation
//   AlreadyExists      domain_name taken (by any account), username taken within its list,
//                      the list already mapped, an IP already in its ACL
//   ResourceExhausted  a model.h limit would be exceeded
//   Unavailable / Internal   the database failed (the message says how)
// Limits and uniqueness are checked inside the writing transaction (on PostgreSQL under a
// row lock on the parent), so concurrent writers cannot exceed them.
#ifndef SIPFRONT_CONTROL_STORE_H_
#define SIPFRONT_CONTROL_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sipfront/base/status.h"
#include "sipfront/control/model.h"

namespace sipfront::control {

// A page of a list: zero-based page number, page_size 1..1000 (the hosted API's bounds).
struct PageRequest {
  uint32_t page = 0;
  uint32_t page_size = 50;
};
template <class T>
struct Page {
  std::vector<T> items;
  bool has_more = false;  // a next page exists
};

// A credential as the fast path needs it: HA1s for one realm.
struct RuntimeCredential {
  std::string username;
  std::string ha1_md5;     // 32 lowercase hex
  std::string ha1_sha256;  // 64 lowercase hex
};
struct RuntimeNetwork {
  std::string ip_address;  // normalised literal
  uint32_t cidr_prefix_length = 32;
};
// One domain with everything its registrations and calls are checked against.
struct RuntimeDomain {
  Domain domain;
  // The store revision of the last write that changed anything below for this domain (its
  // fields, its mapped lists' credentials or networks, its mappings): the loader rebuilds only
  // domains whose content_revision moved.
  uint64_t content_revision = 0;
  // Credentials of the lists mapped for registrations that have an HA1 for this domain's
  // realm; a username in two mapped lists appears once (the earlier mapping's).
  std::vector<RuntimeCredential> registration_credentials;
  // Whether an IP ACL is mapped (then only `*_networks` may send; an empty ACL admits none).
  bool registration_acl = false;
  std::vector<RuntimeNetwork> registration_networks;
  bool calls_acl = false;
  std::vector<RuntimeNetwork> calls_networks;
};
struct Runtime {
  uint64_t revision = 0;
  std::vector<RuntimeDomain> domains;
};

class Store {
 public:
  // "sqlite:PATH" (a file; created with its directory's permissions) or "postgresql://…" /
  // "postgres://…" / a libpq key=value string starting with "host=" or "dbname=".
  static absl::StatusOr<std::unique_ptr<Store>> Open(std::string_view url);

  virtual ~Store() = default;

  [[nodiscard]] virtual int SchemaVersion() = 0;
  // Bumped by every committed write (from any connection or edge).
  virtual absl::StatusOr<uint64_t> Revision() = 0;

  // ---- accounts (created by the configuration seed; no REST creation) ----
  virtual absl::StatusOr<std::vector<Account>> ListAccounts() = 0;
  virtual absl::StatusOr<Account> GetAccount(std::string_view sid) = 0;
  // Inserts, or updates friendly_name and the token hash of an existing account.
  virtual absl::Status PutAccount(const Account& account) = 0;

  // ---- domains ----
  // `d.sid` empty: a new SID is drawn; dates are set here. Validates every field (model.h);
  // domain_name is lowercased.
  virtual absl::StatusOr<Domain> CreateDomain(Domain d) = 0;
  virtual absl::StatusOr<Domain> GetDomain(std::string_view account, std::string_view sid) = 0;
  virtual absl::StatusOr<Page<Domain>> ListDomains(std::string_view account, PageRequest p) = 0;
  // Replaces every mutable field of the domain `d.sid` of `d.account_sid` (the caller merges
  // a partial update into what GetDomain returned). date_updated is set here.
  virtual absl::StatusOr<Domain> UpdateDomain(const Domain& d) = 0;
  // Also removes the domain's mappings.
  virtual absl::Status DeleteDomain(std::string_view account, std::string_view sid) = 0;

  // ---- credential lists and credentials ----
  virtual absl::StatusOr<CredentialList> CreateCredentialList(CredentialList l) = 0;
  virtual absl::StatusOr<CredentialList> GetCredentialList(std::string_view account,
                                                           std::string_view sid) = 0;
  virtual absl::StatusOr<Page<CredentialList>> ListCredentialLists(std::string_view account,
                                                                   PageRequest p) = 0;
  virtual absl::StatusOr<CredentialList> UpdateCredentialList(const CredentialList& l) = 0;
  // Also removes its credentials and the mappings that name it.
  virtual absl::Status DeleteCredentialList(std::string_view account, std::string_view sid) = 0;

  // Validates username and password, computes the HA1s (MD5, SHA-256) for the realm of every
  // domain of the account, stores those (never the password).
  virtual absl::StatusOr<Credential> CreateCredential(std::string_view account,
                                                      std::string_view list_sid,
                                                      std::string_view username,
                                                      std::string_view password) = 0;
  virtual absl::StatusOr<Credential> GetCredential(std::string_view account,
                                                   std::string_view list_sid,
                                                   std::string_view sid) = 0;
  virtual absl::StatusOr<Page<Credential>> ListCredentials(std::string_view account,
                                                           std::string_view list_sid,
                                                           PageRequest p) = 0;
  // A new password: every HA1 is recomputed (for the account's current domains).
  virtual absl::StatusOr<Credential> UpdateCredential(std::string_view account,
                                                      std::string_view list_sid,
                                                      std::string_view sid,
                                                      std::string_view password) = 0;
  virtual absl::Status DeleteCredential(std::string_view account, std::string_view list_sid,
                                        std::string_view sid) = 0;

  // ---- IP access control lists and their addresses ----
  virtual absl::StatusOr<IpAccessControlList> CreateIpAccessControlList(IpAccessControlList l) = 0;
  virtual absl::StatusOr<IpAccessControlList> GetIpAccessControlList(std::string_view account,
                                                                     std::string_view sid) = 0;
  virtual absl::StatusOr<Page<IpAccessControlList>> ListIpAccessControlLists(
      std::string_view account, PageRequest p) = 0;
  virtual absl::StatusOr<IpAccessControlList> UpdateIpAccessControlList(
      const IpAccessControlList& l) = 0;
  virtual absl::Status DeleteIpAccessControlList(std::string_view account,
                                                 std::string_view sid) = 0;

  // Validates and normalises ip_address/cidr_prefix_length (model.h CheckIpAddress).
  virtual absl::StatusOr<IpAddress> CreateIpAddress(IpAddress a) = 0;
  virtual absl::StatusOr<IpAddress> GetIpAddress(std::string_view account, std::string_view acl_sid,
                                                 std::string_view sid) = 0;
  virtual absl::StatusOr<Page<IpAddress>> ListIpAddresses(std::string_view account,
                                                          std::string_view acl_sid,
                                                          PageRequest p) = 0;
  virtual absl::StatusOr<IpAddress> UpdateIpAddress(const IpAddress& a) = 0;
  virtual absl::Status DeleteIpAddress(std::string_view account, std::string_view acl_sid,
                                       std::string_view sid) = 0;

  // ---- mappings of lists to a domain ----
  // NotFound when the domain or the list is not the account's (or the list is of the wrong
  // kind for `kind`).
  virtual absl::StatusOr<Mapping> CreateMapping(MappingKind kind, std::string_view account,
                                                std::string_view domain_sid,
                                                std::string_view list_sid) = 0;
  virtual absl::StatusOr<Mapping> GetMapping(MappingKind kind, std::string_view account,
                                             std::string_view domain_sid,
                                             std::string_view list_sid) = 0;
  virtual absl::StatusOr<Page<Mapping>> ListMappings(MappingKind kind, std::string_view account,
                                                     std::string_view domain_sid,
                                                     PageRequest p) = 0;
  virtual absl::Status DeleteMapping(MappingKind kind, std::string_view account,
                                     std::string_view domain_sid, std::string_view list_sid) = 0;

  // ---- what the workers check against ----
  // Every domain with its registration credentials and ACL networks, and the revision it was
  // read at (one read transaction).
  virtual absl::StatusOr<Runtime> LoadRuntime() = 0;
  // The same for the named domains only (SIDs of domains that no longer exist are left out).
  virtual absl::StatusOr<Runtime> LoadRuntime(const std::vector<std::string>& domain_sids) = 0;

  // Every domain's SID and content_revision, and the store revision (one read transaction):
  // cheap (one row per domain), so the loader can find what changed without reading
  // credentials.
  struct DomainRevision {
    std::string sid;
    uint64_t content_revision = 0;
  };
  struct DomainRevisions {
    uint64_t revision = 0;
    std::vector<DomainRevision> domains;
  };
  virtual absl::StatusOr<DomainRevisions> LoadDomainRevisions() = 0;
};

}  // namespace sipfront::control

#endif  // SIPFRONT_CONTROL_STORE_H_
