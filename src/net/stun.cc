// STUN Binding responses (net/stun.h), RFC 5389 §6 (header), §15.2 (XOR-MAPPED-ADDRESS).
#include "sipfront/net/stun.h"

#include <cstdint>
#include <cstring>

namespace sipfront::net {
namespace {

constexpr uint32_t kMagicCookie = 0x2112A442;
constexpr uint16_t kBindingRequest = 0x0001;
constexpr uint16_t kBindingSuccess = 0x0101;
constexpr uint16_t kXorMappedAddress = 0x0020;

uint16_t Get16(const char* p) {
  return static_cast<uint16_t>((static_cast<unsigned char>(p[0]) << 8) |
                               static_cast<unsigned char>(p[1]));
}

void Put16(char* p, uint16_t v) {
  p[0] = static_cast<char>(v >> 8);
  p[1] = static_cast<char>(v & 0xff);
}

}  // namespace

std::size_t WriteStunBindingResponse(std::string_view request, const Endpoint& source, char* out,
                                     std::size_t cap) {
  const char* r = request.data();
  if (request.size() < 20 || Get16(r) != kBindingRequest || (Get16(r + 2) & 3) != 0 ||
      Get16(r + 2) + std::size_t{20} != request.size() ||
      (static_cast<uint32_t>(Get16(r + 4)) << 16 | Get16(r + 6)) != kMagicCookie) {
    return 0;
  }
  const bool v6 = source.IsV6();
  if (!v6 && !source.IsV4()) {
    return 0;
  }
  const std::size_t value = v6 ? 20 : 8;
  const std::size_t total = 20 + 4 + value;
  if (cap < total) {
    return 0;
  }
  // Header: type, length, and the request's cookie and transaction id.
  Put16(out, kBindingSuccess);
  Put16(out + 2, static_cast<uint16_t>(4 + value));
  std::memcpy(out + 4, r + 4, 16);
  char* a = out + 20;
  Put16(a, kXorMappedAddress);
  Put16(a + 2, static_cast<uint16_t>(value));
  a[4] = 0;
  a[5] = v6 ? 2 : 1;
  Put16(a + 6, static_cast<uint16_t>(source.port() ^ (kMagicCookie >> 16)));
  // X-Address: the address XOR the cookie (IPv6: cookie then transaction id), in network order.
  const auto* key = reinterpret_cast<const unsigned char*>(r + 4);  // cookie + transaction id
  const auto* addr = v6 ? reinterpret_cast<const unsigned char*>(&source.addr.v6.sin6_addr)
                        : reinterpret_cast<const unsigned char*>(&source.addr.v4.sin_addr);
  for (std::size_t i = 0; i < (v6 ? 16u : 4u); ++i) {
    a[8 + i] = static_cast<char>(addr[i] ^ key[i]);
  }
  return total;
}

}  // namespace sipfront::net
