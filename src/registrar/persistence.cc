// Journal segments, snapshots and recovery on disk. Start-up and slow-path code (listed in
// scripts/fastpath-exempt.txt): owning strings, absl::Status. The only call a worker makes per
// binding change is SegmentWriter::Write (one write(2), no allocation).
#include "sipfront/registrar/persistence.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"

#include "sipfront/registrar/journal.h"
#include "sipfront/sip/uri.h"

namespace sipfront::registrar {
namespace {

constexpr char kJournalDir[] = "journal";
constexpr char kSnapshotDir[] = "snapshot";
constexpr char kManifest[] = "MANIFEST";
constexpr char kManifestTmp[] = "MANIFEST.tmp";
constexpr char kManifestMagic[4] = {'S', 'F', 'M', '1'};
// "SFM1", u32 version, u64 epoch, u32 rotation, u32 shards, u32 crc32c of the 24 bytes before.
constexpr std::size_t kManifestSize = 28;
// 1 MiB: about 8,000 typical (126-byte) records per write(2), so system calls are not what a
// snapshot waits on.
constexpr std::size_t kSnapshotBuffer = std::size_t{1} << 20;
// Most bindings one AOR can have in a snapshot; the registrar's max_contacts is far lower and
// the table's own walks stop at 1024.
constexpr uint32_t kSnapshotScratch = 1024;

// abseil 20220623 as Debian builds it has its own string_view type.
absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

std::string Join(std::string_view a, std::string_view b) { return absl::StrCat(Sv(a), "/", Sv(b)); }

absl::Status Errno(int err, std::string_view what, std::string_view path) {
  return absl::ErrnoToStatus(err, absl::StrCat(Sv(what), " ", Sv(path)));
}

// Closes a descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  [[nodiscard]] int Get() const { return fd_; }
  int Release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  // Closes now and reports the error close(2) gives (data already fsynced: informational).
  int Close() {
    const int fd = fd_;
    fd_ = -1;
    return fd >= 0 && ::close(fd) != 0 ? errno : 0;
  }

 private:
  int fd_;
};

absl::Status SyncDir(const std::string& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.Get() < 0) {
    return Errno(errno, "open directory", dir);
  }
  if (::fsync(fd.Get()) != 0) {
    return Errno(errno, "fsync directory", dir);
  }
  return absl::OkStatus();
}

// Creates `dir` if missing; a new directory's entry is made durable by syncing `parent`.
absl::Status MakeDir(const std::string& dir, const std::string& parent) {
  if (::mkdir(dir.c_str(), 0700) == 0) {
    return parent.empty() ? absl::OkStatus() : SyncDir(parent);
  }
  if (errno == EEXIST) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      return absl::OkStatus();
    }
    return absl::FailedPreconditionError(absl::StrCat(dir, " exists and is not a directory"));
  }
  return Errno(errno, "mkdir", dir);
}

bool WriteAll(int fd, const char* data, std::size_t n, int& err) {
  std::size_t done = 0;
  while (done < n) {
    const ssize_t k = ::write(fd, data + done, n - done);
    if (k < 0) {
      if (errno == EINTR) {
        continue;
      }
      err = errno;
      return false;
    }
    if (k == 0) {
      err = EIO;
      return false;
    }
    done += static_cast<std::size_t>(k);
  }
  return true;
}

// Names of the entries of `dir` (no "." or ".."). `exists` false (and OK) when it is missing.
absl::Status ListDir(const std::string& dir, std::vector<std::string>& names, bool& exists) {
  names.clear();
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) {
      exists = false;
      return absl::OkStatus();
    }
    return Errno(errno, "opendir", dir);
  }
  exists = true;
  errno = 0;
  while (const dirent* e = ::readdir(d)) {
    const std::string_view name(e->d_name);
    if (name != "." && name != "..") {
      names.emplace_back(name);
    }
    errno = 0;
  }
  const int err = errno;
  ::closedir(d);
  return err == 0 ? absl::OkStatus() : Errno(err, "readdir", dir);
}

