// Configuration loading: `//` comments are blanked, simdjson's DOM parser validates the syntax
// (on failure an ondemand walk finds where), then one ondemand pass fills Config. Positions come
// from ondemand's raw tokens, which point into the blanked copy; blanking keeps every byte offset,
// so the line of a token is one plus the number of '\n' before it.
#include "sipfront/core/config.h"

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <unistd.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "simdjson.h"

namespace sipfront::core {
namespace {

namespace od = simdjson::ondemand;

// This abseil (20220623, ABSL_OPTION_USE_STD_STRING_VIEW 0) has its own string_view type.
absl::string_view Piece(std::string_view s) { return absl::string_view(s.data(), s.size()); }

constexpr uint64_t kMaxExpiresLimit = 86400;
constexpr uint64_t kMaxCpu = 1023;  // CPU_SETSIZE - 1
constexpr std::size_t kMaxUsername = 32;
constexpr std::size_t kMaxEchoed = 48;  // longer offending values are cut in messages
constexpr std::size_t kMaxFileBytes = 256 << 20;

// ---------------------------------------------------------------------------------------------
// Comments

struct BlankedJson {
  std::string text;
  // Offset of the first raw control character (or the end of input) inside a string, the likely
  // culprit when simdjson reports an unclosed string or unescaped characters without a position.
  std::size_t bad_string_at = std::string::npos;
};

// Replaces every `//` comment outside strings (up to, not including, the newline) and a leading
// UTF-8 byte order mark with spaces, so offsets and line numbers stay those of the input.
BlankedJson BlankComments(std::string_view json) {
  BlankedJson out{std::string(json)};
  std::string& s = out.text;
  if (s.starts_with("\xEF\xBB\xBF")) {
    s.replace(0, 3, "   ");
  }
  bool in_string = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character cannot end the string
        if (i < s.size() && static_cast<unsigned char>(s[i]) < 0x20 &&
            out.bad_string_at == std::string::npos) {
          out.bad_string_at = i;
        }
      } else if (c == '"') {
        in_string = false;
      } else if (c < 0x20 && out.bad_string_at == std::string::npos) {
        out.bad_string_at = i;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '/' && i + 1 < s.size() && s[i + 1] == '/') {
      while (i < s.size() && s[i] != '\n') {
        s[i++] = ' ';
      }
    }
  }
  if (in_string && out.bad_string_at == std::string::npos) {
    out.bad_string_at = s.size();
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Locating syntax errors

struct JsonFault {
  simdjson::error_code code = simdjson::SUCCESS;
  const char* at = nullptr;  // nullptr: position unknown
};

// Walks every value with the ondemand API until simdjson reports an error, and returns where.
// Scalars are located by their own token (the iterator has moved past them when they fail).
JsonFault Walk(od::value& value, od::document& doc) {
  const auto fault = [&doc](simdjson::error_code code) {
    const char* at = nullptr;
    if (doc.current_location().get(at) != simdjson::SUCCESS) {
      at = nullptr;
    }
    return JsonFault{code, at};
  };
  const char* token = value.raw_json_token().data();
  od::json_type type;
  if (auto e = value.type().get(type)) {
    return {e, token};
  }
  switch (type) {
    case od::json_type::object: {
      od::object object;
      if (auto e = value.get_object().get(object)) {
        return fault(e);
      }
      for (auto result : object) {
        od::field field;
        if (auto e = std::move(result).get(field)) {
          return fault(e);
        }
        std::string_view key;
        if (auto e = field.unescaped_key().get(key)) {
          return {e, field.key().raw()};
        }
        JsonFault inner = Walk(field.value(), doc);
        if (inner.code != simdjson::SUCCESS) {
          return inner;
        }
      }
      return {};
    }
    case od::json_type::array: {
      od::array array;
      if (auto e = value.get_array().get(array)) {
        return fault(e);
      }
      for (auto result : array) {
        if (auto e = result.error()) {
          return fault(e);
        }
        od::value element = result.value_unsafe();
        JsonFault inner = Walk(element, doc);
        if (inner.code != simdjson::SUCCESS) {
          return inner;
        }
      }
      return {};
    }
    case od::json_type::string: {
      std::string_view s;
      return {value.get_string().get(s), token};
    }
    case od::json_type::number: {
      od::number n;
      return {value.get_number().get(n), token};
    }
    case od::json_type::boolean: {
      bool b = false;
      return {value.get_bool().get(b), token};
    }
    case od::json_type::null: {
      bool is_null = false;
      simdjson::error_code e = value.is_null().get(is_null);
      return {e != simdjson::SUCCESS ? e : (is_null ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR),
              token};
    }
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// Small validators

std::string Sanitized(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      c = '?';
    }
  }
  return out;
}

// How an offending value is quoted in a message: its JSON text, cut when long.
std::string Describe(std::string_view token) {
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t' || token.back() == '\r' ||
                            token.back() == '\n')) {
    token.remove_suffix(1);
  }
  if (token.starts_with('{')) {
    return "an object";
  }
  if (token.starts_with('[')) {
    return "an array";
  }
  if (token.size() <= kMaxEchoed) {
    return Sanitized(token);
  }
  std::size_t cut = kMaxEchoed - 3;
  while (cut > 0 && (static_cast<unsigned char>(token[cut]) & 0xC0) == 0x80) {
    --cut;  // do not split a UTF-8 sequence
  }
  return absl::StrCat(Sanitized(token.substr(0, cut)), "...");
}

std::string Quoted(std::string_view s) { return absl::StrCat("\"", Sanitized(s), "\""); }

bool IsHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return absl::ascii_isxdigit(c); });
}

// RFC 3261 §25.1 user = 1*( unreserved / escaped / user-unreserved ), without escapes, so a
// username is usable verbatim in a SIP URI and a digest quoted-string.
bool IsUsernameChar(char c) {
  return absl::ascii_isalnum(c) ||
         std::string_view("-_.!~*'()&=+$,;?/").find(c) != std::string_view::npos;
}

bool IsValidUsername(std::string_view s) {
  return !s.empty() && s.size() <= kMaxUsername && std::all_of(s.begin(), s.end(), IsUsernameChar);
}

// RFC 1035 §2.3.1 / RFC 1123 §2.1: labels of letters, digits and '-' (not at either end), at most
// 63 characters, at most 253 in all; no empty label (so no trailing dot).
bool IsValidDnsName(std::string_view name) {
  if (name.empty() || name.size() > 253) {
    return false;
  }
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t end = name.find('.', start);
    if (end == std::string_view::npos) {
      end = name.size();
    }
    const std::string_view label = name.substr(start, end - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!absl::ascii_isalnum(c) && c != '-') {
        return false;
      }
    }
    start = end + 1;
  }
  return true;
}

