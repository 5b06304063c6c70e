// Header-name classification for the tokenizer, which can read past the name.
#ifndef SIPFRONT_SRC_SIP_CLASSIFY_H_
#define SIPFRONT_SRC_SIP_CLASSIFY_H_

#include <cstddef>

#include "sipfront/sip/header_id.h"

namespace sipfront::sip::internal {

// ClassifyHeader for a name of `n` bytes at `p`, where 24 bytes from `p` are readable.
HeaderId ClassifyHeaderPadded(const char* p, std::size_t n);

}  // namespace sipfront::sip::internal

#endif  // SIPFRONT_SRC_SIP_CLASSIFY_H_
