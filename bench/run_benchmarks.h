// bench/run_benchmarks.h — RunSpecifiedBenchmarks() with an exit status.
//
// Google Benchmark 1.7.1 ends with status 0 even when a benchmark called SkipWithError, so a
// bench-smoke test whose fixture failed (a request not registered, a restart that lost a
// binding) would pass. This wraps the display reporter the flags choose and reports whether
// any run carried an error.
#ifndef SIPFRONT_BENCH_RUN_BENCHMARKS_H_
#define SIPFRONT_BENCH_RUN_BENCHMARKS_H_

#include <memory>
#include <vector>

#include <benchmark/benchmark.h>

namespace sipfront::bench {

class ErrorTrackingReporter final : public benchmark::BenchmarkReporter {
 public:
  ErrorTrackingReporter() : inner_(benchmark::CreateDefaultDisplayReporter()) {}
  bool ReportContext(const Context& context) override { return inner_->ReportContext(context); }
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) {
      failed_ = failed_ || r.error_occurred;
    }
    inner_->ReportRuns(runs);
  }
  void Finalize() override { inner_->Finalize(); }
  [[nodiscard]] bool failed() const { return failed_; }

 private:
  std::unique_ptr<benchmark::BenchmarkReporter> inner_;
  bool failed_ = false;
};

// After benchmark::Initialize(): runs what the flags select; 1 if any benchmark failed.
inline int RunBenchmarks() {
  ErrorTrackingReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return reporter.failed() ? 1 : 0;
}

}  // namespace sipfront::bench

#endif  // SIPFRONT_BENCH_RUN_BENCHMARKS_H_
