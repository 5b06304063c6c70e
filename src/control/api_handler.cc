#include "api_handler.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/crypto.h>

#include "sipfront/base/ascii.h"
#include "sipfront/control/model.h"

#include "api_json.h"
#include "store_util.h"

namespace sipfront::control::api_internal {

namespace {

constexpr std::string_view kApiVersion = "2010-04-01";
constexpr uint32_t kMaxPage = 1000000;  // Page * PageSize stays far below 2^32

// SIDs are accepted in either case; the store keeps the lowercase hex sipfront mints.
std::string NormalizeSid(std::string_view s) {
  std::string out(s);
  for (std::size_t i = 2; i < out.size(); ++i) {
    out[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(out[i])));
  }
  return out;
}

std::string Base(std::string_view account) {
  std::string b = "/2010-04-01/Accounts/";
  b.append(account);
  b.append("/SIP");
  return b;
}

// Parses a decimal in [0, max]; false on anything else (sign, spaces, overflow).
bool ParseUint(std::string_view s, uint32_t max, uint32_t& out) {
  if (s.empty() || s.size() > 10) {
    return false;
  }
  uint64_t v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') {
      return false;
    }
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > max) {
    return false;
  }
  out = static_cast<uint32_t>(v);
  return true;
}

std::string UrlEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

HttpResponse JsonResponse(unsigned status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

HttpResponse MethodNotAllowed(std::string_view allow) {
  HttpResponse r = ErrorResponse(405, kCodeMethodNotAllowed, "Method not allowed");
  r.headers.emplace_back("Allow", std::string(allow));
  return r;
}

HttpResponse Missing(std::string_view param) {
  std::string msg = "Missing required parameter ";
  msg.append(param);
  msg.append(" in the post body");
  return ErrorResponse(400, kCodeMissingParameter, msg);
}

HttpResponse Invalid(std::string_view message) {
  return ErrorResponse(400, kCodeInvalidParameter, message);
}

// ---- resource bodies ----

void WriteDates(JsonWriter& w, int64_t created, int64_t updated) {
  w.Field("date_created", FormatRfc2822(created));
  w.Field("date_updated", FormatRfc2822(updated));
}

void WriteDomain(JsonWriter& w, const control::Domain& d, std::string_view auth_type) {
  const std::string self = Base(d.account_sid) + "/Domains/" + d.sid;
  w.BeginObject();
  w.Field("account_sid", d.account_sid);
  w.Field("api_version", kApiVersion);
  w.Field("auth_type", auth_type);
  WriteDates(w, d.date_created, d.date_updated);
  w.Field("domain_name", d.domain_name);
  w.FieldOrNull("friendly_name", d.friendly_name);
  w.Field("sid", d.sid);
  w.Field("uri", self + ".json");
  w.FieldOrNull("voice_fallback_method", d.voice_fallback_method);
  w.FieldOrNull("voice_fallback_url", d.voice_fallback_url);
  w.FieldOrNull("voice_method", d.voice_method);
  w.FieldOrNull("voice_status_callback_method", d.voice_status_callback_method);
  w.FieldOrNull("voice_status_callback_url", d.voice_status_callback_url);
  w.FieldOrNull("voice_url", d.voice_url);
  w.Field("sip_registration", d.sip_registration);
  w.Field("secure", d.secure);
  w.Field("emergency_calling_enabled", d.emergency_calling_enabled);
  w.Key("subresource_uris");
  w.BeginObject();
  w.Field("credential_list_mappings", self + "/CredentialListMappings.json");
  w.Field("ip_access_control_list_mappings", self + "/IpAccessControlListMappings.json");
  w.Field("auth_calls_mappings", self + "/Auth/Calls.json");
  w.Field("auth_registrations_mappings", self + "/Auth/Registrations.json");
  w.EndObject();
  w.EndObject();
}

}  // namespace

// What tells the two kinds of list apart (credential lists, IP access control lists): their
// names in paths and JSON, and the store's methods for them.
template <class L>
struct ListKind {
  std::string_view path;  // "CredentialLists"
  std::string_view key;   // "credential_lists", the list envelope's key
  Kind sid_kind;
  std::string_view item_path;  // "Credentials", what a list holds
  std::string_view item_key;   // "credentials", its subresource_uris key
  Kind item_sid_kind;
  absl::StatusOr<L> (Store::*create)(L);
  absl::StatusOr<L> (Store::*get)(std::string_view account, std::string_view sid);
  absl::StatusOr<Page<L>> (Store::*list)(std::string_view account, PageRequest p);
  absl::StatusOr<L> (Store::*update)(const L&);
  absl::Status (Store::*remove)(std::string_view account, std::string_view sid);
};

