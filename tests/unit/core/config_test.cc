// Tests of sipfront/core/config.h: ParseConfig accepts the header's example, the embedded
// default and `//` comments (also "//" inside strings); every validation rule, syntax error,
// type mismatch and unknown, duplicate or missing key is rejected with the exact message
// "SOURCE:LINE: KEY.PATH: REASON" (table-driven, one row per rule); LoadConfig reads a real
// file and names the path when it cannot.
//
// Rows write JSON with placeholders $AC1, $AC2, $CL1, $CL2, $SD1, $SD2 for well-formed SIDs
// (prefix, 31 zeros, then the digit); Expand() substitutes them in documents and messages.
#include "sipfront/core/config.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

#include <gtest/gtest.h>

namespace sipfront::core {
namespace {

std::string SidFor(std::string_view prefix, char last) {
  return std::string(prefix) + std::string(31, '0') + last;
}

std::string Expand(std::string_view text) {
  std::string out(text);
  for (const char* placeholder : {"$AC1", "$AC2", "$CL1", "$CL2", "$SD1", "$SD2"}) {
    const std::string sid = SidFor(std::string_view(placeholder + 1, 2), placeholder[3]);
    for (std::size_t at = out.find(placeholder); at != std::string::npos;
         at = out.find(placeholder, at + sid.size())) {
      out.replace(at, 4, sid);
    }
  }
  return out;
}

absl::StatusOr<Config> Parse(std::string_view json) { return ParseConfig(Expand(json), "t.json"); }

struct ErrorCase {
  const char* what;
  std::string json;
  std::string message;
};

void PrintTo(const ErrorCase& c, std::ostream* os) { *os << c.what; }

const std::string kStructure =
    "invalid JSON: The JSON document has an improper structure: missing or superfluous commas, "
    "braces, missing keys, etc.";
const std::string kDnsReason =
    "expected a DNS name (dot-separated labels of letters, digits and '-', at most 63 "
    "characters each and 253 in all), got ";
const std::string kUserReason = "expected 1 to 32 letters, digits or -_.!~*'()&=+$,;?/, got ";
const std::string kCred0 = "provisioning.accounts[0].credential_lists[0].credentials[0]";
const std::string kDomain0 = "provisioning.accounts[0].domains[0]";
// Line 1 of most rows: the one required key, so that the row's subject starts on line 2.
#define L1 "{\"listen\": [\"udp:127.0.0.1:5060\"],\n"
// Line 1 of provisioning rows.
#define P1 "{\"listen\": [\"udp:127.0.0.1:5060\"], \"provisioning\": {\"accounts\": [\n"

const std::vector<ErrorCase> kErrorCases = {
    // ---- JSON syntax: simdjson's message and the line of the failing position.
    {"missing comma between members", R"j({"listen": ["udp:127.0.0.1:5060"]
"workers": 2})j",
     "t.json:2: " + kStructure},
    {"trailing comma before the closing brace", L1 R"j("workers": 2,
})j",
     "t.json:3: " + kStructure},
    {"trailing comma in an array", R"j({"listen": ["udp:127.0.0.1:5060",
]})j",
     "t.json:2: " + kStructure},
    {"object never closed", L1 R"j("workers": 2
)j",
     "t.json:3: " + kStructure},
    {"a comment swallows the closing brace", R"j({"listen": ["udp:127.0.0.1:5060"] // }
)j",
     "t.json:2: " + kStructure},
    {"misspelled atom", L1 R"j("workers": tru})j",
     "t.json:2: invalid JSON: Problem while parsing an atom starting with the letter 't'"},
    {"number with a leading zero", L1 R"j("workers": 01})j",
     "t.json:2: invalid JSON: Problem while parsing a number"},
    {"integer beyond 64 bits", L1 R"j("max_bindings": 99999999999999999999999})j",
     "t.json:2: invalid JSON: Problem while parsing a number"},
    {"bad escape in a string", L1 R"j("data_dir": "a\qb"})j",
     "t.json:2: invalid JSON: Problem while parsing a string"},
    {"block comments are not supported", L1 R"j(/* workers */ "workers": 2})j",
     "t.json:2: " + kStructure},
    {"unterminated string (located by the comment scanner)", L1 R"j("data_dir": "var
})j",
     "t.json:2: invalid JSON: A string is opened, but never closed."},
    {"raw tab inside a string", L1 "\n\"data_dir\": \"a\tb\"}",
     "t.json:3: invalid JSON: Within strings, some characters must be escaped, we found "
     "unescaped characters"},
    {"invalid UTF-8 (located line by line)", L1 "\"data_dir\": \"ok\",\n\"x\": \"\xff\"}",
     "t.json:3: invalid JSON: The input is not valid UTF-8"},
    {"empty document: no position to report", "", "t.json: invalid JSON: Empty: no JSON found"},
    {"only comments", "// nothing\n  // here\n", "t.json: invalid JSON: Empty: no JSON found"},
    {"a second document after the first", L1 R"j("workers": 2}
{})j",
     "t.json:3: " + kStructure},
    {"key without a colon", L1 R"j("workers" 2})j", "t.json:2: " + kStructure},

    // ---- Top level.
    {"top level is an array", R"j(["udp:127.0.0.1:5060"])j",
     "t.json:1: expected an object at the top level, got an array"},
    {"top level is a string", R"j(

"udp:127.0.0.1:5060")j",
     R"j(t.json:3: expected an object at the top level, got "udp:127.0.0.1:5060")j"},
    {"listen is required", R"j({
  "workers": 1
})j",
     R"j(t.json:1: missing required key "listen")j"},

    // ---- Unknown, duplicate and missing keys.
    {"typo in a top-level key gets a suggestion", L1 R"j("worker": 2})j",
     R"j(t.json:2: worker: unknown key (did you mean "workers"?))j"},
    {"unknown top-level key without a near miss", L1 R"j("colour": "blue"})j",
     "t.json:2: colour: unknown key"},
    {"typo in a nested key", L1 R"j("registrar": {
  "min_expire": 60}})j",
     R"j(t.json:3: registrar.min_expire: unknown key (did you mean "min_expires"?))j"},
    {"unknown key in a credential", P1 R"j({"sid": "$AC1", "credential_lists": [{"sid": "$CL1",
  "credentials": [{"username": "alice", "password": "pw", "realm": "x"}]}]}]}})j",
     "t.json:3: " + kCred0 + ".realm: unknown key"},
    {"duplicate top-level key", L1 R"j("workers": 1,
"workers": 2})j",
     "t.json:3: workers: duplicate key"},
    {"duplicate nested key", L1 R"j("registrar": {"min_expires": 60,
  "min_expires": 60}})j",
     "t.json:3: registrar.min_expires: duplicate key"},
    {"credential without a password", P1 R"j({"sid": "$AC1", "credential_lists": [{"sid": "$CL1",
  "credentials": [
    {"username": "alice"}]}]}]}})j",
     "t.json:4: " + kCred0 + R"j(: missing required key "password")j"},
    {"credential without a username", P1 R"j({"sid": "$AC1", "credential_lists": [{"sid": "$CL1",
  "credentials": [{"password": "pw"}]}]}]}})j",
     "t.json:3: " + kCred0 + R"j(: missing required key "username")j"},
    {"account without a sid", P1 R"j(
  {"auth_token": "t"}]}})j",
     R"j(t.json:3: provisioning.accounts[0]: missing required key "sid")j"},
    {"credential list without a sid", P1 R"j({"sid": "$AC1", "credential_lists": [
  {"friendly_name": "x"}]}]}})j",
     R"j(t.json:3: provisioning.accounts[0].credential_lists[0]: missing required key "sid")j"},
    {"domain without a domain_name", P1 R"j({"sid": "$AC1", "domains": [
  {"sid": "$SD1"}]}]}})j",
     "t.json:3: " + kDomain0 + R"j(: missing required key "domain_name")j"},

    // ---- Types and ranges of top-level keys.
    {"workers as a string", L1 R"j("workers": "4"})j",
     R"j(t.json:2: workers: expected an integer between 1 and 256, got "4")j"},
    {"workers as a fraction", L1 R"j("workers": 1.5})j",
     "t.json:2: workers: expected an integer between 1 and 256, got 1.5"},
    {"workers negative", L1 R"j("workers": -1})j",
     "t.json:2: workers: expected an integer between 1 and 256, got -1"},
    {"workers zero", L1 R"j("workers": 0})j",
     "t.json:2: workers: expected an integer between 1 and 256, got 0"},
    {"workers above 256", L1 R"j("workers": 257})j",
     "t.json:2: workers: expected an integer between 1 and 256, got 257"},
    {"workers as an object", L1 R"j("workers": {"n": 1}})j",
     "t.json:2: workers: expected an integer between 1 and 256, got an object"},
    {"long offending values are cut",
     L1 R"j("workers": "0123456789012345678901234567890123456789012345678901234567890123456789"})j",
     R"j(t.json:2: workers: expected an integer between 1 and 256, got "01234567890123456789012345678901234567890123...)j"},
    {"max_bindings zero", L1 R"j("max_bindings": 0})j",
     "t.json:2: max_bindings: expected an integer between 1 and 4294967295, got 0"},
    {"max_bindings above 2^32-1", L1 R"j("max_bindings": 4294967296})j",
     "t.json:2: max_bindings: expected an integer between 1 and 4294967295, got 4294967296"},
    {"prefault not a boolean", L1 R"j("prefault": 1})j",
     "t.json:2: prefault: expected true or false, got 1"},
    {"io not a known backend", L1 R"j("io": "epoll"})j",
     R"j(t.json:2: io: expected "uring" or "mmsg", got "epoll")j"},
    {"io as a number", L1 R"j("io": 1})j", R"j(t.json:2: io: expected "uring" or "mmsg", got 1)j"},
    {"data_dir as a number", L1 R"j("data_dir": 5})j",
     "t.json:2: data_dir: expected a string, got 5"},
    {"data_dir empty", L1 R"j("data_dir": ""})j", "t.json:2: data_dir: must not be empty"},
    {"data_dir with an escaped NUL", L1 R"j("data_dir": "a\u0000b"})j",
     "t.json:2: data_dir: must not contain NUL characters"},
    {"registrar as an array", L1 R"j("registrar": []})j",
     "t.json:2: registrar: expected an object, got an array"},
    {"provisioning as null", L1 R"j("provisioning": null})j",
     "t.json:2: provisioning: expected an object, got null"},
    {"accounts as an object", L1 R"j("provisioning": {"accounts": {}}})j",
     "t.json:2: provisioning.accounts: expected an array, got an object"},

    // ---- listen.
    {"listen as a string", R"j({"listen": "udp:127.0.0.1:5060"})j",
     R"j(t.json:1: listen: expected an array, got "udp:127.0.0.1:5060")j"},
    {"listen empty", R"j({"listen": []})j", "t.json:1: listen: expected at least one entry"},
    {"listen entry not a string", R"j({"listen": [5060]})j",
     "t.json:1: listen[0]: expected a string, got 5060"},
    {"tcp without udp", R"j({"listen": ["tcp:127.0.0.1:5060"]})j",
     R"j(t.json:1: listen: expected exactly one "udp:" entry (tcp: and tls: listeners are served by the same workers), got 0)j"},
    {"two udp entries", R"j({"listen": ["udp:127.0.0.1:5060",
  "udp:127.0.0.2:5060", "tls:127.0.0.1:5061"]})j",
     R"j(t.json:1: listen: expected exactly one "udp:" entry (tcp: and tls: listeners are served by the same workers), got 2)j"},
    {"duplicate tcp", R"j({"listen": ["udp:127.0.0.1:5060", "tcp:127.0.0.1:5060",
  "tcp:127.0.0.1:5060"]})j",
     R"j(t.json:2: listen[2]: duplicate of listen[1] (line 1))j"},
    {"connections.max_message_bytes too small",
     L1 R"j("connections": {"max_message_bytes": 100}})j",
     R"j(t.json:2: connections.max_message_bytes: expected an integer between 1024 and 65535, got 100)j"},
    {"tls.allow_deprecated not a bool", L1 R"j("tls": {"allow_deprecated": "yes"}})j",
     R"j(t.json:2: tls.allow_deprecated: expected true or false, got "yes")j"},
    {"tls unknown key", L1 R"j("tls": {"cert": "a.pem"}})j",
     R"j(t.json:2: tls.cert: unknown key)j"},
    {"digest_algorithms empty", L1 R"j("registrar": {"digest_algorithms": []}})j",
     R"j(t.json:2: registrar.digest_algorithms: expected at least one of "MD5", "SHA-256")j"},
    {"digest_algorithms twice", L1 R"j("registrar": {"digest_algorithms": ["MD5", "MD5"]}})j",
     R"j(t.json:2: registrar.digest_algorithms[1]: "MD5" listed twice)j"},
    {"registrar.flow_timer too small", L1 R"j("registrar": {"flow_timer": 5}})j",
     R"j(t.json:2: registrar.flow_timer: expected an integer between 10 and 3600, got 5)j"},
    {"unknown transport", R"j({"listen": ["sctp:127.0.0.1:5060"]})j",
     R"j(t.json:1: listen[0]: expected "udp:HOST:PORT", "tcp:HOST:PORT" or "tls:HOST:PORT", got "sctp:127.0.0.1:5060")j"},
    {"transport missing", R"j({"listen": ["127.0.0.1:5060"]})j",
     R"j(t.json:1: listen[0]: expected "udp:HOST:PORT", "tcp:HOST:PORT" or "tls:HOST:PORT", got "127.0.0.1:5060")j"},
    {"port missing", R"j({"listen": ["udp:127.0.0.1"]})j",
     R"j(t.json:1: listen[0]: expected "udp:HOST:PORT", "tcp:HOST:PORT" or "tls:HOST:PORT", got "udp:127.0.0.1")j"},
    {"host name instead of an address", R"j({"listen": ["udp:localhost:5060"]})j",
     R"j(t.json:1: listen[0]: host "localhost" is not an IPv4 address (or a bracketed IPv6 address))j"},
    {"IPv4 octet above 255", R"j({"listen": ["udp:256.0.0.1:5060"]})j",
     R"j(t.json:1: listen[0]: host "256.0.0.1" is not an IPv4 address (or a bracketed IPv6 address))j"},
    {"IPv6 without brackets", R"j({"listen": ["udp:::1:5060"]})j",
     R"j(t.json:1: listen[0]: IPv6 address "::1" must be in brackets, as in "udp:[::1]:5060")j"},
    {"malformed IPv6", R"j({"listen": ["udp:[::g]:5060"]})j",
     R"j(t.json:1: listen[0]: host "::g" is not an IPv6 address)j"},
    {"IPv6 bracket never closed", R"j({"listen": ["udp:[::1:5060"]})j",
     R"j(t.json:1: listen[0]: expected "udp:HOST:PORT", "tcp:HOST:PORT" or "tls:HOST:PORT", got "udp:[::1:5060")j"},
    {"port above 65535", R"j({"listen": ["udp:127.0.0.1:65536"]})j",
     R"j(t.json:1: listen[0]: port "65536" is not a number between 0 and 65535)j"},
    {"port empty", R"j({"listen": ["udp:[::1]:"]})j",
     R"j(t.json:1: listen[0]: port "" is not a number between 0 and 65535)j"},
    {"port not a number", R"j({"listen": ["udp:127.0.0.1:50x"]})j",
     R"j(t.json:1: listen[0]: port "50x" is not a number between 0 and 65535)j"},
    {"the same endpoint twice", R"j({"listen": ["udp:127.0.0.1:5060",
  "udp:127.0.0.1:5060"]})j",
     "t.json:2: listen[1]: duplicate of listen[0] (line 1)"},
    {"the same IPv6 endpoint spelled differently", R"j({"listen": ["udp:[::1]:5060",
  "udp:[0:0::1]:5060"]})j",
     "t.json:2: listen[1]: duplicate of listen[0] (line 1)"},

    // ---- registrar.
    {"min_expires with a unit", L1 R"j("registrar": {
  "min_expires": "600s"}})j",
     R"j(t.json:3: registrar.min_expires: expected an integer between 1 and 86400, got "600s")j"},
    {"min_expires zero", L1 R"j("registrar": {"min_expires": 0}})j",
     "t.json:2: registrar.min_expires: expected an integer between 1 and 86400, got 0"},
    {"max_expires above a day", L1 R"j("registrar": {"max_expires": 86401}})j",
     "t.json:2: registrar.max_expires: expected an integer between 1 and 86400, got 86401"},
    {"default_expires zero", L1 R"j("registrar": {"default_expires": 0}})j",
     "t.json:2: registrar.default_expires: expected an integer between 1 and 86400, got 0"},
    {"max below min, both written: max is blamed", L1 R"j("registrar": {"min_expires": 600,
  "max_expires": 300}})j",
     "t.json:3: registrar.max_expires: must be at least min_expires (600), got 300"},
    {"min above the default max", L1 R"j("registrar": {
  "min_expires": 7200}})j",
     "t.json:3: registrar.min_expires: must be at most max_expires (3600, the default), got 7200"},
    {"default below min", L1 R"j("registrar": {"min_expires": 600,
  "default_expires": 300}})j",
     "t.json:3: registrar.default_expires: must be at least min_expires (600), got 300"},
    {"default above the default max", L1 R"j("registrar": {"default_expires": 7200}})j",
     "t.json:2: registrar.default_expires: must be at most max_expires (3600, the default), got "
     "7200"},
    {"default above max, both written: default is blamed", L1 R"j("registrar": {
  "default_expires": 3000,
  "max_expires": 2000}})j",
     "t.json:3: registrar.default_expires: must be at most max_expires (2000), got 3000"},
    {"max below the default default", L1 R"j("registrar": {"max_expires": 1800}})j",
     "t.json:2: registrar.max_expires: must be at least default_expires (3600, the default), got "
     "1800"},
    {"max_contacts_per_aor zero", L1 R"j("registrar": {"max_contacts_per_aor": 0}})j",
     "t.json:2: registrar.max_contacts_per_aor: expected an integer between 1 and 1000, got 0"},
    {"max_contacts_per_aor above 1000", L1 R"j("registrar": {"max_contacts_per_aor": 1001}})j",
     "t.json:2: registrar.max_contacts_per_aor: expected an integer between 1 and 1000, got 1001"},
    {"unknown max_contacts_policy", L1 R"j("registrar": {"max_contacts_policy": "drop"}})j",
     R"j(t.json:2: registrar.max_contacts_policy: expected "reject" or "replace_oldest", got "drop")j"},
    {"nonce_lifetime below 10", L1 R"j("registrar": {"nonce_lifetime": 9}})j",
     "t.json:2: registrar.nonce_lifetime: expected an integer between 10 and 3600, got 9"},
    {"nonce_lifetime above an hour", L1 R"j("registrar": {"nonce_lifetime": 3601}})j",
     "t.json:2: registrar.nonce_lifetime: expected an integer between 10 and 3600, got 3601"},

    // ---- journal.
    {"flush interval of zero", L1 R"j("journal": {"flush_interval_ms": 0}})j",
     "t.json:2: journal.flush_interval_ms: expected an integer between 1 and 10000, got 0"},
    {"snapshot interval above a day", L1 R"j("journal": {"snapshot_interval_s": 86401}})j",
     "t.json:2: journal.snapshot_interval_s: expected an integer between 0 and 86400, got 86401"},
    {"unknown fsync policy", L1 R"j("journal": {"fsync": "sometimes"}})j",
     R"j(t.json:2: journal.fsync: expected "interval", "always" or "never", got "sometimes")j"},
    {"enabled not a boolean", L1 R"j("journal": {"enabled": "yes"}})j",
     R"j(t.json:2: journal.enabled: expected true or false, got "yes")j"},
    {"misspelt journal key", L1 R"j("journal": {"fsynk": "always"}})j",
     R"j(t.json:2: journal.fsynk: unknown key (did you mean "fsync"?))j"},

    // ---- storm.
    {"storm delay above a minute", L1 R"j("storm": {"max_delay_ms": 60001}})j",
     "t.json:2: storm.max_delay_ms: expected an integer between 0 and 60000, got 60001"},
    {"retry_after_min of zero", L1 R"j("storm": {"retry_after_min": 0}})j",
     "t.json:2: storm.retry_after_min: expected an integer between 1 and 86400, got 0"},
    {"retry window upside down", L1 R"j("storm": {"retry_after_min": 60, "retry_after_max": 30}})j",
     "t.json:2: storm.retry_after_max: must be at least retry_after_min (60), got 30"},

    // ---- cpus.
    {"fewer cpus than workers", L1 R"j("workers": 2,
"cpus": [1]})j",
     "t.json:3: cpus: expected one entry per worker (workers is 2), got 1"},
    {"cpus given with the default single worker", L1 R"j("cpus": [1, 2]})j",
     "t.json:2: cpus: expected one entry per worker (workers is 1), got 2"},
    {"negative cpu", L1 R"j("cpus": [-1]})j",
     "t.json:2: cpus[0]: expected an integer between 0 and 1023, got -1"},
    {"cpu beyond CPU_SETSIZE", L1 R"j("workers": 2, "cpus": [0, 1024]})j",
     "t.json:2: cpus[1]: expected an integer between 0 and 1023, got 1024"},
    {"cpus as a string", L1 R"j("cpus": "1"})j", R"j(t.json:2: cpus: expected an array, got "1")j"},

    // ---- SIDs.
    {"account sid with the credential-list prefix", P1 R"j({"sid": "$CL1"}]}})j",
     R"j(t.json:2: provisioning.accounts[0].sid: expected "AC" followed by 32 hex digits, got "$CL1")j"},
    {"account sid with 31 hex digits", P1 R"j({"sid": "AC0000000000000000000000000000001"}]}})j",
     R"j(t.json:2: provisioning.accounts[0].sid: expected "AC" followed by 32 hex digits, got "AC0000000000000000000000000000001")j"},
    {"account sid with 33 hex digits", P1 R"j({"sid": "AC000000000000000000000000000000001"}]}})j",
     R"j(t.json:2: provisioning.accounts[0].sid: expected "AC" followed by 32 hex digits, got "AC000000000000000000000000000000001")j"},
    {"account sid with a non-hex digit", P1 R"j({"sid": "AC0000000000000000000000000000000g"}]}})j",
     R"j(t.json:2: provisioning.accounts[0].sid: expected "AC" followed by 32 hex digits, got "AC0000000000000000000000000000000g")j"},
    {"account sid as a number", P1 R"j({"sid": 1}]}})j",
     "t.json:2: provisioning.accounts[0].sid: expected a string, got 1"},
    {"duplicate account sid", P1 R"j({"sid": "$AC1"},
{"sid": "$AC1"}]}})j",
     "t.json:3: provisioning.accounts[1].sid: duplicate of provisioning.accounts[0].sid (line 2)"},
    {"duplicate sid differing only in case", P1 R"j({"sid": "AC0000000000000000000000000000000a"},
{"sid": "AC0000000000000000000000000000000A"}]}})j",
     "t.json:3: provisioning.accounts[1].sid: duplicate of provisioning.accounts[0].sid (line 2)"},
    {"credential list sid reused in another account",
     P1
     R"j({"sid": "$AC1", "credential_lists": [{"sid": "$CL1"}]},
{"sid": "$AC2", "credential_lists": [{"sid": "$CL1"}]}]}})j",
     "t.json:3: provisioning.accounts[1].credential_lists[0].sid: duplicate of "
     "provisioning.accounts[0].credential_lists[0].sid (line 2)"},
    {"credential list sid with the wrong prefix",
     P1 R"j({"sid": "$AC1", "credential_lists": [{"sid": "$SD1"}]}]}})j",
     R"j(t.json:2: provisioning.accounts[0].credential_lists[0].sid: expected "CL" followed by 32 hex digits, got "$SD1")j"},
    {"domain sid with the wrong prefix",
     P1 R"j({"sid": "$AC1", "domains": [{"sid": "$AC2", "domain_name": "a.example"}]}]}})j",
     "t.json:2: " + kDomain0 + R"j(.sid: expected "SD" followed by 32 hex digits, got "$AC2")j"},

    // ---- Accounts and credentials.
    {"auth_token empty", P1 R"j({"sid": "$AC1", "auth_token": ""}]}})j",
     "t.json:2: provisioning.accounts[0].auth_token: must not be empty"},
    {"auth_token of the wrong type is not echoed",
     P1 R"j({"sid": "$AC1", "auth_token": 12345}]}})j",
     "t.json:2: provisioning.accounts[0].auth_token: expected a string"},
    {"friendly_name as a number",
     P1 R"j({"sid": "$AC1", "credential_lists": [{"sid": "$CL1", "friendly_name": 5}]}]}})j",
     "t.json:2: provisioning.accounts[0].credential_lists[0].friendly_name: expected a string, "
     "got 5"},
    {"credentials as an object",
     P1 R"j({"sid": "$AC1", "credential_lists": [{"sid": "$CL1", "credentials": {}}]}]}})j",
     "t.json:2: provisioning.accounts[0].credential_lists[0].credentials: expected an array, got "
     "an object"},
    {"username empty", P1 R"j({"sid": "$AC1", "credential_lists": [{"sid": "$CL1", "credentials": [
  {"username": "", "password": "pw"}]}]}]}})j",
     "t.json:3: " + kCred0 + ".username: " + kUserReason + R"j("")j"},
    {"username of 33 characters",
     P1 R"j({"sid": "$AC1", "credential_lists": [{"sid": "$CL1", "credentials": [
  {"username": "abcdefghijabcdefghijabcdefghijabc", "password": "pw"}]}]}]}})j",
     "t.json:3: " + kCred0 + ".username: " + kUserReason +
         R"j("abcdefghijabcdefghijabcdefghijabc")j"},
    {"username with a space",
     P1 R"j({"sid": "$AC1", "credential_lists": [{"sid": "$CL1", "credentials": [
  {"username": "al ice", "password": "pw"}]}]}]}})j",
     "t.json:3: " + kCred0 + ".username: " + kUserReason + R"j("al ice")j"},
    {"username with '@'",
     P1 R"j({"sid": "$AC1", "credential_lists": [{"sid": "$CL1", "credentials": [
  {"username": "alice@example.com", "password": "pw"}]}]}]}})j",
     "t.json:3: " + kCred0 + ".username: " + kUserReason + R"j("alice@example.com")j"},
    {"duplicate username in a list",
     P1 R"j({"sid": "$AC1", "credential_lists": [{"sid": "$CL1", "credentials": [
  {"username": "alice", "password": "pw"},
  {"username": "alice", "password": "pw2"}]}]}]}})j",
     "t.json:4: provisioning.accounts[0].credential_lists[0].credentials[1].username: duplicate "
     "of " +
         kCred0 + ".username (line 3)"},
    {"password empty", P1 R"j({"sid": "$AC1", "credential_lists": [{"sid": "$CL1", "credentials": [
  {"username": "alice", "password": ""}]}]}]}})j",
     "t.json:3: " + kCred0 + ".password: must not be empty"},
    {"password of the wrong type is not echoed",
     P1 R"j({"sid": "$AC1", "credential_lists": [{"sid": "$CL1", "credentials": [
  {"username": "alice", "password": 123456}]}]}]}})j",
     "t.json:3: " + kCred0 + ".password: expected a string"},

    // ---- Domains.
    {"domain_name starting with '-'", P1 R"j({"sid": "$AC1", "domains": [
  {"sid": "$SD1", "domain_name": "-acme.example"}]}]}})j",
     "t.json:3: " + kDomain0 + ".domain_name: " + kDnsReason + R"j("-acme.example")j"},
    {"domain_name with an empty label", P1 R"j({"sid": "$AC1", "domains": [
  {"sid": "$SD1", "domain_name": "acme..example"}]}]}})j",
     "t.json:3: " + kDomain0 + ".domain_name: " + kDnsReason + R"j("acme..example")j"},
    {"domain_name with a trailing dot", P1 R"j({"sid": "$AC1", "domains": [
  {"sid": "$SD1", "domain_name": "acme.example."}]}]}})j",
     "t.json:3: " + kDomain0 + ".domain_name: " + kDnsReason + R"j("acme.example.")j"},
    {"domain_name with '_'", P1 R"j({"sid": "$AC1", "domains": [
  {"sid": "$SD1", "domain_name": "ac_me.example"}]}]}})j",
     "t.json:3: " + kDomain0 + ".domain_name: " + kDnsReason + R"j("ac_me.example")j"},
    {"domain_name empty", P1 R"j({"sid": "$AC1", "domains": [
  {"sid": "$SD1", "domain_name": ""}]}]}})j",
     "t.json:3: " + kDomain0 + ".domain_name: " + kDnsReason + R"j("")j"},
    {"domain_name with a 64-character label",
     P1 R"j({"sid": "$AC1", "domains": [
  {"sid": "$SD1", "domain_name": ")j" +
         std::string(64, 'a') + R"j(.example"}]}]}})j",
     "t.json:3: " + kDomain0 + ".domain_name: " + kDnsReason + "\"" + std::string(64, 'a') +
         ".example\""},
    {"domain_name of 254 characters",
     P1 R"j({"sid": "$AC1", "domains": [
  {"sid": "$SD1", "domain_name": ")j" +
         std::string(63, 'a') + "." + std::string(63, 'b') + "." + std::string(63, 'c') + "." +
         std::string(62, 'd') + R"j("}]}]}})j",
     "t.json:3: " + kDomain0 + ".domain_name: " + kDnsReason + "\"" + std::string(63, 'a') + "." +
         std::string(63, 'b') + "." + std::string(63, 'c') + "." + std::string(62, 'd') + "\""},
    {"domain_name reused by another account, in another case",
     P1
     R"j({"sid": "$AC1", "domains": [{"sid": "$SD1", "domain_name": "acme.example"}]},
{"sid": "$AC2", "domains": [{"sid": "$SD2", "domain_name": "ACME.example"}]}]}})j",
     "t.json:3: provisioning.accounts[1].domains[0].domain_name: duplicate of " + kDomain0 +
         ".domain_name (line 2)"},
    {"sip_registration as a string", P1 R"j({"sid": "$AC1", "domains": [
  {"sid": "$SD1", "domain_name": "acme.example", "sip_registration": "yes"}]}]}})j",
     "t.json:3: " + kDomain0 + R"j(.sip_registration: expected true or false, got "yes")j"},
    {"registration list that does not exist", P1 R"j({"sid": "$AC1", "domains": [
  {"sid": "$SD1", "domain_name": "acme.example",
   "registration_credential_lists": ["$CL1"]}]}]}})j",
     "t.json:4: " + kDomain0 +
         R"j(.registration_credential_lists[0]: no credential list "$CL1" in this account)j"},
    {"registration list of another account",
     P1
     R"j({"sid": "$AC1", "credential_lists": [{"sid": "$CL1"}]},
{"sid": "$AC2", "domains": [{"sid": "$SD2", "domain_name": "acme.example",
   "registration_credential_lists": ["$CL1"]}]}]}})j",
     R"j(t.json:4: provisioning.accounts[1].domains[0].registration_credential_lists[0]: no credential list "$CL1" in this account)j"},
    {"registration list named twice", P1 R"j({"sid": "$AC1", "credential_lists": [{"sid": "$CL1"}],
  "domains": [{"sid": "$SD1", "domain_name": "acme.example",
   "registration_credential_lists": ["$CL1",
                                     "$CL1"]}]}]}})j",
     "t.json:5: " + kDomain0 + ".registration_credential_lists[1]: duplicate of " + kDomain0 +
         ".registration_credential_lists[0] (line 4)"},
    {"registration list entry not a string", P1 R"j({"sid": "$AC1", "domains": [
  {"sid": "$SD1", "domain_name": "acme.example", "registration_credential_lists": [5]}]}]}})j",
     "t.json:3: " + kDomain0 + ".registration_credential_lists[0]: expected a string, got 5"},

    // ---- Line numbers survive comments and CRLF line ends.
    {"error after comments and blank lines",
     "// header\n// \"quoted\" and // nested\n\n"
     "{\"listen\": [\"udp:127.0.0.1:5060\"], // x\n"
     "  // \"workers\": 2,\n"
     "  \"workers\": 0}",
     "t.json:6: workers: expected an integer between 1 and 256, got 0"},
    {"CRLF line ends", "{\"listen\": [\"udp:127.0.0.1:5060\"],\r\n// c\r\n\"io\": \"x\"}\r\n",
     R"j(t.json:3: io: expected "uring" or "mmsg", got "x")j"},
};

