// sipfront-loadgen — a batched UDP REGISTER load generator, and a UDP echo pair that measures
// the machine's datagram ceiling. Loopback only (127.0.0.0/8, ::1): it refuses other targets.
//
// One thread, recvmmsg/sendmmsg on connected UDP sockets (one or more local ports, so that a
// server with several SO_REUSEPORT workers sees several 4-tuples). Every user has one
// outstanding request at most; each keeps its Call-ID, increments its CSeq, keeps the nonce of
// its last challenge and increments nc for every refresh (RFC 7616 §3.4: credentials reuse),
// and is challenged again when a 401 (stale or not) comes back.
//
// Phases: a warmup that registers every user (REGISTER, 401, REGISTER with credentials, 200),
// then the measured phase: closed-loop (--concurrency C requests outstanding), open-loop
// (--rate R per second, sent in batches as they fall due), or --find-max (a closed-loop probe,
// then a bisection over open-loop rates for the highest rate whose failures, lost requests
// and answers other than 200 and 401, stay below --max-loss). The measured phase is pure
// authenticated refreshes when the warmup registered everyone. A request with no final answer
// within --timeout-ms is lost; latency is the round trip of each REGISTER that carried
// credentials (or of each echo datagram), from an interpolated send time to the kernel's
// SO_TIMESTAMPNS receive stamp.
//
// Output: a human summary (stdout; stderr with --json) and, with --json, one JSON object on
// one line on stdout. Exit status 0 when the run completed (whatever it measured), 1 when the
// warmup registered nobody (wrong target, domain or password), 2 on bad arguments or socket
// errors.
//
// Every loop is bounded by a deadline; SIGINT/SIGTERM end the current phase early.
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sipfront/auth/digest.h"
#include "sipfront/base/padded_view.h"
#include "sipfront/net/endpoint.h"
#include "sipfront/sip/headers.h"
#include "sipfront/sip/message.h"

#include "tool_common.h"
#include "tool_digest.h"

