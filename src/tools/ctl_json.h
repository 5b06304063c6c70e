// sipfront-ctl's view of the API's JSON (simdjson DOM, error codes only): a resource as its
// top-level members rendered as text, a page of a list with its next_page_uri, the error body.
// Threading: plain functions and values.
#ifndef SIPFRONT_SRC_TOOLS_CTL_JSON_H_
#define SIPFRONT_SRC_TOOLS_CTL_JSON_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sipfront::ctl {

// One JSON object: each member's value as text (strings unquoted, null as "", numbers and
// booleans as written, nested values minified), and the object itself, minified.
struct Record {
  std::vector<std::pair<std::string, std::string>> fields;
  std::string raw;

  // "" when absent or null.
  [[nodiscard]] std::string_view Get(std::string_view key) const;
};

// One page of a list resource. The list is the envelope's array member (the hosted API names
// it after the resource: "domains", "credentials", "contents" ...).
struct ListPage {
  std::string key;
  std::vector<Record> items;
  std::string next_page_uri;  // "" on the last page
};

// The API's error body {"code", "message", "more_info", "status"}.
struct ApiError {
  std::string code;
  std::string message;
  std::string more_info;
};

// Each returns "" or why `json` is not of the expected shape.
[[nodiscard]] std::string ParseRecord(std::string_view json, Record& out);
[[nodiscard]] std::string ParseListPage(std::string_view json, ListPage& out);
// False when `json` is not an object with a "message".
[[nodiscard]] bool ParseApiError(std::string_view json, ApiError& out);

// Appends `s` as a JSON string literal (for the few outputs sipfront-ctl composes itself).
void AppendJsonString(std::string& out, std::string_view s);

}  // namespace sipfront::ctl

#endif  // SIPFRONT_SRC_TOOLS_CTL_JSON_H_
