// The provisioning store, written once over the internal SQL driver (db_driver.h). Every
// write is one transaction that first bumps the meta revision (on PostgreSQL that row lock
// also serialises writers), then locks the parent row (FOR UPDATE on PostgreSQL; SQLite's
// BEGIN IMMEDIATE already holds the database's write lock), then checks limits and uniqueness
// and writes.
#include "sipfront/control/store.h"

#include <algorithm>
#include <array>
#include <bit>
#include <ctime>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"

#include "sipfront/auth/digest.h"

#include "db_driver.h"
#include "store_schema.h"
#include "store_util.h"

namespace sipfront::control {
namespace {

using db::Param;
using db::Row;
using db::Rows;

// The SQLite busy timeout: how long a writer waits for another connection's write
// transaction (provisioning writes take milliseconds).
constexpr int kSqliteBusyTimeoutMs = 5000;
// pg_advisory_xact_lock key for migrations: "sipfront" in ASCII.
constexpr int64_t kMigrationLockKey = 0x7369706672'6f6e74;
constexpr uint32_t kMaxPageSize = 1000;

int64_t Now() { return static_cast<int64_t>(std::time(nullptr)); }

int64_t Int(const std::optional<std::string>& v) {
  int64_t out = 0;
  if (v.has_value() && absl::SimpleAtoi(*v, &out)) {
    return out;
  }
  return 0;
}
std::string Str(const std::optional<std::string>& v) { return v.value_or(""); }
std::string Take(std::optional<std::string>& v) { return v.has_value() ? std::move(*v) : ""; }

// Stable codes in the mappings table (independent of the enum's order).
int MappingCode(MappingKind k) {
  switch (k) {
    case MappingKind::kCallsCredentialList:
      return 1;
    case MappingKind::kCallsIpAcl:
      return 2;
    case MappingKind::kRegistrationsCredentialList:
      return 3;
    case MappingKind::kRegistrationsIpAcl:
      return 4;
  }
  return 0;
}
std::string_view MappingPurpose(MappingKind k) {
  return k == MappingKind::kCallsCredentialList || k == MappingKind::kCallsIpAcl ? "calls"
                                                                                 : "registrations";
}

absl::Status NotFound(std::string_view noun, std::string_view sid) {
  return absl::NotFoundError(Cat(noun, " ", sid, " not found"));
}
absl::Status Exhausted(std::string_view owner, std::string_view sid, uint32_t limit,
                       std::string_view what, std::string_view per) {
  return absl::ResourceExhaustedError(
      Cat(owner, " ", sid, " has ", limit, " ", what, ", the most ", per, " may have"));
}

// model.h's URL and method reasons start with a generic field name; name the real one.
absl::Status FieldError(std::string_view field, std::string_view generic,
                        const std::string& reason) {
  if (std::string_view(reason).starts_with(generic)) {
    return absl::InvalidArgumentError(Cat(field, reason.substr(generic.size())));
  }
  return absl::InvalidArgumentError(Cat(field, ": ", reason));
}

absl::Status CheckSidArg(std::string_view sid, Kind k, std::string_view noun) {
  if (!sid.empty() && !IsSid(sid, k)) {
    return absl::InvalidArgumentError(Cat("Sid ", sid, " is not a ", noun, " SID (", SidPrefix(k),
                                          " and 32 hex "
                                          "digits)"));
  }
  return absl::OkStatus();
}

absl::Status ValidateFriendlyName(const std::string& name) {
  if (std::string r = CheckFriendlyName(name); !r.empty()) {
    return absl::InvalidArgumentError(r);
  }
  return absl::OkStatus();
}

absl::Status ValidateDomain(Domain& d) {
  SIPFRONT_RETURN_IF_ERROR(CheckSidArg(d.sid, Kind::kDomain, "domain"));
  if (std::string r = CheckDomainName(d.domain_name); !r.empty()) {
    return absl::InvalidArgumentError(r);
  }
  absl::AsciiStrToLower(&d.domain_name);
  SIPFRONT_RETURN_IF_ERROR(ValidateFriendlyName(d.friendly_name));
  const std::pair<std::string_view, std::string*> urls[] = {
      {"VoiceUrl", &d.voice_url},
      {"VoiceFallbackUrl", &d.voice_fallback_url},
      {"VoiceStatusCallbackUrl", &d.voice_status_callback_url},
  };
  for (const auto& [field, value] : urls) {
    if (std::string r = CheckUrl(*value); !r.empty()) {
      return FieldError(field, "Url", r);
    }
  }
  const std::pair<std::string_view, std::string*> methods[] = {
      {"VoiceMethod", &d.voice_method},
      {"VoiceFallbackMethod", &d.voice_fallback_method},
      {"VoiceStatusCallbackMethod", &d.voice_status_callback_method},
  };
  for (const auto& [field, value] : methods) {
    if (std::string r = CheckMethod(*value); !r.empty()) {
      return FieldError(field, "Method", r);
    }
    absl::AsciiStrToUpper(value);
  }
  return absl::OkStatus();
}

absl::Status ValidatePage(PageRequest p) {
  if (p.page_size < 1 || p.page_size > kMaxPageSize) {
    return absl::InvalidArgumentError(Cat("PageSize must be 1 to ", kMaxPageSize));
  }
  return absl::OkStatus();
}

constexpr std::string_view kDomainCols =
    "sid, account_sid, domain_name, friendly_name, voice_url, voice_method, voice_fallback_url, "
    "voice_fallback_method, voice_status_callback_url, voice_status_callback_method, "
    "sip_registration, secure, emergency_calling_enabled, date_created, date_updated";
Domain ToDomain(const Row& r) {
  Domain d;
  d.sid = Str(r[0]);
  d.account_sid = Str(r[1]);
  d.domain_name = Str(r[2]);
  d.friendly_name = Str(r[3]);
  d.voice_url = Str(r[4]);
  d.voice_method = Str(r[5]);
  d.voice_fallback_url = Str(r[6]);
  d.voice_fallback_method = Str(r[7]);
  d.voice_status_callback_url = Str(r[8]);
  d.voice_status_callback_method = Str(r[9]);
  d.sip_registration = Int(r[10]) != 0;
  d.secure = Int(r[11]) != 0;
  d.emergency_calling_enabled = Int(r[12]) != 0;
  d.date_created = Int(r[13]);
  d.date_updated = Int(r[14]);
  return d;
}

constexpr std::string_view kListCols =
    "sid, account_sid, friendly_name, date_created, date_updated";
template <class L>
L ToList(const Row& r) {
  L l;
  l.sid = Str(r[0]);
  l.account_sid = Str(r[1]);
  l.friendly_name = Str(r[2]);
  l.date_created = Int(r[3]);
  l.date_updated = Int(r[4]);
  return l;
}

constexpr std::string_view kCredentialCols =
    "sid, account_sid, credential_list_sid, username, date_created, date_updated";
Credential ToCredential(const Row& r) {
  Credential c;
  c.sid = Str(r[0]);
  c.account_sid = Str(r[1]);
  c.credential_list_sid = Str(r[2]);
  c.username = Str(r[3]);
  c.date_created = Int(r[4]);
  c.date_updated = Int(r[5]);
  return c;
}

constexpr std::string_view kIpCols =
    "sid, account_sid, ip_access_control_list_sid, friendly_name, ip_address, "
    "cidr_prefix_length, date_created, date_updated";
IpAddress ToIp(const Row& r) {
  IpAddress a;
  a.sid = Str(r[0]);
  a.account_sid = Str(r[1]);
  a.ip_access_control_list_sid = Str(r[2]);
  a.friendly_name = Str(r[3]);
  a.ip_address = Str(r[4]);
  a.cidr_prefix_length = static_cast<uint32_t>(Int(r[5]));
  a.date_created = Int(r[6]);
  a.date_updated = Int(r[7]);
  return a;
}

// The two kinds of list, which share their columns (kListCols) and their handling.
struct ListTable {
  std::string_view table;
  Kind kind;
  std::string_view noun;      // "Credential list": messages about one list
  std::string_view sid_noun;  // "credential list": in running text
  std::string_view plural;    // "credential lists"
  uint32_t per_account;
  // The list's entries: their table, the column naming their list, how many a list may hold.
  std::string_view entry_table;
  std::string_view entry_list_column;
  std::string_view entry_plural;
  uint32_t per_list;
  // Run (with the list's SID) before the list row itself is deleted.
  std::array<std::string_view, 2> delete_entries;
  // The mapping kinds that name a list of this kind: a change to its entries touches the
  // domains of these mappings (TouchMappedDomains).
  std::array<MappingKind, 2> mapping_kinds;
};
constexpr ListTable kCredentialLists = {
    "credential_lists",
    Kind::kCredentialList,
    "Credential list",
    "credential list",
    "credential lists",
    kMaxCredentialListsPerAccount,
    "credentials",
    "credential_list_sid",
    "credentials",
    kMaxCredentialsPerList,
    {"DELETE FROM credential_ha1 WHERE credential_sid IN"
     " (SELECT sid FROM credentials WHERE credential_list_sid = ?)",
     "DELETE FROM credentials WHERE credential_list_sid = ?"},
    // Registrations check the credentials; calls mappings too, for call routing to come.
    {MappingKind::kRegistrationsCredentialList, MappingKind::kCallsCredentialList},
};
constexpr ListTable kIpAccessControlLists = {
    "ip_access_control_lists",
    Kind::kIpAccessControlList,
    "IP access control list",
    "IP access control list",
    "IP access control lists",
    kMaxIpAclsPerAccount,
    "ip_addresses",
    "ip_access_control_list_sid",
    "IP addresses",
    kMaxIpAddressesPerAcl,
    {"DELETE FROM ip_addresses WHERE ip_access_control_list_sid = ?", ""},
    {MappingKind::kRegistrationsIpAcl, MappingKind::kCallsIpAcl},
};
template <class L>
struct ListTableOf;
template <>
struct ListTableOf<CredentialList> {
  static constexpr const ListTable& kTable = kCredentialLists;
};
template <>
struct ListTableOf<IpAccessControlList> {
  static constexpr const ListTable& kTable = kIpAccessControlLists;
};
// The kind of list a mapping names.
const ListTable& MappedTable(MappingKind k) {
  return MapsIpAcl(k) ? kIpAccessControlLists : kCredentialLists;
}

// Rolls back unless committed.
class Txn {
 public:
  explicit Txn(db::Db& db) : db_(db) {}
  ~Txn() {
    if (open_) {
      db_.Rollback();
    }
  }
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;