#undef L1
#undef P1

class ConfigErrorTest : public testing::TestWithParam<ErrorCase> {};

TEST_P(ConfigErrorTest, RejectsWithExactMessage) {
  const ErrorCase& c = GetParam();
  const absl::StatusOr<Config> config = Parse(c.json);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(config.status().message()), Expand(c.message));
}

INSTANTIATE_TEST_SUITE_P(Rows, ConfigErrorTest, testing::ValuesIn(kErrorCases));

TEST(ConfigTest, MinimalConfigTakesTheDefaults) {
  const absl::StatusOr<Config> config = Parse(R"j({"listen": ["udp:127.0.0.1:5060"]})j");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->listen.size(), 1u);
  EXPECT_EQ(config->listen[0].transport, Transport::kUdp);
  EXPECT_EQ(config->listen[0].host, "127.0.0.1");
  EXPECT_EQ(config->listen[0].port, 5060);
  EXPECT_EQ(config->listen[0].text, "udp:127.0.0.1:5060");
  EXPECT_EQ(config->workers, 1u);
  EXPECT_EQ(config->io, IoKind::kUring);
  EXPECT_TRUE(config->cpus.empty());
  EXPECT_EQ(config->max_bindings, 1000000u);
  EXPECT_TRUE(config->prefault);
  EXPECT_EQ(config->data_dir, "var");
  EXPECT_EQ(config->registrar.min_expires, 600u);
  EXPECT_EQ(config->registrar.max_expires, 3600u);
  EXPECT_EQ(config->registrar.default_expires, 3600u);
  EXPECT_EQ(config->registrar.max_contacts_per_aor, 10u);
  EXPECT_EQ(config->registrar.max_contacts_policy, MaxContactsPolicy::kReject);
  EXPECT_EQ(config->registrar.nonce_lifetime, 300u);
  EXPECT_TRUE(config->journal.enabled);
  EXPECT_EQ(config->journal.flush_interval_ms, 100u);
  EXPECT_EQ(config->journal.fsync, FsyncMode::kInterval);
  EXPECT_EQ(config->journal.snapshot_interval_s, 300u);
  EXPECT_EQ(config->storm.max_delay_ms, 200u);
  EXPECT_EQ(config->storm.retry_after_min, 30u);
  EXPECT_EQ(config->storm.retry_after_max, 300u);
  EXPECT_TRUE(config->accounts.empty());
}

