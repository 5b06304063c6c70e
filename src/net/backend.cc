#include "sipfront/net/backend.h"

#include <cerrno>
#include <cstring>
#include <utility>

#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"

#include "sipfront/base/compiler.h"

#include "internal.h"

namespace sipfront::net {
namespace internal {

Mapping::~Mapping() {
  if (data_ != nullptr) {
    ::munmap(data_, size_);
  }
}

Mapping& Mapping::operator=(Mapping&& o) noexcept {
  if (this != &o) {
    if (data_ != nullptr) {
      ::munmap(data_, size_);
    }
    data_ = std::exchange(o.data_, nullptr);
    size_ = std::exchange(o.size_, 0);
  }
  return *this;
}

absl::StatusOr<Mapping> Mapping::Create(std::size_t size) {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  size = (size + page - 1) / page * page;
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (p == MAP_FAILED) {
    return ErrnoError("mmap", errno);
  }
  Mapping m;
  m.data_ = static_cast<char*>(p);
  m.size_ = size;
  return m;
}

absl::Status ErrnoError(const char* what, int err) {
  return absl::Status(absl::ErrnoToStatusCode(err), absl::StrCat(what, ": ", strerrordesc_np(err)));
}

absl::Status ValidateOptions(const BackendOptions& o) {
  if (!o.bind.IsV4() && !o.bind.IsV6()) {
    return absl::InvalidArgumentError("backend options: bind address unset");
  }
  if (o.rx_slots == 0 || o.rx_slots > 32768 || (o.rx_slots & (o.rx_slots - 1)) != 0) {
    return absl::InvalidArgumentError("backend options: rx_slots must be a power of two <= 32768");
  }
  if (o.rx_slot_size % kCacheLine != 0 || o.rx_slot_size <= kRxHeadroom + kPadding ||
      o.rx_slot_size > (1u << 20)) {
    return absl::InvalidArgumentError(
        "backend options: rx_slot_size must be a multiple of 64 in (128, 1 MiB]");
  }
  if (o.tx_slots == 0 || o.tx_slots > 65536) {
    return absl::InvalidArgumentError("backend options: tx_slots must be in 1..65536");
  }
  if (o.tx_slot_size == 0 || o.tx_slot_size > (1u << 20)) {
    return absl::InvalidArgumentError("backend options: tx_slot_size must be in 1..1 MiB");
  }
  return absl::OkStatus();
}

}  // namespace internal

namespace {

using internal::ErrnoError;
using internal::UniqueFd;

// Asks for `bytes` of socket buffer: SO_*BUFFORCE first (CAP_NET_ADMIN may exceed
// net.core.[rw]mem_max), then the plain option, which the kernel clamps. Never fatal.
void SetBuffer(int fd, int force_opt, int opt, int bytes) {
  if (bytes <= 0) {
    return;
  }
  if (::setsockopt(fd, SOL_SOCKET, force_opt, &bytes, sizeof(bytes)) != 0) {
    ::setsockopt(fd, SOL_SOCKET, opt, &bytes, sizeof(bytes));
  }
}

absl::StatusOr<UniqueFd> OpenSocket(const BackendOptions& o, Endpoint& local) {
  const int family = o.bind.addr.sa.sa_family;
  UniqueFd fd(::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    return ErrnoError("socket", errno);
  }
  const int one = 1;
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
    return ErrnoError("setsockopt(SO_REUSEPORT)", errno);
  }
  // Kernel receive timestamps: how long a datagram waited tells a worker it is behind (the
  // registration storm guard). Best effort: without them rx_ns stays 0.
  (void)::setsockopt(fd.get(), SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
  if (family == AF_INET6 &&
      ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0) {
    return ErrnoError("setsockopt(IPV6_V6ONLY)", errno);
  }
  SetBuffer(fd.get(), SO_RCVBUFFORCE, SO_RCVBUF, o.rcvbuf);
  SetBuffer(fd.get(), SO_SNDBUFFORCE, SO_SNDBUF, o.sndbuf);
  const socklen_t len = family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  if (::bind(fd.get(), &o.bind.addr.sa, len) != 0) {
    return ErrnoError("bind", errno);
  }
  local = Endpoint{};
  socklen_t got = sizeof(local.addr);
  if (::getsockname(fd.get(), &local.addr.sa, &got) != 0) {
    return ErrnoError("getsockname", errno);
  }
  local.len = got;
  return fd;
}

}  // namespace

absl::StatusOr<BackendPtr> MakeBackend(BackendKind kind, const BackendOptions& options) {
  SIPFRONT_RETURN_IF_ERROR(internal::ValidateOptions(options));
  Endpoint local;
  absl::StatusOr<UniqueFd> sock = OpenSocket(options, local);
  if (!sock.ok()) {
    return sock.status();
  }
  switch (kind) {
    case BackendKind::kUring:
      return internal::MakeUringBackend(*std::move(sock), local, options);
    case BackendKind::kMmsg:
      return internal::MakeMmsgBackend(*std::move(sock), local, options);
  }
  return absl::InvalidArgumentError("MakeBackend: unknown backend kind");
}

}  // namespace sipfront::net