bool ParseHex(std::string_view s, uint64_t& v) {
  v = 0;
  for (const char c : s) {
    uint64_t digit;
    if (c >= '0' && c <= '9') {
      digit = static_cast<uint64_t>(c) - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = static_cast<uint64_t>(c) - 'a' + 10;
    } else {
      return false;
    }
    v = v << 4 | digit;
  }
  return !s.empty();
}

struct SegmentId {
  uint64_t epoch = 0;
  uint32_t rotation = 0;
  uint32_t worker = 0;
  std::string name;

  [[nodiscard]] bool Before(uint64_t e, uint32_t r) const {
    return std::tie(epoch, rotation) < std::tie(e, r);
  }
};

std::string SegmentName(uint64_t epoch, uint32_t rotation, uint32_t worker) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%016llx-%08x-%04x.log", static_cast<unsigned long long>(epoch),
                rotation, worker);
  return buf;
}

// "<epoch:016x>-<rotation:08x>-<worker:04x>.log", exactly.
bool ParseSegmentName(std::string_view name, SegmentId& id) {
  uint64_t e = 0;
  uint64_t r = 0;
  uint64_t w = 0;
  if (name.size() != 34 || name[16] != '-' || name[25] != '-' || name.substr(30) != ".log" ||
      !ParseHex(name.substr(0, 16), e) || !ParseHex(name.substr(17, 8), r) ||
      !ParseHex(name.substr(26, 4), w)) {
    return false;
  }
  id = SegmentId{e, static_cast<uint32_t>(r), static_cast<uint32_t>(w), std::string(name)};
  return true;
}

std::string GenerationName(uint64_t epoch, uint32_t rotation) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%016llx-%08x", static_cast<unsigned long long>(epoch), rotation);
  return buf;
}

bool IsGenerationName(std::string_view name) {
  uint64_t v = 0;
  return name.size() == 25 && name[16] == '-' && ParseHex(name.substr(0, 16), v) &&
         ParseHex(name.substr(17), v);
}

std::string ShardName(uint32_t shard) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "shard-%05u.snap", shard);
  return buf;
}

// "shard-<decimal>.snap" followed by `suffix`.
bool ParseShardName(std::string_view name, std::string_view suffix, uint32_t& shard) {
  constexpr std::string_view kPrefix = "shard-";
  constexpr std::string_view kExt = ".snap";
  if (name.size() <= kPrefix.size() + kExt.size() + suffix.size() ||
      name.substr(0, kPrefix.size()) != kPrefix ||
      name.substr(name.size() - suffix.size()) != suffix) {
    return false;
  }
  name = name.substr(kPrefix.size(), name.size() - kPrefix.size() - suffix.size());
  if (name.size() <= kExt.size() || name.substr(name.size() - kExt.size()) != kExt) {
    return false;
  }
  name = name.substr(0, name.size() - kExt.size());
  if (name.size() > 9) {
    return false;
  }
  uint32_t v = 0;
  for (const char c : name) {
    if (c < '0' || c > '9') {
      return false;
    }
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  shard = v;
  return true;
}

// ---- MANIFEST ----

struct Manifest {
  uint64_t epoch = 0;
  uint32_t rotation = 0;
  uint32_t shards = 0;
};

void PutLe(char* p, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) {
    p[i] = static_cast<char>(v >> (8 * i));
  }
}

uint64_t GetLe(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) {
    v |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  }
  return v;
}

void EncodeManifest(const Manifest& m, char* out) {
  std::memcpy(out, kManifestMagic, 4);
  PutLe(out + 4, kFileVersion, 4);
  PutLe(out + 8, m.epoch, 8);
  PutLe(out + 16, m.rotation, 4);
  PutLe(out + 20, m.shards, 4);
  PutLe(out + 24, Crc32c(out, 24), 4);
}

