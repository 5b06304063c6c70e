#include "sipfront/sip/uri.h"

#include <bit>
#include <cstring>

#include "charset.h"
#include "lex.h"

namespace sipfront::sip {

using charset::Is;
using internal::Span;

namespace internal {

const char* ScanIPv4Short(const char* q, const char* e) {
  auto digit = [e](const char* p) -> unsigned {  // the digit at p, or 10 and above
    return p < e ? static_cast<unsigned>(static_cast<unsigned char>(*p)) - '0' : 10u;
  };
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (q >= e || *q != '.') {
        return nullptr;
      }
      ++q;
    }
    unsigned value = digit(q);
    if (value > 9) {
      return nullptr;
    }
    if (const unsigned d1 = digit(q + 1); d1 > 9) {
      q += 1;
    } else if (const unsigned d2 = digit(q + 2); d2 > 9) {
      value = value * 10 + d1;
      q += 2;
    } else {
      value = value * 100 + d1 * 10 + d2;
      q += 3;
      if (value > 255 || digit(q) <= 9) {
        return nullptr;
      }
    }
  }
  return q;
}

bool IsIPv6Address(const char* b, const char* e) {
  const char* q = b;
  int groups = 0;
  bool compressed = false;
  if (q < e && *q == ':') {
    if (e - q < 2 || q[1] != ':') {
      return false;
    }
    compressed = true;
    q += 2;
  }
  while (q < e) {
    const char* g = q;
    while (q < e && Is(*q, charset::kHex) && q - g < 5) {
      ++q;
    }
    if (q < e && *q == '.') {  // trailing embedded IPv4 address
      if (ScanIPv4(g, e) != e) {
        return false;
      }
      groups += 2;
      break;
    }
    if (q == g || q - g > 4) {
      return false;
    }
    ++groups;
    if (q == e) {
      break;
    }
    if (*q != ':') {
      return false;
    }
    ++q;
    if (q < e && *q == ':') {
      if (compressed) {
        return false;
      }
      compressed = true;
      ++q;
      if (q < e && *q == ':') {
        ++q;
        if (ScanIPv4(q, e) != e) {
          return false;
        }
      }
    } else if (q == e) {
      return false;  // a single trailing ':'
    }
  }
  return compressed ? groups <= 7 : groups == 8;
}

}  // namespace internal

namespace {

#if defined(__SSE2__)
// Returned by ScanHostName16 when the host is longer than 48 bytes. Never a real position.
const char* const kHostNameSlow = reinterpret_cast<const char*>(1);

// The hostname branch of ScanHost for a host of at most 63 bytes: the host bytes (alphanumerics,
// '-', '.', '_') are found 16 at a time into bit masks of dots, hyphens and non-digits, and the
// label rules are checked on the masks (the last < 16 bytes before `e` bytewise). Same verdicts and
// end as the bytewise loop in ScanHost. Loads only whole 16-byte runs inside [q, e): no padding
// assumed.
const char* ScanHostName16(const char* q, const char* e, HostKind& kind) {
  uint64_t dots = 0;
  uint64_t hyphens = 0;
  uint64_t other = 0;  // neither digit nor dot
  unsigned len = 0;
  for (;; len += 16) {
    if (len > 48) {
      return kHostNameSlow;
    }
    if (e - (q + len) < 16) {  // fewer than 16 bytes left: bytewise, at most 15 of them
      for (const char* p = q + len; p < e; ++p, ++len) {
        const uint32_t cls = charset::kTable[static_cast<unsigned char>(*p)];
        if ((cls & charset::kHost) == 0) {
          break;
        }
        const uint64_t bit = 1ull << len;
        dots |= *p == '.' ? bit : 0;
        hyphens |= *p == '-' ? bit : 0;
        other |= (cls & charset::kDigit) == 0 && *p != '.' ? bit : 0;
      }
      break;
    }
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q + len));
    const __m128i digit = internal::InRange16(v, '0', '9');
    const __m128i dot = _mm_cmpeq_epi8(v, _mm_set1_epi8('.'));
    const __m128i hyphen = _mm_cmpeq_epi8(v, _mm_set1_epi8('-'));
    const __m128i host = _mm_or_si128(
        _mm_or_si128(internal::InRange16(_mm_or_si128(v, _mm_set1_epi8(0x20)), 'a', 'z'), digit),
        _mm_or_si128(_mm_or_si128(dot, hyphen), _mm_cmpeq_epi8(v, _mm_set1_epi8('_'))));
    const auto host_bits = static_cast<uint32_t>(_mm_movemask_epi8(host));
    const auto dot_bits = static_cast<uint32_t>(_mm_movemask_epi8(dot));
    dots |= static_cast<uint64_t>(dot_bits) << len;
    hyphens |= static_cast<uint64_t>(_mm_movemask_epi8(hyphen)) << len;
    other |= static_cast<uint64_t>(~static_cast<uint32_t>(_mm_movemask_epi8(digit)) & ~dot_bits &
                                   0xffffu)
             << len;
    if (host_bits != 0xffffu) {
      len += static_cast<unsigned>(std::countr_one(host_bits));
      break;
    }
  }
  if (len == 0) {
    return nullptr;
  }
  const uint64_t all = len == 64 ? ~0ull : (1ull << len) - 1;
  dots &= all;
  hyphens &= all;
  other &= all;
  const uint64_t starts = ((dots << 1) | 1) & all;  // the first byte of each label
  // An empty label, a label that starts with '-', or a '-' before a dot or at the end.
  if ((dots & starts) != 0 || (hyphens & starts) != 0 || (hyphens & (dots >> 1)) != 0 ||
      (hyphens >> (len - 1)) != 0) {
    return nullptr;
  }
  const char* c = q + len;
  if (other == 0) {
    if (internal::ScanIPv4(q, c) != c) {
      return nullptr;
    }
    kind = HostKind::kIPv4;
    return c;
  }
  // The top label: after the last dot, or after the one before a trailing dot.
  const uint64_t inner = (dots >> (len - 1)) != 0 ? dots & ~(1ull << (len - 1)) : dots;
  const unsigned top = inner == 0 ? 0u : 64u - static_cast<unsigned>(std::countl_zero(inner));
  if (!Is(q[top], charset::kAlpha)) {
    return nullptr;
  }
  kind = HostKind::kName;
  return c;
}
#endif

}  // namespace

