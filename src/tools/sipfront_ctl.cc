// sipfront-ctl — the operators' CLI over the REST provisioning API (docs/sipfront-ctl.md).
//
// Each command is one or a few calls under /2010-04-01/Accounts/{AccountSid}/SIP/... (the
// hosted product's resources, docs/api.md); "user add" is the composite an operator wants
// (find or create the domain's credential list, map it for registrations, add the
// credential). Lists follow next_page_uri to the last page. Human-readable tables by default,
// the API's JSON with --json.
//
// Exit status: 0 done; 1 the API refused (its message and code on stderr) or a named resource
// does not exist; 2 usage or local input error; 3 the API could not be reached.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <openssl/rand.h>

#include "ctl_http.h"
#include "ctl_json.h"

namespace {

using sipfront::ctl::ApiError;
using sipfront::ctl::Fields;
using sipfront::ctl::Http;
using sipfront::ctl::HttpResult;
using sipfront::ctl::ListPage;
using sipfront::ctl::Method;
using sipfront::ctl::Record;

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitUnreachable = 3;

constexpr std::string_view kDefaultApi = "http://127.0.0.1:8080";
constexpr uint32_t kMaxPageSize = 1000;  // the hosted API's bound
constexpr std::size_t kMaxFriendlyName = 64;
constexpr std::size_t kGeneratedPasswordLength = 20;

constexpr std::string_view kGlobalUsage =
    "usage: sipfront-ctl [--api URL] [--account SID] [--token TOKEN | --token-file FILE]\n"
    "                    [--json] [--timeout S] [--page-size N] COMMAND ARGS...\n";

constexpr std::string_view kHelpTail =
    "\n"
    "Connection: --api (else $SIPFRONT_API, else http://127.0.0.1:8080), --account (else\n"
    "$SIPFRONT_ACCOUNT_SID), --token-file or $SIPFRONT_AUTH_TOKEN (--token shows in ps).\n"
    "--json prints the API's JSON instead of tables. Exit: 0 done, 1 refused by the API or not\n"
    "found, 2 usage error, 3 API unreachable. See docs/sipfront-ctl.md.\n";

// ---------------------------------------------------------------------------------------
// Command line

struct OptionSpec {
  std::string_view name;
  bool takes_value;
  bool global;
};

constexpr OptionSpec kOptions[] = {
    {"api", true, true},
    {"account", true, true},
    {"token", true, true},
    {"token-file", true, true},
    {"json", false, true},
    {"timeout", true, true},
    {"page-size", true, true},
    {"help", false, true},
    {"friendly-name", true, false},
    {"voice-url", true, false},
    {"voice-method", true, false},
    {"voice-fallback-url", true, false},
    {"voice-status-callback-url", true, false},
    {"no-registration", false, false},
    {"registration", true, false},
    {"password", true, false},
    {"password-file", true, false},
    {"list", true, false},
    {"for", true, false},
};

const OptionSpec* FindOption(std::string_view name) {
  for (const OptionSpec& o : kOptions) {
    if (o.name == name) {
      return &o;
    }
  }
  return nullptr;
}

struct Args {
  std::vector<std::string> positional;  // the command words, then its arguments
  std::map<std::string, std::string, std::less<>> options;

  [[nodiscard]] bool Has(std::string_view name) const { return options.contains(name); }
  [[nodiscard]] std::optional<std::string> Get(std::string_view name) const {
    const auto it = options.find(name);
    if (it == options.end()) {
      return std::nullopt;
    }
    return it->second;
  }
  // The arguments after the command words.
  [[nodiscard]] const std::string& Arg(std::size_t i) const { return positional[words + i]; }
  std::size_t words = 0;
};

// "" or why the command line is malformed.
std::string ParseArgs(int argc, char** argv, Args& out) {
  bool options_done = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (options_done || a == "-" || !a.starts_with("-")) {
      out.positional.emplace_back(a);
      continue;
    }
    if (a == "--") {
      options_done = true;
      continue;
    }
    if (a == "-h") {
      out.options["help"] = "";
      continue;
    }
    if (!a.starts_with("--")) {
      return "unknown option " + std::string(a);
    }
    std::string_view name = a.substr(2);
    std::optional<std::string> value;
    if (const std::size_t eq = name.find('='); eq != std::string_view::npos) {
      value = std::string(name.substr(eq + 1));
      name = name.substr(0, eq);
    }
    const OptionSpec* spec = FindOption(name);
    if (spec == nullptr) {
      return "unknown option --" + std::string(name);
    }
    if (spec->takes_value && !value) {
      if (i + 1 >= argc) {
        return "--" + std::string(name) + " needs a value";
      }
      value = argv[++i];
    } else if (!spec->takes_value && value) {
      return "--" + std::string(name) + " takes no value";
    }
    out.options[std::string(name)] = value.value_or("");
  }
  return {};
}

// ---------------------------------------------------------------------------------------
// Talking to the API

struct Ctx {
  Http* http = nullptr;
  std::string account;
  bool json = false;
  uint32_t page_size = kMaxPageSize;
};

// Where every resource of the account lives.
std::string SipPath(Ctx& c, std::string_view rest) {
  return "/2010-04-01/Accounts/" + c.http->Escape(c.account) + "/SIP/" + std::string(rest);
}

void Fail(std::string_view message) { std::cerr << "sipfront-ctl: " << message << '\n'; }

// One call; returns kExitOk with the body in `body`, or prints why and returns the exit code.
int Call(Ctx& c, Method method, std::string_view target, const Fields& fields, std::string& body) {
  HttpResult r = c.http->Perform(method, target, fields);
  if (!r.reached) {
    Fail("cannot reach the API at " + r.url + ": " + r.error);
    return kExitUnreachable;
  }
  if (r.status >= 200 && r.status < 300) {
    body = std::move(r.body);
    return kExitOk;
  }
  ApiError e;
  if (ParseApiError(r.body, e)) {
    std::string line = e.message + " (";
    if (!e.code.empty()) {
      line += "code " + e.code + ", ";
    }
    line += "HTTP " + std::to_string(r.status) + ")";
    Fail(line);
    if (!e.more_info.empty()) {
      std::cerr << "  more info: " << e.more_info << '\n';
    }
  } else {
    std::string excerpt = r.body.substr(0, 200);
    std::replace(excerpt.begin(), excerpt.end(), '\n', ' ');
    Fail("HTTP " + std::to_string(r.status) + " from " + r.url +
         (excerpt.empty() ? std::string() : ": " + excerpt));
  }
  return kExitFailed;
}

