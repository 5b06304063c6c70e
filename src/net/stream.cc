// The stream engine (net/stream.h): io_uring multishot accept and recv with provided buffers,
// one send in flight per connection, timers swept once a second. user_data: tag in the top 8
// bits, generation (low 24 bits) in the next 24, connection slot in the low 32.
#include "sipfront/net/stream.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>

#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"

#include "sipfront/base/check.h"
#include "sipfront/base/clock.h"
#include "sipfront/net/tls.h"

#include "internal.h"

namespace sipfront::net {

bool ConnectionLimits::Acquire(const Endpoint& peer) {
  const Key key = KeyOf(peer);
  std::lock_guard<std::mutex> lock(mu_);
  if (total_ >= max_total_) {
    return false;
  }
  uint32_t& n = per_ip_[key];
  if (n >= max_per_ip_) {
    if (n == 0) {
      per_ip_.erase(key);
    }
    return false;
  }
  ++n;
  ++total_;
  return true;
}

void ConnectionLimits::Release(const Endpoint& peer) {
  const Key key = KeyOf(peer);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = per_ip_.find(key);
  if (it == per_ip_.end()) {
    return;
  }
  if (--it->second == 0) {
    per_ip_.erase(it);
  }
  --total_;
}

uint32_t ConnectionLimits::total() const {
  std::lock_guard<std::mutex> lock(mu_);
  return total_;
}

ConnectionLimits::Key ConnectionLimits::KeyOf(const Endpoint& e) {
  Key k;
  if (e.IsV4()) {
    uint32_t a = 0;
    std::memcpy(&a, &e.addr.v4.sin_addr, 4);
    k.lo = a;
    k.hi = 4;
  } else if (e.IsV6()) {
    std::memcpy(&k.hi, &e.addr.v6.sin6_addr, 8);
    std::memcpy(&k.lo, reinterpret_cast<const char*>(&e.addr.v6.sin6_addr) + 8, 8);
  }
  return k;
}

namespace internal {
namespace {

constexpr uint64_t kTagAccept = uint64_t{1} << 56;
constexpr uint64_t kTagRecv = uint64_t{2} << 56;
constexpr uint64_t kTagSend = uint64_t{3} << 56;
constexpr uint64_t kTagCancel = uint64_t{4} << 56;
constexpr uint64_t kTagMask = uint64_t{0xff} << 56;
constexpr uint32_t kGenMask = 0xffffff;
constexpr uint16_t kGroup = 0;
constexpr unsigned kSqEntries = 256;
constexpr unsigned kCqEntries = 8192;
// Backpressure: a connection whose unsent output reaches max_output_bytes / 4 stops being
// read (its receive is cancelled, so TCP flow control holds the peer back) until the output
// drains below max_output_bytes / 16. Input already received meanwhile waits, up to this.
constexpr uint32_t kPausedInputCap = 4u << 20;

// How long a closing connection may take to send its last output before it is cut (or the
// idle timeout, when shorter).
constexpr uint64_t kCloseDrainMs = 5000;

absl::Status UringError(const char* what, int err) {
  return absl::UnavailableError(absl::StrCat(what, ": ", strerrordesc_np(err)));
}

uint64_t Data(uint64_t tag, uint32_t index, uint32_t gen) {
  return tag | (uint64_t{gen & kGenMask} << 32) | index;
}

// A byte queue: [head, tail) of a malloc'd block with kPadding spare bytes after tail; the
// block is freed when the queue drains, so idle connections hold none.
struct Bytes {
  char* data = nullptr;
  uint32_t head = 0;
  uint32_t tail = 0;
  uint32_t cap = 0;

