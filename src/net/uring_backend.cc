// io_uring backend, after liburing examples/io_uring-udp.c: one multishot recvmsg into a
// provided-buffer ring, sendmsg SQEs for replies, an eventfd read for Wake(), and batch CQE
// harvesting. user_data carries a tag in the high 32 bits (and the tx slot in the low 32).
#include <cerrno>
#include <cstdint>
#include <ctime>
#include <memory>
#include <utility>
#include <vector>

#include <liburing.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"

#include "sipfront/base/check.h"
#include "sipfront/base/compiler.h"
#include "sipfront/net/backend.h"

#include "internal.h"

namespace sipfront::net::internal {
namespace {

constexpr uint64_t kTagRecv = uint64_t{1} << 32;
constexpr uint64_t kTagWake = uint64_t{2} << 32;
constexpr uint64_t kTagTx = uint64_t{3} << 32;
constexpr uint64_t kTagMask = ~uint64_t{0xffffffff};

constexpr uint16_t kBufGroup = 0;
// SQEs per ring: a full burst of replies plus re-arms fits many times over; QueueTx submits
// early when it runs out.
constexpr std::size_t kSqEntries = 256;
// CQEs looked at per io_uring_peek_batch_cqe call (liburing's example uses the same order).
constexpr unsigned kCqeBatch = 64;

// The recvmsg header in each slot: io_uring_recvmsg_out (16 bytes), msg_namelen bytes of source
// address (48), msg_controllen bytes of control messages (64: one SCM_TIMESTAMPNS needs 32);
// the payload then starts at kRxHeadroom, cache-line aligned.
constexpr socklen_t kNameRoom = 48;
constexpr std::size_t kControlRoom = kRxHeadroom - sizeof(io_uring_recvmsg_out) - kNameRoom;
static_assert(sizeof(io_uring_recvmsg_out) == 16);
static_assert(kNameRoom >= sizeof(sockaddr_in6));
static_assert(kControlRoom >= CMSG_SPACE(sizeof(timespec)));

absl::Status UringError(const char* what, int err) {
  return absl::UnavailableError(absl::StrCat(what, ": ", strerrordesc_np(err)));
}

socklen_t SockaddrLen(const Endpoint& e) {
  return e.IsV6() ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

std::size_t RoundUpPow2(std::size_t v) {
  std::size_t p = 1;
  while (p < v) {
    p <<= 1;
  }
  return p;
}

// Fatal when the kernel says another thread submits on a SINGLE_ISSUER ring: the backend was
// used from a second thread, which breaks the one-thread-per-backend rule.
void CheckSubmit(int r) {
  const bool used_from_owner_thread = r != -EEXIST;
  SIPFRONT_CHECK(used_from_owner_thread);
}

class ScopedRing {
 public:
  explicit ScopedRing(io_uring* ring) : ring_(ring) {}
  ~ScopedRing() { io_uring_queue_exit(ring_); }
  ScopedRing(const ScopedRing&) = delete;
  ScopedRing& operator=(const ScopedRing&) = delete;

 private:
  io_uring* ring_;
};

// Checks that io_uring is usable here and has multishot recvmsg (kernel >= 6.0) by doing it:
// one datagram over an AF_UNIX socketpair into a one-entry buffer ring on a throwaway ring.
// The datagram is queued before the arm, so the only buffer is consumed at once and the kernel
// never writes into it after this function returns.
absl::Status ProbeUring() {
  io_uring ring{};
  int r = io_uring_queue_init(4, &ring, 0);
  if (r < 0) {
    return UringError("io_uring_queue_init", -r);
  }
  ScopedRing guard(&ring);
  io_uring_probe* probe = io_uring_get_probe_ring(&ring);
  if (probe == nullptr) {
    return absl::UnavailableError("io_uring_get_probe_ring failed (kernel too old)");
  }
  const bool ops = io_uring_opcode_supported(probe, IORING_OP_RECVMSG) != 0 &&
                   io_uring_opcode_supported(probe, IORING_OP_SENDMSG) != 0 &&
                   io_uring_opcode_supported(probe, IORING_OP_READ) != 0;
  io_uring_free_probe(probe);
  if (!ops) {
    return absl::UnavailableError("io_uring lacks RECVMSG/SENDMSG/READ (kernel too old)");
  }
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0) {
    return ErrnoError("socketpair", errno);
  }
  UniqueFd a(sv[0]);
  UniqueFd b(sv[1]);
  absl::StatusOr<Mapping> mem = Mapping::Create(std::size_t{2} * 4096);
  if (!mem.ok()) {
    return mem.status();
  }
  auto* br = reinterpret_cast<io_uring_buf_ring*>(mem->data());
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uintptr_t>(br);
  reg.ring_entries = 1;
  reg.bgid = kBufGroup;
  r = io_uring_register_buf_ring(&ring, &reg, 0);
  if (r < 0) {
    return UringError("io_uring_register_buf_ring", -r);
  }
  io_uring_buf_ring_init(br);
  io_uring_buf_ring_add(br, mem->data() + 4096, 4096, 0, io_uring_buf_ring_mask(1), 0);
  io_uring_buf_ring_advance(br, 1);
  if (::send(b.get(), "x", 1, 0) != 1) {
    return ErrnoError("send (io_uring probe)", errno);
  }
  msghdr msg{};
  msg.msg_namelen = kNameRoom;
  io_uring_sqe* sqe = io_uring_get_sqe(&ring);
  io_uring_prep_recvmsg_multishot(sqe, a.get(), &msg, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = kBufGroup;
  __kernel_timespec ts{.tv_sec = 2, .tv_nsec = 0};
  io_uring_cqe* cqe = nullptr;
  r = io_uring_submit_and_wait_timeout(&ring, &cqe, 1, &ts, nullptr);
  if (r < 0) {
    return UringError("io_uring_submit_and_wait_timeout (multishot recvmsg probe)", -r);
  }
  const int res = cqe->res;
  io_uring_cqe_seen(&ring, cqe);
  if (res == -EINVAL) {
    return absl::UnavailableError(
        "multishot recvmsg unsupported (needs kernel >= 6.0): Invalid argument");
  }
  if (res < 0) {
    return UringError("multishot recvmsg probe", -res);
  }
  return absl::OkStatus();
}

class UringBackend final : public Backend {
 public:
  UringBackend(UniqueFd sock, UniqueFd wake, const Endpoint& local, const BackendOptions& options)
      : sock_(std::move(sock)),
        wake_(std::move(wake)),
        local_(local),
        rx_slots_(options.rx_slots),
        rx_slot_size_(options.rx_slot_size),
        tx_(options.tx_slots),
        free_(options.tx_slots) {
    recv_msg_.msg_namelen = kNameRoom;
    recv_msg_.msg_controllen = kControlRoom;
  }

  ~UringBackend() override {
    if (ring_ok_) {
      // Closing the ring cancels the armed recv and read; buffers are unmapped after (members).
      io_uring_queue_exit(&ring_);
    }
  }

  UringBackend(const UringBackend&) = delete;
  UringBackend& operator=(const UringBackend&) = delete;

  absl::Status Init(const BackendOptions& options) {
    // Completions never outnumber buffers: one per rx slot, tx slot, the wake read and a
    // terminating recv CQE. CLAMP caps it at the kernel maximum (then NODROP covers overflow).
    std::size_t cq = RoundUpPow2(options.rx_slots + options.tx_slots + 8);
    if (cq < 2 * kSqEntries) {
      cq = 2 * kSqEntries;
    }
    io_uring_params p{};
    // R_DISABLED: SINGLE_ISSUER binds the ring to the thread that enables it, which is the
    // worker calling the first Poll(), not the thread running this factory.
    p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP | IORING_SETUP_SINGLE_ISSUER |
              IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_R_DISABLED;
    p.cq_entries = static_cast<unsigned>(cq);
    int r = io_uring_queue_init_params(static_cast<unsigned>(kSqEntries), &ring_, &p);
    disabled_ = true;
    if (r < 0) {
      p = io_uring_params{};
      p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP;
      p.cq_entries = static_cast<unsigned>(cq);
      r = io_uring_queue_init_params(static_cast<unsigned>(kSqEntries), &ring_, &p);
      disabled_ = false;
    }
    if (r < 0) {
      return UringError("io_uring_queue_init", -r);
    }
    ring_ok_ = true;

    absl::StatusOr<Mapping> rx = Mapping::Create(rx_slots_ * rx_slot_size_);
    if (!rx.ok()) {
      return rx.status();
    }
    rx_area_ = *std::move(rx);
    absl::StatusOr<Mapping> br = Mapping::Create(rx_slots_ * sizeof(io_uring_buf));
    if (!br.ok()) {
      return br.status();
    }
    br_area_ = *std::move(br);
    absl::StatusOr<Mapping> tx = Mapping::Create(options.tx_slots * options.tx_slot_size);
    if (!tx.ok()) {
      return tx.status();
    }
    tx_area_ = *std::move(tx);

    br_ = reinterpret_cast<io_uring_buf_ring*>(br_area_.data());
    br_mask_ = io_uring_buf_ring_mask(static_cast<uint32_t>(rx_slots_));
    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<uintptr_t>(br_);
    reg.ring_entries = static_cast<uint32_t>(rx_slots_);
    reg.bgid = kBufGroup;
    r = io_uring_register_buf_ring(&ring_, &reg, 0);
    if (r < 0) {
      return UringError("io_uring_register_buf_ring", -r);
    }
    io_uring_buf_ring_init(br_);
    for (std::size_t i = 0; i < rx_slots_; ++i) {
      Recycle(static_cast<uint16_t>(i));
    }
    CommitRecycled();

    for (std::size_t i = 0; i < tx_.size(); ++i) {
      TxSlot& s = tx_[i];
      s.data = tx_area_.data() + i * options.tx_slot_size;
      s.capacity = options.tx_slot_size;
      s.iov.iov_base = s.data;
      s.msg.msg_name = &s.to.addr;
      s.msg.msg_iov = &s.iov;
      s.msg.msg_iovlen = 1;
      free_[i] = static_cast<uint32_t>(tx_.size() - 1 - i);
    }
    nfree_ = tx_.size();
    return absl::OkStatus();
  }

  std::size_t Poll(RxPacket* out, std::size_t max, int timeout_ms) override {
    EnsureEnabled();
    if (max > kMaxBurst) {
      max = kMaxBurst;
    }
    // The previous batch's views die here: their slots go back to the kernel.
    for (std::size_t i = 0; i < nlent_; ++i) {
      Recycle(lent_[i]);
    }
    nlent_ = 0;
    CommitRecycled();
    ArmIfNeeded();
    if (io_uring_sq_ready(&ring_) > 0) {
      Submit();
    }

    timespec deadline{};
    if (timeout_ms > 0) {
      clock_gettime(CLOCK_MONOTONIC, &deadline);
      deadline.tv_sec += timeout_ms / 1000;
      deadline.tv_nsec += static_cast<long>(timeout_ms % 1000) * 1000000L;
      if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec += 1;
        deadline.tv_nsec -= 1000000000L;
      }
    }
    std::size_t n = 0;
    for (;;) {
      bool stop = false;
      n = Harvest(out, max, stop);
      if (n > 0 || stop || timeout_ms == 0 || max == 0) {
        break;
      }
      ArmIfNeeded();
      __kernel_timespec ts{};
      __kernel_timespec* tsp = nullptr;
      if (timeout_ms > 0) {
        timespec now{};
        clock_gettime(CLOCK_MONOTONIC, &now);
        int64_t left =
            (deadline.tv_sec - now.tv_sec) * 1000000000LL + (deadline.tv_nsec - now.tv_nsec);
        if (left <= 0) {
          break;
        }
        ts.tv_sec = left / 1000000000LL;
        ts.tv_nsec = left % 1000000000LL;
        tsp = &ts;
      }
      io_uring_cqe* cqe = nullptr;
      const int r = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, tsp, nullptr);
      if (r < 0) {
        CheckSubmit(r);
        if (r != -ETIME) {
          break;  // EINTR, or a transient failure (EAGAIN/EBUSY): the caller polls again
        }
      }
    }
    if (n == 0) {
      ArmIfNeeded();  // n > 0: re-arm at the next Poll, once this batch's slots are back
    }
    if (io_uring_sq_ready(&ring_) > 0) {
      Submit();
    }
    return n;
  }

