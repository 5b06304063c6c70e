// sipfront/core/snapshots.h — periodic snapshots of the binding tables.
//
// Every interval (and on demand, e.g. at shutdown) the scheduler raises the journal rotation,
// waits until every worker's journal writer has moved to a segment with that rotation, then
// writes each shard's snapshot through the tables' lock-free readers while the workers go on
// serving, and commits it (registrar/persistence.h): MANIFEST names (epoch, rotation), older
// journal segments are deleted. Changes made during the walk are in the new segments, and
// replaying them over the snapshot is idempotent.
//
// Threading: one scheduler thread; SnapshotNow() may also be called from another thread while
// the scheduler is stopped (shutdown).
#ifndef SIPFRONT_CORE_SNAPSHOTS_H_
#define SIPFRONT_CORE_SNAPSHOTS_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "sipfront/base/status.h"
#include "sipfront/core/journal_writer.h"
#include "sipfront/registrar/binding_table.h"
#include "sipfront/registrar/registrar.h"

namespace sipfront::core {

struct SnapshotReport {
  uint32_t rotation = 0;
  uint64_t bindings = 0;
  double seconds = 0;
};

class SnapshotScheduler {
 public:
  SnapshotScheduler(std::string data_dir, uint64_t epoch, std::vector<JournalWriter*> journals,
                    std::vector<const registrar::BindingTable*> tables,
                    const registrar::DomainNames* names, uint32_t interval_s);
  ~SnapshotScheduler();
  SnapshotScheduler(const SnapshotScheduler&) = delete;
  SnapshotScheduler& operator=(const SnapshotScheduler&) = delete;

  // Starts the periodic thread (no-op when the interval is 0).
  void Start();
  void Stop();

  // Takes one snapshot now. Fails if a journal writer does not rotate within 10 s or a file
  // cannot be written (the previous snapshot and the journal stay valid then).
  absl::StatusOr<SnapshotReport> SnapshotNow();

  [[nodiscard]] uint64_t snapshots() const { return taken_.load(std::memory_order_relaxed); }

 private:
  void Run();

  std::string data_dir_;
  uint64_t epoch_;
  std::vector<JournalWriter*> journals_;
  std::vector<const registrar::BindingTable*> tables_;
  const registrar::DomainNames* names_;
  uint32_t interval_s_;
  uint32_t rotation_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> taken_{0};
  std::thread thread_;
};

}  // namespace sipfront::core

#endif  // SIPFRONT_CORE_SNAPSHOTS_H_
