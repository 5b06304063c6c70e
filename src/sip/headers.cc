#include "sipfront/sip/headers.h"

#include <cstring>

#include "charset.h"
#include "lex.h"

namespace sipfront::sip {

using charset::IEquals;
using charset::Is;
using internal::IEqualsLowerWords;
using internal::ScanQuoted;
using internal::ScanToken;
using internal::SkipLws;
using internal::Span;

namespace {

bool AllOf(std::string_view s, uint32_t cls) {
  for (char c : s) {
    if (!Is(c, cls)) {
      return false;
    }
  }
  return !s.empty();
}

// gen-value = token / host / quoted-string (RFC 3261 §25.1). With `bare_ip`, also a bare
// IPv6address, which via-received allows (RFC 3261 §20.42, RFC 5118 §4.5).
const char* ScanGenValue(const char* q, const char* e, bool bare_ip) {
  if (q >= e) {
    return nullptr;
  }
  if (*q == '"') {
    return ScanQuoted(q, e);
  }
  if (*q == '[') {
    const char* close =
        static_cast<const char*>(std::memchr(q, ']', static_cast<std::size_t>(e - q)));
    return close != nullptr && internal::IsIPv6Address(q + 1, close) ? close + 1 : nullptr;
  }
  const char* end = q;
  if (bare_ip) {
    while (end < e && (Is(*end, charset::kHex) || *end == ':' || *end == '.')) {
      ++end;
    }
  } else {
    end = internal::ScanLongToken(q, e);
  }
  return end == q ? nullptr : end;
}

// *( SEMI generic-param ) from `q` to the end of the value. `on_param(name, value, has_value)`
// returns nullptr to accept a parameter or the offending byte. `raw` receives the span from
// the first parameter name to the end of the last parameter.
template <class OnParam>
ParseStatus ScanHeaderParams(const char* q, const char* e, ParseError err, bool via,
                             std::string_view& raw, OnParam&& on_param) {
  q = SkipLws(q, e);
  const char* first = nullptr;
  const char* last_end = q;
  while (q < e) {
    if (*q != ';') {
      return {err, q};
    }
    q = SkipLws(q + 1, e);
    const char* name = q;
    q = ScanToken(q, e);
    if (q == name) {
      return {err, name};
    }
    const std::string_view pname = Span(name, q);
    first = first == nullptr ? name : first;
    last_end = q;
    q = SkipLws(q, e);
    std::string_view value;
    bool has_value = false;
    if (q < e && *q == '=') {
      const char* v = SkipLws(q + 1, e);
      q = ScanGenValue(v, e, via && IEqualsLowerWords(pname, "received"));
      if (q == nullptr) {
        return {err, v};
      }
      value = Span(v, q);
      has_value = true;
      last_end = q;
    }
    if (const char* bad = on_param(pname, value, has_value); bad != nullptr) {
      return {err, bad};
    }
    q = SkipLws(q, e);
  }
  raw = first == nullptr ? std::string_view() : Span(first, last_end);
  return {};
}

// name-addr / addr-spec followed by header parameters (RFC 3261 §20.10 and §25.1).
template <class OnParam>
ParseStatus ParseNameAddrImpl(std::string_view value, NameAddr& out, ParseError err,
                              bool require_angle, OnParam&& on_param) {
  out.display_name = {};
  out.params = {};
  out.angle_brackets = false;
  const char* b = value.data();
  const char* e = b + value.size();
  const char* q = SkipLws(b, e);
  if (q == e) {
    return {err, q};
  }
  const char* start = q;
  if (*q == '"') {
    const char* end = ScanQuoted(q, e);
    if (end == nullptr) {
      return {err, q};
    }
    out.display_name = Span(q, end);
    q = SkipLws(end, e);
  } else if (*q != '<') {
    const char* t = ScanToken(q, e);
    if (t < e && *t == ':') {
      // addr-spec: a URI without <>; ';' starts header parameters, and '?' or ',' would be
      // ambiguous, so such URIs must be in <> (RFC 3261 §20.10; RFC 4475 §3.1.2.x regbadct).
      if (require_angle) {
        return {err, q};
      }
      const char* uri_end = q;
      while (uri_end < e && *uri_end != ';' && !charset::IsLws(*uri_end)) {
        if (*uri_end == '?' || *uri_end == ',') {
          return {err, uri_end};
        }
        ++uri_end;
      }
      if (ParseStatus st = ParseUri(Span(q, uri_end), out.uri); !st.ok()) {
        return {err, st.at};
      }
      return ScanHeaderParams(uri_end, e, err, false, out.params, on_param);
    }
    // display-name = *(token LWS); RFC 4475 §3.1.1.6 (lwsdisp): accept no LWS before '<'.
    const char* last = q;
    while (true) {
      t = ScanToken(q, e);
      if (t == q) {
        return {err, q};
      }
      last = t;
      q = SkipLws(t, e);
      if (q < e && *q == '<') {
        break;
      }
      if (q == e || q == t) {
        return {err, q};
      }
    }
    out.display_name = Span(start, last);
  }
  if (q == e || *q != '<') {
    return {err, q};
  }
  // LAQUOT addr-spec RAQUOT: no whitespace inside the brackets (RFC 4475 badaspec).
  const char* u = q + 1;
  const char* gt = internal::FindByte(u, e, '>');
  if (gt == nullptr) {
    return {err, e};
  }
  if (ParseStatus st = ParseUri(Span(u, gt), out.uri); !st.ok()) {
    return {err, st.at};
  }
  out.angle_brackets = true;
  return ScanHeaderParams(gt + 1, e, err, false, out.params, on_param);
}

constexpr auto kAnyParam = [](std::string_view, std::string_view, bool) -> const char* {
  return nullptr;
};

// 1*DIGIT; values above `max` give kAbsent. Returns false when not all digits.
bool ParseDelta(std::string_view v, uint64_t max, int64_t& out) {
  if (v.empty() || !AllOf(v, charset::kDigit)) {
    return false;
  }
  uint64_t value = 0;
  for (char c : v) {
    if (value <= max) {
      value = value * 10 + static_cast<uint64_t>(c - '0');
    }
  }
  out = value > max ? kAbsent : static_cast<int64_t>(value);
  return true;
}

// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
bool IsQValue(std::string_view v) {
  if (v.empty() || (v[0] != '0' && v[0] != '1')) {
    return false;
  }
  if (v.size() == 1) {
    return true;
  }
  if (v[1] != '.' || v.size() > 5) {
    return false;
  }
  for (std::size_t i = 2; i < v.size(); ++i) {
    if (!charset::IsDigit(v[i]) || (v[0] == '1' && v[i] != '0')) {
      return false;
    }
  }
  return true;
}

// AllOf(v, kToken) for a value from ScanHeaderParams (ScanGenValue without bare_ip): such a
// value is a token unless it is a quoted-string or an IPv6 reference, and empty when absent.
bool IsTokenValue(std::string_view v) { return !v.empty() && v[0] != '"' && v[0] != '['; }

}  // namespace

ParseStatus ParseNameAddr(std::string_view value, NameAddr& out, ParseError error,
                          bool require_angle) {
  return ParseNameAddrImpl(value, out, error, require_angle, kAnyParam);
}

ParseStatus ParseFromTo(std::string_view value, FromTo& out, ParseError error) {
  out.tag = {};
  return ParseNameAddrImpl(value, out.addr, error, false,
                           [&out](std::string_view name, std::string_view v, bool) -> const char* {
                             if (IEqualsLowerWords(name, "tag")) {
                               if (!IsTokenValue(v)) {
                                 return v.data() != nullptr ? v.data() : name.data();
                               }
                               out.tag = v;
                             }
                             return nullptr;
                           });
}

ParseStatus ParseContact(std::string_view value, Contact& out) {
  out.expires = kAbsent;
  out.q = {};
  out.instance = {};
  out.reg_id = {};
  return ParseNameAddrImpl(
      value, out.addr, ParseError::kBadContact, false,
      [&out](std::string_view name, std::string_view v, bool has_value) -> const char* {
        const char* at = has_value ? v.data() : name.data();
        if (IEqualsLowerWords(name, "q")) {
          if (!IsQValue(v)) {
            return at;
          }
          out.q = v;
        } else if (IEqualsLowerWords(name, "expires")) {
          if (!ParseDelta(v, 0xffffffffu, out.expires)) {
            return at;
          }
        } else if (IEqualsLowerWords(name, "+sip.instance")) {
          if (!has_value) {
            return at;
          }
          out.instance = v;
        } else if (IEqualsLowerWords(name, "reg-id")) {
          int64_t reg_id = 0;
          if (!ParseDelta(v, 0xffffffffu, reg_id) || reg_id == kAbsent) {
            return at;
          }
          out.reg_id = v;
        }
        return nullptr;
      });
}

bool IsContactStar(std::string_view value) { return value == "*"; }

ParseStatus ParseVia(std::string_view value, Via& out) {
  internal::ZeroResult(out);
  out.ttl = -1;
  out.host_kind = HostKind::kNone;
  constexpr ParseError kErr = ParseError::kBadVia;
  const char* b = value.data();
  const char* e = b + value.size();
  // sent-protocol = protocol-name SLASH protocol-version SLASH transport; SLASH = SWS "/" SWS
  std::string_view* parts[3] = {&out.protocol_name, &out.protocol_version, &out.transport};
  const char* q = SkipLws(b, e);
  int first_part = 0;
  if (e - q >= 8 && IEqualsLowerWords(Span(q, q + 8), "sip/2.0/")) {
    // Nearly every Via: the loop below would give these spans; it goes on at the transport.
    out.protocol_name = Span(q, q + 3);
    out.protocol_version = Span(q + 4, q + 7);
    q = SkipLws(q + 8, e);
    first_part = 2;
  }
  for (int i = first_part; i < 3; ++i) {
    if (i > first_part) {
      q = SkipLws(q, e);
      if (q == e || *q != '/') {
        return {kErr, q};
      }
      q = SkipLws(q + 1, e);
    }
    const char* t = ScanToken(q, e);
    if (t == q) {
      return {kErr, q};
    }
    *parts[i] = Span(q, t);
    q = t;
  }
  if (q == e || !charset::IsLws(*q)) {
    return {kErr, q};
  }
  q = SkipLws(q, e);
  const char* host_end = q < e && charset::IsDigit(*q)
                             ? internal::ScanHostDigit(q, e, out.host_kind)
                             : internal::ScanHost(q, e, out.host_kind);
  if (host_end == nullptr) {
    return {kErr, q};
  }
  out.host = Span(q, host_end);
  q = host_end;
  // sent-by = host [ COLON port ]; COLON = SWS ":" SWS
  if (const char* c = SkipLws(q, e); c < e && *c == ':') {
    const char* port = SkipLws(c + 1, e);
    q = internal::ScanPort(port, e, out.port);
    if (q == nullptr) {
      return {kErr, port};
    }
    out.has_port = true;
  }
  return ScanHeaderParams(
      q, e, kErr, true, out.params,
      [&out](std::string_view name, std::string_view v, bool has_value) -> const char* {
        const char* at = has_value ? v.data() : name.data();
        if (IEqualsLowerWords(name, "branch")) {
          if (!IsTokenValue(v)) {
            return at;
          }
          out.branch = v;
        } else if (IEqualsLowerWords(name, "received")) {
          // RFC 5118 §4.5: with or without brackets.
          const char* vb = v.data();
          const char* ve = vb + v.size();
          const bool ok =
              !v.empty() &&
              (internal::ScanIPv4(vb, ve) == ve || internal::IsIPv6Address(vb, ve) ||
               (v.front() == '[' && v.back() == ']' && internal::IsIPv6Address(vb + 1, ve - 1)));
          if (!ok) {
            return at;
          }
          out.received = v;
        } else if (IEqualsLowerWords(name, "rport")) {
          uint16_t port = 0;
          if (has_value &&
              internal::ScanPort(v.data(), v.data() + v.size(), port) != v.data() + v.size()) {
            return at;
          }
          out.has_rport = true;
          out.rport = v;
        } else if (IEqualsLowerWords(name, "maddr")) {
          HostKind kind = HostKind::kNone;
          if (!has_value ||
              internal::ScanHost(v.data(), v.data() + v.size(), kind) != v.data() + v.size()) {
            return at;
          }
          out.maddr = v;
        } else if (IEqualsLowerWords(name, "ttl")) {
          int64_t ttl = 0;
          if (v.size() > 3 || !ParseDelta(v, 255, ttl) || ttl == kAbsent) {
            return at;
          }
          out.ttl = static_cast<int16_t>(ttl);
        }
        return nullptr;
      });
}

ParseStatus ParseCredentials(std::string_view value, Credentials& out, ParseError error) {
  internal::ZeroResult(out);
  const char* b = value.data();
  const char* e = b + value.size();
  const char* q = SkipLws(b, e);
  const char* scheme_end = internal::ScanAlphaToken(q, e);
  if (scheme_end == q) {
    return {error, q};
  }
  out.scheme = Span(q, scheme_end);
  out.is_digest = IEqualsLowerWords(out.scheme, "digest");
  q = scheme_end;
  if (q == e || !charset::IsLws(*q)) {
    return {error, q};
  }
  q = SkipLws(q, e);
  const char* first = q;
  const char* last_end = q;
  // auth-param *(COMMA auth-param); auth-param = name EQUAL ( token / quoted-string )
  while (true) {
    const char* name = q;
    q = internal::ScanAlphaToken(q, e);
    if (q == name) {
      return {error, name};
    }
    const std::string_view pname = Span(name, q);
    // EQUAL = SWS "=" SWS; most senders put no LWS around '=', which is tested first.
    if (q == e || *q != '=') {
      q = SkipLws(q, e);
      if (q == e || *q != '=') {
        return {error, q};
      }
    }
    const char* v = q + 1;
    if (v < e && *v != '"') {
      v = SkipLws(v, e);
    }
    std::string_view pvalue;
    if (v < e && *v == '"') {
      q = ScanQuoted(v, e);
      if (q == nullptr) {
        return {error, v};
      }
      pvalue = Span(v + 1, q - 1);  // Unquote: ScanQuoted ends after the closing DQUOTE
    } else {
      q = ScanToken(v, e);
      if (q == v) {
        return {error, v};
      }
      pvalue = Span(v, q);
    }
    last_end = q;
    if (out.is_digest) {
      // Dispatch on length, then whole-word compares.
      std::string_view* dest = nullptr;
      switch (pname.size()) {
        case 2:
          dest = IEqualsLowerWords(pname, "nc") ? &out.nc : nullptr;
          break;
        case 3:
          dest = IEqualsLowerWords(pname, "uri")   ? &out.uri
                 : IEqualsLowerWords(pname, "qop") ? &out.qop
                                                   : nullptr;
          break;
        case 5:
          dest = IEqualsLowerWords(pname, "realm")   ? &out.realm
                 : IEqualsLowerWords(pname, "nonce") ? &out.nonce
                                                     : nullptr;
          break;
        case 6:
          dest = IEqualsLowerWords(pname, "cnonce")   ? &out.cnonce
                 : IEqualsLowerWords(pname, "opaque") ? &out.opaque
                                                      : nullptr;
          break;
        case 8:
          if (IEqualsLowerWords(pname, "response")) {
            if (!internal::AllHex(pvalue.data(), pvalue.data() + pvalue.size())) {
              return {error, v};
            }
            dest = &out.response;
          } else if (IEqualsLowerWords(pname, "username")) {
            dest = &out.username;
          } else if (IEqualsLowerWords(pname, "userhash")) {
            out.userhash = IEqualsLowerWords(pvalue, "true");
          }
          break;
        case 9:
          dest = IEqualsLowerWords(pname, "algorithm") ? &out.algorithm : nullptr;
          break;
        default:
          break;
      }
      if (dest == &out.nc &&
          (pvalue.size() != 8 || !internal::AllHex(pvalue.data(), pvalue.data() + pvalue.size()))) {
        return {error, v};
      }
      if (dest != nullptr) {
        *dest = pvalue;
      }
    }
    // COMMA = SWS "," SWS; commonly ',' right after the value and one SP after it.
    if (q == e) {
      break;
    }
    if (*q != ',') {
      q = SkipLws(q, e);
      if (q == e) {
        break;
      }
      if (*q != ',') {
        return {error, q};
      }
    }
    ++q;
    if (q < e && *q == ' ') {
      ++q;
    }
    q = SkipLws(q, e);
  }
  out.params = Span(first, last_end);
  return {};
}

ParseStatus ParseDate(std::string_view value) {
  // rfc1123-date = wkday "," SP date1 SP time SP "GMT"; date1 = 2DIGIT SP month SP 4DIGIT;
  // time = 2DIGIT ":" 2DIGIT ":" 2DIGIT. Only GMT is allowed (RFC 3261 §20.17).
  static constexpr std::string_view kDays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  constexpr std::string_view kShape = "Www, DD Mmm YYYY hh:mm:ss GMT";
  const char* b = value.data();
  auto bad = [b](std::size_t i) { return ParseStatus{ParseError::kBadDate, b + i}; };
  if (value.size() != kShape.size()) {
    return bad(value.size() < kShape.size() ? value.size() : kShape.size());
  }
  auto number = [&value](std::size_t i, std::size_t n) {
    int v = 0;
    for (std::size_t k = i; k < i + n; ++k) {
      if (!charset::IsDigit(value[k])) {
        return -1;
      }
      v = v * 10 + (value[k] - '0');
    }
    return v;
  };
  auto one_of = [&value](std::size_t i, const std::string_view* names, std::size_t count) {
    for (std::size_t k = 0; k < count; ++k) {
      if (IEquals(value.substr(i, 3), names[k])) {
        return true;
      }
    }
    return false;
  };
  if (!one_of(0, kDays, 7)) {
    return bad(0);
  }
  for (std::size_t i : {3, 4, 7, 11, 16, 19, 22, 25}) {
    if (value[i] != kShape[i]) {
      return bad(i);
    }
  }
  const int day = number(5, 2);
  if (day < 1 || day > 31) {
    return bad(5);
  }
  if (!one_of(8, kMonths, 12)) {
    return bad(8);
  }
  if (number(12, 4) < 0) {
    return bad(12);
  }
  const int hh = number(17, 2);
  const int mm = number(20, 2);
  const int ss = number(23, 2);
  if (hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60) {
    return bad(17);
  }
  if (!IEquals(value.substr(26, 3), "GMT")) {
    return bad(26);
  }
  return {};
}

ValueIterator::ValueIterator(const Message& msg, HeaderId id)
    : msg_(msg),
      header_(msg.Find(id)),
      rest_(header_ != nullptr ? header_->value : std::string_view()),
      pending_(header_ != nullptr) {}

bool ValueIterator::Next(std::string_view& value) {
  while (header_ != nullptr) {
    if (pending_ && internal::NextElement(rest_, value)) {
      pending_ = rest_.data() != nullptr;
      return true;
    }
    header_ = msg_.Next(*header_);
    if (header_ != nullptr) {
      rest_ = header_->value;
      pending_ = true;
    }
  }
  return false;
}

namespace {

// Parses every comma-separated element of one header field value with `parse`.
template <class Parse>
ParseStatus ForEachElement(std::string_view value, Parse&& parse) {
  std::string_view rest = value;
  std::string_view elem;
  while (internal::NextElement(rest, elem)) {
    if (ParseStatus st = parse(elem); !st.ok()) {
      return st;
    }
  }
  return {};
}

ParseStatus ValidateRequestUri(const Message& msg, Uri& uri) {
  if (ParseStatus st = ParseUri(msg.request_uri, uri); !st.ok()) {
    return {ParseError::kBadRequestUri, st.at};
  }
  // Headers are not allowed in a Request-URI (RFC 3261 §19.1.1 table; RFC 4475 escruri).
  if ((uri.kind == UriScheme::kSip || uri.kind == UriScheme::kSips) && !uri.headers.empty()) {
    return {ParseError::kBadRequestUri, uri.headers.data() - 1};
  }
  return {};
}

ParseStatus ValidateHeader(const Header& h) {
  switch (h.id) {
    case HeaderId::kVia:
      return ForEachElement(h.value, [](std::string_view v) {
        Via via;
        return ParseVia(v, via);
      });
    case HeaderId::kFrom:
    case HeaderId::kTo: {
      FromTo ft;
      return ParseFromTo(h.value, ft,
                         h.id == HeaderId::kFrom ? ParseError::kBadFrom : ParseError::kBadTo);
    }
    case HeaderId::kContact:
      if (IsContactStar(h.value)) {
        return {};
      }
      return ForEachElement(h.value, [](std::string_view v) {
        Contact c;
        return ParseContact(v, c);
      });
    case HeaderId::kRoute:
    case HeaderId::kRecordRoute:
    case HeaderId::kPath: {
      const ParseError err = h.id == HeaderId::kRoute         ? ParseError::kBadRoute
                             : h.id == HeaderId::kRecordRoute ? ParseError::kBadRecordRoute
                                                              : ParseError::kBadPath;
      return ForEachElement(h.value, [err](std::string_view v) {
        NameAddr na;
        return ParseNameAddr(v, na, err, true);
      });
    }
    case HeaderId::kAuthorization:
    case HeaderId::kProxyAuthorization: {
      Credentials c;
      return ParseCredentials(h.value, c,
                              h.id == HeaderId::kAuthorization
                                  ? ParseError::kBadAuthorization
                                  : ParseError::kBadProxyAuthorization);
    }
    case HeaderId::kDate:
      return ParseDate(h.value);
    default:
      return {};
  }
}

}  // namespace

ParseStatus ValidateMessage(const Message& msg, const RegisterFields* parsed) {
  if (msg.kind == MessageKind::kRequest && parsed == nullptr) {
    Uri uri;
    if (ParseStatus st = ValidateRequestUri(msg, uri); !st.ok()) {
      return st;
    }
  }
  for (uint16_t i = 0; i < msg.header_count; ++i) {
    const Header& h = msg.headers[i];
    if (parsed != nullptr) {
      const bool first = msg.first[static_cast<std::size_t>(h.id)] == i;
      switch (h.id) {
        case HeaderId::kTo:
        case HeaderId::kFrom:
        case HeaderId::kAuthorization:
          if (first) {
            continue;
          }
          break;
        case HeaderId::kContact:
          continue;
        case HeaderId::kVia:
          if (first) {
            // ParseRegister parsed the top value only: check the rest of this field.
            std::string_view rest = h.value;
            std::string_view top;
            internal::NextElement(rest, top);
            // (`rest` has no data when the field held one value: nothing more to check.)
            if (ParseStatus st = ForEachElement(rest,
                                                [](std::string_view v) {
                                                  Via via;
                                                  return ParseVia(v, via);
                                                });
                !st.ok()) {
              return st;
            }
            continue;
          }
          break;
        default:
          break;
      }
    }
    if (ParseStatus st = ValidateHeader(h); !st.ok()) {
      return st;
    }
  }
  return {};
}

ParseStatus CheckRequest(const Message& msg) {
  struct Rule {
    HeaderId id;
    ParseError missing;  // kOk: optional
    ParseError multiple;
  };
  static constexpr Rule kRules[] = {
      {HeaderId::kVia, ParseError::kMissingVia, ParseError::kOk},
      {HeaderId::kFrom, ParseError::kMissingFrom, ParseError::kMultipleFrom},
      {HeaderId::kTo, ParseError::kMissingTo, ParseError::kMultipleTo},
      {HeaderId::kCallId, ParseError::kMissingCallId, ParseError::kMultipleCallId},
      {HeaderId::kCSeq, ParseError::kMissingCSeq, ParseError::kMultipleCSeq},
      {HeaderId::kMaxForwards, ParseError::kOk, ParseError::kMultipleMaxForwards},
      {HeaderId::kExpires, ParseError::kOk, ParseError::kMultipleExpires},
  };
  for (const Rule& r : kRules) {
    const uint8_t n = msg.count[static_cast<std::size_t>(r.id)];
    if (n == 0 && r.missing != ParseError::kOk) {
      // The start line: past any leading CRLFs, which msg.base includes.
      return {r.missing, msg.method_name.empty() ? msg.base : msg.method_name.data()};
    }
    if (n > 1 && r.multiple != ParseError::kOk) {
      const Header* h = msg.Find(r.id);
      return {r.multiple, msg.Next(*h)->name.data()};
    }
  }
  return {};
}

ParseStatus ParseRegister(const Message& msg, RegisterFields& out) {
  if (ParseStatus st = CheckRequest(msg); !st.ok()) {
    return st;
  }
  if (ParseStatus st = ValidateRequestUri(msg, out.request_uri); !st.ok()) {
    return st;
  }
  if (ParseStatus st = ParseFromTo(msg.Find(HeaderId::kTo)->value, out.to, ParseError::kBadTo);
      !st.ok()) {
    return st;
  }
  if (ParseStatus st =
          ParseFromTo(msg.Find(HeaderId::kFrom)->value, out.from, ParseError::kBadFrom);
      !st.ok()) {
    return st;
  }
  std::string_view rest = msg.Find(HeaderId::kVia)->value;
  std::string_view top;
  if (!internal::NextElement(rest, top)) {
    return {ParseError::kBadVia, rest.data()};
  }
  if (ParseStatus st = ParseVia(top, out.top_via); !st.ok()) {
    return st;
  }
  out.contact_star = false;
  out.contact_count = 0;
  ValueIterator contacts(msg, HeaderId::kContact);
  std::string_view v;
  while (contacts.Next(v)) {
    if (IsContactStar(v)) {
      if (out.contact_star) {
        return {ParseError::kBadContact, v.data()};  // a second "*" (RFC 3261 §10.3 step 6)
      }
      out.contact_star = true;
      continue;
    }
    if (out.contact_count == kMaxRegisterContacts) {
      return {ParseError::kTooManyContacts, v.data()};
    }
    if (ParseStatus st = ParseContact(v, out.contacts[out.contact_count]); !st.ok()) {
      return st;
    }
    ++out.contact_count;
  }
  if (out.contact_star && out.contact_count > 0) {
    // "*" must be the only Contact value (RFC 3261 §10.3 step 6).
    return {ParseError::kBadContact, msg.Find(HeaderId::kContact)->value.data()};
  }
  out.has_credentials = false;
  if (const Header* auth = msg.Find(HeaderId::kAuthorization); auth != nullptr) {
    if (ParseStatus st =
            ParseCredentials(auth->value, out.credentials, ParseError::kBadAuthorization);
        !st.ok()) {
      return st;
    }
    out.has_credentials = true;
  }
  return {};
}

}  // namespace sipfront::sip
