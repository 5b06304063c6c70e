#include "corpus.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>

namespace sipfront::testing {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    std::fprintf(stderr, "corpus: cannot read %s\n", path.c_str());
    std::abort();
  }
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

std::vector<CorpusCase> Load() {
  std::vector<CorpusCase> cases;
  for (const char* dir : {"rfc4475", "rfc5118", "devices"}) {
    std::istringstream manifest(ReadFile(CorpusDir() + "/" + dir + "/MANIFEST.tsv"));
    std::string line;
    std::getline(manifest, line);  // column names
    while (std::getline(manifest, line)) {
      if (line.empty()) {
        continue;
      }
      std::vector<std::string> cols;
      std::size_t start = 0;
      for (std::size_t tab; (tab = line.find('\t', start)) != std::string::npos; start = tab + 1) {
        cols.push_back(line.substr(start, tab - start));
      }
      cols.push_back(line.substr(start));
      if (cols.size() < 4) {
        std::fprintf(stderr, "corpus: bad MANIFEST line in %s: %s\n", dir, line.c_str());
        std::abort();
      }
      CorpusCase c;
      c.dir = dir;
      c.name = cols[0];
      c.expected = cols[2] == "valid"     ? Verdict::kValid
                   : cols[2] == "invalid" ? Verdict::kInvalid
                                          : Verdict::kSemanticError;
      if (cols[2] != "valid" && cols[2] != "invalid" && cols[2] != "semantic-error") {
        std::fprintf(stderr, "corpus: unknown verdict %s\n", cols[2].c_str());
        std::abort();
      }
      c.parser_must = cols[3];
      c.bytes = ReadFile(CorpusDir() + "/" + dir + "/" + c.name + ".sip");
      cases.push_back(std::move(c));
    }
  }
  return cases;
}

}  // namespace

std::string CorpusDir() { return SIPFRONT_CORPUS_DIR; }

const std::vector<CorpusCase>& Corpus() {
  static const std::vector<CorpusCase> cases = Load();
  return cases;
}

const CorpusCase& CorpusFile(const std::string& id) {
  for (const CorpusCase& c : Corpus()) {
    if (c.id() == id) {
      return c;
    }
  }
  std::fprintf(stderr, "corpus: no case %s\n", id.c_str());
  std::abort();
}

}  // namespace sipfront::testing
