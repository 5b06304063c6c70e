// sipfront/net/endpoint.h — a UDP/TCP peer or local address, IPv4 or IPv6.
//
// Endpoint is a plain value (32 bytes) that fits the sockaddr calls directly. Parsing and
// ToString() are slow-path helpers (configuration, logs, tests); FormatHost/FormatEndpoint
// write into caller storage and never allocate.
// Threading: plain value; functions are pure.
#ifndef SIPFRONT_NET_ENDPOINT_H_
#define SIPFRONT_NET_ENDPOINT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <netinet/in.h>
#include <sys/socket.h>

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
  // Writes the address without port ("192.0.2.1", "2001:db8::1") into out (>= 46 bytes,
  // INET6_ADDRSTRLEN), NUL-terminated; returns the length (0, out = "", when unset).
  std::size_t FormatHost(char* out) const;
  // Same family, address and port (IPv6: and scope id; flow info ignored). Two unset
  // endpoints are equal.
  bool operator==(const Endpoint& o) const;
};

// Longest FormatEndpoint() output plus its NUL: "[" + 45-char IPv6 + "]:" + 5-digit port.
inline constexpr std::size_t kMaxEndpointString = 54;

// Writes a network-order IPv4 address in dotted decimal (no NUL); returns the length (7..15).
inline std::size_t FormatIPv4(uint32_t network_order, char* out) {
  const auto* b = reinterpret_cast<const unsigned char*>(&network_order);
  std::size_t n = 0;
  for (int i = 0; i < 4; ++i) {
    unsigned v = b[i];
    if (v >= 100) {
      out[n++] = static_cast<char>('0' + v / 100);
      v %= 100;
      out[n++] = static_cast<char>('0' + v / 10);
    } else if (v >= 10) {
      out[n++] = static_cast<char>('0' + v / 10);
    }
    out[n++] = static_cast<char>('0' + v % 10);
    if (i != 3) {
      out[n++] = '.';
    }
  }
  return n;
}

// Parses "HOST:PORT" where HOST is an IPv4 address or a bracketed IPv6 address ("[::1]:5060")
// and PORT is 0..65535 in decimal. No name resolution, no IPv6 zone. Returns
// InvalidArgument naming the problem otherwise.
absl::StatusOr<Endpoint> ParseEndpoint(std::string_view s);

// Writes "192.0.2.1:5060" / "[2001:db8::1]:5060" ("" when unset) into out (>=
// kMaxEndpointString bytes), NUL-terminated; returns the length. Never allocates.
std::size_t FormatEndpoint(const Endpoint& e, char* out);

// FormatEndpoint() as a std::string. Inline here because src/net bans owning strings.
inline std::string ToString(const Endpoint& e) {
  char buf[kMaxEndpointString];
  return std::string(buf, FormatEndpoint(e, buf));
}

}  // namespace sipfront::net

#endif  // SIPFRONT_NET_ENDPOINT_H_
