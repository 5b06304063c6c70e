#include "sipfront/core/journal_writer.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "sipfront/base/check.h"
#include "sipfront/base/clock.h"

namespace sipfront::core {
namespace {

void FutexWait(std::atomic<uint32_t>& word, uint32_t expected, uint32_t timeout_ms) {
  timespec ts{static_cast<time_t>(timeout_ms / 1000),
              static_cast<long>(timeout_ms % 1000) * 1000000L};
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAIT_PRIVATE, expected, &ts, nullptr,
          0);
}

void FutexWake(std::atomic<uint32_t>& word) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr,
          0);
}

}  // namespace

JournalWriter::JournalWriter(std::unique_ptr<registrar::SegmentWriter> segment,
                             const JournalWriterOptions& o, net::Backend* wake)
    : options_(o), segment_(std::move(segment)), wake_(wake) {
  SIPFRONT_CHECK(segment_ != nullptr && o.buffer_bytes >= registrar::kMaxJournalRecord);
  for (Buffer& b : buffers_) {
    b.data = std::make_unique<char[]>(o.buffer_bytes);
  }
  rotation_.store(segment_->rotation(), std::memory_order_relaxed);
  wanted_rotation_.store(segment_->rotation(), std::memory_order_relaxed);
  thread_ = std::thread([this] { Run(); });
}

JournalWriter::~JournalWriter() { Close(); }

bool JournalWriter::Reserve(std::size_t bytes) const {
  return options_.buffer_bytes - buffers_[open_].size >= bytes;
}

void JournalWriter::Append(const registrar::JournalRecord& r) {
  Buffer& b = buffers_[open_];
  const std::size_t n =
      registrar::EncodeRecord(r, b.data.get() + b.size, options_.buffer_bytes - b.size);
  SIPFRONT_CHECK(n != 0);  // callers Reserve() first
  b.size += n;
  b.last_seq = ++appended_;
}

void JournalWriter::Signal() {
  signal_.fetch_add(1, std::memory_order_release);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (writer_sleeping_.load(std::memory_order_relaxed)) {
    FutexWake(signal_);
  }
}

void JournalWriter::Flush() {
  Buffer& open = buffers_[open_];
  if (open.size == 0 || handed_.load(std::memory_order_acquire) >= 0) {
    return;  // nothing new, or the writer still has the other buffer: keep filling this one
  }
  handed_.store(open_, std::memory_order_release);
  Signal();
  open_ ^= 1;
  buffers_[open_].size = 0;  // the writer finished it (handed_ was free)
}

void JournalWriter::RequestRotation(uint32_t rotation) {
  wanted_rotation_.store(rotation, std::memory_order_release);
  Signal();
}

void JournalWriter::Close() {
  if (!thread_.joinable()) {
    return;
  }
  // Hand over what the worker appended last (the worker has stopped by now). From here on a
  // disk that keeps refusing is given up on after kCloseRetries attempts per buffer.
  closing_.store(true, std::memory_order_release);
  Signal();
  while (buffers_[open_].size != 0) {
    Flush();
    if (buffers_[open_].size != 0) {
      usleep(1000);
    }
  }
  stop_.store(true, std::memory_order_release);
  Signal();
  thread_.join();
}

