#include "sipfront/net/endpoint.h"

#include <charconv>
#include <cstring>

#include <arpa/inet.h>

#include "absl/strings/str_cat.h"

namespace sipfront::net {

uint16_t Endpoint::port() const {
  if (IsV4()) {
    return ntohs(addr.v4.sin_port);
  }
  if (IsV6()) {
    return ntohs(addr.v6.sin6_port);
  }
  return 0;
}

void Endpoint::set_port(uint16_t port) {
  if (IsV4()) {
    addr.v4.sin_port = htons(port);
  } else if (IsV6()) {
    addr.v6.sin6_port = htons(port);
  }
}

std::size_t Endpoint::FormatHost(char* out) const {
  out[0] = '\0';
  const char* r = nullptr;
  if (IsV4()) {
    // Every response carries the source address (Via received): glibc's inet_ntop goes
    // through sprintf, ~40x the cost of this.
    const std::size_t n = FormatIPv4(addr.v4.sin_addr.s_addr, out);
    out[n] = '\0';
    return n;
  }
  if (IsV6()) {
    r = inet_ntop(AF_INET6, &addr.v6.sin6_addr, out, INET6_ADDRSTRLEN);
  }
  if (r == nullptr) {
    out[0] = '\0';
    return 0;
  }
  return std::strlen(out);
}

bool Endpoint::operator==(const Endpoint& o) const {
  if (addr.sa.sa_family != o.addr.sa.sa_family) {
    return false;
  }
  if (IsV4()) {
    return addr.v4.sin_port == o.addr.v4.sin_port &&
           addr.v4.sin_addr.s_addr == o.addr.v4.sin_addr.s_addr;
  }
  if (IsV6()) {
    return addr.v6.sin6_port == o.addr.v6.sin6_port &&
           addr.v6.sin6_scope_id == o.addr.v6.sin6_scope_id &&
           std::memcmp(&addr.v6.sin6_addr, &o.addr.v6.sin6_addr, sizeof(in6_addr)) == 0;
  }
  return len == o.len;  // both unset (or an unknown family: compare nothing else)
}

namespace {

absl::Status BadEndpoint(std::string_view s, const char* why) {
  return absl::InvalidArgumentError(
      absl::StrCat("endpoint \"", absl::string_view(s.data(), s.size()), "\": ", why));
}

}  // namespace

absl::StatusOr<Endpoint> ParseEndpoint(std::string_view s) {
  std::string_view host;
  std::string_view port;
  bool v6 = false;
  if (!s.empty() && s.front() == '[') {
    const std::size_t close = s.find(']');
    if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':') {
      return BadEndpoint(s, "expected [IPv6]:PORT");
    }
    host = s.substr(1, close - 1);
    port = s.substr(close + 2);
    v6 = true;
  } else {
    const std::size_t colon = s.rfind(':');
    if (colon == std::string_view::npos) {
      return BadEndpoint(s, "expected HOST:PORT");
    }
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
  }
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value > 65535) {
    return BadEndpoint(s, "bad port");
  }
  char buf[INET6_ADDRSTRLEN];
  if (host.empty() || host.size() >= sizeof(buf)) {
    return BadEndpoint(s, "bad address");
  }
  std::memcpy(buf, host.data(), host.size());
  buf[host.size()] = '\0';
  Endpoint e;
  if (v6) {
    if (inet_pton(AF_INET6, buf, &e.addr.v6.sin6_addr) != 1) {
      return BadEndpoint(s, "bad IPv6 address");
    }
    e.addr.v6.sin6_family = AF_INET6;
    e.len = sizeof(sockaddr_in6);
  } else {
    if (inet_pton(AF_INET, buf, &e.addr.v4.sin_addr) != 1) {
      return BadEndpoint(s, "bad IPv4 address (IPv6 needs [brackets])");
    }
    e.addr.v4.sin_family = AF_INET;
    e.len = sizeof(sockaddr_in);
  }
  e.set_port(static_cast<uint16_t>(value));
  return e;
}

std::size_t FormatEndpoint(const Endpoint& e, char* out) {
  if (!e.IsV4() && !e.IsV6()) {
    out[0] = '\0';
    return 0;
  }
  std::size_t n = 0;
  if (e.IsV6()) {
    out[n++] = '[';
  }
  n += e.FormatHost(out + n);
  if (e.IsV6()) {
    out[n++] = ']';
  }
  out[n++] = ':';
  const auto r = std::to_chars(out + n, out + kMaxEndpointString - 1, e.port());
  n = static_cast<std::size_t>(r.ptr - out);
  out[n] = '\0';
  return n;
}

}  // namespace sipfront::net
