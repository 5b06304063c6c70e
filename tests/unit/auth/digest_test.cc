// Digest authentication: RFC 7616 / RFC 2617 vectors, verification rules, a device REGISTER
// through the SIP parser into Verify, stateless nonces, challenges, the credential store.
#include "sipfront/auth/digest.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <openssl/hmac.h>

#include <gtest/gtest.h>

#include "sipfront/sip/headers.h"
#include "sipfront/sip/message.h"

#include "buffers.h"
#include "corpus.h"

namespace sipfront::auth {
namespace {

using sipfront::testing::CorpusFile;
using sipfront::testing::PaddedBuffer;

constexpr std::array<uint8_t, 32> kSecret = {
    0x6b, 0x1d, 0x2f, 0x90, 0x4e, 0x3a, 0x77, 0x01, 0xc2, 0x5e, 0x88, 0x19, 0xaa, 0x40, 0x0d, 0xf3,
    0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00,
};
constexpr uint64_t kNow = 1'700'000'000;  // 2023-11-14
constexpr uint32_t kLifetime = 300;

sip::Credentials MustParseCredentials(std::string_view value) {
  sip::Credentials c;
  const sip::ParseStatus st = ParseCredentials(value, c, sip::ParseError::kBadAuthorization);
  EXPECT_TRUE(st.ok()) << value;
  return c;
}

// ---------------------------------------------------------------------------------------------
// Algorithm names

TEST(AlgorithmTest, ParsesTheOfferedAlgorithmsOnly) {
  struct Row {
    std::string_view in;
    bool ok;
    Algorithm want;
  };
  const Row rows[] = {
      {"", true, Algorithm::kMd5},            // absent: MD5 (RFC 7616 §3.3)
      {"MD5", true, Algorithm::kMd5},         // canonical spelling
      {"md5", true, Algorithm::kMd5},         // case-insensitive
      {"SHA-256", true, Algorithm::kSha256},  // canonical spelling
      {"sha-256", true, Algorithm::kSha256},  // case-insensitive
      {"MD5-sess", false, Algorithm::kMd5},   // session variants are not offered
      {"SHA-256-sess", false, Algorithm::kMd5},
      {"SHA-512-256", false, Algorithm::kMd5},  // RFC 7616 algorithm sipfront does not offer
      {"SHA256", false, Algorithm::kMd5},       // missing hyphen
      {"SHA-256 ", false, Algorithm::kMd5},     // trailing space is not trimmed here
  };
  for (const Row& r : rows) {
    Algorithm a = Algorithm::kSha256;
    if (r.want == Algorithm::kSha256) {
      a = Algorithm::kMd5;
    }
    EXPECT_EQ(ParseAlgorithm(r.in, a), r.ok) << "'" << r.in << "'";
    if (r.ok) {
      EXPECT_EQ(a, r.want) << "'" << r.in << "'";
    }
  }
}

TEST(AlgorithmTest, NamesAreTheWireSpellings) {
  EXPECT_EQ(AlgorithmName(Algorithm::kMd5), "MD5");
  EXPECT_EQ(AlgorithmName(Algorithm::kSha256), "SHA-256");
}

// ---------------------------------------------------------------------------------------------
// RFC vectors

// RFC 7616 §3.9.1: the same request answered with SHA-256 and with MD5.
constexpr std::string_view kRfc7616Nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
constexpr std::string_view kRfc7616Cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
constexpr std::string_view kRfc7616Realm = "http-auth@example.org";
constexpr std::string_view kRfc7616Password = "Circle of Life";  // lowercase "of" (erratum 4495)
constexpr std::string_view kRfc7616Sha256Response =
    "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1";
constexpr std::string_view kRfc7616Md5Response = "8ca523f5e9506fed4657c9700eebdbec";

// RFC 2617 §3.5 (qop=auth, MD5).
constexpr std::string_view kRfc2617Authorization =
    "Digest username=\"Mufasa\", realm=\"testrealm@host.com\", "
    "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", qop=auth, "
    "nc=00000001, cnonce=\"0a4f113b\", response=\"6629fae49393a05397450978507c4ef1\", "
    "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"";

std::string Rfc7616Authorization(Algorithm a) {
  // The RFC's Authorization header, folded onto one line.
  return std::string("Digest username=\"Mufasa\", realm=\"http-auth@example.org\", ") +
         "uri=\"/dir/index.html\", algorithm=" + std::string(AlgorithmName(a)) + ", nonce=\"" +
         std::string(kRfc7616Nonce) + "\", nc=00000001, cnonce=\"" + std::string(kRfc7616Cnonce) +
         "\", qop=auth, response=\"" +
         std::string(a == Algorithm::kMd5 ? kRfc7616Md5Response : kRfc7616Sha256Response) +
         "\", opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"";
}

TEST(DigestRfcTest, ResponseMatchesRfc7616Examples) {
  DigestVerifier v;
  for (Algorithm a : {Algorithm::kSha256, Algorithm::kMd5}) {
    const HexDigest ha1 = ComputeHa1(a, "Mufasa", kRfc7616Realm, kRfc7616Password);
    EXPECT_EQ(ha1.len, a == Algorithm::kMd5 ? 32 : 64);
    const HexDigest r = v.Response(a, ha1.view(), kRfc7616Nonce, "00000001", kRfc7616Cnonce, "auth",
                                   "GET", "/dir/index.html");
    EXPECT_EQ(r.view(), a == Algorithm::kMd5 ? kRfc7616Md5Response : kRfc7616Sha256Response)
        << AlgorithmName(a);
  }
}

TEST(DigestRfcTest, VerifiesRfc7616AuthorizationHeaders) {
  DigestVerifier v;
  for (Algorithm a : {Algorithm::kSha256, Algorithm::kMd5}) {
    const std::string header = Rfc7616Authorization(a);
    const sip::Credentials c = MustParseCredentials(header);
    const HexDigest ha1 = ComputeHa1(a, c.username, c.realm, kRfc7616Password);
    EXPECT_EQ(v.Verify(a, c, "GET", ha1.view()), DigestResult::kOk) << AlgorithmName(a);
    // Answered with the other algorithm's HA1: the algorithm parameter says otherwise.
    const Algorithm other = a == Algorithm::kMd5 ? Algorithm::kSha256 : Algorithm::kMd5;
    EXPECT_EQ(v.Verify(other, c, "GET",
                       ComputeHa1(other, "Mufasa", kRfc7616Realm, kRfc7616Password).view()),
              DigestResult::kBadAlgorithm);
  }
}

TEST(DigestRfcTest, VerifiesRfc2617Example) {
  DigestVerifier v;
  const sip::Credentials c = MustParseCredentials(kRfc2617Authorization);
  // RFC 2617's password has a capital O.
  const HexDigest ha1 =
      ComputeHa1(Algorithm::kMd5, "Mufasa", "testrealm@host.com", "Circle Of Life");
  EXPECT_EQ(v.Verify(Algorithm::kMd5, c, "GET", ha1.view()), DigestResult::kOk);
  EXPECT_EQ(
      v.Response(Algorithm::kMd5, ha1.view(), c.nonce, c.nc, c.cnonce, c.qop, "GET", c.uri).view(),
      "6629fae49393a05397450978507c4ef1");
  const HexDigest wrong =
      ComputeHa1(Algorithm::kMd5, "Mufasa", "testrealm@host.com", "Circle of Life");
  EXPECT_EQ(v.Verify(Algorithm::kMd5, c, "GET", wrong.view()), DigestResult::kMismatch);
}

TEST(DigestRfcTest, HexIsLowercase) {
  for (Algorithm a : {Algorithm::kMd5, Algorithm::kSha256}) {
    const HexDigest h = ComputeHa1(a, "u", "r", "p");
    for (char ch : h.view()) {
      EXPECT_TRUE((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')) << h.view();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Verification rules, on hand-built credentials (the SIP parser already rejects some of these)

class DigestVerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ha1_ = ComputeHa1(Algorithm::kSha256, "alice", "example.com", "secret");
    response_ = v_.Response(Algorithm::kSha256, ha1_.view(), "n0nce", "00000001", "c0nce", "auth",
                            "REGISTER", "sip:example.com");
    good_.scheme = "Digest";
    good_.is_digest = true;
    good_.username = "alice";
    good_.realm = "example.com";
    good_.nonce = "n0nce";
    good_.uri = "sip:example.com";
    good_.response = response_.view();
    good_.algorithm = "SHA-256";
    good_.cnonce = "c0nce";
    good_.qop = "auth";
    good_.nc = "00000001";
  }

  DigestResult Verify(const sip::Credentials& c) {
    return v_.Verify(Algorithm::kSha256, c, "REGISTER", ha1_.view());
  }

  DigestVerifier v_;
  HexDigest ha1_{};
  HexDigest response_{};
  sip::Credentials good_{};
};

TEST_F(DigestVerifierTest, AcceptsWellFormedCredentials) {
  EXPECT_EQ(Verify(good_), DigestResult::kOk);
}

TEST_F(DigestVerifierTest, ReportsWhatIsWrong) {
  std::string upper_response(response_.view());
  for (char& ch : upper_response) {
    ch = (ch >= 'a' && ch <= 'f') ? static_cast<char>(ch - 'a' + 'A') : ch;
  }
  const std::string short_response(response_.view().substr(0, 63));
  std::string nonhex_response(response_.view());
  nonhex_response[10] = 'g';
  const std::string md5_length_response(response_.view().substr(0, 32));

  struct Row {
    const char* what;
    void (*mutate)(sip::Credentials&, const std::string* aux);
    const std::string* aux;
    DigestResult want;
  };
  const Row rows[] = {
      {"not a Digest credential",
       [](sip::Credentials& c, const std::string*) { c.is_digest = false; }, nullptr,
       DigestResult::kMissingField},
      {"no username", [](sip::Credentials& c, const std::string*) { c.username = ""; }, nullptr,
       DigestResult::kMissingField},
      {"no realm", [](sip::Credentials& c, const std::string*) { c.realm = ""; }, nullptr,
       DigestResult::kMissingField},
      {"no nonce", [](sip::Credentials& c, const std::string*) { c.nonce = ""; }, nullptr,
       DigestResult::kMissingField},
      {"no uri", [](sip::Credentials& c, const std::string*) { c.uri = ""; }, nullptr,
       DigestResult::kMissingField},
      {"no response", [](sip::Credentials& c, const std::string*) { c.response = ""; }, nullptr,
       DigestResult::kMissingField},
      {"no qop (RFC 2069 style)", [](sip::Credentials& c, const std::string*) { c.qop = ""; },
       nullptr, DigestResult::kMissingField},
      {"no nc", [](sip::Credentials& c, const std::string*) { c.nc = ""; }, nullptr,
       DigestResult::kMissingField},
      {"no cnonce", [](sip::Credentials& c, const std::string*) { c.cnonce = ""; }, nullptr,
       DigestResult::kMissingField},
      {"algorithm absent means MD5, not the SHA-256 asked for",
       [](sip::Credentials& c, const std::string*) { c.algorithm = ""; }, nullptr,
       DigestResult::kBadAlgorithm},
      {"algorithm MD5 against a SHA-256 HA1",
       [](sip::Credentials& c, const std::string*) { c.algorithm = "MD5"; }, nullptr,
       DigestResult::kBadAlgorithm},
      {"session variant",
       [](sip::Credentials& c, const std::string*) { c.algorithm = "SHA-256-sess"; }, nullptr,
       DigestResult::kBadAlgorithm},
      {"unknown algorithm",
       [](sip::Credentials& c, const std::string*) { c.algorithm = "SHA-512-256"; }, nullptr,
       DigestResult::kBadAlgorithm},
      {"algorithm in lowercase is still SHA-256",
       [](sip::Credentials& c, const std::string*) { c.algorithm = "sha-256"; }, nullptr,
       DigestResult::kOk},
      {"qop auth-int", [](sip::Credentials& c, const std::string*) { c.qop = "auth-int"; }, nullptr,
       DigestResult::kBadQop},
      {"qop list (a challenge's form, not a response's)",
       [](sip::Credentials& c, const std::string*) { c.qop = "auth,auth-int"; }, nullptr,
       DigestResult::kBadQop},
      {"nc of 7 digits", [](sip::Credentials& c, const std::string*) { c.nc = "0000001"; }, nullptr,
       DigestResult::kBadResponse},
      {"nc of 9 digits", [](sip::Credentials& c, const std::string*) { c.nc = "000000001"; },
       nullptr, DigestResult::kBadResponse},
      {"nc not hex", [](sip::Credentials& c, const std::string*) { c.nc = "0000000g"; }, nullptr,
       DigestResult::kBadResponse},
      {"response one digit short",
       [](sip::Credentials& c, const std::string* s) { c.response = *s; }, &short_response,
       DigestResult::kBadResponse},
      {"response of MD5 length for SHA-256",
       [](sip::Credentials& c, const std::string* s) { c.response = *s; }, &md5_length_response,
       DigestResult::kBadResponse},
      {"response with a non-hex digit",
       [](sip::Credentials& c, const std::string* s) { c.response = *s; }, &nonhex_response,
       DigestResult::kBadResponse},
      {"response in uppercase hex is the same digest",
       [](sip::Credentials& c, const std::string* s) { c.response = *s; }, &upper_response,
       DigestResult::kOk},
      {"username is not hashed into the response (the caller looks it up)",
       [](sip::Credentials& c, const std::string*) { c.username = "bob"; }, nullptr,
       DigestResult::kOk},
      {"nc changed", [](sip::Credentials& c, const std::string*) { c.nc = "00000002"; }, nullptr,
       DigestResult::kMismatch},
      {"nc in uppercase is hashed as sent",
       [](sip::Credentials& c, const std::string*) { c.nc = "0000000A"; }, nullptr,
       DigestResult::kMismatch},
      {"qop AUTH is accepted but hashed as sent",
       [](sip::Credentials& c, const std::string*) { c.qop = "AUTH"; }, nullptr,
       DigestResult::kMismatch},
  };
  for (const Row& r : rows) {
    sip::Credentials c = good_;
    r.mutate(c, r.aux);
    EXPECT_EQ(Verify(c), r.want) << r.what;
  }
}

TEST_F(DigestVerifierTest, UnescapesQuotedPairsAsItHashes) {
  // uri="sip:a\"b@example.com" on the wire: the client hashed sip:a"b@example.com.
  const HexDigest r = v_.Response(Algorithm::kSha256, ha1_.view(), "n0nce", "00000001", "c0nce",
                                  "auth", "REGISTER", "sip:a\"b@example.com");
  sip::Credentials c = good_;
  c.uri = "sip:a\\\"b@example.com";
  c.response = r.view();
  EXPECT_EQ(Verify(c), DigestResult::kOk);
}

TEST_F(DigestVerifierTest, Md5ResponsesVerifyAgainstMd5Ha1) {
  const HexDigest ha1 = ComputeHa1(Algorithm::kMd5, "alice", "example.com", "secret");
  const HexDigest r = v_.Response(Algorithm::kMd5, ha1.view(), "n0nce", "00000001", "c0nce", "auth",
                                  "REGISTER", "sip:example.com");
  sip::Credentials c = good_;
  c.response = r.view();
  c.algorithm = "";  // the RFC default
  EXPECT_EQ(v_.Verify(Algorithm::kMd5, c, "REGISTER", ha1.view()), DigestResult::kOk);
  c.algorithm = "MD5";
  EXPECT_EQ(v_.Verify(Algorithm::kMd5, c, "REGISTER", ha1.view()), DigestResult::kOk);
}

// ---------------------------------------------------------------------------------------------
// A device REGISTER through the SIP parser

struct ParsedRegister {
  explicit ParsedRegister(std::string_view bytes)
      : buf(std::make_unique<PaddedBuffer>(bytes)),
        msg(std::make_unique<sip::Message>()),
        fields(std::make_unique<sip::RegisterFields>()) {
    tokenize = sip::Tokenize(buf->view(), sip::Framing::kDatagram, *msg);
    if (tokenize == sip::ParseError::kOk) {
      parse = sip::ParseRegister(*msg, *fields).error;
    }
  }
  [[nodiscard]] bool Ok() const {
    return tokenize == sip::ParseError::kOk && parse == sip::ParseError::kOk;
  }

  std::unique_ptr<PaddedBuffer> buf;
  std::unique_ptr<sip::Message> msg;
  std::unique_ptr<sip::RegisterFields> fields;
  sip::ParseError tokenize = sip::ParseError::kOk;
  sip::ParseError parse = sip::ParseError::kOk;
};

constexpr std::string_view kYealink = "devices/yealink-t27g-register-auth";

TEST(DeviceRegisterTest, YealinkCredentialsReachVerify) {
  const ParsedRegister p(CorpusFile(std::string(kYealink)).bytes);
  ASSERT_TRUE(p.Ok());
  ASSERT_TRUE(p.fields->has_credentials);
  const sip::Credentials& c = p.fields->credentials;
  EXPECT_TRUE(c.is_digest);
  EXPECT_EQ(c.username, "201");
  EXPECT_EQ(c.realm, "test21.djangopbx.com");
  EXPECT_EQ(c.nonce, "ab84b282-99e9-41f2-87bd-e78aff5fdf07");
  EXPECT_EQ(c.uri, "sip:test21.djangopbx.com:5060");
  EXPECT_EQ(c.response, "da7aa1369e6df8128ac5263909e0f9be");
  EXPECT_EQ(c.algorithm, "MD5");
  EXPECT_EQ(c.cnonce, "724116085");
  EXPECT_EQ(c.qop, "auth");
  EXPECT_EQ(c.nc, "00000001");

  // Its password is unknown, so the best we can say is that every check but the last passes.
  DigestVerifier v;
  const HexDigest ha1 = ComputeHa1(Algorithm::kMd5, c.username, c.realm, "not-the-password");
  EXPECT_EQ(v.Verify(Algorithm::kMd5, c, "REGISTER", ha1.view()), DigestResult::kMismatch);
  EXPECT_EQ(v.Verify(Algorithm::kSha256, c, "REGISTER",
                     ComputeHa1(Algorithm::kSha256, c.username, c.realm, "x").view()),
            DigestResult::kBadAlgorithm);
}

// The Yealink REGISTER with our own nonce and a response computed for a known password.
class OwnRegisterTest : public ::testing::Test {
 protected:
  static constexpr std::string_view kRealm = "test21.djangopbx.com";
  static constexpr std::string_view kUser = "201";
  static constexpr std::string_view kPassword = "Tr0ub4dor&3";
  static constexpr std::string_view kUri = "sip:test21.djangopbx.com:5060";
  static constexpr std::string_view kCnonce = "724116085";
  static constexpr std::string_view kNc = "00000001";

  OwnRegisterTest() : codec_(std::span<const uint8_t, 32>(kSecret), kLifetime) {}

  void SetUp() override {
    char nonce[kNonceLength];
    codec_.Mint(kNow, kRealm, nonce);
    nonce_.assign(nonce, kNonceLength);
    ha1_ = ComputeHa1(Algorithm::kSha256, kUser, kRealm, kPassword);
    response_ = std::string(
        v_.Response(Algorithm::kSha256, ha1_.view(), nonce_, kNc, kCnonce, "auth", "REGISTER", kUri)
            .view());
  }

  // Builds the REGISTER around one Authorization header.
  static std::string Register(std::string_view nonce, std::string_view uri, std::string_view nc,
                              std::string_view cnonce, std::string_view response) {
    std::string m =
        "REGISTER sip:test21.djangopbx.com:5060 SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 139.162.206.177:5060;branch=z9hG4bK724057443;rport\r\n"
        "From: \"201 T2\" <sip:201@test21.djangopbx.com:5060>;tag=723906295\r\n"
        "To: \"201 T2\" <sip:201@test21.djangopbx.com:5060>\r\n"
        "Call-ID: 4_723949779@10.6.1.14\r\n"
        "CSeq: 2 REGISTER\r\n"
        "Contact: <sip:201@139.162.206.177:5060>\r\n"
        "Authorization: Digest username=\"201\", realm=\"test21.djangopbx.com\", nonce=\"";
    m += nonce;
    m += "\", uri=\"";
    m += uri;
    m += "\", response=\"";
    m += response;
    m += "\", algorithm=SHA-256, cnonce=\"";
    m += cnonce;
    m += "\", qop=auth, nc=";
    m += nc;
    m += "\r\n"
         "Max-Forwards: 70\r\n"
         "User-Agent: Yealink SIP-T27G 69.86.0.15\r\n"
         "Expires: 1800\r\n"
         "Content-Length: 0\r\n"
         "\r\n";
    return m;
  }

  // What a registrar does: parse, check the nonce, look up, verify.
  DigestResult Authenticate(const std::string& message, std::string_view method,
                            const CredentialStore& store) {
    const ParsedRegister p(message);
    EXPECT_TRUE(p.Ok()) << message;
    if (!p.Ok() || !p.fields->has_credentials) {
      return DigestResult::kMissingField;
    }
    const sip::Credentials& c = p.fields->credentials;
    Algorithm a;
    if (!ParseAlgorithm(c.algorithm, a)) {
      return DigestResult::kBadAlgorithm;
    }
    const CredentialEntry* e = store.Find(c.realm, c.username);
    EXPECT_NE(e, nullptr);
    if (e == nullptr) {
      return DigestResult::kMismatch;
    }
    return v_.Verify(a, c, method, e->ha1(a).view());
  }

  NonceCodec codec_;
  DigestVerifier v_;
  std::string nonce_;
  HexDigest ha1_{};
  std::string response_;
};

// One character changed in `s` (a hex digit stays a hex digit).
std::string Bump(std::string_view s, std::size_t at) {
  std::string out(s);
  char& ch = out[at];
  ch = ch == '0' ? '1' : ch == 'f' ? 'e' : ch == 'z' ? 'y' : static_cast<char>(ch ^ 1);
  if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z'))) {
    ch = 'a';
  }
  return out;
}

TEST_F(OwnRegisterTest, VerifiesAndEveryOneCharacterChangeFails) {
  CredentialStore store;
  ASSERT_TRUE(store.Add(kRealm, kUser, kPassword));
  const std::string good = Register(nonce_, kUri, kNc, kCnonce, response_);
  {
    const ParsedRegister p(good);
    ASSERT_TRUE(p.Ok());
    EXPECT_EQ(codec_.Check(p.fields->credentials.nonce, p.fields->credentials.realm, kNow + 10),
              NonceCheck::kValid);
  }
  EXPECT_EQ(Authenticate(good, "REGISTER", store), DigestResult::kOk);

  CredentialStore wrong_password;
  ASSERT_TRUE(wrong_password.Add(kRealm, kUser, Bump(kPassword, 3)));
  EXPECT_EQ(Authenticate(good, "REGISTER", wrong_password), DigestResult::kMismatch) << "password";

  struct Row {
    const char* what;
    std::string message;
    std::string_view method;
  };
  const Row rows[] = {
      // nonce: first and last characters
      {"nonce[0]", Register(Bump(nonce_, 0), kUri, kNc, kCnonce, response_), "REGISTER"},
      {"nonce[47]", Register(Bump(nonce_, 47), kUri, kNc, kCnonce, response_), "REGISTER"},
      // digest-uri (the Request-URI stays as it was)
      {"uri", Register(nonce_, "sip:test21.djangopbx.com:5061", kNc, kCnonce, response_),
       "REGISTER"},
      // the method the registrar hashes
      {"method", good, "REGISTEQ"},
      // nonce count
      {"nc", Register(nonce_, kUri, "00000002", kCnonce, response_), "REGISTER"},
      // client nonce
      {"cnonce", Register(nonce_, kUri, kNc, Bump(kCnonce, 8), response_), "REGISTER"},
      // the response itself: first and last digits
      {"response[0]", Register(nonce_, kUri, kNc, kCnonce, Bump(response_, 0)), "REGISTER"},
      {"response[63]", Register(nonce_, kUri, kNc, kCnonce, Bump(response_, 63)), "REGISTER"},
  };
  for (const Row& r : rows) {
    EXPECT_EQ(Authenticate(r.message, r.method, store), DigestResult::kMismatch) << r.what;
  }
  // A changed nonce is also caught by the codec, before any hashing of the response.
  EXPECT_EQ(codec_.Check(Bump(nonce_, 47), kRealm, kNow), NonceCheck::kInvalid);
}

// ---------------------------------------------------------------------------------------------
// Nonces

class NonceCodecTest : public ::testing::Test {
 protected:
  NonceCodecTest() : codec_(std::span<const uint8_t, 32>(kSecret), kLifetime) {}

  [[nodiscard]] std::string Mint(uint64_t t, std::string_view realm) const {
    char buf[kNonceLength];
    codec_.Mint(t, realm, buf);
    return std::string(buf, kNonceLength);
  }

  NonceCodec codec_;
};

TEST_F(NonceCodecTest, FormatIsTimeHexThenTruncatedHmac) {
  const std::string n = Mint(kNow, "Example.COM");
  ASSERT_EQ(n.size(), 48u);
  EXPECT_EQ(n.substr(0, 16), "000000006553f100");  // 1700000000 = 0x6553f100
  // Independently: OpenSSL's one-shot HMAC over 8-byte big-endian time || lowercase realm.
  uint8_t msg[8 + 11];
  for (int i = 0; i < 8; ++i) {
    msg[i] = static_cast<uint8_t>(kNow >> (56 - 8 * i));
  }
  const std::string_view lower_realm = "example.com";
  std::copy(lower_realm.begin(), lower_realm.end(), msg + 8);
  uint8_t mac[32];
  unsigned int mac_len = 0;
  ASSERT_NE(HMAC(EVP_sha256(), kSecret.data(), static_cast<int>(kSecret.size()), msg, sizeof(msg),
                 mac, &mac_len),
            nullptr);
  ASSERT_EQ(mac_len, 32u);
  std::string hex;
  for (int i = 0; i < 16; ++i) {
    static constexpr char kDigits[] = "0123456789abcdef";
    hex += kDigits[mac[i] >> 4];
    hex += kDigits[mac[i] & 15];
  }
  EXPECT_EQ(n.substr(16), hex);
}

TEST_F(NonceCodecTest, ChecksByAgeAndAuthenticity) {
  const std::string n = Mint(kNow, "example.com");
  struct Row {
    const char* what;
    uint64_t now;
    NonceCheck want;
  };
  const Row rows[] = {
      {"round trip at the issue time", kNow, NonceCheck::kValid},
      {"one second later", kNow + 1, NonceCheck::kValid},
      {"exactly one lifetime old", kNow + kLifetime, NonceCheck::kValid},
      {"one second past the lifetime: stale", kNow + kLifetime + 1, NonceCheck::kStale},
      {"a day old: stale", kNow + 86'400, NonceCheck::kStale},
      {"issued 5 s in the future (allowed skew)", kNow - kNonceFutureSkew, NonceCheck::kValid},
      {"issued 6 s in the future", kNow - kNonceFutureSkew - 1, NonceCheck::kInvalid},
      {"issued an hour in the future", kNow - 3'600, NonceCheck::kInvalid},
  };
  for (const Row& r : rows) {
    EXPECT_EQ(codec_.Check(n, "example.com", r.now), r.want) << r.what;
  }
}

TEST_F(NonceCodecTest, RejectsMalformedAndForgedNonces) {
  const std::string n = Mint(kNow, "example.com");
  std::string upper = n;
  for (char& ch : upper) {
    ch = (ch >= 'a' && ch <= 'f') ? static_cast<char>(ch - 'a' + 'A') : ch;
  }
  std::string later_time = n;  // claims a later issue time under the old HMAC
  later_time[15] = later_time[15] == 'f' ? 'e' : static_cast<char>(later_time[15] + 1);
  std::string other_secret_key(32, '\x01');
  const NonceCodec other(
      std::span<const uint8_t, 32>(reinterpret_cast<const uint8_t*>(other_secret_key.data()), 32),
      kLifetime);
  char other_nonce[kNonceLength];
  other.Mint(kNow, "example.com", other_nonce);

  struct Row {
    const char* what;
    std::string nonce;
    std::string_view realm;
  };
  const Row rows[] = {
      {"empty", "", "example.com"},
      {"one character short", n.substr(0, 47), "example.com"},
      {"one character long", n + "0", "example.com"},
      {"uppercase hex (never minted)", upper, "example.com"},
      {"non-hex character in the time", "x" + n.substr(1), "example.com"},
      {"non-hex character in the MAC", n.substr(0, 47) + "g", "example.com"},
      {"time changed", later_time, "example.com"},
      {"minted for another realm", n, "example.org"},
      {"minted under another secret", std::string(other_nonce, kNonceLength), "example.com"},
      {"RFC 7616's nonce", std::string(kRfc7616Nonce), "example.com"},
  };
  for (const Row& r : rows) {
    EXPECT_EQ(codec_.Check(r.nonce, r.realm, kNow), NonceCheck::kInvalid) << r.what;
  }
}

TEST_F(NonceCodecTest, EveryTamperedDigitIsInvalid) {
  const std::string n = Mint(kNow, "example.com");
  for (std::size_t i = 0; i < n.size(); ++i) {
    std::string t = n;
    t[i] = t[i] == '0' ? '1' : '0';
    // Changing a time digit may also move the time into the future; either way invalid.
    EXPECT_EQ(codec_.Check(t, "example.com", kNow), NonceCheck::kInvalid) << "digit " << i;
  }
}

TEST_F(NonceCodecTest, RealmsDifferingInCaseShareNonces) {
  const std::string n = Mint(kNow, "Test21.DjangoPBX.com");
  EXPECT_EQ(n, Mint(kNow, "test21.djangopbx.com"));
  EXPECT_EQ(codec_.Check(n, "test21.djangopbx.com", kNow), NonceCheck::kValid);
  EXPECT_EQ(codec_.Check(n, "TEST21.DJANGOPBX.COM", kNow), NonceCheck::kValid);
  EXPECT_EQ(codec_.Check(n, "test21.djangopbx.co", kNow), NonceCheck::kInvalid);
}

TEST_F(NonceCodecTest, LongRealmsAreHashedWhole) {
  // Longer than the 64-byte lowercasing chunk: a change after the first chunk still counts.
  const std::string realm(200, 'a');
  std::string other = realm;
  other[150] = 'b';
  const std::string n = Mint(kNow, realm);
  EXPECT_EQ(codec_.Check(n, realm, kNow), NonceCheck::kValid);
  EXPECT_EQ(codec_.Check(n, other, kNow), NonceCheck::kInvalid);
}

TEST_F(NonceCodecTest, KeepsItsLifetime) { EXPECT_EQ(codec_.lifetime(), kLifetime); }

// ---------------------------------------------------------------------------------------------
// Challenges

TEST(WriteChallengeTest, WritesTheDocumentedLine) {
  struct Row {
    const char* what;
    Algorithm a;
    bool stale;
    bool proxy;
    std::string_view want;
  };
  const Row rows[] = {
      {"SHA-256", Algorithm::kSha256, false, false,
       "WWW-Authenticate: Digest realm=\"example.com\", nonce=\"abc\", qop=\"auth\", "
       "algorithm=SHA-256\r\n"},
      {"MD5, stale", Algorithm::kMd5, true, false,
       "WWW-Authenticate: Digest realm=\"example.com\", nonce=\"abc\", qop=\"auth\", "
       "algorithm=MD5, stale=true\r\n"},
      {"proxy", Algorithm::kSha256, false, true,
       "Proxy-Authenticate: Digest realm=\"example.com\", nonce=\"abc\", qop=\"auth\", "
       "algorithm=SHA-256\r\n"},
      {"proxy, stale", Algorithm::kSha256, true, true,
       "Proxy-Authenticate: Digest realm=\"example.com\", nonce=\"abc\", qop=\"auth\", "
       "algorithm=SHA-256, stale=true\r\n"},
  };
  for (const Row& r : rows) {
    char buf[256];
    const std::size_t n =
        WriteChallenge(buf, sizeof(buf), r.a, "example.com", "abc", r.stale, r.proxy);
    EXPECT_EQ(std::string_view(buf, n), r.want) << r.what;
  }
}

TEST(WriteChallengeTest, NeedsRoomForTheWholeLine) {
  char buf[256];
  const std::size_t full =
      WriteChallenge(buf, sizeof(buf), Algorithm::kSha256, "example.com", "abc", true);
  ASSERT_GT(full, 0u);
  for (std::size_t cap = 0; cap < full; ++cap) {
    EXPECT_EQ(WriteChallenge(buf, cap, Algorithm::kSha256, "example.com", "abc", true), 0u) << cap;
  }
  EXPECT_EQ(WriteChallenge(buf, full, Algorithm::kSha256, "example.com", "abc", true), full);
}

TEST(WriteChallengeTest, QuotesAndRefusesControlCharacters) {
  char buf[256];
  std::size_t n = WriteChallenge(buf, sizeof(buf), Algorithm::kMd5, "a\"b\\c", "n", false);
  EXPECT_EQ(std::string_view(buf, n),
            "WWW-Authenticate: Digest realm=\"a\\\"b\\\\c\", nonce=\"n\", qop=\"auth\", "
            "algorithm=MD5\r\n");
  // CRLF would end the header line early (header injection); NUL is no header character.
  n = WriteChallenge(buf, sizeof(buf), Algorithm::kMd5, "example.com\r\nX-Evil: 1", "n", false);
  EXPECT_EQ(n, 0u);
  n = WriteChallenge(buf, sizeof(buf), Algorithm::kMd5, "example.com", std::string_view("a\0b", 3),
                     false);
  EXPECT_EQ(n, 0u);
}

TEST(WriteChallengeTest, CarriesAMintedNonce) {
  const NonceCodec codec(std::span<const uint8_t, 32>(kSecret), kLifetime);
  char nonce[kNonceLength];
  codec.Mint(kNow, "example.com", nonce);
  char buf[256];
  const std::size_t n = WriteChallenge(buf, sizeof(buf), Algorithm::kSha256, "example.com",
                                       std::string_view(nonce, kNonceLength), false);
  // The header value parses as a Digest challenge with the same nonce.
  std::string_view line(buf, n);
  ASSERT_TRUE(line.ends_with("\r\n"));
  line.remove_suffix(2);
  const std::string_view value = line.substr(std::string_view("WWW-Authenticate: ").size());
  const sip::Credentials c = MustParseCredentials(value);
  EXPECT_EQ(c.realm, "example.com");
  EXPECT_EQ(c.nonce, std::string_view(nonce, kNonceLength));
  EXPECT_EQ(c.qop, "auth");
  EXPECT_EQ(c.algorithm, "SHA-256");
  EXPECT_EQ(codec.Check(c.nonce, c.realm, kNow), NonceCheck::kValid);
}

// ---------------------------------------------------------------------------------------------
// Credential store

TEST(CredentialStoreTest, FindsByCaseInsensitiveRealmAndExactUsername) {
  CredentialStore store;
  ASSERT_TRUE(store.Add("Example.COM", "alice", "secret"));
  ASSERT_TRUE(store.Add("example.com", "Bob", "hunter2"));
  ASSERT_TRUE(store.Add("example.org", "alice", "other"));
  EXPECT_EQ(store.size(), 3u);

  struct Row {
    const char* what;
    std::string_view realm;
    std::string_view user;
    bool found;
  };
  const Row rows[] = {
      {"as added", "Example.COM", "alice", true},
      {"realm lowercased", "example.com", "alice", true},
      {"realm uppercased", "EXAMPLE.COM", "alice", true},
      {"username case matters", "example.com", "Alice", false},
      {"username case matters (other way)", "example.com", "bob", false},
      {"exact username", "example.com", "Bob", true},
      {"other realm", "example.net", "alice", false},
      {"prefix of a realm", "example.co", "alice", false},
      {"realm and username split elsewhere", "example.coma", "lice", false},
      {"empty", "", "", false},
  };
  for (const Row& r : rows) {
    EXPECT_EQ(store.Find(r.realm, r.user) != nullptr, r.found) << r.what;
  }
  const CredentialEntry* e = store.Find("example.com", "alice");
  ASSERT_NE(e, nullptr);
  // HA1 is computed over the realm exactly as added.
  EXPECT_EQ(e->ha1(Algorithm::kMd5).view(),
            ComputeHa1(Algorithm::kMd5, "alice", "Example.COM", "secret").view());
  EXPECT_EQ(e->ha1(Algorithm::kSha256).view(),
            ComputeHa1(Algorithm::kSha256, "alice", "Example.COM", "secret").view());
  EXPECT_EQ(store.Find("example.org", "alice")->ha1_md5.view(),
            ComputeHa1(Algorithm::kMd5, "alice", "example.org", "other").view());
}

TEST(CredentialStoreTest, ReplacesAnExistingEntry) {
  CredentialStore store;
  ASSERT_TRUE(store.Add("example.com", "alice", "old"));
  ASSERT_TRUE(store.Add("EXAMPLE.com", "alice", "new"));
  EXPECT_EQ(store.size(), 1u);
  EXPECT_EQ(store.Find("example.com", "alice")->ha1_md5.view(),
            ComputeHa1(Algorithm::kMd5, "alice", "EXAMPLE.com", "new").view());
}

TEST(CredentialStoreTest, AddHa1StoresLowercaseHex) {
  CredentialStore store;
  CredentialEntry entry{};
  entry.ha1_md5 = ComputeHa1(Algorithm::kMd5, "alice", "example.com", "pw");
  entry.ha1_sha256 = ComputeHa1(Algorithm::kSha256, "alice", "example.com", "pw");
  CredentialEntry upper = entry;
  for (char& ch : upper.ha1_md5.hex) {
    ch = (ch >= 'a' && ch <= 'f') ? static_cast<char>(ch - 'a' + 'A') : ch;
  }
  ASSERT_TRUE(store.AddHa1("example.com", "alice", upper));
  const CredentialEntry* e = store.Find("example.com", "alice");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->ha1_md5.view(), entry.ha1_md5.view());
  EXPECT_EQ(e->ha1_sha256.view(), entry.ha1_sha256.view());
}

TEST(CredentialStoreTest, LengthLimits) {
  CredentialStore store;
  const std::string realm_max(kMaxRealmLength, 'r');
  const std::string realm_over(kMaxRealmLength + 1, 'r');
  const std::string user_max(kMaxUsernameLength, 'u');
  const std::string user_over(kMaxUsernameLength + 1, 'u');
  EXPECT_TRUE(store.Add(realm_max, user_max, "pw"));        // both at the limit
  EXPECT_FALSE(store.Add(realm_over, "alice", "pw"));       // realm one over
  EXPECT_FALSE(store.Add("example.com", user_over, "pw"));  // username one over
  EXPECT_EQ(store.size(), 1u);
  EXPECT_NE(store.Find(realm_max, user_max), nullptr);
  EXPECT_EQ(store.Find(realm_over, user_max), nullptr);
  EXPECT_EQ(store.Find(realm_max, user_over), nullptr);
}

TEST(CredentialStoreTest, MovesItsEntries) {
  CredentialStore a;
  ASSERT_TRUE(a.Add("example.com", "alice", "pw"));
  CredentialStore b(std::move(a));
  EXPECT_NE(b.Find("example.com", "alice"), nullptr);
  CredentialStore c;
  c = std::move(b);
  EXPECT_NE(c.Find("example.com", "alice"), nullptr);
  EXPECT_EQ(c.size(), 1u);
}

}  // namespace
}  // namespace sipfront::auth
