#include "sipfront/control/provisioning.h"

#include <algorithm>
#include <chrono>
#include <iostream>

#include "sipfront/base/clock.h"

namespace sipfront::control {
namespace {

bool ParseHa1(std::string_view hex, std::size_t len, auth::HexDigest& out) {
  if (hex.size() != len) {
    return false;
  }
  for (std::size_t i = 0; i < len; ++i) {
    const char c = hex[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
    out.hex[i] = c;
  }
  out.len = static_cast<uint8_t>(len);
  return true;
}

registrar::NetworkSet Networks(const std::vector<RuntimeNetwork>& networks) {
  registrar::NetworkSet set;
  for (const RuntimeNetwork& n : networks) {
    // The store validated and normalised these; a row that still does not parse admits
    // nothing (an ACL fails closed).
    (void)set.Add(n.ip_address, n.cidr_prefix_length);
  }
  set.Seal();
  return set;
}

const char* TransportName(registrar::Transport t) {
  switch (t) {
    case registrar::Transport::kUdp:
      return "udp";
    case registrar::Transport::kTcp:
      return "tcp";
    case registrar::Transport::kTls:
      return "tls";
    case registrar::Transport::kSctp:
      return "sctp";
    case registrar::Transport::kWs:
      return "ws";
    case registrar::Transport::kWss:
      return "wss";
  }
  return "?";
}

}  // namespace

std::shared_ptr<const registrar::DomainAuth> BuildDomainAuth(const RuntimeDomain& rd) {
  auto piece = std::make_shared<registrar::DomainAuth>();
  piece->content_revision = rd.content_revision;
  piece->registration_acl = rd.registration_acl;
  piece->registration_networks = Networks(rd.registration_networks);
  piece->calls_acl = rd.calls_acl;
  piece->calls_networks = Networks(rd.calls_networks);
  for (const RuntimeCredential& c : rd.registration_credentials) {
    auth::CredentialEntry e{};
    if (ParseHa1(c.ha1_md5, 32, e.ha1_md5) && ParseHa1(c.ha1_sha256, 64, e.ha1_sha256)) {
      (void)piece->credentials.AddHa1(rd.domain.domain_name, c.username, e);
    }
  }
  return piece;
}

std::unique_ptr<registrar::Provisioned> BuildProvisioned(const Runtime& runtime,
                                                         registrar::DomainNames& names) {
  auto p = std::make_unique<registrar::Provisioned>();
  p->revision = runtime.revision;
  for (const RuntimeDomain& rd : runtime.domains) {
    p->AddDomain(names, rd.domain.domain_name, rd.domain.sip_registration, BuildDomainAuth(rd));
  }
  return p;
}

// ---- ProvisioningLoader ----

ProvisioningLoader::ProvisioningLoader(std::unique_ptr<Store> store, registrar::DomainNames& names,
                                       uint32_t poll_ms)
    : store_(std::move(store)), names_(names), poll_ms_(poll_ms) {}

ProvisioningLoader::~ProvisioningLoader() { Stop(); }

absl::StatusOr<std::unique_ptr<registrar::Provisioned>> ProvisioningLoader::Refresh() {
  absl::StatusOr<Store::DomainRevisions> revs = store_->LoadDomainRevisions();
  if (!revs.ok()) {
    return revs.status();
  }
  if (built_ && revs->revision == counters_.revision.load(std::memory_order_relaxed)) {
    return std::unique_ptr<registrar::Provisioned>();
  }
  std::vector<std::string> changed;
  std::unordered_map<std::string, Piece> kept;
  for (const Store::DomainRevision& d : revs->domains) {
    auto it = pieces_.find(d.sid);
    if (it == pieces_.end() || it->second.content_revision != d.content_revision) {
      changed.push_back(d.sid);
    } else {
      kept.emplace(d.sid, std::move(it->second));
    }
  }
  if (!changed.empty()) {
    absl::StatusOr<Runtime> rt = store_->LoadRuntime(changed);
    if (!rt.ok()) {
      return rt.status();
    }
    for (const RuntimeDomain& rd : rt->domains) {
      kept[rd.domain.sid] = Piece{rd.domain.domain_name, rd.domain.sip_registration,
                                  rd.content_revision, BuildDomainAuth(rd)};
    }
    counters_.domains_loaded.fetch_add(rt->domains.size(), std::memory_order_relaxed);
  }
  pieces_ = std::move(kept);  // domains deleted since are gone
  auto p = std::make_unique<registrar::Provisioned>();
  p->revision = revs->revision;
  for (const Store::DomainRevision& d : revs->domains) {
    const auto it = pieces_.find(d.sid);
    if (it != pieces_.end()) {  // absent: deleted between the two reads
      p->AddDomain(names_, it->second.name, it->second.registration, it->second.auth);
    }
  }
  built_ = true;
  counters_.revision.store(revs->revision, std::memory_order_relaxed);
  return p;
}

void ProvisioningLoader::Start(registrar::ProvisionedCell& cell) {
  cell_ = &cell;
  thread_ = std::thread([this] { Run(); });
}

void ProvisioningLoader::Stop() {
  {
    const std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void ProvisioningLoader::Notify() {
  {
    const std::lock_guard<std::mutex> lock(mu_);
    notified_ = true;
  }
  cv_.notify_all();
}

void ProvisioningLoader::Run() {
  std::string last_error;
  auto next_poll = std::chrono::steady_clock::now();
  for (;;) {
    bool notified = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      // While old snapshots wait for the workers, look again soon; else wait for a change.
      const auto wake =
          std::min(next_poll, std::chrono::steady_clock::now() +
                                  std::chrono::milliseconds(cell_->Reclaim() != 0 ? 50 : poll_ms_));
      cv_.wait_until(lock, wake, [&] { return stop_ || notified_; });
      if (stop_) {
        break;
      }
      notified = notified_;
      notified_ = false;
    }
    const auto now = std::chrono::steady_clock::now();
    if (!notified && now < next_poll) {
      continue;  // woken to reclaim only
    }
    if (now >= next_poll) {
      next_poll = now + std::chrono::milliseconds(poll_ms_);
    }
    absl::Status status;
    if (!notified) {
      // The cheap check first: one row.
      absl::StatusOr<uint64_t> r = store_->Revision();
      if (r.ok() && *r == counters_.revision.load(std::memory_order_relaxed)) {
        continue;
      }
      status = r.status();
    }
    if (status.ok()) {
      absl::StatusOr<std::unique_ptr<registrar::Provisioned>> p = Refresh();
      if (p.ok()) {
        if (*p != nullptr) {
          cell_->Publish(std::move(*p));
          counters_.reloads.fetch_add(1, std::memory_order_relaxed);
        }
        last_error.clear();
        continue;
      }
      status = p.status();
    }
    counters_.errors.fetch_add(1, std::memory_order_relaxed);
    if (std::string(status.message()) != last_error) {
      last_error = std::string(status.message());
      std::cerr << "sipfront: provisioning: cannot load from the store (" << last_error
                << "); the workers keep the last loaded domains and credentials\n";
    }
  }
  cell_->Reclaim();
}

// ---- TableRegistrations ----

TableRegistrations::TableRegistrations(std::vector<const registrar::BindingTable*> tables,
                                       HashKey key, const registrar::DomainNames& names)
    : tables_(std::move(tables)), key_(key), names_(names) {}

bool TableRegistrations::Lookup(std::string_view domain_name, std::string_view user,
                                std::vector<LiveBinding>& out) {
  out.clear();
  const int32_t id = names_.Find(domain_name);
  if (id < 0) {
    return false;
  }
  if (user.empty() || user.size() > registrar::kMaxUserLength) {
    return true;  // no such AOR can be bound
  }
  const registrar::AorKey key = registrar::MakeAorKey(static_cast<uint16_t>(id), user, key_);
  const registrar::BindingTable& table =
      *tables_[static_cast<uint32_t>(key.hash) & (tables_.size() - 1)];
  // An AOR holds at most max_contacts_per_aor (<= 1000) bindings.
  std::vector<registrar::BindingCopy>& copies = scratch_;
  copies.resize(1000);
  const uint32_t n = table.Lookup(key, copies.data(), static_cast<uint32_t>(copies.size()));
  const uint32_t mono = MonoSeconds();
  const uint64_t wall = WallSeconds();
  for (uint32_t i = 0; i < n; ++i) {
    const registrar::BindingCopy& c = copies[i];
    if (c.expires_at <= mono) {
      continue;  // expired, not yet reaped
    }
    LiveBinding b;
    b.contact = std::string(c.contact_view());
    b.expires = c.expires_at - mono;
    char ep[net::kMaxEndpointString];
    b.source = std::string(ep, net::FormatEndpoint(c.source, ep));
    b.transport = TransportName(c.transport);
    b.instance = std::string(c.instance_view());
    b.user_agent = std::string(c.user_agent_view());
    b.q = c.q == registrar::kNoQ ? -1 : c.q;
    b.date_updated = static_cast<int64_t>(wall) - static_cast<int64_t>(mono - c.updated_at);
    out.push_back(std::move(b));
  }
  return true;
}

// ---- SeedStore ----

absl::StatusOr<SeedReport> SeedStore(Store& store, const std::vector<SeedAccount>& accounts) {
  SeedReport report;
  absl::StatusOr<uint64_t> revision = store.Revision();
  if (!revision.ok()) {
    return revision.status();
  }
  const bool fresh = *revision == 0;
  for (const SeedAccount& a : accounts) {
    Account account;
    absl::StatusOr<Account> existing = store.GetAccount(a.sid);
    if (existing.ok()) {
      account = *existing;
    } else if (existing.status().code() != absl::StatusCode::kNotFound) {
      return existing.status();
    }
    account.sid = a.sid;
    const std::string token = a.auth_token.empty() ? std::string() : HashAuthToken(a.auth_token);
    if (existing.ok() && (a.auth_token.empty() || token == account.auth_token_sha256)) {
      continue;
    }
    if (!a.auth_token.empty()) {
      account.auth_token_sha256 = token;
    } else {
      // No token in the configuration: the hash of a random one nobody knows, so the account
      // exists (its domains may be provisioned) but has no API access until one is set.
      account.auth_token_sha256 = HashAuthToken(NewSid(Kind::kAccount));
    }
    SIPFRONT_RETURN_IF_ERROR(store.PutAccount(account));
    ++report.accounts_updated;
  }
  if (!fresh) {
    return report;
  }
  auto where = [](std::string_view what, const absl::Status& s) {
    return absl::Status(s.code(), std::string(what) + ": " + std::string(s.message()));
  };
  for (const SeedAccount& a : accounts) {
    // Domains first: a credential's HA1s are computed for the domains its account has.
    for (const SeedDomain& d : a.domains) {
      Domain dom;
      dom.sid = d.sid;
      dom.account_sid = a.sid;
      dom.domain_name = d.domain_name;
      dom.sip_registration = d.sip_registration;
      absl::StatusOr<Domain> r = store.CreateDomain(dom);
      if (!r.ok()) {
        return where("domain " + d.domain_name, r.status());
      }
    }
    for (const SeedCredentialList& l : a.credential_lists) {
      CredentialList list;
      list.sid = l.sid;
      list.account_sid = a.sid;
      list.friendly_name = l.friendly_name;
      absl::StatusOr<CredentialList> r = store.CreateCredentialList(list);
      if (!r.ok()) {
        return where("credential list " + l.sid, r.status());
      }
      for (const SeedCredential& c : l.credentials) {
        absl::StatusOr<Credential> cr =
            store.CreateCredential(a.sid, l.sid, c.username, c.password);
        if (!cr.ok()) {
          return where("credential " + c.username + " of " + l.sid, cr.status());
        }
      }
    }
    for (const SeedDomain& d : a.domains) {
      for (const std::string& list : d.registration_credential_lists) {
        absl::StatusOr<Mapping> m =
            store.CreateMapping(MappingKind::kRegistrationsCredentialList, a.sid, d.sid, list);
        if (!m.ok()) {
          return where("mapping of " + list + " to " + d.domain_name, m.status());
        }
      }
    }
  }
  report.seeded = true;
  return report;
}

}  // namespace sipfront::control
