// sipfront-streamgen — SIP over TCP and TLS load on loopback: authenticated REGISTERs over
// established connections, connection set-up (TLS handshakes) per second, and the server's
// memory per idle connection. Loopback only (127.0.0.0/8, ::1): it refuses other targets.
//
// One thread, non-blocking sockets and epoll. TLS is an OpenSSL client that verifies nothing
// (the server's certificate is usually self-signed): TLS 1.3 by default, --tls-version 1.2
// pins 1.2. Every TLS record the client writes holds one SIP message, as a device's would;
// the records of one loop turn leave in one write().
//
// Modes:
//   * REGISTER (default): --connections C connections, user u on connection u % C. A warmup
//     registers every user (REGISTER, 401, REGISTER with digest MD5 qop=auth, 200); then a
//     closed loop runs for --duration seconds with one REGISTER outstanding per user (at most
//     --concurrency per connection). Each user keeps its Call-ID, increments its CSeq, reuses
//     the nonce of its last challenge with nc + 1 (RFC 7616 §3.4) and answers a new 401 at
//     once. Responses are framed by Content-Length on the stream (sip::Tokenize,
//     Framing::kStream): several per read, or one split over reads.
//   * --handshakes N: N connections, --parallel K at a time: connect, TLS handshake, one
//     CRLFCRLF ping answered by the server's CRLF pong (so that every counted handshake is
//     complete on both sides; --no-ping leaves it out), close.
//   * --idle N: after a few warm-up connections (the server's one-time TLS set-up is then not
//     counted), opens N connections (--parallel K at a time), each with a handshake and one
//     ping/pong, holds them idle, and with --server-pid reports the growth of the server's
//     VmRSS divided by N; then checks with one more ping each that they are still open, and
//     closes them.
// With --server-pid, every mode reports the server's CPU seconds (utime + stime from
// /proc/PID/stat) during the measured phase, and the rate per server CPU-second.
//
// Output: a human summary (stdout; stderr with --json) and, with --json, one JSON object on
// one line on stdout. Exit status 0 when the run completed (whatever it measured), 1 when
// nothing got through (no connection established, nobody registered, no handshake completed),
// 2 on bad arguments or local errors (epoll, file-descriptor limit, TLS context).
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
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
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
    "usage: sipfront-streamgen --target HOST:PORT --transport tcp|tls --domain D --password PW\n"
    "                          [--users N] [--connections C] [--duration S] [options]\n"
    "       sipfront-streamgen --target HOST:PORT --transport tcp|tls --handshakes N [--parallel "
    "K]\n"
    "       sipfront-streamgen --target HOST:PORT --transport tcp|tls --idle N --server-pid PID\n"
    "The target must be loopback (127.0.0.0/8 or [::1]).\n"
    "Connections:\n"
    "  --transport T        tcp (default) or tls\n"
    "  --tls-version V      1.3 (default) or 1.2: the only version the client offers\n"
    "  --timeout-ms T       a request unanswered, or a connection not set up, after T ms fails\n"
    "                       (default 2000)\n"
    "REGISTER load (the default mode):\n"
    "  --users N            distinct users (default 1000), user u on connection u % C\n"
    "  --user-pattern P     user names: the run of '#' in P is the zero-padded index\n"
    "                       (default u#####)\n"
    "  --user-start K       first index (default 0)\n"
    "  --domain D           Request-URI and AOR domain (REGISTER sip:D)\n"
    "  --password PW        password of every user\n"
    "  --expires S          Expires of each REGISTER (default 3600)\n"
    "  --connections C      connections (default 1)\n"
    "  --concurrency K      at most K REGISTERs outstanding per connection (default: one per\n"
    "                       user of the connection)\n"
    "  --duration S         seconds of the measured closed loop (default 5)\n"
    "  --warmup-timeout S   bound of connecting plus the warmup (default 60)\n"
    "  --warmup-concurrency K  outstanding per connection in the warmup (default 256)\n"
    "Connection set-up:\n"
    "  --handshakes N       N sequential connect + handshake + ping/pong + close\n"
    "  --parallel K         connections being set up at once (default 1; --idle: 64)\n"
    "  --no-ping            --handshakes: close as soon as the client's handshake is done\n"
    "  --idle N             hold N connections idle and report the server's memory per one\n"
    "  --settle S           --idle: seconds to wait before reading the server's RSS (default 1)\n"
    "                       (--handshakes and --idle also stop at --duration when it is given)\n"
    "Server:\n"
    "  --server-pid P[,P]   report these processes' CPU seconds in the measured phase (and\n"
    "                       their VmRSS with --idle)\n"
    "  --server-cpu N       report how much of core N (the server's) other processes took, and\n"
    "                       of this generator's core when it is pinned to one\n"
    "Output:\n"
    "  --json               one JSON line on stdout (the human summary goes to stderr)\n"
    "  --label L            a label copied into the JSON\n";

// ---------------------------------------------------------------------------------------------
// Time, signals, /proc, small helpers.

std::atomic<bool> g_stop{false};

void OnSignal(int /*sig*/) { g_stop.store(true, std::memory_order_relaxed); }

bool Stopped() { return g_stop.load(std::memory_order_relaxed); }

double Seconds(uint64_t ns) { return static_cast<double>(ns) / 1e9; }

// A "Key:   N kB" line of /proc/PID/status (VmRSS, RssAnon, ...), summed over `pids`, in kB;
// -1 when it cannot be read.
int64_t StatusKb(const std::vector<int>& pids, std::string_view key) {
  if (pids.empty()) {
    return -1;
  }
  int64_t total = 0;
  for (int pid : pids) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    int64_t kb = -1;
    while (std::getline(f, line)) {
      if (line.size() > key.size() && line.compare(0, key.size(), key) == 0 &&
          line[key.size()] == ':') {
        kb = std::strtoll(line.c_str() + key.size() + 1, nullptr, 10);
        break;
      }
    }
    if (kb < 0) {
      return -1;
    }
    total += kb;
  }
  return total;
}

// The core this process is pinned to, or -1 when it may run on several.
int PinnedCore() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0 || CPU_COUNT(&set) != 1) {
    return -1;
  }
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &set)) {
      return c;
    }
  }
  return -1;
}

// How much of the server's core (--server-cpu) and of this generator's core (when pinned to
// one) other processes took during a phase: the core's busy time less the server's (or this
// process's) own CPU time, as a fraction of the wall time. NaN when not measured.
class CoreWatch {
 public:
  CoreWatch(int server_core, int client_core)
      : server_core_(server_core), client_core_(client_core), t0_(ReadCpuTimes().busy) {}
  void Finish(double wall, double cpu_self, double cpu_server, double& server_others,
              double& client_others) const {
    const std::vector<double> t1 = ReadCpuTimes().busy;
    auto delta = [&](int c) {
      const auto i = static_cast<std::size_t>(c);
      return c >= 0 && i < t0_.size() && i < t1.size() ? t1[i] - t0_[i] : NAN;
    };
    server_others = server_core_ >= 0 && cpu_server >= 0 && wall > 0
                        ? std::max(0.0, delta(server_core_) - cpu_server) / wall
                        : NAN;
    client_others =
        client_core_ >= 0 && wall > 0 ? std::max(0.0, delta(client_core_) - cpu_self) / wall : NAN;
  }

 private:
  int server_core_;
  int client_core_;
  std::vector<double> t0_;
};

// Builds one JSON object: {"k":v,...}.
class JsonObject {
 public:
  JsonObject& Num(std::string_view k, double v, const char* format = "%.0f") {
    Key(k);
    j_ += std::isfinite(v) ? Fmt(format, v) : "null";
    return *this;
  }
  JsonObject& Int(std::string_view k, int64_t v) {
    Key(k);
    j_ += std::to_string(v);
    return *this;
  }
  JsonObject& Str(std::string_view k, std::string_view v) {
    Key(k);
    AppendJsonString(j_, v);
    return *this;
  }
  JsonObject& Bool(std::string_view k, bool v) {
    Key(k);
    j_ += v ? "true" : "false";
    return *this;
  }
  JsonObject& Raw(std::string_view k, std::string_view json) {
    Key(k);
    j_ += json;
    return *this;
  }
  [[nodiscard]] std::string Done() const { return j_ + "}"; }

 private:
  void Key(std::string_view k) {
    j_ += j_.size() == 1 ? "" : ",";
    AppendJsonString(j_, k);
    j_ += ':';
  }
  std::string j_ = "{";
};

// Latency percentiles of a histogram (ns) in µs, for the JSON line and the human summary.
std::string LatencyJson(const Histogram& h) {
  return JsonObject()
      .Int("samples", static_cast<int64_t>(h.total()))
      .Raw("p50", Us(h.Quantile(0.5)))
      .Raw("p90", Us(h.Quantile(0.9)))
      .Raw("p99", Us(h.Quantile(0.99)))
      .Raw("p999", Us(h.Quantile(0.999)))
      .Raw("max", Us(h.max()))
      .Done();
}

std::string LatencyText(const Histogram& h) {
  return "p50 " + Us(h.Quantile(0.5)) + "  p90 " + Us(h.Quantile(0.9)) + "  p99 " +
         Us(h.Quantile(0.99)) + "  p99.9 " + Us(h.Quantile(0.999)) + "  max " + Us(h.max()) +
         "  (" + std::to_string(h.total()) + " samples)";
}