namespace internal {

const char* ScanHost(const char* q, const char* e, HostKind& kind) {
  if (q < e && *q == '[') {
    const char* close =
        static_cast<const char*>(std::memchr(q, ']', static_cast<std::size_t>(e - q)));
    if (close == nullptr || !IsIPv6Address(q + 1, close)) {
      return nullptr;
    }
    kind = HostKind::kIPv6;
    return close + 1;
  }
  // Most hosts on the wire are IPv4 literals: try that first.
  if (q < e && charset::IsDigit(*q)) {
    const char* v4 = ScanIPv4(q, e);
    if (v4 != nullptr && (v4 == e || !Is(*v4, charset::kHost))) {
      kind = HostKind::kIPv4;
      return v4;
    }
  }
  // hostname = *( domainlabel "." ) toplabel [ "." ]: labels of alphanumerics and inner '-'
  // ('_' tolerated, as real devices use it); the top label starts with a letter. A run of
  // digits and dots must be an IPv4address.
#if defined(__SSE2__)
  if (const char* c = ScanHostName16(q, e, kind); c != kHostNameSlow) {
    return c;
  }
#endif
  // One pass over the host checks the labels.
  const char* label = q;
  const char* top = q;
  uint32_t label_cls = ~0u;  // the classes every non-dot byte has: kDigit for a numeric host
  const char* c = q;
  for (; c < e; ++c) {
    const uint32_t cls = charset::kTable[static_cast<unsigned char>(*c)];
    if ((cls & charset::kHost) == 0) {
      break;
    }
    if (*c == '.') {
      if (c == label || *label == '-' || c[-1] == '-') {
        return nullptr;
      }
      top = label;
      label = c + 1;
    } else {
      label_cls &= cls;
    }
  }
  if (c == q) {
    return nullptr;
  }
  if (label != c) {
    if (*label == '-' || c[-1] == '-') {
      return nullptr;
    }
    top = label;
  }  // else a trailing dot: the top label is the one before it
  if ((label_cls & charset::kDigit) != 0) {
    if (ScanIPv4(q, c) != c) {
      return nullptr;
    }
    kind = HostKind::kIPv4;
    return c;
  }
  if (!Is(*top, charset::kAlpha)) {
    return nullptr;
  }
  kind = HostKind::kName;
  return c;
}

const char* ScanPort(const char* q, const char* e, uint16_t& port) {
  // Up to five digits need no range check on the way (99999 fits); a sixth goes on below.
  auto digit = [e](const char* p) -> uint32_t {  // the digit at p, or 10 and above
    return p < e ? static_cast<uint32_t>(static_cast<unsigned char>(*p)) - '0' : 10u;
  };
  uint32_t value = digit(q);
  if (value > 9) {
    return nullptr;
  }
  for (int i = 1; i < 5; ++i) {
    const uint32_t d = digit(q + i);
    if (d > 9) {
      port = static_cast<uint16_t>(value);
      return q + i;
    }
    value = value * 10 + d;
  }
  if (value > 65535) {
    return nullptr;
  }
  q += 5;
  while (q < e && charset::IsDigit(*q)) {  // leading zeros make longer runs legal
    value = value * 10 + static_cast<uint32_t>(*q - '0');
    if (value > 65535) {
      return nullptr;
    }
    ++q;
  }
  port = static_cast<uint16_t>(value);
  return q;
}

bool NextElement(std::string_view& rest, std::string_view& elem) {
  if (rest.data() == nullptr) {
    return false;
  }
  const char* b = rest.data();
  const char* e = b + rest.size();
  // Most values are one element: with no ',' at all the loop below would run to e whatever
  // quotes and brackets it met, so one search for ',' settles it.
  const char* q = FindByte(b, e, ',') == nullptr ? e : b;
  while (q < e) {
    // Only ',', DQUOTE and '<' need a closer look.
    q = SkipToElemStop(q, e);
    if (q == e || *q == ',') {
      break;
    }
    if (*q == '"') {
      const char* end = ScanQuoted(q, e);
      q = end == nullptr ? e : end;
    } else {  // '<'
      const char* close = FindByte(q, e, '>');
      q = close == nullptr ? e : close + 1;
    }
  }
  const char* vb = SkipLws(b, q);
  const char* ve = q;
  while (ve > vb && charset::IsLws(ve[-1])) {
    --ve;
  }
  elem = Span(vb, ve);
  rest = q < e ? Span(q + 1, e) : std::string_view();
  return true;
}

}  // namespace internal

