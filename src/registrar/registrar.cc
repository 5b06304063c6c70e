#include "sipfront/registrar/registrar.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "sipfront/base/ascii.h"
#include "sipfront/base/check.h"
#include "sipfront/registrar/journal.h"
#include "sipfront/sip/response_writer.h"

namespace sipfront::registrar {
namespace {

// Worst-case journal bytes of one binding change (registrar/journal.h framing and limits).
constexpr std::size_t kMaxJournalBytes = kMaxJournalRecord;

constexpr std::array<std::string_view, kOutcomeCount> kOutcomeNames = {
    "registered",
    "queried",
    "retransmission",
    "challenged",
    "stale",
    "bad_password",
    "user_mismatch",
    "domain_not_found",
    "registration_off",
    "not_in_domain",
    "bad_aor",
    "unsupported_scheme",
    "bad_digest",
    "interval_too_brief",
    "bad_star",
    "contact_too_long",
    "out_of_order",
    "too_many_contacts",
    "table_full",
    "journal_busy",
    "overloaded",
    "source_not_allowed",
};
static_assert(kOutcomeNames[static_cast<std::size_t>(Outcome::kSourceNotAllowed)] ==
                  "source_not_allowed",
              "kOutcomeNames must follow Outcome");

// Whether a Supported header of `req` lists `tag` (comma-separated option tags, any case).
bool HasOptionTag(const sip::Message& req, std::string_view tag) {
  for (const sip::Header* h = req.Find(sip::HeaderId::kSupported); h != nullptr; h = req.Next(*h)) {
    std::string_view v = h->value;
    while (!v.empty()) {
      const std::size_t comma = v.find(',');
      std::string_view item = v.substr(0, comma);
      while (!item.empty() && (item.front() == ' ' || item.front() == '\t' ||
                               item.front() == '\r' || item.front() == '\n')) {
        item.remove_prefix(1);
      }
      while (!item.empty() && (item.back() == ' ' || item.back() == '\t' || item.back() == '\r' ||
                               item.back() == '\n')) {
        item.remove_suffix(1);
      }
      if (AsciiIEquals(item, tag)) {
        return true;
      }
      if (comma == std::string_view::npos) {
        break;
      }
      v.remove_prefix(comma + 1);
    }
  }
  return false;
}

// A contact registering an RFC 5626 flow: +sip.instance and reg-id.
bool HasOutboundContact(const sip::RegisterFields& reg) {
  for (uint8_t i = 0; i < reg.contact_count; ++i) {
    if (!reg.contacts[i].instance.empty() && !reg.contacts[i].reg_id.empty()) {
      return true;
    }
  }
  return false;
}

// "0.5" -> 500, "1" -> 1000 (the parser already checked the qvalue grammar).
uint16_t ParseQ(std::string_view q) {
  if (q.empty()) {
    return kNoQ;
  }
  uint32_t v = static_cast<uint32_t>(q[0] - '0') * 1000;
  uint32_t scale = 100;
  for (std::size_t i = 2; i < q.size() && scale > 0; ++i, scale /= 10) {
    v += static_cast<uint32_t>(q[i] - '0') * scale;
  }
  return static_cast<uint16_t>(v);
}

uint32_t ParseRegId(std::string_view s) {
  uint64_t v = 0;
  for (char c : s) {
    v = v * 10 + static_cast<uint64_t>(c - '0');
    if (v > 0xffffffffu) {
      return 0;
    }
  }
  return static_cast<uint32_t>(v);
}

void AppendQ(sip::ResponseWriter& w, uint16_t q) {
  if (q >= 1000) {
    w.Append("1");
    return;
  }
  char text[5] = {'0', '.', 0, 0, 0};
  std::size_t n = 2;
  uint32_t v = q;
  for (uint32_t scale = 100; scale > 0 && v > 0; scale /= 10) {
    text[n++] = static_cast<char>('0' + v / scale);
    v %= scale;
  }
  w.Append({text, n == 2 ? 1 : n});
}

}  // namespace

std::string_view OutcomeName(Outcome o) {
  const auto i = static_cast<std::size_t>(o);
  return i < kOutcomeNames.size() ? kOutcomeNames[i] : "?";
}

// ---- registrar ----

struct Registrar::Impl {
  explicit Impl(const RegistrarContext& c) : ctx(c) {}

