// sipfront/net/backend.h — the datagram packet path: one backend per worker thread.
//
// A Backend owns one UDP socket (bound with SO_REUSEPORT, so every worker has its own socket
// on the same address and the kernel spreads datagrams by 4-tuple hash), its receive buffers
// and its transmit buffers. Two implementations sit behind this interface:
//
//   * io_uring (default): multishot recvmsg into a provided-buffer ring; sends are sendmsg
//     SQEs submitted in the same io_uring_submit_and_wait_timeout() call that waits for new
//     datagrams, so a busy loop makes one system call per batch for both directions.
//   * recvmmsg/sendmmsg (fallback, and where io_uring is unavailable): poll() on the socket
//     and the wake-up eventfd, then one recvmmsg for up to a burst and one sendmmsg per flush.
//
// Memory: all buffers are allocated in the factory; Poll/AcquireTx/QueueTx/Flush never
// allocate. Every receive slot has kPadding readable bytes after the largest datagram it can
// hold, so RxPacket::data is a valid PaddedView for the tokenizer.
//
// Threading: a Backend is used by exactly one thread, except Wake(), which any thread may call.
// It may be built on one thread and handed to another, but the first Poll()/Flush() binds it:
// the io_uring backend enables its ring there (IORING_SETUP_SINGLE_ISSUER where the kernel has
// it), and a submission from any other thread afterwards is a fatal CHECK.
// Lifetime: RxPacket views are valid until the next Poll() on the same backend.
#ifndef SIPFRONT_NET_BACKEND_H_
#define SIPFRONT_NET_BACKEND_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "sipfront/base/padded_view.h"
#include "sipfront/base/status.h"
#include "sipfront/net/endpoint.h"

namespace sipfront::net {

// Datagrams handled per loop iteration (DPDK's MAX_PKT_BURST).
inline constexpr std::size_t kMaxBurst = 32;

// Bytes at the start of every receive slot reserved for the kernel's recvmsg header
// (io_uring_recvmsg_out, source address, and the receive-timestamp control message); the
// payload starts 64-byte aligned after it. The largest datagram a slot holds whole is
// rx_slot_size - kRxHeadroom - kPadding, in both backends.
inline constexpr std::size_t kRxHeadroom = 128;

struct RxPacket {
  PaddedView data;  // the datagram
  Endpoint peer;    // where it came from
  bool truncated;   // larger than a receive slot: data holds only the first bytes (drop it)
  uint64_t rx_ns;   // when the kernel received it (SO_TIMESTAMPNS, CLOCK_REALTIME ns); 0: unknown
};

struct TxBuffer {
  char* data;
  std::size_t capacity;  // bytes that may be written
};

struct BackendCounters {
  uint64_t rx_packets = 0;
  uint64_t rx_truncated = 0;
  uint64_t rx_no_buffer = 0;  // datagrams the kernel could not place (ring empty) or re-arms
  uint64_t tx_packets = 0;    // sends the kernel accepted
  uint64_t tx_errors = 0;     // send failures (counted, datagram dropped)
  uint64_t tx_no_buffer = 0;  // AcquireTx() found every buffer in flight
  uint64_t wakeups = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;

  // Sends what is queued, then waits up to `timeout_ms` (0: do not wait; -1: no limit) for at
  // least one datagram or a Wake(), and returns up to `max` (1..kMaxBurst) received packets in
  // `out`. Returns 0 on timeout, on a Wake(), on EINTR, and, rarely, on kernel-side events
  // (receive re-arm after an error): callers simply loop. Views from the previous Poll()
  // become invalid (their slots go back to the kernel). Datagrams not returned stay queued
  // (socket buffer or completion ring) for the next Poll(). Send completions are reaped here:
  // TxBuffers in flight return to the pool only inside Poll().
  virtual std::size_t Poll(RxPacket* out, std::size_t max, int timeout_ms) = 0;

  // A buffer for one outgoing datagram, or nullptr when all are in flight (the caller drops the
  // response and counts it; the peer retransmits).
  virtual TxBuffer* AcquireTx() = 0;
  // Queues `len` (<= tx->capacity) bytes of `tx` for `to`; sent by the next Flush() or Poll()
  // (io_uring: also when its submission queue fills). `tx` (from AcquireTx on this backend)
  // must not be touched afterwards; it returns to the pool when the send completes. A failed
  // send is counted in tx_errors and dropped.
  virtual void QueueTx(TxBuffer* tx, std::size_t len, const Endpoint& to) = 0;
  // Returns an acquired, unqueued buffer to the pool without sending (e.g. the response did
  // not fit).
  virtual void ReleaseTx(TxBuffer* tx) = 0;
  // Sends everything queued now (one system call when anything is queued; none otherwise).
  virtual void Flush() = 0;

  // Makes a blocked or the next Poll() return promptly. Safe from any thread.
  virtual void Wake() = 0;

  // The eventfd Wake() writes: other event sources (net/stream.h) signal it to end a Poll().
  [[nodiscard]] virtual int wake_fd() const = 0;

  [[nodiscard]] virtual const char* Name() const = 0;
  [[nodiscard]] virtual const BackendCounters& counters() const = 0;
  // The local address the socket is bound to (port resolved when 0 was asked for).
  [[nodiscard]] virtual Endpoint local() const = 0;
};

using BackendPtr = std::unique_ptr<Backend>;

enum class BackendKind : uint8_t { kUring, kMmsg };

struct BackendOptions {
  Endpoint bind;                    // port 0: the kernel picks one (tests)
  std::size_t rx_slots = 1024;      // receive buffers (power of two, 1..32768)
  std::size_t rx_slot_size = 8192;  // kRxHeadroom + max datagram + kPadding; multiple of 64
  std::size_t tx_slots = 1024;      // 1..65536
  std::size_t tx_slot_size = 8192;  // TxBuffer::capacity
  int rcvbuf = 4 << 20;             // SO_RCVBUF / SO_SNDBUF requests (kernel may clamp)
  int sndbuf = 4 << 20;
};

// Opens the socket (SO_REUSEPORT, so several backends may bind the same address; IPv6 sockets
// are IPV6_V6ONLY) and builds the backend. To put N workers on one port, bind the first with
// the wanted port (or port 0, then copy its local().port() into the others' options). Errors:
// InvalidArgument for bad options; the failing call and errno text otherwise ("bind: Address
// already in use"). kUring returns Unavailable naming the reason when io_uring or multishot
// recvmsg is unavailable (old kernel, seccomp, io_uring_disabled); callers then fall back to
// kMmsg.
absl::StatusOr<BackendPtr> MakeBackend(BackendKind kind, const BackendOptions& options);

}  // namespace sipfront::net

#endif  // SIPFRONT_NET_BACKEND_H_
