// sipfront/net/stream.h — the stream packet path: SIP over TCP and TLS, one engine per worker.
//
// A StreamEngine owns one listening socket (SO_REUSEPORT: every worker listens on the same
// address and the kernel spreads new connections), the connections accepted on it, and an
// io_uring of its own:
//
//   * multishot accept on the listener;
//   * multishot recv on every connection into a provided-buffer ring, so an idle connection
//     holds no receive buffer;
//   * one send in flight per connection, later output appended behind it;
//   * the ring's completions are signalled on an eventfd (the datagram backend's wake fd), so a
//     worker blocked in Backend::Poll() wakes for stream traffic too.
//
// Received bytes (decrypted first on a TLS listener, net/tls.h) are offered to a
// StreamHandler, which frames one message at a time (sip::Tokenize with Framing::kStream) and
// says how many bytes it consumed. A message that arrived whole in one receive is framed in
// place, without a copy; only a partial message is copied into a per-connection buffer, which
// is freed once it drains.
//
// Limits (StreamOptions): connections in all and per source IP (ConnectionLimits, shared by
// the workers), idle time, time to complete a started message (slowloris) or a TLS handshake,
// largest message, largest backlog of unsent output. Tick() enforces the timers, pings quiet
// connections with CRLFCRLF and resumes accepting after a descriptor shortage; each cut is
// counted. Backpressure: while a connection's unsent answers exceed a quarter of the output
// cap, its receive is cancelled (TCP flow control then holds the peer back) until they drain.
//
// Memory: per connection a 160-byte record, the TLS session (established and idle: see
// docs/benchmarks.md), and buffers only while bytes wait. The receive ring is allocated once.
// Threading: an engine is used by exactly one thread (its worker); ConnectionLimits is shared.
#ifndef SIPFRONT_NET_STREAM_H_
#define SIPFRONT_NET_STREAM_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "sipfront/base/padded_view.h"
#include "sipfront/base/status.h"
#include "sipfront/net/endpoint.h"

namespace sipfront::net {

class TlsContext;

// A connection as other code refers to it: slot and generation, so a reference to a closed
// connection whose slot was reused is recognised as stale.
struct ConnRef {
  uint32_t index = 0xffffffffu;
  uint32_t gen = 0;
  [[nodiscard]] bool valid() const { return index != 0xffffffffu; }
  bool operator==(const ConnRef&) const = default;
};

struct ConnInfo {
  ConnRef ref;
  Endpoint peer;
  bool tls;
};

// Returned by StreamHandler::OnData to close the connection (after its queued output).
inline constexpr std::size_t kCloseConnection = ~std::size_t{0};

class StreamHandler {
 public:
  virtual ~StreamHandler() = default;
  // `in` holds the connection's unconsumed bytes (plaintext), with kPadding readable bytes
  // after them. Handles at most one message at its start and returns the bytes consumed; 0
  // when more bytes are needed; kCloseConnection to close.
  virtual std::size_t OnData(const ConnInfo& conn, PaddedView in) = 0;
  // The connection is gone (its ConnRef is stale from now on).
  virtual void OnClosed(const ConnInfo& conn) = 0;
};

// Connection caps shared by every engine of the process (accept and close only: slow path).
class ConnectionLimits {
 public:
  ConnectionLimits(uint32_t max_total, uint32_t max_per_ip)
      : max_total_(max_total), max_per_ip_(max_per_ip) {}
  // Counts a new connection from `peer`; false (nothing counted) when a cap is reached.
  bool Acquire(const Endpoint& peer);
  void Release(const Endpoint& peer);
  [[nodiscard]] uint32_t total() const;