namespace {

namespace auth = sipfront::auth;
namespace net = sipfront::net;
namespace sip = sipfront::sip;
// The tools' shared helpers (tool_common.h).
using sipfront::tools::AppendJsonString;
using sipfront::tools::CpuSecondsOf;
using sipfront::tools::CpuSecondsSelf;
using sipfront::tools::CpuTimes;
using sipfront::tools::DigestClient;
using sipfront::tools::Fmt;
using sipfront::tools::Histogram;
using sipfront::tools::IsLoopback;
using sipfront::tools::NowNs;
using sipfront::tools::ParseDouble;
using sipfront::tools::ParseU64;
using sipfront::tools::ReadCpuTimes;
using sipfront::tools::Us;
using sipfront::tools::UserOfCallId;
using sipfront::tools::Writer;

constexpr std::string_view kUsage =
    "usage: sipfront-loadgen --target HOST:PORT --domain D --password PW [options]\n"
    "       sipfront-loadgen --echo --target HOST:PORT [options]\n"
    "       sipfront-loadgen --echo-server PORT [--bind HOST] [--duration S]\n"
    "Targets and bind addresses must be loopback (127.0.0.0/8 or ::1).\n"
    "Users:\n"
    "  --users N            distinct users (default 1000)\n"
    "  --user-pattern P     user names: the run of '#' in P is the zero-padded index\n"
    "                       (default u#####; e.g. +1415000####)\n"
    "  --user-start K       first index (default 0)\n"
    "  --users-csv FILE     'username,password' lines instead of a pattern\n"
    "  --domain D           Request-URI and AOR domain (REGISTER sip:D)\n"
    "  --password PW        password of every pattern user\n"
    "  --expires S          Expires of each REGISTER (default 3600)\n"
    "Load:\n"
    "  --concurrency C      closed loop: C requests outstanding (default 64)\n"
    "  --rate R             open loop: R requests per second, sent in batches as they fall due\n"
    "  --find-max           closed-loop probe, then open-loop bisection for the highest rate\n"
    "                       with failures (no answer in time, or an answer other than 200 or\n"
    "                       401) < --max-loss (default 0.001) that the generator kept up\n"
    "  --max-loss F         --find-max: the failure fraction a passing step stays under\n"
    "  --steps N            bisection steps for --find-max (default 6)\n"
    "  --fixed-rate R       --find-max: then one open-loop step at R (latency at equal load)\n"
    "  --duration S         measured seconds (default 5; per step with --find-max)\n"
    "  --count N            stop the measured phase after N requests sent\n"
    "  --no-warmup          measure from the first REGISTER (challenges included)\n"
    "  --warmup-timeout S   bound of the warmup (default 60)\n"
    "  --warmup-concurrency C  (default 256)\n"
    "  --timeout-ms T       a request unanswered after T ms is lost (default 1000)\n"
    "  --batch B            datagrams per sendmmsg/recvmmsg (1..64, default 32)\n"
    "  --tick-us T          open loop: send what fell due every T us (default 100)\n"
    "  --sockets N          local UDP sockets (ports), users spread over them (default 1)\n"
    "  --bind HOST          local address (default 127.0.0.1)\n"
    "  --server-pid P[,P]   report the CPU time these processes used in each phase\n"
    "  --server-cpu N       report how busy core N was, and what of it the server was not\n"
    "Echo:\n"
    "  --echo               send --size byte datagrams to an echo server instead of REGISTERs\n"
    "  --size N             echo datagram size (default 600)\n"
    "  --echo-server PORT   run a recvmmsg/sendmmsg echo server (ends after --duration,\n"
    "                       default 600 s, or on SIGINT/SIGTERM)\n"
    "Output:\n"
    "  --json               one JSON line on stdout (the human summary goes to stderr)\n"
    "  --label L            a label copied into the JSON\n";

// ---------------------------------------------------------------------------------------------
// Time, signals, small helpers.

std::atomic<bool> g_stop{false};

void OnSignal(int /*sig*/) { g_stop.store(true, std::memory_order_relaxed); }

// Send and receive times are CLOCK_REALTIME, the clock of the kernel's SO_TIMESTAMPNS receive
// stamps: a response's latency ends when the kernel took it in, not when this thread got to it.
uint64_t RealNs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// ---------------------------------------------------------------------------------------------
// Options.

enum class LoadMode : uint8_t { kClosed, kOpen, kFindMax };

struct Options {
  net::Endpoint target;
  bool have_target = false;
  std::string bind_host = "127.0.0.1";
  std::string domain;
  std::string password;
  std::string user_pattern = "u#####";
  uint64_t users = 1000;
  uint64_t user_start = 0;
  std::string users_csv;
  uint64_t expires = 3600;
  LoadMode mode = LoadMode::kClosed;  // from --find-max, else --rate, else closed loop
  bool find_max = false;
  uint64_t concurrency = 64;
  double rate = 0;
  double fixed_rate = 0;  // --find-max: one more open-loop step at this rate
  double max_loss = 0.001;
  uint64_t steps = 6;
  double duration_s = 5;
  uint64_t count = 0;
  bool warmup = true;
  double warmup_timeout_s = 60;
  uint64_t warmup_concurrency = 256;
  uint64_t timeout_ms = 1000;
  uint64_t batch = 32;
  uint64_t tick_us = 100;
  uint64_t sockets = 1;
  int64_t server_cpu = -1;  // the core the server is pinned to (reporting only)
  std::vector<int> server_pids;
  bool echo = false;
  uint64_t size = 600;
  bool echo_server = false;
  uint64_t echo_server_port = 0;
  bool duration_given = false;
  bool json = false;
  std::string label;
};

constexpr std::size_t kMaxBatch = 64;
constexpr std::size_t kTxSlot = 8192;  // bytes per queued datagram (echo --size at most this)
constexpr std::size_t kRxSlot = 8192 + sipfront::kPadding;
constexpr std::string_view kEchoMagic = "SFLG";

// Returns an empty string when the options are good, else the reason.
std::string ParseOptions(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    auto value = [&](const char*& out) {
      if (i + 1 >= argc) {
        return false;
      }
      out = argv[++i];
      return true;
    };
    const char* v = nullptr;
    auto u64 = [&](uint64_t& out, uint64_t lo, uint64_t hi) {
      return value(v) && ParseU64(v, out) && out >= lo && out <= hi;
    };
    auto dbl = [&](double& out) { return value(v) && ParseDouble(v, out); };
    bool ok = true;
    if (a == "--target") {
      ok = value(v);
      if (ok) {
        absl::StatusOr<net::Endpoint> e = net::ParseEndpoint(v);
        if (!e.ok()) {
          return "--target: " + std::string(e.status().message());
        }
        o.target = *e;
        o.have_target = true;
      }
    } else if (a == "--bind") {
      ok = value(v);
      o.bind_host = ok ? v : "";
    } else if (a == "--domain") {
      ok = value(v);
      o.domain = ok ? v : "";
    } else if (a == "--password") {
      ok = value(v);
      o.password = ok ? v : "";
    } else if (a == "--user-pattern") {
      ok = value(v);
      o.user_pattern = ok ? v : "";
    } else if (a == "--users") {
      ok = u64(o.users, 1, 10000000);
    } else if (a == "--user-start") {
      ok = u64(o.user_start, 0, 1000000000000ull);
    } else if (a == "--users-csv") {
      ok = value(v);
      o.users_csv = ok ? v : "";
    } else if (a == "--expires") {
      ok = u64(o.expires, 0, 86400);
    } else if (a == "--concurrency") {
      ok = u64(o.concurrency, 1, 1000000);
    } else if (a == "--rate") {
      ok = dbl(o.rate) && o.rate >= 1 && o.rate <= 1e8;
    } else if (a == "--find-max") {
      o.find_max = true;
    } else if (a == "--fixed-rate") {
      ok = dbl(o.fixed_rate) && o.fixed_rate >= 1 && o.fixed_rate <= 1e8;
    } else if (a == "--max-loss") {
      ok = dbl(o.max_loss) && o.max_loss < 1;
    } else if (a == "--steps") {
      ok = u64(o.steps, 1, 20);
    } else if (a == "--duration") {
      ok = dbl(o.duration_s) && o.duration_s > 0 && o.duration_s <= 86400;
      o.duration_given = true;
    } else if (a == "--count") {
      ok = u64(o.count, 1, UINT64_MAX / 2);
    } else if (a == "--no-warmup") {
      o.warmup = false;
    } else if (a == "--warmup-timeout") {
      ok = dbl(o.warmup_timeout_s) && o.warmup_timeout_s > 0 && o.warmup_timeout_s <= 3600;
    } else if (a == "--warmup-concurrency") {
      ok = u64(o.warmup_concurrency, 1, 1000000);
    } else if (a == "--timeout-ms") {
      ok = u64(o.timeout_ms, 1, 60000);
    } else if (a == "--batch") {
      ok = u64(o.batch, 1, kMaxBatch);
    } else if (a == "--tick-us") {
      ok = u64(o.tick_us, 1, 100000);
    } else if (a == "--server-cpu") {
      uint64_t cpu = 0;
      ok = u64(cpu, 0, 4095);
      o.server_cpu = static_cast<int64_t>(cpu);
    } else if (a == "--sockets") {
      ok = u64(o.sockets, 1, 64);
    } else if (a == "--server-pid") {
      ok = value(v);
      std::string_view rest = ok ? v : "";
      while (ok && !rest.empty()) {
        const std::size_t comma = rest.find(',');
        uint64_t pid = 0;
        ok = ParseU64(rest.substr(0, comma), pid) && pid > 0 && pid < (1u << 30);
        o.server_pids.push_back(static_cast<int>(pid));
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      }
    } else if (a == "--echo") {
      o.echo = true;
    } else if (a == "--size") {
      ok = u64(o.size, 16, kTxSlot);
    } else if (a == "--echo-server") {
      ok = u64(o.echo_server_port, 1, 65535);
      o.echo_server = true;
    } else if (a == "--json") {
      o.json = true;
    } else if (a == "--label") {
      ok = value(v);
      o.label = ok ? v : "";
    } else {
      return "unknown argument " + std::string(a);
    }
    if (!ok) {
      return "bad or missing value for " + std::string(a);
    }
  }
  o.mode = o.find_max ? LoadMode::kFindMax : o.rate > 0 ? LoadMode::kOpen : LoadMode::kClosed;
  if (o.echo_server) {
    return {};
  }
  if (!o.have_target) {
    return "--target is required";
  }
  if (!IsLoopback(o.target)) {
    return "--target must be a loopback address (127.0.0.0/8 or [::1])";
  }
  if (!o.echo) {
    if (o.domain.empty()) {
      return "--domain is required";
    }
    if (o.users_csv.empty() && o.password.empty()) {
      return "--password (or --users-csv) is required";
    }
    if (o.users_csv.empty() && o.user_pattern.find('#') == std::string::npos) {
      return "--user-pattern needs a run of '#' for the index";
    }
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// Sockets.

int OpenSocket(const net::Endpoint& bind, const net::Endpoint* connect_to, std::string& error) {
  const int fd = socket(bind.addr.sa.sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  // Large buffers so that bursts are lost at the server, not here. FORCE needs CAP_NET_ADMIN;
  // without it the plain option (capped by net.core.[rw]mem_max) is used.
  const int buf = 8 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
  }
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf)) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
  }
  if (bind.len != 0 && ::bind(fd, &bind.addr.sa, bind.len) != 0) {
    error = std::string("bind: ") + std::strerror(errno);
    close(fd);
    return -1;
  }
  if (connect_to != nullptr && connect(fd, &connect_to->addr.sa, connect_to->len) != 0) {
    error = std::string("connect: ") + std::strerror(errno);
    close(fd);
    return -1;
  }
  return fd;
}

uint16_t LocalPort(int fd) {
  net::Endpoint e;
  e.len = sizeof(e.addr);
  getsockname(fd, &e.addr.sa, &e.len);
  return e.port();
}

// One connected socket with its batch arrays.
struct Socket {
  int fd = -1;
  uint16_t port = 0;
  std::string port_text;
  std::unique_ptr<char[]> tx_mem;
  std::unique_ptr<char[]> rx_mem;
  mmsghdr tx[kMaxBatch] = {};
  iovec tx_iov[kMaxBatch] = {};
  uint32_t tx_slot[kMaxBatch] = {};  // the slot each queued datagram belongs to
  uint32_t tx_count = 0;
  mmsghdr rx[kMaxBatch] = {};
  iovec rx_iov[kMaxBatch] = {};
  alignas(cmsghdr) char rx_control[kMaxBatch][CMSG_SPACE(sizeof(timespec))] = {};

  ~Socket() {
    if (fd >= 0) {
      close(fd);
    }
  }
};

// ---------------------------------------------------------------------------------------------
// Per-phase results.

