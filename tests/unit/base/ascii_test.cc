// ASCII case folding: the word-at-a-time lowering against the byte rule for every byte value
// in every position, and case-insensitive equality across word boundaries.
#include "sipfront/base/ascii.h"

#include <cstdint>
#include <cstring>
#include <random>
#include <string>

#include <gtest/gtest.h>

namespace sipfront {
namespace {

uint64_t LowerBytewise(uint64_t x) {
  uint8_t b[8];
  std::memcpy(b, &x, 8);
  for (uint8_t& c : b) {
    c = static_cast<uint8_t>(AsciiLower(static_cast<char>(c)));
  }
  std::memcpy(&x, b, 8);
  return x;
}

TEST(AsciiTest, Lower8MatchesTheByteRuleForEveryByteInEveryPosition) {
  // Each byte value at each position, with the other bytes set to values next to the letter
  // ranges ('@', '[', '`', '{', 0x80, 0xc1) so a carry between bytes would show.
  const uint8_t neighbours[] = {'@', '[', '`', '{', 0x80, 0xc1, 'A', 'z'};
  for (int pos = 0; pos < 8; ++pos) {
    for (int v = 0; v < 256; ++v) {
      for (uint8_t n : neighbours) {
        uint8_t b[8];
        std::memset(b, n, 8);
        b[pos] = static_cast<uint8_t>(v);
        uint64_t x;
        std::memcpy(&x, b, 8);
        ASSERT_EQ(AsciiLower8(x), LowerBytewise(x)) << "pos " << pos << " value " << v;
      }
    }
  }
}

TEST(AsciiTest, Lower8MatchesTheByteRuleOnRandomWords) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200000; ++i) {
    const uint64_t x = rng();
    ASSERT_EQ(AsciiLower8(x), LowerBytewise(x)) << std::hex << x;
  }
}

TEST(AsciiTest, IEqualsAcrossWordBoundaries) {
  struct Row {
    std::string_view a, b;
    bool want;
  };
  const Row rows[] = {
      {"", "", true},                                           // empty
      {"acme.sip.example", "ACME.SIP.EXAMPLE", true},           // two whole words
      {"acme.sip.example.com", "Acme.Sip.Example.Com", true},   // words plus a tail
      {"acme.sip.example.com", "acme.sip.example.con", false},  // differs in the tail
      {"acme.sip.example.com", "acme.sIq.example.com", false},  // differs in word 0
      {"acme.sip.example.com", "acme.sip.examplE.cOm", true},   // case in word 1 and tail
      {"acme.sip.example.com", "acme.sip.example.co", false},   // lengths differ
      {"a@b[c`d{", "A@B[C`D{", true},                           // letters next to symbols
      {"a@b[c`d{", "A`B{C@D[", false},                          // '@'/'`', '['/'{' differ
      {"\xc1\xe1xxxxxx", "\xe1\xc1XXXXXX", false},              // bytes >= 0x80 exact
      {"\xc1\xe1xxxxxxyy", "\xc1\xe1XXXXXXYY", true},           // >= 0x80 equal, ASCII folded
  };
  for (const Row& r : rows) {
    EXPECT_EQ(AsciiIEquals(r.a, r.b), r.want) << r.a << " vs " << r.b;
    EXPECT_EQ(AsciiIEquals(r.b, r.a), r.want) << r.b << " vs " << r.a;
  }
  static_assert(AsciiIEquals("Via", "VIA"));  // still usable in constant expressions
}

TEST(AsciiTest, IEqualsAgreesWithTheByteRuleOnRandomPairs) {
  std::mt19937_64 rng(11);
  const std::string alphabet = "aAbBzZ@[`{.-09\x80\xff";
  for (int i = 0; i < 100000; ++i) {
    const std::size_t n = rng() % 40;
    std::string a(n, ' ');
    std::string b(n, ' ');
    for (std::size_t k = 0; k < n; ++k) {
      a[k] = alphabet[rng() % alphabet.size()];
      b[k] = rng() % 4 == 0 ? alphabet[rng() % alphabet.size()] : a[k] ^ (rng() % 2 ? 0x20 : 0);
    }
    bool want = true;
    for (std::size_t k = 0; k < n; ++k) {
      want = want && AsciiLower(a[k]) == AsciiLower(b[k]);
    }
    ASSERT_EQ(AsciiIEquals(a, b), want) << a << " vs " << b;
  }
}

}  // namespace
}  // namespace sipfront