int CallRecord(Ctx& c, Method method, std::string_view target, const Fields& fields, Record& out) {
  std::string body;
  if (const int rc = Call(c, method, target, fields, body); rc != kExitOk) {
    return rc;
  }
  if (const std::string error = sipfront::ctl::ParseRecord(body, out); !error.empty()) {
    Fail("unexpected response from " + std::string(target) + ": " + error);
    return kExitFailed;
  }
  return kExitOk;
}

int Delete(Ctx& c, std::string_view target) {
  std::string body;
  return Call(c, Method::kDelete, target, {}, body);
}

// Every item of a list resource: the first page, then each next_page_uri.
int ListAll(Ctx& c, const std::string& path, std::vector<Record>& items) {
  std::string target = path + (path.find('?') == std::string::npos ? '?' : '&') +
                       "PageSize=" + std::to_string(c.page_size);
  std::vector<std::string> seen;
  for (;;) {
    std::string body;
    if (const int rc = Call(c, Method::kGet, target, {}, body); rc != kExitOk) {
      return rc;
    }
    ListPage page;
    if (const std::string error = sipfront::ctl::ParseListPage(body, page); !error.empty()) {
      Fail("unexpected response from " + target + ": " + error);
      return kExitFailed;
    }
    for (Record& r : page.items) {
      items.push_back(std::move(r));
    }
    if (page.next_page_uri.empty() || page.items.empty()) {
      return kExitOk;
    }
    seen.push_back(std::move(target));
    if (std::find(seen.begin(), seen.end(), page.next_page_uri) != seen.end()) {
      Fail("the API's next_page_uri repeats a page: " + page.next_page_uri);
      return kExitFailed;
    }
    target = page.next_page_uri;
  }
}

// ---------------------------------------------------------------------------------------
// Output

void PrintTable(const std::vector<std::string>& head,
                const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width(head.size());
  for (std::size_t i = 0; i < head.size(); ++i) {
    width[i] = head[i].size();
    for (const auto& row : rows) {
      width[i] = std::max(width[i], row[i].size());
    }
  }
  const auto print_row = [&width](const std::vector<std::string>& row) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) {
        line.append(width[i] - row[i].size() + 2, ' ');
      }
    }
    while (!line.empty() && line.back() == ' ') {
      line.pop_back();
    }
    std::cout << line << '\n';
  };
  print_row(head);
  for (const auto& row : rows) {
    print_row(row);
  }
}

void PrintJsonArray(const std::vector<Record>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    out += (i == 0 ? "" : ",");
    out += items[i].raw;
  }
  std::cout << out << "]\n";
}

// `fields` of `r` one per line ("name: value"), those the API returned.
void PrintFields(const Record& r, std::initializer_list<std::string_view> fields) {
  std::size_t w = 0;
  for (std::string_view f : fields) {
    w = std::max(w, f.size());
  }
  for (std::string_view f : fields) {
    const auto it = std::find_if(r.fields.begin(), r.fields.end(),
                                 [f](const auto& kv) { return kv.first == f; });
    if (it != r.fields.end()) {
      std::cout << f << ':';
      if (!it->second.empty()) {
        std::cout << std::string(w - f.size() + 1, ' ') << it->second;
      }
      std::cout << '\n';
    }
  }
}

// A POST whose answer is one resource: with --json its body as the API sent it, else the
// parsed record handed to `print`.
template <class Print>
int PostAndPrint(Ctx& c, const std::string& target, const Fields& fields, Print print) {
  std::string body;
  if (const int rc = Call(c, Method::kPost, target, fields, body); rc != kExitOk) {
    return rc;
  }
  if (c.json) {
    std::cout << body << '\n';
    return kExitOk;
  }
  Record r;
  if (const std::string error = sipfront::ctl::ParseRecord(body, r); !error.empty()) {
    Fail("unexpected response: " + error);
    return kExitFailed;
  }
  print(r);
  return kExitOk;
}

// Every item of a list resource: with --json a JSON array, else a table of `row(item)`.
template <class Row>
int ListAsTable(Ctx& c, const std::string& path, const std::vector<std::string>& head, Row row) {
  std::vector<Record> all;
  if (const int rc = ListAll(c, path, all); rc != kExitOk) {
    return rc;
  }
  if (c.json) {
    PrintJsonArray(all);
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const Record& r : all) {
    rows.push_back(row(r));
  }
  PrintTable(head, rows);
  return kExitOk;
}

// DELETE, then (without --json) say what went.
int DeleteAndSay(Ctx& c, const std::string& target, const std::string& said) {
  if (const int rc = Delete(c, target); rc != kExitOk) {
    return rc;
  }
  if (!c.json) {
    std::cout << said << '\n';
  }
  return kExitOk;
}

std::string OnOff(std::string_view b) { return b == "true" ? "on" : b == "false" ? "off" : ""; }

// ---------------------------------------------------------------------------------------
// Names and SIDs

// A SID of `prefix` ("SD", "CL", ...): the prefix and 32 hex digits.
bool IsSid(std::string_view s, std::string_view prefix) {
  if (s.size() != prefix.size() + 32 || !s.starts_with(prefix)) {
    return false;
  }
  return std::all_of(s.begin() + static_cast<std::ptrdiff_t>(prefix.size()), s.end(),
                     [](char ch) { return std::isxdigit(static_cast<unsigned char>(ch)) != 0; });
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& ch : out) {
    ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  return out;
}

// A domain by SID or by domain_name.
int ResolveDomain(Ctx& c, std::string_view arg, Record& out) {
  if (IsSid(arg, "SD")) {
    return CallRecord(c, Method::kGet, SipPath(c, "Domains/" + std::string(arg)), {}, out);
  }
  std::vector<Record> all;
  if (const int rc = ListAll(c, SipPath(c, "Domains"), all); rc != kExitOk) {
    return rc;
  }
  const std::string want = Lower(arg);
  for (Record& r : all) {
    if (Lower(r.Get("domain_name")) == want) {
      out = std::move(r);
      return kExitOk;
    }
  }
  Fail("no domain " + std::string(arg) + " in account " + c.account);
  return kExitFailed;
}

