// Internal: string helpers for the control plane's slow path. Debian's abseil is built with
// its own absl::string_view (ABSL_OPTION_USE_STD_STRING_VIEW 0), so absl::StrCat does not take
// std::string_view; Cat does.
#ifndef SIPFRONT_SRC_CONTROL_STORE_UTIL_H_
#define SIPFRONT_SRC_CONTROL_STORE_UTIL_H_

#include <concepts>
#include <string>
#include <string_view>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"

namespace sipfront::control {
namespace cat_internal {

inline void Append(std::string& out, std::string_view s) { out.append(s); }
inline void Append(std::string& out, const char* s) { out.append(s); }
inline void Append(std::string& out, const std::string& s) { out.append(s); }
inline void Append(std::string& out, absl::string_view s) { out.append(s.data(), s.size()); }
inline void Append(std::string& out, char c) { out.push_back(c); }
template <std::integral I>
requires(!std::same_as<I, bool> && !std::same_as<I, char>) void Append(std::string& out, I v) {
  out += std::to_string(v);
}

}  // namespace cat_internal

// Concatenates strings (any kind of view) and integers.
template <class... A>
std::string Cat(const A&... a) {
  std::string out;
  (cat_internal::Append(out, a), ...);
  return out;
}

}  // namespace sipfront::control

#endif  // SIPFRONT_SRC_CONTROL_STORE_UTIL_H_
