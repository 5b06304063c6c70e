// sipfront/base/hash.h — keyed 64-bit hash for attacker-controlled keys (SipHash-1-3).
//
// Shard selection and binding-table buckets hash canonical AORs that devices choose. An
// unkeyed hash lets a peer aim many AORs at one bucket or one shard (hash flooding); SipHash
// with a per-deployment secret key makes that infeasible while staying stable across
// restarts of the same deployment (the key comes from the data directory). SipHash-1-3 (one
// compression round, three finalization rounds) is the variant Rust and Python use for their
// hash tables. OpenSSL exposes SipHash only through EVP_MAC, whose per-call setup costs more
// than hashing a 30-byte key, hence this small inline implementation.
//
// Threading: pure functions.
#ifndef SIPFRONT_BASE_HASH_H_
#define SIPFRONT_BASE_HASH_H_

#include <cstdint>
#include <cstring>
#include <string_view>

namespace sipfront {

struct HashKey {
  uint64_t k0 = 0x736f6d6570736575ull;  // overwritten from the deployment's secret
  uint64_t k1 = 0x646f72616e646f6dull;
};

namespace internal {

inline uint64_t Rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

inline void SipRound(uint64_t& v0, uint64_t& v1, uint64_t& v2, uint64_t& v3) {
  v0 += v1;
  v1 = Rotl(v1, 13);
  v1 ^= v0;
  v0 = Rotl(v0, 32);
  v2 += v3;
  v3 = Rotl(v3, 16);
  v3 ^= v2;
  v0 += v3;
  v3 = Rotl(v3, 21);
  v3 ^= v0;
  v2 += v1;
  v1 = Rotl(v1, 17);
  v1 ^= v2;
  v2 = Rotl(v2, 32);
}

}  // namespace internal

// SipHash-c-d of `data` under `key` (little-endian, as the reference implementation).
template <int kCompressionRounds, int kFinalizationRounds>
inline uint64_t SipHash(std::string_view data, const HashKey& key) {
  uint64_t v0 = key.k0 ^ 0x736f6d6570736575ull;
  uint64_t v1 = key.k1 ^ 0x646f72616e646f6dull;
  uint64_t v2 = key.k0 ^ 0x6c7967656e657261ull;
  uint64_t v3 = key.k1 ^ 0x7465646279746573ull;
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  const std::size_t n = data.size();
  const std::size_t full = n & ~std::size_t{7};
  for (std::size_t i = 0; i < full; i += 8) {
    uint64_t m;
    std::memcpy(&m, p + i, 8);
    v3 ^= m;
    for (int r = 0; r < kCompressionRounds; ++r) {
      internal::SipRound(v0, v1, v2, v3);
    }
    v0 ^= m;
  }
  uint64_t b = static_cast<uint64_t>(n) << 56;
  for (std::size_t i = 0; i < (n & 7); ++i) {
    b |= static_cast<uint64_t>(p[full + i]) << (8 * i);
  }
  v3 ^= b;
  for (int r = 0; r < kCompressionRounds; ++r) {
    internal::SipRound(v0, v1, v2, v3);
  }
  v0 ^= b;
  v2 ^= 0xff;
  for (int r = 0; r < kFinalizationRounds; ++r) {
    internal::SipRound(v0, v1, v2, v3);
  }
  return v0 ^ v1 ^ v2 ^ v3;
}

// The hash sipfront uses for AORs: SipHash-1-3.
inline uint64_t Hash64(std::string_view data, const HashKey& key) {
  return SipHash<1, 3>(data, key);
}

}  // namespace sipfront

#endif  // SIPFRONT_BASE_HASH_H_