// A credential list ("CredentialLists", "CL") or IP ACL ("IpAccessControlLists", "AL") by SID
// or by friendly_name. With `found` non-null a name that matches nothing is not an error
// (*found = false).
int ResolveList(Ctx& c, std::string_view collection, std::string_view prefix, std::string_view what,
                std::string_view arg, Record& out, bool* found) {
  if (found != nullptr) {
    *found = true;
  }
  if (IsSid(arg, prefix)) {
    return CallRecord(c, Method::kGet, SipPath(c, std::string(collection) + "/" + std::string(arg)),
                      {}, out);
  }
  std::vector<Record> all;
  if (const int rc = ListAll(c, SipPath(c, collection), all); rc != kExitOk) {
    return rc;
  }
  std::vector<Record*> matches;
  for (Record& r : all) {
    if (r.Get("friendly_name") == arg) {
      matches.push_back(&r);
    }
  }
  if (matches.size() > 1) {
    Fail(std::to_string(matches.size()) + " " + std::string(what) + "s are named \"" +
         std::string(arg) + "\"; give a SID");
    return kExitFailed;
  }
  if (matches.empty()) {
    if (found != nullptr) {
      *found = false;
      return kExitOk;
    }
    Fail("no " + std::string(what) + " \"" + std::string(arg) + "\" in account " + c.account);
    return kExitFailed;
  }
  out = std::move(*matches.front());
  return kExitOk;
}

// The SID of the list a mapping names (the hosted API gives it as the mapping's "sid").
std::string MappedSid(const Record& m, std::string_view list_field) {
  const std::string_view s = m.Get(list_field);
  return std::string(s.empty() ? m.Get("sid") : s);
}

// ---------------------------------------------------------------------------------------
// Passwords

bool MeetsPolicy(std::string_view p) {
  const auto has = [p](int (*cls)(int)) {
    return std::any_of(p.begin(), p.end(),
                       [cls](char ch) { return cls(static_cast<unsigned char>(ch)) != 0; });
  };
  return p.size() >= 12 && has(&isupper) && has(&islower) && has(&isdigit);
}

// kGeneratedPasswordLength characters from an alphabet without look-alikes (0/O, 1/l/I),
// drawn with RAND_bytes without modulo bias, until the policy holds. Empty on RNG failure.
std::string GeneratePassword() {
  constexpr std::string_view kAlphabet =
      "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
  constexpr unsigned kLimit = 256 - 256 % kAlphabet.size();
  for (;;) {
    std::string p;
    while (p.size() < kGeneratedPasswordLength) {
      unsigned char buf[64];
      if (RAND_bytes(buf, sizeof(buf)) != 1) {
        return {};
      }
      for (unsigned char b : buf) {
        if (b < kLimit && p.size() < kGeneratedPasswordLength) {
          p += kAlphabet[b % kAlphabet.size()];
        }
      }
    }
    if (MeetsPolicy(p)) {
      return p;
    }
  }
}

// The first line of `path` ("-": standard input), without its line end.
bool ReadFirstLine(const std::string& path, std::string& out) {
  if (path == "-") {
    if (!std::getline(std::cin, out)) {
      return false;
    }
  } else {
    std::ifstream f(path);
    if (!f || !std::getline(f, out)) {
      return false;
    }
  }
  while (!out.empty() && (out.back() == '\r' || out.back() == '\n')) {
    out.pop_back();
  }
  return true;
}

// The password a command sets: --password, --password-file, or a generated one
// (`generated` set). Returns kExitOk or prints why and returns the exit code.
int PickPassword(const Args& a, std::string& password, bool& generated) {
  generated = false;
  if (a.Has("password") && a.Has("password-file")) {
    Fail("give --password or --password-file, not both");
    return kExitUsage;
  }
  if (auto p = a.Get("password")) {
    password = *p;
  } else if (auto file = a.Get("password-file")) {
    if (!ReadFirstLine(*file, password) || password.empty()) {
      Fail("cannot read a password from " + *file);
      return kExitUsage;
    }
  } else {
    password = GeneratePassword();
    if (password.empty()) {
      Fail("RAND_bytes failed: no password generated");
      return kExitFailed;
    }
    generated = true;
  }
  return kExitOk;
}

// ---------------------------------------------------------------------------------------
// domain

int DomainOptionsToFields(const Args& a, Fields& f) {
  static constexpr std::pair<std::string_view, std::string_view> kMap[] = {
      {"friendly-name", "FriendlyName"},
      {"voice-url", "VoiceUrl"},
      {"voice-method", "VoiceMethod"},
      {"voice-fallback-url", "VoiceFallbackUrl"},
      {"voice-status-callback-url", "VoiceStatusCallbackUrl"},
  };
  for (const auto& [option, field] : kMap) {
    if (auto v = a.Get(option)) {
      f.emplace_back(field, *v);
    }
  }
  return kExitOk;
}

void PrintDomain(const Record& d) {
  Record shown = d;
  for (auto& [k, v] : shown.fields) {
    if (k == "sip_registration") {
      v = OnOff(v);
    }
  }
  PrintFields(shown, {"sid", "domain_name", "friendly_name", "sip_registration", "voice_url",
                      "voice_method", "voice_fallback_url", "voice_status_callback_url", "secure",
                      "date_created", "date_updated"});
}

int DomainCreate(Ctx& c, const Args& a) {
  Fields f = {{"DomainName", a.Arg(0)}};
  DomainOptionsToFields(a, f);
  f.emplace_back("SipRegistration", a.Has("no-registration") ? "false" : "true");
  return PostAndPrint(c, SipPath(c, "Domains"), f, PrintDomain);
}

int DomainList(Ctx& c, const Args&) {
  return ListAsTable(
      c, SipPath(c, "Domains"), {"SID", "DOMAIN", "REGISTRATION", "FRIENDLY NAME", "VOICE URL"},
      [](const Record& d) -> std::vector<std::string> {
        return {std::string(d.Get("sid")), std::string(d.Get("domain_name")),
                OnOff(d.Get("sip_registration")), std::string(d.Get("friendly_name")),
                std::string(d.Get("voice_url"))};
      });
}

