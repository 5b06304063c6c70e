// BindingTable: storage round trips (compact and extension records), URI matching, the index
// under collisions and deletions, the expiry wheel, capacity limits, arena reuse, and the
// lock-free readers against a writer.
#include "sipfront/registrar/binding_table.h"

#include <atomic>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "sipfront/net/endpoint.h"
#include "sipfront/sip/uri.h"

namespace sipfront::registrar {
namespace {

net::Endpoint Ep(const char* s) {
  absl::StatusOr<net::Endpoint> e = net::ParseEndpoint(s);
  EXPECT_TRUE(e.ok()) << s;
  return *e;
}

// A contact ready for Insert/Update, owning its parsed URI.
struct ContactSpec {
  std::string uri{};
  std::string instance{};
  uint32_t reg_id = 0;
  uint16_t q = kNoQ;
  uint32_t expires_at = 1000;
  uint32_t cseq = 1;
  uint64_t call_id_hash = 7;
  net::Endpoint source = Ep("192.0.2.9:5060");
  sip::Uri parsed{};

  BindingData Data() {
    EXPECT_TRUE(sip::ParseUri(uri, parsed).ok()) << uri;
    return BindingData{uri,        &parsed, instance,     reg_id, q,
                       expires_at, cseq,    call_id_hash, source, Transport::kUdp};
  }
};

AorKey Key(std::string_view user, uint64_t hash, uint16_t domain = 0) {
  return AorKey{domain, user, hash};
}

TableOptions Small(uint32_t capacity = 64) {
  TableOptions o;
  o.aor_capacity = capacity;
  o.binding_capacity = capacity;
  o.arena_bytes = 64 * 1024;
  o.max_expires = 3600;
  return o;
}

TEST(BindingTableTest, StoresAndCopiesContactsInEveryForm) {
  struct Row {
    const char* user;
    ContactSpec spec;
  };
  std::vector<Row> rows = {
      // the typical binding: stored in binary, rendered back equivalently
      {"+14155550100", {.uri = "sip:+14155550100@203.0.113.5:5060;transport=udp"}},
      // no port, no transport parameter
      {"alice", {.uri = "sip:alice@192.0.2.1"}},
      // transport in upper case: stored in binary too, echoed in upper case
      {"bob", {.uri = "sip:bob@192.0.2.2:5070;transport=TCP"}},
      // leading zeros would not render back byte for byte: extension record
      {"ivan", {.uri = "sip:ivan@192.168.001.010:05060"}},
      // mixed-case transport: extension record, kept as sent
      {"judy", {.uri = "sip:judy@192.0.2.11;transport=Udp"}},
      // upper-case scheme: would render as "sip:", so kept as sent
      {"kim", {.uri = "SIP:kim@192.0.2.12:5060"}},
      // an empty password's colon: kept as sent
      {"leo", {.uri = "sip:leo:@192.0.2.13"}},
      // the shortest and the longest port, and upper-case TLS
      {"mia", {.uri = "sip:mia@192.0.2.14:1;transport=TLS"}},
      {"ned", {.uri = "sip:ned@255.255.255.255:65535;transport=wss"}},
      // a second transport parameter: kept as sent
      {"olga", {.uri = "sip:olga@192.0.2.16;transport=tcp;transport=udp"}},
      // a leading zero in the last octet and one in the port only
      {"pat", {.uri = "sip:pat@192.0.2.07"}},
      {"quin", {.uri = "sip:quin@192.0.2.17:0999"}},
      // zero octets are no leading zeros
      {"rita", {.uri = "sip:rita@0.0.0.0:5060"}},
      // a user other than the AOR's: extension record, kept byte for byte
      {"carol", {.uri = "sip:carol-desk@192.0.2.3:5060"}},
      // other URI parameters (RFC 5626 ;ob): extension record
      {"dave", {.uri = "sip:dave@192.0.2.4:5060;transport=tcp;ob"}},
      // host name contact
      {"erin", {.uri = "sip:erin@phone.example.com"}},
      // IPv6 contact and IPv6 source
      {"frank", {.uri = "sip:frank@[2001:db8::5]:5060", .source = Ep("[2001:db8::9]:5062")}},
      // instance and a reg-id too large for the inline byte
      {"grace",
       {.uri = "sip:grace@192.0.2.7:5060",
        .instance = "\"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>\"",
        .reg_id = 70000}},
      // q-value and a small reg-id
      {"heidi",
       {.uri = "sip:heidi@192.0.2.8", .instance = "\"<urn:uuid:1>\"", .reg_id = 2, .q = 500}},
  };
  BindingTable t(Small());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    SCOPED_TRACE(rows[i].spec.uri);
    const uint32_t aor = t.CreateAor(Key(rows[i].user, 0x1000 + i));
    ASSERT_NE(aor, kNil);
    const BindingData d = rows[i].spec.Data();
    const uint32_t b = t.Insert(aor, d, 100);
    ASSERT_NE(b, kNil);
    BindingCopy c;
    t.Copy(b, c);
    sip::Uri back;
    ASSERT_TRUE(sip::ParseUri(c.contact_view(), back).ok()) << c.contact_view();
    EXPECT_TRUE(sip::UriEquivalent(back, rows[i].spec.parsed)) << c.contact_view();
    // Byte for byte: devices that compare their contact as a string must find it.
    EXPECT_EQ(c.contact_view(), rows[i].spec.uri);
    EXPECT_EQ(c.instance_view(), rows[i].spec.instance);
    EXPECT_EQ(c.reg_id, rows[i].spec.reg_id);
    EXPECT_EQ(c.q, rows[i].spec.q);
    EXPECT_EQ(c.expires_at, 1000u);
    EXPECT_EQ(c.updated_at, 100u);
    EXPECT_TRUE(c.source == rows[i].spec.source) << net::ToString(c.source);
    EXPECT_TRUE(t.Matches(b, rows[i].spec.parsed, {}, 0));
  }
}

// Which contacts are stored in binary: exactly those that render back byte for byte. With
// no room in the arena, only those can be inserted at all (source IPv4, no instance).
TEST(BindingTableTest, CompactsExactlyTheContactsThatRenderBack) {
  struct Row {
    const char* uri;
    bool compact;
  };
  const Row rows[] = {
      {"sip:u@203.0.113.5:5060;transport=udp", true},           // the typical binding
      {"sip:u@192.0.2.1", true},                                // no port, no parameter
      {"sip:u@192.0.2.2:5070;transport=TCP", true},             // upper-case transport
      {"sip:u@192.0.2.14:1;transport=TLS", true},               // the shortest port
      {"sip:u@255.255.255.255:65535;transport=wss", true},      // the longest address and port
      {"sip:u@0.0.0.0:5060", true},                             // zero octets
      {"sip:u@192.168.001.010:05060", false},                   // leading zeros
      {"sip:u@192.0.2.07", false},                              // a leading zero in the last octet
      {"sip:u@192.0.2.17:0999", false},                         // a leading zero in the port only
      {"sip:u@192.0.2.11;transport=Udp", false},                // mixed-case transport
      {"SIP:u@192.0.2.12:5060", false},                         // upper-case scheme
      {"sip:u:@192.0.2.13", false},                             // an empty password's colon
      {"sip:u@192.0.2.16;transport=tcp;transport=udp", false},  // two parameters
      {"sip:u@192.0.2.4:5060;transport=tcp;ob", false},         // another parameter
      {"sip:v@192.0.2.3:5060", false},                          // not the AOR's user
      {"sip:u@phone.example.com", false},                       // a host name
      {"sip:u@192.0.2.5:0", false},                             // port 0
  };
  for (const Row& r : rows) {
    SCOPED_TRACE(r.uri);
    TableOptions o = Small();
    o.arena_bytes = 16;  // one unit: no extension record fits
    BindingTable t(o);
    const uint32_t aor = t.CreateAor(Key("u", 0x77));
    ASSERT_NE(aor, kNil);
    ContactSpec spec{.uri = r.uri};
    const uint32_t b = t.Insert(aor, spec.Data(), 100);
    EXPECT_EQ(b != kNil, r.compact);
    if (b != kNil) {
      BindingCopy c;
      t.Copy(b, c);
      EXPECT_EQ(c.contact_view(), r.uri);
    }
  }
}

// User-Agents are interned per table: the same string shares one entry, a long one is cut,
// and once kMaxUserAgents distinct ones were seen new ones are left out and counted.
TEST(BindingTableTest, InternsUserAgents) {
  BindingTable t(Small(2048));
  auto insert = [&](uint32_t i, const std::string& ua) {
    const std::string user = "u" + std::to_string(i);
    const uint32_t aor = t.CreateAor(Key(user, 1000 + i));
    ContactSpec spec;
    spec.uri = "sip:" + user + "@192.0.2.1:5060";
    BindingData d = spec.Data();
    d.user_agent = ua;
    t.BeginWrite();
    const uint32_t b = t.Insert(aor, d, 1);
    t.EndWrite();
    EXPECT_NE(b, kNil);
    BindingCopy c;
    t.Copy(b, c);
    return std::string(c.user_agent_view());
  };
  EXPECT_EQ(insert(0, "Yealink SIP-T46U 108.86.0.20"), "Yealink SIP-T46U 108.86.0.20");
  EXPECT_EQ(insert(1, "Yealink SIP-T46U 108.86.0.20"), "Yealink SIP-T46U 108.86.0.20");
  EXPECT_EQ(insert(2, ""), "");
  const std::string long_ua(300, 'x');
  EXPECT_EQ(insert(3, long_ua), long_ua.substr(0, kMaxUserAgentLength));
  // Two distinct ones so far; fill the table of User-Agents, then one more.
  for (uint32_t i = 0; i + 2 < kMaxUserAgents; ++i) {
    EXPECT_EQ(insert(10 + i, "ua-" + std::to_string(i)), "ua-" + std::to_string(i));
  }
  EXPECT_EQ(t.counters().user_agents_full, 0u);
  EXPECT_EQ(insert(5000, "one too many"), "");
  EXPECT_EQ(t.counters().user_agents_full, 1u);
  EXPECT_EQ(insert(5001, "ua-7"), "ua-7");  // known ones still resolve
}

TEST(BindingTableTest, MatchesByUriEquivalenceOrByInstance) {
  BindingTable t(Small());
  const uint32_t aor = t.CreateAor(Key("alice", 1));
  ContactSpec spec{.uri = "sip:alice@192.0.2.1:5060;transport=udp",
                   .instance = "\"<urn:uuid:abc>\"",
                   .reg_id = 1};
  const uint32_t b = t.Insert(aor, spec.Data(), 1);
  ASSERT_NE(b, kNil);
  struct Row {
    const char* uri;
    const char* instance;
    uint32_t reg_id;
    bool match;
  };
  const Row rows[] = {
      // same URI
      {"sip:alice@192.0.2.1:5060;transport=udp", "", 0, true},
      // transport parameter case does not matter
      {"sip:alice@192.0.2.1:5060;transport=UDP", "", 0, true},
      // a different port is a different contact
      {"sip:alice@192.0.2.1:5062;transport=udp", "", 0, false},
      // transport present in one only: different (RFC 3261 §19.1.4)
      {"sip:alice@192.0.2.1:5060", "", 0, false},
      // a different user part
      {"sip:Alice@192.0.2.1:5060;transport=udp", "", 0, false},
      // RFC 5626: same instance and reg-id match whatever the URI (a new NAT binding)
      {"sip:alice@198.51.100.7:40000", "\"<urn:uuid:abc>\"", 1, true},
      // same instance, other reg-id: another flow
      {"sip:alice@192.0.2.1:5060;transport=udp", "\"<urn:uuid:abc>\"", 2, false},
      // other instance
      {"sip:alice@192.0.2.1:5060;transport=udp", "\"<urn:uuid:def>\"", 1, false},
  };
  for (const Row& r : rows) {
    sip::Uri u;
    ASSERT_TRUE(sip::ParseUri(r.uri, u).ok());
    EXPECT_EQ(t.Matches(b, u, r.instance, r.reg_id), r.match) << r.uri << " " << r.instance;
  }
}

TEST(BindingTableTest, IndexSurvivesCollisionsAndDeletionsInAnyOrder) {
  // Every key has the same low 32 hash bits: one long probe cluster. Deleting from the middle
  // must shift later entries back so all remaining keys stay reachable.
  const uint32_t n = 40;
  for (uint32_t order = 0; order < 3; ++order) {
    BindingTable t(Small(n));
    std::vector<std::string> users;
    for (uint32_t i = 0; i < n; ++i) {
      users.push_back("user" + std::to_string(i));
    }
    for (uint32_t i = 0; i < n; ++i) {
      ASSERT_NE(t.CreateAor(Key(users[i], (uint64_t{i} << 32) | 0x12345678)), kNil);
    }
    EXPECT_EQ(t.CreateAor(Key("one-too-many", 1)), kNil) << "capacity is a hard limit";
    std::set<uint32_t> removed;
    for (uint32_t k = 0; k < n; ++k) {
      // order 0: front to back; 1: back to front; 2: odd then even
      const uint32_t i = order == 0   ? k
                         : order == 1 ? n - 1 - k
                                      : (k < n / 2 ? 2 * k + 1 : 2 * (k - n / 2));
      const uint32_t aor = t.FindAor(Key(users[i], (uint64_t{i} << 32) | 0x12345678));
      ASSERT_NE(aor, kNil) << "order " << order << " key " << i;
      t.RemoveAorIfEmpty(aor);
      removed.insert(i);
      for (uint32_t j = 0; j < n; ++j) {
        const bool found = t.FindAor(Key(users[j], (uint64_t{j} << 32) | 0x12345678)) != kNil;
        ASSERT_EQ(found, removed.count(j) == 0) << "order " << order << " key " << j;
      }
    }
    EXPECT_EQ(t.counters().aors, 0u);
  }
}

TEST(BindingTableTest, AorKeysCompareDomainAndUser) {
  BindingTable t(Small());
  const uint32_t a = t.CreateAor(Key("alice", 42, 1));
  const uint32_t long_user = t.CreateAor(Key("a-very-long-user-name-beyond-inline-storage", 43, 1));
  ASSERT_NE(a, kNil);
  ASSERT_NE(long_user, kNil);
  EXPECT_EQ(t.FindAor(Key("alice", 42, 1)), a);
  EXPECT_EQ(t.FindAor(Key("alice", 42, 2)), kNil);  // same user, other domain
  EXPECT_EQ(t.FindAor(Key("alicf", 42, 1)), kNil);  // same hash, other user
  EXPECT_EQ(t.FindAor(Key("a-very-long-user-name-beyond-inline-storage", 43, 1)), long_user);
  EXPECT_EQ(t.FindAor(Key("a-very-long-user-name-beyond-inline-storage-x", 43, 1)), kNil);
}

TEST(BindingTableTest, WheelExpiresEachBindingOnItsSecond) {
  BindingTable t(Small());
  const uint32_t aor = t.CreateAor(Key("alice", 1));
  std::vector<uint32_t> expiry = {105, 110, 110, 3700};
  for (std::size_t i = 0; i < expiry.size(); ++i) {
    ContactSpec s{.uri = "sip:alice@192.0.2." + std::to_string(i + 1), .expires_at = expiry[i]};
    ASSERT_NE(t.Insert(aor, s.Data(), 100), kNil);
  }
  std::vector<uint32_t> seen;
  auto advance = [&](uint32_t now) {
    return t.Expire(now, [&](uint32_t b) { seen.push_back(t.ExpiresAt(b)); });
  };
  EXPECT_EQ(advance(100), 0u);
  EXPECT_EQ(advance(104), 0u);
  EXPECT_EQ(advance(105), 1u);
  EXPECT_EQ(advance(109), 0u);
  EXPECT_EQ(advance(110), 2u);
  EXPECT_EQ(t.BindingCount(aor), 1u);
  // A refresh moves a binding to its new second.
  const uint32_t last = t.First(aor);
  ContactSpec refreshed{.uri = "sip:alice@192.0.2.4", .expires_at = 200};
  ASSERT_TRUE(t.Update(last, refreshed.Data(), 150));
  EXPECT_EQ(advance(199), 0u);
  EXPECT_EQ(advance(200), 1u);
  EXPECT_EQ(seen, (std::vector<uint32_t>{105, 110, 110, 200}));
  EXPECT_EQ(t.FindAor(Key("alice", 1)), kNil) << "the AOR goes with its last binding";
  EXPECT_EQ(t.counters().expired, 4u);
}

TEST(BindingTableTest, WheelCatchesUpAfterAStallLongerThanItsLap) {
  TableOptions o = Small();
  o.max_expires = 100;  // a 128-slot wheel
  BindingTable t(o);
  const uint32_t aor = t.CreateAor(Key("alice", 1));
  for (uint32_t i = 0; i < 20; ++i) {
    ContactSpec s{.uri = "sip:alice@192.0.2." + std::to_string(i + 1), .expires_at = 10 + 5 * i};
    ASSERT_NE(t.Insert(aor, s.Data(), 10), kNil);
  }
  ASSERT_EQ(t.Expire(10, [](uint32_t) {}), 0u);
  // 1000 seconds later: everything is due, found in one bounded lap.
  EXPECT_EQ(t.Expire(1010, [](uint32_t) {}), 20u);
  EXPECT_EQ(t.counters().bindings, 0u);
}

TEST(BindingTableTest, CapacityLimitsAreHardAndReported) {
  BindingTable t(Small(4));
  const uint32_t aor = t.CreateAor(Key("alice", 1));
  BindingTable::ArenaNeed need;
  EXPECT_TRUE(t.CanApply(0, 4, need));
  EXPECT_FALSE(t.CanApply(0, 5, need));
  for (uint32_t i = 0; i < 4; ++i) {
    ContactSpec s{.uri = "sip:alice@192.0.2." + std::to_string(i + 1)};
    ASSERT_NE(t.Insert(aor, s.Data(), 1), kNil);
  }
  ContactSpec extra{.uri = "sip:alice@192.0.2.99"};
  EXPECT_FALSE(t.CanApply(0, 1, need));
  EXPECT_EQ(t.Insert(aor, extra.Data(), 1), kNil);
  EXPECT_EQ(t.counters().bindings, 4u);
  EXPECT_GE(t.counters().full, 1u);
}

TEST(BindingTableTest, ArenaSpaceIsReusedAcrossChurn) {
  TableOptions o = Small(64);
  o.arena_bytes = 4096;  // room for a few extension records only
  BindingTable t(o);
  const uint32_t aor = t.CreateAor(Key("alice", 1));
  // Each binding needs an extension record (non-compact contact with an instance).
  for (int round = 0; round < 1000; ++round) {
    ContactSpec s{.uri = "sip:alice-" + std::to_string(round) + "@host.example.com;ob",
                  .instance = "\"<urn:uuid:" + std::to_string(round) + ">\"",
                  .reg_id = 1};
    BindingData d = s.Data();
    BindingTable::ArenaNeed need;
    BindingTable::AddNeed(d, need);
    ASSERT_TRUE(t.CanApply(0, 1, need)) << "round " << round;
    const uint32_t b = t.Insert(aor, d, 1);
    ASSERT_NE(b, kNil) << "round " << round;
    t.Remove(b);
  }
  // Filling the arena is reported before anything changes.
  std::vector<ContactSpec> specs(64);
  uint32_t inserted = 0;
  for (auto& s : specs) {
    s.uri = "sip:alice-" + std::to_string(inserted) + "@host.example.com;ob";
    s.instance = "\"<urn:uuid:" + std::string(100, 'x') + ">\"";
    BindingData d = s.Data();
    BindingTable::ArenaNeed need;
    BindingTable::AddNeed(d, need);
    if (!t.CanApply(0, 1, need)) {
      break;
    }
    ASSERT_NE(t.Insert(aor, d, 1), kNil);
    ++inserted;
  }
  // 4 KiB holds 15 records of 256 bytes next to the one 128-byte chunk the churn used.
  EXPECT_EQ(inserted, 15u);
}

// Readers copy an AOR's bindings while the owner keeps rewriting them: every copy must be one
// of the states the writer published, never a mix.
TEST(BindingTableTest, LockFreeReadersNeverSeeATornState) {
  BindingTable t(Small(64));
  const AorKey key = Key("alice", 99);
  uint32_t aor = t.CreateAor(key);
  // The initial state obeys the invariant the reader checks: expires_at == cseq + 1000.
  ContactSpec a{.uri = "sip:alice@192.0.2.1:5060", .expires_at = 1001, .cseq = 1};
  ContactSpec b{.uri = "sip:alice-second-device@host.example.com;ob", .cseq = 1};
  ASSERT_NE(t.Insert(aor, a.Data(), 1), kNil);
  std::atomic<bool> done{false};
  std::atomic<uint64_t> reads{0};
  std::atomic<uint64_t> torn{0};
  std::thread reader([&] {
    BindingCopy copies[4];
    while (!done.load(std::memory_order_relaxed)) {
      const uint32_t n = t.Lookup(key, copies, 4);
      // Published states: one binding (the IPv4 one) with cseq == expires_at - 1000, or
      // both, each carrying the same cseq as the other.
      if (n == 1) {
        torn += copies[0].contact_view() != a.uri || copies[0].cseq + 1000 != copies[0].expires_at;
      } else if (n == 2) {
        torn += copies[0].cseq != copies[1].cseq;
      } else if (n != 0) {
        ++torn;
      }
      ++reads;
    }
  });
  for (uint32_t i = 2; i < 200000; ++i) {
    t.BeginWrite();
    if (i % 2 == 0) {
      ContactSpec second = b;
      second.cseq = i;
      second.expires_at = i + 1000;
      ASSERT_NE(t.Insert(aor, second.Data(), i), kNil);
      ContactSpec first = a;
      first.cseq = i;
      first.expires_at = i + 1000;
      ASSERT_TRUE(t.Update(t.Next(t.First(aor)), first.Data(), i));
    } else {
      t.Remove(t.First(aor));  // the newest (second) binding is first in the chain
      ContactSpec first = a;
      first.cseq = i;
      first.expires_at = i + 1000;
      ASSERT_TRUE(t.Update(t.First(aor), first.Data(), i));
    }
    t.EndWrite();
  }
  done = true;
  reader.join();
  EXPECT_GT(reads.load(), 0u);
  EXPECT_EQ(torn.load(), 0u);
}

// Snapshots walk the table with ForEachAor: every live AOR once, with all its bindings;
// removed AORs (freed records) are skipped.
TEST(BindingTableTest, ForEachAorVisitsEveryLiveAorOnce) {
  BindingTable t(Small(256));
  std::map<std::string, uint32_t> expected;
  for (uint32_t i = 0; i < 60; ++i) {
    const std::string user = i % 7 == 0 ? "a-user-name-longer-than-inline-" + std::to_string(i)
                                        : "u" + std::to_string(i);
    const uint32_t aor = t.CreateAor(Key(user, 1000 + i, static_cast<uint16_t>(i % 3)));
    ASSERT_NE(aor, kNil);
    for (uint32_t k = 0; k <= i % 3; ++k) {
      ContactSpec c{.uri = "sip:" + user + "@192.0.2." + std::to_string(k + 1) +
                           (k == 2 ? ";ob" : "")};
      ASSERT_NE(t.Insert(aor, c.Data(), 1), kNil);
    }
    expected[std::to_string(i % 3) + "/" + user] = i % 3 + 1;
  }
  // Free a few: their records must not show up.
  for (uint32_t i = 0; i < 60; i += 5) {
    const std::string user = i % 7 == 0 ? "a-user-name-longer-than-inline-" + std::to_string(i)
                                        : "u" + std::to_string(i);
    const uint32_t aor = t.FindAor(Key(user, 1000 + i, static_cast<uint16_t>(i % 3)));
    while (t.First(aor) != kNil) {
      t.Remove(t.First(aor));
    }
    t.RemoveAorIfEmpty(aor);
    expected.erase(std::to_string(i % 3) + "/" + user);
  }
  std::vector<BindingCopy> scratch(16);
  std::map<std::string, uint32_t> seen;
  const uint64_t visited = t.ForEachAor(
      [&](const BindingTable::AorView& v) {
        const std::string key = std::to_string(v.domain) + "/" + std::string(v.user);
        EXPECT_EQ(seen.count(key), 0u) << key;
        seen[key] = v.count;
        for (uint32_t k = 0; k < v.count; ++k) {
          EXPECT_EQ(v.bindings[k].contact_view().substr(0, 4 + v.user.size()),
                    "sip:" + std::string(v.user));
        }
      },
      scratch.data(), 16);
  EXPECT_EQ(visited, expected.size());
  EXPECT_EQ(seen, expected);
}

TEST(BindingTableTest, RecordsHaveTheirDocumentedSizes) {
  // docs/architecture.md: 8-byte index slots at load 0.8, 48-byte AOR records, 64-byte
  // bindings: 122 bytes for an AOR with one typical binding, before arena and wheel.
  TableOptions o = Small(1000000);
  o.arena_bytes = 0;
  o.max_expires = 1;
  BindingTable t(o);
  const double per = static_cast<double>(t.MemoryBytes()) / 1000000.0;
  EXPECT_NEAR(per, 122.0, 1.0);
}

}  // namespace
}  // namespace sipfront::registrar
