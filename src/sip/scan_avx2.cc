#include <immintrin.h>

#include "scan.h"

namespace sipfront::sip::internal {

namespace {

__attribute__((target("avx2"))) inline uint64_t Mask32(const char* p, __m256i needle) {
  const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  return static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, needle)));
}

}  // namespace

// Compiled for AVX2 by attribute, called only when the CPU reports AVX2 (see tokenizer.cc).
__attribute__((target("avx2"))) LineScan ScanLinesAvx2(const char* p, uint32_t from, uint32_t len,
                                                       uint32_t* lfs, uint32_t max) {
  LineScan out{0, 0, false, false};
  const __m256i lf = _mm256_set1_epi8('\n');
  const __m256i cr = _mm256_set1_epi8('\r');
  // Whole blocks need no mask; the last, partial one (if any) is masked to len.
  uint32_t base = from;
  for (; len - base >= 64; base += 64) {
    const char* b = p + base;
    const uint64_t lf_bits = Mask32(b, lf) | Mask32(b + 32, lf) << 32;
    const uint64_t cr_bits = Mask32(b, cr) | Mask32(b + 32, cr) << 32;
    if (ConsumeBlock(p, base, lf_bits, cr_bits, lfs, max, out)) {
      return out;
    }
  }
  if (base < len) {
    const char* b = p + base;
    const uint64_t valid = LowBits(len - base);
    const uint64_t lf_bits = (Mask32(b, lf) | Mask32(b + 32, lf) << 32) & valid;
    const uint64_t cr_bits = (Mask32(b, cr) | Mask32(b + 32, cr) << 32) & valid;
    ConsumeBlock(p, base, lf_bits, cr_bits, lfs, max, out);
  }
  return out;
}

}  // namespace sipfront::sip::internal
