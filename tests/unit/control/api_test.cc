// Tests of sipfront/control/api.h over real HTTP (libcurl) against an ApiServer on
// 127.0.0.1:0 with a SQLite store in a temporary directory: round trips of every resource
// kind, paging, Basic auth failures, cross-account isolation, validation and limits,
// on_change accounting, malformed and oversized bodies, 405s, the Registrations extension
// (against a fake RegistrationSource standing in for the worker tables) and the counters.
#include "sipfront/control/api.h"

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <curl/curl.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "sipfront/control/model.h"
#include "sipfront/control/store.h"

namespace sipfront::control {
namespace {

const std::string kAccountA = "AC" + std::string(31, '0') + "a";
const std::string kAccountB = "AC" + std::string(31, '0') + "b";
constexpr std::string_view kTokenA = "token-of-account-a";
constexpr std::string_view kTokenB = "token-of-account-b";
constexpr std::string_view kPassword = "Str0ngPassw0rd";

struct Auth {
  std::string user;
  std::string password;
  bool send = true;
};

const Auth kNoAuth{"", "", false};

struct Response {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lowercase names

  // The value at JSON pointer `ptr`: a string as is, null as "<null>", a number or bool as
  // its text, missing as "<missing>".
  [[nodiscard]] std::string At(std::string_view ptr) const {
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (parser.parse(body).get(root) != simdjson::SUCCESS) {
      return "<invalid json>";
    }
    simdjson::dom::element e;
    if (root.at_pointer(ptr).get(e) != simdjson::SUCCESS) {
      return "<missing>";
    }
    if (e.is_null()) {
      return "<null>";
    }
    if (e.is_string()) {
      return std::string(e.get_string().value_unsafe());
    }
    return simdjson::minify(e);
  }
  [[nodiscard]] std::size_t Count(std::string_view ptr) const {
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    simdjson::dom::array a;
    if (parser.parse(body).get(root) != simdjson::SUCCESS ||
        root.at_pointer(ptr).get(a) != simdjson::SUCCESS) {
      return static_cast<std::size_t>(-1);
    }
    return a.size();
  }
};

std::size_t OnBody(char* data, std::size_t size, std::size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

std::size_t OnHeader(char* data, std::size_t size, std::size_t n, void* user) {
  std::string_view line(data, size * n);
  const std::size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    for (char& c : name) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ')) {
      value.remove_prefix(1);
    }
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) {
      value.remove_suffix(1);
    }
    (*static_cast<std::map<std::string, std::string>*>(user))[name] = std::string(value);
  }
  return size * n;
}

struct ChunkedSource {
  std::string data;
  std::size_t at = 0;
};

std::size_t OnRead(char* buf, std::size_t size, std::size_t n, void* user) {
  auto* src = static_cast<ChunkedSource*>(user);
  const std::size_t len =
      std::min(size * n, std::min<std::size_t>(4096, src->data.size() - src->at));
  std::memcpy(buf, src->data.data() + src->at, len);
  src->at += len;
  return len;
}

// Bindings the "workers" hold: domains in `loaded` answer, others are not loaded yet.
class FakeRegistrations final : public RegistrationSource {
 public:
  bool Lookup(std::string_view domain_name, std::string_view user,
              std::vector<LiveBinding>& out) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++lookups_;
    if (loaded_.count(std::string(domain_name)) == 0) {
      return false;
    }
    out.clear();
    auto it = bindings_.find(std::string(domain_name) + "|" + std::string(user));
    if (it != bindings_.end()) {
      out = it->second;
    }
    return true;
  }
  void Load(const std::string& domain) {
    std::lock_guard<std::mutex> lock(mu_);
    loaded_[domain] = true;
  }
  void Bind(const std::string& domain, const std::string& user, LiveBinding b) {
    std::lock_guard<std::mutex> lock(mu_);
    bindings_[domain + "|" + user].push_back(std::move(b));
  }
  int lookups() {
    std::lock_guard<std::mutex> lock(mu_);
    return lookups_;
  }

 private:
  std::mutex mu_;
  std::map<std::string, bool> loaded_;
  std::map<std::string, std::vector<LiveBinding>> bindings_;
  int lookups_ = 0;
};

class ApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { curl_global_init(CURL_GLOBAL_DEFAULT); }
  static void TearDownTestSuite() { curl_global_cleanup(); }

  void SetUp() override {
    char tmpl[] = "/tmp/sipfront_api_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    url_ = "sqlite:" + dir_ + "/store.db";
    auto direct = Store::Open(url_);
    ASSERT_TRUE(direct.ok()) << direct.status();
    direct_ = std::move(*direct);
    for (const auto& [sid, token] :
         {std::pair{kAccountA, kTokenA}, std::pair{kAccountB, kTokenB}}) {
      Account a;
      a.sid = sid;
      a.friendly_name = "account " + sid.substr(sid.size() - 1);
      a.auth_token_sha256 = HashAuthToken(token);
      ASSERT_TRUE(direct_->PutAccount(a).ok());
    }
    StartServer(&registrations_);
  }

  void TearDown() override {
    server_.reset();
    direct_.reset();
    std::filesystem::remove_all(dir_);
  }

  void StartServer(RegistrationSource* source, ApiOptions options = {}) {
    server_.reset();
    options.listen = options.listen == ApiOptions{}.listen ? "127.0.0.1:0" : options.listen;
    auto store = Store::Open(url_);
    ASSERT_TRUE(store.ok()) << store.status();
    auto server = ApiServer::Start(
        options, std::move(*store), [this] { ++changes_; }, source);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    ASSERT_NE(server_->port(), 0);
  }

  static Auth As(const std::string& account) {
    return Auth{account, std::string(account == kAccountA ? kTokenA : kTokenB)};
  }

  Response Call(const std::string& method, const std::string& path, const std::string& body = "",
                const Auth& auth = As(kAccountA),
                const std::vector<std::string>& extra_headers = {}, bool chunked = false,
                const std::string& host = "127.0.0.1") {
    Response r;
    CURL* curl = curl_easy_init();
    const std::string url = "http://" + host + ":" + std::to_string(server_->port()) + path;
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r.body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &r.headers);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    if (auth.send) {
      curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
      curl_easy_setopt(curl, CURLOPT_USERNAME, auth.user.c_str());
      curl_easy_setopt(curl, CURLOPT_PASSWORD, auth.password.c_str());
    }
    curl_slist* headers = nullptr;
    for (const auto& h : extra_headers) {
      headers = curl_slist_append(headers, h.c_str());
    }
    ChunkedSource src{body};
    if (chunked) {
      headers = curl_slist_append(headers, "Transfer-Encoding: chunked");
      curl_easy_setopt(curl, CURLOPT_POST, 1L);
      curl_easy_setopt(curl, CURLOPT_READFUNCTION, OnRead);
      curl_easy_setopt(curl, CURLOPT_READDATA, &src);
    } else if (method == "POST") {
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    } else if (method == "HEAD") {
      curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    } else if (method != "GET") {
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
      if (!body.empty()) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
      }
    }
    if (headers != nullptr) {
      curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    }
    const CURLcode rc = curl_easy_perform(curl);
    EXPECT_EQ(rc, CURLE_OK) << curl_easy_strerror(rc) << " for " << method << " " << path;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r.status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return r;
  }

  static std::string Sip(const std::string& account) {
    return "/2010-04-01/Accounts/" + account + "/SIP";
  }

  // Creates and returns the SID (asserting 201).
  std::string Create(const std::string& path, const std::string& body,
                     const std::string& account = kAccountA) {
    const Response r = Call("POST", path, body, As(account));
    EXPECT_EQ(r.status, 201) << path << " " << body << " -> " << r.body;
    return r.At("/sid");
  }

  std::string dir_;
  std::string url_;
  std::unique_ptr<Store> direct_;  // the test's own connection (seeding, limits)
  FakeRegistrations registrations_;
  std::atomic<int> changes_{0};
  std::unique_ptr<ApiServer> server_;
};