namespace {

constexpr ListKind<CredentialList> kCredentialLists{
    .path = "CredentialLists",
    .key = "credential_lists",
    .sid_kind = Kind::kCredentialList,
    .item_path = "Credentials",
    .item_key = "credentials",
    .item_sid_kind = Kind::kCredential,
    .create = &Store::CreateCredentialList,
    .get = &Store::GetCredentialList,
    .list = &Store::ListCredentialLists,
    .update = &Store::UpdateCredentialList,
    .remove = &Store::DeleteCredentialList,
};

constexpr ListKind<IpAccessControlList> kIpAccessControlLists{
    .path = "IpAccessControlLists",
    .key = "ip_access_control_lists",
    .sid_kind = Kind::kIpAccessControlList,
    .item_path = "IpAddresses",
    .item_key = "ip_addresses",
    .item_sid_kind = Kind::kIpAddress,
    .create = &Store::CreateIpAccessControlList,
    .get = &Store::GetIpAccessControlList,
    .list = &Store::ListIpAccessControlLists,
    .update = &Store::UpdateIpAccessControlList,
    .remove = &Store::DeleteIpAccessControlList,
};

template <class L>
void WriteList(JsonWriter& w, const L& l, const ListKind<L>& kind) {
  std::string self = Base(l.account_sid);
  self.append("/").append(kind.path).append("/").append(l.sid);
  std::string items = self;
  items.append("/").append(kind.item_path).append(".json");
  w.BeginObject();
  w.Field("account_sid", l.account_sid);
  WriteDates(w, l.date_created, l.date_updated);
  w.FieldOrNull("friendly_name", l.friendly_name);
  w.Field("sid", l.sid);
  w.Key("subresource_uris");
  w.BeginObject();
  w.Field(kind.item_key, items);
  w.EndObject();
  w.Field("uri", self + ".json");
  w.EndObject();
}

void WriteCredential(JsonWriter& w, const Credential& c) {
  w.BeginObject();
  w.Field("account_sid", c.account_sid);
  w.Field("credential_list_sid", c.credential_list_sid);
  WriteDates(w, c.date_created, c.date_updated);
  w.Field("sid", c.sid);
  w.Field("uri", Base(c.account_sid) + "/CredentialLists/" + c.credential_list_sid +
                     "/Credentials/" + c.sid + ".json");
  w.Field("username", c.username);
  w.EndObject();
}

void WriteIpAddress(JsonWriter& w, const IpAddress& a) {
  w.BeginObject();
  w.Field("account_sid", a.account_sid);
  w.FieldInt("cidr_prefix_length", a.cidr_prefix_length);
  WriteDates(w, a.date_created, a.date_updated);
  w.FieldOrNull("friendly_name", a.friendly_name);
  w.Field("ip_access_control_list_sid", a.ip_access_control_list_sid);
  w.Field("ip_address", a.ip_address);
  w.Field("sid", a.sid);
  w.Field("uri", Base(a.account_sid) + "/IpAccessControlLists/" + a.ip_access_control_list_sid +
                     "/IpAddresses/" + a.sid + ".json");
  w.EndObject();
}

// `collection`: the mapping list's path without ".json" (legacy or Auth/ form, as requested).
void WriteMapping(JsonWriter& w, const Mapping& m, std::string_view collection) {
  w.BeginObject();
  w.Field("account_sid", m.account_sid);
  WriteDates(w, m.date_created, m.date_updated);
  w.Field("domain_sid", m.domain_sid);
  w.FieldOrNull("friendly_name", m.friendly_name);
  w.Field("sid", m.list_sid);
  std::string uri(collection);
  uri.append("/");
  uri.append(m.list_sid);
  uri.append(".json");
  w.Field("uri", uri);
  w.EndObject();
}

template <class T, class F>
std::string Single(const T& v, F write) {
  JsonWriter w;
  write(w, v);
  return w.Take();
}

}  // namespace

HttpResponse ErrorResponse(unsigned status, int code, std::string_view message) {
  JsonWriter w;
  w.BeginObject();
  w.FieldInt("code", code);
  w.Field("message", message);
  w.Field("more_info", "https://www.twilio.com/docs/errors/" + std::to_string(code));
  w.FieldInt("status", status);
  w.EndObject();
  HttpResponse r;
  r.status = status;
  r.body = w.Take();
  if (status == 401) {
    r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"sipfront\"");
  } else if (status == 503) {
    r.headers.emplace_back("Retry-After", "1");
  }
  return r;
}

struct ApiHandler::Ctx {
  Ctx(const HttpRequest& r, const std::function<void()>& changed) : req(r), on_change(changed) {}

  const HttpRequest& req;
  const std::function<void()>& on_change;
  bool is_get = false;  // GET or HEAD
  bool is_post = false;
  bool is_delete = false;
  std::string account;           // the authenticated account's SID
  std::vector<std::string> seg;  // path after .../SIP/, SIDs normalised, ".json" dropped
  std::string collection;        // canonical path of the addressed collection (no .json)
  FormFields form;
  PageRequest page;

  [[nodiscard]] const std::string* Field(std::string_view name) const {
    return FindField(form, name);
  }
  // A required field: present and not empty.
  [[nodiscard]] const std::string* Required(std::string_view name) const {
    const std::string* v = Field(name);
    return v == nullptr || v->empty() ? nullptr : v;
  }
  [[nodiscard]] std::string NotFoundMessage() const {
    std::string msg = "The requested resource ";
    msg.append(req.path);
    msg.append(" was not found");
    return msg;
  }

