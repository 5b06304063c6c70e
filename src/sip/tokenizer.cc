#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "sipfront/base/compiler.h"
#include "sipfront/sip/message.h"

#include "charset.h"
#include "classify.h"
#include "scan.h"

namespace sipfront::sip {
namespace {

using charset::Is;
using charset::IsDigit;
using charset::IsWsp;

// Lines (header fields plus folded continuations) one header section may have. Bounded so the
// line index lives on the stack; kMaxHeaders fields with up to three folds each fit.
constexpr uint32_t kMaxLines = 4 * kMaxHeaders;

Scanner DetectScanner() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2")) {
    return Scanner::kAvx2;
  }
  return Scanner::kSse2;
#else
  return Scanner::kScalar;
#endif
}

const Scanner detected_scanner = DetectScanner();

internal::ScanLinesFn KernelFor(Scanner s) {
#if defined(__x86_64__)
  switch (s) {
    case Scanner::kAvx2:
      return internal::ScanLinesAvx2;
    case Scanner::kSse2:
      return internal::ScanLinesSse2;
    case Scanner::kScalar:
      break;
  }
#else
  (void)s;
#endif
  return internal::ScanLinesScalar;
}

// Why a tokenize step failed and where; kOk with at == nullptr when it did not.
struct Fail {
  ParseError error;
  const char* at;
};
constexpr Fail kPass{ParseError::kOk, nullptr};

// Parses 1*DIGIT in [b, e). Sets `value` (saturating at `cap` + 1, so callers can tell "too
// large" without overflow) and returns the first non-digit, or b when there is no digit.
const char* ParseDigits(const char* b, const char* e, uint64_t cap, uint64_t& value) {
  uint64_t v = 0;
  const char* q = b;
  while (q < e && IsDigit(*q)) {
    if (v <= cap) {
      v = v * 10 + static_cast<uint64_t>(*q - '0');
    }
    ++q;
  }
  value = v > cap ? cap + 1 : v;
  return q;
}

// SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT (RFC 3261 §25.1; literals are case-insensitive).
Fail ParseVersion(const char* b, const char* e) {
  if (e - b < 7 || charset::ToLower(b[0]) != 's' || charset::ToLower(b[1]) != 'i' ||
      charset::ToLower(b[2]) != 'p' || b[3] != '/') {
    return {ParseError::kBadVersion, b};
  }
  uint64_t major = 0;
  uint64_t minor = 0;
  const char* q = ParseDigits(b + 4, e, 1000, major);
  if (q == b + 4 || q == e || *q != '.') {
    return {ParseError::kBadVersion, q};
  }
  const char* m = q + 1;
  q = ParseDigits(m, e, 1000, minor);
  if (q == m || q != e) {
    return {ParseError::kBadVersion, q};
  }
  if (major != 2 || minor != 0) {
    return {ParseError::kUnsupportedVersion, b};
  }
  return kPass;
}

// The first byte in [b, e) that is a CTL, SP or DEL (<= 0x20 or 0x7f), or e. Reads whole 16-byte
// blocks, up to 15 bytes past e (the input padding covers them).
const char* FindCtlOrSpace(const char* b, const char* e) {
#if defined(__SSE2__)
  const __m128i space = _mm_set1_epi8(0x20);
  const __m128i del = _mm_set1_epi8(0x7f);
  for (; b < e; b += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b));
    const __m128i bad =
        _mm_or_si128(_mm_cmpeq_epi8(_mm_max_epu8(v, space), space), _mm_cmpeq_epi8(v, del));
    auto bits = static_cast<uint32_t>(_mm_movemask_epi8(bad));
    if (e - b < 16) {
      bits &= (1u << (e - b)) - 1;
    }
    if (bits != 0) {
      return b + __builtin_ctz(bits);
    }
  }
  return e;
#else
  for (; b < e; ++b) {
    const auto c = static_cast<unsigned char>(*b);
    if (c <= 0x20 || c == 0x7f) {
      return b;
    }
  }
  return e;
#endif
}

// Eight bytes at `p` as a little-endian word, to compare with Word8 of a literal.
inline uint64_t Load8(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

constexpr uint64_t Word8(const char (&s)[9]) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) {
    v = v << 8 | static_cast<unsigned char>(s[i]);
  }
  return v;
}

