// Scale and durability at N bindings (issue 4), on one core, against real files:
//
//   1. fill:     N typical REGISTERs (E.164 user, IPv4 contact with port and transport, a
//                32-character Call-ID) through tokenize -> ParseRegister -> Apply into 16 shard
//                tables, every change journaled by the server's JournalSink/JournalWriter;
//   2. restart from the journal alone (the crash-before-any-snapshot case): fresh tables,
//                Recover(), every binding compared;
//   3. snapshot: SnapshotScheduler::SnapshotNow() over the recovered tables, then N/10
//                refreshes journaled after it;
//   4. restart from snapshot + journal: fresh tables, Recover(), every binding compared.
//
// Admit (digest verification) is left out of the fill: N credentials would be counted as
// binding memory, and its cost is measured by registrar_pipeline_bench. Only one set of tables
// is alive at a time (the comparison uses an order-independent digest of every binding), so
// 100M fits a 24 GiB box.
//
// Flags (before the Google Benchmark ones): --bindings=N (default 1000000; 10000000 and
// 100000000 for the scale runs), --dir=PATH (default: a new directory under /var/tmp, removed
// afterwards), --prefault=0 (leave the tables to fault in as they fill).
// Counters: fill_rate (REGISTER/s), rss_per_binding (resident bytes the tables added / N),
// prefault_s, journal_restart_s, snapshot_s, snapshot_restart_s, lost (must be 0), mismatched.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <unistd.h>

#include <benchmark/benchmark.h>

#include "sipfront/base/clock.h"
#include "sipfront/base/hash.h"
#include "sipfront/base/memory.h"
#include "sipfront/base/padded_view.h"
#include "sipfront/core/journal_writer.h"
#include "sipfront/core/snapshots.h"
#include "sipfront/registrar/binding_table.h"
#include "sipfront/registrar/persistence.h"
#include "sipfront/registrar/registrar.h"
#include "sipfront/sip/headers.h"
#include "sipfront/sip/message.h"

#include "rss.h"
#include "run_benchmarks.h"

