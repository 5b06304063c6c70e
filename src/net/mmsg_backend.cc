// recvmmsg/sendmmsg backend: the fallback where io_uring is unavailable.
#include <array>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sipfront/base/check.h"
#include "sipfront/net/backend.h"

#include "internal.h"

namespace sipfront::net::internal {
namespace {

// Linux caps one sendmmsg at UIO_MAXIOV datagrams.
constexpr std::size_t kMaxSendBatch = 1024;

socklen_t SockaddrLen(const Endpoint& e) {
  return e.IsV6() ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

class MmsgBackend final : public Backend {
 public:
  MmsgBackend(UniqueFd sock, UniqueFd wake, const Endpoint& local, const BackendOptions& options,
              Mapping rx_area, Mapping tx_area)
      : sock_(std::move(sock)),
        wake_(std::move(wake)),
        local_(local),
        rx_area_(std::move(rx_area)),
        tx_area_(std::move(tx_area)),
        rx_slot_size_(options.rx_slot_size),
        rx_count_(options.rx_slots < kMaxBurst ? options.rx_slots : kMaxBurst),
        tx_(options.tx_slots),
        free_(options.tx_slots),
        tx_msgs_(options.tx_slots),
        tx_iov_(options.tx_slots),
        queued_slot_(options.tx_slots) {
    for (std::size_t i = 0; i < rx_count_; ++i) {
      rx_iov_[i].iov_base = rx_area_.data() + i * rx_slot_size_ + kRxHeadroom;
      rx_iov_[i].iov_len = rx_slot_size_ - kRxHeadroom - kPadding;
    }
    for (std::size_t i = 0; i < tx_.size(); ++i) {
      tx_[i].data = tx_area_.data() + i * options.tx_slot_size;
      tx_[i].capacity = options.tx_slot_size;
      free_[i] = static_cast<uint32_t>(tx_.size() - 1 - i);
    }
    nfree_ = tx_.size();
  }

  std::size_t Poll(RxPacket* out, std::size_t max, int timeout_ms) override {
    Flush();
    if (max > kMaxBurst) {
      max = kMaxBurst;
    }
    std::size_t n = Receive(out, max);
    if (n > 0 || timeout_ms == 0 || max == 0) {
      return n;
    }
    std::array<pollfd, 2> fds{{{sock_.get(), POLLIN, 0}, {wake_.get(), POLLIN, 0}}};
    if (::poll(fds.data(), fds.size(), timeout_ms) <= 0) {
      return 0;  // timeout or EINTR
    }
    if (fds[1].revents != 0) {
      uint64_t v = 0;
      const ssize_t r = ::read(wake_.get(), &v, sizeof(v));
      static_cast<void>(r);
      ++counters_.wakeups;
    }
    if (fds[0].revents != 0) {
      n = Receive(out, max);
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
    const auto idx = static_cast<uint32_t>(static_cast<TxSlot*>(tx) - tx_.data());
    SIPFRONT_DCHECK(idx < tx_.size() && len <= tx->capacity);
    TxSlot& slot = tx_[idx];
    slot.to = to;
    const std::size_t q = queued_++;
    tx_iov_[q].iov_base = slot.data;
    tx_iov_[q].iov_len = len;
    msghdr& h = tx_msgs_[q].msg_hdr;
    h.msg_name = &slot.to.addr;
    h.msg_namelen = SockaddrLen(slot.to);
    h.msg_iov = &tx_iov_[q];
    h.msg_iovlen = 1;
    h.msg_control = nullptr;
    h.msg_controllen = 0;
    h.msg_flags = 0;
    queued_slot_[q] = idx;
  }

  void ReleaseTx(TxBuffer* tx) override {
    const auto idx = static_cast<uint32_t>(static_cast<TxSlot*>(tx) - tx_.data());
    SIPFRONT_DCHECK(idx < tx_.size());
    free_[nfree_++] = idx;
  }

  void Flush() override {
    std::size_t i = 0;
    while (i < queued_) {
      const std::size_t batch = queued_ - i < kMaxSendBatch ? queued_ - i : kMaxSendBatch;
      const int r =
          ::sendmmsg(sock_.get(), &tx_msgs_[i], static_cast<unsigned>(batch), MSG_DONTWAIT);
      if (r > 0) {
        counters_.tx_packets += static_cast<uint64_t>(r);
        i += static_cast<std::size_t>(r);
        continue;
      }
      const int err = errno;
      if (err == EINTR) {
        continue;
      }
      if (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS) {
        // Send buffer full: drop the rest of this flush rather than spin.
        counters_.tx_errors += queued_ - i;
        break;
      }
      ++counters_.tx_errors;  // this datagram only (bad address, unreachable, too big)
      ++i;
    }
    for (std::size_t q = 0; q < queued_; ++q) {
      free_[nfree_++] = queued_slot_[q];
    }
    queued_ = 0;
  }

  void Wake() override {
    const uint64_t one = 1;
    const ssize_t r = ::write(wake_.get(), &one, sizeof(one));
    static_cast<void>(r);  // EAGAIN: the counter is already non-zero, a wake-up is pending
  }

  [[nodiscard]] int wake_fd() const override { return wake_.get(); }
  [[nodiscard]] const char* Name() const override { return "mmsg"; }
  [[nodiscard]] const BackendCounters& counters() const override { return counters_; }
  [[nodiscard]] Endpoint local() const override { return local_; }

 private:
  struct TxSlot : TxBuffer {
    Endpoint to;
  };

  // One non-blocking recvmmsg into the first slots (the previous batch's views are dead).
  std::size_t Receive(RxPacket* out, std::size_t max) {
    const std::size_t k = max < rx_count_ ? max : rx_count_;
    for (std::size_t i = 0; i < k; ++i) {
      msghdr& h = rx_msgs_[i].msg_hdr;
      h.msg_name = &rx_peer_[i].addr;
      h.msg_namelen = sizeof(rx_peer_[i].addr);
      h.msg_iov = &rx_iov_[i];
      h.msg_iovlen = 1;
      // Control messages (the receive timestamp) go in the slot's headroom.
      h.msg_control = rx_area_.data() + i * rx_slot_size_;
      h.msg_controllen = kRxHeadroom;
      h.msg_flags = 0;
    }
    const int r =
        ::recvmmsg(sock_.get(), rx_msgs_.data(), static_cast<unsigned>(k), MSG_DONTWAIT, nullptr);
    if (r <= 0) {
      return 0;  // EAGAIN; other errors (none expected on an unconnected UDP socket) alike
    }
    const auto n = static_cast<std::size_t>(r);
    for (std::size_t i = 0; i < n; ++i) {
      const msghdr& h = rx_msgs_[i].msg_hdr;
      RxPacket& p = out[i];
      p.data = PaddedView(static_cast<const char*>(rx_iov_[i].iov_base), rx_msgs_[i].msg_len,
                          rx_slot_size_ - kRxHeadroom);
      p.truncated = (h.msg_flags & MSG_TRUNC) != 0;
      SetPeer(p.peer, &rx_peer_[i].addr, h.msg_namelen);
      p.rx_ns = 0;
      for (const cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr;
           c = CMSG_NXTHDR(const_cast<msghdr*>(&h), const_cast<cmsghdr*>(c))) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
          timespec ts;
          std::memcpy(&ts, CMSG_DATA(c), sizeof(ts));
          p.rx_ns =
              static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
        }
      }
      counters_.rx_truncated += p.truncated ? 1 : 0;
    }
    counters_.rx_packets += n;
    return n;
  }

  UniqueFd sock_;
  UniqueFd wake_;
  Endpoint local_;
  BackendCounters counters_;
  Mapping rx_area_;
  Mapping tx_area_;
  std::size_t rx_slot_size_;
  std::size_t rx_count_;
  std::array<mmsghdr, kMaxBurst> rx_msgs_{};
  std::array<iovec, kMaxBurst> rx_iov_{};
  std::array<Endpoint, kMaxBurst> rx_peer_{};
  std::vector<TxSlot> tx_;
  std::vector<uint32_t> free_;  // stack of free tx slot indices
  std::size_t nfree_ = 0;
  std::vector<mmsghdr> tx_msgs_;  // [0, queued_) await the next Flush
  std::vector<iovec> tx_iov_;
  std::vector<uint32_t> queued_slot_;
  std::size_t queued_ = 0;
};

}  // namespace

absl::StatusOr<BackendPtr> MakeMmsgBackend(UniqueFd sock, const Endpoint& local,
                                           const BackendOptions& options) {
  UniqueFd wake(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!wake.valid()) {
    return ErrnoError("eventfd", errno);
  }
  const std::size_t rx_count = options.rx_slots < kMaxBurst ? options.rx_slots : kMaxBurst;
  absl::StatusOr<Mapping> rx = Mapping::Create(rx_count * options.rx_slot_size);
  if (!rx.ok()) {
    return rx.status();
  }
  absl::StatusOr<Mapping> tx = Mapping::Create(options.tx_slots * options.tx_slot_size);
  if (!tx.ok()) {
    return tx.status();
  }
  return std::make_unique<MmsgBackend>(std::move(sock), std::move(wake), local, options,
                                       *std::move(rx), *std::move(tx));
}

}  // namespace sipfront::net::internal
