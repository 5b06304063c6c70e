// StreamEngine (net/stream.h) against real sockets on loopback: a line-framing handler that
// echoes every line, plain blocking TCP clients (and an OpenSSL client in a thread for TLS).
// Covers accept and echo, framing in place versus copied partials, Close() and
// kCloseConnection after queued output, peer close, connection limits (total and per IP),
// the timers (message, idle, handshake), oversize, receive-buffer exhaustion, the completion
// eventfd, stale ConnRefs, TLS 1.3 / 1.2, TLS failures and Shutdown(). Every wait polls a
// condition under a deadline; the test thread drives the engine the way a worker does (Poll,
// Tick, Flush).
//
// Three tests pin engine defects found while writing them, since fixed (each says what it
// expects):
// MessageTimeoutRestartsWithEachMessage, ClosingConnectionToAPeerThatDoesNotReadIsBounded and
// DataBeforeCloseNotifyInOneSegmentIsHandled.
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "sipfront/net/endpoint.h"
#include "sipfront/net/stream.h"
#include "sipfront/net/tls.h"

namespace sipfront::net {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr int kDeadlineMs = 5000;

int64_t MillisSince(SteadyClock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - t).count();
}

Endpoint Loopback() {
  Endpoint e;
  e.addr.v4.sin_family = AF_INET;
  e.addr.v4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  e.len = sizeof(sockaddr_in);
  return e;
}

// ---------------------------------------------------------------------------------------------
// Plain TCP client: a blocking socket (optionally bound to a source address first), read with
// MSG_DONTWAIT by the fixture so the test thread can keep polling the engine in between.

class TcpClient {
 public:
  TcpClient(const Endpoint& to, const char* source_ip = nullptr, int rcvbuf = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
      return;
    }
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (rcvbuf > 0) {
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    }
    const timeval tv{5, 0};  // bounds every blocking call
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (source_ip != nullptr) {
      sockaddr_in src{};
      src.sin_family = AF_INET;
      ::inet_pton(AF_INET, source_ip, &src.sin_addr);
      if (::bind(fd_, reinterpret_cast<const sockaddr*>(&src), sizeof(src)) != 0) {
        Reset();
        return;
      }
    }
    // The test thread owns the engine's ring: io_uring task work for it (the accept of this
    // very connection) interrupts blocking calls here with EINTR. connect() then goes on in the
    // background: wait for it.
    if (::connect(fd_, &to.addr.sa, to.len) != 0 && !AwaitConnect()) {
      Reset();
      return;
    }
  }
  ~TcpClient() { Reset(); }
  TcpClient(const TcpClient&) = delete;
  TcpClient& operator=(const TcpClient&) = delete;

  [[nodiscard]] bool ok() const { return fd_ >= 0; }
  [[nodiscard]] int fd() const { return fd_; }

  bool Write(std::string_view s) const {
    while (!s.empty()) {
      const ssize_t n = ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        return false;
      }
      s.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // What is readable now is appended to `in`. Returns false once the peer closed (EOF, or a
  // reset).
  bool ReadSome() {
    char buf[65536];
    for (;;) {
      const ssize_t n = ::recv(fd_, buf, sizeof(buf), MSG_DONTWAIT);
      if (n > 0) {
        in.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        eof = true;
        return false;
      }
      return true;
    }
  }

  void Reset() {
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }

  std::string in;  // everything received so far
  bool eof = false;

 private:
  bool AwaitConnect() const {
    if (errno != EINTR && errno != EINPROGRESS) {
      return false;
    }
    for (int i = 0; i < 500; ++i) {  // 5 s
      pollfd p{fd_, POLLOUT, 0};
      if (::poll(&p, 1, 10) == 1) {
        int err = 0;
        socklen_t len = sizeof(err);
        return ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
      }
    }
    return false;
  }

  int fd_ = -1;
};

// ---------------------------------------------------------------------------------------------
// The handler: newline-terminated lines, one per OnData; "close\n" closes; every other line is
// echoed (or handed to `on_line` when set, which returns what OnData returns).

class LineHandler : public StreamHandler {
 public:
  struct Line {
    ConnRef ref;
    std::string text;
  };

  std::size_t OnData(const ConnInfo& conn, PaddedView in) override {
    ++calls;
    EXPECT_GT(in.size(), 0u);
    EXPECT_TRUE(in.HasPadding());
    // The promised padding must be readable (ASan checks the claim).
    padding_sink = in.data()[in.size() + kPadding - 1];
    const std::string_view v = in.view();
    const std::size_t nl = v.find('\n');
    if (nl == std::string_view::npos) {
      return 0;
    }
    const std::string_view line = v.substr(0, nl + 1);
    lines.push_back(Line{conn.ref, std::string(line)});
    last_ref = conn.ref;
    if (line == "close\n") {
      return kCloseConnection;
    }
    if (on_line) {
      return on_line(conn, line);
    }
    EXPECT_TRUE(engine->Send(conn.ref, line.data(), line.size()));
    return nl + 1;
  }

  void OnClosed(const ConnInfo& conn) override { closed.push_back(conn); }

