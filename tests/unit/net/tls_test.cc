// TlsContext / TlsSession against a real OpenSSL client over memory BIOs: self-signed material
// (EC P-256, and RSA for the TLS 1.0/1.1 cases), handshakes for TLS 1.2 and 1.3, application
// data both ways (fragmented to single bytes, several records per call, larger than a record),
// deprecated versions, ciphers outside the list, close_notify, garbage, resumption, the
// output buffer being freed when drained, and Create()'s errors. No sockets, no sleeps.
#include "sipfront/net/tls.h"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <dirent.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace sipfront::net {
namespace {

// A directory under TMPDIR, removed (with its files) at the end.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/sipfront_tls_XXXXXX";
    if (mkdtemp(tmpl.data()) != nullptr) {
      path_ = tmpl;
    }
  }
  ~TempDir() {
    for (const std::string& f : Files()) {
      std::remove((path_ + "/" + f).c_str());
    }
    rmdir(path_.c_str());
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] std::string File(std::string_view name) const {
    return path_ + "/" + std::string(name);
  }
  [[nodiscard]] std::vector<std::string> Files() const {
    std::vector<std::string> out;
    DIR* d = opendir(path_.c_str());
    if (d == nullptr) {
      return out;
    }
    while (dirent* e = readdir(d)) {
      const std::string name = e->d_name;
      if (name != "." && name != "..") {
        out.push_back(name);
      }
    }
    closedir(d);
    return out;
  }

 private:
  std::string path_;
};

// An OpenSSL client over two memory BIOs.
struct ClientOptions {
  int min_version = 0;  // 0: OpenSSL's default
  int max_version = 0;
  const char* ciphers = nullptr;      // TLS <= 1.2 list
  bool legacy = false;                // security level 0 (TLS 1.0/1.1)
  const char* verify_host = nullptr;  // verify the certificate against ca_file for this name
  const char* verify_ip = nullptr;    // ... or this address
  std::string ca_file;
  SSL_SESSION* resume = nullptr;
};

class Client {
 public:
  explicit Client(const ClientOptions& o = {}) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (o.min_version != 0) {
      SSL_CTX_set_min_proto_version(ctx_, o.min_version);
    }
    if (o.max_version != 0) {
      SSL_CTX_set_max_proto_version(ctx_, o.max_version);
    }
    if (o.legacy) {
      SSL_CTX_set_security_level(ctx_, 0);
    }
    if (o.ciphers != nullptr) {
      SSL_CTX_set_cipher_list(ctx_, o.ciphers);
    }
    if (!o.ca_file.empty()) {
      SSL_CTX_load_verify_locations(ctx_, o.ca_file.c_str(), nullptr);
      SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    }
    ssl_ = SSL_new(ctx_);
    in_ = BIO_new(BIO_s_mem());
    out_ = BIO_new(BIO_s_mem());
    SSL_set_bio(ssl_, in_, out_);
    SSL_set_connect_state(ssl_);
    if (o.verify_host != nullptr) {
      SSL_set1_host(ssl_, o.verify_host);
    }
    if (o.verify_ip != nullptr) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), o.verify_ip);
    }
    if (o.resume != nullptr) {
      SSL_set_session(ssl_, o.resume);
    }
  }
  ~Client() {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  [[nodiscard]] SSL* ssl() const { return ssl_; }
  [[nodiscard]] bool established() const { return SSL_is_init_finished(ssl_) == 1; }

  // Runs the client's side of the handshake as far as its input allows; false on failure.
  bool Advance() {
    if (established()) {
      return true;
    }
    ERR_clear_error();
    const int r = SSL_do_handshake(ssl_);
    if (r == 1) {
      return true;
    }
    const int e = SSL_get_error(ssl_, r);
    if (e == SSL_ERROR_WANT_READ) {
      return true;
    }
    error_ = ERR_reason_error_string(ERR_peek_error()) != nullptr
                 ? ERR_reason_error_string(ERR_peek_error())
                 : "client handshake failed";
    ERR_clear_error();
    return false;
  }

  // Ciphertext the client has produced, removed from its output.
  std::string TakeOutput() {
    std::string s;
    char buf[4096];
    int n = 0;
    while ((n = BIO_read(out_, buf, sizeof(buf))) > 0) {
      s.append(buf, static_cast<std::size_t>(n));
    }
    return s;
  }
  void Give(std::string_view ciphertext) {
    if (!ciphertext.empty()) {
      BIO_write(in_, ciphertext.data(), static_cast<int>(ciphertext.size()));
    }
  }
  bool Write(std::string_view plain) {
    std::size_t written = 0;
    return SSL_write_ex(ssl_, plain.data(), plain.size(), &written) == 1 && written == plain.size();
  }
  // Everything readable now; *closed set when close_notify arrived, *failed on an error.
  std::string Read(bool* closed = nullptr, bool* failed = nullptr) {
    std::string s;
    char buf[16384];
    for (;;) {
      std::size_t n = 0;
      ERR_clear_error();
      if (SSL_read_ex(ssl_, buf, sizeof(buf), &n) == 1) {
        s.append(buf, n);
        continue;
      }
      const int e = SSL_get_error(ssl_, 0);
      if (closed != nullptr) {
        *closed = e == SSL_ERROR_ZERO_RETURN;
      }
      if (failed != nullptr) {
        *failed = e != SSL_ERROR_WANT_READ && e != SSL_ERROR_ZERO_RETURN;
      }
      ERR_clear_error();
      return s;
    }
  }
  [[nodiscard]] const std::string& error() const { return error_; }

 private:
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  BIO* in_ = nullptr;   // server -> client
  BIO* out_ = nullptr;  // client -> server
  std::string error_;
};

