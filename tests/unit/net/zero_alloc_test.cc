// Proves the packet path allocates nothing after construction: the counting allocator in
// tests/testlib replaces global operator new in this binary, and real datagrams go through
// Poll/AcquireTx/QueueTx/Flush (and Wake) on both backends.
#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "sipfront/net/backend.h"

#include "counting_allocator.h"
#include "net_test_util.h"

namespace sipfront::net {
namespace {

using sipfront::net::testing::Client;
using sipfront::net::testing::Loopback;
using sipfront::testing::AllocationCount;

class ZeroAllocTest : public ::testing::TestWithParam<BackendKind> {};

TEST_P(ZeroAllocTest, PacketPathAllocatesNothingAfterConstruction) {
  BackendOptions o;
  o.bind = Loopback(AF_INET);
  o.rx_slots = 64;
  o.tx_slots = 64;
  absl::StatusOr<BackendPtr> made = MakeBackend(GetParam(), o);
  if (!made.ok() && GetParam() == BackendKind::kUring && absl::IsUnavailable(made.status())) {
    GTEST_SKIP() << made.status();
  }
  ASSERT_TRUE(made.ok()) << made.status();
  Backend& b = **made;
  Client client;
  ASSERT_TRUE(client.ok());
  const Endpoint server = b.local();
  char msg[600];
  std::memset(msg, 'x', sizeof(msg));
  char reply[2048];
  RxPacket pkts[kMaxBurst];
  b.Poll(pkts, kMaxBurst, 0);  // warm-up: first Poll enables and arms the ring

  // Everything below uses raw system calls and fixed arrays only.
  const uint64_t before = AllocationCount();
  uint64_t received = 0;
  uint64_t replied = 0;
  uint64_t echoed = 0;
  for (int round = 0; round < 200; ++round) {
    for (int i = 0; i < 8; ++i) {
      ::sendto(client.fd(), msg, 100 + i * 50, 0, &server.addr.sa, server.len);
    }
    for (int tries = 0; tries < 100 && received < static_cast<uint64_t>(round + 1) * 8; ++tries) {
      const std::size_t n = b.Poll(pkts, kMaxBurst, 10);
      for (std::size_t i = 0; i < n; ++i) {
        ++received;
        if (TxBuffer* tx = b.AcquireTx()) {
          std::memcpy(tx->data, pkts[i].data.data(), pkts[i].data.size());
          b.QueueTx(tx, pkts[i].data.size(), pkts[i].peer);
          ++replied;
        }
      }
      b.Flush();
    }
    while (::recv(client.fd(), reply, sizeof(reply), MSG_DONTWAIT) > 0) {
      ++echoed;
    }
    b.Wake();
  }
  b.Poll(pkts, kMaxBurst, 10);
  const uint64_t after = AllocationCount();

  EXPECT_EQ(after - before, 0u);
  EXPECT_EQ(received, 200u * 8);
  EXPECT_EQ(replied, received);
  EXPECT_GT(echoed, 0u);
}

INSTANTIATE_TEST_SUITE_P(Backends, ZeroAllocTest,
                         ::testing::Values(BackendKind::kUring, BackendKind::kMmsg),
                         [](const ::testing::TestParamInfo<BackendKind>& info) {
                           return info.param == BackendKind::kUring ? "Uring" : "Mmsg";
                         });

}  // namespace
}  // namespace sipfront::net
