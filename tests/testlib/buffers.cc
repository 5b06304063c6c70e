#include "buffers.h"

#include <cstring>

#include <sys/mman.h>
#include <unistd.h>

#include "sipfront/base/check.h"

namespace sipfront::testing {
namespace {

void FillHostile(char* p, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    p[i] = kHostilePadding[i % kHostilePadding.size()];
  }
}

}  // namespace

PaddedBuffer::PaddedBuffer(std::string_view bytes)
    : buf_(bytes.size() + kPadding), size_(bytes.size()) {
  if (!bytes.empty()) {
    std::memcpy(buf_.data(), bytes.data(), bytes.size());
  }
  FillHostile(buf_.data() + size_, kPadding);
}

GuardedBuffer::GuardedBuffer(std::string_view bytes) : size_(bytes.size()) {
  const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  const std::size_t used = size_ + kPadding;
  const std::size_t data_pages = (used + page - 1) / page;
  map_len_ = (data_pages + 1) * page;
  void* m = mmap(nullptr, map_len_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  SIPFRONT_CHECK(m != MAP_FAILED);
  map_ = static_cast<char*>(m);
  char* guard = map_ + data_pages * page;
  SIPFRONT_CHECK(mprotect(guard, page, PROT_NONE) == 0);
  data_ = guard - used;
  if (size_ != 0) {
    std::memcpy(data_, bytes.data(), size_);
  }
  FillHostile(data_ + size_, kPadding);
}

GuardedBuffer::~GuardedBuffer() { munmap(map_, map_len_); }

}  // namespace sipfront::testing