TEST(ConfigTest, ReadsTheJournalSection) {
  absl::StatusOr<Config> config = ParseConfig(
      R"j({"listen": ["udp:127.0.0.1:5060"],
          "journal": {"enabled": false, "flush_interval_ms": 20, "fsync": "always",
                      "snapshot_interval_s": 0}})j",
      "t.json");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_FALSE(config->journal.enabled);
  EXPECT_EQ(config->journal.flush_interval_ms, 20u);
  EXPECT_EQ(config->journal.fsync, FsyncMode::kAlways);
  EXPECT_EQ(config->journal.snapshot_interval_s, 0u);
}

// The shape in config.h's file comment, with the "…" placeholders filled in.
TEST(ConfigTest, ParsesTheHeaderExample) {
  const absl::StatusOr<Config> config = Parse(R"j(
  { "listen": ["udp:127.0.0.1:5060"],          // transports: udp (tcp/tls later)
    "workers": 2, "io": "uring",               // uring | mmsg
    "cpus": [1, 2],                            // optional: pin worker i to cpus[i]
    "max_bindings": 1000000, "data_dir": "var",
    "registrar": { "min_expires": 600, "max_expires": 3600, "default_expires": 3600,
                   "max_contacts_per_aor": 10, "max_contacts_policy": "reject",
                   "nonce_lifetime": 300 },
    "provisioning": { "accounts": [ {
        "sid": "$AC1", "auth_token": "0123456789abcdef0123456789abcdef",
        "credential_lists": [ { "sid": "$CL1", "friendly_name": "Staff",
                                "credentials": [ { "username": "alice", "password": "s3cret" } ] } ],
        "domains": [ { "sid": "$SD1", "domain_name": "acme.sip.example",
                       "sip_registration": true,
                       "registration_credential_lists": ["$CL1"] } ] } ] } }
)j");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->listen.size(), 1u);
  EXPECT_EQ(config->listen[0].host, "127.0.0.1");
  EXPECT_EQ(config->workers, 2u);
  EXPECT_EQ(config->io, IoKind::kUring);
  EXPECT_EQ(config->cpus, (std::vector<int>{1, 2}));
  EXPECT_EQ(config->max_bindings, 1000000u);
  EXPECT_EQ(config->data_dir, "var");
  EXPECT_EQ(config->registrar.min_expires, 600u);
  EXPECT_EQ(config->registrar.max_expires, 3600u);
  EXPECT_EQ(config->registrar.default_expires, 3600u);
  EXPECT_EQ(config->registrar.max_contacts_per_aor, 10u);
  EXPECT_EQ(config->registrar.max_contacts_policy, MaxContactsPolicy::kReject);
  EXPECT_EQ(config->registrar.nonce_lifetime, 300u);
  ASSERT_EQ(config->accounts.size(), 1u);
  const Account& account = config->accounts[0];
  EXPECT_EQ(account.sid, Expand("$AC1"));
  EXPECT_EQ(account.auth_token, "0123456789abcdef0123456789abcdef");
  ASSERT_EQ(account.credential_lists.size(), 1u);
  EXPECT_EQ(account.credential_lists[0].sid, Expand("$CL1"));
  EXPECT_EQ(account.credential_lists[0].friendly_name, "Staff");
  ASSERT_EQ(account.credential_lists[0].credentials.size(), 1u);
  EXPECT_EQ(account.credential_lists[0].credentials[0].username, "alice");
  EXPECT_EQ(account.credential_lists[0].credentials[0].password, "s3cret");
  ASSERT_EQ(account.domains.size(), 1u);
  EXPECT_EQ(account.domains[0].sid, Expand("$SD1"));
  EXPECT_EQ(account.domains[0].domain_name, "acme.sip.example");
  EXPECT_TRUE(account.domains[0].sip_registration);
  EXPECT_EQ(account.domains[0].registration_credential_lists,
            (std::vector<std::string>{Expand("$CL1")}));
}

