// Instruction counts per message for the tokenizer cases, sipfront vs libosip2.
//
// Timings on shared 2-core VMs drift by tens of percent between runs; instruction counts under
// callgrind do not. scripts/bench --callgrind runs
//
//   valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*MeasuredLoop*'
//            sip_tokenizer_icount <case> <input> <iterations>
//
// so only the parse loop is counted (not start-up, file reading or parser_init()), and divides
// the total by <iterations>. <case> is fastpath, full, tokenize or osip (tokenizer_cases.h);
// <input> is a label from kInputs (`sip_tokenizer_icount list` prints them, each with "register"
// when the fastpath case applies). Without arguments every case runs once on every input and
// the results are checked (the bench-smoke test).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <osipparser2/osip_parser.h>

#include "sipfront/base/compiler.h"
#include "sipfront/sip/headers.h"
#include "sipfront/sip/message.h"

#include "buffers.h"
#include "tokenizer_cases.h"

namespace sipfront::bench {

enum class Case : uint8_t { kFastPath, kFull, kTokenize, kOsip };

// Scratch a shard would keep per core; static so the loop touches no fresh stack pages.
sip::Message g_msg;
sip::RegisterFields g_fields;

// Parses `in` `iterations` times; returns how many parses failed. The symbol callgrind counts.
SIPFRONT_NOINLINE uint64_t MeasuredLoop(Case c, PaddedView in, uint64_t iterations) {
  uint64_t failures = 0;
  for (uint64_t i = 0; i < iterations; ++i) {
    bool ok = false;
    switch (c) {
      case Case::kFastPath:
        ok = FastPathRegister(in, g_msg, g_fields) == sip::ParseError::kOk;
        break;
      case Case::kFull:
        ok = FullParse(in, g_msg) == sip::ParseError::kOk;
        break;
      case Case::kTokenize:
        ok = TokenizeOnly(in, g_msg, sip::DefaultScanner()) == sip::ParseError::kOk;
        break;
      case Case::kOsip:
        ok = OsipParse(in.view()) == 0;
        break;
    }
    failures += ok ? 0 : 1;
  }
  return failures;
}

namespace {

bool ParseCase(std::string_view name, Case& out) {
  if (name == "fastpath") {
    out = Case::kFastPath;
  } else if (name == "full") {
    out = Case::kFull;
  } else if (name == "tokenize") {
    out = Case::kTokenize;
  } else if (name == "osip") {
    out = Case::kOsip;
  } else {
    return false;
  }
  return true;
}

const Input* FindInput(std::string_view label) {
  for (const Input& input : kInputs) {
    if (label == input.label) {
      return &input;
    }
  }
  return nullptr;
}

int Smoke() {
  int failed = 0;
  for (const Input& input : kInputs) {
    const testing::PaddedBuffer buf(LoadCorpus(input.corpus_id));
    for (const Case c : {Case::kFastPath, Case::kFull, Case::kTokenize, Case::kOsip}) {
      if (c == Case::kFastPath && !input.is_register) {
        continue;
      }
      if (MeasuredLoop(c, buf.view(), 1) != 0) {
        std::fprintf(stderr, "%s: case %d failed\n", input.label, static_cast<int>(c));
        failed = 1;
      }
    }
  }
  std::printf("%s\n", failed == 0 ? "ok" : "FAILED");
  return failed;
}

int Main(int argc, char** argv) {
  parser_init();
  if (argc == 1) {
    return Smoke();
  }
  if (argc == 2 && std::string_view(argv[1]) == "list") {
    for (const Input& input : kInputs) {
      std::printf("%s %s\n", input.label, input.is_register ? "register" : "other");
    }
    return 0;
  }
  Case c{};
  const Input* input = argc == 4 ? FindInput(argv[2]) : nullptr;
  const long long iterations = argc == 4 ? std::atoll(argv[3]) : 0;
  if (argc != 4 || !ParseCase(argv[1], c) || input == nullptr || iterations <= 0 ||
      (c == Case::kFastPath && !input->is_register)) {
    std::fprintf(stderr, "usage: %s [list | fastpath|full|tokenize|osip <input> <iterations>]\n",
                 argv[0]);
    std::fprintf(stderr, "inputs:");
    for (const Input& in : kInputs) {
      std::fprintf(stderr, " %s", in.label);
    }
    std::fprintf(stderr, " (fastpath: *_register only)\n");
    return 2;
  }
  const testing::PaddedBuffer buf(LoadCorpus(input->corpus_id));
  const uint64_t failures = MeasuredLoop(c, buf.view(), static_cast<uint64_t>(iterations));
  std::printf("case=%s input=%s bytes=%zu iterations=%lld failures=%llu\n", argv[1], input->label,
              buf.view().size(), iterations, static_cast<unsigned long long>(failures));
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace sipfront::bench

int main(int argc, char** argv) { return sipfront::bench::Main(argc, argv); }