void JournalWriter::Run() {
  uint64_t last_sync_ms = MonoMillis();
  uint64_t rotate_retry_ms = 0;
  uint32_t closing_failures = 0;  // failed attempts since Close() began  // after a failed Rotate
                                  // (disk full): back off, keep writing
  bool unsynced = false;
  while (true) {
    const uint32_t seen = signal_.load(std::memory_order_acquire);
    const uint32_t want = wanted_rotation_.load(std::memory_order_acquire);
    if (want > segment_->rotation() && MonoMillis() >= rotate_retry_ms) {
      if (segment_->Rotate(want).ok()) {
        counters_.rotations.fetch_add(1, std::memory_order_relaxed);
        rotate_retry_ms = 0;
      } else {
        counters_.errors.fetch_add(1, std::memory_order_relaxed);
        counters_.last_errno.store(segment_->last_error(), std::memory_order_relaxed);
        rotate_retry_ms = MonoMillis() + kRetryMs;
      }
      rotation_.store(segment_->rotation(), std::memory_order_release);
      unsynced = false;
      continue;
    }
    const int h = handed_.load(std::memory_order_acquire);
    if (h >= 0) {
      Buffer& b = buffers_[h];
      bool ok = true;
      if (!b.written) {
        ok = segment_->Write(b.data.get(), b.size);
        if (ok) {
          b.written = true;
          unsynced = true;
          counters_.writes.fetch_add(1, std::memory_order_relaxed);
          counters_.bytes.fetch_add(b.size, std::memory_order_relaxed);
          counters_.records.store(b.last_seq, std::memory_order_relaxed);
        }
      }
      if (ok && options_.fsync == FsyncPolicy::kAlways) {
        ok = segment_->Sync();
        if (ok) {
          counters_.syncs.fetch_add(1, std::memory_order_relaxed);
          last_sync_ms = MonoMillis();
          unsynced = false;
        }
      }
      if (!ok) {
        counters_.errors.fetch_add(1, std::memory_order_relaxed);
        counters_.last_errno.store(segment_->last_error(), std::memory_order_relaxed);
        if (!closing_.load(std::memory_order_acquire) || ++closing_failures < kCloseRetries) {
          FutexWait(signal_, seen, kRetryMs);  // a full or failing disk: try again shortly
          continue;
        }
        // Shutting down and the disk still refuses: give the buffer up, counted.
        counters_.lost.fetch_add(b.last_seq - durable_.load(std::memory_order_relaxed),
                                 std::memory_order_relaxed);
      }
      b.written = false;
      durable_.store(b.last_seq, std::memory_order_release);
      handed_.store(-1, std::memory_order_release);
      if (wake_ != nullptr) {
        wake_->Wake();
      }
      continue;
    }
    const uint64_t now = MonoMillis();
    if (unsynced && options_.fsync == FsyncPolicy::kInterval &&
        now - last_sync_ms >= options_.flush_interval_ms) {
      if (!segment_->Sync()) {
        counters_.errors.fetch_add(1, std::memory_order_relaxed);
      }
      counters_.syncs.fetch_add(1, std::memory_order_relaxed);
      last_sync_ms = now;
      unsynced = false;
      continue;
    }
    if (stop_.load(std::memory_order_acquire)) {
      if (unsynced && options_.fsync != FsyncPolicy::kNever) {
        if (!segment_->Sync()) {
          counters_.errors.fetch_add(1, std::memory_order_relaxed);
        }
        counters_.syncs.fetch_add(1, std::memory_order_relaxed);
      }
      return;
    }
    // Sleep until signalled, or until the next interval fsync is due.
    writer_sleeping_.store(true, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (signal_.load(std::memory_order_relaxed) == seen) {
      uint32_t timeout = rotate_retry_ms != 0 ? kRetryMs : 1000;
      if (unsynced && options_.fsync == FsyncPolicy::kInterval) {
        const uint64_t due = last_sync_ms + options_.flush_interval_ms;
        timeout = due > now ? static_cast<uint32_t>(due - now) : 0;
      }
      if (timeout > 0) {
        FutexWait(signal_, seen, timeout);
      }
    }
    writer_sleeping_.store(false, std::memory_order_relaxed);
  }
}

void JournalSink::OnSet(const registrar::BindingTable& t, const registrar::AorKey& key,
                        uint32_t b) {
  Record(registrar::JournalOp::kSet, t, key.domain, key.user, b);
}

void JournalSink::OnRemove(const registrar::BindingTable& t, const registrar::AorKey& key,
                           uint32_t b) {
  Record(registrar::JournalOp::kRemove, t, key.domain, key.user, b);
}

void JournalSink::OnExpire(const registrar::BindingTable& t, uint32_t b) {
  if (journal_->Reserve(registrar::kMaxJournalRecord)) {
    const uint32_t aor = t.AorOfBinding(b);
    Record(registrar::JournalOp::kExpire, t, t.DomainOf(aor), t.User(aor), b);
  }
}

void JournalSink::Record(registrar::JournalOp op, const registrar::BindingTable& t, uint16_t domain,
                         std::string_view user, uint32_t b) {
  t.Copy(b, copy_);
  registrar::JournalRecord r{};
  r.op = op;
  r.domain = names_->Name(domain);
  r.user = user;
  r.contact = copy_.contact_view();
  r.instance = copy_.instance_view();
  r.reg_id = copy_.reg_id;
  r.q = copy_.q;
  r.expires_wall = Wall(copy_.expires_at);
  r.updated_wall = Wall(copy_.updated_at);
  r.cseq = copy_.cseq;
  r.call_id_hash = copy_.call_id_hash;
  r.source = copy_.source;
  r.transport = copy_.transport;
  journal_->Append(r);
}

}  // namespace sipfront::core
