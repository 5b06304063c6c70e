// sipfront: flags -> configuration -> shared state -> workers; waits for SIGINT/SIGTERM.
// The only code in sipfront that exits the process.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <fcntl.h>
#include <openssl/rand.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sipfront/auth/digest.h"
#include "sipfront/base/clock.h"
#include "sipfront/base/hash.h"
#include "sipfront/base/memory.h"
#include "sipfront/control/api.h"
#include "sipfront/control/provisioning.h"
#include "sipfront/control/store.h"
#include "sipfront/core/config.h"
#include "sipfront/core/journal_writer.h"
#include "sipfront/core/snapshots.h"
#include "sipfront/core/worker.h"
#include "sipfront/net/backend.h"
#include "sipfront/net/stream.h"
#include "sipfront/net/tls.h"
#include "sipfront/registrar/persistence.h"
#include "sipfront/registrar/registrar.h"

namespace {

using sipfront::core::Config;

constexpr std::string_view kUsage =
    "usage: sipfront [--config FILE]\n"
    "  --config FILE   JSON configuration (docs/configuration.md)\n"
    "Without --config, runs the embedded default: writes var/sipfront.json with a demo\n"
    "account, domain and user (printed below) unless it exists, and listens on\n"
    "udp:127.0.0.1:5060, tcp:127.0.0.1:5060 and tls:127.0.0.1:5061 (with a self-signed\n"
    "certificate generated under var/tls/). SIGINT/SIGTERM stop it cleanly.\n";

[[noreturn]] void Die(const std::string& what) {
  std::cerr << "sipfront: " << what << "\n";
  std::exit(2);
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

void MakeDir(const std::string& path) {
  if (mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    Die("cannot create " + path + ": " + std::strerror(errno));
  }
}

void WritePrivateFile(const std::string& path, std::string_view bytes) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    Die("cannot create " + path + ": " + std::strerror(errno));
  }
  const ssize_t n = write(fd, bytes.data(), bytes.size());
  if (n != static_cast<ssize_t>(bytes.size()) || fsync(fd) != 0) {
    Die("cannot write " + path + ": " + std::strerror(errno));
  }
  close(fd);
}

std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    Die("cannot read " + path + ": " + std::strerror(errno));
  }
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// The configuration's "provisioning" block as the store's seed.
std::vector<sipfront::control::SeedAccount> SeedFrom(const Config& config) {
  std::vector<sipfront::control::SeedAccount> out;
  for (const auto& a : config.accounts) {
    sipfront::control::SeedAccount s;
    s.sid = a.sid;
    s.auth_token = a.auth_token;
    for (const auto& l : a.credential_lists) {
      sipfront::control::SeedCredentialList list{l.sid, l.friendly_name, {}};
      for (const auto& c : l.credentials) {
        list.credentials.push_back({c.username, c.password});
      }
      s.credential_lists.push_back(std::move(list));
    }
    for (const auto& d : a.domains) {
      s.domains.push_back(
          {d.sid, d.domain_name, d.sip_registration, d.registration_credential_lists});
    }
    out.push_back(std::move(s));
  }
  return out;
}

// "127.0.0.1" of "127.0.0.1:8080", "[::1]" of "[::1]:8080".
std::string ApiHost(std::string_view listen) {
  const std::size_t colon = listen.rfind(':');
  return std::string(colon == std::string_view::npos ? listen : listen.substr(0, colon));
}

// A random password that meets the hosted product's policy (>= 12 characters with upper,
// lower and digit): 16 characters, the first three forced to one of each class.
std::string RandomPassword() {
  static constexpr std::string_view kUpper = "ABCDEFGHJKLMNPQRSTUVWXYZ";
  static constexpr std::string_view kLower = "abcdefghijkmnpqrstuvwxyz";
  static constexpr std::string_view kDigit = "23456789";
  static constexpr std::string_view kAll =
      "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";
  unsigned char r[16];
  if (RAND_bytes(r, sizeof(r)) != 1) {
    Die("RAND_bytes failed");
  }
  std::string p;
  p += kUpper[r[0] % kUpper.size()];
  p += kLower[r[1] % kLower.size()];
  p += kDigit[r[2] % kDigit.size()];
  for (std::size_t i = 3; i < sizeof(r); ++i) {
    p += kAll[r[i] % kAll.size()];
  }
  return p;
}

