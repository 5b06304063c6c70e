// STUN Binding responses (net/stun.h) against RFC 5389's rules, IPv4 and IPv6, and the
// requests that must not be answered.
#include "sipfront/net/stun.h"

#include <cstdint>
#include <cstring>
#include <string>

#include <gtest/gtest.h>

namespace sipfront::net {
namespace {

std::string Request(uint16_t type = 1, uint32_t cookie = 0x2112A442, std::string attrs = "") {
  std::string r(20, '\0');
  r[0] = static_cast<char>(type >> 8);
  r[1] = static_cast<char>(type & 0xff);
  r[2] = static_cast<char>(attrs.size() >> 8);
  r[3] = static_cast<char>(attrs.size() & 0xff);
  for (int i = 0; i < 4; ++i) {
    r[4 + i] = static_cast<char>(cookie >> (24 - 8 * i));
  }
  for (int i = 0; i < 12; ++i) {
    r[8 + i] = static_cast<char>(0xa0 + i);  // transaction id
  }
  return r + attrs;
}

uint8_t At(const char* p, int i) { return static_cast<uint8_t>(p[i]); }

TEST(StunTest, AnswersABindingRequestWithTheXoredIPv4Source) {
  const std::string req = Request();
  ASSERT_TRUE(LooksLikeStun(req));
  absl::StatusOr<Endpoint> src = ParseEndpoint("192.0.2.1:32853");
  ASSERT_TRUE(src.ok());
  char out[64];
  ASSERT_EQ(WriteStunBindingResponse(req, *src, out, sizeof(out)), 32u);
  EXPECT_EQ(At(out, 0), 0x01);  // Binding success response
  EXPECT_EQ(At(out, 1), 0x01);
  EXPECT_EQ(At(out, 3), 12);                               // one attribute of 8 bytes
  EXPECT_EQ(std::memcmp(out + 4, req.data() + 4, 16), 0);  // cookie and transaction id
  EXPECT_EQ(At(out, 20), 0x00);                            // XOR-MAPPED-ADDRESS
  EXPECT_EQ(At(out, 21), 0x20);
  EXPECT_EQ(At(out, 25), 0x01);  // IPv4
  EXPECT_EQ((At(out, 26) << 8 | At(out, 27)) ^ 0x2112, 32853);
  EXPECT_EQ(At(out, 28) ^ 0x21, 192);
  EXPECT_EQ(At(out, 29) ^ 0x12, 0);
  EXPECT_EQ(At(out, 30) ^ 0xA4, 2);
  EXPECT_EQ(At(out, 31) ^ 0x42, 1);
}

TEST(StunTest, IPv6SourcesAreXoredWithCookieAndTransactionId) {
  const std::string req = Request();
  absl::StatusOr<Endpoint> src = ParseEndpoint("[2001:db8::1]:5060");
  ASSERT_TRUE(src.ok());
  char out[64];
  ASSERT_EQ(WriteStunBindingResponse(req, *src, out, sizeof(out)), 44u);
  EXPECT_EQ(At(out, 25), 0x02);
  const auto* a = reinterpret_cast<const uint8_t*>(&src->addr.v6.sin6_addr);
  for (int i = 0; i < 16; ++i) {
    EXPECT_EQ(At(out, 28 + i), a[i] ^ static_cast<uint8_t>(req[4 + i])) << i;
  }
  EXPECT_EQ(WriteStunBindingResponse(req, *src, out, 43), 0u);  // does not fit
}

TEST(StunTest, IgnoresWhatIsNotAWellFormedBindingRequest) {
  absl::StatusOr<Endpoint> src = ParseEndpoint("127.0.0.1:5060");
  ASSERT_TRUE(src.ok());
  char out[64];
  EXPECT_EQ(WriteStunBindingResponse(Request(0x0101), *src, out, sizeof(out)), 0u);  // response
  EXPECT_EQ(WriteStunBindingResponse(Request(0x0011), *src, out, sizeof(out)), 0u);  // indication
  EXPECT_EQ(WriteStunBindingResponse(Request(1, 0x12345678), *src, out, sizeof(out)), 0u);
  std::string bad_length = Request();
  bad_length[3] = 8;  // claims attributes that are not there
  EXPECT_EQ(WriteStunBindingResponse(bad_length, *src, out, sizeof(out)), 0u);
  EXPECT_EQ(WriteStunBindingResponse(Request().substr(0, 19), *src, out, sizeof(out)), 0u);
  // With an attribute (e.g. SOFTWARE, 4 bytes): still answered.
  const std::string with_attr = Request(1, 0x2112A442, std::string("\x80\x22\x00\x04test", 8));
  EXPECT_EQ(WriteStunBindingResponse(with_attr, *src, out, sizeof(out)), 32u);
  EXPECT_FALSE(LooksLikeStun("REGISTER sip:a SIP/2.0\r\n"));
  EXPECT_FALSE(LooksLikeStun("\r\n\r\n"));
}

}  // namespace
}  // namespace sipfront::net
