#include "sipfront/core/snapshots.h"

#include <chrono>
#include <cstdio>

#include <unistd.h>

#include "sipfront/base/clock.h"
#include "sipfront/registrar/persistence.h"

namespace sipfront::core {

SnapshotScheduler::SnapshotScheduler(std::string data_dir, uint64_t epoch,
                                     std::vector<JournalWriter*> journals,
                                     std::vector<const registrar::BindingTable*> tables,
                                     const registrar::DomainNames* names, uint32_t interval_s)
    : data_dir_(std::move(data_dir)),
      epoch_(epoch),
      journals_(std::move(journals)),
      tables_(std::move(tables)),
      names_(names),
      interval_s_(interval_s) {
  for (JournalWriter* j : journals_) {
    rotation_ = j->rotation() > rotation_ ? j->rotation() : rotation_;
  }
}

SnapshotScheduler::~SnapshotScheduler() { Stop(); }

void SnapshotScheduler::Start() {
  if (interval_s_ != 0 && !thread_.joinable()) {
    thread_ = std::thread([this] { Run(); });
  }
}

void SnapshotScheduler::Stop() {
  stop_.store(true, std::memory_order_release);
  if (thread_.joinable()) {
    thread_.join();
  }
}

absl::StatusOr<SnapshotReport> SnapshotScheduler::SnapshotNow() {
  const auto t0 = std::chrono::steady_clock::now();
  const uint32_t rotation = ++rotation_;
  for (JournalWriter* j : journals_) {
    j->RequestRotation(rotation);
  }
  // Every change made from now on lands in a segment with this rotation or later.
  for (JournalWriter* j : journals_) {
    for (int waited_ms = 0; j->rotation() < rotation; ++waited_ms) {
      if (waited_ms == 10000) {
        return absl::DeadlineExceededError("snapshot: a journal writer did not rotate in 10 s");
      }
      usleep(1000);
    }
  }
  SnapshotReport report;
  report.rotation = rotation;
  for (uint32_t s = 0; s < tables_.size(); ++s) {
    uint64_t written = 0;
    SIPFRONT_RETURN_IF_ERROR(registrar::WriteShardSnapshot(data_dir_, s, *tables_[s], *names_,
                                                           WallSeconds(), MonoSeconds(), written));
    report.bindings += written;
  }
  SIPFRONT_RETURN_IF_ERROR(registrar::CommitSnapshot(
      data_dir_, static_cast<uint32_t>(tables_.size()), epoch_, rotation));
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  taken_.fetch_add(1, std::memory_order_relaxed);
  return report;
}

void SnapshotScheduler::Run() {
  uint64_t next = MonoMillis() + uint64_t{interval_s_} * 1000;
  while (!stop_.load(std::memory_order_acquire)) {
    if (MonoMillis() < next) {
      usleep(100000);
      continue;
    }
    absl::StatusOr<SnapshotReport> r = SnapshotNow();
    if (r.ok()) {
      std::fprintf(stderr, "sipfront: snapshot %u: %llu bindings in %.2f s\n", r->rotation,
                   static_cast<unsigned long long>(r->bindings), r->seconds);
    } else {
      std::fprintf(stderr, "sipfront: snapshot failed: %s\n",
                   std::string(r.status().message()).c_str());
    }
    next = MonoMillis() + uint64_t{interval_s_} * 1000;
  }
}

}  // namespace sipfront::core
