#include "sipfront/control/model.h"

#include <set>
#include <string>

#include "gtest/gtest.h"

namespace sipfront::control {
namespace {

TEST(ModelTest, SidsHavePrefixAnd32LowercaseHexDigits) {
  const Kind kinds[] = {Kind::kAccount,
                        Kind::kDomain,
                        Kind::kCredentialList,
                        Kind::kCredential,
                        Kind::kIpAccessControlList,
                        Kind::kIpAddress};
  const char* prefixes[] = {"AC", "SD", "CL", "CR", "AL", "IP"};
  std::set<std::string> seen;
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(SidPrefix(kinds[i]), prefixes[i]);
    const std::string sid = NewSid(kinds[i]);
    ASSERT_EQ(sid.size(), 34u) << sid;
    EXPECT_EQ(sid.substr(0, 2), prefixes[i]);
    for (char c : sid.substr(2)) {
      EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << sid;
    }
    EXPECT_TRUE(IsSid(sid, kinds[i]));
    EXPECT_FALSE(IsSid(sid, kinds[(i + 1) % 6]));
    seen.insert(sid.substr(2));
  }
  EXPECT_EQ(seen.size(), 6u);  // random, not a counter
}

TEST(ModelTest, IsSidChecksLengthPrefixAndHex) {
  const std::string hex(32, 'a');
  EXPECT_TRUE(IsSid("SD" + hex, Kind::kDomain));
  EXPECT_TRUE(IsSid("SD" + std::string(32, 'F'), Kind::kDomain));  // either case
  EXPECT_FALSE(IsSid("sd" + hex, Kind::kDomain));                  // prefix is uppercase
  EXPECT_FALSE(IsSid("SD" + hex.substr(1), Kind::kDomain));        // 31 digits
  EXPECT_FALSE(IsSid("SD" + hex + "0", Kind::kDomain));            // 33 digits
  EXPECT_FALSE(IsSid("SD" + std::string(31, 'a') + "g", Kind::kDomain));
  EXPECT_FALSE(IsSid("", Kind::kDomain));
}

TEST(ModelTest, MapsIpAclOnlyForAclKinds) {
  EXPECT_TRUE(MapsIpAcl(MappingKind::kCallsIpAcl));
  EXPECT_TRUE(MapsIpAcl(MappingKind::kRegistrationsIpAcl));
  EXPECT_FALSE(MapsIpAcl(MappingKind::kCallsCredentialList));
  EXPECT_FALSE(MapsIpAcl(MappingKind::kRegistrationsCredentialList));
}

struct Row {
  const char* input;
  bool valid;
  const char* comment;
};

TEST(ModelTest, PasswordPolicy) {
  const Row rows[] = {
      {"Abcdefghijk1", true, "12 characters with upper, lower, digit"},
      {"Abcdefghij1", false, "11 characters"},
      {"abcdefghijk1", false, "no uppercase letter"},
      {"ABCDEFGHIJK1", false, "no lowercase letter"},
      {"Abcdefghijkl", false, "no digit"},
      {"Abc def ghi 1!", true, "spaces and punctuation are fine"},
      {"Abcdefghijk1\n", false, "control character"},
      {"", false, "empty"},
  };
  for (const Row& r : rows) {
    EXPECT_EQ(CheckPassword(r.input).empty(), r.valid) << r.comment;
  }
  EXPECT_EQ(CheckPassword("short"),
            "Password must be at least 12 characters and contain an uppercase letter, a "
            "lowercase letter and a digit");
  std::string longest = "Aa1" + std::string(kMaxPasswordLength - 3, 'x');
  EXPECT_EQ(CheckPassword(longest), "");
  EXPECT_NE(CheckPassword(longest + "x"), "") << "129 characters";
  EXPECT_EQ(CheckPassword(longest + "x").rfind("Password", 0), 0u);
}

TEST(ModelTest, UsernameRules) {
  const Row rows[] = {
      {"alice", true, "letters"},
      {"alice.smith-01_x", true, "unreserved marks"},
      {"+15551234567", true, "E.164 number"},
      {"a!~*'()&=+$,;?/", true, "every user-unreserved and mark character"},
      {"", false, "empty"},
      {"alice@example.com", false, "@ ends the user part"},
      {"alice:pw", false, "colon separates the password"},
      {"al ice", false, "space"},
      {"al%20ice", false, "escapes are not taken"},
      {"al\"ice", false, "a quote would break the Authorization header"},
  };
  for (const Row& r : rows) {
    EXPECT_EQ(CheckUsername(r.input).empty(), r.valid) << r.comment;
  }
  EXPECT_EQ(CheckUsername(std::string(32, 'u')), "");
  EXPECT_EQ(CheckUsername(std::string(33, 'u')), "Username must be 1 to 32 characters");
  EXPECT_EQ(CheckUsername(""), "Username must be 1 to 32 characters");
}

TEST(ModelTest, DomainNameRules) {
  const Row rows[] = {
      {"acme.sip.example", true, "three labels"},
      {"Acme.SIP.Example", true, "case is the store's business (it lowercases)"},
      {"a-b.c1", true, "hyphen inside a label, digits"},
      {"localhost", false, "one label"},
      {"acme..example", false, "empty label"},
      {".acme.example", false, "leading dot"},
      {"acme.example.", false, "trailing dot"},
      {"-acme.example", false, "label starts with a hyphen"},
      {"acme-.example", false, "label ends with a hyphen"},
      {"ac_me.example", false, "underscore"},
      {"acme.example:5060", false, "port"},
      {"", false, "empty"},
  };
  for (const Row& r : rows) {
    EXPECT_EQ(CheckDomainName(r.input).empty(), r.valid) << r.comment;
  }
  EXPECT_EQ(CheckDomainName(std::string(63, 'a') + ".example"), "");
  EXPECT_NE(CheckDomainName(std::string(64, 'a') + ".example"), "") << "64-character label";
  std::string long_name;
  while (long_name.size() < 250) {
    long_name += "abcdefghi.";
  }
  long_name += "abcd";  // 254 characters
  EXPECT_NE(CheckDomainName(long_name), "");
  EXPECT_EQ(CheckDomainName(long_name.substr(1)), "") << "253 characters";
  EXPECT_EQ(CheckDomainName("x").rfind("DomainName", 0), 0u);
}

TEST(ModelTest, UrlRules) {
  const Row rows[] = {
      {"", true, "empty: no URL"},
      {"https://example.com/voice", true, "https"},
      {"HTTP://example.com:8080/v?x=1", true, "scheme case-insensitive, port, query"},
      {"ftp://example.com/", false, "other scheme"},
      {"example.com/voice", false, "relative"},
      {"https://", false, "no host"},
      {"https:///path", false, "empty host"},
      {"https://example.com/a b", false, "space"},
      {"https://example.com/\x01", false, "control character"},
  };
  for (const Row& r : rows) {
    EXPECT_EQ(CheckUrl(r.input).empty(), r.valid) << r.comment;
  }
  EXPECT_NE(CheckUrl("https://e.com/" + std::string(kMaxUrlLength, 'a')), "");
}

TEST(ModelTest, MethodAndFriendlyName) {
  EXPECT_EQ(CheckMethod("GET"), "");
  EXPECT_EQ(CheckMethod("post"), "");
  EXPECT_EQ(CheckMethod("PUT"), "Method must be GET or POST");
  EXPECT_NE(CheckMethod(""), "");
  EXPECT_EQ(CheckFriendlyName(""), "");
  EXPECT_EQ(CheckFriendlyName(std::string(64, 'n')), "");
  EXPECT_NE(CheckFriendlyName(std::string(65, 'n')), "");
  EXPECT_NE(CheckFriendlyName("tab\there"), "");
}

TEST(ModelTest, IpAddressesAreParsedAndNormalised) {
  struct IpRow {
    const char* ip;
    uint32_t prefix;
    const char* normalised;  // nullptr: invalid
    const char* comment;
  };
  const IpRow rows[] = {
      {"192.0.2.10", 32, "192.0.2.10", "IPv4 host"},
      {"10.0.0.0", 8, "10.0.0.0", "IPv4 network"},
      {"0.0.0.0", 0, "0.0.0.0", "everything"},
      {"192.0.2.10", 33, nullptr, "IPv4 prefix above 32"},
      {"2001:DB8:0:0:0:0:0:1", 128, "2001:db8::1", "IPv6 compressed and lowercased"},
      {"2001:db8::", 64, "2001:db8::", "IPv6 network"},
      {"::ffff:192.0.2.1", 128, "::ffff:192.0.2.1", "IPv4-mapped"},
      {"2001:db8::1", 129, nullptr, "IPv6 prefix above 128"},
      {"192.0.2", 32, nullptr, "three octets"},
      {"192.0.2.256", 32, nullptr, "octet above 255"},
      {"example.com", 32, nullptr, "a name"},
      {"", 32, nullptr, "empty"},
      {"192.0.2.1/24", 32, nullptr, "prefix belongs in its own field"},
  };
  for (const IpRow& r : rows) {
    std::string out;
    const std::string reason = CheckIpAddress(r.ip, r.prefix, out);
    if (r.normalised == nullptr) {
      EXPECT_NE(reason, "") << r.comment;
    } else {
      EXPECT_EQ(reason, "") << r.comment;
      EXPECT_EQ(out, r.normalised) << r.comment;
    }
  }
  std::string out;
  EXPECT_EQ(CheckIpAddress("192.0.2.1", 33, out),
            "CidrPrefixLength must be 0 to 32 for an IPv4 address");
}

TEST(ModelTest, AuthTokenHashIsSha256Hex) {
  // FIPS 180-2 test vector.
  EXPECT_EQ(HashAuthToken("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HashAuthToken("").size(), 64u);
}

}  // namespace
}  // namespace sipfront::control
