// sipfront/core/worker.h — the packet loop: one pinned worker thread per core, run to
// completion (DESIGN §1 "Packet plane").
//
// Each iteration: one Poll() on the worker's backend (sending what the previous iteration
// queued and receiving up to kMaxBurst datagrams), every datagram tokenized and handled, the
// rings from other workers drained, outgoing rings published, and once per second the
// expiry wheels of the shards this worker owns advanced.
//
// REGISTER: Admit() on this worker (auth included), then Apply() right here when this worker
// owns the AOR's shard, else the datagram is copied into the SPSC ring towards the owner,
// which re-tokenizes it, applies it and answers from its own socket (same local address:
// every worker's socket is bound to it with SO_REUSEPORT). OPTIONS gets 200 (keepalive),
// ACK and responses are dropped, other methods get 501. Malformed requests get 400 with the
// reason phrase naming the problem, each counted by kind.
//
// Threading: a Worker's state belongs to its thread; WorkerGroup::Stop() and counter reads
// are the only cross-thread calls (counters are read after Join() or racily for stats).
#ifndef SIPFRONT_CORE_WORKER_H_
#define SIPFRONT_CORE_WORKER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "sipfront/base/compiler.h"
#include "sipfront/core/journal_writer.h"
#include "sipfront/core/spsc_ring.h"
#include "sipfront/net/backend.h"
#include "sipfront/net/stream.h"
#include "sipfront/registrar/binding_table.h"
#include "sipfront/registrar/registrar.h"
#include "sipfront/sip/parse_error.h"

namespace sipfront::core {

// Per-worker counters; one cache line-aligned block per worker.
struct alignas(kCacheLine) WorkerCounters {
  uint64_t rx = 0;
  uint64_t rx_truncated = 0;
  uint64_t keepalives = 0;
  uint64_t responses_ignored = 0;  // SIP responses received (sipfront sends no requests yet)
  uint64_t parse_errors[sip::kParseErrorCount] = {};
  uint64_t outcomes[registrar::kOutcomeCount] = {};
  uint64_t options = 0;
  uint64_t not_implemented = 0;    // 501s
  uint64_t calls_not_allowed = 0;  // 403: a call's source is not in its domain's calls IP ACL
  uint64_t forwarded_out = 0;      // REGISTERs handed to another worker
  uint64_t forwarded_in = 0;
  uint64_t ring_full = 0;  // hand-off ring full: answered 503
  uint64_t tx = 0;
  uint64_t tx_dropped = 0;  // no transmit buffer or response did not fit
  uint64_t expired = 0;     // bindings expired by the wheel
  uint64_t held = 0;        // answers held until their journal records were written
  uint64_t held_full = 0;   // held-answer queue full: the answer was dropped
  // Streams (TCP/TLS).
  uint64_t pongs = 0;                  // CRLF pongs to CRLFCRLF pings (RFC 5626)
  uint64_t stream_oversize = 0;        // 513 Message Too Large on a connection, then closed
  uint64_t stream_dropped = 0;         // answers for a connection that had closed meanwhile
  uint64_t replies_out = 0;            // answers handed to the worker holding the connection
  uint64_t flow_bindings_dropped = 0;  // bind_to_connection removals
  // NAT keepalives.
  uint64_t keepalives_sent = 0;    // OPTIONS or CRLF pings to UDP contacts behind NAT
  uint64_t keepalive_answers = 0;  // responses to keepalive OPTIONS
  uint64_t keepalive_expired = 0;  // bindings removed after max_missed unanswered OPTIONS
  uint64_t stun_keepalives = 0;    // STUN Binding requests answered (RFC 5626 §4.4.2)
  uint64_t stun_ignored = 0;       // other STUN-looking datagrams (not answered)
};

enum class KeepaliveKind : uint8_t { kOff, kOptions, kCrlf };

struct WorkerGroupOptions {
  uint32_t workers = 1;
  std::vector<int> cpus;             // worker i pinned to cpus[i]; empty: not pinned
  uint32_t shards = 16;              // power of two
  registrar::TableOptions table;     // per shard
  std::size_t ring_bytes = 1 << 20;  // per (producer, consumer) pair
  // Storm guard: a REGISTER that waited longer than this in the kernel (receive timestamp) is
  // answered 503 with Retry-After drawn from [retry_after_min, retry_after_max]. 0: off.
  uint32_t storm_max_delay_ms = 200;
  uint32_t retry_after_min = 30;
  uint32_t retry_after_max = 300;
  // Streams: the largest message a connection may send (513 and closed beyond), and whether
  // bindings registered over a connection are removed when it closes.
  uint32_t max_message_bytes = 65535;
  bool bind_to_connection = false;
  // NAT keepalives to UDP bindings whose contact is not their source: every binding pinged
  // once per interval, the pings spread evenly over it; with OPTIONS, a binding that leaves
  // max_missed pings in a row unanswered is removed (0: never).
  KeepaliveKind keepalive = KeepaliveKind::kOptions;
  uint32_t keepalive_interval_s = 30;
  uint32_t keepalive_max_missed = 0;
};

class WorkerGroup {
 public:
  // Takes one backend per worker (all bound to the same address) and, when bindings are
  // journaled, one JournalWriter per worker (empty: no journal). `ctx` must outlive the group;
  // its shard_mask is set from options.shards. `tables` (one per shard, e.g. filled by
  // registrar::Recover) are taken over; when empty, empty tables are created.
  WorkerGroup(const WorkerGroupOptions& options, registrar::RegistrarContext ctx,
              std::vector<net::BackendPtr> backends,
              std::vector<std::unique_ptr<JournalWriter>> journals = {},
              std::vector<std::unique_ptr<registrar::BindingTable>> tables = {});
  ~WorkerGroup();
  WorkerGroup(const WorkerGroup&) = delete;
  WorkerGroup& operator=(const WorkerGroup&) = delete;

  // Gives worker `worker` its stream listeners (TCP/TLS, net/stream.h), before Start(). Their
  // completions must be signalled on the worker's backend wake_fd().
  void AddStreams(uint32_t worker, std::vector<std::unique_ptr<net::StreamEngine>> engines);

  void Start();
  // Asks every worker to finish its iteration and exit; wakes them.
  void Stop();
  void Join();

  [[nodiscard]] uint32_t workers() const;
  [[nodiscard]] const WorkerCounters& counters(uint32_t worker) const;
  [[nodiscard]] const net::Backend& backend(uint32_t worker) const;
  // A worker's stream engines (counters; read after Join() or racily).
  [[nodiscard]] std::vector<const net::StreamEngine*> streams(uint32_t worker) const;
  // The shard tables (readers may Lookup() from any thread).
  [[nodiscard]] const registrar::BindingTable& shard(uint32_t s) const;
  // Writable tables, for recovery before Start().
  [[nodiscard]] std::vector<registrar::BindingTable*> tables();
  // The journal of a worker, or nullptr.
  [[nodiscard]] JournalWriter* journal(uint32_t worker) const;
  [[nodiscard]] uint32_t shards() const;
  [[nodiscard]] const registrar::RegistrarContext& context() const;

 private:
  struct Worker;
  void Run(Worker& w);

  WorkerGroupOptions options_;
  registrar::RegistrarContext ctx_;
  std::vector<std::unique_ptr<registrar::BindingTable>> tables_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::unique_ptr<SpscRing>> rings_;  // rings_[from * workers + to]
  std::vector<std::unique_ptr<JournalWriter>> journals_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
};

}  // namespace sipfront::core

#endif  // SIPFRONT_CORE_WORKER_H_
