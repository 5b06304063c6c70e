// Digest auth on the worker: what an authenticated REGISTER costs beyond parsing.
//
//   BM_DigestVerifier_Verify/<alg>    Verify of a correct response (two hashes + compare)
//   BM_NonceCodec_Check               HMAC-SHA256 nonce check (valid nonce)
//   BM_NonceCodec_Mint                nonce for a 401
//   BM_CredentialStore_Find/<n>       HA1 lookup among n credentials
//   BM_WriteChallenge                 WWW-Authenticate line for a 401
//   BM_Auth_Register/<alg>            Check + Find + Verify: the inline cost per REGISTER
//
// The credentials are the Yealink T27G REGISTER's from tests/corpus/sip/devices, parsed by the
// SIP module, with our own nonce and a response computed for a known password. Every benchmark
// counts one operation per iteration.
#include <array>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <span>
#include <string>

#include <benchmark/benchmark.h>

#include "sipfront/auth/digest.h"
#include "sipfront/sip/headers.h"
#include "sipfront/sip/message.h"

#include "buffers.h"

namespace sipfront::bench {
namespace {

using auth::Algorithm;

constexpr std::array<uint8_t, 32> kSecret = {
    0x6b, 0x1d, 0x2f, 0x90, 0x4e, 0x3a, 0x77, 0x01, 0xc2, 0x5e, 0x88, 0x19, 0xaa, 0x40, 0x0d, 0xf3,
    0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00,
};
constexpr uint64_t kNow = 1'700'000'000;
constexpr std::string_view kPassword = "Tr0ub4dor&3";

std::string LoadYealink() {
  std::ifstream in(std::string(SIPFRONT_CORPUS_DIR) + "/devices/yealink-t27g-register-auth.sip",
                   std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The device's parsed credentials, re-pointed at our nonce and a correct response.
struct Fixture {
  explicit Fixture(Algorithm a) : codec(std::span<const uint8_t, 32>(kSecret), 300) {
    const testing::PaddedBuffer buf(LoadYealink());
    sip::Message msg;
    sip::RegisterFields fields;
    ok = sip::Tokenize(buf.view(), sip::Framing::kDatagram, msg) == sip::ParseError::kOk &&
         sip::ParseRegister(msg, fields).ok() && fields.has_credentials;
    if (!ok) {
      return;
    }
    // Copy what the views point at: the buffer goes away with this scope.
    username.assign(fields.credentials.username);
    realm.assign(fields.credentials.realm);
    uri.assign(fields.credentials.uri);
    cnonce.assign(fields.credentials.cnonce);
    nc.assign(fields.credentials.nc);
    char n[auth::kNonceLength];
    codec.Mint(kNow, realm, n);
    nonce.assign(n, auth::kNonceLength);
    store.Add(realm, username, kPassword);
    const auth::CredentialEntry* e = store.Find(realm, username);
    response = verifier.Response(a, e->ha1(a).view(), nonce, nc, cnonce, "auth", "REGISTER", uri);

    creds.scheme = "Digest";
    creds.is_digest = true;
    creds.username = username;
    creds.realm = realm;
    creds.nonce = nonce;
    creds.uri = uri;
    creds.response = response.view();
    creds.algorithm = auth::AlgorithmName(a);
    creds.cnonce = cnonce;
    creds.qop = "auth";
    creds.nc = nc;
  }

  bool ok = false;
  auth::NonceCodec codec;
  auth::CredentialStore store;
  auth::DigestVerifier verifier;
  std::string username, realm, uri, cnonce, nc, nonce;
  auth::HexDigest response{};
  sip::Credentials creds{};
};

Algorithm AlgorithmArg(const benchmark::State& state) {
  return state.range(0) == 0 ? Algorithm::kMd5 : Algorithm::kSha256;
}

void BM_DigestVerifier_Verify(benchmark::State& state) {
  const Algorithm a = AlgorithmArg(state);
  Fixture f(a);
  const auth::CredentialEntry* e = f.ok ? f.store.Find(f.realm, f.username) : nullptr;
  if (e == nullptr ||
      f.verifier.Verify(a, f.creds, "REGISTER", e->ha1(a).view()) != auth::DigestResult::kOk) {
    state.SkipWithError("fixture does not verify");
    return;
  }
  const std::string_view ha1 = e->ha1(a).view();
  for (auto _ : state) {
    benchmark::DoNotOptimize(f.verifier.Verify(a, f.creds, "REGISTER", ha1));
  }
  state.SetLabel(std::string(auth::AlgorithmName(a)));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_DigestVerifier_Verify)->Arg(0)->Arg(1);

void BM_NonceCodec_Check(benchmark::State& state) {
  Fixture f(Algorithm::kSha256);
  if (!f.ok || f.codec.Check(f.nonce, f.realm, kNow + 1) != auth::NonceCheck::kValid) {
    state.SkipWithError("fixture nonce does not check");
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(f.codec.Check(f.nonce, f.realm, kNow + 1));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_NonceCodec_Check);

void BM_NonceCodec_Mint(benchmark::State& state) {
  Fixture f(Algorithm::kSha256);
  char out[auth::kNonceLength];
  uint64_t now = kNow;
  for (auto _ : state) {
    f.codec.Mint(now++, f.realm, out);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_NonceCodec_Mint);

void BM_CredentialStore_Find(benchmark::State& state) {
  auth::CredentialStore store;
  const auto n = static_cast<int>(state.range(0));
  auth::CredentialEntry entry{};
  entry.ha1_md5 = auth::ComputeHa1(Algorithm::kMd5, "u", "r", "p");
  entry.ha1_sha256 = auth::ComputeHa1(Algorithm::kSha256, "u", "r", "p");
  for (int i = 0; i < n; ++i) {
    store.AddHa1("test21.djangopbx.com", std::to_string(200 + i), entry);
  }
  const std::string user = std::to_string(200 + n / 2);
  for (auto _ : state) {
    benchmark::DoNotOptimize(store.Find("Test21.DjangoPBX.com", user));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_CredentialStore_Find)->Arg(1'000)->Arg(100'000);

void BM_WriteChallenge(benchmark::State& state) {
  Fixture f(Algorithm::kSha256);
  char out[256];
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        auth::WriteChallenge(out, sizeof(out), Algorithm::kSha256, f.realm, f.nonce, false));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_WriteChallenge);

void BM_Auth_Register(benchmark::State& state) {
  const Algorithm a = AlgorithmArg(state);
  Fixture f(a);
  if (!f.ok) {
    state.SkipWithError("corpus message did not parse");
    return;
  }
  for (auto _ : state) {
    auth::DigestResult r = auth::DigestResult::kMismatch;
    if (f.codec.Check(f.creds.nonce, f.creds.realm, kNow + 1) == auth::NonceCheck::kValid) {
      if (const auth::CredentialEntry* e = f.store.Find(f.creds.realm, f.creds.username)) {
        r = f.verifier.Verify(a, f.creds, "REGISTER", e->ha1(a).view());
      }
    }
    if (r != auth::DigestResult::kOk) {
      state.SkipWithError("did not verify");
      return;
    }
  }
  state.SetLabel(std::string(auth::AlgorithmName(a)));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_Auth_Register)->Arg(0)->Arg(1);

}  // namespace
}  // namespace sipfront::bench