  TxBuffer* AcquireTx() override {
    if (nfree_ == 0) {
      ++counters_.tx_no_buffer;
      return nullptr;
    }
    return &tx_[free_[--nfree_]];
  }

  void QueueTx(TxBuffer* tx, std::size_t len, const Endpoint& to) override {
    auto* slot = static_cast<TxSlot*>(tx);
    const auto idx = static_cast<uint32_t>(slot - tx_.data());
    SIPFRONT_DCHECK(idx < tx_.size() && len <= tx->capacity);
    slot->to = to;
    slot->iov.iov_len = len;
    slot->msg.msg_namelen = SockaddrLen(to);
    io_uring_sqe* sqe = GetSqe();
    if (sqe == nullptr) {
      ++counters_.tx_errors;
      free_[nfree_++] = idx;
      return;
    }
    io_uring_prep_sendmsg(sqe, sock_.get(), &slot->msg, 0);
    io_uring_sqe_set_data64(sqe, kTagTx | idx);
  }

  void ReleaseTx(TxBuffer* tx) override {
    const auto idx = static_cast<uint32_t>(static_cast<TxSlot*>(tx) - tx_.data());
    SIPFRONT_DCHECK(idx < tx_.size());
    free_[nfree_++] = idx;
  }

  void Flush() override {
    EnsureEnabled();
    if (io_uring_sq_ready(&ring_) > 0) {
      Submit();
    }
  }

