// The provisioning store over both backends: SQLite in a temporary directory always;
// PostgreSQL when the test can start a real server itself (initdb + postgres on 127.0.0.1 on
// a free port, as the 'postgres' user when running as root), skipped with the reason when not.
#include "sipfront/control/store.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <vector>

#include <fcntl.h>
#include <glob.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gtest/gtest.h"

#include "sipfront/auth/digest.h"

#include "store_schema.h"  // migration 1, to build a version-1 database
#include <libpq-fe.h>

namespace sipfront::control {
namespace {

using std::chrono::steady_clock;
constexpr auto kWaitLimit = std::chrono::seconds(20);

std::string Msg(const absl::Status& s) { return std::string(s.message()); }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// prefix + i + suffix (appended piecewise: g++ 12 -O3 warns falsely, -Wrestrict, about
// "literal" + std::string temporaries).
std::string Numbered(const char* prefix, uint32_t i, const char* suffix = "") {
  std::string s = prefix;
  s += std::to_string(i);
  s += suffix;
  return s;
}

std::string MakeTempDir(const char* tag) {
  std::string tmpl = std::string("/tmp/") + tag + ".XXXXXX";
  char* dir = mkdtemp(tmpl.data());
  return dir != nullptr ? std::string(dir) : std::string();
}

// ---- a PostgreSQL server of the test's own ----

class PgServer {
 public:
  // Started on first use; stopped by the environment below when the tests end.
  static PgServer& Instance() {
    static PgServer* server = new PgServer();
    return *server;
  }
  static void StopInstance() {
    if (started_) {
      Instance().Stop();
    }
  }

  [[nodiscard]] bool ok() const { return pid_ > 0; }
  [[nodiscard]] const std::string& reason() const { return reason_; }

  // An empty database for one test; returns its libpq conninfo (empty on failure). One
  // database serves every test: dropping the public schema is much faster than CREATE
  // DATABASE.
  std::string NewDatabase() {
    const char* name = "sipfront_test";
    PGconn* c = PQconnectdb(Conninfo(created_ ? name : "postgres").c_str());
    if (PQstatus(c) != CONNECTION_OK) {
      reason_ = PQerrorMessage(c);
      PQfinish(c);
      return "";
    }
    const std::string sql = created_ ? "DROP SCHEMA public CASCADE; CREATE SCHEMA public"
                                     : std::string("CREATE DATABASE ") + name;
    PGresult* r = PQexec(c, sql.c_str());
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) {
      reason_ = PQresultErrorMessage(r);
    }
    PQclear(r);
    PQfinish(c);
    created_ = created_ || ok;
    return ok ? Conninfo(name) : "";
  }

 private:
  PgServer() {
    started_ = true;
    Start();
  }

  std::string Conninfo(const std::string& db) const {
    return "host=127.0.0.1 port=" + std::to_string(port_) + " user=postgres dbname=" + db +
           " connect_timeout=5";
  }

  // Runs argv (as the postgres user when root) with output to `log`; returns the pid.
  pid_t Spawn(std::vector<std::string> argv, const std::string& log) {
    if (geteuid() == 0) {
      argv.insert(argv.begin(),
                  {"setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"});
    }
    const pid_t pid = fork();
    if (pid == 0) {
      const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
      }
      if (chdir(dir_.c_str()) != 0) {
        _exit(126);
      }
      std::vector<char*> args;
      for (std::string& a : argv) {
        args.push_back(a.data());
      }
      args.push_back(nullptr);
      execvp(args[0], args.data());
      _exit(127);
    }
    return pid;
  }

  // Waits for `pid` at most kWaitLimit; returns its exit status, or -1 when it did not end.
  static int WaitFor(pid_t pid) {
    const auto deadline = steady_clock::now() + kWaitLimit;
    while (steady_clock::now() < deadline) {
      int status = 0;
      const pid_t r = waitpid(pid, &status, WNOHANG);
      if (r == pid) {
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
      }
      if (r < 0) {
        return -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }

  void Start() {
    glob_t g{};
    std::string bin;
    if (glob("/usr/lib/postgresql/*/bin/postgres", 0, nullptr, &g) == 0 && g.gl_pathc > 0) {
      bin = std::filesystem::path(g.gl_pathv[g.gl_pathc - 1]).parent_path();
    }
    globfree(&g);
    if (bin.empty() || access((bin + "/initdb").c_str(), X_OK) != 0) {
      reason_ = "no PostgreSQL server under /usr/lib/postgresql/*/bin";
      return;
    }
    dir_ = MakeTempDir("sipfront_pg");
    if (dir_.empty()) {
      reason_ = "mkdtemp failed";
      return;
    }
    if (geteuid() == 0) {
      // postgres refuses to run as root.
      const passwd* pw = getpwnam("postgres");
      if (pw == nullptr || chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
        reason_ = "running as root and there is no 'postgres' user to run the server as";
        return;
      }
    }
    const std::string log = dir_ + "/server.log";
    const pid_t initdb = Spawn({bin + "/initdb", "-D", dir_ + "/data", "-U", "postgres", "-A",
                                "trust", "--no-sync", "-E", "UTF8", "--no-locale"},
                               log);
    if (initdb < 0 || WaitFor(initdb) != 0) {
      if (initdb > 0) {
        kill(initdb, SIGKILL);
        waitpid(initdb, nullptr, 0);
      }
      reason_ = "initdb failed: " + ReadFile(log);
      return;
    }
    // A free loopback port (another process could take it before postgres binds it; then
    // postgres fails to start and the PostgreSQL cases skip).
    const int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    if (bind(s, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
        getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      close(s);
      reason_ = "no free port";
      return;
    }
    port_ = ntohs(a.sin_port);
    close(s);
    const pid_t pid =
        Spawn({bin + "/postgres", "-D", dir_ + "/data", "-k", dir_, "-h", "127.0.0.1", "-p",
               std::to_string(port_), "-c", "fsync=off", "-c", "synchronous_commit=off", "-c",
               "full_page_writes=off", "-c", "shared_buffers=16MB", "-c", "max_connections=30"},
              log);
    if (pid < 0) {
      reason_ = "fork failed";
      return;
    }
    const auto deadline = steady_clock::now() + kWaitLimit;
    while (steady_clock::now() < deadline) {
      if (PQping(Conninfo("postgres").c_str()) == PQPING_OK) {
        pid_ = pid;
        return;
      }
      if (waitpid(pid, nullptr, WNOHANG) == pid) {
        reason_ = "postgres exited: " + ReadFile(log);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    reason_ = "postgres did not accept connections within 20 s: " + ReadFile(log);
  }

  void Stop() {
    if (pid_ > 0) {
      kill(pid_, SIGINT);  // fast shutdown
      if (WaitFor(pid_) < 0) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
      }
      pid_ = -1;
    }
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
      dir_.clear();
    }
  }

  static inline bool started_ = false;
  std::string dir_;
  std::string reason_;
  pid_t pid_ = -1;
  int port_ = 0;
  bool created_ = false;
};

class PgEnvironment : public ::testing::Environment {
 public:
  void TearDown() override { PgServer::StopInstance(); }
};
[[maybe_unused]] ::testing::Environment* const kPgEnvironment =
    ::testing::AddGlobalTestEnvironment(new PgEnvironment);

// ---- the fixture ----

enum class Backend { kSqlite, kPostgres };

const std::string kAccountA = "AC" + std::string(32, 'a');
const std::string kAccountB = "AC" + std::string(32, 'b');
constexpr char kPassword[] = "Secret-Passw0rd";

class StoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kSqlite) {
      dir_ = MakeTempDir("sipfront_store_test");
      ASSERT_FALSE(dir_.empty());
      db_path_ = dir_ + "/store.db";
      url_ = "sqlite:" + db_path_;
    } else {
      PgServer& pg = PgServer::Instance();
      if (!pg.ok()) {
        GTEST_SKIP() << "PostgreSQL unavailable: " << pg.reason();
      }
      url_ = pg.NewDatabase();
      ASSERT_FALSE(url_.empty()) << pg.reason();
    }
    store_ = OpenStore();
    ASSERT_NE(store_, nullptr);
    for (const std::string& sid : {kAccountA, kAccountB}) {
      Account a;
      a.sid = sid;
      a.friendly_name = "account " + sid.substr(2, 1);
      a.auth_token_sha256 = HashAuthToken("token-" + sid);
      ASSERT_TRUE(store_->PutAccount(a).ok());
    }
  }

  void TearDown() override {
    store_.reset();
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

  std::unique_ptr<Store> OpenStore() {
    absl::StatusOr<std::unique_ptr<Store>> s = Store::Open(url_);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(*s) : nullptr;
  }

  // Runs one statement on a connection of the test's own; returns the first column of the
  // first row as an integer (0 when none), or -1 on error.
  int64_t Raw(const std::string& sql) {
    int64_t out = 0;
    if (GetParam() == Backend::kSqlite) {
      sqlite3* db = nullptr;
      sqlite3_open(db_path_.c_str(), &db);
      sqlite3_stmt* st = nullptr;
      if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
        ADD_FAILURE() << sqlite3_errmsg(db);
        sqlite3_close(db);
        return -1;
      }
      int rc = sqlite3_step(st);
      if (rc == SQLITE_ROW) {
        out = sqlite3_column_int64(st, 0);
      } else if (rc != SQLITE_DONE) {
        ADD_FAILURE() << sqlite3_errmsg(db);
        out = -1;
      }
      sqlite3_finalize(st);
      sqlite3_close(db);
      return out;
    }
    PGconn* c = PQconnectdb(url_.c_str());
    PGresult* r = PQexec(c, sql.c_str());
    if (PQresultStatus(r) == PGRES_TUPLES_OK) {
      out = PQntuples(r) > 0 ? std::atoll(PQgetvalue(r, 0, 0)) : 0;
    } else if (PQresultStatus(r) != PGRES_COMMAND_OK) {
      ADD_FAILURE() << PQresultErrorMessage(r);
      out = -1;
    }
    PQclear(r);
    PQfinish(c);
    return out;
  }

