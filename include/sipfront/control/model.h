// sipfront/control/model.h — the provisioning model, as the hosted product has it (seeds 000,
// 003): account -> SIP domains, credential lists -> credentials, IP access control lists -> IP
// addresses, and mappings of lists to a domain for calls and for registrations.
//
// Resources are identified by SIDs: a two-letter prefix and 32 lowercase hex digits
// (AC accounts, SD domains, CL credential lists, CR credentials, AL IP access control lists,
// IP addresses). Times are unix seconds (the API renders them RFC 2822, as the hosted API does).
//
// Passwords are never stored: a credential keeps HA1 = H(username:realm:password) per digest
// algorithm (MD5, SHA-256) for each realm it may be used in. The realm of a domain is its
// domain_name; HA1s are computed when a password is set, for every domain of the account
// (docs/architecture.md "Provisioning": a domain created or renamed later needs the password
// set again for its users to register there). An account's auth token is kept as its SHA-256.
//
// Validation here is what both the configuration seed and the REST API check (one place, so
// a seeded resource is valid over REST too). Limits are the seeds' (store.h enforces them).
//
// Threading: plain data and pure functions (NewSid draws from OpenSSL's RAND_bytes, which is
// thread-safe).
#ifndef SIPFRONT_CONTROL_MODEL_H_
#define SIPFRONT_CONTROL_MODEL_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sipfront::control {

enum class Kind : uint8_t {
  kAccount,
  kDomain,
  kCredentialList,
  kCredential,
  kIpAccessControlList,
  kIpAddress,
};
[[nodiscard]] std::string_view SidPrefix(Kind k);  // "AC", "SD", "CL", "CR", "AL", "IP"
// A fresh random SID of kind `k`.
[[nodiscard]] std::string NewSid(Kind k);
// Whether `s` is prefix + 32 hex digits (either case accepted; SIDs sipfront mints are
// lowercase hex, as the hosted API's are).
[[nodiscard]] bool IsSid(std::string_view s, Kind k);

// Limits of the hosted product (seed 000 and the hosted API's documented maxima).
inline constexpr uint32_t kMaxDomainsPerAccount = 100;
inline constexpr uint32_t kMaxCredentialListsPerDomain = 100;  // per mapping kind
inline constexpr uint32_t kMaxCredentialsPerList = 1000;
inline constexpr uint32_t kMaxIpAddressesPerAcl = 100;
inline constexpr uint32_t kMaxIpAclsPerDomain = 100;  // per mapping kind
inline constexpr uint32_t kMaxCredentialListsPerAccount = 1000;
inline constexpr uint32_t kMaxIpAclsPerAccount = 1000;
inline constexpr std::size_t kMaxUsernameLength = 32;
inline constexpr std::size_t kMinPasswordLength = 12;
inline constexpr std::size_t kMaxPasswordLength = 128;
inline constexpr std::size_t kMaxFriendlyNameLength = 64;
inline constexpr std::size_t kMaxUrlLength = 2048;

struct Account {
  std::string sid;
  std::string friendly_name;
  std::string auth_token_sha256;  // lowercase hex SHA-256 of the auth token
  int64_t date_created = 0;
  int64_t date_updated = 0;
};

struct Domain {
  std::string sid;
  std::string account_sid;
  std::string domain_name;  // lowercase DNS name; also the digest realm
  std::string friendly_name;
  std::string voice_url;
  std::string voice_method = "POST";
  std::string voice_fallback_url;
  std::string voice_fallback_method = "POST";
  std::string voice_status_callback_url;
  std::string voice_status_callback_method = "POST";
  bool sip_registration = false;
  bool secure = false;
  bool emergency_calling_enabled = false;
  int64_t date_created = 0;
  int64_t date_updated = 0;
};

struct CredentialList {
  std::string sid;
  std::string account_sid;
  std::string friendly_name;
  int64_t date_created = 0;
  int64_t date_updated = 0;
};

struct Credential {
  std::string sid;
  std::string account_sid;
  std::string credential_list_sid;
  std::string username;
  int64_t date_created = 0;
  int64_t date_updated = 0;
};

struct IpAccessControlList {
  std::string sid;
  std::string account_sid;
  std::string friendly_name;
  int64_t date_created = 0;
  int64_t date_updated = 0;
};

struct IpAddress {
  std::string sid;
  std::string account_sid;
  std::string ip_access_control_list_sid;
  std::string friendly_name;
  std::string ip_address;            // IPv4 or IPv6 literal as normalised by inet_ntop
  uint32_t cidr_prefix_length = 32;  // 0..32 (IPv4), 0..128 (IPv6)
  int64_t date_created = 0;
  int64_t date_updated = 0;
};

// What a mapping attaches to a domain. The hosted API's legacy
// Domains/{SD}/CredentialListMappings and Domains/{SD}/IpAccessControlListMappings are the
// calls mappings. kRegistrationsIpAcl (Auth/Registrations/IpAccessControlListMappings) goes
// beyond the hosted API: it restricts where REGISTERs may come from.
enum class MappingKind : uint8_t {
  kCallsCredentialList,
  kCallsIpAcl,
  kRegistrationsCredentialList,
  kRegistrationsIpAcl,
};
[[nodiscard]] bool MapsIpAcl(MappingKind k);  // list is an AL (else a CL)

struct Mapping {
  MappingKind kind = MappingKind::kRegistrationsCredentialList;
  std::string account_sid;
  std::string domain_sid;
  std::string list_sid;       // CL... or AL...
  std::string friendly_name;  // the list's, when read back
  int64_t date_created = 0;
  int64_t date_updated = 0;
};

// ---- validation (an empty string means valid; otherwise the reason, naming the field) ----

// RFC 3261 user characters without escapes, 1..kMaxUsernameLength.
[[nodiscard]] std::string CheckUsername(std::string_view username);
// kMinPasswordLength..kMaxPasswordLength, at least one uppercase letter, one lowercase
// letter and one digit (the hosted API's policy), no control characters.
[[nodiscard]] std::string CheckPassword(std::string_view password);
// A DNS name: labels of letters, digits and '-', at most 63 each, 253 in all, at least two
// labels.
[[nodiscard]] std::string CheckDomainName(std::string_view name);
// Empty, or an absolute http:// or https:// URL without spaces or control characters.
[[nodiscard]] std::string CheckUrl(std::string_view url);
// "GET" or "POST" (case-insensitive; stored uppercase).
[[nodiscard]] std::string CheckMethod(std::string_view method);
// At most kMaxFriendlyNameLength bytes, no control characters.
[[nodiscard]] std::string CheckFriendlyName(std::string_view name);
// Parses an IPv4 or IPv6 literal and a prefix (0..32 / 0..128); writes the normalised text
// (inet_ntop) to `normalised`.
[[nodiscard]] std::string CheckIpAddress(std::string_view ip, uint32_t prefix,
                                         std::string& normalised);

// Lowercase hex SHA-256 of an auth token (how accounts keep it).
[[nodiscard]] std::string HashAuthToken(std::string_view token);

}  // namespace sipfront::control

#endif  // SIPFRONT_CONTROL_MODEL_H_
