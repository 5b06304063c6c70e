// sipfront/net/tls.h — server-side TLS over memory (SIP over TLS, RFC 3261 §26.2 / RFC 5630),
// built on OpenSSL 3.
//
// The module does no I/O. The caller moves ciphertext between its sockets (io_uring) and a
// TlsSession: bytes read from the socket go into Receive(), which advances the handshake and
// hands out decrypted application data; whatever the session wants to send (handshake flights,
// encrypted records, alerts, close_notify) waits in its output until the caller takes it with
// TakeOutput() (or PeekOutput()/ConsumeOutput()) and writes it to the socket.
//
// One TlsContext per listener holds the certificate, key and protocol settings; one TlsSession
// per accepted connection.
//
// Memory: the goal is that an idle established connection costs as little as possible (a few
// kB, against ~61 kB per connection published for Kamailio's tls module). Three things get it:
//   * SSL_MODE_RELEASE_BUFFERS: OpenSSL frees its ~17 kB record read buffer and its write buffer
//     whenever they are empty, so they exist only while a record is half-received or being
//     written;
//   * no memory BIOs: ciphertext input is read by OpenSSL straight from the caller's bytes
//     during Receive() (nothing is copied or kept), and the output buffer is allocated when
//     something is written to it and freed as soon as the caller has taken everything;
//   * no server-side session cache (see TlsContext).
// What remains is OpenSSL's per-connection state: the SSL object (7.6 kB), the record ciphers
// (two AES-GCM contexts, 2.3 kB), the negotiated session (0.9 kB), the certificate settings
// copied from the context (0.5 kB), locks, the peer's key share and small lists. Measured with
// bench/net/tls_bench.cc (BM_TlsSession_IdleMemory, 1000 sessions, all heap included): 14.0 kB
// per idle TLS 1.3 session, 12.9 kB per TLS 1.2 one, against 49 kB for the same connections
// over two BIO_s_mem without SSL_MODE_RELEASE_BUFFERS (BM_TlsBaseline_IdleMemory).
// Allocations go through OpenSSL's allocator (CRYPTO_malloc), so a counting allocator
// installed with CRYPTO_set_mem_functions sees the session buffers too.
//
// Threading: a TlsContext is built once, then shared read-only by every worker thread
// (TlsSession::Create may be called from any thread at the same time). A TlsSession is used by
// one thread at a time; it may move between threads between calls. OpenSSL's error queue is
// per thread: every TlsSession call clears it before use and after a failure, so one
// connection's failure never shows up in another's error().
//
// Lifetime: the TlsContext must outlive every TlsSession made from it. Views handed out by a
// session (on_plain chunks, PeekOutput(), version(), cipher(), error()) are documented per
// function.
#ifndef SIPFRONT_NET_TLS_H_
#define SIPFRONT_NET_TLS_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <openssl/types.h>

#include "absl/functional/function_ref.h"

#include "sipfront/base/status.h"

namespace sipfront::net {

// The TLS 1.2-and-below cipher list of the product documentation, in order of preference
// (the server's order wins: SSL_OP_CIPHER_SERVER_PREFERENCE). TLS 1.3 uses OpenSSL's default
// TLS 1.3 ciphersuites. Of these, only AES128-SHA and AES256-SHA exist before TLS 1.2, and both
// use RSA key exchange: TLS 1.0/1.1 clients (allow_deprecated) need an RSA certificate, or a
// `ciphers` list that adds ECDHE-ECDSA-AES128-SHA / ECDHE-ECDSA-AES256-SHA for an EC one.
inline constexpr const char* kDefaultTlsCiphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-SHA256:"
    "ECDHE-RSA-AES128-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES256-SHA384:AES128-GCM-SHA256:AES128-SHA256:"
    "AES128-SHA:AES256-GCM-SHA384:AES256-SHA256:AES256-SHA";

struct TlsOptions {
  std::string certificate_file;   // PEM: the certificate, optionally followed by its chain
  std::string private_key_file;   // PEM: the matching private key, unencrypted
  bool allow_deprecated = false;  // also accept TLS 1.0 and 1.1 (lowers the context's OpenSSL
                                  // security level to 0, which SHA-1 handshake signatures need)
  std::string ciphers;            // TLS 1.2-and-below cipher list; empty: kDefaultTlsCiphers
};

// Key type of GenerateSelfSigned().
enum class TlsKeyType : uint8_t {
  kEcP256,   // ECDSA over P-256 (the default: small, fast handshakes)
  kRsa2048,  // RSA 2048 (for TLS 1.0/1.1 clients that only know AES128-SHA / AES256-SHA)
};

// The server side of TLS for one listener.
//
// Settings: TLS 1.2 to 1.3 (TLS 1.0 to 1.3 with allow_deprecated), the cipher list above for
// TLS <= 1.2, OpenSSL's default TLS 1.3 ciphersuites and groups, server cipher preference,
// no renegotiation (SSL_OP_NO_RENEGOTIATION: a client-initiated renegotiation costs the server
// a full handshake for free), no compression, no client certificates.
//
// Sessions: stateless resumption only. The server-side session cache is off (it would keep
// every connection's SSL_SESSION alive in the context, ~1 kB each, and lock across workers);
// session tickets are on, and TLS 1.3 sends one ticket instead of OpenSSL's default two. The
// ticket keys are random per TlsContext and never rotate while it lives: tickets do not survive
// a restart or a reload, and a reload is what bounds a key's lifetime (TLS 1.2 resumption's
// forward secrecy rests on it; TLS 1.3 resumption runs a fresh ECDHE).
class TlsContext {
 public:
  // Loads certificate_file (with its chain) and private_key_file and checks that they match.
  // Errors (each message names the file and OpenSSL's reason):
  //   NotFound:         a file does not exist;
  //   InvalidArgument:  a file cannot be read or parsed, the key does not match the
  //                     certificate, or `ciphers` selects no cipher;
  //   Internal:         OpenSSL could not create the context (out of memory).
  static absl::StatusOr<std::unique_ptr<TlsContext>> Create(const TlsOptions& options);