  absl::Status Begin(db::TxnMode mode) {
    absl::Status s = db_.Begin(mode);
    open_ = s.ok();
    return s;
  }
  absl::Status Commit() {
    absl::Status s = db_.Commit();
    if (s.ok()) {
      open_ = false;
    }
    return s;
  }

 private:
  db::Db& db_;
  bool open_ = false;
};

// The domains a runtime load is restricted to: their SIDs (distinct) in chunks of at most
// kMaxInList, each padded to a power of two by repeating its last SID, so that the IN lists
// take a few statement texts only (the SQLite driver caches a prepared statement per text).
constexpr std::size_t kMaxInList = 512;
struct DomainFilter {
  std::vector<std::vector<Param>> chunks;
};
DomainFilter ChunkSids(std::vector<std::string_view> sids) {
  std::sort(sids.begin(), sids.end());
  sids.erase(std::unique(sids.begin(), sids.end()), sids.end());
  DomainFilter f;
  for (std::size_t i = 0; i < sids.size(); i += kMaxInList) {
    const std::size_t n = std::min(kMaxInList, sids.size() - i);
    std::vector<Param>& chunk = f.chunks.emplace_back();
    chunk.reserve(std::bit_ceil(n));
    chunk.assign(sids.begin() + static_cast<std::ptrdiff_t>(i),
                 sids.begin() + static_cast<std::ptrdiff_t>(i + n));
    chunk.resize(std::bit_ceil(n), chunk.back());
  }
  return f;
}

class SqlStore final : public Store {
 public:
  explicit SqlStore(std::unique_ptr<db::Db> db) : db_(std::move(db)) {}

  absl::Status Migrate();

  int SchemaVersion() override { return schema_version_; }
  absl::StatusOr<uint64_t> Revision() override;

  absl::StatusOr<std::vector<Account>> ListAccounts() override;
  absl::StatusOr<Account> GetAccount(std::string_view sid) override;
  absl::Status PutAccount(const Account& account) override;

  absl::StatusOr<Domain> CreateDomain(Domain d) override;
  absl::StatusOr<Domain> GetDomain(std::string_view account, std::string_view sid) override;
  absl::StatusOr<Page<Domain>> ListDomains(std::string_view account, PageRequest p) override;
  absl::StatusOr<Domain> UpdateDomain(const Domain& d) override;
  absl::Status DeleteDomain(std::string_view account, std::string_view sid) override;

  absl::StatusOr<CredentialList> CreateCredentialList(CredentialList l) override;
  absl::StatusOr<CredentialList> GetCredentialList(std::string_view account,
                                                   std::string_view sid) override;
  absl::StatusOr<Page<CredentialList>> ListCredentialLists(std::string_view account,
                                                           PageRequest p) override;
  absl::StatusOr<CredentialList> UpdateCredentialList(const CredentialList& l) override;
  absl::Status DeleteCredentialList(std::string_view account, std::string_view sid) override;

  absl::StatusOr<Credential> CreateCredential(std::string_view account, std::string_view list_sid,
                                              std::string_view username,
                                              std::string_view password) override;
  absl::StatusOr<Credential> GetCredential(std::string_view account, std::string_view list_sid,
                                           std::string_view sid) override;
  absl::StatusOr<Page<Credential>> ListCredentials(std::string_view account,
                                                   std::string_view list_sid,
                                                   PageRequest p) override;
  absl::StatusOr<Credential> UpdateCredential(std::string_view account, std::string_view list_sid,
                                              std::string_view sid,
                                              std::string_view password) override;
  absl::Status DeleteCredential(std::string_view account, std::string_view list_sid,
                                std::string_view sid) override;

  absl::StatusOr<IpAccessControlList> CreateIpAccessControlList(IpAccessControlList l) override;
  absl::StatusOr<IpAccessControlList> GetIpAccessControlList(std::string_view account,
                                                             std::string_view sid) override;
  absl::StatusOr<Page<IpAccessControlList>> ListIpAccessControlLists(std::string_view account,
                                                                     PageRequest p) override;
  absl::StatusOr<IpAccessControlList> UpdateIpAccessControlList(
      const IpAccessControlList& l) override;
  absl::Status DeleteIpAccessControlList(std::string_view account, std::string_view sid) override;

  absl::StatusOr<IpAddress> CreateIpAddress(IpAddress a) override;
  absl::StatusOr<IpAddress> GetIpAddress(std::string_view account, std::string_view acl_sid,
                                         std::string_view sid) override;
  absl::StatusOr<Page<IpAddress>> ListIpAddresses(std::string_view account,
                                                  std::string_view acl_sid, PageRequest p) override;
  absl::StatusOr<IpAddress> UpdateIpAddress(const IpAddress& a) override;
  absl::Status DeleteIpAddress(std::string_view account, std::string_view acl_sid,
                               std::string_view sid) override;

  absl::StatusOr<Mapping> CreateMapping(MappingKind kind, std::string_view account,
                                        std::string_view domain_sid,
                                        std::string_view list_sid) override;
  absl::StatusOr<Mapping> GetMapping(MappingKind kind, std::string_view account,
                                     std::string_view domain_sid,
                                     std::string_view list_sid) override;
  absl::StatusOr<Page<Mapping>> ListMappings(MappingKind kind, std::string_view account,
                                             std::string_view domain_sid, PageRequest p) override;
  absl::Status DeleteMapping(MappingKind kind, std::string_view account,
                             std::string_view domain_sid, std::string_view list_sid) override;

  absl::StatusOr<Runtime> LoadRuntime() override;
  absl::StatusOr<Runtime> LoadRuntime(const std::vector<std::string>& domain_sids) override;
  absl::StatusOr<DomainRevisions> LoadDomainRevisions() override;

 private:
  // " FOR UPDATE" on PostgreSQL: the row lock that keeps concurrent edges within limits.
  [[nodiscard]] std::string_view ForUpdate() const {
    return db_->dialect() == db::Dialect::kPostgres ? " FOR UPDATE" : "";
  }

  // Runs `body(revision)` in a write transaction that bumps the revision first; commits when
  // the body succeeds, rolls back otherwise.
  template <class F>
  auto Write(F&& body) -> std::invoke_result_t<F, int64_t>;

  // Whether `sql` (with `params`) returns a row; when `lock`, the row is locked FOR UPDATE.
  absl::StatusOr<bool> Exists(std::string_view sql, std::initializer_list<Param> params,
                              bool lock = false);
  absl::StatusOr<int64_t> Count(std::string_view sql, std::initializer_list<Param> params);

