// sipfront/registrar/registrar.h — REGISTER processing (RFC 3261 §10.3, product rules of
// seed 000), split in the two stages of the packet plane:
//
//   Admit()  on whichever worker received the datagram: the Request-URI names a provisioned
//            domain with registration on (else 404/403), To is an AOR of that domain, the
//            digest credentials verify against the cached HA1 (else 401 challenge, 401 stale,
//            403), every expiry is acceptable (else 423 with Min-Expires), Contact * comes with
//            Expires: 0 (else 400). Stateless: no table is touched. Returns the owning shard.
//   Apply()  on the worker that owns that shard: Call-ID/CSeq ordering (500), retransmissions
//            (same answer, no second change), the per-AOR contact limit (403 or replace the
//            oldest), capacity (503), then the changes all at once, and the 200 listing every
//            current binding with its remaining expiry and a Date header.
//
// Both write a complete response into a caller buffer. Nothing allocates after construction.
// Threading: a Registrar belongs to one worker. The provisioned snapshot (domains,
// credentials, ACLs) and the NonceCodec it points to are read-only and shared by all workers;
// its worker announces quiescent points to the ProvisionedCell between batches.
#ifndef SIPFRONT_REGISTRAR_REGISTRAR_H_
#define SIPFRONT_REGISTRAR_REGISTRAR_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sipfront/auth/digest.h"
#include "sipfront/base/hash.h"
#include "sipfront/net/endpoint.h"
#include "sipfront/registrar/binding_table.h"
#include "sipfront/registrar/provisioned.h"
#include "sipfront/sip/headers.h"
#include "sipfront/sip/message.h"

namespace sipfront::registrar {

enum class MaxContactsPolicy : uint8_t { kReject, kReplaceOldest };

struct Policy {
  uint32_t min_expires = 600;
  uint32_t max_expires = 3600;
  uint32_t default_expires = 3600;
  uint32_t max_contacts = 10;
  MaxContactsPolicy max_contacts_policy = MaxContactsPolicy::kReject;
  uint32_t retry_after = 30;  // seconds, on 503
  // Challenges offered in a 401, in this order. MD5 first by default: clients that know only
  // MD5 (older phones, sipp) often use the first challenge whatever its algorithm, while
  // clients that know both may pick either (RFC 8760 §3 lets the server state a preference).
  auth::Algorithm algorithms[2] = {auth::Algorithm::kMd5, auth::Algorithm::kSha256};
  uint8_t algorithm_count = 2;
  // RFC 5626: the Flow-Timer (seconds) a 200 tells an outbound client over TCP/TLS to keep
  // its flow alive within (CRLF pings).
  uint32_t flow_timer = 120;
};

// Every way a REGISTER can end; indexes the per-worker outcome counters.
enum class Outcome : uint8_t {
  kRegistered,         // 200: bindings changed (added, refreshed or removed)
  kQueried,            // 200: no Contact, bindings listed
  kRetransmission,     // 200: same Call-ID, CSeq and branch as the last applied request
  kChallenged,         // 401: no credentials for this realm (or an unusable nonce)
  kStale,              // 401 stale=true: right password, expired nonce
  kBadPassword,        // 403: unknown user or wrong response
  kUserMismatch,       // 403: Authorization username is not the AOR's user
  kDomainNotFound,     // 404
  kRegistrationOff,    // 403: the domain does not accept registrations
  kNotInDomain,        // 404: To names another domain than the Request-URI
  kBadAor,             // 400: To is not a SIP/SIPS URI with a user part
  kUnsupportedScheme,  // 416: Request-URI is not SIP/SIPS
  kBadDigest,          // 400: digest credentials malformed (missing nc/cnonce, qop, uri)
  kIntervalTooBrief,   // 423
  kBadStar,            // 400: Contact * without Expires: 0
  kContactTooLong,     // 400
  kOutOfOrder,         // 500: same Call-ID, CSeq not higher
  kTooManyContacts,    // 403: more than max_contacts and policy "reject"
  kTableFull,          // 503
  kJournalBusy,        // 503: the journal cannot take the change yet (disk slower than changes)
  kOverloaded,         // 503: shed by the registration storm guard
  kSourceNotAllowed,   // 403: the domain's registration IP ACL does not list the source
  kCount,
};
inline constexpr std::size_t kOutcomeCount = static_cast<std::size_t>(Outcome::kCount);
[[nodiscard]] std::string_view OutcomeName(Outcome o);

// Shared, read-only state all workers' Registrars point to.
struct RegistrarContext {
  Policy policy;
  HashKey hash_key;
  // The provisioned domains, credentials and IP ACLs (swapped live; registrar/provisioned.h)
  // and the names of domain ids.
  const ProvisionedCell* provisioned = nullptr;
  const DomainNames* names = nullptr;
  const auth::NonceCodec* nonces = nullptr;
  uint32_t shard_mask = 0;  // shards - 1 (power of two)
};

struct AdmitResult {
  bool apply;  // true: hand to Apply() on `shard`'s owner; false: `response` is final
  uint32_t shard;
  Outcome outcome;       // when !apply
  std::size_t response;  // bytes written to the buffer when !apply (0: did not fit)
};

// Told about every binding change Apply() makes, inside its write section, so the change can
// be journaled (registrar/journal.h). Called on the shard owner's thread.
class ChangeSink {
 public:
  virtual ~ChangeSink() = default;
  // Whether `bytes` more journal bytes can be taken now; Apply() asks before changing
  // anything and answers 503 when not.
  virtual bool Reserve(std::size_t bytes) = 0;
  // Binding `b` of `key` was inserted or updated.
  virtual void OnSet(const BindingTable& table, const AorKey& key, uint32_t b) = 0;
  // Binding `b` of `key` is about to be removed by a REGISTER (expires 0, Contact *, or
  // replaced as the oldest).
  virtual void OnRemove(const BindingTable& table, const AorKey& key, uint32_t b) = 0;
};

class Registrar {
 public:
  explicit Registrar(const RegistrarContext& ctx);
  ~Registrar();
  Registrar(const Registrar&) = delete;
  Registrar& operator=(const Registrar&) = delete;

