#include "sipfront/registrar/registrar.h"
// Start-up code: builds the domain table once, before the workers start (slow path; listed in
// scripts/fastpath-exempt.txt).

#include "sipfront/base/check.h"

namespace sipfront::registrar {
namespace {

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

}  // namespace

namespace {
// Domain names are at most 253 characters (RFC 1035).
constexpr std::size_t kMaxDomainLength = 253;
}  // namespace

uint16_t DomainTable::Add(std::string_view name, bool registration) {
  SIPFRONT_CHECK(domains_.size() < 0xffff);
  std::string lower(name);
  for (char& c : lower) {
    c = Lower(c);
  }
  domains_.push_back(DomainInfo{static_cast<uint16_t>(domains_.size()), registration, lower});
  return domains_.back().id;
}

const DomainInfo* DomainTable::Find(std::string_view host) const {
  if (host.size() > kMaxDomainLength) {
    return nullptr;
  }
  char lower[kMaxDomainLength];
  for (std::size_t i = 0; i < host.size(); ++i) {
    lower[i] = Lower(host[i]);
  }
  const std::string_view key(lower, host.size());
  // Deployments have tens to hundreds of domains: a linear scan over contiguous entries is as
  // fast as hashing here and allocation-free.
  for (const DomainInfo& d : domains_) {
    if (d.name == key) {
      return &d;
    }
  }
  return nullptr;
}

}  // namespace sipfront::registrar