std::size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string JsonQuote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      constexpr char kHex[] = "0123456789abcdef";
      out += "\\u00";
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

// ---------------------------------------------------------------------------------------------
// The typed pass

struct KeySpec {
  std::string_view name;
  bool required = false;
};

constexpr KeySpec kTopKeys[] = {{"listen", true}, {"workers"},  {"io"},           {"cpus"},
                                {"max_bindings"}, {"prefault"}, {"data_dir"},     {"registrar"},
                                {"journal"},      {"storm"},    {"provisioning"}, {"tls"},
                                {"connections"},  {"nat"},      {"api"}};
constexpr KeySpec kApiKeys[] = {{"listen"}};
constexpr KeySpec kNatKeys[] = {{"keepalive"}, {"keepalive_interval_s"}, {"max_missed"}};
constexpr KeySpec kTlsKeys[] = {
    {"certificate"}, {"private_key"}, {"allow_deprecated"}, {"ciphers"}};
constexpr KeySpec kConnectionsKeys[] = {{"max"},
                                        {"max_per_ip"},
                                        {"idle_timeout_s"},
                                        {"max_message_bytes"},
                                        {"message_timeout_ms"},
                                        {"handshake_timeout_ms"},
                                        {"keepalive_interval_s"}};
constexpr KeySpec kStormKeys[] = {{"max_delay_ms"}, {"retry_after_min"}, {"retry_after_max"}};
constexpr KeySpec kJournalKeys[] = {
    {"enabled"}, {"flush_interval_ms"}, {"fsync"}, {"snapshot_interval_s"}};
constexpr KeySpec kRegistrarKeys[] = {
    {"min_expires"},          {"max_expires"},         {"default_expires"},
    {"max_contacts_per_aor"}, {"max_contacts_policy"}, {"nonce_lifetime"},
    {"bind_to_connection"},   {"flow_timer"},          {"digest_algorithms"}};
constexpr KeySpec kProvisioningKeys[] = {{"accounts"}, {"store"}, {"poll_interval_ms"}};
constexpr KeySpec kAccountKeys[] = {
    {"sid", true}, {"auth_token"}, {"credential_lists"}, {"domains"}};
constexpr KeySpec kCredentialListKeys[] = {{"sid", true}, {"friendly_name"}, {"credentials"}};
constexpr KeySpec kCredentialKeys[] = {{"username", true}, {"password", true}};
constexpr KeySpec kDomainKeys[] = {
    {"sid", true}, {"domain_name", true}, {"sip_registration"}, {"registration_credential_lists"}};

std::string Join(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : absl::StrCat(Piece(path), ".", Piece(key));
}

// Where something was first seen, for "duplicate of" messages.
struct Seen {
  std::string path;
  const char* at = nullptr;
};

struct PendingListRef {
  std::string sid;
  std::string path;
  const char* at = nullptr;
};

class ConfigReader {
 public:
  ConfigReader(std::string_view source, std::string_view text, od::document& doc)
      : source_(source), text_(text), doc_(doc) {}

  absl::StatusOr<Config> Read() {
    od::json_type type;
    if (auto e = doc_.type().get(type)) {
      return JsonError(e, nullptr);
    }
    if (type != od::json_type::object) {
      std::string_view token;
      if (doc_.raw_json_token().get(token) != simdjson::SUCCESS) {
        token = {};
      }
      return Error(token.data(), "",
                   absl::StrCat("expected an object at the top level, got ", Describe(token)));
    }
    od::value root;
    if (auto e = doc_.get_value().get(root)) {
      return JsonError(e, nullptr);
    }
    SIPFRONT_RETURN_IF_ERROR(ReadTop(root));
    return std::move(config_);
  }

  int LineOf(const char* at) const {
    const char* begin = text_.data();
    const char* end = begin + std::clamp<std::ptrdiff_t>(at - begin, 0,
                                                         static_cast<std::ptrdiff_t>(text_.size()));
    return 1 + static_cast<int>(std::count(begin, end, '\n'));
  }

  absl::Status Error(const char* at, std::string_view path, std::string_view reason) const {
    return absl::InvalidArgumentError(
        absl::StrCat(Piece(source_), at == nullptr ? "" : absl::StrCat(":", LineOf(at)), ": ",
                     Piece(path), path.empty() ? "" : ": ", Piece(reason)));
  }

  // Cannot happen after the DOM pass accepted the document; kept so nothing goes unchecked.
  absl::Status JsonError(simdjson::error_code code, const char* at) {
    if (at == nullptr && doc_.current_location().get(at) != simdjson::SUCCESS) {
      at = text_.data() + text_.size();
    }
    return Error(at, "", absl::StrCat("invalid JSON: ", simdjson::error_message(code)));
  }

 private:
  using Path = const std::string&;

  static const char* At(od::value& v) { return v.raw_json_token().data(); }

  [[nodiscard]] std::string DuplicateOf(const Seen& first) const {
    return absl::StrCat("duplicate of ", first.path, " (line ", LineOf(first.at), ")");
  }