  // Stage 1. `reg` is ParseRegister's result for `req`; `peer` the packet source.
  // `wall_now` is unix seconds (nonces).
  AdmitResult Admit(const sip::Message& req, const sip::RegisterFields& reg,
                    const net::Endpoint& peer, uint64_t wall_now, char* out, std::size_t cap);

  // Stage 2, on the shard's owner, for a request Admit() accepted. `mono_now` is monotonic
  // seconds (expiry), `wall_now` unix seconds (Date); `transport` the one the REGISTER came
  // over (stored with the bindings: with `peer` it names the flow). Returns the response
  // length (0: did not fit) and the outcome. The 200 echoes Path (RFC 3327, when the request
  // says "Supported: path") and, over TCP/TLS to a contact with +sip.instance and reg-id from
  // a client that says "Supported: outbound", carries "Require: outbound" and Flow-Timer
  // (RFC 5626 §6).
  std::size_t Apply(BindingTable& table, const sip::Message& req, const sip::RegisterFields& reg,
                    const net::Endpoint& peer, uint32_t mono_now, uint64_t wall_now, char* out,
                    std::size_t cap, Outcome& outcome, Transport transport = Transport::kUdp);

  // Removes the bindings of `key` registered over the flow (`transport`, `source`): the
  // connection closed and bindings are tied to it. Returns how many were removed.
  uint32_t DropFlow(BindingTable& table, const AorKey& key, Transport transport,
                    const net::Endpoint& source);

  // Where Apply() reports changes (nullptr: nowhere). Not owned.
  void set_sink(ChangeSink* sink);

  // The AOR key of a REGISTER whose To passed Admit (user unescaped into `storage`, which
  // must hold kMaxUserLength bytes). False when the To URI has no usable user.
  bool AorOf(const sip::RegisterFields& reg, uint16_t domain, char* storage, AorKey& key) const;

  // A response with no registrar state (400 for malformed requests, 501, 200 to OPTIONS):
  // status line, copied headers, optional extra header lines (CRLF-terminated), Content-Length.
  std::size_t Simple(const sip::Message& req, const net::Endpoint& peer, uint16_t status,
                     std::string_view reason, std::string_view extra, char* out, std::size_t cap);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sipfront::registrar

#endif  // SIPFRONT_REGISTRAR_REGISTRAR_H_