struct PhaseStats {
  std::string name;
  double target_rate = 0;     // open loop
  uint64_t concurrency = 0;   // closed loop
  uint64_t sent = 0;          // datagrams the kernel accepted
  uint64_t sent_auth = 0;     // of which REGISTERs with credentials
  uint64_t send_failed = 0;   // sendmmsg refused (counted as lost, not as sent)
  uint64_t answered = 0;      // final responses matched to the outstanding request
  uint64_t ok = 0;            // 2xx (echo: every echo)
  uint64_t ok_in_window = 0;  // of which received while sending (the rest: in the drain)
  uint64_t challenged = 0;    // 401 to a request without credentials
  uint64_t rechallenged = 0;  // 401 to a request with credentials, not stale
  uint64_t stale = 0;         // 401 with stale=true
  uint64_t unusable_challenge = 0;
  uint64_t timeouts = 0;  // no final answer within the timeout
  uint64_t late = 0;      // answers to requests already timed out or superseded
  uint64_t provisional = 0;
  uint64_t unparsed = 0;  // datagrams that were not a response of this run
  uint64_t skipped = 0;   // open loop: a request fell due but every user was busy
  uint64_t codes[700] = {};
  Histogram latency;
  double send_seconds = 0;  // wall time of the sending window
  double seconds = 0;       // including the drain
  double cpu_self = 0;      // loadgen CPU seconds
  double cpu_server = -1;   // --server-pid CPU seconds (-1: not measured)
  int64_t client_cpu = -1;  // the core this generator ran on (when pinned to one), else -1
  int64_t server_cpu = -1;  // --server-cpu
  // Of those two cores, the seconds busy, in softirq and stolen by the hypervisor.
  double client_busy = 0, client_softirq = 0, client_steal = 0;
  double server_busy = 0, server_softirq = 0, server_steal = 0;
  bool pass = false;  // --find-max verdict

  // Fractions of the two cores that other processes took: the core's busy time less what the
  // server (or this generator) used. 0 when not measured.
  [[nodiscard]] double ServerOthers() const {
    return server_cpu >= 0 && cpu_server >= 0 && seconds > 0
               ? std::max(0.0, server_busy - cpu_server) / seconds
               : 0;
  }
  [[nodiscard]] double ClientOthers() const {
    return client_cpu >= 0 && seconds > 0 ? std::max(0.0, client_busy - cpu_self) / seconds : 0;
  }
  // Other work took more than 10% of either core, or the hypervisor stole more than 10%.
  [[nodiscard]] bool Contended() const {
    const double w = seconds > 0 ? seconds : 1;
    return ServerOthers() > 0.1 || ClientOthers() > 0.1 || server_steal / w > 0.1 ||
           client_steal / w > 0.1;
  }
  [[nodiscard]] double SendRate() const { return PerSecond(sent); }
  [[nodiscard]] double OkRate() const { return PerSecond(ok); }
  // Answers per second while sending: below the offered rate when a backlog built up.
  [[nodiscard]] double WindowRate() const { return PerSecond(ok_in_window); }
  [[nodiscard]] double PerSecond(uint64_t n) const {
    return send_seconds > 0 ? static_cast<double>(n) / send_seconds : 0;
  }
  // Requests that got no answer in time, or could not be sent.
  [[nodiscard]] double Loss() const { return Fraction(timeouts + send_failed); }
  // Loss plus final answers other than 2xx and 401 (a 503 from an overloaded server, a 403):
  // what --find-max holds under --max-loss.
  [[nodiscard]] double FailureRate() const { return Fraction(timeouts + send_failed + Other()); }
  [[nodiscard]] double Fraction(uint64_t n) const {
    const uint64_t attempted = sent + send_failed;
    return attempted == 0 ? 0 : static_cast<double>(n) / static_cast<double>(attempted);
  }
  [[nodiscard]] uint64_t Other() const {
    uint64_t n = 0;
    for (int c = 100; c < 700; ++c) {
      if (c != 401 && (c < 200 || c >= 300)) {
        n += codes[c];
      }
    }
    return n;
  }
};

// ---------------------------------------------------------------------------------------------
// The generator.

enum class SlotState : uint8_t { kIdle, kBusy };

// Hot per-user state, scanned for timeouts: 16 bytes.
struct Slot {
  uint64_t sent_ns = 0;
  uint32_t seq = 0;  // CSeq (echo: sequence) of the last request sent
  SlotState state = SlotState::kIdle;
  bool with_credentials = false;  // the outstanding request carried Authorization
  bool registered = false;        // a 2xx came back at least once
  bool resend = false;            // challenged: send again with credentials now
  bool disabled = false;          // refused for good (403, 404, ...): never sent again
};

class Generator {
 public:
  explicit Generator(const Options& o) : o_(o) {}