// data_dir/secret: 32 bytes of nonce HMAC key and 16 bytes of AOR hash key, created once.
// Keeping it across restarts keeps outstanding nonces valid and shard placement stable.
std::string LoadSecret(const std::string& data_dir) {
  const std::string path = data_dir + "/secret";
  if (!Exists(path)) {
    unsigned char s[48];
    if (RAND_bytes(s, sizeof(s)) != 1) {
      Die("RAND_bytes failed");
    }
    WritePrivateFile(path, std::string_view(reinterpret_cast<const char*>(s), sizeof(s)));
  }
  std::string s = ReadFile(path);
  if (s.size() != 48) {
    Die(path + ": expected 48 bytes, found " + std::to_string(s.size()) +
        " (delete it to generate a new one)");
  }
  return s;
}

sigset_t StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

absl::StatusOr<sipfront::net::Endpoint> ListenEndpoint(const sipfront::core::ListenSpec& l) {
  return sipfront::net::ParseEndpoint(
      (l.host.find(':') != std::string::npos ? "[" + l.host + "]" : l.host) + ":" +
      std::to_string(l.port));
}

// The TLS context of the tls: listeners; generates a self-signed pair on first run.
std::unique_ptr<sipfront::net::TlsContext> MakeTlsContext(const Config& config) {
  auto under_data = [&](const std::string& p) {
    return p.starts_with('/') ? p : config.data_dir + "/" + p;
  };
  sipfront::net::TlsOptions o;
  o.certificate_file = under_data(config.tls.certificate);
  o.private_key_file = under_data(config.tls.private_key);
  o.allow_deprecated = config.tls.allow_deprecated;
  o.ciphers = config.tls.ciphers;
  if (o.ciphers.empty() && o.allow_deprecated) {
    // TLS 1.0/1.1 know only the CBC-SHA suites; with the default (EC) certificate they need
    // the ECDHE-ECDSA ones, which the product's list (RSA key exchange only) lacks.
    o.ciphers = std::string(sipfront::net::kDefaultTlsCiphers) +
                ":ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES128-SHA:"
                "ECDHE-RSA-AES256-SHA";
  }
  if (!Exists(o.certificate_file) && !Exists(o.private_key_file)) {
    for (const std::string* f : {&o.certificate_file, &o.private_key_file}) {
      const std::size_t slash = f->rfind('/');
      if (slash != std::string::npos && slash != 0) {
        MakeDir(f->substr(0, slash));
      }
    }
    const absl::Status g = sipfront::net::TlsContext::GenerateSelfSigned(
        o.certificate_file, o.private_key_file, "localhost", 825);
    if (!g.ok()) {
      Die("tls: cannot generate a self-signed certificate: " + std::string(g.message()));
    }
    std::cerr << "sipfront: generated a self-signed TLS certificate " << o.certificate_file
              << " (key " << o.private_key_file << ")\n";
  }
  absl::StatusOr<std::unique_ptr<sipfront::net::TlsContext>> ctx =
      sipfront::net::TlsContext::Create(o);
  if (!ctx.ok()) {
    Die("tls: " + std::string(ctx.status().message()));
  }
  return std::move(*ctx);
}

std::size_t stream_listeners(const Config& config) {
  return static_cast<std::size_t>(
      std::count_if(config.listen.begin(), config.listen.end(),
                    [](const auto& l) { return l.transport != sipfront::core::Transport::kUdp; }));
}

uint32_t NextPow2(uint32_t v) {
  uint32_t p = 1;
  while (p < v) {
    p <<= 1;
  }
  return p;
}

