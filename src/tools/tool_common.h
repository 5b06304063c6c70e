// Helpers shared by the load tools (sipfront-loadgen, sipfront-streamgen): clocks, /proc CPU
// accounting, option parsing, loopback checks, a fixed-buffer writer, JSON string escaping and
// a latency histogram. Header-only, included by one translation unit per tool.
// Threading: plain functions and values; a Histogram or Writer is used by one thread.
#ifndef SIPFRONT_SRC_TOOLS_TOOL_COMMON_H_
#define SIPFRONT_SRC_TOOLS_TOOL_COMMON_H_

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "sipfront/net/endpoint.h"

namespace sipfront::tools {

inline uint64_t NowNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

inline double CpuSecondsSelf() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// utime + stime of a process (all its threads) in seconds, or -1 when it cannot be read.
inline double CpuSecondsOf(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(f, line)) {
    return -1;
  }
  const std::size_t close = line.rfind(')');
  if (close == std::string::npos) {
    return -1;
  }
  // Fields after "(comm)": 3 state, 4 ppid, ... 14 utime, 15 stime.
  const char* p = line.c_str() + close + 1;
  unsigned long long utime = 0;
  unsigned long long stime = 0;
  if (std::sscanf(p, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) !=
      2) {
    return -1;
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Summed over `pids`; -1 when there are none or one cannot be read.
inline double CpuSecondsOf(const std::vector<int>& pids) {
  if (pids.empty()) {
    return -1;
  }
  double total = 0;
  for (int pid : pids) {
    const double s = CpuSecondsOf(pid);
    if (s < 0) {
      return -1;
    }
    total += s;
  }
  return total;
}

// Per-CPU time from /proc/stat, in seconds: busy (user + nice + system + irq + softirq), of
// which softirq, and steal (taken by the hypervisor). Empty when it cannot be read.
struct CpuTimes {
  std::vector<double> busy;
  std::vector<double> softirq;
  std::vector<double> steal;
};

inline CpuTimes ReadCpuTimes() {
  CpuTimes t;
  std::ifstream f("/proc/stat");
  std::string line;
  const auto hz = static_cast<double>(sysconf(_SC_CLK_TCK));
  while (std::getline(f, line)) {
    unsigned cpu = 0;
    unsigned long long v[8] = {};
    if (line.compare(0, 3, "cpu") != 0 || line.size() < 4 || line[3] < '0' || line[3] > '9' ||
        std::sscanf(line.c_str() + 3, "%u %llu %llu %llu %llu %llu %llu %llu %llu", &cpu, &v[0],
                    &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 9 ||
        cpu > 4096) {
      continue;
    }
    if (t.busy.size() <= cpu) {
      t.busy.resize(cpu + 1);
      t.softirq.resize(cpu + 1);
      t.steal.resize(cpu + 1);
    }
    // Fields: user nice system idle iowait irq softirq steal.
    t.busy[cpu] = static_cast<double>(v[0] + v[1] + v[2] + v[5] + v[6]) / hz;
    t.softirq[cpu] = static_cast<double>(v[6]) / hz;
    t.steal[cpu] = static_cast<double>(v[7]) / hz;
  }
  return t;
}

inline bool ParseU64(std::string_view s, uint64_t& out) {
  if (s.empty() || s.size() > 19) {
    return false;
  }
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') {
      return false;
    }
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  out = v;
  return true;
}

inline bool ParseDouble(const char* s, double& out) {
  char* end = nullptr;
  errno = 0;
  out = std::strtod(s, &end);
  return errno == 0 && end != s && *end == '\0' && std::isfinite(out) && out >= 0;
}

inline bool IsLoopback(const net::Endpoint& e) {
  if (e.IsV4()) {
    return (ntohl(e.addr.v4.sin_addr.s_addr) >> 24) == 127;
  }
  if (e.IsV6()) {
    return IN6_IS_ADDR_LOOPBACK(&e.addr.v6.sin6_addr);
  }
  return false;
}

// Appends to a fixed buffer; the caller sizes it (SIP requests here stay under 1 KiB).
class Writer {
 public:
  Writer(char* out, std::size_t cap) : out_(out), cap_(cap) {}
  void Append(std::string_view s) {
    if (!s.empty() && len_ + s.size() <= cap_) {
      std::memcpy(out_ + len_, s.data(), s.size());
    }
    len_ += s.size();
  }
  void AppendUint(uint64_t v) {
    char buf[20];
    std::size_t n = 0;
    do {
      buf[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    char rev[20];
    for (std::size_t i = 0; i < n; ++i) {
      rev[i] = buf[n - 1 - i];
    }
    Append(std::string_view(rev, n));
  }
  void AppendHex(uint64_t v, int digits) {
    static constexpr char kHex[] = "0123456789abcdef";
    char buf[16];
    for (int i = digits - 1; i >= 0; --i) {
      buf[i] = kHex[v & 0xf];
      v >>= 4;
    }
    Append(std::string_view(buf, static_cast<std::size_t>(digits)));
  }
  // Bytes written, or 0 when they did not fit.
  [[nodiscard]] std::size_t size() const { return len_ <= cap_ ? len_ : 0; }

 private:
  char* out_;
  std::size_t cap_;
  std::size_t len_ = 0;
};

inline bool IContains(std::string_view hay, std::string_view needle) {
  if (needle.size() > hay.size()) {
    return false;
  }
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    std::size_t k = 0;
    while (k < needle.size() && std::tolower(static_cast<unsigned char>(hay[i + k])) ==
                                    std::tolower(static_cast<unsigned char>(needle[k]))) {
      ++k;
    }
    if (k == needle.size()) {
      return true;
    }
  }
  return false;
}

inline std::string Fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), format, v);
  return buf;
}