// ---- health, auth, routing ----

TEST_F(ApiTest, HealthzAnswersWithoutCredentials) {
  const Response r = Call("GET", "/healthz", "", kNoAuth);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.At("/status"), "ok");
  EXPECT_EQ(r.headers.at("content-type"), "application/json; charset=utf-8");
  EXPECT_EQ(Call("POST", "/healthz", "", kNoAuth).status, 405);
}

TEST_F(ApiTest, RejectsMissingWrongAndUnknownCredentials) {
  const std::string path = Sip(kAccountA) + "/Domains.json";
  const Response none = Call("GET", path, "", kNoAuth);
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.headers.at("www-authenticate"), "Basic realm=\"sipfront\"");
  EXPECT_EQ(none.At("/code"), "20003");
  EXPECT_EQ(none.At("/status"), "401");
  EXPECT_EQ(none.At("/more_info"), "https://www.twilio.com/docs/errors/20003");
  EXPECT_EQ(Call("GET", path, "", Auth{kAccountA, "wrong"}).status, 401);
  EXPECT_EQ(Call("GET", path, "", Auth{kAccountA, std::string(kTokenB)}).status, 401);
  const std::string unknown = "AC" + std::string(32, 'f');
  EXPECT_EQ(Call("GET", Sip(unknown) + "/Domains", "", Auth{unknown, "x"}).status, 401);
  EXPECT_EQ(Call("GET", path, "", Auth{"not-a-sid", "x"}).status, 401);
  // Even an unknown path under the API says nothing before authentication.
  EXPECT_EQ(Call("GET", "/2010-04-01/Nothing", "", kNoAuth).status, 401);
  EXPECT_EQ(server_->counters().unauthorized, 6u);
  EXPECT_EQ(changes_, 0);
}

TEST_F(ApiTest, AnotherAccountsPathIsNotFound) {
  const Response r = Call("GET", Sip(kAccountB) + "/Domains.json", "", As(kAccountA));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.At("/code"), "20404");
  EXPECT_EQ(
      Call("POST", Sip(kAccountB) + "/Domains", "DomainName=b.example.com", As(kAccountA)).status,
      404);
  EXPECT_EQ(changes_, 0);
}

TEST_F(ApiTest, UnknownPathsAreNotFound) {
  EXPECT_EQ(Call("GET", "/").status, 404);
  EXPECT_EQ(Call("GET", "/nothing").status, 404);
  EXPECT_EQ(Call("GET", Sip(kAccountA)).status, 404);
  EXPECT_EQ(Call("GET", Sip(kAccountA) + "/Trunks").status, 404);
  EXPECT_EQ(Call("GET", Sip(kAccountA) + "/Domains/not-a-sid").status, 404);
  EXPECT_EQ(Call("GET", Sip(kAccountA) + "/Domains/CL" + std::string(32, '0')).status, 404);
  EXPECT_EQ(Call("GET", Sip(kAccountA) + "/Domains/SD" + std::string(32, '0') + "/Nope").status,
            404);
  EXPECT_EQ(Call("GET", Sip(kAccountA) + "/CredentialLists/CL" + std::string(32, '0') +
                            "/Credentials/CR" + std::string(32, '0') + "/x")
                .status,
            404);
}

TEST_F(ApiTest, MethodsNotAllowedAnswer405WithAllow) {
  const Response put = Call("PUT", Sip(kAccountA) + "/Domains.json");
  EXPECT_EQ(put.status, 405);
  EXPECT_EQ(put.headers.at("allow"), "GET, POST");
  EXPECT_EQ(put.At("/code"), "20004");
  EXPECT_EQ(Call("DELETE", Sip(kAccountA) + "/CredentialLists").headers.at("allow"), "GET, POST");
  const std::string sd = Create(Sip(kAccountA) + "/Domains", "DomainName=a.example.com");
  EXPECT_EQ(Call("PATCH", Sip(kAccountA) + "/Domains/" + sd).headers.at("allow"),
            "GET, POST, DELETE");
  const std::string cl = Create(Sip(kAccountA) + "/CredentialLists", "FriendlyName=l");
  Create(Sip(kAccountA) + "/Domains/" + sd + "/Auth/Registrations/CredentialListMappings",
         "CredentialListSid=" + cl);
  const Response post_mapping =
      Call("POST",
           Sip(kAccountA) + "/Domains/" + sd + "/Auth/Registrations/CredentialListMappings/" + cl,
           "x=1");
  EXPECT_EQ(post_mapping.status, 405);
  EXPECT_EQ(post_mapping.headers.at("allow"), "GET, DELETE");
  EXPECT_EQ(Call("POST", Sip(kAccountA) + "/Domains/" + sd + "/Registrations", "Aor=x").status,
            405);
  EXPECT_EQ(changes_, 3);
}