  [[nodiscard]] int ClosedCount(ConnRef ref) const {
    int n = 0;
    for (const ConnInfo& c : closed) {
      n += c.ref == ref ? 1 : 0;
    }
    return n;
  }

  StreamEngine* engine = nullptr;
  std::function<std::size_t(const ConnInfo&, std::string_view)> on_line;
  std::vector<Line> lines;
  std::vector<ConnInfo> closed;
  ConnRef last_ref;
  uint64_t calls = 0;
  volatile char padding_sink = 0;
};

// ---------------------------------------------------------------------------------------------
// TLS material: one self-signed EC pair and context for the binary.

class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/sipfront_stream_XXXXXX";
    if (::mkdtemp(tmpl.data()) != nullptr) {
      path_ = tmpl;
    }
  }
  ~TempDir() {
    if (path_.empty()) {
      return;
    }
    if (DIR* d = ::opendir(path_.c_str())) {
      while (dirent* e = ::readdir(d)) {
        const std::string name = e->d_name;
        if (name != "." && name != "..") {
          std::remove((path_ + "/" + name).c_str());
        }
      }
      ::closedir(d);
    }
    ::rmdir(path_.c_str());
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] std::string File(std::string_view name) const {
    return path_ + "/" + std::string(name);
  }
  [[nodiscard]] bool ok() const { return !path_.empty(); }

 private:
  std::string path_;
};

class TlsMaterial : public ::testing::Environment {
 public:
  void SetUp() override {
    dir = std::make_unique<TempDir>();
    ASSERT_TRUE(dir->ok());
    const std::string cert = dir->File("c.crt");
    const std::string key = dir->File("c.key");
    const absl::Status st = TlsContext::GenerateSelfSigned(cert, key, "localhost", 1);
    ASSERT_TRUE(st.ok()) << st;
    TlsOptions o;
    o.certificate_file = cert;
    o.private_key_file = key;
    absl::StatusOr<std::unique_ptr<TlsContext>> c = TlsContext::Create(o);
    ASSERT_TRUE(c.ok()) << c.status();
    ctx = std::move(*c);
  }
  void TearDown() override {
    ctx.reset();
    dir.reset();
  }
  std::unique_ptr<TempDir> dir;
  std::unique_ptr<TlsContext> ctx;
};

TlsMaterial* const material =
    static_cast<TlsMaterial*>(::testing::AddGlobalTestEnvironment(new TlsMaterial));

// An OpenSSL client over a blocking socket, for a std::thread (the test thread polls the
// engine meanwhile). Every blocking call is bounded by the socket's 5 s timeouts.
class TlsClient {
 public:
  TlsClient(const Endpoint& to, int max_version) : tcp_(to) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
    if (max_version != 0) {
      SSL_CTX_set_max_proto_version(ctx_, max_version);
    }
    ssl_ = SSL_new(ctx_);
    if (tcp_.ok()) {
      SSL_set_fd(ssl_, tcp_.fd());
    }
  }
  ~TlsClient() {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
  }
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  bool Connect() {
    if (!tcp_.ok()) {
      return Fail("connect");
    }
    ERR_clear_error();
    return SSL_connect(ssl_) == 1 || Fail("SSL_connect");
  }
  bool Write(std::string_view s) {
    std::size_t n = 0;
    return (SSL_write_ex(ssl_, s.data(), s.size(), &n) == 1 && n == s.size()) || Fail("SSL_write");
  }
  // Reads until `want` bytes arrived in total.
  bool ReadUntil(std::size_t want) {
    char buf[4096];
    while (in.size() < want) {
      std::size_t n = 0;
      if (SSL_read_ex(ssl_, buf, sizeof(buf), &n) != 1) {
        return Fail("SSL_read");
      }
      in.append(buf, n);
    }
    return true;
  }
  // Reads until the peer's close_notify (true) or anything else ends the stream (false).
  bool ReadUntilCloseNotify() {
    char buf[4096];
    for (;;) {
      std::size_t n = 0;
      if (SSL_read_ex(ssl_, buf, sizeof(buf), &n) == 1) {
        in.append(buf, n);
        continue;
      }
      return SSL_get_error(ssl_, 0) == SSL_ERROR_ZERO_RETURN;
    }
  }
  [[nodiscard]] std::string version() const { return SSL_get_version(ssl_); }
  [[nodiscard]] SSL* ssl() const { return ssl_; }
  [[nodiscard]] int fd() const { return tcp_.fd(); }

  std::string in;
  std::string error;

 private:
  bool Fail(const char* what) {
    const unsigned long e = ERR_peek_error();
    error = std::string(what) + ": " +
            (ERR_reason_error_string(e) != nullptr ? ERR_reason_error_string(e) : "?");
    ERR_clear_error();
    return false;
  }

  TcpClient tcp_;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
};

// ---------------------------------------------------------------------------------------------

class StreamEngineTest : public ::testing::Test {
 protected:
  void TearDown() override {
    engine_.reset();  // before limits_ (the engine releases its connections into it)
    if (notify_fd_ >= 0) {
      ::close(notify_fd_);
    }
  }

  static StreamOptions Options() {
    StreamOptions o;
    o.bind = Loopback();
    o.rx_buffers = 64;
    o.rx_buffer_size = 4096;
    return o;
  }