std::string TakeAll(TlsSession& s) {
  std::string out(s.OutputSize(), '\0');
  out.resize(s.TakeOutput(out.data(), out.size()));
  EXPECT_EQ(s.OutputSize(), 0u);
  return out;
}

// Feeds the server everything the client wrote; returns the server's Receive() result and
// appends decrypted data to *plain.
TlsSession::Result ToServer(Client& c, TlsSession& s, std::string* plain = nullptr) {
  const std::string bytes = c.TakeOutput();
  return s.Receive(bytes.data(), bytes.size(), [&](std::string_view chunk) {
    if (plain != nullptr) {
      plain->append(chunk);
    }
  });
}

// Runs the handshake to completion on both sides (bounded); false when either side fails.
bool Handshake(Client& c, TlsSession& s) {
  for (int round = 0; round < 10; ++round) {
    if (!c.Advance()) {
      return false;
    }
    if (ToServer(c, s) != TlsSession::Result::kOk) {
      return false;
    }
    c.Give(TakeAll(s));
    if (c.established() && s.established()) {
      c.Read();  // TLS 1.3: the session ticket
      return true;
    }
  }
  return false;
}

// A SIP request of about the size the bench uses.
std::string Register(int n) {
  return "REGISTER sip:example.com SIP/2.0\r\n"
         "Via: SIP/2.0/TLS 192.0.2.10:5061;branch=z9hG4bK-" +
         std::to_string(n) +
         "\r\n"
         "From: <sip:alice@example.com>;tag=1928301774\r\n"
         "To: <sip:alice@example.com>\r\n"
         "Call-ID: a84b4c76e66710@192.0.2.10\r\n"
         "CSeq: " +
         std::to_string(n) +
         " REGISTER\r\n"
         "Contact: <sip:alice@192.0.2.10:5061;transport=tls>\r\n"
         "Expires: 3600\r\n"
         "Content-Length: 0\r\n\r\n";
}

// Key material shared by every suite in this binary: an EC pair and context made once, an RSA
// pair (for TLS 1.0/1.1, whose only listed ciphers use RSA key exchange) made on first use.
class TlsMaterial : public ::testing::Environment {
 public:
  void SetUp() override {
    dir = std::make_unique<TempDir>();
    ASSERT_FALSE(dir->path().empty());
    ec_cert = dir->File("ec.crt");
    ec_key = dir->File("ec.key");
    absl::Status st = TlsContext::GenerateSelfSigned(ec_cert, ec_key, "localhost", 30);
    ASSERT_TRUE(st.ok()) << st;
    TlsOptions o;
    o.certificate_file = ec_cert;
    o.private_key_file = ec_key;
    absl::StatusOr<std::unique_ptr<TlsContext>> c = TlsContext::Create(o);
    ASSERT_TRUE(c.ok()) << c.status();
    ec_ctx = std::move(*c);
  }
  void TearDown() override {
    ec_ctx.reset();
    dir.reset();
  }

  std::unique_ptr<TempDir> dir;
  std::string ec_cert, ec_key, rsa_cert, rsa_key;
  std::unique_ptr<TlsContext> ec_ctx;
};