  // Opens the sockets and builds the users. Returns "" or the reason it could not.
  std::string Init() {
    run_id_ = static_cast<uint32_t>(NowNs() ^ (static_cast<uint64_t>(getpid()) << 20));
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) == 1) {
      for (int c = 0; c < CPU_SETSIZE; ++c) {
        if (CPU_ISSET(c, &set)) {
          client_cpu_ = c;
        }
      }
    }
    {
      Writer w(run_hex_, sizeof(run_hex_));
      w.AppendHex(run_id_, 8);
    }
    absl::StatusOr<net::Endpoint> bind = net::ParseEndpoint(
        (o_.bind_host.find(':') != std::string::npos ? "[" + o_.bind_host + "]" : o_.bind_host) +
        ":0");
    if (!bind.ok()) {
      return "--bind: " + std::string(bind.status().message());
    }
    if (!IsLoopback(*bind)) {
      return "--bind must be a loopback address";
    }
    if (bind->addr.sa.sa_family != o_.target.addr.sa.sa_family) {
      return "--bind and --target must be of the same address family";
    }
    bind->FormatHost(local_host_);
    for (uint64_t i = 0; i < o_.sockets; ++i) {
      auto s = std::make_unique<Socket>();
      std::string err;
      s->fd = OpenSocket(*bind, &o_.target, err);
      if (s->fd < 0) {
        return err;
      }
      const int on = 1;
      if (setsockopt(s->fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)) != 0) {
        return std::string("SO_TIMESTAMPNS: ") + std::strerror(errno);
      }
      s->port = LocalPort(s->fd);
      s->port_text = std::to_string(s->port);
      s->tx_mem.reset(new char[kMaxBatch * kTxSlot]);
      s->rx_mem.reset(new char[kMaxBatch * kRxSlot]);
      for (std::size_t k = 0; k < kMaxBatch; ++k) {
        s->tx_iov[k] = {s->tx_mem.get() + k * kTxSlot, 0};
        s->tx[k] = {};
        s->tx[k].msg_hdr.msg_iov = &s->tx_iov[k];
        s->tx[k].msg_hdr.msg_iovlen = 1;
        s->rx_iov[k] = {s->rx_mem.get() + k * kRxSlot, kRxSlot - sipfront::kPadding};
        s->rx[k] = {};
        s->rx[k].msg_hdr.msg_iov = &s->rx_iov[k];
        s->rx[k].msg_hdr.msg_iovlen = 1;
      }
      pfds_.push_back({s->fd, POLLIN, 0});
      sockets_.push_back(std::move(s));
    }
    if (o_.echo) {
      slots_.resize(o_.users);
      return {};
    }
    if (!o_.users_csv.empty()) {
      std::ifstream f(o_.users_csv);
      if (!f) {
        return "cannot read " + o_.users_csv;
      }
      std::string line;
      while (std::getline(f, line) && names_.size() < 10000000) {
        if (!line.empty() && line.back() == '\r') {
          line.pop_back();
        }
        if (line.empty() || line[0] == '#') {
          continue;
        }
        const std::size_t comma = line.find(',');
        if (comma == std::string::npos || comma == 0 || comma + 1 == line.size()) {
          return o_.users_csv + ": expected 'username,password': " + line;
        }
        names_.push_back(line.substr(0, comma));
        passwords_.push_back(line.substr(comma + 1));
      }
      if (names_.empty()) {
        return o_.users_csv + ": no users";
      }
    } else {
      const std::size_t first = o_.user_pattern.find('#');
      std::size_t last = first;
      while (last < o_.user_pattern.size() && o_.user_pattern[last] == '#') {
        ++last;
      }
      const std::size_t width = last - first;
      for (uint64_t i = 0; i < o_.users; ++i) {
        std::string digits = std::to_string(o_.user_start + i);
        if (digits.size() < width) {
          digits.insert(0, width - digits.size(), '0');
        }
        names_.push_back(o_.user_pattern.substr(0, first) + digits + o_.user_pattern.substr(last));
      }
    }
    slots_.resize(names_.size());
    digest_.Reset(names_.size(), run_id_);
    uri_ = "sip:" + o_.domain;
    return {};
  }

  [[nodiscard]] std::size_t users() const { return slots_.size(); }
  [[nodiscard]] uint64_t registered() const { return registered_; }
  [[nodiscard]] uint64_t disabled() const { return disabled_; }
  [[nodiscard]] uint16_t first_port() const { return sockets_[0]->port; }

  // Runs one phase. `rate` > 0: open loop; else closed loop with `concurrency`. `warmup`: only
  // users not yet registered are picked, and the phase ends when all are.
  PhaseStats Run(std::string name, double rate, uint64_t concurrency, double duration_s,
                 uint64_t count, bool warmup) {
    PhaseStats st;
    st.name = std::move(name);
    st.target_rate = rate;
    st.concurrency = rate > 0 ? 0 : concurrency;
    stats_ = &st;
    recording_ = !warmup;
    in_window_ = true;
    const uint64_t timeout_ns = o_.timeout_ms * 1000000ull;
    const uint64_t scan_every_ns = std::clamp<uint64_t>(timeout_ns / 8, 1000000, 50000000);
    const uint64_t tick_ns = o_.tick_us * 1000;
    const uint64_t t0 = NowNs();
    const auto send_end = t0 + static_cast<uint64_t>(duration_s * 1e9);
    const uint64_t hard_end = send_end + timeout_ns + 500000000ull;
    const double cpu0 = CpuSecondsSelf();
    const double srv0 = o_.server_pids.empty() ? -1 : CpuSecondsOf(o_.server_pids);
    const CpuTimes cores0 = ReadCpuTimes();
    uint64_t scheduled = 0;  // open loop: requests that fell due so far
    uint64_t next_tick = t0;
    uint64_t next_scan = t0 + scan_every_ns;
    uint64_t stop_sending_at = 0;
    bool sending = true;
    while (true) {
      const uint64_t now = NowNs();
      // A warmup that got no answer at all in 5 s (past the timeout) is talking to nobody.
      const bool deaf = warmup && st.answered == 0 && now - t0 > 5000000000ull + timeout_ns;
      if (sending && (now >= send_end || (count != 0 && st.sent >= count) ||
                      g_stop.load(std::memory_order_relaxed) ||
                      (warmup && registered_ + disabled_ >= slots_.size()) || deaf)) {
        sending = false;
        in_window_ = false;
        stop_sending_at = now;
      }
      if (!sending && (outstanding_ == 0 || now >= stop_sending_at + timeout_ns)) {
        break;
      }
      if (now >= hard_end) {
        break;
      }
      if (now >= next_scan) {
        ExpireTimeouts(RealNs(), timeout_ns);
        next_scan = now + scan_every_ns;
      }
      // Challenged users first: they are part of a registration already under way.
      uint64_t queued = 0;
      while (!resend_.empty()) {
        const uint32_t u = resend_.back();
        resend_.pop_back();
        if (slots_[u].resend) {
          slots_[u].resend = false;
          Queue(u);
          ++queued;
        }
      }
      if (sending) {
        uint64_t want = 0;
        if (rate > 0) {
          // Open loop: once per tick, everything that fell due since the last tick, so that
          // sendmmsg gets batches (rate x tick per call) instead of one datagram per turn.
          if (now >= next_tick) {
            const auto due = static_cast<uint64_t>(rate * static_cast<double>(now - t0) / 1e9) + 1;
            want = due - scheduled;
            scheduled = due;
            next_tick = std::max(next_tick + tick_ns, now);
          }
        } else if (outstanding_ < concurrency) {
          want = std::min<uint64_t>(concurrency - outstanding_, o_.batch * sockets_.size() * 2);
        }
        for (uint64_t k = 0; k < want; ++k) {
          if (count != 0 && st.sent + queued >= count) {
            break;
          }
          const int64_t u = NextIdle(warmup);
          if (u < 0) {
            if (rate > 0) {
              st.skipped += want - k;
            }
            break;
          }
          Queue(static_cast<uint32_t>(u));
          ++queued;
        }
      }
      FlushAll();
      const uint64_t got = ReceiveAll();
      if (queued == 0 && got == 0) {
        if (sending && rate > 0) {
          // Open loop: sleep to the next tick; answers wait in the socket buffer with their
          // kernel receive stamps, and are read in one batch then.
          const uint64_t t = NowNs();
          if (next_tick > t) {
            timespec ts{0, static_cast<long>(std::min<uint64_t>(next_tick - t, 999999999))};
            nanosleep(&ts, nullptr);
          }
        } else {
          timespec ts{0, 1000000};
          if (ppoll(pfds_.data(), pfds_.size(), &ts, nullptr) > 0) {
            ReceiveAll();
          }
        }
      }
    }
    const uint64_t t1 = NowNs();
    // Whatever is still outstanding now was never answered in time.
    ExpireTimeouts(RealNs() + timeout_ns + 1, timeout_ns);
    st.send_seconds = static_cast<double>((stop_sending_at != 0 ? stop_sending_at : t1) - t0) / 1e9;
    st.seconds = static_cast<double>(t1 - t0) / 1e9;
    st.cpu_self = CpuSecondsSelf() - cpu0;
    const CpuTimes cores1 = ReadCpuTimes();
    auto core = [&](int64_t c, double& busy, double& softirq, double& steal) {
      const auto i = static_cast<std::size_t>(c);
      if (c >= 0 && i < cores0.busy.size() && i < cores1.busy.size()) {
        busy = cores1.busy[i] - cores0.busy[i];
        softirq = cores1.softirq[i] - cores0.softirq[i];
        steal = cores1.steal[i] - cores0.steal[i];
      }
    };
    st.client_cpu = client_cpu_;
    st.server_cpu = o_.server_cpu;
    core(st.client_cpu, st.client_busy, st.client_softirq, st.client_steal);
    core(st.server_cpu, st.server_busy, st.server_softirq, st.server_steal);
    if (srv0 >= 0) {
      const double srv1 = CpuSecondsOf(o_.server_pids);
      st.cpu_server = srv1 >= 0 ? srv1 - srv0 : -1;
    }
    stats_ = nullptr;
    return st;
  }

  // Drains late answers (between --find-max steps), bounded by `ms`.
  void Quiesce(int ms) {
    PhaseStats sink;
    stats_ = &sink;
    recording_ = false;
    const uint64_t end = NowNs() + static_cast<uint64_t>(ms) * 1000000ull;
    while (NowNs() < end) {
      if (ReceiveAll() == 0) {
        timespec ts{0, 5000000};
        ppoll(pfds_.data(), pfds_.size(), &ts, nullptr);
      }
    }
    stats_ = nullptr;
  }

 private:
  // The next idle user after the cursor (warmup: also not yet registered), or -1.
  int64_t NextIdle(bool warmup) {
    const std::size_t n = slots_.size();
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t u = cursor_;
      cursor_ = cursor_ + 1 == n ? 0 : cursor_ + 1;
      const Slot& s = slots_[u];
      if (s.state == SlotState::kIdle && !s.disabled && !(warmup && s.registered)) {
        return static_cast<int64_t>(u);
      }
    }
    return -1;
  }

  void ExpireTimeouts(uint64_t now, uint64_t timeout_ns) {
    for (Slot& s : slots_) {
      if (s.state == SlotState::kBusy && !s.resend && now > s.sent_ns + timeout_ns) {
        s.state = SlotState::kIdle;
        --outstanding_;
        ++stats_->timeouts;
      }
    }
  }

  // Builds user u's next request into its socket's batch; sends the batch when full.
  void Queue(uint32_t u) {
    Socket& s = *sockets_[u % sockets_.size()];
    if (s.tx_count == o_.batch) {
      Flush(s);
    }
    char* out = s.tx_mem.get() + s.tx_count * kTxSlot;
    Slot& slot = slots_[u];
    ++slot.seq;
    std::size_t len = 0;
    if (o_.echo) {
      len = BuildEcho(u, slot.seq, out);
      slot.with_credentials = true;  // every echo round trip is recorded
    } else {
      len = BuildRegister(u, s, out, slot.with_credentials);
    }
    if (len == 0) {
      return;  // did not fit (over-long user or nonce): counted nowhere, never sent
    }
    if (slot.state != SlotState::kBusy) {
      slot.state = SlotState::kBusy;
      ++outstanding_;
    }
    s.tx_iov[s.tx_count].iov_len = len;
    s.tx_slot[s.tx_count] = u;
    ++s.tx_count;
  }

  void FlushAll() {
    for (auto& s : sockets_) {
      if (s->tx_count != 0) {
        Flush(*s);
      }
    }
  }

  void Flush(Socket& s) {
    const uint64_t before = RealNs();
    uint32_t done = 0;
    for (int attempt = 0; attempt < 3 && done < s.tx_count; ++attempt) {
      const int r = sendmmsg(s.fd, s.tx + done, s.tx_count - done, MSG_DONTWAIT);
      if (r <= 0) {
        if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS &&
            errno != ECONNREFUSED && errno != EINTR) {
          break;
        }
        continue;
      }
      done += static_cast<uint32_t>(r);
    }
    // On loopback each datagram goes all the way to the server's socket inside the call, one
    // after the other: datagram k left at about before + (k + 1) / n of the call's duration.
    const uint64_t spent = RealNs() - before;
    for (uint32_t k = 0; k < s.tx_count; ++k) {
      Slot& slot = slots_[s.tx_slot[k]];
      if (k < done) {
        slot.sent_ns = before + spent * (k + 1) / s.tx_count;
        ++stats_->sent;
        stats_->sent_auth += slot.with_credentials ? 1 : 0;
      } else {
        ++stats_->send_failed;
        slot.state = SlotState::kIdle;
        --outstanding_;
      }
    }
    s.tx_count = 0;
  }

  uint64_t ReceiveAll() {
    uint64_t total = 0;
    for (auto& sp : sockets_) {
      Socket& s = *sp;
      // A bounded number of batches per socket per turn, so sending is not starved.
      for (int round = 0; round < 8; ++round) {
        for (std::size_t k = 0; k < o_.batch; ++k) {
          s.rx[k].msg_hdr.msg_control = s.rx_control[k];
          s.rx[k].msg_hdr.msg_controllen = sizeof(s.rx_control[k]);
        }
        const int r = recvmmsg(s.fd, s.rx, static_cast<unsigned>(o_.batch), MSG_DONTWAIT, nullptr);
        if (r <= 0) {
          break;
        }
        const uint64_t fallback = RealNs();
        for (int k = 0; k < r; ++k) {
          char* data = static_cast<char*>(s.rx_iov[k].iov_base);
          const std::size_t len = s.rx[k].msg_len;
          if ((s.rx[k].msg_hdr.msg_flags & MSG_TRUNC) != 0) {
            ++stats_->unparsed;
            continue;
          }
          uint64_t now = fallback;
          for (cmsghdr* c = CMSG_FIRSTHDR(&s.rx[k].msg_hdr); c != nullptr;
               c = CMSG_NXTHDR(&s.rx[k].msg_hdr, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
              timespec ts{};
              std::memcpy(&ts, CMSG_DATA(c), sizeof(ts));
              now = static_cast<uint64_t>(ts.tv_sec) * 1000000000ull +
                    static_cast<uint64_t>(ts.tv_nsec);
            }
          }
          if (o_.echo) {
            HandleEcho(data, len, now);
          } else {
            HandleResponse(data, len, now);
          }
        }
        total += static_cast<uint64_t>(r);
        if (static_cast<uint64_t>(r) < o_.batch) {
          break;
        }
      }
    }
    return total;
  }

  // Marks user u answered with `code` at `now`: records the latency, frees the slot.
  void Complete(uint32_t u, uint16_t code, uint64_t now) {
    Slot& slot = slots_[u];
    ++stats_->answered;
    ++stats_->codes[code < 700 ? code : 0];
    if (recording_ && slot.with_credentials) {
      stats_->latency.Record(now > slot.sent_ns ? now - slot.sent_ns : 0);
    }
    slot.state = SlotState::kIdle;
    --outstanding_;
  }

  // --- echo ------------------------------------------------------------------------------

  // Payload: "SFLG", run id, slot, sequence (little-endian u32 each), then filler.
  std::size_t BuildEcho(uint32_t u, uint32_t seq, char* out) const {
    std::memcpy(out, kEchoMagic.data(), 4);
    std::memcpy(out + 4, &run_id_, 4);
    std::memcpy(out + 8, &u, 4);
    std::memcpy(out + 12, &seq, 4);
    std::memset(out + 16, 'x', o_.size - 16);
    return o_.size;
  }

  void HandleEcho(const char* data, std::size_t len, uint64_t now) {
    uint32_t run = 0;
    uint32_t u = 0;
    uint32_t seq = 0;
    if (len < 16 || std::memcmp(data, kEchoMagic.data(), 4) != 0) {
      ++stats_->unparsed;
      return;
    }
    std::memcpy(&run, data + 4, 4);
    std::memcpy(&u, data + 8, 4);
    std::memcpy(&seq, data + 12, 4);
    if (run != run_id_ || u >= slots_.size()) {
      ++stats_->unparsed;
      return;
    }
    if (slots_[u].state != SlotState::kBusy || slots_[u].seq != seq) {
      ++stats_->late;
      return;
    }
    ++stats_->ok;
    stats_->ok_in_window += in_window_ ? 1 : 0;
    Complete(u, 200, now);
  }

  // --- SIP -------------------------------------------------------------------------------

  // REGISTER for user u, with credentials when a challenge is known. Returns the length.
  std::size_t BuildRegister(uint32_t u, const Socket& s, char* out, bool& with_credentials) {
    const std::string& user = names_[u];
    const Slot& slot = slots_[u];
    Writer w(out, kTxSlot);
    w.Append("REGISTER ");
    w.Append(uri_);
    w.Append(" SIP/2.0\r\nVia: SIP/2.0/UDP ");
    w.Append(local_host_);
    w.Append(":");
    w.Append(s.port_text);
    w.Append(";branch=z9hG4bK");
    w.Append(std::string_view(run_hex_, 8));
    w.Append(".");
    w.AppendHex(u, 8);
    w.Append(".");
    w.AppendUint(slot.seq);
    w.Append(";rport\r\nMax-Forwards: 70\r\nFrom: <sip:");
    w.Append(user);
    w.Append("@");
    w.Append(o_.domain);
    w.Append(">;tag=");
    w.AppendHex(u, 8);
    w.Append("\r\nTo: <sip:");
    w.Append(user);
    w.Append("@");
    w.Append(o_.domain);
    w.Append(">\r\nCall-ID: lg");
    w.Append(std::string_view(run_hex_, 8));
    w.Append("-");
    w.AppendUint(u);
    w.Append("\r\nCSeq: ");
    w.AppendUint(slot.seq);
    w.Append(" REGISTER\r\nContact: <sip:");
    w.Append(user);
    w.Append("@");
    w.Append(local_host_);
    w.Append(":");
    w.Append(s.port_text);
    w.Append(";transport=udp>\r\nExpires: ");
    w.AppendUint(o_.expires);
    w.Append("\r\n");
    with_credentials = digest_.Challenged(u);
    if (with_credentials) {
      digest_.AppendAuthorization(w, u, user, passwords_.empty() ? o_.password : passwords_[u],
                                  uri_);
    }
    w.Append("User-Agent: sipfront-loadgen\r\nContent-Length: 0\r\n\r\n");
    return w.size();
  }

  // The user index from "lg<run>-<index>", or -1.
  [[nodiscard]] int64_t UserOf(std::string_view call_id) const {
    return UserOfCallId(call_id, "lg", std::string_view(run_hex_, 8), slots_.size());
  }

  void HandleResponse(char* data, std::size_t len, uint64_t now) {
    const sip::ParseError e = sip::Tokenize(
        sipfront::PaddedView(data, len, len + sipfront::kPadding), sip::Framing::kDatagram, msg_);
    if (e != sip::ParseError::kOk || msg_.kind != sip::MessageKind::kResponse ||
        !msg_.Has(sip::HeaderId::kCSeq)) {
      ++stats_->unparsed;
      return;
    }
    const int64_t user = UserOf(msg_.call_id);
    if (user < 0) {
      ++stats_->unparsed;
      return;
    }
    const auto u = static_cast<uint32_t>(user);
    Slot& slot = slots_[u];
    if (slot.state != SlotState::kBusy || slot.resend || slot.seq != msg_.cseq.seq) {
      ++stats_->late;
      return;
    }
    const uint16_t code = msg_.status_code;
    if (code < 200) {
      ++stats_->provisional;
      return;
    }
    if (code == 401) {
      const bool was_auth = slot.with_credentials;
      bool stale = false;
      const bool usable = digest_.TakeChallenge(msg_, u, stale);
      if (was_auth) {
        ++(stale ? stats_->stale : stats_->rechallenged);
      } else {
        ++stats_->challenged;
      }
      Complete(u, code, now);
      if (usable) {
        // Answer the challenge at once, as a UA does; the slot stays busy until then.
        slot.state = SlotState::kBusy;
        slot.resend = true;
        ++outstanding_;
        resend_.push_back(u);
      } else {
        ++stats_->unusable_challenge;
      }
      return;
    }
    if (code >= 400 && code < 500 && code != 408 && code != 423 && code != 429 && !slot.disabled) {
      // A client error will not go away by asking again with the same user and password.
      slot.disabled = true;
      ++disabled_;
    }
    if (code >= 200 && code < 300) {
      ++stats_->ok;
      stats_->ok_in_window += in_window_ ? 1 : 0;
      if (!slot.registered) {
        slot.registered = true;
        ++registered_;
      }
    }
    Complete(u, code, now);
  }

  const Options& o_;
  uint32_t run_id_ = 0;
  char run_hex_[8] = {};
  char local_host_[INET6_ADDRSTRLEN] = {};
  std::vector<std::unique_ptr<Socket>> sockets_;
  std::vector<pollfd> pfds_;
  std::vector<Slot> slots_;
  DigestClient digest_;
  std::vector<std::string> names_;
  std::vector<std::string> passwords_;  // empty: o_.password for everyone
  std::string uri_;
  std::vector<uint32_t> resend_;
  std::size_t cursor_ = 0;
  uint64_t outstanding_ = 0;
  uint64_t registered_ = 0;
  uint64_t disabled_ = 0;  // users refused with a 4xx other than 401/408/423/429
  bool recording_ = false;
  bool in_window_ = false;  // the phase is still sending
  int64_t client_cpu_ = -1;
  PhaseStats* stats_ = nullptr;
  sip::Message msg_;
};