// Request-Line = Method SP Request-URI SP SIP-Version CRLF; exactly one SP between elements
// (RFC 4475 §3.1.2.x lwsstart and trws are rejected, not guessed at). `e` is the line's CR, so
// eight bytes from `b` are readable.
Fail ParseRequestLine(const char* b, const char* e, Message& msg) {
  const char* q = b;
  if (Load8(b) == Word8("REGISTER") && b[8] == ' ') {
    q = b + 8;  // the fast path's method, without the token loop
    msg.method = Method::kRegister;
  } else {
    while (q < e && Is(*q, charset::kToken)) {
      ++q;
    }
    if (q == b || q == e || *q != ' ') {
      return {ParseError::kBadMethod, q};
    }
    msg.method = ClassifyMethod(std::string_view(b, static_cast<std::size_t>(q - b)));
  }
  msg.method_name = std::string_view(b, static_cast<std::size_t>(q - b));
  const char* uri = q + 1;
  if (e - uri >= 9 && Load8(e - 8) == Word8(" SIP/2.0")) {
    // The usual version, checked as one word; anything else takes the general path below.
    if (const char* u = FindCtlOrSpace(uri, e - 8); u != e - 8) {
      return {ParseError::kBadRequestUri, u};
    }
    msg.request_uri = std::string_view(uri, static_cast<std::size_t>(e - 8 - uri));
    return kPass;
  }
  if (IsWsp(e[-1])) {
    return {ParseError::kBadRequestLine, e - 1};
  }
  const char* last_sp = e - 1;
  while (last_sp > q && *last_sp != ' ') {
    --last_sp;
  }
  if (last_sp == q) {
    return {ParseError::kBadVersion, e};  // no SIP-Version at all
  }
  if (uri == last_sp) {
    return {ParseError::kBadRequestUri, uri};
  }
  if (const char* u = FindCtlOrSpace(uri, last_sp); u != last_sp) {
    return {ParseError::kBadRequestUri, u};
  }
  msg.request_uri = std::string_view(uri, static_cast<std::size_t>(last_sp - uri));
  return ParseVersion(last_sp + 1, e);
}

// Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF. A missing " Reason-Phrase"
// is tolerated: the code alone is unambiguous.
Fail ParseStatusLine(const char* b, const char* e, Message& msg) {
  const char* sp = static_cast<const char*>(std::memchr(b, ' ', static_cast<std::size_t>(e - b)));
  if (sp == nullptr) {
    return {ParseError::kBadStatusLine, e};
  }
  if (Fail f = ParseVersion(b, sp); f.error != ParseError::kOk) {
    return f;
  }
  const char* code = sp + 1;
  uint64_t value = 0;
  const char* q = ParseDigits(code, e, 999, value);
  if (q - code != 3 || value < 100 || value > 699 || (q < e && *q != ' ')) {
    return {ParseError::kBadStatusCode, code};
  }
  msg.status_code = static_cast<uint16_t>(value);
  const char* reason = q < e ? q + 1 : e;
  for (const char* r = reason; r < e; ++r) {
    const auto c = static_cast<unsigned char>(*r);
    if ((c < 0x20 && c != '\t') || c == 0x7f) {
      return {ParseError::kBadReasonPhrase, r};
    }
  }
  msg.reason_phrase = std::string_view(reason, static_cast<std::size_t>(e - reason));
  return kPass;
}

// word: whole 16-byte runs inside [q, e) at a time (no padding is assumed), then bytewise.
// Within %x21-7E, word excludes only # $ & , ; = @ ^ |.
const char* ScanWord(const char* q, const char* e) {
#if defined(__SSE2__)
  for (; e - q >= 16; q += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
    // v - 0x21 <= 0x5d unsigned: %x21-7E.
    const __m128i d = _mm_sub_epi8(v, _mm_set1_epi8(0x21));
    const __m128i printable = _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(0x5d)), d);
    auto eq = [v](char c) { return _mm_cmpeq_epi8(v, _mm_set1_epi8(c)); };
    const __m128i excluded = _mm_or_si128(
        _mm_or_si128(_mm_or_si128(eq('#'), eq('$')), _mm_or_si128(eq('&'), eq(','))),
        _mm_or_si128(_mm_or_si128(_mm_or_si128(eq(';'), eq('=')), _mm_or_si128(eq('@'), eq('^'))),
                     eq('|')));
    const auto ok = static_cast<uint32_t>(_mm_movemask_epi8(_mm_andnot_si128(excluded, printable)));
    if (ok != 0xffffu) {
      return q + __builtin_ctz(~ok);
    }
  }
