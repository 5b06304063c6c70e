// Backend behaviour over loopback, for both kinds (io_uring skips only where the kernel lacks
// it): delivery with correct bytes, peers and padding, replies, truncation, ring exhaustion,
// tx exhaustion, Wake(), SO_REUSEPORT sharing and IPv6. Every wait is bounded.
#include "sipfront/net/backend.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <netinet/in.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include "sipfront/net/endpoint.h"

#include "net_test_util.h"

namespace sipfront::net {
namespace {

using sipfront::net::testing::Client;
using sipfront::net::testing::Loopback;
using sipfront::net::testing::Payload;
using sipfront::net::testing::Pump;
using sipfront::net::testing::SeqOf;
using Clock = std::chrono::steady_clock;

BackendOptions SmallOptions(int family = AF_INET) {
  BackendOptions o;
  o.bind = Loopback(family);
  o.rx_slots = 256;
  o.rx_slot_size = 8192;
  o.tx_slots = 256;
  o.tx_slot_size = 8192;
  return o;
}

class BackendTest : public ::testing::TestWithParam<BackendKind> {
 protected:
  void SetUp() override {
    if (GetParam() != BackendKind::kUring) {
      return;
    }
    // Skip only when the kernel (or a sandbox) genuinely lacks io_uring / multishot recvmsg.
    absl::StatusOr<BackendPtr> b = MakeBackend(BackendKind::kUring, SmallOptions());
    if (!b.ok() && absl::IsUnavailable(b.status())) {
      GTEST_SKIP() << "io_uring unavailable: " << b.status();
    }
  }

