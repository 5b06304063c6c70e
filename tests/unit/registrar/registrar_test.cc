// REGISTER processing, rule by rule (RFC 3261 §10.3, RFC 7616/8760 digest, seed 000's product
// rules): requests built as text, tokenized and parsed as on the wire, run through Admit() and
// Apply() exactly as a worker does, and the responses tokenized and inspected.
#include "sipfront/registrar/registrar.h"

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "sipfront/auth/digest.h"
#include "sipfront/registrar/binding_table.h"
#include "sipfront/sip/headers.h"
#include "sipfront/sip/message.h"

#include "buffers.h"

namespace sipfront::registrar {
namespace {

using sipfront::testing::PaddedBuffer;

constexpr uint8_t kSecret[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

// A REGISTER as a phone would send it.
struct Req {
  std::string user = "alice";
  std::string domain = "example.com";
  std::string ruri;     // default sip:<domain>
  std::string to_user;  // default user
  std::vector<std::string> contacts = {"<sip:alice@192.0.2.10:5060>"};
  std::string expires = "3600";  // Expires header; "" for none
  std::string call_id = "call-1@192.0.2.10";
  uint32_t cseq = 1;
  std::string branch = "z9hG4bK-1";
  std::string authorization;  // full header value, "" for none
  std::string extra;          // more header lines

  [[nodiscard]] std::string RequestUri() const { return ruri.empty() ? "sip:" + domain : ruri; }
  [[nodiscard]] std::string Text() const {
    const std::string aor = "sip:" + (to_user.empty() ? user : to_user) + "@" + domain;
    std::string s = "REGISTER " + RequestUri() + " SIP/2.0\r\n";
    s += "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=" + branch + ";rport\r\n";
    s += "Max-Forwards: 70\r\n";
    s += "From: <" + aor + ">;tag=from-tag\r\n";
    s += "To: <" + aor + ">\r\n";
    s += "Call-ID: " + call_id + "\r\n";
    s += "CSeq: " + std::to_string(cseq) + " REGISTER\r\n";
    for (const std::string& c : contacts) {
      s += "Contact: " + c + "\r\n";
    }
    if (!expires.empty()) {
      s += "Expires: " + expires + "\r\n";
    }
    if (!authorization.empty()) {
      s += "Authorization: " + authorization + "\r\n";
    }
    s += extra;
    s += "Content-Length: 0\r\n\r\n";
    return s;
  }
};

// A parsed response.
struct Resp {
  std::string text;
  uint16_t status = 0;
  std::string reason;
  std::vector<std::string> challenges;  // WWW-Authenticate values
  std::vector<sip::Contact> contacts;   // views into `text`
  std::string header(sip::HeaderId id) const {
    const sip::Header* h = msg->Find(id);
    return h == nullptr ? std::string() : std::string(h->value);
  }
  std::unique_ptr<PaddedBuffer> buf;
  std::unique_ptr<sip::Message> msg;
};

class RegistrarTest : public ::testing::Test {
 protected:
  RegistrarTest() : nonces_(std::span<const uint8_t, 32>(kSecret), 300) {
    auto p = std::make_unique<Provisioned>();
    DomainAuth& open = p->AddDomain(names_, "example.com", true);
    DomainAuth& closed = p->AddDomain(names_, "closed.example.com", false);
    open.credentials.Add("example.com", "alice", "Alice-Secret-1");
    open.credentials.Add("example.com", "bob", "Bob-Secret-22");
    closed.credentials.Add("closed.example.com", "alice", "Alice-Secret-1");
    cell_ = std::make_unique<ProvisionedCell>(std::move(p), 1);
    ctx_.hash_key = HashKey{11, 22};
    ctx_.provisioned = cell_.get();
    ctx_.names = &names_;
    ctx_.nonces = &nonces_;
    ctx_.shard_mask = 0;
    Rebuild();
  }

  void Rebuild(uint32_t capacity = 1024) {
    TableOptions o;
    o.aor_capacity = capacity;
    o.binding_capacity = capacity;
    o.arena_bytes = 64 * 1024;
    o.max_expires = ctx_.policy.max_expires;
    table_ = std::make_unique<BindingTable>(o);
    registrar_ = std::make_unique<Registrar>(ctx_);
  }

  // Runs one request as a worker would. `outcome` gets what happened.
  Resp Send(const Req& r, Outcome* outcome = nullptr) {
    const std::string text = r.Text();
    const PaddedBuffer in(text);
    sip::Message msg;
    EXPECT_EQ(sip::Tokenize(in.view(), sip::Framing::kDatagram, msg), sip::ParseError::kOk) << text;
    sip::RegisterFields reg;
    EXPECT_TRUE(sip::ParseRegister(msg, reg).ok()) << text;
    char out[8192];
    AdmitResult a = registrar_->Admit(msg, reg, peer_, wall_, out, sizeof(out));
    std::size_t len = a.response;
    Outcome o = a.outcome;
    if (a.apply) {
      len = registrar_->Apply(*table_, msg, reg, peer_, mono_, wall_, out, sizeof(out), o);
    }
    if (outcome != nullptr) {
      *outcome = o;
    }
    EXPECT_GT(len, 0u);
    return Parse(std::string(out, len));
  }

  static Resp Parse(std::string text) {
    Resp r;
    r.text = std::move(text);
    r.buf = std::make_unique<PaddedBuffer>(r.text);
    r.msg = std::make_unique<sip::Message>();
    EXPECT_EQ(sip::Tokenize(r.buf->view(), sip::Framing::kDatagram, *r.msg), sip::ParseError::kOk)
        << r.text;
    EXPECT_TRUE(sip::ValidateMessage(*r.msg).ok()) << r.text;
    r.status = r.msg->status_code;
    r.reason = std::string(r.msg->reason_phrase);
    for (const sip::Header* h = r.msg->Find(sip::HeaderId::kWwwAuthenticate); h != nullptr;
         h = r.msg->Next(*h)) {
      r.challenges.emplace_back(h->value);
    }
    sip::ValueIterator it(*r.msg, sip::HeaderId::kContact);
    std::string_view v;
    while (it.Next(v)) {
      sip::Contact c;
      EXPECT_TRUE(sip::ParseContact(v, c).ok()) << v;
      r.contacts.push_back(c);
    }
    return r;
  }

  // The digest answer to `challenge` for request `r`.
  std::string Answer(const Req& r, const std::string& challenge, const std::string& password,
                     const std::string& username = "", std::string uri = "") {
    sip::Credentials c;
    EXPECT_TRUE(sip::ParseCredentials(challenge, c, sip::ParseError::kBadAuthorization).ok());
    auth::Algorithm alg;
    EXPECT_TRUE(auth::ParseAlgorithm(c.algorithm, alg));
    const std::string user = username.empty() ? r.user : username;
    if (uri.empty()) {
      uri = r.RequestUri();
    }
    const auth::HexDigest ha1 = auth::ComputeHa1(alg, user, c.realm, password);
    auth::DigestVerifier v;
    const auth::HexDigest resp =
        v.Response(alg, ha1.view(), c.nonce, "00000001", "0a4f113b", "auth", "REGISTER", uri);
    return "Digest username=\"" + user + "\", realm=\"" + std::string(c.realm) + "\", nonce=\"" +
           std::string(c.nonce) + "\", uri=\"" + uri + "\", response=\"" +
           std::string(resp.view()) + "\", algorithm=" + std::string(c.algorithm) +
           ", cnonce=\"0a4f113b\", qop=auth, nc=00000001";
  }

  // Challenge, then answer with the first challenge offered.
  Resp Register(Req r, const std::string& password = "Alice-Secret-1", Outcome* outcome = nullptr,
                std::size_t challenge_index = 0) {
    const Resp c = Send(r);
    EXPECT_EQ(c.status, 401) << c.text;
    if (c.challenges.size() <= challenge_index) {
      return Resp{};
    }
    r.authorization = Answer(r, c.challenges[challenge_index], password);
    r.cseq += 1;
    return Send(r, outcome);
  }

  uint32_t Bindings(const std::string& user = "alice", uint16_t domain = 0) {
    char storage[kMaxUserLength];
    sip::RegisterFields reg;
    reg.to.addr.uri.user = user;
    AorKey key;
    EXPECT_TRUE(registrar_->AorOf(reg, domain, storage, key));
    BindingCopy copies[16];
    return table_->Lookup(key, copies, 16);
  }

  DomainNames names_;
  std::unique_ptr<ProvisionedCell> cell_;
  auth::NonceCodec nonces_;
  RegistrarContext ctx_;
  std::unique_ptr<BindingTable> table_;
  std::unique_ptr<Registrar> registrar_;
  net::Endpoint peer_ = *net::ParseEndpoint("198.51.100.20:40000");
  uint32_t mono_ = 1000;
  uint64_t wall_ = 1795000000;
};

TEST_F(RegistrarTest, ChallengesWithMd5AndSha256AndRegistersOnTheRightAnswer) {
  Req r;
  const Resp c = Send(r);
  ASSERT_EQ(c.status, 401);
  ASSERT_EQ(c.challenges.size(), 2u);
  EXPECT_NE(c.challenges[0].find("algorithm=MD5"), std::string::npos) << "MD5 first";
  EXPECT_NE(c.challenges[1].find("algorithm=SHA-256"), std::string::npos);
  EXPECT_NE(c.challenges[0].find("realm=\"example.com\""), std::string::npos);
  EXPECT_NE(c.challenges[0].find("qop=\"auth\""), std::string::npos);
  EXPECT_EQ(Bindings(), 0u) << "a challenge changes nothing";
  for (std::size_t alg = 0; alg < 2; ++alg) {
    Outcome o;
    Req again = r;
    again.call_id = "call-alg-" + std::to_string(alg);
    const Resp ok = Register(again, "Alice-Secret-1", &o, alg);
    ASSERT_EQ(ok.status, 200) << ok.text;
    EXPECT_EQ(o, Outcome::kRegistered);
    ASSERT_EQ(ok.contacts.size(), 1u);
    EXPECT_EQ(ok.contacts[0].addr.uri.raw, "sip:alice@192.0.2.10:5060");
    EXPECT_EQ(ok.contacts[0].expires, 3600);
    EXPECT_FALSE(ok.header(sip::HeaderId::kDate).empty()) << "RFC 3261 §10.3 step 8: Date";
    EXPECT_NE(ok.text.find("To: <sip:alice@example.com>;tag="), std::string::npos) << ok.text;
  }
  EXPECT_EQ(Bindings(), 1u) << "the second REGISTER refreshed the same contact";
}

TEST_F(RegistrarTest, RecordsTheSourceAddressForNat) {
  const Resp ok = Register(Req{});
  ASSERT_EQ(ok.status, 200);
  EXPECT_NE(ok.text.find("rport=40000;received=198.51.100.20"), std::string::npos) << ok.text;
  char storage[kMaxUserLength];
  sip::RegisterFields reg;
  reg.to.addr.uri.user = "alice";
  AorKey key;
  ASSERT_TRUE(registrar_->AorOf(reg, 0, storage, key));
  BindingCopy copy;
  ASSERT_EQ(table_->Lookup(key, &copy, 1), 1u);
  EXPECT_EQ(net::ToString(copy.source), "198.51.100.20:40000");
}

TEST_F(RegistrarTest, RejectsWrongCredentialsWithoutChangingAnything) {
  struct Row {
    const char* what;
    std::string password;
    std::string username;
    std::string uri;
    uint16_t status;
    Outcome outcome;
  };
  const Row rows[] = {
      // wrong password
      {"bad password", "Alice-Secret-2", "", "", 403, Outcome::kBadPassword},
      // a user that is not provisioned
      {"unknown user", "x", "mallory", "", 403, Outcome::kBadPassword},
      // bob's valid credentials used for alice's AOR
      {"someone else's AOR", "Bob-Secret-22", "bob", "", 403, Outcome::kUserMismatch},
      // digest uri that is not the Request-URI (RFC 7616 §3.4.6)
      {"uri mismatch", "Alice-Secret-1", "", "sip:other.example.com", 400, Outcome::kBadDigest},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.what);
    Req r;
    const Resp c = Send(r);
    r.authorization = Answer(r, c.challenges[0], row.password, row.username, row.uri);
    r.cseq = 2;
    Outcome o;
    const Resp resp = Send(r, &o);
    EXPECT_EQ(resp.status, row.status) << resp.text;
    EXPECT_EQ(o, row.outcome);
    EXPECT_EQ(Bindings(), 0u);
  }
}

TEST_F(RegistrarTest, StaleNonceGetsStaleTrueOnlyWithTheRightPassword) {
  Req r;
  const Resp c = Send(r);
  wall_ += 301;  // nonce lifetime is 300 s
  Req good = r;
  good.authorization = Answer(r, c.challenges[0], "Alice-Secret-1");
  good.cseq = 2;
  Outcome o;
  const Resp stale = Send(good, &o);
  EXPECT_EQ(stale.status, 401);
  EXPECT_EQ(o, Outcome::kStale);
  ASSERT_EQ(stale.challenges.size(), 2u);
  EXPECT_NE(stale.challenges[0].find("stale=true"), std::string::npos);
  Req bad = r;
  bad.authorization = Answer(r, c.challenges[0], "wrong-password");
  bad.cseq = 3;
  EXPECT_EQ(Send(bad, &o).status, 403);
  EXPECT_EQ(Bindings(), 0u);
  // A forged nonce is simply challenged again (stale=false).
  Req forged = r;
  std::string auth = Answer(r, c.challenges[0], "Alice-Secret-1");
  const std::size_t at = auth.find("nonce=\"") + 7;
  auth[at + 20] = auth[at + 20] == 'a' ? 'b' : 'a';
  forged.authorization = auth;
  forged.cseq = 4;
  const Resp again = Send(forged, &o);
  EXPECT_EQ(again.status, 401);
  EXPECT_EQ(o, Outcome::kChallenged);
  EXPECT_EQ(again.challenges[0].find("stale=true"), std::string::npos);
}

TEST_F(RegistrarTest, DomainRules) {
  struct Row {
    const char* what;
    Req req;
    uint16_t status;
    Outcome outcome;
  };
  Req unknown;
  unknown.domain = "nowhere.example.net";
  Req closed;
  closed.domain = "closed.example.com";
  Req other_aor;
  other_aor.ruri = "sip:example.com";
  other_aor.domain = "closed.example.com";
  Req tel_ruri;
  tel_ruri.ruri = "tel:+14155550100";
  Req upper;
  upper.ruri = "sip:EXAMPLE.com";
  const Row rows[] = {
      // Request-URI names no provisioned domain
      {"unknown domain", unknown, 404, Outcome::kDomainNotFound},
      // the domain does not accept registrations
      {"registration off", closed, 403, Outcome::kRegistrationOff},
      // a non-SIP Request-URI
      {"tel Request-URI", tel_ruri, 416, Outcome::kUnsupportedScheme},
      // domain names compare case-insensitively: challenged like any other
      {"case-insensitive domain", upper, 401, Outcome::kChallenged},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.what);
    Outcome o;
    EXPECT_EQ(Send(row.req, &o).status, row.status);
    EXPECT_EQ(o, row.outcome);
  }
  // To is an AOR of another domain than the Request-URI's: 404 once authenticated (RFC 3261
  // §10.3 step 5 comes after step 3).
  Outcome o;
  EXPECT_EQ(Register(other_aor, "Alice-Secret-1", &o).status, 404);
  EXPECT_EQ(o, Outcome::kNotInDomain);
}

TEST_F(RegistrarTest, ExpiryRules) {
  struct Row {
    const char* what;
    std::vector<std::string> contacts;
    std::string expires;
    uint16_t status;
    int64_t granted;  // expires in the 200's Contact, -1: none listed
  };
  const Row rows[] = {
      // below the 600 s minimum: 423 with Min-Expires (seed 000)
      {"too brief", {"<sip:alice@192.0.2.10>"}, "300", 423, -1},
      // the contact parameter wins over the header
      {"param over header", {"<sip:alice@192.0.2.10>;expires=900"}, "300", 200, 900},
      // longer than the maximum: reduced to 3600
      {"clamped", {"<sip:alice@192.0.2.10>"}, "7200", 200, 3600},
      // no expiry given at all: the default
      {"default", {"<sip:alice@192.0.2.10>"}, "", 200, 3600},
      // exactly the minimum
      {"minimum", {"<sip:alice@192.0.2.10>;expires=600"}, "", 200, 600},
      // an out-of-range value is treated as absent (RFC 4475 scalar02): the default
      {"out of range", {"<sip:alice@192.0.2.10>;expires=99999999999"}, "", 200, 3600},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.what);
    Rebuild();
    Req r;
    r.contacts = row.contacts;
    r.expires = row.expires;
    if (row.status == 423) {
      // RFC 3261 §10.3: authentication (step 3) comes before the expiry check (step 7).
      Outcome o;
      const Resp resp = Register(r, "Alice-Secret-1", &o);
      EXPECT_EQ(resp.status, 423);
      EXPECT_EQ(o, Outcome::kIntervalTooBrief);
      EXPECT_EQ(resp.header(sip::HeaderId::kMinExpires), "600");
      EXPECT_EQ(Bindings(), 0u);
      continue;
    }
    const Resp resp = Register(r);
    ASSERT_EQ(resp.status, row.status) << resp.text;
    ASSERT_EQ(resp.contacts.size(), 1u);
    EXPECT_EQ(resp.contacts[0].expires, row.granted);
  }
}