// Reads snapshot/MANIFEST. `found` false (and OK) when there is none. It is written with
// tmp + fsync + rename, so damage is not a torn write but a failing disk: an error.
absl::Status ReadManifest(const std::string& path, Manifest& m, bool& found) {
  found = false;
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.Get() < 0) {
    return errno == ENOENT ? absl::OkStatus() : Errno(errno, "open", path);
  }
  char buf[kManifestSize + 1];
  std::size_t n = 0;
  while (n < sizeof(buf)) {
    const ssize_t k = ::read(fd.Get(), buf + n, sizeof(buf) - n);
    if (k < 0 && errno == EINTR) {
      continue;
    }
    if (k < 0) {
      return Errno(errno, "read", path);
    }
    if (k == 0) {
      break;
    }
    n += static_cast<std::size_t>(k);
  }
  if (n != kManifestSize || std::memcmp(buf, kManifestMagic, 4) != 0 ||
      GetLe(buf + 24, 4) != Crc32c(buf, 24)) {
    return absl::DataLossError(absl::StrCat(path, ": damaged (", n, " bytes, bad magic or crc)"));
  }
  if (GetLe(buf + 4, 4) != kFileVersion) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": version ", GetLe(buf + 4, 4),
                                                      " (this build reads ", kFileVersion, ")"));
  }
  m.epoch = GetLe(buf + 8, 8);
  m.rotation = static_cast<uint32_t>(GetLe(buf + 16, 4));
  m.shards = static_cast<uint32_t>(GetLe(buf + 20, 4));
  found = true;
  return absl::OkStatus();
}

// Writes `data` to `dir`/`name`.tmp, fsyncs it, renames it to `dir`/`name`, fsyncs `dir`.
absl::Status WriteFileAtomically(const std::string& dir, std::string_view tmp_name,
                                 std::string_view name, const char* data, std::size_t n) {
  const std::string tmp = Join(dir, tmp_name);
  const std::string final_path = Join(dir, name);
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (fd.Get() < 0) {
    return Errno(errno, "create", tmp);
  }
  int err = 0;
  if (!WriteAll(fd.Get(), data, n, err)) {
    return Errno(err, "write", tmp);
  }
  if (::fsync(fd.Get()) != 0) {
    return Errno(errno, "fsync", tmp);
  }
  if (const int e = fd.Close(); e != 0) {
    return Errno(e, "close", tmp);
  }
  if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
    return Errno(errno, "rename", tmp);
  }
  return SyncDir(dir);
}

// Opens (creating with its header if new) one segment for append.
absl::Status OpenSegmentFile(const std::string& dir, uint64_t epoch, uint32_t rotation,
                             uint32_t worker, int& fd_out, std::string& path, uint64_t& bytes) {
  path = Join(dir, SegmentName(epoch, rotation, worker));
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (fd.Get() < 0) {
    return Errno(errno, "open", path);
  }
  struct stat st {};
  if (::fstat(fd.Get(), &st) != 0) {
    return Errno(errno, "fstat", path);
  }
  bytes = static_cast<uint64_t>(st.st_size);
  if (bytes < kFileHeaderSize) {
    // New (or a header torn by a crash while it was being created): start it over.
    if (bytes != 0 && ::ftruncate(fd.Get(), 0) != 0) {
      return Errno(errno, "ftruncate", path);
    }
    char header[kFileHeaderSize];
    EncodeFileHeader(FileKind::kJournal, epoch << 32 | rotation, header);
    int err = 0;
    if (!WriteAll(fd.Get(), header, sizeof(header), err)) {
      return Errno(err, "write", path);
    }
    // The records a worker later fdatasyncs must not vanish with the directory entry.
    if (::fdatasync(fd.Get()) != 0) {
      return Errno(errno, "fdatasync", path);
    }
    SIPFRONT_RETURN_IF_ERROR(SyncDir(dir));
    bytes = kFileHeaderSize;
  }
  fd_out = fd.Release();
  return absl::OkStatus();
}

// ---- recovery ----

class Replayer {
 public:
  Replayer(const RecoveryTarget& target, RecoveryReport& report) : t_(target), report_(report) {}

