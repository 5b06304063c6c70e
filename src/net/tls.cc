#include "sipfront/net/tls.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"

namespace sipfront::net {

namespace {

// One TLS record's plaintext at most (RFC 8446 §5.1), so one SSL_read_ex() hands out a whole
// record.
constexpr std::size_t kScratchSize = 16384;
thread_local char tls_scratch[kScratchSize];

// Smallest output buffer: the server's first flight with a self-signed P-256 certificate
// (measured: 812 bytes in TLS 1.3, 655 in TLS 1.2) or a few SIP responses fit without growing;
// a CA chain (3-5 kB) doubles it once or twice.
constexpr std::size_t kMinOutputCapacity = 2048;

constexpr const char* kOutOfMemory = "out of memory";

// OpenSSL's reason for the oldest error in this thread's queue ("unsupported protocol").
const char* OpenSslReason() {
  const unsigned long e = ERR_peek_error();
  const char* r = e != 0 ? ERR_reason_error_string(e) : nullptr;
  return r != nullptr ? r : "unknown TLS failure";
}

// True when some error in the queue is a failed open() with ENOENT. Empties the queue.
bool QueueHasNoSuchFile() {
  bool found = false;
  for (unsigned long e = ERR_get_error(); e != 0; e = ERR_get_error()) {
    found = found || (ERR_GET_LIB(e) == ERR_LIB_SYS && ERR_GET_REASON(e) == ENOENT) ||
            (ERR_GET_LIB(e) == ERR_LIB_BIO && ERR_GET_REASON(e) == BIO_R_NO_SUCH_FILE);
  }
  return found;
}

// Error for a file OpenSSL failed to load: NotFound when it does not exist, InvalidArgument
// otherwise. Clears the error queue.
absl::Status FileError(const char* what, const char* path) {
  const char* reason = OpenSslReason();
  struct stat st {};
  const bool missing = (stat(path, &st) != 0 && errno == ENOENT) || QueueHasNoSuchFile();
  absl::Status s =
      missing
          ? absl::NotFoundError(absl::StrCat(what, " \"", path, "\": No such file or directory"))
          : absl::InvalidArgumentError(
                absl::StrCat(what, " \"", path, "\": cannot load: ", reason));
  ERR_clear_error();
  return s;
}

absl::Status OpenSslError(absl::string_view what) {
  absl::Status s = absl::InternalError(absl::StrCat(what, ": ", OpenSslReason()));
  ERR_clear_error();
  return s;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// TlsContext

absl::StatusOr<std::unique_ptr<TlsContext>> TlsContext::Create(const TlsOptions& options) {
  ERR_clear_error();
  SSL_CTX* raw = SSL_CTX_new(TLS_server_method());
  if (raw == nullptr) {
    return OpenSslError("TLS: SSL_CTX_new");
  }
  std::unique_ptr<TlsContext> ctx(new (std::nothrow) TlsContext(raw));
  if (ctx == nullptr) {
    SSL_CTX_free(raw);
    return absl::InternalError("TLS: out of memory");
  }

  const int min_version = options.allow_deprecated ? TLS1_VERSION : TLS1_2_VERSION;
  if (SSL_CTX_set_min_proto_version(raw, min_version) != 1 ||
      SSL_CTX_set_max_proto_version(raw, TLS1_3_VERSION) != 1) {
    return OpenSslError("TLS: setting the protocol versions");
  }
  // OpenSSL 3 refuses the SHA-1 / MD5+SHA-1 handshake signatures of TLS 1.0/1.1 above level 0.
  const auto cipher_list =
      absl::StrCat(options.ciphers.empty() ? kDefaultTlsCiphers : options.ciphers.c_str(),
                   options.allow_deprecated ? ":@SECLEVEL=0" : "");
  if (SSL_CTX_set_cipher_list(raw, cipher_list.c_str()) != 1) {
    absl::Status s = absl::InvalidArgumentError(
        absl::StrCat("TLS cipher list \"", cipher_list, "\": ", OpenSslReason()));
    ERR_clear_error();
    return s;
  }
  SSL_CTX_set_options(
      raw, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  SSL_CTX_set_mode(raw, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_session_cache_mode(raw, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(raw, 1);

  const char* cert = options.certificate_file.c_str();
  const char* key = options.private_key_file.c_str();
  if (SSL_CTX_use_certificate_chain_file(raw, cert) != 1) {
    return FileError("TLS certificate file", cert);
  }
  if (SSL_CTX_use_PrivateKey_file(raw, key, SSL_FILETYPE_PEM) != 1) {
    // ssl_set_pkey() compares the key with a certificate of the same type: a mismatch fails
    // here with "key values mismatch" rather than in SSL_CTX_check_private_key().
    const unsigned long e = ERR_peek_error();
    if (ERR_GET_LIB(e) == ERR_LIB_X509 && ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH) {
      absl::Status s = absl::InvalidArgumentError(
          absl::StrCat("TLS private key file \"", key, "\" does not match certificate file \"",
                       cert, "\": ", OpenSslReason()));
      ERR_clear_error();
      return s;
    }
    return FileError("TLS private key file", key);
  }
  if (SSL_CTX_check_private_key(raw) != 1) {
    absl::Status s = absl::InvalidArgumentError(
        absl::StrCat("TLS private key file \"", key, "\" does not match certificate file \"", cert,
                     "\": ", OpenSslReason()));
    ERR_clear_error();
    return s;
  }
  return ctx;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

namespace {

// Owners for the OpenSSL objects GenerateSelfSigned() builds.
struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};

absl::Status AddExtension(X509* x, X509V3_CTX* v3, int nid, const char* value) {
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, v3, nid, value);
  if (ext == nullptr) {
    absl::Status s = absl::InvalidArgumentError(
        absl::StrCat("TLS certificate extension \"", value, "\": ", OpenSslReason()));
    ERR_clear_error();
    return s;
  }
  const int ok = X509_add_ext(x, ext, -1);
  X509_EXTENSION_free(ext);
  if (ok != 1) {
    return OpenSslError("TLS: X509_add_ext");
  }
  return absl::OkStatus();
}

// Writes `data` to `path` through a temporary file in the same directory: mode, fsync,
// rename.
absl::Status WriteFileAtomically(const char* path, BIO* data, mode_t mode) {
  char* bytes = nullptr;
  const long len = BIO_get_mem_data(data, &bytes);
  auto tmp = absl::StrCat(path, ".XXXXXX");
  const int fd = mkstemp(tmp.data());
  if (fd < 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("creating a temporary file for \"", path, "\""));
  }
  auto fail = [&](const char* op) {
    const int err = errno;
    close(fd);
    unlink(tmp.c_str());
    return absl::ErrnoToStatus(err, absl::StrCat(op, " \"", tmp, "\""));
  };
  if (fchmod(fd, mode) != 0) {
    return fail("fchmod");
  }
  for (long off = 0; off < len;) {
    const ssize_t n = write(fd, bytes + off, static_cast<std::size_t>(len - off));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return fail("writing");
    }
    off += n;
  }
  if (fsync(fd) != 0) {
    return fail("fsync");
  }
  if (close(fd) != 0) {
    const int err = errno;
    unlink(tmp.c_str());
    return absl::ErrnoToStatus(err, absl::StrCat("closing \"", tmp, "\""));
  }
  if (rename(tmp.c_str(), path) != 0) {
    const int err = errno;
    unlink(tmp.c_str());
    return absl::ErrnoToStatus(err, absl::StrCat("renaming \"", tmp, "\" to \"", path, "\""));
  }
  return absl::OkStatus();
}

bool IsIpLiteral(std::string_view s) {
  char buf[64];
  if (s.size() >= sizeof(buf)) {
    return false;
  }
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  unsigned char addr[sizeof(in6_addr)];
  return inet_pton(AF_INET, buf, addr) == 1 || inet_pton(AF_INET6, buf, addr) == 1;
}

}  // namespace

absl::Status TlsContext::GenerateSelfSignedFiles(const char* certificate_file,
                                                 const char* private_key_file,
                                                 std::string_view common_name, int days,
                                                 TlsKeyType key_type) {
  // ub-common-name (RFC 5280 appendix A.1): OpenSSL refuses longer CNs.
  if (common_name.empty() || common_name.size() > 64) {
    return absl::InvalidArgumentError(
        "TLS self-signed certificate: common name must be 1..64 "
        "characters");
  }
  if (days < 1) {
    return absl::InvalidArgumentError("TLS self-signed certificate: days must be >= 1");
  }
  ERR_clear_error();
  const bool rsa = key_type == TlsKeyType::kRsa2048;
  std::unique_ptr<EVP_PKEY, PkeyFree> pkey(
      rsa ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(2048))
          : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (pkey == nullptr) {
    return OpenSslError("TLS: generating the key");
  }

  std::unique_ptr<X509, X509Free> x(X509_new());
  std::unique_ptr<BIGNUM, BnFree> serial(BN_new());
  if (x == nullptr || serial == nullptr) {
    return OpenSslError("TLS: X509_new");
  }
  // 127 random bits: positive and at most 20 octets (RFC 5280 §4.1.2.2).
  if (BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(x.get())) == nullptr) {
    return OpenSslError("TLS: certificate serial");
  }
  X509_NAME* name = X509_get_subject_name(x.get());
  if (X509_set_version(x.get(), X509_VERSION_3) != 1 ||
      X509_gmtime_adj(X509_getm_notBefore(x.get()), -3600) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(x.get()), days, 0, nullptr) == nullptr ||
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.data()),
                                 static_cast<int>(common_name.size()), -1, 0) != 1 ||
      X509_set_issuer_name(x.get(), name) != 1 || X509_set_pubkey(x.get(), pkey.get()) != 1) {
    return OpenSslError("TLS: building the certificate");
  }

  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, x.get(), x.get(), nullptr, nullptr, 0);
  // Debian's abseil has its own string_view.
  const absl::string_view cn(common_name.data(), common_name.size());
  auto san = absl::StrCat("DNS:", cn);
  if (common_name == "localhost") {
    absl::StrAppend(&san, ",IP:127.0.0.1,IP:::1");
  } else if (IsIpLiteral(common_name)) {
    absl::StrAppend(&san, ",IP:", cn);
  }
  SIPFRONT_RETURN_IF_ERROR(AddExtension(x.get(), &v3, NID_basic_constraints, "critical,CA:FALSE"));
  SIPFRONT_RETURN_IF_ERROR(AddExtension(
      x.get(), &v3, NID_key_usage,
      rsa ? "critical,digitalSignature,keyEncipherment" : "critical,digitalSignature"));
  SIPFRONT_RETURN_IF_ERROR(AddExtension(x.get(), &v3, NID_ext_key_usage, "serverAuth,clientAuth"));
  SIPFRONT_RETURN_IF_ERROR(AddExtension(x.get(), &v3, NID_subject_key_identifier, "hash"));
  SIPFRONT_RETURN_IF_ERROR(AddExtension(x.get(), &v3, NID_subject_alt_name, san.c_str()));
  if (X509_sign(x.get(), pkey.get(), EVP_sha256()) == 0) {
    return OpenSslError("TLS: signing the certificate");
  }

  std::unique_ptr<BIO, BioFree> key_pem(BIO_new(BIO_s_mem()));
  std::unique_ptr<BIO, BioFree> cert_pem(BIO_new(BIO_s_mem()));
  if (key_pem == nullptr || cert_pem == nullptr ||
      PEM_write_bio_PrivateKey(key_pem.get(), pkey.get(), nullptr, nullptr, 0, nullptr, nullptr) !=
          1 ||
      PEM_write_bio_X509(cert_pem.get(), x.get()) != 1) {
    return OpenSslError("TLS: writing PEM");
  }
  SIPFRONT_RETURN_IF_ERROR(WriteFileAtomically(private_key_file, key_pem.get(), 0600));
  return WriteFileAtomically(certificate_file, cert_pem.get(), 0644);
}