// ---- domains ----

TEST_F(ApiTest, DomainRoundTrip) {
  const std::string base = Sip(kAccountA) + "/Domains";
  Response created = Call("POST", base + ".json",
                          "DomainName=Office.Example.com&FriendlyName=Main+office&VoiceUrl=https%3A"
                          "%2F%2Fapp.example.com%2Fvoice&VoiceMethod=get&SipRegistration=true&"
                          "Unknown=ignored");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(changes_, 1);
  const std::string sd = created.At("/sid");
  EXPECT_TRUE(IsSid(sd, Kind::kDomain)) << sd;
  EXPECT_EQ(created.At("/account_sid"), kAccountA);
  EXPECT_EQ(created.At("/api_version"), "2010-04-01");
  EXPECT_EQ(created.At("/auth_type"), "");
  EXPECT_EQ(created.At("/domain_name"), "office.example.com");
  EXPECT_EQ(created.At("/friendly_name"), "Main office");
  EXPECT_EQ(created.At("/voice_url"), "https://app.example.com/voice");
  EXPECT_EQ(created.At("/voice_method"), "GET");
  EXPECT_EQ(created.At("/voice_fallback_url"), "<null>");
  EXPECT_EQ(created.At("/voice_status_callback_url"), "<null>");
  EXPECT_EQ(created.At("/sip_registration"), "true");
  EXPECT_EQ(created.At("/secure"), "false");
  EXPECT_EQ(created.At("/emergency_calling_enabled"), "false");
  EXPECT_EQ(created.At("/uri"), base + "/" + sd + ".json");
  EXPECT_EQ(created.At("/subresource_uris/credential_list_mappings"),
            base + "/" + sd + "/CredentialListMappings.json");
  EXPECT_EQ(created.At("/subresource_uris/auth_registrations_mappings"),
            base + "/" + sd + "/Auth/Registrations.json");
  const std::string date = created.At("/date_created");
  // "Mon, 20 Jul 2015 17:27:10 +0000"
  ASSERT_EQ(date.size(), 31u) << date;
  EXPECT_EQ(date.substr(3, 2), ", ");
  EXPECT_EQ(date.substr(25), " +0000");

  // Fetch with and without .json, and with the SID in uppercase hex.
  Response fetched = Call("GET", base + "/" + sd + ".json");
  EXPECT_EQ(fetched.status, 200);
  EXPECT_EQ(fetched.body, created.body);
  EXPECT_EQ(Call("GET", base + "/" + sd).body, created.body);
  std::string upper = sd;
  for (std::size_t i = 2; i < upper.size(); ++i) {
    upper[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(upper[i])));
  }
  EXPECT_EQ(Call("GET", base + "/" + upper).status, 200);
  EXPECT_EQ(Call("HEAD", base + "/" + sd).status, 200);

  Response list = Call("GET", base + ".json");
  EXPECT_EQ(list.status, 200);
  EXPECT_EQ(list.Count("/domains"), 1u);
  EXPECT_EQ(list.At("/domains/0/sid"), sd);

  // Partial update: only the given fields change.
  Response updated = Call("POST", base + "/" + sd, "FriendlyName=Renamed&Secure=TRUE");
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(changes_, 2);
  EXPECT_EQ(updated.At("/friendly_name"), "Renamed");
  EXPECT_EQ(updated.At("/secure"), "true");
  EXPECT_EQ(updated.At("/voice_url"), "https://app.example.com/voice");
  EXPECT_EQ(updated.At("/voice_method"), "GET");
  EXPECT_EQ(updated.At("/sip_registration"), "true");
  EXPECT_EQ(updated.At("/domain_name"), "office.example.com");
  // Clearing a URL with an empty value.
  updated = Call("POST", base + "/" + sd, "VoiceUrl=");
  EXPECT_EQ(updated.At("/voice_url"), "<null>");
  EXPECT_EQ(Call("GET", base + "/" + sd).At("/friendly_name"), "Renamed");

  const Response deleted = Call("DELETE", base + "/" + sd + ".json");
  EXPECT_EQ(deleted.status, 204);
  EXPECT_EQ(deleted.body, "");
  EXPECT_EQ(changes_, 4);
  const Response gone = Call("GET", base + "/" + sd + ".json");
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(gone.At("/message"),
            "The requested resource " + base + "/" + sd + ".json was not found");
  EXPECT_EQ(Call("DELETE", base + "/" + sd).status, 404);
  EXPECT_EQ(Call("POST", base + "/" + sd, "FriendlyName=x").status, 404);
  EXPECT_EQ(changes_, 4);
}

TEST_F(ApiTest, DomainNamesAreUniqueAcrossAccounts) {
  Create(Sip(kAccountA) + "/Domains", "DomainName=taken.example.com");
  const Response r =
      Call("POST", Sip(kAccountB) + "/Domains", "DomainName=TAKEN.example.com", As(kAccountB));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.At("/code"), "21203");
  EXPECT_EQ(changes_, 1);
}

TEST_F(ApiTest, ListsPageWithTheHostedEnvelope) {
  const std::string base = Sip(kAccountA) + "/Domains";
  for (int i = 0; i < 5; ++i) {
    Create(base, "DomainName=d" + std::to_string(i) + ".example.com");
  }
  Response p0 = Call("GET", base + ".json?PageSize=2");
  ASSERT_EQ(p0.status, 200) << p0.body;
  EXPECT_EQ(p0.Count("/domains"), 2u);
  EXPECT_EQ(p0.At("/page"), "0");
  EXPECT_EQ(p0.At("/page_size"), "2");
  EXPECT_EQ(p0.At("/start"), "0");
  EXPECT_EQ(p0.At("/end"), "1");
  EXPECT_EQ(p0.At("/first_page_uri"), base + ".json?PageSize=2&Page=0");
  EXPECT_EQ(p0.At("/uri"), base + ".json?PageSize=2&Page=0");
  EXPECT_EQ(p0.At("/next_page_uri"), base + ".json?PageSize=2&Page=1");
  EXPECT_EQ(p0.At("/previous_page_uri"), "<null>");

  Response p2 = Call("GET", base + "?PageSize=2&Page=2");
  EXPECT_EQ(p2.Count("/domains"), 1u);
  EXPECT_EQ(p2.At("/start"), "4");
  EXPECT_EQ(p2.At("/end"), "4");
  EXPECT_EQ(p2.At("/next_page_uri"), "<null>");
  EXPECT_EQ(p2.At("/previous_page_uri"), base + ".json?PageSize=2&Page=1");

  // Every domain exactly once across the pages.
  std::map<std::string, int> seen;
  for (int page = 0; page < 3; ++page) {
    Response p = Call("GET", base + "?PageSize=2&Page=" + std::to_string(page));
    for (std::size_t i = 0; i < p.Count("/domains"); ++i) {
      ++seen[p.At("/domains/" + std::to_string(i) + "/sid")];
    }
  }
  EXPECT_EQ(seen.size(), 5u);

  Response dflt = Call("GET", base);
  EXPECT_EQ(dflt.At("/page_size"), "50");
  EXPECT_EQ(dflt.Count("/domains"), 5u);
  EXPECT_EQ(Call("GET", base + "?Page=9").Count("/domains"), 0u);
  EXPECT_EQ(Call("GET", base + "?PageSize=1000").status, 200);
  for (const char* bad : {"PageSize=0", "PageSize=1001", "PageSize=abc", "PageSize=-1", "Page=-1",
                          "Page=x", "PageSize=", "Page=99999999999"}) {
    const Response r = Call("GET", base + "?" + bad);
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_EQ(r.At("/code"), "21202") << bad;
  }
}