TlsMaterial* const material =
    static_cast<TlsMaterial*>(::testing::AddGlobalTestEnvironment(new TlsMaterial));

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NE(material->ec_ctx, nullptr); }

  static void MakeRsaPair() {
    if (!material->rsa_cert.empty()) {
      return;
    }
    const std::string cert = material->dir->File("rsa.crt");
    const std::string key = material->dir->File("rsa.key");
    absl::Status st =
        TlsContext::GenerateSelfSigned(cert, key, "localhost", 30, TlsKeyType::kRsa2048);
    ASSERT_TRUE(st.ok()) << st;
    material->rsa_cert = cert;
    material->rsa_key = key;
  }

  static std::unique_ptr<TlsContext> MakeContext(const TlsOptions& o) {
    absl::StatusOr<std::unique_ptr<TlsContext>> ctx = TlsContext::Create(o);
    EXPECT_TRUE(ctx.ok()) << ctx.status();
    return ctx.ok() ? std::move(*ctx) : nullptr;
  }

  static TlsContext& ec() { return *material->ec_ctx; }
  static TempDir& dir() { return *material->dir; }

  const std::string& ec_cert_ = material->ec_cert;
  const std::string& ec_key_ = material->ec_key;
  const std::string& rsa_cert_ = material->rsa_cert;
  const std::string& rsa_key_ = material->rsa_key;
};