  // Iterates an object's fields: rejects unknown and duplicate keys, and after the last field,
  // missing required ones. on_field(key, path, value) reads one value.
  template <typename OnField>
  absl::Status Object(od::value& v, Path path, std::span<const KeySpec> keys, OnField&& on_field) {
    const std::string_view token = v.raw_json_token();
    od::object object;
    if (v.get_object().get(object) != simdjson::SUCCESS) {
      return Error(token.data(), path, absl::StrCat("expected an object, got ", Describe(token)));
    }
    std::vector<std::string> seen;
    for (auto result : object) {
      od::field field;
      if (auto e = std::move(result).get(field)) {
        return JsonError(e, nullptr);
      }
      const char* key_at = field.key().raw() - 1;  // the opening quote
      std::string_view key_view;
      if (auto e = field.unescaped_key().get(key_view)) {
        return JsonError(e, key_at);
      }
      std::string key(key_view);
      const auto spec = std::find_if(keys.begin(), keys.end(),
                                     [&key](const KeySpec& k) { return k.name == key; });
      if (spec == keys.end()) {
        return Error(key_at, Join(path, Sanitized(key)), UnknownKey(key, keys));
      }
      if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
        return Error(key_at, Join(path, key), "duplicate key");
      }
      seen.push_back(key);
      SIPFRONT_RETURN_IF_ERROR(on_field(std::string_view(key), Join(path, key), field.value()));
    }
    for (const KeySpec& spec : keys) {
      if (spec.required && std::find(seen.begin(), seen.end(), spec.name) == seen.end()) {
        return Error(token.data(), path,
                     absl::StrCat("missing required key \"", Piece(spec.name), "\""));
      }
    }
    return absl::OkStatus();
  }

  static std::string UnknownKey(std::string_view key, std::span<const KeySpec> keys) {
    const KeySpec* best = nullptr;
    std::size_t best_distance = 3;  // suggest only near misses
    for (const KeySpec& spec : keys) {
      const std::size_t d = EditDistance(key, spec.name);
      if (d < best_distance) {
        best = &spec;
        best_distance = d;
      }
    }
    if (best == nullptr) {
      return "unknown key";
    }
    return absl::StrCat("unknown key (did you mean \"", Piece(best->name), "\"?)");
  }

  // on_element(path, value) reads one element.
  template <typename OnElement>
  absl::Status Array(od::value& v, Path path, OnElement&& on_element) {
    const std::string_view token = v.raw_json_token();
    od::array array;
    if (v.get_array().get(array) != simdjson::SUCCESS) {
      return Error(token.data(), path, absl::StrCat("expected an array, got ", Describe(token)));
    }
    std::size_t index = 0;
    for (auto result : array) {
      if (auto e = result.error()) {
        return JsonError(e, nullptr);
      }
      od::value element = result.value_unsafe();
      SIPFRONT_RETURN_IF_ERROR(on_element(absl::StrCat(path, "[", index, "]"), element));
      ++index;
    }
    return absl::OkStatus();
  }

  absl::Status Uint(od::value& v, Path path, uint64_t lo, uint64_t hi, uint64_t& out) {
    const std::string_view token = v.raw_json_token();
    uint64_t n = 0;
    if (v.get_uint64().get(n) != simdjson::SUCCESS || n < lo || n > hi) {
      return Error(
          token.data(), path,
          absl::StrCat("expected an integer between ", lo, " and ", hi, ", got ", Describe(token)));
    }
    out = n;
    return absl::OkStatus();
  }

  template <typename T>
  absl::Status Uint(od::value& v, Path path, uint64_t lo, uint64_t hi, T& out) {
    uint64_t n = 0;
    SIPFRONT_RETURN_IF_ERROR(Uint(v, path, lo, hi, n));
    out = static_cast<T>(n);
    return absl::OkStatus();
  }

  // A secret is never echoed back, not even when it has the wrong type.
  absl::Status String(od::value& v, Path path, std::string& out, bool secret = false) {
    const std::string_view token = v.raw_json_token();
    std::string_view s;
    if (v.get_string().get(s) != simdjson::SUCCESS) {
      return Error(
          token.data(), path,
          secret ? "expected a string" : absl::StrCat("expected a string, got ", Describe(token)));
    }
    if (s.find('\0') != std::string_view::npos) {
      return Error(token.data(), path, "must not contain NUL characters");
    }
    out.assign(s);
    return absl::OkStatus();
  }

  absl::Status NonEmptyString(od::value& v, Path path, std::string& out, bool secret = false) {
    SIPFRONT_RETURN_IF_ERROR(String(v, path, out, secret));
    if (out.empty()) {
      return Error(At(v), path, "must not be empty");
    }
    return absl::OkStatus();
  }

  absl::Status Bool(od::value& v, Path path, bool& out) {
    const std::string_view token = v.raw_json_token();
    if (v.get_bool().get(out) != simdjson::SUCCESS) {
      return Error(token.data(), path,
                   absl::StrCat("expected true or false, got ", Describe(token)));
    }
    return absl::OkStatus();
  }

  // Reads one of `choices` (as JSON strings) and returns its index in `out`.
  absl::Status Choice(od::value& v, Path path, std::span<const std::string_view> choices,
                      std::size_t& out) {
    const std::string_view token = v.raw_json_token();
    std::string_view s;
    if (v.get_string().get(s) == simdjson::SUCCESS) {
      const auto it = std::find(choices.begin(), choices.end(), s);
      if (it != choices.end()) {
        out = static_cast<std::size_t>(it - choices.begin());
        return absl::OkStatus();
      }
    }
    std::string expected;
    for (std::size_t i = 0; i < choices.size(); ++i) {
      absl::StrAppend(&expected, i == 0 ? "" : (i + 1 == choices.size() ? " or " : ", "), "\"",
                      Piece(choices[i]), "\"");
    }
    return Error(token.data(), path,
                 absl::StrCat("expected ", expected, ", got ", Describe(token)));
  }

  // "AC"/"CL"/"SD" followed by 32 hex digits, unique across the file (compared ignoring case).
  absl::Status Sid(od::value& v, Path path, std::string_view prefix, std::string& out) {
    const char* at = At(v);
    SIPFRONT_RETURN_IF_ERROR(String(v, path, out));
    if (out.size() != prefix.size() + 32 || !out.starts_with(prefix) ||
        !IsHex(std::string_view(out).substr(prefix.size()))) {
      return Error(at, path,
                   absl::StrCat("expected \"", Piece(prefix), "\" followed by 32 hex digits, got ",
                                Quoted(out)));
    }
    const auto [it, inserted] = sids_.try_emplace(absl::AsciiStrToLower(out), Seen{path, at});
    if (!inserted) {
      return Error(at, path, DuplicateOf(it->second));
    }
    return absl::OkStatus();
  }

  absl::Status ReadTop(od::value& root) {
    const char* cpus_at = nullptr;
    SIPFRONT_RETURN_IF_ERROR(
        Object(root, "", kTopKeys, [&](std::string_view key, Path path, od::value& v) {
          if (key == "listen") {
            return ReadListen(v, path);
          }
          if (key == "workers") {
            return Uint(v, path, 1, 256, config_.workers);
          }
          if (key == "io") {
            constexpr std::string_view kIo[] = {"uring", "mmsg"};
            std::size_t i = 0;
            SIPFRONT_RETURN_IF_ERROR(Choice(v, path, kIo, i));
            config_.io = i == 0 ? IoKind::kUring : IoKind::kMmsg;
            return absl::OkStatus();
          }
          if (key == "cpus") {
            cpus_at = At(v);
            return Array(v, path, [&](Path element_path, od::value& e) {
              int cpu = 0;
              SIPFRONT_RETURN_IF_ERROR(Uint(e, element_path, 0, kMaxCpu, cpu));
              config_.cpus.push_back(cpu);
              return absl::OkStatus();
            });
          }
          if (key == "max_bindings") {
            return Uint(v, path, 1, UINT32_MAX, config_.max_bindings);
          }
          if (key == "prefault") {
            return Bool(v, path, config_.prefault);
          }
          if (key == "data_dir") {
            return NonEmptyString(v, path, config_.data_dir);
          }
          if (key == "registrar") {
            return ReadRegistrar(v, path);
          }
          if (key == "journal") {
            return ReadJournal(v, path);
          }
          if (key == "storm") {
            return ReadStorm(v, path);
          }
          if (key == "tls") {
            return ReadTls(v, path);
          }
          if (key == "connections") {
            return ReadConnections(v, path);
          }
          if (key == "nat") {
            return ReadNat(v, path);
          }
          if (key == "api") {
            return ReadApi(v, path);
          }
          return Object(
              v, path, kProvisioningKeys,
              [&](std::string_view pkey, Path key_path, od::value& e) -> absl::Status {
                if (pkey == "store") {
                  // May hold a PostgreSQL password: never quoted in messages.
                  SIPFRONT_RETURN_IF_ERROR(
                      NonEmptyString(e, key_path, config_.provisioning.store, /*secret=*/true));
                  const std::string_view s = config_.provisioning.store;
                  if (!s.starts_with("sqlite:") && !s.starts_with("postgresql://") &&
                      !s.starts_with("postgres://") && !s.starts_with("host=") &&
                      !s.starts_with("dbname=")) {
                    return Error(At(e), key_path,
                                 "expected \"sqlite:PATH\", \"postgresql://...\" or a libpq "
                                 "\"host=... dbname=...\" string");
                  }
                  return absl::OkStatus();
                }
                if (pkey == "poll_interval_ms") {
                  return Uint(e, key_path, 50, 60000, config_.provisioning.poll_interval_ms);
                }
                return Array(e, key_path, [&](Path account_path, od::value& a) {
                  return ReadAccount(a, account_path);
                });
              });
        }));
    if (cpus_at != nullptr && config_.cpus.size() != config_.workers) {
      return Error(cpus_at, "cpus",
                   absl::StrCat("expected one entry per worker (workers is ", config_.workers,
                                "), got ", config_.cpus.size()));
    }
    return absl::OkStatus();
  }

  absl::Status ReadListen(od::value& v, Path path) {
    const char* at = At(v);
    std::vector<std::pair<std::string, Seen>> endpoints;  // (transport, address, port) -> first
    SIPFRONT_RETURN_IF_ERROR(Array(v, path, [&](Path element_path, od::value& e) {
      const char* element_at = At(e);
      ListenSpec spec;
      SIPFRONT_RETURN_IF_ERROR(String(e, element_path, spec.text));
      std::string address;
      SIPFRONT_RETURN_IF_ERROR(ParseListen(spec, element_at, element_path, address));
      if (spec.port != 0) {  // port 0 binds a fresh ephemeral port each time
        std::string id =
            absl::StrCat(static_cast<int>(spec.transport), "|", address, "|", spec.port);
        for (const auto& [other, first] : endpoints) {
          if (other == id) {
            return Error(element_at, element_path, DuplicateOf(first));
          }
        }
        endpoints.emplace_back(std::move(id), Seen{element_path, element_at});
      }
      config_.listen.push_back(std::move(spec));
      return absl::OkStatus();
    }));
    if (config_.listen.empty()) {
      return Error(at, path, "expected at least one entry");
    }
    // The workers' loop is the UDP backend's; stream listeners ride on it.
    const auto udp =
        std::count_if(config_.listen.begin(), config_.listen.end(),
                      [](const ListenSpec& l) { return l.transport == Transport::kUdp; });
    if (udp != 1) {
      return Error(at, path,
                   absl::StrCat("expected exactly one \"udp:\" entry (tcp: and tls: listeners "
                                "are served by the same workers), got ",
                                udp));
    }
    return absl::OkStatus();
  }

  // "udp:HOST:PORT", HOST an IPv4 literal or a bracketed IPv6 literal. `address` receives the
  // binary address, to find duplicates whatever the spelling.
  absl::Status ParseListen(ListenSpec& spec, const char* at, Path path, std::string& address) {
    const std::string_view text = spec.text;
    const auto malformed = [&] {
      return Error(
          at, path,
          absl::StrCat("expected \"udp:HOST:PORT\", \"tcp:HOST:PORT\" or \"tls:HOST:PORT\", got ",
                       Quoted(text)));
    };
    const std::size_t colon = text.find(':');
    if (colon == std::string_view::npos) {
      return malformed();
    }
    const std::string_view transport = text.substr(0, colon);
    if (transport == "udp") {
      spec.transport = Transport::kUdp;
    } else if (transport == "tcp") {
      spec.transport = Transport::kTcp;
    } else if (transport == "tls") {
      spec.transport = Transport::kTls;
    } else {
      return malformed();
    }
    std::string_view rest = text.substr(colon + 1);
    std::string_view host;
    std::string_view port;
    bool ipv6 = false;
    if (rest.starts_with('[')) {
      const std::size_t close = rest.find(']');
      if (close == std::string_view::npos || rest.substr(close + 1, 1) != ":") {
        return malformed();
      }
      host = rest.substr(1, close - 1);
      port = rest.substr(close + 2);
      ipv6 = true;
    } else {
      const std::size_t last = rest.rfind(':');
      if (last == std::string_view::npos) {
        return malformed();
      }
      host = rest.substr(0, last);
      port = rest.substr(last + 1);
      if (host.find(':') != std::string_view::npos) {
        return Error(at, path,
                     absl::StrCat("IPv6 address ", Quoted(host),
                                  " must be in brackets, as in \"udp:[::1]:5060\""));
      }
    }
    unsigned char binary[sizeof(in6_addr)] = {};
    const std::string host_z(host);
    if (inet_pton(ipv6 ? AF_INET6 : AF_INET, host_z.c_str(), binary) != 1) {
      return Error(at, path,
                   absl::StrCat("host ", Quoted(host),
                                ipv6 ? " is not an IPv6 address"
                                     : " is not an IPv4 address (or a bracketed IPv6 address)"));
    }
    uint32_t port_number = 0;
    const bool port_ok = !port.empty() && port.size() <= 5 &&
                         std::all_of(port.begin(), port.end(), absl::ascii_isdigit);
    if (port_ok) {
      for (char c : port) {
        port_number = port_number * 10 + static_cast<uint32_t>(c - '0');
      }
    }
    if (!port_ok || port_number > 65535) {
      return Error(at, path,
                   absl::StrCat("port ", Quoted(port), " is not a number between 0 and 65535"));
    }
    spec.host = host_z;
    spec.port = static_cast<uint16_t>(port_number);
    address.assign(reinterpret_cast<const char*>(binary), ipv6 ? sizeof(in6_addr) : 4);
    return absl::OkStatus();
  }

  absl::Status ReadTls(od::value& v, Path path) {
    TlsConfig& t = config_.tls;
    return Object(v, path, kTlsKeys, [&](std::string_view key, Path key_path, od::value& e) {
      if (key == "certificate") {
        return NonEmptyString(e, key_path, t.certificate);
      }
      if (key == "private_key") {
        return NonEmptyString(e, key_path, t.private_key);
      }
      if (key == "allow_deprecated") {
        return Bool(e, key_path, t.allow_deprecated);
      }
      return NonEmptyString(e, key_path, t.ciphers);
    });
  }

  absl::Status ReadApi(od::value& v, Path path) {
    return Object(v, path, kApiKeys, [&](std::string_view, Path key_path, od::value& e) {
      const char* at = At(e);
      SIPFRONT_RETURN_IF_ERROR(String(e, key_path, config_.api.listen));
      config_.api.listen_given = true;
      if (config_.api.listen == "off") {
        return absl::OkStatus();
      }
      ListenSpec spec;
      spec.text = "tcp:" + config_.api.listen;
      std::string address;
      if (!ParseListen(spec, at, key_path, address).ok()) {
        return Error(at, key_path,
                     absl::StrCat("expected \"HOST:PORT\" (HOST an IP literal, IPv6 in "
                                  "brackets) or \"off\", got ",
                                  Quoted(config_.api.listen)));
      }
      return absl::OkStatus();
    });
  }

  absl::Status ReadNat(od::value& v, Path path) {
    NatConfig& n = config_.nat;
    return Object(v, path, kNatKeys, [&](std::string_view key, Path key_path, od::value& e) {
      if (key == "keepalive") {
        constexpr std::string_view kModes[] = {"options", "crlf", "off"};
        std::size_t i = 0;
        SIPFRONT_RETURN_IF_ERROR(Choice(e, key_path, kModes, i));
        n.keepalive = static_cast<KeepaliveMode>(i);
        return absl::OkStatus();
      }
      if (key == "keepalive_interval_s") {
        return Uint(e, key_path, 5, 3600, n.keepalive_interval_s);
      }
      return Uint(e, key_path, 0, 255, n.max_missed);
    });
  }

  absl::Status ReadConnections(od::value& v, Path path) {
    ConnectionsConfig& c = config_.connections;
    return Object(v, path, kConnectionsKeys,
                  [&](std::string_view key, Path key_path, od::value& e) {
                    if (key == "max") {
                      return Uint(e, key_path, 1, 10000000, c.max);
                    }
                    if (key == "max_per_ip") {
                      return Uint(e, key_path, 1, 10000000, c.max_per_ip);
                    }
                    if (key == "idle_timeout_s") {
                      return Uint(e, key_path, 1, 86400, c.idle_timeout_s);
                    }
                    if (key == "max_message_bytes") {
                      return Uint(e, key_path, 1024, 65535, c.max_message_bytes);
                    }
                    if (key == "message_timeout_ms") {
                      return Uint(e, key_path, 100, 600000, c.message_timeout_ms);
                    }
                    if (key == "keepalive_interval_s") {
                      return Uint(e, key_path, 0, 86400, c.keepalive_interval_s);
                    }
                    return Uint(e, key_path, 100, 600000, c.handshake_timeout_ms);
                  });
  }

  absl::Status ReadStorm(od::value& v, Path path) {
    StormConfig& st = config_.storm;
    const char* max_at = nullptr;
    SIPFRONT_RETURN_IF_ERROR(
        Object(v, path, kStormKeys, [&](std::string_view key, Path key_path, od::value& e) {
          if (key == "max_delay_ms") {
            return Uint(e, key_path, 0, 60000, st.max_delay_ms);
          }
          if (key == "retry_after_min") {
            return Uint(e, key_path, 1, 86400, st.retry_after_min);
          }
          max_at = At(e);
          return Uint(e, key_path, 1, 86400, st.retry_after_max);
        }));
    if (st.retry_after_max < st.retry_after_min) {
      return Error(max_at != nullptr ? max_at : At(v), Join(path, "retry_after_max"),
                   absl::StrCat("must be at least retry_after_min (", st.retry_after_min, "), got ",
                                st.retry_after_max));
    }
    return absl::OkStatus();
  }

  absl::Status ReadJournal(od::value& v, Path path) {
    JournalConfig& j = config_.journal;
    return Object(v, path, kJournalKeys, [&](std::string_view key, Path key_path, od::value& e) {
      if (key == "enabled") {
        return Bool(e, key_path, j.enabled);
      }
      if (key == "flush_interval_ms") {
        return Uint(e, key_path, 1, 10000, j.flush_interval_ms);
      }
      if (key == "snapshot_interval_s") {
        return Uint(e, key_path, 0, 86400, j.snapshot_interval_s);
      }
      constexpr std::string_view kPolicies[] = {"interval", "always", "never"};
      std::size_t i = 0;
      SIPFRONT_RETURN_IF_ERROR(Choice(e, key_path, kPolicies, i));
      j.fsync = i == 0 ? FsyncMode::kInterval : i == 1 ? FsyncMode::kAlways : FsyncMode::kNever;
      return absl::OkStatus();
    });
  }

  absl::Status ReadRegistrar(od::value& v, Path path) {
    RegistrarConfig& r = config_.registrar;
    const char* min_at = nullptr;
    const char* max_at = nullptr;
    const char* default_at = nullptr;
    const char* registrar_at = At(v);
    SIPFRONT_RETURN_IF_ERROR(
        Object(v, path, kRegistrarKeys, [&](std::string_view key, Path key_path, od::value& e) {
          if (key == "min_expires") {
            min_at = At(e);
            return Uint(e, key_path, 1, kMaxExpiresLimit, r.min_expires);
          }
          if (key == "max_expires") {
            max_at = At(e);
            return Uint(e, key_path, 1, kMaxExpiresLimit, r.max_expires);
          }
          if (key == "default_expires") {
            default_at = At(e);
            return Uint(e, key_path, 1, kMaxExpiresLimit, r.default_expires);
          }
          if (key == "max_contacts_per_aor") {
            return Uint(e, key_path, 1, 1000, r.max_contacts_per_aor);
          }
          if (key == "nonce_lifetime") {
            return Uint(e, key_path, 10, 3600, r.nonce_lifetime);
          }
          if (key == "bind_to_connection") {
            return Bool(e, key_path, r.bind_to_connection);
          }
          if (key == "flow_timer") {
            return Uint(e, key_path, 10, 3600, r.flow_timer);
          }
          if (key == "digest_algorithms") {
            const char* list_at = At(e);
            r.digest_algorithms.clear();
            SIPFRONT_RETURN_IF_ERROR(Array(e, key_path, [&](Path element_path, od::value& a) {
              constexpr std::string_view kAlgorithms[] = {"MD5", "SHA-256"};
              std::size_t i = 0;
              SIPFRONT_RETURN_IF_ERROR(Choice(a, element_path, kAlgorithms, i));
              const auto alg = static_cast<DigestAlgorithm>(i);
              if (std::find(r.digest_algorithms.begin(), r.digest_algorithms.end(), alg) !=
                  r.digest_algorithms.end()) {
                return Error(At(a), element_path,
                             absl::StrCat("\"", Piece(kAlgorithms[i]), "\" listed twice"));
              }
              r.digest_algorithms.push_back(alg);
              return absl::OkStatus();
            }));
            if (r.digest_algorithms.empty()) {
              return Error(list_at, key_path, "expected at least one of \"MD5\", \"SHA-256\"");
            }
            return absl::OkStatus();
          }
          constexpr std::string_view kPolicies[] = {"reject", "replace_oldest"};
          std::size_t i = 0;
          SIPFRONT_RETURN_IF_ERROR(Choice(e, key_path, kPolicies, i));
          r.max_contacts_policy =
              i == 0 ? MaxContactsPolicy::kReject : MaxContactsPolicy::kReplaceOldest;
          return absl::OkStatus();
        }));
    // min_expires <= default_expires <= max_expires. A violated pair is blamed on the key the
    // operator wrote (default_expires first, being the one in the middle).
    struct Bound {
      std::string_view name;
      uint32_t value;
      const char* at;
    };
    const Bound lo_min{"min_expires", r.min_expires, min_at};
    const Bound hi_max{"max_expires", r.max_expires, max_at};
    const Bound mid{"default_expires", r.default_expires, default_at};
    const auto check = [&](const Bound& lo, const Bound& hi, bool blame_hi) -> absl::Status {
      if (lo.value <= hi.value) {
        return absl::OkStatus();
      }
      const bool hi_is_culprit = hi.at != nullptr && (blame_hi || lo.at == nullptr);
      const Bound& culprit = hi_is_culprit ? hi : lo;
      const Bound& other = hi_is_culprit ? lo : hi;
      return Error(
          culprit.at != nullptr ? culprit.at : registrar_at, Join(path, culprit.name),
          absl::StrCat("must be ", hi_is_culprit ? "at least " : "at most ", Piece(other.name),
                       " (", other.value, other.at != nullptr ? "" : ", the default", "), got ",
                       culprit.value));
    };
    SIPFRONT_RETURN_IF_ERROR(check(lo_min, hi_max, /*blame_hi=*/true));
    SIPFRONT_RETURN_IF_ERROR(check(lo_min, mid, /*blame_hi=*/true));
    return check(mid, hi_max, /*blame_hi=*/false);
  }

  absl::Status ReadAccount(od::value& v, Path path) {
    Account account;
    std::vector<PendingListRef> refs;  // resolved once the whole account is read
    SIPFRONT_RETURN_IF_ERROR(
        Object(v, path, kAccountKeys, [&](std::string_view key, Path key_path, od::value& e) {
          if (key == "sid") {
            return Sid(e, key_path, "AC", account.sid);
          }
          if (key == "auth_token") {
            return NonEmptyString(e, key_path, account.auth_token, /*secret=*/true);
          }
          if (key == "credential_lists") {
            return Array(e, key_path, [&](Path list_path, od::value& l) {
              account.credential_lists.emplace_back();
              return ReadCredentialList(l, list_path, account.credential_lists.back());
            });
          }
          return Array(e, key_path, [&](Path domain_path, od::value& d) {
            account.domains.emplace_back();
            return ReadDomain(d, domain_path, account.domains.back(), refs);
          });
        }));
    std::set<std::string_view> list_sids;
    for (const CredentialList& list : account.credential_lists) {
      list_sids.insert(list.sid);
    }
    for (const PendingListRef& ref : refs) {
      if (!list_sids.contains(ref.sid)) {
        return Error(ref.at, ref.path,
                     absl::StrCat("no credential list ", Quoted(ref.sid), " in this account"));
      }
    }
    config_.accounts.push_back(std::move(account));
    return absl::OkStatus();
  }

  absl::Status ReadCredentialList(od::value& v, Path path, CredentialList& list) {
    std::map<std::string, Seen> usernames;
    return Object(
        v, path, kCredentialListKeys, [&](std::string_view key, Path key_path, od::value& e) {
          if (key == "sid") {
            return Sid(e, key_path, "CL", list.sid);
          }
          if (key == "friendly_name") {
            return String(e, key_path, list.friendly_name);
          }
          return Array(e, key_path, [&](Path credential_path, od::value& c) {
            Credential credential;
            const char* username_at = nullptr;
            SIPFRONT_RETURN_IF_ERROR(ReadCredential(c, credential_path, credential, username_at));
            const std::string username_path = Join(credential_path, "username");
            const auto [it, inserted] =
                usernames.try_emplace(credential.username, Seen{username_path, username_at});
            if (!inserted) {
              return Error(username_at, username_path, DuplicateOf(it->second));
            }
            list.credentials.push_back(std::move(credential));
            return absl::OkStatus();
          });
        });
  }

  absl::Status ReadCredential(od::value& v, Path path, Credential& credential,
                              const char*& username_at) {
    return Object(v, path, kCredentialKeys, [&](std::string_view key, Path key_path, od::value& e) {
      if (key == "username") {
        username_at = At(e);
        SIPFRONT_RETURN_IF_ERROR(String(e, key_path, credential.username));
        if (!IsValidUsername(credential.username)) {
          return Error(username_at, key_path,
                       absl::StrCat("expected 1 to ", kMaxUsername,
                                    " letters, digits or -_.!~*'()&=+$,;?/, got ",
                                    Quoted(credential.username)));
        }
        return absl::OkStatus();
      }
      return NonEmptyString(e, key_path, credential.password, /*secret=*/true);
    });
  }

  absl::Status ReadDomain(od::value& v, Path path, Domain& domain,
                          std::vector<PendingListRef>& refs) {
    return Object(v, path, kDomainKeys, [&](std::string_view key, Path key_path, od::value& e) {
      if (key == "sid") {
        return Sid(e, key_path, "SD", domain.sid);
      }
      if (key == "domain_name") {
        const char* at = At(e);
        SIPFRONT_RETURN_IF_ERROR(String(e, key_path, domain.domain_name));
        if (!IsValidDnsName(domain.domain_name)) {
          return Error(at, key_path,
                       absl::StrCat("expected a DNS name (dot-separated labels of letters, "
                                    "digits and '-', at most 63 characters each and 253 in "
                                    "all), got ",
                                    Quoted(domain.domain_name)));
        }
        const auto [it, inserted] = domain_names_.try_emplace(
            absl::AsciiStrToLower(domain.domain_name), Seen{key_path, at});
        if (!inserted) {
          return Error(at, key_path, DuplicateOf(it->second));
        }
        return absl::OkStatus();
      }
      if (key == "sip_registration") {
        return Bool(e, key_path, domain.sip_registration);
      }
      std::vector<Seen> entries;
      return Array(e, key_path, [&](Path ref_path, od::value& r) {
        const char* at = At(r);
        std::string sid;
        SIPFRONT_RETURN_IF_ERROR(String(r, ref_path, sid));
        for (std::size_t i = 0; i < domain.registration_credential_lists.size(); ++i) {
          if (domain.registration_credential_lists[i] == sid) {
            return Error(at, ref_path, DuplicateOf(entries[i]));
          }
        }
        entries.push_back(Seen{ref_path, at});
        refs.push_back(PendingListRef{sid, ref_path, at});
        domain.registration_credential_lists.push_back(std::move(sid));
        return absl::OkStatus();
      });
    });
  }

  std::string_view source_;
  std::string_view text_;
  od::document& doc_;
  Config config_;
  std::map<std::string, Seen> sids_;          // lower-cased sid -> first use
  std::map<std::string, Seen> domain_names_;  // lower-cased name -> first use
};

