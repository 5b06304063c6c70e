// sipfront/core/spsc_ring.h — bounded single-producer/single-consumer ring of byte records.
//
// The only way work crosses cores on the packet path (DESIGN §1): a worker that received a
// REGISTER for a shard another worker owns copies the datagram into the ring towards the
// owner. Records are variable-length, 64-byte aligned, never split across the end of the
// buffer (a padding record fills the gap), and carry kPadding spare bytes after the payload so
// the consumer can tokenize in place. Like Seastar's smp_message_queue, both sides batch:
// the producer makes records visible with one release store per batch (Commit), the consumer
// frees space with one release store per batch (Release). Producer and consumer indices live
// on separate cache lines, each side caching the other's index.
//
// Threading: Reserve/Commit from one producer thread, Front/Pop/Release from one consumer
// thread. Memory is allocated in the constructor only.
#ifndef SIPFRONT_CORE_SPSC_RING_H_
#define SIPFRONT_CORE_SPSC_RING_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include "sipfront/base/check.h"
#include "sipfront/base/compiler.h"
#include "sipfront/base/padded_view.h"

namespace sipfront::core {

class SpscRing {
 public:
  // `capacity` bytes (a power of two >= 4096).
  explicit SpscRing(std::size_t capacity)
      : buf_(std::make_unique<char[]>(capacity)), mask_(capacity - 1) {
    SIPFRONT_CHECK(capacity >= 4096 && (capacity & (capacity - 1)) == 0);
  }

  // ---- producer ----

  // Space for a record of `n` payload bytes (followed by kPadding spare bytes), or nullptr
  // when the ring is full (the consumer has not caught up). Not visible until Commit().
  char* Reserve(std::size_t n) {
    const std::size_t total = RecordSize(n);
    const std::size_t capacity = mask_ + 1;
    if (total > capacity / 2) {
      return nullptr;
    }
    std::size_t idx = tail_local_ & mask_;
    const std::size_t gap = capacity - idx < total ? capacity - idx : 0;
    if (capacity - (tail_local_ - head_cached_) < gap + total) {
      head_cached_ = head_.load(std::memory_order_acquire);
      if (capacity - (tail_local_ - head_cached_) < gap + total) {
        return nullptr;
      }
    }
    if (gap != 0) {
      WriteHeader(idx, gap, 0);  // padding record up to the end of the buffer
      tail_local_ += gap;
      idx = 0;
    }
    WriteHeader(idx, total, static_cast<uint32_t>(n));
    tail_local_ += total;
    pending_ = true;
    return buf_.get() + idx + kHeader;
  }

  // Publishes every record reserved so far. Returns true when anything was published.
  bool Commit() {
    if (!pending_) {
      return false;
    }
    tail_.store(tail_local_, std::memory_order_release);
    pending_ = false;
    return true;
  }

  // ---- consumer ----

  // The next record (payload with kPadding readable bytes after it), or an empty view.
  PaddedView Front() {
    while (true) {
      if (head_local_ == tail_cached_) {
        tail_cached_ = tail_.load(std::memory_order_acquire);
        if (head_local_ == tail_cached_) {
          return {};
        }
      }
      const std::size_t idx = head_local_ & mask_;
      uint32_t total;
      uint32_t n;
      std::memcpy(&total, buf_.get() + idx, 4);
      std::memcpy(&n, buf_.get() + idx + 4, 4);
      if (n == 0) {  // padding record
        head_local_ += total;
        continue;
      }
      front_total_ = total;
      return PaddedView(buf_.get() + idx + kHeader, n, total - kHeader);
    }
  }
  // Consumes the record Front() returned.
  void Pop() { head_local_ += front_total_; }
  // Frees the space of every popped record for the producer.
  void Release() { head_.store(head_local_, std::memory_order_release); }

  // True when records are published and not yet popped (any thread; for sleep decisions).
  [[nodiscard]] bool HasPublished() const {
    return tail_.load(std::memory_order_acquire) != head_.load(std::memory_order_acquire);
  }

 private:
  static constexpr std::size_t kHeader = 8;  // uint32 record size, uint32 payload size

  static std::size_t RecordSize(std::size_t n) {
    return (kHeader + n + kPadding + kCacheLine - 1) & ~(kCacheLine - 1);
  }
  void WriteHeader(std::size_t idx, std::size_t total, uint32_t n) {
    const auto t = static_cast<uint32_t>(total);
    std::memcpy(buf_.get() + idx, &t, 4);
    std::memcpy(buf_.get() + idx + 4, &n, 4);
  }

  std::unique_ptr<char[]> buf_;
  std::size_t mask_;
  // Producer side.
  alignas(kCacheLine) std::atomic<std::size_t> tail_{0};
  std::size_t tail_local_ = 0;
  std::size_t head_cached_ = 0;
  bool pending_ = false;
  // Consumer side.
  alignas(kCacheLine) std::atomic<std::size_t> head_{0};
  std::size_t head_local_ = 0;
  std::size_t tail_cached_ = 0;
  std::size_t front_total_ = 0;
};

}  // namespace sipfront::core

#endif  // SIPFRONT_CORE_SPSC_RING_H_