// ---------------------------------------------------------------------------------------------
// TlsSession

// The BIO under every session, read and write side alike: reads come from the caller's bytes
// during Receive(), writes go to the session's output buffer. BIO_s_mem() would keep its
// buffer (at least its high-water mark) allocated for the life of the connection.
struct TlsBio {
  static TlsSession* Session(BIO* b) { return static_cast<TlsSession*>(BIO_get_data(b)); }

  static int Read(BIO* b, char* out, std::size_t len, std::size_t* read) {
    BIO_clear_retry_flags(b);
    TlsSession* s = Session(b);
    if (s->in_len_ == 0) {
      BIO_set_retry_read(b);
      *read = 0;
      return 0;
    }
    const std::size_t n = std::min(len, s->in_len_);
    std::memcpy(out, s->in_, n);
    s->in_ += n;
    s->in_len_ -= n;
    *read = n;
    return 1;
  }

  static int Write(BIO* b, const char* data, std::size_t len, std::size_t* written) {
    BIO_clear_retry_flags(b);
    if (!Session(b)->AppendOutput(data, len)) {
      *written = 0;
      return 0;  // no retry flag: a hard failure (out of memory)
    }
    *written = len;
    return 1;
  }

  static long Ctrl(BIO* b, int cmd, long /*num*/, void* /*ptr*/) {
    switch (cmd) {
      case BIO_CTRL_FLUSH:  // the state machine flushes after every flight
        return 1;
      case BIO_CTRL_PENDING:
        return static_cast<long>(Session(b)->in_len_);
      case BIO_CTRL_WPENDING:
        return static_cast<long>(Session(b)->out_len_);
      default:
        return 0;
    }
  }