TEST_F(TlsTest, GeneratesAVerifiableSelfSignedPair) {
  struct stat st {};
  ASSERT_EQ(stat(ec_key_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat(ec_cert_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);

  FILE* f = std::fopen(ec_cert_.c_str(), "r");
  ASSERT_NE(f, nullptr);
  X509* x = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(X509_get_version(x), X509_VERSION_3);
  EXPECT_EQ(X509_check_host(x, "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(x, "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(x, "::1", 0), 1);
  EXPECT_EQ(X509_check_host(x, "example.com", 0, 0, nullptr), 0);
  EXPECT_EQ(X509_check_purpose(x, X509_PURPOSE_SSL_SERVER, 0), 1);
  EXPECT_EQ(X509_cmp_current_time(X509_get0_notBefore(x)), -1);
  EXPECT_EQ(X509_cmp_time(X509_get0_notAfter(x), nullptr), 1);
  EVP_PKEY* pub = X509_get0_pubkey(x);
  ASSERT_NE(pub, nullptr);
  EXPECT_EQ(EVP_PKEY_get_base_id(pub), EVP_PKEY_EC);
  EXPECT_EQ(EVP_PKEY_get_bits(pub), 256);
  X509_free(x);

  // A client that trusts the certificate verifies the name, then the address.
  for (int by_ip = 0; by_ip < 2; ++by_ip) {
    ClientOptions co;
    co.ca_file = ec_cert_;
    if (by_ip != 0) {
      co.verify_ip = "127.0.0.1";
    } else {
      co.verify_host = "localhost";
    }
    Client c(co);
    std::unique_ptr<TlsSession> s = TlsSession::Create(ec());
    ASSERT_NE(s, nullptr);
    ASSERT_TRUE(Handshake(c, *s)) << c.error() << " / " << s->error();
    EXPECT_EQ(SSL_get_verify_result(c.ssl()), X509_V_OK);
  }
  // ... and refuses a name the certificate does not carry.
  ClientOptions co;
  co.ca_file = ec_cert_;
  co.verify_host = "sip.example.com";
  Client c(co);
  std::unique_ptr<TlsSession> s = TlsSession::Create(ec());
  EXPECT_FALSE(Handshake(c, *s));

  // Only the two files: no temporary left behind.
  EXPECT_EQ(dir().Files().size(), rsa_cert_.empty() ? 2u : 4u);
}

TEST_F(TlsTest, SelfSignedForAnIpAddressCarriesItAsIpSan) {
  TempDir d;
  ASSERT_TRUE(TlsContext::GenerateSelfSigned(d.File("c"), d.File("k"), "192.0.2.7", 1).ok());
  FILE* f = std::fopen(d.File("c").c_str(), "r");
  ASSERT_NE(f, nullptr);
  X509* x = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(X509_check_ip_asc(x, "192.0.2.7", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(x, "127.0.0.1", 0), 0);
  X509_free(x);

  EXPECT_FALSE(TlsContext::GenerateSelfSigned(d.File("c"), d.File("k"), "", 1).ok());
  EXPECT_FALSE(TlsContext::GenerateSelfSigned(d.File("c"), d.File("k"), "x", 0).ok());
  absl::Status st =
      TlsContext::GenerateSelfSigned(d.File("no/such/dir/c"), d.File("no/such/dir/k"), "x", 1);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("no/such/dir/k"), std::string_view::npos) << st;
}

struct VersionCase {
  int version;
  const char* name;
};

class TlsVersionTest : public TlsTest, public ::testing::WithParamInterface<VersionCase> {
 protected:
  [[nodiscard]] ClientOptions Options() const {
    ClientOptions o;
    o.min_version = GetParam().version;
    o.max_version = GetParam().version;
    return o;
  }
};

TEST_P(TlsVersionTest, CompletesTheHandshake) {
  Client c(Options());
  std::unique_ptr<TlsSession> s = TlsSession::Create(ec());
  ASSERT_NE(s, nullptr);
  EXPECT_FALSE(s->established());
  EXPECT_EQ(s->version(), "");
  EXPECT_EQ(s->cipher(), "");
  ASSERT_TRUE(Handshake(c, *s)) << c.error() << " / " << s->error();
  EXPECT_TRUE(s->established());
  EXPECT_EQ(s->version(), GetParam().name);
  EXPECT_EQ(s->version(), SSL_get_version(c.ssl()));
  EXPECT_EQ(s->cipher(), SSL_get_cipher_name(c.ssl()));
  if (GetParam().version == TLS1_2_VERSION) {
    // The list's first ECDSA entry: server preference.
    EXPECT_EQ(s->cipher(), "ECDHE-ECDSA-AES128-GCM-SHA256");
  }
  EXPECT_EQ(s->error(), "");
  // Drained and idle: no buffers held.
  EXPECT_EQ(s->OutputSize(), 0u);
  EXPECT_EQ(s->BufferedBytes(), 0u);
}

TEST_P(TlsVersionTest, ExchangesApplicationDataBothWays) {
  Client c(Options());
  std::unique_ptr<TlsSession> s = TlsSession::Create(ec());
  ASSERT_TRUE(Handshake(c, *s));

  const std::string request = Register(1);
  ASSERT_TRUE(c.Write(request));
  std::string got;
  ASSERT_EQ(ToServer(c, *s, &got), TlsSession::Result::kOk);
  EXPECT_EQ(got, request);

  const std::string response = "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";
  ASSERT_TRUE(s->Send(response));
  EXPECT_GT(s->OutputSize(), response.size());
  EXPECT_GE(s->BufferedBytes(), s->OutputSize());
  c.Give(TakeAll(*s));
  EXPECT_EQ(s->BufferedBytes(), 0u);
  EXPECT_EQ(c.Read(), response);
}

TEST_P(TlsVersionTest, ReassemblesRecordsFedOneByteAtATime) {
  Client c(Options());
  std::unique_ptr<TlsSession> s = TlsSession::Create(ec());
  // The handshake itself, fragmented too.
  for (int round = 0; round < 10 && !(c.established() && s->established()); ++round) {
    ASSERT_TRUE(c.Advance()) << c.error();
    const std::string bytes = c.TakeOutput();
    for (char b : bytes) {
      ASSERT_EQ(s->Receive(&b, 1, [](std::string_view) {}), TlsSession::Result::kOk) << s->error();
    }
    c.Give(TakeAll(*s));
  }
  ASSERT_TRUE(s->established());
  c.Read();

  const std::string request = Register(2);
  ASSERT_TRUE(c.Write(request));
  const std::string bytes = c.TakeOutput();
  std::string got;
  int chunks = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    ASSERT_EQ(s->Receive(&bytes[i], 1,
                         [&](std::string_view chunk) {
                           got.append(chunk);
                           ++chunks;
                         }),
              TlsSession::Result::kOk);
    // Nothing is delivered before the record's last byte.
    EXPECT_EQ(got.empty(), i + 1 < bytes.size()) << i;
  }
  EXPECT_EQ(got, request);
  EXPECT_EQ(chunks, 1);
}

TEST_P(TlsVersionTest, DeliversSeveralRecordsFromOneReceive) {
  Client c(Options());
  std::unique_ptr<TlsSession> s = TlsSession::Create(ec());
  ASSERT_TRUE(Handshake(c, *s));
  const std::string a = Register(3);
  const std::string b = Register(4);
  ASSERT_TRUE(c.Write(a));
  ASSERT_TRUE(c.Write(b));
  std::vector<std::string> chunks;
  const std::string bytes = c.TakeOutput();
  ASSERT_EQ(s->Receive(bytes.data(), bytes.size(),
                       [&](std::string_view chunk) { chunks.emplace_back(chunk); }),
            TlsSession::Result::kOk);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0], a);
  EXPECT_EQ(chunks[1], b);
}