// ---- credential lists and credentials ----

TEST_F(ApiTest, CredentialListAndCredentialRoundTrip) {
  const std::string lists = Sip(kAccountA) + "/CredentialLists";
  Response l = Call("POST", lists + ".json", "FriendlyName=Staff");
  ASSERT_EQ(l.status, 201) << l.body;
  const std::string cl = l.At("/sid");
  EXPECT_TRUE(IsSid(cl, Kind::kCredentialList));
  EXPECT_EQ(l.At("/friendly_name"), "Staff");
  EXPECT_EQ(l.At("/account_sid"), kAccountA);
  EXPECT_EQ(l.At("/uri"), lists + "/" + cl + ".json");
  EXPECT_EQ(l.At("/subresource_uris/credentials"), lists + "/" + cl + "/Credentials.json");
  EXPECT_EQ(Call("GET", lists + "/" + cl).body, l.body);
  EXPECT_EQ(Call("GET", lists).At("/credential_lists/0/sid"), cl);
  Response renamed = Call("POST", lists + "/" + cl + ".json", "FriendlyName=Employees");
  EXPECT_EQ(renamed.status, 200);
  EXPECT_EQ(renamed.At("/friendly_name"), "Employees");
  EXPECT_EQ(Call("POST", lists + "/" + cl, "Other=1").status, 400);  // FriendlyName required

  const std::string creds = lists + "/" + cl + "/Credentials";
  Response c = Call("POST", creds + ".json", "Username=alice&Password=" + std::string(kPassword));
  ASSERT_EQ(c.status, 201) << c.body;
  const std::string cr = c.At("/sid");
  EXPECT_TRUE(IsSid(cr, Kind::kCredential));
  EXPECT_EQ(c.At("/username"), "alice");
  EXPECT_EQ(c.At("/credential_list_sid"), cl);
  EXPECT_EQ(c.At("/account_sid"), kAccountA);
  EXPECT_EQ(c.At("/uri"), creds + "/" + cr + ".json");
  EXPECT_EQ(c.At("/password"), "<missing>");
  EXPECT_EQ(c.body.find(kPassword), std::string::npos);
  EXPECT_EQ(Call("GET", creds + "/" + cr).At("/username"), "alice");
  Response list = Call("GET", creds + "?PageSize=1");
  EXPECT_EQ(list.Count("/credentials"), 1u);
  EXPECT_EQ(list.At("/next_page_uri"), "<null>");
  EXPECT_EQ(Call("POST", creds, "Username=alice&Password=" + std::string(kPassword)).status, 409);

  Response pw = Call("POST", creds + "/" + cr, "Password=An0therPassw0rd");
  EXPECT_EQ(pw.status, 200) << pw.body;
  EXPECT_EQ(pw.body.find("An0therPassw0rd"), std::string::npos);
  EXPECT_EQ(Call("POST", creds + "/" + cr, "Username=bob").status, 400);  // Password required
  EXPECT_EQ(changes_, 4);

  EXPECT_EQ(Call("DELETE", creds + "/" + cr).status, 204);
  EXPECT_EQ(Call("GET", creds + "/" + cr).status, 404);
  EXPECT_EQ(Call("DELETE", lists + "/" + cl).status, 204);
  EXPECT_EQ(Call("GET", lists + "/" + cl).status, 404);
  EXPECT_EQ(Call("GET", creds).status, 404);
  EXPECT_EQ(Call("POST", creds, "Username=bob&Password=" + std::string(kPassword)).status, 404);
  EXPECT_EQ(changes_, 6);
}

// ---- IP access control lists and addresses ----