TEST_F(RegistrarTest, ExpiresZeroRemovesAContactAndStarRemovesAll) {
  Req r;
  r.contacts = {"<sip:alice@192.0.2.10>", "<sip:alice@192.0.2.11>;q=0.5", "<sip:alice@192.0.2.12>"};
  ASSERT_EQ(Register(r).status, 200);
  EXPECT_EQ(Bindings(), 3u);
  // One contact removed by expires=0 in a later request of the same call.
  Req rm = r;
  rm.contacts = {"<sip:alice@192.0.2.11>;expires=0"};
  rm.cseq = 10;
  const Resp removed = Register(rm);
  ASSERT_EQ(removed.status, 200);
  EXPECT_EQ(removed.contacts.size(), 2u);
  EXPECT_EQ(Bindings(), 2u);
  // Contact * without Expires: 0 is a 400 (RFC 3261 §10.3 step 6, after authentication).
  Req star = r;
  star.contacts = {"*"};
  star.cseq = 20;
  Outcome o;
  EXPECT_EQ(Register(star, "Alice-Secret-1", &o).status, 400);
  EXPECT_EQ(o, Outcome::kBadStar);
  EXPECT_EQ(Bindings(), 2u);
  // With Expires: 0 it removes every binding.
  star.expires = "0";
  const Resp cleared = Register(star);
  ASSERT_EQ(cleared.status, 200) << cleared.text;
  EXPECT_TRUE(cleared.contacts.empty());
  EXPECT_EQ(Bindings(), 0u);
}

