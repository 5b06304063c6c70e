// Stage 1 of the tokenizer: find the line ends of a header section, one kernel per ISA.
#ifndef SIPFRONT_SRC_SIP_SCAN_H_
#define SIPFRONT_SRC_SIP_SCAN_H_

#include <cstdint>

#include "sipfront/base/compiler.h"
#include "sipfront/sip/message.h"

namespace sipfront::sip::internal {

struct LineScan {
  uint32_t lf_count;  // LF offsets written to `lfs`
  uint32_t cr_count;  // CR bytes in [from, last recorded LF]
  bool found_end;     // the last recorded LF completes an empty line ("\r\n" right after an LF)
  bool bare_lf;       // a recorded LF has no CR before it
};

// Records the offsets of '\n' in p[from, len) into lfs[0, max), stopping after the LF that ends
// the first empty line (CRLF immediately after the previous LF) or when `max` are recorded.
// Reads whole 16/32/64-byte blocks up to len + kPadding - 1; bytes at or after `len` never
// count. Precondition: from < len, and p[from] is not '\r' or '\n' (leading CRLFs skipped).
using ScanLinesFn = LineScan (*)(const char* p, uint32_t from, uint32_t len, uint32_t* lfs,
                                 uint32_t max);

LineScan ScanLinesScalar(const char* p, uint32_t from, uint32_t len, uint32_t* lfs, uint32_t max);
#if defined(__x86_64__)
LineScan ScanLinesSse2(const char* p, uint32_t from, uint32_t len, uint32_t* lfs, uint32_t max);
LineScan ScanLinesAvx2(const char* p, uint32_t from, uint32_t len, uint32_t* lfs, uint32_t max);
#endif

// Shared tail of the block kernels: walks the LF bits of one 64-byte block at `base`.
// Returns true when scanning must stop (end found or `max` reached).
inline bool ConsumeBlock(const char* p, uint32_t base, uint64_t lf_bits, uint64_t cr_bits,
                         uint32_t* lfs, uint32_t max, LineScan& out) {
  while (lf_bits != 0) {
    const uint32_t bit = static_cast<uint32_t>(__builtin_ctzll(lf_bits));
    const uint32_t pos = base + bit;
    lfs[out.lf_count++] = pos;
    // "\n\r\n": the LF two bytes back was recorded, as p[from] is neither CR nor LF, so
    // p[pos - 1] == '\r' implies pos >= from + 2.
    bool empty_line = false;
    if (SIPFRONT_LIKELY(p[pos - 1] == '\r')) {
      empty_line = p[pos - 2] == '\n';
    } else {
      out.bare_lf = true;
    }
    if (empty_line || out.lf_count == max) {
      const uint64_t upto = bit == 63 ? ~uint64_t{0} : (uint64_t{2} << bit) - 1;
      out.cr_count += static_cast<uint32_t>(__builtin_popcountll(cr_bits & upto));
      out.found_end = empty_line;
      return true;
    }
    lf_bits &= lf_bits - 1;
  }
  out.cr_count += static_cast<uint32_t>(__builtin_popcountll(cr_bits));
  return false;
}

// Bits [0, n) set, for the last, partial block.
inline uint64_t LowBits(uint32_t n) { return n >= 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1; }

}  // namespace sipfront::sip::internal

#endif  // SIPFRONT_SRC_SIP_SCAN_H_
