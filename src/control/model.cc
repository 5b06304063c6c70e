#include "sipfront/control/model.h"

#include <array>
#include <cstring>

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "absl/strings/ascii.h"

#include "sipfront/base/ascii.h"
#include "sipfront/base/check.h"

#include "store_util.h"

namespace sipfront::control {
namespace {

constexpr char kHex[] = "0123456789abcdef";

std::string ToHex(const unsigned char* p, std::size_t n) {
  std::string out(n * 2, '\0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = kHex[p[i] >> 4];
    out[2 * i + 1] = kHex[p[i] & 0xf];
  }
  return out;
}

bool IsControl(unsigned char c) { return c < 0x20 || c == 0x7f; }

bool HasControl(std::string_view s) {
  for (unsigned char c : s) {
    if (IsControl(c)) {
      return true;
    }
  }
  return false;
}

// RFC 3261 §25.1: user = 1*( unreserved / escaped / user-unreserved ); escapes are not taken.
bool IsUserChar(unsigned char c) {
  if (absl::ascii_isalnum(c)) {
    return true;
  }
  return std::strchr("-_.!~*'()&=+$,;?/", c) != nullptr && c != '\0';
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && AsciiIEquals(s.substr(0, prefix.size()), prefix);
}

}  // namespace

std::string_view SidPrefix(Kind k) {
  switch (k) {
    case Kind::kAccount:
      return "AC";
    case Kind::kDomain:
      return "SD";
    case Kind::kCredentialList:
      return "CL";
    case Kind::kCredential:
      return "CR";
    case Kind::kIpAccessControlList:
      return "AL";
    case Kind::kIpAddress:
      return "IP";
  }
  return "";
}

std::string NewSid(Kind k) {
  std::array<unsigned char, 16> bytes;
  // A SID that repeats would alias two resources; without randomness we cannot go on.
  SIPFRONT_CHECK(RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) == 1);
  return Cat(SidPrefix(k), ToHex(bytes.data(), bytes.size()));
}

bool IsSid(std::string_view s, Kind k) {
  if (s.size() != 34 || s.substr(0, 2) != SidPrefix(k)) {
    return false;
  }
  for (char c : s.substr(2)) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

bool MapsIpAcl(MappingKind k) {
  return k == MappingKind::kCallsIpAcl || k == MappingKind::kRegistrationsIpAcl;
}

std::string CheckUsername(std::string_view username) {
  if (username.empty() || username.size() > kMaxUsernameLength) {
    return Cat("Username must be 1 to ", kMaxUsernameLength, " characters");
  }
  for (unsigned char c : username) {
    if (!IsUserChar(c)) {
      return "Username may contain only letters, digits and -_.!~*'()&=+$,;?/";
    }
  }
  return "";
}

std::string CheckPassword(std::string_view password) {
  bool upper = false;
  bool lower = false;
  bool digit = false;
  for (unsigned char c : password) {
    upper |= absl::ascii_isupper(c);
    lower |= absl::ascii_islower(c);
    digit |= absl::ascii_isdigit(c);
  }
  if (password.size() < kMinPasswordLength || !upper || !lower || !digit) {
    return Cat("Password must be at least ", kMinPasswordLength,
               " characters and contain an uppercase letter, a lowercase letter and a "
               "digit");
  }
  if (password.size() > kMaxPasswordLength) {
    return Cat("Password must be at most ", kMaxPasswordLength, " characters");
  }
  if (HasControl(password)) {
    return "Password must not contain control characters";
  }
  return "";
}

std::string CheckDomainName(std::string_view name) {
  const std::string reason =
      "DomainName must be a DNS name of at least two labels (letters, digits and '-', at most "
      "63 characters each, 253 in all)";
  if (name.empty() || name.size() > 253) {
    return reason;
  }
  std::size_t labels = 0;
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t dot = name.find('.', start);
    if (dot == std::string_view::npos) {
      dot = name.size();
    }
    const std::string_view label = name.substr(start, dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return reason;
    }
    for (unsigned char c : label) {
      if (!absl::ascii_isalnum(c) && c != '-') {
        return reason;
      }
    }
    ++labels;
    start = dot + 1;
  }
  return labels >= 2 ? "" : reason;
}

std::string CheckUrl(std::string_view url) {
  if (url.empty()) {
    return "";
  }
  const std::string reason = Cat("Url must be an absolute http:// or https:// URL of at most ",
                                 kMaxUrlLength, " characters without spaces or control characters");
  if (url.size() > kMaxUrlLength) {
    return reason;
  }
  std::size_t host = 0;
  if (StartsWithNoCase(url, "http://")) {
    host = 7;
  } else if (StartsWithNoCase(url, "https://")) {
    host = 8;
  } else {
    return reason;
  }
  if (url.size() == host || url[host] == '/' || url[host] == '?' || url[host] == '#') {
    return reason;
  }
  for (unsigned char c : url) {
    if (IsControl(c) || c == ' ') {
      return reason;
    }
  }
  return "";
}

std::string CheckMethod(std::string_view method) {
  if (AsciiIEquals(method, "GET") || AsciiIEquals(method, "POST")) {
    return "";
  }
  return "Method must be GET or POST";
}

std::string CheckFriendlyName(std::string_view name) {
  if (name.size() > kMaxFriendlyNameLength || HasControl(name)) {
    return Cat("FriendlyName must be at most ", kMaxFriendlyNameLength,
               " characters without control characters");
  }
  return "";
}

std::string CheckIpAddress(std::string_view ip, uint32_t prefix, std::string& normalised) {
  const std::string reason = "IpAddress must be an IPv4 or IPv6 address";
  if (ip.empty() || ip.size() >= INET6_ADDRSTRLEN) {
    return reason;
  }
  char text[INET6_ADDRSTRLEN] = {};
  std::memcpy(text, ip.data(), ip.size());
  unsigned char addr[16];
  char out[INET6_ADDRSTRLEN];
  int family = AF_INET;
  if (inet_pton(AF_INET, text, addr) != 1) {
    family = AF_INET6;
    if (inet_pton(AF_INET6, text, addr) != 1) {
      return reason;
    }
  }
  const uint32_t max_prefix = family == AF_INET ? 32 : 128;
  if (prefix > max_prefix) {
    return Cat("CidrPrefixLength must be 0 to ", max_prefix, " for an ",
               family == AF_INET ? "IPv4" : "IPv6", " address");
  }
  if (inet_ntop(family, addr, out, sizeof(out)) == nullptr) {
    return reason;
  }
  normalised = out;
  return "";
}

std::string HashAuthToken(std::string_view token) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // Slow path (account seeding and API logins): EVP's allocation does not matter here.
  SIPFRONT_CHECK(EVP_Digest(token.data(), token.size(), md, &len, EVP_sha256(), nullptr) == 1);
  return ToHex(md, len);
}

}  // namespace sipfront::control
