#include "sipfront/base/memory.h"

#include <cerrno>
#include <cstdint>

#include <sys/mman.h>
#include <unistd.h>

#include "sipfront/base/check.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23  // Linux 5.14 uapi; older headers lack it
#endif

namespace sipfront {

void* MapLarge(std::size_t bytes) {
  bytes = bytes == 0 ? 1 : bytes;
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  SIPFRONT_CHECK(p != MAP_FAILED);
  if (bytes >= kHugePage) {
    // Advice only: with THP "never" (or no THP) this fails harmlessly and 4 KiB pages are used.
    (void)madvise(p, bytes, MADV_HUGEPAGE);
  }
  return p;
}

void UnmapLarge(void* p, std::size_t bytes) { munmap(p, bytes == 0 ? 1 : bytes); }

bool Prefault(void* p, std::size_t bytes) {
  if (bytes == 0) {
    return true;
  }
  // madvise wants a page-aligned start; the mapping itself is page-aligned, sub-ranges may not be.
  const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  const auto start = reinterpret_cast<std::uintptr_t>(p) & ~(page - 1);
  const std::size_t len = reinterpret_cast<std::uintptr_t>(p) + bytes - start;
  if (madvise(reinterpret_cast<void*>(start), len, MADV_POPULATE_WRITE) == 0) {
    return true;
  }
  if (errno != EINVAL) {
    return false;  // ENOMEM and friends: leave the rest to demand faulting
  }
  // Kernels before 5.14: rewrite one byte per page with its own value (a read alone would
  // map the shared zero page). Start-up only: no other thread writes the range meanwhile.
  auto* c = static_cast<volatile char*>(p);
  for (std::size_t off = 0; off < bytes; off += page) {
    c[off] = c[off];
  }
  return true;
}

}  // namespace sipfront