  void Apply(const JournalRecord& rec) {
    const DomainInfo* domain = t_.domains->Find(rec.domain);
    if (domain == nullptr) {
      ++report_.unknown_domain;
      return;
    }
    const AorKey key = MakeAorKey(domain->id, rec.user, t_.hash_key);
    BindingTable& table = *t_.tables[static_cast<uint32_t>(key.hash) & t_.shard_mask];
    sip::Uri uri;
    if (!sip::ParseUri(rec.contact, uri).ok()) {
      ++report_.invalid_records;
      return;
    }
    uint32_t aor = table.FindAor(key);
    uint32_t match = kNil;
    if (aor != kNil) {
      for (uint32_t b = table.First(aor); b != kNil; b = table.Next(b)) {
        if (table.Matches(b, uri, rec.instance, rec.reg_id)) {
          match = b;
          break;
        }
      }
    }
    const bool expired = rec.op == JournalOp::kSet && rec.expires_wall <= t_.wall_now;
    if (expired) {
      ++report_.expired_dropped;
    }
    if (rec.op != JournalOp::kSet || expired) {
      if (match != kNil) {
        table.BeginWrite();
        table.Remove(match);
        table.RemoveAorIfEmpty(aor);
        table.EndWrite();
      }
      return;
    }

    uint64_t left = rec.expires_wall - t_.wall_now;
    if (t_.max_expires != 0 && left > t_.max_expires) {
      left = t_.max_expires;  // the wall clock went back while sipfront was down
    }
    left = std::min<uint64_t>(left, 0x3fffffff);
    uint32_t updated = t_.mono_now;
    if (rec.updated_wall < t_.wall_now) {
      const uint64_t ago = t_.wall_now - rec.updated_wall;
      updated = ago >= t_.mono_now ? 0 : t_.mono_now - static_cast<uint32_t>(ago);
    }
    const BindingData data{rec.contact,  &uri,
                           rec.instance, rec.reg_id,
                           rec.q,        t_.mono_now + static_cast<uint32_t>(left),
                           rec.cseq,     rec.call_id_hash,
                           rec.source,   rec.transport};
    table.BeginWrite();
    bool ok = false;
    if (aor == kNil) {
      aor = table.CreateAor(key);
    }
    if (aor != kNil) {
      ok = match != kNil ? table.Update(match, data, updated)
                         : table.Insert(aor, data, updated) != kNil;
      if (!ok) {
        table.RemoveAorIfEmpty(aor);
      }
    }
    table.EndWrite();
    if (!ok) {
      ++report_.table_full;
    }
  }

 private:
  const RecoveryTarget& t_;
  RecoveryReport& report_;
};

// Replays one file (journal segment or snapshot shard). A torn or corrupt record ends it: the
// file is cut where the last good record ends and the cut reported.
absl::Status ReplayFile(const std::string& path, std::string_view display, FileKind kind,
                        Replayer& replayer, RecoveryReport& report, uint64_t& records) {
  Fd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
  if (fd.Get() < 0) {
    return Errno(errno, "open", path);
  }
  struct stat st {};
  if (::fstat(fd.Get(), &st) != 0) {
    return Errno(errno, "fstat", path);
  }
  const auto size = static_cast<std::size_t>(st.st_size);
  if (size == 0) {
    return absl::OkStatus();  // created, nothing written yet
  }
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd.Get(), 0);
  if (map == MAP_FAILED) {
    return Errno(errno, "mmap", path);
  }
  ::madvise(map, size, MADV_SEQUENTIAL);
  const std::string_view all(static_cast<const char*>(map), size);

  std::size_t good = 0;  // end of the last intact record
  const char* why = nullptr;
  uint64_t sequence = 0;
  switch (DecodeFileHeader(all, kind, sequence)) {
    case HeaderStatus::kOk:
      good = kFileHeaderSize;
      break;
    case HeaderStatus::kShort:
      why = "torn header";
      break;
    case HeaderStatus::kBadMagic:
      why = "corrupt header";
      break;
    case HeaderStatus::kBadVersion:
      ::munmap(map, size);
      return absl::FailedPreconditionError(
          absl::StrCat(path, ": written by another file format version"));
  }
  while (why == nullptr) {
    JournalRecord rec;
    std::size_t n = 0;
    const DecodeStatus s = DecodeRecord(all.substr(good), rec, n);
    if (s == DecodeStatus::kEnd) {
      break;
    }
    if (s == DecodeStatus::kTorn) {
      why = "torn tail";
    } else if (s == DecodeStatus::kCorrupt) {
      why = "corrupt record";
    } else {
      replayer.Apply(rec);
      ++records;
      good += n;
    }
  }
  ::munmap(map, size);
  if (why != nullptr) {
    if (::ftruncate(fd.Get(), static_cast<off_t>(good)) != 0) {
      return Errno(errno, "ftruncate", path);
    }
    if (::fsync(fd.Get()) != 0) {
      return Errno(errno, "fsync", path);
    }
    report.bytes_cut += size - good;
    report.notes.push_back(absl::StrCat(Sv(display), ": cut ", size - good, " bytes at offset ",
                                        good, " (", why, ")"));
  }
  return absl::OkStatus();
}

