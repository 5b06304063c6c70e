// Header-name classification for the tokenizer, which can read past the name: one hash probe
// and one three-word comparison, inline in the tokenizer's per-field loop.
#ifndef SIPFRONT_SRC_SIP_CLASSIFY_H_
#define SIPFRONT_SRC_SIP_CLASSIFY_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "sipfront/sip/header_id.h"

namespace sipfront::sip::internal {

inline constexpr std::size_t kMaxNameLength = 20;  // "P-Preferred-Identity"

// OR-ing 0x20 lower-cases letters and leaves every other token character but '_' unchanged.
inline constexpr uint64_t kCaseBits = 0x2020202020202020ull;

// A name as three little-endian words of its lower-cased bytes, zero past its length.
struct NameWords {
  uint64_t w[3];
};

// Multiplicative hash of the first word and the length into 256 slots. The multiplier was found
// by a search over random odd constants so that no two known names share a slot (header_id.cc
// checks it), which makes a lookup one probe and one comparison.
inline constexpr uint64_t kHashMultiplier = 0x26f90507a097021dull;

constexpr uint32_t NameSlot(uint64_t w0, std::size_t n) {
  return static_cast<uint32_t>(((w0 ^ n) * kHashMultiplier) >> 56);
}

struct HeaderLookup {
  NameWords words[kHeaderIdCount]{};  // [0] (kOther) stays zero with len 0: never matches
  uint8_t len[kHeaderIdCount]{};
  uint8_t slot[256]{};                     // HeaderId hashed there, or 0
  uint64_t mask[kMaxNameLength + 1][3]{};  // keeps the first n bytes of each word
  HeaderId compact[128]{};
  bool perfect = true;  // no two names share a slot
};

// Built at compile time in header_id.cc from the table of names.
extern const HeaderLookup kHeaderLookup;

inline uint64_t LoadName64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// ClassifyHeader for a token name of `n` bytes at `p`, where 24 bytes from `p` are readable
// (the tokenizer's padding guarantees it). No known name has '_' (it becomes DEL), so the
// comparison is exact for token names.
inline HeaderId ClassifyHeaderPadded(const char* p, std::size_t n) {
  const HeaderLookup& t = kHeaderLookup;
  if (n == 1) {
    const auto c = static_cast<unsigned char>(p[0]);
    return c < 128 ? t.compact[c] : HeaderId::kOther;
  }
  if (n == 0 || n > kMaxNameLength) {
    return HeaderId::kOther;
  }
  const uint64_t* mask = t.mask[n];
  const uint64_t w0 = (LoadName64(p) | kCaseBits) & mask[0];
  const uint8_t i = t.slot[NameSlot(w0, n)];
  const NameWords& w = t.words[i];
  if (t.len[i] != n || w.w[0] != w0) {
    return HeaderId::kOther;
  }
  if (n > 8 && (((LoadName64(p + 8) | kCaseBits) & mask[1]) != w.w[1] ||
                ((LoadName64(p + 16) | kCaseBits) & mask[2]) != w.w[2])) {
    return HeaderId::kOther;
  }
  return static_cast<HeaderId>(i);
}

}  // namespace sipfront::sip::internal

#endif  // SIPFRONT_SRC_SIP_CLASSIFY_H_
