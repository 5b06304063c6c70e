// libFuzzer target: the URI functions of uri.h on raw bytes, without a message around them.
//
// The input is "URI-A" or "URI-A\nURI-B" (LF cannot occur in a URI). Each part is copied into
// a heap block of exactly its size, so ASan reports any read past the end (ParseUri takes a
// plain string_view: it has no padding to lean on). A violated property traps.
//
// Properties:
//   1. no crash, no sanitizer report;
//   2. spans: every view of a parsed Uri and every Param lies inside the parsed bytes;
//      ParseStatus::at points inside them (or at their end);
//   3. Unescape() and CanonicalAor() never write past `cap`, return -1 or at most `cap`, and
//      succeed on every part of a URI ParseUri() accepted when `cap` is large enough;
//   4. UriEquivalent() is reflexive and symmetric on SIP/SIPS URIs, and equivalent URIs have
//      the same CanonicalAor() key (the registrar relies on both).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string_view>

#include "sipfront/sip/uri.h"

#define SIPFRONT_FUZZ_CHECK(cond)                 \
  do {                                            \
    if (!(cond)) {                                \
      ::sipfront::sip::Violated(#cond, __LINE__); \
    }                                             \
  } while (0)

namespace sipfront::sip {
namespace {

[[noreturn]] void Violated(const char* what, int line) {
  std::fprintf(stderr, "uri_fuzz.cc:%d: property violated: %s\n", line, what);
  __builtin_trap();
}

// An exact-size heap copy (ASan catches a one-byte overread).
class Exact {
 public:
  explicit Exact(std::string_view s) : buf_(std::make_unique<char[]>(s.size())), size_(s.size()) {
    if (!s.empty()) {
      std::memcpy(buf_.get(), s.data(), s.size());
    }
  }
  [[nodiscard]] std::string_view view() const { return {buf_.get(), size_}; }

 private:
  std::unique_ptr<char[]> buf_;
  std::size_t size_;
};

auto Addr(const char* p) { return reinterpret_cast<uintptr_t>(p); }

bool Within(std::string_view v, std::string_view outer) {
  if (v.data() == nullptr) {
    return v.empty();
  }
  const uintptr_t lo = Addr(outer.data());
  const uintptr_t hi = lo + outer.size();
  return Addr(v.data()) >= lo && Addr(v.data()) <= hi && v.size() <= hi - Addr(v.data());
}

bool IsSip(const Uri& u) { return u.kind == UriScheme::kSip || u.kind == UriScheme::kSips; }

void CheckParams(std::string_view params) {
  ParamIterator it(params);
  Param p;
  std::size_t n = 0;
  while (it.Next(p)) {
    SIPFRONT_FUZZ_CHECK(Within(p.name, params) && Within(p.value, params));
    SIPFRONT_FUZZ_CHECK(p.has_value || p.value.empty());
    SIPFRONT_FUZZ_CHECK(++n <= params.size());  // every Next() consumes at least one byte
    Param found;
    SIPFRONT_FUZZ_CHECK(FindParam(params, p.name, found));
  }
}

// Unescape into an exact-size heap block of `cap` bytes.
int64_t UnescapeExact(std::string_view in, std::size_t cap) {
  const auto out = std::make_unique<char[]>(cap);
  const int64_t n = Unescape(in, out.get(), cap);
  SIPFRONT_FUZZ_CHECK(n >= -1 && n <= static_cast<int64_t>(cap));
  SIPFRONT_FUZZ_CHECK(n <= static_cast<int64_t>(in.size()));
  return n;
}

int64_t AorExact(const Uri& u, std::size_t cap, char* copy_to = nullptr) {
  const auto out = std::make_unique<char[]>(cap);
  const int64_t n = CanonicalAor(u, out.get(), cap);
  SIPFRONT_FUZZ_CHECK(n >= -1 && n <= static_cast<int64_t>(cap));
  if (copy_to != nullptr && n > 0) {
    std::memcpy(copy_to, out.get(), static_cast<std::size_t>(n));
  }
  return n;
}

// Parses `in`; on success checks every span and the decoding functions. Returns success.
bool ParseAndCheck(std::string_view in, Uri& u) {
  const ParseStatus st = ParseUri(in, u);
  if (!st.ok()) {
    SIPFRONT_FUZZ_CHECK(st.error == ParseError::kBadUri);
    SIPFRONT_FUZZ_CHECK(Addr(st.at) >= Addr(in.data()) &&
                        Addr(st.at) <= Addr(in.data()) + in.size());
    return false;
  }
  SIPFRONT_FUZZ_CHECK(u.raw.data() == in.data() && u.raw.size() == in.size());
  for (std::string_view v : {u.scheme, u.user, u.password, u.host, u.params, u.headers, u.opaque}) {
    SIPFRONT_FUZZ_CHECK(Within(v, in));
  }
  SIPFRONT_FUZZ_CHECK(!u.scheme.empty());
  CheckParams(u.params);
  CheckParams(u.headers);
  if (IsSip(u)) {
    SIPFRONT_FUZZ_CHECK(!u.host.empty() && u.host_kind != HostKind::kNone);
    // ParseUri validated every escape, so decoding cannot fail given room.
    for (std::string_view part : {u.user, u.password, u.params, u.headers}) {
      SIPFRONT_FUZZ_CHECK(UnescapeExact(part, part.size()) >= 0);
      if (!part.empty()) {
        UnescapeExact(part, part.size() / 2);
      }
    }
    const std::size_t room = u.user.size() + 1 + u.host.size();
    SIPFRONT_FUZZ_CHECK(AorExact(u, room) >= 0);
    AorExact(u, 0);
    AorExact(u, room / 2);
    AorExact(u, room - 1);
  } else {
    SIPFRONT_FUZZ_CHECK(AorExact(u, 64) == -1);
  }
  return true;
}

}  // namespace
}  // namespace sipfront::sip

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using namespace sipfront::sip;  // NOLINT(google-build-using-namespace)
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  // Unescape on arbitrary bytes, with and without room.
  UnescapeExact(input, input.size());
  UnescapeExact(input, input.size() / 3);

  const std::size_t lf = input.find('\n');
  const Exact a(input.substr(0, lf));
  const Exact b(lf == std::string_view::npos ? input : input.substr(lf + 1));
  Uri ua;
  Uri ub;
  const bool ok_a = ParseAndCheck(a.view(), ua);
  const bool ok_b = ParseAndCheck(b.view(), ub);
  if (!ok_a || !ok_b || !IsSip(ua) || !IsSip(ub)) {
    return 0;
  }
  SIPFRONT_FUZZ_CHECK(UriEquivalent(ua, ua));
  SIPFRONT_FUZZ_CHECK(UriEquivalent(ub, ub));
  const bool ab = UriEquivalent(ua, ub);
  SIPFRONT_FUZZ_CHECK(ab == UriEquivalent(ub, ua));
  if (ab) {
    char key_a[512];
    char key_b[512];
    const int64_t na = AorExact(ua, sizeof(key_a), key_a);
    const int64_t nb = AorExact(ub, sizeof(key_b), key_b);
    SIPFRONT_FUZZ_CHECK(na == nb);
    SIPFRONT_FUZZ_CHECK(na <= 0 || std::memcmp(key_a, key_b, static_cast<std::size_t>(na)) == 0);
  }
  return 0;
}