TEST(ConfigTest, ReadsEveryNonDefaultValue) {
  const absl::StatusOr<Config> config = Parse(R"j({
    "listen": ["udp:[::1]:0", "tcp:0.0.0.0:65535", "tls:127.0.0.1:0", "tls:127.0.0.1:0"],
    "workers": 3, "io": "mmsg", "cpus": [0, 1023, 5], "max_bindings": 4294967295,
    "prefault": false, "data_dir": "/var/lib/sipfront",
    "registrar": {"min_expires": 1, "max_expires": 86400, "default_expires": 60,
                  "max_contacts_per_aor": 1000, "max_contacts_policy": "replace_oldest",
                  "nonce_lifetime": 10, "bind_to_connection": true, "flow_timer": 3600,
                  "digest_algorithms": ["SHA-256", "MD5"]},
    "tls": {"certificate": "/etc/c.pem", "private_key": "k.pem", "allow_deprecated": true,
            "ciphers": "AES128-SHA"},
    "connections": {"max": 10000000, "max_per_ip": 1, "idle_timeout_s": 86400,
                    "max_message_bytes": 1024, "message_timeout_ms": 100,
                    "handshake_timeout_ms": 600000, "keepalive_interval_s": 0}})j");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->listen.size(), 4u);  // port 0 twice is fine: each binds a fresh port
  EXPECT_EQ(config->listen[0].host, "::1");
  EXPECT_EQ(config->listen[0].port, 0);
  EXPECT_EQ(config->listen[0].text, "udp:[::1]:0");
  EXPECT_EQ(config->listen[0].transport, Transport::kUdp);
  EXPECT_EQ(config->listen[1].host, "0.0.0.0");
  EXPECT_EQ(config->listen[1].port, 65535);
  EXPECT_EQ(config->listen[1].transport, Transport::kTcp);
  EXPECT_EQ(config->listen[2].transport, Transport::kTls);
  EXPECT_TRUE(config->registrar.bind_to_connection);
  EXPECT_EQ(config->registrar.flow_timer, 3600u);
  EXPECT_EQ(config->registrar.digest_algorithms,
            (std::vector<DigestAlgorithm>{DigestAlgorithm::kSha256, DigestAlgorithm::kMd5}));
  EXPECT_EQ(config->tls.certificate, "/etc/c.pem");
  EXPECT_EQ(config->tls.private_key, "k.pem");
  EXPECT_TRUE(config->tls.allow_deprecated);
  EXPECT_EQ(config->tls.ciphers, "AES128-SHA");
  EXPECT_EQ(config->connections.max, 10000000u);
  EXPECT_EQ(config->connections.max_per_ip, 1u);
  EXPECT_EQ(config->connections.idle_timeout_s, 86400u);
  EXPECT_EQ(config->connections.max_message_bytes, 1024u);
  EXPECT_EQ(config->connections.message_timeout_ms, 100u);
  EXPECT_EQ(config->connections.handshake_timeout_ms, 600000u);
  EXPECT_EQ(config->connections.keepalive_interval_s, 0u);
  EXPECT_EQ(config->workers, 3u);
  EXPECT_EQ(config->io, IoKind::kMmsg);
  EXPECT_EQ(config->cpus, (std::vector<int>{0, 1023, 5}));
  EXPECT_EQ(config->max_bindings, 4294967295u);
  EXPECT_FALSE(config->prefault);
  EXPECT_EQ(config->data_dir, "/var/lib/sipfront");
  EXPECT_EQ(config->registrar.min_expires, 1u);
  EXPECT_EQ(config->registrar.max_expires, 86400u);
  EXPECT_EQ(config->registrar.default_expires, 60u);
  EXPECT_EQ(config->registrar.max_contacts_per_aor, 1000u);
  EXPECT_EQ(config->registrar.max_contacts_policy, MaxContactsPolicy::kReplaceOldest);
  EXPECT_EQ(config->registrar.nonce_lifetime, 10u);
}

