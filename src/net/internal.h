// Private to src/net: the pieces both backends share (owned descriptors and mappings, option
// checks, errno -> absl::Status) and the per-kind factories MakeBackend() dispatches to.
#ifndef SIPFRONT_SRC_NET_INTERNAL_H_
#define SIPFRONT_SRC_NET_INTERNAL_H_

#include <cstddef>
#include <cstring>
#include <utility>

#include <unistd.h>

#include "sipfront/base/status.h"
#include "sipfront/net/backend.h"
#include "sipfront/net/endpoint.h"

namespace sipfront::net::internal {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { Reset(); }
  UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
      Reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  [[nodiscard]] int get() const { return fd_; }
  [[nodiscard]] bool valid() const { return fd_ >= 0; }
  void Reset() {
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }

 private:
  int fd_ = -1;
};

// An anonymous private read-write mapping, pre-faulted (MAP_POPULATE) so the fast path takes
// no page faults on first touch.
class Mapping {
 public:
  Mapping() = default;
  ~Mapping();
  Mapping(Mapping&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}
  Mapping& operator=(Mapping&& o) noexcept;
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;

  // `size` is rounded up to whole pages. Fails with the mmap errno text.
  static absl::StatusOr<Mapping> Create(std::size_t size);

  [[nodiscard]] char* data() const { return data_; }
  [[nodiscard]] std::size_t size() const { return size_; }

 private:
  char* data_ = nullptr;
  std::size_t size_ = 0;
};

// "what: strerror(err)" with the absl code errno maps to.
absl::Status ErrnoError(const char* what, int err);

// Slot counts and sizes both backends accept (see BackendOptions).
absl::Status ValidateOptions(const BackendOptions& options);

// Factories for one kind; `sock` is bound and non-blocking, `local` its getsockname().
absl::StatusOr<BackendPtr> MakeUringBackend(UniqueFd sock, const Endpoint& local,
                                            const BackendOptions& options);
absl::StatusOr<BackendPtr> MakeMmsgBackend(UniqueFd sock, const Endpoint& local,
                                           const BackendOptions& options);

// Copies a kernel-written source address into an Endpoint (truncating an oversized one).
inline void SetPeer(Endpoint& e, const void* name, socklen_t namelen) {
  e = Endpoint{};
  const std::size_t n = namelen < sizeof(e.addr) ? namelen : sizeof(e.addr);
  std::memcpy(&e.addr, name, n);
  e.len = static_cast<socklen_t>(n);
}

}  // namespace sipfront::net::internal

#endif  // SIPFRONT_SRC_NET_INTERNAL_H_