TEST_P(TlsVersionTest, SplitsAndReassemblesMessagesLargerThanARecord) {
  Client c(Options());
  std::unique_ptr<TlsSession> s = TlsSession::Create(ec());
  ASSERT_TRUE(Handshake(c, *s));
  std::string big(40000, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) {
    big[i] = static_cast<char>('a' + i % 26);
  }
  ASSERT_TRUE(s->Send(big));
  c.Give(TakeAll(*s));
  EXPECT_EQ(c.Read(), big);

  ASSERT_TRUE(c.Write(big));
  std::string got;
  std::size_t largest = 0;
  const std::string bytes = c.TakeOutput();
  ASSERT_EQ(s->Receive(bytes.data(), bytes.size(),
                       [&](std::string_view chunk) {
                         got.append(chunk);
                         largest = std::max(largest, chunk.size());
                       }),
            TlsSession::Result::kOk);
  EXPECT_EQ(got, big);
  EXPECT_EQ(largest, 16384u);
}

TEST_P(TlsVersionTest, RepliesFromInsideTheCallback) {
  Client c(Options());
  std::unique_ptr<TlsSession> s = TlsSession::Create(ec());
  ASSERT_TRUE(Handshake(c, *s));
  ASSERT_TRUE(c.Write("ping"));
  const std::string bytes = c.TakeOutput();
  ASSERT_EQ(s->Receive(bytes.data(), bytes.size(),
                       [&](std::string_view chunk) {
                         EXPECT_TRUE(s->Send(std::string(chunk) + " pong"));
                       }),
            TlsSession::Result::kOk);
  c.Give(TakeAll(*s));
  EXPECT_EQ(c.Read(), "ping pong");
}

