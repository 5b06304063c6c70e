// TLS over memory (sipfront/net/tls.h): what a SIP-over-TLS connection costs the server.
//
//   BM_TlsSession_Handshake/<v>        full handshake (TLS 1.3, or TLS 1.2 ECDHE-ECDSA with
//                                      AES128-GCM), P-256 certificate, no resumption; items/s
//                                      are handshakes/s with the client's work included;
//                                      server_us / server_handshakes_per_s count only the
//                                      server's calls (Create, Receive, TakeOutput, destruction)
//   BM_TlsSession_ResumedHandshake/13  TLS 1.3 resumption with the server's session ticket
//   BM_TlsSession_RecordRoundTrip/<v>  client encrypts a 620-byte REGISTER, the server decrypts
//                                      it, encrypts a ~400-byte 200 OK and hands it out, the
//                                      client decrypts it; items/s = round trips/s (server-only
//                                      figures as above)
//   BM_TlsSession_IdleMemory/<v>       kSessions established, drained server sessions (clients
//                                      gone): heap per idle session
//   BM_TlsBaseline_IdleMemory/<v>      the same with plain OpenSSL usage for comparison: an SSL
//                                      over two BIO_s_mem, without SSL_MODE_RELEASE_BUFFERS
//
// <v> is 12 or 13. The key pair is a fresh self-signed EC P-256 pair in a temporary directory.
//
// Memory is counted two ways: every OpenSSL allocation goes through a counting allocator
// (CRYPTO_set_mem_functions, installed by a static initializer in this file before OpenSSL's
// first allocation; malloc_usable_size() bytes per block), and mallinfo2() gives the whole
// heap in use, glibc's per-block overhead and the TlsSession objects included.
// bytes_per_session is the mallinfo2() figure: the one to compare with other servers.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <malloc.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <benchmark/benchmark.h>

#include "sipfront/net/tls.h"

namespace sipfront::bench {
namespace {

using net::TlsContext;
using net::TlsSession;
using Clock = std::chrono::steady_clock;

// ---- counting allocator for OpenSSL --------------------------------------------------------

std::atomic<int64_t> live_bytes{0};   // malloc_usable_size() of live OpenSSL blocks
std::atomic<int64_t> live_blocks{0};  // live OpenSSL blocks
std::atomic<int64_t> allocations{0};  // malloc + realloc(nullptr, n) calls so far

void* CountingMalloc(std::size_t n, const char* /*file*/, int /*line*/) {
  void* p = std::malloc(n);
  if (p != nullptr) {
    live_bytes.fetch_add(static_cast<int64_t>(malloc_usable_size(p)), std::memory_order_relaxed);
    live_blocks.fetch_add(1, std::memory_order_relaxed);
    allocations.fetch_add(1, std::memory_order_relaxed);
  }
  return p;
}

void CountingFree(void* p, const char* /*file*/, int /*line*/) {
  if (p != nullptr) {
    live_bytes.fetch_sub(static_cast<int64_t>(malloc_usable_size(p)), std::memory_order_relaxed);
    live_blocks.fetch_sub(1, std::memory_order_relaxed);
    std::free(p);
  }
}

void* CountingRealloc(void* p, std::size_t n, const char* file, int line) {
  if (p == nullptr) {
    return CountingMalloc(n, file, line);
  }
  if (n == 0) {
    CountingFree(p, file, line);
    return nullptr;
  }
  const auto old = static_cast<int64_t>(malloc_usable_size(p));
  void* q = std::realloc(p, n);
  if (q != nullptr) {
    live_bytes.fetch_add(static_cast<int64_t>(malloc_usable_size(q)) - old,
                         std::memory_order_relaxed);
  }
  return q;
}

// Before main() and before any OpenSSL allocation (nothing else in this binary touches OpenSSL
// during static initialization); false if OpenSSL had already allocated.
const bool counting_installed =
    CRYPTO_set_mem_functions(CountingMalloc, CountingRealloc, CountingFree) == 1;

int64_t HeapInUse() {
  const struct mallinfo2 mi = mallinfo2();
  return static_cast<int64_t>(mi.uordblks + mi.hblkhd);
}

// ---- material -------------------------------------------------------------------------------

struct Material {
  Material() {
    char tmpl[] = "/tmp/sipfront_tls_bench_XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
      error = "mkdtemp failed";
      return;
    }
    dir = tmpl;
    cert = dir + "/cert.pem";
    key = dir + "/key.pem";
    absl::Status st = TlsContext::GenerateSelfSigned(cert, key, "localhost", 1);
    if (!st.ok()) {
      error = st.ToString();
      return;
    }
    net::TlsOptions o;
    o.certificate_file = cert;
    o.private_key_file = key;
    absl::StatusOr<std::unique_ptr<TlsContext>> c = TlsContext::Create(o);
    if (!c.ok()) {
      error = c.status().ToString();
      return;
    }
    ctx = std::move(*c);
  }
  ~Material() {
    ctx.reset();
    if (!dir.empty()) {
      unlink(cert.c_str());
      unlink(key.c_str());
      rmdir(dir.c_str());
    }
  }
  Material(const Material&) = delete;
  Material& operator=(const Material&) = delete;

