// sipfront/net/endpoint.h — a UDP/TCP peer or local address, IPv4 or IPv6.
//
// Endpoint is a plain value (32 bytes) that fits the sockaddr calls directly. Parsing and
// formatting are slow-path helpers (configuration, logs, tests).
// Threading: plain value; functions are pure.
#ifndef SIPFRONT_NET_ENDPOINT_H_
#define SIPFRONT_NET_ENDPOINT_H_

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "sipfront/base/status.h"

namespace sipfront::net {

struct Endpoint {
  union {
    sockaddr sa;
    sockaddr_in v4;
    sockaddr_in6 v6;
  } addr{};
  socklen_t len = 0;  // 0: unset

  [[nodiscard]] bool IsV4() const { return addr.sa.sa_family == AF_INET; }
  [[nodiscard]] bool IsV6() const { return addr.sa.sa_family == AF_INET6; }
  // Port in host byte order (0 when unset).
  [[nodiscard]] uint16_t port() const;
  void set_port(uint16_t port);
  // Writes the address without port ("192.0.2.1", "2001:db8::1") into out (>= 46 bytes);
  // returns the length.
  std::size_t FormatHost(char* out) const;
  bool operator==(const Endpoint& o) const;
};

// Parses "HOST:PORT" where HOST is an IPv4 address or a bracketed IPv6 address ("[::1]:5060").
// No name resolution.
absl::StatusOr<Endpoint> ParseEndpoint(std::string_view s);

// "192.0.2.1:5060" / "[2001:db8::1]:5060".
std::string ToString(const Endpoint& e);

}  // namespace sipfront::net

#endif  // SIPFRONT_NET_ENDPOINT_H_