TEST_F(RegistrarTest, QueryListsBindingsWithRemainingTimeAndParameters) {
  Req r;
  r.contacts = {"<sip:alice@192.0.2.10>;q=0.5",
                "<sip:alice@192.0.2.11;transport=tcp>;+sip.instance=\"<urn:uuid:1234>\";reg-id=1"};
  ASSERT_EQ(Register(r).status, 200);
  mono_ += 100;
  Req q = r;
  q.contacts.clear();
  q.call_id = "query-call";
  Outcome o;
  const Resp resp = Register(q, "Alice-Secret-1", &o);
  ASSERT_EQ(resp.status, 200);
  EXPECT_EQ(o, Outcome::kQueried);
  ASSERT_EQ(resp.contacts.size(), 2u);
  bool saw_q = false;
  bool saw_instance = false;
  for (const sip::Contact& c : resp.contacts) {
    EXPECT_EQ(c.expires, 3500);
    saw_q = saw_q || c.q == "0.5";
    saw_instance = saw_instance || (c.instance == "\"<urn:uuid:1234>\"" && c.reg_id == "1");
  }
  EXPECT_TRUE(saw_q) << resp.text;
  EXPECT_TRUE(saw_instance) << resp.text;
}

TEST_F(RegistrarTest, CallIdAndCSeqOrdering) {
  Req r;
  r.cseq = 5;
  ASSERT_EQ(Register(r).status, 200);  // applied with CSeq 6
  struct Row {
    const char* what;
    std::string call_id;
    uint32_t cseq;
    uint16_t status;
  };
  const Row rows[] = {
      // same Call-ID, same CSeq: out of order (RFC 3261 §10.3 step 7)
      {"same CSeq", "call-1@192.0.2.10", 6, 500},
      // same Call-ID, lower CSeq: out of order
      {"lower CSeq", "call-1@192.0.2.10", 3, 500},
      // same Call-ID, higher CSeq: applied
      {"higher CSeq", "call-1@192.0.2.10", 7, 200},
      // another Call-ID, any CSeq: applied (a rebooted phone)
      {"new Call-ID", "call-2@192.0.2.10", 1, 200},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.what);
    Req x = r;
    x.call_id = row.call_id;
    x.branch = "z9hG4bK-" + std::to_string(row.cseq) + "-" + std::to_string(row.call_id.size());
    x.expires = "1200";
    const Resp c = Send(x);
    x.authorization = Answer(x, c.challenges[0], "Alice-Secret-1");
    x.cseq = row.cseq;
    Outcome o;
    const Resp resp = Send(x, &o);
    EXPECT_EQ(resp.status, row.status) << resp.text;
    if (row.status == 500) {
      EXPECT_EQ(o, Outcome::kOutOfOrder);
    }
    EXPECT_EQ(Bindings(), 1u);
  }
}

