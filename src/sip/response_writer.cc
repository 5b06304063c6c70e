#include "sipfront/sip/response_writer.h"

#include <cstring>
#include <ctime>

#include "charset.h"
#include "lex.h"

namespace sipfront::sip {

void ResponseWriter::AppendUint(uint64_t v) {
  char digits[20];
  char* d = digits + sizeof(digits);
  do {
    *--d = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  Append({d, static_cast<std::size_t>(digits + sizeof(digits) - d)});
}

void ResponseWriter::WriteTopVia(const Message& req, const ViaSource& source, const Via* known) {
  const sip::Header* first = req.Find(HeaderId::kVia);
  std::string_view rest = first->value;
  std::string_view top;
  if (!internal::NextElement(rest, top)) {
    return;
  }
  Via own;
  const bool parsed = known != nullptr || ParseVia(top, own).ok();
  const Via& via = known != nullptr ? *known : own;
  Append("Via: ");
  if (!parsed || source.ip.empty()) {
    Append(first->value);
    Append("\r\n");
    return;
  }
  // RFC 3581 §4: fill in an empty rport; RFC 3261 §18.2.1 / RFC 3581: add received.
  const char* insert_at = nullptr;
  if (via.has_rport && via.rport.empty()) {
    ParamIterator it(via.params);
    Param p;
    while (it.Next(p)) {
      if (!p.has_value && charset::IEquals(p.name, "rport")) {
        insert_at = p.name.data() + p.name.size();
        break;
      }
    }
  }
  const char* top_end = top.data() + top.size();
  if (insert_at != nullptr) {
    Append(internal::Span(top.data(), insert_at));
    Append("=");
    AppendUint(source.port);
    Append(internal::Span(insert_at, top_end));
  } else {
    Append(top);
  }
  if (via.received.empty() && (via.has_rport || via.host != source.ip)) {
    Append(";received=");
    Append(source.ip);
  }
  // The rest of the first Via field (further comma-separated values), as it was.
  const char* value_end = first->value.data() + first->value.size();
  Append(internal::Span(top_end, value_end));
  Append("\r\n");
}

void ResponseWriter::Begin(uint16_t status, std::string_view reason, const Message& req,
                           const ViaSource& source, std::string_view to_tag) {
  Append("SIP/2.0 ");
  AppendUint(status);
  Append(" ");
  Append(reason);
  Append("\r\n");
  if (req.Find(HeaderId::kVia) != nullptr) {
    WriteTopVia(req, source, nullptr);
  }
  WriteRest(req, to_tag, -1);
}

void ResponseWriter::Begin(uint16_t status, std::string_view reason, const Message& req,
                           const ViaSource& source, std::string_view to_tag, const Via& top_via,
                           bool to_has_tag) {
  Append("SIP/2.0 ");
  AppendUint(status);
  Append(" ");
  Append(reason);
  Append("\r\n");
  if (req.Find(HeaderId::kVia) != nullptr) {
    WriteTopVia(req, source, &top_via);
  }
  WriteRest(req, to_tag, to_has_tag ? 1 : 0);
}

// The other Via fields, From, To (with a tag added when it has none; `to_has_tag` -1: find
// out by parsing), Call-ID and CSeq.
void ResponseWriter::WriteRest(const Message& req, std::string_view to_tag, int to_has_tag) {
  if (const sip::Header* v = req.Find(HeaderId::kVia); v != nullptr) {
    for (v = req.Next(*v); v != nullptr; v = req.Next(*v)) {
      Header("Via", v->value);
    }
  }
  if (const sip::Header* h = req.Find(HeaderId::kFrom); h != nullptr) {
    Header("From", h->value);
  }
  if (const sip::Header* h = req.Find(HeaderId::kTo); h != nullptr) {
    Append("To: ");
    Append(h->value);
    if (!to_tag.empty()) {
      bool has_tag = to_has_tag == 1;
      if (to_has_tag < 0) {
        FromTo to;
        has_tag = !ParseFromTo(h->value, to, ParseError::kBadTo).ok() || !to.tag.empty();
      }
      if (!has_tag) {
        Append(";tag=");
        Append(to_tag);
      }
    }
    Append("\r\n");
  }
  if (const sip::Header* h = req.Find(HeaderId::kCallId); h != nullptr) {
    Header("Call-ID", h->value);
  }
  if (const sip::Header* h = req.Find(HeaderId::kCSeq); h != nullptr) {
    Header("CSeq", h->value);
  }
}

std::size_t ResponseWriter::Finish() {
  Append("Content-Length: 0\r\n\r\n");
  return overflow_ ? 0 : len_;
}

std::size_t WriteErrorResponse(std::string_view datagram, uint16_t status, std::string_view reason,
                               char* out, std::size_t capacity) {
  if (datagram.size() < 4 || charset::IEquals(datagram.substr(0, 4), "SIP/")) {
    return 0;
  }
  ResponseWriter w(out, capacity);
  w.Append("SIP/2.0 ");
  w.AppendUint(status);
  w.Append(" ");
  w.Append(reason);
  w.Append("\r\n");
  bool via = false;
  std::size_t pos = datagram.find('\n');
  while (pos != std::string_view::npos && pos + 1 < datagram.size()) {
    const std::size_t start = pos + 1;
    std::size_t end = datagram.find('\n', start);
    pos = end;
    if (end == std::string_view::npos) {
      end = datagram.size();
    }
    std::string_view line = datagram.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (line.empty()) {
      break;  // end of the header section
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || line[0] == ' ' || line[0] == '\t') {
      continue;
    }
    std::string_view name = line.substr(0, colon);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) {
      name.remove_suffix(1);
    }
    const HeaderId id = ClassifyHeader(name);
    if (id != HeaderId::kVia && id != HeaderId::kFrom && id != HeaderId::kTo &&
        id != HeaderId::kCallId && id != HeaderId::kCSeq) {
      continue;
    }
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
      value.remove_prefix(1);
    }
    bool printable = true;
    for (char c : value) {
      const auto u = static_cast<unsigned char>(c);
      printable = printable && (u >= 0x20 || u == '\t') && u != 0x7f;
    }
    if (!printable) {
      continue;
    }
    via = via || id == HeaderId::kVia;
    w.Header(CanonicalName(id), value);
  }
  if (!via) {
    return 0;
  }
  return w.Finish();
}

void FormatDate(uint64_t unix_seconds, char out[kDateLength]) {
  static constexpr char kDays[] = "SunMonTueWedThuFriSat";
  static constexpr char kMonths[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  const auto t = static_cast<time_t>(unix_seconds);
  tm g;
  gmtime_r(&t, &g);
  auto two = [](char* p, int v) {
    p[0] = static_cast<char>('0' + v / 10);
    p[1] = static_cast<char>('0' + v % 10);
  };
  std::memcpy(out, kDays + 3 * g.tm_wday, 3);
  out[3] = ',';
  out[4] = ' ';
  two(out + 5, g.tm_mday);
  out[7] = ' ';
  std::memcpy(out + 8, kMonths + 3 * g.tm_mon, 3);
  out[11] = ' ';
  const int year = g.tm_year + 1900;
  two(out + 12, year / 100);
  two(out + 14, year % 100);
  out[16] = ' ';
  two(out + 17, g.tm_hour);
  out[19] = ':';
  two(out + 20, g.tm_min);
  out[22] = ':';
  two(out + 23, g.tm_sec);
  std::memcpy(out + 25, " GMT", 4);
}

}  // namespace sipfront::sip