struct MappingKindSpec {
  std::string_view label;  // as `domain show` prints it
  std::string_view path;   // under Domains/{SD}/
  std::string_view list_field;
};
constexpr MappingKindSpec kMappingKinds[] = {
    {"registrations: credential lists", "Auth/Registrations/CredentialListMappings",
     "credential_list_sid"},
    {"registrations: ip acls", "Auth/Registrations/IpAccessControlListMappings",
     "ip_access_control_list_sid"},
    {"calls: credential lists", "Auth/Calls/CredentialListMappings", "credential_list_sid"},
    {"calls: ip acls", "Auth/Calls/IpAccessControlListMappings", "ip_access_control_list_sid"},
};

int DomainShow(Ctx& c, const Args& a) {
  Record d;
  if (const int rc = ResolveDomain(c, a.Arg(0), d); rc != kExitOk) {
    return rc;
  }
  if (c.json) {
    std::cout << d.raw << '\n';
    return kExitOk;
  }
  PrintDomain(d);
  const std::string base = "Domains/" + std::string(d.Get("sid")) + "/";
  for (const MappingKindSpec& k : kMappingKinds) {
    std::vector<Record> maps;
    if (const int rc = ListAll(c, SipPath(c, base + std::string(k.path)), maps); rc != kExitOk) {
      return rc;
    }
    std::string line;
    for (const Record& m : maps) {
      line += (line.empty() ? "" : ", ") + MappedSid(m, k.list_field);
      if (!m.Get("friendly_name").empty()) {
        line += " (" + std::string(m.Get("friendly_name")) + ")";
      }
    }
    std::cout << k.label << ": " << (line.empty() ? "none" : line) << '\n';
  }
  return kExitOk;
}

int DomainUpdate(Ctx& c, const Args& a) {
  Fields f;
  DomainOptionsToFields(a, f);
  if (auto reg = a.Get("registration")) {
    if (*reg != "on" && *reg != "off") {
      Fail("--registration takes on or off");
      return kExitUsage;
    }
    f.emplace_back("SipRegistration", *reg == "on" ? "true" : "false");
  }
  if (f.empty()) {
    Fail(
        "nothing to update: give --friendly-name, --voice-url, --voice-method, "
        "--voice-fallback-url, --voice-status-callback-url or --registration");
    return kExitUsage;
  }
  Record d;
  if (const int rc = ResolveDomain(c, a.Arg(0), d); rc != kExitOk) {
    return rc;
  }
  return PostAndPrint(c, SipPath(c, "Domains/" + std::string(d.Get("sid"))), f, PrintDomain);
}

int DomainDelete(Ctx& c, const Args& a) {
  Record d;
  if (const int rc = ResolveDomain(c, a.Arg(0), d); rc != kExitOk) {
    return rc;
  }
  return DeleteAndSay(c, SipPath(c, "Domains/" + std::string(d.Get("sid"))),
                      "deleted domain " + std::string(d.Get("sid")) + " (" +
                          std::string(d.Get("domain_name")) + ")");
}

// ---------------------------------------------------------------------------------------
// user

std::string RegistrationMappingsPath(Ctx& c, const Record& domain) {
  return SipPath(c, "Domains/" + std::string(domain.Get("sid")) +
                        "/Auth/Registrations/CredentialListMappings");
}

// The friendly name of the list `user add` uses by default.
std::string DefaultListName(const Record& domain) {
  std::string name = std::string(domain.Get("domain_name")) + " users";
  if (name.size() > kMaxFriendlyName) {
    name = "users of " + std::string(domain.Get("sid"));  // unique, and fits
  }
  return name;
}

struct UserMatch {
  std::string list_sid;
  std::string list_name;
  Record credential;
};

// The credentials named `username` in the lists mapped to `domain` for registrations (every
// one of them: a username may sit in more than one mapped list).
int FindUser(Ctx& c, const Record& domain, std::string_view username, std::vector<UserMatch>& out) {
  std::vector<Record> maps;
  if (const int rc = ListAll(c, RegistrationMappingsPath(c, domain), maps); rc != kExitOk) {
    return rc;
  }
  for (const Record& m : maps) {
    const std::string list = MappedSid(m, "credential_list_sid");
    std::vector<Record> creds;
    if (const int rc = ListAll(c, SipPath(c, "CredentialLists/" + list + "/Credentials"), creds);
        rc != kExitOk) {
      return rc;
    }
    for (Record& cr : creds) {
      if (username.empty() || cr.Get("username") == username) {
        out.push_back({list, std::string(m.Get("friendly_name")), std::move(cr)});
      }
    }
  }
  return kExitOk;
}

// The domain `a.Arg(0)` and the credentials of user `a.Arg(1)` in it; none is a failure.
int ResolveUser(Ctx& c, const Args& a, Record& domain, std::vector<UserMatch>& users) {
  if (const int rc = ResolveDomain(c, a.Arg(0), domain); rc != kExitOk) {
    return rc;
  }
  if (const int rc = FindUser(c, domain, a.Arg(1), users); rc != kExitOk) {
    return rc;
  }
  if (users.empty()) {
    Fail("no user " + a.Arg(1) + " in the lists mapped to " +
         std::string(domain.Get("domain_name")) + " for registrations");
    return kExitFailed;
  }
  return kExitOk;
}

