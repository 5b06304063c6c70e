// main() for every Google Benchmark binary in bench/. Google Benchmark 1.7.1 as packaged by
// Debian ships no benchmark_main.pc, so this is the BENCHMARK_MAIN() body written out.
#include <benchmark/benchmark.h>

#include "run_benchmarks.h"

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 1;
  }
  const int status = sipfront::bench::RunBenchmarks();
  return status;
}