  // The responses every resource shares. `write(JsonWriter&, const T&)` writes one resource.
  // A page of a collection (Page/PageSize from the query; `fetch(PageRequest)` reads it).
  template <class Fetch, class Write>
  HttpResponse Listed(std::string_view key, Fetch fetch, Write write);
  // A read of the addressed resource.
  template <class T, class Write>
  HttpResponse Found(const absl::StatusOr<T>& r, Write write);
  // A create (201) or update (200); `addressed` as for StoreError.
  template <class T, class Write>
  HttpResponse Written(const absl::StatusOr<T>& r, unsigned status, bool addressed, Write write);
  HttpResponse Deleted(const absl::Status& s);
  void Changed() const {
    if (on_change) {
      on_change();
    }
  }
};

namespace {

// Maps a store status to the error body (store.h lists the codes). `addressed`: the status is
// about the resource the path names, so NotFound gets the hosted API's path message.
HttpResponse StoreError(const absl::Status& s, bool addressed, std::string_view not_found_message) {
  const std::string_view message(s.message().data(), s.message().size());
  switch (s.code()) {
    case absl::StatusCode::kNotFound:
      return ErrorResponse(404, kCodeNotFound,
                           addressed || message.empty() ? not_found_message : message);
    case absl::StatusCode::kInvalidArgument:
      return ErrorResponse(400, kCodeInvalidParameter, message);
    case absl::StatusCode::kAlreadyExists:
      return ErrorResponse(409, kCodeAlreadyExists, message);
    case absl::StatusCode::kResourceExhausted:
      return ErrorResponse(400, kCodeLimitExceeded, message);
    case absl::StatusCode::kUnavailable:
      return ErrorResponse(503, kCodeUnavailable, "The provisioning store is unavailable");
    default:
      return ErrorResponse(500, kCodeInternal, "Internal error");
  }
}

// Reads Page / PageSize from the query; false with `err` set when out of range.
bool ParsePaging(const HttpRequest& req, PageRequest& p, HttpResponse& err) {
  p = PageRequest{};
  if (const char* v = req.query("PageSize"); v != nullptr) {
    if (!ParseUint(v, 1000, p.page_size) || p.page_size == 0) {
      err = Invalid("PageSize must be an integer between 1 and 1000");
      return false;
    }
  }
  if (const char* v = req.query("Page"); v != nullptr) {
    if (!ParseUint(v, kMaxPage, p.page)) {
      err = Invalid("Page must be a non-negative integer");
      return false;
    }
  }
  return true;
}

std::string PageUri(std::string_view collection, std::string_view extra_query, uint32_t size,
                    uint32_t page) {
  std::string u(collection);
  u.append(".json?");
  u.append(extra_query);
  u.append("PageSize=");
  u.append(std::to_string(size));
  u.append("&Page=");
  u.append(std::to_string(page));
  return u;
}

// The hosted API's list envelope around the items `write_items` writes.
template <class F>
std::string ListBody(std::string_view key, std::string_view collection,
                     std::string_view extra_query, const PageRequest& p, std::size_t count,
                     bool has_more, F write_items) {
  JsonWriter w;
  w.BeginObject();
  w.Key(key);
  w.BeginArray();
  write_items(w);
  w.EndArray();
  const int64_t start = static_cast<int64_t>(p.page) * p.page_size;
  w.FieldInt("end", count == 0 ? start : start + static_cast<int64_t>(count) - 1);
  w.Field("first_page_uri", PageUri(collection, extra_query, p.page_size, 0));
  w.Key("next_page_uri");
  if (has_more) {
    w.String(PageUri(collection, extra_query, p.page_size, p.page + 1));
  } else {
    w.Null();
  }
  w.FieldInt("page", p.page);
  w.FieldInt("page_size", p.page_size);
  w.Key("previous_page_uri");
  if (p.page > 0) {
    w.String(PageUri(collection, extra_query, p.page_size, p.page - 1));
  } else {
    w.Null();
  }
  w.FieldInt("start", start);
  w.Field("uri", PageUri(collection, extra_query, p.page_size, p.page));
  w.EndObject();
  return w.Take();
}

bool ParseBool(const std::string& v, bool& out) {
  if (AsciiIEquals(v, "true")) {
    out = true;
    return true;
  }
  if (AsciiIEquals(v, "false")) {
    out = false;
    return true;
  }
  return false;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

bool IsFormContentType(std::string_view ct) {
  const std::size_t semi = ct.find(';');
  std::string_view media = ct.substr(0, semi);
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) {
    media.remove_suffix(1);
  }
  return AsciiIEquals(media, "application/x-www-form-urlencoded");
}

}  // namespace

template <class Fetch, class Write>
HttpResponse ApiHandler::Ctx::Listed(std::string_view key, Fetch fetch, Write write) {
  HttpResponse err;
  if (!ParsePaging(req, page, err)) {
    return err;
  }
  auto result = fetch(page);
  if (!result.ok()) {
    return StoreError(result.status(), true, NotFoundMessage());
  }
  return JsonResponse(200, ListBody(key, collection, "", page, result->items.size(),
                                    result->has_more, [&](JsonWriter& w) {
                                      for (const auto& v : result->items) {
                                        write(w, v);
                                      }
                                    }));
}

