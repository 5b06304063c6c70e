// Lexical building blocks of the RFC 3261 §25.1 grammar shared by the URI and header parsers.
// Every scanner takes [b, e) and returns where it stopped; nullptr means malformed input.
#ifndef SIPFRONT_SRC_SIP_LEX_H_
#define SIPFRONT_SRC_SIP_LEX_H_

#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "sipfront/sip/uri.h"

#include "charset.h"

namespace sipfront::sip::internal {

inline std::string_view Span(const char* b, const char* e) {
  return {b, static_cast<std::size_t>(e - b)};
}

// LWS / SWS. Inside a tokenized header value CR and LF only occur as part of a fold.
// Bytes above SP are never LWS: one compare settles the common case.
// charset::IEqualsLower(s, lower) for a lowercase literal of 1 to 16 bytes, a word at a time:
// `s` is read with two (possibly overlapping) loads of 1, 2, 4 or 8 bytes inside it, and 0x20 is
// OR-ed into the bytes where the literal has a letter (exact there, as in IEqualsLower); other
// bytes must match as they are. The literal's words and mask fold to constants.
template <std::size_t N>
inline bool IEqualsLowerWords(std::string_view s, const char (&lower)[N]) {
  constexpr std::size_t n = N - 1;
  static_assert(n >= 1 && n <= 16);
  using W = std::conditional_t<
      (n >= 8), uint64_t,
      std::conditional_t<(n >= 4), uint32_t, std::conditional_t<(n >= 2), uint16_t, uint8_t>>>;
  constexpr std::size_t w = sizeof(W);
  if (s.size() != n) {
    return false;
  }
  auto word = [](const char* p) {
    W v;
    std::memcpy(&v, p, w);
    return v;
  };
  auto fold = [](const char* lit) {  // 0x20 where the literal has a letter
    W m = 0;
    for (std::size_t i = 0; i < w; ++i) {
      if (lit[i] >= 'a' && lit[i] <= 'z') {
        m = static_cast<W>(m | (W{0x20} << (8 * i)));
      }
    }
    return m;
  };
  const W head = static_cast<W>(word(s.data()) | fold(lower));
  const W tail = static_cast<W>(word(s.data() + n - w) | fold(lower + n - w));
  return head == word(lower) && tail == word(lower + n - w);
}

inline const char* SkipLws(const char* q, const char* e) {
  while (q < e && static_cast<unsigned char>(*q) <= ' ' && charset::IsLws(*q)) {
    ++q;
  }
  return q;
}

inline const char* ScanClass(const char* q, const char* e, uint32_t cls) {
  while (q < e && charset::Is(*q, cls)) {
    ++q;
  }
  return q;
}

#if defined(__SSE2__)
// The bytes among the 16 at `p` that lie in [lo, hi] (unsigned), as a byte mask.
inline __m128i InRange16(__m128i v, char lo, char hi) {
  const __m128i d = _mm_sub_epi8(v, _mm_set1_epi8(lo));
  return _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(static_cast<char>(hi - lo))), d);
}

// The 16 bytes at `q`, or, with 8 to 15 bytes left in [q, e), those bytes and zeros after them:
// two 8-byte loads inside [q, e) and a shift. Needs e - q >= 8; no padding is assumed.
inline __m128i LoadUpTo16(const char* q, const char* e) {
  const std::ptrdiff_t n = e - q;
  if (n >= 16) {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
  }
  uint64_t lo = 0;
  uint64_t hi = 0;
  std::memcpy(&lo, q, 8);
  std::memcpy(&hi, e - 8, 8);
  hi = n > 8 ? hi >> (8 * (16 - n)) : 0;  // q[8..n): the overlap with `lo` shifted out
  return _mm_set_epi64x(static_cast<long long>(hi), static_cast<long long>(lo));
}

// The bytes among the 16 at `p` that are not a letter, digit, '-' or '.', as a bit mask: the
// letters are (v | 0x20) in 'a'..'z', and '-' to '9' holds '-', '.', '/' and the digits.
inline uint32_t AlnumStop16(__m128i v) {
  const __m128i alpha = InRange16(_mm_or_si128(v, _mm_set1_epi8(0x20)), 'a', 'z');
  const __m128i num =
      _mm_andnot_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('/')), InRange16(v, '-', '9'));
  return ~static_cast<uint32_t>(_mm_movemask_epi8(_mm_or_si128(alpha, num))) & 0xffffu;
}
inline uint32_t AlnumStop16(const char* p) {
  return AlnumStop16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

// The bytes among the 16 at `p` that are not HEXDIG, as a bit mask.
inline uint32_t HexStop16(const char* p) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i ok = _mm_or_si128(InRange16(v, '0', '9'),
                                  InRange16(_mm_or_si128(v, _mm_set1_epi8(0x20)), 'a', 'f'));
  return ~static_cast<uint32_t>(_mm_movemask_epi8(ok)) & 0xffffu;
}
#endif

