// sipfront/registrar/persistence.h — journal segments, snapshots and recovery on disk.
//
// Layout under data_dir:
//   journal/<epoch:016x>-<rotation:08x>-<worker:04x>.log   one worker's records, in order
//   snapshot/shard-<n:05>.snap.tmp                         a snapshot being written
//   snapshot/<epoch:016x>-<rotation:08x>/shard-<n:05>.snap kSet records of one shard
//   snapshot/MANIFEST                                      {epoch, rotation, shards}: names
//                                                          the committed generation directory
// MANIFEST is 28 bytes: "SFM1", u32 version, u64 epoch, u32 rotation, u32 shards, u32 crc32c
// of the 24 bytes before (little-endian).
//
// Epoch: one per process start (recovery returns the next one). Rotation: a counter the
// snapshot scheduler raises; every worker then closes its segment and opens one numbered with
// the new rotation before the snapshot starts reading the tables, so every change made after
// the snapshot began is in a segment with (epoch, rotation) >= the manifest's.
//
// Recovery (before any socket opens): load the snapshot generation MANIFEST names (records
// are rehashed, so the shard count may have changed since), then replay every segment at or
// after the manifest's (epoch, rotation), in (epoch, rotation, worker) order — within one
// epoch an AOR's records are all in its owner's segments, so cross-worker order does not
// matter. A torn or corrupt tail is cut (the file truncated where the last good record ends)
// and reported; recovery goes on with the next file. Bindings whose wall-clock expiry has
// passed are dropped; records for domains no longer provisioned are dropped and counted.
//
// Writes and crash safety: each shard's snapshot is written to a temporary name and fsynced;
// CommitSnapshot moves them all into a new generation directory and fsyncs it, then writes
// MANIFEST (tmp, fsync, rename, fsync the directory) — the commit point — and only then
// deletes older generations and older segments. Before the commit point the old MANIFEST, its
// generation and every segment it needs are untouched; after it, the new generation is
// complete and durable; what is left to delete is ignored by recovery. A generation is never
// modified once MANIFEST names it, so a shard count change cannot mix two partitions.
//
// Threading: a SegmentWriter belongs to one thread. Recover() runs alone at start-up.
// WriteShardSnapshot() reads a table through its lock-free readers and may run on any thread;
// CommitSnapshot() runs on that same (snapshot) thread, never concurrently with itself.
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
  // A new segment file gets its 16-byte header, fdatasync and a journal/ directory fsync
  // before Open returns (an existing one is appended to). Errors: mkdir/open/write/fsync
  // failures as absl::ErrnoToStatus, InvalidArgument for worker > 0xffff.
  static absl::StatusOr<std::unique_ptr<SegmentWriter>> Open(const std::string& data_dir,
                                                             uint64_t epoch, uint32_t rotation,
                                                             uint32_t worker);
  ~SegmentWriter();  // fdatasync, then close
  SegmentWriter(const SegmentWriter&) = delete;
  SegmentWriter& operator=(const SegmentWriter&) = delete;

  // Writes all `n` bytes with write(2) (retrying short writes and EINTR); no allocation. False
  // on an I/O error (errno kept in last_error()); whatever part of the buffer reached the file
  // is truncated away again so later records do not follow a torn one (if that truncation
  // fails too, the segment is closed and every Write fails until Rotate()).
  bool Write(const char* data, std::size_t n);
  // fdatasync(2). False on error (then the segment's durability is unknown: Rotate()).
  bool Sync();
  // Opens segment (epoch, rotation) for the same worker, after a final fdatasync of the
  // current one, then closes the current one. On error nothing changed (still the old segment).
  absl::Status Rotate(uint32_t rotation);

  [[nodiscard]] uint32_t rotation() const { return rotation_; }
  // Size of the current segment file (header included): the offset the next record lands at.
  [[nodiscard]] uint64_t bytes() const { return bytes_; }
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
  uint64_t wall_now = 0;  // unix seconds
  uint32_t mono_now = 0;  // monotonic seconds (what the tables store)
  // Caps a recovered binding's remaining seconds (policy max_expires), in case the wall clock
  // went back while sipfront was down. 0: no cap.
  uint32_t max_expires = 0;
};

struct RecoveryReport {
  uint64_t next_epoch = 1;  // max epoch seen (segments, MANIFEST) + 1
  bool snapshot_loaded = false;
  uint64_t snapshot_records = 0;   // intact records read from the snapshot
  uint64_t journal_segments = 0;   // segments replayed (older ones skipped)
  uint64_t journal_records = 0;    // intact records read from them
  uint64_t bindings = 0;           // live bindings in the tables after recovery
  uint64_t expired_dropped = 0;    // kSet records whose expiry had passed: applied as removes
  uint64_t unknown_domain = 0;     // records for domains no longer provisioned
  uint64_t table_full = 0;         // sets that did not fit (capacity shrank)
  uint64_t invalid_records = 0;    // intact records whose contact no longer parses
  uint64_t bytes_cut = 0;          // torn or corrupt tails removed
  std::vector<std::string> notes;  // one line per cut or anomaly, for the log, e.g.
                                   // "journal/<name>: cut N bytes at offset O (torn tail)"
  double seconds = 0;
};

// Rebuilds the tables from data_dir (see the file comment); a missing data_dir is an empty
// one. Mutations go through BeginWrite/EndWrite. Besides truncating damaged files it removes
// leftover snapshot temporaries (never part of any state). Errors only for unusable state:
// InvalidArgument for a target without domains or with tables.size() != shard_mask + 1;
// ErrnoToStatus for an unreadable directory or file; DataLoss for a damaged MANIFEST or one
// naming a snapshot that is not there; FailedPrecondition for files of another format
// version. Damaged tails are repaired and reported instead.
absl::StatusOr<RecoveryReport> Recover(const std::string& data_dir, const RecoveryTarget& target);

// Writes one shard's snapshot (kSet records of every live binding, read with the table's
// lock-free readers; bindings already expired are left out) to snapshot/shard-<n>.snap.tmp
// and fsyncs it. Times are converted from the table's monotonic seconds to wall-clock with
// (mono_now, wall_now). Allocates a 1 MiB buffer and scratch for 1024 bindings per call. On an
// error the temporary file is removed.
absl::Status WriteShardSnapshot(const std::string& data_dir, uint32_t shard,
                                const BindingTable& table, const DomainNames& names,
                                uint64_t wall_now, uint32_t mono_now, uint64_t& bindings_written);

// Precondition: every worker rotated to (epoch, rotation) before the first WriteShardSnapshot
// of this round began, and WriteShardSnapshot succeeded for every shard < `shards` since.
// Moves shard-<n>.snap.tmp (n < shards) into snapshot/<epoch>-<rotation>/, fsyncs, writes
// MANIFEST {epoch, rotation, shards} (the commit point), then removes other generations and
// journal segments older than (epoch, rotation) and fsyncs both directories.
// Errors: FailedPrecondition (nothing changed) when a temporary file is missing or (epoch,
// rotation) is older than the committed snapshot's; DataLoss for a damaged MANIFEST; I/O errors
// as ErrnoToStatus — before the commit point the previous snapshot stays in effect, after it
// (while deleting) the new one is in effect and the leftovers are deleted by the next commit.
absl::Status CommitSnapshot(const std::string& data_dir, uint32_t shards, uint64_t epoch,
                            uint32_t rotation);

}  // namespace sipfront::registrar

#endif  // SIPFRONT_REGISTRAR_PERSISTENCE_H_
