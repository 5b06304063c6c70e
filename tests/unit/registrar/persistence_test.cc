// Durability: journal segments, snapshots and recovery. Each test changes binding tables the
// way a worker does (the table first, then the matching journal record; a removal's record
// first), then "crashes" (drops the tables), recovers from the data directory into fresh
// tables and compares every AOR: contacts, q, instance, reg-id, expiry, source, transport.
#include "sipfront/registrar/persistence.h"

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "sipfront/base/hash.h"
#include "sipfront/net/endpoint.h"
#include "sipfront/registrar/binding_table.h"
#include "sipfront/registrar/journal.h"
#include "sipfront/registrar/registrar.h"
#include "sipfront/sip/uri.h"

namespace sipfront::registrar {
namespace {

namespace fs = std::filesystem;

constexpr HashKey kKey{0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};
constexpr uint64_t kWall0 = 1700000000;
constexpr uint32_t kMono0 = 1000;
std::vector<std::string> TwoDomains() { return {"example.com", "example.org"}; }

// A directory under /tmp for one test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    char name[] = "/tmp/sipfront-persist-XXXXXX";
    const char* p = ::mkdtemp(name);
    EXPECT_NE(p, nullptr);
    path_ = p != nullptr ? p : "/nonexistent";
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::string& Path() const { return path_; }
  [[nodiscard]] std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

net::Endpoint Ep(const char* s) {
  absl::StatusOr<net::Endpoint> e = net::ParseEndpoint(s);
  EXPECT_TRUE(e.ok()) << s;
  return *e;
}

TableOptions Small(uint32_t capacity = 256) {
  TableOptions o;
  o.aor_capacity = capacity;
  o.binding_capacity = capacity;
  o.arena_bytes = std::size_t{256} * 1024;
  o.max_expires = 3600;
  return o;
}

// The registrar's AOR key (Registrar::AorOf).
AorKey KeyOf(uint16_t domain, std::string_view user) {
  char buf[kMaxUserLength + 2];
  buf[0] = static_cast<char>(domain >> 8);
  buf[1] = static_cast<char>(domain & 0xff);
  std::memcpy(buf + 2, user.data(), user.size());
  return AorKey{domain, user, Hash64(std::string_view(buf, user.size() + 2), kKey)};
}

// The tables of one process run.
struct Tables {
  DomainNames names;
  DomainTable domains;
  std::vector<std::unique_ptr<BindingTable>> shards;

  explicit Tables(uint32_t n, const std::vector<std::string>& names = TwoDomains(),
                  const TableOptions& o = Small()) {
    for (const std::string& name : names) {
      domains.Add(this->names, name, true);
    }
    for (uint32_t i = 0; i < n; ++i) {
      shards.push_back(std::make_unique<BindingTable>(o));
    }
  }
  [[nodiscard]] uint32_t Mask() const { return static_cast<uint32_t>(shards.size()) - 1; }
  [[nodiscard]] RecoveryTarget Target(uint64_t wall, uint32_t mono) const {
    RecoveryTarget t;
    for (const auto& s : shards) {
      t.tables.push_back(s.get());
    }
    t.shard_mask = Mask();
    t.domains = &domains;
    t.hash_key = kKey;
    t.wall_now = wall;
    t.mono_now = mono;
    return t;
  }
  [[nodiscard]] uint64_t Bindings() const {
    uint64_t n = 0;
    for (const auto& s : shards) {
      n += s->counters().bindings;
    }
    return n;
  }
};

// One binding as seen from outside, comparable across runs (expiry in wall-clock seconds).
struct BindingState {
  std::string contact;
  std::string instance;
  uint32_t reg_id;
  uint16_t q;
  uint64_t expires_wall;
  uint32_t cseq;
  uint64_t call_id_hash;
  std::string source;
  Transport transport;
};
// "user@domain" -> "contact|instance|reg-id" -> binding.
using State = std::map<std::string, std::map<std::string, BindingState>>;

// Every AOR of every shard, through the reader API; checks each AOR sits in its shard.
State Dump(const Tables& t, uint64_t wall, uint32_t mono) {
  State s;
  auto scratch = std::make_unique<BindingCopy[]>(64);
  for (uint32_t i = 0; i < t.shards.size(); ++i) {
    t.shards[i]->ForEachAor(
        [&](const BindingTable::AorView& v) {
          const std::string domain(t.names.Name(v.domain));
          EXPECT_EQ(static_cast<uint32_t>(KeyOf(v.domain, v.user).hash) & t.Mask(), i)
              << v.user << "@" << domain << " is in the wrong shard";
          auto& aor = s[std::string(v.user) + "@" + domain];
          for (uint32_t k = 0; k < v.count; ++k) {
            const BindingCopy& c = v.bindings[k];
            BindingState b{std::string(c.contact_view()),
                           std::string(c.instance_view()),
                           c.reg_id,
                           c.q,
                           wall + static_cast<uint64_t>(static_cast<int64_t>(
                                      static_cast<int32_t>(c.expires_at - mono))),
                           c.cseq,
                           c.call_id_hash,
                           net::ToString(c.source),
                           c.transport};
            const std::string id = b.contact + "|" + b.instance + "|" + std::to_string(b.reg_id);
            EXPECT_TRUE(aor.emplace(id, b).second) << "two bindings " << id;
          }
        },
        scratch.get(), 64);
  }
  return s;
}

void ExpectSameState(const State& want, const State& got) {
  for (const auto& [aor, bindings] : want) {
    auto it = got.find(aor);
    if (it == got.end()) {
      ADD_FAILURE() << "AOR " << aor << " missing";
      continue;
    }
    for (const auto& [id, w] : bindings) {
      auto jt = it->second.find(id);
      if (jt == it->second.end()) {
        ADD_FAILURE() << aor << ": binding " << id << " missing";
        continue;
      }
      const BindingState& g = jt->second;
      EXPECT_EQ(g.q, w.q) << aor << " " << id;
      EXPECT_LE(g.expires_wall, w.expires_wall + 1) << aor << " " << id;
      EXPECT_GE(g.expires_wall + 1, w.expires_wall) << aor << " " << id;
      EXPECT_EQ(g.cseq, w.cseq) << aor << " " << id;
      EXPECT_EQ(g.call_id_hash, w.call_id_hash) << aor << " " << id;
      EXPECT_EQ(g.source, w.source) << aor << " " << id;
      EXPECT_EQ(g.transport, w.transport) << aor << " " << id;
    }
    for (const auto& [id, g] : it->second) {
      EXPECT_TRUE(bindings.count(id) != 0) << aor << ": extra binding " << id;
    }
  }
  for (const auto& [aor, bindings] : got) {
    EXPECT_TRUE(want.count(aor) != 0) << "extra AOR " << aor;
  }
}

std::size_t BindingCount(const State& s) {
  std::size_t n = 0;
  for (const auto& [aor, bindings] : s) {
    n += bindings.size();
  }
  return n;
}

// One contact of a REGISTER: set (expires > 0) or remove (expires 0).
struct Change {
  std::string domain = "example.com";
  std::string user = "alice";
  std::string contact = "sip:alice@192.0.2.1:5060";
  std::string instance{};
  uint32_t reg_id = 0;
  uint16_t q = kNoQ;
  uint32_t expires = 3600;
  uint32_t cseq = 1;
  uint64_t call_id_hash = 1;
  net::Endpoint source = Ep("192.0.2.1:5060");
  Transport transport = Transport::kUdp;
};

// Where the state stood after a change, for torn/corrupt tests.
struct Checkpoint {
  std::string segment;  // the segment the change's record went to
  uint64_t end;         // its size after the record
  uint64_t records;     // records written so far
  State state;          // the tables after the change
};

// Mirrors a worker group: each change goes to its shard's table, and the matching record to
// the segment of the shard's owner (worker = shard % workers): kSet from table.Copy() after an
// insert or update, kRemove before a removal, kExpire from the wheel's callback.
class Node {
 public:
  Node(Tables& t, std::string dir, uint64_t epoch, uint32_t workers, uint64_t wall, uint32_t mono,
       uint32_t rotation = 0)
      : t_(t), dir_(std::move(dir)), epoch_(epoch), wall_(wall), mono_(mono) {
    for (uint32_t w = 0; w < workers; ++w) {
      auto s = SegmentWriter::Open(dir_, epoch, rotation, w);
      EXPECT_TRUE(s.ok()) << s.status();
      writers_.push_back(std::move(*s));
    }
    Advance(0);  // starts the wheels at mono
  }