#endif
  while (q < e && Is(*q, charset::kWord)) {
    ++q;
  }
  return q;
}

// callid = word [ "@" word ]
Fail ParseCallId(std::string_view v) {
  const char* b = v.data();
  const char* e = b + v.size();
  const char* q = ScanWord(b, e);
  if (q == b) {
    return {ParseError::kBadCallId, q};
  }
  if (q < e && *q == '@') {
    const char* w = ++q;
    q = ScanWord(q, e);
    if (q == w) {
      return {ParseError::kBadCallId, q};
    }
  }
  return q == e ? kPass : Fail{ParseError::kBadCallId, q};
}

// CSeq = 1*DIGIT LWS Method; the number must fit 32 bits (RFC 3261 §8.1.1.5).
Fail ParseCSeq(std::string_view v, const Message& msg, CSeq& out) {
  const char* b = v.data();
  const char* e = b + v.size();
  uint64_t seq = 0;
  const char* q = ParseDigits(b, e, 0xffffffffu, seq);
  if (q == b || seq > 0xffffffffu) {
    return {ParseError::kBadCSeq, b};  // no number, or one beyond 2^32-1
  }
  if (q == e || !charset::IsLws(*q)) {
    return {ParseError::kBadCSeq, q};
  }
  while (q < e && charset::IsLws(*q)) {
    ++q;
  }
  const char* m = q;
  const std::string_view method_name(m, static_cast<std::size_t>(e - m));
  if (msg.kind == MessageKind::kRequest && method_name == msg.method_name) {
    out = CSeq{static_cast<uint32_t>(seq), msg.method, method_name};  // a checked token already
    return kPass;
  }
  while (q < e && Is(*q, charset::kToken)) {
    ++q;
  }
  if (q == m || q != e) {
    return {ParseError::kBadCSeq, q};
  }
  if (msg.kind == MessageKind::kRequest) {
    return {ParseError::kCSeqMethodMismatch, m};
  }
  out = CSeq{static_cast<uint32_t>(seq), ClassifyMethod(method_name), method_name};
  return kPass;
}

// 1*DIGIT with an upper bound above which the value is ignored (kAbsent) rather than rejected,
// as RFC 4475 §3.1.2.x (scalar02) allows for Max-Forwards and Expires.
Fail ParseBoundedScalar(std::string_view v, uint64_t max, ParseError error, int64_t& out) {
  const char* b = v.data();
  const char* e = b + v.size();
  uint64_t value = 0;
  const char* q = ParseDigits(b, e, max, value);
  if (q == b || q != e) {
    return {error, q};
  }
  out = value > max ? kAbsent : static_cast<int64_t>(value);
  return kPass;
}

// The colon ending a header name when it is the first byte at `b` that is ':' or <= 0x20 (SP,
// HT, CR, LF, CTL), within 32 bytes; nullptr otherwise. A field's CR ends the search, so the colon
// is inside the field. Reads up to 32 bytes at `b` (the input padding covers them).
const char* FindNameColon(const char* b) {
#if defined(__SSE2__)
  const __m128i colon = _mm_set1_epi8(':');
  const __m128i space = _mm_set1_epi8(0x20);
  for (int k = 0; k < 2; ++k, b += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b));
    const __m128i c = _mm_cmpeq_epi8(v, colon);
    // max(v, 0x20) == 0x20 exactly when v <= 0x20 (unsigned).
    const __m128i stop = _mm_or_si128(c, _mm_cmpeq_epi8(_mm_max_epu8(v, space), space));
    const auto stops = static_cast<uint32_t>(_mm_movemask_epi8(stop));
    if (stops != 0) {
      const auto colons = static_cast<uint32_t>(_mm_movemask_epi8(c));
      return (colons & stops & -stops) != 0 ? b + __builtin_ctz(stops) : nullptr;
    }
  }
  return nullptr;
#else
  (void)b;
  return nullptr;
#endif
}

// Returns the first byte that breaks CRLF line structure in [b, e): a CR not followed by LF or
// an LF not preceded by CR. Only called once stage 1 found one.
const char* FindBadLineEnding(const char* b, const char* e) {
  for (const char* q = b; q < e; ++q) {
    if (*q == '\r' && (q + 1 >= e || q[1] != '\n')) {
      return q;
    }
    if (*q == '\n' && (q == b || q[-1] != '\r')) {
      return q;
    }
  }
  return e;
}

}  // namespace

