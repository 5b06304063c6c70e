// Character classes of the RFC 3261 §25.1 grammar, one 256-entry table.
#ifndef SIPFRONT_SRC_SIP_CHARSET_H_
#define SIPFRONT_SRC_SIP_CHARSET_H_

#include <array>
#include <cstdint>
#include <string_view>

namespace sipfront::sip::charset {

enum : uint32_t {
  kAlnum = 1 << 0,
  kDigit = 1 << 1,
  kHex = 1 << 2,
  kToken = 1 << 3,       // token
  kWord = 1 << 4,        // word (Call-ID)
  kUnreserved = 1 << 5,  // alphanum / mark
  kUser = 1 << 6,        // unreserved / user-unreserved (escapes checked separately)
  kPassword = 1 << 7,    // unreserved / & = + $ ,
  kParam = 1 << 8,       // paramchar without escapes: param-unreserved / unreserved
  kHnv = 1 << 9,         // hnv-unreserved / unreserved
  kUric = 1 << 10,       // reserved / unreserved (escapes checked separately)
  kHost = 1 << 11,       // hostname characters (alphanum, '-', '.', and '_' seen in the wild)
  kLws = 1 << 12,        // SP, HT, CR, LF: inside a tokenized value CR/LF only occur in folds
  kAlpha = 1 << 13,
  kScheme = 1 << 14,    // ALPHA / DIGIT / "+" / "-" / "."
  kTel = 1 << 15,       // tel URI number: HEXDIG / "*" / "#" / "+" / visual separators
  kQdPlain = 1 << 16,   // needs no attention inside a quoted string: not DQUOTE, backslash,
                        // DEL, or a CTL other than HT, CR, LF (folds)
  kElemStop = 1 << 17,  // where a comma-list element scan must look: ',', DQUOTE, '<'
};

constexpr std::array<uint32_t, 256> MakeTable() {
  std::array<uint32_t, 256> t{};
  auto add = [&t](std::string_view chars, uint32_t bits) {
    for (char c : chars) {
      t[static_cast<unsigned char>(c)] |= bits;
    }
  };
  for (int c = 0; c < 256; ++c) {
    const bool digit = c >= '0' && c <= '9';
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const bool hex = digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    uint32_t b = 0;
    if (digit) {
      b |= kDigit;
    }
    if (alpha) {
      b |= kAlpha;
    }
    if (digit || alpha) {
      b |= kAlnum | kToken | kWord | kUnreserved | kUser | kPassword | kParam | kHnv | kUric |
           kHost | kScheme;
    }
    if (hex) {
      b |= kHex | kTel;
    }
    if (c != '"' && c != '\\' && c != 0x7f && (c >= 0x20 || c == '\t' || c == '\r' || c == '\n')) {
      b |= kQdPlain;
    }
    t[c] = b;
  }
  add("-.!%*_+`'~", kToken);
  add("-.!%*_+`'~()<>:\\\"/[]?{}", kWord);
  add("-_.!~*'()", kUnreserved | kUser | kPassword | kParam | kHnv | kUric);
  add("&=+$,;?/", kUser);
  add("&=+$,", kPassword);
  add("[]/:&+$", kParam);
  add("[]/?:+$", kHnv);
  add(";/?:@&=+$,", kUric);
  add("-._", kHost);
  add(" \t\r\n", kLws);
  add("+-.", kScheme);
  add("*#+-.()", kTel);
  add(",\"<", kElemStop);
  return t;
}

inline constexpr std::array<uint32_t, 256> kTable = MakeTable();

constexpr bool Is(char c, uint32_t cls) {
  return (kTable[static_cast<unsigned char>(c)] & cls) != 0;
}
constexpr bool IsLws(char c) { return Is(c, kLws); }
constexpr bool IsWsp(char c) { return c == ' ' || c == '\t'; }
constexpr bool IsDigit(char c) { return c >= '0' && c <= '9'; }
constexpr int HexValue(char c) {
  return c >= '0' && c <= '9'   ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                : -1;
}
constexpr char ToLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

// Case-insensitive ASCII equality.
constexpr bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ToLower(a[i]) != ToLower(b[i])) {
      return false;
    }
  }
  return true;
}

// IEquals(s, lower) for a lowercase literal `lower`. For a letter of `lower`, OR-ing 0x20 is
// exact (only 'A'-'Z' and 'a'-'z' map onto 'a'-'z'); any other byte must match as is. With a
// literal the letter tests fold away, leaving one OR and one compare per byte.
constexpr bool IEqualsLower(std::string_view s, std::string_view lower) {
  if (s.size() != lower.size()) {
    return false;
  }
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char l = lower[i];
    const char c = l >= 'a' && l <= 'z' ? static_cast<char>(s[i] | 0x20) : s[i];
    if (c != l) {
      return false;
    }
  }
  return true;
}

}  // namespace sipfront::sip::charset

#endif  // SIPFRONT_SRC_SIP_CHARSET_H_