TEST_F(RegistrarTest, RetransmissionGetsTheSameAnswerWithoutASecondChange) {
  Req r;
  r.expires = "1000";
  const Resp c = Send(r);
  r.authorization = Answer(r, c.challenges[0], "Alice-Secret-1");
  r.cseq = 2;
  ASSERT_EQ(Send(r).status, 200);
  mono_ += 100;
  Outcome o;
  const Resp again = Send(r, &o);  // the very same request (same branch, Call-ID, CSeq)
  ASSERT_EQ(again.status, 200) << again.text;
  EXPECT_EQ(o, Outcome::kRetransmission);
  ASSERT_EQ(again.contacts.size(), 1u);
  EXPECT_EQ(again.contacts[0].expires, 900) << "not refreshed a second time";
}

TEST_F(RegistrarTest, ContactLimitRejectsByDefault) {
  Req r;
  r.contacts.clear();
  for (int i = 0; i < 9; ++i) {
    r.contacts.push_back("<sip:alice@192.0.2." + std::to_string(20 + i) + ">");
  }
  r.contacts.push_back("<sip:alice@192.0.2.99>");
  ASSERT_EQ(r.contacts.size(), 10u);  // the seed 000 limit, in one REGISTER
  ASSERT_EQ(Register(r).status, 200);
  Req eleventh = r;
  eleventh.contacts = {"<sip:alice@192.0.2.100>"};
  eleventh.call_id = "call-11";
  Outcome o;
  const Resp resp = Register(eleventh, "Alice-Secret-1", &o);
  EXPECT_EQ(resp.status, 403);
  EXPECT_EQ(resp.reason, "Too many registered contacts");
  EXPECT_EQ(o, Outcome::kTooManyContacts);
  EXPECT_NE(resp.header(sip::HeaderId::kWarning).find("399"), std::string::npos) << resp.text;
  EXPECT_EQ(Bindings(), 10u) << "nothing changed";
  // Refreshing an existing contact is still fine at the limit.
  Req refresh = r;
  refresh.contacts = {"<sip:alice@192.0.2.99>"};
  refresh.call_id = "call-refresh";
  EXPECT_EQ(Register(refresh).status, 200);
}