  void Wake() override {
    const uint64_t one = 1;
    const ssize_t r = ::write(wake_.get(), &one, sizeof(one));
    static_cast<void>(r);  // fails only if the counter would overflow: a wake-up is pending
  }

  [[nodiscard]] int wake_fd() const override { return wake_.get(); }
  [[nodiscard]] const char* Name() const override { return "io_uring"; }
  [[nodiscard]] const BackendCounters& counters() const override { return counters_; }
  [[nodiscard]] Endpoint local() const override { return local_; }

 private:
  struct TxSlot : TxBuffer {
    msghdr msg{};
    iovec iov{};
    Endpoint to;
  };

  void EnsureEnabled() {
    if (SIPFRONT_LIKELY(enabled_)) {
      return;
    }
    if (disabled_) {
      // liburing 2.3 declares io_uring_enable_rings() but does not export it.
      const long r = ::syscall(__NR_io_uring_register, ring_.ring_fd, IORING_REGISTER_ENABLE_RINGS,
                               nullptr, 0);
      const bool io_uring_enable_rings_ok = r == 0;
      SIPFRONT_CHECK(io_uring_enable_rings_ok);
    }
    enabled_ = true;
    ArmIfNeeded();
  }

  void Submit() {
    const int r = io_uring_submit(&ring_);
    if (r < 0) {
      CheckSubmit(r);  // other errors (EAGAIN, EBUSY, EINTR) leave the SQEs for the next call
    }
  }