namespace {

using internal::ScanEscaped;

// uri-parameters = *( ";" uri-parameter ), starting after the first ';'. Each parameter is
// pname [ "=" pvalue ] with 1*paramchar on both sides. Returns the end or nullptr (bad = where).
const char* ScanUriParams(const char* q, const char* e, const char*& bad) {
  while (true) {
    const char* name_end = q;
#if defined(__SSE2__)
    if (e - q >= 8) {  // a leading run of letters, digits, '-' and '.' (all kParam) in one test
      name_end += std::countr_zero(internal::AlnumStop16(internal::LoadUpTo16(q, e)) | 0x10000u);
    }
#endif
    name_end = ScanEscaped(name_end, e, charset::kParam, bad);
    if (bad != nullptr || name_end == q) {
      bad = bad != nullptr ? bad : q;
      return nullptr;
    }
    q = name_end;
    if (q < e && *q == '=') {
      const char* v = q + 1;
      q = ScanEscaped(v, e, charset::kParam, bad);
      if (bad != nullptr || q == v) {
        bad = bad != nullptr ? bad : v;
        return nullptr;
      }
    }
    if (q < e && *q == ';') {
      ++q;
      continue;
    }
    return q;
  }
}

// headers = "?" header *( "&" header ); header = hname "=" hvalue, starting after the '?'.
const char* ScanUriHeaders(const char* q, const char* e, const char*& bad) {
  while (true) {
    const char* name_end = ScanEscaped(q, e, charset::kHnv, bad);
    if (bad != nullptr || name_end == q || name_end == e || *name_end != '=') {
      bad = bad != nullptr ? bad : name_end;
      return nullptr;
    }
    q = ScanEscaped(name_end + 1, e, charset::kHnv, bad);
    if (bad != nullptr) {
      return nullptr;
    }
    if (q < e && *q == '&') {
      ++q;
      continue;
    }
    return q;
  }
}

ParseStatus Bad(const char* at) { return {ParseError::kBadUri, at}; }

ParseStatus ParseSipUri(const char* b, const char* e, Uri& out) {
  const char* bad = nullptr;
  const char* hp = b;
  const char* at = internal::FindByte(b, e, '@');
  if (at != nullptr) {
    const char* user_end = ScanEscaped(b, at, charset::kUser, bad);
    if (bad != nullptr) {
      return Bad(bad);
    }
    if (user_end == b) {
      return Bad(b);
    }
    out.user = Span(b, user_end);
    if (user_end < at) {
      if (*user_end != ':') {
        return Bad(user_end);
      }
      const char* pw_end = ScanEscaped(user_end + 1, at, charset::kPassword, bad);
      if (bad != nullptr || pw_end != at) {
        return Bad(bad != nullptr ? bad : pw_end);
      }
      out.password = Span(user_end + 1, at);
    }
    hp = at + 1;
  }
  const char* q = hp < e && charset::IsDigit(*hp) ? internal::ScanHostDigit(hp, e, out.host_kind)
                                                  : internal::ScanHost(hp, e, out.host_kind);
  if (q == nullptr) {
    return Bad(hp);
  }
  out.host = Span(hp, q);
  if (q < e && *q == ':') {
    const char* port_end = internal::ScanPort(q + 1, e, out.port);
    if (port_end == nullptr) {
      return Bad(q + 1);
    }
    out.has_port = true;
    q = port_end;
  }
  if (q < e && *q == ';') {
    const char* params_end = ScanUriParams(q + 1, e, bad);
    if (params_end == nullptr) {
      return Bad(bad);
    }
    out.params = Span(q + 1, params_end);
    q = params_end;
  }
  if (q < e && *q == '?') {
    const char* headers_end = ScanUriHeaders(q + 1, e, bad);
    if (headers_end == nullptr) {
      return Bad(bad);
    }
    out.headers = Span(q + 1, headers_end);
    q = headers_end;
  }
  return q == e ? ParseStatus{} : Bad(q);
}

// tel URI (RFC 3966), checked loosely: a number of digits, '*', '#', '+' and visual separators,
// then uri-parameters.
ParseStatus ParseTelUri(const char* b, const char* e, Uri& out) {
  const char* q = internal::ScanClass(b, e, charset::kTel);
  if (q == b) {
    return Bad(b);
  }
  out.user = Span(b, q);
  if (q < e && *q == ';') {
    const char* bad = nullptr;
    const char* params_end = ScanUriParams(q + 1, e, bad);
    if (params_end == nullptr) {
      return Bad(bad);
    }
    out.params = Span(q + 1, params_end);
    q = params_end;
  }
  return q == e ? ParseStatus{} : Bad(q);
}

}  // namespace