void PrintCounters(const sipfront::core::WorkerGroup& group) {
  sipfront::core::WorkerCounters total;
  for (uint32_t i = 0; i < group.workers(); ++i) {
    const auto& c = group.counters(i);
    total.rx += c.rx;
    total.tx += c.tx;
    total.tx_dropped += c.tx_dropped;
    total.rx_truncated += c.rx_truncated;
    total.keepalives += c.keepalives;
    total.options += c.options;
    total.not_implemented += c.not_implemented;
    total.forwarded_out += c.forwarded_out;
    total.ring_full += c.ring_full;
    total.expired += c.expired;
    for (std::size_t k = 0; k < sipfront::sip::kParseErrorCount; ++k) {
      total.parse_errors[k] += c.parse_errors[k];
    }
    for (std::size_t k = 0; k < sipfront::registrar::kOutcomeCount; ++k) {
      total.outcomes[k] += c.outcomes[k];
    }
  }
  std::cerr << "sipfront: stopped. rx=" << total.rx << " tx=" << total.tx
            << " tx_dropped=" << total.tx_dropped << " truncated=" << total.rx_truncated
            << " keepalives=" << total.keepalives << " options=" << total.options
            << " not_implemented=" << total.not_implemented << " forwarded=" << total.forwarded_out
            << " ring_full=" << total.ring_full << " expired=" << total.expired << "\n";
  std::cerr << "sipfront: register outcomes:";
  for (std::size_t k = 0; k < sipfront::registrar::kOutcomeCount; ++k) {
    if (total.outcomes[k] != 0) {
      std::cerr << " "
                << sipfront::registrar::OutcomeName(static_cast<sipfront::registrar::Outcome>(k))
                << "=" << total.outcomes[k];
    }
  }
  std::cerr << "\nsipfront: parse errors:";
  for (std::size_t k = 0; k < sipfront::sip::kParseErrorCount; ++k) {
    if (total.parse_errors[k] != 0) {
      std::cerr << " " << sipfront::sip::ErrorName(static_cast<sipfront::sip::ParseError>(k)) << "="
                << total.parse_errors[k];
    }
  }
  std::cerr << "\n";
  sipfront::net::StreamCounters sc;
  uint64_t pongs = 0;
  uint64_t oversize = 0;
  uint64_t flows = 0;
  bool any = false;
  for (uint32_t i = 0; i < group.workers(); ++i) {
    pongs += group.counters(i).pongs;
    oversize += group.counters(i).stream_oversize;
    flows += group.counters(i).flow_bindings_dropped;
    for (const sipfront::net::StreamEngine* e : group.streams(i)) {
      any = true;
      const auto& k = e->counters();
      sc.accepted += k.accepted;
      sc.closed += k.closed;
      sc.refused += k.refused;
      sc.accept_errors += k.accept_errors;
      sc.idle_timeouts += k.idle_timeouts;
      sc.message_timeouts += k.message_timeouts;
      sc.handshake_timeouts += k.handshake_timeouts;
      sc.oversize += k.oversize;
      sc.output_overflow += k.output_overflow;
      sc.tls_failures += k.tls_failures;
      sc.copies += k.copies;
      sc.keepalives_sent += k.keepalives_sent;
      sc.paused += k.paused;
      sc.close_timeouts += k.close_timeouts;
    }
  }
  if (any) {
    std::cerr << "sipfront: connections: accepted=" << sc.accepted << " closed=" << sc.closed
              << " refused=" << sc.refused << " accept_errors=" << sc.accept_errors
              << " idle_timeouts=" << sc.idle_timeouts
              << " message_timeouts=" << sc.message_timeouts
              << " handshake_timeouts=" << sc.handshake_timeouts
              << " oversize=" << sc.oversize + oversize << " output_overflow=" << sc.output_overflow
              << " tls_failures=" << sc.tls_failures << " pongs=" << pongs
              << " pings=" << sc.keepalives_sent << " paused=" << sc.paused
              << " close_timeouts=" << sc.close_timeouts << " flow_bindings_dropped=" << flows
              << " partial_copies=" << sc.copies << "\n";
  }
  uint64_t ka_sent = 0;
  uint64_t ka_answers = 0;
  uint64_t ka_expired = 0;
  uint64_t stun = 0;
  for (uint32_t i = 0; i < group.workers(); ++i) {
    stun += group.counters(i).stun_keepalives;
    ka_sent += group.counters(i).keepalives_sent;
    ka_answers += group.counters(i).keepalive_answers;
    ka_expired += group.counters(i).keepalive_expired;
  }
  std::cerr << "sipfront: nat keepalives: sent=" << ka_sent << " answered=" << ka_answers
            << " expired=" << ka_expired << " stun_answered=" << stun << "\n";
}

