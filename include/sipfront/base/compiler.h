// sipfront/base/compiler.h — compiler hints and layout constants shared by every module.
//
// Header-only; no state. Everything here is a hint: removing it must not change behaviour.
#ifndef SIPFRONT_BASE_COMPILER_H_
#define SIPFRONT_BASE_COMPILER_H_

#include <cstddef>

namespace sipfront {

// Size of a cache line on every target we build for (x86-64, arm64 server parts). Seastar
// falls back to the same constant; std::hardware_destructive_interference_size makes g++ 12
// warn (-Winterference-size) when used in a header.
inline constexpr std::size_t kCacheLine = 64;

}  // namespace sipfront

#define SIPFRONT_LIKELY(x) __builtin_expect(!!(x), 1)
#define SIPFRONT_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define SIPFRONT_ALWAYS_INLINE inline __attribute__((always_inline))
#define SIPFRONT_NOINLINE __attribute__((noinline))

#endif  // SIPFRONT_BASE_COMPILER_H_