  BackendPtr Make(const BackendOptions& o) {
    absl::StatusOr<BackendPtr> b = MakeBackend(GetParam(), o);
    EXPECT_TRUE(b.ok()) << b.status();
    return b.ok() ? *std::move(b) : nullptr;
  }
};

// Reads every padding byte after a payload, as the tokenizer's SIMD loads may.
unsigned TouchPadding(const PaddedView& v) {
  unsigned sum = 0;
  for (std::size_t i = 0; i < kPadding; ++i) {
    sum += static_cast<unsigned char>(v.data()[v.size() + i]);
  }
  return sum;
}

TEST_P(BackendTest, ReportsBoundLocalAddressWithResolvedPort) {
  BackendPtr b = Make(SmallOptions());
  ASSERT_NE(b, nullptr);
  EXPECT_TRUE(b->local().IsV4());
  EXPECT_NE(b->local().port(), 0);
  EXPECT_EQ(ToString(b->local()).rfind("127.0.0.1:", 0), 0u) << ToString(b->local());
  EXPECT_STRNE(b->Name(), "");
}

TEST_P(BackendTest, RejectsBadOptions) {
  BackendOptions o = SmallOptions();
  o.rx_slots = 3;
  absl::StatusOr<BackendPtr> b = MakeBackend(GetParam(), o);
  EXPECT_TRUE(absl::IsInvalidArgument(b.status())) << b.status();
  o = SmallOptions();
  o.bind = Endpoint{};
  EXPECT_TRUE(absl::IsInvalidArgument(MakeBackend(GetParam(), o).status()));
}

TEST_P(BackendTest, EchoesManyDatagramsOfVariedSizes) {
  BackendPtr b = Make(SmallOptions());
  ASSERT_NE(b, nullptr);
  Client client;
  ASSERT_TRUE(client.ok());
  const Endpoint server = b->local();
  constexpr uint32_t kTotal = 2048;  // 32 windows
  constexpr uint32_t kWindow = 64;
  const std::size_t max_payload = 8192 - kRxHeadroom - kPadding;
  auto size_of = [&](uint32_t seq) -> std::size_t {
    if (seq % 97 == 0) {
      return max_payload;  // exactly the largest datagram a slot holds whole
    }
    return 4 + (seq * 7919u) % 1500;
  };
  std::vector<bool> seen(kTotal, false);
  std::vector<bool> echoed(kTotal, false);
  unsigned padding_sum = 0;
  std::string reply;
  for (uint32_t base = 0; base < kTotal; base += kWindow) {
    for (uint32_t s = base; s < base + kWindow; ++s) {
      ASSERT_TRUE(client.SendTo(server, Payload(s, size_of(s))));
    }
    bool bad = false;
    const std::size_t got = Pump(*b, kWindow, [&](const RxPacket& p) {
      const uint32_t seq = SeqOf(p.data.view());
      if (seq >= kTotal || seen[seq] || p.truncated || !p.data.HasPadding() ||
          p.data.view() != Payload(seq, size_of(seq)) || !(p.peer == client.local())) {
        bad = true;
        return;
      }
      seen[seq] = true;
      padding_sum += TouchPadding(p.data);
      TxBuffer* tx = b->AcquireTx();
      ASSERT_NE(tx, nullptr);
      ASSERT_LE(p.data.size(), tx->capacity);
      std::memcpy(tx->data, p.data.data(), p.data.size());
      b->QueueTx(tx, p.data.size(), p.peer);
    });
    ASSERT_FALSE(bad) << "window at " << base;
    ASSERT_EQ(got, kWindow) << "window at " << base;
    b->Flush();
    for (uint32_t i = 0; i < kWindow; ++i) {
      Endpoint from;
      ASSERT_TRUE(client.Recv(reply, &from, 2000)) << "reply " << i << " of window " << base;
      EXPECT_TRUE(from == server);
      const uint32_t seq = SeqOf(reply);
      ASSERT_LT(seq, kTotal);
      EXPECT_EQ(reply, Payload(seq, size_of(seq)));
      EXPECT_FALSE(echoed[seq]);
      echoed[seq] = true;
    }
  }
  // Let send completions come back, then check the books.
  RxPacket pkts[kMaxBurst];
  const auto deadline = Clock::now() + std::chrono::seconds(2);
  while (b->counters().tx_packets < kTotal && Clock::now() < deadline) {
    b->Poll(pkts, kMaxBurst, 10);
  }
  EXPECT_EQ(b->counters().rx_packets, kTotal);
  EXPECT_EQ(b->counters().tx_packets, kTotal);
  EXPECT_EQ(b->counters().tx_errors, 0u);
  EXPECT_EQ(b->counters().rx_truncated, 0u);
  static_cast<void>(padding_sum);
}

TEST_P(BackendTest, FlagsOversizeDatagramsAsTruncated) {
  BackendOptions o = SmallOptions();
  o.rx_slot_size = 1024;
  BackendPtr b = Make(o);
  ASSERT_NE(b, nullptr);
  Client client;
  const std::size_t room = 1024 - kRxHeadroom - kPadding;
  struct Row {
    std::size_t size;
    bool truncated;
  };
  const Row rows[] = {
      {room, false},     // fits exactly
      {room + 1, true},  // one byte over
      {20000, true},     // far over
      {100, false},      // traffic after truncation still flows
  };
  for (const Row& row : rows) {
    ASSERT_TRUE(client.SendTo(b->local(), Payload(7, row.size)));
    bool ok = false;
    ASSERT_EQ(Pump(*b, 1,
                   [&](const RxPacket& p) {
                     ok = p.truncated == row.truncated &&
                          p.data.size() == (row.truncated ? room : row.size) &&
                          p.data.HasPadding() &&
                          p.data.view() ==
                              std::string_view(Payload(7, row.size)).substr(0, p.data.size());
                     TouchPadding(p.data);
                   }),
              1u)
        << row.size;
    EXPECT_TRUE(ok) << row.size;
  }
  EXPECT_EQ(b->counters().rx_truncated, 2u);
}

TEST_P(BackendTest, KeepsFlowingWhenMoreDatagramsArriveThanSlots) {
  BackendOptions o = SmallOptions();
  o.rx_slots = 8;
  BackendPtr b = Make(o);
  ASSERT_NE(b, nullptr);
  Client client;
  // Arm the receive path first, so the burst lands while the ring holds only 8 buffers.
  RxPacket pkts[kMaxBurst];
  EXPECT_EQ(b->Poll(pkts, kMaxBurst, 0), 0u);
  constexpr uint32_t kBurst = 64;  // ~64 small skbs: well inside the socket buffer
  for (uint32_t s = 0; s < kBurst; ++s) {
    ASSERT_TRUE(client.SendTo(b->local(), Payload(s, 32)));
  }
  std::set<uint32_t> seqs;
  Pump(*b, kBurst, [&](const RxPacket& p) { seqs.insert(SeqOf(p.data.view())); });
  EXPECT_EQ(seqs.size(), kBurst);
  if (GetParam() == BackendKind::kUring) {
    // The 9th datagram found the buffer ring empty: the multishot recv ended with ENOBUFS and
    // was re-armed; the rest waited in the socket buffer.
    EXPECT_GT(b->counters().rx_no_buffer, 0u);
  }
  // Later traffic still flows, in small batches too.
  for (uint32_t round = 0; round < 3; ++round) {
    for (uint32_t s = 0; s < 20; ++s) {
      ASSERT_TRUE(client.SendTo(b->local(), Payload(1000 + s, 40)));
    }
    std::size_t got = 0;
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    while (got < 20 && Clock::now() < deadline) {
      got += b->Poll(pkts, 3, 20);
    }
    EXPECT_EQ(got, 20u) << "round " << round;
  }
}

TEST_P(BackendTest, AcquireTxReturnsNullWhenExhaustedAndRecovers) {
  BackendOptions o = SmallOptions();
  o.tx_slots = 4;
  BackendPtr b = Make(o);
  ASSERT_NE(b, nullptr);
  Client client;
  TxBuffer* held[4];
  for (TxBuffer*& t : held) {
    t = b->AcquireTx();
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->capacity, 8192u);
  }
  EXPECT_EQ(b->AcquireTx(), nullptr);
  EXPECT_EQ(b->counters().tx_no_buffer, 1u);
  // ReleaseTx gives one back unsent.
  b->ReleaseTx(held[3]);
  held[3] = b->AcquireTx();
  ASSERT_NE(held[3], nullptr);
  for (int i = 0; i < 4; ++i) {
    const std::string msg = Payload(static_cast<uint32_t>(i), 50);
    std::memcpy(held[i]->data, msg.data(), msg.size());
    b->QueueTx(held[i], msg.size(), client.local());
  }
  b->Flush();
  std::string got;
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(client.Recv(got, nullptr, 2000));
    EXPECT_EQ(got.size(), 50u);
  }
  // Completions are reaped by Poll; all four come back.
  RxPacket pkts[kMaxBurst];
  std::vector<TxBuffer*> again;
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  while (again.size() < 4 && Clock::now() < deadline) {
    b->Poll(pkts, kMaxBurst, 10);
    while (TxBuffer* t = b->AcquireTx()) {
      again.push_back(t);
    }
  }
  EXPECT_EQ(again.size(), 4u);
  EXPECT_EQ(b->counters().tx_packets, 4u);
  for (TxBuffer* t : again) {
    b->ReleaseTx(t);
  }
}

