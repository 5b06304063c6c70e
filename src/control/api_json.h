// api_json.h — internal to the REST API: a small JSON writer (RFC 8259 escaping), the
// hosted API's RFC 2822 dates, and the x-www-form-urlencoded body decoder.
#ifndef SIPFRONT_SRC_CONTROL_API_JSON_H_
#define SIPFRONT_SRC_CONTROL_API_JSON_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sipfront::control::api_internal {

// Appends JSON to a string. Commas are placed by the writer; keys and values alternate inside
// objects. Strings are escaped per RFC 8259 (", \, control characters as \uXXXX or the short
// forms); bytes that are not valid UTF-8 are written as U+FFFD so the output always parses.
class JsonWriter {
 public:
  void BeginObject();
  void EndObject();
  void BeginArray();
  void EndArray();
  void Key(std::string_view k);
  void String(std::string_view s);
  // Empty: null (the hosted API writes null for unset URLs).
  void StringOrNull(std::string_view s);
  void Null();
  void Bool(bool b);
  void Int(int64_t v);
  // A fixed-point number v / 1000 with at most 3 decimals ("1.0", "0.5", "0.725").
  void Milli(int64_t v);

  // Key + value shorthands.
  void Field(std::string_view k, std::string_view s) {
    Key(k);
    String(s);
  }
  void FieldOrNull(std::string_view k, std::string_view s) {
    Key(k);
    StringOrNull(s);
  }
  void Field(std::string_view k, bool b) {
    Key(k);
    Bool(b);
  }
  void FieldInt(std::string_view k, int64_t v) {
    Key(k);
    Int(v);
  }

  [[nodiscard]] const std::string& str() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void Separate();

  std::string out_;
  // One entry per open container: whether nothing was written in it yet.
  std::vector<bool> first_;
  bool after_key_ = false;
};

// Appends `s` as a JSON string literal (quotes included).
void AppendJsonString(std::string& out, std::string_view s);

// "Mon, 20 Jul 2015 17:27:10 +0000" (RFC 2822 §3.3, always GMT, English names regardless of
// the process locale).
[[nodiscard]] std::string FormatRfc2822(int64_t unix_seconds);

[[nodiscard]] bool IsValidUtf8(std::string_view s);

// application/x-www-form-urlencoded (WHATWG URL §5.1): '&'-separated name=value pairs, '+' is
// a space, %XX a byte. False (with `error` naming the problem) on a malformed escape or a
// name/value that is not UTF-8 after decoding. Empty pairs ("a=1&&b=2") are skipped.
using FormFields = std::vector<std::pair<std::string, std::string>>;
[[nodiscard]] bool ParseForm(std::string_view body, FormFields& out, std::string& error);

// The value of the last field named `name` (exact, case-sensitive as the hosted API), or
// nullptr.
[[nodiscard]] const std::string* FindField(const FormFields& fields, std::string_view name);

}  // namespace sipfront::control::api_internal

#endif  // SIPFRONT_SRC_CONTROL_API_JSON_H_