TEST_F(ApiTest, IpAccessControlListAndAddressRoundTrip) {
  const std::string acls = Sip(kAccountA) + "/IpAccessControlLists";
  Response l = Call("POST", acls, "FriendlyName=Office");
  ASSERT_EQ(l.status, 201) << l.body;
  const std::string al = l.At("/sid");
  EXPECT_TRUE(IsSid(al, Kind::kIpAccessControlList));
  EXPECT_EQ(l.At("/subresource_uris/ip_addresses"), acls + "/" + al + "/IpAddresses.json");
  EXPECT_EQ(Call("GET", acls + ".json").At("/ip_access_control_lists/0/sid"), al);
  EXPECT_EQ(Call("POST", acls + "/" + al, "FriendlyName=HQ").At("/friendly_name"), "HQ");

  const std::string ips = acls + "/" + al + "/IpAddresses";
  Response v4 = Call("POST", ips, "FriendlyName=gw&IpAddress=192.0.2.10");
  ASSERT_EQ(v4.status, 201) << v4.body;
  const std::string ip = v4.At("/sid");
  EXPECT_TRUE(IsSid(ip, Kind::kIpAddress));
  EXPECT_EQ(v4.At("/ip_address"), "192.0.2.10");
  EXPECT_EQ(v4.At("/cidr_prefix_length"), "32");
  EXPECT_EQ(v4.At("/ip_access_control_list_sid"), al);
  EXPECT_EQ(v4.At("/friendly_name"), "gw");
  EXPECT_EQ(v4.At("/uri"), ips + "/" + ip + ".json");
  Response v6 = Call("POST", ips, "FriendlyName=v6&IpAddress=2001:DB8:0:0::1");
  ASSERT_EQ(v6.status, 201) << v6.body;
  EXPECT_EQ(v6.At("/ip_address"), "2001:db8::1");
  EXPECT_EQ(v6.At("/cidr_prefix_length"), "128");
  Response net = Call("POST", ips, "FriendlyName=net&IpAddress=198.51.100.0&CidrPrefixLength=24");
  EXPECT_EQ(net.At("/cidr_prefix_length"), "24");
  EXPECT_EQ(Call("GET", ips).Count("/ip_addresses"), 3u);
  EXPECT_EQ(Call("GET", ips + "/" + ip).At("/ip_address"), "192.0.2.10");

  Response up = Call("POST", ips + "/" + ip, "CidrPrefixLength=31");
  EXPECT_EQ(up.status, 200) << up.body;
  EXPECT_EQ(up.At("/cidr_prefix_length"), "31");
  EXPECT_EQ(up.At("/friendly_name"), "gw");
  up = Call("POST", ips + "/" + ip, "IpAddress=192.0.2.20&FriendlyName=gw2");
  EXPECT_EQ(up.At("/ip_address"), "192.0.2.20");
  EXPECT_EQ(up.At("/cidr_prefix_length"), "31");  // same family: the prefix stays
  EXPECT_EQ(up.At("/friendly_name"), "gw2");
  EXPECT_EQ(changes_, 7);

  EXPECT_EQ(Call("DELETE", ips + "/" + ip).status, 204);
  EXPECT_EQ(Call("GET", ips + "/" + ip).status, 404);
  EXPECT_EQ(Call("DELETE", acls + "/" + al).status, 204);
  EXPECT_EQ(Call("GET", acls + "/" + al).status, 404);
  EXPECT_EQ(changes_, 9);
}

// ---- mappings ----

TEST_F(ApiTest, MappingsRoundTripForEveryKind) {
  const std::string sd = Create(Sip(kAccountA) + "/Domains", "DomainName=map.example.com");
  const std::string cl = Create(Sip(kAccountA) + "/CredentialLists", "FriendlyName=creds");
  const std::string al = Create(Sip(kAccountA) + "/IpAccessControlLists", "FriendlyName=acl");
  const std::string dom = Sip(kAccountA) + "/Domains/" + sd;
  struct Row {
    const char* path;
    const char* param;
    const char* key;
    bool acl;
  };
  const Row rows[] = {
      {"/CredentialListMappings", "CredentialListSid", "credential_list_mappings", false},
      {"/IpAccessControlListMappings", "IpAccessControlListSid", "ip_access_control_list_mappings",
       true},
      {"/Auth/Calls/CredentialListMappings", "CredentialListSid", "contents", false},
      {"/Auth/Calls/IpAccessControlListMappings", "IpAccessControlListSid", "contents", true},
      {"/Auth/Registrations/CredentialListMappings", "CredentialListSid", "contents", false},
      {"/Auth/Registrations/IpAccessControlListMappings", "IpAccessControlListSid", "contents",
       true},
  };
  int writes = 3;
  for (const Row& row : rows) {
    SCOPED_TRACE(row.path);
    const std::string coll = dom + row.path;
    const std::string list = row.acl ? al : cl;
    // The wrong kind of list, a missing parameter, a malformed SID.
    EXPECT_EQ(Call("POST", coll, std::string(row.param) + "=" + (row.acl ? cl : al)).status, 400);
    EXPECT_EQ(Call("POST", coll, "x=1").At("/code"), "21201");
    EXPECT_EQ(Call("POST", coll,
                   std::string(row.param) + "=" + (row.acl ? "AL" : "CL") + std::string(32, '9'))
                  .status,
              404);
    // The legacy paths and Auth/Calls name the same (calls) mappings.
    const bool twin = std::string_view(row.path).starts_with("/Auth/Calls");
    if (!twin) {
      Response m = Call("POST", coll + ".json", std::string(row.param) + "=" + list);
      ASSERT_EQ(m.status, 201) << m.body;
      ++writes;
      EXPECT_EQ(m.At("/sid"), list);
      EXPECT_EQ(m.At("/account_sid"), kAccountA);
      EXPECT_EQ(m.At("/domain_sid"), sd);
      EXPECT_EQ(m.At("/friendly_name"), row.acl ? "acl" : "creds");
      EXPECT_EQ(m.At("/uri"), coll + "/" + list + ".json");
    }
    EXPECT_EQ(Call("POST", coll, std::string(row.param) + "=" + list).status, 409);
    Response got = Call("GET", coll + "/" + list + ".json");
    EXPECT_EQ(got.status, 200);
    EXPECT_EQ(got.At("/sid"), list);
    EXPECT_EQ(got.At("/uri"), coll + "/" + list + ".json");
    Response listed = Call("GET", coll);
    EXPECT_EQ(listed.Count(std::string("/") + row.key), 1u) << listed.body;
    EXPECT_EQ(listed.At(std::string("/") + row.key + "/0/sid"), list);
    EXPECT_EQ(listed.At("/uri"), coll + ".json?PageSize=50&Page=0");
  }
  // auth_type reflects the calls mappings.
  EXPECT_EQ(Call("GET", dom).At("/auth_type"), "CREDENTIAL_LIST,IP_ACL");
  EXPECT_EQ(Call("GET", dom + "/Auth/Calls").At("/subresource_uris/credential_list_mappings"),
            dom + "/Auth/Calls/CredentialListMappings.json");
  EXPECT_EQ(changes_, writes);
  for (const Row& row : rows) {
    SCOPED_TRACE(row.path);
    const std::string item = dom + row.path + "/" + (row.acl ? al : cl);
    const Response del = Call("DELETE", item);
    // The legacy and Auth/Calls paths name one mapping: the second delete finds none.
    const bool legacy_twin = std::string_view(row.path).starts_with("/Auth/Calls");
    EXPECT_EQ(del.status, legacy_twin ? 404 : 204);
    if (!legacy_twin) {
      ++writes;
    }
    EXPECT_EQ(Call("GET", item).status, 404);
  }
  EXPECT_EQ(Call("GET", dom).At("/auth_type"), "");
  EXPECT_EQ(changes_, writes);
}

// ---- isolation ----

