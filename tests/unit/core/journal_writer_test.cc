// JournalWriter against real files: order, rotation, and a full disk (RLIMIT_FSIZE makes
// write(2) fail with EFBIG exactly as a full filesystem makes it fail with ENOSPC, partial
// write included), which must hold acknowledgements, retry, and lose nothing.
#include "sipfront/core/journal_writer.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include <signal.h>
#include <sys/resource.h>

#include <gtest/gtest.h>

#include "sipfront/registrar/journal.h"
#include "sipfront/registrar/persistence.h"

namespace sipfront::core {
namespace {

namespace fs = std::filesystem;
using registrar::JournalRecord;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/sipfront-jw-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path_); }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Record number i: a distinct user, so order and duplicates are visible after decoding.
struct Numbered {
  char user[16];
  JournalRecord r{};
  explicit Numbered(int i) {
    std::snprintf(user, sizeof(user), "u%07d", i);
    r.op = registrar::JournalOp::kSet;
    r.domain = "example.com";
    r.user = user;
    r.contact = "sip:someone@192.0.2.1:5060;transport=udp";
    r.q = registrar::kNoQ;
    r.expires_wall = 2000000000;
    r.updated_wall = 1900000000;
    r.cseq = 7;
    r.call_id_hash = 0x1234;
    r.transport = registrar::Transport::kUdp;
  }
};

std::unique_ptr<JournalWriter> Open(const std::string& dir, std::size_t buffer,
                                    FsyncPolicy fsync = FsyncPolicy::kInterval) {
  absl::StatusOr<std::unique_ptr<registrar::SegmentWriter>> seg =
      registrar::SegmentWriter::Open(dir, 1, 0, 0);
  EXPECT_TRUE(seg.ok()) << seg.status();
  JournalWriterOptions o;
  o.buffer_bytes = buffer;
  o.flush_interval_ms = 10;
  o.fsync = fsync;
  return std::make_unique<JournalWriter>(std::move(*seg), o, nullptr);
}

// Appends records [first, last), flushing whenever the open buffer is full (as the worker
// loop does once per batch).
void AppendRange(JournalWriter& j, int first, int last) {
  for (int i = first; i < last; ++i) {
    const Numbered n(i);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!j.Reserve(registrar::kMaxJournalRecord)) {
      j.Flush();
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "writer stuck at record " << i;
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    j.Append(n.r);
  }
}