  std::string dir, cert, key, error;
  std::unique_ptr<TlsContext> ctx;
};

Material& Shared() {
  static Material m;
  return m;
}

// A 620-byte REGISTER from the device corpus, and a 200 OK of the size the registrar answers
// it with.
std::string LoadRegister() {
  std::ifstream in(std::string(SIPFRONT_CORPUS_DIR) + "/devices/polycom-spip450-register.sip",
                   std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

constexpr std::string_view kOk200 =
    "SIP/2.0 200 OK\r\n"
    "Via: SIP/2.0/TLS 5.148.125.101:5061;branch=z9hG4bKd101a5fc09fbc25eea6b493eead8f361.0;"
    "received=5.148.125.101;rport=40213\r\n"
    "To: <sip:1154@157.161.10.73>;tag=as4f8c2b1e\r\n"
    "From: <sip:1154@157.161.10.73>;tag=54e5f4a6171043e4f7a\r\n"
    "Call-ID: 3f1a8c8e-59ec-4f05-8325-65191313154@109.70.144.77\r\n"
    "CSeq: 1 REGISTER\r\n"
    "Contact: <sip:1154@109.70.144.77:63493;transport=tls>;expires=3600\r\n"
    "Server: sipfront\r\n"
    "Content-Length: 0\r\n\r\n";

// ---- client ---------------------------------------------------------------------------------

SSL_CTX* NewClientContext(int version) {
  SSL_CTX* c = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(c, version);
  SSL_CTX_set_max_proto_version(c, version);
  if (version == TLS1_2_VERSION) {
    SSL_CTX_set_cipher_list(c, "ECDHE-ECDSA-AES128-GCM-SHA256");
  }
  return c;
}

// An OpenSSL client over two memory BIOs.
struct Client {
  explicit Client(SSL_CTX* ctx, SSL_SESSION* resume = nullptr) : ssl(SSL_new(ctx)) {
    in = BIO_new(BIO_s_mem());
    out = BIO_new(BIO_s_mem());
    SSL_set_bio(ssl, in, out);
    SSL_set_connect_state(ssl);
    if (resume != nullptr) {
      SSL_set_session(ssl, resume);
    }
  }
  ~Client() {
    SSL_set_shutdown(ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);  // keep its session
    SSL_free(ssl);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // The client's pending output, as a view of its memory BIO (valid until the next call).
  [[nodiscard]] std::string_view Output() const {
    char* p = nullptr;
    const long n = BIO_get_mem_data(out, &p);
    return {p, static_cast<std::size_t>(n)};
  }
  void DropOutput() const { (void)BIO_reset(out); }
  void Give(const char* data, std::size_t n) const {
    if (n != 0) {
      BIO_write(in, data, static_cast<int>(n));
    }
  }
  // Reads everything readable (the 200 OK, TLS 1.3 tickets); returns the plaintext bytes.
  std::size_t Drain() {
    char buf[4096];
    std::size_t total = 0;
    std::size_t n = 0;
    while (SSL_read_ex(ssl, buf, sizeof(buf), &n) == 1) {
      total += n;
    }
    ERR_clear_error();
    return total;
  }

  SSL* ssl;
  BIO* in;
  BIO* out;
};

void NoPlain(std::string_view /*chunk*/) {}

// Runs a handshake to completion; adds the server's share of the time to *server_ns.
bool Handshake(Client& c, TlsSession& s, int64_t* server_ns) {
  static thread_local char buf[16384];
  for (int round = 0; round < 8; ++round) {
    if (SSL_is_init_finished(c.ssl) != 1) {
      const int r = SSL_do_handshake(c.ssl);
      if (r != 1 && SSL_get_error(c.ssl, r) != SSL_ERROR_WANT_READ) {
        ERR_clear_error();
        return false;
      }
    }
    const std::string_view flight = c.Output();
    const Clock::time_point t0 = Clock::now();
    const TlsSession::Result r = s.Receive(flight.data(), flight.size(), NoPlain);
    std::size_t n = s.TakeOutput(buf, sizeof(buf));
    const Clock::time_point t1 = Clock::now();
    *server_ns += std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count();
    c.DropOutput();
    if (r != TlsSession::Result::kOk) {
      return false;
    }
    c.Give(buf, n);
    if (s.established() && SSL_is_init_finished(c.ssl) == 1) {
      c.Drain();  // TLS 1.3 ticket
      return s.OutputSize() == 0;
    }
  }
  return false;
}

void ReportServerTime(benchmark::State& state, int64_t server_ns, const char* rate_name) {
  const auto n = static_cast<double>(state.iterations());
  if (server_ns > 0 && n > 0) {
    state.counters["server_us"] = static_cast<double>(server_ns) / n / 1e3;
    state.counters[rate_name] = n * 1e9 / static_cast<double>(server_ns);
  }
}

// ---- benchmarks -----------------------------------------------------------------------------

int VersionOf(const benchmark::State& state) {
  return state.range(0) == 12 ? TLS1_2_VERSION : TLS1_3_VERSION;
}

void BM_TlsSession_Handshake(benchmark::State& state) {
  Material& m = Shared();
  if (m.ctx == nullptr) {
    state.SkipWithError(m.error.c_str());
    return;
  }
  SSL_CTX* client_ctx = NewClientContext(VersionOf(state));
  int64_t server_ns = 0;
  for (auto _ : state) {
    Client c(client_ctx);
    const Clock::time_point t0 = Clock::now();
    std::unique_ptr<TlsSession> s = TlsSession::Create(*m.ctx);
    server_ns += std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count();
    if (s == nullptr || !Handshake(c, *s, &server_ns)) {
      state.SkipWithError("handshake failed");
      break;
    }
    const Clock::time_point t1 = Clock::now();
    s.reset();
    server_ns += std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t1).count();
  }
  SSL_CTX_free(client_ctx);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  ReportServerTime(state, server_ns, "server_handshakes_per_s");
}
BENCHMARK(BM_TlsSession_Handshake)->Arg(13)->Arg(12)->ArgName("tls");

void BM_TlsSession_ResumedHandshake(benchmark::State& state) {
  Material& m = Shared();
  if (m.ctx == nullptr) {
    state.SkipWithError(m.error.c_str());
    return;
  }
  SSL_CTX* client_ctx = NewClientContext(VersionOf(state));
  SSL_SESSION* ticket = nullptr;
  {
    Client c(client_ctx);
    std::unique_ptr<TlsSession> s = TlsSession::Create(*m.ctx);
    int64_t ignored = 0;
    if (s != nullptr && Handshake(c, *s, &ignored)) {
      ticket = SSL_get1_session(c.ssl);
    }
  }
  int64_t server_ns = 0;
  for (auto _ : state) {
    Client c(client_ctx, ticket);
    const Clock::time_point t0 = Clock::now();
    std::unique_ptr<TlsSession> s = TlsSession::Create(*m.ctx);
    server_ns += std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count();
    if (ticket == nullptr || s == nullptr || !Handshake(c, *s, &server_ns) ||
        SSL_session_reused(s->native()) != 1) {
      state.SkipWithError("resumption failed");
      break;
    }
    const Clock::time_point t1 = Clock::now();
    s.reset();
    server_ns += std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t1).count();
  }
  SSL_SESSION_free(ticket);
  SSL_CTX_free(client_ctx);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  ReportServerTime(state, server_ns, "server_handshakes_per_s");
}
BENCHMARK(BM_TlsSession_ResumedHandshake)->Arg(13)->ArgName("tls");

void BM_TlsSession_RecordRoundTrip(benchmark::State& state) {
  Material& m = Shared();
  const std::string request = LoadRegister();
  if (m.ctx == nullptr || request.empty()) {
    state.SkipWithError(m.ctx == nullptr ? m.error.c_str() : "corpus REGISTER missing");
    return;
  }
  SSL_CTX* client_ctx = NewClientContext(VersionOf(state));
  {
    Client c(client_ctx);
    std::unique_ptr<TlsSession> s = TlsSession::Create(*m.ctx);
    int64_t server_ns = 0;
    if (s == nullptr || !Handshake(c, *s, &server_ns)) {
      state.SkipWithError("handshake failed");
      SSL_CTX_free(client_ctx);
      return;
    }
    static char out[4096];
    std::size_t plain = 0;
    server_ns = 0;
    bool ok = true;
    int64_t server_allocs = 0;
    for (auto _ : state) {
      std::size_t written = 0;
      SSL_write_ex(c.ssl, request.data(), request.size(), &written);
      const std::string_view record = c.Output();
      const int64_t a0 = allocations.load(std::memory_order_relaxed);
      const Clock::time_point t0 = Clock::now();
      const TlsSession::Result r = s->Receive(
          record.data(), record.size(), [&](std::string_view chunk) { plain += chunk.size(); });
      ok = r == TlsSession::Result::kOk && s->Send(kOk200);
      const std::size_t n = s->TakeOutput(out, sizeof(out));
      const Clock::time_point t1 = Clock::now();
      server_ns += std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count();
      server_allocs += allocations.load(std::memory_order_relaxed) - a0;
      c.DropOutput();
      c.Give(out, n);
      ok = ok && c.Drain() == kOk200.size();
      if (!ok) {
        break;
      }
    }
    if (!ok || plain != request.size() * state.iterations()) {
      state.SkipWithError("round trip failed");
    }
    const auto iters = static_cast<double>(state.iterations());
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
    state.SetBytesProcessed(
        static_cast<int64_t>((request.size() + kOk200.size()) * state.iterations()));
    ReportServerTime(state, server_ns, "server_round_trips_per_s");
    if (counting_installed && iters > 0) {
      // Server side: the record buffers that SSL_MODE_RELEASE_BUFFERS and the drained output
      // give back between records, traded for idle memory.
      state.counters["server_allocs_per_rt"] = static_cast<double>(server_allocs) / iters;
    }
  }
  SSL_CTX_free(client_ctx);
}
BENCHMARK(BM_TlsSession_RecordRoundTrip)->Arg(13)->Arg(12)->ArgName("tls");

// Sessions held idle at once in the memory benchmarks.
constexpr int kSessions = 1000;

void ReportIdle(benchmark::State& state, int64_t heap, int64_t openssl, int64_t blocks) {
  state.counters["sessions"] = kSessions;
  state.counters["bytes_per_session"] = static_cast<double>(heap) / kSessions;
  if (counting_installed) {
    state.counters["openssl_bytes_per_session"] = static_cast<double>(openssl) / kSessions;
    state.counters["openssl_blocks_per_session"] = static_cast<double>(blocks) / kSessions;
  }
}

void BM_TlsSession_IdleMemory(benchmark::State& state) {
  Material& m = Shared();
  if (m.ctx == nullptr) {
    state.SkipWithError(m.error.c_str());
    return;
  }
  SSL_CTX* client_ctx = NewClientContext(VersionOf(state));
  for (auto _ : state) {
    std::vector<std::unique_ptr<TlsSession>> sessions;
    sessions.reserve(kSessions);
    // Warm-up connection: one-time allocations (error strings, the BIO_METHOD, fetched
    // algorithms) are not per-session cost.
    {
      Client c(client_ctx);
      std::unique_ptr<TlsSession> s = TlsSession::Create(*m.ctx);
      int64_t ignored = 0;
      if (s == nullptr || !Handshake(c, *s, &ignored)) {
        state.SkipWithError("handshake failed");
        break;
      }
    }
    const int64_t heap0 = HeapInUse();
    const int64_t openssl0 = live_bytes.load();
    const int64_t blocks0 = live_blocks.load();
    std::size_t buffered = 0;
    bool ok = true;
    for (int i = 0; i < kSessions && ok; ++i) {
      Client c(client_ctx);  // gone at the end of the iteration: only the server side stays
      sessions.push_back(TlsSession::Create(*m.ctx));
      int64_t ignored = 0;
      ok = sessions.back() != nullptr && Handshake(c, *sessions.back(), &ignored);
    }
    for (const auto& s : sessions) {
      buffered += s != nullptr ? s->BufferedBytes() : 0;
    }
    const int64_t heap = HeapInUse() - heap0;
    const int64_t openssl = live_bytes.load() - openssl0;
    const int64_t blocks = live_blocks.load() - blocks0;
    if (!ok || buffered != 0) {
      state.SkipWithError(ok ? "idle sessions hold buffers" : "handshake failed");
      break;
    }
    ReportIdle(state, heap, openssl, blocks);
  }
  SSL_CTX_free(client_ctx);
}
BENCHMARK(BM_TlsSession_IdleMemory)->Arg(13)->Arg(12)->ArgName("tls")->Iterations(1);

// What the same connections cost with the common way of using OpenSSL over memory: an SSL with
// two BIO_s_mem and default modes.
void BM_TlsBaseline_IdleMemory(benchmark::State& state) {
  Material& m = Shared();
  if (m.ctx == nullptr) {
    state.SkipWithError(m.error.c_str());
    return;
  }
  SSL_CTX* client_ctx = NewClientContext(VersionOf(state));
  struct Server {
    SSL* ssl;
    BIO* in;
    BIO* out;
  };
  auto handshake = [](Client& c, Server& s) {
    char buf[8192];
    for (int round = 0; round < 8; ++round) {
      if (SSL_is_init_finished(c.ssl) != 1) {
        SSL_do_handshake(c.ssl);
      }
      const std::string_view flight = c.Output();
      BIO_write(s.in, flight.data(), static_cast<int>(flight.size()));
      c.DropOutput();
      std::size_t n = 0;
      SSL_read_ex(s.ssl, buf, sizeof(buf), &n);
      int k = 0;
      while ((k = BIO_read(s.out, buf, sizeof(buf))) > 0) {
        c.Give(buf, static_cast<std::size_t>(k));
      }
      if (SSL_is_init_finished(s.ssl) == 1 && SSL_is_init_finished(c.ssl) == 1) {
        c.Drain();
        ERR_clear_error();
        return true;
      }
    }
    ERR_clear_error();
    return false;
  };
  auto make = [&]() {
    Server s{SSL_new(m.ctx->native()), BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem())};
    SSL_clear_mode(s.ssl, SSL_MODE_RELEASE_BUFFERS);
    SSL_set_bio(s.ssl, s.in, s.out);
    SSL_set_accept_state(s.ssl);
    return s;
  };
  for (auto _ : state) {
    std::vector<Server> sessions;
    sessions.reserve(kSessions);
    {
      Client c(client_ctx);
      Server s = make();
      const bool ok = handshake(c, s);
      SSL_free(s.ssl);
      if (!ok) {
        state.SkipWithError("handshake failed");
        break;
      }
    }
    const int64_t heap0 = HeapInUse();
    const int64_t openssl0 = live_bytes.load();
    const int64_t blocks0 = live_blocks.load();
    bool ok = true;
    for (int i = 0; i < kSessions && ok; ++i) {
      Client c(client_ctx);
      sessions.push_back(make());
      ok = handshake(c, sessions.back());
    }
    const int64_t heap = HeapInUse() - heap0;
    const int64_t openssl = live_bytes.load() - openssl0;
    const int64_t blocks = live_blocks.load() - blocks0;
    for (Server& s : sessions) {
      SSL_set_shutdown(s.ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
      SSL_free(s.ssl);
    }
    if (!ok) {
      state.SkipWithError("handshake failed");
      break;
    }
    ReportIdle(state, heap, openssl, blocks);
  }
  SSL_CTX_free(client_ctx);
}
BENCHMARK(BM_TlsBaseline_IdleMemory)->Arg(13)->Arg(12)->ArgName("tls")->Iterations(1);

}  // namespace
}  // namespace sipfront::bench