  Bytes() = default;
  Bytes(const Bytes&) = delete;
  Bytes& operator=(const Bytes&) = delete;
  Bytes(Bytes&& o) noexcept
      : data(std::exchange(o.data, nullptr)),
        head(std::exchange(o.head, 0)),
        tail(std::exchange(o.tail, 0)),
        cap(std::exchange(o.cap, 0)) {}
  Bytes& operator=(Bytes&& o) noexcept {
    if (this != &o) {
      Reset();
      data = std::exchange(o.data, nullptr);
      head = std::exchange(o.head, 0);
      tail = std::exchange(o.tail, 0);
      cap = std::exchange(o.cap, 0);
    }
    return *this;
  }
  ~Bytes() { Reset(); }

  [[nodiscard]] uint32_t size() const { return tail - head; }
  [[nodiscard]] bool empty() const { return head == tail; }
  [[nodiscard]] const char* begin() const { return data + head; }
  void Reset() {
    std::free(data);
    data = nullptr;
    head = tail = cap = 0;
  }
  // Room for `n` more bytes (plus padding) at the tail; false when out of memory.
  bool Reserve(std::size_t n) {
    if (tail + n + kPadding <= cap) {
      return true;
    }
    if (head != 0) {
      std::memmove(data, data + head, size());
      tail -= head;
      head = 0;
      if (tail + n + kPadding <= cap) {
        return true;
      }
    }
    std::size_t want = cap == 0 ? 512 : cap;
    while (want < tail + n + kPadding) {
      want *= 2;
    }
    char* p = static_cast<char*>(std::realloc(data, want));
    if (p == nullptr) {
      return false;
    }
    data = p;
    cap = static_cast<uint32_t>(want);
    return true;
  }
  bool Append(const char* p, std::size_t n) {
    if (!Reserve(n)) {
      return false;
    }
    std::memcpy(data + tail, p, n);
    tail += static_cast<uint32_t>(n);
    return true;
  }
  void Consume(std::size_t n) {
    head += static_cast<uint32_t>(n);
    if (head == tail) {
      Reset();
    }
  }
  [[nodiscard]] PaddedView View() const { return PaddedView(data + head, size(), cap - head); }
};

enum class State : uint8_t { kFree, kOpen, kClosing };

struct Conn {
  int fd = -1;
  uint32_t gen = 0;
  State state = State::kFree;
  bool recv_armed = false;
  bool send_busy = false;
  bool shut = false;         // shutdown() done: waiting for the ops in flight
  bool paused = false;       // answers back up: input is not framed, the recv is cancelled
  bool cancel_sent = false;  // the recv's cancellation is in flight
  Endpoint peer;
  uint64_t accepted_ms = 0;
  uint64_t last_rx_ms = 0;
  uint64_t last_tx_ms = 0;
  uint64_t partial_since_ms = 0;  // first byte of the unfinished message; 0: none
  uint64_t closing_since_ms = 0;
  std::unique_ptr<TlsSession> tls;
  Bytes in;       // unconsumed plaintext
  Bytes sending;  // in flight: [head, tail) being sent
  Bytes pending;  // queued behind it
  uint32_t next_free = 0;
};

class UringStreamEngine final : public StreamEngine {
 public:
  explicit UringStreamEngine(const StreamOptions& o) : opts_(o) {}

  ~UringStreamEngine() override {
    if (ring_ok_) {
      io_uring_queue_exit(&ring_);
    }
    for (Conn& c : conns_) {
      if (c.fd >= 0) {
        ::close(c.fd);
        opts_.limits->Release(c.peer);
      }
    }
    std::free(rx_area_);
  }

  UringStreamEngine(const UringStreamEngine&) = delete;
  UringStreamEngine& operator=(const UringStreamEngine&) = delete;