TEST(ConfigTest, IgnoresCommentsButNotSlashesInStrings) {
  const absl::StatusOr<Config> config = Parse(
      "\xEF\xBB\xBF// leading comment with \"an odd quote and a // nested marker\n"
      "{\n"
      "  \"listen\": [\"udp:127.0.0.1:5060\"], // trailing comment\n"
      "  // \"workers\": 99,\n"
      "  \"data_dir\": \"http://example.com/x//y\", // URL-like string\n"
      "  \"provisioning\": {\"accounts\": [{\"sid\": \"$AC1\", // } ] not closing anything\n"
      "    \"credential_lists\": [{\"sid\": \"$CL1\", \"friendly_name\": \"a // b \\\" // c\",\n"
      "      \"credentials\": [{\"username\": \"bob\", \"password\": \"p//w\\\\\"}]}]}]}\n"
      "} // no newline at the end");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->workers, 1u);
  EXPECT_EQ(config->data_dir, "http://example.com/x//y");
  ASSERT_EQ(config->accounts.size(), 1u);
  const CredentialList& list = config->accounts[0].credential_lists.at(0);
  EXPECT_EQ(list.friendly_name, "a // b \" // c");
  EXPECT_EQ(list.credentials.at(0).password, "p//w\\");
}

TEST(ConfigTest, ResolvesRegistrationListsDeclaredLater) {
  // domains before credential_lists; the same username in two lists; no auth_token.
  const absl::StatusOr<Config> config = Parse(R"j({"listen": ["udp:127.0.0.1:5060"],
    "provisioning": {"accounts": [{"sid": "$AC1",
      "domains": [{"sid": "$SD1", "domain_name": "a.example", "sip_registration": true,
                   "registration_credential_lists": ["$CL2", "$CL1"]}],
      "credential_lists": [
        {"sid": "$CL1", "credentials": [{"username": "alice", "password": "x"}]},
        {"sid": "$CL2", "credentials": [{"username": "alice", "password": "y"},
                                        {"username": "b.o-b_(1)!~*'&=+$,;?/", "password": "z"}]}]}]}})j");
  ASSERT_TRUE(config.ok()) << config.status();
  const Account& account = config->accounts.at(0);
  EXPECT_EQ(account.auth_token, "");
  EXPECT_EQ(account.domains.at(0).registration_credential_lists,
            (std::vector<std::string>{Expand("$CL2"), Expand("$CL1")}));
  EXPECT_EQ(account.credential_lists.at(1).credentials.at(1).username, "b.o-b_(1)!~*'&=+$,;?/");
}