  void Apply(const Change& c) {
    const DomainInfo* d = t_.domains.Find(c.domain);
    ASSERT_NE(d, nullptr) << c.domain;
    const AorKey key = KeyOf(d->id, c.user);
    const uint32_t shard = static_cast<uint32_t>(key.hash) & t_.Mask();
    BindingTable& table = *t_.shards[shard];
    SegmentWriter& w = *writers_[shard % writers_.size()];
    sip::Uri uri;
    ASSERT_TRUE(sip::ParseUri(c.contact, uri).ok()) << c.contact;
    uint32_t aor = table.FindAor(key);
    uint32_t match = kNil;
    if (aor != kNil) {
      for (uint32_t b = table.First(aor); b != kNil; b = table.Next(b)) {
        if (table.Matches(b, uri, c.instance, c.reg_id)) {
          match = b;
          break;
        }
      }
    }
    if (c.expires == 0) {
      if (match == kNil) {
        return;
      }
      BindingCopy copy;
      table.Copy(match, copy);
      Journal(w, JournalRecord{JournalOp::kRemove, d->name, key.user, copy.contact_view(),
                               copy.instance_view(), copy.reg_id, kNoQ, 0, 0, 0, 0, net::Endpoint{},
                               Transport::kUdp});
      table.BeginWrite();
      table.Remove(match);
      table.RemoveAorIfEmpty(aor);
      table.EndWrite();
    } else {
      const BindingData data{c.contact,         &uri,   c.instance,     c.reg_id, c.q,
                             mono_ + c.expires, c.cseq, c.call_id_hash, c.source, c.transport};
      table.BeginWrite();
      if (aor == kNil) {
        aor = table.CreateAor(key);
      }
      ASSERT_NE(aor, kNil);
      uint32_t b = match;
      if (b != kNil) {
        ASSERT_TRUE(table.Update(b, data, mono_));
      } else {
        b = table.Insert(aor, data, mono_);
        ASSERT_NE(b, kNil);
      }
      table.EndWrite();
      JournalSet(w, table, b, d->name, key.user);
    }
    if (track_) {
      checkpoints_.push_back(Checkpoint{w.path(), w.bytes(), records_, Dump(t_, wall_, mono_)});
    }
  }

  // Both clocks move on; the wheels expire what is due, journaling each expiry.
  void Advance(uint32_t seconds) {
    wall_ += seconds;
    mono_ += seconds;
    for (uint32_t s = 0; s < t_.shards.size(); ++s) {
      BindingTable& table = *t_.shards[s];
      SegmentWriter& w = *writers_[s % writers_.size()];
      table.Expire(mono_, [&](uint32_t b) {
        const uint32_t aor = table.AorOfBinding(b);
        BindingCopy copy;
        table.Copy(b, copy);
        Journal(w, JournalRecord{JournalOp::kExpire, t_.names.Name(table.DomainOf(aor)),
                                 table.User(aor), copy.contact_view(), copy.instance_view(),
                                 copy.reg_id, kNoQ, 0, 0, 0, 0, net::Endpoint{}, Transport::kUdp});
      });
    }
  }

  void Rotate(uint32_t rotation) {
    for (auto& w : writers_) {
      ASSERT_TRUE(w->Rotate(rotation).ok());
    }
    rotation_ = rotation;
  }

  // Writes the temporary snapshot of shards [from, to).
  void WriteSnapshot(uint32_t from, uint32_t to) {
    for (uint32_t s = from; s < to; ++s) {
      uint64_t n = 0;
      const absl::Status st = WriteShardSnapshot(dir_, s, *t_.shards[s], t_.names, wall_, mono_, n);
      ASSERT_TRUE(st.ok()) << st;
      snapshot_bindings_ += n;
    }
  }

  // The scheduler's whole round: rotate, snapshot every shard, commit.
  void Snapshot(uint32_t rotation) {
    Rotate(rotation);
    snapshot_bindings_ = 0;
    WriteSnapshot(0, static_cast<uint32_t>(t_.shards.size()));
    const absl::Status st =
        CommitSnapshot(dir_, static_cast<uint32_t>(t_.shards.size()), epoch_, rotation);
    ASSERT_TRUE(st.ok()) << st;
  }