// out = T{} for a parse result of string_views, bools, enums and integers without default member
// initializers, whose value-initialised form is all zero bytes: 16-byte stores (and an 8-byte one
// for a size of 8 mod 16), where
// the compiler's own zeroing of such a struct is a rep stos (about one instruction per 8 bytes
// and its set-up).
template <class T>
inline void ZeroResult(T& out) {
  static_assert(std::is_trivially_copyable_v<T> && std::is_standard_layout_v<T>);
#if defined(__SSE2__)
  if constexpr (sizeof(T) % 8 == 0) {
    char* p = reinterpret_cast<char*>(&out);
#pragma GCC unroll 16
    for (std::size_t i = 0; i + 16 <= sizeof(T); i += 16) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(p + i), _mm_setzero_si128());
    }
    if constexpr (sizeof(T) % 16 != 0) {
      _mm_storel_epi64(reinterpret_cast<__m128i*>(p + sizeof(T) - 8), _mm_setzero_si128());
    }
    return;
  }
#endif
  out = T{};
}

// memchr(q, c, e - q) inline, for the short spans of a header value where the libc call costs
// more than the search: whole 16-byte runs, then at least 8 of the rest in one vector, then
// bytewise. Reads only inside [q, e).
inline const char* FindByte(const char* q, const char* e, char c) {
#if defined(__SSE2__)
  const __m128i cv = _mm_set1_epi8(c);
  for (; e - q >= 16; q += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
    if (const auto m = static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, cv))); m != 0) {
      return q + std::countr_zero(m);
    }
  }
  if (e - q >= 8) {
    // Only the bits of bytes inside [q, e): the zeros after them would match c == 0.
    const auto m = static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(LoadUpTo16(q, e), cv))) &
                   ((1u << (e - q)) - 1);
    return m != 0 ? q + std::countr_zero(m) : nullptr;
  }
#endif
  for (; q < e; ++q) {
    if (*q == c) {
      return q;
    }
  }
  return nullptr;
}

inline const char* ScanToken(const char* q, const char* e) {
  return ScanClass(q, e, charset::kToken);
}

// ScanToken for names that are mostly letters (auth-param names, "Digest"): with 16 bytes left
// in [q, e), the leading run of letters is skipped with one 16-byte test (much cheaper than
// a full token class test), and the bytewise scan goes on from the first other byte, which is
// usually the end already. No padding is assumed.
inline const char* ScanAlphaToken(const char* q, const char* e) {
#if defined(__SSE2__)
  if (e - q >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
    const auto alpha = static_cast<uint32_t>(
        _mm_movemask_epi8(InRange16(_mm_or_si128(v, _mm_set1_epi8(0x20)), 'a', 'z')));
    q += std::countr_one(alpha);
  }
#endif
  return ScanClass(q, e, charset::kToken);
}

// ScanToken for values that are often long (branch, tag): whole 16-byte runs inside [q, e) at
// a time (no padding is assumed), then bytewise. The vector step stops on anything but a letter,
// digit, '-' or '.' (AlnumStop16); the rarer token marks ("!%*_+`'~") are settled bytewise and
// the scan goes on after them.
inline const char* ScanLongToken(const char* q, const char* e) {
#if defined(__SSE2__)
  while (e - q >= 16) {
    const uint32_t m = AlnumStop16(q);
    if (m == 0) {
      q += 16;
      continue;
    }
    const char* p = q + std::countr_zero(m);
    if (!charset::Is(*p, charset::kToken)) {
      return p;
    }
    q = p + 1;
  }
#endif
  return ScanClass(q, e, charset::kToken);
}

// 1*HEXDIG exactly: no other byte in [b, e), and not empty.
inline bool AllHex(const char* q, const char* e) {
  if (q == e) {
    return false;
  }
#if defined(__SSE2__)
  for (; e - q >= 16; q += 16) {
    if (HexStop16(q) != 0) {
      return false;
    }
  }
#endif
  return ScanClass(q, e, charset::kHex) == e;
}

