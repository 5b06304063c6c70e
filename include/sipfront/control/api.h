// sipfront/control/api.h — the REST provisioning API: the hosted product's resources under
// /2010-04-01/Accounts/{AccountSid}/SIP/... (docs/api.md lists every path, field and error).
//
// HTTP/1.1 over libmicrohttpd (docs/architecture.md "REST API" says why), one internal
// polling thread; form-encoded POST bodies as the hosted API takes them; JSON responses
// (".json" suffix optional) with the hosted API's paging envelope (Page, PageSize) and error
// body {"code", "message", "more_info", "status"}; HTTP Basic auth with AccountSid:AuthToken;
// an account sees only its own resources (404 for another's).
//
// Every successful write calls `on_change` (on the API thread) so the provisioning loader
// rebuilds what the workers check against; the API itself never touches worker state.
//
// Beyond the hosted API: GET .../SIP/Domains/{SD}/Registrations?Aor=USER lists the live
// bindings of sip:USER@domain_name, read lock-free from the binding tables through
// `registrations`.
#ifndef SIPFRONT_CONTROL_API_H_
#define SIPFRONT_CONTROL_API_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sipfront/base/status.h"
#include "sipfront/control/store.h"

namespace sipfront::control {

// One live binding as the Registrations resource shows it.
struct LiveBinding {
  std::string contact;       // contact URI
  uint32_t expires = 0;      // seconds left
  std::string source;        // "IP:port" the REGISTER came from ("[v6]:port")
  std::string transport;     // "udp", "tcp", "tls"
  std::string user_agent;    // empty when not known
  std::string instance;      // +sip.instance, empty when none
  int32_t q = -1;            // 0..1000 (q * 1000), -1: none given
  int64_t date_updated = 0;  // unix seconds of the last refresh
};

// Where the Registrations resource reads bindings from (the worker tables). Thread-safe.
class RegistrationSource {
 public:
  virtual ~RegistrationSource() = default;
  // The bindings of sip:`user`@`domain_name` (domain_name lowercase). False when the domain
  // is not known to the workers (yet); true with an empty `out` when nothing is bound.
  virtual bool Lookup(std::string_view domain_name, std::string_view user,
                      std::vector<LiveBinding>& out) = 0;
};

struct ApiOptions {
  std::string listen = "127.0.0.1:8080";  // HOST:PORT (IPv6 in brackets); port 0 picks one
  uint32_t max_connections = 256;
  uint32_t connection_timeout_s = 30;
  std::size_t max_body_bytes = 64 * 1024;  // larger: 413
};

class ApiServer {
 public:
  // Binds and starts serving on its own thread. `store` is used only from that thread (open
  // a Store for the API alone). `registrations` may be null (the resource answers 503 then).
  static absl::StatusOr<std::unique_ptr<ApiServer>> Start(const ApiOptions& options,
                                                          std::unique_ptr<Store> store,
                                                          std::function<void()> on_change,
                                                          RegistrationSource* registrations);
  virtual ~ApiServer() = default;  // stops the thread, closes the socket
  [[nodiscard]] virtual uint16_t port() const = 0;

  struct Counters {
    uint64_t requests = 0;
    uint64_t unauthorized = 0;   // 401
    uint64_t client_errors = 0;  // other 4xx
    uint64_t server_errors = 0;  // 5xx
  };
  [[nodiscard]] virtual Counters counters() const = 0;
};

}  // namespace sipfront::control

#endif  // SIPFRONT_CONTROL_API_H_