  // Syncs and closes the segments (a process crash loses nothing written either way).
  void Stop() { writers_.clear(); }

  void Track() { track_ = true; }
  [[nodiscard]] State Now() const { return Dump(t_, wall_, mono_); }
  [[nodiscard]] uint64_t Wall() const { return wall_; }
  [[nodiscard]] uint32_t Mono() const { return mono_; }
  [[nodiscard]] uint64_t Records() const { return records_; }
  [[nodiscard]] uint64_t SnapshotBindings() const { return snapshot_bindings_; }
  [[nodiscard]] const std::vector<Checkpoint>& Checkpoints() const { return checkpoints_; }

 private:
  void Journal(SegmentWriter& w, const JournalRecord& r) {
    char buf[kMaxJournalRecord];
    const std::size_t n = EncodeRecord(r, buf, sizeof(buf));
    ASSERT_NE(n, 0u);
    ASSERT_TRUE(w.Write(buf, n));
    ++records_;
  }

  void JournalSet(SegmentWriter& w, const BindingTable& table, uint32_t b, std::string_view domain,
                  std::string_view user) {
    BindingCopy c;
    table.Copy(b, c);
    Journal(w, JournalRecord{JournalOp::kSet, domain, user, c.contact_view(), c.instance_view(),
                             c.reg_id, c.q, wall_ + (c.expires_at - mono_),
                             wall_ - (mono_ - c.updated_at), c.cseq, c.call_id_hash, c.source,
                             c.transport});
  }

  Tables& t_;
  std::string dir_;
  uint64_t epoch_;
  uint64_t wall_;
  uint32_t mono_;
  uint32_t rotation_ = 0;
  std::vector<std::unique_ptr<SegmentWriter>> writers_;
  uint64_t records_ = 0;
  uint64_t snapshot_bindings_ = 0;
  bool track_ = false;
  std::vector<Checkpoint> checkpoints_;
};

std::string Numbered(int phase, int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "+1415555%01d%03d", phase % 10, i);
  return buf;
}

// A REGISTER history touching every field variant; `phase` picks fresh users and changes some
// of the previous phase's. Ends with two plain changes (torn/corrupt tests cut the last).
void RunWorkload(Node& n, int phase) {
  const std::string p = std::to_string(phase);
  const std::string long_user = std::string(kMaxUserLength - p.size(), 'l') + p;
  std::string long_contact = "sip:" + long_user + "@long.example.net;p=";
  long_contact.resize(kMaxContactLength, 'x');
  // the typical binding: E.164-style user, compact IPv4 contact, IPv4 source
  n.Apply({.user = "alice" + p, .contact = "sip:alice" + p + "@192.0.2.1:5060"});
  // IPv6 source, host-name contact over TCP, q
  n.Apply({.user = "bob" + p,
           .contact = "sip:bob" + p + "@pc.example.com;transport=tcp",
           .q = 500,
           .source = Ep("[2001:db8::5]:40000"),
           .transport = Transport::kTcp});
  // two outbound flows of one device (RFC 5626): same instance, reg-id 1 and 2, TLS
  for (uint32_t reg_id = 1; reg_id <= 2; ++reg_id) {
    n.Apply({.user = "carol" + p,
             .contact = "sip:carol" + p + "@198.51.100.3:" + std::to_string(5060 + reg_id) +
                        ";transport=tls",
             .instance = "\"<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>\"",
             .reg_id = reg_id,
             .q = 1000,
             .source = Ep("198.51.100.3:5061"),
             .transport = Transport::kTls});
  }
  // user and contact at their limits
  n.Apply({.user = long_user, .contact = long_contact, .q = 0});
  // a refresh: same contact, later CSeq, shorter expiry (Update)
  n.Apply({.user = "alice" + p,
           .contact = "sip:alice" + p + "@192.0.2.1:5060",
           .expires = 1800,
           .cseq = 2});
  // the same flow from a new address: matched by instance and reg-id, contact replaced
  n.Apply({.user = "carol" + p,
           .contact = "sip:carol" + p + "@203.0.113.77:6000;transport=tls",
           .instance = "\"<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>\"",
           .reg_id = 1,
           .q = 1000,
           .cseq = 3,
           .source = Ep("203.0.113.77:6000"),
           .transport = Transport::kTls});
  // a second contact, then the first one removed (expires=0)
  n.Apply({.user = "bob" + p, .contact = "sip:bob" + p + "@192.0.2.20", .cseq = 2});
  n.Apply({.user = "bob" + p,
           .contact = "sip:bob" + p + "@pc.example.com;transport=tcp",
           .expires = 0});
  // the same user in the other domain is another AOR
  n.Apply({.domain = "example.org",
           .user = "alice" + p,
           .contact = "sip:alice" + p + "@192.0.2.99",
           .expires = 900});
  // added and removed again: the AOR disappears
  n.Apply({.user = "frank" + p, .contact = "sip:frank" + p + "@192.0.2.6"});
  n.Apply({.user = "frank" + p, .contact = "sip:frank" + p + "@192.0.2.6", .expires = 0});
  // a short registration the wheel expires (kExpire)
  n.Apply({.user = "dave" + p, .contact = "sip:dave" + p + "@192.0.2.4", .expires = 60});
  n.Advance(61);
  // many AORs over every shard; every third removed again
  for (int i = 0; i < 40; ++i) {
    n.Apply({.user = Numbered(phase, i),
             .contact = "sip:" + Numbered(phase, i) + "@10.0." + std::to_string(i) + ".1",
             .expires = 600 + static_cast<uint32_t>(i) * 10,
             .call_id_hash = 100 + static_cast<uint64_t>(i)});
  }
  for (int i = 0; i < 40; i += 3) {
    n.Apply({.user = Numbered(phase, i),
             .contact = "sip:" + Numbered(phase, i) + "@10.0." + std::to_string(i) + ".1",
             .expires = 0});
  }
  if (phase > 0) {
    // the previous phase's AORs change too: one removed, one refreshed
    const std::string q = std::to_string(phase - 1);
    n.Apply({.user = "alice" + q, .contact = "sip:alice" + q + "@192.0.2.1:5060", .expires = 0});
    n.Apply(
        {.user = "bob" + q, .contact = "sip:bob" + q + "@192.0.2.20", .expires = 3000, .cseq = 9});
  }
  n.Advance(5);
  // two plain changes at the end
  n.Apply({.user = "erin" + p, .contact = "sip:erin" + p + "@192.0.2.5", .cseq = 1});
  n.Apply(
      {.user = "erin" + p, .contact = "sip:erin" + p + "@192.0.2.5", .expires = 2400, .cseq = 2});
}

absl::StatusOr<RecoveryReport> RecoverInto(const TempDir& dir, const Tables& t, uint64_t wall,
                                           uint32_t mono) {
  return Recover(dir.Path(), t.Target(wall, mono));
}

std::vector<std::string> List(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

uint64_t FileSize(const std::string& path) { return fs::file_size(path); }

std::string SegmentFile(uint64_t epoch, uint32_t rotation, uint32_t worker) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%016llx-%08x-%04x.log", static_cast<unsigned long long>(epoch),
                rotation, worker);
  return buf;
}