TEST_P(TlsVersionTest, ReportsCloseNotifyAndAnswersIt) {
  Client c(Options());
  std::unique_ptr<TlsSession> s = TlsSession::Create(ec());
  ASSERT_TRUE(Handshake(c, *s));
  ASSERT_TRUE(c.Write("last words"));
  EXPECT_EQ(SSL_shutdown(c.ssl()), 0);
  std::string got;
  EXPECT_EQ(ToServer(c, *s, &got), TlsSession::Result::kClosed);
  EXPECT_EQ(got, "last words");
  s->Shutdown();
  ASSERT_GT(s->OutputSize(), 0u);
  EXPECT_FALSE(s->Send("too late"));
  c.Give(TakeAll(*s));
  bool closed = false;
  c.Read(&closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(SSL_shutdown(c.ssl()), 1);
}

TEST_P(TlsVersionTest, FailsOnACorruptedRecord) {
  Client c(Options());
  std::unique_ptr<TlsSession> s = TlsSession::Create(ec());
  ASSERT_TRUE(Handshake(c, *s));
  ASSERT_TRUE(c.Write(Register(5)));
  std::string bytes = c.TakeOutput();
  bytes[bytes.size() - 3] ^= 0x01;  // inside the AEAD tag
  bool delivered = false;
  EXPECT_EQ(s->Receive(bytes.data(), bytes.size(), [&](std::string_view) { delivered = true; }),
            TlsSession::Result::kError);
  EXPECT_FALSE(delivered);
  EXPECT_NE(s->error(), "");
  EXPECT_GT(s->OutputSize(), 0u);  // the bad_record_mac alert
  // Sticky.
  EXPECT_EQ(s->Receive("x", 1, [](std::string_view) {}), TlsSession::Result::kError);
  EXPECT_FALSE(s->Send("x"));
}

TEST_P(TlsVersionTest, ResumesWithASessionTicket) {
  SSL_SESSION* saved = nullptr;
  {
    Client c(Options());
    std::unique_ptr<TlsSession> s = TlsSession::Create(ec());
    ASSERT_TRUE(Handshake(c, *s));
    saved = SSL_get1_session(c.ssl());
    ASSERT_NE(saved, nullptr);
    EXPECT_EQ(SSL_SESSION_is_resumable(saved), 1);
    // A client that closes properly (SSL_free() after an unfinished shutdown would mark the
    // session not resumable).
    SSL_shutdown(c.ssl());
    ASSERT_EQ(ToServer(c, *s), TlsSession::Result::kClosed);
  }
  ClientOptions o = Options();
  o.resume = saved;
  Client c(o);
  std::unique_ptr<TlsSession> s = TlsSession::Create(ec());
  ASSERT_TRUE(Handshake(c, *s));
  EXPECT_EQ(SSL_session_reused(s->native()), 1);
  EXPECT_EQ(SSL_session_reused(c.ssl()), 1);
  SSL_SESSION_free(saved);
}

INSTANTIATE_TEST_SUITE_P(Versions, TlsVersionTest,
                         ::testing::Values(VersionCase{TLS1_2_VERSION, "TLSv1.2"},
                                           VersionCase{TLS1_3_VERSION, "TLSv1.3"}),
                         [](const ::testing::TestParamInfo<VersionCase>& p) {
                           return p.param.version == TLS1_2_VERSION ? std::string("Tls12")
                                                                    : std::string("Tls13");
                         });

TEST_F(TlsTest, RefusesSendBeforeTheHandshake) {
  std::unique_ptr<TlsSession> s = TlsSession::Create(ec());
  EXPECT_FALSE(s->Send("early"));
  EXPECT_EQ(s->error(), "handshake not complete");
  EXPECT_EQ(s->OutputSize(), 0u);
  s->Shutdown();  // nothing to do before the handshake
  EXPECT_EQ(s->OutputSize(), 0u);
  // Not fatal: the handshake still works.
  Client c;
  EXPECT_TRUE(Handshake(c, *s));
}

TEST_F(TlsTest, FailsOnGarbage) {
  std::unique_ptr<TlsSession> s = TlsSession::Create(ec());
  const std::string http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  EXPECT_EQ(s->Receive(http.data(), http.size(), [](std::string_view) {}),
            TlsSession::Result::kError);
  EXPECT_NE(s->error(), "");
  EXPECT_FALSE(s->established());

  std::unique_ptr<TlsSession> s2 = TlsSession::Create(ec());
  const char junk[] = {0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x7f};
  EXPECT_EQ(s2->Receive(junk, sizeof(junk), [](std::string_view) {}), TlsSession::Result::kError);
  EXPECT_NE(s2->error(), "");
  // One connection's failure does not leak into another's error queue.
  Client c;
  std::unique_ptr<TlsSession> s3 = TlsSession::Create(ec());
  EXPECT_TRUE(Handshake(c, *s3));
  EXPECT_EQ(s3->error(), "");
}

TEST_F(TlsTest, PeekAndConsumeOutputWithoutCopying) {
  Client c;
  std::unique_ptr<TlsSession> s = TlsSession::Create(ec());
  ASSERT_TRUE(c.Advance());
  ASSERT_EQ(ToServer(c, *s), TlsSession::Result::kOk);
  const std::size_t size = s->OutputSize();
  ASSERT_GT(size, 10u);
  std::string_view v = s->PeekOutput();
  ASSERT_EQ(v.size(), size);
  std::string flight(v);
  s->ConsumeOutput(10);
  EXPECT_EQ(s->OutputSize(), size - 10);
  EXPECT_EQ(s->PeekOutput(), std::string_view(flight).substr(10));
  s->ConsumeOutput(size);  // more than is left: takes the rest
  EXPECT_EQ(s->OutputSize(), 0u);
  EXPECT_EQ(s->PeekOutput(), "");
  EXPECT_EQ(s->BufferedBytes(), 0u);
  c.Give(flight);
  EXPECT_TRUE(Handshake(c, *s));
}

// TLS 1.0 and 1.1: refused by default, accepted with allow_deprecated.
class TlsDeprecatedTest : public TlsTest, public ::testing::WithParamInterface<VersionCase> {
 protected:
  [[nodiscard]] ClientOptions Options() const {
    ClientOptions o;
    o.min_version = GetParam().version;
    o.max_version = GetParam().version;
    o.legacy = true;
    o.ciphers = "DEFAULT:@SECLEVEL=0";
    return o;
  }
};

TEST_P(TlsDeprecatedTest, IsRefusedByDefault) {
  Client c(Options());
  std::unique_ptr<TlsSession> s = TlsSession::Create(ec());
  ASSERT_TRUE(c.Advance());
  EXPECT_EQ(ToServer(c, *s), TlsSession::Result::kError);
  EXPECT_EQ(s->error(), "unsupported protocol");
  EXPECT_FALSE(s->established());
  // The protocol_version alert reaches the client.
  ASSERT_GT(s->OutputSize(), 0u);
  c.Give(TakeAll(*s));
  EXPECT_FALSE(c.Advance());
  EXPECT_EQ(c.error(), "tlsv1 alert protocol version");
}

TEST_P(TlsDeprecatedTest, IsAcceptedWithAllowDeprecated) {
  MakeRsaPair();
  TlsOptions o;
  o.certificate_file = rsa_cert_;
  o.private_key_file = rsa_key_;
  o.allow_deprecated = true;
  std::unique_ptr<TlsContext> ctx = MakeContext(o);
  ASSERT_NE(ctx, nullptr);
  Client c(Options());
  std::unique_ptr<TlsSession> s = TlsSession::Create(*ctx);
  ASSERT_TRUE(Handshake(c, *s)) << c.error() << " / " << s->error();
  EXPECT_EQ(s->version(), GetParam().name);
  EXPECT_EQ(s->cipher(), "AES128-SHA");  // the first pre-1.2 entry of the list
  ASSERT_TRUE(c.Write("OPTIONS"));
  std::string got;
  ASSERT_EQ(ToServer(c, *s, &got), TlsSession::Result::kOk);
  EXPECT_EQ(got, "OPTIONS");
  ASSERT_TRUE(s->Send("200"));
  c.Give(TakeAll(*s));
  EXPECT_EQ(c.Read(), "200");

  // Modern clients are unaffected.
  Client modern;
  std::unique_ptr<TlsSession> s2 = TlsSession::Create(*ctx);
  ASSERT_TRUE(Handshake(modern, *s2));
  EXPECT_EQ(s2->version(), "TLSv1.3");
}

TEST_P(TlsDeprecatedTest, NeedsAnEcdheShaCipherWithAnEcCertificate) {
  TlsOptions o;
  o.certificate_file = ec_cert_;
  o.private_key_file = ec_key_;
  o.allow_deprecated = true;
  {
    // The default list has no pre-1.2 cipher an ECDSA certificate can serve.
    std::unique_ptr<TlsContext> ctx = MakeContext(o);
    ASSERT_NE(ctx, nullptr);
    Client c(Options());
    std::unique_ptr<TlsSession> s = TlsSession::Create(*ctx);
    EXPECT_FALSE(Handshake(c, *s));
    EXPECT_EQ(s->error(), "no shared cipher");
  }
  o.ciphers = std::string(kDefaultTlsCiphers) + ":ECDHE-ECDSA-AES128-SHA";
  std::unique_ptr<TlsContext> ctx = MakeContext(o);
  ASSERT_NE(ctx, nullptr);
  Client c(Options());
  std::unique_ptr<TlsSession> s = TlsSession::Create(*ctx);
  ASSERT_TRUE(Handshake(c, *s)) << c.error() << " / " << s->error();
  EXPECT_EQ(s->version(), GetParam().name);
  EXPECT_EQ(s->cipher(), "ECDHE-ECDSA-AES128-SHA");
}

INSTANTIATE_TEST_SUITE_P(Versions, TlsDeprecatedTest,
                         ::testing::Values(VersionCase{TLS1_VERSION, "TLSv1"},
                                           VersionCase{TLS1_1_VERSION, "TLSv1.1"}),
                         [](const ::testing::TestParamInfo<VersionCase>& p) {
                           return p.param.version == TLS1_VERSION ? std::string("Tls10")
                                                                  : std::string("Tls11");
                         });

TEST_F(TlsTest, RefusesATls12CipherOutsideTheList) {
  MakeRsaPair();
  struct Case {
    const std::string* cert;
    const std::string* key;
    const char* cipher;
  };
  for (const Case& k : {Case{&ec_cert_, &ec_key_, "ECDHE-ECDSA-CHACHA20-POLY1305"},
                        Case{&rsa_cert_, &rsa_key_, "ECDHE-RSA-CHACHA20-POLY1305"}}) {
    SCOPED_TRACE(k.cipher);
    TlsOptions o;
    o.certificate_file = *k.cert;
    o.private_key_file = *k.key;
    ClientOptions co;
    co.max_version = TLS1_2_VERSION;
    co.ciphers = k.cipher;
    {
      std::unique_ptr<TlsContext> ctx = MakeContext(o);
      ASSERT_NE(ctx, nullptr);
      Client c(co);
      std::unique_ptr<TlsSession> s = TlsSession::Create(*ctx);
      ASSERT_TRUE(c.Advance());
      EXPECT_EQ(ToServer(c, *s), TlsSession::Result::kError);
      EXPECT_EQ(s->error(), "no shared cipher");
    }
    // The same client succeeds once the server lists the cipher: the list is what refused it.
    o.ciphers = k.cipher;
    std::unique_ptr<TlsContext> ctx = MakeContext(o);
    ASSERT_NE(ctx, nullptr);
    Client c(co);
    std::unique_ptr<TlsSession> s = TlsSession::Create(*ctx);
    ASSERT_TRUE(Handshake(c, *s)) << c.error() << " / " << s->error();
    EXPECT_EQ(s->cipher(), k.cipher);
  }
}

TEST_F(TlsTest, CreateNamesAMissingFile) {
  TlsOptions o;
  o.certificate_file = dir().File("missing.crt");
  o.private_key_file = ec_key_;
  absl::StatusOr<std::unique_ptr<TlsContext>> ctx = TlsContext::Create(o);
  ASSERT_FALSE(ctx.ok());
  EXPECT_TRUE(absl::IsNotFound(ctx.status())) << ctx.status();
  EXPECT_NE(ctx.status().message().find(o.certificate_file), std::string_view::npos);

  o.certificate_file = ec_cert_;
  o.private_key_file = dir().File("missing.key");
  ctx = TlsContext::Create(o);
  ASSERT_FALSE(ctx.ok());
  EXPECT_TRUE(absl::IsNotFound(ctx.status())) << ctx.status();
  EXPECT_NE(ctx.status().message().find(o.private_key_file), std::string_view::npos);
}

TEST_F(TlsTest, CreateNamesAKeyThatDoesNotMatch) {
  TempDir d;
  ASSERT_TRUE(
      TlsContext::GenerateSelfSigned(d.File("other.crt"), d.File("other.key"), "localhost", 1)
          .ok());
  TlsOptions o;
  o.certificate_file = ec_cert_;
  o.private_key_file = d.File("other.key");
  absl::StatusOr<std::unique_ptr<TlsContext>> ctx = TlsContext::Create(o);
  ASSERT_FALSE(ctx.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(ctx.status())) << ctx.status();
  EXPECT_NE(ctx.status().message().find(o.private_key_file), std::string_view::npos)
      << ctx.status();
  EXPECT_NE(ctx.status().message().find("key values mismatch"), std::string_view::npos)
      << ctx.status();

  // A key of another type (RSA against an EC certificate).
  MakeRsaPair();
  o.private_key_file = rsa_key_;
  ctx = TlsContext::Create(o);
  ASSERT_FALSE(ctx.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(ctx.status())) << ctx.status();
  EXPECT_NE(ctx.status().message().find(o.private_key_file), std::string_view::npos)
      << ctx.status();
}

TEST_F(TlsTest, CreateRejectsUnreadableMaterialAndEmptyCipherLists) {
  TempDir d;
  FILE* f = std::fopen(d.File("junk.pem").c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("not a certificate\n", f);
  std::fclose(f);
  TlsOptions o;
  o.certificate_file = d.File("junk.pem");
  o.private_key_file = ec_key_;
  absl::StatusOr<std::unique_ptr<TlsContext>> ctx = TlsContext::Create(o);
  ASSERT_FALSE(ctx.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(ctx.status())) << ctx.status();
  EXPECT_NE(ctx.status().message().find(o.certificate_file), std::string_view::npos);

  o.certificate_file = ec_cert_;
  o.private_key_file = d.File("junk.pem");
  ctx = TlsContext::Create(o);
  ASSERT_FALSE(ctx.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(ctx.status())) << ctx.status();
  EXPECT_NE(ctx.status().message().find(o.private_key_file), std::string_view::npos);

  o.private_key_file = ec_key_;
  o.ciphers = "NO-SUCH-CIPHER";
  ctx = TlsContext::Create(o);
  ASSERT_FALSE(ctx.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(ctx.status())) << ctx.status();
}

TEST_F(TlsTest, ContextSettings) {
  SSL_CTX* ctx = ec().native();
  EXPECT_EQ(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION);
  EXPECT_EQ(SSL_CTX_get_max_proto_version(ctx), TLS1_3_VERSION);
  EXPECT_NE(SSL_CTX_get_mode(ctx) & SSL_MODE_RELEASE_BUFFERS, 0);
  EXPECT_EQ(SSL_CTX_get_session_cache_mode(ctx), SSL_SESS_CACHE_OFF);
  EXPECT_NE(SSL_CTX_get_options(ctx) & SSL_OP_NO_RENEGOTIATION, 0u);
  // The TLS 1.2 list in the documented order (TLS 1.3 suites first, then the list).
  std::string tls12;
  STACK_OF(SSL_CIPHER)* ciphers = SSL_CTX_get_ciphers(ctx);
  for (int i = 0; i < sk_SSL_CIPHER_num(ciphers); ++i) {
    const SSL_CIPHER* c = sk_SSL_CIPHER_value(ciphers, i);
    if (std::string_view(SSL_CIPHER_get_version(c)) != "TLSv1.3") {
      tls12 += std::string(tls12.empty() ? "" : ":") + SSL_CIPHER_get_name(c);
    }
  }
  EXPECT_EQ(tls12, kDefaultTlsCiphers);
}

}  // namespace
}  // namespace sipfront::net
