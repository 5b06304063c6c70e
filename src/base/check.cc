#include "sipfront/base/check.h"

#include <cstdio>
#include <cstdlib>

namespace sipfront::base {

void CheckFailed(const char* file, int line, const char* expr) noexcept {
  std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", file, line, expr);
  std::abort();
}

}  // namespace sipfront::base
