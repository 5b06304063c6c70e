#include "sipfront/sip/parse_error.h"

#include <array>

namespace sipfront::sip {
namespace {

struct Entry {
  uint16_t status;
  std::string_view phrase;
  std::string_view name;
};

// Indexed by ParseError; the static_assert below keeps it in step with the enum.
constexpr std::array<Entry, kParseErrorCount> kEntries = {{
    {0, "", "ok"},
    {0, "", "incomplete"},
    {0, "", "keepalive"},
    {513, "Message Too Large", "message_too_large"},
    {400, "Missing Empty Line After Headers", "missing_header_end"},
    {400, "Bad Line Ending", "bad_line_ending"},
    {400, "Too Many Headers", "too_many_headers"},
    {400, "Bad Content-Length", "bad_content_length"},
    {400, "Conflicting Content-Length", "conflicting_content_length"},
    {400, "Missing Content-Length", "missing_content_length"},
    {400, "Content-Length Exceeds Body", "body_truncated"},
    {400, "Bad Request Line", "bad_request_line"},
    {400, "Bad Method", "bad_method"},
    {400, "Bad Request-URI", "bad_request_uri"},
    {400, "Bad SIP Version", "bad_version"},
    {505, "Version Not Supported", "unsupported_version"},
    {400, "Bad Status Line", "bad_status_line"},
    {400, "Bad Status Code", "bad_status_code"},
    {400, "Bad Reason Phrase", "bad_reason_phrase"},
    {400, "Bad Header Name", "bad_header_name"},
    {400, "Missing Colon In Header", "missing_colon"},
    {400, "Bad URI", "bad_uri"},
    {400, "Bad Via", "bad_via"},
    {400, "Bad From", "bad_from"},
    {400, "Bad To", "bad_to"},
    {400, "Bad Call-ID", "bad_call_id"},
    {400, "Bad CSeq", "bad_cseq"},
    {400, "CSeq Method Mismatch", "cseq_method_mismatch"},
    {400, "Bad Max-Forwards", "bad_max_forwards"},
    {400, "Bad Expires", "bad_expires"},
    {400, "Bad Contact", "bad_contact"},
    {400, "Bad Route", "bad_route"},
    {400, "Bad Record-Route", "bad_record_route"},
    {400, "Bad Path", "bad_path"},
    {400, "Bad Date", "bad_date"},
    {400, "Bad Authorization", "bad_authorization"},
    {400, "Bad Proxy-Authorization", "bad_proxy_authorization"},
    {400, "Too Many Contacts", "too_many_contacts"},
    {400, "Missing Via", "missing_via"},
    {400, "Missing From", "missing_from"},
    {400, "Missing To", "missing_to"},
    {400, "Missing Call-ID", "missing_call_id"},
    {400, "Missing CSeq", "missing_cseq"},
    {400, "Multiple From Headers", "multiple_from"},
    {400, "Multiple To Headers", "multiple_to"},
    {400, "Multiple Call-ID Headers", "multiple_call_id"},
    {400, "Multiple CSeq Headers", "multiple_cseq"},
    {400, "Multiple Max-Forwards Headers", "multiple_max_forwards"},
    {400, "Multiple Expires Headers", "multiple_expires"},
}};

static_assert(kEntries[static_cast<std::size_t>(ParseError::kMultipleExpires)].name ==
              "multiple_expires");
static_assert(kEntries[static_cast<std::size_t>(ParseError::kBadCSeq)].name == "bad_cseq");
static_assert(kEntries[static_cast<std::size_t>(ParseError::kTooManyContacts)].name ==
              "too_many_contacts");

const Entry& Lookup(ParseError e) {
  const auto i = static_cast<std::size_t>(e);
  return kEntries[i < kEntries.size() ? i : 0];
}

}  // namespace

ErrorResponse ErrorResponseFor(ParseError e) {
  const Entry& entry = Lookup(e);
  return {entry.status, entry.phrase};
}

std::string_view ErrorName(ParseError e) { return Lookup(e).name; }

}  // namespace sipfront::sip
