#include <cstring>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

#include "sipfront/auth/digest.h"

namespace sipfront::auth {
namespace {

// Key = lowercase(realm) '\0' username. A realm is a domain name and a username never carries
// a NUL on the wire, so the separator cannot be forged into a collision.
constexpr std::size_t kMaxKeyLength = kMaxRealmLength + 1 + kMaxUsernameLength;

// Writes the key into `buf` (kMaxKeyLength bytes); returns its length, or 0 when an argument is
// too long.
std::size_t BuildKey(std::string_view realm, std::string_view username, char* buf) {
  if (realm.size() > kMaxRealmLength || username.size() > kMaxUsernameLength) {
    return 0;
  }
  for (std::size_t i = 0; i < realm.size(); ++i) {
    const char c = realm[i];
    buf[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  buf[realm.size()] = '\0';
  std::memcpy(buf + realm.size() + 1, username.data(), username.size());
  return realm.size() + 1 + username.size();
}

void LowercaseHex(HexDigest& h) {
  for (uint8_t i = 0; i < h.len; ++i) {
    if (h.hex[i] >= 'A' && h.hex[i] <= 'F') {
      h.hex[i] = static_cast<char>(h.hex[i] - 'A' + 'a');
    }
  }
}

}  // namespace

// absl's default hash and equality for std::string keys are transparent, so find() takes the
// stack-built key as an absl::string_view without materialising a std::string. (Debian's absl
// is built with its own absl::string_view class, not an alias of std::string_view, so the key
// must be spelled as absl's type.)
struct CredentialStore::Impl {
  absl::flat_hash_map<std::string, CredentialEntry> entries;
};

CredentialStore::CredentialStore() : impl_(std::make_unique<Impl>()) {}
CredentialStore::~CredentialStore() = default;
CredentialStore::CredentialStore(CredentialStore&&) noexcept = default;
CredentialStore& CredentialStore::operator=(CredentialStore&&) noexcept = default;

bool CredentialStore::Add(std::string_view realm, std::string_view username,
                          std::string_view password) {
  CredentialEntry entry{};
  entry.ha1_md5 = ComputeHa1(Algorithm::kMd5, username, realm, password);
  entry.ha1_sha256 = ComputeHa1(Algorithm::kSha256, username, realm, password);
  return AddHa1(realm, username, entry);
}

bool CredentialStore::AddHa1(std::string_view realm, std::string_view username,
                             const CredentialEntry& entry) {
  char buf[kMaxKeyLength];
  const std::size_t n = BuildKey(realm, username, buf);
  if (n == 0) {
    return false;
  }
  if (impl_ == nullptr) {  // a moved-from store becomes usable again
    impl_ = std::make_unique<Impl>();
  }
  CredentialEntry copy = entry;
  LowercaseHex(copy.ha1_md5);
  LowercaseHex(copy.ha1_sha256);
  impl_->entries.insert_or_assign(std::string(buf, n), copy);
  return true;
}

const CredentialEntry* CredentialStore::Find(std::string_view realm,
                                             std::string_view username) const {
  char buf[kMaxKeyLength];
  const std::size_t n = BuildKey(realm, username, buf);
  if (n == 0 || impl_ == nullptr) {  // impl_ is null only in a moved-from store
    return nullptr;
  }
  const auto it = impl_->entries.find(absl::string_view(buf, n));
  return it == impl_->entries.end() ? nullptr : &it->second;
}

std::size_t CredentialStore::size() const { return impl_ == nullptr ? 0 : impl_->entries.size(); }

}  // namespace sipfront::auth