Method ClassifyMethod(std::string_view t) {
  switch (t.size()) {
    case 3:
      if (t == "ACK") {
        return Method::kAck;
      }
      if (t == "BYE") {
        return Method::kBye;
      }
      break;
    case 4:
      if (t == "INFO") {
        return Method::kInfo;
      }
      break;
    case 5:
      if (t == "PRACK") {
        return Method::kPrack;
      }
      if (t == "REFER") {
        return Method::kRefer;
      }
      break;
    case 6:
      if (t == "INVITE") {
        return Method::kInvite;
      }
      if (t == "CANCEL") {
        return Method::kCancel;
      }
      if (t == "NOTIFY") {
        return Method::kNotify;
      }
      if (t == "UPDATE") {
        return Method::kUpdate;
      }
      break;
    case 7:
      if (t == "OPTIONS") {
        return Method::kOptions;
      }
      if (t == "PUBLISH") {
        return Method::kPublish;
      }
      if (t == "MESSAGE") {
        return Method::kMessage;
      }
      break;
    case 8:
      if (t == "REGISTER") {
        return Method::kRegister;
      }
      break;
    case 9:
      if (t == "SUBSCRIBE") {
        return Method::kSubscribe;
      }
      break;
    default:
      break;
  }
  return Method::kExtension;
}

bool ScannerSupported(Scanner s) {
#if defined(__x86_64__)
  return s != Scanner::kAvx2 || detected_scanner == Scanner::kAvx2;
#else
  return s == Scanner::kScalar;
#endif
}

Scanner DefaultScanner() { return detected_scanner; }

std::string_view ScannerName(Scanner s) {
  switch (s) {
    case Scanner::kScalar:
      return "scalar";
    case Scanner::kSse2:
      return "sse2";
    case Scanner::kAvx2:
      return "avx2";
  }
  return "?";
}

