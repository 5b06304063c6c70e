// sipfront/base/padded_view.h — a read-only byte view that promises readable tail padding.
//
// Every receive buffer in sipfront reserves kPadding readable bytes after the largest message
// it can hold (simdjson's SIMDJSON_PADDING rule). Parsers that take a PaddedView may load whole
// 16-, 32- or 64-byte blocks that straddle size() without a bounds check; they must never let
// the padding bytes influence a result. The view does not own the bytes: it is valid for as
// long as the buffer it was made from (for a receive slot, one pass of the worker loop).
#ifndef SIPFRONT_BASE_PADDED_VIEW_H_
#define SIPFRONT_BASE_PADDED_VIEW_H_

#include <cstddef>
#include <string_view>

namespace sipfront {

// Bytes that must be readable (not necessarily meaningful) after the end of any parsed input.
inline constexpr std::size_t kPadding = 64;

class PaddedView {
 public:
  constexpr PaddedView() = default;

  // `data` must have at least `capacity` readable bytes and `capacity >= size + kPadding`.
  // Callers that cannot prove that build a padded copy instead (see tests/testlib).
  constexpr PaddedView(const char* data, std::size_t size, std::size_t capacity)
      : data_(data), size_(size), capacity_(capacity) {}

  [[nodiscard]] constexpr const char* data() const { return data_; }
  [[nodiscard]] constexpr std::size_t size() const { return size_; }
  [[nodiscard]] constexpr std::size_t capacity() const { return capacity_; }
  [[nodiscard]] constexpr bool HasPadding() const { return capacity_ >= size_ + kPadding; }
  [[nodiscard]] constexpr std::string_view view() const { return {data_, size_}; }

  // The first `n` bytes (n <= size()); the padding guarantee carries over.
  [[nodiscard]] constexpr PaddedView Prefix(std::size_t n) const {
    return PaddedView(data_, n < size_ ? n : size_, capacity_);
  }

 private:
  const char* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace sipfront

#endif  // SIPFRONT_BASE_PADDED_VIEW_H_
