// Global operator new/delete replacement that counts allocations (STYLE: "No allocation on
// the fast path ... enforced by test"). Link counting_allocator.cc into a test binary and read
// AllocationCount() before and after the code under test.
#ifndef SIPFRONT_TESTS_TESTLIB_COUNTING_ALLOCATOR_H_
#define SIPFRONT_TESTS_TESTLIB_COUNTING_ALLOCATOR_H_

#include <cstdint>

namespace sipfront::testing {

// Number of successful operator new calls (all forms) in this process so far.
uint64_t AllocationCount();

}  // namespace sipfront::testing

#endif  // SIPFRONT_TESTS_TESTLIB_COUNTING_ALLOCATOR_H_