  Domain MakeDomain(const std::string& account, const std::string& name) {
    Domain d;
    d.account_sid = account;
    d.domain_name = name;
    absl::StatusOr<Domain> r = store_->CreateDomain(d);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : Domain{};
  }
  CredentialList MakeList(const std::string& account, const std::string& name = "list") {
    CredentialList l;
    l.account_sid = account;
    l.friendly_name = name;
    absl::StatusOr<CredentialList> r = store_->CreateCredentialList(l);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : CredentialList{};
  }
  IpAccessControlList MakeAcl(const std::string& account, const std::string& name = "acl") {
    IpAccessControlList l;
    l.account_sid = account;
    l.friendly_name = name;
    absl::StatusOr<IpAccessControlList> r = store_->CreateIpAccessControlList(l);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : IpAccessControlList{};
  }
  IpAddress MakeIp(const std::string& account, const std::string& acl, const std::string& ip,
                   uint32_t prefix = 32) {
    IpAddress a;
    a.account_sid = account;
    a.ip_access_control_list_sid = acl;
    a.friendly_name = ip;
    a.ip_address = ip;
    a.cidr_prefix_length = prefix;
    absl::StatusOr<IpAddress> r = store_->CreateIpAddress(a);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : IpAddress{};
  }

  const RuntimeDomain* Find(const Runtime& rt, const std::string& sid) {
    for (const RuntimeDomain& d : rt.domains) {
      if (d.domain.sid == sid) {
        return &d;
      }
    }
    return nullptr;
  }

  std::string dir_;
  std::string db_path_;
  std::string url_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreTest, AccountsRoundTrip) {
  absl::StatusOr<std::vector<Account>> all = store_->ListAccounts();
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 2u);
  absl::StatusOr<Account> a = store_->GetAccount(kAccountA);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->auth_token_sha256, HashAuthToken("token-" + kAccountA));
  Account changed = *a;
  changed.friendly_name = "renamed";
  changed.auth_token_sha256 = HashAuthToken("new token");
  ASSERT_TRUE(store_->PutAccount(changed).ok());
  a = store_->GetAccount(kAccountA);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->friendly_name, "renamed");
  EXPECT_EQ(a->auth_token_sha256, HashAuthToken("new token"));
  EXPECT_EQ(store_->ListAccounts()->size(), 2u);
  EXPECT_TRUE(absl::IsNotFound(store_->GetAccount("AC" + std::string(32, 'c')).status()));
  Account bad = changed;
  bad.sid = "ACnothex";
  EXPECT_TRUE(absl::IsInvalidArgument(store_->PutAccount(bad)));
  bad = changed;
  bad.auth_token_sha256 = "plaintext";
  EXPECT_TRUE(absl::IsInvalidArgument(store_->PutAccount(bad)));
}

TEST_P(StoreTest, DomainRoundTrip) {
  Domain d;
  d.account_sid = kAccountA;
  d.domain_name = "Acme.SIP.Example";
  d.friendly_name = "Acme";
  d.voice_url = "https://example.com/voice";
  d.voice_method = "get";
  d.sip_registration = true;
  d.emergency_calling_enabled = true;
  absl::StatusOr<Domain> created = store_->CreateDomain(d);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_TRUE(IsSid(created->sid, Kind::kDomain));
  EXPECT_EQ(created->domain_name, "acme.sip.example");
  EXPECT_EQ(created->voice_method, "GET");
  EXPECT_GT(created->date_created, 0);

  absl::StatusOr<Domain> got = store_->GetDomain(kAccountA, created->sid);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->domain_name, "acme.sip.example");
  EXPECT_EQ(got->friendly_name, "Acme");
  EXPECT_EQ(got->voice_url, "https://example.com/voice");
  EXPECT_EQ(got->voice_method, "GET");
  EXPECT_EQ(got->voice_fallback_method, "POST");
  EXPECT_TRUE(got->sip_registration);
  EXPECT_FALSE(got->secure);
  EXPECT_TRUE(got->emergency_calling_enabled);
  EXPECT_EQ(got->date_created, created->date_created);

  Domain upd = *got;
  upd.domain_name = "Other.SIP.Example";
  upd.secure = true;
  upd.sip_registration = false;
  upd.voice_status_callback_url = "http://cb.example/x";
  absl::StatusOr<Domain> updated = store_->UpdateDomain(upd);
  ASSERT_TRUE(updated.ok()) << updated.status();
  got = store_->GetDomain(kAccountA, created->sid);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->domain_name, "other.sip.example");
  EXPECT_TRUE(got->secure);
  EXPECT_FALSE(got->sip_registration);
  EXPECT_EQ(got->voice_status_callback_url, "http://cb.example/x");

  absl::StatusOr<Page<Domain>> page = store_->ListDomains(kAccountA, {});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_FALSE(page->has_more);

  ASSERT_TRUE(store_->DeleteDomain(kAccountA, created->sid).ok());
  EXPECT_TRUE(absl::IsNotFound(store_->GetDomain(kAccountA, created->sid).status()));
  EXPECT_TRUE(absl::IsNotFound(store_->DeleteDomain(kAccountA, created->sid)));
  EXPECT_TRUE(store_->ListDomains(kAccountA, {})->items.empty());
}

TEST_P(StoreTest, DomainValidationNamesTheField) {
  Domain d;
  d.account_sid = kAccountA;
  d.domain_name = "nodot";
  absl::Status s = store_->CreateDomain(d).status();
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_EQ(Msg(s).rfind("DomainName", 0), 0u) << s;
  d.domain_name = "ok.example";
  d.voice_fallback_url = "ftp://x.example/";
  s = store_->CreateDomain(d).status();
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_EQ(Msg(s).rfind("VoiceFallbackUrl must be", 0), 0u) << s;
  d.voice_fallback_url = "";
  d.voice_status_callback_method = "DELETE";
  s = store_->CreateDomain(d).status();
  EXPECT_EQ(Msg(s), "VoiceStatusCallbackMethod must be GET or POST");
  d.voice_status_callback_method = "POST";
  d.friendly_name = std::string(65, 'f');
  EXPECT_TRUE(absl::IsInvalidArgument(store_->CreateDomain(d).status()));
  d.friendly_name = "";
  d.account_sid = "AC" + std::string(32, 'e');
  EXPECT_TRUE(absl::IsNotFound(store_->CreateDomain(d).status()));
  EXPECT_EQ(Raw("SELECT COUNT(*) FROM domains"), 0);
}

TEST_P(StoreTest, DomainNamesAreUniqueAcrossAccountsIgnoringCase) {
  const Domain a = MakeDomain(kAccountA, "acme.sip.example");
  Domain d;
  d.account_sid = kAccountB;
  d.domain_name = "ACME.sip.example";
  absl::Status s = store_->CreateDomain(d).status();
  EXPECT_TRUE(absl::IsAlreadyExists(s)) << s;
  EXPECT_EQ(Msg(s), "Domain name acme.sip.example is already in use");
  const Domain b = MakeDomain(kAccountB, "beta.sip.example");
  Domain rename = b;
  rename.domain_name = "Acme.Sip.Example";
  s = store_->UpdateDomain(rename).status();
  EXPECT_TRUE(absl::IsAlreadyExists(s)) << s;
  // Keeping one's own name is not a clash.
  Domain same = a;
  same.friendly_name = "same name";
  EXPECT_TRUE(store_->UpdateDomain(same).ok());
}