// ---------------------------------------------------------------------------------------------
// Reporting.

void PrintPhase(std::ostream& out, const PhaseStats& s, bool echo) {
  out << s.name << ": ";
  if (s.target_rate > 0) {
    out << "open loop at " << Fmt("%.0f", s.target_rate) << "/s";
  } else {
    out << "closed loop, " << s.concurrency << " outstanding";
  }
  out << ", " << Fmt("%.2f", s.send_seconds) << " s\n";
  out << "  sent " << s.sent << " (" << Fmt("%.0f", s.SendRate()) << "/s";
  if (!echo) {
    out << ", " << s.sent_auth << " with credentials";
  }
  out << "), " << (echo ? "echoed " : "200 ") << s.ok << " (" << Fmt("%.0f", s.OkRate()) << "/s; "
      << Fmt("%.0f", s.WindowRate()) << "/s while sending)\n";
  out << "  lost " << s.timeouts + s.send_failed << " (" << Fmt("%.4f", 100 * s.Loss())
      << "%: " << s.timeouts << " timeouts, " << s.send_failed << " send failures)";
  if (s.late != 0) {
    out << ", late " << s.late;
  }
  if (s.skipped != 0) {
    out << ", skipped (all users busy) " << s.skipped;
  }
  out << "\n";
  if (!echo) {
    out << "  401: " << s.challenged << " challenges, " << s.stale << " stale, " << s.rechallenged
        << " re-challenges";
    if (s.unusable_challenge != 0) {
      out << ", " << s.unusable_challenge << " unusable";
    }
    if (s.Other() != 0) {
      out << "; other codes:";
      for (int c = 100; c < 700; ++c) {
        if (c != 401 && (c < 200 || c >= 300) && s.codes[c] != 0) {
          out << " " << c << "x" << s.codes[c];
        }
      }
    }
    if (s.unparsed != 0) {
      out << "; unparsed " << s.unparsed;
    }
    out << "\n";
  }
  if (s.latency.total() != 0) {
    out << "  latency us: p50 " << Us(s.latency.Quantile(0.5)) << "  p90 "
        << Us(s.latency.Quantile(0.9)) << "  p99 " << Us(s.latency.Quantile(0.99)) << "  p99.9 "
        << Us(s.latency.Quantile(0.999)) << "  max " << Us(s.latency.max()) << "  ("
        << s.latency.total() << " samples)\n";
  }
  const double wall = s.seconds > 0 ? s.seconds : 1;
  out << "  cpu: loadgen " << Fmt("%.0f", 100 * s.cpu_self / wall) << "%";
  if (s.cpu_server >= 0) {
    out << ", server " << Fmt("%.0f", 100 * s.cpu_server / wall) << "%";
    if (s.ok != 0) {
      out << " (" << Fmt("%.2f", 1e6 * s.cpu_server / static_cast<double>(s.ok))
          << " us per answered request)";
    }
  }
  out << "\n";
  auto core = [&](const char* who, int64_t c, double busy, double softirq, double steal) {
    if (c >= 0) {
      out << "  " << who << " core " << c << ": busy " << Fmt("%.0f", 100 * busy / wall)
          << "% (softirq " << Fmt("%.0f", 100 * softirq / wall) << "%), steal "
          << Fmt("%.0f", 100 * steal / wall) << "%\n";
    }
  };
  core("loadgen", s.client_cpu, s.client_busy, s.client_softirq, s.client_steal);
  core("server", s.server_cpu, s.server_busy, s.server_softirq, s.server_steal);
  if (s.Contended()) {
    out << "  contended: other processes took " << Fmt("%.0f", 100 * s.ServerOthers())
        << "% of the server core and " << Fmt("%.0f", 100 * s.ClientOthers())
        << "% of the loadgen core\n";
  }
}

