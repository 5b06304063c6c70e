// sipfront-parse FILE... — tokenizes and validates SIP messages, one JSON object per file.
//
// The output contract (stable; other tools and checks rely on it) is documented in
// docs/sipfront-parse.md. Values are as on the wire, with folded lines collapsed to one space
// and surrounding whitespace trimmed; URIs are not unescaped.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "sipfront/base/padded_view.h"
#include "sipfront/sip/headers.h"
#include "sipfront/sip/message.h"

namespace {

using sipfront::sip::Contact;
using sipfront::sip::FromTo;
using sipfront::sip::HeaderId;
using sipfront::sip::Message;
using sipfront::sip::MessageKind;
using sipfront::sip::ParseError;
using sipfront::sip::Via;

constexpr std::string_view kUsage =
    "usage: sipfront-parse [--stream] FILE...   ('-' reads standard input)\n"
    "Prints one JSON object per file: the message's framing, start line and core headers,\n"
    "or the reason it is malformed (see docs/sipfront-parse.md).\n"
    "  --stream   frame as on TCP/TLS (Content-Length required) instead of as a datagram\n";

// Appends `s` as a JSON string. Valid UTF-8 passes through; other bytes become \u00XX.
void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else if (c < 0x80) {
      out += static_cast<char>(c);
    } else {
      const std::size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
      bool valid = len != 0 && c < 0xf5 && i + len <= s.size();
      for (std::size_t k = 1; valid && k < len; ++k) {
        valid = (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
      }
      if (valid) {
        out.append(s.substr(i, len));
        i += len - 1;
      } else {
        char buf[8];
        std::snprintf(buf, sizeof(buf), "\\u%04x", c);
        out += buf;
      }
    }
  }
  out += '"';
}

// Folded lines collapsed to a single space, surrounding whitespace trimmed.
std::string Collapse(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  std::size_t i = 0;
  while (i < v.size()) {
    const char c = v[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      std::size_t j = i;
      bool fold = false;
      while (j < v.size() && (v[j] == ' ' || v[j] == '\t' || v[j] == '\r' || v[j] == '\n')) {
        fold = fold || v[j] == '\n';
        ++j;
      }
      if (fold) {
        out += ' ';
      } else {
        out.append(v.substr(i, j - i));
      }
      i = j;
    } else {
      out += c;
      ++i;
    }
  }
  const std::size_t b = out.find_first_not_of(' ');
  const std::size_t e = out.find_last_not_of(' ');
  return b == std::string::npos ? std::string() : out.substr(b, e - b + 1);
}

class Json {
 public:
  void Key(std::string_view k) {
    out_ += need_comma_ ? "," : "";
    AppendJsonString(out_, k);
    out_ += ':';
    need_comma_ = false;
  }
  void Str(std::string_view v) {
    Sep();
    AppendJsonString(out_, Collapse(v));
  }
  void Int(int64_t v) {
    Sep();
    out_ += std::to_string(v);
  }
  void Bool(bool v) {
    Sep();
    out_ += v ? "true" : "false";
  }
  void Null() {
    Sep();
    out_ += "null";
  }
  void Open(char c) {
    Sep();
    out_ += c;
    need_comma_ = false;
  }
  void Close(char c) {
    out_ += c;
    need_comma_ = true;
  }
  // Optional string: null when empty.
  void StrOrNull(std::string_view v) {
    if (v.data() == nullptr) {
      Null();
    } else {
      Str(v);
    }
  }
  void IntOrNull(int64_t v) {
    if (v < 0) {
      Null();
    } else {
      Int(v);
    }
  }
  [[nodiscard]] const std::string& str() const { return out_; }

 private:
  void Sep() {
    if (need_comma_) {
      out_ += ',';
    }
    need_comma_ = true;
  }
  std::string out_;
  bool need_comma_ = false;
};

void EmitFromTo(Json& j, std::string_view key, const Message& msg, HeaderId id) {
  j.Key(key);
  const sipfront::sip::Header* h = msg.Find(id);
  FromTo ft;
  if (h == nullptr ||
      !sipfront::sip::ParseFromTo(h->value, ft, sipfront::sip::ParseError::kBadFrom).ok()) {
    j.Null();
    return;
  }
  j.Open('{');
  j.Key("uri");
  j.Str(ft.addr.uri.raw);
  j.Key("tag");
  j.StrOrNull(ft.tag);
  j.Close('}');
}

void EmitVias(Json& j, const Message& msg) {
  j.Key("vias");
  j.Open('[');
  sipfront::sip::ValueIterator it(msg, HeaderId::kVia);
  std::string_view v;
  while (it.Next(v)) {
    Via via;
    if (!sipfront::sip::ParseVia(v, via).ok()) {
      continue;  // unreachable for a validated message
    }
    j.Open('{');
    j.Key("transport");
    j.Str(via.transport);
    j.Key("host");
    j.Str(via.host);
    j.Key("port");
    if (via.has_port) {
      j.Int(via.port);
    } else {
      j.Null();
    }
    j.Key("branch");
    j.StrOrNull(via.branch.empty() ? std::string_view() : via.branch);
    j.Key("received");
    j.StrOrNull(via.received.empty() ? std::string_view() : via.received);
    j.Key("rport");
    if (via.has_rport) {
      j.Str(via.rport.data() == nullptr ? std::string_view("") : via.rport);
    } else {
      j.Null();
    }
    j.Close('}');
  }
  j.Close(']');
}