TEST_P(StoreTest, AnotherAccountsResourcesAreNotFound) {
  const Domain d = MakeDomain(kAccountA, "a.sip.example");
  const CredentialList l = MakeList(kAccountA);
  const IpAccessControlList acl = MakeAcl(kAccountA);
  const IpAddress ip = MakeIp(kAccountA, acl.sid, "192.0.2.1");
  absl::StatusOr<Credential> c = store_->CreateCredential(kAccountA, l.sid, "alice", kPassword);
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE(
      store_->CreateMapping(MappingKind::kCallsCredentialList, kAccountA, d.sid, l.sid).ok());

  const std::string& b = kAccountB;
  EXPECT_TRUE(absl::IsNotFound(store_->GetDomain(b, d.sid).status()));
  Domain dd = d;
  dd.account_sid = b;
  EXPECT_TRUE(absl::IsNotFound(store_->UpdateDomain(dd).status()));
  EXPECT_TRUE(absl::IsNotFound(store_->DeleteDomain(b, d.sid)));
  EXPECT_TRUE(store_->ListDomains(b, {})->items.empty());

  EXPECT_TRUE(absl::IsNotFound(store_->GetCredentialList(b, l.sid).status()));
  CredentialList ll = l;
  ll.account_sid = b;
  EXPECT_TRUE(absl::IsNotFound(store_->UpdateCredentialList(ll).status()));
  EXPECT_TRUE(absl::IsNotFound(store_->DeleteCredentialList(b, l.sid)));
  EXPECT_TRUE(store_->ListCredentialLists(b, {})->items.empty());
  EXPECT_TRUE(absl::IsNotFound(store_->ListCredentials(b, l.sid, {}).status()));
  EXPECT_TRUE(absl::IsNotFound(store_->CreateCredential(b, l.sid, "bob", kPassword).status()));
  EXPECT_TRUE(absl::IsNotFound(store_->GetCredential(b, l.sid, c->sid).status()));
  EXPECT_TRUE(absl::IsNotFound(store_->UpdateCredential(b, l.sid, c->sid, kPassword).status()));
  EXPECT_TRUE(absl::IsNotFound(store_->DeleteCredential(b, l.sid, c->sid)));

  EXPECT_TRUE(absl::IsNotFound(store_->GetIpAccessControlList(b, acl.sid).status()));
  IpAccessControlList aa = acl;
  aa.account_sid = b;
  EXPECT_TRUE(absl::IsNotFound(store_->UpdateIpAccessControlList(aa).status()));
  EXPECT_TRUE(absl::IsNotFound(store_->DeleteIpAccessControlList(b, acl.sid)));
  EXPECT_TRUE(absl::IsNotFound(store_->ListIpAddresses(b, acl.sid, {}).status()));
  EXPECT_TRUE(absl::IsNotFound(store_->GetIpAddress(b, acl.sid, ip.sid).status()));
  IpAddress ii = ip;
  ii.account_sid = b;
  EXPECT_TRUE(absl::IsNotFound(store_->UpdateIpAddress(ii).status()));
  EXPECT_TRUE(absl::IsNotFound(store_->CreateIpAddress(ii).status()));
  EXPECT_TRUE(absl::IsNotFound(store_->DeleteIpAddress(b, acl.sid, ip.sid)));

  EXPECT_TRUE(absl::IsNotFound(
      store_->GetMapping(MappingKind::kCallsCredentialList, b, d.sid, l.sid).status()));
  EXPECT_TRUE(absl::IsNotFound(
      store_->ListMappings(MappingKind::kCallsCredentialList, b, d.sid, {}).status()));
  EXPECT_TRUE(
      absl::IsNotFound(store_->DeleteMapping(MappingKind::kCallsCredentialList, b, d.sid, l.sid)));
  // B's own domain with A's list: the list is not found.
  const Domain bd = MakeDomain(b, "b.sip.example");
  absl::Status s =
      store_->CreateMapping(MappingKind::kCallsCredentialList, b, bd.sid, l.sid).status();
  EXPECT_TRUE(absl::IsNotFound(s));
  EXPECT_EQ(Msg(s), "Credential list " + l.sid + " not found");

  // Everything of A's is still there.
  EXPECT_TRUE(store_->GetDomain(kAccountA, d.sid).ok());
  EXPECT_TRUE(store_->GetCredential(kAccountA, l.sid, c->sid).ok());
  EXPECT_TRUE(store_->GetIpAddress(kAccountA, acl.sid, ip.sid).ok());
  EXPECT_TRUE(store_->GetMapping(MappingKind::kCallsCredentialList, kAccountA, d.sid, l.sid).ok());
}

TEST_P(StoreTest, PagingWalksEveryItemOnceInOrder) {
  std::set<std::string> made;
  for (int i = 0; i < 5; ++i) {
    made.insert(MakeList(kAccountA, Numbered("l", i)).sid);
  }
  std::vector<CredentialList> all;
  for (uint32_t page = 0; page < 3; ++page) {
    absl::StatusOr<Page<CredentialList>> p =
        store_->ListCredentialLists(kAccountA, {.page = page, .page_size = 2});
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_EQ(p->items.size(), page < 2 ? 2u : 1u);
    EXPECT_EQ(p->has_more, page < 2) << page;
    all.insert(all.end(), p->items.begin(), p->items.end());
  }
  ASSERT_EQ(all.size(), 5u);
  std::set<std::string> listed;
  for (std::size_t i = 0; i < all.size(); ++i) {
    listed.insert(all[i].sid);
    if (i > 0) {
      EXPECT_LE(std::tie(all[i - 1].date_created, all[i - 1].sid),
                std::tie(all[i].date_created, all[i].sid));
    }
  }
  EXPECT_EQ(listed, made);
  absl::StatusOr<Page<CredentialList>> exact =
      store_->ListCredentialLists(kAccountA, {.page = 0, .page_size = 5});
  EXPECT_FALSE(exact->has_more);
  EXPECT_TRUE(store_->ListCredentialLists(kAccountA, {.page = 9, .page_size = 5})->items.empty());
  EXPECT_TRUE(absl::IsInvalidArgument(
      store_->ListCredentialLists(kAccountA, {.page = 0, .page_size = 0}).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      store_->ListDomains(kAccountA, {.page = 0, .page_size = 1001}).status()));
}

TEST_P(StoreTest, CredentialRoundTripAndValidation) {
  const CredentialList l = MakeList(kAccountA, "staff");
  absl::StatusOr<CredentialList> gl = store_->GetCredentialList(kAccountA, l.sid);
  ASSERT_TRUE(gl.ok());
  EXPECT_EQ(gl->friendly_name, "staff");
  CredentialList renamed = l;
  renamed.friendly_name = "people";
  ASSERT_TRUE(store_->UpdateCredentialList(renamed).ok());
  EXPECT_EQ(store_->GetCredentialList(kAccountA, l.sid)->friendly_name, "people");

  absl::StatusOr<Credential> c = store_->CreateCredential(kAccountA, l.sid, "alice", kPassword);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(IsSid(c->sid, Kind::kCredential));
  absl::StatusOr<Credential> got = store_->GetCredential(kAccountA, l.sid, c->sid);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->username, "alice");
  EXPECT_EQ(got->credential_list_sid, l.sid);
  EXPECT_EQ(store_->ListCredentials(kAccountA, l.sid, {})->items.size(), 1u);

  absl::Status s = store_->CreateCredential(kAccountA, l.sid, "alice", kPassword).status();
  EXPECT_TRUE(absl::IsAlreadyExists(s)) << s;
  // The same username in another list is fine.
  const CredentialList l2 = MakeList(kAccountA, "other");
  EXPECT_TRUE(store_->CreateCredential(kAccountA, l2.sid, "alice", kPassword).ok());

  s = store_->CreateCredential(kAccountA, l.sid, "bob", "weak").status();
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_EQ(Msg(s),
            "Password must be at least 12 characters and contain an uppercase letter, a "
            "lowercase letter and a digit");
  s = store_->CreateCredential(kAccountA, l.sid, std::string(33, 'u'), kPassword).status();
  EXPECT_EQ(Msg(s), "Username must be 1 to 32 characters");
  EXPECT_TRUE(absl::IsInvalidArgument(
      store_->UpdateCredential(kAccountA, l.sid, c->sid, "nouppercase1x").status()));
  EXPECT_TRUE(store_->UpdateCredential(kAccountA, l.sid, c->sid, "Another-Passw0rd").ok());
  // The credential is addressed through its own list only.
  EXPECT_TRUE(absl::IsNotFound(store_->GetCredential(kAccountA, l2.sid, c->sid).status()));

  ASSERT_TRUE(store_->DeleteCredential(kAccountA, l.sid, c->sid).ok());
  EXPECT_TRUE(absl::IsNotFound(store_->GetCredential(kAccountA, l.sid, c->sid).status()));
  EXPECT_TRUE(store_->ListCredentials(kAccountA, l.sid, {})->items.empty());
}

TEST_P(StoreTest, IpAddressRoundTripNormalisesAndRejectsDuplicates) {
  const IpAccessControlList acl = MakeAcl(kAccountA, "office");
  IpAccessControlList renamed = acl;
  renamed.friendly_name = "branch";
  ASSERT_TRUE(store_->UpdateIpAccessControlList(renamed).ok());
  EXPECT_EQ(store_->GetIpAccessControlList(kAccountA, acl.sid)->friendly_name, "branch");

  const IpAddress v6 = MakeIp(kAccountA, acl.sid, "2001:DB8:0:0:0:0:0:1", 64);
  EXPECT_EQ(v6.ip_address, "2001:db8::1");
  absl::StatusOr<IpAddress> got = store_->GetIpAddress(kAccountA, acl.sid, v6.sid);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->ip_address, "2001:db8::1");
  EXPECT_EQ(got->cidr_prefix_length, 64u);

  IpAddress dup;
  dup.account_sid = kAccountA;
  dup.ip_access_control_list_sid = acl.sid;
  dup.ip_address = "2001:db8::1";
  dup.cidr_prefix_length = 64;
  absl::Status s = store_->CreateIpAddress(dup).status();
  EXPECT_TRUE(absl::IsAlreadyExists(s)) << s;
  dup.cidr_prefix_length = 128;  // another prefix is another entry
  EXPECT_TRUE(store_->CreateIpAddress(dup).ok());
  dup.ip_address = "192.0.2.1";
  dup.cidr_prefix_length = 33;
  s = store_->CreateIpAddress(dup).status();
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_EQ(Msg(s), "CidrPrefixLength must be 0 to 32 for an IPv4 address");

  IpAddress upd = *got;
  upd.ip_address = "10.0.0.0";
  upd.cidr_prefix_length = 8;
  upd.friendly_name = "net ten";
  ASSERT_TRUE(store_->UpdateIpAddress(upd).ok());
  got = store_->GetIpAddress(kAccountA, acl.sid, v6.sid);
  EXPECT_EQ(got->ip_address, "10.0.0.0");
  EXPECT_EQ(got->cidr_prefix_length, 8u);
  EXPECT_EQ(got->friendly_name, "net ten");
  // Updating onto another entry's (ip, prefix) is a duplicate.
  upd.ip_address = "2001:db8::1";
  upd.cidr_prefix_length = 128;
  EXPECT_TRUE(absl::IsAlreadyExists(store_->UpdateIpAddress(upd).status()));

  EXPECT_EQ(store_->ListIpAddresses(kAccountA, acl.sid, {})->items.size(), 2u);
  ASSERT_TRUE(store_->DeleteIpAddress(kAccountA, acl.sid, v6.sid).ok());
  EXPECT_TRUE(absl::IsNotFound(store_->GetIpAddress(kAccountA, acl.sid, v6.sid).status()));
  EXPECT_EQ(store_->ListIpAddresses(kAccountA, acl.sid, {})->items.size(), 1u);
}