template <class T, class Write>
HttpResponse ApiHandler::Ctx::Found(const absl::StatusOr<T>& r, Write write) {
  if (!r.ok()) {
    return StoreError(r.status(), true, NotFoundMessage());
  }
  return JsonResponse(200, Single(*r, write));
}

template <class T, class Write>
HttpResponse ApiHandler::Ctx::Written(const absl::StatusOr<T>& r, unsigned status, bool addressed,
                                      Write write) {
  if (!r.ok()) {
    return StoreError(r.status(), addressed, NotFoundMessage());
  }
  Changed();
  return JsonResponse(status, Single(*r, write));
}

HttpResponse ApiHandler::Ctx::Deleted(const absl::Status& s) {
  if (!s.ok()) {
    return StoreError(s, true, NotFoundMessage());
  }
  Changed();
  return JsonResponse(204, "");
}

std::string ApiHandler::AuthType(const control::Domain& d) {
  const PageRequest one{0, 1};
  auto cl = store_->ListMappings(MappingKind::kCallsCredentialList, d.account_sid, d.sid, one);
  auto al = store_->ListMappings(MappingKind::kCallsIpAcl, d.account_sid, d.sid, one);
  const bool has_cl = cl.ok() && !cl->items.empty();
  const bool has_al = al.ok() && !al->items.empty();
  if (has_cl && has_al) {
    return "CREDENTIAL_LIST,IP_ACL";
  }
  if (has_cl) {
    return "CREDENTIAL_LIST";
  }
  if (has_al) {
    return "IP_ACL";
  }
  return {};
}

HttpResponse ApiHandler::Handle(const HttpRequest& req) {
  Ctx ctx(req, on_change_);
  ctx.is_get = req.method == "GET" || req.method == "HEAD";
  ctx.is_post = req.method == "POST";
  ctx.is_delete = req.method == "DELETE";

  std::string_view path = req.path;
  if (path == "/healthz") {
    if (!ctx.is_get) {
      return MethodNotAllowed("GET");
    }
    return JsonResponse(200, "{\"status\":\"ok\"}");
  }

  // Split into segments; ".json" is optional on the last one.
  std::vector<std::string_view> parts;
  if (path.empty() || path.front() != '/') {
    return ErrorResponse(404, kCodeNotFound, ctx.NotFoundMessage());
  }
  path.remove_prefix(1);
  while (true) {
    const std::size_t slash = path.find('/');
    parts.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) {
      break;
    }
    path.remove_prefix(slash + 1);
  }
  if (parts.back().ends_with(".json")) {
    parts.back().remove_suffix(5);
  }
  if (parts[0] != kApiVersion) {
    return ErrorResponse(404, kCodeNotFound, ctx.NotFoundMessage());
  }

  // Authenticate before saying anything about what exists under the API.
  if (!req.has_basic_auth || !IsSid(req.auth_user, Kind::kAccount)) {
    return ErrorResponse(401, kCodeAuthenticate, "Authenticate");
  }
  // Hashed before the lookup so an unknown account takes as long as a wrong token.
  const std::string presented = HashAuthToken(req.auth_password);
  const std::string user = NormalizeSid(req.auth_user);
  auto account = store_->GetAccount(user);
  if (!account.ok()) {
    if (account.status().code() == absl::StatusCode::kNotFound) {
      return ErrorResponse(401, kCodeAuthenticate, "Authenticate");
    }
    return StoreError(account.status(), true, ctx.NotFoundMessage());
  }
  const std::string& stored = account->auth_token_sha256;
  if (presented.size() != stored.size() ||
      CRYPTO_memcmp(presented.data(), stored.data(), stored.size()) != 0) {
    return ErrorResponse(401, kCodeAuthenticate, "Authenticate");
  }
  ctx.account = account->sid;

  // /2010-04-01/Accounts/{own AccountSid}/SIP/...; another account's path is simply not found.
  if (parts.size() < 5 || parts[1] != "Accounts" || parts[3] != "SIP" ||
      NormalizeSid(parts[2]) != NormalizeSid(ctx.account)) {
    return ErrorResponse(404, kCodeNotFound, ctx.NotFoundMessage());
  }
  for (std::size_t i = 4; i < parts.size(); ++i) {
    ctx.seg.emplace_back(parts[i].size() == 34 ? NormalizeSid(parts[i]) : std::string(parts[i]));
  }

  if (ctx.is_post) {
    if (!req.content_type.empty() && !IsFormContentType(req.content_type)) {
      return ErrorResponse(415, kCodeUnsupportedMediaType,
                           "Request bodies must be application/x-www-form-urlencoded");
    }
    std::string error;
    if (!ParseForm(req.body, ctx.form, error)) {
      return ErrorResponse(400, kCodeMalformedBody, error);
    }
  }
  return Route(ctx);
}

