// sipfront/base/ascii.h — ASCII case folding for protocol names (domains, realms, tokens):
// the one copy the registrar, auth and control modules share. Allocation-free, any thread.
// (src/sip keeps its own constexpr table-driven versions in charset.h for the tokenizer.)
#ifndef SIPFRONT_BASE_ASCII_H_
#define SIPFRONT_BASE_ASCII_H_

#include <cstddef>
#include <string_view>

namespace sipfront {

[[nodiscard]] constexpr char AsciiLower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
}

// Equal ignoring ASCII case (bytes >= 0x80 compare exactly).
[[nodiscard]] constexpr bool AsciiIEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) {
      return false;
    }
  }
  return true;
}

}  // namespace sipfront

#endif  // SIPFRONT_BASE_ASCII_H_
