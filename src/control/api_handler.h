// api_handler.h — internal to the REST API: one HTTP request in, one response out, with no
// knowledge of libmicrohttpd (api.cc adapts it). Runs on the API's one polling thread; owns
// nothing shared, so no locking.
#ifndef SIPFRONT_SRC_CONTROL_API_HANDLER_H_
#define SIPFRONT_SRC_CONTROL_API_HANDLER_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sipfront/control/api.h"
#include "sipfront/control/store.h"

namespace sipfront::control::api_internal {

struct HttpRequest {
  std::string_view method;        // "GET", "POST", ...
  std::string_view path;          // without the query, percent-decoded
  std::string_view content_type;  // empty when absent
  std::string_view body;
  // Query arguments, decoded; lookup by name.
  std::function<const char*(const char*)> query;
  bool has_basic_auth = false;
  std::string_view auth_user;
  std::string_view auth_password;
};

struct HttpResponse {
  unsigned status = 200;
  std::string body;  // JSON, or empty (204)
  std::vector<std::pair<std::string, std::string>> headers;
};

// Error codes of the error body; docs/api.md lists them.
enum ErrorCode : int {
  kCodeAuthenticate = 20003,
  kCodeMethodNotAllowed = 20004,
  kCodeNotFound = 20404,
  kCodeInternal = 20500,
  kCodeUnavailable = 20503,
  kCodeMissingParameter = 21201,
  kCodeInvalidParameter = 21202,
  kCodeAlreadyExists = 21203,
  kCodeLimitExceeded = 21204,
  kCodeMalformedBody = 21205,
  kCodeBodyTooLarge = 21206,
  kCodeUnsupportedMediaType = 21207,
};

// The names and store methods of one kind of list (api_handler.cc).
template <class L>
struct ListKind;

// An error response in the hosted API's shape: {"code", "message", "more_info", "status"}.
[[nodiscard]] HttpResponse ErrorResponse(unsigned status, int code, std::string_view message);

class ApiHandler {
 public:
  ApiHandler(std::unique_ptr<Store> store, std::function<void()> on_change,
             RegistrationSource* registrations)
      : store_(std::move(store)), on_change_(std::move(on_change)), registrations_(registrations) {}

  [[nodiscard]] HttpResponse Handle(const HttpRequest& req);

 private:
  struct Ctx;  // one request's parsed state (api_handler.cc)

  HttpResponse Route(Ctx& ctx);
  HttpResponse Domains(Ctx& ctx);
  HttpResponse Domain(Ctx& ctx);
  HttpResponse AuthIndex(Ctx& ctx, bool registrations);
  HttpResponse Mappings(Ctx& ctx, MappingKind kind);
  HttpResponse MappingItem(Ctx& ctx, MappingKind kind);
  HttpResponse Registrations(Ctx& ctx);
  // A kind of list's collection or one list (credential lists, IP access control lists).
  template <class L>
  HttpResponse Lists(Ctx& ctx, const ListKind<L>& kind);
  HttpResponse Credentials(Ctx& ctx);
  HttpResponse CredentialItem(Ctx& ctx);
  HttpResponse IpAddresses(Ctx& ctx);
  HttpResponse IpAddressItem(Ctx& ctx);

  // auth_type of a domain, from its calls mappings ("" when neither kind is mapped).
  std::string AuthType(const control::Domain& d);

  std::unique_ptr<Store> store_;
  std::function<void()> on_change_;
  RegistrationSource* registrations_;
};

}  // namespace sipfront::control::api_internal

#endif  // SIPFRONT_SRC_CONTROL_API_HANDLER_H_