namespace sipfront::registrar {
namespace {

uint64_t g_bindings = 1000000;
std::string g_dir;
bool g_prefault = true;

constexpr uint32_t kShards = 16;
// The clocks at the start of the run; the fill and both restarts use them, so recovered
// expiry times line up with the filled ones (the snapshot converts with the clocks of its own
// moment: those may differ by a second, which Digest allows).
uint32_t g_mono = 0;
constexpr const char* kDomain = "scale.sip.example";
constexpr HashKey kKey{0x5ca1e, 0xb1d};

using Tables = std::vector<std::unique_ptr<BindingTable>>;

double Since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Appends without allocating (the request text is rebuilt for every binding).
struct Text {
  char* p;
  void Put(std::string_view s) {
    std::memcpy(p, s.data(), s.size());
    p += s.size();
  }
  void Uint(uint64_t v, int width = 0) {
    char d[20];
    int n = 0;
    do {
      d[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0 || n < width);
    while (n > 0) {
      *p++ = d[--n];
    }
  }
  void Ip(uint64_t i) {
    Put("10.");
    Uint((i >> 16) & 0xff);
    Put(".");
    Uint((i >> 8) & 0xff);
    Put(".");
    Uint(i & 0xff);
  }
};

// REGISTER number i, CSeq `cseq`, into `buf` (which has kPadding spare bytes); returns its length.
std::size_t Render(uint64_t i, uint32_t cseq, char* buf) {
  Text t{buf};
  t.Put("REGISTER sip:");
  t.Put(kDomain);
  t.Put(" SIP/2.0\r\nVia: SIP/2.0/UDP ");
  t.Ip(i);
  t.Put(":5060;branch=z9hG4bK");
  t.Uint(i);
  t.Put("c");
  t.Uint(cseq);
  t.Put(";rport\r\nMax-Forwards: 70\r\nFrom: <sip:+1");
  t.Uint(i, 10);
  t.Put("@");
  t.Put(kDomain);
  t.Put(">;tag=");
  t.Uint(i * 7919);
  t.Put("\r\nTo: <sip:+1");
  t.Uint(i, 10);
  t.Put("@");
  t.Put(kDomain);
  t.Put(">\r\nCall-ID: ");
  const uint64_t id = i * 0x9e3779b97f4a7c15ull;
  for (int k = 15; k >= 0; --k) {  // 32 hex characters
    *t.p++ = "0123456789abcdef"[(id >> (k * 4)) & 15];
  }
  for (int k = 15; k >= 0; --k) {
    *t.p++ = "0123456789abcdef"[(i >> (k * 4)) & 15];
  }
  t.Put("\r\nCSeq: ");
  t.Uint(cseq);
  t.Put(" REGISTER\r\nContact: <sip:+1");
  t.Uint(i, 10);
  t.Put("@");
  t.Ip(i);
  t.Put(
      ":5060;transport=udp>\r\nExpires: 3600\r\n"
      "User-Agent: Yealink SIP-T46U 108.86.0.20\r\nContent-Length: 0\r\n\r\n");
  const auto n = static_cast<std::size_t>(t.p - buf);
  std::memset(t.p, 0, kPadding);
  return n;
}

// An order-independent digest of every binding (what a restart must reproduce exactly).
struct Digest {
  uint64_t aors = 0;
  uint64_t bindings = 0;
  uint64_t sum = 0;  // of a hash of everything but the expiry time
  uint64_t mix = 0;
  uint64_t expires_sum = 0;
  [[nodiscard]] bool Matches(const Digest& o) const {
    const uint64_t drift =
        expires_sum > o.expires_sum ? expires_sum - o.expires_sum : o.expires_sum - expires_sum;
    return aors == o.aors && bindings == o.bindings && sum == o.sum && mix == o.mix &&
           drift <= bindings;
  }
};

Digest Summarize(const Tables& tables, const DomainNames& domains) {
  Digest d;
  constexpr uint32_t kMax = 16;  // the bench registers one contact per AOR
  auto scratch = std::make_unique<BindingCopy[]>(kMax);
  std::string row;
  for (const auto& t : tables) {
    d.aors += t->ForEachAor(
        [&](const BindingTable::AorView& v) {
          for (uint32_t k = 0; k < v.count; ++k) {
            const BindingCopy& b = v.bindings[k];
            row.assign(domains.Name(v.domain));
            row += '\0';
            row += v.user;
            row += '\0';
            row += b.contact_view();
            row += '\0';
            row += b.instance_view();
            d.expires_sum += b.expires_at;
            const uint64_t fields[] = {b.reg_id,
                                       b.q,
                                       b.cseq,
                                       b.call_id_hash,
                                       static_cast<uint64_t>(b.transport),
                                       b.source.port(),
                                       b.source.IsV4() ? b.source.addr.v4.sin_addr.s_addr : 0u};
            row.append(reinterpret_cast<const char*>(fields), sizeof(fields));
            const uint64_t h = Hash64(row, kKey);
            d.sum += h;
            d.mix ^= h * 0x9e3779b97f4a7c15ull;
            ++d.bindings;
          }
        },
        scratch.get(), kMax);
  }
  return d;
}

Tables MakeTables(bool prefault, double& prefault_s) {
  const TableOptions o = SizeForShare(g_bindings, kShards, 3600);
  Tables tables;
  for (uint32_t s = 0; s < kShards; ++s) {
    tables.push_back(std::make_unique<BindingTable>(o));
  }
  const auto t0 = std::chrono::steady_clock::now();
  if (prefault) {
    for (const auto& t : tables) {
      for (const auto& r : t->HotRegions()) {
        Prefault(r.base, r.bytes);
      }
    }
  }
  prefault_s = Since(t0);
  return tables;
}

struct Journal {
  std::unique_ptr<core::JournalWriter> writer;
  std::unique_ptr<core::JournalSink> sink;
};

Journal OpenJournal(uint64_t epoch, const DomainNames& domains) {
  absl::StatusOr<std::unique_ptr<SegmentWriter>> seg = SegmentWriter::Open(g_dir, epoch, 0, 0);
  if (!seg.ok()) {
    std::fprintf(stderr, "journal: %s\n", std::string(seg.status().message()).c_str());
    std::exit(1);
  }
  Journal j;
  j.writer =
      std::make_unique<core::JournalWriter>(std::move(*seg), core::JournalWriterOptions{}, nullptr);
  j.sink = std::make_unique<core::JournalSink>(j.writer.get(), &domains);
  return j;
}

// Applies REGISTERs [first, last) with `cseq` through the pipeline; false on any refusal.
bool Apply(Registrar& registrar, uint16_t domain, Tables& tables, Journal& j, uint64_t first,
           uint64_t last, uint32_t cseq, uint64_t wall) {
  auto msg = std::make_unique<sip::Message>();
  auto reg = std::make_unique<sip::RegisterFields>();
  char buf[1024 + kPadding];
  char out[2048];
  registrar.set_sink(j.sink.get());
  j.sink->SetClock(g_mono, wall);
  for (uint64_t i = first; i < last; ++i) {
    const std::size_t len = Render(i, cseq, buf);
    const PaddedView in(buf, len, len + kPadding);
    if (sip::Tokenize(in, sip::Framing::kDatagram, *msg) != sip::ParseError::kOk ||
        !sip::CheckRequest(*msg).ok() || !sip::ParseRegister(*msg, *reg).ok() ||
        !sip::ValidateMessage(*msg, reg.get()).ok()) {
      std::fprintf(stderr, "request %llu did not parse\n", static_cast<unsigned long long>(i));
      return false;
    }
    net::Endpoint peer;  // each device has its own address: 10.x.y.z:5060
    peer.addr.v4.sin_family = AF_INET;
    peer.addr.v4.sin_addr.s_addr = htonl(static_cast<uint32_t>(0x0a000000u | (i & 0xffffff)));
    peer.len = sizeof(sockaddr_in);
    peer.set_port(5060);
    char user[kMaxUserLength];
    AorKey key;
    if (!registrar.AorOf(*reg, domain, user, key)) {
      return false;
    }
    BindingTable& table = *tables[key.hash & (kShards - 1)];
    Outcome o = Outcome::kCount;
    while (true) {
      registrar.Apply(table, *msg, *reg, peer, g_mono, wall, out, sizeof(out), o);
      if (o != Outcome::kJournalBusy) {
        break;
      }
      j.writer->Flush();  // both buffers busy: the disk is behind; wait for it as a worker would
      usleep(100);
    }
    if (o != Outcome::kRegistered) {
      std::fprintf(stderr, "request %llu: %s\n", static_cast<unsigned long long>(i),
                   std::string(OutcomeName(o)).c_str());
      return false;
    }
    if ((i & 255) == 255) {
      j.writer->Flush();
    }
  }
  j.writer->Flush();
  return true;
}

absl::StatusOr<RecoveryReport> Restart(Tables& tables, const DomainTable& domains, uint64_t wall) {
  RecoveryTarget target;
  for (auto& t : tables) {
    target.tables.push_back(t.get());
  }
  target.shard_mask = kShards - 1;
  target.domains = &domains;
  target.hash_key = kKey;
  target.wall_now = wall;  // the fill's clocks: recovered expiry times must match exactly
  target.mono_now = g_mono;
  target.max_expires = 3600;
  return Recover(g_dir, target);
}

void BM_Registrar_Scale(benchmark::State& state) {
  for (auto _ : state) {
    DomainNames names;
    auto prov = std::make_unique<Provisioned>();
    const uint16_t domain = prov->domains.Add(names, kDomain, true);
    const DomainTable& domains = prov->domains;
    ProvisionedCell cell(std::move(prov), 1);
    RegistrarContext ctx;
    ctx.hash_key = kKey;
    ctx.provisioned = &cell;
    ctx.names = &names;
    ctx.shard_mask = kShards - 1;
    Registrar registrar(ctx);
    const uint64_t wall = WallSeconds();
    g_mono = MonoSeconds();
    const uint64_t n = g_bindings;

    // 1. Fill through the pipeline, journaled.
    const uint64_t rss0 = RssBytes();
    double prefault_s = 0;
    Tables tables = MakeTables(g_prefault, prefault_s);
    Journal j = OpenJournal(1, names);
    auto t0 = std::chrono::steady_clock::now();
    if (!Apply(registrar, domain, tables, j, 0, n, 2, wall)) {
      state.SkipWithError("fill failed");
      return;
    }
    j.writer->Close();
    const double fill_s = Since(t0);
    const double rss_per_binding = static_cast<double>(RssBytes() - rss0) / static_cast<double>(n);
    const uint64_t journal_bytes = j.writer->counters().bytes.load();
    const Digest filled = Summarize(tables, names);
    j = {};
    tables.clear();

    // 2. Restart from the journal alone.
    double prefault2_s = 0;
    tables = MakeTables(g_prefault, prefault2_s);
    t0 = std::chrono::steady_clock::now();
    absl::StatusOr<RecoveryReport> r1 = Restart(tables, domains, wall);
    const double journal_restart_s = Since(t0);
    if (!r1.ok()) {
      state.SkipWithError(std::string(r1.status().message()).c_str());
      return;
    }
    const Digest after_journal = Summarize(tables, names);

    // 3. Snapshot, then changes after it.
    j = OpenJournal(r1->next_epoch, names);
    double snapshot_s = 0;
    uint64_t snapshot_bytes = 0;
    {
      std::vector<const BindingTable*> view;
      for (auto& t : tables) {
        view.push_back(t.get());
      }
      core::SnapshotScheduler snapshots(g_dir, r1->next_epoch, {j.writer.get()}, view, &names, 0);
      t0 = std::chrono::steady_clock::now();
      absl::StatusOr<core::SnapshotReport> s = snapshots.SnapshotNow();
      snapshot_s = Since(t0);
      if (!s.ok() || s->bindings != n) {
        const std::string why = s.ok() ? "snapshot holds " + std::to_string(s->bindings) +
                                             " bindings, not " + std::to_string(n)
                                       : "snapshot: " + std::string(s.status().message());
        state.SkipWithError(why.c_str());
        return;
      }
      for (const auto& e : std::filesystem::recursive_directory_iterator(g_dir + "/snapshot")) {
        if (e.is_regular_file()) {
          snapshot_bytes += e.file_size();
        }
      }
    }
    if (!Apply(registrar, domain, tables, j, 0, n / 10, 3, wall)) {
      state.SkipWithError("refresh failed");
      return;
    }
    j.writer->Close();
    const Digest refreshed = Summarize(tables, names);
    j = {};
    tables.clear();

    // 4. Restart from snapshot + journal.
    double prefault3_s = 0;
    tables = MakeTables(g_prefault, prefault3_s);
    t0 = std::chrono::steady_clock::now();
    absl::StatusOr<RecoveryReport> r2 = Restart(tables, domains, wall);
    const double snapshot_restart_s = Since(t0);
    if (!r2.ok() || !r2->snapshot_loaded) {
      state.SkipWithError("restart from the snapshot failed");
      return;
    }
    const Digest after_snapshot = Summarize(tables, names);
    tables.clear();

    const double lost = static_cast<double>(filled.bindings - after_journal.bindings) +
                        static_cast<double>(refreshed.bindings - after_snapshot.bindings);
    const double mismatched =
        (filled.Matches(after_journal) ? 0 : 1) + (refreshed.Matches(after_snapshot) ? 0 : 1);
    state.counters["bindings"] = static_cast<double>(filled.bindings);
    state.counters["fill_rate"] = static_cast<double>(n) / fill_s;
    state.counters["rss_per_binding"] = rss_per_binding;
    state.counters["prefault_s"] = prefault_s;
    state.counters["journal_MB"] = static_cast<double>(journal_bytes) / 1e6;
    state.counters["journal_restart_s"] = journal_restart_s + prefault2_s;
    state.counters["snapshot_s"] = snapshot_s;
    state.counters["snapshot_MB"] = static_cast<double>(snapshot_bytes) / 1e6;
    state.counters["snapshot_restart_s"] = snapshot_restart_s + prefault3_s;
    state.counters["replayed"] = static_cast<double>(r2->journal_records);
    state.counters["lost"] = lost;
    state.counters["mismatched"] = mismatched;
    if (lost != 0 || mismatched != 0 || filled.bindings != n) {
      state.SkipWithError("a restart did not reproduce every binding");
    }
  }
}
BENCHMARK(BM_Registrar_Scale)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

}  // namespace
}  // namespace sipfront::registrar

// Our flags come first; the rest go to Google Benchmark.
int main(int argc, char** argv) {
  std::vector<char*> rest;
  bool own_dir = true;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--bindings=", 11) == 0) {
      sipfront::registrar::g_bindings = std::strtoull(argv[i] + 11, nullptr, 10);
    } else if (std::strncmp(argv[i], "--dir=", 6) == 0) {
      sipfront::registrar::g_dir = argv[i] + 6;
      own_dir = false;
    } else if (std::strncmp(argv[i], "--prefault=", 11) == 0) {
      sipfront::registrar::g_prefault = std::strcmp(argv[i] + 11, "0") != 0;
    } else {
      rest.push_back(argv[i]);
    }
  }
  if (sipfront::registrar::g_bindings == 0 || sipfront::registrar::g_bindings > 4000000000ull) {
    std::fprintf(stderr, "--bindings: 1..4000000000\n");
    return 2;
  }
  if (own_dir) {
    char tmpl[] = "/var/tmp/sipfront-scale-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
      std::perror("mkdtemp");
      return 1;
    }
    sipfront::registrar::g_dir = tmpl;
  }
  int rest_argc = static_cast<int>(rest.size());
  benchmark::Initialize(&rest_argc, rest.data());
  const int status = sipfront::bench::RunBenchmarks();
  if (own_dir) {
    std::filesystem::remove_all(sipfront::registrar::g_dir);
  }
  return status;
}