TEST_F(ApiTest, AnAccountCannotSeeOrTouchAnothersResources) {
  const std::string a = Sip(kAccountA);
  const std::string sd = Create(a + "/Domains", "DomainName=iso.example.com");
  const std::string cl = Create(a + "/CredentialLists", "FriendlyName=a-list");
  const std::string cr = Create(a + "/CredentialLists/" + cl + "/Credentials",
                                "Username=alice&Password=" + std::string(kPassword));
  const std::string al = Create(a + "/IpAccessControlLists", "FriendlyName=a-acl");
  const std::string ip = Create(a + "/IpAccessControlLists/" + al + "/IpAddresses",
                                "FriendlyName=x&IpAddress=10.0.0.1");
  Create(a + "/Domains/" + sd + "/Auth/Registrations/CredentialListMappings",
         "CredentialListSid=" + cl);
  const int before = changes_;

  const Auth b = As(kAccountB);
  const std::string bp = Sip(kAccountB);
  const std::string b_domain = Create(bp + "/Domains", "DomainName=b.example.com", kAccountB);
  const int with_b = changes_;
  ASSERT_EQ(with_b, before + 1);
  const std::vector<std::string> items = {
      bp + "/Domains/" + sd,
      bp + "/CredentialLists/" + cl,
      bp + "/CredentialLists/" + cl + "/Credentials/" + cr,
      bp + "/IpAccessControlLists/" + al,
      bp + "/IpAccessControlLists/" + al + "/IpAddresses/" + ip,
      bp + "/Domains/" + sd + "/Auth/Registrations/CredentialListMappings/" + cl,
  };
  for (const auto& item : items) {
    SCOPED_TRACE(item);
    EXPECT_EQ(Call("GET", item, "", b).status, 404);
    EXPECT_EQ(
        Call("POST", item, "FriendlyName=stolen&Password=" + std::string(kPassword), b).status,
        item.find("Mappings") != std::string::npos ? 405 : 404);
    EXPECT_EQ(Call("DELETE", item, "", b).status, 404);
  }
  // Collections under A's parents, and A's lists onto B's own domain.
  EXPECT_EQ(Call("GET", bp + "/CredentialLists/" + cl + "/Credentials", "", b).status, 404);
  EXPECT_EQ(Call("POST", bp + "/CredentialLists/" + cl + "/Credentials",
                 "Username=mallory&Password=" + std::string(kPassword), b)
                .status,
            404);
  EXPECT_EQ(Call("POST", bp + "/IpAccessControlLists/" + al + "/IpAddresses",
                 "FriendlyName=m&IpAddress=10.6.6.6", b)
                .status,
            404);
  EXPECT_EQ(Call("GET", bp + "/Domains/" + sd + "/CredentialListMappings", "", b).status, 404);
  EXPECT_EQ(Call("POST", bp + "/Domains/" + b_domain + "/Auth/Registrations/CredentialListMappings",
                 "CredentialListSid=" + cl, b)
                .status,
            404);
  EXPECT_EQ(Call("POST", bp + "/Domains/" + b_domain + "/IpAccessControlListMappings",
                 "IpAccessControlListSid=" + al, b)
                .status,
            404);
  // B's lists show only B's.
  EXPECT_EQ(Call("GET", bp + "/Domains", "", b).Count("/domains"), 1u);
  EXPECT_EQ(Call("GET", bp + "/CredentialLists", "", b).Count("/credential_lists"), 0u);
  EXPECT_EQ(Call("GET", bp + "/IpAccessControlLists", "", b).Count("/ip_access_control_lists"), 0u);
  EXPECT_EQ(changes_, with_b);
  // A's resources are untouched.
  EXPECT_EQ(Call("GET", a + "/CredentialLists/" + cl).At("/friendly_name"), "a-list");
  EXPECT_EQ(Call("GET", a + "/CredentialLists/" + cl + "/Credentials/" + cr).status, 200);
  EXPECT_EQ(Call("GET", a + "/IpAccessControlLists/" + al + "/IpAddresses/" + ip).status, 200);
  EXPECT_EQ(
      Call("GET", a + "/Domains/" + sd + "/Auth/Registrations/CredentialListMappings/" + cl).status,
      200);
}

// ---- validation and limits ----

TEST_F(ApiTest, InvalidFieldsAreRejectedWith400) {
  const std::string a = Sip(kAccountA);
  const std::string cl = Create(a + "/CredentialLists", "FriendlyName=l");
  const std::string al = Create(a + "/IpAccessControlLists", "FriendlyName=l");
  const int writes = changes_;
  struct Row {
    std::string path;
    std::string body;
    std::string code;
    std::string comment;
  };
  const std::string creds = a + "/CredentialLists/" + cl + "/Credentials";
  const std::string ips = a + "/IpAccessControlLists/" + al + "/IpAddresses";
  const Row rows[] = {
      {a + "/Domains", "FriendlyName=x", "21201", "DomainName missing"},
      {a + "/Domains", "DomainName=", "21201", "DomainName empty"},
      {a + "/Domains", "DomainName=nodot", "21202", "one label"},
      {a + "/Domains", "DomainName=bad_name.example.com", "21202", "underscore"},
      {a + "/Domains", "DomainName=" + std::string(64, 'a') + ".com", "21202", "label > 63"},
      {a + "/Domains", "DomainName=ok.example.com&SipRegistration=yes", "21202", "bool"},
      {a + "/Domains", "DomainName=ok.example.com&VoiceUrl=ftp://x", "21202", "url scheme"},
      {a + "/Domains", "DomainName=ok.example.com&VoiceMethod=PUT", "21202", "method"},
      {a + "/Domains", "DomainName=ok.example.com&FriendlyName=" + std::string(65, 'x'), "21202",
       "friendly name > 64"},
      {a + "/CredentialLists", "", "21201", "FriendlyName missing"},
      {creds, "Username=alice", "21201", "Password missing"},
      {creds, "Password=" + std::string(kPassword), "21201", "Username missing"},
      {creds, "Username=alice&Password=short1A", "21202", "password too short"},
      {creds, "Username=alice&Password=alllowercase1234", "21202", "no uppercase"},
      {creds, "Username=alice&Password=ALLUPPERCASE1234", "21202", "no lowercase"},
      {creds, "Username=alice&Password=NoDigitsAtAllHere", "21202", "no digit"},
      {creds, "Username=" + std::string(33, 'u') + "&Password=" + std::string(kPassword), "21202",
       "username > 32"},
      {creds, "Username=a%20b&Password=" + std::string(kPassword), "21202", "space in username"},
      {ips, "IpAddress=10.0.0.1", "21201", "FriendlyName missing"},
      {ips, "FriendlyName=x", "21201", "IpAddress missing"},
      {ips, "FriendlyName=x&IpAddress=10.0.0.256", "21202", "bad IPv4"},
      {ips, "FriendlyName=x&IpAddress=example.com", "21202", "hostname"},
      {ips, "FriendlyName=x&IpAddress=10.0.0.1&CidrPrefixLength=33", "21202", "v4 prefix > 32"},
      {ips, "FriendlyName=x&IpAddress=::1&CidrPrefixLength=129", "21202", "v6 prefix > 128"},
      {ips, "FriendlyName=x&IpAddress=10.0.0.1&CidrPrefixLength=-1", "21202", "negative"},
      {ips, "FriendlyName=x&IpAddress=10.0.0.1&CidrPrefixLength=abc", "21202", "not a number"},
  };
  for (const Row& row : rows) {
    const Response r = Call("POST", row.path, row.body);
    EXPECT_EQ(r.status, 400) << row.comment << ": " << r.body;
    EXPECT_EQ(r.At("/code"), row.code) << row.comment << ": " << r.body;
    EXPECT_EQ(r.At("/status"), "400") << row.comment;
    EXPECT_NE(r.At("/message"), "") << row.comment;
    EXPECT_EQ(r.body.find(kPassword), std::string::npos) << row.comment;
  }
  const Response missing = Call("POST", a + "/Domains", "");
  EXPECT_NE(missing.At("/message").find("DomainName"), std::string::npos) << missing.body;
  EXPECT_EQ(changes_, writes);
  EXPECT_GE(server_->counters().client_errors, std::size(rows));
}

