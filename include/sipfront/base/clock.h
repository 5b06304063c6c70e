// sipfront/base/clock.h — the clocks of the packet loop.
//
// Workers read the clock once per batch. Expiry uses whole seconds of CLOCK_MONOTONIC_COARSE
// (no vDSO fallback to a syscall, ~1-4 ms resolution, immune to wall-clock steps); Date headers
// and stateless nonces use wall-clock seconds.
#ifndef SIPFRONT_BASE_CLOCK_H_
#define SIPFRONT_BASE_CLOCK_H_

#include <cstdint>

#include <time.h>

namespace sipfront {

// Monotonic milliseconds (coarse).
inline uint64_t MonoMillis() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}

// Monotonic seconds (coarse).
inline uint32_t MonoSeconds() { return static_cast<uint32_t>(MonoMillis() / 1000); }

// Unix time in seconds.
inline uint64_t WallSeconds() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  return static_cast<uint64_t>(ts.tv_sec);
}

}  // namespace sipfront

#endif  // SIPFRONT_BASE_CLOCK_H_