// Flushes until everything appended is published, or the timeout passes.
bool Drain(JournalWriter& j, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (j.durable() < j.appended()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    j.Flush();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// The users of every record in a segment, in file order; fails on anything but clean records.
std::vector<std::string> Users(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  const std::string data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::vector<std::string> users;
  EXPECT_GE(data.size(), registrar::kFileHeaderSize);
  std::string_view in(data);
  in.remove_prefix(registrar::kFileHeaderSize);
  while (!in.empty()) {
    JournalRecord r{};
    std::size_t size = 0;
    const registrar::DecodeStatus st = registrar::DecodeRecord(in, r, size);
    EXPECT_EQ(st, registrar::DecodeStatus::kOk) << "after " << users.size() << " records";
    if (st != registrar::DecodeStatus::kOk) {
      break;
    }
    users.emplace_back(r.user);
    in.remove_prefix(size);
  }
  return users;
}

std::vector<std::string> Expected(int first, int last) {
  std::vector<std::string> v;
  for (int i = first; i < last; ++i) {
    v.emplace_back(Numbered(i).user);
  }
  return v;
}

std::string Segment(const std::string& dir, uint32_t rotation) {
  char name[64];
  std::snprintf(name, sizeof(name), "/journal/%016x-%08x-%04x.log", 1, rotation, 0);
  return dir + name;
}

TEST(JournalWriterTest, WritesEveryRecordOnceInOrder) {
  TempDir dir;
  auto j = Open(dir.path(), 16 * 1024);
  AppendRange(*j, 0, 5000);
  ASSERT_TRUE(Drain(*j, std::chrono::seconds(10)));
  EXPECT_EQ(j->durable(), 5000u);
  j->Close();
  EXPECT_EQ(j->counters().errors.load(), 0u);
  EXPECT_EQ(j->counters().records.load(), 5000u);
  EXPECT_GE(j->counters().syncs.load(), 1u);  // interval fsync ran at least at Close
  EXPECT_EQ(Users(Segment(dir.path(), 0)), Expected(0, 5000));
}

TEST(JournalWriterTest, AlwaysPolicySyncsEveryBatch) {
  TempDir dir;
  auto j = Open(dir.path(), 16 * 1024, FsyncPolicy::kAlways);
  AppendRange(*j, 0, 1000);
  ASSERT_TRUE(Drain(*j, std::chrono::seconds(10)));
  j->Close();
  EXPECT_EQ(j->counters().syncs.load(), j->counters().writes.load());
  EXPECT_EQ(Users(Segment(dir.path(), 0)), Expected(0, 1000));
}

TEST(JournalWriterTest, RecordsAfterARotationLandInTheNewSegment) {
  TempDir dir;
  auto j = Open(dir.path(), 16 * 1024);
  AppendRange(*j, 0, 300);
  ASSERT_TRUE(Drain(*j, std::chrono::seconds(10)));
  j->RequestRotation(1);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (j->rotation() < 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(j->rotation(), 1u);
  AppendRange(*j, 300, 700);
  j->Close();
  EXPECT_EQ(j->counters().rotations.load(), 1u);
  EXPECT_EQ(Users(Segment(dir.path(), 0)), Expected(0, 300));
  EXPECT_EQ(Users(Segment(dir.path(), 1)), Expected(300, 700));
}

// Caps the size of files this process writes; restores the old limit when destroyed.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    signal(SIGXFSZ, SIG_IGN);  // write(2) then fails with EFBIG instead of killing us
    getrlimit(RLIMIT_FSIZE, &old_);
    rlimit l = old_;
    l.rlim_cur = bytes;
    EXPECT_EQ(setrlimit(RLIMIT_FSIZE, &l), 0);
  }
  ~FileSizeLimit() { Lift(); }
  void Lift() { setrlimit(RLIMIT_FSIZE, &old_); }

 private:
  rlimit old_{};
};

TEST(JournalWriterTest, AFullDiskHoldsAcknowledgementsAndLosesNothing) {
  TempDir dir;
  auto j = Open(dir.path(), 16 * 1024);
  AppendRange(*j, 0, 10);
  ASSERT_TRUE(Drain(*j, std::chrono::seconds(10)));
  const auto size = static_cast<rlim_t>(fs::file_size(Segment(dir.path(), 0)));

  // Room for a few records more: the next buffer is written in part, then refused.
  FileSizeLimit limit(size + 500);
  AppendRange(*j, 10, 60);
  j->Flush();
  std::this_thread::sleep_for(std::chrono::milliseconds(3 * JournalWriter::kRetryMs));
  EXPECT_EQ(j->durable(), 10u) << "nothing refused may be published as written";
  EXPECT_GE(j->counters().errors.load(), 2u) << "the write is retried";
  EXPECT_EQ(j->counters().last_errno.load(), EFBIG);
  EXPECT_EQ(fs::file_size(Segment(dir.path(), 0)), size) << "the partial write is taken back";

  // With both buffers taken the worker is told no (and the registrar answers 503).
  int appended = 60;
  while (j->Reserve(registrar::kMaxJournalRecord) && appended < 100000) {
    j->Append(Numbered(appended++).r);
  }
  EXPECT_FALSE(j->Reserve(registrar::kMaxJournalRecord));
  EXPECT_EQ(j->durable(), 10u);

  // The disk has room again: everything lands, once, in order.
  limit.Lift();
  ASSERT_TRUE(Drain(*j, std::chrono::seconds(10)));
  j->Close();
  EXPECT_EQ(j->counters().lost.load(), 0u);
  EXPECT_EQ(Users(Segment(dir.path(), 0)), Expected(0, appended));
}

TEST(JournalWriterTest, CloseGivesUpOnARefusingDiskAndCountsTheLoss) {
  TempDir dir;
  auto j = Open(dir.path(), 16 * 1024);
  AppendRange(*j, 0, 5);
  ASSERT_TRUE(Drain(*j, std::chrono::seconds(10)));
  FileSizeLimit limit(static_cast<rlim_t>(fs::file_size(Segment(dir.path(), 0))));
  AppendRange(*j, 5, 25);
  const auto t0 = std::chrono::steady_clock::now();
  j->Close();  // must return, not retry forever
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
  EXPECT_EQ(j->counters().lost.load(), 20u);
  limit.Lift();
  EXPECT_EQ(Users(Segment(dir.path(), 0)), Expected(0, 5));
}

}  // namespace
}  // namespace sipfront::core