  static int Create(BIO* b) {
    BIO_set_init(b, 1);
    return 1;
  }

  static int Destroy(BIO* /*b*/) { return 1; }  // the session owns the buffers

  // Built once (thread-safe static initialization), never freed.
  static BIO_METHOD* Method() {
    static BIO_METHOD* const method = [] {
      BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "sipfront tls");
      if (m != nullptr) {
        BIO_meth_set_read_ex(m, Read);
        BIO_meth_set_write_ex(m, Write);
        BIO_meth_set_ctrl(m, Ctrl);
        BIO_meth_set_create(m, Create);
        BIO_meth_set_destroy(m, Destroy);
      }
      return m;
    }();
    return method;
  }
};

std::unique_ptr<TlsSession> TlsSession::Create(TlsContext& ctx) {
  BIO_METHOD* method = TlsBio::Method();
  if (method == nullptr) {
    return nullptr;
  }
  SSL* ssl = SSL_new(ctx.native());
  if (ssl == nullptr) {
    ERR_clear_error();
    return nullptr;
  }
  // A connection is accepted once; it is not created on the per-packet path.
  std::unique_ptr<TlsSession> session(new (std::nothrow) TlsSession(ssl));
  BIO* bio = session != nullptr ? BIO_new(method) : nullptr;
  if (bio == nullptr) {
    if (session == nullptr) {
      SSL_free(ssl);
    }
    ERR_clear_error();
    return nullptr;
  }
  BIO_set_data(bio, session.get());
  SSL_set_bio(ssl, bio, bio);  // one BIO both ways: SSL_set_bio takes the extra reference
  SSL_set_accept_state(ssl);
  return session;
}