inline std::string Us(uint64_t ns) { return Fmt("%.1f", static_cast<double>(ns) / 1000.0); }

inline void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
}

// Latency histogram: log-linear buckets, 64 per power of two (values within 1.6%), in ns.
class Histogram {
 public:
  static constexpr int kSubBits = 6;
  static constexpr std::size_t kBuckets = (64 - kSubBits + 1) << kSubBits;

  Histogram() : counts_(kBuckets, 0) {}

  void Record(uint64_t v) {
    ++counts_[Index(v)];
    ++total_;
    max_ = std::max(max_, v);
    sum_ += static_cast<double>(v);
  }
  void Merge(const Histogram& o) {
    for (std::size_t i = 0; i < kBuckets; ++i) {
      counts_[i] += o.counts_[i];
    }
    total_ += o.total_;
    max_ = std::max(max_, o.max_);
    sum_ += o.sum_;
  }
  [[nodiscard]] uint64_t total() const { return total_; }
  [[nodiscard]] uint64_t max() const { return max_; }
  [[nodiscard]] double mean() const { return total_ == 0 ? 0 : sum_ / static_cast<double>(total_); }
  // The value below which a fraction q of the samples lie (a bucket's midpoint; max for 1.0).
  [[nodiscard]] uint64_t Quantile(double q) const {
    if (total_ == 0) {
      return 0;
    }
    const auto rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(total_)));
    uint64_t seen = 0;
    for (std::size_t i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= rank && counts_[i] != 0) {
        return std::min(Mid(i), max_);
      }
    }
    return max_;
  }

 private:
  static std::size_t Index(uint64_t v) {
    if (v < (1u << kSubBits)) {
      return static_cast<std::size_t>(v);
    }
    const int msb = 63 - __builtin_clzll(v);
    const int shift = msb - kSubBits;
    return (static_cast<std::size_t>(shift + 1) << kSubBits) +
           static_cast<std::size_t>((v >> shift) - (1u << kSubBits));
  }
  static uint64_t Mid(std::size_t i) {
    if (i < (1u << kSubBits)) {
      return i;
    }
    const int shift = static_cast<int>(i >> kSubBits) - 1;
    const uint64_t lo = ((i & ((1u << kSubBits) - 1)) + (1u << kSubBits)) << shift;
    return lo + ((uint64_t{1} << shift) >> 1);
  }

  std::vector<uint64_t> counts_;
  uint64_t total_ = 0;
  uint64_t max_ = 0;
  double sum_ = 0;
};

}  // namespace sipfront::tools

#endif  // SIPFRONT_SRC_TOOLS_TOOL_COMMON_H_
