// The control plane's costs (docs/benchmarks.md "Provisioning"):
//   BM_Reload            a full rebuild: LoadRuntime() from a SQLite store holding
//                        --credentials=N users (tenants of 1000: one account, domain and list
//                        each), then BuildProvisioned(). Set up once per process.
//   BM_Change            one password change in one tenant until the loader holds the next
//                        snapshot (per-domain reload: one domain rebuilt, the rest shared).
//   BM_CreateCredential  one REST-style write: a credential with its HA1s, one transaction.
//   BM_AclContains       the fast path's IP ACL check, ACLs of 1..100 networks.
//   BM_DomainFind        the fast path's domain lookup among 1..10,000 domains.
//   BM_CellLoad          what a worker pays per REGISTER (Load) and per loop (Quiescent).
// Own main: --credentials=N (default 10000), --dir=PATH (default a fresh temp dir).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <unistd.h>

#include "benchmark/benchmark.h"

#include "sipfront/control/provisioning.h"
#include "sipfront/control/store.h"

namespace sipfront::control {
namespace {

uint32_t g_credentials = 10000;
std::string g_dir;

void Check(const absl::Status& s) {
  if (!s.ok()) {
    std::fprintf(stderr, "provisioning_bench: %s\n", std::string(s.message()).c_str());
    std::exit(1);
  }
}

std::string Sid(Kind k, uint64_t n) {
  char hex[33];
  std::snprintf(hex, sizeof(hex), "%032llx", static_cast<unsigned long long>(n));
  return std::string(SidPrefix(k)) + hex;
}

// prefix + decimal n (appended: g++ 12 warns falsely on "x" + std::to_string(), -Wrestrict).
std::string Numbered(const char* prefix, uint64_t n) {
  std::string s(prefix);
  s += std::to_string(n);
  return s;
}

// The store of BM_Reload and BM_Change, filled once: --credentials users spread over tenants
// of 1000 (an account with one domain and one list mapped for registrations each), as a
// multi-tenant edge holds them.
constexpr uint32_t kPerTenant = kMaxCredentialsPerList;

Store& Filled() {
  static std::unique_ptr<Store> store = [] {
    absl::StatusOr<std::unique_ptr<Store>> s = Store::Open("sqlite:" + g_dir + "/reload.db");
    Check(s.status());
    for (uint32_t t = 0; t * kPerTenant < g_credentials; ++t) {
      Account a;
      a.sid = Sid(Kind::kAccount, 100 + t);
      a.auth_token_sha256 = HashAuthToken("bench");
      Check((*s)->PutAccount(a));
      Domain d;
      d.sid = Sid(Kind::kDomain, 100 + t);
      d.account_sid = a.sid;
      d.domain_name = Numbered("tenant", t) + ".sip.example";
      d.sip_registration = true;
      Check((*s)->CreateDomain(d).status());
      CredentialList l;
      l.sid = Sid(Kind::kCredentialList, 100 + t);
      l.account_sid = a.sid;
      l.friendly_name = "users";
      Check((*s)->CreateCredentialList(l).status());
      Check((*s)->CreateMapping(MappingKind::kRegistrationsCredentialList, a.sid, d.sid, l.sid)
                .status());
      for (uint32_t i = t * kPerTenant; i < g_credentials && i < (t + 1) * kPerTenant; ++i) {
        Check((*s)->CreateCredential(a.sid, l.sid, Numbered("u", i), "Bench-Passw0rd-1").status());
      }
    }
    return std::move(*s);
  }();
  return *store;
}

// Everything rebuilt: what the loader's first snapshot costs (and what every change cost
// before per-domain reloads).
void BM_Reload(benchmark::State& state) {
  Store& store = Filled();
  registrar::DomainNames names;
  std::size_t domains = 0;
  for (auto _ : state) {
    absl::StatusOr<Runtime> rt = store.LoadRuntime();
    Check(rt.status());
    std::unique_ptr<registrar::Provisioned> p = BuildProvisioned(*rt, names);
    domains = p->domains.size();
    benchmark::DoNotOptimize(p.get());
  }
  state.counters["credentials"] = static_cast<double>(g_credentials);
  state.counters["domains"] = static_cast<double>(domains);
}
BENCHMARK(BM_Reload)->Unit(benchmark::kMillisecond);

// One change (a password set in one tenant) until the loader holds the next snapshot: the
// write, the revision check, the one domain reloaded, the snapshot assembled around the
// other domains' unchanged pieces.
void BM_Change(benchmark::State& state) {
  Filled();
  absl::StatusOr<std::unique_ptr<Store>> writer = Store::Open("sqlite:" + g_dir + "/reload.db");
  absl::StatusOr<std::unique_ptr<Store>> reader = Store::Open("sqlite:" + g_dir + "/reload.db");
  Check(writer.status());
  Check(reader.status());
  registrar::DomainNames names;
  ProvisioningLoader loader(std::move(*reader), names);
  Check(loader.Refresh().status());
  absl::StatusOr<Page<Credential>> creds =
      (*writer)->ListCredentials(Sid(Kind::kAccount, 100), Sid(Kind::kCredentialList, 100), {});
  Check(creds.status());
  const std::string cr = creds->items.at(0).sid;
  uint64_t loaded_before = loader.counters().domains_loaded.load();
  for (auto _ : state) {
    Check((*writer)
              ->UpdateCredential(Sid(Kind::kAccount, 100), Sid(Kind::kCredentialList, 100), cr,
                                 "Bench-Passw0rd-2")
              .status());
    absl::StatusOr<std::unique_ptr<registrar::Provisioned>> p = loader.Refresh();
    Check(p.status());
    benchmark::DoNotOptimize(p->get());
  }
  state.counters["domains_per_change"] = benchmark::Counter(
      static_cast<double>(loader.counters().domains_loaded.load() - loaded_before),
      benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_Change)->Unit(benchmark::kMillisecond);

void BM_CreateCredential(benchmark::State& state) {
  // Google Benchmark calls this several times: one store and one counter for all of them.
  static std::unique_ptr<Store> store = [] {
    absl::StatusOr<std::unique_ptr<Store>> s = Store::Open("sqlite:" + g_dir + "/writes.db");
    Check(s.status());
    Account a;
    a.sid = Sid(Kind::kAccount, 2);
    a.auth_token_sha256 = HashAuthToken("bench");
    Check((*s)->PutAccount(a));
    Domain d;
    d.account_sid = a.sid;
    d.domain_name = "writes.sip.example";
    Check((*s)->CreateDomain(d).status());
    return std::move(*s);
  }();
  const std::unique_ptr<Store>* s = &store;
  Account a;
  a.sid = Sid(Kind::kAccount, 2);
  static uint64_t n = 0;
  static std::string list;
  for (auto _ : state) {
    if (n % kMaxCredentialsPerList == 0) {
      state.PauseTiming();
      CredentialList l;
      l.account_sid = a.sid;
      absl::StatusOr<CredentialList> cl = (*s)->CreateCredentialList(l);
      Check(cl.status());
      list = cl->sid;
      state.ResumeTiming();
    }
    Check((*s)->CreateCredential(a.sid, list, Numbered("w", n++), "Bench-Passw0rd-1").status());
  }
}
BENCHMARK(BM_CreateCredential)->Unit(benchmark::kMicrosecond);

net::Endpoint V4(uint32_t host_order) {
  net::Endpoint e;
  e.addr.v4.sin_family = AF_INET;
  e.addr.v4.sin_addr.s_addr = htonl(host_order);
  e.len = sizeof(sockaddr_in);
  return e;
}

void BM_AclContains(benchmark::State& state) {
  const auto n = static_cast<uint32_t>(state.range(0));
  registrar::NetworkSet set;
  std::mt19937 rng(7);
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t ip = rng();
    char text[INET_ADDRSTRLEN];
    const uint32_t be = htonl(ip);
    inet_ntop(AF_INET, &be, text, sizeof(text));
    (void)set.Add(text, i % 4 == 0 ? 24 : 32);  // a mix of hosts and /24 offices
  }
  set.Seal();
  std::vector<net::Endpoint> peers;
  for (int i = 0; i < 1024; ++i) {
    peers.push_back(V4(rng()));
  }
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(set.Contains(peers[i++ & 1023]));
  }
}
BENCHMARK(BM_AclContains)->Arg(1)->Arg(10)->Arg(100);

void BM_DomainFind(benchmark::State& state) {
  const auto n = static_cast<int>(state.range(0));
  registrar::DomainNames names;
  registrar::DomainTable t;
  std::vector<std::string> hosts;
  for (int i = 0; i < n; ++i) {
    std::string h = "tenant";
    h += std::to_string(i);
    h += ".sip.example.com";
    t.Add(names, h, true);
    hosts.push_back(h);
  }
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(t.Find(hosts[i++ % hosts.size()]));
  }
}
BENCHMARK(BM_DomainFind)->Arg(1)->Arg(100)->Arg(10000);

void BM_CellLoad(benchmark::State& state) {
  registrar::ProvisionedCell cell(std::make_unique<registrar::Provisioned>(), 1);
  for (auto _ : state) {
    cell.Quiescent(0);
    benchmark::DoNotOptimize(cell.Load());
  }
}
BENCHMARK(BM_CellLoad);

}  // namespace
}  // namespace sipfront::control

int main(int argc, char** argv) {
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a.starts_with("--credentials=")) {
      sipfront::control::g_credentials =
          static_cast<uint32_t>(std::strtoul(argv[i] + 14, nullptr, 10));
    } else if (a.starts_with("--dir=")) {
      sipfront::control::g_dir = argv[i] + 6;
    } else {
      rest.push_back(argv[i]);
    }
  }
  bool temp = false;
  if (sipfront::control::g_dir.empty()) {
    char tmpl[] = "/tmp/sipfront-prov-bench-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
      std::perror("mkdtemp");
      return 1;
    }
    sipfront::control::g_dir = tmpl;
    temp = true;
  }
  int n = static_cast<int>(rest.size());
  benchmark::Initialize(&n, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (temp) {
    std::filesystem::remove_all(sipfront::control::g_dir);
  }
  return 0;
}
