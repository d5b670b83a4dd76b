// File: chains/reconciler/retry_policy.h
//
// RetryPolicy: how long a run whose signing keeps failing for a retriable reason (registry down,
// 5xx, timeouts, credentials) is retried before it is marked `chains.tekton.dev/signed=failed`
// (DESIGN.md: "retries back off for a configurable outage window, default at least 10 min").
//
// The n-th failure waits min(max_backoff, initial_backoff * 2^(n-1)) times a random factor in
// [1, 1 + jitter) before the next attempt. The window is turned into a number of attempts
// (MaxAttempts: enough nominal delays to add up to `window`), because the attempt count is what
// survives a restart: it is written to `chains.tekton.dev/retries` after each failure (Chains'
// annotation; we write the number of failed attempts). Jitter only lengthens delays, so an agent
// that is not restarted keeps retrying for at least `window`. A restart re-examines every
// unsigned run at once, which can only add attempts, never skip the count.
#ifndef HALLMARK_CHAINS_RECONCILER_RETRY_POLICY_H_
#define HALLMARK_CHAINS_RECONCILER_RETRY_POLICY_H_

#include "absl/random/bit_gen_ref.h"
#include "absl/status/status.h"
#include "absl/time/time.h"

namespace hallmark::chains::reconciler {

struct RetryPolicy {
  absl::Duration initial_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Seconds(60);
  absl::Duration window = absl::Minutes(10);
  double jitter = 0.5;

  // Validate: kInvalidArgument unless 0 < initial <= max, window >= 0 (0: one attempt only),
  // all finite, 0 <= jitter <= 1, and the window needs at most 10000 attempts.
  absl::Status Validate() const;
  // MaxAttempts: attempts made before giving up (>= 1).
  int MaxAttempts() const;
  // Delay: the nominal wait after the `failures`-th failure (failures >= 1).
  absl::Duration Delay(int failures) const;
  // JitteredDelay: Delay(failures) * [1, 1 + jitter).
  absl::Duration JitteredDelay(int failures, absl::BitGenRef gen) const;
};

}  // namespace hallmark::chains::reconciler

#endif  // HALLMARK_CHAINS_RECONCILER_RETRY_POLICY_H_