  struct Plan {
    uint32_t existing = kNil;  // matching binding, kNil when new
    uint32_t expires = 0;      // effective seconds (0: remove)
    bool skip = false;         // superseded by a later equivalent contact in the same request
    BindingData data;
  };

  RegistrarContext ctx;
  ChangeSink* sink = nullptr;
  auth::DigestVerifier verifier;
  uint64_t date_second = 0;
  char date[sip::kDateLength] = {};
  Plan plans[sip::kMaxRegisterContacts];
  uint32_t drops[sip::kMaxRegisterContacts + 1024] = {};
  BindingCopy copy;

  [[nodiscard]] const char* Date(uint64_t now) {
    if (now != date_second) {
      sip::FormatDate(now, date);
      date_second = now;
    }
    return date;
  }

  // A deterministic To tag: retransmissions get the same one without any state.
  void ToTag(const sip::Message& req, const sip::RegisterFields& reg, char out[16]) const {
    const uint64_t h =
        Hash64(req.call_id, ctx.hash_key) ^ (Hash64(reg.from.tag, ctx.hash_key) << 1);
    static constexpr char kHex[] = "0123456789abcdef";
    for (int i = 0; i < 16; ++i) {
      out[i] = kHex[(h >> (60 - 4 * i)) & 0xf];
    }
  }

  // Identity of one REGISTER transaction (RFC 3261 §17.2.3: Call-ID, CSeq, top branch).
  [[nodiscard]] uint64_t Fingerprint(const sip::Message& req,
                                     const sip::RegisterFields& reg) const {
    uint64_t h = Hash64(req.call_id, ctx.hash_key);
    h ^= Hash64(reg.top_via.branch, ctx.hash_key) * 0x9e3779b97f4a7c15ull;
    h ^= static_cast<uint64_t>(req.cseq.seq) << 17;
    return h | 1;  // 0 means "none"
  }

  // Status line and copied headers, with the packet source in the top Via.
  void Begin(sip::ResponseWriter& w, uint16_t status, std::string_view reason,
             const sip::Message& req, const sip::RegisterFields* reg, const net::Endpoint& peer) {
    char ip[64];
    const std::size_t n = peer.len == 0 ? 0 : peer.FormatHost(ip);
    char tag[16];
    std::string_view to_tag;
    if (reg != nullptr) {
      ToTag(req, *reg, tag);
      to_tag = std::string_view(tag, 16);
    }
    const sip::ViaSource source{std::string_view(ip, n), peer.port()};
    if (reg != nullptr) {
      w.Begin(status, reason, req, source, to_tag, reg->top_via, !reg->to.tag.empty());
    } else {
      w.Begin(status, reason, req, source, to_tag);
    }
  }