// ---------------------------------------------------------------------------------------------
// Options.

enum class Mode : uint8_t { kRegister, kHandshakes, kIdle };

struct Options {
  net::Endpoint target;
  bool have_target = false;
  bool tls = false;
  int tls_version = 13;  // 12 or 13
  bool tls_version_given = false;
  Mode mode = Mode::kRegister;
  std::string domain;
  std::string password;
  std::string user_pattern = "u#####";
  uint64_t users = 1000;
  uint64_t user_start = 0;
  uint64_t expires = 3600;
  uint64_t connections = 1;
  uint64_t concurrency = 0;  // per connection; 0: every user of the connection
  double duration_s = 5;
  bool duration_given = false;
  double warmup_timeout_s = 60;
  uint64_t warmup_concurrency = 256;
  uint64_t timeout_ms = 2000;
  uint64_t handshakes = 0;
  uint64_t idle = 0;
  uint64_t parallel = 0;  // 0: the mode's default
  bool ping = true;
  double settle_s = 1;
  std::vector<int> server_pids;
  int server_cpu = -1;  // the core the server is pinned to (reporting only)
  int client_cpu = -1;  // this generator's core, when pinned to one
  bool json = false;
  std::string label;
};

constexpr std::size_t kMaxRequest = 2048;
constexpr std::size_t kMaxResponse = 65535;   // a larger response is a framing error here
constexpr std::size_t kReadChunk = 16384;     // room made in the rx buffer before each read
constexpr uint64_t kRetryDelayNs = 50000000;  // a user answered >= 300 waits this long

// Returns an empty string when the options are good, else the reason.
std::string ParseOptions(int argc, char** argv, Options& o) {
  bool handshakes = false;
  bool idle = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    const char* v = nullptr;
    auto value = [&]() {
      if (i + 1 >= argc) {
        return false;
      }
      v = argv[++i];
      return true;
    };
    auto u64 = [&](uint64_t& out, uint64_t lo, uint64_t hi) {
      return value() && ParseU64(v, out) && out >= lo && out <= hi;
    };
    auto dbl = [&](double& out) { return value() && ParseDouble(v, out); };
    bool ok = true;
    if (a == "--target") {
      ok = value();
      if (ok) {
        absl::StatusOr<net::Endpoint> e = net::ParseEndpoint(v);
        if (!e.ok()) {
          return "--target: " + std::string(e.status().message());
        }
        o.target = *e;
        o.have_target = true;
      }
    } else if (a == "--transport") {
      ok = value() && (std::string_view(v) == "tcp" || std::string_view(v) == "tls");
      o.tls = ok && std::string_view(v) == "tls";
    } else if (a == "--tls-version") {
      ok = value() && (std::string_view(v) == "1.2" || std::string_view(v) == "1.3");
      o.tls_version = ok && std::string_view(v) == "1.2" ? 12 : 13;
      o.tls_version_given = true;
    } else if (a == "--domain") {
      ok = value();
      o.domain = ok ? v : "";
    } else if (a == "--password") {
      ok = value();
      o.password = ok ? v : "";
    } else if (a == "--user-pattern") {
      ok = value();
      o.user_pattern = ok ? v : "";
    } else if (a == "--users") {
      ok = u64(o.users, 1, 10000000);
    } else if (a == "--user-start") {
      ok = u64(o.user_start, 0, 1000000000000ull);
    } else if (a == "--expires") {
      ok = u64(o.expires, 0, 86400);
    } else if (a == "--connections") {
      ok = u64(o.connections, 1, 1000000);
    } else if (a == "--concurrency") {
      ok = u64(o.concurrency, 1, 10000000);
    } else if (a == "--duration") {
      ok = dbl(o.duration_s) && o.duration_s > 0 && o.duration_s <= 86400;
      o.duration_given = true;
    } else if (a == "--warmup-timeout") {
      ok = dbl(o.warmup_timeout_s) && o.warmup_timeout_s > 0 && o.warmup_timeout_s <= 3600;
    } else if (a == "--warmup-concurrency") {
      ok = u64(o.warmup_concurrency, 1, 10000000);
    } else if (a == "--timeout-ms") {
      ok = u64(o.timeout_ms, 1, 600000);
    } else if (a == "--handshakes") {
      ok = u64(o.handshakes, 1, 100000000);
      handshakes = true;
    } else if (a == "--idle") {
      ok = u64(o.idle, 1, 10000000);
      idle = true;
    } else if (a == "--parallel") {
      ok = u64(o.parallel, 1, 100000);
    } else if (a == "--no-ping") {
      o.ping = false;
    } else if (a == "--settle") {
      ok = dbl(o.settle_s) && o.settle_s <= 600;
    } else if (a == "--server-pid") {
      ok = value();
      std::string_view rest = ok ? v : "";
      while (ok && !rest.empty()) {
        const std::size_t comma = rest.find(',');
        uint64_t pid = 0;
        ok = ParseU64(rest.substr(0, comma), pid) && pid > 0 && pid < (1u << 30);
        o.server_pids.push_back(static_cast<int>(pid));
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      }
    } else if (a == "--server-cpu") {
      uint64_t cpu = 0;
      ok = u64(cpu, 0, 4095);
      o.server_cpu = static_cast<int>(cpu);
    } else if (a == "--json") {
      o.json = true;
    } else if (a == "--label") {
      ok = value();
      o.label = ok ? v : "";
    } else {
      return "unknown argument " + std::string(a);
    }
    if (!ok) {
      return "bad or missing value for " + std::string(a);
    }
  }
  if (handshakes && idle) {
    return "--handshakes and --idle are separate runs";
  }
  o.mode = handshakes ? Mode::kHandshakes : idle ? Mode::kIdle : Mode::kRegister;
  if (o.parallel == 0) {
    o.parallel = o.mode == Mode::kIdle ? 64 : 1;
  }
  if (!o.have_target) {
    return "--target is required";
  }
  if (!IsLoopback(o.target)) {
    return "--target must be a loopback address (127.0.0.0/8 or [::1])";
  }
  if (o.tls_version_given && !o.tls) {
    return "--tls-version needs --transport tls";
  }
  if (o.mode == Mode::kRegister) {
    if (o.domain.empty()) {
      return "--domain is required";
    }
    if (o.password.empty()) {
      return "--password is required";
    }
    if (o.user_pattern.find('#') == std::string::npos) {
      return "--user-pattern needs a run of '#' for the index";
    }
    if (o.connections > o.users) {
      return "--connections must not exceed --users (each connection carries users)";
    }
  }
  return {};
}

// Raises the soft RLIMIT_NOFILE to `need` descriptors (at most the hard limit). Returns "" or
// the reason it cannot have them.
std::string RaiseFdLimit(uint64_t need) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
    return std::string("getrlimit: ") + std::strerror(errno);
  }
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
      return "needs " + std::to_string(need) + " file descriptors; the hard RLIMIT_NOFILE is " +
             std::to_string(rl.rlim_max) + " (raise it: ulimit -Hn)";
    }
    rl.rlim_cur = need;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
      return std::string("setrlimit(RLIMIT_NOFILE): ") + std::strerror(errno);
    }
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// Connections: non-blocking sockets on one epoll, TLS through OpenSSL with the socket as its read
// BIO (read-ahead on) and a memory BIO as its write BIO, whose bytes join the connection's
// output. All output leaves in Flush(), one write() per connection per loop turn.

enum class ConnState : uint8_t { kFree, kConnecting, kHandshaking, kOpen };

// Received plaintext, with kPadding readable bytes after it for sip::Tokenize. Grows without
// zeroing (a vector's resize would clear tens of kB per connection) and is kept for the next
// connection of its slot.
struct RxBuffer {
  std::unique_ptr<char[]> mem;
  std::size_t cap = 0;
  std::size_t len = 0;

  // Room for `more` bytes after len, plus the padding after them.
  void Reserve(std::size_t more) {
    const std::size_t need = len + more + sipfront::kPadding;
    if (need <= cap) {
      return;
    }
    const std::size_t n = std::max(cap * 2, need);
    std::unique_ptr<char[]> m(new char[n]);
    if (len != 0) {
      std::memcpy(m.get(), mem.get(), len);
    }
    mem = std::move(m);
    cap = n;
  }
  [[nodiscard]] char* data() const { return mem.get(); }
};

struct Conn {
  int fd = -1;
  SSL* ssl = nullptr;
  BIO* wbio = nullptr;
  ConnState state = ConnState::kFree;
  bool out_armed = false;  // EPOLLOUT requested
  bool flush_queued = false;
  uint64_t start_ns = 0;  // connect() called
  std::string port_text;  // local port, for Via and Contact
  RxBuffer rx;            // plaintext received, not yet consumed
  std::vector<char> tx;   // bytes for the socket (ciphertext on TLS)
  std::size_t tx_head = 0;
  // Mode state.
  uint32_t outstanding = 0;         // REGISTER: requests in flight
  bool pinged = false;              // --handshakes / --idle: ping sent, pong awaited
  bool held = false;                // --idle: set up, now held open
  bool listed = false;              // REGISTER: on the to-fill list
  std::vector<uint32_t> idle_ring;  // REGISTER: idle users of this connection, FIFO
  std::size_t ring_head = 0;
  std::size_t ring_count = 0;

