// Proves the worker-side auth calls allocate nothing: the counting allocator in tests/testlib
// replaces global operator new in this binary, and OpenSSL's own allocator (CRYPTO_malloc,
// which never goes through operator new) is hooked here with CRYPTO_set_mem_functions, so an
// allocation inside libcrypto counts too. No warm-up call precedes the measured region: the
// first call on a fresh object must already be allocation-free.
#include <array>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <gtest/gtest.h>

#include "sipfront/auth/digest.h"
#include "sipfront/sip/headers.h"

#include "counting_allocator.h"

namespace sipfront::auth {
namespace {

std::atomic<uint64_t> g_crypto_allocations{0};

void* CountingMalloc(std::size_t n, const char* /*file*/, int /*line*/) {
  g_crypto_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n);
}
void* CountingRealloc(void* p, std::size_t n, const char* /*file*/, int /*line*/) {
  g_crypto_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::realloc(p, n);
}
void CountingFree(void* p, const char* /*file*/, int /*line*/) { std::free(p); }

// Must run before libcrypto allocates anything (CRYPTO_set_mem_functions fails afterwards),
// hence a static initializer rather than a test fixture.
const bool g_hooked = CRYPTO_set_mem_functions(CountingMalloc, CountingRealloc, CountingFree) == 1;

uint64_t AllAllocations() {
  return sipfront::testing::AllocationCount() +
         g_crypto_allocations.load(std::memory_order_relaxed);
}

constexpr std::array<uint8_t, 32> kSecret = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                             12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                             23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
constexpr uint64_t kNow = 1'700'000'000;

TEST(AuthZeroAllocTest, HookSeesOpenSslAllocations) {
  ASSERT_TRUE(g_hooked) << "libcrypto allocated before the hook was installed";
  const uint64_t before = g_crypto_allocations.load();
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_MD_CTX_free(ctx);
  EXPECT_GT(g_crypto_allocations.load() - before, 0u);
}

TEST(AuthZeroAllocTest, WorkerCallsAllocateNothing) {
  ASSERT_TRUE(g_hooked);
  // Everything that may allocate happens before the measured region.
  constexpr std::string_view kRealm = "test21.djangopbx.com";
  CredentialStore store;
  ASSERT_TRUE(store.Add(kRealm, "201", "Tr0ub4dor&3"));
  const NonceCodec codec(std::span<const uint8_t, 32>(kSecret), 300);
  DigestVerifier verifier;
  const std::string long_realm(300, 'x');

  const uint64_t before = AllAllocations();
  std::size_t sum = 0;
  for (int round = 0; round < 100; ++round) {
    const uint64_t now = kNow + static_cast<uint64_t>(round);
    char nonce_buf[kNonceLength];
    codec.Mint(now, kRealm, nonce_buf);
    const std::string_view nonce(nonce_buf, kNonceLength);
    sum += static_cast<std::size_t>(codec.Check(nonce, kRealm, now));            // valid
    sum += static_cast<std::size_t>(codec.Check(nonce, kRealm, now + 1000));     // stale
    sum += static_cast<std::size_t>(codec.Check(nonce, "other.example", now));   // invalid
    sum += static_cast<std::size_t>(codec.Check(nonce.substr(1), kRealm, now));  // too short

    char challenge[256];
    sum += WriteChallenge(challenge, sizeof(challenge), Algorithm::kSha256, kRealm, nonce,
                          round % 2 == 0);

    for (Algorithm a : {Algorithm::kMd5, Algorithm::kSha256}) {
      const CredentialEntry* e = store.Find("TEST21.djangopbx.com", "201");
      ASSERT_NE(e, nullptr);
      sum += store.Find(long_realm, "201") == nullptr ? 1 : 0;
      const HexDigest response =
          verifier.Response(a, e->ha1(a).view(), nonce, "00000001", "724116085", "auth", "REGISTER",
                            "sip:test21.djangopbx.com:5060");
      sip::Credentials c{};
      c.scheme = "Digest";
      c.is_digest = true;
      c.username = "201";
      c.realm = kRealm;
      c.nonce = nonce;
      c.uri = "sip:test21.djangopbx.com:5060";
      c.response = response.view();
      c.algorithm = AlgorithmName(a);
      c.cnonce = "724116085";
      c.qop = "auth";
      c.nc = "00000001";
      Algorithm parsed;
      sum += ParseAlgorithm(c.algorithm, parsed) ? 1 : 0;
      sum += static_cast<std::size_t>(verifier.Verify(a, c, "REGISTER", e->ha1(a).view()));
      sum += static_cast<std::size_t>(verifier.Verify(a, c, "INVITE", e->ha1(a).view()));
    }
  }
  const uint64_t after = AllAllocations();

  EXPECT_EQ(after - before, 0u) << "operator new: " << sipfront::testing::AllocationCount()
                                << ", CRYPTO_malloc: " << g_crypto_allocations.load();
  EXPECT_NE(sum, 0u);
}

}  // namespace
}  // namespace sipfront::auth
