#include "sipfront/net/endpoint.h"

#include <cstring>
#include <string>

#include <gtest/gtest.h>

namespace sipfront::net {
namespace {

TEST(EndpointTest, ParsesAndFormatsIpv4) {
  absl::StatusOr<Endpoint> e = ParseEndpoint("192.0.2.1:5060");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_TRUE(e->IsV4());
  EXPECT_EQ(e->port(), 5060);
  EXPECT_EQ(e->len, sizeof(sockaddr_in));
  EXPECT_EQ(ToString(*e), "192.0.2.1:5060");
  char host[INET6_ADDRSTRLEN];
  EXPECT_EQ(e->FormatHost(host), 9u);
  EXPECT_STREQ(host, "192.0.2.1");
}

TEST(EndpointTest, ParsesAndFormatsBracketedIpv6) {
  absl::StatusOr<Endpoint> e = ParseEndpoint("[2001:db8::1]:5061");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_TRUE(e->IsV6());
  EXPECT_EQ(e->port(), 5061);
  EXPECT_EQ(ToString(*e), "[2001:db8::1]:5061");
}

TEST(EndpointTest, FormatsTheLongestAddressWithinTheBound) {
  const char* longest = "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535";
  absl::StatusOr<Endpoint> e = ParseEndpoint(longest);
  ASSERT_TRUE(e.ok()) << e.status();
  char out[kMaxEndpointString];
  const std::size_t n = FormatEndpoint(*e, out);
  EXPECT_EQ(n, std::strlen(longest));
  EXPECT_LT(n, kMaxEndpointString);
  EXPECT_STREQ(out, longest);
}

TEST(EndpointTest, AcceptsPortZeroAndMax) {
  EXPECT_EQ(ParseEndpoint("127.0.0.1:0")->port(), 0);
  EXPECT_EQ(ParseEndpoint("[::1]:65535")->port(), 65535);
}

TEST(EndpointTest, RejectsMalformedInput) {
  const char* bad[] = {
      "",                  // empty
      "127.0.0.1",         // no port
      "127.0.0.1:",        // empty port
      "127.0.0.1:65536",   // port out of range
      "127.0.0.1:50x",     // trailing junk in port
      "127.0.0.1:-1",      // negative port
      "::1:5060",          // IPv6 without brackets
      "[::1]5060",         // missing colon after bracket
      "[::1",              // unclosed bracket
      "[127.0.0.1]:5060",  // IPv4 in brackets
      "example.com:5060",  // names are not resolved
      "256.0.0.1:5060",    // bad octet
      ":5060",             // empty host
  };
  for (const char* s : bad) {
    absl::StatusOr<Endpoint> e = ParseEndpoint(s);
    EXPECT_TRUE(absl::IsInvalidArgument(e.status())) << "\"" << s << "\" -> " << e.status();
  }
}

TEST(EndpointTest, ComparesFamilyAddressAndPort) {
  const Endpoint a = *ParseEndpoint("10.0.0.1:5060");
  EXPECT_TRUE(a == *ParseEndpoint("10.0.0.1:5060"));
  EXPECT_FALSE(a == *ParseEndpoint("10.0.0.1:5061"));
  EXPECT_FALSE(a == *ParseEndpoint("10.0.0.2:5060"));
  EXPECT_FALSE(a == *ParseEndpoint("[::ffff:10.0.0.1]:5060"));
  EXPECT_TRUE(*ParseEndpoint("[::1]:1") == *ParseEndpoint("[0::1]:1"));
  EXPECT_TRUE(Endpoint{} == Endpoint{});
  EXPECT_FALSE(Endpoint{} == a);
}

TEST(EndpointTest, SetPortChangesOnlyThePort) {
  Endpoint e = *ParseEndpoint("[::1]:1");
  e.set_port(5080);
  EXPECT_EQ(ToString(e), "[::1]:5080");
  Endpoint unset;
  unset.set_port(5);
  EXPECT_EQ(unset.port(), 0);
  EXPECT_EQ(ToString(unset), "");
}

}  // namespace
}  // namespace sipfront::net