TlsSession::~TlsSession() {
  // Without a completed shutdown SSL_free() "removes" the session from the context's cache,
  // which takes the context's write lock, shared by every worker, even with the cache off.
  // Resumption state lives in the client's ticket, so there is nothing to invalidate.
  SSL_set_shutdown(ssl_, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
  SSL_free(ssl_);  // frees the BIO
  OPENSSL_free(out_);
}

bool TlsSession::AppendOutput(const char* data, std::size_t len) {
  if (out_cap_ - out_head_ - out_len_ < len) {
    if (out_cap_ - out_len_ >= len && out_head_ != 0) {
      std::memmove(out_, out_ + out_head_, out_len_);
    } else {
      const std::size_t cap = std::max({kMinOutputCapacity, 2 * out_cap_, out_len_ + len});
      char* grown = static_cast<char*>(OPENSSL_malloc(cap));
      if (grown == nullptr) {
        error_ = kOutOfMemory;
        return false;
      }
      if (out_len_ != 0) {
        std::memcpy(grown, out_ + out_head_, out_len_);
      }
      OPENSSL_free(out_);
      out_ = grown;
      out_cap_ = cap;
    }
    out_head_ = 0;
  }
  std::memcpy(out_ + out_head_ + out_len_, data, len);
  out_len_ += len;
  return true;
}

std::string_view TlsSession::PeekOutput() const {
  return out_len_ == 0 ? std::string_view() : std::string_view(out_ + out_head_, out_len_);
}

void TlsSession::ConsumeOutput(std::size_t n) {
  n = std::min(n, out_len_);
  out_head_ += n;
  out_len_ -= n;
  if (out_len_ == 0) {
    // Drained: an idle connection keeps no output buffer.
    OPENSSL_free(out_);
    out_ = nullptr;
    out_head_ = 0;
    out_cap_ = 0;
  }
}

std::size_t TlsSession::TakeOutput(char* out, std::size_t cap) {
  const std::size_t n = std::min(cap, out_len_);
  if (n != 0) {
    std::memcpy(out, out_ + out_head_, n);
    ConsumeOutput(n);
  }
  return n;
}

void TlsSession::Fail(const char* why) {
  failed_ = true;
  error_ = why;
  ERR_clear_error();
}

TlsSession::Result TlsSession::Receive(const char* data, std::size_t len,
                                       absl::FunctionRef<void(std::string_view)> on_plain) {
  if (failed_) {
    return Result::kError;
  }
  in_ = data;
  in_len_ = len;
  // The error queue is per thread: something else on this thread may have left an entry,
  // which would turn SSL_get_error() into SSL_ERROR_SSL.
  ERR_clear_error();
  Result result = Result::kOk;
  for (;;) {
    std::size_t n = 0;
    if (SSL_read_ex(ssl_, tls_scratch, kScratchSize, &n) == 1) {
      on_plain(std::string_view(tls_scratch, n));
      // Input used up and nothing buffered: another SSL_read_ex() would only allocate the
      // 16.7 kB read buffer again to find that out (measured: one extra malloc/free per call).
      if (in_len_ == 0 && SSL_has_pending(ssl_) == 0) {
        break;
      }
      continue;
    }
    switch (SSL_get_error(ssl_, 0)) {
      case SSL_ERROR_WANT_READ:
        break;
      case SSL_ERROR_ZERO_RETURN:
        result = Result::kClosed;
        break;
      case SSL_ERROR_SSL:
        Fail(OpenSslReason());
        result = Result::kError;
        break;
      default:  // SSL_ERROR_SYSCALL: only the output BIO can fail (out of memory)
        Fail(error_ == kOutOfMemory ? kOutOfMemory : "TLS I/O failure");
        result = Result::kError;
        break;
    }
    break;
  }
  in_ = nullptr;
  in_len_ = 0;
  return result;
}

bool TlsSession::Send(std::string_view plain) {
  if (failed_) {
    return false;
  }
  if (shut_down_) {
    error_ = "shut down";
    return false;
  }
  if (SSL_is_init_finished(ssl_) != 1) {
    error_ = "handshake not complete";
    return false;
  }
  if (plain.empty()) {
    return true;
  }
  ERR_clear_error();
  std::size_t written = 0;
  if (SSL_write_ex(ssl_, plain.data(), plain.size(), &written) == 1) {
    return true;
  }
  if (SSL_get_error(ssl_, 0) == SSL_ERROR_SSL) {
    Fail(OpenSslReason());
  } else {
    Fail(error_ == kOutOfMemory ? kOutOfMemory : "TLS I/O failure");
  }
  return false;
}

void TlsSession::Shutdown() {
  if (failed_ || shut_down_ || SSL_is_init_finished(ssl_) != 1) {
    return;
  }
  shut_down_ = true;
  ERR_clear_error();
  SSL_shutdown(ssl_);  // 0: close_notify queued, the peer's not yet seen; either is fine
  ERR_clear_error();
}

bool TlsSession::established() const { return SSL_is_init_finished(ssl_) == 1; }

std::string_view TlsSession::version() const { return established() ? SSL_get_version(ssl_) : ""; }

std::string_view TlsSession::cipher() const {
  return established() ? SSL_CIPHER_get_name(SSL_get_current_cipher(ssl_)) : "";
}

}  // namespace sipfront::net