TEST_F(RegistrarTest, ContactLimitCanReplaceTheOldest) {
  ctx_.policy.max_contacts = 3;
  ctx_.policy.max_contacts_policy = MaxContactsPolicy::kReplaceOldest;
  Rebuild();
  for (int i = 0; i < 3; ++i) {
    Req r;
    r.contacts = {"<sip:alice@192.0.2." + std::to_string(10 + i) + ">"};
    r.call_id = "device-" + std::to_string(i);
    mono_ += 10;
    ASSERT_EQ(Register(r).status, 200);
  }
  // Refresh device 0 so that device 1 becomes the least recently refreshed.
  Req refresh;
  refresh.contacts = {"<sip:alice@192.0.2.10>"};
  refresh.call_id = "device-0";
  refresh.cseq = 50;
  mono_ += 10;
  ASSERT_EQ(Register(refresh).status, 200);
  Req fourth;
  fourth.contacts = {"<sip:alice@192.0.2.13>"};
  fourth.call_id = "device-3";
  mono_ += 10;
  const Resp resp = Register(fourth);
  ASSERT_EQ(resp.status, 200) << resp.text;
  ASSERT_EQ(resp.contacts.size(), 3u);
  for (const sip::Contact& c : resp.contacts) {
    EXPECT_NE(c.addr.uri.raw, "sip:alice@192.0.2.11") << "the oldest refresh was dropped";
  }
}