  // Creates the engine under test with limits_ (total, per IP) unless `o.limits` is set.
  void Start(StreamOptions o, uint32_t max_total = 1000, uint32_t max_per_ip = 1000,
             int notify_fd = -1) {
    limits_ = std::make_unique<ConnectionLimits>(max_total, max_per_ip);
    o.limits = limits_.get();
    absl::StatusOr<std::unique_ptr<StreamEngine>> e = StreamEngine::Create(o, notify_fd);
    ASSERT_TRUE(e.ok()) << e.status();
    engine_ = std::move(*e);
    h_.engine = engine_.get();
    to_ = engine_->local();
    ASSERT_NE(to_.port(), 0);
  }

  // One pass of the worker loop.
  void Pump(bool tick = false) {
    engine_->Poll(h_);
    if (tick) {
      engine_->Tick(h_);
    }
    engine_->Flush();
  }

  // Pumps until `done()` holds or `ms` pass; returns done()'s last value.
  template <typename F>
  bool Until(F&& done, bool tick = false, int ms = kDeadlineMs) {
    const auto deadline = SteadyClock::now() + std::chrono::milliseconds(ms);
    for (;;) {
      Pump(tick);
      if (done()) {
        return true;
      }
      if (SteadyClock::now() >= deadline) {
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  // Pumps until the client holds at least `n` bytes.
  bool ReadN(TcpClient& c, std::size_t n) {
    return Until([&] {
      c.ReadSome();
      return c.in.size() >= n;
    });
  }
  // Pumps (or not: after Shutdown) until the client sees the connection end.
  bool ReadEof(TcpClient& c, bool pump = true) {
    if (pump) {
      return Until([&] { return !c.ReadSome(); });
    }
    const auto deadline = SteadyClock::now() + std::chrono::milliseconds(kDeadlineMs);
    while (c.ReadSome()) {
      if (SteadyClock::now() >= deadline) {
        return false;
      }
      pollfd p{c.fd(), POLLIN, 0};
      ::poll(&p, 1, 10);
    }
    return true;
  }
  bool Accepted(uint64_t n) {
    return Until([&] { return engine_->counters().accepted >= n; });
  }
  // Writes `line`, waits for its echo, returns the ConnRef the handler saw it on.
  ConnRef Echo(TcpClient& c, std::string_view line) {
    const std::size_t before = c.in.size();
    EXPECT_TRUE(c.Write(line));
    EXPECT_TRUE(ReadN(c, before + line.size())) << "no echo of " << line;
    EXPECT_EQ(c.in.substr(before), line);
    return h_.last_ref;
  }

  std::unique_ptr<ConnectionLimits> limits_;
  std::unique_ptr<StreamEngine> engine_;
  LineHandler h_;
  Endpoint to_;
  int notify_fd_ = -1;
};

// --- accept, echo, framing ---

TEST_F(StreamEngineTest, AcceptsAndEchoesAWholeLineInPlace) {
  Start(Options());
  TcpClient c(to_);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(Accepted(1));
  EXPECT_EQ(engine_->open_connections(), 1u);
  EXPECT_EQ(limits_->total(), 1u);
  const ConnRef ref = Echo(c, "hello\n");
  EXPECT_TRUE(ref.valid());
  ASSERT_EQ(h_.lines.size(), 1u);
  EXPECT_EQ(h_.lines[0].text, "hello\n");
  EXPECT_EQ(engine_->counters().copies, 0u);  // whole in one receive: framed in place
  EXPECT_EQ(engine_->counters().rx_bytes, 6u);
  EXPECT_TRUE(Until([&] { return engine_->counters().tx_bytes == 6; }));
  EXPECT_EQ(h_.closed.size(), 0u);
}

TEST_F(StreamEngineTest, CopiesALineSplitIntoOneByteWrites) {
  Start(Options());
  TcpClient c(to_);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(Accepted(1));
  const std::string line = "INVITE sip:bob@example.com SIP/2.0\n";
  for (std::size_t i = 0; i < line.size(); ++i) {
    ASSERT_TRUE(c.Write(line.substr(i, 1)));
    // One byte per receive: wait until the engine took it before writing the next.
    ASSERT_TRUE(Until([&] { return engine_->counters().rx_bytes == i + 1; })) << i;
  }
  ASSERT_TRUE(ReadN(c, line.size()));
  EXPECT_EQ(c.in, line);
  ASSERT_EQ(h_.lines.size(), 1u);
  EXPECT_EQ(h_.lines[0].text, line);
  EXPECT_GT(engine_->counters().copies, 0u);
  // Every byte but the last left the line incomplete: the handler said "need more" each time.
  EXPECT_EQ(h_.calls, line.size());
}

TEST_F(StreamEngineTest, EchoesPipelinedLinesInOrder) {
  Start(Options());
  TcpClient c(to_);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(Accepted(1));
  const std::string batch = "one\ntwo\nthree\nfour\n";
  ASSERT_TRUE(c.Write(batch));
  ASSERT_TRUE(ReadN(c, batch.size()));
  EXPECT_EQ(c.in, batch);
  ASSERT_EQ(h_.lines.size(), 4u);
  EXPECT_EQ(h_.lines[0].text, "one\n");
  EXPECT_EQ(h_.lines[3].text, "four\n");
  EXPECT_EQ(engine_->counters().copies, 0u);

  // A batch ending in a partial line: the whole lines in place, the tail copied, then
  // completed by the next write.
  c.in.clear();
  ASSERT_TRUE(c.Write("five\nsi"));
  ASSERT_TRUE(ReadN(c, 5));
  ASSERT_TRUE(Until([&] { return engine_->counters().copies == 1; }));
  ASSERT_TRUE(c.Write("x\nseven\n"));
  ASSERT_TRUE(ReadN(c, std::string("five\nsix\nseven\n").size()));
  EXPECT_EQ(c.in, "five\nsix\nseven\n");
  EXPECT_EQ(h_.lines.size(), 7u);
}

// --- closing ---

TEST_F(StreamEngineTest, CloseAfterSendDeliversTheOutputThenEof) {
  Start(Options());
  TcpClient c(to_);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(Accepted(1));
  const ConnRef ref = Echo(c, "hi\n");
  const std::string bye(3000, 'b');
  ASSERT_TRUE(engine_->Send(ref, bye.data(), bye.size()));
  ASSERT_TRUE(engine_->Send(ref, "\n", 1));
  engine_->Close(ref);
  EXPECT_FALSE(engine_->Send(ref, "x", 1));  // closing: refused
  ASSERT_TRUE(ReadEof(c));
  EXPECT_EQ(c.in, "hi\n" + bye + "\n");
  ASSERT_TRUE(Until([&] { return engine_->open_connections() == 0; }));
  EXPECT_EQ(h_.closed.size(), 1u);
  EXPECT_EQ(h_.ClosedCount(ref), 1);
  EXPECT_EQ(engine_->counters().closed, 1u);
  EXPECT_EQ(limits_->total(), 0u);
  engine_->Close(ref);  // stale now: nothing happens
  Pump();
  EXPECT_EQ(h_.closed.size(), 1u);
}

TEST_F(StreamEngineTest, CloseConnectionFromTheHandlerFlushesEarlierReplies) {
  Start(Options());
  TcpClient c(to_);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(Accepted(1));
  ASSERT_TRUE(c.Write("a\nb\nclose\nnever\n"));
  ASSERT_TRUE(ReadEof(c));
  EXPECT_EQ(c.in, "a\nb\n");
  ASSERT_TRUE(Until([&] { return engine_->open_connections() == 0; }));
  ASSERT_EQ(h_.lines.size(), 3u);  // "never" is not offered after close
  EXPECT_EQ(h_.lines[2].text, "close\n");
  ASSERT_EQ(h_.closed.size(), 1u);
  EXPECT_EQ(h_.closed[0].ref, h_.lines[0].ref);
  EXPECT_FALSE(h_.closed[0].tls);
  EXPECT_EQ(engine_->counters().closed, 1u);
  EXPECT_EQ(limits_->total(), 0u);
}

TEST_F(StreamEngineTest, ClientCloseIsNoticed) {
  Start(Options());
  TcpClient c(to_);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(Accepted(1));
  const ConnRef ref = Echo(c, "x\n");
  c.Reset();
  ASSERT_TRUE(Until([&] { return engine_->counters().closed == 1; }));
  EXPECT_EQ(engine_->open_connections(), 0u);
  ASSERT_EQ(h_.closed.size(), 1u);
  EXPECT_EQ(h_.closed[0].ref, ref);
  EXPECT_EQ(h_.closed[0].peer.addr.v4.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
  EXPECT_EQ(limits_->total(), 0u);
  EXPECT_FALSE(engine_->Send(ref, "x\n", 2));
}

// --- limits ---

TEST_F(StreamEngineTest, RefusesAThirdConnectionFromOneAddress) {
  Start(Options(), /*max_total=*/100, /*max_per_ip=*/2);
  TcpClient a(to_), b(to_);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(Accepted(2));
  TcpClient c(to_);  // the kernel completes the handshake; the engine closes it at accept
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(ReadEof(c));
  EXPECT_EQ(c.in, "");
  EXPECT_EQ(engine_->counters().refused, 1u);
  EXPECT_EQ(engine_->counters().accepted, 2u);
  EXPECT_EQ(engine_->open_connections(), 2u);

  TcpClient other(to_, "127.0.0.2");  // another source address has its own quota
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(Accepted(3));
  Echo(other, "from .2\n");
  EXPECT_EQ(h_.lines.back().text, "from .2\n");
  EXPECT_EQ(limits_->total(), 3u);
  Echo(a, "a\n");
  Echo(b, "b\n");

  // A slot freed by a close is usable again.
  a.Reset();
  ASSERT_TRUE(Until([&] { return engine_->counters().closed == 1; }));
  TcpClient again(to_);
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE(Accepted(4));
  Echo(again, "again\n");
  EXPECT_EQ(engine_->counters().refused, 1u);
}

TEST_F(StreamEngineTest, RefusesConnectionsOverTheTotal) {
  Start(Options(), /*max_total=*/2, /*max_per_ip=*/100);
  TcpClient a(to_, "127.0.0.1"), b(to_, "127.0.0.2");
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(Accepted(2));
  TcpClient c(to_, "127.0.0.3");
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(ReadEof(c));
  EXPECT_EQ(engine_->counters().refused, 1u);
  EXPECT_EQ(limits_->total(), 2u);
  Echo(a, "a\n");
  b.Reset();
  ASSERT_TRUE(Until([&] { return engine_->open_connections() == 1; }));
  EXPECT_EQ(limits_->total(), 1u);
  TcpClient d(to_, "127.0.0.3");
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE(Accepted(3));
  Echo(d, "d\n");
  EXPECT_EQ(engine_->counters().refused, 1u);
}

// --- timers and size limits ---

TEST_F(StreamEngineTest, MessageTimeoutClosesAStalledPartialOnly) {
  StreamOptions o = Options();
  o.message_timeout_ms = 200;
  Start(o);
  TcpClient slow(to_), busy(to_);
  ASSERT_TRUE(slow.ok() && busy.ok());
  ASSERT_TRUE(Accepted(2));
  ASSERT_TRUE(slow.Write("INVITE sip:"));  // never finished
  ASSERT_TRUE(Until([&] { return engine_->counters().copies == 1; }));
  const auto started = SteadyClock::now();
  std::size_t pings = 0;
  ASSERT_TRUE(Until(
      [&] {
        // Meanwhile the other connection keeps completing lines.
        EXPECT_TRUE(busy.Write("ping\n"));
        ++pings;
        return engine_->counters().message_timeouts == 1;
      },
      /*tick=*/true));
  EXPECT_GE(MillisSince(started), 180);
  ASSERT_TRUE(ReadEof(slow));
  EXPECT_EQ(slow.in, "");
  ASSERT_EQ(h_.closed.size(), 1u);
  EXPECT_EQ(engine_->open_connections(), 1u);
  EXPECT_EQ(engine_->counters().idle_timeouts, 0u);
  ASSERT_TRUE(ReadN(busy, 5 * pings));
  Echo(busy, "still here\n");
}

// The timer bounds one message: a connection whose every receive completes the previous line
// and starts the next one (a client streaming back-to-back messages that straddle segments)
// is not a slowloris and must not be cut. (Fails today: Frame() in src/net/stream.cc resets
// partial_since_ms only when the buffer drains completely, so the clock of the first partial
// keeps running across every message that completes after it.)
TEST_F(StreamEngineTest, MessageTimeoutRestartsWithEachMessage) {
  StreamOptions o = Options();
  o.message_timeout_ms = 200;
  Start(o);
  TcpClient c(to_);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(Accepted(1));
  ASSERT_TRUE(c.Write("m0 start"));
  const auto started = SteadyClock::now();
  int n = 0;
  // For ~600 ms, every 50 ms: finish the pending line and begin the next one.
  while (SteadyClock::now() - started < std::chrono::milliseconds(600)) {
    const auto next = SteadyClock::now() + std::chrono::milliseconds(50);
    Until([&] { return SteadyClock::now() >= next; }, /*tick=*/true, 100);
    ++n;
    if (!c.Write(" end\nm" + std::to_string(n) + " start")) {
      break;
    }
  }
  Pump(true);
  EXPECT_EQ(engine_->counters().message_timeouts, 0u)
      << "each line completed within 50 ms, yet the connection was cut as a stalled message";
  EXPECT_EQ(engine_->open_connections(), 1u);
}

TEST_F(StreamEngineTest, IdleTimeoutClosesASilentConnection) {
  StreamOptions o = Options();
  o.idle_timeout_ms = 200;
  Start(o);
  TcpClient c(to_);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(Accepted(1));
  Echo(c, "once\n");
  const auto last = SteadyClock::now();
  ASSERT_TRUE(Until([&] { return engine_->counters().idle_timeouts == 1; }, /*tick=*/true));
  EXPECT_GE(MillisSince(last), 180);
  ASSERT_TRUE(ReadEof(c));
  EXPECT_EQ(engine_->open_connections(), 0u);
  EXPECT_EQ(h_.closed.size(), 1u);
  EXPECT_EQ(engine_->counters().message_timeouts, 0u);
  EXPECT_EQ(limits_->total(), 0u);
}

// Quiet connections get CRLFCRLF pings; one that answers (a CRLF pong, here a line the
// handler echoes) stays open past the idle timeout, one that does not is cut by it.
TEST_F(StreamEngineTest, PingsQuietConnectionsAndKeepsThoseThatAnswer) {
  StreamOptions o = Options();
  o.keepalive_ms = 100;
  o.idle_timeout_ms = 400;
  Start(o);
  TcpClient answering(to_), silent(to_);
  ASSERT_TRUE(answering.ok() && silent.ok());
  ASSERT_TRUE(Accepted(2));
  std::size_t pings = 0;
  const auto start = SteadyClock::now();
  ASSERT_TRUE(Until(
      [&] {
        answering.ReadSome();
        if (answering.in.find("\r\n\r\n") != std::string::npos) {
          answering.in.clear();  // a ping (and perhaps the echo of the last pong)
          ++pings;
          EXPECT_TRUE(answering.Write("\r\n"));  // the pong
        }
        return MillisSince(start) >= 1000;
      },
      /*tick=*/true, 3000));
  EXPECT_GE(pings, 3u);
  EXPECT_EQ(engine_->open_connections(), 1u);  // the silent one was cut, the other stays
  EXPECT_EQ(engine_->counters().idle_timeouts, 1u);
  EXPECT_GE(engine_->counters().keepalives_sent, pings);
  ASSERT_TRUE(ReadEof(silent));
}

// A client that pipelines far more requests than its answers' budget (max_output_bytes) and
// reads late is throttled, not disconnected: the engine stops reading while the answers back
// up, and every line is answered once the client reads.
TEST_F(StreamEngineTest, BackedUpAnswersPauseReadingInsteadOfClosing) {
  StreamOptions o = Options();
  o.max_output_bytes = 64 * 1024;
  Start(o);
  TcpClient c(to_);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(Accepted(1));
  const std::string line(999, 'x');
  constexpr int kLines = 3000;  // 3 MB, against 64 KiB of output budget and small buffers
  const int sndbuf = 64 * 1024;
  ASSERT_EQ(setsockopt(c.fd(), SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)), 0);
  std::string all;
  for (int i = 0; i < kLines; ++i) {
    all += line;
    all += '\n';
  }
  std::atomic<bool> written{false};
  std::thread writer([&] {
    EXPECT_TRUE(c.Write(all));
    written = true;
  });
  // Not reading yet: the engine must pause rather than overflow.
  ASSERT_TRUE(Until([&] { return engine_->counters().paused >= 1; }));
  Until([] { return false; }, /*tick=*/false, 100);
  EXPECT_EQ(engine_->counters().output_overflow, 0u);
  EXPECT_EQ(engine_->open_connections(), 1u) << "oversize " << engine_->counters().oversize;
  EXPECT_FALSE(written.load());  // TCP flow control holds the writer back
  ASSERT_TRUE(ReadN(c, all.size()));
  writer.join();
  EXPECT_EQ(c.in, all);
  EXPECT_EQ(engine_->counters().output_overflow, 0u);
  EXPECT_EQ(engine_->open_connections(), 1u);
}

TEST_F(StreamEngineTest, OversizePartialClosesTheConnection) {
  StreamOptions o = Options();
  o.max_message_bytes = 100;
  Start(o);
  TcpClient ok(to_), big(to_);
  ASSERT_TRUE(ok.ok() && big.ok());
  ASSERT_TRUE(Accepted(2));
  Echo(ok, std::string(90, 'o') + "\n");  // whole lines under the cap pass
  ASSERT_TRUE(big.Write(std::string(60, 'x')));
  ASSERT_TRUE(Until([&] { return engine_->counters().copies >= 1; }));
  EXPECT_EQ(engine_->counters().oversize, 0u);
  ASSERT_TRUE(big.Write(std::string(60, 'y')));  // 120 buffered, no end in sight
  ASSERT_TRUE(Until([&] { return engine_->counters().oversize == 1; }));
  ASSERT_TRUE(ReadEof(big));
  ASSERT_TRUE(Until([&] { return engine_->open_connections() == 1; }));
  EXPECT_EQ(h_.closed.size(), 1u);
  Echo(ok, "fine\n");
}

// A connection closed with output queued for a peer that never reads must still go away: the
// idle timer (or some bound) has to cover connections that are closing, or a client can hold
// its slot (and its quota in ConnectionLimits) forever. (Fails today: Tick() skips every
// connection that is not kOpen, and nothing else bounds a send stuck in flight.)
TEST_F(StreamEngineTest, ClosingConnectionToAPeerThatDoesNotReadIsBounded) {
  StreamOptions o = Options();
  o.idle_timeout_ms = 200;
  o.max_output_bytes = 64 << 20;
  Start(o);
  const std::string blob(16 << 20, 'z');
  h_.on_line = [&](const ConnInfo& c, std::string_view /*line*/) -> std::size_t {
    EXPECT_TRUE(engine_->Send(c.ref, blob.data(), blob.size()));
    return kCloseConnection;
  };
  TcpClient c(to_, nullptr, /*rcvbuf=*/4096);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(Accepted(1));
  ASSERT_TRUE(c.Write("big\n"));  // and never read
  ASSERT_TRUE(Until([&] { return h_.lines.size() == 1; }));
  const bool gone = Until([&] { return engine_->open_connections() == 0; }, /*tick=*/true, 1500);
  EXPECT_TRUE(gone) << "a closing connection whose peer does not read stays open past the idle "
                       "timeout (open="
                    << engine_->open_connections() << ", tx_bytes=" << engine_->counters().tx_bytes
                    << ")";
  EXPECT_EQ(h_.closed.size(), gone ? 1u : 0u);
}

// --- wake-up, stale references ---

TEST_F(StreamEngineTest, SignalsTheNotifyEventfd) {
  notify_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  ASSERT_GE(notify_fd_, 0);
  Start(Options(), 1000, 1000, notify_fd_);
  uint64_t v = 0;
  (void)!::read(notify_fd_, &v, sizeof(v));  // drain whatever setup left
  Pump();
  (void)!::read(notify_fd_, &v, sizeof(v));

  pollfd p{notify_fd_, POLLIN, 0};
  TcpClient c(to_);
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(::poll(&p, 1, kDeadlineMs), 1) << "no wake-up for an accepted connection";
  ASSERT_EQ(::read(notify_fd_, &v, sizeof(v)), static_cast<ssize_t>(sizeof(v)));
  EXPECT_GE(v, 1u);
  ASSERT_TRUE(Accepted(1));
  (void)!::read(notify_fd_, &v, sizeof(v));

  ASSERT_TRUE(c.Write("wake\n"));
  p.revents = 0;
  ASSERT_EQ(::poll(&p, 1, kDeadlineMs), 1) << "no wake-up for received bytes";
  ASSERT_EQ(::read(notify_fd_, &v, sizeof(v)), static_cast<ssize_t>(sizeof(v)));
  ASSERT_TRUE(ReadN(c, 5));
  EXPECT_EQ(c.in, "wake\n");
}

TEST_F(StreamEngineTest, StaleRefsReachNothing) {
  Start(Options());
  ConnRef old;
  {
    TcpClient first(to_);
    ASSERT_TRUE(first.ok());
    ASSERT_TRUE(Accepted(1));
    old = Echo(first, "first\n");
  }
  ASSERT_TRUE(Until([&] { return engine_->counters().closed == 1; }));
  EXPECT_FALSE(engine_->Send(old, "stale\n", 6));

  TcpClient second(to_);
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE(Accepted(2));
  // Nothing is offered yet on the new connection; Send/Close through the old reference.
  EXPECT_FALSE(engine_->Send(old, "stale\n", 6));
  engine_->Close(old);
  const ConnRef now = Echo(second, "second\n");
  EXPECT_EQ(now.index, old.index);   // the slot was reused...
  EXPECT_NE(now.gen, old.gen);       // ...under a new generation
  EXPECT_EQ(second.in, "second\n");  // nothing from the stale sends, and not closed
  EXPECT_EQ(engine_->open_connections(), 1u);
  Echo(second, "still\n");
  EXPECT_FALSE(engine_->Send(ConnRef{}, "x", 1));
  EXPECT_FALSE(engine_->Send(ConnRef{12345, 1}, "x", 1));
}

TEST_F(StreamEngineTest, ReceiveBufferExhaustionRecovers) {
  StreamOptions o = Options();
  o.rx_buffers = 1;
  o.rx_buffer_size = 1024;
  Start(o);
  TcpClient a(to_), b(to_), c(to_);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  ASSERT_TRUE(Accepted(3));
  // Three connections receive before the engine polls: one buffer for all of them.
  ASSERT_TRUE(a.Write("aaa\n"));
  ASSERT_TRUE(b.Write("bbb\n"));
  ASSERT_TRUE(c.Write("ccc\n"));
  ASSERT_TRUE(ReadN(a, 4));
  ASSERT_TRUE(ReadN(b, 4));
  ASSERT_TRUE(ReadN(c, 4));
  EXPECT_EQ(a.in, "aaa\n");
  EXPECT_EQ(b.in, "bbb\n");
  EXPECT_EQ(c.in, "ccc\n");
  EXPECT_GE(engine_->counters().rx_no_buffer, 1u);
  Echo(b, "again\n");
}

// --- shutdown ---

TEST_F(StreamEngineTest, ShutdownClosesEveryConnection) {
  Start(Options());
  TcpClient a(to_), b(to_), c(to_);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  ASSERT_TRUE(Accepted(3));
  Echo(a, "a\n");
  Echo(b, "b\n");
  ASSERT_TRUE(c.Write("partial"));
  ASSERT_TRUE(Until([&] { return engine_->counters().copies == 1; }));
  engine_->Shutdown(h_);
  EXPECT_EQ(engine_->open_connections(), 0u);
  EXPECT_EQ(h_.closed.size(), 3u);
  for (const LineHandler::Line& l : h_.lines) {
    EXPECT_EQ(h_.ClosedCount(l.ref), 1);
  }
  EXPECT_EQ(limits_->total(), 0u);
  EXPECT_TRUE(ReadEof(a, /*pump=*/false));
  EXPECT_TRUE(ReadEof(b, /*pump=*/false));
  EXPECT_TRUE(ReadEof(c, /*pump=*/false));
}

// --- TLS ---

class StreamEngineTlsTest : public StreamEngineTest {
 protected:
  void StartTls(StreamOptions o = Options()) {
    ASSERT_NE(material->ctx, nullptr);
    o.tls = material->ctx.get();
    Start(o);
    EXPECT_TRUE(engine_->tls());
  }

  // Runs `client` on a thread while this one pumps the engine; false on the deadline.
  template <typename F>
  bool RunClient(F&& client, bool tick = false) {
    std::atomic<bool> done{false};
    std::thread t([&] {
      client();
      done.store(true);
    });
    const bool ok = Until([&] { return done.load(); }, tick, 2 * kDeadlineMs);
    t.join();  // the client's socket timeouts bound this too
    return ok;
  }

  void EchoOverTls(int max_version, const char* want_version) {
    StartTls();
    TlsClient c(to_, max_version);
    bool ok = false;
    bool close_notify = false;
    const std::string lines = "REGISTER sip:example.com SIP/2.0\nsecond\n";
    ASSERT_TRUE(RunClient([&] {
      ok = c.Connect() && c.Write("REGISTER sip:example.com ") && c.Write("SIP/2.0\nsec") &&
           c.Write("ond\n") && c.ReadUntil(lines.size()) && c.Write("close\n");
      close_notify = ok && c.ReadUntilCloseNotify();
    }));
    ASSERT_TRUE(ok) << c.error;
    EXPECT_EQ(c.version(), want_version);
    EXPECT_EQ(c.in, lines);
    EXPECT_TRUE(close_notify) << "Close() on TLS sends close_notify";
    ASSERT_TRUE(Until([&] { return engine_->open_connections() == 0; }));
    ASSERT_EQ(h_.lines.size(), 3u);
    EXPECT_EQ(h_.lines[0].text, "REGISTER sip:example.com SIP/2.0\n");
    EXPECT_EQ(h_.lines[1].text, "second\n");
    ASSERT_EQ(h_.closed.size(), 1u);
    EXPECT_TRUE(h_.closed[0].tls);
    EXPECT_EQ(engine_->counters().tls_failures, 0u);
    EXPECT_EQ(limits_->total(), 0u);
  }
};

TEST_F(StreamEngineTlsTest, EchoesLinesOverTls13) { EchoOverTls(0, "TLSv1.3"); }

TEST_F(StreamEngineTlsTest, EchoesLinesOverTls12) { EchoOverTls(TLS1_2_VERSION, "TLSv1.2"); }

TEST_F(StreamEngineTlsTest, HandshakeTimeoutClosesASilentClient) {
  StreamOptions o = Options();
  o.handshake_timeout_ms = 200;
  StartTls(o);
  TcpClient c(to_);  // connects, never sends a ClientHello
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(Accepted(1));
  const auto started = SteadyClock::now();
  ASSERT_TRUE(Until([&] { return engine_->counters().handshake_timeouts == 1; }, /*tick=*/true));
  EXPECT_GE(MillisSince(started), 180);
  ASSERT_TRUE(ReadEof(c));
  EXPECT_EQ(c.in, "");
  ASSERT_TRUE(Until([&] { return engine_->open_connections() == 0; }));
  EXPECT_EQ(h_.closed.size(), 1u);
  EXPECT_EQ(h_.calls, 0u);
  EXPECT_EQ(engine_->counters().idle_timeouts, 0u);
}

TEST_F(StreamEngineTlsTest, GarbageIsATlsFailure) {
  StartTls();
  TcpClient c(to_);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(Accepted(1));
  ASSERT_TRUE(c.Write("OPTIONS sip:x SIP/2.0\r\nVia: nope\r\n\r\n"));
  ASSERT_TRUE(Until([&] { return engine_->counters().tls_failures == 1; }));
  ASSERT_TRUE(ReadEof(c));  // perhaps after an alert record
  ASSERT_TRUE(Until([&] { return engine_->open_connections() == 0; }));
  EXPECT_EQ(h_.closed.size(), 1u);
  EXPECT_EQ(h_.calls, 0u);
  EXPECT_EQ(limits_->total(), 0u);
}

TEST_F(StreamEngineTlsTest, ShutdownClosesTlsConnections) {
  StartTls();
  TlsClient c(to_, 0);
  bool ok = false;
  ASSERT_TRUE(RunClient([&] { ok = c.Connect() && c.Write("x\n") && c.ReadUntil(2); }));
  ASSERT_TRUE(ok) << c.error;
  engine_->Shutdown(h_);
  EXPECT_EQ(engine_->open_connections(), 0u);
  EXPECT_EQ(h_.closed.size(), 1u);
  char buf[64];
  std::size_t n = 0;
  EXPECT_NE(SSL_read_ex(c.ssl(), buf, sizeof(buf), &n), 1);  // EOF (bounded by SO_RCVTIMEO)
}

// TLS hands out application data that precedes close_notify in the same input (tls.h); the
// engine must offer it to the handler like plain TCP does with data before a FIN. (Fails
// today: OnBytes() resets the connection's buffer on kClosed before framing it.)
TEST_F(StreamEngineTlsTest, DataBeforeCloseNotifyInOneSegmentIsHandled) {
  StartTls();
  TlsClient c(to_, 0);
  bool ok = false;
  ASSERT_TRUE(RunClient([&] {
    ok = c.Connect();
    if (!ok) {
      return;
    }
    const int on = 1;
    const int off = 0;
    ::setsockopt(c.fd(), IPPROTO_TCP, TCP_CORK, &on, sizeof(on));
    ok = c.Write("last words\n");
    SSL_shutdown(c.ssl());
    ::setsockopt(c.fd(), IPPROTO_TCP, TCP_CORK, &off, sizeof(off));  // one segment
  }));
  ASSERT_TRUE(ok) << c.error;
  ASSERT_TRUE(Until([&] { return engine_->open_connections() == 0; }));
  EXPECT_EQ(engine_->counters().tls_failures, 0u);
  ASSERT_EQ(h_.lines.size(), 1u) << "a complete line received before close_notify was dropped";
  EXPECT_EQ(h_.lines[0].text, "last words\n");
}

}  // namespace
}  // namespace sipfront::net