HttpResponse ApiHandler::Route(Ctx& ctx) {
  const auto& s = ctx.seg;
  const std::size_t n = s.size();
  const std::string base = Base(ctx.account);
  const auto not_found = [&ctx] {
    return ErrorResponse(404, kCodeNotFound, ctx.NotFoundMessage());
  };
  const auto collection = [&](std::size_t upto) {
    std::string c = base;
    for (std::size_t i = 0; i < upto; ++i) {
      c.push_back('/');
      c.append(s[i]);
    }
    return c;
  };

  if (s[0] == "Domains") {
    if (n == 1) {
      ctx.collection = collection(1);
      return Domains(ctx);
    }
    if (!IsSid(s[1], Kind::kDomain)) {
      return not_found();
    }
    if (n == 2) {
      return Domain(ctx);
    }
    // Domains/{SD}/CredentialListMappings, .../IpAccessControlListMappings (the calls ones),
    // .../Registrations, .../Auth/{Calls,Registrations}[/{Credential,IpAccessControl}ListMappings]
    std::size_t kind_at = 2;
    bool calls = true;
    if (s[2] == "Registrations" && n == 3) {
      return Registrations(ctx);
    }
    if (s[2] == "Auth") {
      if (n < 4 || (s[3] != "Calls" && s[3] != "Registrations")) {
        return not_found();
      }
      calls = s[3] == "Calls";
      if (n == 4) {
        return AuthIndex(ctx, !calls);
      }
      kind_at = 4;
    }
    MappingKind kind;
    if (s[kind_at] == "CredentialListMappings") {
      kind = calls ? MappingKind::kCallsCredentialList : MappingKind::kRegistrationsCredentialList;
    } else if (s[kind_at] == "IpAccessControlListMappings") {
      kind = calls ? MappingKind::kCallsIpAcl : MappingKind::kRegistrationsIpAcl;
    } else {
      return not_found();
    }
    ctx.collection = collection(kind_at + 1);
    if (n == kind_at + 1) {
      return Mappings(ctx, kind);
    }
    if (n == kind_at + 2 && IsSid(s[kind_at + 1], MapsIpAcl(kind) ? Kind::kIpAccessControlList
                                                                  : Kind::kCredentialList)) {
      return MappingItem(ctx, kind);
    }
    return not_found();
  }

  // CredentialLists[/{CL}[/Credentials[/{CR}]]], IpAccessControlLists[/{AL}[/IpAddresses[/{IP}]]]
  const auto lists = [&](const auto& kind, HttpResponse (ApiHandler::*items)(Ctx&),
                         HttpResponse (ApiHandler::*item)(Ctx&)) {
    if (n == 1) {
      ctx.collection = collection(1);
      return Lists(ctx, kind);
    }
    if (!IsSid(s[1], kind.sid_kind)) {
      return not_found();
    }
    if (n == 2) {
      return Lists(ctx, kind);
    }
    if (s[2] != kind.item_path) {
      return not_found();
    }
    ctx.collection = collection(3);
    if (n == 3) {
      return (this->*items)(ctx);
    }
    if (n == 4 && IsSid(s[3], kind.item_sid_kind)) {
      return (this->*item)(ctx);
    }
    return not_found();
  };
  if (s[0] == kCredentialLists.path) {
    return lists(kCredentialLists, &ApiHandler::Credentials, &ApiHandler::CredentialItem);
  }
  if (s[0] == kIpAccessControlLists.path) {
    return lists(kIpAccessControlLists, &ApiHandler::IpAddresses, &ApiHandler::IpAddressItem);
  }
  return not_found();
}

// ---- domains ----

