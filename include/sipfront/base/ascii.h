// sipfront/base/ascii.h — ASCII case folding for protocol names (domains, realms, tokens):
// the one copy the registrar, auth and control modules share. Allocation-free, any thread.
// (src/sip keeps its own constexpr table-driven versions in charset.h for the tokenizer.)
#ifndef SIPFRONT_BASE_ASCII_H_
#define SIPFRONT_BASE_ASCII_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

namespace sipfront {

[[nodiscard]] constexpr char AsciiLower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
}

// Eight bytes with 'A'..'Z' lowered, others unchanged (bytes >= 0x80 included): per byte,
// adding 0x80 - 'A' to the low seven bits sets bit 7 from 'A' up, adding 0x80 - '[' from '['
// up; no byte carries into the next.
[[nodiscard]] constexpr uint64_t AsciiLower8(uint64_t x) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  const uint64_t low7 = x & (0x7f * kOnes);
  const uint64_t upper =
      (low7 + (0x80 - 'A') * kOnes) & ~(low7 + (0x80 - '[') * kOnes) & ~x & (0x80 * kOnes);
  return x | (upper >> 2);
}

// Equal ignoring ASCII case (bytes >= 0x80 compare exactly). Names usually arrive in the case
// they are stored in: equal 8-byte words are skipped before the byte loop.
[[nodiscard]] constexpr bool AsciiIEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  std::size_t i = 0;
  if (!std::is_constant_evaluated()) {
    for (; i + 8 <= a.size(); i += 8) {
      uint64_t x;
      uint64_t y;
      std::memcpy(&x, a.data() + i, 8);
      std::memcpy(&y, b.data() + i, 8);
      if (x != y && AsciiLower8(x) != AsciiLower8(y)) {
        return false;
      }
    }
  }
  for (; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) {
      return false;
    }
  }
  return true;
}

}  // namespace sipfront

#endif  // SIPFRONT_BASE_ASCII_H_