// Removes every entry of `dir` and then `dir` itself (one level: generation directories hold
// plain files only).
absl::Status RemoveTree(const std::string& dir) {
  std::vector<std::string> names;
  bool exists = false;
  SIPFRONT_RETURN_IF_ERROR(ListDir(dir, names, exists));
  for (const std::string& name : names) {
    const std::string path = Join(dir, name);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return Errno(errno, "unlink", path);
    }
  }
  if (exists && ::rmdir(dir.c_str()) != 0 && errno != ENOENT) {
    return Errno(errno, "rmdir", dir);
  }
  return absl::OkStatus();
}

}  // namespace

// ---- SegmentWriter ----

absl::StatusOr<std::unique_ptr<SegmentWriter>> SegmentWriter::Open(const std::string& data_dir,
                                                                   uint64_t epoch,
                                                                   uint32_t rotation,
                                                                   uint32_t worker) {
  if (worker > 0xffff) {
    return absl::InvalidArgumentError(absl::StrCat("worker ", worker, " > 0xffff"));
  }
  SIPFRONT_RETURN_IF_ERROR(MakeDir(data_dir, ""));
  const std::string dir = Join(data_dir, kJournalDir);
  SIPFRONT_RETURN_IF_ERROR(MakeDir(dir, data_dir));
  std::unique_ptr<SegmentWriter> w(new SegmentWriter());
  w->dir_ = dir;
  w->epoch_ = epoch;
  w->rotation_ = rotation;
  w->worker_ = worker;
  SIPFRONT_RETURN_IF_ERROR(
      OpenSegmentFile(dir, epoch, rotation, worker, w->fd_, w->path_, w->bytes_));
  return w;
}

SegmentWriter::~SegmentWriter() {
  if (fd_ >= 0) {
    ::fdatasync(fd_);
    ::close(fd_);
  }
}

