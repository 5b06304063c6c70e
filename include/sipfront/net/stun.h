// sipfront/net/stun.h — the STUN Binding keepalive of RFC 5626 §4.4.2 (RFC 5389 messages) on
// the SIP UDP port.
//
// Outbound clients over UDP keep their NAT binding and detect flow failure by sending STUN
// Binding requests to the SIP port; the edge answers each with a Binding success response
// carrying XOR-MAPPED-ADDRESS (the source the request came from). Nothing else of STUN is
// served: other message types are not answered.
//
// A STUN message starts with two zero bits (its first byte is 0x00..0x3f), a SIP message with a
// letter or CR/LF, so the two share a port (RFC 5626 §4.4.2, RFC 7983 style demultiplexing).
// Threading: pure functions. Never allocate.
#ifndef SIPFRONT_NET_STUN_H_
#define SIPFRONT_NET_STUN_H_

#include <cstddef>
#include <string_view>

#include "sipfront/net/endpoint.h"

namespace sipfront::net {

// A first byte of 0x00..0x03 (STUN methods below 0x400) cannot start a SIP message, whose
// first byte is a token character or CR/LF: the cheap test before tokenizing.
[[nodiscard]] inline bool LooksLikeStun(std::string_view datagram) {
  return datagram.size() >= 20 && static_cast<unsigned char>(datagram[0]) < 0x04;
}

// Writes the Binding success response to `request` (a well-formed RFC 5389 Binding request:
// 20-byte header with the magic cookie, length matching the datagram, a multiple of 4) from
// `source` into `out`. Returns the response length, or 0 when `request` is not such a request
// (or `cap` is too small: 32 bytes for IPv4, 44 for IPv6).
std::size_t WriteStunBindingResponse(std::string_view request, const Endpoint& source, char* out,
                                     std::size_t cap);

}  // namespace sipfront::net

#endif  // SIPFRONT_NET_STUN_H_
