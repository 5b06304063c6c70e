// The conformance corpus in tests/corpus/sip (a copy of shared/conformance): every message
// with the verdict its directory's MANIFEST.tsv gives it.
#ifndef SIPFRONT_TESTS_TESTLIB_CORPUS_H_
#define SIPFRONT_TESTS_TESTLIB_CORPUS_H_

#include <string>
#include <vector>

namespace sipfront::testing {

enum class Verdict { kValid, kInvalid, kSemanticError };

struct CorpusCase {
  std::string dir;   // "rfc4475", "rfc5118", "devices"
  std::string name;  // file name without ".sip"
  Verdict expected;
  std::string parser_must;  // the MANIFEST's prose: what a parser must do
  std::string bytes;        // the message, byte-exact

  [[nodiscard]] std::string id() const { return dir + "/" + name; }
};

// Directory holding rfc4475/, rfc5118/ and devices/ (compiled in by meson).
std::string CorpusDir();
// Every case of every MANIFEST.tsv, in manifest order. Aborts if a listed file is missing.
const std::vector<CorpusCase>& Corpus();
// One case by id ("rfc4475/wsinv"); aborts when absent.
const CorpusCase& CorpusFile(const std::string& id);

}  // namespace sipfront::testing

#endif  // SIPFRONT_TESTS_TESTLIB_CORPUS_H_