  io_uring_sqe* GetSqe() {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (SIPFRONT_UNLIKELY(sqe == nullptr)) {
      EnsureEnabled();
      Submit();
      sqe = io_uring_get_sqe(&ring_);
    }
    return sqe;
  }

  void ArmIfNeeded() {
    if (!recv_armed_) {
      io_uring_sqe* sqe = GetSqe();
      if (sqe != nullptr) {
        // MSG_TRUNC: payloadlen reports the datagram's real length.
        io_uring_prep_recvmsg_multishot(sqe, sock_.get(), &recv_msg_, MSG_TRUNC);
        sqe->flags |= IOSQE_BUFFER_SELECT;
        sqe->buf_group = kBufGroup;
        io_uring_sqe_set_data64(sqe, kTagRecv);
        recv_armed_ = true;
      }
    }
    if (!wake_armed_) {
      io_uring_sqe* sqe = GetSqe();
      if (sqe != nullptr) {
        io_uring_prep_read(sqe, wake_.get(), &wake_buf_, sizeof(wake_buf_), 0);
        io_uring_sqe_set_data64(sqe, kTagWake);
        wake_armed_ = true;
      }
    }
  }

  char* Slot(uint16_t bid) { return rx_area_.data() + std::size_t{bid} * rx_slot_size_; }

  // Hands a slot back to the kernel; visible once CommitRecycled() publishes the tail.
  void Recycle(uint16_t bid) {
    io_uring_buf_ring_add(br_, Slot(bid), static_cast<unsigned>(rx_slot_size_ - kPadding), bid,
                          br_mask_, static_cast<int>(recycled_++));
  }
  void CommitRecycled() {
    if (recycled_ > 0) {
      io_uring_buf_ring_advance(br_, static_cast<int>(recycled_));
      recycled_ = 0;
    }
  }

  // Drains completions until `max` packets are out or the CQ is empty. `stop`: a completion
  // says Poll should return now (a Wake, or a receive error other than ENOBUFS).
  std::size_t Harvest(RxPacket* out, std::size_t max, bool& stop) {
    std::size_t n = 0;
    io_uring_cqe* cqes[kCqeBatch];
    while (n < max) {
      const unsigned got = io_uring_peek_batch_cqe(&ring_, cqes, kCqeBatch);
      if (got == 0) {
        break;
      }
      unsigned used = 0;
      while (used < got && n < max) {
        const io_uring_cqe* cqe = cqes[used++];
        const uint64_t tag = cqe->user_data & kTagMask;
        if (tag == kTagRecv) {
          n += OnRecv(*cqe, out[n], stop) ? 1 : 0;
        } else if (tag == kTagTx) {
          const auto idx = static_cast<uint32_t>(cqe->user_data);
          if (cqe->res < 0) {
            ++counters_.tx_errors;
          } else {
            ++counters_.tx_packets;
          }
          free_[nfree_++] = idx;
        } else if (tag == kTagWake) {
          wake_armed_ = false;
          ++counters_.wakeups;
          stop = true;
        }
        // LIBURING_UDATA_TIMEOUT (kernels without EXT_ARG): nothing to do.
      }
      io_uring_cq_advance(&ring_, used);
      if (used < got) {
        break;
      }
    }
    CommitRecycled();
    counters_.rx_packets += n;
    return n;
  }

