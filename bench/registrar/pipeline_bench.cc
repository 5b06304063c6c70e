// The REGISTER pipeline without I/O, on one core, with N bindings resident:
//   tokenize -> CheckRequest/ValidateMessage -> ParseRegister -> Admit (domain, digest verify,
//   nonce check) -> Apply (binding table refresh) -> 200 with Contact and Date.
// Every timed request is an authenticated refresh of a resident AOR (its CSeq bumped in place
// so each one is a new request, not a retransmission), picked so consecutive requests touch
// unrelated parts of the table, as real traffic does.
//
// Flags (before the Google Benchmark ones): --bindings=N (default 100000; the figures in
// docs/benchmarks.md use 1000000 and 10000000). Counters: rss_per_binding (bytes of resident
// memory the filled table added, divided by N) and fill_rate (bindings/s while filling).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

#include <benchmark/benchmark.h>

#include "sipfront/auth/digest.h"
#include "sipfront/base/padded_view.h"
#include "sipfront/registrar/binding_table.h"
#include "sipfront/registrar/registrar.h"
#include "sipfront/sip/headers.h"
#include "sipfront/sip/message.h"

#include "rss.h"
#include "run_benchmarks.h"

namespace sipfront::registrar {
namespace {

uint64_t g_bindings = 100000;

constexpr uint8_t kSecret[32] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6,
                                 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2};
constexpr const char* kDomain = "acme.sip.example";
constexpr const char* kPassword = "Pipeline-Bench-1";
constexpr uint64_t kWallNow = 1795000000;
constexpr uint32_t kTimedUsers = 4096;

// The typical binding of issue 4: E.164 user, IPv4 contact with port and transport, a
// 32-character Call-ID.
std::string User(uint64_t i) {
  char b[24];
  std::snprintf(b, sizeof(b), "+1415%07llu", static_cast<unsigned long long>(i % 10000000));
  std::string u(b);
  if (i >= 10000000) {
    u += std::to_string(i / 10000000);
  }
  return u;
}

std::string Ip(uint64_t i) {
  return "10." + std::to_string((i >> 16) & 0xff) + "." + std::to_string((i >> 8) & 0xff) + "." +
         std::to_string(i & 0xff);
}

struct Fixture {
  DomainNames names;
  // Users are added while the fixture is built, before any REGISTER runs.
  Provisioned* prov = new Provisioned;
  ProvisionedCell cell{std::unique_ptr<const Provisioned>(prov), 1};
  DomainAuth& domain_auth = prov->AddDomain(names, kDomain, true);
  auth::CredentialStore& credentials = domain_auth.credentials;
  auth::NonceCodec nonces{std::span<const uint8_t, 32>(kSecret), 300};
  RegistrarContext ctx;
  std::unique_ptr<BindingTable> table;
  std::unique_ptr<Registrar> registrar;
  std::vector<std::string> requests;  // each followed by kPadding bytes in `storage`
  std::vector<std::unique_ptr<char[]>> storage;
  std::vector<std::size_t> cseq_offset;
  double rss_per_binding = 0;
  double fill_rate = 0;

  std::string Register(uint64_t i, const std::string& authorization) const {
    const std::string user = User(i);
    std::string s = "REGISTER sip:" + std::string(kDomain) + " SIP/2.0\r\n";
    s += "Via: SIP/2.0/UDP " + Ip(i) + ":5060;branch=z9hG4bK" + std::to_string(i) + "x;rport\r\n";
    s += "Max-Forwards: 70\r\n";
    s += "From: <sip:" + user + "@" + kDomain + ">;tag=" + std::to_string(i * 7919) + "\r\n";
    s += "To: <sip:" + user + "@" + kDomain + ">\r\n";
    char call_id[40];
    std::snprintf(call_id, sizeof(call_id), "%032llx",
                  static_cast<unsigned long long>(i * 0x9e3779b97f4a7c15ull));
    s += "Call-ID: " + std::string(call_id) + "\r\n";
    s += "CSeq: 0000000002 REGISTER\r\n";
    s += "Contact: <sip:" + user + "@" + Ip(i) + ":5060;transport=udp>\r\n";
    if (!authorization.empty()) {
      s += "Authorization: " + authorization + "\r\n";
    }
    s += "Expires: 3600\r\nUser-Agent: Yealink SIP-T46U 108.86.0.20\r\nContent-Length: 0\r\n\r\n";
    return s;
  }

