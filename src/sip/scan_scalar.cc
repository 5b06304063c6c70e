#include "scan.h"

namespace sipfront::sip::internal {

// The reference kernel: byte at a time. Also the fallback on CPUs without SSE2 (non-x86).
LineScan ScanLinesScalar(const char* p, uint32_t from, uint32_t len, uint32_t* lfs, uint32_t max) {
  LineScan out{0, 0, false, false};
  for (uint32_t i = from; i < len; ++i) {
    if (p[i] == '\r') {
      ++out.cr_count;
    } else if (p[i] == '\n') {
      lfs[out.lf_count++] = i;
      out.bare_lf |= p[i - 1] != '\r';  // i > from: p[from] is no LF
      const bool empty_line =
          out.lf_count >= 2 && lfs[out.lf_count - 2] + 2 == i && p[i - 1] == '\r';
      if (empty_line || out.lf_count == max) {
        out.found_end = empty_line;
        return out;
      }
    }
  }
  return out;
}

}  // namespace sipfront::sip::internal
