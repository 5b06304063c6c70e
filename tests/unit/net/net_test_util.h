// Helpers for the net backend tests: a plain blocking-free UDP client socket and bounded pumps.
// Every wait here has a deadline so a broken backend fails a test instead of hanging it.
#ifndef SIPFRONT_TESTS_UNIT_NET_NET_TEST_UTIL_H_
#define SIPFRONT_TESTS_UNIT_NET_NET_TEST_UTIL_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sipfront/net/backend.h"
#include "sipfront/net/endpoint.h"

namespace sipfront::net::testing {

inline Endpoint Loopback(int family) {
  Endpoint e;
  if (family == AF_INET6) {
    e.addr.v6.sin6_family = AF_INET6;
    e.addr.v6.sin6_addr = in6addr_loopback;
    e.len = sizeof(sockaddr_in6);
  } else {
    e.addr.v4.sin_family = AF_INET;
    e.addr.v4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    e.len = sizeof(sockaddr_in);
  }
  return e;
}

// A non-blocking UDP socket on loopback port 0.
class Client {
 public:
  explicit Client(int family = AF_INET) {
    fd_ = ::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
      return;
    }
    const int buf = 4 << 20;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
    Endpoint l = Loopback(family);
    if (::bind(fd_, &l.addr.sa, l.len) != 0) {
      ::close(fd_);
      fd_ = -1;
      return;
    }
    socklen_t len = sizeof(local_.addr);
    ::getsockname(fd_, &local_.addr.sa, &len);
    local_.len = len;
  }
  ~Client() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  [[nodiscard]] bool ok() const { return fd_ >= 0; }
  [[nodiscard]] int fd() const { return fd_; }
  [[nodiscard]] const Endpoint& local() const { return local_; }

  // Sends one datagram; waits (bounded) for send-buffer space. Returns false on failure.
  bool SendTo(const Endpoint& to, std::string_view data) const {
    for (int i = 0; i < 1000; ++i) {
      const ssize_t r = ::sendto(fd_, data.data(), data.size(), 0, &to.addr.sa, to.len);
      if (r == static_cast<ssize_t>(data.size())) {
        return true;
      }
      if (r < 0 && errno != EAGAIN && errno != ENOBUFS) {
        return false;
      }
      pollfd p{fd_, POLLOUT, 0};
      ::poll(&p, 1, 5);
    }
    return false;
  }

  // Receives one datagram into `out` (resized) within `timeout_ms`; false on timeout.
  bool Recv(std::string& out, Endpoint* from, int timeout_ms) const {
    out.resize(70000);
    Endpoint f;
    socklen_t len = sizeof(f.addr);
    ssize_t r = ::recvfrom(fd_, out.data(), out.size(), 0, &f.addr.sa, &len);
    if (r < 0) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, timeout_ms) <= 0) {
        return false;
      }
      len = sizeof(f.addr);
      r = ::recvfrom(fd_, out.data(), out.size(), 0, &f.addr.sa, &len);
      if (r < 0) {
        return false;
      }
    }
    f.len = len;
    out.resize(static_cast<std::size_t>(r));
    if (from != nullptr) {
      *from = f;
    }
    return true;
  }

 private:
  int fd_ = -1;
  Endpoint local_;
};

// Deterministic datagram: 4-byte sequence number, then bytes derived from it.
inline std::string Payload(uint32_t seq, std::size_t size) {
  std::string s(size < 4 ? 4 : size, '\0');
  std::memcpy(s.data(), &seq, 4);
  for (std::size_t i = 4; i < s.size(); ++i) {
    s[i] = static_cast<char>('A' + (seq * 31 + i) % 26);
  }
  return s;
}

inline uint32_t SeqOf(std::string_view d) {
  uint32_t seq = 0;
  std::memcpy(&seq, d.data(), 4);
  return seq;
}

// Polls `b` until `want` packets went to `on_packet` or `timeout_ms` passed; returns the count.
template <typename F>
std::size_t Pump(Backend& b, std::size_t want, F&& on_packet, int timeout_ms = 5000) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::size_t got = 0;
  RxPacket pkts[kMaxBurst];
  while (got < want && std::chrono::steady_clock::now() < deadline) {
    const std::size_t n = b.Poll(pkts, kMaxBurst, 20);
    for (std::size_t i = 0; i < n; ++i) {
      on_packet(pkts[i]);
    }
    got += n;
    b.Flush();
  }
  return got;
}

}  // namespace sipfront::net::testing

#endif  // SIPFRONT_TESTS_UNIT_NET_NET_TEST_UTIL_H_