TEST_F(RegistrarTest, FullTableAnswers503WithRetryAfter) {
  Rebuild(2);
  Req a;
  a.contacts = {"<sip:alice@192.0.2.10>", "<sip:alice@192.0.2.11>"};
  ASSERT_EQ(Register(a).status, 200);
  Req b;
  b.user = "bob";
  b.contacts = {"<sip:bob@192.0.2.20>"};
  Outcome o;
  const Resp resp = Register(b, "Bob-Secret-22", &o);
  EXPECT_EQ(resp.status, 503);
  EXPECT_EQ(o, Outcome::kTableFull);
  EXPECT_EQ(resp.header(sip::HeaderId::kRetryAfter), "30");
  EXPECT_EQ(Bindings(), 2u) << "stored bindings are untouched";
}

TEST_F(RegistrarTest, NonSipAorIsRejectedAfterAuthentication) {
  // RFC 4475 unksm2: the AOR must be a SIP or SIPS URI (RFC 3261 §10.3 step 5).
  auto send = [&](const std::string& authorization, Outcome& o) {
    std::string text =
        "REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.21:5060;branch=z9hG4bK1\r\n"
        "To: isbn:2983792873\r\nFrom: <http://www.example.com>;tag=3234233\r\n"
        "Call-ID: unksm2@192.0.2.21\r\nCSeq: 1 REGISTER\r\nContact: <name:John_Smith>\r\n";
    if (!authorization.empty()) {
      text += "Authorization: " + authorization + "\r\n";
    }
    text += "Content-Length: 0\r\n\r\n";
    const PaddedBuffer in(text);
    sip::Message msg;
    EXPECT_EQ(sip::Tokenize(in.view(), sip::Framing::kDatagram, msg), sip::ParseError::kOk);
    sip::RegisterFields reg;
    EXPECT_TRUE(sip::ParseRegister(msg, reg).ok());
    char out[4096];
    const AdmitResult a = registrar_->Admit(msg, reg, peer_, wall_, out, sizeof(out));
    EXPECT_FALSE(a.apply);
    o = a.outcome;
    return Parse(std::string(out, a.response));
  };
  Outcome o;
  const Resp c = send("", o);
  ASSERT_EQ(c.status, 401);
  Req r;
  r.ruri = "sip:example.com";
  const Resp resp = send(Answer(r, c.challenges[0], "Alice-Secret-1"), o);
  EXPECT_EQ(resp.status, 400);
  EXPECT_EQ(o, Outcome::kBadAor);
}

}  // namespace
}  // namespace sipfront::registrar
