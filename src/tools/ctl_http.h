// sipfront-ctl's HTTP side: one libcurl easy handle (connections are kept alive between the
// calls of one command), HTTP Basic auth with AccountSid:AuthToken, form-encoded POST bodies.
// Threading: one Http per thread.
#ifndef SIPFRONT_SRC_TOOLS_CTL_HTTP_H_
#define SIPFRONT_SRC_TOOLS_CTL_HTTP_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sipfront::ctl {

// Form fields in the order they are sent (PascalCase names, as the hosted API takes them).
using Fields = std::vector<std::pair<std::string, std::string>>;

enum class Method { kGet, kPost, kDelete };

struct HttpResult {
  bool reached = false;  // false: no HTTP response (connection refused, timeout, DNS ...)
  std::string error;     // curl's message when !reached
  std::string url;       // the URL asked
  long status = 0;       // HTTP status when reached
  std::string body;
};

class Http {
 public:
  // `api`: base URL without a trailing '/' ("http://127.0.0.1:8080").
  Http(std::string api, std::string user, std::string password, long timeout_s);
  ~Http();
  Http(const Http&) = delete;
  Http& operator=(const Http&) = delete;

  // `target`: a path starting with '/' (joined to the base URL, as next_page_uri is) or an
  // absolute http(s):// URL. POST sends `fields` form-encoded; GET and DELETE ignore them.
  HttpResult Perform(Method method, std::string_view target, const Fields& fields);

  // Percent-encodes `s` for a form value, a query value or a path segment (RFC 3986
  // unreserved characters stay as they are).
  [[nodiscard]] std::string Escape(std::string_view s);
  [[nodiscard]] const std::string& api() const { return api_; }

 private:
  std::string api_;
  std::string user_;
  std::string password_;
  long timeout_s_;
  void* curl_;  // CURL*
};

}  // namespace sipfront::ctl

#endif  // SIPFRONT_SRC_TOOLS_CTL_HTTP_H_