namespace {

// Applies the optional domain fields of a create or (partial) update; false with `err` set
// when one is invalid.
bool ApplyDomainFields(const FormFields& form, control::Domain& d, HttpResponse& err) {
  struct Text {
    std::string_view name;
    std::string* field;
    enum { kName, kUrl, kMethod, kFriendly } check;
  };
  const Text texts[] = {
      {"DomainName", &d.domain_name, Text::kName},
      {"FriendlyName", &d.friendly_name, Text::kFriendly},
      {"VoiceUrl", &d.voice_url, Text::kUrl},
      {"VoiceMethod", &d.voice_method, Text::kMethod},
      {"VoiceFallbackUrl", &d.voice_fallback_url, Text::kUrl},
      {"VoiceFallbackMethod", &d.voice_fallback_method, Text::kMethod},
      {"VoiceStatusCallbackUrl", &d.voice_status_callback_url, Text::kUrl},
      {"VoiceStatusCallbackMethod", &d.voice_status_callback_method, Text::kMethod},
  };
  for (const Text& t : texts) {
    const std::string* v = FindField(form, t.name);
    if (v == nullptr) {
      continue;
    }
    std::string why;
    std::string value = *v;
    switch (t.check) {
      case Text::kName:
        for (char& c : value) {
          c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        why = CheckDomainName(value);
        break;
      case Text::kUrl:
        why = CheckUrl(value);
        break;
      case Text::kMethod:
        value = Upper(value);
        why = CheckMethod(value);
        break;
      case Text::kFriendly:
        why = CheckFriendlyName(value);
        break;
    }
    if (!why.empty()) {
      err = Invalid(why);
      return false;
    }
    *t.field = std::move(value);
  }
  struct Flag {
    std::string_view name;
    bool* field;
  };
  const Flag flags[] = {
      {"SipRegistration", &d.sip_registration},
      {"Secure", &d.secure},
      {"EmergencyCallingEnabled", &d.emergency_calling_enabled},
  };
  for (const Flag& f : flags) {
    const std::string* v = FindField(form, f.name);
    if (v != nullptr && !ParseBool(*v, *f.field)) {
      err = Invalid(std::string(f.name) + " must be true or false");
      return false;
    }
  }
  return true;
}

}  // namespace

HttpResponse ApiHandler::Domains(Ctx& ctx) {
  if (ctx.is_get) {
    return ctx.Listed(
        "domains", [&](PageRequest p) { return store_->ListDomains(ctx.account, p); },
        [&](JsonWriter& w, const control::Domain& d) { WriteDomain(w, d, AuthType(d)); });
  }
  if (!ctx.is_post) {
    return MethodNotAllowed("GET, POST");
  }
  if (ctx.Required("DomainName") == nullptr) {
    return Missing("DomainName");
  }
  control::Domain d;
  d.account_sid = ctx.account;
  HttpResponse err;
  if (!ApplyDomainFields(ctx.form, d, err)) {
    return err;
  }
  return ctx.Written(store_->CreateDomain(d), 201, false,
                     [](JsonWriter& w, const control::Domain& v) { WriteDomain(w, v, ""); });
}

HttpResponse ApiHandler::Domain(Ctx& ctx) {
  const std::string& sid = ctx.seg[1];
  if (ctx.is_delete) {
    return ctx.Deleted(store_->DeleteDomain(ctx.account, sid));
  }
  if (!ctx.is_get && !ctx.is_post) {
    return MethodNotAllowed("GET, POST, DELETE");
  }
  auto d = store_->GetDomain(ctx.account, sid);
  if (!d.ok()) {
    return StoreError(d.status(), true, ctx.NotFoundMessage());
  }
  if (ctx.is_post) {
    HttpResponse err;
    if (!ApplyDomainFields(ctx.form, *d, err)) {
      return err;
    }
    if (const std::string* v = ctx.Field("DomainName"); v != nullptr && v->empty()) {
      return Invalid("DomainName must not be empty");
    }
    auto updated = store_->UpdateDomain(*d);
    if (!updated.ok()) {
      return StoreError(updated.status(), false, ctx.NotFoundMessage());
    }
    ctx.Changed();
    d = std::move(updated);
  }
  const std::string auth_type = AuthType(*d);
  return JsonResponse(200, Single(*d, [&](JsonWriter& w, const control::Domain& v) {
                        WriteDomain(w, v, auth_type);
                      }));
}

HttpResponse ApiHandler::AuthIndex(Ctx& ctx, bool registrations) {
  if (!ctx.is_get) {
    return MethodNotAllowed("GET");
  }
  auto d = store_->GetDomain(ctx.account, ctx.seg[1]);
  if (!d.ok()) {
    return StoreError(d.status(), true, ctx.NotFoundMessage());
  }
  const std::string self = Base(ctx.account) + "/Domains/" + d->sid + "/Auth/" +
                           (registrations ? "Registrations" : "Calls");
  JsonWriter w;
  w.BeginObject();
  w.Key("subresource_uris");
  w.BeginObject();
  w.Field("credential_list_mappings", self + "/CredentialListMappings.json");
  w.Field("ip_access_control_list_mappings", self + "/IpAccessControlListMappings.json");
  w.EndObject();
  w.EndObject();
  return JsonResponse(200, w.Take());
}

// ---- mappings ----

HttpResponse ApiHandler::Mappings(Ctx& ctx, MappingKind kind) {
  const std::string& domain = ctx.seg[1];
  const bool legacy = ctx.seg[2] != "Auth";
  const auto write = [&ctx](JsonWriter& w, const Mapping& m) {
    WriteMapping(w, m, ctx.collection);
  };
  if (ctx.is_get) {
    std::string_view key = "contents";
    if (legacy) {
      key = MapsIpAcl(kind) ? "ip_access_control_list_mappings" : "credential_list_mappings";
    }
    return ctx.Listed(
        key, [&](PageRequest p) { return store_->ListMappings(kind, ctx.account, domain, p); },
        write);
  }
  if (!ctx.is_post) {
    return MethodNotAllowed("GET, POST");
  }
  const bool acl = MapsIpAcl(kind);
  const std::string_view param = acl ? "IpAccessControlListSid" : "CredentialListSid";
  const std::string* list = ctx.Required(param);
  if (list == nullptr) {
    return Missing(param);
  }
  if (!IsSid(*list, acl ? Kind::kIpAccessControlList : Kind::kCredentialList)) {
    return Invalid(std::string(param) + " is not a valid " + (acl ? "AL" : "CL") + " SID");
  }
  return ctx.Written(store_->CreateMapping(kind, ctx.account, domain, NormalizeSid(*list)), 201,
                     false, write);
}

HttpResponse ApiHandler::MappingItem(Ctx& ctx, MappingKind kind) {
  const std::string& domain = ctx.seg[1];
  const std::string& list = ctx.seg.back();
  if (ctx.is_get) {
    return ctx.Found(
        store_->GetMapping(kind, ctx.account, domain, list),
        [&ctx](JsonWriter& w, const Mapping& m) { WriteMapping(w, m, ctx.collection); });
  }
  if (ctx.is_delete) {
    return ctx.Deleted(store_->DeleteMapping(kind, ctx.account, domain, list));
  }
  return MethodNotAllowed("GET, DELETE");
}

// ---- registrations (beyond the hosted API) ----

HttpResponse ApiHandler::Registrations(Ctx& ctx) {
  if (!ctx.is_get) {
    return MethodNotAllowed("GET");
  }
  HttpResponse err;
  if (!ParsePaging(ctx.req, ctx.page, err)) {
    return err;
  }
  auto d = store_->GetDomain(ctx.account, ctx.seg[1]);
  if (!d.ok()) {
    return StoreError(d.status(), true, ctx.NotFoundMessage());
  }
  const char* aor_arg = ctx.req.query("Aor");
  if (aor_arg == nullptr || *aor_arg == '\0') {
    return ErrorResponse(400, kCodeMissingParameter, "Missing required parameter Aor");
  }
  // Aor is USER, or sip:USER@domain_name.
  std::string_view user = aor_arg;
  if (user.size() >= 4 && AsciiIEquals(user.substr(0, 4), "sip:")) {
    user.remove_prefix(4);
  }
  if (const std::size_t at = user.find('@'); at != std::string_view::npos) {
    if (!AsciiIEquals(user.substr(at + 1), d->domain_name)) {
      return Invalid("Aor must be a user of " + d->domain_name);
    }
    user = user.substr(0, at);
  }
  if (std::string why = CheckUsername(user); !why.empty()) {
    return Invalid("Aor: " + why);
  }
  std::vector<LiveBinding> bindings;
  if (registrations_ == nullptr || !registrations_->Lookup(d->domain_name, user, bindings)) {
    return ErrorResponse(503, kCodeUnavailable,
                         "The domain is not loaded by the workers yet; retry shortly");
  }
  const std::size_t start = static_cast<std::size_t>(ctx.page.page) * ctx.page.page_size;
  const std::size_t end = std::min(bindings.size(), start + ctx.page.page_size);
  const std::size_t count = start < end ? end - start : 0;
  const std::string aor = "sip:" + std::string(user) + "@" + d->domain_name;
  const std::string extra = "Aor=" + UrlEncode(user) + "&";
  return JsonResponse(
      200, ListBody("registrations", Base(ctx.account) + "/Domains/" + d->sid + "/Registrations",
                    extra, ctx.page, count, end < bindings.size(), [&](JsonWriter& w) {
                      for (std::size_t i = start; i < end; ++i) {
                        const LiveBinding& b = bindings[i];
                        w.BeginObject();
                        w.Field("aor", aor);
                        w.Field("contact", b.contact);
                        w.FieldInt("expires", b.expires);
                        w.Field("source", b.source);
                        w.Field("transport", b.transport);
                        w.FieldOrNull("user_agent", b.user_agent);
                        w.FieldOrNull("instance", b.instance);
                        w.Key("q");
                        if (b.q < 0) {
                          w.Null();
                        } else {
                          w.Milli(b.q);
                        }
                        w.Field("date_updated", FormatRfc2822(b.date_updated));
                        w.EndObject();
                      }
                    }));
}

// ---- credential lists and IP access control lists (the lists themselves) ----

template <class L>
HttpResponse ApiHandler::Lists(Ctx& ctx, const ListKind<L>& kind) {
  const auto write = [&kind](JsonWriter& w, const L& l) { WriteList(w, l, kind); };
  Store& store = *store_;
  const bool creating = ctx.seg.size() == 1;
  absl::StatusOr<L> l = L{};
  if (creating) {
    if (ctx.is_get) {
      return ctx.Listed(
          kind.key, [&](PageRequest p) { return (store.*kind.list)(ctx.account, p); }, write);
    }
    if (!ctx.is_post) {
      return MethodNotAllowed("GET, POST");
    }
    l->account_sid = ctx.account;
  } else {
    const std::string& sid = ctx.seg[1];
    if (ctx.is_delete) {
      return ctx.Deleted((store.*kind.remove)(ctx.account, sid));
    }
    if (!ctx.is_get && !ctx.is_post) {
      return MethodNotAllowed("GET, POST, DELETE");
    }
    l = (store.*kind.get)(ctx.account, sid);
    if (!ctx.is_post || !l.ok()) {
      return ctx.Found(l, write);
    }
  }
  // A create or a rename: FriendlyName is required either way.
  const std::string* name = ctx.Required("FriendlyName");
  if (name == nullptr) {
    return Missing("FriendlyName");
  }
  if (std::string why = CheckFriendlyName(*name); !why.empty()) {
    return Invalid(why);
  }
  l->friendly_name = *name;
  if (creating) {
    return ctx.Written((store.*kind.create)(*l), 201, false, write);
  }
  return ctx.Written((store.*kind.update)(*l), 200, true, write);
}

// ---- credentials ----

HttpResponse ApiHandler::Credentials(Ctx& ctx) {
  const std::string& list = ctx.seg[1];
  if (ctx.is_get) {
    return ctx.Listed(
        "credentials", [&](PageRequest p) { return store_->ListCredentials(ctx.account, list, p); },
        WriteCredential);
  }
  if (!ctx.is_post) {
    return MethodNotAllowed("GET, POST");
  }
  const std::string* username = ctx.Required("Username");
  if (username == nullptr) {
    return Missing("Username");
  }
  const std::string* password = ctx.Required("Password");
  if (password == nullptr) {
    return Missing("Password");
  }
  if (std::string why = CheckUsername(*username); !why.empty()) {
    return Invalid(why);
  }
  if (std::string why = CheckPassword(*password); !why.empty()) {
    return Invalid(why);
  }
  return ctx.Written(store_->CreateCredential(ctx.account, list, *username, *password), 201, false,
                     WriteCredential);
}

HttpResponse ApiHandler::CredentialItem(Ctx& ctx) {
  const std::string& list = ctx.seg[1];
  const std::string& sid = ctx.seg[3];
  if (ctx.is_get) {
    return ctx.Found(store_->GetCredential(ctx.account, list, sid), WriteCredential);
  }
  if (ctx.is_delete) {
    return ctx.Deleted(store_->DeleteCredential(ctx.account, list, sid));
  }
  if (!ctx.is_post) {
    return MethodNotAllowed("GET, POST, DELETE");
  }
  const std::string* password = ctx.Required("Password");
  if (password == nullptr) {
    return Missing("Password");
  }
  if (std::string why = CheckPassword(*password); !why.empty()) {
    return Invalid(why);
  }
  return ctx.Written(store_->UpdateCredential(ctx.account, list, sid, *password), 200, true,
                     WriteCredential);
}

// ---- IP addresses ----

namespace {

// Applies FriendlyName / IpAddress / CidrPrefixLength. Without CidrPrefixLength a new address
// gets a single-host prefix (32 or 128), and a changed address keeps its prefix unless the
// family changed.
bool ApplyIpFields(const FormFields& form, IpAddress& a, bool creating, HttpResponse& err) {
  if (const std::string* v = FindField(form, "FriendlyName"); v != nullptr) {
    if (std::string why = CheckFriendlyName(*v); !why.empty()) {
      err = Invalid(why);
      return false;
    }
    a.friendly_name = *v;
  }
  const std::string* ip = FindField(form, "IpAddress");
  const std::string* prefix = FindField(form, "CidrPrefixLength");
  if (ip == nullptr && prefix == nullptr) {
    return true;
  }
  std::string address = ip != nullptr ? *ip : a.ip_address;
  uint32_t length = a.cidr_prefix_length;
  const bool v6 = address.find(':') != std::string::npos;
  if (prefix != nullptr) {
    if (!ParseUint(*prefix, 128, length)) {
      err = Invalid("CidrPrefixLength must be an integer between 0 and 128");
      return false;
    }
  } else if (creating || (a.ip_address.find(':') != std::string::npos) != v6) {
    length = v6 ? 128 : 32;
  }
  std::string normalised;
  if (std::string why = CheckIpAddress(address, length, normalised); !why.empty()) {
    err = Invalid(why);
    return false;
  }
  a.ip_address = std::move(normalised);
  a.cidr_prefix_length = length;
  return true;
}

}  // namespace

HttpResponse ApiHandler::IpAddresses(Ctx& ctx) {
  const std::string& acl = ctx.seg[1];
  if (ctx.is_get) {
    return ctx.Listed(
        "ip_addresses", [&](PageRequest p) { return store_->ListIpAddresses(ctx.account, acl, p); },
        WriteIpAddress);
  }
  if (!ctx.is_post) {
    return MethodNotAllowed("GET, POST");
  }
  if (ctx.Required("FriendlyName") == nullptr) {
    return Missing("FriendlyName");
  }
  if (ctx.Required("IpAddress") == nullptr) {
    return Missing("IpAddress");
  }
  IpAddress a;
  a.account_sid = ctx.account;
  a.ip_access_control_list_sid = acl;
  HttpResponse err;
  if (!ApplyIpFields(ctx.form, a, true, err)) {
    return err;
  }
  return ctx.Written(store_->CreateIpAddress(a), 201, false, WriteIpAddress);
}

HttpResponse ApiHandler::IpAddressItem(Ctx& ctx) {
  const std::string& acl = ctx.seg[1];
  const std::string& sid = ctx.seg[3];
  if (ctx.is_delete) {
    return ctx.Deleted(store_->DeleteIpAddress(ctx.account, acl, sid));
  }
  if (!ctx.is_get && !ctx.is_post) {
    return MethodNotAllowed("GET, POST, DELETE");
  }
  auto a = store_->GetIpAddress(ctx.account, acl, sid);
  if (!ctx.is_post || !a.ok()) {
    return ctx.Found(a, WriteIpAddress);
  }
  if (const std::string* v = ctx.Field("IpAddress"); v != nullptr && v->empty()) {
    return Invalid("IpAddress must not be empty");
  }
  HttpResponse err;
  if (!ApplyIpFields(ctx.form, *a, false, err)) {
    return err;
  }
  return ctx.Written(store_->UpdateIpAddress(*a), 200, false, WriteIpAddress);
}

}  // namespace sipfront::control::api_internal