TEST(ConfigTest, DefaultConfigParses) {
  const std::string json = DefaultConfigJson("Xq7-pLm2Vw9zR4tk", "demo-token-1");
  EXPECT_NE(json.find("//"), std::string::npos);  // it is annotated
  const absl::StatusOr<Config> config = ParseConfig(json, "default");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->listen.size(), 3u);
  EXPECT_EQ(config->listen[0].text, "udp:127.0.0.1:5060");
  EXPECT_EQ(config->listen[1].text, "tcp:127.0.0.1:5060");
  EXPECT_EQ(config->listen[2].text, "tls:127.0.0.1:5061");
  EXPECT_FALSE(config->registrar.bind_to_connection);
  EXPECT_EQ(config->registrar.digest_algorithms,
            (std::vector<DigestAlgorithm>{DigestAlgorithm::kMd5}));
  EXPECT_FALSE(config->tls.allow_deprecated);
  EXPECT_EQ(config->data_dir, "var");
  EXPECT_EQ(config->workers, 1u);
  ASSERT_EQ(config->accounts.size(), 1u);
  const Account& account = config->accounts[0];
  ASSERT_EQ(account.domains.size(), 1u);
  EXPECT_EQ(account.domains[0].domain_name, "demo.sip.localhost");
  EXPECT_TRUE(account.domains[0].sip_registration);
  ASSERT_EQ(account.credential_lists.size(), 1u);
  EXPECT_EQ(account.domains[0].registration_credential_lists,
            (std::vector<std::string>{account.credential_lists[0].sid}));
  ASSERT_EQ(account.credential_lists[0].credentials.size(), 1u);
  EXPECT_EQ(account.credential_lists[0].credentials[0].username, "alice");
  EXPECT_EQ(account.credential_lists[0].credentials[0].password, "Xq7-pLm2Vw9zR4tk");
}

