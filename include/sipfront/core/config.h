// sipfront/core/config.h — the server configuration: `sipfront --config FILE`.
//
// The file is JSON (parsed with simdjson) with `//` line comments allowed, so an operator can
// annotate it. Every error names the file, the line and the key ("sipfront.json:7: registrar.
// min_expires: expected an integer between 1 and 86400, got "600s""). Unknown keys are errors
// too (they are almost always typos), and so are duplicate keys. Required keys: "listen"; an
// account's "sid"; a credential list's "sid"; a credential's "username" and "password"; a
// domain's "sid" and "domain_name". Every other key may be left out and takes the default shown
// in the structs below. Shape (more keys may come with later issues):
//
//   { "listen": ["udp:127.0.0.1:5060", "tcp:127.0.0.1:5060", "tls:127.0.0.1:5061"],
//     "workers": 2, "io": "uring",               // uring | mmsg
//     "cpus": [1, 2],                            // optional: pin worker i to cpus[i]
//     "max_bindings": 1000000, "data_dir": "var",
//     "registrar": { "min_expires": 600, "max_expires": 3600, "default_expires": 3600,
//                    "max_contacts_per_aor": 10, "max_contacts_policy": "reject",
//                    "nonce_lifetime": 300 },
//     "journal": { "enabled": true, "flush_interval_ms": 100, "fsync": "interval",
//                  "snapshot_interval_s": 300 },                // interval | always | never
//     "storm": { "max_delay_ms": 200, "retry_after_min": 30, "retry_after_max": 300 },
//     "tls": { "certificate": "tls/cert.pem", "private_key": "tls/key.pem",
//              "allow_deprecated": false, "ciphers": "…" },
//     "connections": { "max": 10000, "max_per_ip": 1000, "idle_timeout_s": 300,
//                      "max_message_bytes": 65535, "message_timeout_ms": 5000,
//                      "handshake_timeout_ms": 5000 },
//     "nat": { "keepalive": "options", "keepalive_interval_s": 30, "max_missed": 0 },
//     "api": { "listen": "127.0.0.1:8080" },                   // or "off"
//     "provisioning": { "store": "sqlite:var/provisioning.db",  // or "postgresql://…"
//                       "poll_interval_ms": 1000,
//                       "accounts": [ {
//         "sid": "AC…", "auth_token": "…",
//         "credential_lists": [ { "sid": "CL…", "friendly_name": "…",
//                                 "credentials": [ { "username": "alice", "password": "…" } ] } ],
//         "domains": [ { "sid": "SD…", "domain_name": "acme.sip.example",
//                        "sip_registration": true,
//                        "registration_credential_lists": ["CL…"] } ] } ] } }
//
// Threading: plain data, built once on the main thread.
#ifndef SIPFRONT_CORE_CONFIG_H_
#define SIPFRONT_CORE_CONFIG_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sipfront/base/status.h"