// ---- SegmentWriter ----

TEST(SegmentWriterTest, CreatesNamedSegmentsWithHeaderAndAppends) {
  TempDir dir;
  const std::string data = dir / "data";  // created by Open
  auto w = SegmentWriter::Open(data, 0x1f, 2, 3);
  ASSERT_TRUE(w.ok()) << w.status();
  const std::string first = data + "/journal/000000000000001f-00000002-0003.log";
  EXPECT_EQ((*w)->path(), first);
  EXPECT_EQ((*w)->rotation(), 2u);
  EXPECT_EQ((*w)->bytes(), kFileHeaderSize);
  struct stat st {};
  ASSERT_EQ(::stat(first.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_TRUE((*w)->Write("abc", 3));
  ASSERT_TRUE((*w)->Write("defg", 4));
  ASSERT_TRUE((*w)->Sync());
  EXPECT_EQ((*w)->bytes(), kFileHeaderSize + 7);

  ASSERT_TRUE((*w)->Rotate(3).ok());
  EXPECT_EQ((*w)->path(), data + "/journal/000000000000001f-00000003-0003.log");
  EXPECT_EQ((*w)->rotation(), 3u);
  EXPECT_EQ((*w)->bytes(), kFileHeaderSize);
  ASSERT_TRUE((*w)->Write("h", 1));

  std::ifstream in(first, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_EQ(bytes.size(), kFileHeaderSize + 7);
  uint64_t seq = 0;
  ASSERT_EQ(DecodeFileHeader(bytes, FileKind::kJournal, seq), HeaderStatus::kOk);
  EXPECT_EQ(seq, (uint64_t{0x1f} << 32) | 2);
  EXPECT_EQ(bytes.substr(kFileHeaderSize), "abcdefg");

  // Opening an existing segment appends to it.
  w->reset();
  auto again = SegmentWriter::Open(data, 0x1f, 2, 3);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->bytes(), kFileHeaderSize + 7);
  ASSERT_TRUE((*again)->Write("i", 1));
  EXPECT_EQ(FileSize(first), kFileHeaderSize + 8);
}

TEST(SegmentWriterTest, RejectsWorkerBeyondNameWidth) {
  TempDir dir;
  EXPECT_FALSE(SegmentWriter::Open(dir.Path(), 1, 0, 0x10000).ok());
}

// ---- recovery from the journal ----

TEST(PersistenceTest, RecoversEveryChangeFromTheJournal) {
  TempDir dir;
  Tables a(8);
  Node n(a, dir.Path(), 1, 2, kWall0, kMono0);
  RunWorkload(n, 0);
  const State want = n.Now();
  ASSERT_GT(want.size(), 30u);
  n.Stop();

  // A different monotonic clock after the restart (a reboot resets it).
  Tables b(8);
  auto r = RecoverInto(dir, b, n.Wall(), 7);
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectSameState(want, Dump(b, n.Wall(), 7));
  EXPECT_EQ(r->journal_records, n.Records());
  EXPECT_EQ(r->journal_segments, 2u);
  EXPECT_EQ(r->bindings, BindingCount(want));
  EXPECT_EQ(r->bindings, b.Bindings());
  EXPECT_EQ(r->next_epoch, 2u);
  EXPECT_FALSE(r->snapshot_loaded);
  EXPECT_EQ(r->bytes_cut, 0u);
  EXPECT_TRUE(r->notes.empty());
  EXPECT_EQ(r->unknown_domain, 0u);
  EXPECT_EQ(r->table_full, 0u);
  // dave's kSet (60 s) had expired by the time of recovery; his kExpire followed it.
  EXPECT_EQ(r->expired_dropped, 1u);

  // Recovering twice gives the same (nothing to cut, nothing changed on disk).
  Tables c(8);
  auto r2 = RecoverInto(dir, c, n.Wall(), 7);
  ASSERT_TRUE(r2.ok());
  ExpectSameState(want, Dump(c, n.Wall(), 7));
  EXPECT_EQ(r2->bytes_cut, 0u);
}

TEST(PersistenceTest, LaterRunsContinueInTheNextEpoch) {
  TempDir dir;
  Tables a(8);
  Node n1(a, dir.Path(), 1, 2, kWall0, kMono0);
  RunWorkload(n1, 0);
  n1.Stop();

  // Run 2 starts from what run 1 left, in the epoch recovery hands out, with a snapshot.
  Tables b(8);
  auto r = RecoverInto(dir, b, n1.Wall() + 30, 5);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->next_epoch, 2u);
  Node n2(b, dir.Path(), r->next_epoch, 2, n1.Wall() + 30, 5);
  RunWorkload(n2, 1);
  n2.Snapshot(1);
  RunWorkload(n2, 2);
  const State want = n2.Now();
  n2.Stop();

  Tables c(8);
  auto r2 = RecoverInto(dir, c, n2.Wall(), 9000);
  ASSERT_TRUE(r2.ok()) << r2.status();
  ExpectSameState(want, Dump(c, n2.Wall(), 9000));
  EXPECT_TRUE(r2->snapshot_loaded);
  EXPECT_EQ(r2->next_epoch, 3u);
  // Epoch 1's segments and epoch 2's rotation 0 are covered by the snapshot and gone.
  EXPECT_EQ(List(dir / "journal"),
            (std::vector<std::string>{SegmentFile(2, 1, 0), SegmentFile(2, 1, 1)}));
}

// ---- damaged journals ----

TEST(PersistenceTest, TornTailIsCutWhereTheLastGoodRecordEnds) {
  struct Case {
    const char* what;
    int keep;  // bytes of the last record left on disk; negative: from its end
  };
  const Case cases[] = {
      // part of the checksum
      {"1 byte", 1},
      // checksum but not all of the length
      {"6 bytes", 6},
      // the framing, no body
      {"8 bytes", 8},
      // framing and the op byte
      {"9 bytes", 9},
      // about half
      {"half", -60},
      // all but the last byte
      {"all but one", -1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    TempDir dir;
    Tables a(4);
    Node n(a, dir.Path(), 1, 1, kWall0, kMono0);
    n.Track();
    RunWorkload(n, 0);
    n.Stop();
    const auto& cps = n.Checkpoints();
    ASSERT_GE(cps.size(), 2u);
    const Checkpoint& prev = cps[cps.size() - 2];
    const Checkpoint& last = cps.back();
    ASSERT_EQ(last.records, prev.records + 1);
    ASSERT_EQ(prev.segment, last.segment);
    const uint64_t len = last.end - prev.end;
    const uint64_t keep = c.keep >= 0 ? static_cast<uint64_t>(c.keep) : len - (-c.keep);
    ASSERT_LT(keep, len);
    ASSERT_EQ(::truncate(last.segment.c_str(), static_cast<off_t>(prev.end + keep)), 0);

    Tables b(4);
    auto r = RecoverInto(dir, b, n.Wall(), 50);
    ASSERT_TRUE(r.ok()) << r.status();
    ExpectSameState(prev.state, Dump(b, n.Wall(), 50));
    EXPECT_EQ(r->bytes_cut, keep);
    EXPECT_EQ(r->journal_records, prev.records);
    const std::string name = fs::path(last.segment).filename().string();
    ASSERT_EQ(r->notes.size(), 1u);
    EXPECT_EQ(r->notes[0], "journal/" + name + ": cut " + std::to_string(keep) +
                               " bytes at offset " + std::to_string(prev.end) + " (torn tail)");
    EXPECT_EQ(FileSize(last.segment), prev.end);

    // The cut is durable and final: a second recovery finds nothing to cut.
    Tables c2(4);
    auto r2 = RecoverInto(dir, c2, n.Wall(), 50);
    ASSERT_TRUE(r2.ok());
    EXPECT_EQ(r2->bytes_cut, 0u);
    ExpectSameState(prev.state, Dump(c2, n.Wall(), 50));
  }
}

TEST(PersistenceTest, CorruptRecordIsCutWithEverythingAfterIt) {
  struct Case {
    const char* what;
    int offset;  // byte of the record to change; negative: from its end
  };
  const Case cases[] = {
      // the checksum
      {"crc", 0},
      // the low byte of the length: a shorter or longer frame inside the file
      {"length low byte", 4},
      // the high byte of the length: an impossible length
      {"length high byte", 7},
      // the op
      {"op", 8},
      // inside the strings
      {"body", 20},
      // the last byte (the source port)
      {"last byte", -1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    TempDir dir;
    Tables a(4);
    Node n(a, dir.Path(), 1, 1, kWall0, kMono0);
    n.Track();
    RunWorkload(n, 0);
    n.Stop();
    const auto& cps = n.Checkpoints();
    const std::size_t k = cps.size() / 2;  // a record in the middle
    const Checkpoint& prev = cps[k - 1];
    const Checkpoint& hit = cps[k];
    ASSERT_EQ(hit.records, prev.records + 1);
    const uint64_t len = hit.end - prev.end;
    const uint64_t at = prev.end + (c.offset >= 0 ? static_cast<uint64_t>(c.offset)
                                                  : len - static_cast<uint64_t>(-c.offset));
    const uint64_t size = FileSize(hit.segment);
    {
      std::fstream f(hit.segment, std::ios::in | std::ios::out | std::ios::binary);
      f.seekg(static_cast<std::streamoff>(at));
      char ch = 0;
      f.read(&ch, 1);
      ch = static_cast<char>(ch ^ 0x40);
      f.seekp(static_cast<std::streamoff>(at));
      f.write(&ch, 1);
    }

    Tables b(4);
    auto r = RecoverInto(dir, b, n.Wall(), 50);
    ASSERT_TRUE(r.ok()) << r.status();
    ExpectSameState(prev.state, Dump(b, n.Wall(), 50));
    EXPECT_EQ(r->bytes_cut, size - prev.end);
    const std::string name = fs::path(hit.segment).filename().string();
    ASSERT_EQ(r->notes.size(), 1u);
    EXPECT_EQ(r->notes[0], "journal/" + name + ": cut " + std::to_string(size - prev.end) +
                               " bytes at offset " + std::to_string(prev.end) +
                               " (corrupt record)");
    EXPECT_EQ(FileSize(hit.segment), prev.end);
  }
}

TEST(PersistenceTest, DamageInOneSegmentDoesNotStopTheNext) {
  TempDir dir;
  Tables a(4);
  Node n(a, dir.Path(), 1, 1, kWall0, kMono0);
  RunWorkload(n, 0);
  n.Rotate(1);
  // A record torn off rotation 0's segment before the rotation... simulated by garbage.
  {
    std::ofstream f(dir / ("journal/" + SegmentFile(1, 0, 0)), std::ios::app | std::ios::binary);
    f.write("\x01\x02\x03", 3);
  }
  RunWorkload(n, 1);
  const State want = n.Now();
  n.Stop();
  Tables b(4);
  auto r = RecoverInto(dir, b, n.Wall(), 50);
  ASSERT_TRUE(r.ok());
  ExpectSameState(want, Dump(b, n.Wall(), 50));
  EXPECT_EQ(r->bytes_cut, 3u);
  EXPECT_EQ(r->journal_segments, 2u);
}

TEST(PersistenceTest, TornSegmentHeaderIsCut) {
  TempDir dir;
  ASSERT_EQ(::mkdir((dir / "journal").c_str(), 0700), 0);
  const std::string path = dir / ("journal/" + SegmentFile(4, 0, 1));
  {
    std::ofstream f(path, std::ios::binary);
    f.write("SFJ1\x01\x00\x00", 7);
  }
  Tables b(4);
  auto r = RecoverInto(dir, b, kWall0, 50);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->notes.size(), 1u);
  EXPECT_EQ(r->notes[0],
            "journal/" + SegmentFile(4, 0, 1) + ": cut 7 bytes at offset 0 (torn header)");
  EXPECT_EQ(FileSize(path), 0u);
  EXPECT_EQ(r->next_epoch, 5u);
  // An empty segment (crash right after creating it) is simply empty.
  Tables c(4);
  auto r2 = RecoverInto(dir, c, kWall0, 50);
  ASSERT_TRUE(r2.ok());
  EXPECT_TRUE(r2->notes.empty());
}

// ---- snapshots ----

TEST(PersistenceTest, SnapshotTakenWhileChangesContinueRebuildsTheSameState) {
  TempDir dir;
  Tables a(8);
  Node n(a, dir.Path(), 1, 2, kWall0, kMono0);
  RunWorkload(n, 0);
  // The scheduler's round with changes interleaved: after the rotation, between the shards'
  // snapshots (some shards read before a change, some after), and after the commit.
  n.Rotate(1);
  RunWorkload(n, 1);
  n.WriteSnapshot(0, 4);
  RunWorkload(n, 2);
  n.WriteSnapshot(4, 8);
  const uint64_t in_snapshot = n.SnapshotBindings();
  ASSERT_TRUE(CommitSnapshot(dir.Path(), 8, 1, 1).ok());
  RunWorkload(n, 3);
  const State want = n.Now();
  n.Stop();

  EXPECT_EQ(List(dir / "journal"),
            (std::vector<std::string>{SegmentFile(1, 1, 0), SegmentFile(1, 1, 1)}));
  EXPECT_EQ(List(dir / "snapshot"),
            (std::vector<std::string>{"0000000000000001-00000001", "MANIFEST"}));
  EXPECT_EQ(List(dir / "snapshot/0000000000000001-00000001").size(), 8u);

  Tables b(8);
  auto r = RecoverInto(dir, b, n.Wall(), 50);
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectSameState(want, Dump(b, n.Wall(), 50));
  EXPECT_TRUE(r->snapshot_loaded);
  EXPECT_EQ(r->snapshot_records, in_snapshot);
  EXPECT_EQ(r->journal_segments, 2u);
  EXPECT_TRUE(r->notes.empty());
}

TEST(PersistenceTest, RecoversAfterACrashBetweenAnySnapshotSteps) {
  struct Case {
    const char* what;
    bool earlier_snapshot;  // a snapshot at rotation 1 was committed before
    // Leaves the directory as a crash during the rotation-2 commit would.
    std::function<void(const TempDir&, Node&)> crash;
    bool loaded;        // a snapshot is loaded afterwards
    uint64_t replayed;  // segments replayed (2 workers)
  };
  const std::string gen2 = "snapshot/0000000000000001-00000002";
  auto move_in = [gen2](const TempDir& d) {
    fs::create_directory(d / gen2);
    for (int s = 0; s < 8; ++s) {
      char name[32];
      std::snprintf(name, sizeof(name), "shard-%05d.snap", s);
      fs::rename(d / (std::string("snapshot/") + name + ".tmp"), d / (gen2 + "/" + name));
    }
  };
  const Case cases[] = {
      // the first snapshot: temporaries written, nothing committed
      {"first, temporaries only", false, [](const TempDir&, Node&) {}, false, 4},
      // the first snapshot: generation moved in, no MANIFEST
      {"first, generation without MANIFEST", false,
       [move_in](const TempDir& d, Node&) { move_in(d); }, false, 4},
      // temporaries written next to a committed snapshot
      {"temporaries only", true, [](const TempDir&, Node&) {}, true, 4},
      // the new generation complete, MANIFEST still names the old one
      {"generation without MANIFEST", true, [move_in](const TempDir& d, Node&) { move_in(d); },
       true, 4},
      // MANIFEST.tmp written but not renamed
      {"MANIFEST.tmp not renamed", true,
       [move_in](const TempDir& d, Node&) {
         move_in(d);
         std::ofstream f(d / "snapshot/MANIFEST.tmp", std::ios::binary);
         f.write("SFM1\x01\x00\x00", 7);
       },
       true, 4},
      // committed, but the old generation and old segments not yet deleted
      {"committed, nothing deleted yet", true,
       [](const TempDir& d, Node&) {
         const std::string keep = d / "keep";
         fs::create_directory(keep);
         fs::copy(d / "journal", keep + "/journal");
         fs::copy(d / "snapshot", keep + "/snapshot", fs::copy_options::recursive);
         ASSERT_TRUE(CommitSnapshot(d.Path(), 8, 1, 2).ok());
         fs::copy(keep + "/journal", d / "journal",
                  fs::copy_options::recursive | fs::copy_options::skip_existing);
         fs::copy(keep + "/snapshot/0000000000000001-00000001",
                  d / "snapshot/0000000000000001-00000001");
         fs::remove_all(keep);
       },
       true, 2},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    TempDir dir;
    Tables a(8);
    Node n(a, dir.Path(), 1, 2, kWall0, kMono0);
    RunWorkload(n, 0);
    if (c.earlier_snapshot) {
      n.Snapshot(1);
    }
    RunWorkload(n, 1);
    n.Rotate(2);
    n.WriteSnapshot(0, 8);
    RunWorkload(n, 2);
    const State want = n.Now();
    n.Stop();
    c.crash(dir, n);

    Tables b(8);
    auto r = RecoverInto(dir, b, n.Wall(), 50);
    ASSERT_TRUE(r.ok()) << r.status();
    ExpectSameState(want, Dump(b, n.Wall(), 50));
    EXPECT_EQ(r->snapshot_loaded, c.loaded);
    EXPECT_EQ(r->journal_segments, c.replayed);
    EXPECT_EQ(r->next_epoch, 2u);
    // Temporaries of an unfinished commit are gone.
    for (const std::string& name : List(dir / "snapshot")) {
      EXPECT_EQ(name.find(".tmp"), std::string::npos) << name;
    }
    // And a commit after the recovery still works from there.
    Node n2(b, dir.Path(), r->next_epoch, 2, n.Wall(), 50);
    n2.Snapshot(1);
    RunWorkload(n2, 5);
    const State want2 = n2.Now();
    n2.Stop();
    Tables c2(8);
    auto r2 = RecoverInto(dir, c2, n.Wall() + 100, 60);
    ASSERT_TRUE(r2.ok()) << r2.status();
    ExpectSameState(want2, Dump(c2, n.Wall() + 100, 60));
    EXPECT_EQ(List(dir / "snapshot"),
              (std::vector<std::string>{"0000000000000002-00000001", "MANIFEST"}));
  }
}

TEST(PersistenceTest, CommitNeedsEveryShardAndChangesNothingOtherwise) {
  TempDir dir;
  Tables a(8);
  Node n(a, dir.Path(), 1, 2, kWall0, kMono0);
  RunWorkload(n, 0);
  n.Rotate(1);
  n.WriteSnapshot(0, 7);  // shard 7 missing
  const absl::Status st = CommitSnapshot(dir.Path(), 8, 1, 1);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition) << st;
  EXPECT_FALSE(fs::exists(dir / "snapshot/MANIFEST"));
  EXPECT_EQ(List(dir / "journal").size(), 4u);  // both rotations of both workers
  const State want = n.Now();
  n.Stop();
  Tables b(8);
  auto r = RecoverInto(dir, b, n.Wall(), 50);
  ASSERT_TRUE(r.ok());
  ExpectSameState(want, Dump(b, n.Wall(), 50));
}

TEST(PersistenceTest, CommitRefusesToGoBack) {
  TempDir dir;
  Tables a(4);
  Node n(a, dir.Path(), 2, 1, kWall0, kMono0);
  RunWorkload(n, 0);
  n.Snapshot(3);
  n.WriteSnapshot(0, 4);
  // An older rotation of the same epoch, and an older epoch.
  EXPECT_EQ(CommitSnapshot(dir.Path(), 4, 2, 2).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CommitSnapshot(dir.Path(), 4, 1, 9).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(List(dir / "snapshot"),
            (std::vector<std::string>{"0000000000000002-00000003", "MANIFEST",
                                      "shard-00000.snap.tmp", "shard-00001.snap.tmp",
                                      "shard-00002.snap.tmp", "shard-00003.snap.tmp"}));
  // The same or a later one is fine.
  EXPECT_TRUE(CommitSnapshot(dir.Path(), 4, 2, 3).ok());
}

TEST(PersistenceTest, ManifestNamingAMissingSnapshotIsAnError) {
  TempDir dir;
  Tables a(8);
  Node n(a, dir.Path(), 1, 2, kWall0, kMono0);
  RunWorkload(n, 0);
  n.Snapshot(1);
  n.Stop();
  ASSERT_TRUE(fs::remove(dir / "snapshot/0000000000000001-00000001/shard-00003.snap"));
  Tables b(8);
  auto r = RecoverInto(dir, b, n.Wall(), 50);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << r.status();
}

TEST(PersistenceTest, DamagedManifestIsAnError) {
  TempDir dir;
  Tables a(8);
  Node n(a, dir.Path(), 1, 2, kWall0, kMono0);
  RunWorkload(n, 0);
  n.Snapshot(1);
  n.Stop();
  {
    std::fstream f(dir / "snapshot/MANIFEST", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(9);
    f.write("\x7f", 1);  // the epoch
  }
  Tables b(8);
  auto r = RecoverInto(dir, b, n.Wall(), 50);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << r.status();
}

// ---- what changed while sipfront was down ----

TEST(PersistenceTest, BindingsThatExpiredWhileDownAreDropped) {
  TempDir dir;
  Tables a(8);
  Node n(a, dir.Path(), 1, 2, kWall0, kMono0);
  n.Apply({.user = "u1", .contact = "sip:u1@192.0.2.1", .expires = 120});
  n.Apply({.user = "u2", .contact = "sip:u2@192.0.2.2", .expires = 600});
  n.Apply({.user = "u3", .contact = "sip:u3@192.0.2.3", .expires = 3600});
  n.Snapshot(1);  // u1..u3 now come from the snapshot
  n.Apply({.user = "u4", .contact = "sip:u4@192.0.2.4", .expires = 300});
  n.Apply({.user = "u5", .contact = "sip:u5@192.0.2.5", .expires = 3600});
  State want = n.Now();
  n.Stop();
  want.erase("u1@example.com");
  want.erase("u2@example.com");
  want.erase("u4@example.com");

  // Down for 700 s: u1, u2 (snapshot) and u4 (journal) expired meanwhile.
  Tables b(8);
  auto r = RecoverInto(dir, b, n.Wall() + 700, 10);
  ASSERT_TRUE(r.ok());
  ExpectSameState(want, Dump(b, n.Wall() + 700, 10));
  EXPECT_EQ(r->expired_dropped, 3u);
  EXPECT_EQ(r->bindings, 2u);
  // The survivors expire on the recovered wheels at their original wall-clock time.
  uint32_t expired = 0;
  for (auto& t : b.shards) {
    expired += t->Expire(10, [](uint32_t) {});
    expired += t->Expire(10 + 3600 - 700 - 1, [](uint32_t) {});
  }
  EXPECT_EQ(expired, 0u);
  for (auto& t : b.shards) {
    expired += t->Expire(10 + 3600 - 700 + 1, [](uint32_t) {});
  }
  EXPECT_EQ(expired, 2u);
}

TEST(PersistenceTest, SnapshotKeepsBindingsAboutToExpire) {
  TempDir dir;
  Tables a(4);
  Node n(a, dir.Path(), 1, 1, kWall0, kMono0);
  n.Apply({.user = "soon", .contact = "sip:soon@192.0.2.1", .expires = 2});
  n.Apply({.user = "later", .contact = "sip:later@192.0.2.2", .expires = 3600});
  n.Snapshot(1);  // the journal records are deleted: only the snapshot has them
  const State want = n.Now();
  n.Stop();
  Tables b(4);
  auto r = RecoverInto(dir, b, n.Wall() + 1, 50);
  ASSERT_TRUE(r.ok());
  ExpectSameState(want, Dump(b, n.Wall() + 1, 50));
  EXPECT_EQ(r->snapshot_records, 2u);
  EXPECT_EQ(r->journal_records, 0u);
}

TEST(PersistenceTest, WallClockStepBackIsCappedByMaxExpires) {
  TempDir dir;
  Tables a(4);
  Node n(a, dir.Path(), 1, 1, kWall0, kMono0);
  n.Apply({.user = "u1", .contact = "sip:u1@192.0.2.1", .expires = 3600});
  n.Stop();
  Tables b(4);
  RecoveryTarget t = b.Target(kWall0 - 86400, 10);  // the clock went back a day
  t.max_expires = 3600;
  auto r = Recover(dir.Path(), t);
  ASSERT_TRUE(r.ok());
  const State got = Dump(b, kWall0 - 86400, 10);
  ASSERT_EQ(got.count("u1@example.com"), 1u);
  EXPECT_EQ(got.at("u1@example.com").begin()->second.expires_wall, kWall0 - 86400 + 3600);
}

TEST(PersistenceTest, RecordsOfDomainsNoLongerProvisionedAreDropped) {
  TempDir dir;
  Tables a(8, {"a.example", "b.example", "c.example"});
  Node n(a, dir.Path(), 1, 2, kWall0, kMono0);
  for (const char* domain : {"a.example", "b.example", "c.example"}) {
    for (int i = 0; i < 5; ++i) {
      const std::string user = "user" + std::to_string(i);
      n.Apply({.domain = domain, .user = user, .contact = "sip:" + user + "@192.0.2.9"});
    }
  }
  State want = n.Now();
  n.Stop();
  for (int i = 0; i < 5; ++i) {
    want.erase("user" + std::to_string(i) + "@b.example");
  }
  // b.example is gone and the others have new ids (c.example was 2, is 0 now).
  Tables b(8, {"c.example", "a.example"});
  auto r = RecoverInto(dir, b, n.Wall(), 50);
  ASSERT_TRUE(r.ok());
  ExpectSameState(want, Dump(b, n.Wall(), 50));
  EXPECT_EQ(r->unknown_domain, 5u);
  EXPECT_EQ(r->bindings, 10u);
}

TEST(PersistenceTest, RecoversIntoADifferentShardCount) {
  struct Case {
    const char* what;
    uint32_t written;
    uint32_t read;
    bool snapshot;
  };
  const Case cases[] = {
      // more shards (more workers after an upgrade), journal only
      {"8 to 16, journal", 8, 16, false},
      // fewer shards, journal only
      {"16 to 4, journal", 16, 4, false},
      // more shards, snapshot plus journal
      {"8 to 16, snapshot", 8, 16, true},
      // fewer shards, snapshot plus journal
      {"16 to 4, snapshot", 16, 4, true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    TempDir dir;
    Tables a(c.written);
    Node n(a, dir.Path(), 1, 2, kWall0, kMono0);
    RunWorkload(n, 0);
    if (c.snapshot) {
      n.Snapshot(1);
    }
    RunWorkload(n, 1);
    const State want = n.Now();
    n.Stop();
    Tables b(c.read);
    auto r = RecoverInto(dir, b, n.Wall(), 50);
    ASSERT_TRUE(r.ok()) << r.status();
    ExpectSameState(want, Dump(b, n.Wall(), 50));  // Dump checks each AOR's shard
    EXPECT_EQ(r->snapshot_loaded, c.snapshot);

    // A snapshot with the new count replaces the old generation completely.
    Node n2(b, dir.Path(), r->next_epoch, 2, n.Wall(), 50);
    n2.Snapshot(1);
    n2.Stop();
    EXPECT_EQ(List(dir / "snapshot/0000000000000002-00000001").size(), c.read);
    Tables d(c.written);
    auto r2 = RecoverInto(dir, d, n.Wall(), 60);
    ASSERT_TRUE(r2.ok());
    ExpectSameState(want, Dump(d, n.Wall(), 60));
  }
}

TEST(PersistenceTest, FullTablesAreCounted) {
  TempDir dir;
  Tables a(4);
  Node n(a, dir.Path(), 1, 1, kWall0, kMono0);
  RunWorkload(n, 0);
  const uint64_t live = a.Bindings();
  n.Stop();
  Tables b(4, TwoDomains(), Small(4));  // 4 AORs and 4 bindings per shard
  auto r = RecoverInto(dir, b, n.Wall(), 50);
  ASSERT_TRUE(r.ok());
  EXPECT_GT(r->table_full, 0u);
  EXPECT_LE(r->bindings, 16u);
  EXPECT_LT(r->bindings, live);
  EXPECT_EQ(r->bindings, b.Bindings());
}

TEST(PersistenceTest, NextEpochFollowsEverythingOnDisk) {
  struct Case {
    const char* what;
    std::vector<uint64_t> segment_epochs;
    uint64_t manifest_epoch;  // 0: none
    uint64_t want;
  };
  const Case cases[] = {
      // nothing on disk
      {"empty", {}, 0, 1},
      // segments of epochs 1 and 3
      {"segments", {1, 3}, 0, 4},
      // hex in names: epoch 16
      {"hex", {16}, 0, 17},
      // a MANIFEST of a later epoch whose commit deleted every segment
      {"manifest only", {1, 3}, 5, 6},
      // segments newer than the MANIFEST
      {"segments after manifest", {5, 6}, 5, 7},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    TempDir dir;
    for (uint64_t e : c.segment_epochs) {
      ASSERT_TRUE(SegmentWriter::Open(dir.Path(), e, 0, 0).ok());
    }
    if (c.manifest_epoch != 0) {
      Tables a(1);
      uint64_t written = 0;
      ASSERT_TRUE(
          WriteShardSnapshot(dir.Path(), 0, *a.shards[0], a.names, kWall0, kMono0, written).ok());
      ASSERT_TRUE(CommitSnapshot(dir.Path(), 1, c.manifest_epoch, 0).ok());
    }
    Tables b(2);
    auto r = RecoverInto(dir, b, kWall0, 50);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->next_epoch, c.want);
  }
  // No data directory at all: a first start.
  Tables b(2);
  auto r = Recover("/tmp/sipfront-persist-does-not-exist", b.Target(kWall0, 50));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->next_epoch, 1u);
  EXPECT_EQ(r->bindings, 0u);
}

TEST(PersistenceTest, RejectsATargetWithoutEveryShard) {
  TempDir dir;
  Tables b(4);
  RecoveryTarget t = b.Target(kWall0, 50);
  t.tables.pop_back();
  EXPECT_EQ(Recover(dir.Path(), t).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sipfront::registrar
