// sipfront/base/memory.h — large anonymous mappings for the binding tables.
//
// MapLarge reserves address space (MAP_NORESERVE) and, for mappings of 2 MiB or more, asks for
// transparent huge pages (MADV_HUGEPAGE): a 100M-binding table spans ~12 GiB, and 4 KiB pages
// would spend most of a random lookup's time in TLB misses. Prefault touches a range up front
// (MADV_POPULATE_WRITE, Linux 5.14+, else one write per page) so the first REGISTERs after a
// start do not pay the page faults.
#ifndef SIPFRONT_BASE_MEMORY_H_
#define SIPFRONT_BASE_MEMORY_H_

#include <cstddef>

namespace sipfront {

inline constexpr std::size_t kHugePage = std::size_t{2} << 20;

// Zero-filled, private, anonymous; aborts when the address space cannot be reserved.
[[nodiscard]] void* MapLarge(std::size_t bytes);
void UnmapLarge(void* p, std::size_t bytes);

// Makes [p, p + bytes) resident. Returns false if the kernel refused (out of memory): the
// range is then left to fault in on use.
bool Prefault(void* p, std::size_t bytes);

}  // namespace sipfront

#endif  // SIPFRONT_BASE_MEMORY_H_