  bool OnRecv(const io_uring_cqe& cqe, RxPacket& pkt, bool& stop) {
    if ((cqe.flags & IORING_CQE_F_MORE) == 0) {
      recv_armed_ = false;  // multishot ended (ENOBUFS, zero-length datagram, CQ overflow)
    }
    const bool has_buffer = (cqe.flags & IORING_CQE_F_BUFFER) != 0;
    const auto bid = static_cast<uint16_t>(cqe.flags >> IORING_CQE_BUFFER_SHIFT);
    if (cqe.res < 0) {
      ++counters_.rx_no_buffer;  // ENOBUFS: every slot is lent or queued; re-armed later
      if (cqe.res != -ENOBUFS) {
        stop = true;  // do not spin on an unexpected error inside one Poll
      }
      if (has_buffer) {
        Recycle(bid);
      }
      return false;
    }
    if (!has_buffer) {
      return false;
    }
    char* slot = Slot(bid);
    io_uring_recvmsg_out* o = io_uring_recvmsg_validate(slot, cqe.res, &recv_msg_);
    if (o == nullptr) {
      Recycle(bid);
      return false;
    }
    const unsigned len = io_uring_recvmsg_payload_length(o, cqe.res, &recv_msg_);
    pkt.data = PaddedView(static_cast<const char*>(io_uring_recvmsg_payload(o, &recv_msg_)), len,
                          rx_slot_size_ - kRxHeadroom);
    pkt.truncated = (o->flags & MSG_TRUNC) != 0;
    counters_.rx_truncated += pkt.truncated ? 1 : 0;
    SetPeer(pkt.peer, io_uring_recvmsg_name(o), o->namelen < kNameRoom ? o->namelen : kNameRoom);
    pkt.rx_ns = 0;
    for (cmsghdr* c = io_uring_recvmsg_cmsg_firsthdr(o, &recv_msg_); c != nullptr;
         c = io_uring_recvmsg_cmsg_nexthdr(o, &recv_msg_, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
        timespec ts;
        std::memcpy(&ts, CMSG_DATA(c), sizeof(ts));
        pkt.rx_ns =
            static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
      }
    }
    lent_[nlent_++] = bid;
    return true;
  }

  io_uring ring_{};
  bool ring_ok_ = false;
  bool disabled_ = false;  // created with R_DISABLED: the first Poll/Flush enables it
  bool enabled_ = false;
  bool recv_armed_ = false;
  bool wake_armed_ = false;
  UniqueFd sock_;
  UniqueFd wake_;
  Endpoint local_;
  BackendCounters counters_;
  std::size_t rx_slots_;
  std::size_t rx_slot_size_;
  Mapping rx_area_;
  Mapping br_area_;
  Mapping tx_area_;
  io_uring_buf_ring* br_ = nullptr;
  int br_mask_ = 0;
  unsigned recycled_ = 0;  // slots added to the buffer ring, not yet published
  msghdr recv_msg_{};
  uint64_t wake_buf_ = 0;
  uint16_t lent_[kMaxBurst] = {};  // slots behind the views the last Poll returned
  std::size_t nlent_ = 0;
  std::vector<TxSlot> tx_;
  std::vector<uint32_t> free_;  // stack of free tx slot indices
  std::size_t nfree_ = 0;
};

}  // namespace

absl::StatusOr<BackendPtr> MakeUringBackend(UniqueFd sock, const Endpoint& local,
                                            const BackendOptions& options) {
  SIPFRONT_RETURN_IF_ERROR(ProbeUring());
  // A blocking eventfd: io_uring polls it; an O_NONBLOCK one would complete the read with
  // -EAGAIN at once.
  UniqueFd wake(::eventfd(0, EFD_CLOEXEC));
  if (!wake.valid()) {
    return ErrnoError("eventfd", errno);
  }
  auto backend = std::make_unique<UringBackend>(std::move(sock), std::move(wake), local, options);
  SIPFRONT_RETURN_IF_ERROR(backend->Init(options));
  return backend;
}

}  // namespace sipfront::net::internal