  [[nodiscard]] std::size_t pending_out() const { return tx.size() - tx_head; }
};

// What a mode does with connection events.
class ConnHandler {
 public:
  virtual ~ConnHandler() = default;
  // The connection is set up (TCP connected; TLS handshake complete on the client's side).
  virtual void OnReady(uint32_t id) = 0;
  // conn.rx holds new plaintext (and whatever was left unconsumed before).
  virtual void OnData(uint32_t id) = 0;
  // The connection failed or the server closed it; it is freed after this returns.
  virtual void OnFailed(uint32_t id, std::string_view why) = 0;
};

class Engine {
 public:
  explicit Engine(const Options& o) : o_(o) {}
  ~Engine() {
    for (uint32_t i = 0; i < conns_.size(); ++i) {
      Free(i);
    }
    if (ep_ >= 0) {
      close(ep_);
    }
    if (ctx_ != nullptr) {
      SSL_CTX_free(ctx_);
    }
  }
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Sizes the table for `slots` connections and sets up epoll and the TLS context.
  std::string Init(std::size_t slots) {
    conns_.resize(slots);
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    if (ep_ < 0) {
      return std::string("epoll_create1: ") + std::strerror(errno);
    }
    if (!o_.tls) {
      return {};
    }
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (ctx_ == nullptr) {
      return "SSL_CTX_new failed";
    }
    // Loopback benchmark against a self-signed certificate: nothing is verified.
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
    const int version = o_.tls_version == 12 ? TLS1_2_VERSION : TLS1_3_VERSION;
    if (SSL_CTX_set_min_proto_version(ctx_, version) != 1 ||
        SSL_CTX_set_max_proto_version(ctx_, version) != 1) {
      return "cannot pin the TLS version";
    }
    // Every handshake is a full one: no client-side session cache, no resumption.
    SSL_CTX_set_session_cache_mode(ctx_, SSL_SESS_CACHE_OFF);
    // Read whatever the socket holds in one read(), not a record header and then its body.
    SSL_CTX_set_read_ahead(ctx_, 1);
    return {};
  }

  Conn& conn(uint32_t id) { return conns_[id]; }
  [[nodiscard]] std::size_t slots() const { return conns_.size(); }
  [[nodiscard]] std::string_view version() const { return version_; }
  [[nodiscard]] std::string_view cipher() const { return cipher_; }