void EmitContacts(Json& j, const Message& msg) {
  j.Key("contacts");
  const sipfront::sip::Header* first = msg.Find(HeaderId::kContact);
  if (first != nullptr && sipfront::sip::IsContactStar(first->value) &&
      msg.Next(*first) == nullptr) {
    j.Str("*");
    return;
  }
  j.Open('[');
  sipfront::sip::ValueIterator it(msg, HeaderId::kContact);
  std::string_view v;
  while (it.Next(v)) {
    Contact c;
    if (!sipfront::sip::ParseContact(v, c).ok()) {
      continue;
    }
    j.Open('{');
    j.Key("uri");
    j.Str(c.addr.uri.raw);
    j.Key("expires");
    j.IntOrNull(c.expires);
    j.Key("q");
    j.StrOrNull(c.q.empty() ? std::string_view() : c.q);
    j.Close('}');
  }
  j.Close(']');
}

std::string Describe(std::string_view file, std::string_view bytes,
                     sipfront::sip::Framing framing) {
  // A padded copy: the tokenizer may read kPadding bytes past the end.
  std::vector<char> buf(bytes.size() + sipfront::kPadding, '\0');
  std::memcpy(buf.data(), bytes.data(), bytes.size());
  const sipfront::PaddedView in(buf.data(), bytes.size(), buf.size());

  static Message msg;  // large; one at a time
  ParseError err = sipfront::sip::Tokenize(in, framing, msg);
  int64_t offset = err == ParseError::kOk ? -1 : static_cast<int64_t>(msg.error_offset);
  if (err == ParseError::kOk) {
    const sipfront::sip::ParseStatus st = sipfront::sip::ValidateMessage(msg);
    err = st.error;
    offset = st.ok() ? -1 : static_cast<int64_t>(msg.OffsetOf(st.at));
  }
  const bool valid = err == ParseError::kOk;

  std::string out = "{\"file\":";
  AppendJsonString(out, file);
  Json body;
  body.Key("valid");
  body.Bool(valid);
  body.Key("error");
  if (valid) {
    body.Null();
  } else if (err == ParseError::kIncomplete) {
    body.Str("Incomplete Message");
  } else if (err == ParseError::kKeepalive) {
    body.Str("Keepalive");
  } else {
    body.Str(sipfront::sip::ErrorResponseFor(err).reason_phrase);
  }
  body.Key("offset");
  body.IntOrNull(offset);
  const bool req = valid && msg.kind == MessageKind::kRequest;
  body.Key("kind");
  if (valid) {
    body.Str(req ? "request" : "response");
  } else {
    body.Null();
  }
  body.Key("method");
  req ? body.Str(msg.method_name) : body.Null();
  body.Key("status");
  valid && !req ? body.Int(msg.status_code) : body.Null();
  body.Key("request_uri");
  req ? body.Str(msg.request_uri) : body.Null();
  body.Key("call_id");
  valid&& msg.Has(HeaderId::kCallId) ? body.Str(msg.call_id) : body.Null();
  body.Key("cseq");
  if (valid && msg.Has(HeaderId::kCSeq)) {
    body.Open('{');
    body.Key("seq");
    body.Int(msg.cseq.seq);
    body.Key("method");
    body.Str(msg.cseq.method_name);
    body.Close('}');
  } else {
    body.Null();
  }
  if (valid) {
    EmitFromTo(body, "from", msg, HeaderId::kFrom);
    EmitFromTo(body, "to", msg, HeaderId::kTo);
    EmitVias(body, msg);
    EmitContacts(body, msg);
  } else {
    for (const char* key : {"from", "to", "vias", "contacts"}) {
      body.Key(key);
      body.Null();
    }
  }
  body.Key("expires");
  valid ? body.IntOrNull(msg.expires) : body.Null();
  body.Key("max_forwards");
  valid ? body.IntOrNull(msg.max_forwards) : body.Null();
  body.Key("content_length");
  valid ? body.IntOrNull(msg.content_length) : body.Null();
  body.Key("body_length");
  valid ? body.Int(static_cast<int64_t>(msg.body.size())) : body.Null();
  out += ',';
  out += body.str();
  out += '}';
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  sipfront::sip::Framing framing = sipfront::sip::Framing::kDatagram;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--stream") {
      framing = sipfront::sip::Framing::kStream;
    } else if (arg == "-h" || arg == "--help") {
      std::cout << kUsage;
      return 0;
    } else if (arg.size() > 1 && arg[0] == '-') {
      std::cerr << "sipfront-parse: unknown option " << arg << "\n" << kUsage;
      return 2;
    } else {
      files.emplace_back(arg);
    }
  }
  if (files.empty()) {
    std::cerr << kUsage;
    return 2;
  }
  int rc = 0;
  for (const std::string& file : files) {
    std::string bytes;
    if (file == "-") {
      bytes.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    } else {
      std::ifstream f(file, std::ios::binary);
      if (!f) {
        std::cerr << "sipfront-parse: cannot read " << file << ": " << std::strerror(errno) << "\n";
        rc = 2;
        continue;
      }
      bytes.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    }
    std::cout << Describe(file, bytes, framing) << "\n";
  }
  return rc;
}