int UserAdd(Ctx& c, const Args& a) {
  const std::string& username = a.Arg(1);
  std::string password;
  bool generated = false;
  if (const int rc = PickPassword(a, password, generated); rc != kExitOk) {
    return rc;
  }
  Record domain;
  if (const int rc = ResolveDomain(c, a.Arg(0), domain); rc != kExitOk) {
    return rc;
  }
  // The list: --list (SID or name; a name not found is created), else "<domain> users".
  const std::string list_arg = a.Get("list").value_or(DefaultListName(domain));
  Record list;
  bool found = false;
  if (const int rc = ResolveList(c, "CredentialLists", "CL", "credential list", list_arg, list,
                                 IsSid(list_arg, "CL") ? nullptr : &found);
      rc != kExitOk) {
    return rc;
  }
  const bool list_created = !IsSid(list_arg, "CL") && !found;
  if (list_created) {
    if (const int rc = CallRecord(c, Method::kPost, SipPath(c, "CredentialLists"),
                                  {{"FriendlyName", list_arg}}, list);
        rc != kExitOk) {
      return rc;
    }
  }
  const std::string list_sid(list.Get("sid"));
  std::string cred_body;
  if (const int rc =
          Call(c, Method::kPost, SipPath(c, "CredentialLists/" + list_sid + "/Credentials"),
               {{"Username", username}, {"Password", password}}, cred_body);
      rc != kExitOk) {
    if (list_created && rc == kExitFailed) {  // leave nothing half-made behind
      static_cast<void>(
          c.http->Perform(Method::kDelete, SipPath(c, "CredentialLists/" + list_sid), {}));
    }
    return rc;
  }
  // Map the list for registrations unless it is already.
  std::vector<Record> maps;
  if (const int rc = ListAll(c, RegistrationMappingsPath(c, domain), maps); rc != kExitOk) {
    Fail("the credential was created in list " + list_sid + " but the list's mapping to " +
         std::string(domain.Get("domain_name")) + " could not be checked");
    return rc;
  }
  const bool mapped = std::any_of(maps.begin(), maps.end(), [&list_sid](const Record& m) {
    return MappedSid(m, "credential_list_sid") == list_sid;
  });
  if (!mapped) {
    Record mapping;
    if (const int rc = CallRecord(c, Method::kPost, RegistrationMappingsPath(c, domain),
                                  {{"CredentialListSid", list_sid}}, mapping);
        rc != kExitOk) {
      Fail("the credential was created in list " + list_sid +
           " but the list could not be "
           "mapped to " +
           std::string(domain.Get("domain_name")) + " for registrations");
      return rc;
    }
  }
  Record cred;
  if (const std::string error = sipfront::ctl::ParseRecord(cred_body, cred); !error.empty()) {
    Fail("unexpected response: " + error);
    return kExitFailed;
  }
  if (c.json) {
    std::string out = "{\"credential\":" + cred.raw + ",\"credential_list\":" + list.raw +
                      ",\"list_created\":" + (list_created ? "true" : "false") +
                      ",\"mapping_created\":" + (mapped ? "false" : "true") + ",\"password\":";
    if (generated) {
      sipfront::ctl::AppendJsonString(out, password);
    } else {
      out += "null";
    }
    std::cout << out << "}\n";
  } else {
    std::cout << "added " << username << '@' << domain.Get("domain_name") << " (credential "
              << cred.Get("sid") << " in list " << list_sid << " \"" << list.Get("friendly_name")
              << "\"" << (list_created ? ", list created" : "")
              << (mapped ? "" : ", list mapped for registrations") << ")\n";
    if (generated) {
      std::cout << "password: " << password << "\n(shown once: it is not stored anywhere)\n";
    }
  }
  if (domain.Get("sip_registration") == "false") {
    std::cerr << "sipfront-ctl: note: registration is off for " << domain.Get("domain_name")
              << " (sipfront-ctl domain update " << domain.Get("domain_name")
              << " --registration on)\n";
  }
  return kExitOk;
}

int UserList(Ctx& c, const Args& a) {
  Record domain;
  if (const int rc = ResolveDomain(c, a.Arg(0), domain); rc != kExitOk) {
    return rc;
  }
  std::vector<UserMatch> users;
  if (const int rc = FindUser(c, domain, "", users); rc != kExitOk) {
    return rc;
  }
  if (c.json) {
    std::vector<Record> creds;
    for (UserMatch& u : users) {
      creds.push_back(std::move(u.credential));
    }
    PrintJsonArray(creds);
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const UserMatch& u : users) {
    rows.push_back({std::string(u.credential.Get("username")), std::string(u.credential.Get("sid")),
                    u.list_sid, u.list_name});
  }
  PrintTable({"USERNAME", "CREDENTIAL", "LIST", "LIST NAME"}, rows);
  return kExitOk;
}

int UserPasswd(Ctx& c, const Args& a) {
  std::string password;
  bool generated = false;
  if (const int rc = PickPassword(a, password, generated); rc != kExitOk) {
    return rc;
  }
  Record domain;
  std::vector<UserMatch> users;
  if (const int rc = ResolveUser(c, a, domain, users); rc != kExitOk) {
    return rc;
  }
  std::vector<Record> updated;
  for (const UserMatch& u : users) {  // every list that holds the name: one password for all
    Record r;
    if (const int rc = CallRecord(c, Method::kPost,
                                  SipPath(c, "CredentialLists/" + u.list_sid + "/Credentials/" +
                                                 std::string(u.credential.Get("sid"))),
                                  {{"Password", password}}, r);
        rc != kExitOk) {
      return rc;
    }
    updated.push_back(std::move(r));
  }
  if (c.json) {
    std::string out = "{\"credentials\":[";
    for (std::size_t i = 0; i < updated.size(); ++i) {
      out += (i == 0 ? "" : ",") + updated[i].raw;
    }
    out += "],\"password\":";
    if (generated) {
      sipfront::ctl::AppendJsonString(out, password);
    } else {
      out += "null";
    }
    std::cout << out << "}\n";
    return kExitOk;
  }
  for (const Record& r : updated) {
    std::cout << "new password for " << a.Arg(1) << '@' << domain.Get("domain_name")
              << " (credential " << r.Get("sid") << ")\n";
  }
  if (generated) {
    std::cout << "password: " << password << "\n(shown once: it is not stored anywhere)\n";
  }
  return kExitOk;
}

int UserRemove(Ctx& c, const Args& a) {
  Record domain;
  std::vector<UserMatch> users;
  if (const int rc = ResolveUser(c, a, domain, users); rc != kExitOk) {
    return rc;
  }
  for (const UserMatch& u : users) {
    if (const int rc = Delete(c, SipPath(c, "CredentialLists/" + u.list_sid + "/Credentials/" +
                                                std::string(u.credential.Get("sid"))));
        rc != kExitOk) {
      return rc;
    }
    if (!c.json) {
      std::cout << "removed " << a.Arg(1) << '@' << domain.Get("domain_name") << " (credential "
                << u.credential.Get("sid") << " from list " << u.list_sid << ")\n";
    }
  }
  return kExitOk;
}

// ---------------------------------------------------------------------------------------
// acl

int ResolveAcl(Ctx& c, std::string_view arg, Record& out) {
  return ResolveList(c, "IpAccessControlLists", "AL", "IP access control list", arg, out, nullptr);
}