TEST_P(StoreTest, MappingsCheckOwnershipKindAndDuplicates) {
  const Domain d = MakeDomain(kAccountA, "m.sip.example");
  const CredentialList l = MakeList(kAccountA, "users");
  const IpAccessControlList acl = MakeAcl(kAccountA, "nets");
  absl::StatusOr<Mapping> m =
      store_->CreateMapping(MappingKind::kRegistrationsCredentialList, kAccountA, d.sid, l.sid);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->friendly_name, "users");
  absl::Status s =
      store_->CreateMapping(MappingKind::kRegistrationsCredentialList, kAccountA, d.sid, l.sid)
          .status();
  EXPECT_TRUE(absl::IsAlreadyExists(s)) << s;
  // The same list for calls is another mapping.
  EXPECT_TRUE(
      store_->CreateMapping(MappingKind::kCallsCredentialList, kAccountA, d.sid, l.sid).ok());
  // A CL where an AL belongs, and the other way round.
  s = store_->CreateMapping(MappingKind::kCallsIpAcl, kAccountA, d.sid, l.sid).status();
  EXPECT_TRUE(absl::IsNotFound(s));
  EXPECT_EQ(Msg(s), "IP access control list " + l.sid + " not found");
  s = store_->CreateMapping(MappingKind::kCallsCredentialList, kAccountA, d.sid, acl.sid).status();
  EXPECT_TRUE(absl::IsNotFound(s));
  const std::string missing_domain = "SD" + std::string(32, '0');
  s = store_->CreateMapping(MappingKind::kCallsIpAcl, kAccountA, missing_domain, acl.sid).status();
  EXPECT_EQ(Msg(s), "Domain " + missing_domain + " not found");
  ASSERT_TRUE(store_->CreateMapping(MappingKind::kCallsIpAcl, kAccountA, d.sid, acl.sid).ok());

  absl::StatusOr<Mapping> got =
      store_->GetMapping(MappingKind::kCallsIpAcl, kAccountA, d.sid, acl.sid);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->friendly_name, "nets");
  EXPECT_EQ(got->list_sid, acl.sid);
  EXPECT_EQ(got->kind, MappingKind::kCallsIpAcl);
  EXPECT_TRUE(absl::IsNotFound(
      store_->GetMapping(MappingKind::kRegistrationsIpAcl, kAccountA, d.sid, acl.sid).status()));

  absl::StatusOr<Page<Mapping>> page =
      store_->ListMappings(MappingKind::kRegistrationsCredentialList, kAccountA, d.sid, {});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].friendly_name, "users");
  EXPECT_TRUE(
      store_->ListMappings(MappingKind::kRegistrationsIpAcl, kAccountA, d.sid, {})->items.empty());

  ASSERT_TRUE(
      store_->DeleteMapping(MappingKind::kRegistrationsCredentialList, kAccountA, d.sid, l.sid)
          .ok());
  EXPECT_TRUE(absl::IsNotFound(
      store_->DeleteMapping(MappingKind::kRegistrationsCredentialList, kAccountA, d.sid, l.sid)));
  EXPECT_TRUE(store_->GetMapping(MappingKind::kCallsCredentialList, kAccountA, d.sid, l.sid).ok());
}

TEST_P(StoreTest, DeletesCascade) {
  const Domain d = MakeDomain(kAccountA, "c.sip.example");
  const CredentialList l = MakeList(kAccountA);
  const IpAccessControlList acl = MakeAcl(kAccountA);
  MakeIp(kAccountA, acl.sid, "192.0.2.1");
  MakeIp(kAccountA, acl.sid, "192.0.2.2");
  ASSERT_TRUE(store_->CreateCredential(kAccountA, l.sid, "u1", kPassword).ok());
  ASSERT_TRUE(store_->CreateCredential(kAccountA, l.sid, "u2", kPassword).ok());
  for (MappingKind k :
       {MappingKind::kCallsCredentialList, MappingKind::kRegistrationsCredentialList}) {
    ASSERT_TRUE(store_->CreateMapping(k, kAccountA, d.sid, l.sid).ok());
  }
  for (MappingKind k : {MappingKind::kCallsIpAcl, MappingKind::kRegistrationsIpAcl}) {
    ASSERT_TRUE(store_->CreateMapping(k, kAccountA, d.sid, acl.sid).ok());
  }
  EXPECT_EQ(Raw("SELECT COUNT(*) FROM mappings"), 4);
  EXPECT_EQ(Raw("SELECT COUNT(*) FROM credential_ha1"), 2);

  // A list's deletion takes its credentials, their HA1s and its mappings.
  ASSERT_TRUE(store_->DeleteCredentialList(kAccountA, l.sid).ok());
  EXPECT_EQ(Raw("SELECT COUNT(*) FROM credentials"), 0);
  EXPECT_EQ(Raw("SELECT COUNT(*) FROM credential_ha1"), 0);
  EXPECT_EQ(Raw("SELECT COUNT(*) FROM mappings"), 2);
  EXPECT_TRUE(absl::IsNotFound(store_->GetCredentialList(kAccountA, l.sid).status()));

  // An ACL's deletion takes its addresses and its mappings.
  const IpAccessControlList acl2 = MakeAcl(kAccountA, "second");
  ASSERT_TRUE(store_->CreateMapping(MappingKind::kCallsIpAcl, kAccountA, d.sid, acl2.sid).ok());
  ASSERT_TRUE(store_->DeleteIpAccessControlList(kAccountA, acl.sid).ok());
  EXPECT_EQ(Raw("SELECT COUNT(*) FROM ip_addresses"), 0);
  EXPECT_EQ(Raw("SELECT COUNT(*) FROM mappings"), 1);

  // A domain's deletion takes its mappings (and leaves the lists).
  ASSERT_TRUE(store_->DeleteDomain(kAccountA, d.sid).ok());
  EXPECT_EQ(Raw("SELECT COUNT(*) FROM mappings"), 0);
  EXPECT_TRUE(store_->GetIpAccessControlList(kAccountA, acl2.sid).ok());
}

TEST_P(StoreTest, DomainLimitPerAccount) {
  for (uint32_t i = 0; i < kMaxDomainsPerAccount; ++i) {
    MakeDomain(kAccountA, Numbered("d", i, ".sip.example"));
  }
  Domain d;
  d.account_sid = kAccountA;
  d.domain_name = "one-more.sip.example";
  absl::Status s = store_->CreateDomain(d).status();
  EXPECT_TRUE(absl::IsResourceExhausted(s)) << s;
  EXPECT_EQ(Msg(s), "Account " + kAccountA + " has 100 domains, the most an account may have");
  d.account_sid = kAccountB;  // another account's count is its own
  EXPECT_TRUE(store_->CreateDomain(d).ok());
}

TEST_P(StoreTest, CredentialLimitPerList) {
  const CredentialList l = MakeList(kAccountA);
  for (uint32_t i = 0; i < kMaxCredentialsPerList; ++i) {
    ASSERT_TRUE(store_->CreateCredential(kAccountA, l.sid, Numbered("u", i), kPassword).ok()) << i;
  }
  absl::Status s = store_->CreateCredential(kAccountA, l.sid, "extra", kPassword).status();
  EXPECT_TRUE(absl::IsResourceExhausted(s)) << s;
  EXPECT_EQ(Msg(s), "Credential list " + l.sid + " has 1000 credentials, the most a list may have");
  EXPECT_EQ(Raw("SELECT COUNT(*) FROM credentials"), kMaxCredentialsPerList);
}

TEST_P(StoreTest, IpAddressLimitPerAcl) {
  const IpAccessControlList acl = MakeAcl(kAccountA);
  for (uint32_t i = 0; i < kMaxIpAddressesPerAcl; ++i) {
    MakeIp(kAccountA, acl.sid, Numbered("10.0.0.", i));
  }
  IpAddress a;
  a.account_sid = kAccountA;
  a.ip_access_control_list_sid = acl.sid;
  a.ip_address = "10.0.1.1";
  absl::Status s = store_->CreateIpAddress(a).status();
  EXPECT_TRUE(absl::IsResourceExhausted(s)) << s;
  EXPECT_EQ(Msg(s), "IP access control list " + acl.sid +
                        " has 100 IP addresses, the most a list may have");
}

