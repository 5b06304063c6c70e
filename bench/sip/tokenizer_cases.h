// The inputs and the per-message work shared by tokenizer_bench.cc (Google Benchmark timings)
// and tokenizer_icount.cc (instruction counts under callgrind), so that both measure exactly
// the same code. docs/benchmarks.md describes each case.
//
// Inputs are real device messages from tests/corpus/sip/devices, read once at start-up into
// PaddedBuffers (kPadding readable tail bytes, as a receive slot has). The sipfront cases
// allocate nothing per message; libosip2 allocates per header, which is part of what it costs.
#ifndef SIPFRONT_BENCH_SIP_TOKENIZER_CASES_H_
#define SIPFRONT_BENCH_SIP_TOKENIZER_CASES_H_

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#include <osipparser2/osip_parser.h>

#include "sipfront/base/compiler.h"
#include "sipfront/base/padded_view.h"
#include "sipfront/sip/headers.h"
#include "sipfront/sip/message.h"

#ifndef SIPFRONT_CORPUS_DIR
#error "SIPFRONT_CORPUS_DIR must name tests/corpus/sip (bench/meson.build sets it)"
#endif

namespace sipfront::bench {

struct Input {
  const char* label;      // benchmark argument name: <device>_<method>
  const char* corpus_id;  // path under tests/corpus/sip, without ".sip"
  bool is_register;       // the REGISTER fast path applies
};

// REGISTERs with and without digest credentials, and INVITEs from 1 KB to 2.5 KB (SDP bodies;
// sipjs carries two Record-Routes and a WebRTC SDP).
inline constexpr Input kInputs[] = {
    {"polycom_register", "devices/polycom-spip450-register-auth", true},
    {"yealink_register", "devices/yealink-t27g-register-auth", true},
    {"microsip_register", "devices/microsip-register-auth-tcp", true},
    {"nero_register", "devices/nero-sipps-register", true},
    {"twilio_invite", "devices/twilio-gateway-invite", false},
    {"sipjs_invite", "devices/sipjs-invite-via-proxy", false},
    {"zoiper_invite", "devices/zoiper-2.10-invite", false},
};

// Reads a corpus message byte-exact; aborts when it is missing (a broken checkout).
inline std::string LoadCorpus(std::string_view corpus_id) {
  const std::string path = std::string(SIPFRONT_CORPUS_DIR) + "/" + std::string(corpus_id) + ".sip";
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    std::fprintf(stderr, "bench: cannot read %s\n", path.c_str());
    std::abort();
  }
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// (a) What the registrar's fast path does with a REGISTER: tokenize, then parse only the
// fields a registrar needs (Request-URI, To, From, top Via, Contacts, Authorization).
SIPFRONT_ALWAYS_INLINE sip::ParseError FastPathRegister(PaddedView in, sip::Message& msg,
                                                        sip::RegisterFields& fields) {
  if (const sip::ParseError e = sip::Tokenize(in, sip::Framing::kDatagram, msg);
      e != sip::ParseError::kOk) {
    return e;
  }
  return sip::ParseRegister(msg, fields).error;
}

// (b) Full parse: tokenize, then parse every structured header sipfront understands.
SIPFRONT_ALWAYS_INLINE sip::ParseError FullParse(PaddedView in, sip::Message& msg) {
  if (const sip::ParseError e = sip::Tokenize(in, sip::Framing::kDatagram, msg);
      e != sip::ParseError::kOk) {
    return e;
  }
  return sip::ValidateMessage(msg).error;
}

// (c) What a libosip2 user does per message. libosip2 parses every header it knows into
// malloc'ed structures (unknown ones into name/value copies) and copies the body; the SDP is
// not parsed (that is sdp_message_parse). Precondition: parser_init() was called once.
// Returns osip's result: 0 (OSIP_SUCCESS) or a negative error.
SIPFRONT_ALWAYS_INLINE int OsipParse(std::string_view bytes) {
  osip_message_t* m = nullptr;
  int rc = osip_message_init(&m);
  if (rc == 0) {
    rc = osip_message_parse(m, bytes.data(), bytes.size());
    osip_message_free(m);
  }
  return rc;
}

// (d) Stage 1 + stage 2 of the tokenizer alone, with a given line scanner.
SIPFRONT_ALWAYS_INLINE sip::ParseError TokenizeOnly(PaddedView in, sip::Message& msg,
                                                    sip::Scanner scanner) {
  return sip::Tokenize(in, sip::Framing::kDatagram, msg, sip::kMaxMessageSize, scanner);
}

}  // namespace sipfront::bench

#endif  // SIPFRONT_BENCH_SIP_TOKENIZER_CASES_H_