  // Starts a connection in slot `id` (which must be free). Returns 0, or the errno (with `why`)
  // when the socket could not even be created or connect() failed at once.
  int Open(uint32_t id, std::string& why) {
    Conn& c = conns_[id];
    RxBuffer rx = std::move(c.rx);
    std::vector<char> tx = std::move(c.tx);
    c = Conn();
    c.rx = std::move(rx);
    c.rx.len = 0;
    c.tx = std::move(tx);
    c.tx.clear();
    c.start_ns = NowNs();
    c.fd = socket(o_.target.addr.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) {
      const int err = errno;
      why = std::string("socket: ") + std::strerror(err);
      return err;
    }
    const int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(c.fd, &o_.target.addr.sa, o_.target.len) != 0 && errno != EINPROGRESS) {
      const int err = errno;
      why = std::string("connect: ") + std::strerror(err);
      close(c.fd);
      c.fd = -1;
      return err;
    }
    c.state = ConnState::kConnecting;
    epoll_event ev{};
    ev.events = EPOLLOUT;
    ev.data.u32 = id;
    c.out_armed = true;
    if (epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev) != 0) {
      const int err = errno;
      why = std::string("epoll_ctl: ") + std::strerror(err);
      Free(id);
      return err;
    }
    return 0;
  }

  // Queues one message (one TLS record) on an open connection.
  void Send(uint32_t id, const char* data, std::size_t len) {
    Conn& c = conns_[id];
    if (c.state != ConnState::kOpen) {
      return;
    }
    if (c.ssl != nullptr) {
      ERR_clear_error();
      if (SSL_write(c.ssl, data, static_cast<int>(len)) <= 0) {
        ERR_clear_error();
        return;  // the memory BIO does not refuse: only a broken session gets here
      }
      DrainTls(c);
    } else {
      c.tx.insert(c.tx.end(), data, data + len);
    }
    QueueFlush(id);
  }

  // Closes now: a TLS connection sends close_notify first (best effort).
  void Close(uint32_t id) {
    Conn& c = conns_[id];
    if (c.state == ConnState::kFree) {
      return;
    }
    if (c.ssl != nullptr && c.state == ConnState::kOpen) {
      ERR_clear_error();
      SSL_shutdown(c.ssl);
      ERR_clear_error();
      DrainTls(c);
    }
    if (c.pending_out() != 0) {
      [[maybe_unused]] const ssize_t n =
          send(c.fd, c.tx.data() + c.tx_head, c.pending_out(), MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    Free(id);
  }

  // Writes every connection's queued output (one write() each).
  void Flush(ConnHandler& h) {
    for (std::size_t k = 0; k < flush_.size(); ++k) {
      const uint32_t id = flush_[k];
      Conn& c = conns_[id];
      c.flush_queued = false;
      if (c.state != ConnState::kFree) {
        FlushConn(id, h);
      }
    }
    flush_.clear();
  }

  // Waits up to `timeout_ms` for events and handles them, then flushes.
  void Poll(int timeout_ms, ConnHandler& h) {
    Flush(h);
    epoll_event events[256];
    const int n = epoll_wait(ep_, events, 256, timeout_ms);
    for (int k = 0; k < n; ++k) {
      const uint32_t id = events[k].data.u32;
      Conn& c = conns_[id];
      const uint32_t ev = events[k].events;
      if (c.state == ConnState::kFree) {
        continue;
      }
      if (c.state == ConnState::kConnecting) {
        int err = 0;
        socklen_t len = sizeof(err);
        if (getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
          err = errno;
        }
        if (err != 0) {
          Fail(id, h, std::string("connect: ") + std::strerror(err));
          continue;
        }
        if ((ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) {
          continue;
        }
        Connected(id, h);
        continue;
      }
      if ((ev & EPOLLOUT) != 0 && c.pending_out() != 0) {
        if (!FlushConn(id, h)) {
          continue;
        }
      } else if ((ev & EPOLLOUT) != 0) {
        Arm(id, false);
      }
      if ((ev & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP)) != 0) {
        if (c.state == ConnState::kHandshaking) {
          Handshake(id, h);
        } else if (c.state == ConnState::kOpen) {
          Read(id, h);
        }
      }
    }
    Flush(h);
  }

  // Drops the consumed prefix of conn.rx.
  void Consume(uint32_t id, std::size_t n) {
    Conn& c = conns_[id];
    if (n >= c.rx.len) {
      c.rx.len = 0;
      return;
    }
    std::memmove(c.rx.data(), c.rx.data() + n, c.rx.len - n);
    c.rx.len -= n;
  }

 private:
  void Free(uint32_t id) {
    Conn& c = conns_[id];
    if (c.ssl != nullptr) {
      SSL_free(c.ssl);  // frees both BIOs
      c.ssl = nullptr;
      c.wbio = nullptr;
    }
    if (c.fd >= 0) {
      close(c.fd);  // also leaves the epoll set
      c.fd = -1;
    }
    c.state = ConnState::kFree;
    c.rx.len = 0;  // the buffers stay for the slot's next connection
    c.tx.clear();
    c.tx_head = 0;
  }

  void Fail(uint32_t id, ConnHandler& h, const std::string& why) {
    h.OnFailed(id, why);
    Free(id);
  }

  void QueueFlush(uint32_t id) {
    Conn& c = conns_[id];
    if (!c.flush_queued) {
      c.flush_queued = true;
      flush_.push_back(id);
    }
  }

  void Arm(uint32_t id, bool out) {
    Conn& c = conns_[id];
    if (c.out_armed == out) {
      return;
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | (out ? EPOLLOUT : 0u);
    ev.data.u32 = id;
    epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
    c.out_armed = out;
  }

  void Connected(uint32_t id, ConnHandler& h) {
    Conn& c = conns_[id];
    net::Endpoint local;
    local.len = sizeof(local.addr);
    getsockname(c.fd, &local.addr.sa, &local.len);
    c.port_text = std::to_string(local.port());
    if (local_host_[0] == '\0') {
      local.FormatHost(local_host_);
    }
    c.out_armed = true;
    Arm(id, false);
    if (!o_.tls) {
      c.state = ConnState::kOpen;
      h.OnReady(id);
      return;
    }
    c.ssl = SSL_new(ctx_);
    BIO* rbio = c.ssl == nullptr ? nullptr : BIO_new_socket(c.fd, BIO_NOCLOSE);
    c.wbio = rbio == nullptr ? nullptr : BIO_new(BIO_s_mem());
    if (c.wbio == nullptr) {
      BIO_free(rbio);
      Fail(id, h, "out of memory (SSL_new)");
      return;
    }
    SSL_set_bio(c.ssl, rbio, c.wbio);
    SSL_set_connect_state(c.ssl);
    SSL_set_tlsext_host_name(c.ssl, "localhost");
    c.state = ConnState::kHandshaking;
    Handshake(id, h);
  }

  void Handshake(uint32_t id, ConnHandler& h) {
    Conn& c = conns_[id];
    ERR_clear_error();
    const int r = SSL_do_handshake(c.ssl);
    DrainTls(c);
    QueueFlush(id);
    if (r == 1) {
      c.state = ConnState::kOpen;
      if (version_.empty()) {
        version_ = SSL_get_version(c.ssl);
        cipher_ = SSL_get_cipher_name(c.ssl);
      }
      h.OnReady(id);
      if (c.state == ConnState::kOpen) {
        Read(id, h);  // read-ahead may already hold application data
      }
      return;
    }
    const int e = SSL_get_error(c.ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      return;
    }
    Fail(id, h, "handshake: " + TlsError(e, r));
  }

  // Reads everything the socket (and OpenSSL) holds into conn.rx, then hands it on.
  void Read(uint32_t id, ConnHandler& h) {
    Conn& c = conns_[id];
    bool eof = false;
    std::string why;
    while (true) {
      c.rx.Reserve(kReadChunk);
      char* at = c.rx.data() + c.rx.len;
      if (c.ssl != nullptr) {
        ERR_clear_error();
        const int r = SSL_read(c.ssl, at, static_cast<int>(kReadChunk));
        if (r > 0) {
          c.rx.len += static_cast<std::size_t>(r);
          continue;
        }
        const int e = SSL_get_error(c.ssl, r);
        DrainTls(c);  // e.g. a key update's answer
        if (c.pending_out() != 0) {
          QueueFlush(id);
        }
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
          break;
        }
        eof = true;
        why = e == SSL_ERROR_ZERO_RETURN ? "closed by the server (close_notify)" : TlsError(e, r);
        break;
      }
      const ssize_t r = recv(c.fd, at, kReadChunk, MSG_DONTWAIT);
      if (r > 0) {
        c.rx.len += static_cast<std::size_t>(r);
        continue;
      }
      if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        break;
      }
      eof = true;
      why = r == 0 ? "closed by the server" : std::string("recv: ") + std::strerror(errno);
      break;
    }
    if (c.rx.len != 0) {
      h.OnData(id);
    }
    if (eof && c.state != ConnState::kFree) {
      Fail(id, h, why);
    }
  }

  // Writes conn's output; false when the connection failed (and was freed).
  bool FlushConn(uint32_t id, ConnHandler& h) {
    Conn& c = conns_[id];
    while (c.pending_out() != 0) {
      const ssize_t r =
          send(c.fd, c.tx.data() + c.tx_head, c.pending_out(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (r > 0) {
        c.tx_head += static_cast<std::size_t>(r);
        continue;
      }
      if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        if (c.state != ConnState::kConnecting) {
          Arm(id, true);
        }
        return true;
      }
      Fail(id, h, std::string("send: ") + std::strerror(errno));
      return false;
    }
    c.tx.clear();
    c.tx_head = 0;
    if (c.state != ConnState::kConnecting) {
      Arm(id, false);
    }
    return true;
  }

  // Moves what OpenSSL wrote into the memory BIO to conn.tx.
  static void DrainTls(Conn& c) {
    while (true) {
      const int n = static_cast<int>(BIO_pending(c.wbio));
      if (n <= 0) {
        return;
      }
      const std::size_t at = c.tx.size();
      c.tx.resize(at + static_cast<std::size_t>(n));
      const int r = BIO_read(c.wbio, c.tx.data() + at, n);
      c.tx.resize(at + static_cast<std::size_t>(std::max(r, 0)));
      if (r <= 0) {
        return;
      }
    }
  }

  static std::string TlsError(int e, int r) {
    const unsigned long code = ERR_peek_last_error();
    std::string s;
    if (code != 0) {
      const char* reason = ERR_reason_error_string(code);
      s = reason != nullptr ? reason : "error " + std::to_string(code);
    } else if (e == SSL_ERROR_SYSCALL) {
      s = r == 0 || errno == 0 ? "closed by the server" : std::strerror(errno);
    } else if (e == SSL_ERROR_ZERO_RETURN) {
      s = "closed by the server (close_notify)";
    } else {
      s = "SSL error " + std::to_string(e);
    }
    ERR_clear_error();
    return s;
  }

 public:
  [[nodiscard]] const char* local_host() const { return local_host_; }

 private:
  const Options& o_;
  int ep_ = -1;
  SSL_CTX* ctx_ = nullptr;
  std::vector<Conn> conns_;
  std::vector<uint32_t> flush_;
  std::string version_;
  std::string cipher_;
  char local_host_[INET6_ADDRSTRLEN] = {};
};

// ---------------------------------------------------------------------------------------------
// REGISTER load.

struct RegStats {
  std::string name;
  uint64_t outstanding_cap = 0;  // per connection
  uint64_t sent = 0;
  uint64_t sent_auth = 0;
  uint64_t answered = 0;
  uint64_t ok = 0;
  uint64_t ok_in_window = 0;
  uint64_t challenged = 0;    // 401 to a request without credentials
  uint64_t rechallenged = 0;  // 401 to a request with credentials, not stale
  uint64_t stale = 0;
  uint64_t unusable_challenge = 0;
  uint64_t timeouts = 0;
  uint64_t late = 0;
  uint64_t lost = 0;  // outstanding on a connection that failed
  uint64_t conn_failed = 0;
  uint64_t unparsed = 0;
  uint64_t codes[700] = {};
  Histogram latency;
  double send_seconds = 0;
  double seconds = 0;
  double cpu_self = 0;
  double cpu_server = -1;
  double server_others = NAN;  // share of the server's core other processes took
  double client_others = NAN;  // share of the generator's core other processes took

  [[nodiscard]] double OkRate() const {
    return send_seconds > 0 ? static_cast<double>(ok) / send_seconds : 0;
  }
  [[nodiscard]] double WindowRate() const {
    return send_seconds > 0 ? static_cast<double>(ok_in_window) / send_seconds : 0;
  }
  [[nodiscard]] double PerServerCpu() const {
    return cpu_server > 0 ? static_cast<double>(ok) / cpu_server : NAN;
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

enum class SlotState : uint8_t { kIdle, kBusy };

struct Slot {
  uint64_t sent_ns = 0;
  uint32_t seq = 0;  // CSeq of the last request sent
  SlotState state = SlotState::kIdle;
  bool with_credentials = false;
  bool registered = false;
  bool disabled = false;  // refused for good (403, 404, ...) or its connection failed
};

class RegisterLoad : public ConnHandler {
 public:
  RegisterLoad(const Options& o, Engine& e) : o_(o), e_(e) {}

  void Init() {
    run_id_ = static_cast<uint32_t>(NowNs() ^ (static_cast<uint64_t>(getpid()) << 20));
    Writer w(run_hex_, sizeof(run_hex_));
    w.AppendHex(run_id_, 8);
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
    slots_.resize(names_.size());
    digest_.Reset(names_.size(), run_id_);
    uri_ = "sip:" + o_.domain;
    via_ = o_.tls ? "SIP/2.0/TLS " : "SIP/2.0/TCP ";
    contact_transport_ = o_.tls ? ";transport=tls>" : ";transport=tcp>";
    per_conn_ = (names_.size() + o_.connections - 1) / o_.connections;
  }

  // Opens every connection; bounded by `deadline`. Returns how many are open.
  uint64_t Connect(uint64_t deadline, double& seconds) {
    const uint64_t t0 = NowNs();
    for (uint32_t c = 0; c < o_.connections; ++c) {
      std::string why;
      if (e_.Open(c, why) != 0) {
        ConnFailed(c, why);
      }
    }
    while (ready_ + failed_conns_ < o_.connections && NowNs() < deadline && !Stopped()) {
      e_.Poll(5, *this);
    }
    for (uint32_t c = 0; c < o_.connections; ++c) {
      const ConnState s = e_.conn(c).state;
      if (s == ConnState::kConnecting || s == ConnState::kHandshaking) {
        ConnFailed(c, "not set up in time");
        e_.Close(c);
      }
    }
    seconds = Seconds(NowNs() - t0);
    return ready_;
  }

  // One phase: the warmup (until every user is registered) or the measured closed loop.
  RegStats Run(std::string name, double duration_s, bool warmup) {
    RegStats st;
    st.name = std::move(name);
    stats_ = &st;
    warmup_ = warmup;
    in_window_ = true;
    cap_ = warmup ? o_.warmup_concurrency : o_.concurrency;
    st.outstanding_cap = cap_;
    // Every idle usable user of each connection joins its ring (warmup: the unregistered).
    for (uint32_t c = 0; c < o_.connections; ++c) {
      Conn& conn = e_.conn(c);
      conn.idle_ring.assign(per_conn_, 0);
      conn.ring_head = 0;
      conn.ring_count = 0;
    }
    for (uint32_t u = 0; u < slots_.size(); ++u) {
      if (Usable(u)) {
        PushIdle(u);
      }
    }
    to_fill_.clear();
    delayed_.clear();
    for (uint32_t c = 0; c < o_.connections; ++c) {
      List(c);
    }
    const uint64_t timeout_ns = o_.timeout_ms * 1000000ull;
    const uint64_t scan_every_ns = std::clamp<uint64_t>(timeout_ns / 8, 1000000, 50000000);
    const uint64_t t0 = NowNs();
    const uint64_t send_end = t0 + static_cast<uint64_t>(duration_s * 1e9);
    const uint64_t hard_end = send_end + timeout_ns + 500000000ull;
    const double cpu0 = CpuSecondsSelf();
    const double srv0 = CpuSecondsOf(o_.server_pids);
    const CoreWatch cores(o_.server_cpu, o_.client_cpu);
    uint64_t next_scan = t0 + scan_every_ns;
    uint64_t stop_at = 0;
    bool sending = true;
    while (true) {
      const uint64_t now = NowNs();
      if (sending && (now >= send_end || Stopped() ||
                      (warmup && registered_ + disabled_ >= slots_.size()) || ready_ == 0)) {
        sending = false;
        in_window_ = false;
        stop_at = now;
      }
      if (!sending && (outstanding_ == 0 || now >= stop_at + timeout_ns)) {
        break;
      }
      if (now >= hard_end) {
        break;
      }
      if (now >= next_scan) {
        ExpireTimeouts(now, timeout_ns);
        next_scan = now + scan_every_ns;
      }
      while (!delayed_.empty() && delayed_.front().first <= now) {
        const uint32_t u = delayed_.front().second;
        delayed_.pop_front();
        if (Usable(u)) {
          PushIdle(u);
          List(ConnOf(u));
        }
      }
      if (sending) {
        Fill();
      }
      const uint64_t wait_ns = sending ? std::min(send_end - now, next_scan - now) : 1000000;
      e_.Poll(static_cast<int>(std::clamp<uint64_t>(wait_ns / 1000000, 0, 5)), *this);
    }
    const uint64_t t1 = NowNs();
    // Whatever is still outstanding now was never answered in time.
    ExpireTimeouts(UINT64_MAX / 2, 0);
    st.send_seconds = Seconds((stop_at != 0 ? stop_at : t1) - t0);
    st.seconds = Seconds(t1 - t0);
    st.cpu_self = CpuSecondsSelf() - cpu0;
    const double srv1 = CpuSecondsOf(o_.server_pids);
    st.cpu_server = srv0 >= 0 && srv1 >= 0 ? srv1 - srv0 : -1;
    cores.Finish(st.seconds, st.cpu_self, st.cpu_server, st.server_others, st.client_others);
    stats_ = nullptr;
    return st;
  }

  void CloseAll() {
    for (uint32_t c = 0; c < o_.connections; ++c) {
      e_.Close(c);
    }
  }

  [[nodiscard]] uint64_t registered() const { return registered_; }
  [[nodiscard]] uint64_t disabled() const { return disabled_; }
  [[nodiscard]] uint64_t ready() const { return ready_; }
  [[nodiscard]] uint64_t failed_conns() const { return failed_conns_; }
  [[nodiscard]] const std::map<std::string, uint64_t>& failures() const { return failures_; }
  [[nodiscard]] std::size_t users() const { return slots_.size(); }

  // --- ConnHandler ---------------------------------------------------------------------------

  void OnReady(uint32_t /*id*/) override { ++ready_; }

  void OnData(uint32_t id) override {
    Conn& c = e_.conn(id);
    std::size_t off = 0;
    while (off < c.rx.len) {
      const sip::ParseError err =
          sip::Tokenize(sipfront::PaddedView(c.rx.data() + off, c.rx.len - off, c.rx.cap - off),
                        sip::Framing::kStream, msg_, kMaxResponse);
      if (err == sip::ParseError::kIncomplete) {
        break;
      }
      if (err == sip::ParseError::kKeepalive) {
        off += msg_.size;
        continue;
      }
      if (err != sip::ParseError::kOk) {
        // The stream cannot be re-synchronised: drop the connection.
        if (stats_ != nullptr) {
          ++stats_->unparsed;
        }
        e_.Consume(id, c.rx.len);
        OnFailed(id, "unframeable bytes from the server");
        e_.Close(id);
        return;
      }
      HandleResponse(id);
      off += msg_.size;
    }
    e_.Consume(id, off);
    List(id);
  }

  void OnFailed(uint32_t id, std::string_view why) override {
    if (e_.conn(id).state == ConnState::kOpen) {
      --ready_;
    }
    ConnFailed(id, why);
  }

 private:
  [[nodiscard]] uint32_t ConnOf(uint32_t u) const {
    return static_cast<uint32_t>(u % o_.connections);
  }

  [[nodiscard]] bool Usable(uint32_t u) const {
    const Slot& s = slots_[u];
    return s.state == SlotState::kIdle && !s.disabled && !(warmup_ && s.registered);
  }

  void PushIdle(uint32_t u) {
    Conn& c = e_.conn(ConnOf(u));
    const std::size_t cap = c.idle_ring.size();
    if (c.ring_count == cap) {
      return;  // cannot happen: a user is in its ring at most once
    }
    c.idle_ring[(c.ring_head + c.ring_count) % cap] = u;
    ++c.ring_count;
  }

  void List(uint32_t id) {
    Conn& c = e_.conn(id);
    if (!c.listed && c.ring_count != 0) {
      c.listed = true;
      to_fill_.push_back(id);
    }
  }

  void ConnFailed(uint32_t id, std::string_view why) {
    ++failed_conns_;
    ++failures_[std::string(why)];
    if (stats_ != nullptr) {
      ++stats_->conn_failed;
    }
    // Its users are out of the run; those in flight are lost.
    for (uint32_t u = id; u < slots_.size(); u += static_cast<uint32_t>(o_.connections)) {
      Slot& s = slots_[u];
      if (s.state == SlotState::kBusy) {
        s.state = SlotState::kIdle;
        --outstanding_;
        if (stats_ != nullptr) {
          ++stats_->lost;
        }
      }
      if (!s.disabled) {
        s.disabled = true;
        ++disabled_;
      }
    }
    Conn& c = e_.conn(id);
    c.ring_count = 0;
    c.outstanding = 0;
  }

  // Sends from every listed connection until its cap or its idle users run out.
  void Fill() {
    std::vector<uint32_t> list;
    list.swap(to_fill_);
    for (const uint32_t id : list) {
      Conn& c = e_.conn(id);
      c.listed = false;
      while (c.state == ConnState::kOpen && c.ring_count != 0 &&
             (cap_ == 0 || c.outstanding < cap_)) {
        const uint32_t u = c.idle_ring[c.ring_head];
        c.ring_head = (c.ring_head + 1) % c.idle_ring.size();
        --c.ring_count;
        if (!Usable(u)) {
          continue;
        }
        Send(u);
      }
    }
    list.clear();
    if (to_fill_.empty()) {
      to_fill_.swap(list);  // keep the capacity
    }
  }

  void Send(uint32_t u) {
    const uint32_t id = ConnOf(u);
    Slot& slot = slots_[u];
    ++slot.seq;
    char buf[kMaxRequest];
    const std::size_t len = BuildRegister(u, id, buf, slot.with_credentials);
    if (len == 0) {
      return;  // an over-long user name or nonce: never sent
    }
    if (slot.state != SlotState::kBusy) {
      slot.state = SlotState::kBusy;
      ++outstanding_;
      ++e_.conn(id).outstanding;
    }
    slot.sent_ns = NowNs();
    e_.Send(id, buf, len);
    ++stats_->sent;
    stats_->sent_auth += slot.with_credentials ? 1 : 0;
  }

  void Complete(uint32_t u, uint16_t code, uint64_t now) {
    Slot& slot = slots_[u];
    ++stats_->answered;
    ++stats_->codes[code < 700 ? code : 0];
    if (!warmup_ && slot.with_credentials) {
      stats_->latency.Record(now > slot.sent_ns ? now - slot.sent_ns : 0);
    }
    slot.state = SlotState::kIdle;
    --outstanding_;
    Conn& c = e_.conn(ConnOf(u));
    --c.outstanding;
    if (!Usable(u)) {
      return;
    }
    if (code >= 300) {
      // A 503 (or a 423, 429, 500) is not asked again at once: the user waits, so that a
      // server shedding load is not answered with a busy loop.
      delayed_.emplace_back(now + kRetryDelayNs, u);
      return;
    }
    PushIdle(u);
  }

  void ExpireTimeouts(uint64_t now, uint64_t timeout_ns) {
    for (uint32_t u = 0; u < slots_.size(); ++u) {
      Slot& s = slots_[u];
      if (s.state == SlotState::kBusy && now > s.sent_ns + timeout_ns) {
        s.state = SlotState::kIdle;
        --outstanding_;
        --e_.conn(ConnOf(u)).outstanding;
        ++stats_->timeouts;
        if (Usable(u)) {
          PushIdle(u);
          List(ConnOf(u));
        }
      }
    }
  }

  std::size_t BuildRegister(uint32_t u, uint32_t conn_id, char* out, bool& with_credentials) {
    const std::string& user = names_[u];
    const Slot& slot = slots_[u];
    const std::string& port = e_.conn(conn_id).port_text;
    Writer w(out, kMaxRequest);
    w.Append("REGISTER ");
    w.Append(uri_);
    w.Append(" SIP/2.0\r\nVia: ");
    w.Append(via_);
    w.Append(e_.local_host());
    w.Append(":");
    w.Append(port);
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
    w.Append(">\r\nCall-ID: sg");
    w.Append(std::string_view(run_hex_, 8));
    w.Append("-");
    w.AppendUint(u);
    w.Append("\r\nCSeq: ");
    w.AppendUint(slot.seq);
    w.Append(" REGISTER\r\nContact: <sip:");
    w.Append(user);
    w.Append("@");
    w.Append(e_.local_host());
    w.Append(":");
    w.Append(port);
    w.Append(contact_transport_);
    w.Append("\r\nExpires: ");
    w.AppendUint(o_.expires);
    w.Append("\r\n");
    with_credentials = digest_.Challenged(u);
    if (with_credentials) {
      digest_.AppendAuthorization(w, u, user, o_.password, uri_);
    }
    w.Append("User-Agent: sipfront-streamgen\r\nContent-Length: 0\r\n\r\n");
    return w.size();
  }

  // The user index from "sg<run>-<index>", or -1.
  [[nodiscard]] int64_t UserOf(std::string_view call_id) const {
    return UserOfCallId(call_id, "sg", std::string_view(run_hex_, 8), slots_.size());
  }

  void HandleResponse(uint32_t conn_id) {
    if (stats_ == nullptr) {
      return;  // between phases: nothing is outstanding
    }
    if (msg_.kind != sip::MessageKind::kResponse || !msg_.Has(sip::HeaderId::kCSeq)) {
      ++stats_->unparsed;
      return;
    }
    const int64_t user = UserOf(msg_.call_id);
    if (user < 0 || ConnOf(static_cast<uint32_t>(user)) != conn_id) {
      ++stats_->unparsed;
      return;
    }
    const auto u = static_cast<uint32_t>(user);
    Slot& slot = slots_[u];
    if (slot.state != SlotState::kBusy || slot.seq != msg_.cseq.seq) {
      ++stats_->late;
      return;
    }
    const uint16_t code = msg_.status_code;
    if (code < 200) {
      return;
    }
    const uint64_t now = NowNs();
    if (code == 401) {
      const bool was_auth = slot.with_credentials;
      bool stale = false;
      const bool usable = digest_.TakeChallenge(msg_, u, stale);
      if (was_auth) {
        ++(stale ? stats_->stale : stats_->rechallenged);
      } else {
        ++stats_->challenged;
      }
      ++stats_->answered;
      ++stats_->codes[401];
      if (usable) {
        // Answer the challenge at once on the same connection, as a UA does.
        slot.state = SlotState::kIdle;
        --outstanding_;
        --e_.conn(conn_id).outstanding;
        Send(u);
      } else {
        ++stats_->unusable_challenge;
        Complete(u, code, now);
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
  Engine& e_;
  uint32_t run_id_ = 0;
  char run_hex_[8] = {};
  std::vector<std::string> names_;
  std::vector<Slot> slots_;
  DigestClient digest_;
  std::string uri_;
  std::string via_;
  std::string contact_transport_;
  std::vector<uint32_t> to_fill_;
  std::deque<std::pair<uint64_t, uint32_t>> delayed_;  // (when, user) after a failure answer
  std::size_t per_conn_ = 0;                           // users per connection, at most
  uint64_t cap_ = 0;
  uint64_t outstanding_ = 0;
  uint64_t registered_ = 0;
  uint64_t disabled_ = 0;
  uint64_t ready_ = 0;
  uint64_t failed_conns_ = 0;
  std::map<std::string, uint64_t> failures_;
  bool warmup_ = false;
  bool in_window_ = false;
  RegStats* stats_ = nullptr;
  sip::Message msg_;
};

// ---------------------------------------------------------------------------------------------
// Connection set-up: --handshakes and --idle.

struct SetupStats {
  std::string name;
  uint64_t attempted = 0;
  uint64_t completed = 0;  // set up (and pinged, when pinging)
  uint64_t failed = 0;
  std::map<std::string, uint64_t> failures;
  Histogram latency;  // connect() to set up (to the pong, when pinging)
  double seconds = 0;
  double cpu_self = 0;
  double cpu_server = -1;
  double server_others = NAN;
  double client_others = NAN;

  [[nodiscard]] double Rate() const {
    return seconds > 0 ? static_cast<double>(completed) / seconds : 0;
  }
  [[nodiscard]] double PerServerCpu() const {
    return cpu_server > 0 ? static_cast<double>(completed) / cpu_server : NAN;
  }
};

class Setup : public ConnHandler {
 public:
  Setup(const Options& o, Engine& e) : o_(o), e_(e) {}

  // Sets up `n` connections, `parallel` at a time, until `deadline`. `hold`: keep them open
  // (slots [0, n) of the engine), else close each one when set up.
  SetupStats Run(std::string name, uint64_t n, uint64_t parallel, uint64_t deadline, bool ping,
                 bool hold) {
    SetupStats st;
    st.name = std::move(name);
    stats_ = &st;
    ping_ = ping;
    hold_ = hold;
    free_.clear();
    const auto slots = static_cast<uint32_t>(hold ? n : std::min<uint64_t>(parallel, n));
    for (uint32_t i = slots; i > 0; --i) {
      free_.push_back(i - 1);
    }
    inflight_ = 0;
    const uint64_t timeout_ns = o_.timeout_ms * 1000000ull;
    const uint64_t t0 = NowNs();
    const double cpu0 = CpuSecondsSelf();
    const double srv0 = CpuSecondsOf(o_.server_pids);
    const CoreWatch cores(o_.server_cpu, o_.client_cpu);
    uint64_t next_scan = t0 + 10000000;
    while (true) {
      const uint64_t now = NowNs();
      const bool more = st.attempted < n && now < deadline && !Stopped();
      if (!more && inflight_ == 0) {
        break;
      }
      if (now >= deadline + timeout_ns) {
        break;
      }
      while (more && inflight_ < parallel && st.attempted < n && !free_.empty()) {
        const uint32_t id = free_.back();
        free_.pop_back();
        ++st.attempted;
        std::string why;
        const int err = e_.Open(id, why);
        if (err != 0) {
          ++st.failed;
          ++st.failures[why];
          free_.push_back(id);
          if (err == EMFILE || err == ENFILE || err == EADDRNOTAVAIL) {
            break;  // out of descriptors or ports: wait for a close before trying again
          }
          continue;
        }
        ++inflight_;
      }
      if (now >= next_scan) {
        for (uint32_t id = 0; id < slots; ++id) {
          const Conn& c = e_.conn(id);
          const bool setting_up = c.state == ConnState::kConnecting ||
                                  c.state == ConnState::kHandshaking ||
                                  (c.state == ConnState::kOpen && !c.held);
          if (setting_up && now > c.start_ns + timeout_ns) {
            OnFailed(id, "not set up within --timeout-ms");
            e_.Close(id);
          }
        }
        next_scan = now + 10000000;
      }
      e_.Poll(1, *this);
    }
    st.seconds = Seconds(NowNs() - t0);
    st.cpu_self = CpuSecondsSelf() - cpu0;
    const double srv1 = CpuSecondsOf(o_.server_pids);
    st.cpu_server = srv0 >= 0 && srv1 >= 0 ? srv1 - srv0 : -1;
    cores.Finish(st.seconds, st.cpu_self, st.cpu_server, st.server_others, st.client_others);
    stats_ = nullptr;
    return st;
  }

  // Sends one more ping on every held connection in [0, n) and counts the pongs (bounded by
  // `wait_s`).
  uint64_t PingAll(uint64_t n, double wait_s) {
    pongs_ = 0;
    uint64_t sent = 0;
    for (uint32_t id = 0; id < n; ++id) {
      Conn& c = e_.conn(id);
      if (c.state == ConnState::kOpen) {
        c.pinged = true;
        e_.Send(id, "\r\n\r\n", 4);
        ++sent;
      }
    }
    const uint64_t end = NowNs() + static_cast<uint64_t>(wait_s * 1e9);
    while (pongs_ < sent && NowNs() < end && !Stopped()) {
      e_.Poll(5, *this);
    }
    return pongs_;
  }

  // Keeps polling (noticing closes) for `s` seconds.
  void Idle(double s) {
    const uint64_t end = NowNs() + static_cast<uint64_t>(s * 1e9);
    while (NowNs() < end && !Stopped()) {
      e_.Poll(20, *this);
    }
  }

  // Connections open now.
  [[nodiscard]] uint64_t held() const {
    uint64_t n = 0;
    for (uint32_t id = 0; id < e_.slots(); ++id) {
      n += e_.conn(id).state == ConnState::kOpen ? 1 : 0;
    }
    return n;
  }
  [[nodiscard]] uint64_t lost_while_idle() const { return lost_idle_; }

  void CloseAll() {
    for (uint32_t id = 0; id < e_.slots(); ++id) {
      e_.Close(id);
    }
  }

  void OnReady(uint32_t id) override {
    if (ping_) {
      Conn& c = e_.conn(id);
      c.pinged = true;
      e_.Send(id, "\r\n\r\n", 4);
      return;
    }
    Done(id);
  }

  void OnData(uint32_t id) override {
    Conn& c = e_.conn(id);
    // The pong is "\r\n" (RFC 5626 §4.4.1); anything else the server sends is ignored.
    const std::string_view in(c.rx.data(), c.rx.len);
    const bool pong = c.pinged && in.find("\r\n") != std::string_view::npos;
    e_.Consume(id, c.rx.len);
    if (!pong) {
      return;
    }
    c.pinged = false;
    if (stats_ == nullptr) {
      ++pongs_;
      return;
    }
    Done(id);
  }

  void OnFailed(uint32_t id, std::string_view why) override {
    if (e_.conn(id).held || stats_ == nullptr) {
      ++lost_idle_;  // a held connection was closed
      return;
    }
    ++stats_->failed;
    ++stats_->failures[std::string(why)];
    Release(id);
  }

 private:
  void Done(uint32_t id) {
    ++stats_->completed;
    stats_->latency.Record(NowNs() - e_.conn(id).start_ns);
    if (hold_) {
      e_.conn(id).held = true;
      --inflight_;
      return;
    }
    e_.Close(id);
    Release(id);
  }

  // A connection being set up is gone (closed after use, or failed): its slot is free again.
  void Release(uint32_t id) {
    --inflight_;
    free_.push_back(id);
  }

  const Options& o_;
  Engine& e_;
  SetupStats* stats_ = nullptr;
  std::vector<uint32_t> free_;
  uint64_t inflight_ = 0;
  uint64_t pongs_ = 0;
  uint64_t lost_idle_ = 0;
  bool ping_ = true;
  bool hold_ = false;
};

// ---------------------------------------------------------------------------------------------
// Reporting.

std::string OthersText(double server_others, double client_others) {
  std::string s;
  if (server_others == server_others) {
    s += "other processes took " + Fmt("%.0f", 100 * server_others) + "% of the server core";
  }
  if (client_others == client_others) {
    s += (s.empty() ? "other processes took " : ", ") + Fmt("%.0f", 100 * client_others) +
         "% of the generator core";
  }
  return s;
}

std::string CpuText(double cpu_server, double wall, double count, const char* what) {
  if (cpu_server < 0) {
    return "";
  }
  std::string s = "server cpu " + Fmt("%.2f", cpu_server) + " s (" +
                  Fmt("%.0f", wall > 0 ? 100 * cpu_server / wall : 0) + "% of a core)";
  if (cpu_server > 0) {
    s += ", " + Fmt("%.0f", count / cpu_server) + " " + what + " per server cpu-second (" +
         Fmt("%.1f", 1e6 * cpu_server / std::max(count, 1.0)) + " us each)";
  }
  return s;
}

void PrintReg(std::ostream& out, const RegStats& s) {
  out << s.name << ": closed loop, ";
  if (s.outstanding_cap != 0) {
    out << "at most " << s.outstanding_cap << " outstanding per connection";
  } else {
    out << "one outstanding per user";
  }
  out << ", " << Fmt("%.2f", s.send_seconds) << " s\n";
  out << "  sent " << s.sent << " (" << s.sent_auth << " with credentials), 200 " << s.ok << " ("
      << Fmt("%.0f", s.OkRate()) << "/s)\n";
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
  out << "\n  timeouts " << s.timeouts << ", late " << s.late << ", lost with a connection "
      << s.lost << ", connections failed " << s.conn_failed << ", unparsed " << s.unparsed << "\n";
  if (s.latency.total() != 0) {
    out << "  latency us: " << LatencyText(s.latency) << "\n";
  }
  out << "  cpu: streamgen " << Fmt("%.0f", s.seconds > 0 ? 100 * s.cpu_self / s.seconds : 0)
      << "%";
  const std::string cpu = CpuText(s.cpu_server, s.seconds, static_cast<double>(s.ok), "REGISTER");
  if (!cpu.empty()) {
    out << "; " << cpu;
  }
  out << "\n";
  if (const std::string others = OthersText(s.server_others, s.client_others); !others.empty()) {
    out << "  " << others << "\n";
  }
}

std::string RegJson(const RegStats& s, const Options& o) {
  std::string codes = "{";
  for (int c = 100; c < 700; ++c) {
    if (s.codes[c] != 0) {
      codes += (codes.size() == 1 ? "\"" : ",\"") + std::to_string(c) +
               "\":" + std::to_string(s.codes[c]);
    }
  }
  codes += "}";
  return JsonObject()
      .Str("name", s.name)
      .Int("concurrency_per_connection", static_cast<int64_t>(s.outstanding_cap))
      .Num("seconds", s.send_seconds, "%.3f")
      .Num("wall", s.seconds, "%.3f")
      .Int("sent", static_cast<int64_t>(s.sent))
      .Int("sent_auth", static_cast<int64_t>(s.sent_auth))
      .Int("answered", static_cast<int64_t>(s.answered))
      .Int("ok", static_cast<int64_t>(s.ok))
      .Int("ok_in_window", static_cast<int64_t>(s.ok_in_window))
      .Int("challenged", static_cast<int64_t>(s.challenged))
      .Int("stale", static_cast<int64_t>(s.stale))
      .Int("rechallenged", static_cast<int64_t>(s.rechallenged))
      .Int("timeouts", static_cast<int64_t>(s.timeouts))
      .Int("late", static_cast<int64_t>(s.late))
      .Int("lost", static_cast<int64_t>(s.lost))
      .Int("connections_failed", static_cast<int64_t>(s.conn_failed))
      .Int("unparsed", static_cast<int64_t>(s.unparsed))
      .Int("other", static_cast<int64_t>(s.Other()))
      .Raw("codes", codes)
      .Num("ok_rate", s.OkRate(), "%.1f")
      .Num("window_rate", s.WindowRate(), "%.1f")
      .Raw("latency_us", LatencyJson(s.latency))
      .Num("cpu_streamgen", s.cpu_self, "%.3f")
      .Num("cpu_server", s.cpu_server, "%.3f")
      .Num("per_server_cpu_second", s.PerServerCpu(), "%.1f")
      .Int("server_core", o.server_cpu)
      .Int("client_core", o.client_cpu)
      .Num("server_core_others", s.server_others, "%.3f")
      .Num("client_core_others", s.client_others, "%.3f")
      .Done();
}

std::string FailuresText(const std::map<std::string, uint64_t>& f) {
  std::string s;
  for (const auto& [why, n] : f) {
    s += (s.empty() ? "" : "; ") + why + " x" + std::to_string(n);
  }
  return s;
}

std::string FailuresJson(const std::map<std::string, uint64_t>& f) {
  JsonObject j;
  for (const auto& [why, n] : f) {
    j.Int(why, static_cast<int64_t>(n));
  }
  return j.Done();
}

void PrintSetup(std::ostream& out, const SetupStats& s, const char* what) {
  out << s.name << ": " << s.completed << " of " << s.attempted << " " << what << " in "
      << Fmt("%.2f", s.seconds) << " s (" << Fmt("%.0f", s.Rate()) << "/s), " << s.failed
      << " failed";
  if (!s.failures.empty()) {
    out << " (" << FailuresText(s.failures) << ")";
  }
  out << "\n";
  if (s.latency.total() != 0) {
    out << "  set-up latency us: " << LatencyText(s.latency) << "\n";
  }
  out << "  cpu: streamgen " << Fmt("%.0f", s.seconds > 0 ? 100 * s.cpu_self / s.seconds : 0)
      << "%";
  const std::string cpu = CpuText(s.cpu_server, s.seconds, static_cast<double>(s.completed), what);
  if (!cpu.empty()) {
    out << "; " << cpu;
  }
  out << "\n";
  if (const std::string others = OthersText(s.server_others, s.client_others); !others.empty()) {
    out << "  " << others << "\n";
  }
}

std::string SetupJson(const SetupStats& s, const Options& o) {
  return JsonObject()
      .Str("name", s.name)
      .Int("attempted", static_cast<int64_t>(s.attempted))
      .Int("completed", static_cast<int64_t>(s.completed))
      .Int("failed", static_cast<int64_t>(s.failed))
      .Raw("failures", FailuresJson(s.failures))
      .Num("seconds", s.seconds, "%.3f")
      .Num("rate", s.Rate(), "%.1f")
      .Raw("latency_us", LatencyJson(s.latency))
      .Num("cpu_streamgen", s.cpu_self, "%.3f")
      .Num("cpu_server", s.cpu_server, "%.3f")
      .Num("per_server_cpu_second", s.PerServerCpu(), "%.1f")
      .Int("server_core", o.server_cpu)
      .Int("client_core", o.client_cpu)
      .Num("server_core_others", s.server_others, "%.3f")
      .Num("client_core_others", s.client_others, "%.3f")
      .Done();
}

// ---------------------------------------------------------------------------------------------
// Modes.

JsonObject JsonHead(const Options& o, const char* mode) {
  JsonObject j;
  j.Str("tool", "sipfront-streamgen")
      .Str("label", o.label)
      .Str("mode", mode)
      .Str("transport", o.tls ? "tls" : "tcp")
      .Str("tls_version", o.tls ? (o.tls_version == 12 ? "1.2" : "1.3") : "")
      .Str("target", net::ToString(o.target));
  return j;
}

int RunRegister(const Options& o, std::ostream& human) {
  Engine e(o);
  if (const std::string err = e.Init(o.connections); !err.empty()) {
    std::cerr << "sipfront-streamgen: " << err << "\n";
    return 2;
  }
  RegisterLoad load(o, e);
  load.Init();
  human << "sipfront-streamgen: REGISTER load over " << (o.tls ? "TLS" : "TCP") << " on "
        << net::ToString(o.target) << " (domain " << o.domain << "), " << load.users()
        << " users on " << o.connections << " connection(s), timeout " << o.timeout_ms << " ms\n";
  const uint64_t deadline = NowNs() + static_cast<uint64_t>(o.warmup_timeout_s * 1e9);
  double connect_s = 0;
  const uint64_t ready = load.Connect(deadline, connect_s);
  human << "connect: " << ready << "/" << o.connections << " connections set up in "
        << Fmt("%.3f", connect_s) << " s";
  if (o.tls && !e.version().empty()) {
    human << " (" << e.version() << ", " << e.cipher() << ")";
  }
  if (!load.failures().empty()) {
    human << "; failed: " << FailuresText(load.failures());
  }
  human << "\n";
  // The JSON line comes out whatever happened, so that a script sees why a phase failed.
  auto json = [&](const RegStats* warm, const RegStats* measured) {
    if (!o.json) {
      return;
    }
    JsonObject j = JsonHead(o, "register");
    j.Str("tls_negotiated", e.version())
        .Str("cipher", e.cipher())
        .Int("users", static_cast<int64_t>(load.users()))
        .Int("connections", static_cast<int64_t>(o.connections))
        .Int("connections_ready", static_cast<int64_t>(ready))
        .Num("connect_seconds", connect_s, "%.3f")
        .Raw("connect_failures", FailuresJson(load.failures()))
        .Int("registered", static_cast<int64_t>(load.registered()))
        .Int("disabled", static_cast<int64_t>(load.disabled()))
        .Raw("warmup", warm != nullptr ? RegJson(*warm, o) : "null")
        .Raw("measured", measured != nullptr ? RegJson(*measured, o) : "null");
    std::cout << j.Done() << "\n";
  };
  if (ready == 0) {
    human << "sipfront-streamgen: no connection could be set up\n";
    json(nullptr, nullptr);
    return 1;
  }
  const double left = std::max(0.5, Seconds(deadline - std::min(deadline, NowNs())));
  RegStats warm = load.Run("warmup", left, true);
  human << "warmup: " << load.registered() << "/" << load.users() << " registered in "
        << Fmt("%.2f", warm.seconds) << " s (" << warm.sent << " requests, " << warm.challenged
        << " challenges, " << warm.timeouts << " timeouts";
  if (warm.Other() != 0) {
    human << ", " << warm.Other() << " other answers";
  }
  if (warm.Other() != 0) {
    human << "; answers:";
    for (int c = 100; c < 700; ++c) {
      if (c != 401 && warm.codes[c] != 0) {
        human << " " << c << "x" << warm.codes[c];
      }
    }
  }
  human << ")\n";
  if (load.registered() == 0) {
    human << "sipfront-streamgen: no user registered in the warmup; check the target, the domain "
             "and the password\n";
    load.CloseAll();
    json(&warm, nullptr);
    return 1;
  }
  RegStats measured = load.Run("closed", o.duration_s, false);
  PrintReg(human, measured);
  load.CloseAll();
  json(&warm, &measured);
  return 0;
}

int RunHandshakes(const Options& o, std::ostream& human) {
  Engine e(o);
  if (const std::string err = e.Init(std::min(o.parallel, o.handshakes)); !err.empty()) {
    std::cerr << "sipfront-streamgen: " << err << "\n";
    return 2;
  }
  Setup setup(o, e);
  const char* what = o.tls ? "handshakes" : "connections";
  human << "sipfront-streamgen: " << o.handshakes << " " << (o.tls ? "TLS" : "TCP") << " " << what
        << " to " << net::ToString(o.target) << ", " << o.parallel << " at a time"
        << (o.ping ? ", each with a CRLFCRLF ping answered before the close" : "")
        << (o.duration_given ? ", at most " + Fmt("%.1f", o.duration_s) + " s" : "") << "\n";
  const uint64_t deadline =
      NowNs() + static_cast<uint64_t>((o.duration_given ? o.duration_s : 3600.0) * 1e9);
  SetupStats st = setup.Run(what, o.handshakes, o.parallel, deadline, o.ping, false);
  if (o.tls && !e.version().empty()) {
    human << "negotiated " << e.version() << ", " << e.cipher() << "\n";
  }
  PrintSetup(human, st, what);
  if (o.json) {
    JsonObject j = JsonHead(o, "handshakes");
    j.Str("tls_negotiated", e.version())
        .Str("cipher", e.cipher())
        .Int("parallel", static_cast<int64_t>(o.parallel))
        .Bool("ping", o.ping)
        .Raw("measured", SetupJson(st, o));
    std::cout << j.Done() << "\n";
  }
  return st.completed == 0 ? 1 : 0;
}

int RunIdle(const Options& o, std::ostream& human) {
  Engine e(o);
  if (const std::string err = e.Init(o.idle); !err.empty()) {
    std::cerr << "sipfront-streamgen: " << err << "\n";
    return 2;
  }
  Setup setup(o, e);
  human << "sipfront-streamgen: " << o.idle << " idle " << (o.tls ? "TLS" : "TCP")
        << " connections to " << net::ToString(o.target) << ", " << o.parallel
        << " set up at a time\n";
  // A few connections first: the server's one-time costs (OpenSSL's tables, first buffers)
  // then fall before the baseline.
  const uint64_t warm_deadline = NowNs() + 10000000000ull;
  const SetupStats warm =
      setup.Run("warm-up", std::min<uint64_t>(16, o.idle), 4, warm_deadline, true, false);
  if (warm.completed == 0) {
    human << "sipfront-streamgen: no warm-up connection could be set up ("
          << FailuresText(warm.failures) << ")\n";
    return 1;
  }
  setup.Idle(0.3);
  const int64_t rss0 = StatusKb(o.server_pids, "VmRSS");
  const int64_t anon0 = StatusKb(o.server_pids, "RssAnon");
  const uint64_t deadline =
      NowNs() + static_cast<uint64_t>((o.duration_given ? o.duration_s : o.warmup_timeout_s) * 1e9);
  SetupStats st = setup.Run("open", o.idle, o.parallel, deadline, true, true);
  if (o.tls && !e.version().empty()) {
    human << "negotiated " << e.version() << ", " << e.cipher() << "\n";
  }
  PrintSetup(human, st, "connections");
  setup.Idle(o.settle_s);
  const uint64_t held = setup.held();
  const int64_t rss1 = StatusKb(o.server_pids, "VmRSS");
  const int64_t anon1 = StatusKb(o.server_pids, "RssAnon");
  const uint64_t alive = setup.PingAll(o.idle, 5);
  const uint64_t lost = setup.lost_while_idle();
  setup.CloseAll();
  auto per_conn_of = [&](int64_t before_kb, int64_t after_kb) {
    return before_kb >= 0 && after_kb >= 0 && held != 0
               ? 1024.0 * static_cast<double>(after_kb - before_kb) / static_cast<double>(held)
               : NAN;
  };
  const double per_conn = per_conn_of(rss0, rss1);
  const double anon_per_conn = per_conn_of(anon0, anon1);
  human << "idle: " << held << " connections held for " << Fmt("%.1f", o.settle_s) << " s; "
        << alive << " answered a second ping, " << lost << " closed while idle\n";
  if (rss0 >= 0 && rss1 >= 0 && held != 0) {
    human << "  server VmRSS " << rss0 << " kB -> " << rss1 << " kB: " << Fmt("%.0f", per_conn)
          << " bytes per idle connection (RssAnon " << Fmt("%.0f", anon_per_conn) << ")\n";
  } else if (held == 0) {
    human << "  server memory per connection not measured: no connection was held\n";
  } else {
    human << "  server memory not measured (give --server-pid)\n";
  }
  if (o.json) {
    JsonObject j = JsonHead(o, "idle");
    j.Str("tls_negotiated", e.version())
        .Str("cipher", e.cipher())
        .Int("requested", static_cast<int64_t>(o.idle))
        .Int("parallel", static_cast<int64_t>(o.parallel))
        .Raw("measured", SetupJson(st, o))
        .Int("held", static_cast<int64_t>(held))
        .Int("alive_after", static_cast<int64_t>(alive))
        .Int("closed_while_idle", static_cast<int64_t>(lost))
        .Num("settle_seconds", o.settle_s, "%.2f")
        .Int("rss_before_kb", rss0)
        .Int("rss_after_kb", rss1)
        .Int("rss_anon_before_kb", anon0)
        .Int("rss_anon_after_kb", anon1)
        .Num("bytes_per_connection", per_conn, "%.0f")
        .Num("anon_bytes_per_connection", anon_per_conn, "%.0f");
    std::cout << j.Done() << "\n";
  }
  return st.completed == 0 ? 1 : 0;
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
    std::cerr << "sipfront-streamgen: " << err << "\n" << kUsage;
    return 2;
  }
  const uint64_t fds = o.mode == Mode::kRegister     ? o.connections
                       : o.mode == Mode::kHandshakes ? std::min(o.parallel, o.handshakes)
                                                     : o.idle;
  if (const std::string err = RaiseFdLimit(fds + 64); !err.empty()) {
    std::cerr << "sipfront-streamgen: " << err << "\n";
    return 2;
  }
  o.client_cpu = PinnedCore();
  struct sigaction sa = {};
  sa.sa_handler = OnSignal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::ostream& human = o.json ? std::cerr : std::cout;
  switch (o.mode) {
    case Mode::kRegister:
      return RunRegister(o, human);
    case Mode::kHandshakes:
      return RunHandshakes(o, human);
    case Mode::kIdle:
      return RunIdle(o, human);
  }
  return 2;
}
