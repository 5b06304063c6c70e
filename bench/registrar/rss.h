// bench/registrar/rss.h — this process's resident set size, for the bytes-per-binding figures
// of the registrar benchmarks (pipeline_bench, scale_bench).
#ifndef SIPFRONT_BENCH_REGISTRAR_RSS_H_
#define SIPFRONT_BENCH_REGISTRAR_RSS_H_

#include <cstdint>
#include <cstdio>

#include <unistd.h>

namespace sipfront::registrar {

// Resident bytes from /proc/self/statm; 0 when it cannot be read.
inline uint64_t RssBytes() {
  long pages = 0;
  long resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) {
      resident = 0;
    }
    std::fclose(f);
  }
  return static_cast<uint64_t>(resident) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace sipfront::registrar

#endif  // SIPFRONT_BENCH_REGISTRAR_RSS_H_
