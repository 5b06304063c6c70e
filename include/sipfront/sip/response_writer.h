// sipfront/sip/response_writer.h — builds a response to a tokenized request, in place.
//
// ResponseWriter writes straight into a transmit buffer: the status line, then the header
// fields a response copies from its request (RFC 3261 §8.2.6.2: every Via in order, From, To,
// Call-ID, CSeq), then whatever the caller adds, then Content-Length: 0. The top Via gets the
// source of the request: `received` when its sent-by differs from the packet's source address
// (RFC 3261 §18.2.1) and both `received` and the `rport` value when the client asked for them
// (RFC 3581 §4). A To tag is added when the request's To has none.
//
// Nothing allocates; a response that does not fit the buffer makes Finish() return 0 (the
// caller counts it and sends nothing).
// Threading: one writer per thread. Lifetime: reads the request's buffer while writing.
#ifndef SIPFRONT_SIP_RESPONSE_WRITER_H_
#define SIPFRONT_SIP_RESPONSE_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "sipfront/sip/headers.h"
#include "sipfront/sip/message.h"

namespace sipfront::sip {

// The packet source to record in the top Via; empty `ip` records nothing.
struct ViaSource {
  std::string_view ip;  // textual source address ("192.0.2.1", "2001:db8::1")
  uint16_t port = 0;
};

class ResponseWriter {
 public:
  ResponseWriter(char* out, std::size_t capacity) : out_(out), cap_(capacity) {}

  // Status line and the copied headers. `to_tag` is used only when the request's To has no tag.
  // `req` must have passed Tokenize; its Via, From, To, Call-ID and CSeq fields are copied as
  // they are (a missing one is simply not copied).
  void Begin(uint16_t status, std::string_view reason, const Message& req, const ViaSource& source,
             std::string_view to_tag);

  // The same for a request whose top Via value and To were parsed already (ParseRegister):
  // `top_via` must be the first value of the first Via field and `to_has_tag` whether To has a
  // tag. Saves parsing both again.
  void Begin(uint16_t status, std::string_view reason, const Message& req, const ViaSource& source,
             std::string_view to_tag, const Via& top_via, bool to_has_tag);

  // "name: value\r\n".
  void Header(std::string_view name, std::string_view value) {
    Append(name);
    Append(": ");
    Append(value);
    Append("\r\n");
  }
  // Raw bytes (the caller supplies any CRLF). Inline: most appends are short literals, which
  // then compile to a few moves.
  void Append(std::string_view bytes) {
    if (bytes.empty()) {
      return;  // also keeps a null data() away from memcpy
    }
    if (overflow_ || cap_ - len_ < bytes.size()) {
      overflow_ = true;
      return;
    }
    std::memcpy(out_ + len_, bytes.data(), bytes.size());
    len_ += bytes.size();
  }
  void AppendUint(uint64_t v);

  // Appends "Content-Length: 0" and the empty line. Returns the response length, or 0 when it
  // did not fit.
  [[nodiscard]] std::size_t Finish();

  [[nodiscard]] bool overflow() const { return overflow_; }
  [[nodiscard]] std::size_t size() const { return len_; }

 private:
  void WriteTopVia(const Message& req, const ViaSource& source, const Via* parsed);
  void WriteRest(const Message& req, std::string_view to_tag, int to_has_tag);

  char* out_;
  std::size_t cap_;
  std::size_t len_ = 0;
  bool overflow_ = false;
};

// A response to a request that Tokenize() rejected: the status line, then whatever Via, From,
// To, Call-ID and CSeq lines a lenient line scan of `datagram` finds (so the client can match
// the response to its transaction), then Content-Length: 0. Returns 0 when the datagram does
// not look like a request or has no Via line: then there is nothing to answer.
std::size_t WriteErrorResponse(std::string_view datagram, uint16_t status, std::string_view reason,
                               char* out, std::size_t capacity);

// RFC 1123 date in GMT ("Sun, 06 Nov 1994 08:49:37 GMT", 29 characters) for Date headers.
inline constexpr std::size_t kDateLength = 29;
void FormatDate(uint64_t unix_seconds, char out[kDateLength]);

}  // namespace sipfront::sip

#endif  // SIPFRONT_SIP_RESPONSE_WRITER_H_