 private:
  struct Key {
    uint64_t hi = 0;
    uint64_t lo = 0;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const {
      return static_cast<std::size_t>((k.hi ^ (k.lo * 0x9e3779b97f4a7c15ull)) >> 7 ^ k.lo);
    }
  };
  static Key KeyOf(const Endpoint& e);
  const uint32_t max_total_;
  const uint32_t max_per_ip_;
  mutable std::mutex mu_;
  uint32_t total_ = 0;
  std::unordered_map<Key, uint32_t, KeyHash> per_ip_;
};

struct StreamOptions {
  Endpoint bind;                       // port 0: the kernel picks one
  TlsContext* tls = nullptr;           // non-null: a TLS listener
  ConnectionLimits* limits = nullptr;  // required
  uint32_t idle_timeout_ms = 300000;   // no bytes received for this long: closed
  uint32_t message_timeout_ms = 5000;  // a started message not complete within this: closed
  uint32_t handshake_timeout_ms = 5000;
  // A connection that neither sent nor received for this long gets a CRLFCRLF ping (RFC 5626
  // §4.4.1: an outbound client answers with a CRLF pong, which counts as received bytes;
  // RFC 3261 §7.5 has every other client ignore it). 0: off.
  uint32_t keepalive_ms = 0;
  uint32_t max_message_bytes = 65535;
  // Unsent output: at a quarter of this the connection stops being read until it drains to a
  // sixteenth; beyond it (one burst of answers too many) the connection is closed.
  uint32_t max_output_bytes = 1 << 20;
  uint32_t rx_buffers = 256;  // provided receive buffers (power of two)
  uint32_t rx_buffer_size = 16384;
  int backlog = 1024;
};

struct StreamCounters {
  uint64_t accepted = 0;
  uint64_t closed = 0;
  uint64_t refused = 0;        // over max connections or max per IP: closed at accept
  uint64_t accept_errors = 0;  // accept failed (out of descriptors): retried a second later
  uint64_t idle_timeouts = 0;
  uint64_t message_timeouts = 0;  // slowloris / never-finished message
  uint64_t handshake_timeouts = 0;
  uint64_t oversize = 0;         // message larger than max_message_bytes
  uint64_t output_overflow = 0;  // peer not reading its answers
  uint64_t paused = 0;           // times a connection stopped being read (answers backed up)
  uint64_t tls_failures = 0;     // handshake or record errors
  uint64_t rx_bytes = 0;
  uint64_t tx_bytes = 0;
  uint64_t keepalives_sent = 0;  // CRLFCRLF pings to quiet connections
  uint64_t close_timeouts = 0;   // closing connections cut because their output did not drain
  uint64_t rx_no_buffer = 0;     // receive ring empty: receives re-armed later
  uint64_t copies = 0;           // partial messages copied into a connection buffer
};

class StreamEngine {
 public:
  // Opens the listener (SO_REUSEPORT; IPv6: V6ONLY) and the ring, registers `notify_fd` (an
  // eventfd, or -1) for completions. Errors name the failing call ("bind: Address already in
  // use"); Unavailable when io_uring lacks multishot accept/recv (kernel < 6.0).
  static absl::StatusOr<std::unique_ptr<StreamEngine>> Create(const StreamOptions& options,
                                                              int notify_fd);
  virtual ~StreamEngine() = default;

  // Submits queued sends and handles every completion available now, without blocking:
  // accepts, received bytes (calling `h`), send completions, closes.
  virtual void Poll(StreamHandler& h) = 0;
  // Submits the sends queued since the last Poll() (one system call when any).
  virtual void Flush() = 0;
  // Enforces the timers against MonoMillis(); call about once a second.
  virtual void Tick(StreamHandler& h) = 0;
  // Queues `len` bytes for the connection (encrypting on TLS). False when the reference is
  // stale or the connection is closing (the bytes are dropped).
  virtual bool Send(ConnRef c, const char* data, std::size_t len) = 0;
  // Closes after the queued output is sent.
  virtual void Close(ConnRef c) = 0;
  // Closes every connection and waits (bounded) for their completions; for shutdown.
  virtual void Shutdown(StreamHandler& h) = 0;

  [[nodiscard]] virtual Endpoint local() const = 0;
  [[nodiscard]] virtual bool tls() const = 0;
  [[nodiscard]] virtual uint32_t open_connections() const = 0;
  [[nodiscard]] virtual const StreamCounters& counters() const = 0;
};

}  // namespace sipfront::net

#endif  // SIPFRONT_NET_STREAM_H_
