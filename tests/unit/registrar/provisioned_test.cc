// The provisioned snapshot: stable domain ids, name lookups, IP ACL network sets, and the
// cell's quiescent-state reclamation with real reader threads.
#include "sipfront/registrar/provisioned.h"

#include <atomic>
#include <thread>
#include <vector>

#include <arpa/inet.h>

#include "gtest/gtest.h"

namespace sipfront::registrar {
namespace {

net::Endpoint Ep(const char* ip, uint16_t port = 5060) {
  net::Endpoint e;
  if (inet_pton(AF_INET, ip, &e.addr.v4.sin_addr) == 1) {
    e.addr.v4.sin_family = AF_INET;
    e.len = sizeof(sockaddr_in);
  } else {
    EXPECT_EQ(inet_pton(AF_INET6, ip, &e.addr.v6.sin6_addr), 1) << ip;
    e.addr.v6.sin6_family = AF_INET6;
    e.len = sizeof(sockaddr_in6);
  }
  e.set_port(port);
  return e;
}

TEST(DomainNamesTest, IdsAreStableAndNamesOutliveSnapshots) {
  DomainNames names;
  const uint16_t a = names.Intern("Acme.SIP.example");
  const uint16_t b = names.Intern("other.example");
  EXPECT_NE(a, b);
  EXPECT_EQ(names.Intern("acme.sip.EXAMPLE"), a);
  EXPECT_EQ(names.Find("ACME.sip.example"), a);
  EXPECT_EQ(names.Find("nowhere.example"), -1);
  EXPECT_EQ(names.Name(a), "acme.sip.example");
  EXPECT_EQ(names.Name(4000), "");
}

// "d<i>.example" (appended piecewise: g++ 12 warns falsely on operator+ chains, -Wrestrict).
std::string Numbered(int i, const char* d = "d", const char* suffix = ".example") {
  std::string s(d);
  s += std::to_string(i);
  s += suffix;
  return s;
}

TEST(DomainTableTest, FindsCaseInsensitivelyAmongMany) {
  DomainNames names;
  DomainTable t;
  for (int i = 0; i < 500; ++i) {
    t.Add(names, Numbered(i), i % 2 == 0);
  }
  for (int i = 0; i < 500; ++i) {
    const DomainInfo* d = t.Find(Numbered(i, "D", ".EXAMPLE"));
    ASSERT_NE(d, nullptr) << i;
    EXPECT_EQ(d->name, Numbered(i));
    EXPECT_EQ(d->registration, i % 2 == 0);
    EXPECT_EQ(d->id, names.Find(d->name));
  }
  EXPECT_EQ(t.Find("d500.example"), nullptr);
  EXPECT_EQ(t.Find(""), nullptr);
  EXPECT_EQ(t.Find(std::string(300, 'a')), nullptr);
  // A second snapshot gives the same name the same id.
  DomainTable t2;
  EXPECT_EQ(t2.Add(names, "d7.example", false), t.Find("d7.example")->id);
}

TEST(NetworkSetTest, MatchesPrefixesOfBothFamilies) {
  NetworkSet s;
  EXPECT_TRUE(s.Add("127.0.0.1", 32));
  EXPECT_TRUE(s.Add("10.1.0.0", 16));
  EXPECT_TRUE(s.Add("192.0.2.77", 24));  // host bits ignored
  EXPECT_TRUE(s.Add("2001:db8::", 32));
  EXPECT_FALSE(s.Add("127.0.0.1", 33));
  EXPECT_FALSE(s.Add("::1", 129));
  EXPECT_FALSE(s.Add("not-an-ip", 32));
  EXPECT_FALSE(s.Add("", 32));
  s.Seal();
  EXPECT_EQ(s.size(), 4u);
  EXPECT_TRUE(s.Contains(Ep("127.0.0.1")));
  EXPECT_FALSE(s.Contains(Ep("127.0.0.2")));
  EXPECT_TRUE(s.Contains(Ep("10.1.255.3")));
  EXPECT_FALSE(s.Contains(Ep("10.2.0.1")));
  EXPECT_TRUE(s.Contains(Ep("192.0.2.1")));
  EXPECT_FALSE(s.Contains(Ep("192.0.3.1")));
  EXPECT_TRUE(s.Contains(Ep("2001:db8:1234::5")));
  EXPECT_FALSE(s.Contains(Ep("2001:db9::5")));
  // IPv4 clients of a dual-stack socket are checked as IPv4.
  EXPECT_TRUE(s.Contains(Ep("::ffff:127.0.0.1")));
  EXPECT_FALSE(s.Contains(Ep("::ffff:127.0.0.2")));
  EXPECT_FALSE(s.Contains(net::Endpoint{}));

  NetworkSet all;
  EXPECT_TRUE(all.Add("0.0.0.0", 0));
  all.Seal();
  EXPECT_TRUE(all.Contains(Ep("198.51.100.9")));
  EXPECT_FALSE(all.Contains(Ep("::1")));

  NetworkSet none;
  none.Seal();
  EXPECT_FALSE(none.Contains(Ep("127.0.0.1")));
}

TEST(ProvisionedTest, AllowedFollowsTheMappedAcls) {
  DomainNames names;
  Provisioned p;
  p.AddDomain(names, "open.example", true);
  DomainAuth& closed = p.AddDomain(names, "closed.example", true);
  ASSERT_TRUE(closed.registration_networks.Add("127.0.0.1", 32));
  closed.registration_networks.Seal();
  closed.registration_acl = true;
  closed.calls_acl = true;  // mapped, with no addresses: admits nobody
  closed.credentials.Add("closed.example", "alice", "Alice-Secret-1");
  const DomainInfo& o = *p.domains.Find("open.example");
  const DomainInfo& c = *p.domains.Find("closed.example");
  EXPECT_TRUE(Provisioned::Allowed(o, Ep("127.0.0.2"), false));
  EXPECT_TRUE(Provisioned::Allowed(o, Ep("127.0.0.2"), true));
  EXPECT_TRUE(Provisioned::Allowed(c, Ep("127.0.0.1"), false));
  EXPECT_FALSE(Provisioned::Allowed(c, Ep("127.0.0.2"), false));
  EXPECT_FALSE(Provisioned::Allowed(c, Ep("127.0.0.1"), true));
  // Credentials are the domain's own.
  EXPECT_NE(Provisioned::Credential(c, "alice"), nullptr);
  EXPECT_EQ(Provisioned::Credential(o, "alice"), nullptr);
}

// A piece shared by two snapshots stays alive while either holds it.
TEST(ProvisionedTest, SnapshotsSharePieces) {
  DomainNames names;
  auto piece = std::make_shared<DomainAuth>();
  piece->credentials.Add("a.example", "alice", "Alice-Secret-1");
  auto first = std::make_unique<Provisioned>();
  first->AddDomain(names, "a.example", true, piece);
  auto second = std::make_unique<Provisioned>();
  second->AddDomain(names, "a.example", false, piece);
  second->AddDomain(names, "b.example", true);
  piece.reset();
  first.reset();
  const DomainInfo& a = *second->domains.Find("A.example");
  EXPECT_FALSE(a.registration);
  EXPECT_NE(Provisioned::Credential(a, "alice"), nullptr);
  EXPECT_EQ(second->domains.size(), 2u);
}

// What the cell frees is checked by Reclaim()'s count of snapshots still waiting; that each is
// freed exactly once, and never while read, is checked by the ASan build (LeakSanitizer, and
// heap-use-after-free on the readers' accesses below).
TEST(ProvisionedCellTest, FreesAReplacedSnapshotOnlyAfterEveryReaderPassedAQuiescentPoint) {
  {
    ProvisionedCell cell(std::make_unique<Provisioned>(), 2);
    cell.Quiescent(0);
    cell.Quiescent(1);
    const Provisioned* held = cell.Load();  // reader 1 keeps using it
    cell.Publish(std::make_unique<Provisioned>());
    EXPECT_NE(cell.Load(), held);
    cell.Quiescent(0);
    EXPECT_EQ(cell.Reclaim(), 1u);  // reader 1 has not passed a quiescent point
    EXPECT_EQ(held->revision, 0u);  // still readable
    cell.Quiescent(1);
    EXPECT_EQ(cell.Reclaim(), 0u);
    // A reader gone offline holds nothing back.
    cell.Offline(1);
    cell.Publish(std::make_unique<Provisioned>());
    cell.Quiescent(0);
    EXPECT_EQ(cell.Reclaim(), 0u);
    // Retired snapshots not yet reclaimed are freed with the cell.
    cell.Publish(std::make_unique<Provisioned>());
  }
}

// Readers on real threads load, use and drop snapshots while the publisher swaps and reclaims
// as fast as it can: every snapshot a reader sees is intact (ASan/TSan builds catch a use
// after free), and all are freed at the end.
TEST(ProvisionedCellTest, ConcurrentReadersNeverSeeAFreedSnapshot) {
  {
    DomainNames names;
    auto first = std::make_unique<Provisioned>();
    first->revision = 1;
    first->domains.Add(names, "x.example", true);
    ProvisionedCell cell(std::move(first), 2);
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> bad{0};
    std::atomic<uint64_t> reads{0};
    std::vector<std::thread> readers;
    for (uint32_t r = 0; r < 2; ++r) {
      readers.emplace_back([&, r] {
        while (!stop.load(std::memory_order_relaxed)) {
          cell.Quiescent(r);
          for (int i = 0; i < 100; ++i) {
            const Provisioned* p = cell.Load();
            // Each snapshot's revision is set before publishing and never changes.
            if (p->revision == 0 || p->domains.Find("x.example") == nullptr) {
              bad.fetch_add(1);
            }
            reads.fetch_add(1, std::memory_order_relaxed);
          }
        }
        cell.Offline(r);
      });
    }
    for (uint64_t rev = 2; rev < 2000; ++rev) {
      auto next = std::make_unique<Provisioned>();
      next->revision = rev;
      next->domains.Add(names, "x.example", true);
      cell.Publish(std::move(next));
      cell.Reclaim();
    }
    stop = true;
    for (auto& t : readers) {
      t.join();
    }
    EXPECT_EQ(cell.Reclaim(), 0u);
    EXPECT_GT(reads.load(), 0u);
    EXPECT_EQ(bad.load(), 0u);
  }
}

}  // namespace
}  // namespace sipfront::registrar