// Line of a syntax error simdjson reports without a position (stage 1 errors).
const char* FallbackFaultPosition(simdjson::error_code code, const BlankedJson& blanked,
                                  const char* base) {
  if ((code == simdjson::UNCLOSED_STRING || code == simdjson::UNESCAPED_CHARS) &&
      blanked.bad_string_at != std::string::npos) {
    return base + blanked.bad_string_at;
  }
  if (code == simdjson::UTF8_ERROR) {
    // '\n' never occurs inside a UTF-8 sequence, so lines can be checked one by one.
    const std::string_view text = blanked.text;
    std::size_t start = 0;
    while (start < text.size()) {
      std::size_t end = text.find('\n', start);
      if (end == std::string_view::npos) {
        end = text.size();
      }
      if (!simdjson::validate_utf8(text.data() + start, end - start)) {
        return base + start;
      }
      start = end + 1;
    }
  }
  return nullptr;
}

}  // namespace

absl::StatusOr<Config> ParseConfig(std::string_view json, std::string_view source) {
  const BlankedJson blanked = BlankComments(json);
  const simdjson::padded_string padded(blanked.text);
  const std::string_view text(padded.data(), padded.size());
  const auto at_line = [&](const char* at) {
    return at == nullptr ? std::string() : absl::StrCat(":", 1 + std::count(text.data(), at, '\n'));
  };

  // Syntax first, with the strict DOM parser, so that a later semantic error never hides it.
  simdjson::dom::parser dom_parser;
  simdjson::dom::element dom_root;
  if (const simdjson::error_code error = dom_parser.parse(padded).get(dom_root)) {
    const char* at = nullptr;
    od::parser locator;
    od::document doc;
    od::value root;
    if (locator.iterate(padded).get(doc) == simdjson::SUCCESS &&
        doc.get_value().get(root) == simdjson::SUCCESS) {
      const JsonFault fault = Walk(root, doc);
      if (fault.code != simdjson::SUCCESS) {
        at = fault.at;
      } else if (doc.current_location().get(at) != simdjson::SUCCESS) {
        at = nullptr;  // otherwise `at` is the first token after the root: trailing content
      }
    }
    if (at == nullptr) {
      at = FallbackFaultPosition(error, blanked, text.data());
    }
    if (at != nullptr) {
      at = std::clamp(at, text.data(), text.data() + text.size());
    }
    return absl::InvalidArgumentError(absl::StrCat(
        Piece(source), at_line(at), ": invalid JSON: ", simdjson::error_message(error)));
  }

  od::parser parser;
  od::document doc;
  if (const simdjson::error_code error = parser.iterate(padded).get(doc)) {
    return absl::InvalidArgumentError(
        absl::StrCat(Piece(source), ": invalid JSON: ", simdjson::error_message(error)));
  }
  ConfigReader reader(source, text, doc);
  return reader.Read();
}