  // Writes a new self-signed certificate and its private key (for tests, and for a first start
  // without a configured certificate):
  //   * the key: EC P-256 by default, PKCS#8 PEM, file mode 0600;
  //   * the certificate: X.509 v3, random positive 127-bit serial, SHA-256 signature, subject and
  //   issuer
  //     CN=common_name, valid from one hour ago (tolerance for peers whose clocks run behind)
  //     until `days` days from now; basicConstraints CA:FALSE, keyUsage digitalSignature
  //     (+ keyEncipherment for RSA), extendedKeyUsage serverAuth and clientAuth (the same pair can
  //     serve outgoing connections), subjectKeyIdentifier; subjectAltName DNS:common_name, plus
  //     IP:127.0.0.1 and IP:::1 when common_name is "localhost", plus IP:common_name when
  //     common_name is an IPv4 or IPv6 literal. File mode 0644.
  // Each file is written to a temporary name in the same directory, synced, then renamed over
  // the target, so a reader sees the old file or the new one, never a torn one. The key is
  // renamed first: a reader between the two renames sees a key that does not match the old
  // certificate, which TlsContext::Create() reports (retry), rather than a silent mismatch.
  // The parent directories must exist. Errors: InvalidArgument (common_name empty or longer
  // than 64 bytes, days < 1),
  // the errno of a file operation (naming the file), Internal (OpenSSL failure).
  // (Inline so that src/net, which bans owning strings, needs only the C paths.)
  static absl::Status GenerateSelfSigned(const std::string& certificate_file,
                                         const std::string& private_key_file,
                                         std::string_view common_name, int days,
                                         TlsKeyType key_type = TlsKeyType::kEcP256) {
    return GenerateSelfSignedFiles(certificate_file.c_str(), private_key_file.c_str(), common_name,
                                   days, key_type);
  }

  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // The OpenSSL context (never null), for settings this interface does not cover. Changing it
  // after the first TlsSession::Create() is not thread-safe.
  [[nodiscard]] SSL_CTX* native() const { return ctx_; }

 private:
  explicit TlsContext(SSL_CTX* ctx) : ctx_(ctx) {}
  static absl::Status GenerateSelfSignedFiles(const char* certificate_file,
                                              const char* private_key_file,
                                              std::string_view common_name, int days,
                                              TlsKeyType key_type);
  SSL_CTX* ctx_;
};

// One server-side TLS connection.
class TlsSession {
 public:
  // A session in the accept state, waiting for the ClientHello. nullptr when OpenSSL is out of
  // memory. `ctx` must outlive the session.
  static std::unique_ptr<TlsSession> Create(TlsContext& ctx);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  enum class Result : uint8_t {
    kOk,      // all input consumed (a partial record is kept inside OpenSSL for the next call)
    kError,   // handshake or record failure: close the connection (error() says why)
    kClosed,  // the peer sent close_notify: no more data will come
  };