std::string PhaseJson(const PhaseStats& s) {
  std::string j = "{\"name\":";
  AppendJsonString(j, s.name);
  auto num = [&](const char* k, double v, const char* f = "%.0f") {
    j += ",\"";
    j += k;
    j += "\":";
    j += Fmt(f, v);
  };
  num("target_rate", s.target_rate);
  num("concurrency", static_cast<double>(s.concurrency));
  num("seconds", s.send_seconds, "%.3f");
  num("sent", static_cast<double>(s.sent));
  num("sent_auth", static_cast<double>(s.sent_auth));
  num("send_failed", static_cast<double>(s.send_failed));
  num("answered", static_cast<double>(s.answered));
  num("ok", static_cast<double>(s.ok));
  num("ok_in_window", static_cast<double>(s.ok_in_window));
  num("challenged", static_cast<double>(s.challenged));
  num("stale", static_cast<double>(s.stale));
  num("rechallenged", static_cast<double>(s.rechallenged));
  num("timeouts", static_cast<double>(s.timeouts));
  num("late", static_cast<double>(s.late));
  num("skipped", static_cast<double>(s.skipped));
  num("unparsed", static_cast<double>(s.unparsed));
  num("send_rate", s.SendRate(), "%.1f");
  num("ok_rate", s.OkRate(), "%.1f");
  num("window_rate", s.WindowRate(), "%.1f");
  num("loss", s.Loss(), "%.6f");
  num("failure_rate", s.FailureRate(), "%.6f");
  j += ",\"codes\":{";
  bool first = true;
  for (int c = 100; c < 700; ++c) {
    if (s.codes[c] != 0) {
      j += first ? "\"" : ",\"";
      j += std::to_string(c) + "\":" + std::to_string(s.codes[c]);
      first = false;
    }
  }
  j += "},\"latency_us\":{";
  j += "\"samples\":" + std::to_string(s.latency.total());
  j += ",\"mean\":" + Us(static_cast<uint64_t>(s.latency.mean()));
  j += ",\"p50\":" + Us(s.latency.Quantile(0.5));
  j += ",\"p90\":" + Us(s.latency.Quantile(0.9));
  j += ",\"p99\":" + Us(s.latency.Quantile(0.99));
  j += ",\"p999\":" + Us(s.latency.Quantile(0.999));
  j += ",\"max\":" + Us(s.latency.max()) + "}";
  num("cpu_loadgen", s.cpu_self, "%.3f");
  num("cpu_server", s.cpu_server, "%.3f");
  num("client_cpu", static_cast<double>(s.client_cpu));
  num("client_busy", s.client_busy, "%.3f");
  num("client_softirq", s.client_softirq, "%.3f");
  num("client_steal", s.client_steal, "%.3f");
  num("server_cpu", static_cast<double>(s.server_cpu));
  num("server_busy", s.server_busy, "%.3f");
  num("server_softirq", s.server_softirq, "%.3f");
  num("server_steal", s.server_steal, "%.3f");
  num("wall", s.seconds, "%.3f");
  num("server_others", s.ServerOthers(), "%.3f");
  num("client_others", s.ClientOthers(), "%.3f");
  j += std::string(",\"contended\":") + (s.Contended() ? "true" : "false");
  j += std::string(",\"pass\":") + (s.pass ? "true" : "false") + "}";
  return j;
}