  Fixture() {
    const uint16_t domain = prov->domains.Find(kDomain)->id;
    ctx.hash_key = HashKey{0x1234, 0x5678};
    ctx.provisioned = &cell;
    ctx.names = &names;
    ctx.nonces = &nonces;
    ctx.shard_mask = 0;
    TableOptions o;
    o.aor_capacity = static_cast<uint32_t>(g_bindings + g_bindings / 20 + 64);
    o.binding_capacity = o.aor_capacity;
    o.arena_bytes = static_cast<std::size_t>(o.aor_capacity) * 32;
    o.max_expires = 3600;
    registrar = std::make_unique<Registrar>(ctx);
    const uint64_t rss_before = RssBytes();
    table = std::make_unique<BindingTable>(o);

    // Fill: N AORs with one typical binding each, straight into the table.
    const auto t0 = std::chrono::steady_clock::now();
    char storage_user[kMaxUserLength];
    for (uint64_t i = 0; i < g_bindings; ++i) {
      const std::string user = User(i);
      const std::string contact = "sip:" + user + "@" + Ip(i) + ":5060;transport=udp";
      sip::Uri uri;
      if (!sip::ParseUri(contact, uri).ok()) {
        std::abort();
      }
      sip::RegisterFields reg;
      reg.to.addr.uri.user = user;
      AorKey key;
      if (!registrar->AorOf(reg, domain, storage_user, key)) {
        std::abort();
      }
      const uint32_t aor = table->CreateAor(key);
      net::Endpoint src = *net::ParseEndpoint(Ip(i) + ":5060");
      const BindingData d{contact, &uri, {}, 0, kNoQ, 1000 + 3600, 1, i, src, Transport::kUdp};
      if (aor == kNil || table->Insert(aor, d, 1000) == kNil) {
        std::abort();
      }
    }
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    fill_rate = static_cast<double>(g_bindings) / secs;
    rss_per_binding =
        static_cast<double>(RssBytes() - rss_before) / static_cast<double>(g_bindings);

    // Timed requests: authenticated refreshes of resident AORs spread over the table.
    auth::DigestVerifier verifier;
    char nonce[auth::kNonceLength];
    nonces.Mint(kWallNow, kDomain, nonce);
    const std::string n(nonce, sizeof(nonce));
    const uint32_t users =
        static_cast<uint32_t>(g_bindings < kTimedUsers ? g_bindings : kTimedUsers);
    for (uint32_t k = 0; k < users; ++k) {
      const uint64_t i = (static_cast<uint64_t>(k) * 2654435761u) % g_bindings;
      const std::string user = User(i);
      credentials.Add(kDomain, user, kPassword);
      const auth::HexDigest ha1 = auth::ComputeHa1(auth::Algorithm::kMd5, user, kDomain, kPassword);
      const std::string uri = std::string("sip:") + kDomain;
      const auth::HexDigest resp = verifier.Response(
          auth::Algorithm::kMd5, ha1.view(), n, "00000001", "4a3b2c1d", "auth", "REGISTER", uri);
      const std::string authz = "Digest username=\"" + user + "\", realm=\"" + kDomain +
                                "\", nonce=\"" + n + "\", uri=\"" + uri + "\", response=\"" +
                                std::string(resp.view()) +
                                "\", algorithm=MD5, cnonce=\"4a3b2c1d\", qop=auth, nc=00000001";
      requests.push_back(Register(i, authz));
      auto buf = std::make_unique<char[]>(requests.back().size() + kPadding);
      std::memcpy(buf.get(), requests.back().data(), requests.back().size());
      std::memset(buf.get() + requests.back().size(), 0, kPadding);
      cseq_offset.push_back(requests.back().find("CSeq: ") + 6);
      storage.push_back(std::move(buf));
    }
  }
};

Fixture& Shared() {
  static Fixture f;
  return f;
}

// CSeq numbers keep growing across benchmark runs (Google Benchmark calls each function several
// times): a repeated (Call-ID, CSeq, branch) would be answered as a retransmission.
uint64_t cseq = 1000;

// Writes `v` as 10 zero-padded digits.
void SetCSeq(char* p, uint64_t v) {
  for (int i = 9; i >= 0; --i) {
    p[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
}

// One REGISTER through the whole pipeline; false when it did not end in a refresh.
struct Scratch {
  std::unique_ptr<sip::Message> msg = std::make_unique<sip::Message>();
  std::unique_ptr<sip::RegisterFields> reg = std::make_unique<sip::RegisterFields>();
  char out[4096];
  net::Endpoint peer = *net::ParseEndpoint("10.1.2.3:5060");
  std::size_t next = 0;
};

__attribute__((noinline)) bool PipelineOnce(Fixture& f, Scratch& s, std::size_t& bytes) {
  const std::size_t i = s.next;
  s.next = i + 1 == f.requests.size() ? 0 : i + 1;
  char* buf = f.storage[i].get();
  const std::size_t len = f.requests[i].size();
  SetCSeq(buf + f.cseq_offset[i], ++cseq);
  const PaddedView in(buf, len, len + kPadding);
  // As the worker does: message-level checks, the REGISTER fields, then everything else.
  if (sip::Tokenize(in, sip::Framing::kDatagram, *s.msg) != sip::ParseError::kOk ||
      !sip::CheckRequest(*s.msg).ok() || !sip::ParseRegister(*s.msg, *s.reg).ok() ||
      !sip::ValidateMessage(*s.msg, s.reg.get()).ok()) {
    return false;
  }
  const AdmitResult a = f.registrar->Admit(*s.msg, *s.reg, s.peer, kWallNow, s.out, sizeof(s.out));
  if (!a.apply) {
    return false;
  }
  Outcome o;
  const std::size_t n =
      f.registrar->Apply(*f.table, *s.msg, *s.reg, s.peer, 1000, kWallNow, s.out, sizeof(s.out), o);
  benchmark::DoNotOptimize(n);
  bytes += len;
  return o == Outcome::kRegistered && n != 0;
}

// A fixed number of requests, for callgrind (--icount=N): instructions per REGISTER without
// timing noise.
__attribute__((noinline)) bool RunPipeline(Fixture& f, Scratch& s, uint64_t n) {
  std::size_t bytes = 0;
  for (uint64_t k = 0; k < n; ++k) {
    if (!PipelineOnce(f, s, bytes)) {
      return false;
    }
  }
  return true;
}

void BM_Registrar_Pipeline(benchmark::State& state) {
  Fixture& f = Shared();
  Scratch s;
  std::size_t bytes = 0;
  for (auto _ : state) {
    if (!PipelineOnce(f, s, bytes)) {
      state.SkipWithError("a request was not registered");
      break;
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["bindings"] = static_cast<double>(f.table->counters().bindings);
  state.counters["rss_per_binding"] = f.rss_per_binding;
  state.counters["fill_rate"] = f.fill_rate;
}
BENCHMARK(BM_Registrar_Pipeline);

// Cumulative stages of the pipeline, to see where the time goes: 0 = parse only, 1 = + Admit
// (domain, digest, nonce), 2 = + Apply (table and 200).
void BM_Registrar_Stage(benchmark::State& state) {
  Fixture& f = Shared();
  Scratch s;
  const int stage = static_cast<int>(state.range(0));
  for (auto _ : state) {
    const std::size_t i = s.next;
    s.next = i + 1 == f.requests.size() ? 0 : i + 1;
    char* buf = f.storage[i].get();
    const std::size_t len = f.requests[i].size();
    SetCSeq(buf + f.cseq_offset[i], ++cseq);
    const PaddedView in(buf, len, len + kPadding);
    bool ok = sip::Tokenize(in, sip::Framing::kDatagram, *s.msg) == sip::ParseError::kOk &&
              sip::CheckRequest(*s.msg).ok() && sip::ParseRegister(*s.msg, *s.reg).ok() &&
              sip::ValidateMessage(*s.msg, s.reg.get()).ok();
    if (ok && stage >= 1) {
      const AdmitResult a =
          f.registrar->Admit(*s.msg, *s.reg, s.peer, kWallNow, s.out, sizeof(s.out));
      ok = a.apply;
      if (ok && stage >= 2) {
        Outcome o;
        benchmark::DoNotOptimize(f.registrar->Apply(*f.table, *s.msg, *s.reg, s.peer, 1000,
                                                    kWallNow, s.out, sizeof(s.out), o));
      }
    }
    if (!ok) {
      state.SkipWithError("stage failed");
      break;
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_Registrar_Stage)->Arg(0)->Arg(1)->Arg(2);

// The same without ValidateMessage (only the fields ParseRegister needs are parsed).
void BM_Registrar_PipelineRegisterFieldsOnly(benchmark::State& state) {
  Fixture& f = Shared();
  auto msg = std::make_unique<sip::Message>();
  auto reg = std::make_unique<sip::RegisterFields>();
  char out[4096];
  const net::Endpoint peer = *net::ParseEndpoint("10.1.2.3:5060");
  std::size_t i = 0;
  for (auto _ : state) {
    char* buf = f.storage[i].get();
    const std::size_t len = f.requests[i].size();
    SetCSeq(buf + f.cseq_offset[i], ++cseq);
    const PaddedView in(buf, len, len + kPadding);
    if (sip::Tokenize(in, sip::Framing::kDatagram, *msg) != sip::ParseError::kOk ||
        !sip::ParseRegister(*msg, *reg).ok()) {
      state.SkipWithError("parse failed");
      break;
    }
    const AdmitResult a = f.registrar->Admit(*msg, *reg, peer, kWallNow, out, sizeof(out));
    Outcome o;
    benchmark::DoNotOptimize(
        f.registrar->Apply(*f.table, *msg, *reg, peer, 1000, kWallNow, out, sizeof(out), o));
    benchmark::DoNotOptimize(a);
    i = i + 1 == f.requests.size() ? 0 : i + 1;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_Registrar_PipelineRegisterFieldsOnly);

}  // namespace
}  // namespace sipfront::registrar

// Our flags come first; the rest go to Google Benchmark.
int main(int argc, char** argv) {
  std::vector<char*> rest;
  uint64_t icount = 0;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--bindings=", 11) == 0) {
      sipfront::registrar::g_bindings = std::strtoull(argv[i] + 11, nullptr, 10);
    } else if (std::strncmp(argv[i], "--icount=", 9) == 0) {
      icount = std::strtoull(argv[i] + 9, nullptr, 10);
    } else {
      rest.push_back(argv[i]);
    }
  }
  if (icount != 0) {
    // callgrind --toggle-collect='*RunPipeline*' counts exactly these requests.
    sipfront::registrar::Fixture& f = sipfront::registrar::Shared();
    sipfront::registrar::Scratch s;
    const bool ok = sipfront::registrar::RunPipeline(f, s, icount);
    std::printf("%s: %llu requests through the pipeline, %llu bindings resident\n",
                ok ? "ok" : "FAILED", static_cast<unsigned long long>(icount),
                static_cast<unsigned long long>(f.table->counters().bindings));
    return ok ? 0 : 1;
  }
  int n = static_cast<int>(rest.size());
  benchmark::Initialize(&n, rest.data());
  if (benchmark::ReportUnrecognizedArguments(n, rest.data())) {
    return 1;
  }
  const int status = sipfront::bench::RunBenchmarks();
  return status;
}
