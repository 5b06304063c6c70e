// libFuzzer target: Tokenize() and every parser that runs on a tokenized message.
//
// Each input is one receive buffer. It is tokenized as a datagram and as a stream, with every
// Scanner the CPU supports and with two different paddings, then validated and taken apart
// with the header parsers. A violated property traps (__builtin_trap), so libFuzzer saves the
// input as crash-*; sanitizer reports (ASan, UBSan with -fno-sanitize-recover) do the same.
//
// Properties:
//   1. no crash, no sanitizer report, no read past the kPadding bytes after the input (the
//      buffer is a heap block of exactly size + kPadding bytes);
//   2. spans: for kOk every view in the Message and in each parsed struct (Uri, NameAddr,
//      Via, Contact, FromTo, Credentials, RegisterFields, Param) lies inside the bytes it was
//      parsed from, which lie inside [input, input + msg.size); msg.size <= input size; error
//      offsets and ParseStatus::at point inside the input, kBadLineEnding at a CR or LF;
//   3. differential: every supported Scanner, over either padding, gives the same result as
//      Scanner::kScalar (error, error_offset, size, header_count; the whole Message on kOk),
//      so padding bytes never count and the SIMD kernels agree with the reference;
//   4. stream consistency: a datagram that tokenizes kOk with Content-Length is, on a stream,
//      kOk with the same size (and the converse); every shorter prefix is kIncomplete (with
//      the total size once the header section is complete); a max_size one byte short of the
//      message gives kMessageTooLarge; without Content-Length a stream reports
//      kMissingContentLength;
//   5. parser agreement: ValidateMessage() kOk implies every per-value parse here is kOk, and
//      ValidateMessage() + CheckRequest() kOk on a REGISTER implies ParseRegister() fails only
//      for the Contact rules ValidateMessage() does not apply.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string_view>

#include "sipfront/base/padded_view.h"
#include "sipfront/sip/headers.h"
#include "sipfront/sip/message.h"
#include "sipfront/sip/uri.h"

#include "buffers.h"