TEST_P(BackendTest, CountsFailedSendsAndKeepsGoing) {
  BackendPtr b = Make(SmallOptions());
  ASSERT_NE(b, nullptr);
  Client client;
  // An IPv6 destination on an IPv4 socket fails in the kernel.
  TxBuffer* t = b->AcquireTx();
  ASSERT_NE(t, nullptr);
  b->QueueTx(t, 10, Loopback(AF_INET6));
  t = b->AcquireTx();
  ASSERT_NE(t, nullptr);
  std::memcpy(t->data, "hello", 5);
  b->QueueTx(t, 5, client.local());
  b->Flush();
  std::string got;
  ASSERT_TRUE(client.Recv(got, nullptr, 2000));
  EXPECT_EQ(got, "hello");
  RxPacket pkts[kMaxBurst];
  const auto deadline = Clock::now() + std::chrono::seconds(2);
  while (b->counters().tx_errors + b->counters().tx_packets < 2 && Clock::now() < deadline) {
    b->Poll(pkts, kMaxBurst, 10);
  }
  EXPECT_EQ(b->counters().tx_errors, 1u);
  EXPECT_EQ(b->counters().tx_packets, 1u);
}

// Every datagram carries the kernel's receive time (SO_TIMESTAMPNS): the storm guard measures
// how long datagrams waited from it.
TEST_P(BackendTest, StampsReceivedDatagramsWithTheKernelReceiveTime) {
  BackendPtr b = Make(SmallOptions());
  ASSERT_NE(b, nullptr);
  Client client;
  RxPacket pkts[kMaxBurst];
  EXPECT_EQ(b->Poll(pkts, kMaxBurst, 0), 0u);
  timespec before;
  clock_gettime(CLOCK_REALTIME, &before);
  for (uint32_t s = 0; s < 10; ++s) {
    ASSERT_TRUE(client.SendTo(b->local(), Payload(s, 64)));
  }
  // Let them wait in the kernel a measurable time before they are received.
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  std::vector<uint64_t> stamps;
  Pump(*b, 10, [&](const RxPacket& p) { stamps.push_back(p.rx_ns); });
  timespec after;
  clock_gettime(CLOCK_REALTIME, &after);
  const uint64_t lo = static_cast<uint64_t>(before.tv_sec) * 1000000000u + before.tv_nsec;
  const uint64_t hi = static_cast<uint64_t>(after.tv_sec) * 1000000000u + after.tv_nsec;
  ASSERT_EQ(stamps.size(), 10u);
  for (uint64_t t : stamps) {
    EXPECT_GE(t, lo);
    EXPECT_LE(t + 25000000u, hi) << "received at least ~25 ms before Poll returned it";
  }
}