TEST_P(StoreTest, ConcurrentWritersOnFourConnectionsStayWithinALimit) {
  const IpAccessControlList acl = MakeAcl(kAccountA);
  constexpr uint32_t kFree = 10;
  for (uint32_t i = 0; i < kMaxIpAddressesPerAcl - kFree; ++i) {
    MakeIp(kAccountA, acl.sid, Numbered("10.0.0.", i));
  }
  // Four connections race for the last ten slots with five inserts each.
  constexpr int kThreads = 4;
  std::vector<std::unique_ptr<Store>> stores;
  for (int t = 0; t < kThreads; ++t) {
    stores.push_back(OpenStore());
    ASSERT_NE(stores.back(), nullptr);
  }
  std::vector<std::vector<absl::StatusCode>> codes(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (uint32_t i = 0; i < 5; ++i) {
        IpAddress a;
        a.account_sid = kAccountA;
        a.ip_access_control_list_sid = acl.sid;
        a.ip_address = Numbered("10.1.", static_cast<uint32_t>(t), Numbered(".", i).c_str());
        codes[t].push_back(stores[t]->CreateIpAddress(a).status().code());
      }
    });
  }
  for (std::thread& th : threads) {
    th.join();
  }
  int ok = 0;
  int exhausted = 0;
  for (const auto& per_thread : codes) {
    for (absl::StatusCode c : per_thread) {
      ok += c == absl::StatusCode::kOk;
      exhausted += c == absl::StatusCode::kResourceExhausted;
    }
  }
  EXPECT_EQ(ok, static_cast<int>(kFree));
  EXPECT_EQ(exhausted, kThreads * 5 - static_cast<int>(kFree));
  EXPECT_EQ(Raw("SELECT COUNT(*) FROM ip_addresses"), kMaxIpAddressesPerAcl);
}

TEST_P(StoreTest, ListLimitsPerAccount) {
  for (uint32_t i = 0; i < kMaxCredentialListsPerAccount; ++i) {
    MakeList(kAccountA);
  }
  CredentialList l;
  l.account_sid = kAccountA;
  absl::Status s = store_->CreateCredentialList(l).status();
  EXPECT_TRUE(absl::IsResourceExhausted(s)) << s;
  for (uint32_t i = 0; i < kMaxIpAclsPerAccount; ++i) {
    MakeAcl(kAccountA);
  }
  IpAccessControlList acl;
  acl.account_sid = kAccountA;
  s = store_->CreateIpAccessControlList(acl).status();
  EXPECT_TRUE(absl::IsResourceExhausted(s)) << s;
  EXPECT_EQ(Raw("SELECT COUNT(*) FROM credential_lists"), kMaxCredentialListsPerAccount);
  EXPECT_EQ(Raw("SELECT COUNT(*) FROM ip_access_control_lists"), kMaxIpAclsPerAccount);
}

TEST_P(StoreTest, MappingLimitPerDomainAndKind) {
  const Domain d = MakeDomain(kAccountA, "lim.sip.example");
  std::vector<std::string> lists;
  std::vector<std::string> acls;
  for (uint32_t i = 0; i <= kMaxCredentialListsPerDomain; ++i) {
    lists.push_back(MakeList(kAccountA).sid);
  }
  for (uint32_t i = 0; i <= kMaxIpAclsPerDomain; ++i) {
    acls.push_back(MakeAcl(kAccountA).sid);
  }
  for (uint32_t i = 0; i < kMaxCredentialListsPerDomain; ++i) {
    ASSERT_TRUE(
        store_->CreateMapping(MappingKind::kRegistrationsCredentialList, kAccountA, d.sid, lists[i])
            .ok());
  }
  for (uint32_t i = 0; i < kMaxIpAclsPerDomain; ++i) {
    ASSERT_TRUE(store_->CreateMapping(MappingKind::kCallsIpAcl, kAccountA, d.sid, acls[i]).ok());
  }
  absl::Status s =
      store_
          ->CreateMapping(MappingKind::kRegistrationsCredentialList, kAccountA, d.sid, lists.back())
          .status();
  EXPECT_TRUE(absl::IsResourceExhausted(s)) << s;
  EXPECT_EQ(Msg(s), "Domain " + d.sid +
                        " has 100 credential list mappings for registrations, the most a domain "
                        "may have");
  s = store_->CreateMapping(MappingKind::kCallsIpAcl, kAccountA, d.sid, acls.back()).status();
  EXPECT_TRUE(absl::IsResourceExhausted(s)) << s;
  // The limit is per kind: the calls credential-list mappings are still empty.
  EXPECT_TRUE(
      store_->CreateMapping(MappingKind::kCallsCredentialList, kAccountA, d.sid, lists.back())
          .ok());
}

TEST_P(StoreTest, Ha1sAreComputedPerRealmAndPasswordsAreNeverStored) {
  const Domain d1 = MakeDomain(kAccountA, "one.sip.example");
  const Domain d2 = MakeDomain(kAccountA, "two.sip.example");
  MakeDomain(kAccountB, "other.sip.example");  // another account's realm gets no HA1
  const CredentialList l = MakeList(kAccountA);
  const std::string password = "Unique-Pa55word-7f3a";
  absl::StatusOr<Credential> c = store_->CreateCredential(kAccountA, l.sid, "alice", password);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(Raw("SELECT COUNT(*) FROM credential_ha1"), 2);
  ASSERT_TRUE(
      store_->CreateMapping(MappingKind::kRegistrationsCredentialList, kAccountA, d1.sid, l.sid)
          .ok());

  absl::StatusOr<Runtime> rt = store_->LoadRuntime();
  ASSERT_TRUE(rt.ok()) << rt.status();
  EXPECT_EQ(rt->domains.size(), 3u);
  const RuntimeDomain* one = Find(*rt, d1.sid);
  ASSERT_NE(one, nullptr);
  ASSERT_EQ(one->registration_credentials.size(), 1u);
  const RuntimeCredential& rc = one->registration_credentials[0];
  EXPECT_EQ(rc.username, "alice");
  EXPECT_EQ(rc.ha1_md5,
            auth::ComputeHa1(auth::Algorithm::kMd5, "alice", "one.sip.example", password).view());
  EXPECT_EQ(
      rc.ha1_sha256,
      auth::ComputeHa1(auth::Algorithm::kSha256, "alice", "one.sip.example", password).view());
  EXPECT_EQ(rc.ha1_md5.size(), 32u);
  EXPECT_EQ(rc.ha1_sha256.size(), 64u);
  // d2 has an HA1 row but no mapping: no registration credentials there.
  ASSERT_NE(Find(*rt, d2.sid), nullptr);
  EXPECT_TRUE(Find(*rt, d2.sid)->registration_credentials.empty());

  // A new password replaces every HA1.
  const std::string password2 = "Second-Pa55word-9c1d";
  ASSERT_TRUE(store_->UpdateCredential(kAccountA, l.sid, c->sid, password2).ok());
  rt = store_->LoadRuntime();
  ASSERT_TRUE(rt.ok());
  one = Find(*rt, d1.sid);
  ASSERT_EQ(one->registration_credentials.size(), 1u);
  EXPECT_EQ(one->registration_credentials[0].ha1_md5,
            auth::ComputeHa1(auth::Algorithm::kMd5, "alice", "one.sip.example", password2).view());
  EXPECT_EQ(Raw("SELECT COUNT(*) FROM credential_ha1"), 2);

  // A domain created after the password was set has no HA1 for it (documented limitation:
  // set the password again).
  const Domain d3 = MakeDomain(kAccountA, "three.sip.example");
  ASSERT_TRUE(
      store_->CreateMapping(MappingKind::kRegistrationsCredentialList, kAccountA, d3.sid, l.sid)
          .ok());
  rt = store_->LoadRuntime();
  EXPECT_TRUE(Find(*rt, d3.sid)->registration_credentials.empty());
  ASSERT_TRUE(store_->UpdateCredential(kAccountA, l.sid, c->sid, password2).ok());
  rt = store_->LoadRuntime();
  EXPECT_EQ(Find(*rt, d3.sid)->registration_credentials.size(), 1u);

  if (GetParam() == Backend::kSqlite) {
    store_.reset();  // checkpoints the WAL into the file
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
      const std::string bytes = ReadFile(db_path_ + suffix);
      EXPECT_EQ(bytes.find(password), std::string::npos) << suffix;
      EXPECT_EQ(bytes.find(password2), std::string::npos) << suffix;
    }
    EXPECT_GT(ReadFile(db_path_).size(), 0u);
  } else {
    EXPECT_EQ(Raw("SELECT COUNT(*) FROM credential_ha1 WHERE ha1_md5 LIKE '%Pa55word%'"), 0);
  }
}

