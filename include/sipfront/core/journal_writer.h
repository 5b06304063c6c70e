// sipfront/core/journal_writer.h — one worker's journal, written off the packet loop.
//
// The worker encodes records (registrar/journal.h) into the open buffer as it changes
// bindings. Once per loop iteration it Flush()es: the filled buffer goes to this journal's
// writer thread, which write(2)s it to the current segment (registrar/persistence.h) and then
// publishes how many records are written. The worker holds every 200 OK that reports state
// until durable() covers the records that state depends on — so an acknowledged change has
// always reached the kernel — and the writer wakes the worker's backend when it makes progress.
//
// Fsync policy: kInterval (default) fdatasyncs every flush interval when anything was written:
// a process crash loses nothing that was acknowledged, a power loss at most one interval.
// kAlways fdatasyncs before publishing (nothing acknowledged is ever lost; each batch waits
// for the disk). kNever leaves it to the kernel.
//
// Two buffers: while the writer writes one, the worker fills the other. When both are busy
// (the disk is slower than the changes) Reserve() says no and the registrar answers 503.
//
// A failed write or (kAlways) fdatasync is retried every kRetryMs and durable() does not move
// meanwhile: answers stay held and, once both buffers are full, new changes get 503 — nothing
// is acknowledged that is not written (a full disk stops acknowledgements, not the server).
// Each failure is counted with its errno for the operator's log. Only Close() gives up on a
// buffer the disk still refuses (after kCloseRetries attempts); its records count as `lost`.
//
// Threading: Append/Reserve/Flush/appended from the worker thread; durable() from any thread;
// RequestRotation from the snapshot scheduler. The writer thread is internal.
#ifndef SIPFRONT_CORE_JOURNAL_WRITER_H_
#define SIPFRONT_CORE_JOURNAL_WRITER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <thread>

#include "sipfront/base/compiler.h"
#include "sipfront/net/backend.h"
#include "sipfront/registrar/binding_table.h"
#include "sipfront/registrar/journal.h"
#include "sipfront/registrar/persistence.h"
#include "sipfront/registrar/registrar.h"

namespace sipfront::core {

enum class FsyncPolicy : uint8_t { kInterval, kAlways, kNever };

struct JournalWriterOptions {
  std::size_t buffer_bytes = 1 << 20;  // each of the two buffers
  uint32_t flush_interval_ms = 100;    // fdatasync period (kInterval)
  FsyncPolicy fsync = FsyncPolicy::kInterval;
};

struct JournalCounters {
  std::atomic<uint64_t> records{0};
  std::atomic<uint64_t> bytes{0};
  std::atomic<uint64_t> writes{0};
  std::atomic<uint64_t> syncs{0};
  std::atomic<uint64_t> errors{0};  // failed writes, syncs and rotations (each retried)
  std::atomic<int> last_errno{0};   // of the latest failure
  std::atomic<uint64_t> rotations{0};
  std::atomic<uint64_t> lost{0};  // records Close() could not write
};

class JournalWriter {
 public:
  static constexpr uint32_t kRetryMs = 100;
  static constexpr uint32_t kCloseRetries = 10;  // per buffer, once Close() has begun

  // Takes the segment; `wake` (may be null) is woken after each published write.
  JournalWriter(std::unique_ptr<registrar::SegmentWriter> segment, const JournalWriterOptions& o,
                net::Backend* wake);
  ~JournalWriter();
  JournalWriter(const JournalWriter&) = delete;
  JournalWriter& operator=(const JournalWriter&) = delete;

  // ---- worker thread ----
  // Whether `bytes` more can be appended before the next Flush().
  [[nodiscard]] bool Reserve(std::size_t bytes) const;
  // Encodes one record into the open buffer (Reserve() said there is room).
  void Append(const registrar::JournalRecord& r);
  // Records appended so far: the sequence a response depending on them must wait for.
  [[nodiscard]] uint64_t appended() const { return appended_; }
  // Hands the open buffer to the writer thread if it is idle (cheap; call once per loop).
  void Flush();

  // ---- any thread ----
  // Records that reached the kernel (and the disk, with kAlways).
  [[nodiscard]] uint64_t durable() const { return durable_.load(std::memory_order_acquire); }
  // Asks the writer to move to segment `rotation` before writing anything appended later.
  void RequestRotation(uint32_t rotation);
  // The rotation the current segment has.
  [[nodiscard]] uint32_t rotation() const { return rotation_.load(std::memory_order_acquire); }
  [[nodiscard]] const JournalCounters& counters() const { return counters_; }

  // Writes what is pending, syncs, and stops the writer thread (shutdown).
  void Close();

 private:
  struct Buffer {
    std::unique_ptr<char[]> data;
    std::size_t size = 0;
    uint64_t last_seq = 0;  // sequence of the last record in it
    bool written = false;   // writer: write(2) done, (kAlways) fdatasync still to succeed
  };
  void Run();
  void Signal();

  JournalWriterOptions options_;
  std::unique_ptr<registrar::SegmentWriter> segment_;
  net::Backend* wake_;
  Buffer buffers_[2];
  int open_ = 0;           // worker: buffer being filled
  uint64_t appended_ = 0;  // worker
  JournalCounters counters_;

  // Hand-off without locks: the worker publishes a buffer index and bumps `signal_`; the
  // writer sleeps on `signal_` (futex, with a timeout for the interval fsync) and is woken
  // with a system call only when it announced it sleeps.
  std::atomic<int> handed_{-1};
  alignas(kCacheLine) std::atomic<uint32_t> signal_{0};
  std::atomic<bool> writer_sleeping_{false};
  std::atomic<bool> closing_{false};  // Close() began: failures are given up after a while
  std::atomic<bool> stop_{false};
  std::atomic<uint32_t> wanted_rotation_{0};
  alignas(kCacheLine) std::atomic<uint64_t> durable_{0};
  std::atomic<uint32_t> rotation_{0};
  std::thread thread_;
};

// Turns the registrar's binding changes (registrar.h ChangeSink) into journal records for one
// worker's JournalWriter. Owner thread only.
class JournalSink final : public registrar::ChangeSink {
 public:
  JournalSink(JournalWriter* journal, const registrar::DomainNames* names)
      : journal_(journal), names_(names) {}

  // The clocks of the current batch: monotonic times in the tables become wall times on disk.
  void SetClock(uint32_t mono, uint64_t wall) {
    mono_ = mono;
    wall_ = wall;
  }
  bool Reserve(std::size_t bytes) override { return journal_->Reserve(bytes); }
  void OnSet(const registrar::BindingTable& t, const registrar::AorKey& key, uint32_t b) override;
  void OnRemove(const registrar::BindingTable& t, const registrar::AorKey& key,
                uint32_t b) override;
  // The wheel removes the binding whatever happens here: an expiry that finds no room is not
  // journaled, which is harmless, as recovery drops bindings whose time has passed anyway.
  void OnExpire(const registrar::BindingTable& t, uint32_t b);

 private:
  [[nodiscard]] uint64_t Wall(uint32_t mono) const {
    return static_cast<int32_t>(mono - mono_) > 0 ? wall_ + (mono - mono_) : wall_;
  }
  void Record(registrar::JournalOp op, const registrar::BindingTable& t, uint16_t domain,
              std::string_view user, uint32_t b);

  JournalWriter* journal_;
  const registrar::DomainNames* names_;
  uint32_t mono_ = 0;
  uint64_t wall_ = 0;
  registrar::BindingCopy copy_{};
};

}  // namespace sipfront::core

#endif  // SIPFRONT_CORE_JOURNAL_WRITER_H_