TEST_P(BackendTest, PollTimesOutWithNothingToDo) {
  BackendPtr b = Make(SmallOptions());
  ASSERT_NE(b, nullptr);
  RxPacket pkts[kMaxBurst];
  EXPECT_EQ(b->Poll(pkts, kMaxBurst, 0), 0u);
  const auto t0 = Clock::now();
  EXPECT_EQ(b->Poll(pkts, kMaxBurst, 50), 0u);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
  EXPECT_GE(ms, 40);
  EXPECT_LT(ms, 2000);
}

// Runs Poll(-1) on this thread while another thread calls Wake() after `delay`. A watchdog
// unblocks a stuck Poll with a datagram after 5 s so the test fails instead of hanging.
void ExpectWakeUnblocksPoll(Backend& b, std::chrono::milliseconds delay) {
  std::mutex mu;
  std::condition_variable cv;
  bool returned = false;
  std::thread waker([&] {
    std::this_thread::sleep_for(delay);
    b.Wake();
    std::unique_lock<std::mutex> lock(mu);
    if (!cv.wait_for(lock, std::chrono::seconds(5), [&] { return returned; })) {
      Client rescue;
      rescue.SendTo(b.local(), "rescue");
    }
  });
  RxPacket pkts[kMaxBurst];
  const uint64_t wakeups = b.counters().wakeups;
  const auto t0 = Clock::now();
  std::size_t n = 0;
  // Poll may return 0 early for kernel-side reasons; keep waiting until the wake is seen.
  while (b.counters().wakeups == wakeups && n == 0 && Clock::now() - t0 < std::chrono::seconds(6)) {
    n = b.Poll(pkts, kMaxBurst, -1);
  }
  const auto elapsed = Clock::now() - t0;
  {
    std::lock_guard<std::mutex> lock(mu);
    returned = true;
  }
  cv.notify_all();
  waker.join();
  EXPECT_EQ(n, 0u) << "the watchdog had to unblock Poll";
  EXPECT_LT(elapsed, std::chrono::seconds(3));
}

TEST_P(BackendTest, WakeFromAnotherThreadUnblocksPoll) {
  BackendPtr b = Make(SmallOptions());
  ASSERT_NE(b, nullptr);
  RxPacket pkts[kMaxBurst];
  b->Poll(pkts, kMaxBurst, 0);  // bind the backend to this thread first
  ExpectWakeUnblocksPoll(*b, std::chrono::milliseconds(100));
  EXPECT_EQ(b->counters().wakeups, 1u);
  // Again, to prove the wake-up path re-arms; and a wake before Poll is not lost.
  ExpectWakeUnblocksPoll(*b, std::chrono::milliseconds(20));
  EXPECT_EQ(b->counters().wakeups, 2u);
  b->Wake();
  ExpectWakeUnblocksPoll(*b, std::chrono::milliseconds(0));
  EXPECT_GE(b->counters().wakeups, 3u);
}

