#include <emmintrin.h>

#include "scan.h"

namespace sipfront::sip::internal {

namespace {

inline uint64_t Mask16(const char* p, __m128i needle) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, needle)));
}

}  // namespace

// SSE2 is part of x86-64, so this kernel needs no target attribute.
LineScan ScanLinesSse2(const char* p, uint32_t from, uint32_t len, uint32_t* lfs, uint32_t max) {
  LineScan out{0, 0, false, false};
  const __m128i lf = _mm_set1_epi8('\n');
  const __m128i cr = _mm_set1_epi8('\r');
  auto block = [&](const char* b, uint64_t& lf_bits, uint64_t& cr_bits) {
    lf_bits = Mask16(b, lf) | Mask16(b + 16, lf) << 16 | Mask16(b + 32, lf) << 32 |
              Mask16(b + 48, lf) << 48;
    cr_bits = Mask16(b, cr) | Mask16(b + 16, cr) << 16 | Mask16(b + 32, cr) << 32 |
              Mask16(b + 48, cr) << 48;
  };
  // Whole blocks need no mask; the last, partial one (if any) is masked to len.
  uint32_t base = from;
  uint64_t lf_bits = 0;
  uint64_t cr_bits = 0;
  for (; len - base >= 64; base += 64) {
    block(p + base, lf_bits, cr_bits);
    if (ConsumeBlock(p, base, lf_bits, cr_bits, lfs, max, out)) {
      return out;
    }
  }
  if (base < len) {
    block(p + base, lf_bits, cr_bits);
    const uint64_t valid = LowBits(len - base);
    ConsumeBlock(p, base, lf_bits & valid, cr_bits & valid, lfs, max, out);
  }
  return out;
}

}  // namespace sipfront::sip::internal
