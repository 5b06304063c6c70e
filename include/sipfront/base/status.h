// sipfront/base/status.h — slow-path error handling (STYLE §2.2 tier 2).
//
// Slow-path code (configuration, provisioning, auth cache fills, webhooks) returns
// absl::Status / absl::StatusOr<T>. Fast-path code never does: a non-OK Status allocates its
// message. SIPFRONT_RETURN_IF_ERROR propagates a non-OK status from an expression.
#ifndef SIPFRONT_BASE_STATUS_H_
#define SIPFRONT_BASE_STATUS_H_

#include "absl/status/status.h"    // IWYU pragma: export
#include "absl/status/statusor.h"  // IWYU pragma: export

#define SIPFRONT_RETURN_IF_ERROR(expr)        \
  do {                                        \
    ::absl::Status sipfront_status_ = (expr); \
    if (!sipfront_status_.ok()) {             \
      return sipfront_status_;                \
    }                                         \
  } while (0)

#endif  // SIPFRONT_BASE_STATUS_H_