  // One page of `sql`'s rows, each converted by `convert(row)`.
  template <class T, class F>
  absl::StatusOr<Page<T>> ListPage(const std::string& sql, std::vector<Param> params, PageRequest p,
                                   F convert);

  // NotFound(noun, sid) unless `sql` returns a row (locked FOR UPDATE when `lock`).
  absl::Status RequireRow(std::string_view sql, std::initializer_list<Param> params,
                          std::string_view noun, std::string_view sid, bool lock);
  absl::Status RequireDomain(std::string_view account, std::string_view sid, bool lock);
  absl::Status RequireList(const ListTable& t, std::string_view account, std::string_view sid,
                           bool lock);
  // Locks the account (NotFound when missing); ResourceExhausted when it already has `limit`
  // rows in `table`.
  absl::Status LockAccountWithRoom(std::string_view account, std::string_view table, uint32_t limit,
                                   std::string_view plural);
  // The same for a list and its entries.
  absl::Status LockListWithRoom(const ListTable& t, std::string_view account, std::string_view sid);
  absl::Status CheckDomainNameFree(const std::string& domain_name);
  // AlreadyExists when `a`'s ACL holds its network under a SID other than `other_than`.
  absl::Status CheckNetworkFree(const IpAddress& a, std::string_view other_than);
  // Runs an INSERT; a duplicate primary key is "<noun> <sid> already exists".
  absl::Status Insert(std::string_view sql, std::initializer_list<Param> params,
                      std::string_view noun, std::string_view sid);
  // The one row `sql` returns, converted; NotFound(noun, sid) when none.
  template <class T>
  absl::StatusOr<T> GetOne(std::string sql, std::initializer_list<Param> params,
                           T (*convert)(const Row&), std::string_view noun, std::string_view sid,
                           bool lock = false);

  // Both kinds of list (ListTableOf<L>).
  template <class L>
  absl::StatusOr<L> CreateList(L l);
  template <class L>
  absl::StatusOr<L> GetList(std::string_view account, std::string_view sid, bool lock = false);
  template <class L>
  absl::StatusOr<Page<L>> ListLists(std::string_view account, PageRequest p);
  template <class L>
  absl::StatusOr<L> UpdateList(const L& in);
  template <class L>
  absl::Status DeleteList(std::string_view account, std::string_view sid);

  // Content revisions (RuntimeDomain::content_revision), set to the writing transaction's
  // `revision`: of domain `sid`; of every domain that maps list `list_sid` (a list of kind
  // `t`). Run before anything deletes the mappings.
  absl::Status TouchDomain(std::string_view sid, int64_t revision);
  absl::Status TouchMappedDomains(const ListTable& t, std::string_view list_sid, int64_t revision);

  // LoadRuntime of every domain (`sids` null) or of the named ones.
  absl::StatusOr<Runtime> LoadRuntimeOf(const std::vector<std::string>* sids);
  // Runs `select` (a SELECT without WHERE or ORDER BY) with `where` (a condition, or empty)
  // and `params`, restricted to the domains `column` names in `filter` (every domain when
  // null: one statement; else one per chunk), then `order_by`; `each(rows)` gets each
  // statement's rows.
  template <class F>
  absl::Status QueryDomains(const DomainFilter* filter, std::string_view select,
                            std::string_view where, std::string_view column,
                            std::string_view order_by, std::initializer_list<Param> params,
                            F&& each);

  // The HA1 rows of credential `sid` for every domain of `account`.
  absl::Status WriteHa1s(std::string_view account, std::string_view sid, std::string_view username,
                         std::string_view password);

