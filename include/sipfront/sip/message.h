// sipfront/sip/message.h — the zero-copy SIP tokenizer: start line, header index, framing.
//
// Tokenize() is a one-shot, allocation-free, exception-free pass over one SIP message in a
// receive buffer (picohttpparser's phr_parse_request, with a typed error instead of -1/-2):
//
//   * the start line (request: any extension method token, Request-URI span, SIP/2.0 only;
//     response: status code 100..699, reason phrase);
//   * every header field: name classified into a HeaderId (compact forms, any case, LWS
//     before the colon), value trimmed of surrounding LWS, folded lines kept inside the
//     value span (parsers treat CRLF+WSP as LWS; tools collapse it for display);
//   * the scalar header fields every path needs (Call-ID, CSeq, Max-Forwards, Expires,
//     Content-Length), parsed and range-checked;
//   * framing per RFC 3261 §18.3: a datagram's body is Content-Length bytes (the rest of the
//     datagram is discarded) or the whole remainder when Content-Length is absent; on a stream
//     Content-Length is required and an incomplete message reports kIncomplete.
//
// Structured header values (Via, From/To, Contact, Route, Authorization, Date) and the
// Request-URI are parsed on demand by the functions in headers.h; ValidateMessage() there runs
// all of them, which is what "the message is well-formed" means in sipfront.
//
// Lifetime: every std::string_view in a Message points into the input buffer and is valid as
// long as that buffer is (for a receive slot: one pass of the worker loop). A Message holds no
// other resources; reusing one for the next message is the intended pattern.
// Threading: Tokenize() is reentrant; a Message is used by one thread at a time.
#ifndef SIPFRONT_SIP_MESSAGE_H_
#define SIPFRONT_SIP_MESSAGE_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sipfront/base/padded_view.h"
#include "sipfront/sip/header_id.h"
#include "sipfront/sip/parse_error.h"

namespace sipfront::sip {

enum class Framing : uint8_t {
  kDatagram,  // UDP: one message per buffer, extra bytes after the body are discarded
  kStream,    // TCP/TLS: the buffer may hold a partial message or several pipelined ones
};

enum class MessageKind : uint8_t { kRequest, kResponse };

// Methods sipfront recognizes; anything else is kExtension (the token is in method_name).
// Method names are case-sensitive (RFC 3261 §7.1): "invite" is an extension method.
enum class Method : uint8_t {
  kExtension = 0,
  kInvite,
  kAck,
  kBye,
  kCancel,
  kOptions,
  kRegister,
  kPrack,
  kSubscribe,
  kNotify,
  kPublish,
  kInfo,
  kRefer,
  kMessage,
  kUpdate,
};

// Maps a method token to a Method (exact, case-sensitive match).
[[nodiscard]] Method ClassifyMethod(std::string_view token);

// Header fields one message may carry. RFC 4475's longest torture message has 44; real
// devices stay under 30. More is answered "400 Too Many Headers".
inline constexpr std::size_t kMaxHeaders = 128;
// Largest message Tokenize() accepts (the largest UDP payload).
inline constexpr std::size_t kMaxMessageSize = 65535;

inline constexpr uint8_t kNoHeader = 0xff;

struct Header {
  std::string_view name;   // as on the wire, without the LWS before the colon
  std::string_view value;  // LWS-trimmed; may span folded lines
  HeaderId id;
  uint8_t next;  // index of the next header with the same id, or kNoHeader
  bool folded;   // value continues over one or more folded lines
};

struct CSeq {
  uint32_t seq;
  Method method;
  std::string_view method_name;
};

// Sentinel for absent or ignorable (out of range) scalar header values.
inline constexpr int64_t kAbsent = -1;

struct Message {
  // Input this message was parsed from: every view below points into [base, base + size).
  const char* base;
  // Bytes that make up this message (start line through body). For a stream: consume this
  // many bytes. For kIncomplete: the total needed when known (headers complete), else 0.
  // For kKeepalive: the CRLF bytes to consume.
  uint32_t size;
  // When Tokenize() fails: offset of the first offending byte from base.
  uint32_t error_offset;

  MessageKind kind;
  Method method;                   // requests
  std::string_view method_name;    // requests: the method token as on the wire
  std::string_view request_uri;    // requests: the Request-URI, unparsed (see ParseUri)
  uint16_t status_code;            // responses
  std::string_view reason_phrase;  // responses; may be empty

  uint16_t header_count;
  uint8_t first[kHeaderIdCount];  // index of the first header with each id, or kNoHeader
  uint8_t count[kHeaderIdCount];  // how many header fields carry each id
  Header headers[kMaxHeaders];

  // Scalar fields, from the first occurrence of each header (CheckRequest rejects repeats).
  std::string_view call_id;  // empty when absent
  CSeq cseq;                 // valid when count[kCSeq] > 0
  int64_t max_forwards;      // kAbsent when absent, or above 255 (RFC 4475 §3.1.2.x scalar02)
  int64_t expires;           // kAbsent when absent, or above 2^32-1 (treat as absent)
  int64_t content_length;    // kAbsent when absent

  std::string_view body;  // exactly content_length bytes, or the datagram remainder

  [[nodiscard]] bool Has(HeaderId id) const { return count[static_cast<std::size_t>(id)] != 0; }
  // First header with `id`, or nullptr.
  [[nodiscard]] const Header* Find(HeaderId id) const {
    const uint8_t i = first[static_cast<std::size_t>(id)];
    return i == kNoHeader ? nullptr : &headers[i];
  }
  // The header after `h` with the same id, or nullptr.
  [[nodiscard]] const Header* Next(const Header& h) const {
    return h.next == kNoHeader ? nullptr : &headers[h.next];
  }
  [[nodiscard]] uint32_t OffsetOf(const char* p) const { return static_cast<uint32_t>(p - base); }
};

// Stage-1 line scanners, one per instruction set, chosen once at startup (simdjson's runtime
// dispatch). All give identical results; tests run every one the host supports.
enum class Scanner : uint8_t { kScalar, kSse2, kAvx2 };

[[nodiscard]] bool ScannerSupported(Scanner s);
// The fastest scanner this CPU supports (detected once, at static initialization).
[[nodiscard]] Scanner DefaultScanner();
[[nodiscard]] std::string_view ScannerName(Scanner s);

// Tokenizes the message at the start of `in` into `msg`.
//
// Precondition: in.HasPadding() (kPadding readable bytes after in.size()); the padding never
// affects the result. Leading CRLFs are skipped (RFC 3261 §7.5).
//
// Returns kOk with msg filled; kKeepalive when the input starts with CRLFs (datagram: only
// CRLFs, all consumed; stream: a complete "\r\n\r\n" ping, or a "\r\n" pong followed by
// something other than CR; msg.size says how many bytes to consume); kIncomplete on a stream
// that does not yet hold a whole message (including a lone "\r\n", which may be half a ping);
// kMessageTooLarge when the message (or, on a stream, the bytes needed) exceeds `max_size`;
// otherwise the syntax or framing error, with msg.error_offset set. On error the other fields of
// msg are unspecified.
ParseError Tokenize(PaddedView in, Framing framing, Message& msg,
                    std::size_t max_size = kMaxMessageSize, Scanner scanner = DefaultScanner());

}  // namespace sipfront::sip

#endif  // SIPFRONT_SIP_MESSAGE_H_