  absl::Status Init(int notify_fd) {
    if (opts_.limits == nullptr || opts_.rx_buffers == 0 ||
        (opts_.rx_buffers & (opts_.rx_buffers - 1)) != 0 || opts_.rx_buffers > 32768 ||
        opts_.rx_buffer_size < 1024) {
      return absl::InvalidArgumentError(
          "stream options: limits required, rx_buffers a power of two <= 32768, "
          "rx_buffer_size >= 1024");
    }
    const int family = opts_.bind.IsV6() ? AF_INET6 : AF_INET;
    UniqueFd s(::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!s.valid()) {
      return ErrnoError("socket", errno);
    }
    const int one = 1;
    if (::setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        ::setsockopt(s.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
      return ErrnoError("setsockopt(SO_REUSEPORT)", errno);
    }
    if (family == AF_INET6 &&
        ::setsockopt(s.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0) {
      return ErrnoError("setsockopt(IPV6_V6ONLY)", errno);
    }
    if (::bind(s.get(), &opts_.bind.addr.sa, opts_.bind.len) != 0) {
      return ErrnoError("bind", errno);
    }
    if (::listen(s.get(), opts_.backlog) != 0) {
      return ErrnoError("listen", errno);
    }
    Endpoint local;
    local.len = sizeof(local.addr);
    if (::getsockname(s.get(), &local.addr.sa, &local.len) != 0) {
      return ErrnoError("getsockname", errno);
    }
    local_ = local;
    listener_ = std::move(s);

    io_uring_params p{};
    p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP;
    p.cq_entries = kCqEntries;
    int r = io_uring_queue_init_params(kSqEntries, &ring_, &p);
    if (r < 0) {
      return UringError("io_uring_queue_init", -r);
    }
    ring_ok_ = true;
    io_uring_probe* probe = io_uring_get_probe_ring(&ring_);
    const bool ops = probe != nullptr && io_uring_opcode_supported(probe, IORING_OP_ACCEPT) &&
                     io_uring_opcode_supported(probe, IORING_OP_RECV) &&
                     io_uring_opcode_supported(probe, IORING_OP_SEND);
    if (probe != nullptr) {
      io_uring_free_probe(probe);
    }
    if (!ops) {
      return absl::UnavailableError("io_uring lacks ACCEPT/RECV/SEND (kernel too old)");
    }
    if (notify_fd >= 0) {
      r = io_uring_register_eventfd(&ring_, notify_fd);
      if (r < 0) {
        return UringError("io_uring_register_eventfd", -r);
      }
    }
    // Receive buffers: each with kPadding readable bytes after what the kernel may fill, so a
    // message received whole is tokenized in place.
    stride_ = opts_.rx_buffer_size + kPadding;
    rx_area_ = static_cast<char*>(std::aligned_alloc(64, std::size_t{stride_} * opts_.rx_buffers));
    br_area_ = Mapping::Create(opts_.rx_buffers * sizeof(io_uring_buf)).value_or(Mapping());
    if (rx_area_ == nullptr || br_area_.data() == nullptr) {
      return absl::ResourceExhaustedError("stream receive buffers: out of memory");
    }
    br_ = reinterpret_cast<io_uring_buf_ring*>(br_area_.data());
    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<uintptr_t>(br_);
    reg.ring_entries = opts_.rx_buffers;
    reg.bgid = kGroup;
    r = io_uring_register_buf_ring(&ring_, &reg, 0);
    if (r < 0) {
      return UringError("io_uring_register_buf_ring", -r);
    }
    io_uring_buf_ring_init(br_);
    br_mask_ = io_uring_buf_ring_mask(opts_.rx_buffers);
    for (uint32_t i = 0; i < opts_.rx_buffers; ++i) {
      io_uring_buf_ring_add(br_, rx_area_ + std::size_t{i} * stride_, opts_.rx_buffer_size,
                            static_cast<uint16_t>(i), br_mask_, static_cast<int>(i));
    }
    io_uring_buf_ring_advance(br_, static_cast<int>(opts_.rx_buffers));
    ArmAccept();
    io_uring_submit(&ring_);
    return absl::OkStatus();
  }

  void Poll(StreamHandler& h) override {
    if (io_uring_sq_ready(&ring_) > 0) {
      io_uring_submit(&ring_);
    }
    for (int round = 0; round < 64; ++round) {
      io_uring_cqe* cqes[64];
      const unsigned n = io_uring_peek_batch_cqe(&ring_, cqes, 64);
      if (n == 0) {
        break;
      }
      now_ms_ = MonoMillis();
      for (unsigned i = 0; i < n; ++i) {
        Complete(h, *cqes[i]);
      }
      io_uring_cq_advance(&ring_, n);
      if (recycled_ != 0) {
        io_uring_buf_ring_advance(br_, recycled_);
        recycled_ = 0;
      }
    }
    if (!accept_armed_ && !stopping_ && !accept_backoff_) {
      ArmAccept();
    }
    if (rearm_pending_) {
      rearm_pending_ = false;
      for (uint32_t i = 0; i < conns_.size(); ++i) {
        Conn& c = conns_[i];
        if (c.state == State::kOpen && !c.recv_armed && !c.paused) {
          ArmRecv(i);
        }
      }
    }
    if (io_uring_sq_ready(&ring_) > 0) {
      io_uring_submit(&ring_);
    }
  }

  void Flush() override {
    if (io_uring_sq_ready(&ring_) > 0) {
      io_uring_submit(&ring_);
    }
  }

  void Tick(StreamHandler& h) override {
    now_ms_ = MonoMillis();
    accept_backoff_ = false;
    for (uint32_t i = 0; i < conns_.size(); ++i) {
      Conn& c = conns_[i];
      const uint64_t drain_ms = std::min<uint64_t>(kCloseDrainMs, opts_.idle_timeout_ms);
      if (c.state == State::kClosing && !c.shut && now_ms_ - c.closing_since_ms >= drain_ms) {
        ++counters_.close_timeouts;  // its last answers did not drain: the peer does not read
        Abort(h, i);
        continue;
      }
      if (c.state != State::kOpen) {
        continue;
      }
      if (c.tls != nullptr && !c.tls->established() &&
          now_ms_ - c.accepted_ms >= opts_.handshake_timeout_ms) {
        ++counters_.handshake_timeouts;
        Abort(h, i);
      } else if (c.partial_since_ms != 0 &&
                 now_ms_ - c.partial_since_ms >= opts_.message_timeout_ms) {
        ++counters_.message_timeouts;
        Abort(h, i);
      } else if (now_ms_ - c.last_rx_ms >= opts_.idle_timeout_ms) {
        ++counters_.idle_timeouts;
        Abort(h, i);
      } else if (opts_.keepalive_ms != 0 && (c.tls == nullptr || c.tls->established()) &&
                 now_ms_ - c.last_rx_ms >= opts_.keepalive_ms &&
                 now_ms_ - c.last_tx_ms >= opts_.keepalive_ms && c.pending.empty() &&
                 c.sending.empty()) {
        ++counters_.keepalives_sent;
        Send(ConnRef{i, c.gen}, "\r\n\r\n", 4);
      }
    }
    if (io_uring_sq_ready(&ring_) > 0) {
      io_uring_submit(&ring_);
    }
  }

  bool Send(ConnRef ref, const char* data, std::size_t len) override {
    Conn* c = Find(ref);
    if (c == nullptr || c->state != State::kOpen) {
      return false;
    }
    if (!Queue(*c, data, len)) {
      ++counters_.output_overflow;
      Close(ref);
      return false;
    }
    Kick(ref.index);
    return true;
  }

  void Close(ConnRef ref) override {
    Conn* c = Find(ref);
    if (c == nullptr || c->state != State::kOpen) {
      return;
    }
    if (c->tls != nullptr) {
      c->tls->Shutdown();
      MoveTlsOutput(*c);
      Kick(ref.index);
    }
    c->state = State::kClosing;
    c->closing_since_ms = now_ms_;
    MaybeShut(ref.index);
  }

  void Shutdown(StreamHandler& h) override {
    stopping_ = true;
    for (uint32_t i = 0; i < conns_.size(); ++i) {
      if (conns_[i].state != State::kFree) {
        Abort(h, i);
      }
    }
    if (accept_armed_) {
      io_uring_sqe* sqe = GetSqe();
      if (sqe != nullptr) {
        io_uring_prep_cancel64(sqe, kTagAccept, 0);
        io_uring_sqe_set_data64(sqe, 0);
      }
    }
    for (int i = 0; i < 100 && open_ != 0; ++i) {
      io_uring_submit_and_wait(&ring_, 0);
      Poll(h);
      if (open_ != 0) {
        __kernel_timespec ts{.tv_sec = 0, .tv_nsec = 10000000};
        io_uring_cqe* cqe = nullptr;
        io_uring_wait_cqe_timeout(&ring_, &cqe, &ts);
      }
    }
  }

  [[nodiscard]] Endpoint local() const override { return local_; }
  [[nodiscard]] bool tls() const override { return opts_.tls != nullptr; }
  [[nodiscard]] uint32_t open_connections() const override { return open_; }
  [[nodiscard]] const StreamCounters& counters() const override { return counters_; }

 private:
  io_uring_sqe* GetSqe() {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (sqe == nullptr) {
      io_uring_submit(&ring_);
      sqe = io_uring_get_sqe(&ring_);
    }
    return sqe;
  }

  void ArmAccept() {
    io_uring_sqe* sqe = GetSqe();
    if (sqe == nullptr) {
      return;
    }
    io_uring_prep_multishot_accept(sqe, listener_.get(), nullptr, nullptr,
                                   SOCK_NONBLOCK | SOCK_CLOEXEC);
    io_uring_sqe_set_data64(sqe, kTagAccept);
    accept_armed_ = true;
  }

  void ArmRecv(uint32_t i) {
    Conn& c = conns_[i];
    io_uring_sqe* sqe = GetSqe();
    if (sqe == nullptr) {
      rearm_pending_ = true;
      return;
    }
    io_uring_prep_recv_multishot(sqe, c.fd, nullptr, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = kGroup;
    io_uring_sqe_set_data64(sqe, Data(kTagRecv, i, c.gen));
    c.recv_armed = true;
  }

  Conn* Find(ConnRef ref) {
    if (ref.index >= conns_.size()) {
      return nullptr;
    }
    Conn& c = conns_[ref.index];
    return c.state == State::kFree || c.gen != ref.gen ? nullptr : &c;
  }

  ConnInfo Info(uint32_t i) const {
    const Conn& c = conns_[i];
    return ConnInfo{ConnRef{i, c.gen}, c.peer, c.tls != nullptr};
  }

  void Complete(StreamHandler& h, const io_uring_cqe& cqe) {
    const uint64_t data = cqe.user_data;
    const uint64_t tag = data & kTagMask;
    if (tag == kTagAccept) {
      if ((cqe.flags & IORING_CQE_F_MORE) == 0) {
        accept_armed_ = false;
      }
      if (cqe.res >= 0) {
        OnAccept(cqe.res);
      } else if (cqe.res != -ECANCELED) {
        // Out of descriptors (EMFILE/ENFILE) or memory: the connection stays in the listen
        // backlog; retrying at once would spin, so accepting resumes at the next Tick().
        ++counters_.accept_errors;
        accept_backoff_ = (cqe.flags & IORING_CQE_F_MORE) == 0;
      }
      return;
    }
    const auto i = static_cast<uint32_t>(data);
    const auto gen = static_cast<uint32_t>(data >> 32) & kGenMask;
    if (tag == kTagRecv) {
      const bool more = (cqe.flags & IORING_CQE_F_MORE) != 0;
      const bool has_buffer = (cqe.flags & IORING_CQE_F_BUFFER) != 0;
      const auto bid = static_cast<uint16_t>(cqe.flags >> IORING_CQE_BUFFER_SHIFT);
      Conn& c = conns_[i];
      SIPFRONT_DCHECK(i < conns_.size() && (c.gen & kGenMask) == gen);
      if (!more) {
        c.recv_armed = false;
        c.cancel_sent = false;
      }
      if (cqe.res > 0 && has_buffer) {
        if (c.state == State::kOpen) {
          OnBytes(h, i, rx_area_ + std::size_t{bid} * stride_, static_cast<uint32_t>(cqe.res));
        }
        Recycle(bid);
      } else if (has_buffer) {
        Recycle(bid);
      }
      if (cqe.res == -ENOBUFS) {
        ++counters_.rx_no_buffer;
        rearm_pending_ = true;
      } else if (cqe.res == 0 && c.state == State::kOpen) {
        // EOF: the peer sends no more, but may still read (a half-close after its last
        // request): answers already queued go out first.
        Close(ConnRef{i, c.gen});
      } else if (cqe.res < 0 && cqe.res != -ECANCELED && c.state == State::kOpen) {
        Abort(h, i);  // an error: the peer is gone
      } else if (!more && c.state == State::kOpen && !c.paused) {
        ArmRecv(i);  // also after a cancellation the connection no longer needed
      }
      MaybeFree(h, i);
      return;
    }
    if (tag == kTagSend) {
      Conn& c = conns_[i];
      static_cast<void>(gen);
      c.send_busy = false;
      if (cqe.res < 0) {
        c.sending.Reset();
        c.pending.Reset();
        if (c.state == State::kOpen) {
          Abort(h, i);
        }
      } else {
        counters_.tx_bytes += static_cast<uint64_t>(cqe.res);
        c.sending.Consume(static_cast<std::size_t>(cqe.res));
        Kick(i);
        if (c.paused && c.state == State::kOpen && Backlog(c) <= opts_.max_output_bytes / 16) {
          c.paused = false;
          Frame(h, i, nullptr, 0);  // what waited; may pause again
          Conn& r = conns_[i];
          if (!r.paused && !r.recv_armed && r.state == State::kOpen) {
            ArmRecv(i);
          }
        }
      }
      MaybeShut(i);
      MaybeFree(h, i);
    }
  }

  void OnAccept(int fd) {
    Endpoint peer;
    peer.len = sizeof(peer.addr);
    if (::getpeername(fd, &peer.addr.sa, &peer.len) != 0 || !opts_.limits->Acquire(peer)) {
      ++counters_.refused;
      ::close(fd);
      return;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    std::unique_ptr<TlsSession> tls;
    if (opts_.tls != nullptr) {
      tls = TlsSession::Create(*opts_.tls);
      if (tls == nullptr) {
        ++counters_.refused;
        opts_.limits->Release(peer);
        ::close(fd);
        return;
      }
    }
    uint32_t i;
    if (free_head_ != kNoFree) {
      i = free_head_;
      free_head_ = conns_[i].next_free;
    } else {
      i = static_cast<uint32_t>(conns_.size());
      conns_.emplace_back();
    }
    Conn& c = conns_[i];
    c.fd = fd;
    c.gen = (c.gen + 1) & kGenMask;
    c.state = State::kOpen;
    c.recv_armed = false;
    c.send_busy = false;
    c.shut = false;
    c.paused = false;
    c.cancel_sent = false;
    c.peer = peer;
    c.accepted_ms = c.last_rx_ms = c.last_tx_ms = now_ms_;
    c.partial_since_ms = 0;
    c.tls = std::move(tls);
    ++open_;
    ++counters_.accepted;
    ArmRecv(i);
  }

  void OnBytes(StreamHandler& h, uint32_t i, const char* data, uint32_t len) {
    Conn& c = conns_[i];
    counters_.rx_bytes += len;
    c.last_rx_ms = now_ms_;
    if (c.tls != nullptr) {
      bool oom = false;
      const TlsSession::Result r = c.tls->Receive(data, len, [&](std::string_view plain) {
        oom |= !c.in.Append(plain.data(), plain.size());
      });
      MoveTlsOutput(c);
      Kick(i);
      if (r == TlsSession::Result::kClosed && !oom) {
        Frame(h, i, nullptr, 0);  // what came before close_notify is still a request
        Close(ConnRef{i, conns_[i].gen});
        return;
      }
      if (r != TlsSession::Result::kOk || oom) {
        if (r == TlsSession::Result::kError) {
          ++counters_.tls_failures;
        }
        c.in.Reset();
        Close(ConnRef{i, c.gen});
        return;
      }
      Frame(h, i, nullptr, 0);
      return;
    }
    if (c.in.empty()) {
      Frame(h, i, data, len);  // in place: no copy unless a partial message remains
    } else if (!c.in.Append(data, len)) {
      Abort(h, i);
    } else {
      Frame(h, i, nullptr, 0);
    }
  }

  // Offers the bytes to the handler message by message: `data` (a receive buffer, padded)
  // when given, else the connection's own buffer. A partial message left in `data` is copied.
  void Frame(StreamHandler& h, uint32_t i, const char* data, uint32_t len) {
    const ConnInfo info = Info(i);
    uint32_t off = 0;
    bool consumed = false;
    while (conns_[i].state == State::kOpen) {
      Conn& c = conns_[i];
      if (c.paused || Backlog(c) >= opts_.max_output_bytes / 4) {
        Pause(i);
        break;
      }
      const PaddedView view =
          data != nullptr ? PaddedView(data + off, len - off, stride_ - off) : c.in.View();
      if (view.size() == 0) {
        break;
      }
      const std::size_t used = h.OnData(info, view);
      Conn& c2 = conns_[i];  // the handler may have sent (no reallocation of conns_ there)
      if (used == kCloseConnection) {
        c2.in.Reset();
        Close(info.ref);
        return;
      }
      if (used == 0) {
        break;
      }
      consumed = true;
      if (data != nullptr) {
        off += static_cast<uint32_t>(used);
      } else {
        c2.in.Consume(used);
      }
    }
    Conn& c = conns_[i];
    if (c.state != State::kOpen) {
      return;
    }
    if (data != nullptr && off < len) {
      ++counters_.copies;
      if (!c.in.Append(data + off, len - off)) {
        Close(info.ref);
        return;
      }
    }
    if (c.in.empty()) {
      c.partial_since_ms = 0;
      return;
    }
    if (c.paused) {
      c.partial_since_ms = 0;  // not the peer's slowness: ours
      if (c.in.size() > kPausedInputCap) {
        ++counters_.oversize;
        Abort(h, i);
      }
      return;
    }
    // The timer runs from the first byte of the unfinished message: when a message completed
    // in this pass, the one pending began here.
    if (c.partial_since_ms == 0 || consumed) {
      c.partial_since_ms = now_ms_;
    }
    if (c.in.size() > opts_.max_message_bytes) {
      ++counters_.oversize;
      c.in.Reset();
      Close(info.ref);
    }
  }

  static std::size_t Backlog(const Conn& c) { return c.sending.size() + c.pending.size(); }

  // Stops reading a connection whose answers back up (see kPausedInputCap).
  void Pause(uint32_t i) {
    Conn& c = conns_[i];
    if (!c.paused) {
      c.paused = true;
      ++counters_.paused;
    }
    if (c.recv_armed && !c.cancel_sent) {
      io_uring_sqe* sqe = GetSqe();
      if (sqe != nullptr) {
        io_uring_prep_cancel64(sqe, Data(kTagRecv, i, c.gen), 0);
        io_uring_sqe_set_data64(sqe, kTagCancel);
        c.cancel_sent = true;
      }
    }
  }

  bool Queue(Conn& c, const char* data, std::size_t len) {
    if (c.tls != nullptr) {
      if (!c.tls->Send(std::string_view(data, len))) {
        return false;
      }
      return MoveTlsOutput(c);
    }
    if (c.sending.size() + c.pending.size() + len > opts_.max_output_bytes) {
      return false;
    }
    return c.pending.Append(data, len);
  }

  bool MoveTlsOutput(Conn& c) {
    const std::size_t n = c.tls->OutputSize();
    if (n == 0) {
      return true;
    }
    if (c.sending.size() + c.pending.size() + n > opts_.max_output_bytes || !c.pending.Reserve(n)) {
      return false;
    }
    c.pending.tail += static_cast<uint32_t>(c.tls->TakeOutput(c.pending.data + c.pending.tail, n));
    return true;
  }

  // Starts a send when none is in flight and output waits.
  void Kick(uint32_t i) {
    Conn& c = conns_[i];
    if (c.send_busy || c.fd < 0 || c.shut) {
      return;
    }
    if (c.sending.empty()) {
      if (c.pending.empty()) {
        return;
      }
      std::swap(c.sending, c.pending);
    }
    io_uring_sqe* sqe = GetSqe();
    if (sqe == nullptr) {
      return;  // retried on the next Send/Kick
    }
    io_uring_prep_send(sqe, c.fd, c.sending.begin(), c.sending.size(), MSG_NOSIGNAL);
    c.last_tx_ms = now_ms_;
    io_uring_sqe_set_data64(sqe, Data(kTagSend, i, c.gen));
    c.send_busy = true;
  }

  // A closing connection whose output is all sent: shut the socket down, which ends the
  // multishot recv; the slot is freed when no operation is in flight.
  void MaybeShut(uint32_t i) {
    Conn& c = conns_[i];
    if (c.state != State::kClosing || c.shut || c.send_busy || !c.sending.empty() ||
        !c.pending.empty()) {
      return;
    }
    c.shut = true;
    ::shutdown(c.fd, SHUT_RDWR);
  }

  // Closes at once, dropping unsent output.
  void Abort(StreamHandler& h, uint32_t i) {
    Conn& c = conns_[i];
    if (c.state == State::kFree) {
      return;
    }
    c.state = State::kClosing;
    c.pending.Reset();
    c.in.Reset();
    if (!c.shut) {
      c.shut = true;
      ::shutdown(c.fd, SHUT_RDWR);
    }
    MaybeFree(h, i);
  }

  void MaybeFree(StreamHandler& h, uint32_t i) {
    Conn& c = conns_[i];
    if (c.state != State::kClosing || !c.shut || c.recv_armed || c.send_busy) {
      return;
    }
    h.OnClosed(Info(i));
    ::close(c.fd);
    opts_.limits->Release(c.peer);
    c.fd = -1;
    c.state = State::kFree;
    c.tls.reset();
    c.in.Reset();
    c.sending.Reset();
    c.pending.Reset();
    c.next_free = free_head_;
    free_head_ = i;
    --open_;
    ++counters_.closed;
  }

  void Recycle(uint16_t bid) {
    io_uring_buf_ring_add(br_, rx_area_ + std::size_t{bid} * stride_, opts_.rx_buffer_size, bid,
                          br_mask_, recycled_);
    ++recycled_;
  }

  static constexpr uint32_t kNoFree = 0xffffffffu;

  StreamOptions opts_;
  Endpoint local_;
  UniqueFd listener_;
  io_uring ring_{};
  bool ring_ok_ = false;
  bool accept_armed_ = false;
  bool stopping_ = false;
  bool accept_backoff_ = false;  // accept failed: re-armed at the next Tick()
  bool rearm_pending_ = false;
  char* rx_area_ = nullptr;
  uint32_t stride_ = 0;
  Mapping br_area_;
  io_uring_buf_ring* br_ = nullptr;
  int br_mask_ = 0;
  int recycled_ = 0;
  std::vector<Conn> conns_;
  uint32_t free_head_ = kNoFree;
  uint32_t open_ = 0;
  uint64_t now_ms_ = 0;
  StreamCounters counters_;
};

}  // namespace
}  // namespace internal

absl::StatusOr<std::unique_ptr<StreamEngine>> StreamEngine::Create(const StreamOptions& options,
                                                                   int notify_fd) {
  auto e = std::make_unique<internal::UringStreamEngine>(options);
  SIPFRONT_RETURN_IF_ERROR(e->Init(notify_fd));
  return std::unique_ptr<StreamEngine>(std::move(e));
}

}  // namespace sipfront::net