TEST_P(StoreTest, RuntimeKeepsTheFirstMappedListsUsername) {
  const Domain d1 = MakeDomain(kAccountA, "first.sip.example");
  const Domain d2 = MakeDomain(kAccountA, "second.sip.example");
  const CredentialList l1 = MakeList(kAccountA, "l1");
  const CredentialList l2 = MakeList(kAccountA, "l2");
  const std::string p1 = "List-One-Passw0rd";
  const std::string p2 = "List-Two-Passw0rd";
  ASSERT_TRUE(store_->CreateCredential(kAccountA, l1.sid, "alice", p1).ok());
  ASSERT_TRUE(store_->CreateCredential(kAccountA, l2.sid, "alice", p2).ok());
  ASSERT_TRUE(store_->CreateCredential(kAccountA, l2.sid, "bob", p2).ok());
  const MappingKind reg = MappingKind::kRegistrationsCredentialList;
  // d1 maps l1 then l2; d2 maps l2 then l1: mapping order, not list order, decides.
  ASSERT_TRUE(store_->CreateMapping(reg, kAccountA, d1.sid, l1.sid).ok());
  ASSERT_TRUE(store_->CreateMapping(reg, kAccountA, d1.sid, l2.sid).ok());
  ASSERT_TRUE(store_->CreateMapping(reg, kAccountA, d2.sid, l2.sid).ok());
  ASSERT_TRUE(store_->CreateMapping(reg, kAccountA, d2.sid, l1.sid).ok());
  // Calls mappings do not feed registrations.
  const CredentialList l3 = MakeList(kAccountA, "calls only");
  ASSERT_TRUE(store_->CreateCredential(kAccountA, l3.sid, "carol", p1).ok());
  ASSERT_TRUE(
      store_->CreateMapping(MappingKind::kCallsCredentialList, kAccountA, d1.sid, l3.sid).ok());

  absl::StatusOr<Runtime> rt = store_->LoadRuntime();
  ASSERT_TRUE(rt.ok()) << rt.status();
  for (const auto& [sid, realm, password] :
       {std::tuple{d1.sid, d1.domain_name, p1}, std::tuple{d2.sid, d2.domain_name, p2}}) {
    const RuntimeDomain* d = Find(*rt, sid);
    ASSERT_NE(d, nullptr);
    ASSERT_EQ(d->registration_credentials.size(), 2u) << realm;
    const RuntimeCredential* alice = nullptr;
    for (const RuntimeCredential& c : d->registration_credentials) {
      if (c.username == "alice") {
        EXPECT_EQ(alice, nullptr) << "alice twice in " << realm;
        alice = &c;
      }
      EXPECT_NE(c.username, "carol");
    }
    ASSERT_NE(alice, nullptr);
    EXPECT_EQ(alice->ha1_md5,
              auth::ComputeHa1(auth::Algorithm::kMd5, "alice", realm, password).view())
        << realm;
  }
}

TEST_P(StoreTest, RuntimeAclFlagsAndNetworks) {
  const Domain open = MakeDomain(kAccountA, "open.sip.example");
  const Domain locked = MakeDomain(kAccountA, "locked.sip.example");
  const IpAccessControlList empty = MakeAcl(kAccountA, "empty");
  const IpAccessControlList nets = MakeAcl(kAccountA, "nets");
  MakeIp(kAccountA, nets.sid, "192.0.2.0", 24);
  MakeIp(kAccountA, nets.sid, "2001:db8::", 32);
  ASSERT_TRUE(
      store_->CreateMapping(MappingKind::kRegistrationsIpAcl, kAccountA, locked.sid, empty.sid)
          .ok());
  ASSERT_TRUE(
      store_->CreateMapping(MappingKind::kCallsIpAcl, kAccountA, locked.sid, nets.sid).ok());

  absl::StatusOr<Runtime> rt = store_->LoadRuntime();
  ASSERT_TRUE(rt.ok()) << rt.status();
  const RuntimeDomain* o = Find(*rt, open.sid);
  ASSERT_NE(o, nullptr);
  EXPECT_FALSE(o->registration_acl);
  EXPECT_FALSE(o->calls_acl);
  const RuntimeDomain* l = Find(*rt, locked.sid);
  ASSERT_NE(l, nullptr);
  EXPECT_TRUE(l->registration_acl);  // an empty ACL admits none
  EXPECT_TRUE(l->registration_networks.empty());
  EXPECT_TRUE(l->calls_acl);
  ASSERT_EQ(l->calls_networks.size(), 2u);
  std::set<std::pair<std::string, uint32_t>> got;
  for (const RuntimeNetwork& n : l->calls_networks) {
    got.emplace(n.ip_address, n.cidr_prefix_length);
  }
  EXPECT_EQ(got,
            (std::set<std::pair<std::string, uint32_t>>{{"192.0.2.0", 24}, {"2001:db8::", 32}}));
}

TEST_P(StoreTest, EveryWriteBumpsTheRevisionAndAnotherConnectionSeesIt) {
  absl::StatusOr<uint64_t> r0 = store_->Revision();
  ASSERT_TRUE(r0.ok()) << r0.status();
  uint64_t expect = *r0;
  auto bumped = [&](const char* what) {
    absl::StatusOr<uint64_t> r = store_->Revision();
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, ++expect) << what;
  };
  const Domain d = MakeDomain(kAccountA, "rev.sip.example");
  bumped("create domain");
  Domain du = d;
  du.friendly_name = "x";
  ASSERT_TRUE(store_->UpdateDomain(du).ok());
  bumped("update domain");
  const CredentialList l = MakeList(kAccountA);
  bumped("create list");
  absl::StatusOr<Credential> c = store_->CreateCredential(kAccountA, l.sid, "u", kPassword);
  ASSERT_TRUE(c.ok());
  bumped("create credential");
  ASSERT_TRUE(store_->UpdateCredential(kAccountA, l.sid, c->sid, kPassword).ok());
  bumped("update credential");
  ASSERT_TRUE(
      store_->CreateMapping(MappingKind::kRegistrationsCredentialList, kAccountA, d.sid, l.sid)
          .ok());
  bumped("create mapping");
  // A refused write changes nothing.
  EXPECT_FALSE(store_->CreateCredential(kAccountA, l.sid, "u", kPassword).ok());
  EXPECT_FALSE(store_->DeleteDomain(kAccountB, d.sid).ok());
  EXPECT_EQ(*store_->Revision(), expect);

  std::unique_ptr<Store> other = OpenStore();
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(*other->Revision(), expect);
  ASSERT_TRUE(other->DeleteCredential(kAccountA, l.sid, c->sid).ok());
  bumped("delete credential on the other connection");
  absl::StatusOr<Runtime> rt = other->LoadRuntime();
  ASSERT_TRUE(rt.ok());
  EXPECT_EQ(rt->revision, expect);
  ASSERT_TRUE(store_->DeleteDomain(kAccountA, d.sid).ok());
  bumped("delete domain");
  EXPECT_TRUE(absl::IsNotFound(other->GetDomain(kAccountA, d.sid).status()));
  EXPECT_EQ(*other->Revision(), expect);
}

TEST_P(StoreTest, MigrationsRunOnceAndANewerDatabaseIsRefused) {
  EXPECT_EQ(store_->SchemaVersion(), 2);
  const Domain d = MakeDomain(kAccountA, "mig.sip.example");
  const uint64_t rev = *store_->Revision();
  store_.reset();
  store_ = OpenStore();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(store_->SchemaVersion(), 2);
  EXPECT_EQ(*store_->Revision(), rev);
  EXPECT_TRUE(store_->GetDomain(kAccountA, d.sid).ok());
  EXPECT_EQ(Raw("SELECT COUNT(*) FROM schema_migrations"), 2);

  store_.reset();
  Raw("INSERT INTO schema_migrations (version, applied_at) VALUES (7, 0)");
  absl::StatusOr<std::unique_ptr<Store>> refused = Store::Open(url_);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(refused.status())) << refused.status();
  EXPECT_NE(Msg(refused.status()).find("7"), std::string::npos) << refused.status();
  EXPECT_NE(Msg(refused.status()).find("this build's 2"), std::string::npos) << refused.status();
}

// ---- per-domain content revisions ----

// Everything LoadRuntime says about a domain, as one comparable string.
std::string Describe(const RuntimeDomain& d) {
  std::ostringstream out;
  const Domain& m = d.domain;
  out << m.sid << ' ' << m.account_sid << ' ' << m.domain_name << ' ' << m.friendly_name << ' '
      << m.voice_url << ' ' << m.voice_method << ' ' << m.sip_registration << m.secure
      << m.emergency_calling_enabled << ' ' << m.date_created << ' ' << m.date_updated
      << " content " << d.content_revision << " creds";
  for (const RuntimeCredential& c : d.registration_credentials) {
    out << ' ' << c.username << ':' << c.ha1_md5 << ':' << c.ha1_sha256;
  }
  out << " reg_acl " << d.registration_acl;
  for (const RuntimeNetwork& n : d.registration_networks) {
    out << ' ' << n.ip_address << '/' << n.cidr_prefix_length;
  }
  out << " calls_acl " << d.calls_acl;
  for (const RuntimeNetwork& n : d.calls_networks) {
    out << ' ' << n.ip_address << '/' << n.cidr_prefix_length;
  }
  return out.str();
}