ParseStatus ParseUri(std::string_view s, Uri& out) {
  internal::ZeroResult(out);
  out.raw = s;
  out.host_kind = HostKind::kNone;
  const char* b = s.data();
  const char* e = b + s.size();
  // Nearly every URI here is "sip:": recognise it without the scheme scan and the compares.
  if (e - b >= 4 && internal::IEqualsLowerWords(Span(b, b + 4), "sip:")) {
    out.scheme = Span(b, b + 3);
    out.opaque = Span(b + 4, e);
    out.kind = UriScheme::kSip;
    return ParseSipUri(b + 4, e, out);
  }
  if (b == e || !Is(*b, charset::kAlpha)) {
    return Bad(b);
  }
  const char* q = internal::ScanClass(b + 1, e, charset::kScheme);
  if (q == e || *q != ':') {
    return Bad(q);
  }
  out.scheme = Span(b, q);
  out.opaque = Span(q + 1, e);
  const char* rest = q + 1;
  if (charset::IEqualsLower(out.scheme, "sip")) {
    out.kind = UriScheme::kSip;
    return ParseSipUri(rest, e, out);
  }
  if (charset::IEqualsLower(out.scheme, "sips")) {
    out.kind = UriScheme::kSips;
    return ParseSipUri(rest, e, out);
  }
  if (charset::IEqualsLower(out.scheme, "tel")) {
    out.kind = UriScheme::kTel;
    return ParseTelUri(rest, e, out);
  }
  out.kind = UriScheme::kOther;
  const char* bad = nullptr;
  const char* end = ScanEscaped(rest, e, charset::kUric, bad);
  if (bad != nullptr) {
    return Bad(bad);
  }
  if (end == rest || end != e) {
    return Bad(end);
  }
  return {};
}

bool ParamIterator::Next(Param& p) {
  const char* q = rest_.data();
  const char* e = q + rest_.size();
  while (q < e && (*q == ';' || charset::IsLws(*q))) {
    ++q;
  }
  if (q >= e) {
    rest_ = {};
    return false;
  }
  const char* name_end = q;
  while (name_end < e && *name_end != '=' && *name_end != ';' && !charset::IsLws(*name_end)) {
    ++name_end;
  }
  p.name = Span(q, name_end);
  p.value = {};
  p.has_value = false;
  q = internal::SkipLws(name_end, e);
  if (q < e && *q == '=') {
    q = internal::SkipLws(q + 1, e);
    const char* v = q;
    if (q < e && *q == '"') {
      const char* end = internal::ScanQuoted(q, e);
      q = end == nullptr ? e : end;
    } else {
      while (q < e && *q != ';' && !charset::IsLws(*q)) {
        ++q;
      }
    }
    p.value = Span(v, q);
    p.has_value = true;
  }
  rest_ = Span(q, e);
  return true;
}