#define SIPFRONT_FUZZ_CHECK(cond)                 \
  do {                                            \
    if (!(cond)) {                                \
      ::sipfront::sip::Violated(#cond, __LINE__); \
    }                                             \
  } while (0)

namespace sipfront::sip {
namespace {

[[noreturn]] void Violated(const char* what, int line) {
  std::fprintf(stderr, "tokenizer_fuzz.cc:%d: property violated: %s\n", line, what);
  __builtin_trap();
}

// A heap copy of the input followed by exactly kPadding bytes of `padding` (repeated), so ASan
// reports any read beyond the padding and the padding content is under our control.
class Buffer {
 public:
  Buffer(const uint8_t* data, std::size_t size, std::string_view padding)
      : buf_(std::make_unique<char[]>(size + kPadding)), size_(size) {
    if (size != 0) {
      std::memcpy(buf_.get(), data, size);
    }
    for (std::size_t i = 0; i < kPadding; ++i) {
      buf_[size + i] = padding[i % padding.size()];
    }
  }
  [[nodiscard]] PaddedView view() const { return {buf_.get(), size_, size_ + kPadding}; }

 private:
  std::unique_ptr<char[]> buf_;
  std::size_t size_;
};

// Padding A is testlib's hostile pattern ("\r\n\r\n", a header, ':' and delimiters); padding
// B swaps every byte of A for CR or LF so it differs from A at every position.
constexpr std::string_view kPaddingA = testing::kHostilePadding;
constexpr auto kPaddingB = [] {
  std::array<char, testing::kHostilePadding.size()> b{};
  for (std::size_t i = 0; i < b.size(); ++i) {
    b[i] = testing::kHostilePadding[i] == '\r' ? '\n' : '\r';
  }
  return b;
}();

constexpr Scanner kScanners[] = {Scanner::kScalar, Scanner::kSse2, Scanner::kAvx2};

auto Addr(const char* p) { return reinterpret_cast<uintptr_t>(p); }

// `v` lies inside [lo, hi). An empty view may sit at hi; a null view must be empty.
bool Within(std::string_view v, const char* lo, const char* hi) {
  if (v.data() == nullptr) {
    return v.empty();
  }
  return Addr(v.data()) >= Addr(lo) && Addr(v.data()) <= Addr(hi) &&
         v.size() <= Addr(hi) - Addr(v.data());
}
bool Within(std::string_view v, std::string_view outer) {
  return Within(v, outer.data(), outer.data() + outer.size());
}
// A ParseStatus error position: inside `in` or at its end.
bool AtWithin(const char* at, std::string_view in) {
  return Addr(at) >= Addr(in.data()) && Addr(at) <= Addr(in.data()) + in.size();
}

// Offset of a view's start from `base` (-1 for a null view), for comparing two buffers.
int64_t Off(std::string_view v, const char* base) {
  return v.data() == nullptr ? -1 : static_cast<int64_t>(Addr(v.data()) - Addr(base));
}
bool SameSpan(std::string_view a, const char* base_a, std::string_view b, const char* base_b) {
  return a.size() == b.size() && Off(a, base_a) == Off(b, base_b);
}

void CheckParams(std::string_view params) {
  ParamIterator it(params);
  Param p;
  std::size_t n = 0;
  while (it.Next(p)) {
    SIPFRONT_FUZZ_CHECK(Within(p.name, params));
    SIPFRONT_FUZZ_CHECK(Within(p.value, params));
    SIPFRONT_FUZZ_CHECK(p.has_value || p.value.empty());
    SIPFRONT_FUZZ_CHECK(++n <= params.size());  // every Next() consumes at least one byte
  }
}

void CheckUri(const Uri& u, std::string_view in) {
  SIPFRONT_FUZZ_CHECK(u.raw.data() == in.data() && u.raw.size() == in.size());
  for (std::string_view v : {u.scheme, u.user, u.password, u.host, u.params, u.headers, u.opaque}) {
    SIPFRONT_FUZZ_CHECK(Within(v, in));
  }
  SIPFRONT_FUZZ_CHECK(!u.scheme.empty());
  if (u.kind == UriScheme::kSip || u.kind == UriScheme::kSips) {
    SIPFRONT_FUZZ_CHECK(!u.host.empty() && u.host_kind != HostKind::kNone);
  }
  CheckParams(u.params);
}

void CheckNameAddr(const NameAddr& na, std::string_view in) {
  SIPFRONT_FUZZ_CHECK(Within(na.display_name, in));
  SIPFRONT_FUZZ_CHECK(Within(na.params, in));
  SIPFRONT_FUZZ_CHECK(Within(na.uri.raw, in));
  CheckUri(na.uri, na.uri.raw);
  CheckParams(na.params);
}

void CheckFromTo(const FromTo& ft, std::string_view in) {
  CheckNameAddr(ft.addr, in);
  SIPFRONT_FUZZ_CHECK(Within(ft.tag, ft.addr.params));
}

void CheckVia(const Via& v, std::string_view in) {
  for (std::string_view s : {v.protocol_name, v.protocol_version, v.transport, v.host, v.branch,
                             v.received, v.rport, v.maddr, v.params}) {
    SIPFRONT_FUZZ_CHECK(Within(s, in));
  }
  SIPFRONT_FUZZ_CHECK(!v.host.empty() && v.host_kind != HostKind::kNone);
  for (std::string_view s : {v.branch, v.received, v.rport, v.maddr}) {
    SIPFRONT_FUZZ_CHECK(Within(s, v.params));
  }
  SIPFRONT_FUZZ_CHECK(v.ttl >= -1 && v.ttl <= 255);
  CheckParams(v.params);
}

void CheckContact(const Contact& c, std::string_view in) {
  CheckNameAddr(c.addr, in);
  for (std::string_view s : {c.q, c.instance, c.reg_id}) {
    SIPFRONT_FUZZ_CHECK(Within(s, c.addr.params));
  }
  SIPFRONT_FUZZ_CHECK(c.expires == kAbsent || (c.expires >= 0 && c.expires <= 0xffffffffLL));
}

void CheckCredentials(const Credentials& c, std::string_view in) {
  SIPFRONT_FUZZ_CHECK(Within(c.scheme, in));
  SIPFRONT_FUZZ_CHECK(Within(c.params, in));
  for (std::string_view s : {c.username, c.realm, c.nonce, c.uri, c.response, c.algorithm, c.cnonce,
                             c.opaque, c.qop, c.nc}) {
    SIPFRONT_FUZZ_CHECK(Within(s, c.params));
  }
}

// Runs `parse` on `in`: on success checks the spans, on failure checks the error position.
// Returns whether it succeeded.
template <class Parse>
bool ParseChecked(std::string_view in, Parse&& parse) {
  const ParseStatus st = parse(in);
  if (!st.ok()) {
    SIPFRONT_FUZZ_CHECK(st.error != ParseError::kIncomplete && st.error != ParseError::kKeepalive);
    SIPFRONT_FUZZ_CHECK(AtWithin(st.at, in));
  }
  return st.ok();
}

// Property 2 for a Message from a kOk Tokenize over `in`.
void CheckMessageSpans(const Message& m, PaddedView in) {
  SIPFRONT_FUZZ_CHECK(m.base == in.data());
  SIPFRONT_FUZZ_CHECK(m.size <= in.size());
  const char* lo = m.base;
  const char* hi = m.base + m.size;
  for (std::string_view v :
       {m.method_name, m.request_uri, m.reason_phrase, m.call_id, m.cseq.method_name, m.body}) {
    SIPFRONT_FUZZ_CHECK(Within(v, lo, hi));
  }
  SIPFRONT_FUZZ_CHECK(m.header_count <= kMaxHeaders);
  for (std::size_t i = 0; i < m.header_count; ++i) {
    const Header& h = m.headers[i];
    SIPFRONT_FUZZ_CHECK(!h.name.empty() && Within(h.name, lo, hi));
    SIPFRONT_FUZZ_CHECK(Within(h.value, lo, hi));
    SIPFRONT_FUZZ_CHECK(h.id == ClassifyHeader(h.name));
    SIPFRONT_FUZZ_CHECK(h.next == kNoHeader || (h.next > i && h.next < m.header_count));
  }
  for (std::size_t id = 0; id < kHeaderIdCount; ++id) {
    std::size_t n = 0;
    for (const Header* h = m.Find(static_cast<HeaderId>(id)); h != nullptr; h = m.Next(*h)) {
      SIPFRONT_FUZZ_CHECK(static_cast<std::size_t>(h->id) == id);
      ++n;
    }
    if (id != static_cast<std::size_t>(HeaderId::kOther)) {
      SIPFRONT_FUZZ_CHECK(n == m.count[id]);
    }
  }
  if (m.kind == MessageKind::kRequest) {
    SIPFRONT_FUZZ_CHECK(!m.method_name.empty() && !m.request_uri.empty());
    SIPFRONT_FUZZ_CHECK(m.method == ClassifyMethod(m.method_name));
  } else {
    SIPFRONT_FUZZ_CHECK(m.status_code >= 100 && m.status_code <= 699);
  }
  if (m.content_length != kAbsent) {
    SIPFRONT_FUZZ_CHECK(m.body.size() == static_cast<uint64_t>(m.content_length));
  }
  SIPFRONT_FUZZ_CHECK(m.body.data() + m.body.size() == hi);
}

// Property 3: `b` matches the reference `a`; views compare by offset from each base.
void CheckSameResult(ParseError ea, const Message& a, ParseError eb, const Message& b) {
  SIPFRONT_FUZZ_CHECK(ea == eb);
  SIPFRONT_FUZZ_CHECK(a.error_offset == b.error_offset);
  SIPFRONT_FUZZ_CHECK(a.size == b.size);
  SIPFRONT_FUZZ_CHECK(a.header_count == b.header_count);
  if (ea != ParseError::kOk) {
    return;
  }
  const char* ba = a.base;
  const char* bb = b.base;
  SIPFRONT_FUZZ_CHECK(a.kind == b.kind && a.method == b.method && a.status_code == b.status_code);
  SIPFRONT_FUZZ_CHECK(SameSpan(a.method_name, ba, b.method_name, bb));
  SIPFRONT_FUZZ_CHECK(SameSpan(a.request_uri, ba, b.request_uri, bb));
  SIPFRONT_FUZZ_CHECK(SameSpan(a.reason_phrase, ba, b.reason_phrase, bb));
  SIPFRONT_FUZZ_CHECK(SameSpan(a.call_id, ba, b.call_id, bb));
  SIPFRONT_FUZZ_CHECK(SameSpan(a.body, ba, b.body, bb));
  SIPFRONT_FUZZ_CHECK(a.cseq.seq == b.cseq.seq && a.cseq.method == b.cseq.method);
  SIPFRONT_FUZZ_CHECK(SameSpan(a.cseq.method_name, ba, b.cseq.method_name, bb));
  SIPFRONT_FUZZ_CHECK(a.max_forwards == b.max_forwards && a.expires == b.expires &&
                      a.content_length == b.content_length);
  SIPFRONT_FUZZ_CHECK(std::memcmp(a.first, b.first, sizeof(a.first)) == 0);
  SIPFRONT_FUZZ_CHECK(std::memcmp(a.count, b.count, sizeof(a.count)) == 0);
  for (std::size_t i = 0; i < a.header_count; ++i) {
    const Header& ha = a.headers[i];
    const Header& hb = b.headers[i];
    SIPFRONT_FUZZ_CHECK(SameSpan(ha.name, ba, hb.name, bb));
    SIPFRONT_FUZZ_CHECK(SameSpan(ha.value, ba, hb.value, bb));
    SIPFRONT_FUZZ_CHECK(ha.id == hb.id && ha.next == hb.next && ha.folded == hb.folded);
  }
}

// Error results other than "more bytes" and "keepalive" carry an offset inside the input.
void CheckErrorOffset(ParseError e, const Message& m, PaddedView in) {
  if (e != ParseError::kOk && e != ParseError::kIncomplete && e != ParseError::kKeepalive) {
    SIPFRONT_FUZZ_CHECK(m.error_offset <= in.size());
  }
  if (e == ParseError::kKeepalive) {
    SIPFRONT_FUZZ_CHECK(m.size <= in.size());
  }
  if (e == ParseError::kBadLineEnding) {
    // The offending byte is the bare CR or LF itself.
    SIPFRONT_FUZZ_CHECK(m.error_offset < in.size());
    const char c = in.data()[m.error_offset];
    SIPFRONT_FUZZ_CHECK(c == '\r' || c == '\n');
  }
}

ParseError TokenizeFresh(PaddedView in, Framing framing, Message& m, Scanner s) {
  std::memset(&m, 0, sizeof(m));  // fields an error leaves unspecified compare equal
  return Tokenize(in, framing, m, kMaxMessageSize, s);
}

// Properties 1 and 3 for one framing; returns the reference (scalar, padding A) result in `ref`.
ParseError TokenizeAll(const Buffer& a, const Buffer& b, Framing framing, Message& ref,
                       Message& scratch) {
  const ParseError ref_err = TokenizeFresh(a.view(), framing, ref, Scanner::kScalar);
  CheckErrorOffset(ref_err, ref, a.view());
  if (framing == Framing::kStream && ref_err == ParseError::kKeepalive) {
    SIPFRONT_FUZZ_CHECK(ref.size == 2 || ref.size == 4);  // RFC 5626 pong or ping
  }
  for (Scanner s : kScanners) {
    if (!ScannerSupported(s)) {
      continue;
    }
    for (const Buffer* buf : {&a, &b}) {
      if (s == Scanner::kScalar && buf == &a) {
        continue;
      }
      const ParseError e = TokenizeFresh(buf->view(), framing, scratch, s);
      CheckSameResult(ref_err, ref, e, scratch);
    }
  }
  return ref_err;
}

// Property 4. `dgram` is a kOk datagram result over `in`.
void CheckStream(const Message& dgram, PaddedView in, Message& m) {
  // A datagram skips leading CRLFs; a stream consumes them as keepalives first.
  std::size_t start = 0;
  while (start + 1 < in.size() && in.data()[start] == '\r' && in.data()[start + 1] == '\n') {
    start += 2;
  }
  const PaddedView s(in.data() + start, in.size() - start, in.capacity() - start);
  const std::size_t total = dgram.size - start;
  const ParseError e = Tokenize(s, Framing::kStream, m);
  if (dgram.content_length == kAbsent) {
    SIPFRONT_FUZZ_CHECK(e == ParseError::kMissingContentLength);
    return;
  }
  SIPFRONT_FUZZ_CHECK(e == ParseError::kOk);
  SIPFRONT_FUZZ_CHECK(m.size == total);
  SIPFRONT_FUZZ_CHECK(m.header_count == dgram.header_count);
  SIPFRONT_FUZZ_CHECK(m.body.data() == dgram.body.data() && m.body.size() == dgram.body.size());

  // max_size: a message of exactly the limit passes; one byte less is kMessageTooLarge, with
  // every scanner (the scan then stops short of the input's end).
  SIPFRONT_FUZZ_CHECK(Tokenize(s, Framing::kStream, m, total) == ParseError::kOk &&
                      m.size == total);
  for (Scanner sc : kScanners) {
    if (ScannerSupported(sc)) {
      SIPFRONT_FUZZ_CHECK(Tokenize(s, Framing::kStream, m, total - 1, sc) ==
                          ParseError::kMessageTooLarge);
    }
  }

  // Shorter prefixes: before the header section ends, the need is unknown (size 0); after it,
  // the need is the whole message.
  const std::size_t header_end = total - dgram.body.size();
  const std::size_t cuts[] = {0, 1, total / 2, header_end - 1, header_end, total - 1};
  for (std::size_t cut : cuts) {
    if (cut >= total) {
      continue;
    }
    const ParseError pe = Tokenize(s.Prefix(cut), Framing::kStream, m);
    SIPFRONT_FUZZ_CHECK(pe == ParseError::kIncomplete);
    SIPFRONT_FUZZ_CHECK(m.size == (cut >= header_end ? total : 0));
  }
}

// Parses every structured value in a kOk message (property 2 for each struct) and checks
// the agreement with ValidateMessage() (property 5). Returns whether all parses succeeded.
bool ParseEverything(const Message& m) {
  bool all_ok = true;
  if (m.kind == MessageKind::kRequest) {
    Uri uri;
    all_ok &= ParseChecked(m.request_uri, [&uri](std::string_view v) {
      const ParseStatus st = ParseUri(v, uri);
      if (st.ok()) {
        CheckUri(uri, v);
      }
      return st;
    });
  }
  std::string_view v;
  for (ValueIterator it(m, HeaderId::kVia); it.Next(v);) {
    all_ok &= ParseChecked(v, [](std::string_view in) {
      Via via;
      const ParseStatus st = ParseVia(in, via);
      if (st.ok()) {
        CheckVia(via, in);
      }
      return st;
    });
  }
  for (ValueIterator it(m, HeaderId::kContact); it.Next(v);) {
    if (IsContactStar(v)) {
      continue;
    }
    all_ok &= ParseChecked(v, [](std::string_view in) {
      Contact c;
      const ParseStatus st = ParseContact(in, c);
      if (st.ok()) {
        CheckContact(c, in);
      }
      return st;
    });
  }
  for (HeaderId id : {HeaderId::kRoute, HeaderId::kRecordRoute, HeaderId::kPath}) {
    for (ValueIterator it(m, id); it.Next(v);) {
      all_ok &= ParseChecked(v, [](std::string_view in) {
        NameAddr na;
        const ParseStatus st = ParseNameAddr(in, na, ParseError::kBadRoute, true);
        if (st.ok()) {
          CheckNameAddr(na, in);
          SIPFRONT_FUZZ_CHECK(na.angle_brackets);
        }
        return st;
      });
    }
  }
  for (HeaderId id : {HeaderId::kFrom, HeaderId::kTo}) {
    for (const Header* h = m.Find(id); h != nullptr; h = m.Next(*h)) {
      all_ok &= ParseChecked(h->value, [](std::string_view in) {
        FromTo ft;
        const ParseStatus st = ParseFromTo(in, ft, ParseError::kBadFrom);
        if (st.ok()) {
          CheckFromTo(ft, in);
        }
        return st;
      });
    }
  }
  for (HeaderId id : {HeaderId::kAuthorization, HeaderId::kProxyAuthorization}) {
    for (const Header* h = m.Find(id); h != nullptr; h = m.Next(*h)) {
      all_ok &= ParseChecked(h->value, [](std::string_view in) {
        Credentials c;
        const ParseStatus st = ParseCredentials(in, c, ParseError::kBadAuthorization);
        if (st.ok()) {
          CheckCredentials(c, in);
        }
        return st;
      });
    }
  }
  for (const Header* h = m.Find(HeaderId::kDate); h != nullptr; h = m.Next(*h)) {
    all_ok &= ParseChecked(h->value, [](std::string_view in) { return ParseDate(in); });
  }
  return all_ok;
}

void CheckRegister(const Message& m, bool valid, bool request_ok) {
  static RegisterFields r;  // ~8 KiB: keep it off the stack
  const ParseStatus st = ParseRegister(m, r);
  const std::string_view whole(m.base, m.size);
  if (!st.ok()) {
    SIPFRONT_FUZZ_CHECK(AtWithin(st.at, whole));
    if (valid && request_ok) {
      SIPFRONT_FUZZ_CHECK(st.error == ParseError::kTooManyContacts ||
                          st.error == ParseError::kBadContact);
    }
    return;
  }
  SIPFRONT_FUZZ_CHECK(request_ok);
  CheckUri(r.request_uri, m.request_uri);
  CheckFromTo(r.to, m.Find(HeaderId::kTo)->value);
  CheckFromTo(r.from, m.Find(HeaderId::kFrom)->value);
  CheckVia(r.top_via, m.Find(HeaderId::kVia)->value);
  SIPFRONT_FUZZ_CHECK(r.contact_count <= kMaxRegisterContacts);
  SIPFRONT_FUZZ_CHECK(!(r.contact_star && r.contact_count > 0));
  for (std::size_t i = 0; i < r.contact_count; ++i) {
    CheckContact(r.contacts[i], whole);
  }
  if (r.has_credentials) {
    CheckCredentials(r.credentials, m.Find(HeaderId::kAuthorization)->value);
  }
  // The registrar keys bindings by the To URI: the key must fit and never overrun.
  char key[256];
  const int64_t n = CanonicalAor(r.to.addr.uri, key, sizeof(key));
  SIPFRONT_FUZZ_CHECK(n <= static_cast<int64_t>(sizeof(key)));
}

// Reused across inputs: a Message is ~5 KiB and libFuzzer runs one input at a time.
struct State {
  Message ref;
  Message scratch;
};

}  // namespace
}  // namespace sipfront::sip

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using namespace sipfront::sip;  // NOLINT(google-build-using-namespace)
  static State* state = new State;
  const Buffer a(data, size, kPaddingA);
  const Buffer b(data, size, std::string_view(kPaddingB.data(), kPaddingB.size()));

  const ParseError se = TokenizeAll(a, b, Framing::kStream, state->ref, state->scratch);
  const uint32_t stream_size = state->ref.size;
  const ParseError e = TokenizeAll(a, b, Framing::kDatagram, state->ref, state->scratch);
  if (se == ParseError::kOk && size <= kMaxMessageSize) {
    // A whole message on a stream is a whole datagram too (the converse is CheckStream()).
    SIPFRONT_FUZZ_CHECK(e == ParseError::kOk && state->ref.size == stream_size);
  }
  if (e != ParseError::kOk) {
    return 0;
  }
  const Message& m = state->ref;
  CheckMessageSpans(m, a.view());
  CheckStream(m, a.view(), state->scratch);

  const ParseStatus valid = ValidateMessage(m);
  const std::string_view whole(m.base, m.size);
  if (!valid.ok()) {
    SIPFRONT_FUZZ_CHECK(AtWithin(valid.at, whole));
  }
  const bool all_ok = ParseEverything(m);
  if (valid.ok()) {
    SIPFRONT_FUZZ_CHECK(all_ok);
  }
  if (m.kind != MessageKind::kRequest) {
    return 0;
  }
  const ParseStatus req = CheckRequest(m);
  if (!req.ok()) {
    SIPFRONT_FUZZ_CHECK(AtWithin(req.at, whole));
  }
  if (m.method == Method::kRegister) {
    CheckRegister(m, valid.ok(), req.ok());
  }
  return 0;
}