// Characters of `cls` or "%" HEXDIG HEXDIG. Returns the first other byte; sets `bad` to the
// '%' of a malformed escape (and stops there).
inline const char* ScanEscaped(const char* q, const char* e, uint32_t cls, const char*& bad) {
  while (q < e) {
    if (charset::Is(*q, cls)) {
      ++q;
    } else if (*q == '%') {
      if (e - q < 3 || charset::HexValue(q[1]) < 0 || charset::HexValue(q[2]) < 0) {
        bad = q;
        return q;
      }
      q += 3;
    } else {
      break;
    }
  }
  return q;
}

#if defined(__SSE2__)
// The bytes among the 16 of `v` (or at `p`) that are equal to `a`, `b` or `c`, as a bit mask.
// SSE2 is part of x86-64; callers load only whole 16-byte runs inside [q, e), or LoadUpTo16, so
// no padding is assumed.
inline uint32_t Match16(__m128i v, char a, char b, char c) {
  const __m128i m = _mm_or_si128(
      _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(a)), _mm_cmpeq_epi8(v, _mm_set1_epi8(b))),
      _mm_cmpeq_epi8(v, _mm_set1_epi8(c)));
  return static_cast<uint32_t>(_mm_movemask_epi8(m));
}
inline uint32_t Match16(const char* p, char a, char b, char c) {
  return Match16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), a, b, c);
}

// The bytes among the 16 at `p` that may not be charset::kQdPlain, as a bit mask: DQUOTE,
// backslash, DEL and every CTL (<= 0x1f, unsigned). HT, CR and LF (folds) are kQdPlain but rare
// in a quoted string, so they are left in and settled bytewise by SkipQdPlain.
inline uint32_t QdStop16(const char* p) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i ctl = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v);
  const __m128i special = _mm_or_si128(
      _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
      _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f)));
  return static_cast<uint32_t>(_mm_movemask_epi8(_mm_or_si128(ctl, special)));
}
#endif

// The first byte at or after `q` that is not charset::kQdPlain, or `e`.
inline const char* SkipQdPlain(const char* q, const char* e) {
#if defined(__SSE2__)
  while (e - q >= 16) {
    const uint32_t m = QdStop16(q);
    if (m == 0) {
      q += 16;
      continue;
    }
    const char* p = q + std::countr_zero(m);
    if (!charset::Is(*p, charset::kQdPlain)) {
      return p;
    }
    q = p + 1;  // an HT, CR or LF: go on after it
  }
#endif
  while (q < e && charset::Is(*q, charset::kQdPlain)) {
    ++q;
  }
  return q;
}

// The first byte at or after `q` that is charset::kElemStop (',', DQUOTE or '<'), or `e`.
inline const char* SkipToElemStop(const char* q, const char* e) {
#if defined(__SSE2__)
  for (; e - q >= 16; q += 16) {
    if (const uint32_t m = Match16(q, ',', '"', '<'); m != 0) {
      return q + std::countr_zero(m);
    }
  }
  if (e - q >= 8) {
    // The zeros after `e` match none of the three: no match means `e`.
    const uint32_t m = Match16(LoadUpTo16(q, e), ',', '"', '<');
    return m != 0 ? q + std::countr_zero(m) : e;
  }
#endif
  while (q < e && !charset::Is(*q, charset::kElemStop)) {
    ++q;
  }
  return q;
}

// quoted-string = SWS DQUOTE *(qdtext / quoted-pair) DQUOTE, with `q` on the opening quote.
// qdtext is LWS, %x21, %x23-5B, %x5D-7E and UTF-8 non-ASCII; quoted-pair is "\" followed by
// any byte but CR and LF (a raw NUL included, RFC 4475 §3.1.1.2). Returns the byte after the
// closing quote, or nullptr when unterminated or an illegal control byte appears.
inline const char* ScanQuoted(const char* q, const char* e) {
  ++q;
  while (true) {
    // Nonces, digests and URIs are long runs of ordinary bytes: skip them 16 at a time.
    q = SkipQdPlain(q, e);
    if (q >= e) {
      return nullptr;
    }
    if (*q == '"') {
      return q + 1;
    }
    if (*q != '\\' || q + 1 >= e || q[1] == '\r' || q[1] == '\n') {
      return nullptr;  // a control byte, or an escape of nothing or of a line end
    }
    q += 2;
  }
}