  std::unique_ptr<db::Db> db_;
  int schema_version_ = 0;
};

template <class F>
auto SqlStore::Write(F&& body) -> std::invoke_result_t<F, int64_t> {
  Txn txn(*db_);
  SIPFRONT_RETURN_IF_ERROR(txn.Begin(db::TxnMode::kWrite));
  absl::StatusOr<int64_t> bumped =
      db_->Exec("UPDATE meta SET revision = revision + 1 WHERE id = 1");
  if (!bumped.ok()) {
    return bumped.status();
  }
  absl::StatusOr<Rows> rev = db_->Query("SELECT revision FROM meta WHERE id = 1");
  if (!rev.ok()) {
    return rev.status();
  }
  if (rev->empty()) {
    return absl::InternalError("the meta row is missing");
  }
  auto result = body(Int((*rev)[0][0]));
  if (!result.ok()) {
    return result;
  }
  SIPFRONT_RETURN_IF_ERROR(txn.Commit());
  return result;
}

absl::Status SqlStore::TouchDomain(std::string_view sid, int64_t revision) {
  return db_->Exec("UPDATE domains SET content_revision = ? WHERE sid = ?", {revision, sid})
      .status();
}

absl::Status SqlStore::TouchMappedDomains(const ListTable& t, std::string_view list_sid,
                                          int64_t revision) {
  return db_
      ->Exec(
          "UPDATE domains SET content_revision = ? WHERE sid IN"
          " (SELECT domain_sid FROM mappings WHERE list_sid = ? AND kind IN (?, ?))",
          {revision, list_sid, MappingCode(t.mapping_kinds[0]), MappingCode(t.mapping_kinds[1])})
      .status();
}

absl::StatusOr<bool> SqlStore::Exists(std::string_view sql, std::initializer_list<Param> params,
                                      bool lock) {
  std::string text(sql);
  if (lock) {
    text += ForUpdate();
  }
  absl::StatusOr<Rows> rows = db_->Query(text, params);
  if (!rows.ok()) {
    return rows.status();
  }
  return !rows->empty();
}

absl::StatusOr<int64_t> SqlStore::Count(std::string_view sql, std::initializer_list<Param> params) {
  absl::StatusOr<Rows> rows = db_->Query(sql, params);
  if (!rows.ok()) {
    return rows.status();
  }
  return rows->empty() ? 0 : Int((*rows)[0][0]);
}

absl::Status SqlStore::RequireRow(std::string_view sql, std::initializer_list<Param> params,
                                  std::string_view noun, std::string_view sid, bool lock) {
  absl::StatusOr<bool> exists = Exists(sql, params, lock);
  if (!exists.ok()) {
    return exists.status();
  }
  return *exists ? absl::OkStatus() : NotFound(noun, sid);
}

absl::Status SqlStore::RequireDomain(std::string_view account, std::string_view sid, bool lock) {
  return RequireRow("SELECT sid FROM domains WHERE sid = ? AND account_sid = ?", {sid, account},
                    "Domain", sid, lock);
}

absl::Status SqlStore::RequireList(const ListTable& t, std::string_view account,
                                   std::string_view sid, bool lock) {
  return RequireRow(Cat("SELECT sid FROM ", t.table, " WHERE sid = ? AND account_sid = ?"),
                    {sid, account}, t.noun, sid, lock);
}

absl::Status SqlStore::LockAccountWithRoom(std::string_view account, std::string_view table,
                                           uint32_t limit, std::string_view plural) {
  SIPFRONT_RETURN_IF_ERROR(RequireRow("SELECT sid FROM accounts WHERE sid = ?", {account},
                                      "Account", account, /*lock=*/true));
  absl::StatusOr<int64_t> n =
      Count(Cat("SELECT COUNT(*) FROM ", table, " WHERE account_sid = ?"), {account});
  if (!n.ok()) {
    return n.status();
  }
  return *n >= limit ? Exhausted("Account", account, limit, plural, "an account")
                     : absl::OkStatus();
}

absl::Status SqlStore::LockListWithRoom(const ListTable& t, std::string_view account,
                                        std::string_view sid) {
  SIPFRONT_RETURN_IF_ERROR(RequireList(t, account, sid, /*lock=*/true));
  absl::StatusOr<int64_t> n = Count(
      Cat("SELECT COUNT(*) FROM ", t.entry_table, " WHERE ", t.entry_list_column, " = ?"), {sid});
  if (!n.ok()) {
    return n.status();
  }
  return *n >= t.per_list ? Exhausted(t.noun, sid, t.per_list, t.entry_plural, "a list")
                          : absl::OkStatus();
}

absl::Status SqlStore::CheckDomainNameFree(const std::string& domain_name) {
  absl::StatusOr<bool> taken =
      Exists("SELECT sid FROM domains WHERE domain_name = ?", {domain_name});
  if (!taken.ok()) {
    return taken.status();
  }
  return *taken ? absl::AlreadyExistsError(Cat("Domain name ", domain_name, " is already in use"))
                : absl::OkStatus();
}

absl::Status SqlStore::Insert(std::string_view sql, std::initializer_list<Param> params,
                              std::string_view noun, std::string_view sid) {
  absl::Status s = db_->Exec(sql, params).status();
  if (absl::IsAlreadyExists(s)) {
    return absl::AlreadyExistsError(Cat(noun, " ", sid, " already exists"));
  }
  return s;
}

template <class T>
absl::StatusOr<T> SqlStore::GetOne(std::string sql, std::initializer_list<Param> params,
                                   T (*convert)(const Row&), std::string_view noun,
                                   std::string_view sid, bool lock) {
  if (lock) {
    sql += ForUpdate();
  }
  absl::StatusOr<Rows> rows = db_->Query(sql, params);
  if (!rows.ok()) {
    return rows.status();
  }
  if (rows->empty()) {
    return NotFound(noun, sid);
  }
  return convert((*rows)[0]);
}

template <class T, class F>
absl::StatusOr<Page<T>> SqlStore::ListPage(const std::string& sql, std::vector<Param> params,
                                           PageRequest p, F convert) {
  SIPFRONT_RETURN_IF_ERROR(ValidatePage(p));
  params.emplace_back(static_cast<int64_t>(p.page_size) + 1);
  params.emplace_back(static_cast<int64_t>(p.page) * p.page_size);
  absl::StatusOr<Rows> rows = db_->Query(Cat(sql, " LIMIT ? OFFSET ?"), params);
  if (!rows.ok()) {
    return rows.status();
  }
  Page<T> page;
  page.has_more = rows->size() > p.page_size;
  const std::size_t n = std::min<std::size_t>(rows->size(), p.page_size);
  page.items.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    page.items.push_back(convert((*rows)[i]));
  }
  return page;
}

absl::Status SqlStore::Migrate() {
  Txn txn(*db_);
  SIPFRONT_RETURN_IF_ERROR(txn.Begin(db::TxnMode::kWrite));
  if (db_->dialect() == db::Dialect::kPostgres) {
    // Two edges starting together against an empty database: one migrates, the other waits
    // here and then finds nothing left to do.
    SIPFRONT_RETURN_IF_ERROR(
        db_->Query("SELECT pg_advisory_xact_lock(?)", {kMigrationLockKey}).status());
  }
  SIPFRONT_RETURN_IF_ERROR(db_->Exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
                                     " version INTEGER PRIMARY KEY,"
                                     " applied_at BIGINT NOT NULL)")
                               .status());
  absl::StatusOr<int64_t> current = Count("SELECT MAX(version) FROM schema_migrations", {});
  if (!current.ok()) {
    return current.status();
  }
  if (*current > schema::kLatestVersion) {
    return absl::FailedPreconditionError(Cat("the database's schema version ", *current,
                                             " is newer than this build's ", schema::kLatestVersion,
                                             ": run a newer sipfront against it"));
  }
  for (const schema::Migration& m : schema::kMigrations) {
    if (m.version <= *current) {
      continue;
    }
    for (std::string_view statement : m.statements) {
      absl::Status s = db_->Exec(statement).status();
      if (!s.ok()) {
        return absl::InternalError(Cat("schema migration ", m.version, " failed: ", s.message()));
      }
    }
    SIPFRONT_RETURN_IF_ERROR(
        db_->Exec("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                  {m.version, Now()})
            .status());
  }
  SIPFRONT_RETURN_IF_ERROR(txn.Commit());
  schema_version_ = schema::kLatestVersion;
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> SqlStore::Revision() {
  absl::StatusOr<int64_t> rev = Count("SELECT revision FROM meta WHERE id = 1", {});
  if (!rev.ok()) {
    return rev.status();
  }
  return static_cast<uint64_t>(*rev);
}

// ---- accounts ----

Account ToAccount(const Row& r) {
  Account a;
  a.sid = Str(r[0]);
  a.friendly_name = Str(r[1]);
  a.auth_token_sha256 = Str(r[2]);
  a.date_created = Int(r[3]);
  a.date_updated = Int(r[4]);
  return a;
}
constexpr std::string_view kAccountCols =
    "sid, friendly_name, auth_token_sha256, date_created, date_updated";

absl::StatusOr<std::vector<Account>> SqlStore::ListAccounts() {
  absl::StatusOr<Rows> rows =
      db_->Query(Cat("SELECT ", kAccountCols, " FROM accounts ORDER BY date_created, sid"));
  if (!rows.ok()) {
    return rows.status();
  }
  std::vector<Account> out;
  out.reserve(rows->size());
  for (const Row& r : *rows) {
    out.push_back(ToAccount(r));
  }
  return out;
}

absl::StatusOr<Account> SqlStore::GetAccount(std::string_view sid) {
  absl::StatusOr<Rows> rows =
      db_->Query(Cat("SELECT ", kAccountCols, " FROM accounts WHERE sid = ?"), {sid});
  if (!rows.ok()) {
    return rows.status();
  }
  if (rows->empty()) {
    return NotFound("Account", sid);
  }
  return ToAccount((*rows)[0]);
}

absl::Status SqlStore::PutAccount(const Account& account) {
  if (!IsSid(account.sid, Kind::kAccount)) {
    return absl::InvalidArgumentError(
        Cat("Sid ", account.sid, " is not an account SID (AC and 32 hex digits)"));
  }
  SIPFRONT_RETURN_IF_ERROR(ValidateFriendlyName(account.friendly_name));
  const std::string& hash = account.auth_token_sha256;
  bool hex = hash.size() == 64;
  for (char c : hash) {
    hex = hex && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  }
  if (!hex) {
    return absl::InvalidArgumentError("AuthToken hash must be 64 lowercase hex digits");
  }
  return Write([&](int64_t) -> absl::Status {
    const int64_t now = Now();
    absl::StatusOr<bool> exists = Exists("SELECT sid FROM accounts WHERE sid = ?", {account.sid},
                                         /*lock=*/true);
    if (!exists.ok()) {
      return exists.status();
    }
    if (*exists) {
      return db_
          ->Exec(
              "UPDATE accounts SET friendly_name = ?, auth_token_sha256 = ?, date_updated = ?"
              " WHERE sid = ?",
              {account.friendly_name, hash, now, account.sid})
          .status();
    }
    return db_
        ->Exec(
            "INSERT INTO accounts (sid, friendly_name, auth_token_sha256, date_created,"
            " date_updated) VALUES (?, ?, ?, ?, ?)",
            {account.sid, account.friendly_name, hash, now, now})
        .status();
  });
}

// ---- domains ----

absl::StatusOr<Domain> SqlStore::CreateDomain(Domain d) {
  SIPFRONT_RETURN_IF_ERROR(ValidateDomain(d));
  if (d.sid.empty()) {
    d.sid = NewSid(Kind::kDomain);
  }
  d.date_created = d.date_updated = Now();
  return Write([&](int64_t revision) -> absl::StatusOr<Domain> {
    SIPFRONT_RETURN_IF_ERROR(
        LockAccountWithRoom(d.account_sid, "domains", kMaxDomainsPerAccount, "domains"));
    SIPFRONT_RETURN_IF_ERROR(CheckDomainNameFree(d.domain_name));
    SIPFRONT_RETURN_IF_ERROR(
        Insert(Cat("INSERT INTO domains (", kDomainCols,
                   ", content_revision) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
               {d.sid, d.account_sid, d.domain_name, d.friendly_name, d.voice_url, d.voice_method,
                d.voice_fallback_url, d.voice_fallback_method, d.voice_status_callback_url,
                d.voice_status_callback_method, d.sip_registration, d.secure,
                d.emergency_calling_enabled, d.date_created, d.date_updated, revision},
               "Domain", d.sid));
    return d;
  });
}

absl::StatusOr<Domain> SqlStore::GetDomain(std::string_view account, std::string_view sid) {
  return GetOne(Cat("SELECT ", kDomainCols, " FROM domains WHERE sid = ? AND account_sid = ?"),
                {sid, account}, &ToDomain, "Domain", sid);
}

absl::StatusOr<Page<Domain>> SqlStore::ListDomains(std::string_view account, PageRequest p) {
  return ListPage<Domain>(Cat("SELECT ", kDomainCols,
                              " FROM domains WHERE account_sid = ?"
                              " ORDER BY date_created, sid"),
                          {account}, p, &ToDomain);
}

absl::StatusOr<Domain> SqlStore::UpdateDomain(const Domain& in) {
  Domain d = in;
  SIPFRONT_RETURN_IF_ERROR(ValidateDomain(d));
  return Write([&](int64_t revision) -> absl::StatusOr<Domain> {
    absl::StatusOr<Domain> old =
        GetOne(Cat("SELECT ", kDomainCols, " FROM domains WHERE sid = ? AND account_sid = ?"),
               {d.sid, d.account_sid}, &ToDomain, "Domain", d.sid, /*lock=*/true);
    if (!old.ok()) {
      return old.status();
    }
    if (old->domain_name != d.domain_name) {
      SIPFRONT_RETURN_IF_ERROR(CheckDomainNameFree(d.domain_name));
    }
    d.date_created = old->date_created;
    d.date_updated = Now();
    SIPFRONT_RETURN_IF_ERROR(
        db_->Exec("UPDATE domains SET domain_name = ?, friendly_name = ?, voice_url = ?,"
                  " voice_method = ?, voice_fallback_url = ?, voice_fallback_method = ?,"
                  " voice_status_callback_url = ?, voice_status_callback_method = ?,"
                  " sip_registration = ?, secure = ?, emergency_calling_enabled = ?,"
                  " date_updated = ?, content_revision = ? WHERE sid = ? AND account_sid = ?",
                  {d.domain_name, d.friendly_name, d.voice_url, d.voice_method,
                   d.voice_fallback_url, d.voice_fallback_method, d.voice_status_callback_url,
                   d.voice_status_callback_method, d.sip_registration, d.secure,
                   d.emergency_calling_enabled, d.date_updated, revision, d.sid, d.account_sid})
            .status());
    return d;
  });
}

absl::Status SqlStore::DeleteDomain(std::string_view account, std::string_view sid) {
  return Write([&](int64_t) -> absl::Status {
    SIPFRONT_RETURN_IF_ERROR(RequireDomain(account, sid, /*lock=*/true));
    SIPFRONT_RETURN_IF_ERROR(
        db_->Exec("DELETE FROM mappings WHERE domain_sid = ?", {sid}).status());
    return db_->Exec("DELETE FROM domains WHERE sid = ?", {sid}).status();
  });
}

// ---- credential lists and IP access control lists ----

template <class L>
absl::StatusOr<L> SqlStore::CreateList(L l) {
  const ListTable& t = ListTableOf<L>::kTable;
  SIPFRONT_RETURN_IF_ERROR(CheckSidArg(l.sid, t.kind, t.sid_noun));
  SIPFRONT_RETURN_IF_ERROR(ValidateFriendlyName(l.friendly_name));
  if (l.sid.empty()) {
    l.sid = NewSid(t.kind);
  }
  l.date_created = l.date_updated = Now();
  return Write([&](int64_t) -> absl::StatusOr<L> {
    SIPFRONT_RETURN_IF_ERROR(LockAccountWithRoom(l.account_sid, t.table, t.per_account, t.plural));
    SIPFRONT_RETURN_IF_ERROR(Insert(
        Cat("INSERT INTO ", t.table, " (", kListCols, ") VALUES (?, ?, ?, ?, ?)"),
        {l.sid, l.account_sid, l.friendly_name, l.date_created, l.date_updated}, t.noun, l.sid));
    return l;
  });
}

template <class L>
absl::StatusOr<L> SqlStore::GetList(std::string_view account, std::string_view sid, bool lock) {
  const ListTable& t = ListTableOf<L>::kTable;
  return GetOne(Cat("SELECT ", kListCols, " FROM ", t.table, " WHERE sid = ? AND account_sid = ?"),
                {sid, account}, &ToList<L>, t.noun, sid, lock);
}

template <class L>
absl::StatusOr<Page<L>> SqlStore::ListLists(std::string_view account, PageRequest p) {
  return ListPage<L>(Cat("SELECT ", kListCols, " FROM ", ListTableOf<L>::kTable.table,
                         " WHERE account_sid = ? ORDER BY date_created, sid"),
                     {account}, p, &ToList<L>);
}

template <class L>
absl::StatusOr<L> SqlStore::UpdateList(const L& in) {
  L l = in;
  SIPFRONT_RETURN_IF_ERROR(ValidateFriendlyName(l.friendly_name));
  return Write([&](int64_t) -> absl::StatusOr<L> {
    absl::StatusOr<L> old = GetList<L>(l.account_sid, l.sid, /*lock=*/true);
    if (!old.ok()) {
      return old.status();
    }
    l.date_created = old->date_created;
    l.date_updated = Now();
    SIPFRONT_RETURN_IF_ERROR(
        db_->Exec(Cat("UPDATE ", ListTableOf<L>::kTable.table,
                      " SET friendly_name = ?, date_updated = ? WHERE sid = ?"),
                  {l.friendly_name, l.date_updated, l.sid})
            .status());
    return l;
  });
}

// Also removes the list's entries (with what hangs off them) and the mappings that name it.
template <class L>
absl::Status SqlStore::DeleteList(std::string_view account, std::string_view sid) {
  const ListTable& t = ListTableOf<L>::kTable;
  return Write([&](int64_t revision) -> absl::Status {
    SIPFRONT_RETURN_IF_ERROR(RequireList(t, account, sid, /*lock=*/true));
    SIPFRONT_RETURN_IF_ERROR(TouchMappedDomains(t, sid, revision));
    SIPFRONT_RETURN_IF_ERROR(db_->Exec("DELETE FROM mappings WHERE list_sid = ?", {sid}).status());
    for (std::string_view statement : t.delete_entries) {
      if (!statement.empty()) {
        SIPFRONT_RETURN_IF_ERROR(db_->Exec(statement, {sid}).status());
      }
    }
    return db_->Exec(Cat("DELETE FROM ", t.table, " WHERE sid = ?"), {sid}).status();
  });
}

absl::StatusOr<CredentialList> SqlStore::CreateCredentialList(CredentialList l) {
  return CreateList(std::move(l));
}
absl::StatusOr<CredentialList> SqlStore::GetCredentialList(std::string_view account,
                                                           std::string_view sid) {
  return GetList<CredentialList>(account, sid);
}
absl::StatusOr<Page<CredentialList>> SqlStore::ListCredentialLists(std::string_view account,
                                                                   PageRequest p) {
  return ListLists<CredentialList>(account, p);
}
absl::StatusOr<CredentialList> SqlStore::UpdateCredentialList(const CredentialList& l) {
  return UpdateList(l);
}
absl::Status SqlStore::DeleteCredentialList(std::string_view account, std::string_view sid) {
  return DeleteList<CredentialList>(account, sid);
}

absl::StatusOr<IpAccessControlList> SqlStore::CreateIpAccessControlList(IpAccessControlList l) {
  return CreateList(std::move(l));
}
absl::StatusOr<IpAccessControlList> SqlStore::GetIpAccessControlList(std::string_view account,
                                                                     std::string_view sid) {
  return GetList<IpAccessControlList>(account, sid);
}
absl::StatusOr<Page<IpAccessControlList>> SqlStore::ListIpAccessControlLists(
    std::string_view account, PageRequest p) {
  return ListLists<IpAccessControlList>(account, p);
}
absl::StatusOr<IpAccessControlList> SqlStore::UpdateIpAccessControlList(
    const IpAccessControlList& l) {
  return UpdateList(l);
}
absl::Status SqlStore::DeleteIpAccessControlList(std::string_view account, std::string_view sid) {
  return DeleteList<IpAccessControlList>(account, sid);
}

// ---- credentials ----

absl::Status SqlStore::WriteHa1s(std::string_view account, std::string_view sid,
                                 std::string_view username, std::string_view password) {
  absl::StatusOr<Rows> realms =
      db_->Query("SELECT domain_name FROM domains WHERE account_sid = ?", {account});
  if (!realms.ok()) {
    return realms.status();
  }
  for (const Row& r : *realms) {
    const std::string realm = Str(r[0]);
    const auth::HexDigest md5 = auth::ComputeHa1(auth::Algorithm::kMd5, username, realm, password);
    const auth::HexDigest sha =
        auth::ComputeHa1(auth::Algorithm::kSha256, username, realm, password);
    SIPFRONT_RETURN_IF_ERROR(
        db_->Exec("INSERT INTO credential_ha1 (credential_sid, realm, ha1_md5, ha1_sha256)"
                  " VALUES (?, ?, ?, ?)",
                  {sid, realm, md5.view(), sha.view()})
            .status());
  }
  return absl::OkStatus();
}

absl::StatusOr<Credential> SqlStore::CreateCredential(std::string_view account,
                                                      std::string_view list_sid,
                                                      std::string_view username,
                                                      std::string_view password) {
  if (std::string r = CheckUsername(username); !r.empty()) {
    return absl::InvalidArgumentError(r);
  }
  if (std::string r = CheckPassword(password); !r.empty()) {
    return absl::InvalidArgumentError(r);
  }
  Credential c;
  c.sid = NewSid(Kind::kCredential);
  c.account_sid = std::string(account);
  c.credential_list_sid = std::string(list_sid);
  c.username = std::string(username);
  c.date_created = c.date_updated = Now();
  return Write([&](int64_t revision) -> absl::StatusOr<Credential> {
    SIPFRONT_RETURN_IF_ERROR(LockListWithRoom(kCredentialLists, account, list_sid));
    absl::StatusOr<bool> taken =
        Exists("SELECT sid FROM credentials WHERE credential_list_sid = ? AND username = ?",
               {list_sid, username});
    if (!taken.ok()) {
      return taken.status();
    }
    if (*taken) {
      return absl::AlreadyExistsError(
          Cat("Username ", username, " is already in credential list ", list_sid));
    }
    SIPFRONT_RETURN_IF_ERROR(
        db_->Exec(Cat("INSERT INTO credentials (", kCredentialCols, ") VALUES (?, ?, ?, ?, ?, ?)"),
                  {c.sid, c.account_sid, c.credential_list_sid, c.username, c.date_created,
                   c.date_updated})
            .status());
    SIPFRONT_RETURN_IF_ERROR(WriteHa1s(account, c.sid, username, password));
    SIPFRONT_RETURN_IF_ERROR(TouchMappedDomains(kCredentialLists, list_sid, revision));
    return c;
  });
}

constexpr std::string_view kCredentialWhere =
    " FROM credentials WHERE sid = ? AND credential_list_sid = ? AND account_sid = ?";

absl::StatusOr<Credential> SqlStore::GetCredential(std::string_view account,
                                                   std::string_view list_sid,
                                                   std::string_view sid) {
  return GetOne(Cat("SELECT ", kCredentialCols, kCredentialWhere), {sid, list_sid, account},
                &ToCredential, "Credential", sid);
}

absl::StatusOr<Page<Credential>> SqlStore::ListCredentials(std::string_view account,
                                                           std::string_view list_sid,
                                                           PageRequest p) {
  SIPFRONT_RETURN_IF_ERROR(RequireList(kCredentialLists, account, list_sid, /*lock=*/false));
  return ListPage<Credential>(Cat("SELECT ", kCredentialCols,
                                  " FROM credentials WHERE credential_list_sid = ?"
                                  " AND account_sid = ? ORDER BY date_created, sid"),
                              {list_sid, account}, p, &ToCredential);
}

absl::StatusOr<Credential> SqlStore::UpdateCredential(std::string_view account,
                                                      std::string_view list_sid,
                                                      std::string_view sid,
                                                      std::string_view password) {
  if (std::string r = CheckPassword(password); !r.empty()) {
    return absl::InvalidArgumentError(r);
  }
  return Write([&](int64_t revision) -> absl::StatusOr<Credential> {
    absl::StatusOr<Credential> c =
        GetOne(Cat("SELECT ", kCredentialCols, kCredentialWhere), {sid, list_sid, account},
               &ToCredential, "Credential", sid, /*lock=*/true);
    if (!c.ok()) {
      return c;
    }
    c->date_updated = Now();
    SIPFRONT_RETURN_IF_ERROR(
        db_->Exec("DELETE FROM credential_ha1 WHERE credential_sid = ?", {sid}).status());
    SIPFRONT_RETURN_IF_ERROR(WriteHa1s(account, sid, c->username, password));
    SIPFRONT_RETURN_IF_ERROR(
        db_->Exec("UPDATE credentials SET date_updated = ? WHERE sid = ?", {c->date_updated, sid})
            .status());
    SIPFRONT_RETURN_IF_ERROR(TouchMappedDomains(kCredentialLists, list_sid, revision));
    return c;
  });
}

absl::Status SqlStore::DeleteCredential(std::string_view account, std::string_view list_sid,
                                        std::string_view sid) {
  return Write([&](int64_t revision) -> absl::Status {
    SIPFRONT_RETURN_IF_ERROR(RequireRow(Cat("SELECT sid", kCredentialWhere),
                                        {sid, list_sid, account}, "Credential", sid,
                                        /*lock=*/true));
    SIPFRONT_RETURN_IF_ERROR(TouchMappedDomains(kCredentialLists, list_sid, revision));
    SIPFRONT_RETURN_IF_ERROR(
        db_->Exec("DELETE FROM credential_ha1 WHERE credential_sid = ?", {sid}).status());
    return db_->Exec("DELETE FROM credentials WHERE sid = ?", {sid}).status();
  });
}

// ---- IP addresses ----

constexpr std::string_view kIpWhere =
    " FROM ip_addresses WHERE sid = ? AND ip_access_control_list_sid = ? AND account_sid = ?";

// Validates and normalises the address fields of a create or an update.
absl::Status ValidateIpAddress(IpAddress& a) {
  SIPFRONT_RETURN_IF_ERROR(ValidateFriendlyName(a.friendly_name));
  std::string normalised;
  if (std::string r = CheckIpAddress(a.ip_address, a.cidr_prefix_length, normalised); !r.empty()) {
    return absl::InvalidArgumentError(r);
  }
  a.ip_address = std::move(normalised);
  return absl::OkStatus();
}

absl::Status SqlStore::CheckNetworkFree(const IpAddress& a, std::string_view other_than) {
  absl::StatusOr<bool> taken = Exists(
      "SELECT sid FROM ip_addresses WHERE ip_access_control_list_sid = ?"
      " AND ip_address = ? AND cidr_prefix_length = ? AND sid <> ?",
      {a.ip_access_control_list_sid, a.ip_address, a.cidr_prefix_length, other_than});
  if (!taken.ok()) {
    return taken.status();
  }
  if (*taken) {
    return absl::AlreadyExistsError(Cat("IP address ", a.ip_address, "/", a.cidr_prefix_length,
                                        " is already in IP access control list ",
                                        a.ip_access_control_list_sid));
  }
  return absl::OkStatus();
}

absl::StatusOr<IpAddress> SqlStore::CreateIpAddress(IpAddress a) {
  SIPFRONT_RETURN_IF_ERROR(CheckSidArg(a.sid, Kind::kIpAddress, "IP address"));
  SIPFRONT_RETURN_IF_ERROR(ValidateIpAddress(a));
  if (a.sid.empty()) {
    a.sid = NewSid(Kind::kIpAddress);
  }
  a.date_created = a.date_updated = Now();
  return Write([&](int64_t revision) -> absl::StatusOr<IpAddress> {
    const std::string& acl = a.ip_access_control_list_sid;
    SIPFRONT_RETURN_IF_ERROR(LockListWithRoom(kIpAccessControlLists, a.account_sid, acl));
    SIPFRONT_RETURN_IF_ERROR(CheckNetworkFree(a, ""));
    SIPFRONT_RETURN_IF_ERROR(
        Insert(Cat("INSERT INTO ip_addresses (", kIpCols, ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
               {a.sid, a.account_sid, acl, a.friendly_name, a.ip_address, a.cidr_prefix_length,
                a.date_created, a.date_updated},
               "IP address", a.sid));
    SIPFRONT_RETURN_IF_ERROR(TouchMappedDomains(kIpAccessControlLists, acl, revision));
    return a;
  });
}

absl::StatusOr<IpAddress> SqlStore::GetIpAddress(std::string_view account, std::string_view acl_sid,
                                                 std::string_view sid) {
  return GetOne(Cat("SELECT ", kIpCols, kIpWhere), {sid, acl_sid, account}, &ToIp, "IP address",
                sid);
}

absl::StatusOr<Page<IpAddress>> SqlStore::ListIpAddresses(std::string_view account,
                                                          std::string_view acl_sid, PageRequest p) {
  SIPFRONT_RETURN_IF_ERROR(RequireList(kIpAccessControlLists, account, acl_sid, /*lock=*/false));
  return ListPage<IpAddress>(Cat("SELECT ", kIpCols,
                                 " FROM ip_addresses WHERE ip_access_control_list_sid = ?"
                                 " AND account_sid = ? ORDER BY date_created, sid"),
                             {acl_sid, account}, p, &ToIp);
}

absl::StatusOr<IpAddress> SqlStore::UpdateIpAddress(const IpAddress& in) {
  IpAddress a = in;
  SIPFRONT_RETURN_IF_ERROR(ValidateIpAddress(a));
  return Write([&](int64_t revision) -> absl::StatusOr<IpAddress> {
    const std::string& acl = a.ip_access_control_list_sid;
    // The list first (the parent lock), then the address; either missing is the address's
    // NotFound.
    absl::StatusOr<bool> list = Exists(
        Cat("SELECT sid FROM ", kIpAccessControlLists.table, " WHERE sid = ? AND account_sid = ?"),
        {acl, a.account_sid}, /*lock=*/true);
    if (!list.ok()) {
      return list.status();
    }
    absl::StatusOr<IpAddress> old = GetOne(Cat("SELECT ", kIpCols, kIpWhere),
                                           {a.sid, acl, a.account_sid}, &ToIp, "IP address", a.sid);
    if (!old.ok()) {
      return old.status();
    }
    if (!*list) {
      return NotFound("IP address", a.sid);
    }
    SIPFRONT_RETURN_IF_ERROR(CheckNetworkFree(a, a.sid));
    a.date_created = old->date_created;
    a.date_updated = Now();
    SIPFRONT_RETURN_IF_ERROR(
        db_->Exec("UPDATE ip_addresses SET friendly_name = ?, ip_address = ?,"
                  " cidr_prefix_length = ?, date_updated = ? WHERE sid = ?",
                  {a.friendly_name, a.ip_address, a.cidr_prefix_length, a.date_updated, a.sid})
            .status());
    SIPFRONT_RETURN_IF_ERROR(TouchMappedDomains(kIpAccessControlLists, acl, revision));
    return a;
  });
}

absl::Status SqlStore::DeleteIpAddress(std::string_view account, std::string_view acl_sid,
                                       std::string_view sid) {
  return Write([&](int64_t revision) -> absl::Status {
    SIPFRONT_RETURN_IF_ERROR(RequireRow(Cat("SELECT sid", kIpWhere), {sid, acl_sid, account},
                                        "IP address", sid, /*lock=*/true));
    SIPFRONT_RETURN_IF_ERROR(TouchMappedDomains(kIpAccessControlLists, acl_sid, revision));
    return db_->Exec("DELETE FROM ip_addresses WHERE sid = ?", {sid}).status();
  });
}

// ---- mappings ----

constexpr std::string_view kMappingSelect =
    "SELECT m.domain_sid, m.list_sid, m.account_sid, l.friendly_name, m.date_created,"
    " m.date_updated FROM mappings m JOIN ";
std::string MappingSql(MappingKind kind, std::string_view where) {
  return Cat(kMappingSelect, MappedTable(kind).table,
             " l ON l.sid = m.list_sid WHERE m.kind = ? AND m.account_sid = ?"
             " AND m.domain_sid = ?",
             where);
}
absl::Status NotMapped(MappingKind kind, std::string_view domain_sid, std::string_view list_sid) {
  return absl::NotFoundError(Cat(MappedTable(kind).noun, " ", list_sid, " is not mapped to domain ",
                                 domain_sid, " for ", MappingPurpose(kind)));
}
Mapping ToMapping(MappingKind kind, const Row& r) {
  Mapping m;
  m.kind = kind;
  m.domain_sid = Str(r[0]);
  m.list_sid = Str(r[1]);
  m.account_sid = Str(r[2]);
  m.friendly_name = Str(r[3]);
  m.date_created = Int(r[4]);
  m.date_updated = Int(r[5]);
  return m;
}

absl::StatusOr<Mapping> SqlStore::CreateMapping(MappingKind kind, std::string_view account,
                                                std::string_view domain_sid,
                                                std::string_view list_sid) {
  return Write([&](int64_t revision) -> absl::StatusOr<Mapping> {
    SIPFRONT_RETURN_IF_ERROR(RequireDomain(account, domain_sid, /*lock=*/true));
    absl::StatusOr<Rows> list =
        db_->Query(Cat("SELECT friendly_name FROM ", MappedTable(kind).table,
                       " WHERE sid = ? AND account_sid = ?"),
                   {list_sid, account});
    if (!list.ok()) {
      return list.status();
    }
    if (list->empty()) {
      return NotFound(MappedTable(kind).noun, list_sid);
    }
    const int code = MappingCode(kind);
    absl::StatusOr<bool> mapped =
        Exists("SELECT list_sid FROM mappings WHERE domain_sid = ? AND kind = ? AND list_sid = ?",
               {domain_sid, code, list_sid});
    if (!mapped.ok()) {
      return mapped.status();
    }
    if (*mapped) {
      return absl::AlreadyExistsError(Cat(MappedTable(kind).noun, " ", list_sid,
                                          " is already mapped to domain ", domain_sid, " for ",
                                          MappingPurpose(kind)));
    }
    absl::StatusOr<int64_t> n = Count(
        "SELECT COUNT(*) FROM mappings WHERE domain_sid = ? AND kind = ?", {domain_sid, code});
    if (!n.ok()) {
      return n.status();
    }
    const uint32_t limit = MapsIpAcl(kind) ? kMaxIpAclsPerDomain : kMaxCredentialListsPerDomain;
    if (*n >= limit) {
      return Exhausted("Domain", domain_sid, limit,
                       Cat(MappedTable(kind).sid_noun, " mappings for ", MappingPurpose(kind)),
                       "a domain");
    }
    Mapping m;
    m.kind = kind;
    m.account_sid = std::string(account);
    m.domain_sid = std::string(domain_sid);
    m.list_sid = std::string(list_sid);
    m.friendly_name = Str((*list)[0][0]);
    m.date_created = m.date_updated = Now();
    SIPFRONT_RETURN_IF_ERROR(
        db_->Exec("INSERT INTO mappings (domain_sid, kind, list_sid, account_sid, seq,"
                  " date_created, date_updated) VALUES (?, ?, ?, ?, ?, ?, ?)",
                  {m.domain_sid, code, m.list_sid, m.account_sid, revision, m.date_created,
                   m.date_updated})
            .status());
    SIPFRONT_RETURN_IF_ERROR(TouchDomain(domain_sid, revision));
    return m;
  });
}

absl::StatusOr<Mapping> SqlStore::GetMapping(MappingKind kind, std::string_view account,
                                             std::string_view domain_sid,
                                             std::string_view list_sid) {
  absl::StatusOr<Rows> rows = db_->Query(MappingSql(kind, " AND m.list_sid = ?"),
                                         {MappingCode(kind), account, domain_sid, list_sid});
  if (!rows.ok()) {
    return rows.status();
  }
  if (rows->empty()) {
    return NotMapped(kind, domain_sid, list_sid);
  }
  return ToMapping(kind, (*rows)[0]);
}

absl::StatusOr<Page<Mapping>> SqlStore::ListMappings(MappingKind kind, std::string_view account,
                                                     std::string_view domain_sid, PageRequest p) {
  SIPFRONT_RETURN_IF_ERROR(ValidatePage(p));
  SIPFRONT_RETURN_IF_ERROR(RequireDomain(account, domain_sid, /*lock=*/false));
  return ListPage<Mapping>(MappingSql(kind, " ORDER BY m.date_created, m.seq"),
                           {MappingCode(kind), account, domain_sid}, p,
                           [kind](const Row& r) { return ToMapping(kind, r); });
}

absl::Status SqlStore::DeleteMapping(MappingKind kind, std::string_view account,
                                     std::string_view domain_sid, std::string_view list_sid) {
  return Write([&](int64_t revision) -> absl::Status {
    SIPFRONT_RETURN_IF_ERROR(RequireDomain(account, domain_sid, /*lock=*/true));
    absl::StatusOr<int64_t> n = db_->Exec(
        "DELETE FROM mappings WHERE domain_sid = ? AND kind = ? AND list_sid = ?"
        " AND account_sid = ?",
        {domain_sid, MappingCode(kind), list_sid, account});
    if (!n.ok()) {
      return n.status();
    }
    if (*n == 0) {
      return NotMapped(kind, domain_sid, list_sid);
    }
    return TouchDomain(domain_sid, revision);
  });
}

// ---- runtime ----

// "?, ?, ..." (n placeholders).
std::string Placeholders(std::size_t n) {
  std::string out;
  out.reserve(n * 3);
  for (std::size_t i = 0; i < n; ++i) {
    out += i == 0 ? "?" : ", ?";
  }
  return out;
}

template <class F>
absl::Status SqlStore::QueryDomains(const DomainFilter* filter, std::string_view select,
                                    std::string_view where, std::string_view column,
                                    std::string_view order_by, std::initializer_list<Param> params,
                                    F&& each) {
  if (filter == nullptr) {
    absl::StatusOr<Rows> rows = db_->Query(
        Cat(select, where.empty() ? "" : " WHERE ", where, " ORDER BY ", order_by), params);
    if (!rows.ok()) {
      return rows.status();
    }
    each(*rows);
    return absl::OkStatus();
  }
  std::vector<Param> all;
  for (const std::vector<Param>& chunk : filter->chunks) {
    all.assign(params.begin(), params.end());
    all.insert(all.end(), chunk.begin(), chunk.end());
    absl::StatusOr<Rows> rows =
        db_->Query(Cat(select, " WHERE ", where, where.empty() ? "" : " AND ", column, " IN (",
                       Placeholders(chunk.size()), ") ORDER BY ", order_by),
                   all);
    if (!rows.ok()) {
      return rows.status();
    }
    each(*rows);
  }
  return absl::OkStatus();
}

absl::StatusOr<Runtime> SqlStore::LoadRuntime() { return LoadRuntimeOf(nullptr); }

absl::StatusOr<Runtime> SqlStore::LoadRuntime(const std::vector<std::string>& domain_sids) {
  return LoadRuntimeOf(&domain_sids);
}

absl::StatusOr<Runtime> SqlStore::LoadRuntimeOf(const std::vector<std::string>* sids) {
  std::optional<DomainFilter> chunks;
  if (sids != nullptr) {
    chunks = ChunkSids(std::vector<std::string_view>(sids->begin(), sids->end()));
  }
  const DomainFilter* filter = chunks.has_value() ? &*chunks : nullptr;

  Txn txn(*db_);
  SIPFRONT_RETURN_IF_ERROR(txn.Begin(db::TxnMode::kRead));
  Runtime rt;
  absl::StatusOr<int64_t> rev = Count("SELECT revision FROM meta WHERE id = 1", {});
  if (!rev.ok()) {
    return rev.status();
  }
  rt.revision = static_cast<uint64_t>(*rev);

  constexpr std::string_view kDomainOrder = "date_created, sid";
  SIPFRONT_RETURN_IF_ERROR(
      QueryDomains(filter, Cat("SELECT ", kDomainCols, ", content_revision FROM domains"), "",
                   "sid", kDomainOrder, {}, [&](const Rows& rows) {
                     for (const Row& r : rows) {
                       RuntimeDomain& d = rt.domains.emplace_back();
                       d.domain = ToDomain(r);
                       d.content_revision = static_cast<uint64_t>(Int(r[15]));
                     }
                   }));
  if (filter != nullptr && filter->chunks.size() > 1) {
    // Each chunk came in order; the whole does too.
    std::sort(rt.domains.begin(), rt.domains.end(),
              [](const RuntimeDomain& a, const RuntimeDomain& b) {
                return std::tie(a.domain.date_created, a.domain.sid) <
                       std::tie(b.domain.date_created, b.domain.sid);
              });
  }
  // Keys view the domain SIDs in `rt.domains`, which is not resized below.
  std::unordered_map<std::string_view, std::size_t> index;
  index.reserve(rt.domains.size());
  for (std::size_t i = 0; i < rt.domains.size(); ++i) {
    index.emplace(rt.domains[i].domain.sid, i);
  }

  // Registration credentials: mapping creation order (seq), then the list's own order; the
  // HA1 row for the domain's realm only; the first mapping that names a username wins.
  SIPFRONT_RETURN_IF_ERROR(QueryDomains(
      filter,
      "SELECT m.domain_sid, c.username, h.ha1_md5, h.ha1_sha256"
      " FROM mappings m"
      " JOIN domains d ON d.sid = m.domain_sid"
      " JOIN credentials c ON c.credential_list_sid = m.list_sid AND c.account_sid = d.account_sid"
      " JOIN credential_ha1 h ON h.credential_sid = c.sid AND h.realm = d.domain_name",
      "m.kind = ?", "m.domain_sid", "m.domain_sid, m.seq, c.date_created, c.sid",
      {MappingCode(MappingKind::kRegistrationsCredentialList)}, [&](Rows& rows) {
        // Rows come grouped by domain (a domain's rows all in one statement's). `seen` views
        // the current domain's usernames in `rows`, which outlive it; the HA1s are moved out.
        std::unordered_set<std::string_view> seen;
        const std::optional<std::string>* current = nullptr;
        for (Row& r : rows) {
          if (current == nullptr || r[0] != *current) {
            current = &r[0];
            seen.clear();
          }
          const auto it = r[0].has_value() ? index.find(*r[0]) : index.end();
          if (it == index.end() || !r[1].has_value() || !seen.insert(*r[1]).second) {
            continue;
          }
          rt.domains[it->second].registration_credentials.push_back(
              RuntimeCredential{*r[1], Take(r[2]), Take(r[3])});
        }
      }));

  // ACLs: a mapped ACL with no addresses still sets the flag (LEFT JOIN, NULL address).
  SIPFRONT_RETURN_IF_ERROR(QueryDomains(
      filter,
      "SELECT m.domain_sid, m.kind, a.ip_address, a.cidr_prefix_length"
      " FROM mappings m"
      " LEFT JOIN ip_addresses a ON a.ip_access_control_list_sid = m.list_sid",
      "m.kind IN (?, ?)", "m.domain_sid", "m.domain_sid, m.seq, a.date_created, a.sid",
      {MappingCode(MappingKind::kRegistrationsIpAcl), MappingCode(MappingKind::kCallsIpAcl)},
      [&](const Rows& rows) {
        for (const Row& r : rows) {
          auto it = index.find(Str(r[0]));
          if (it == index.end()) {
            continue;
          }
          RuntimeDomain& d = rt.domains[it->second];
          const bool registrations = Int(r[1]) == MappingCode(MappingKind::kRegistrationsIpAcl);
          (registrations ? d.registration_acl : d.calls_acl) = true;
          if (r[2].has_value()) {
            (registrations ? d.registration_networks : d.calls_networks)
                .push_back(RuntimeNetwork{*r[2], static_cast<uint32_t>(Int(r[3]))});
          }
        }
      }));
  SIPFRONT_RETURN_IF_ERROR(txn.Commit());
  return rt;
}

absl::StatusOr<Store::DomainRevisions> SqlStore::LoadDomainRevisions() {
  Txn txn(*db_);
  SIPFRONT_RETURN_IF_ERROR(txn.Begin(db::TxnMode::kRead));
  DomainRevisions out;
  absl::StatusOr<int64_t> rev = Count("SELECT revision FROM meta WHERE id = 1", {});
  if (!rev.ok()) {
    return rev.status();
  }
  out.revision = static_cast<uint64_t>(*rev);
  absl::StatusOr<Rows> rows =
      db_->Query("SELECT sid, content_revision FROM domains ORDER BY date_created, sid");
  if (!rows.ok()) {
    return rows.status();
  }
  out.domains.reserve(rows->size());
  for (Row& r : *rows) {
    out.domains.push_back(DomainRevision{Take(r[0]), static_cast<uint64_t>(Int(r[1]))});
  }
  SIPFRONT_RETURN_IF_ERROR(txn.Commit());
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> Store::Open(std::string_view url) {
  absl::StatusOr<std::unique_ptr<db::Db>> db;
  if (url.starts_with("sqlite:")) {
    const std::string_view path = url.substr(7);
    if (path.empty()) {
      return absl::InvalidArgumentError("store URL sqlite: names no file");
    }
    db = db::OpenSqlite(path, kSqliteBusyTimeoutMs);
  } else if (url.starts_with("postgresql://") || url.starts_with("postgres://") ||
             url.starts_with("host=") || url.starts_with("dbname=")) {
    db = db::OpenPostgres(url);
  } else {
    return absl::InvalidArgumentError(
        "store URL must be sqlite:PATH, postgresql://... or a libpq host=/dbname= string");
  }
  if (!db.ok()) {
    return db.status();
  }
  auto store = std::make_unique<SqlStore>(std::move(*db));
  SIPFRONT_RETURN_IF_ERROR(store->Migrate());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace sipfront::control
