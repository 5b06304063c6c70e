// Test buffers for parsers that take a PaddedView.
//
// PaddedBuffer: a heap copy with kPadding bytes after the message.
// GuardedBuffer: the guard-page harness (picohttpparser test.c): the message is placed so that
// its end + kPadding is exactly a page boundary, and the page after it is PROT_NONE. A read
// within the padding is legal; any read beyond it faults and kills the test. The padding is
// filled with bytes that would change the result if a parser let them count ("\r\n\r\n",
// ':' and digits), so "reads the padding but ignores it" is checked too.
#ifndef SIPFRONT_TESTS_TESTLIB_BUFFERS_H_
#define SIPFRONT_TESTS_TESTLIB_BUFFERS_H_

#include <cstddef>
#include <string_view>
#include <vector>

#include "sipfront/base/padded_view.h"

namespace sipfront::testing {

// Padding content that would alter any parse that depended on it.
inline constexpr std::string_view kHostilePadding = "\r\n\r\nl: 99\r\nVia: x\r\n\r\n:;,\"<>%";

class PaddedBuffer {
 public:
  explicit PaddedBuffer(std::string_view bytes);
  [[nodiscard]] PaddedView view() const { return {buf_.data(), size_, buf_.size()}; }

 private:
  std::vector<char> buf_;
  std::size_t size_;
};

class GuardedBuffer {
 public:
  explicit GuardedBuffer(std::string_view bytes);
  ~GuardedBuffer();
  GuardedBuffer(const GuardedBuffer&) = delete;
  GuardedBuffer& operator=(const GuardedBuffer&) = delete;

  [[nodiscard]] PaddedView view() const { return {data_, size_, size_ + kPadding}; }

 private:
  char* map_ = nullptr;
  std::size_t map_len_ = 0;
  char* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace sipfront::testing

#endif  // SIPFRONT_TESTS_TESTLIB_BUFFERS_H_