#if defined(__SSE2__)
// IPv4address = 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT, each part <= 255, at the start
// of the 16 bytes `v`: an address is at most 15 bytes and ends at a non-digit, so the 16 decide.
// Returns the address length, or 0 when there is none. Works on bit masks of the 16 bytes: the
// first four non-digits must be three dots and the end, with 1 to 3 digits before each, and a
// part of three digits must not exceed "255".
inline unsigned ScanIPv4Window(__m128i v) {
  const __m128i d = _mm_sub_epi8(v, _mm_set1_epi8('0'));
  const auto digits = static_cast<uint32_t>(
      _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d)));
  const auto dots = static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('.'))));
  const uint32_t other = ~digits;  // bits 16 and up set: an end for a window of digits
  const uint32_t m1 = other & (other - 1);
  const uint32_t m2 = m1 & (m1 - 1);
  const uint32_t m3 = m2 & (m2 - 1);
  const uint32_t end = m3 & (0u - m3);  // the fourth non-digit
  const uint32_t seps = other ^ m3;     // the first three
  const uint32_t stops = seps | end;
  const uint32_t three = digits & (digits >> 1) & (digits >> 2);  // bit j: digits at j..j+2
  // A separator that is not a dot, an empty part, or four digits before the end.
  if (((seps & ~dots) | (stops & ((stops << 1) | 1)) | (three & (digits >> 3) & (end - 1))) != 0) {
    return 0;
  }
  if (const uint32_t starts3 = ((seps << 1) | 1) & three; starts3 != 0) {
    // A three-digit part above "255": its first digit above '2', or '2' and then above "55".
    const auto gt2 =
        static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpgt_epi8(v, _mm_set1_epi8('2'))));
    const auto eq2 =
        static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('2'))));
    const auto gt5 =
        static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpgt_epi8(v, _mm_set1_epi8('5'))));
    const auto eq5 =
        static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('5'))));
    const uint32_t big = gt2 | (eq2 & ((gt5 >> 1) | ((eq5 >> 1) & (gt5 >> 2))));
    if ((big & starts3) != 0) {
      return 0;
    }
  }
  return static_cast<unsigned>(std::countr_zero(end));
}
#endif

// ScanIPv4 bytewise, every read checked against `e`: for fewer than 8 bytes in [q, e).
const char* ScanIPv4Short(const char* q, const char* e);

// IPv4address at `q`: returns the end of the address or nullptr. With 8 or more bytes in [q, e),
// ScanIPv4Window on LoadUpTo16 (inside [q, e), no padding assumed): the zeros after the end are
// neither digits nor dots, as the end of the span is to the checked scan.
inline const char* ScanIPv4(const char* q, const char* e) {
#if defined(__SSE2__)
  if (e - q >= 8) {
    const unsigned len = ScanIPv4Window(LoadUpTo16(q, e));
    return len != 0 ? q + len : nullptr;
  }
#endif
  return ScanIPv4Short(q, e);
}

// IPv6address (RFC 3261 §25.1 / RFC 4291), [b, e) exactly, without brackets. Also accepts the
// ":::" before an embedded IPv4 address that RFC 3261's ABNF allowed (RFC 5118 §4.10).
bool IsIPv6Address(const char* b, const char* e);

// host = hostname / IPv4address / IPv6reference. Scans the longest host at `q` and returns
// its end (nullptr when malformed); a run of digits and dots must be a valid IPv4 address.
const char* ScanHost(const char* q, const char* e, HostKind& kind);

// ScanHost for a host whose first byte (in [q, e)) is a digit, with its IPv4 attempt inline: most
// hosts on the wire are IPv4 literals. Any other host goes to ScanHost (which tries IPv4 again).
inline const char* ScanHostDigit(const char* q, const char* e, HostKind& kind) {
  const char* v4 = ScanIPv4(q, e);
  if (v4 != nullptr && (v4 == e || !charset::Is(*v4, charset::kHost))) {
    kind = HostKind::kIPv4;
    return v4;
  }
  return ScanHost(q, e, kind);
}

// port = 1*DIGIT, 0..65535. Returns the end or nullptr.
const char* ScanPort(const char* q, const char* e, uint16_t& port);

// Splits the next element off a comma-separated list value, outside quoted strings and <...>.
// `elem` is LWS-trimmed. Returns false (elem untouched) when `rest` was consumed already,
// signalled by rest.data() == nullptr.
bool NextElement(std::string_view& rest, std::string_view& elem);

}  // namespace sipfront::sip::internal

#endif  // SIPFRONT_SRC_SIP_LEX_H_