bool SegmentWriter::Write(const char* data, std::size_t n) {
  std::size_t done = 0;
  while (done < n) {
    const ssize_t k = ::write(fd_, data + done, n - done);
    if (k < 0) {
      if (errno == EINTR) {
        continue;
      }
      last_error_ = errno;
      break;
    }
    if (k == 0) {
      last_error_ = EIO;
      break;
    }
    done += static_cast<std::size_t>(k);
  }
  if (done == n) {
    bytes_ += n;
    return true;
  }
  // A part of the buffer reached the file (disk full mid-record): take it back, or every later
  // record would sit behind a torn one that recovery cuts. If even that fails, stop using the
  // segment until Rotate().
  if (done != 0 && ::ftruncate(fd_, static_cast<off_t>(bytes_)) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
  return false;
}

bool SegmentWriter::Sync() {
  if (::fdatasync(fd_) != 0) {
    last_error_ = errno;
    return false;
  }
  return true;
}

absl::Status SegmentWriter::Rotate(uint32_t rotation) {
  if (fd_ >= 0 && ::fdatasync(fd_) != 0) {
    last_error_ = errno;
    return Errno(errno, "fdatasync", path_);
  }
  int fd = -1;
  std::string path;
  uint64_t bytes = 0;
  SIPFRONT_RETURN_IF_ERROR(OpenSegmentFile(dir_, epoch_, rotation, worker_, fd, path, bytes));
  if (fd_ >= 0) {
    ::close(fd_);
  }
  fd_ = fd;
  path_ = std::move(path);
  bytes_ = bytes;
  rotation_ = rotation;
  return absl::OkStatus();
}

// ---- Recover ----

absl::StatusOr<RecoveryReport> Recover(const std::string& data_dir, const RecoveryTarget& target) {
  const auto start = std::chrono::steady_clock::now();
  if (target.domains == nullptr || target.tables.size() != uint64_t{target.shard_mask} + 1) {
    return absl::InvalidArgumentError("recovery target: need domains and shard_mask + 1 tables");
  }
  for (const BindingTable* t : target.tables) {
    if (t == nullptr) {
      return absl::InvalidArgumentError("recovery target: null table");
    }
  }
  RecoveryReport report;
  Replayer replayer(target, report);
  uint64_t max_epoch = 0;

  // Snapshot: the generation MANIFEST names, all of it.
  const std::string snap_dir = Join(data_dir, kSnapshotDir);
  Manifest manifest;
  bool have_manifest = false;
  SIPFRONT_RETURN_IF_ERROR(ReadManifest(Join(snap_dir, kManifest), manifest, have_manifest));
  std::vector<std::string> names;
  bool exists = false;
  SIPFRONT_RETURN_IF_ERROR(ListDir(snap_dir, names, exists));
  // Leftovers of a snapshot that never committed are not part of any state.
  uint32_t removed = 0;
  for (const std::string& name : names) {
    uint32_t shard = 0;
    if (name == kManifestTmp || ParseShardName(name, ".tmp", shard)) {
      const std::string path = Join(snap_dir, name);
      if (::unlink(path.c_str()) != 0) {
        return Errno(errno, "unlink", path);
      }
      ++removed;
    }
  }
  if (removed != 0) {
    report.notes.push_back(
        absl::StrCat("snapshot: removed ", removed, " temporary files of an unfinished snapshot"));
  }
  if (have_manifest) {
    max_epoch = manifest.epoch;
    const std::string gen = GenerationName(manifest.epoch, manifest.rotation);
    const std::string gen_dir = Join(snap_dir, gen);
    for (uint32_t shard = 0; shard < manifest.shards; ++shard) {
      const std::string path = Join(gen_dir, ShardName(shard));
      struct stat st {};
      if (::stat(path.c_str(), &st) != 0) {
        return absl::DataLossError(absl::StrCat("MANIFEST names snapshot ", gen, " of ",
                                                manifest.shards, " shards but ", path, ": ",
                                                std::strerror(errno)));
      }
    }
    for (uint32_t shard = 0; shard < manifest.shards; ++shard) {
      const std::string name = ShardName(shard);
      SIPFRONT_RETURN_IF_ERROR(
          ReplayFile(Join(gen_dir, name), absl::StrCat(kSnapshotDir, "/", gen, "/", name),
                     FileKind::kSnapshot, replayer, report, report.snapshot_records));
    }
    report.snapshot_loaded = true;
  } else {
    for (const std::string& name : names) {
      if (IsGenerationName(name)) {
        report.notes.push_back(
            absl::StrCat("snapshot/", name, ": no MANIFEST commits it; ignored"));
      }
    }
  }

  // Journal: every segment from the manifest's (epoch, rotation) on, in order.
  const std::string journal_dir = Join(data_dir, kJournalDir);
  SIPFRONT_RETURN_IF_ERROR(ListDir(journal_dir, names, exists));
  std::vector<SegmentId> segments;
  for (const std::string& name : names) {
    SegmentId id;
    if (!ParseSegmentName(name, id)) {
      continue;
    }
    max_epoch = std::max(max_epoch, id.epoch);
    if (have_manifest && id.Before(manifest.epoch, manifest.rotation)) {
      continue;  // covered by the snapshot; CommitSnapshot was stopped before deleting it
    }
    segments.push_back(std::move(id));
  }
  std::sort(segments.begin(), segments.end(), [](const SegmentId& a, const SegmentId& b) {
    return std::tie(a.epoch, a.rotation, a.worker) < std::tie(b.epoch, b.rotation, b.worker);
  });
  for (const SegmentId& id : segments) {
    SIPFRONT_RETURN_IF_ERROR(ReplayFile(Join(journal_dir, id.name),
                                        absl::StrCat(kJournalDir, "/", id.name), FileKind::kJournal,
                                        replayer, report, report.journal_records));
    ++report.journal_segments;
  }

  report.next_epoch = max_epoch + 1;
  for (const BindingTable* t : target.tables) {
    report.bindings += t->counters().bindings;
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

// ---- snapshots ----

absl::Status WriteShardSnapshot(const std::string& data_dir, uint32_t shard,
                                const BindingTable& table, const DomainNames& names,
                                uint64_t wall_now, uint32_t mono_now, uint64_t& bindings_written) {
  bindings_written = 0;
  SIPFRONT_RETURN_IF_ERROR(MakeDir(data_dir, ""));
  const std::string dir = Join(data_dir, kSnapshotDir);
  SIPFRONT_RETURN_IF_ERROR(MakeDir(dir, data_dir));
  const std::string path = Join(dir, ShardName(shard) + ".tmp");
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (fd.Get() < 0) {
    return Errno(errno, "create", path);
  }
  auto buf = std::make_unique_for_overwrite<char[]>(kSnapshotBuffer);
  auto scratch = std::make_unique_for_overwrite<BindingCopy[]>(kSnapshotScratch);
  EncodeFileHeader(FileKind::kSnapshot, shard, buf.get());
  std::size_t used = kFileHeaderSize;
  int err = 0;
  uint64_t written = 0;
  table.ForEachAor(
      [&](const BindingTable::AorView& view) {
        const std::string_view domain = names.Name(view.domain);
        if (err != 0 || domain.empty()) {
          return;
        }
        for (uint32_t i = 0; i < view.count; ++i) {
          const BindingCopy& c = view.bindings[i];
          const auto left = static_cast<int32_t>(c.expires_at - mono_now);
          if (left <= 0) {
            continue;  // expired, not yet reaped: recovery would drop it anyway
          }
          const auto ago = static_cast<int32_t>(mono_now - c.updated_at);
          const uint64_t updated =
              ago <= 0 ? wall_now
                       : wall_now - std::min<uint64_t>(wall_now, static_cast<uint64_t>(ago));
          const JournalRecord rec{JournalOp::kSet,
                                  domain,
                                  view.user,
                                  c.contact_view(),
                                  c.instance_view(),
                                  c.reg_id,
                                  c.q,
                                  wall_now + static_cast<uint64_t>(left),
                                  updated,
                                  c.cseq,
                                  c.call_id_hash,
                                  c.source,
                                  c.transport};
          if (kSnapshotBuffer - used < kMaxJournalRecord) {
            if (!WriteAll(fd.Get(), buf.get(), used, err)) {
              return;
            }
            used = 0;
          }
          const std::size_t n = EncodeRecord(rec, buf.get() + used, kSnapshotBuffer - used);
          if (n != 0) {  // 0: a field the journal cannot carry (not produced by the registrar)
            used += n;
            ++written;
          }
        }
      },
      scratch.get(), kSnapshotScratch);
  if (err == 0) {
    WriteAll(fd.Get(), buf.get(), used, err);
  }
  if (err == 0 && ::fsync(fd.Get()) != 0) {
    err = errno;
  }
  if (err == 0) {
    err = fd.Close();
  }
  if (err != 0) {
    ::unlink(path.c_str());
    return Errno(err, "write snapshot", path);
  }
  bindings_written = written;
  return absl::OkStatus();
}

absl::Status CommitSnapshot(const std::string& data_dir, uint32_t shards, uint64_t epoch,
                            uint32_t rotation) {
  const std::string dir = Join(data_dir, kSnapshotDir);
  // Going back would delete the newer generation while the segments between the two are
  // already gone.
  Manifest current;
  bool have_current = false;
  SIPFRONT_RETURN_IF_ERROR(ReadManifest(Join(dir, kManifest), current, have_current));
  if (have_current && std::tie(epoch, rotation) < std::tie(current.epoch, current.rotation)) {
    return absl::FailedPreconditionError(absl::StrCat("commit snapshot: (", epoch, ", ", rotation,
                                                      ") is older than the committed (",
                                                      current.epoch, ", ", current.rotation, ")"));
  }
  for (uint32_t shard = 0; shard < shards; ++shard) {
    const std::string tmp = Join(dir, ShardName(shard) + ".tmp");
    struct stat st {};
    if (::stat(tmp.c_str(), &st) != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("commit snapshot: ", tmp, ": ", std::strerror(errno)));
    }
  }
  // 1. The new generation, complete and durable, next to the one MANIFEST still names.
  const std::string gen = GenerationName(epoch, rotation);
  const std::string gen_dir = Join(dir, gen);
  SIPFRONT_RETURN_IF_ERROR(MakeDir(gen_dir, ""));
  for (uint32_t shard = 0; shard < shards; ++shard) {
    const std::string name = ShardName(shard);
    const std::string tmp = Join(dir, name + ".tmp");
    const std::string final_path = Join(gen_dir, name);
    if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
      return Errno(errno, "rename", tmp);
    }
  }
  std::vector<std::string> names;
  bool exists = false;
  // Strays: temporaries of shards beyond `shards`, shard files of an earlier try at this
  // generation with more shards. Neither is read, but keep the directories exact.
  SIPFRONT_RETURN_IF_ERROR(ListDir(dir, names, exists));
  for (const std::string& name : names) {
    uint32_t shard = 0;
    if (ParseShardName(name, ".tmp", shard)) {
      const std::string path = Join(dir, name);
      if (::unlink(path.c_str()) != 0) {
        return Errno(errno, "unlink", path);
      }
    }
  }
  SIPFRONT_RETURN_IF_ERROR(ListDir(gen_dir, names, exists));
  for (const std::string& name : names) {
    uint32_t shard = 0;
    if (!ParseShardName(name, "", shard) || shard >= shards) {
      const std::string path = Join(gen_dir, name);
      if (::unlink(path.c_str()) != 0) {
        return Errno(errno, "unlink", path);
      }
    }
  }
  SIPFRONT_RETURN_IF_ERROR(SyncDir(gen_dir));
  SIPFRONT_RETURN_IF_ERROR(SyncDir(dir));

  // 2. The commit point: MANIFEST names the new generation.
  char manifest[kManifestSize];
  EncodeManifest(Manifest{epoch, rotation, shards}, manifest);
  SIPFRONT_RETURN_IF_ERROR(
      WriteFileAtomically(dir, kManifestTmp, kManifest, manifest, sizeof(manifest)));

  // 3. Only now is anything older garbage: other generations, then older segments.
  SIPFRONT_RETURN_IF_ERROR(ListDir(dir, names, exists));
  for (const std::string& name : names) {
    if (IsGenerationName(name) && name != gen) {
      SIPFRONT_RETURN_IF_ERROR(RemoveTree(Join(dir, name)));
    }
  }
  SIPFRONT_RETURN_IF_ERROR(SyncDir(dir));
  const std::string journal_dir = Join(data_dir, kJournalDir);
  SIPFRONT_RETURN_IF_ERROR(ListDir(journal_dir, names, exists));
  if (!exists) {
    return absl::OkStatus();
  }
  for (const std::string& name : names) {
    SegmentId id;
    if (ParseSegmentName(name, id) && id.Before(epoch, rotation)) {
      const std::string path = Join(journal_dir, name);
      if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        return Errno(errno, "unlink", path);
      }
    }
  }
  return SyncDir(journal_dir);
}

}  // namespace sipfront::registrar
