// sipfront-ctl's view of the API's JSON (ctl_json.h).
#include "ctl_json.h"

#include <cstdio>
#include <string>
#include <string_view>

#include "simdjson.h"

namespace sipfront::ctl {
namespace {

namespace dom = simdjson::dom;

std::string Text(dom::element v) {
  switch (v.type()) {
    case dom::element_type::STRING: {
      std::string_view s;
      if (v.get_string().get(s) != simdjson::SUCCESS) {
        return {};
      }
      return std::string(s);
    }
    case dom::element_type::NULL_VALUE:
      return {};
    default:
      return simdjson::minify(v);
  }
}

std::string ToRecord(dom::element e, Record& out) {
  dom::object object;
  if (e.get_object().get(object) != simdjson::SUCCESS) {
    return "not a JSON object";
  }
  out.fields.clear();
  for (dom::key_value_pair member : object) {
    out.fields.emplace_back(std::string(member.key), Text(member.value));
  }
  out.raw = simdjson::minify(e);
  return {};
}

std::string Parse(dom::parser& parser, std::string_view json, dom::element& root) {
  const simdjson::error_code code = parser.parse(json.data(), json.size()).get(root);
  if (code != simdjson::SUCCESS) {
    return std::string("invalid JSON: ") + simdjson::error_message(code);
  }
  return {};
}

}  // namespace

std::string_view Record::Get(std::string_view key) const {
  for (const auto& [name, value] : fields) {
    if (name == key) {
      return value;
    }
  }
  return {};
}

std::string ParseRecord(std::string_view json, Record& out) {
  dom::parser parser;
  dom::element root;
  std::string error = Parse(parser, json, root);
  if (!error.empty()) {
    return error;
  }
  return ToRecord(root, out);
}

std::string ParseListPage(std::string_view json, ListPage& out) {
  dom::parser parser;
  dom::element root;
  std::string error = Parse(parser, json, root);
  if (!error.empty()) {
    return error;
  }
  dom::object object;
  if (root.get_object().get(object) != simdjson::SUCCESS) {
    return "not a JSON object";
  }
  out = ListPage{};
  bool found = false;
  for (dom::key_value_pair member : object) {
    if (member.key == "next_page_uri") {
      out.next_page_uri = Text(member.value);
      continue;
    }
    dom::array array;
    if (found || member.value.get_array().get(array) != simdjson::SUCCESS) {
      continue;
    }
    found = true;
    out.key = std::string(member.key);
    for (dom::element item : array) {
      Record record;
      error = ToRecord(item, record);
      if (!error.empty()) {
        return "\"" + out.key + "\" holds something that is " + error;
      }
      out.items.push_back(std::move(record));
    }
  }
  if (!found) {
    return "no list in the response";
  }
  return {};
}

bool ParseApiError(std::string_view json, ApiError& out) {
  Record record;
  if (!ParseRecord(json, record).empty() || record.Get("message").empty()) {
    return false;
  }
  out.code = std::string(record.Get("code"));
  out.message = std::string(record.Get("message"));
  out.more_info = std::string(record.Get("more_info"));
  return true;
}

void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  out += '"';
}

}  // namespace sipfront::ctl
