// sipfront-ctl's HTTP side (ctl_http.h).
#include "ctl_http.h"

#include <cstddef>
#include <string>
#include <string_view>

#include <curl/curl.h>

namespace sipfront::ctl {
namespace {

constexpr std::size_t kMaxBody = 64u << 20;  // a runaway response ends the call

std::size_t AppendBody(char* data, std::size_t size, std::size_t n, void* user) {
  auto* body = static_cast<std::string*>(user);
  const std::size_t bytes = size * n;
  if (body->size() + bytes > kMaxBody) {
    return 0;  // CURLE_WRITE_ERROR
  }
  body->append(data, bytes);
  return bytes;
}

}  // namespace

Http::Http(std::string api, std::string user, std::string password, long timeout_s)
    : api_(std::move(api)),
      user_(std::move(user)),
      password_(std::move(password)),
      timeout_s_(timeout_s),
      curl_(curl_easy_init()) {}

Http::~Http() {
  if (curl_ != nullptr) {
    curl_easy_cleanup(static_cast<CURL*>(curl_));
  }
}

std::string Http::Escape(std::string_view s) {
  if (s.empty()) {
    return {};
  }
  char* escaped = curl_easy_escape(static_cast<CURL*>(curl_), s.data(), static_cast<int>(s.size()));
  if (escaped == nullptr) {
    return {};
  }
  std::string out(escaped);
  curl_free(escaped);
  return out;
}

HttpResult Http::Perform(Method method, std::string_view target, const Fields& fields) {
  HttpResult r;
  if (target.starts_with("http://") || target.starts_with("https://")) {
    r.url = std::string(target);
  } else {
    r.url = api_ + std::string(target);
  }
  auto* curl = static_cast<CURL*>(curl_);
  if (curl == nullptr) {
    r.error = "curl_easy_init failed";
    return r;
  }
  curl_easy_reset(curl);
  char error[CURL_ERROR_SIZE] = {};
  std::string form;
  for (const auto& [name, value] : fields) {
    if (!form.empty()) {
      form += '&';
    }
    form += Escape(name);
    form += '=';
    form += Escape(value);
  }
  curl_slist* headers = curl_slist_append(nullptr, "Accept: application/json");
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_URL, r.url.c_str());
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
  curl_easy_setopt(curl, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
  curl_easy_setopt(curl, CURLOPT_USERNAME, user_.c_str());
  curl_easy_setopt(curl, CURLOPT_PASSWORD, password_.c_str());
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "sipfront-ctl");
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, timeout_s_ < 10 ? timeout_s_ : 10L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, timeout_s_);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &AppendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r.body);
  switch (method) {
    case Method::kGet:
      curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
      break;
    case Method::kPost:
      curl_easy_setopt(curl, CURLOPT_POST, 1L);
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, form.c_str());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(form.size()));
      break;
    case Method::kDelete:
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "DELETE");
      break;
  }
  const CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) {
    r.error = error[0] != '\0' ? std::string(error) : std::string(curl_easy_strerror(rc));
    return r;
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r.status);
  r.reached = true;
  return r;
}

}  // namespace sipfront::ctl