TEST_P(BackendTest, TwoBackendsShareOnePortWithReusePort) {
  BackendPtr a = Make(SmallOptions());
  ASSERT_NE(a, nullptr);
  BackendOptions o = SmallOptions();
  o.bind = a->local();
  BackendPtr b = Make(o);
  ASSERT_NE(b, nullptr);
  EXPECT_TRUE(a->local() == b->local());
  constexpr int kClients = 64;
  for (int i = 0; i < kClients; ++i) {
    Client c;
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(c.SendTo(a->local(), Payload(static_cast<uint32_t>(i), 30)));
  }
  std::size_t got_a = 0;
  std::size_t got_b = 0;
  RxPacket pkts[kMaxBurst];
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  while (got_a + got_b < kClients && Clock::now() < deadline) {
    got_a += a->Poll(pkts, kMaxBurst, 5);
    got_b += b->Poll(pkts, kMaxBurst, 5);
  }
  EXPECT_EQ(got_a + got_b, static_cast<std::size_t>(kClients));
  EXPECT_GT(got_a, 0u);
  EXPECT_GT(got_b, 0u);
}

TEST_P(BackendTest, WorksOverIpv6Loopback) {
  Client client(AF_INET6);
  if (!client.ok()) {
    GTEST_SKIP() << "no IPv6 loopback here";
  }
  BackendPtr b = Make(SmallOptions(AF_INET6));
  ASSERT_NE(b, nullptr);
  EXPECT_TRUE(b->local().IsV6());
  EXPECT_EQ(ToString(b->local()).rfind("[::1]:", 0), 0u);
  for (uint32_t s = 0; s < 10; ++s) {
    ASSERT_TRUE(client.SendTo(b->local(), Payload(s, 100 + s)));
  }
  std::size_t ok = 0;
  Pump(*b, 10, [&](const RxPacket& p) {
    const uint32_t seq = SeqOf(p.data.view());
    if (p.peer == client.local() && p.data.view() == Payload(seq, 100 + seq)) {
      ++ok;
      TxBuffer* tx = b->AcquireTx();
      std::memcpy(tx->data, p.data.data(), p.data.size());
      b->QueueTx(tx, p.data.size(), p.peer);
    }
  });
  EXPECT_EQ(ok, 10u);
  b->Flush();
  std::string reply;
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(client.Recv(reply, nullptr, 2000));
  }
}

TEST_P(BackendTest, BuiltOnOneThreadPolledOnAnother) {
  BackendPtr b = Make(SmallOptions());
  ASSERT_NE(b, nullptr);
  Client client;
  std::atomic<std::size_t> got{0};
  std::thread worker([&] {
    got = Pump(*b, 5, [&](const RxPacket& p) {
      TxBuffer* tx = b->AcquireTx();
      std::memcpy(tx->data, p.data.data(), p.data.size());
      b->QueueTx(tx, p.data.size(), p.peer);
    });
  });
  for (uint32_t s = 0; s < 5; ++s) {
    EXPECT_TRUE(client.SendTo(b->local(), Payload(s, 64)));
  }
  worker.join();
  EXPECT_EQ(got.load(), 5u);
  std::string reply;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(client.Recv(reply, nullptr, 2000));
  }
}

// SINGLE_ISSUER: once a thread has submitted, a submission from another thread is fatal.
TEST(UringBackendDeathTest, SubmittingFromASecondThreadIsFatal) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  absl::StatusOr<BackendPtr> made = MakeBackend(BackendKind::kUring, SmallOptions());
  if (!made.ok() && absl::IsUnavailable(made.status())) {
    GTEST_SKIP() << made.status();
  }
  ASSERT_TRUE(made.ok()) << made.status();
  Backend& b = **made;
  RxPacket pkts[kMaxBurst];
  b.Poll(pkts, kMaxBurst, 0);
  EXPECT_DEATH(
      {
        std::thread other([&] {
          TxBuffer* tx = b.AcquireTx();
          b.QueueTx(tx, 1, b.local());
          b.Flush();
        });
        other.join();
      },
      "used_from_owner_thread");
}

INSTANTIATE_TEST_SUITE_P(Backends, BackendTest,
                         ::testing::Values(BackendKind::kUring, BackendKind::kMmsg),
                         [](const ::testing::TestParamInfo<BackendKind>& info) {
                           return info.param == BackendKind::kUring ? "Uring" : "Mmsg";
                         });

}  // namespace
}  // namespace sipfront::net