// ---------------------------------------------------------------------------------------------
// Echo server.

int RunEchoServer(const Options& o) {
  std::string host =
      o.bind_host.find(':') != std::string::npos ? "[" + o.bind_host + "]" : o.bind_host;
  absl::StatusOr<net::Endpoint> bind =
      net::ParseEndpoint(host + ":" + std::to_string(o.echo_server_port));
  if (!bind.ok() || !IsLoopback(*bind)) {
    std::cerr << "sipfront-loadgen: --echo-server binds a loopback --bind address only\n";
    return 2;
  }
  std::string err;
  const int fd = OpenSocket(*bind, nullptr, err);
  if (fd < 0) {
    std::cerr << "sipfront-loadgen: echo server: " << err << "\n";
    return 2;
  }
  std::unique_ptr<char[]> mem(new char[kMaxBatch * kTxSlot]);
  mmsghdr msgs[kMaxBatch];
  iovec iov[kMaxBatch];
  sockaddr_storage peers[kMaxBatch];
  const auto batch = static_cast<unsigned>(o.batch);
  const double duration = o.duration_given ? o.duration_s : 600;
  const uint64_t end = NowNs() + static_cast<uint64_t>(duration * 1e9);
  std::cerr << "sipfront-loadgen: echo server on " << net::ToString(*bind) << " for "
            << Fmt("%.0f", duration) << " s\n";
  uint64_t echoed = 0;
  uint64_t dropped = 0;
  while (!g_stop.load(std::memory_order_relaxed) && NowNs() < end) {
    for (unsigned k = 0; k < batch; ++k) {
      iov[k] = {mem.get() + k * kTxSlot, kTxSlot};
      msgs[k] = {};
      msgs[k].msg_hdr.msg_iov = &iov[k];
      msgs[k].msg_hdr.msg_iovlen = 1;
      msgs[k].msg_hdr.msg_name = &peers[k];
      msgs[k].msg_hdr.msg_namelen = sizeof(peers[k]);
    }
    const int r = recvmmsg(fd, msgs, batch, MSG_DONTWAIT, nullptr);
    if (r <= 0) {
      pollfd p{fd, POLLIN, 0};
      poll(&p, 1, 100);
      continue;
    }
    for (int k = 0; k < r; ++k) {
      iov[k].iov_len = msgs[k].msg_len;
    }
    int done = 0;
    for (int attempt = 0; attempt < 3 && done < r; ++attempt) {
      const int s = sendmmsg(fd, msgs + done, static_cast<unsigned>(r - done), MSG_DONTWAIT);
      if (s > 0) {
        done += s;
      }
    }
    echoed += static_cast<uint64_t>(done);
    dropped += static_cast<uint64_t>(r - done);
  }
  close(fd);
  std::cerr << "sipfront-loadgen: echo server stopped: echoed " << echoed << ", dropped " << dropped
            << "\n";
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Modes.

// A --find-max step passes when failures (loss, and answers other than 200 and 401) stay under
// the bound, no request was skipped for want of an idle user, the generator sent at least 97%
// of the asked rate (else it, not the server, was the limit), and 97% of it was answered while
// sending (else a backlog was building up that a longer step would have turned into loss).
bool StepPasses(const PhaseStats& s, const Options& o) {
  return s.FailureRate() < o.max_loss && s.skipped == 0 && s.SendRate() >= 0.97 * s.target_rate &&
         s.WindowRate() >= 0.97 * s.target_rate;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "-h" || std::string_view(argv[i]) == "--help") {
      std::cout << kUsage;
      return 0;
    }
  }
  if (const std::string err = ParseOptions(argc, argv, o); !err.empty()) {
    std::cerr << "sipfront-loadgen: " << err << "\n" << kUsage;
    return 2;
  }
  struct sigaction sa = {};
  sa.sa_handler = OnSignal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
  // Open-loop ticks are 100 us: the default 50 us timer slack would stretch every sleep.
  prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);

  if (o.echo_server) {
    return RunEchoServer(o);
  }

  Generator g(o);
  if (const std::string err = g.Init(); !err.empty()) {
    std::cerr << "sipfront-loadgen: " << err << "\n";
    return 2;
  }
  std::ostream& human = o.json ? std::cerr : std::cout;
  human << "sipfront-loadgen: " << (o.echo ? "echo" : "REGISTER") << " load on "
        << net::ToString(o.target);
  if (!o.echo) {
    human << " (domain " << o.domain << ")";
  }
  human << ", " << g.users() << (o.echo ? " slots" : " users") << ", " << o.sockets
        << " socket(s) from port " << g.first_port() << ", timeout " << o.timeout_ms << " ms\n";

  std::vector<PhaseStats> phases;
  PhaseStats warm;
  bool warmed = false;
  if (o.warmup && !o.echo) {
    warm = g.Run("warmup", 0, std::min<uint64_t>(o.warmup_concurrency, g.users()),
                 o.warmup_timeout_s, 0, true);
    warmed = true;
    human << "warmup: " << g.registered() << "/" << g.users() << " registered in "
          << Fmt("%.2f", warm.seconds) << " s (" << warm.sent << " requests, " << warm.challenged
          << " challenges, " << warm.timeouts << " timeouts";
    if (warm.Other() != 0) {
      human << ", " << warm.Other() << " other answers";
    }
    human << ")\n";
    if (g.disabled() != 0) {
      human << "warmup: " << g.disabled()
            << " users refused with a 4xx (wrong password or user?) are left out\n";
    }
    if (g.registered() == 0) {
      human << "sipfront-loadgen: no user registered in the warmup; check the target, the "
               "domain and the password\n";
      return 1;
    }
  }

  const uint64_t closed_c = std::min<uint64_t>(o.concurrency, g.users());
  int best = -1;
  int fixed = -1;  // --fixed-rate phase
  if (o.mode == LoadMode::kClosed) {
    phases.push_back(g.Run("closed", 0, closed_c, o.duration_s, o.count, false));
  } else if (o.mode == LoadMode::kOpen) {
    phases.push_back(g.Run("open", o.rate, 0, o.duration_s, o.count, false));
  } else {
    // Probe the closed-loop maximum, then bisect open-loop rates starting at 0.7x, below 1.5x of
    // it.
    phases.push_back(g.Run("probe", 0, closed_c, std::max(1.0, o.duration_s / 2), 0, false));
    PrintPhase(human, phases.back(), o.echo);
    const double x = std::max(1000.0, phases.back().OkRate());
    double lo = 0;
    double hi = 1.5 * x;
    double rate = 0.7 * x;
    bool retried = false;
    for (uint64_t step = 0; step < o.steps && !g_stop.load(); ++step) {
      g.Quiesce(200);
      PhaseStats s = g.Run("step" + std::to_string(step + 1), rate, 0, o.duration_s, 0, false);
      s.pass = StepPasses(s, o);
      PrintPhase(human, s, o.echo);
      human << "  -> " << (s.pass ? "pass" : "fail") << "\n";
      if (!s.pass && s.Contended() && !retried) {
        // A shared machine: the failure may be another process's doing. One more try.
        human << "  (contended: repeating the step once)\n";
        retried = true;
        s.name += "-contended";
        phases.push_back(std::move(s));
        --step;
        continue;
      }
      retried = false;
      if (s.pass) {
        lo = rate;
        best = static_cast<int>(phases.size());
      } else {
        hi = rate;
      }
      phases.push_back(std::move(s));
      rate = lo > 0 ? (lo + hi) / 2 : hi * 0.5;
      if (lo == 0 && rate < 1000) {
        break;
      }
    }
    if (o.fixed_rate > 0 && !g_stop.load()) {
      g.Quiesce(200);
      PhaseStats s = g.Run("fixed", o.fixed_rate, 0, o.duration_s, 0, false);
      s.pass = StepPasses(s, o);
      PrintPhase(human, s, o.echo);
      fixed = static_cast<int>(phases.size());
      phases.push_back(std::move(s));
    }
  }
  if (o.mode != LoadMode::kFindMax) {
    PrintPhase(human, phases.back(), o.echo);
  } else if (best >= 0) {
    const PhaseStats& b = phases[static_cast<std::size_t>(best)];
    human << "sustained: " << Fmt("%.0f", b.OkRate()) << "/s with "
          << Fmt("%.4f", 100 * b.FailureRate()) << "% failed (" << b.name << "), p50 "
          << Us(b.latency.Quantile(0.5)) << " us, p99 " << Us(b.latency.Quantile(0.99))
          << " us, p99.9 " << Us(b.latency.Quantile(0.999)) << " us\n";
  } else {
    human << "sustained: no open-loop step passed\n";
  }

  if (o.json) {
    std::string j = "{\"tool\":\"sipfront-loadgen\",\"label\":";
    AppendJsonString(j, o.label);
    j += ",\"kind\":";
    j += o.echo ? "\"echo\"" : "\"register\"";
    j += ",\"target\":";
    AppendJsonString(j, net::ToString(o.target));
    j += ",\"users\":" + std::to_string(g.users());
    j += ",\"sockets\":" + std::to_string(o.sockets);
    j += ",\"timeout_ms\":" + std::to_string(o.timeout_ms);
    j += ",\"max_loss\":" + Fmt("%.6f", o.max_loss);
    j += ",\"registered\":" + std::to_string(g.registered());
    j += ",\"disabled\":" + std::to_string(g.disabled());
    if (warmed) {
      j += ",\"warmup\":" + PhaseJson(warm);
    }
    j += ",\"phases\":[";
    for (std::size_t i = 0; i < phases.size(); ++i) {
      j += (i == 0 ? "" : ",") + PhaseJson(phases[i]);
    }
    j += "]";
    if (o.mode == LoadMode::kFindMax) {
      j += ",\"sustained\":";
      j += best >= 0 ? PhaseJson(phases[static_cast<std::size_t>(best)]) : "null";
      j += ",\"fixed\":";
      j += fixed >= 0 ? PhaseJson(phases[static_cast<std::size_t>(fixed)]) : "null";
    }
    j += "}";
    std::cout << j << "\n";
  }
  return 0;
}