  // Takes `len` bytes of ciphertext received from the peer (any split: a fragment of a record,
  // several records), advances the handshake, and calls on_plain once per decrypted chunk of
  // application data, in order. A chunk holds at most one TLS record (<= 16 KiB) and lives in a
  // thread_local scratch buffer: it is valid only during that on_plain call. on_plain may call
  // Send() (a reply) or Shutdown(); it must not destroy this session, nor call Receive() on any
  // session (the scratch is shared by the thread).
  // The handshake (and, in TLS 1.3, the session ticket after it) may leave output to send:
  // check OutputSize() after every call.
  // kError: the handshake failed (e.g. error() == "unsupported protocol" for a TLS 1.0 client
  // without allow_deprecated, "no shared cipher") or a record did not decrypt or parse
  // ("wrong version number", "decryption failed or bad record mac", ...). Input after the
  // failure is dropped. An alert for the peer may be waiting in the output: send it, then
  // close. Every later call returns kError again.
  // kClosed: close_notify arrived (application data before it in the same input was delivered;
  // anything after it is ignored). Answer with Shutdown(), send the output, then close.
  Result Receive(const char* data, std::size_t len,
                 absl::FunctionRef<void(std::string_view)> on_plain);

  // Encrypts `plain` into records in the output (any length; split at 16 KiB). Returns false,
  // with error() set, before the handshake is complete ("handshake not complete": OpenSSL
  // cannot queue application data before that, so the caller holds it until established()),
  // after kError or Shutdown(), or when memory runs out. An empty `plain` writes nothing and
  // returns established().
  bool Send(std::string_view plain);

  // Ciphertext waiting to go to the peer (handshake flights, records, alerts, close_notify).
  [[nodiscard]] std::size_t OutputSize() const { return out_len_; }

  // Moves up to `cap` bytes of that output, oldest first, to `out`; returns the count. The
  // output buffer is freed when the last byte is taken.
  std::size_t TakeOutput(char* out, std::size_t cap);

  // Zero-copy form of TakeOutput(): the output as one contiguous view (empty when none), valid
  // until the next call on this session other than the const accessors; then
  // ConsumeOutput(n) drops the first n <= OutputSize() bytes (freeing the buffer when empty).
  [[nodiscard]] std::string_view PeekOutput() const;
  void ConsumeOutput(std::size_t n);

  // Queues close_notify into the output (once; nothing after kError or before the handshake is
  // complete, when a bare TCP close is all that is left to do). Send() fails afterwards.
  void Shutdown();

  // Handshake complete: application data flows both ways.
  [[nodiscard]] bool established() const;
  // "TLSv1.3", "TLSv1.2", "TLSv1.1", "TLSv1" once established; "" before. Static storage.
  [[nodiscard]] std::string_view version() const;
  // The negotiated cipher ("TLS_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES128-GCM-SHA256", ...)
  // once established; "" before. Static storage.
  [[nodiscard]] std::string_view cipher() const;
  // The last failure as OpenSSL's reason string ("unsupported protocol", "no shared cipher",
  // "wrong version number", ...) or one of this module's ("handshake not complete", "out of
  // memory"); "" when nothing failed. Static storage.
  [[nodiscard]] std::string_view error() const { return error_; }

  // Heap bytes this session holds beyond OpenSSL's own structures: the capacity of its output
  // buffer (0 once the output is drained). The input side holds nothing. For the memory goal.
  [[nodiscard]] std::size_t BufferedBytes() const { return out_cap_; }

  // The OpenSSL connection (never null), for inspection (tests, logging).
  [[nodiscard]] SSL* native() const { return ssl_; }

 private:
  explicit TlsSession(SSL* ssl) : ssl_(ssl) {}
  friend struct TlsBio;  // the BIO_METHOD callbacks in tls.cc

  // Appends to the output buffer; false when memory runs out.
  bool AppendOutput(const char* data, std::size_t len);
  void Fail(const char* why);

  SSL* ssl_;
  // Output: bytes [out_head_, out_head_ + out_len_) of an OPENSSL_malloc'd buffer of out_cap_
  // bytes (nullptr and 0 when empty).
  char* out_ = nullptr;
  std::size_t out_head_ = 0;
  std::size_t out_len_ = 0;
  std::size_t out_cap_ = 0;
  // Input: the caller's bytes during Receive() (nullptr otherwise).
  const char* in_ = nullptr;
  std::size_t in_len_ = 0;
  const char* error_ = "";
  bool failed_ = false;
  bool shut_down_ = false;
};

}  // namespace sipfront::net

#endif  // SIPFRONT_NET_TLS_H_
