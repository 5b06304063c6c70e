// SpscRing: records come out in order and intact, padding records at the wrap are skipped,
// a full ring refuses instead of overwriting, nothing is visible before Commit, and a
// producer and consumer on two threads exchange a bounded stream without loss or corruption.
#include "sipfront/core/spsc_ring.h"

#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace sipfront::core {
namespace {

bool Push(SpscRing& r, const std::string& s) {
  char* p = r.Reserve(s.size());
  if (p == nullptr) {
    return false;
  }
  std::memcpy(p, s.data(), s.size());
  return true;
}

std::string Pop(SpscRing& r) {
  const PaddedView v = r.Front();
  if (v.data() == nullptr) {
    return "<empty>";
  }
  EXPECT_GE(v.capacity(), v.size() + kPadding) << "records carry tokenizer padding";
  std::string s(v.data(), v.size());
  r.Pop();
  return s;
}

TEST(SpscRingTest, RecordsAreVisibleOnlyAfterCommitAndComeOutInOrder) {
  SpscRing r(4096);
  ASSERT_TRUE(Push(r, "first"));
  ASSERT_TRUE(Push(r, "second"));
  EXPECT_EQ(Pop(r), "<empty>") << "not committed yet";
  EXPECT_FALSE(r.HasPublished());
  EXPECT_TRUE(r.Commit());
  EXPECT_FALSE(r.Commit()) << "nothing new to publish";
  EXPECT_TRUE(r.HasPublished());
  EXPECT_EQ(Pop(r), "first");
  EXPECT_EQ(Pop(r), "second");
  EXPECT_EQ(Pop(r), "<empty>");
  r.Release();
  EXPECT_FALSE(r.HasPublished());
}

TEST(SpscRingTest, FullRingRefusesUntilTheConsumerReleases) {
  SpscRing r(4096);
  const std::string big(900, 'x');  // 1024-byte records with header and padding
  int pushed = 0;
  while (Push(r, big)) {
    ++pushed;
  }
  EXPECT_EQ(pushed, 4);
  r.Commit();
  EXPECT_EQ(Pop(r), big);
  EXPECT_FALSE(Push(r, big)) << "popped but not released: still full";
  r.Release();
  EXPECT_TRUE(Push(r, big));
  EXPECT_FALSE(Push(r, std::string(3000, 'y'))) << "larger than half the ring";
}

TEST(SpscRingTest, WrapsWithAPaddingRecord) {
  SpscRing r(4096);
  std::vector<std::string> sent;
  for (int round = 0; round < 100; ++round) {
    const std::string s(static_cast<std::size_t>(100 + (round * 37) % 700),
                        static_cast<char>('a' + round % 26));
    ASSERT_TRUE(Push(r, s)) << round;
    r.Commit();
    ASSERT_EQ(Pop(r), s) << round;
    r.Release();
  }
}

TEST(SpscRingTest, TwoThreadsExchangeABoundedStreamIntact) {
  SpscRing r(1 << 16);
  constexpr uint32_t kRecords = 200000;
  std::atomic<bool> failed{false};
  std::thread producer([&] {
    for (uint32_t i = 0; i < kRecords;) {
      // Batches of up to 16, then one commit, as the workers do.
      uint32_t batch = 0;
      while (batch < 16 && i < kRecords) {
        const std::size_t n = 8 + (i * 131) % 600;
        char* p = r.Reserve(n);
        if (p == nullptr) {
          break;
        }
        std::memcpy(p, &i, 4);
        std::memset(p + 4, static_cast<int>(i & 0xff), n - 4);
        ++i;
        ++batch;
      }
      r.Commit();
      if (batch == 0) {
        std::this_thread::yield();
      }
    }
  });
  uint32_t expected = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (expected < kRecords && std::chrono::steady_clock::now() < deadline) {
    bool any = false;
    for (PaddedView v = r.Front(); v.data() != nullptr; v = r.Front()) {
      uint32_t seq;
      std::memcpy(&seq, v.data(), 4);
      const std::size_t n = 8 + (seq * 131) % 600;
      bool ok = seq == expected && v.size() == n;
      for (std::size_t k = 4; ok && k < n; ++k) {
        ok = static_cast<unsigned char>(v.data()[k]) == (seq & 0xff);
      }
      if (!ok) {
        failed = true;
      }
      ++expected;
      r.Pop();
      any = true;
    }
    r.Release();
    if (!any) {
      std::this_thread::yield();
    }
  }
  producer.join();
  EXPECT_FALSE(failed.load());
  EXPECT_EQ(expected, kRecords);
}

}  // namespace
}  // namespace sipfront::core