// "IP" or "IP/PREFIX" -> normalised IP text (inet_ntop) and prefix (nullopt when none given).
bool ParseIpArg(std::string_view arg, std::string& ip, std::optional<uint32_t>& prefix) {
  std::string_view addr = arg;
  prefix.reset();
  if (const std::size_t slash = arg.find('/'); slash != std::string_view::npos) {
    addr = arg.substr(0, slash);
    const std::string_view p = arg.substr(slash + 1);
    if (p.empty() || p.size() > 3 ||
        !std::all_of(p.begin(), p.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
      return false;
    }
    prefix = static_cast<uint32_t>(std::stoul(std::string(p)));
  }
  const std::string a(addr);
  unsigned char buf[16];
  char text[INET6_ADDRSTRLEN];
  int family = AF_INET;
  if (inet_pton(AF_INET, a.c_str(), buf) != 1) {
    family = AF_INET6;
    if (inet_pton(AF_INET6, a.c_str(), buf) != 1) {
      return false;
    }
  }
  if (prefix && *prefix > (family == AF_INET ? 32u : 128u)) {
    return false;
  }
  if (inet_ntop(family, buf, text, sizeof(text)) == nullptr) {
    return false;
  }
  ip = text;
  return true;
}

std::string NormalisedIp(std::string_view text) {
  std::string ip;
  std::optional<uint32_t> prefix;
  return ParseIpArg(text, ip, prefix) ? ip : std::string(text);
}

int AclCreate(Ctx& c, const Args& a) {
  return PostAndPrint(c, SipPath(c, "IpAccessControlLists"), {{"FriendlyName", a.Arg(0)}},
                      [](const Record& acl) {
                        std::cout << "created IP access control list " << acl.Get("sid") << " \""
                                  << acl.Get("friendly_name") << "\"\n";
                      });
}

int AclDelete(Ctx& c, const Args& a) {
  Record acl;
  if (const int rc = ResolveAcl(c, a.Arg(0), acl); rc != kExitOk) {
    return rc;
  }
  return DeleteAndSay(c, SipPath(c, "IpAccessControlLists/" + std::string(acl.Get("sid"))),
                      "deleted IP access control list " + std::string(acl.Get("sid")) + " \"" +
                          std::string(acl.Get("friendly_name")) + "\"");
}

int AclAdd(Ctx& c, const Args& a) {
  std::string ip;
  std::optional<uint32_t> prefix;
  if (!ParseIpArg(a.Arg(1), ip, prefix)) {
    Fail("not an IP address or IP/PREFIX: " + a.Arg(1));
    return kExitUsage;
  }
  Record acl;
  if (const int rc = ResolveAcl(c, a.Arg(0), acl); rc != kExitOk) {
    return rc;
  }
  const bool v4 = ip.find(':') == std::string::npos;
  const uint32_t bits = prefix.value_or(v4 ? 32u : 128u);
  Fields f = {{"FriendlyName", a.Get("friendly-name").value_or(ip + "/" + std::to_string(bits))},
              {"IpAddress", ip},
              {"CidrPrefixLength", std::to_string(bits)}};
  return PostAndPrint(
      c, SipPath(c, "IpAccessControlLists/" + std::string(acl.Get("sid")) + "/IpAddresses"), f,
      [&acl](const Record& r) {
        std::cout << "added " << r.Get("ip_address") << '/' << r.Get("cidr_prefix_length") << " ("
                  << r.Get("sid") << ") to " << acl.Get("sid") << " \"" << acl.Get("friendly_name")
                  << "\"\n";
      });
}

int AclList(Ctx& c, const Args&) {
  return ListAsTable(c, SipPath(c, "IpAccessControlLists"), {"SID", "FRIENDLY NAME", "UPDATED"},
                     [](const Record& r) -> std::vector<std::string> {
                       return {std::string(r.Get("sid")), std::string(r.Get("friendly_name")),
                               std::string(r.Get("date_updated"))};
                     });
}

int AclAddresses(Ctx& c, const Record& acl, std::vector<Record>& out) {
  return ListAll(
      c, SipPath(c, "IpAccessControlLists/" + std::string(acl.Get("sid")) + "/IpAddresses"), out);
}

int AclShow(Ctx& c, const Args& a) {
  Record acl;
  if (const int rc = ResolveAcl(c, a.Arg(0), acl); rc != kExitOk) {
    return rc;
  }
  std::vector<Record> ips;
  if (const int rc = AclAddresses(c, acl, ips); rc != kExitOk) {
    return rc;
  }
  if (c.json) {
    std::string out = "{\"ip_access_control_list\":" + acl.raw + ",\"ip_addresses\":[";
    for (std::size_t i = 0; i < ips.size(); ++i) {
      out += (i == 0 ? "" : ",") + ips[i].raw;
    }
    std::cout << out << "]}\n";
    return kExitOk;
  }
  PrintFields(acl, {"sid", "friendly_name", "date_created", "date_updated"});
  std::cout << '\n';
  std::vector<std::vector<std::string>> rows;
  for (const Record& r : ips) {
    rows.push_back(
        {std::string(r.Get("sid")),
         std::string(r.Get("ip_address")) + "/" + std::string(r.Get("cidr_prefix_length")),
         std::string(r.Get("friendly_name"))});
  }
  PrintTable({"SID", "ADDRESS", "FRIENDLY NAME"}, rows);
  return kExitOk;
}

int AclRemove(Ctx& c, const Args& a) {
  const std::string& what = a.Arg(1);
  std::string ip;
  std::optional<uint32_t> prefix;
  const bool by_sid = IsSid(what, "IP");
  if (!by_sid && !ParseIpArg(what, ip, prefix)) {
    Fail("not an IP address SID, IP address or IP/PREFIX: " + what);
    return kExitUsage;
  }
  Record acl;
  if (const int rc = ResolveAcl(c, a.Arg(0), acl); rc != kExitOk) {
    return rc;
  }
  std::vector<std::string> sids;
  if (by_sid) {
    sids.push_back(what);
  } else {
    std::vector<Record> ips;
    if (const int rc = AclAddresses(c, acl, ips); rc != kExitOk) {
      return rc;
    }
    for (const Record& r : ips) {
      if (NormalisedIp(r.Get("ip_address")) == ip &&
          (!prefix || r.Get("cidr_prefix_length") == std::to_string(*prefix))) {
        sids.emplace_back(r.Get("sid"));
      }
    }
    if (sids.empty()) {
      Fail("no address " + what + " in " + std::string(acl.Get("sid")) + " \"" +
           std::string(acl.Get("friendly_name")) + "\"");
      return kExitFailed;
    }
  }
  for (const std::string& sid : sids) {
    if (const int rc = Delete(c, SipPath(c, "IpAccessControlLists/" + std::string(acl.Get("sid")) +
                                                "/IpAddresses/" + sid));
        rc != kExitOk) {
      return rc;
    }
    if (!c.json) {
      std::cout << "removed " << sid << " from " << acl.Get("sid") << '\n';
    }
  }
  return kExitOk;
}

int AclMap(Ctx& c, const Args& a, bool map) {
  const std::string kind = a.Get("for").value_or("");
  if (kind != "registrations" && kind != "calls") {
    Fail("--for registrations or --for calls is required");
    return kExitUsage;
  }
  Record domain;
  if (const int rc = ResolveDomain(c, a.Arg(0), domain); rc != kExitOk) {
    return rc;
  }
  Record acl;
  if (const int rc = ResolveAcl(c, a.Arg(1), acl); rc != kExitOk) {
    return rc;
  }
  const std::string path = SipPath(c, "Domains/" + std::string(domain.Get("sid")) + "/Auth/" +
                                          (kind == "calls" ? "Calls" : "Registrations") +
                                          "/IpAccessControlListMappings");
  const std::string acl_sid(acl.Get("sid"));
  std::string body;
  const int rc = map ? Call(c, Method::kPost, path, {{"IpAccessControlListSid", acl_sid}}, body)
                     : Call(c, Method::kDelete, path + "/" + acl_sid, {}, body);
  if (rc != kExitOk) {
    return rc;
  }
  if (c.json) {
    if (map) {
      std::cout << body << '\n';
    }
    return kExitOk;
  }
  std::cout << (map ? "mapped " : "unmapped ") << acl_sid << " \"" << acl.Get("friendly_name")
            << "\" " << (map ? "to " : "from ") << domain.Get("domain_name") << " for " << kind
            << '\n';
  return kExitOk;
}

int AclMapCmd(Ctx& c, const Args& a) { return AclMap(c, a, true); }
int AclUnmapCmd(Ctx& c, const Args& a) { return AclMap(c, a, false); }

// ---------------------------------------------------------------------------------------
// registrations

int Registrations(Ctx& c, const Args& a) {
  Record domain;
  if (const int rc = ResolveDomain(c, a.Arg(0), domain); rc != kExitOk) {
    return rc;
  }
  std::vector<Record> bindings;
  if (const int rc = ListAll(c,
                             SipPath(c, "Domains/" + std::string(domain.Get("sid")) +
                                            "/Registrations?Aor=" + c.http->Escape(a.Arg(1))),
                             bindings);
      rc != kExitOk) {
    return rc;
  }
  if (c.json) {
    PrintJsonArray(bindings);
    return kExitOk;
  }
  if (bindings.empty()) {
    std::cout << "no live bindings for sip:" << a.Arg(1) << '@' << domain.Get("domain_name")
              << '\n';
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const Record& b : bindings) {
    rows.push_back({std::string(b.Get("contact")), std::string(b.Get("expires")),
                    std::string(b.Get("source")), std::string(b.Get("transport")),
                    std::string(b.Get("user_agent"))});
  }
  PrintTable({"CONTACT", "EXPIRES", "SOURCE", "TRANSPORT", "USER AGENT"}, rows);
  return kExitOk;
}

// ---------------------------------------------------------------------------------------
// The command table

struct Command {
  std::string_view group;
  std::string_view verb;  // "" for a one-word command
  std::string_view args;  // usage after the words
  std::size_t min_args;
  std::size_t max_args;
  std::vector<std::string_view> options;
  int (*run)(Ctx&, const Args&);
};

const std::vector<Command>& Commands() {
  static const std::vector<Command> kCommands = {
      {"domain",
       "create",
       "NAME [--friendly-name X] [--voice-url URL] [--voice-method GET|POST] "
       "[--voice-fallback-url URL] [--voice-status-callback-url URL] [--no-registration]",
       1,
       1,
       {"friendly-name", "voice-url", "voice-method", "voice-fallback-url",
        "voice-status-callback-url", "no-registration"},
       &DomainCreate},
      {"domain", "list", "", 0, 0, {}, &DomainList},
      {"domain", "show", "SD|NAME", 1, 1, {}, &DomainShow},
      {"domain",
       "update",
       "SD|NAME [--registration on|off] [--friendly-name X] [--voice-url URL] "
       "[--voice-method GET|POST] [--voice-fallback-url URL] [--voice-status-callback-url URL]",
       1,
       1,
       {"registration", "friendly-name", "voice-url", "voice-method", "voice-fallback-url",
        "voice-status-callback-url"},
       &DomainUpdate},
      {"domain", "delete", "SD|NAME", 1, 1, {}, &DomainDelete},
      {"user",
       "add",
       "DOMAIN USERNAME [--password P | --password-file F] [--list CL|NAME]",
       2,
       2,
       {"password", "password-file", "list"},
       &UserAdd},
      {"user", "list", "DOMAIN", 1, 1, {}, &UserList},
      {"user",
       "passwd",
       "DOMAIN USERNAME [--password P | --password-file F]",
       2,
       2,
       {"password", "password-file"},
       &UserPasswd},
      {"user", "remove", "DOMAIN USERNAME", 2, 2, {}, &UserRemove},
      {"acl", "create", "NAME", 1, 1, {}, &AclCreate},
      {"acl", "delete", "AL|NAME", 1, 1, {}, &AclDelete},
      {"acl", "add", "AL|NAME IP[/PREFIX] [--friendly-name X]", 2, 2, {"friendly-name"}, &AclAdd},
      {"acl", "list", "", 0, 0, {}, &AclList},
      {"acl", "show", "AL|NAME", 1, 1, {}, &AclShow},
      {"acl", "remove", "AL|NAME IP-SID|IP[/PREFIX]", 2, 2, {}, &AclRemove},
      {"acl", "map", "DOMAIN AL|NAME --for registrations|calls", 2, 2, {"for"}, &AclMapCmd},
      {"acl", "unmap", "DOMAIN AL|NAME --for registrations|calls", 2, 2, {"for"}, &AclUnmapCmd},
      {"registrations", "", "DOMAIN USER", 2, 2, {}, &Registrations},
  };
  return kCommands;
}

std::string UsageLine(const Command& cmd) {
  std::string line = "sipfront-ctl " + std::string(cmd.group);
  if (!cmd.verb.empty()) {
    line += " " + std::string(cmd.verb);
  }
  if (!cmd.args.empty()) {
    line += " " + std::string(cmd.args);
  }
  return line;
}

// `line` broken before an option group ("[", "--") where it would pass 96 columns.
std::string Wrap(std::string_view line, std::string_view indent) {
  std::string out;
  std::size_t column = 0;
  std::size_t start = 0;
  while (start < line.size()) {
    std::size_t end = line.find(' ', start);
    while (end != std::string_view::npos && end + 1 < line.size() && line[end + 1] != '[' &&
           line[end + 1] != '-') {
      end = line.find(' ', end + 1);
    }
    if (end == std::string_view::npos) {
      end = line.size();
    }
    const std::string_view word = line.substr(start, end - start);
    if (column > 0 && column + 1 + word.size() > 96) {
      out += '\n';
      out += indent;
      column = indent.size();
    } else if (column > 0) {
      out += ' ';
      ++column;
    }
    out += word;
    column += word.size();
    start = end + 1;
  }
  return out;
}

void PrintHelp(std::ostream& out) {
  out << kGlobalUsage << "\nCommands:\n";
  for (const Command& cmd : Commands()) {
    out << "  " << Wrap(UsageLine(cmd).substr(std::string_view("sipfront-ctl ").size()), "      ")
        << '\n';
  }
  out << kHelpTail;
}

// Prints `why` and the usage line of `cmd`; returns kExitUsage.
int CommandUsage(std::string_view why, const Command& cmd) {
  Fail(why);
  std::cerr << "usage: " << Wrap(UsageLine(cmd), "           ") << '\n';
  return kExitUsage;
}

// Prints `why` and the usage of `group` (every command when empty); returns kExitUsage.
int Usage(std::string_view why, std::string_view group) {
  if (!why.empty()) {
    Fail(why);
  }
  bool any = false;
  for (const Command& cmd : Commands()) {
    if (cmd.group == group) {
      std::cerr << (any ? "       " : "usage: ") << Wrap(UsageLine(cmd), "           ") << '\n';
      any = true;
    }
  }
  if (!any) {
    std::cerr << kGlobalUsage << "(sipfront-ctl --help lists the commands)\n";
  }
  return kExitUsage;
}

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

bool ParseUint(std::string_view s, uint32_t lo, uint32_t hi, uint32_t& out) {
  if (s.empty() || s.size() > 9 ||
      !std::all_of(s.begin(), s.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
    return false;
  }
  out = static_cast<uint32_t>(std::stoul(std::string(s)));
  return out >= lo && out <= hi;
}

int Main(int argc, char** argv) {
  Args args;
  if (const std::string error = ParseArgs(argc, argv, args); !error.empty()) {
    return Usage(error, args.positional.empty() ? "" : args.positional.front());
  }
  if (args.Has("help") || (!args.positional.empty() && args.positional.front() == "help")) {
    PrintHelp(std::cout);
    return kExitOk;
  }
  if (args.positional.empty()) {
    return Usage("no command given", "");
  }
  const std::string& group = args.positional[0];
  const Command* cmd = nullptr;
  bool group_known = false;
  for (const Command& c : Commands()) {
    if (c.group != group) {
      continue;
    }
    group_known = true;
    if (c.verb.empty() || (args.positional.size() > 1 && args.positional[1] == c.verb)) {
      cmd = &c;
      break;
    }
  }
  if (!group_known) {
    return Usage("unknown command " + group, "");
  }
  if (cmd == nullptr) {
    return Usage(args.positional.size() > 1 ? "unknown command " + group + " " + args.positional[1]
                                            : "missing a " + group + " command",
                 group);
  }
  args.words = cmd->verb.empty() ? 1 : 2;
  const std::size_t n = args.positional.size() - args.words;
  if (n < cmd->min_args || n > cmd->max_args) {
    return CommandUsage(n < cmd->min_args ? "missing arguments" : "too many arguments", *cmd);
  }
  for (const auto& [name, value] : args.options) {
    const OptionSpec* spec = FindOption(name);
    if (!spec->global &&
        std::find(cmd->options.begin(), cmd->options.end(), name) == cmd->options.end()) {
      return CommandUsage("--" + name + " does not apply here", *cmd);
    }
  }

  // The connection.
  std::string api = args.Get("api").value_or(Env("SIPFRONT_API"));
  if (api.empty()) {
    api = kDefaultApi;
  }
  while (api.size() > 1 && api.back() == '/') {
    api.pop_back();
  }
  if (!api.starts_with("http://") && !api.starts_with("https://")) {
    return CommandUsage("--api takes an http:// or https:// URL, not " + api, *cmd);
  }
  const std::string account = args.Get("account").value_or(Env("SIPFRONT_ACCOUNT_SID"));
  if (account.empty()) {
    return CommandUsage("no account SID: give --account or set SIPFRONT_ACCOUNT_SID", *cmd);
  }
  if (args.Has("token") && args.Has("token-file")) {
    return CommandUsage("give --token or --token-file, not both", *cmd);
  }
  std::string token;
  if (auto t = args.Get("token")) {
    token = *t;
  } else if (auto file = args.Get("token-file")) {
    if (!ReadFirstLine(*file, token) || token.empty()) {
      Fail("cannot read an auth token from " + *file);
      return kExitUsage;
    }
  } else {
    token = Env("SIPFRONT_AUTH_TOKEN");
  }
  if (token.empty()) {
    return CommandUsage("no auth token: set SIPFRONT_AUTH_TOKEN or give --token-file", *cmd);
  }
  uint32_t timeout_s = 30;
  if (auto t = args.Get("timeout"); t && !ParseUint(*t, 1, 3600, timeout_s)) {
    return CommandUsage("--timeout takes whole seconds, 1 to 3600", *cmd);
  }
  Ctx c;
  c.account = account;
  c.json = args.Has("json");
  if (auto p = args.Get("page-size"); p && !ParseUint(*p, 1, kMaxPageSize, c.page_size)) {
    return CommandUsage("--page-size takes 1 to 1000", *cmd);
  }
  Http http(api, account, token, static_cast<long>(timeout_s));
  c.http = &http;
  return cmd->run(c, args);
}

}  // namespace

int main(int argc, char** argv) {
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    std::cerr << "sipfront-ctl: curl_global_init failed\n";
    return kExitFailed;
  }
  const int rc = Main(argc, argv);
  std::cout.flush();
  curl_global_cleanup();
  return rc;
}