bool FindParam(std::string_view params, std::string_view name, Param& out) {
  ParamIterator it(params);
  Param p;
  while (it.Next(p)) {
    if (charset::IEquals(p.name, name)) {
      out = p;
      return true;
    }
  }
  return false;
}

int64_t Unescape(std::string_view in, char* out, std::size_t cap) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) {
        return -1;
      }
      const int hi = charset::HexValue(in[i + 1]);
      const int lo = charset::HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) {
        return -1;
      }
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (n == cap) {
      return -1;
    }
    out[n++] = c;
  }
  return static_cast<int64_t>(n);
}

namespace {

// Compares two escaped strings after unescaping, byte for byte or ASCII case-insensitively.
bool EscapedEquals(std::string_view a, std::string_view b, bool ignore_case) {
  std::size_t i = 0;
  std::size_t j = 0;
  auto next = [](std::string_view s, std::size_t& k, int& c) {
    if (k >= s.size()) {
      return false;
    }
    if (s[k] == '%' && k + 2 < s.size()) {
      const int hi = charset::HexValue(s[k + 1]);
      const int lo = charset::HexValue(s[k + 2]);
      if (hi >= 0 && lo >= 0) {
        c = hi * 16 + lo;
        // RFC 3261 §19.1.4: only characters outside the RFC 2396 "reserved" set are
        // equivalent to their escapes; an escaped reserved character stays distinct.
        if (std::string_view(";/?:@&=+$,").find(static_cast<char>(c)) != std::string_view::npos) {
          c += 0x100;
        }
        k += 3;
        return true;
      }
    }
    c = static_cast<unsigned char>(s[k]);
    ++k;
    return true;
  };
  while (true) {
    int ca = 0;
    int cb = 0;
    const bool ha = next(a, i, ca);
    const bool hb = next(b, j, cb);
    if (!ha || !hb) {
      return ha == hb;
    }
    if (ignore_case) {
      ca = ca > 0xff ? ca : charset::ToLower(static_cast<char>(ca));
      cb = cb > 0xff ? cb : charset::ToLower(static_cast<char>(cb));
    }
    if (ca != cb) {
      return false;
    }
  }
}

// RFC 3261 §19.1.4: user, ttl, method and maddr parameters, and transport, must match when
// present in either URI; any other parameter must match only when present in both.
bool ParamsEquivalent(std::string_view a, std::string_view b) {
  static constexpr std::string_view kMustMatch[] = {"user", "ttl", "method", "maddr", "transport"};
  for (std::string_view name : kMustMatch) {
    Param pa;
    Param pb;
    const bool in_a = FindParam(a, name, pa);
    const bool in_b = FindParam(b, name, pb);
    if (in_a != in_b) {
      return false;
    }
    if (in_a && !EscapedEquals(pa.value, pb.value, true)) {
      return false;
    }
  }
  ParamIterator it(a);
  Param pa;
  while (it.Next(pa)) {
    // A repeated name counts once, by its first occurrence (as FindParam does for b and for
    // the names above); otherwise ";x=1;x=2" would make a URI differ from itself.
    Param first;
    if (FindParam(a, pa.name, first) && first.name.data() != pa.name.data()) {
      continue;
    }
    Param pb;
    if (FindParam(b, pa.name, pb) && !EscapedEquals(pa.value, pb.value, true)) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool UriEquivalent(const Uri& a, const Uri& b) {
  const bool sip_a = a.kind == UriScheme::kSip || a.kind == UriScheme::kSips;
  if (!sip_a || a.kind != b.kind) {
    return false;
  }
  return EscapedEquals(a.user, b.user, false) && EscapedEquals(a.password, b.password, false) &&
         EscapedEquals(a.host, b.host, true) && a.has_port == b.has_port && a.port == b.port &&
         ParamsEquivalent(a.params, b.params);
}

int64_t CanonicalAor(const Uri& uri, char* out, std::size_t cap) {
  if (uri.kind != UriScheme::kSip && uri.kind != UriScheme::kSips) {
    return -1;
  }
  std::size_t n = 0;
  if (!uri.user.empty()) {
    const int64_t user_len = Unescape(uri.user, out, cap);
    if (user_len < 0 || static_cast<std::size_t>(user_len) == cap) {
      return -1;
    }
    n = static_cast<std::size_t>(user_len);
    out[n++] = '@';
  }
  if (cap - n < uri.host.size()) {
    return -1;
  }
  for (char c : uri.host) {
    out[n++] = charset::ToLower(c);
  }
  return static_cast<int64_t>(n);
}

}  // namespace sipfront::sip
