// sipfront/base/check.h — invariant checks (STYLE §2.2 "Startup and invariants").
//
// SIPFRONT_CHECK(cond) is fatal in every build: use it for configuration and environment
// failures at start-up and for broken internal invariants, never for conditions that network
// input controls. SIPFRONT_DCHECK(cond) compiles to nothing unless NDEBUG is unset
// (debug builds and the sanitizer build run by scripts/test).
#ifndef SIPFRONT_BASE_CHECK_H_
#define SIPFRONT_BASE_CHECK_H_

#include "sipfront/base/compiler.h"

namespace sipfront::base {

// Prints "file:line: CHECK failed: expr" to stderr and aborts. Never returns.
[[noreturn]] void CheckFailed(const char* file, int line, const char* expr) noexcept;

}  // namespace sipfront::base

#define SIPFRONT_CHECK(cond)                                    \
  do {                                                          \
    if (SIPFRONT_UNLIKELY(!(cond))) {                           \
      ::sipfront::base::CheckFailed(__FILE__, __LINE__, #cond); \
    }                                                           \
  } while (0)

#ifdef NDEBUG
#define SIPFRONT_DCHECK(cond) \
  do {                        \
  } while (0)
#else
#define SIPFRONT_DCHECK(cond) SIPFRONT_CHECK(cond)
#endif

#endif  // SIPFRONT_BASE_CHECK_H_