TEST_P(StoreTest, WritesMoveTheContentRevisionOfExactlyTheDomainsTheyChange) {
  const Domain d1 = MakeDomain(kAccountA, "one.sip.example");
  const Domain d2 = MakeDomain(kAccountA, "two.sip.example");
  const Domain other = MakeDomain(kAccountB, "other.sip.example");
  const std::map<std::string, std::string> names = {
      {d1.sid, "d1"}, {d2.sid, "d2"}, {other.sid, "other"}};

  // Every domain's content revision, from LoadDomainRevisions; LoadRuntime agrees.
  auto revisions = [&]() {
    std::map<std::string, uint64_t> out;
    absl::StatusOr<Store::DomainRevisions> r = store_->LoadDomainRevisions();
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) {
      return out;
    }
    EXPECT_EQ(r->revision, *store_->Revision());
    for (const Store::DomainRevision& d : r->domains) {
      EXPECT_TRUE(out.emplace(d.sid, d.content_revision).second) << d.sid;
    }
    absl::StatusOr<Runtime> rt = store_->LoadRuntime();
    EXPECT_TRUE(rt.ok()) << rt.status();
    if (rt.ok()) {
      EXPECT_EQ(rt->domains.size(), out.size());
      for (const RuntimeDomain& d : rt->domains) {
        EXPECT_EQ(d.content_revision, out[d.domain.sid]) << d.domain.domain_name;
      }
    }
    return out;
  };
  std::map<std::string, uint64_t> before = revisions();
  EXPECT_EQ(before.size(), 3u);
  for (const auto& [sid, rev] : before) {
    EXPECT_GT(rev, 0u) << names.at(sid);  // set by the create
  }
  // After one write: the domains in `touched` are at the store's new revision, every other
  // domain where it was.
  auto expect_touched = [&](const std::string& what, const std::set<std::string>& touched) {
    const uint64_t rev = *store_->Revision();
    std::map<std::string, uint64_t> now = revisions();
    for (const auto& [sid, content] : now) {
      const std::string name = names.count(sid) != 0 ? names.at(sid) : sid;
      if (touched.count(sid) != 0) {
        EXPECT_EQ(content, rev) << what << ": " << name << " should have moved";
      } else {
        EXPECT_EQ(content, before[sid]) << what << ": " << name << " should not have moved";
      }
    }
    before = std::move(now);
  };
  const std::set<std::string> none;
  const std::set<std::string> only1 = {d1.sid};
  const std::set<std::string> only2 = {d2.sid};
  const std::set<std::string> both = {d1.sid, d2.sid};

  // Lists: reg1 registrations on d1; shared registrations on d1 and d2; calls2 calls on d2;
  // loose unmapped. ACLs: acl1 registrations on d1; acl2 calls on d2; acl12 registrations on
  // d1 and calls on d2; acl_loose unmapped.
  const CredentialList reg1 = MakeList(kAccountA, "reg1");
  const CredentialList shared = MakeList(kAccountA, "shared");
  const CredentialList calls2 = MakeList(kAccountA, "calls2");
  const CredentialList loose = MakeList(kAccountA, "loose");
  const IpAccessControlList acl1 = MakeAcl(kAccountA, "acl1");
  const IpAccessControlList acl2 = MakeAcl(kAccountA, "acl2");
  const IpAccessControlList acl12 = MakeAcl(kAccountA, "acl12");
  const IpAccessControlList acl_loose = MakeAcl(kAccountA, "acl_loose");
  expect_touched("create lists", none);

  const MappingKind reg_cl = MappingKind::kRegistrationsCredentialList;
  const MappingKind calls_cl = MappingKind::kCallsCredentialList;
  const MappingKind reg_al = MappingKind::kRegistrationsIpAcl;
  const MappingKind calls_al = MappingKind::kCallsIpAcl;
  for (const auto& [kind, domain, list] :
       {std::tuple{reg_cl, d1.sid, reg1.sid}, std::tuple{reg_cl, d1.sid, shared.sid},
        std::tuple{reg_cl, d2.sid, shared.sid}, std::tuple{calls_cl, d2.sid, calls2.sid},
        std::tuple{reg_al, d1.sid, acl1.sid}, std::tuple{calls_al, d2.sid, acl2.sid},
        std::tuple{reg_al, d1.sid, acl12.sid}, std::tuple{calls_al, d2.sid, acl12.sid}}) {
    ASSERT_TRUE(store_->CreateMapping(kind, kAccountA, domain, list).ok());
    expect_touched("create mapping of " + list + " on " + names.at(domain), {domain});
  }

  // Credentials.
  absl::StatusOr<Credential> c1 = store_->CreateCredential(kAccountA, reg1.sid, "u1", kPassword);
  ASSERT_TRUE(c1.ok());
  expect_touched("create credential in reg1", only1);
  absl::StatusOr<Credential> cs = store_->CreateCredential(kAccountA, shared.sid, "us", kPassword);
  ASSERT_TRUE(cs.ok());
  expect_touched("create credential in shared", both);
  absl::StatusOr<Credential> cc = store_->CreateCredential(kAccountA, calls2.sid, "uc", kPassword);
  ASSERT_TRUE(cc.ok());
  expect_touched("create credential in calls2", only2);
  absl::StatusOr<Credential> cl = store_->CreateCredential(kAccountA, loose.sid, "ul", kPassword);
  ASSERT_TRUE(cl.ok());
  expect_touched("create credential in loose", none);
  ASSERT_TRUE(store_->UpdateCredential(kAccountA, reg1.sid, c1->sid, "Another-Passw0rd").ok());
  expect_touched("update credential in reg1", only1);
  ASSERT_TRUE(store_->UpdateCredential(kAccountA, shared.sid, cs->sid, "Another-Passw0rd").ok());
  expect_touched("update credential in shared", both);
  ASSERT_TRUE(store_->UpdateCredential(kAccountA, loose.sid, cl->sid, "Another-Passw0rd").ok());
  expect_touched("update credential in loose", none);
  ASSERT_TRUE(store_->DeleteCredential(kAccountA, calls2.sid, cc->sid).ok());
  expect_touched("delete credential in calls2", only2);
  ASSERT_TRUE(store_->DeleteCredential(kAccountA, loose.sid, cl->sid).ok());
  expect_touched("delete credential in loose", none);
  // A refused write changes nothing (and does not bump the revision).
  const uint64_t rev = *store_->Revision();
  EXPECT_FALSE(store_->CreateCredential(kAccountA, shared.sid, "us", kPassword).ok());
  EXPECT_EQ(*store_->Revision(), rev);
  expect_touched("refused credential", none);

  // IP addresses.
  const IpAddress ip1 = MakeIp(kAccountA, acl1.sid, "192.0.2.1");
  expect_touched("create address in acl1", only1);
  const IpAddress ip2 = MakeIp(kAccountA, acl2.sid, "192.0.2.2");
  expect_touched("create address in acl2", only2);
  const IpAddress ip12 = MakeIp(kAccountA, acl12.sid, "192.0.2.12");
  expect_touched("create address in acl12", both);
  const IpAddress ip_loose = MakeIp(kAccountA, acl_loose.sid, "192.0.2.99");
  expect_touched("create address in acl_loose", none);
  IpAddress moved = ip1;
  moved.ip_address = "198.51.100.1";
  ASSERT_TRUE(store_->UpdateIpAddress(moved).ok());
  expect_touched("update address in acl1", only1);
  ASSERT_TRUE(store_->DeleteIpAddress(kAccountA, acl2.sid, ip2.sid).ok());
  expect_touched("delete address in acl2", only2);
  ASSERT_TRUE(store_->DeleteIpAddress(kAccountA, acl_loose.sid, ip_loose.sid).ok());
  expect_touched("delete address in acl_loose", none);

  // Friendly names of lists and accounts: nothing the workers check.
  CredentialList renamed = shared;
  renamed.friendly_name = "renamed";
  ASSERT_TRUE(store_->UpdateCredentialList(renamed).ok());
  expect_touched("rename shared", none);
  IpAccessControlList renamed_acl = acl12;
  renamed_acl.friendly_name = "renamed";
  ASSERT_TRUE(store_->UpdateIpAccessControlList(renamed_acl).ok());
  expect_touched("rename acl12", none);
  Account account;
  account.sid = kAccountA;
  account.friendly_name = "renamed account";
  account.auth_token_sha256 = HashAuthToken("another token");
  ASSERT_TRUE(store_->PutAccount(account).ok());
  expect_touched("put account", none);

  // Domains: any field.
  Domain u2 = d2;
  u2.friendly_name = "renamed";
  ASSERT_TRUE(store_->UpdateDomain(u2).ok());
  expect_touched("update d2 friendly_name", only2);
  Domain u1 = d1;
  u1.sip_registration = true;
  ASSERT_TRUE(store_->UpdateDomain(u1).ok());
  expect_touched("update d1 sip_registration", only1);
  u1.domain_name = "uno.sip.example";
  ASSERT_TRUE(store_->UpdateDomain(u1).ok());
  expect_touched("rename d1", only1);

  // Mapping delete: that domain; the list's later changes no longer reach it.
  ASSERT_TRUE(store_->DeleteMapping(reg_cl, kAccountA, d2.sid, shared.sid).ok());
  expect_touched("delete mapping of shared on d2", only2);
  ASSERT_TRUE(store_->UpdateCredential(kAccountA, shared.sid, cs->sid, kPassword).ok());
  expect_touched("update credential in shared after unmapping d2", only1);

  // List deletes: every domain that mapped the list (its mappings go with it).
  ASSERT_TRUE(store_->DeleteCredentialList(kAccountA, calls2.sid).ok());
  expect_touched("delete calls2", only2);
  ASSERT_TRUE(store_->DeleteCredentialList(kAccountA, loose.sid).ok());
  expect_touched("delete loose", none);
  ASSERT_TRUE(store_->DeleteIpAccessControlList(kAccountA, acl12.sid).ok());
  expect_touched("delete acl12", both);
  ASSERT_TRUE(store_->DeleteIpAccessControlList(kAccountA, acl_loose.sid).ok());
  expect_touched("delete acl_loose", none);
  ASSERT_TRUE(store_->DeleteCredentialList(kAccountA, shared.sid).ok());
  expect_touched("delete shared", only1);
  (void)ip12;

  // Domain delete: the row is gone, the others stay where they were.
  ASSERT_TRUE(store_->DeleteDomain(kAccountA, d2.sid).ok());
  const std::map<std::string, uint64_t> after = revisions();
  EXPECT_EQ(after.count(d2.sid), 0u);
  EXPECT_EQ(after.size(), 2u);
  EXPECT_EQ(after.at(d1.sid), before.at(d1.sid));
  EXPECT_EQ(after.at(other.sid), before.at(other.sid));
}