namespace sipfront::core {

enum class Transport : uint8_t { kUdp, kTcp, kTls };
enum class IoKind : uint8_t { kUring, kMmsg };
enum class MaxContactsPolicy : uint8_t { kReject, kReplaceOldest };
enum class DigestAlgorithm : uint8_t { kMd5, kSha256 };

struct ListenSpec {
  Transport transport = Transport::kUdp;
  std::string host;  // IPv4 literal or IPv6 literal without brackets
  uint16_t port = 5060;
  std::string text;  // as written ("udp:127.0.0.1:5060")
};

struct RegistrarConfig {
  uint32_t min_expires = 600;
  uint32_t max_expires = 3600;
  uint32_t default_expires = 3600;
  uint32_t max_contacts_per_aor = 10;
  MaxContactsPolicy max_contacts_policy = MaxContactsPolicy::kReject;
  uint32_t nonce_lifetime = 300;  // seconds a nonce stays fresh
  // Digest challenges a 401 offers, in order: "MD5", "SHA-256" (RFC 8760). Default MD5 only:
  // several clients (libre/baresip 1.x among them) give up when any offered challenge is not
  // MD5, and most phones know no other.
  std::vector<DigestAlgorithm> digest_algorithms = {DigestAlgorithm::kMd5};
  bool bind_to_connection = false;  // drop TCP/TLS-registered bindings when the flow closes
  uint32_t flow_timer = 120;        // RFC 5626 Flow-Timer in 200s to outbound clients (10..3600)
};

// TLS listeners (docs/configuration.md "tls"). Relative paths are under data_dir; when both
// files are missing at start, a self-signed pair is generated there.
struct TlsConfig {
  std::string certificate = "tls/cert.pem";
  std::string private_key = "tls/key.pem";
  bool allow_deprecated = false;  // also TLS 1.0 and 1.1
  std::string ciphers;            // TLS 1.2 cipher list; empty: the product's (seed 003)
};

// NAT keepalives to UDP contacts (docs/configuration.md "nat").
enum class KeepaliveMode : uint8_t { kOptions, kCrlf, kOff };
struct NatConfig {
  KeepaliveMode keepalive = KeepaliveMode::kOptions;
  uint32_t keepalive_interval_s = 30;  // 5..3600
  uint32_t max_missed = 0;             // OPTIONS unanswered in a row before removal; 0: never
};

// TCP/TLS connection limits (docs/configuration.md "connections").
struct ConnectionsConfig {
  uint32_t max = 10000;                  // open connections in all (1..10^7)
  uint32_t max_per_ip = 1000;            // from one source address (1..10^7)
  uint32_t idle_timeout_s = 300;         // no bytes for this long: closed (1..86400)
  uint32_t max_message_bytes = 65535;    // larger: 513 and closed (1024..65535)
  uint32_t message_timeout_ms = 5000;    // a started message must complete within (100..600000)
  uint32_t handshake_timeout_ms = 5000;  // TLS handshake (100..600000)
  uint32_t keepalive_interval_s = 120;   // CRLFCRLF to quiet connections (0: off; 0..86400)
};

enum class FsyncMode : uint8_t { kInterval, kAlways, kNever };

// Durability of bindings (docs/configuration.md "journal").
struct JournalConfig {
  bool enabled = true;
  uint32_t flush_interval_ms = 100;  // fdatasync period with fsync "interval" (1..10000)
  FsyncMode fsync = FsyncMode::kInterval;
  uint32_t snapshot_interval_s = 300;  // 0: snapshot only at shutdown (0..86400)
};

// Registration storm guard (docs/configuration.md "storm").
struct StormConfig {
  uint32_t max_delay_ms = 200;    // a REGISTER that waited longer is shed with 503; 0: off
  uint32_t retry_after_min = 30;  // Retry-After drawn uniformly from [min, max] seconds
  uint32_t retry_after_max = 300;
};

// The REST provisioning API (docs/api.md).
struct ApiConfig {
  std::string listen = "127.0.0.1:8080";  // HOST:PORT, or "off"
  bool listen_given = false;              // set in the file (a busy port is then fatal)
};

// Where provisioning lives. Empty store: "sqlite:<data_dir>/provisioning.db".
struct ProvisioningConfig {
  std::string store;
  uint32_t poll_interval_ms = 1000;  // how often the store's revision is checked (50..60000)
};

struct Credential {
  std::string username;
  std::string password;
};

struct CredentialList {
  std::string sid;  // "CL" + 32 hex
  std::string friendly_name;
  std::vector<Credential> credentials;
};

struct Domain {
  std::string sid;  // "SD" + 32 hex
  std::string domain_name;
  bool sip_registration = false;
  std::vector<std::string> registration_credential_lists;  // CredentialList sids
};

struct Account {
  std::string sid;  // "AC" + 32 hex
  std::string auth_token;
  std::vector<CredentialList> credential_lists;
  std::vector<Domain> domains;
};

struct Config {
  std::vector<ListenSpec> listen;
  uint32_t workers = 1;
  IoKind io = IoKind::kUring;
  std::vector<int> cpus;  // empty: not pinned
  uint64_t max_bindings = 1000000;
  bool prefault = true;  // make the tables resident at start
  std::string data_dir = "var";
  RegistrarConfig registrar;
  JournalConfig journal;
  StormConfig storm;
  TlsConfig tls;
  ConnectionsConfig connections;
  NatConfig nat;
  ApiConfig api;
  ProvisioningConfig provisioning;
  std::vector<Account> accounts;  // provisioning.accounts: seeds an empty store
};

// Parses and validates a configuration document. `source` names it in error messages.
// Checks: types and ranges of every key; min_expires <= default_expires <= max_expires;
// workers 1..256; cpus (when given) one per worker; listen entries "udp:HOST:PORT",
// "tcp:HOST:PORT" or "tls:HOST:PORT" with an IP literal host (IPv6 in brackets) and port
// 0..65535 (0: pick one, for tests), exactly one of them udp; SIDs of the
// right prefix followed by 32 hex digits, unique; domain names unique across accounts;
// every registration_credential_lists entry names a list of the same account; usernames
// 1..32 characters, unique within a list.
// Ranges: min/max/default_expires 1..86400, max_contacts_per_aor 1..1000, nonce_lifetime
// 10..3600 (seconds), max_bindings 1..2^32-1, cpus entries 0..1023; listen non-empty, without
// duplicates (port 0 aside). Usernames use
// RFC 3261 user characters without escapes (letters, digits, -_.!~*'()&=+$,;?/); passwords
// and a given auth_token are non-empty; no string may contain NUL; domain_name is a DNS name
// (labels of letters, digits and '-', at most 63 each and 253 in all), unique ignoring case.
// Returns: the Config, or InvalidArgument with one message "SOURCE:LINE: KEY.PATH: REASON"
// (for JSON syntax errors "SOURCE:LINE: invalid JSON: <simdjson's message>", LINE left out
// when simdjson gives no position). Passwords and tokens are never quoted in messages.
absl::StatusOr<Config> ParseConfig(std::string_view json, std::string_view source);

// Reads and parses a file; parse errors use `path` as the source. A file that cannot be read
// gives the errno's code (NotFound, PermissionDenied, ...) and "cannot read config PATH:
// <strerror>".
absl::StatusOr<Config> LoadConfig(const std::string& path);

// The embedded default: one account (API token `auth_token`), one domain "demo.sip.localhost" with
// registration on, one credential list with user "alice" and a random 16-character password,
// listening on udp:127.0.0.1:5060, tcp:127.0.0.1:5060 and tls:127.0.0.1:5061, data_dir "var".
// Returned as JSON text (with comments) so it can be written to a file the operator edits.
// `password` (the caller draws it) is JSON-escaped into the text; ParseConfig accepts the result
// whenever `password` is non-empty, NUL-free UTF-8.
std::string DefaultConfigJson(std::string_view password, std::string_view auth_token);

}  // namespace sipfront::core

#endif  // SIPFRONT_CORE_CONFIG_H_