absl::StatusOr<Config> LoadConfig(const std::string& path) {
  const auto fail = [&path](int error) {
    return absl::ErrnoToStatus(error, absl::StrCat("cannot read config ", path));
  };
  int fd = -1;
  do {
    fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    return fail(errno);
  }
  std::string data;
  char chunk[1 << 16];
  int error = 0;
  for (;;) {
    const ssize_t n = read(fd, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      error = errno;
      break;
    }
    if (n == 0) {
      break;
    }
    data.append(chunk, static_cast<std::size_t>(n));
    if (data.size() > kMaxFileBytes) {
      error = EFBIG;
      break;
    }
  }
  close(fd);
  if (error != 0) {
    return fail(error);
  }
  return ParseConfig(data, path);
}

std::string DefaultConfigJson(std::string_view password, std::string_view auth_token) {
  // Fixed demo SIDs: any "AC"/"CL"/"SD" + 32 hex digits will do; these are easy to recognise.
  return absl::StrCat(R"json(// sipfront configuration: JSON, with // comments allowed.
// Unknown keys are errors. Keys marked "optional" may be left out; the value shown is the default.
{
  // Where to receive SIP: "udp:HOST:PORT" (exactly one), "tcp:HOST:PORT", "tls:HOST:PORT",
  // with an IPv4 address or a bracketed IPv6 address ("udp:[::1]:5060"); port 0 picks a
  // free port.
  "listen": ["udp:127.0.0.1:5060", "tcp:127.0.0.1:5060", "tls:127.0.0.1:5061"],

  // Optional. Worker threads (1..256); each owns its own slice of the registrations.
  "workers": 1,

  // Optional. Socket I/O: "uring" (io_uring) or "mmsg" (recvmmsg/sendmmsg).
  "io": "uring",

  // Optional. Pin worker i to CPU cpus[i] (0..1023), one entry per worker; absent: not pinned.
  // "cpus": [1],

  // Optional. Most registrations (contact bindings) held at once, 1..4294967295.
  "max_bindings": 1000000,

  // Optional. Make the binding tables resident at start (about 122 bytes per max_bindings,
  // with a progress line above 1 GiB) rather than as registrations arrive.
  "prefault": true,

  // Optional. Directory for state kept across restarts.
  "data_dir": "var",

  // Optional. REGISTER handling; times in seconds.
  "registrar": {
    // Shortest registration accepted (1..86400); shorter requests get 423 Interval Too Brief.
    "min_expires": 600,
    // Longest registration granted (1..86400); longer requests are shortened to it.
    "max_expires": 3600,
    // Used when a REGISTER asks for no expiry; min_expires <= default_expires <= max_expires.
    "default_expires": 3600,
    // Contacts one address-of-record may register (1..1000).
    "max_contacts_per_aor": 10,
    // When that limit is reached: "reject" the REGISTER, or "replace_oldest" contact.
    "max_contacts_policy": "reject",
    // How long a digest nonce stays fresh (10..3600).
    "nonce_lifetime": 300,
    // Remove bindings registered over a TCP/TLS connection when it closes (false: they stay
    // until they expire, and the device re-registers on a new connection).
    "bind_to_connection": false,
    // Flow-Timer (10..3600 s) told to RFC 5626 (outbound) clients over TCP/TLS: they send a
    // CRLF keepalive within it.
    "flow_timer": 120,
    // Digest challenges offered in a 401, in this order: "MD5" and/or "SHA-256" (RFC 8760).
    // Several clients give up when any offered challenge is not MD5; add "SHA-256" when your
    // devices support it.
    "digest_algorithms": ["MD5"]
  },

  // Optional. TLS listeners. Relative paths are under data_dir; when both files are missing,
  // a self-signed pair (CN localhost) is generated there at start.
  "tls": {
    "certificate": "tls/cert.pem",
    "private_key": "tls/key.pem",
    // Also accept TLS 1.0 and 1.1 (default: TLS 1.2 and 1.3 only).
    "allow_deprecated": false
    // "ciphers": the TLS 1.2 cipher list (OpenSSL syntax); default: ECDHE-ECDSA/RSA and RSA
    // key exchange with AES-GCM, AES-SHA256/384 and AES-SHA.
  },

  // Optional. TCP/TLS connections: at most `max` in all and `max_per_ip` from one address;
  // closed after idle_timeout_s without a byte, when a started message is not complete
  // within message_timeout_ms, or a TLS handshake within handshake_timeout_ms; a message
  // larger than max_message_bytes is answered 513 and its connection closed. A connection quiet
  // for keepalive_interval_s gets a CRLFCRLF ping (RFC 5626 clients answer with a CRLF, which
  // keeps the connection and its NAT mapping alive; others ignore it; 0: off).
  "connections": { "max": 10000, "max_per_ip": 1000, "idle_timeout_s": 300,
                   "max_message_bytes": 65535, "message_timeout_ms": 5000,
                   "handshake_timeout_ms": 5000, "keepalive_interval_s": 120 },

  // Optional. Keepalives to UDP devices behind NAT (their Contact is not the address the
  // REGISTER came from), so the NAT keeps the mapping open: "options" (an OPTIONS request;
  // answers are tracked), "crlf" (a 4-byte CRLFCRLF datagram) or "off". Every such binding is
  // pinged once per keepalive_interval_s (5..3600), spread evenly over it; with "options", a
  // binding that leaves max_missed (1..255) pings in a row unanswered is removed (0: never).
  "nat": { "keepalive": "options", "keepalive_interval_s": 30, "max_missed": 0 },

  // Optional. The REST provisioning API (docs/api.md): "HOST:PORT" or "off". Left out, it is
  // 127.0.0.1:8080 and a busy port only turns the API off (with a warning); set, a busy port
  // stops the start.
  // "api": { "listen": "127.0.0.1:8080" },

  // Optional. Bindings survive restarts: every change is journaled under data_dir before its
  // 200 OK goes out (a crash of the process loses nothing acknowledged; a power loss at most
  // flush_interval_ms of changes with "fsync": "interval").
  "journal": {
    "enabled": true,
    // How often the journal is fdatasync'ed (1..10000 ms) with "fsync": "interval".
    "flush_interval_ms": 100,
    // "interval", "always" (fdatasync before every acknowledgement) or "never" (the kernel's).
    "fsync": "interval",
    // Seconds between snapshots, after which older journal segments are deleted (0: only at
    // shutdown; 0..86400).
    "snapshot_interval_s": 300
  },

  // Optional. Registration storms (every phone re-registering after an outage): a REGISTER that
  // waited longer than max_delay_ms in the socket is answered 503 with a Retry-After drawn from
  // [retry_after_min, retry_after_max] seconds, so devices spread out instead of retransmitting
  // into a queue that only grows. 0 turns it off.
  "storm": { "max_delay_ms": 200, "retry_after_min": 30, "retry_after_max": 300 },

  // Optional. Provisioning: where it is stored, and what seeds an empty store. Accounts are
  // read from here at every start (their auth tokens too); domains, credential lists,
  // credentials and mappings only seed a store that was never written (the first start):
  // afterwards the REST API (or sipfront-ctl) changes them, live.
  "provisioning": {
    // Optional. "sqlite:PATH" (default: sqlite:<data_dir>/provisioning.db) or a PostgreSQL
    // URL ("postgresql://user:password@host:5432/db") for edges that share one store.
    // "store": "sqlite:var/provisioning.db",
    // Optional. How often the store is checked for changes made elsewhere (50..60000 ms).
    "poll_interval_ms": 1000,
    "accounts": [
      {
        // Account id: "AC" and 32 hex digits. SIDs are unique across the file.
        "sid": "AC0123456789abcdef0123456789abcdef",
        // Optional. The account's API secret (HTTP Basic AccountSid:AuthToken).
        "auth_token": )json",
                      JsonQuote(auth_token), R"json(,

        // Optional. Lists of users (digest credentials).
        "credential_lists": [
          {
            "sid": "CL0123456789abcdef0123456789abcdef",  // "CL" and 32 hex digits
            "friendly_name": "Demo users",                 // optional, free text
            "credentials": [
              // username: 1..32 letters, digits or -_.!~*'()&=+$,;?/, unique in the list;
              // password: not empty.
              { "username": "alice", "password": )json",
                      JsonQuote(password), R"json( }
            ]
          }
        ],

        // Optional. SIP domains served for this account; names are unique across the file.
        "domains": [
          {
            "sid": "SD0123456789abcdef0123456789abcdef",  // "SD" and 32 hex digits
            "domain_name": "demo.sip.localhost",
            // Optional. Accept REGISTER for this domain (default false).
            "sip_registration": true,
            // Optional. Credential lists (by sid, of this account) that may register.
            "registration_credential_lists": ["CL0123456789abcdef0123456789abcdef"]
          }
        ]
      }
    ]
  }
}
)json");
}

}  // namespace sipfront::core
