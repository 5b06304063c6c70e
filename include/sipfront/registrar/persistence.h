// sipfront/registrar/persistence.h — journal segments, snapshots and recovery on disk.
//
// Layout under data_dir:
//   journal/<epoch:016x>-<rotation:08x>-<worker:04x>.log   one worker's records, in order
//   snapshot/shard-<n:05>.snap                             kSet records of one shard
//   snapshot/MANIFEST                                      {epoch, rotation} the snapshot covers
//
// Epoch: one per process start (recovery returns the next one). Rotation: a counter the
// snapshot scheduler raises; every worker then closes its segment and opens one numbered with
// the new rotation before the snapshot starts reading the tables, so every change made after
// the snapshot began is in a segment with (epoch, rotation) >= the manifest's.
//
// Recovery (before any socket opens): load the snapshot listed by MANIFEST, then replay every
// segment at or after the manifest's (epoch, rotation), in (epoch, rotation) order — within
// one epoch an AOR's records are all in its owner's segments, so cross-worker order does not
// matter. A torn or corrupt tail is cut (the file truncated where the last good record ends)
// and reported; recovery goes on. Bindings whose wall-clock expiry has passed are dropped;
// records for domains no longer provisioned are dropped and counted.
//
// Writes: snapshot files are written to a temporary name, fsynced, renamed, and the directory
// fsynced; MANIFEST last, the same way. Only then are older segments deleted.
//
// Threading: a SegmentWriter belongs to one thread. Recover() runs alone at start-up.
// WriteSnapshot() reads a table through its lock-free readers and may run on any thread.
#ifndef SIPFRONT_REGISTRAR_PERSISTENCE_H_
#define SIPFRONT_REGISTRAR_PERSISTENCE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sipfront/base/hash.h"
#include "sipfront/base/status.h"
#include "sipfront/registrar/binding_table.h"
#include "sipfront/registrar/registrar.h"

namespace sipfront::registrar {

// One worker's journal file side: appends whole record buffers with write(2).
class SegmentWriter {
 public:
  // Creates data_dir/journal (if needed) and opens segment (epoch, rotation, worker) for append.
  static absl::StatusOr<std::unique_ptr<SegmentWriter>> Open(const std::string& data_dir,
                                                             uint64_t epoch, uint32_t rotation,
                                                             uint32_t worker);
  ~SegmentWriter();
  SegmentWriter(const SegmentWriter&) = delete;
  SegmentWriter& operator=(const SegmentWriter&) = delete;

  // Writes all `n` bytes (retrying short writes and EINTR). False on an I/O error (errno kept
  // in last_error()).
  bool Write(const char* data, std::size_t n);
  // fdatasync(2). False on error.
  bool Sync();
  // Closes this segment (after a final fdatasync) and opens (epoch, rotation) for the same
  // worker.
  absl::Status Rotate(uint32_t rotation);

  [[nodiscard]] uint32_t rotation() const { return rotation_; }
  [[nodiscard]] uint64_t bytes() const { return bytes_; }  // written to the current segment
  [[nodiscard]] int last_error() const { return last_error_; }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  SegmentWriter() = default;
  std::string dir_;
  std::string path_;
  int fd_ = -1;
  uint64_t epoch_ = 0;
  uint32_t rotation_ = 0;
  uint32_t worker_ = 0;
  uint64_t bytes_ = 0;
  int last_error_ = 0;
};

// Where recovered bindings go.
struct RecoveryTarget {
  std::vector<BindingTable*> tables;  // one per shard
  uint32_t shard_mask = 0;
  const DomainTable* domains = nullptr;
  HashKey hash_key;
  uint64_t wall_now = 0;   // unix seconds
  uint32_t mono_now = 0;   // monotonic seconds (what the tables store)
};

struct RecoveryReport {
  uint64_t next_epoch = 1;          // the epoch this process must write its segments in
  bool snapshot_loaded = false;
  uint64_t snapshot_records = 0;
  uint64_t journal_segments = 0;
  uint64_t journal_records = 0;
  uint64_t bindings = 0;            // live bindings after recovery
  uint64_t expired_dropped = 0;     // expired while sipfront was down
  uint64_t unknown_domain = 0;      // records for domains no longer provisioned
  uint64_t table_full = 0;          // records that did not fit (capacity shrank)
  uint64_t bytes_cut = 0;           // torn or corrupt tails removed
  std::vector<std::string> notes;   // one line per cut or anomaly, for the log
  double seconds = 0;
};

// Rebuilds the tables from data_dir (see the file comment). Errors only for unusable state
// (unreadable directory, a MANIFEST naming a snapshot that is not there); damaged tails are
// repaired and reported instead.
absl::StatusOr<RecoveryReport> Recover(const std::string& data_dir, const RecoveryTarget& target);

// Writes one shard's snapshot (kSet records of every live binding, read with the table's
// lock-free readers) to snapshot/shard-<n>.snap.tmp and fsyncs it. Times are converted from the
// table's monotonic seconds to wall-clock with (mono_now, wall_now).
absl::Status WriteShardSnapshot(const std::string& data_dir, uint32_t shard,
                                const BindingTable& table, const DomainTable& domains,
                                uint64_t wall_now, uint32_t mono_now, uint64_t& bindings_written);

// Renames every shard-*.snap.tmp into place, removes snapshot files of shards beyond `shards`,
// writes MANIFEST {epoch, rotation} the same way, fsyncs the directory, then deletes journal
// segments older than (epoch, rotation).
absl::Status CommitSnapshot(const std::string& data_dir, uint32_t shards, uint64_t epoch,
                            uint32_t rotation);

}  // namespace sipfront::registrar

#endif  // SIPFRONT_REGISTRAR_PERSISTENCE_H_