// Makes the tables' index and records resident before the sockets open, so the first
// REGISTERs after a start do not pay page faults; above 1 GiB a progress line every 10%.
void Prefault(const std::vector<std::unique_ptr<sipfront::registrar::BindingTable>>& tables) {
  constexpr std::size_t kChunk = std::size_t{64} << 20;
  constexpr std::size_t kLoud = std::size_t{1} << 30;
  std::size_t total = 0;
  for (const auto& t : tables) {
    for (const auto& r : t->HotRegions()) {
      total += r.bytes;
    }
  }
  const auto t0 = std::chrono::steady_clock::now();
  std::size_t done = 0;
  uint32_t next_decile = 1;
  bool ok = true;
  for (const auto& t : tables) {
    for (const auto& r : t->HotRegions()) {
      for (std::size_t off = 0; off < r.bytes && ok; off += kChunk) {
        const std::size_t n = std::min(kChunk, r.bytes - off);
        ok = sipfront::Prefault(static_cast<char*>(r.base) + off, n);
        done += n;
        if (total >= kLoud && done * 10 >= total * next_decile) {
          std::cerr << "sipfront: pre-faulting binding tables: " << next_decile * 10 << "% of "
                    << (total >> 20) << " MiB\n";
          next_decile = static_cast<uint32_t>(done * 10 / total) + 1;
        }
      }
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!ok) {
    std::cerr << "sipfront: pre-faulting stopped at " << (done >> 20) << " of " << (total >> 20)
              << " MiB (out of memory?); the rest faults in as registrations arrive\n";
  } else {
    std::cerr << "sipfront: binding tables resident: " << (total >> 20) << " MiB in " << secs
              << " s\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else if (arg == "-h" || arg == "--help") {
      std::cout << kUsage;
      return 0;
    } else {
      std::cerr << "sipfront: unknown argument " << arg << "\n" << kUsage;
      return 2;
    }
  }

  // Signals are taken by sigwait() in this thread only; workers inherit the blocked mask.
  const sigset_t stop_signals = StopSignals();
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  bool embedded = false;
  if (config_path.empty()) {
    embedded = true;
    MakeDir("var");
    config_path = "var/sipfront.json";
    if (!Exists(config_path)) {
      WritePrivateFile(config_path,
                       sipfront::core::DefaultConfigJson(RandomPassword(), RandomPassword()));
      std::cerr << "sipfront: wrote the embedded default configuration to " << config_path << "\n";
    }
  }
  absl::StatusOr<Config> loaded = sipfront::core::LoadConfig(config_path);
  if (!loaded.ok()) {
    Die(std::string(loaded.status().message()));
  }
  const Config& config = *loaded;
  MakeDir(config.data_dir);
  const std::string secret = LoadSecret(config.data_dir);

  // Provisioning: the store (seeded from the configuration on its first start), and the
  // snapshot of domains, HA1s and IP ACLs the workers check against (swapped live later).
  const std::string store_url = config.provisioning.store.empty()
                                    ? "sqlite:" + config.data_dir + "/provisioning.db"
                                    : config.provisioning.store;
  const std::string store_name =
      store_url.starts_with("sqlite:") ? store_url : std::string("the PostgreSQL store");
  auto open_store = [&] {
    absl::StatusOr<std::unique_ptr<sipfront::control::Store>> s =
        sipfront::control::Store::Open(store_url);
    if (!s.ok()) {
      Die("provisioning store " + store_name + ": " + std::string(s.status().message()));
    }
    return std::move(*s);
  };
  sipfront::registrar::DomainNames domain_names;
  std::unique_ptr<sipfront::registrar::ProvisionedCell> provisioned;
  {
    std::unique_ptr<sipfront::control::Store> store = open_store();
    absl::StatusOr<sipfront::control::SeedReport> seed =
        sipfront::control::SeedStore(*store, SeedFrom(config));
    if (!seed.ok()) {
      Die(config_path + ": provisioning: " + std::string(seed.status().message()));
    }
    if (seed->seeded) {
      std::cerr << "sipfront: provisioning: seeded " << store_name << " from " << config_path
                << "\n";
    }
  }
  // The loader keeps one piece per domain; its first snapshot is the workers' first.
  sipfront::control::ProvisioningLoader loader(open_store(), domain_names,
                                               config.provisioning.poll_interval_ms);
  {
    absl::StatusOr<std::unique_ptr<sipfront::registrar::Provisioned>> first = loader.Refresh();
    if (!first.ok()) {
      Die("provisioning store " + store_name + ": " + std::string(first.status().message()));
    }
    std::cerr << "sipfront: provisioning: " << (*first)->domains.size() << " domains from "
              << store_name << " (revision " << (*first)->revision << ")\n";
    provisioned =
        std::make_unique<sipfront::registrar::ProvisionedCell>(std::move(*first), config.workers);
  }
  const sipfront::auth::NonceCodec nonces(
      std::span<const uint8_t, 32>(reinterpret_cast<const uint8_t*>(secret.data()), 32),
      config.registrar.nonce_lifetime);

  sipfront::registrar::RegistrarContext ctx;
  ctx.policy.min_expires = config.registrar.min_expires;
  ctx.policy.max_expires = config.registrar.max_expires;
  ctx.policy.default_expires = config.registrar.default_expires;
  ctx.policy.max_contacts = config.registrar.max_contacts_per_aor;
  ctx.policy.flow_timer = config.registrar.flow_timer;
  ctx.policy.algorithm_count = 0;
  for (const sipfront::core::DigestAlgorithm a : config.registrar.digest_algorithms) {
    ctx.policy.algorithms[ctx.policy.algorithm_count++] = a == sipfront::core::DigestAlgorithm::kMd5
                                                              ? sipfront::auth::Algorithm::kMd5
                                                              : sipfront::auth::Algorithm::kSha256;
  }
  ctx.policy.max_contacts_policy =
      config.registrar.max_contacts_policy == sipfront::core::MaxContactsPolicy::kReject
          ? sipfront::registrar::MaxContactsPolicy::kReject
          : sipfront::registrar::MaxContactsPolicy::kReplaceOldest;
  std::memcpy(&ctx.hash_key.k0, secret.data() + 32, 8);
  std::memcpy(&ctx.hash_key.k1, secret.data() + 40, 8);
  ctx.provisioned = provisioned.get();
  ctx.names = &domain_names;
  ctx.nonces = &nonces;

  sipfront::core::WorkerGroupOptions wopts;
  wopts.workers = config.workers;
  wopts.cpus = config.cpus;
  if (wopts.cpus.empty()) {
    const long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    for (uint32_t i = 0; i < config.workers; ++i) {
      wopts.cpus.push_back(static_cast<int>(i % (ncpu > 0 ? ncpu : 1)));
    }
  }
  wopts.shards = NextPow2(config.workers * 4 < 16 ? 16 : config.workers * 4);
  wopts.table = sipfront::registrar::SizeForShare(config.max_bindings, wopts.shards,
                                                  config.registrar.max_expires);
  wopts.storm_max_delay_ms = config.storm.max_delay_ms;
  wopts.retry_after_min = config.storm.retry_after_min;
  wopts.retry_after_max = config.storm.retry_after_max;
  wopts.max_message_bytes = config.connections.max_message_bytes;
  wopts.bind_to_connection = config.registrar.bind_to_connection;
  wopts.keepalive = config.nat.keepalive == sipfront::core::KeepaliveMode::kOptions
                        ? sipfront::core::KeepaliveKind::kOptions
                    : config.nat.keepalive == sipfront::core::KeepaliveMode::kCrlf
                        ? sipfront::core::KeepaliveKind::kCrlf
                        : sipfront::core::KeepaliveKind::kOff;
  wopts.keepalive_interval_s = config.nat.keepalive_interval_s;
  wopts.keepalive_max_missed = config.nat.max_missed;

  // Bindings from the last run, before any socket opens (registrar/persistence.h).
  std::vector<std::unique_ptr<sipfront::registrar::BindingTable>> tables;
  for (uint32_t s = 0; s < wopts.shards; ++s) {
    tables.push_back(std::make_unique<sipfront::registrar::BindingTable>(wopts.table));
  }
  if (config.prefault) {
    Prefault(tables);
  }
  uint64_t epoch = 1;
  if (config.journal.enabled) {
    sipfront::registrar::RecoveryTarget target;
    for (auto& t : tables) {
      target.tables.push_back(t.get());
    }
    target.shard_mask = wopts.shards - 1;
    target.domains = &provisioned->Load()->domains;
    target.hash_key = ctx.hash_key;
    target.wall_now = sipfront::WallSeconds();
    target.mono_now = sipfront::MonoSeconds();
    target.max_expires = config.registrar.max_expires;  // a wall clock stepped back while down
    absl::StatusOr<sipfront::registrar::RecoveryReport> rec =
        sipfront::registrar::Recover(config.data_dir, target);
    if (!rec.ok()) {
      Die("recovery from " + config.data_dir + ": " + std::string(rec.status().message()));
    }
    for (const std::string& note : rec->notes) {
      std::cerr << "sipfront: recovery: " << note << "\n";
    }
    std::cerr << "sipfront: recovered " << rec->bindings << " bindings from "
              << (rec->snapshot_loaded ? "a snapshot and " : "") << rec->journal_records
              << " journal records in " << rec->journal_segments << " segments ("
              << rec->expired_dropped << " expired while down, " << rec->unknown_domain
              << " for unknown domains, " << rec->invalid_records << " invalid records, "
              << rec->bytes_cut << " bytes of damaged tail cut) in " << rec->seconds << " s\n";
    epoch = rec->next_epoch;
    // Bindings tied to TCP/TLS connections (bind_to_connection) lost their flows with the
    // previous process: drop them now rather than keep unreachable contacts until they expire.
    // Not journaled: a later restart drops them again, and the next snapshot forgets them.
    if (config.registrar.bind_to_connection) {
      uint64_t dropped = 0;
      for (auto& t : tables) {
        for (uint32_t b = 0; b < t->BindingSlots(); ++b) {
          const auto tr = t->Live(b) ? t->SourceTransport(b) : sipfront::registrar::Transport::kUdp;
          if (tr == sipfront::registrar::Transport::kTcp ||
              tr == sipfront::registrar::Transport::kTls) {
            const uint32_t aor = t->AorOfBinding(b);
            t->BeginWrite();
            t->Remove(b);
            t->RemoveAorIfEmpty(aor);
            t->EndWrite();
            ++dropped;
          }
        }
      }
      if (dropped != 0) {
        std::cerr << "sipfront: bind_to_connection: dropped " << dropped
                  << " recovered bindings of TCP/TLS connections that closed with the previous "
                     "process\n";
      }
    }
  }

  // Sockets: one per worker on the same address (SO_REUSEPORT); the first resolves port 0.
  const auto& listen = *std::find_if(config.listen.begin(), config.listen.end(), [](const auto& l) {
    return l.transport == sipfront::core::Transport::kUdp;
  });  // ParseConfig checked there is exactly one
  absl::StatusOr<sipfront::net::Endpoint> bind = ListenEndpoint(listen);
  if (!bind.ok()) {
    Die(config_path + ": listen: " + std::string(bind.status().message()));
  }
  sipfront::net::BackendKind kind = config.io == sipfront::core::IoKind::kUring
                                        ? sipfront::net::BackendKind::kUring
                                        : sipfront::net::BackendKind::kMmsg;
  std::vector<sipfront::net::BackendPtr> backends;
  sipfront::net::BackendOptions bopts;
  bopts.bind = *bind;
  for (uint32_t i = 0; i < config.workers; ++i) {
    absl::StatusOr<sipfront::net::BackendPtr> be = sipfront::net::MakeBackend(kind, bopts);
    if (!be.ok() && kind == sipfront::net::BackendKind::kUring && i == 0) {
      std::cerr << "sipfront: io_uring unavailable (" << be.status().message()
                << "); using recvmmsg/sendmmsg\n";
      kind = sipfront::net::BackendKind::kMmsg;
      be = sipfront::net::MakeBackend(kind, bopts);
    }
    if (!be.ok()) {
      Die("udp:" + sipfront::net::ToString(bopts.bind) + ": " + std::string(be.status().message()));
    }
    bopts.bind = (*be)->local();  // later workers bind the very same port
    backends.push_back(std::move(*be));
  }
  const sipfront::net::Endpoint local = backends[0]->local();

  // One journal per worker, written by its own thread (core/journal_writer.h).
  std::vector<std::unique_ptr<sipfront::core::JournalWriter>> journals;
  if (config.journal.enabled) {
    sipfront::core::JournalWriterOptions jopts;
    jopts.flush_interval_ms = config.journal.flush_interval_ms;
    jopts.fsync = config.journal.fsync == sipfront::core::FsyncMode::kAlways
                      ? sipfront::core::FsyncPolicy::kAlways
                  : config.journal.fsync == sipfront::core::FsyncMode::kNever
                      ? sipfront::core::FsyncPolicy::kNever
                      : sipfront::core::FsyncPolicy::kInterval;
    for (uint32_t i = 0; i < config.workers; ++i) {
      absl::StatusOr<std::unique_ptr<sipfront::registrar::SegmentWriter>> seg =
          sipfront::registrar::SegmentWriter::Open(config.data_dir, epoch, 0, i);
      if (!seg.ok()) {
        Die("journal: " + std::string(seg.status().message()));
      }
      journals.push_back(std::make_unique<sipfront::core::JournalWriter>(std::move(*seg), jopts,
                                                                         backends[i].get()));
    }
  }
  // Every connection is a descriptor: raise the soft limit towards what connections.max needs
  // (plus files, sockets and rings), as far as the hard limit allows.
  if (stream_listeners(config) != 0) {
    rlimit nofile{};
    if (getrlimit(RLIMIT_NOFILE, &nofile) == 0) {
      const rlim_t want = static_cast<rlim_t>(config.connections.max) + 1024;
      if (nofile.rlim_cur < want) {
        nofile.rlim_cur = std::min(want, nofile.rlim_max);
        setrlimit(RLIMIT_NOFILE, &nofile);
      }
      if (nofile.rlim_cur < want) {
        std::cerr << "sipfront: open-file limit " << nofile.rlim_cur << " is below "
                  << "connections.max + 1024 (" << want
                  << "); connections beyond it wait in the listen backlog (raise the hard "
                     "limit: ulimit -Hn, LimitNOFILE=)\n";
      }
    }
  }

  // Stream listeners: per TCP/TLS address one engine per worker on the same port
  // (SO_REUSEPORT), their completions signalled on the worker's wake eventfd.
  std::vector<std::unique_ptr<sipfront::net::TlsContext>> tls_contexts;
  sipfront::net::ConnectionLimits limits(config.connections.max, config.connections.max_per_ip);
  std::vector<std::vector<std::unique_ptr<sipfront::net::StreamEngine>>> streams(config.workers);
  std::vector<std::string> stream_lines;
  for (const auto& l : config.listen) {
    if (l.transport == sipfront::core::Transport::kUdp) {
      continue;
    }
    const bool is_tls = l.transport == sipfront::core::Transport::kTls;
    absl::StatusOr<sipfront::net::Endpoint> ep = ListenEndpoint(l);
    if (!ep.ok()) {
      Die(config_path + ": listen: " + std::string(ep.status().message()));
    }
    sipfront::net::StreamOptions sopts;
    sopts.bind = *ep;
    sopts.limits = &limits;
    sopts.idle_timeout_ms = config.connections.idle_timeout_s * 1000;
    sopts.message_timeout_ms = config.connections.message_timeout_ms;
    sopts.handshake_timeout_ms = config.connections.handshake_timeout_ms;
    sopts.keepalive_ms = config.connections.keepalive_interval_s * 1000;
    sopts.max_message_bytes = config.connections.max_message_bytes;
    if (is_tls) {
      if (tls_contexts.empty()) {
        tls_contexts.push_back(MakeTlsContext(config));
      }
      sopts.tls = tls_contexts.front().get();
    }
    for (uint32_t i = 0; i < config.workers; ++i) {
      absl::StatusOr<std::unique_ptr<sipfront::net::StreamEngine>> e =
          sipfront::net::StreamEngine::Create(sopts, backends[i]->wake_fd());
      if (!e.ok()) {
        Die(l.text + ": " + std::string(e.status().message()));
      }
      sopts.bind = (*e)->local();  // later workers listen on the very same port
      streams[i].push_back(std::move(*e));
    }
    stream_lines.push_back(std::string(is_tls ? "tls:" : "tcp:") +
                           sipfront::net::ToString(sopts.bind));
  }
  sipfront::core::WorkerGroup group(wopts, ctx, std::move(backends), std::move(journals),
                                    std::move(tables));
  for (uint32_t i = 0; i < config.workers; ++i) {
    group.AddStreams(i, std::move(streams[i]));
  }
  std::unique_ptr<sipfront::core::SnapshotScheduler> snapshots;
  if (config.journal.enabled) {
    std::vector<sipfront::core::JournalWriter*> writers;
    for (uint32_t i = 0; i < config.workers; ++i) {
      writers.push_back(group.journal(i));
    }
    std::vector<const sipfront::registrar::BindingTable*> shard_tables;
    for (uint32_t s = 0; s < group.shards(); ++s) {
      shard_tables.push_back(&group.shard(s));
    }
    snapshots = std::make_unique<sipfront::core::SnapshotScheduler>(
        config.data_dir, epoch, std::move(writers), std::move(shard_tables), &domain_names,
        config.journal.snapshot_interval_s);
    snapshots->Start();
  }
  group.Start();

  // The control plane: the loader publishes store changes to the workers; the REST API writes
  // to the store and tells the loader.
  loader.Start(*provisioned);
  std::vector<const sipfront::registrar::BindingTable*> reg_tables;
  for (uint32_t s = 0; s < group.shards(); ++s) {
    reg_tables.push_back(&group.shard(s));
  }
  sipfront::control::TableRegistrations registrations(std::move(reg_tables), ctx.hash_key,
                                                      domain_names);
  std::unique_ptr<sipfront::control::ApiServer> api;
  if (config.api.listen != "off") {
    sipfront::control::ApiOptions aopts;
    aopts.listen = config.api.listen;
    absl::StatusOr<std::unique_ptr<sipfront::control::ApiServer>> a =
        sipfront::control::ApiServer::Start(
            aopts, open_store(), [&loader] { loader.Notify(); }, &registrations);
    if (a.ok()) {
      api = std::move(*a);
      std::cerr << "sipfront: REST API on http://" << ApiHost(config.api.listen) << ":"
                << api->port() << "/2010-04-01\n";
    } else if (config.api.listen_given) {
      Die("api.listen " + config.api.listen + ": " + std::string(a.status().message()));
    } else {
      std::cerr << "sipfront: REST API off: " << config.api.listen << ": " << a.status().message()
                << " (set \"api\": {\"listen\": \"HOST:PORT\"} to choose another address)\n";
    }
  }

  std::cerr << "sipfront: listening on udp:" << sipfront::net::ToString(local) << " with "
            << config.workers << " worker(s), " << group.backend(0).Name() << ", " << wopts.shards
            << " shards, capacity " << config.max_bindings << " bindings\n";
  for (const std::string& line : stream_lines) {
    std::cerr << "sipfront: listening on " << line << "\n";
  }
  if (embedded && !config.accounts.empty() && !config.accounts[0].domains.empty()) {
    const auto& account = config.accounts[0];
    const auto& domain = account.domains[0];
    std::cerr << "sipfront: demo domain " << domain.domain_name << "\n";
    for (const auto& list : account.credential_lists) {
      for (const auto& cred : list.credentials) {
        std::cerr << "sipfront: demo user " << cred.username << " password " << cred.password
                  << "  (register sip:" << cred.username << "@" << domain.domain_name
                  << " via udp:" << sipfront::net::ToString(local);
        for (const std::string& line : stream_lines) {
          std::cerr << ", " << line;
        }
        std::cerr << ")\n";
      }
    }
    if (api != nullptr && !account.auth_token.empty()) {
      std::cerr << "sipfront: demo account " << account.sid << " auth token " << account.auth_token
                << "  (REST API: curl -u " << account.sid << ":" << account.auth_token << " http://"
                << ApiHost(config.api.listen) << ":" << api->port() << "/2010-04-01/Accounts/"
                << account.sid << "/SIP/Domains.json)\n";
    }
  }

  int sig = 0;
  // Until a stop signal: once a second, tell the operator about journal trouble (a full or
  // failing disk holds acknowledgements and turns new changes into 503 until it recovers).
  std::vector<uint64_t> errors_seen(group.workers(), 0);
  const timespec tick{1, 0};
  while ((sig = sigtimedwait(&stop_signals, nullptr, &tick)) < 0) {
    if (!config.journal.enabled) {
      continue;
    }
    for (uint32_t i = 0; i < group.workers(); ++i) {
      const sipfront::core::JournalCounters& jc = group.journal(i)->counters();
      const uint64_t errors = jc.errors.load(std::memory_order_relaxed);
      if (errors != errors_seen[i]) {
        std::cerr << "sipfront: journal of worker " << i << ": " << errors - errors_seen[i]
                  << " failed writes in the last second ("
                  << std::strerror(jc.last_errno.load(std::memory_order_relaxed))
                  << "); acknowledgements are held and new changes answered 503 until "
                  << config.data_dir << " accepts writes again\n";
        errors_seen[i] = errors;
      }
    }
  }
  std::cerr << "sipfront: " << (sig == SIGINT ? "SIGINT" : "SIGTERM") << ", stopping\n";
  const sipfront::control::ApiServer::Counters api_counters =
      api != nullptr ? api->counters() : sipfront::control::ApiServer::Counters{};
  api.reset();  // no more writes
  loader.Stop();
  uint64_t calls_not_allowed = 0;
  for (uint32_t i = 0; i < group.workers(); ++i) {
    calls_not_allowed += group.counters(i).calls_not_allowed;
  }
  std::cerr << "sipfront: provisioning: reloads=" << loader.counters().reloads.load()
            << " domains_loaded=" << loader.counters().domains_loaded.load()
            << " load_errors=" << loader.counters().errors.load()
            << " revision=" << loader.counters().revision.load()
            << " api_requests=" << api_counters.requests
            << " api_unauthorized=" << api_counters.unauthorized
            << " api_client_errors=" << api_counters.client_errors
            << " api_server_errors=" << api_counters.server_errors
            << " calls_not_allowed=" << calls_not_allowed << "\n";
  group.Stop();
  group.Join();
  if (snapshots != nullptr) {
    // A last snapshot makes the next start replay nothing; the journal stays valid if it fails.
    snapshots->Stop();
    absl::StatusOr<sipfront::core::SnapshotReport> r = snapshots->SnapshotNow();
    if (r.ok()) {
      std::cerr << "sipfront: final snapshot: " << r->bindings << " bindings in " << r->seconds
                << " s\n";
    } else {
      std::cerr << "sipfront: final snapshot failed (the journal is intact): "
                << r.status().message() << "\n";
    }
    for (uint32_t i = 0; i < group.workers(); ++i) {
      group.journal(i)->Close();
      const uint64_t lost = group.journal(i)->counters().lost.load();
      if (lost != 0) {
        std::cerr << "sipfront: journal of worker " << i << ": " << lost
                  << " acknowledged-pending records could not be written at shutdown ("
                  << std::strerror(group.journal(i)->counters().last_errno.load())
                  << "); their answers were never sent\n";
      }
    }
  }
  PrintCounters(group);
  return 0;
}