TEST_F(ApiTest, ResourceLimitsAreEnforced) {
  for (uint32_t i = 0; i < kMaxDomainsPerAccount; ++i) {
    Domain d;
    d.account_sid = kAccountA;
    d.domain_name = std::to_string(i);  // (not "d" + ...: g++ 12 -Wrestrict false positive)
    d.domain_name.insert(0, 1, 'd');
    d.domain_name.append(".limits.example.com");
    ASSERT_TRUE(direct_->CreateDomain(d).ok()) << i;
  }
  const Response over =
      Call("POST", Sip(kAccountA) + "/Domains", "DomainName=one.more.example.com");
  EXPECT_EQ(over.status, 400) << over.body;
  EXPECT_EQ(over.At("/code"), "21204");
  // The limit is per account.
  EXPECT_EQ(
      Call("POST", Sip(kAccountB) + "/Domains", "DomainName=b.limits.example.com", As(kAccountB))
          .status,
      201);

  CredentialList l;
  l.account_sid = kAccountB;
  l.friendly_name = "big";
  auto list = direct_->CreateCredentialList(l);
  ASSERT_TRUE(list.ok());
  for (uint32_t i = 0; i < kMaxCredentialsPerList; ++i) {
    ASSERT_TRUE(
        direct_
            ->CreateCredential(kAccountB, list->sid, std::to_string(i).insert(0, 1, 'u'), kPassword)
            .ok())
        << i;
  }
  const Response full =
      Call("POST", Sip(kAccountB) + "/CredentialLists/" + list->sid + "/Credentials",
           "Username=extra&Password=" + std::string(kPassword), As(kAccountB));
  EXPECT_EQ(full.status, 400) << full.body;
  EXPECT_EQ(full.At("/code"), "21204");
  EXPECT_EQ(
      Call("GET",
           Sip(kAccountB) + "/CredentialLists/" + list->sid + "/Credentials?PageSize=1000&Page=0",
           "", As(kAccountB))
          .Count("/credentials"),
      1000u);
  EXPECT_EQ(changes_, 1);
}

// ---- bodies ----