TEST(ConfigTest, DefaultConfigEscapesThePassword) {
  for (const std::string password : {"a\"b\\c//d", "// \"}", "tab\there", "\xc3\xa9t\xc3\xa9"}) {
    const absl::StatusOr<Config> config =
        ParseConfig(DefaultConfigJson(password, "demo-token-2"), "default");
    ASSERT_TRUE(config.ok()) << password << ": " << config.status();
    EXPECT_EQ(config->accounts.at(0).credential_lists.at(0).credentials.at(0).password, password);
  }
}

class LoadConfigTest : public testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/sipfront_config_test.XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
  }
  void TearDown() override {
    std::remove((dir_ + "/sipfront.json").c_str());
    rmdir(dir_.c_str());
  }
  std::string dir_;
};

TEST_F(LoadConfigTest, ReadsAFile) {
  const std::string path = dir_ + "/sipfront.json";
  std::ofstream(path) << DefaultConfigJson("File-password-1", "demo-token-3");
  const absl::StatusOr<Config> config = LoadConfig(path);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->accounts.at(0).credential_lists.at(0).credentials.at(0).password,
            "File-password-1");
}

TEST_F(LoadConfigTest, NamesTheFileInParseErrors) {
  const std::string path = dir_ + "/sipfront.json";
  std::ofstream(path) << "{\"listen\": [\"udp:127.0.0.1:5060\"],\n\"workers\": 0}\n";
  const absl::StatusOr<Config> config = LoadConfig(path);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(std::string(config.status().message()),
            path + ":2: workers: expected an integer between 1 and 256, got 0");
}

TEST_F(LoadConfigTest, NamesTheMissingFileAndTheReason) {
  const std::string path = dir_ + "/missing.json";
  const absl::StatusOr<Config> config = LoadConfig(path);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(std::string(config.status().message()),
            "cannot read config " + path + ": No such file or directory");
}

TEST_F(LoadConfigTest, NamesADirectory) {
  const absl::StatusOr<Config> config = LoadConfig(dir_);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(std::string(config.status().message()),
            "cannot read config " + dir_ + ": Is a directory");
}

}  // namespace
}  // namespace sipfront::core
