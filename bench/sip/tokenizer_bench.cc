// Tokenizer throughput on real device messages, side by side with libosip2.
//
//   BM_ParseRegister_FastPath/<msg>  Tokenize + ParseRegister (REGISTERs only)       (a)
//   BM_ValidateMessage_Full/<msg>    Tokenize + ValidateMessage                      (b)
//   BM_Osip_Parse/<msg>              osip_message_init + _parse + _free             (c)
//   BM_Tokenize_<Scanner>/<msg>      Tokenize alone with one stage-1 scanner         (d)
//
// Every benchmark counts one message per iteration (items = messages, bytes = message bytes).
// scripts/bench runs these pinned, repeated, and prints the ratios; docs/benchmarks.md has the
// figures and what they mean.
#include <cstdint>
#include <string>

#include <osipparser2/osip_parser.h>

#include <benchmark/benchmark.h>

#include "sipfront/sip/headers.h"
#include "sipfront/sip/message.h"

#include "buffers.h"
#include "tokenizer_cases.h"

namespace sipfront::bench {
namespace {

using sip::ParseError;
using testing::PaddedBuffer;

void CountMessages(benchmark::State& state, std::size_t message_size) {
  const auto n = static_cast<int64_t>(state.iterations());
  state.SetItemsProcessed(n);
  state.SetBytesProcessed(n * static_cast<int64_t>(message_size));
}

void SkipWithParseError(benchmark::State& state, const Input& input, ParseError e) {
  state.SkipWithError(
      (std::string(input.corpus_id) + ": " + std::string(sip::ErrorName(e))).c_str());
}

void BM_ParseRegister_FastPath(benchmark::State& state, const Input& input) {
  const PaddedBuffer buf(LoadCorpus(input.corpus_id));
  const PaddedView in = buf.view();
  sip::Message msg;
  sip::RegisterFields fields;
  if (const ParseError e = FastPathRegister(in, msg, fields); e != ParseError::kOk) {
    SkipWithParseError(state, input, e);
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(FastPathRegister(in, msg, fields));
    benchmark::DoNotOptimize(fields.contact_count);
  }
  CountMessages(state, in.size());
}

void BM_ValidateMessage_Full(benchmark::State& state, const Input& input) {
  const PaddedBuffer buf(LoadCorpus(input.corpus_id));
  const PaddedView in = buf.view();
  sip::Message msg;
  if (const ParseError e = FullParse(in, msg); e != ParseError::kOk) {
    SkipWithParseError(state, input, e);
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(FullParse(in, msg));
    benchmark::DoNotOptimize(msg.header_count);
  }
  CountMessages(state, in.size());
}

void BM_Osip_Parse(benchmark::State& state, const Input& input) {
  // Once per process, as every libosip2 user does (it builds the header-name lookup table).
  static const int kInit = parser_init();
  benchmark::DoNotOptimize(kInit);
  // The same padded copy the sipfront cases read; osip copies it again inside the parse.
  const PaddedBuffer buf(LoadCorpus(input.corpus_id));
  const std::string_view bytes = buf.view().view();
  if (const int rc = OsipParse(bytes); rc != 0) {
    state.SkipWithError(
        (std::string(input.corpus_id) + ": osip_message_parse " + std::to_string(rc)).c_str());
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(OsipParse(bytes));
  }
  CountMessages(state, bytes.size());
}

void BM_Tokenize(benchmark::State& state, const Input& input, sip::Scanner scanner) {
  if (!sip::ScannerSupported(scanner)) {
    state.SkipWithError(("CPU lacks " + std::string(sip::ScannerName(scanner))).c_str());
    return;
  }
  const PaddedBuffer buf(LoadCorpus(input.corpus_id));
  const PaddedView in = buf.view();
  sip::Message msg;
  if (const ParseError e = TokenizeOnly(in, msg, scanner); e != ParseError::kOk) {
    SkipWithParseError(state, input, e);
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(TokenizeOnly(in, msg, scanner));
    benchmark::DoNotOptimize(msg.header_count);
  }
  CountMessages(state, in.size());
}

// Registered per message, so the cases scripts/bench compares for one message sit next to each
// other in the output. ScannerSupported() is consulted only when a benchmark runs: it reads
// state initialized in another translation unit, so it may not be ready yet here.
const bool kRegistered = [] {
  struct NamedScanner {
    const char* name;
    sip::Scanner scanner;
  };
  static constexpr NamedScanner kScanners[] = {
      {"Scalar", sip::Scanner::kScalar},
      {"Sse2", sip::Scanner::kSse2},
      {"Avx2", sip::Scanner::kAvx2},
  };
  for (const Input& input : kInputs) {
    const std::string suffix = std::string("/") + input.label;
    if (input.is_register) {
      benchmark::RegisterBenchmark(("BM_ParseRegister_FastPath" + suffix).c_str(),
                                   BM_ParseRegister_FastPath, input);
    }
    benchmark::RegisterBenchmark(("BM_ValidateMessage_Full" + suffix).c_str(),
                                 BM_ValidateMessage_Full, input);
    benchmark::RegisterBenchmark(("BM_Osip_Parse" + suffix).c_str(), BM_Osip_Parse, input);
  }
  for (const NamedScanner& s : kScanners) {
    for (const Input& input : kInputs) {
      benchmark::RegisterBenchmark(
          ("BM_Tokenize_" + std::string(s.name) + "/" + input.label).c_str(), BM_Tokenize, input,
          s.scanner);
    }
  }
  return true;
}();

}  // namespace
}  // namespace sipfront::bench
