// The REGISTER path allocates nothing once the registrar is built: challenges, new bindings,
// refreshes, queries, removals, retransmissions, rejections and expiry all run under the
// counting allocator (tests/testlib) with zero calls to operator new.
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "sipfront/auth/digest.h"
#include "sipfront/registrar/binding_table.h"
#include "sipfront/registrar/registrar.h"
#include "sipfront/sip/headers.h"
#include "sipfront/sip/message.h"

#include "buffers.h"
#include "counting_allocator.h"

namespace sipfront::registrar {
namespace {

using sipfront::testing::AllocationCount;
using sipfront::testing::PaddedBuffer;

constexpr uint8_t kSecret[32] = {7};
constexpr uint64_t kWall = 1795000000;

std::string Request(const std::string& user, int device, uint32_t cseq,
                    const std::string& contact_extra, const std::string& authorization,
                    const std::string& expires) {
  std::string s = "REGISTER sip:example.com SIP/2.0\r\n";
  s += "Via: SIP/2.0/UDP 192.0.2." + std::to_string(device) + ":5060;branch=z9hG4bK" +
       std::to_string(cseq) + "-" + user + ";rport\r\n";
  s += "From: <sip:" + user + "@example.com>;tag=f" + std::to_string(device) + "\r\n";
  s += "To: <sip:" + user + "@example.com>\r\n";
  s += "Call-ID: " + user + "-" + std::to_string(device) + "@192.0.2.1\r\n";
  s += "CSeq: " + std::to_string(cseq) + " REGISTER\r\nMax-Forwards: 70\r\n";
  if (!contact_extra.empty()) {
    s += "Contact: <sip:" + user + "@192.0.2." + std::to_string(device) + ":5060" + contact_extra +
         "\r\n";
  }
  if (!authorization.empty()) {
    s += "Authorization: " + authorization + "\r\n";
  }
  if (!expires.empty()) {
    s += "Expires: " + expires + "\r\n";
  }
  s += "Content-Length: 0\r\n\r\n";
  return s;
}

TEST(RegistrarZeroAllocTest, TheRegisterPathAllocatesNothing) {
  // ---- set-up: allocations allowed ----
  DomainNames names;
  auto prov = std::make_unique<Provisioned>();
  auth::CredentialStore& credentials = prov->AddDomain(names, "example.com", true).credentials;
  auth::NonceCodec nonces(std::span<const uint8_t, 32>(kSecret), 300);
  // Users are added below, before any REGISTER: the snapshot is still private to this test.
  ProvisionedCell cell(std::move(prov), 1);
  RegistrarContext ctx;
  ctx.provisioned = &cell;
  ctx.names = &names;
  ctx.nonces = &nonces;
  ctx.policy.max_contacts = 3;
  ctx.policy.max_contacts_policy = MaxContactsPolicy::kReplaceOldest;
  TableOptions o;
  o.aor_capacity = 64;
  o.binding_capacity = 64;
  o.arena_bytes = 64 * 1024;
  BindingTable table(o);
  Registrar registrar(ctx);
  char nonce[auth::kNonceLength];
  nonces.Mint(kWall, "example.com", nonce);
  auth::DigestVerifier verifier;
  std::vector<std::unique_ptr<PaddedBuffer>> requests;
  for (int u = 0; u < 8; ++u) {
    const std::string user = "user" + std::to_string(u);
    credentials.Add("example.com", user, "Secret-Pass-" + std::to_string(u));
    const auth::HexDigest ha1 = auth::ComputeHa1(auth::Algorithm::kMd5, user, "example.com",
                                                 "Secret-Pass-" + std::to_string(u));
    const auth::HexDigest r =
        verifier.Response(auth::Algorithm::kMd5, ha1.view(), std::string_view(nonce, sizeof(nonce)),
                          "00000001", "c0ffee", "auth", "REGISTER", "sip:example.com");
    const std::string authz = "Digest username=\"" + user + "\", realm=\"example.com\", nonce=\"" +
                              std::string(nonce, sizeof(nonce)) +
                              "\", uri=\"sip:example.com\", response=\"" + std::string(r.view()) +
                              "\", algorithm=MD5, cnonce=\"c0ffee\", qop=auth, nc=00000001";
    for (int d = 1; d <= 5; ++d) {
      // a challenge, a registration (some with instance and q), a refresh, a retransmission
      // of it, a query, a too-brief one, and a removal
      requests.push_back(std::make_unique<PaddedBuffer>(Request(user, d, 1, ">", "", "3600")));
      requests.push_back(std::make_unique<PaddedBuffer>(Request(
          user, d, 2,
          d % 2 == 0 ? ";transport=tcp;ob>;+sip.instance=\"<urn:uuid:1>\";reg-id=1" : ">;q=0.5",
          authz, "3600")));
      requests.push_back(std::make_unique<PaddedBuffer>(Request(user, d, 3, ">", authz, "1800")));
      requests.push_back(std::make_unique<PaddedBuffer>(Request(user, d, 3, ">", authz, "1800")));
      requests.push_back(std::make_unique<PaddedBuffer>(Request(user, d, 4, "", authz, "")));
      requests.push_back(std::make_unique<PaddedBuffer>(Request(user, d, 5, ">", authz, "10")));
      if (d == 5) {
        requests.push_back(std::make_unique<PaddedBuffer>(Request(user, d, 6, ">", authz, "0")));
      }
    }
  }
  auto msg = std::make_unique<sip::Message>();
  auto reg = std::make_unique<sip::RegisterFields>();
  auto out = std::make_unique<char[]>(8192);
  const net::Endpoint peer = *net::ParseEndpoint("198.51.100.7:5060");
  std::size_t outcomes[kOutcomeCount] = {};

  // ---- measured ----
  const uint64_t before = AllocationCount();
  uint32_t mono = 1000;
  for (int round = 0; round < 2; ++round) {
    for (const auto& r : requests) {
      ASSERT_EQ(sip::Tokenize(r->view(), sip::Framing::kDatagram, *msg), sip::ParseError::kOk);
      ASSERT_TRUE(sip::CheckRequest(*msg).ok());
      ASSERT_TRUE(sip::ParseRegister(*msg, *reg).ok());
      ASSERT_TRUE(sip::ValidateMessage(*msg, reg.get()).ok());
      const AdmitResult a = registrar.Admit(*msg, *reg, peer, kWall, out.get(), 8192);
      Outcome o = a.outcome;
      if (a.apply) {
        ASSERT_NE(registrar.Apply(table, *msg, *reg, peer, mono, kWall, out.get(), 8192, o), 0u);
      } else {
        ASSERT_NE(a.response, 0u);
      }
      ++outcomes[static_cast<std::size_t>(o)];
    }
    mono += 5000;  // everything registered expires
    table.Expire(mono, [](uint32_t) {});
  }
  const uint64_t after = AllocationCount();

  EXPECT_EQ(after - before, 0u);
  // The paths were really taken.
  EXPECT_GT(outcomes[static_cast<std::size_t>(Outcome::kChallenged)], 0u);
  EXPECT_GT(outcomes[static_cast<std::size_t>(Outcome::kRegistered)], 0u);
  EXPECT_GT(outcomes[static_cast<std::size_t>(Outcome::kRetransmission)], 0u);
  EXPECT_GT(outcomes[static_cast<std::size_t>(Outcome::kQueried)], 0u);
  EXPECT_GT(outcomes[static_cast<std::size_t>(Outcome::kIntervalTooBrief)], 0u);
  EXPECT_GT(table.counters().expired, 0u);
}

}  // namespace
}  // namespace sipfront::registrar