  [[nodiscard]] uint32_t EffectiveExpires(const sip::Message& req, const sip::Contact& c) const {
    int64_t e = c.expires;
    if (e == sip::kAbsent) {
      e = req.expires;
    }
    if (e == sip::kAbsent) {
      e = ctx.policy.default_expires;
    }
    return static_cast<uint32_t>(e);
  }
};

Registrar::Registrar(const RegistrarContext& ctx) : impl_(std::make_unique<Impl>(ctx)) {}
Registrar::~Registrar() = default;

void Registrar::set_sink(ChangeSink* sink) { impl_->sink = sink; }

bool Registrar::AorOf(const sip::RegisterFields& reg, uint16_t domain, char* storage,
                      AorKey& key) const {
  const sip::Uri& to = reg.to.addr.uri;
  if (to.user.empty()) {
    return false;
  }
  const int64_t n = sip::Unescape(to.user, storage, kMaxUserLength);
  if (n <= 0) {
    return false;
  }
  key = MakeAorKey(domain, std::string_view(storage, static_cast<std::size_t>(n)),
                   impl_->ctx.hash_key);
  return true;
}

std::size_t Registrar::Simple(const sip::Message& req, const net::Endpoint& peer, uint16_t status,
                              std::string_view reason, std::string_view extra, char* out,
                              std::size_t cap) {
  sip::ResponseWriter w(out, cap);
  // A To tag only when From parsed (deterministic from Call-ID and From tag).
  sip::RegisterFields* none = nullptr;
  impl_->Begin(w, status, reason, req, none, peer);
  w.Append(extra);
  return w.Finish();
}

AdmitResult Registrar::Admit(const sip::Message& req, const sip::RegisterFields& reg,
                             const net::Endpoint& peer, uint64_t wall_now, char* out,
                             std::size_t cap) {
  Impl& m = *impl_;
  auto reply = [&](Outcome o, uint16_t status, std::string_view reason,
                   std::string_view extra = {}) {
    sip::ResponseWriter w(out, cap);
    m.Begin(w, status, reason, req, &reg, peer);
    w.Append(extra);
    return AdmitResult{false, 0, o, w.Finish()};
  };

  // RFC 3261 §10.3, in its order. Steps 1-2: the Request-URI names a domain this registrar
  // serves.
  const sip::Uri& ruri = reg.request_uri;
  if (ruri.kind != sip::UriScheme::kSip && ruri.kind != sip::UriScheme::kSips) {
    return reply(Outcome::kUnsupportedScheme, 416, "Unsupported URI Scheme");
  }
  // One snapshot for the whole decision (the worker's quiescent points keep it alive).
  const Provisioned& prov = *m.ctx.provisioned->Load();
  const DomainInfo* domain = prov.domains.Find(ruri.host);
  if (domain == nullptr) {
    return reply(Outcome::kDomainNotFound, 404, "Domain Not Found");
  }
  if (!domain->registration) {
    return reply(Outcome::kRegistrationOff, 403, "Registration Not Enabled For Domain");
  }
  // The domain's IP access control lists for registrations: the source must be listed.
  if (!Provisioned::Allowed(*domain, peer, /*calls=*/false)) {
    return reply(Outcome::kSourceNotAllowed, 403, "Source Address Not Allowed");
  }
  // Step 3, digest authentication (RFC 3261 §22, RFC 7616, RFC 8760): credentials for this
  // realm.
  auto challenge = [&](bool stale) {
    char nonce[auth::kNonceLength];
    m.ctx.nonces->Mint(wall_now, domain->name, nonce);
    const std::string_view n(nonce, sizeof(nonce));
    char extra[2 * 400];
    std::size_t len = 0;
    for (uint8_t i = 0; i < m.ctx.policy.algorithm_count; ++i) {
      len += auth::WriteChallenge(extra + len, sizeof(extra) - len, m.ctx.policy.algorithms[i],
                                  domain->name, n, stale);
    }
    return reply(stale ? Outcome::kStale : Outcome::kChallenged, 401, "Unauthorized",
                 std::string_view(extra, len));
  };
  // ParseRegister parsed the first Authorization; others (credentials for other realms, as
  // behind proxies) are looked at only when that one is not for this realm.
  const sip::Credentials* cp = nullptr;
  if (reg.has_credentials && reg.credentials.is_digest &&
      AsciiIEquals(reg.credentials.realm, domain->name)) {
    cp = &reg.credentials;
  }
  sip::Credentials other;
  if (cp == nullptr && reg.has_credentials) {
    const sip::Header* h = req.Find(sip::HeaderId::kAuthorization);
    for (h = h == nullptr ? nullptr : req.Next(*h); h != nullptr && cp == nullptr;
         h = req.Next(*h)) {
      if (sip::ParseCredentials(h->value, other, sip::ParseError::kBadAuthorization).ok() &&
          other.is_digest && AsciiIEquals(other.realm, domain->name)) {
        cp = &other;
      }
    }
  }
  if (cp == nullptr) {
    return challenge(false);
  }
  const sip::Credentials& creds = *cp;
  auth::Algorithm alg;
  bool offered = false;
  if (auth::ParseAlgorithm(creds.algorithm, alg)) {
    for (uint8_t i = 0; i < m.ctx.policy.algorithm_count; ++i) {
      offered = offered || m.ctx.policy.algorithms[i] == alg;
    }
  }
  if (!offered) {
    return challenge(false);
  }
  const auth::NonceCheck nonce = m.ctx.nonces->Check(creds.nonce, domain->name, wall_now);
  if (nonce == auth::NonceCheck::kInvalid) {
    return challenge(false);
  }
  const auth::CredentialEntry* entry = Provisioned::Credential(*domain, creds.username);
  if (entry == nullptr) {
    return reply(Outcome::kBadPassword, 403, "Forbidden");
  }
  // RFC 7616 §3.4.6: the digest uri must be the Request-URI.
  sip::Uri digest_uri;
  if (creds.uri != ruri.raw &&
      (!sip::ParseUri(creds.uri, digest_uri).ok() || !sip::UriEquivalent(digest_uri, ruri))) {
    return reply(Outcome::kBadDigest, 400, "Digest URI Does Not Match Request-URI");
  }
  switch (m.verifier.Verify(alg, creds, "REGISTER", entry->ha1(alg).view())) {
    case auth::DigestResult::kOk:
      break;
    case auth::DigestResult::kMismatch:
      return reply(Outcome::kBadPassword, 403, "Forbidden");
    case auth::DigestResult::kBadAlgorithm:
      return challenge(false);
    default:
      return reply(Outcome::kBadDigest, 400, "Bad Digest Credentials");
  }
  if (nonce == auth::NonceCheck::kStale) {
    return challenge(true);
  }
  // Steps 4-5: To is the address-of-record; it must belong to the domain, and a device may only
  // register its own AOR (the authenticated username is its user).
  const sip::Uri& to = reg.to.addr.uri;
  if (to.kind != sip::UriScheme::kSip && to.kind != sip::UriScheme::kSips) {
    return reply(Outcome::kBadAor, 400, "AOR Must Be A SIP URI");
  }
  if (!AsciiIEquals(to.host, domain->name)) {
    return reply(Outcome::kNotInDomain, 404, "AOR Not In Domain");
  }
  char user[kMaxUserLength];
  AorKey key;
  if (!AorOf(reg, domain->id, user, key)) {
    return reply(Outcome::kBadAor, 400, "AOR Has No Valid User Part");
  }
  if (creds.username != key.user) {
    return reply(Outcome::kUserMismatch, 403, "Authorization User Does Not Match AOR");
  }
  // Step 6: Contact * needs Expires: 0. Step 7 with the product's rule (seed 000): a nonzero
  // expiry below the minimum is 423 with Min-Expires.
  if (reg.contact_star && req.expires != 0) {
    return reply(Outcome::kBadStar, 400, "Contact * Requires Expires: 0");
  }
  for (uint8_t i = 0; i < reg.contact_count; ++i) {
    const sip::Contact& c = reg.contacts[i];
    if (c.addr.uri.raw.size() > kMaxContactLength || c.instance.size() > kMaxInstanceLength) {
      return reply(Outcome::kContactTooLong, 400, "Contact Too Long");
    }
    const uint32_t e = m.EffectiveExpires(req, c);
    if (e != 0 && e < m.ctx.policy.min_expires) {
      char extra[40] = "Min-Expires: ";
      sip::ResponseWriter x(extra + 13, sizeof(extra) - 13);
      x.AppendUint(m.ctx.policy.min_expires);
      x.Append("\r\n");
      return reply(Outcome::kIntervalTooBrief, 423, "Interval Too Brief",
                   std::string_view(extra, 13 + x.size()));
    }
  }

  return AdmitResult{true, static_cast<uint32_t>(key.hash) & m.ctx.shard_mask, Outcome::kRegistered,
                     0};
}

std::size_t Registrar::Apply(BindingTable& table, const sip::Message& req,
                             const sip::RegisterFields& reg, const net::Endpoint& peer,
                             uint32_t mono_now, uint64_t wall_now, char* out, std::size_t cap,
                             Outcome& outcome, Transport transport) {
  Impl& m = *impl_;
  const Policy& policy = m.ctx.policy;
  sip::ResponseWriter w(out, cap);

  auto fail = [&](Outcome o, uint16_t status, std::string_view reason,
                  std::string_view extra = {}) {
    outcome = o;
    m.Begin(w, status, reason, req, &reg, peer);
    w.Append(extra);
    return w.Finish();
  };
  auto busy = [&]() {
    return fail(Outcome::kJournalBusy, 503, "Service Unavailable", "Retry-After: 1\r\n");
  };
  // The 200 lists every current binding with its remaining time (RFC 3261 §10.3 step 8).
  auto ok = [&](Outcome o, uint32_t aor) {
    outcome = o;
    m.Begin(w, 200, "OK", req, &reg, peer);
    if (aor != kNil) {
      for (uint32_t b = table.First(aor); b != kNil; b = table.Next(b)) {
        table.Copy(b, m.copy);
        if (static_cast<int32_t>(m.copy.expires_at - mono_now) <= 0) {
          continue;  // expired, not yet reaped by the wheel
        }
        w.Append("Contact: <");
        w.Append(m.copy.contact_view());
        w.Append(">;expires=");
        w.AppendUint(m.copy.expires_at - mono_now);
        if (m.copy.q != kNoQ) {
          w.Append(";q=");
          AppendQ(w, m.copy.q);
        }
        if (m.copy.instance_len != 0) {
          w.Append(";+sip.instance=");
          w.Append(m.copy.instance_view());
        }
        if (m.copy.reg_id != 0) {
          w.Append(";reg-id=");
          w.AppendUint(m.copy.reg_id);
        }
        w.Append("\r\n");
      }
    }
    // RFC 3327 §5.3: the Path vector goes back to a client that supports it.
    if (req.first[static_cast<std::size_t>(sip::HeaderId::kPath)] != sip::kNoHeader &&
        HasOptionTag(req, "path")) {
      for (uint8_t h = req.first[static_cast<std::size_t>(sip::HeaderId::kPath)];
           h != sip::kNoHeader; h = req.headers[h].next) {
        w.Append("Path: ");
        w.Append(req.headers[h].value);
        w.Append("\r\n");
      }
    }
    // RFC 5626 §6: a flow-bound registration of an outbound client.
    if (transport != Transport::kUdp && HasOutboundContact(reg) && HasOptionTag(req, "outbound")) {
      w.Append("Require: outbound\r\nFlow-Timer: ");
      w.AppendUint(policy.flow_timer);
      w.Append("\r\n");
    }
    w.Append("Date: ");
    w.Append(std::string_view(m.Date(wall_now), sip::kDateLength));
    w.Append("\r\n");
    return w.Finish();
  };

  const DomainInfo* domain = m.ctx.provisioned->Load()->domains.Find(reg.request_uri.host);
  char user[kMaxUserLength];
  AorKey key;
  if (domain == nullptr) {  // deleted over the API since Admit() looked
    return fail(Outcome::kDomainNotFound, 404, "Domain Not Found");
  }
  if (!AorOf(reg, domain->id, user, key)) {
    return fail(Outcome::kBadAor, 400, "AOR Has No Valid User Part");  // Admit() prevents this
  }
  uint32_t aor = table.FindAor(key);
  const uint64_t fingerprint = m.Fingerprint(req, reg);
  const uint64_t call_id = Hash64(req.call_id, m.ctx.hash_key);
  const uint32_t cseq = req.cseq.seq;
  const sip::Header* ua_header = req.Find(sip::HeaderId::kUserAgent);
  const std::string_view user_agent = ua_header == nullptr ? std::string_view() : ua_header->value;

  // A retransmission of the request last applied: the same answer, no second change.
  if (aor != kNil && table.LastRequest(aor) == fingerprint) {
    return ok(Outcome::kRetransmission, aor);
  }
  if (reg.contact_count == 0 && !reg.contact_star) {
    return ok(Outcome::kQueried, aor);
  }
  // RFC 3261 §10.3 step 6: Contact * removes every binding, unless one of them was set by a
  // later request of the same call (same Call-ID, CSeq not lower).
  if (reg.contact_star) {
    if (aor == kNil) {
      return ok(Outcome::kRegistered, kNil);
    }
    for (uint32_t b = table.First(aor); b != kNil; b = table.Next(b)) {
      if (table.CallIdHash(b) == call_id && cseq <= table.CSeqOf(b)) {
        return fail(Outcome::kOutOfOrder, 500, "Out Of Order Request");
      }
    }
    if (m.sink != nullptr && !m.sink->Reserve(table.BindingCount(aor) * kMaxJournalBytes)) {
      return busy();
    }
    table.BeginWrite();
    for (uint32_t b = table.First(aor); b != kNil; b = table.First(aor)) {
      if (m.sink != nullptr) {
        m.sink->OnRemove(table, key, b);
      }
      table.Remove(b);
    }
    table.RemoveAorIfEmpty(aor);
    table.EndWrite();
    return ok(Outcome::kRegistered, kNil);
  }

  // Step 7, planned in full before anything changes.
  const uint8_t n = reg.contact_count;
  uint32_t inserts = 0;
  uint32_t removes = 0;
  BindingTable::ArenaNeed need;
  for (uint8_t i = 0; i < n; ++i) {
    const sip::Contact& c = reg.contacts[i];
    Impl::Plan& p = m.plans[i];
    uint32_t e = m.EffectiveExpires(req, c);
    if (e > policy.max_expires) {
      e = policy.max_expires;  // seed 000: longer requests are reduced to the maximum
    }
    p.expires = e;
    p.skip = false;
    p.existing = kNil;
    p.data = BindingData{c.addr.uri.raw, &c.addr.uri,  c.instance, ParseRegId(c.reg_id),
                         ParseQ(c.q),    mono_now + e, cseq,       call_id,
                         peer,           transport};
    p.data.user_agent = user_agent;
    if (aor != kNil) {
      for (uint32_t b = table.First(aor); b != kNil; b = table.Next(b)) {
        if (table.Matches(b, c.addr.uri, p.data.instance, p.data.reg_id)) {
          p.existing = b;
          break;
        }
      }
    }
    if (p.existing != kNil && table.CallIdHash(p.existing) == call_id &&
        cseq <= table.CSeqOf(p.existing)) {
      return fail(Outcome::kOutOfOrder, 500, "Out Of Order Request");
    }
    // The same contact twice in one request: the later one wins.
    for (uint8_t j = 0; j < i; ++j) {
      Impl::Plan& q = m.plans[j];
      if (q.skip) {
        continue;
      }
      const bool same =
          p.existing != kNil
              ? q.existing == p.existing
              : q.existing == kNil && sip::UriEquivalent(reg.contacts[j].addr.uri, c.addr.uri);
      if (same) {
        q.skip = true;
      }
    }
  }
  for (uint8_t i = 0; i < n; ++i) {
    const Impl::Plan& p = m.plans[i];
    if (p.skip) {
      continue;
    }
    if (p.existing == kNil && p.expires != 0) {
      ++inserts;
      BindingTable::AddNeed(p.data, need);
    } else if (p.existing != kNil && p.expires == 0) {
      ++removes;
    } else if (p.existing != kNil) {
      BindingTable::AddNeed(p.data, need);
    }
  }
  const uint32_t current = aor == kNil ? 0 : table.BindingCount(aor);
  const uint32_t after = current - removes + inserts;
  uint32_t drop_count = 0;
  if (after > policy.max_contacts) {
    if (policy.max_contacts_policy == MaxContactsPolicy::kReject || aor == kNil) {
      return fail(Outcome::kTooManyContacts, 403, "Too many registered contacts",
                  "Warning: 399 sipfront \"Too many registered contacts\"\r\n");
    }
    // replace_oldest: drop the least recently refreshed bindings this request does not touch.
    uint32_t candidates = 0;
    for (uint32_t b = table.First(aor); b != kNil; b = table.Next(b)) {
      bool touched = false;
      for (uint8_t i = 0; i < n && !touched; ++i) {
        touched = !m.plans[i].skip && m.plans[i].existing == b;
      }
      if (!touched && candidates < std::size(m.drops)) {
        m.drops[candidates++] = b;
      }
    }
    drop_count = after - policy.max_contacts;
    if (drop_count > candidates) {
      return fail(Outcome::kTooManyContacts, 403, "Too many registered contacts",
                  "Warning: 399 sipfront \"Too many registered contacts\"\r\n");
    }
    std::partial_sort(
        m.drops, m.drops + drop_count, m.drops + candidates,
        [&table](uint32_t a, uint32_t b) { return table.UpdatedAt(a) < table.UpdatedAt(b); });
  }
  const uint32_t new_aors = aor == kNil && inserts > 0 ? 1 : 0;
  if (new_aors != 0) {
    BindingTable::AddUserNeed(key.user, need);
  }
  if (!table.CanApply(new_aors, inserts, need)) {
    char extra[32] = "Retry-After: ";
    sip::ResponseWriter x(extra + 13, sizeof(extra) - 13);
    x.AppendUint(policy.retry_after);
    x.Append("\r\n");
    return fail(Outcome::kTableFull, 503, "Binding Table Full",
                std::string_view(extra, 13 + x.size()));
  }

  if (m.sink != nullptr && !m.sink->Reserve((drop_count + n) * kMaxJournalBytes)) {
    return busy();
  }

  ChangeSink* sink = m.sink;
  table.BeginWrite();
  if (new_aors != 0) {
    aor = table.CreateAor(key);
    SIPFRONT_CHECK(aor != kNil);  // CanApply said there is room
  }
  for (uint32_t i = 0; i < drop_count; ++i) {
    if (sink != nullptr) {
      sink->OnRemove(table, key, m.drops[i]);
    }
    table.Remove(m.drops[i]);
  }
  for (uint8_t i = 0; i < n; ++i) {
    const Impl::Plan& p = m.plans[i];
    if (p.skip) {
      continue;
    }
    if (p.existing != kNil) {
      if (p.expires == 0) {
        if (sink != nullptr) {
          sink->OnRemove(table, key, p.existing);
        }
        table.Remove(p.existing);
      } else {
        SIPFRONT_CHECK(table.Update(p.existing, p.data, mono_now));
        if (sink != nullptr) {
          sink->OnSet(table, key, p.existing);
        }
      }
    } else if (p.expires != 0) {
      const uint32_t b = table.Insert(aor, p.data, mono_now);
      SIPFRONT_CHECK(b != kNil);
      if (sink != nullptr) {
        sink->OnSet(table, key, b);
      }
    }
  }
  if (aor != kNil) {
    table.SetLastRequest(aor, fingerprint);
    if (table.BindingCount(aor) == 0) {
      table.RemoveAorIfEmpty(aor);
      aor = kNil;
    }
  }
  table.EndWrite();
  return ok(Outcome::kRegistered, aor);
}

uint32_t Registrar::DropFlow(BindingTable& table, const AorKey& key, Transport transport,
                             const net::Endpoint& source) {
  Impl& m = *impl_;
  const uint32_t aor = table.FindAor(key);
  if (aor == kNil) {
    return 0;
  }
  uint32_t victims[64];
  uint32_t n = 0;
  for (uint32_t b = table.First(aor); b != kNil && n < std::size(victims); b = table.Next(b)) {
    table.Copy(b, m.copy);
    if (m.copy.transport == transport && m.copy.source == source) {
      victims[n++] = b;
    }
  }
  if (n == 0 || (m.sink != nullptr && !m.sink->Reserve(n * kMaxJournalBytes))) {
    return 0;  // a busy journal: the bindings expire in their own time
  }
  table.BeginWrite();
  for (uint32_t i = 0; i < n; ++i) {
    if (m.sink != nullptr) {
      m.sink->OnRemove(table, key, victims[i]);
    }
    table.Remove(victims[i]);
  }
  table.RemoveAorIfEmpty(aor);
  table.EndWrite();
  return n;
}

}  // namespace sipfront::registrar