ParseError Tokenize(PaddedView in, Framing framing, Message& msg, std::size_t max_size,
                    Scanner scanner) {
  const char* p = in.data();
  const std::size_t n = in.size();
  msg.base = p;
  msg.size = 0;
  msg.error_offset = 0;
  auto fail = [&msg](ParseError e, const char* at) {
    msg.error_offset = msg.OffsetOf(at);
    return e;
  };

  // Leading CRLFs: RFC 3261 §7.5 on streams; also tolerated on datagrams. On a stream they are
  // RFC 5626 keepalives, consumed one ping ("\r\n\r\n") or pong ("\r\n") at a time.
  std::size_t start = 0;
  if (framing == Framing::kStream) {
    if (n == 0) {
      return ParseError::kIncomplete;
    }
    if (p[0] == '\r' || p[0] == '\n') {
      if (p[0] == '\n') {
        return fail(ParseError::kBadLineEnding, p);
      }
      if (n < 2) {
        return ParseError::kIncomplete;
      }
      if (p[1] != '\n') {
        return fail(ParseError::kBadLineEnding, p);
      }
      if (n >= 3 && p[2] != '\r') {
        msg.size = 2;
        return ParseError::kKeepalive;
      }
      if (n < 4) {
        return ParseError::kIncomplete;
      }
      if (p[3] != '\n') {
        return fail(ParseError::kBadLineEnding, p + 2);
      }
      msg.size = 4;
      return ParseError::kKeepalive;
    }
  } else {
    if (n > max_size) {
      return fail(ParseError::kMessageTooLarge, p + max_size);
    }
    while (start + 1 < n && p[start] == '\r' && p[start + 1] == '\n') {
      start += 2;
    }
    if (start == n) {
      msg.size = static_cast<uint32_t>(n);
      return ParseError::kKeepalive;
    }
    if (p[start] == '\r' || p[start] == '\n') {
      return fail(ParseError::kBadLineEnding, p + start);
    }
  }

  // Stage 1: line ends of the header section.
  const std::size_t scan_len = n < max_size ? n : max_size;
  uint32_t lfs[kMaxLines];
  const internal::LineScan s = KernelFor(scanner)(p, static_cast<uint32_t>(start),
                                                  static_cast<uint32_t>(scan_len), lfs, kMaxLines);
  if (!s.found_end) {
    if (s.lf_count == kMaxLines) {
      return fail(ParseError::kTooManyHeaders, p + lfs[kMaxLines - 1]);
    }
    if (framing == Framing::kStream) {
      for (uint32_t i = 0; i < s.lf_count; ++i) {
        if (p[lfs[i] - 1] != '\r') {
          return fail(ParseError::kBadLineEnding, p + lfs[i]);
        }
      }
      if (n >= max_size) {
        return fail(ParseError::kMessageTooLarge, p + max_size);
      }
      return ParseError::kIncomplete;
    }
    if (s.lf_count == 0) {
      return fail(ParseError::kMissingHeaderEnd, p + n);
    }
  }
  // Every LF has a CR before it and there are as many CRs as LFs: so every CR has its LF.
  if (SIPFRONT_UNLIKELY(s.bare_lf || s.cr_count != s.lf_count)) {
    // Without the empty line the kernels counted CRs up to scan_len, past the last LF.
    const char* counted_end = s.found_end ? p + lfs[s.lf_count - 1] + 1 : p + scan_len;
    return fail(ParseError::kBadLineEnding, FindBadLineEnding(p + start, counted_end));
  }

  // Start line.
  const char* line = p + start;
  const char* line_end = p + lfs[0];
  if (line_end[-1] != '\r') {
    return fail(ParseError::kBadLineEnding, line_end);
  }
  --line_end;
  const bool is_response = line_end - line >= 4 && charset::ToLower(line[0]) == 's' &&
                           charset::ToLower(line[1]) == 'i' && charset::ToLower(line[2]) == 'p' &&
                           line[3] == '/';
  msg.kind = is_response ? MessageKind::kResponse : MessageKind::kRequest;
  msg.method = Method::kExtension;
  msg.method_name = {};
  msg.request_uri = {};
  msg.status_code = 0;
  msg.reason_phrase = {};
  const Fail start_line =
      is_response ? ParseStatusLine(line, line_end, msg) : ParseRequestLine(line, line_end, msg);
  if (start_line.error != ParseError::kOk) {
    return fail(start_line.error, start_line.at);
  }

  // Header fields: lines [1, header_lines); with found_end the last LF ends the empty line.
  msg.header_count = 0;
  std::memset(msg.first, kNoHeader, sizeof(msg.first));
  std::memset(msg.count, 0, sizeof(msg.count));
  uint8_t last[kHeaderIdCount];
  msg.call_id = {};
  msg.cseq = CSeq{0, Method::kExtension, {}};
  msg.max_forwards = kAbsent;
  msg.expires = kAbsent;
  msg.content_length = kAbsent;
  const uint32_t header_lines = s.found_end ? s.lf_count - 1 : s.lf_count;
  // Only the first field can start with LWS: any later such line continues the field before.
  if (header_lines > 1 && IsWsp(p[lfs[0] + 1])) {
    return fail(ParseError::kBadHeaderName, p + lfs[0] + 1);  // nothing to continue
  }
  uint32_t li = 1;
  const char* next = p + lfs[0] + 1;  // the first byte of line li
  while (li < header_lines) {
    const char* b = next;
    // The field's lines: this one plus each next one that starts with LWS. Each ends in CRLF:
    // stage 1 checked that. A line usually starts with a name or, after the last field, with
    // the empty line's CR: one compare tells those from LWS.
    uint32_t last_line = li;
    next = p + lfs[li] + 1;
    if (SIPFRONT_UNLIKELY(static_cast<unsigned char>(*next) <= 0x20)) {
      while (last_line + 1 < header_lines && IsWsp(p[lfs[last_line] + 1])) {
        ++last_line;
      }
      next = p + lfs[last_line] + 1;
    }
    const char* e = next - 2;  // the CR ending the field
    const bool folded = last_line != li;
    li = last_line + 1;

    // Name. Usually "Known-Name:": the colon is found by one vector compare and a known name is
    // made of letters and '-' only (header_id.cc), so it needs no byte-by-byte token check and
    // the colon follows it directly. Anything else (unknown names, LWS before the colon, bad
    // bytes) takes the byte loop.
    const char* q = FindNameColon(b);
    HeaderId id = HeaderId::kOther;
    const char* name_end = q;
    if (q != nullptr) {
      id = internal::ClassifyHeaderPadded(b, static_cast<std::size_t>(q - b));
    }
    if (SIPFRONT_LIKELY(id != HeaderId::kOther)) {
      ++q;
    } else {
      const char* colon = q;
      q = b;
      while (q < e && Is(*q, charset::kToken)) {
        ++q;
      }
      name_end = q;
      if (name_end == b) {
        return fail(ParseError::kBadHeaderName, b);
      }
      while (q < e && IsWsp(*q)) {
        ++q;
      }
      if (q == e || *q != ':') {
        return fail(q == name_end && q < e ? ParseError::kBadHeaderName : ParseError::kMissingColon,
                    q);
      }
      ++q;
      if (name_end != colon) {
        id = internal::ClassifyHeaderPadded(b, static_cast<std::size_t>(name_end - b));
      }
    }
    // Value: LWS-trimmed. Mostly one SP after the colon and a printable byte at either end.
    if (SIPFRONT_LIKELY(*q == ' ' && static_cast<unsigned char>(q[1]) > 0x20)) {
      ++q;
    } else {
      while (q < e && charset::IsLws(*q)) {
        ++q;
      }
    }
    const char* ve = e;
    if (static_cast<unsigned char>(ve[-1]) <= 0x20) {
      while (ve > q && charset::IsLws(ve[-1])) {
        --ve;
      }
    }
    if (msg.header_count == kMaxHeaders) {
      return fail(ParseError::kTooManyHeaders, b);
    }
    const std::string_view value(q, static_cast<std::size_t>(ve - q));
    const auto idx = static_cast<uint8_t>(msg.header_count++);
    Header& h = msg.headers[idx];
    h.name = std::string_view(b, static_cast<std::size_t>(name_end - b));
    h.value = value;
    h.id = id;
    h.next = kNoHeader;
    h.folded = folded;
    const auto slot = static_cast<std::size_t>(id);
    ++msg.count[slot];
    if (id == HeaderId::kOther) {
      continue;
    }
    const bool first = msg.first[slot] == kNoHeader;
    if (first) {
      msg.first[slot] = idx;
    } else {
      msg.headers[last[slot]].next = idx;
    }
    last[slot] = idx;

    Fail f = kPass;
    switch (id) {
      case HeaderId::kCallId:
        f = ParseCallId(value);
        if (first) {
          msg.call_id = value;
        }
        break;
      case HeaderId::kCSeq: {
        CSeq cseq{};
        f = ParseCSeq(value, msg, cseq);
        if (first) {
          msg.cseq = cseq;
        }
        break;
      }
      case HeaderId::kMaxForwards: {
        int64_t v = kAbsent;
        f = ParseBoundedScalar(value, 255, ParseError::kBadMaxForwards, v);
        if (first) {
          msg.max_forwards = v;
        }
        break;
      }
      case HeaderId::kExpires: {
        int64_t v = kAbsent;
        f = ParseBoundedScalar(value, 0xffffffffu, ParseError::kBadExpires, v);
        if (first) {
          msg.expires = v;
        }
        break;
      }
      case HeaderId::kContentLength: {
        uint64_t v = 0;
        const char* end = ParseDigits(q, ve, 0xffffffffu, v);
        if (end == q || end != ve || v > 0xffffffffu) {
          f = {ParseError::kBadContentLength, end == ve ? q : end};
        } else if (!first && static_cast<uint64_t>(msg.content_length) != v) {
          f = {ParseError::kConflictingContentLength, q};
        } else {
          msg.content_length = static_cast<int64_t>(v);
        }
        break;
      }
      default:
        break;
    }
    if (f.error != ParseError::kOk) {
      return fail(f.error, f.at);
    }
  }

  if (!s.found_end) {
    return fail(ParseError::kMissingHeaderEnd, p + n);  // datagram; streams returned above
  }

  // Framing (RFC 3261 §18.3).
  const std::size_t body_start = lfs[s.lf_count - 1] + 1;
  std::size_t body_len = 0;
  if (msg.content_length != kAbsent) {
    body_len = static_cast<std::size_t>(msg.content_length);
    const std::size_t total = body_start + body_len;
    if (framing == Framing::kStream) {
      if (total > max_size) {
        return fail(ParseError::kMessageTooLarge, p + body_start);
      }
      if (total > n) {
        msg.size = static_cast<uint32_t>(total);
        return ParseError::kIncomplete;
      }
    } else if (total > n) {
      return fail(ParseError::kBodyTruncated, p + n);
    }
  } else if (framing == Framing::kStream) {
    return fail(ParseError::kMissingContentLength, p + body_start);
  } else {
    body_len = n - body_start;
  }
  msg.body = std::string_view(p + body_start, body_len);
  msg.size = static_cast<uint32_t>(body_start + body_len);
  return ParseError::kOk;
}

}  // namespace sipfront::sip