TEST_P(StoreTest, LoadRuntimeOfNamedDomainsMatchesTheFullLoad) {
  // SIDs chosen so that they sort apart (the large request below splits them over chunks)
  // and in another order than they were created.
  std::vector<std::string> sids;
  for (const char digit : {'f', '0', '8', '4'}) {
    Domain d;
    d.account_sid = digit == '4' ? kAccountB : kAccountA;
    d.sid = "SD" + std::string(32, digit);
    d.domain_name = std::string("d") + digit + ".sip.example";
    absl::StatusOr<Domain> created = store_->CreateDomain(d);
    ASSERT_TRUE(created.ok()) << created.status();
    sids.push_back(d.sid);
  }
  const CredentialList l2 = MakeList(kAccountA, "l2");
  const CredentialList l3 = MakeList(kAccountA, "l3");
  ASSERT_TRUE(store_->CreateCredential(kAccountA, l2.sid, "alice", "Other-Passw0rd-2").ok());
  ASSERT_TRUE(store_->CreateCredential(kAccountA, l2.sid, "bob", kPassword).ok());
  ASSERT_TRUE(store_->CreateCredential(kAccountA, l3.sid, "alice", kPassword).ok());
  ASSERT_TRUE(store_->CreateCredential(kAccountA, l3.sid, "carol", kPassword).ok());
  const IpAccessControlList acl = MakeAcl(kAccountA, "acl");
  MakeIp(kAccountA, acl.sid, "192.0.2.0", 24);
  MakeIp(kAccountA, acl.sid, "2001:db8::", 32);
  const IpAccessControlList empty = MakeAcl(kAccountA, "empty");
  const MappingKind reg = MappingKind::kRegistrationsCredentialList;
  ASSERT_TRUE(store_->CreateMapping(reg, kAccountA, sids[0], l3.sid).ok());
  ASSERT_TRUE(store_->CreateMapping(reg, kAccountA, sids[0], l2.sid).ok());
  ASSERT_TRUE(store_->CreateMapping(reg, kAccountA, sids[1], l2.sid).ok());
  ASSERT_TRUE(store_->CreateMapping(reg, kAccountA, sids[1], l3.sid).ok());
  ASSERT_TRUE(
      store_->CreateMapping(MappingKind::kRegistrationsIpAcl, kAccountA, sids[0], empty.sid).ok());
  ASSERT_TRUE(store_->CreateMapping(MappingKind::kCallsIpAcl, kAccountA, sids[0], acl.sid).ok());
  ASSERT_TRUE(
      store_->CreateMapping(MappingKind::kRegistrationsIpAcl, kAccountA, sids[2], acl.sid).ok());

  absl::StatusOr<Runtime> full = store_->LoadRuntime();
  ASSERT_TRUE(full.ok()) << full.status();
  ASSERT_EQ(full->domains.size(), 4u);
  std::map<std::string, std::string> described;
  for (const RuntimeDomain& d : full->domains) {
    described[d.domain.sid] = Describe(d);
  }
  // Content worth comparing: three usernames each (alice from the first mapped list), ACLs.
  for (const std::string& sid : sids) {
    ASSERT_NE(Find(*full, sid), nullptr) << sid;
  }
  EXPECT_EQ(Find(*full, sids[0])->registration_credentials.size(), 3u);
  EXPECT_EQ(Find(*full, sids[1])->registration_credentials.size(), 3u);
  EXPECT_TRUE(Find(*full, sids[0])->calls_acl);
  EXPECT_TRUE(Find(*full, sids[0])->registration_acl);
  EXPECT_EQ(Find(*full, sids[2])->registration_networks.size(), 2u);

  const std::string missing = "SD" + std::string(31, '0') + "1";
  std::vector<std::string> large;
  for (uint32_t i = 0; i < 1500; ++i) {
    // Spread over the SID space, in no order, with repeats.
    char hex[9];
    std::snprintf(hex, sizeof(hex), "%08x", (i * 2654435761u));
    large.push_back("SD" + std::string(hex) + std::string(24, '1'));
  }
  large.insert(large.begin() + 700, sids.begin(), sids.end());
  large.push_back(sids[1]);
  const std::vector<std::vector<std::string>> requests = {
      {},   {sids[1]}, {sids[2], sids[0]}, {sids[0], sids[0], missing, sids[3]}, {missing},
      sids, large,
  };
  for (const std::vector<std::string>& want : requests) {
    const std::string label = "request of " + std::to_string(want.size()) + " SIDs";
    absl::StatusOr<Runtime> part = store_->LoadRuntime(want);
    ASSERT_TRUE(part.ok()) << part.status();
    EXPECT_EQ(part->revision, full->revision) << label;
    // Exactly the named domains that exist, in the full load's order, with the same content.
    std::vector<std::string> expected;
    for (const RuntimeDomain& d : full->domains) {
      if (std::find(want.begin(), want.end(), d.domain.sid) != want.end()) {
        expected.push_back(Describe(d));
      }
    }
    std::vector<std::string> got;
    for (const RuntimeDomain& d : part->domains) {
      got.push_back(Describe(d));
    }
    EXPECT_EQ(got, expected) << label;
  }
}

TEST_P(StoreTest, MigrationTwoUpgradesAVersionOneDatabase) {
  // A database exactly as a version-1 build left it: migration 1's statements, its
  // schema_migrations row, and data written at revision 41.
  store_.reset();
  if (GetParam() == Backend::kSqlite) {
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::filesystem::remove(db_path_ + suffix);
    }
  } else {
    ASSERT_EQ(Raw("DROP SCHEMA public CASCADE"), 0);
    ASSERT_EQ(Raw("CREATE SCHEMA public"), 0);
  }
  ASSERT_EQ(Raw("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY,"
                " applied_at BIGINT NOT NULL)"),
            0);
  for (std::string_view statement : schema::kV1) {
    ASSERT_EQ(Raw(std::string(statement)), 0) << statement;
  }
  ASSERT_EQ(Raw("INSERT INTO schema_migrations (version, applied_at) VALUES (1, 0)"), 0);
  ASSERT_EQ(Raw("UPDATE meta SET revision = 41 WHERE id = 1"), 0);
  const std::string sid1 = "SD" + std::string(32, '1');
  const std::string sid2 = "SD" + std::string(32, '2');
  ASSERT_EQ(Raw("INSERT INTO accounts VALUES ('" + kAccountA + "', 'a', '" + HashAuthToken("t") +
                "', 1, 1)"),
            0);
  for (const std::string& sid : {sid1, sid2}) {
    Raw("INSERT INTO domains VALUES ('" + sid + "', '" + kAccountA + "', 'v1-" + sid.substr(2, 1) +
        ".sip.example', '', '', 'POST', '', 'POST', '', 'POST', 1, 0, 0, 1, 1)");
  }

  store_ = OpenStore();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(store_->SchemaVersion(), 2);
  EXPECT_EQ(Raw("SELECT COUNT(*) FROM schema_migrations"), 2);
  EXPECT_EQ(*store_->Revision(), 41u);
  absl::StatusOr<Store::DomainRevisions> revs = store_->LoadDomainRevisions();
  ASSERT_TRUE(revs.ok()) << revs.status();
  EXPECT_EQ(revs->revision, 41u);
  ASSERT_EQ(revs->domains.size(), 2u);
  for (const Store::DomainRevision& d : revs->domains) {
    EXPECT_EQ(d.content_revision, 41u) << d.sid;  // the revision at the upgrade
  }
  absl::StatusOr<Runtime> rt = store_->LoadRuntime();
  ASSERT_TRUE(rt.ok()) << rt.status();
  ASSERT_EQ(rt->domains.size(), 2u);
  EXPECT_EQ(rt->domains[0].content_revision, 41u);

  // The upgraded database takes writes like a new one, and reopening it changes nothing.
  absl::StatusOr<Domain> d1 = store_->GetDomain(kAccountA, sid1);
  ASSERT_TRUE(d1.ok()) << d1.status();
  d1->friendly_name = "upgraded";
  ASSERT_TRUE(store_->UpdateDomain(*d1).ok());
  store_.reset();
  store_ = OpenStore();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(Raw("SELECT COUNT(*) FROM schema_migrations"), 2);
  revs = store_->LoadDomainRevisions();
  ASSERT_TRUE(revs.ok()) << revs.status();
  EXPECT_EQ(revs->revision, 42u);
  std::map<std::string, uint64_t> by_sid;
  for (const Store::DomainRevision& d : revs->domains) {
    by_sid[d.sid] = d.content_revision;
  }
  EXPECT_EQ(by_sid, (std::map<std::string, uint64_t>{{sid1, 42}, {sid2, 41}}));
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                           return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
                         });

TEST(StoreOpenTest, RejectsUnknownUrls) {
  for (const char* url : {"", "sqlite:", "mysql://localhost/x", "/var/lib/sipfront/store.db"}) {
    absl::StatusOr<std::unique_ptr<Store>> s = Store::Open(url);
    EXPECT_TRUE(absl::IsInvalidArgument(s.status())) << url << ": " << s.status();
  }
}

TEST(StoreOpenTest, UnreachablePostgresIsUnavailable) {
  // Port 1 on loopback: nothing listens there.
  absl::StatusOr<std::unique_ptr<Store>> s =
      Store::Open("host=127.0.0.1 port=1 dbname=x connect_timeout=2");
  EXPECT_TRUE(absl::IsUnavailable(s.status())) << s.status();
}

}  // namespace
}  // namespace sipfront::control
