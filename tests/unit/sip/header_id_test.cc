// Table-driven tests of ClassifyHeader() and CanonicalName() (sipfront/sip/header_id.h):
// every long name in several spellings, every compact form of RFC 3261 §7.3.3 and the IANA
// registry in both cases, names that must stay kOther, and the id -> name -> id round trip.
#include "sipfront/sip/header_id.h"

#include <cctype>
#include <cstddef>
#include <iterator>
#include <ostream>
#include <set>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace sipfront::sip {

void PrintTo(HeaderId id, std::ostream* os) {
  *os << (id == HeaderId::kOther ? "(other)" : CanonicalName(id));
}

namespace {

using namespace std::string_view_literals;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

// Alternates the case of letters: "Call-ID" -> "cAlL-iD".
std::string Alternate(std::string_view s) {
  std::string out(s);
  bool up = false;
  for (char& c : out) {
    if (std::isalpha(static_cast<unsigned char>(c)) != 0) {
      c = static_cast<char>(up ? std::toupper(static_cast<unsigned char>(c))
                               : std::tolower(static_cast<unsigned char>(c)));
      up = !up;
    }
  }
  return out;
}

struct LongNameRow {
  std::string_view name;  // canonical spelling, as CanonicalName() returns it
  HeaderId id;
  const char* comment;  // where the header is defined
};

const LongNameRow kLongNames[] = {
    {"Via", HeaderId::kVia, "RFC 3261 §20.42"},
    {"From", HeaderId::kFrom, "RFC 3261 §20.20"},
    {"To", HeaderId::kTo, "RFC 3261 §20.39"},
    {"Call-ID", HeaderId::kCallId, "RFC 3261 §20.8"},
    {"CSeq", HeaderId::kCSeq, "RFC 3261 §20.16"},
    {"Contact", HeaderId::kContact, "RFC 3261 §20.10"},
    {"Max-Forwards", HeaderId::kMaxForwards, "RFC 3261 §20.22"},
    {"Expires", HeaderId::kExpires, "RFC 3261 §20.19"},
    {"Content-Length", HeaderId::kContentLength, "RFC 3261 §20.14"},
    {"Content-Type", HeaderId::kContentType, "RFC 3261 §20.15"},
    {"Content-Encoding", HeaderId::kContentEncoding, "RFC 3261 §20.12"},
    {"Content-Disposition", HeaderId::kContentDisposition, "RFC 3261 §20.11"},
    {"Authorization", HeaderId::kAuthorization, "RFC 3261 §20.7"},
    {"Proxy-Authorization", HeaderId::kProxyAuthorization, "RFC 3261 §20.28"},
    {"WWW-Authenticate", HeaderId::kWwwAuthenticate, "RFC 3261 §20.44"},
    {"Proxy-Authenticate", HeaderId::kProxyAuthenticate, "RFC 3261 §20.27"},
    {"Authentication-Info", HeaderId::kAuthenticationInfo, "RFC 3261 §20.6"},
    {"Route", HeaderId::kRoute, "RFC 3261 §20.34"},
    {"Record-Route", HeaderId::kRecordRoute, "RFC 3261 §20.30"},
    {"Path", HeaderId::kPath, "RFC 3327"},
    {"Service-Route", HeaderId::kServiceRoute, "RFC 3608"},
    {"Supported", HeaderId::kSupported, "RFC 3261 §20.37"},
    {"Require", HeaderId::kRequire, "RFC 3261 §20.32"},
    {"Proxy-Require", HeaderId::kProxyRequire, "RFC 3261 §20.29"},
    {"Unsupported", HeaderId::kUnsupported, "RFC 3261 §20.40"},
    {"Allow", HeaderId::kAllow, "RFC 3261 §20.5"},
    {"Allow-Events", HeaderId::kAllowEvents, "RFC 6665"},
    {"Event", HeaderId::kEvent, "RFC 6665"},
    {"Date", HeaderId::kDate, "RFC 3261 §20.17"},
    {"User-Agent", HeaderId::kUserAgent, "RFC 3261 §20.41"},
    {"Server", HeaderId::kServer, "RFC 3261 §20.35"},
    {"Subject", HeaderId::kSubject, "RFC 3261 §20.36"},
    {"Refer-To", HeaderId::kReferTo, "RFC 3515"},
    {"Referred-By", HeaderId::kReferredBy, "RFC 3892"},
    {"Session-Expires", HeaderId::kSessionExpires, "RFC 4028"},
    {"Min-SE", HeaderId::kMinSe, "RFC 4028"},
    {"Identity", HeaderId::kIdentity, "RFC 8224"},
    {"Identity-Info", HeaderId::kIdentityInfo, "RFC 4474"},
    {"Min-Expires", HeaderId::kMinExpires, "RFC 3261 §20.23"},
    {"Accept", HeaderId::kAccept, "RFC 3261 §20.1"},
    {"Accept-Encoding", HeaderId::kAcceptEncoding, "RFC 3261 §20.2"},
    {"Accept-Language", HeaderId::kAcceptLanguage, "RFC 3261 §20.3"},
    {"Accept-Contact", HeaderId::kAcceptContact, "RFC 3841"},
    {"Reject-Contact", HeaderId::kRejectContact, "RFC 3841"},
    {"Request-Disposition", HeaderId::kRequestDisposition, "RFC 3841"},
    {"Warning", HeaderId::kWarning, "RFC 3261 §20.43"},
    {"Retry-After", HeaderId::kRetryAfter, "RFC 3261 §20.33"},
    {"Timestamp", HeaderId::kTimestamp, "RFC 3261 §20.38"},
    {"Organization", HeaderId::kOrganization, "RFC 3261 §20.25"},
    {"Priority", HeaderId::kPriority, "RFC 3261 §20.26"},
    {"Reply-To", HeaderId::kReplyTo, "RFC 3261 §20.31"},
    {"In-Reply-To", HeaderId::kInReplyTo, "RFC 3261 §20.21"},
    {"Alert-Info", HeaderId::kAlertInfo, "RFC 3261 §20.4"},
    {"Call-Info", HeaderId::kCallInfo, "RFC 3261 §20.9"},
    {"Error-Info", HeaderId::kErrorInfo, "RFC 3261 §20.18"},
    {"MIME-Version", HeaderId::kMimeVersion, "RFC 3261 §20.24"},
    {"RAck", HeaderId::kRAck, "RFC 3262"},
    {"RSeq", HeaderId::kRSeq, "RFC 3262"},
    {"Reason", HeaderId::kReason, "RFC 3326"},
    {"Replaces", HeaderId::kReplaces, "RFC 3891"},
    {"Privacy", HeaderId::kPrivacy, "RFC 3323"},
    {"P-Asserted-Identity", HeaderId::kPAssertedIdentity, "RFC 3325"},
    {"P-Preferred-Identity", HeaderId::kPPreferredIdentity, "RFC 3325"},
};
static_assert(std::size(kLongNames) == kHeaderIdCount - 1, "one row per HeaderId but kOther");

TEST(HeaderIdTest, ClassifiesEveryLongNameInAnyCase) {
  for (const LongNameRow& row : kLongNames) {
    SCOPED_TRACE(row.comment);
    EXPECT_EQ(ClassifyHeader(row.name), row.id) << row.name;
    EXPECT_EQ(ClassifyHeader(Lower(row.name)), row.id) << Lower(row.name);
    EXPECT_EQ(ClassifyHeader(Upper(row.name)), row.id) << Upper(row.name);
    EXPECT_EQ(ClassifyHeader(Alternate(row.name)), row.id) << Alternate(row.name);
  }
}

TEST(HeaderIdTest, GivesTheCanonicalSpellingOfEveryId) {
  for (const LongNameRow& row : kLongNames) {
    SCOPED_TRACE(row.comment);
    EXPECT_EQ(CanonicalName(row.id), row.name);
  }
}

// Compact forms: RFC 3261 §7.3.3 (i m e l f t v s k c) plus the IANA registry (o u r b x y n a
// j d).
struct CompactRow {
  char letter;
  HeaderId id;
  const char* comment;
};

const CompactRow kCompactForms[] = {
    {'i', HeaderId::kCallId, "RFC 3261: Call-ID"},
    {'m', HeaderId::kContact, "RFC 3261: Contact (\"moved\")"},
    {'e', HeaderId::kContentEncoding, "RFC 3261: Content-Encoding"},
    {'l', HeaderId::kContentLength, "RFC 3261: Content-Length"},
    {'f', HeaderId::kFrom, "RFC 3261: From"},
    {'t', HeaderId::kTo, "RFC 3261: To"},
    {'v', HeaderId::kVia, "RFC 3261: Via"},
    {'s', HeaderId::kSubject, "RFC 3261: Subject"},
    {'k', HeaderId::kSupported, "RFC 3261: Supported (\"know\")"},
    {'c', HeaderId::kContentType, "RFC 3261: Content-Type"},
    {'o', HeaderId::kEvent, "RFC 6665: Event"},
    {'u', HeaderId::kAllowEvents, "RFC 6665: Allow-Events"},
    {'r', HeaderId::kReferTo, "RFC 3515: Refer-To"},
    {'b', HeaderId::kReferredBy, "RFC 3892: Referred-By"},
    {'x', HeaderId::kSessionExpires, "RFC 4028: Session-Expires"},
    {'y', HeaderId::kIdentity, "RFC 8224: Identity"},
    {'n', HeaderId::kIdentityInfo, "RFC 4474: Identity-Info"},
    {'a', HeaderId::kAcceptContact, "RFC 3841: Accept-Contact"},
    {'j', HeaderId::kRejectContact, "RFC 3841: Reject-Contact"},
    {'d', HeaderId::kRequestDisposition, "RFC 3841: Request-Disposition"},
};

TEST(HeaderIdTest, ClassifiesEveryCompactFormInBothCases) {
  for (const CompactRow& row : kCompactForms) {
    SCOPED_TRACE(row.comment);
    const char lower[] = {row.letter};
    const char upper[] = {static_cast<char>(std::toupper(row.letter))};
    EXPECT_EQ(ClassifyHeader(std::string_view(lower, 1)), row.id);
    EXPECT_EQ(ClassifyHeader(std::string_view(upper, 1)), row.id);
  }
}

// Every single byte that is not one of the compact letters above is an unknown name.
TEST(HeaderIdTest, ClassifiesEveryOtherSingleByteAsOther) {
  std::set<char> compact;
  for (const CompactRow& row : kCompactForms) {
    compact.insert(row.letter);
    compact.insert(static_cast<char>(std::toupper(row.letter)));
  }
  for (int c = 0; c < 256; ++c) {
    const char b = static_cast<char>(c);
    if (compact.count(b) != 0) {
      continue;
    }
    EXPECT_EQ(ClassifyHeader(std::string_view(&b, 1)), HeaderId::kOther) << c;
  }
}

struct OtherRow {
  std::string_view name;
  const char* comment;
};

const OtherRow kOtherNames[] = {
    {"", "empty name"},
    {"g", "letter without a compact form"},
    {"h", "letter without a compact form"},
    {"p", "letter without a compact form"},
    {"q", "letter without a compact form"},
    {"w", "letter without a compact form"},
    {"z", "letter without a compact form"},
    {"-", "single symbol"},
    {"1", "single digit"},
    {"X-Custom", "extension header"},
    {"Vi", "prefix of Via"},
    {"Vias", "Via plus a letter"},
    {" Via", "leading SP is not trimmed here"},
    {"Via ", "trailing SP is not trimmed here"},
    {"Via:", "colon is not part of the name"},
    {"Via\0"sv, "trailing NUL"},
    {"V\0a"sv, "NUL inside"},
    {"Call_ID", "'_' instead of '-'"},
    {"CallID", "missing '-'"},
    {"Call-I", "prefix of Call-ID"},
    {"Call-IDs", "Call-ID plus a letter"},
    {"Content-Lengths", "Content-Length plus a letter"},
    {"Content-Lengt", "prefix of Content-Length"},
    {"Content-Length-X", "Content-Length with a suffix"},
    {"ContentLength", "Content-Length without '-'"},
    {"P-Preferred-Identit", "prefix of the longest known name"},
    {"P-Preferred-Identity-", "longest known name plus one byte"},
    {"P-Preferred-Identity-Extended-Long-Name", "longer than any known name"},
    {"From\xc3\xa9", "non-ASCII suffix"},
    {"\xc6rom", "'F' with the high bit set"},
    {"Fr\xefm", "'o' with the high bit set"},
    {"Tp", "same length as To"},
    {"Fron", "same length as From"},
    {"Cseq ", "CSeq with trailing SP"},
    {"Max_Forwards", "'_' instead of '-'"},
    {"Record Route", "SP instead of '-'"},
    {"WWW_Authenticate", "'_' instead of '-'"},
    {"Min-SE-", "Min-SE with a trailing '-'"},
    {"[ia", "'[' is 'A' + 26, not a letter"},
    {"@llow", "'@' is 'A' - 1"},
    {"{llow", "'{' is 'z' + 1"},
    {"Accept-Contac", "prefix of Accept-Contact"},
    {"Session-Expire", "prefix of Session-Expires"},
};

TEST(HeaderIdTest, ClassifiesUnknownNamesAsOther) {
  for (const OtherRow& row : kOtherNames) {
    SCOPED_TRACE(row.comment);
    EXPECT_EQ(ClassifyHeader(row.name), HeaderId::kOther) << row.name;
  }
}

// Names that differ from a known one only by a letter's case bit on a non-letter byte: the
// comparison must fold ASCII letters only.
TEST(HeaderIdTest, FoldsCaseOfLettersOnly) {
  for (const LongNameRow& row : kLongNames) {
    SCOPED_TRACE(row.comment);
    for (std::size_t i = 0; i < row.name.size(); ++i) {
      std::string name(row.name);
      if (name[i] == '-') {
        name[i] = static_cast<char>('-' ^ 0x20);  // '\r'
        EXPECT_EQ(ClassifyHeader(name), HeaderId::kOther) << i;
      }
    }
  }
}

TEST(HeaderIdTest, RoundTripsEveryIdThroughItsCanonicalName) {
  std::set<std::string_view> names;
  for (std::size_t i = 1; i < kHeaderIdCount; ++i) {
    const auto id = static_cast<HeaderId>(i);
    const std::string_view name = CanonicalName(id);
    SCOPED_TRACE(name);
    EXPECT_FALSE(name.empty());
    EXPECT_TRUE(names.insert(name).second) << "duplicate canonical name";
    EXPECT_EQ(ClassifyHeader(name), id);
  }
}

TEST(HeaderIdTest, CanonicalNameOfOtherIsEmpty) {
  EXPECT_EQ(CanonicalName(HeaderId::kOther), "");
  EXPECT_EQ(ClassifyHeader(CanonicalName(HeaderId::kOther)), HeaderId::kOther);
}

}  // namespace
}  // namespace sipfront::sip