TEST_F(ApiTest, MalformedFormBodiesAreRejected) {
  const std::string domains = Sip(kAccountA) + "/Domains";
  for (const char* body :
       {"DomainName=%zz.example.com", "DomainName=x.example.com%", "DomainName=x.example.com%4",
        "DomainName=%ff%fe.example.com", "FriendlyName=%c3%28&DomainName=x.example.com",
        "Domain%gName=x.example.com"}) {
    const Response r = Call("POST", domains, body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(r.At("/code"), "21205") << body;
  }
  const Response json = Call("POST", domains, "{\"DomainName\":\"x.example.com\"}", As(kAccountA),
                             {"Content-Type: application/json"});
  EXPECT_EQ(json.status, 415);
  EXPECT_EQ(json.At("/code"), "21207");
  // '+' and %XX decode; UTF-8 passes through and is escaped correctly in JSON.
  const Response ok =
      Call("POST", domains, "DomainName=plus.example.com&FriendlyName=Caf%C3%A9+%22HQ%22+%5C",
           As(kAccountA), {"Content-Type: application/x-www-form-urlencoded; charset=utf-8"});
  ASSERT_EQ(ok.status, 201) << ok.body;
  EXPECT_EQ(ok.At("/friendly_name"), "Caf\xC3\xA9 \"HQ\" \\");
  EXPECT_NE(ok.body.find(R"("Café \"HQ\" \\")"), std::string::npos) << ok.body;
  EXPECT_EQ(changes_, 1);
}

TEST_F(ApiTest, OversizedBodiesGet413) {
  const std::string domains = Sip(kAccountA) + "/Domains";
  const std::string big = "DomainName=big.example.com&FriendlyName=" + std::string(70 * 1024, 'x');
  const Response declared = Call("POST", domains, big);
  EXPECT_EQ(declared.status, 413);
  EXPECT_EQ(declared.At("/code"), "21206");
  const Response chunked = Call("POST", domains, big, As(kAccountA), {}, /*chunked=*/true);
  EXPECT_EQ(chunked.status, 413);
  // A body just under the cap is read (and then refused for its content, not its size).
  const Response under =
      Call("POST", domains, "DomainName=big.example.com&FriendlyName=" + std::string(60000, 'x'));
  EXPECT_EQ(under.status, 400);
  EXPECT_EQ(Call("POST", domains, "DomainName=small.example.com", As(kAccountA), {}, true).status,
            201);
  EXPECT_EQ(changes_, 1);
}

// ---- registrations ----

TEST_F(ApiTest, RegistrationsListsLiveBindings) {
  const std::string sd = Create(Sip(kAccountA) + "/Domains", "DomainName=reg.example.com");
  const std::string path = Sip(kAccountA) + "/Domains/" + sd + "/Registrations";
  // Not loaded by the workers yet.
  Response r = Call("GET", path + "?Aor=alice");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.headers.at("retry-after"), "1");
  EXPECT_EQ(r.At("/code"), "20503");

  registrations_.Load("reg.example.com");
  LiveBinding b;
  b.contact = "sip:alice@192.0.2.1:5060;transport=udp";
  b.expires = 3599;
  b.source = "192.0.2.1:5060";
  b.transport = "udp";
  b.user_agent = "Phone \"1\"";
  b.q = 500;
  b.date_updated = 1437413230;  // Mon, 20 Jul 2015 17:27:10 +0000
  registrations_.Bind("reg.example.com", "alice", b);
  b.contact = "sip:alice@[2001:db8::1]:5061;transport=tls";
  b.source = "[2001:db8::1]:5061";
  b.transport = "tls";
  b.user_agent = "";
  b.instance = "<urn:uuid:00000000-0000-1000-8000-000A95A0E128>";
  b.q = -1;
  registrations_.Bind("reg.example.com", "alice", b);

  r = Call("GET", path + ".json?Aor=alice");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Count("/registrations"), 2u);
  EXPECT_EQ(r.At("/registrations/0/aor"), "sip:alice@reg.example.com");
  EXPECT_EQ(r.At("/registrations/0/contact"), "sip:alice@192.0.2.1:5060;transport=udp");
  EXPECT_EQ(r.At("/registrations/0/expires"), "3599");
  EXPECT_EQ(r.At("/registrations/0/source"), "192.0.2.1:5060");
  EXPECT_EQ(r.At("/registrations/0/transport"), "udp");
  EXPECT_EQ(r.At("/registrations/0/user_agent"), "Phone \"1\"");
  EXPECT_EQ(r.At("/registrations/0/instance"), "<null>");
  EXPECT_EQ(r.At("/registrations/0/q"), "0.5");
  EXPECT_EQ(r.At("/registrations/0/date_updated"), "Mon, 20 Jul 2015 17:27:10 +0000");
  EXPECT_EQ(r.At("/registrations/1/user_agent"), "<null>");
  EXPECT_EQ(r.At("/registrations/1/q"), "<null>");
  EXPECT_EQ(r.At("/registrations/1/instance"), "<urn:uuid:00000000-0000-1000-8000-000A95A0E128>");
  EXPECT_EQ(r.At("/uri"), path + ".json?Aor=alice&PageSize=50&Page=0");

  Response paged = Call("GET", path + "?Aor=sip:alice@REG.example.com&PageSize=1&Page=1");
  EXPECT_EQ(paged.Count("/registrations"), 1u);
  EXPECT_EQ(paged.At("/registrations/0/transport"), "tls");
  EXPECT_EQ(paged.At("/next_page_uri"), "<null>");
  EXPECT_EQ(Call("GET", path + "?Aor=nobody").Count("/registrations"), 0u);

  EXPECT_EQ(Call("GET", path).status, 400);
  EXPECT_EQ(Call("GET", path).At("/code"), "21201");
  EXPECT_EQ(Call("GET", path + "?Aor=sip:alice@other.example.com").status, 400);
  EXPECT_EQ(Call("GET", path + "?Aor=a%20b").status, 400);
  // Another account's domain is not found, and its bindings are never looked up.
  const int lookups = registrations_.lookups();
  EXPECT_EQ(
      Call("GET", Sip(kAccountB) + "/Domains/" + sd + "/Registrations?Aor=alice", "", As(kAccountB))
          .status,
      404);
  EXPECT_EQ(registrations_.lookups(), lookups);
  EXPECT_EQ(changes_, 1);

  // Without a source (the workers are not wired up) the resource answers 503.
  StartServer(nullptr);
  EXPECT_EQ(Call("GET", path + "?Aor=alice").status, 503);
}

// ---- server ----

TEST_F(ApiTest, CountersAndBindOptions) {
  Call("GET", "/healthz");
  Call("GET", Sip(kAccountA) + "/Domains", "", kNoAuth);
  Call("GET", Sip(kAccountA) + "/Nothing");
  const ApiServer::Counters c = server_->counters();
  EXPECT_EQ(c.requests, 3u);
  EXPECT_EQ(c.unauthorized, 1u);
  EXPECT_EQ(c.client_errors, 1u);
  EXPECT_EQ(c.server_errors, 0u);

  auto store = Store::Open(url_);
  ASSERT_TRUE(store.ok());
  ApiOptions named;
  named.listen = "localhost:80";  // numeric hosts only
  EXPECT_FALSE(ApiServer::Start(named, std::move(*store), {}, nullptr).ok());
  store = Store::Open(url_);
  ASSERT_TRUE(store.ok());
  // The port in use is refused with a status, not a crash.
  ApiOptions taken;
  taken.listen = "127.0.0.1:" + std::to_string(server_->port());
  EXPECT_FALSE(ApiServer::Start(taken, std::move(*store), {}, nullptr).ok());
}

TEST_F(ApiTest, StoppingClosesTheListeningSocket) {
  const uint16_t port = server_->port();
  server_.reset();
  ApiOptions again;
  again.listen = "127.0.0.1:" + std::to_string(port);
  auto store = Store::Open(url_);
  ASSERT_TRUE(store.ok());
  auto server = ApiServer::Start(again, std::move(*store), {}, nullptr);
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = std::move(*server);
  EXPECT_EQ(server_->port(), port);
  EXPECT_EQ(Call("GET", "/healthz", "", kNoAuth).status, 200);
}

TEST_F(ApiTest, ListensOnIpv6) {
  ApiOptions options;
  options.listen = "[::1]:0";
  auto store = Store::Open(url_);
  ASSERT_TRUE(store.ok());
  auto server = ApiServer::Start(options, std::move(*store), {}, nullptr);
  if (!server.ok()) {
    GTEST_SKIP() << "no IPv6 loopback: " << server.status();
  }
  server_ = std::move(*server);
  const Response r = Call("GET", "/healthz", "", kNoAuth, {}, false, "[::1]");
  EXPECT_EQ(r.status, 200);
}

}  // namespace
}  // namespace sipfront::control
