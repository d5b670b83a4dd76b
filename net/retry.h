// File: net/retry.h
//
// Retrying HTTP exchanges (registry pushes, Kubernetes calls) with exponential backoff and full
// jitter (sleep = uniform[0, min(max_backoff, initial_backoff * multiplier^n)]), honouring
// `Retry-After` on 429 and 503, within a maximum number of attempts and a total time budget.
// Time comes from an injected Clock, so tests run on a FakeClock without sleeping.
//
//   RetryPolicy policy;  // 5 attempts, 200 ms .. 30 s, 2 min budget
//   HM_ASSIGN_OR_RETURN(HttpResponse resp, DoWithRetry(client, request, policy, *clock));
//   HM_RETURN_IF_ERROR(HttpStatusToStatus(resp, "pushing manifest"));
//
// WARNING: retries repeat the request. Use it for idempotent requests (GET, HEAD, PUT of a
// manifest or blob by digest, PATCH with resourceVersion) or ones that are safe to repeat.
#ifndef HALLMARK_NET_RETRY_H_
#define HALLMARK_NET_RETRY_H_

#include <optional>

#include "absl/functional/function_ref.h"
#include "absl/random/bit_gen_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "net/http_client.h"

namespace hallmark::net {

struct RetryPolicy {
  int max_attempts = 5;  // including the first; 1 = no retry
  absl::Duration initial_backoff = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(30);
  double multiplier = 2.0;
  // No attempt starts, and no sleep is begun, that would end after first attempt + budget. A
  // Retry-After longer than what is left ends the retries (the last outcome is returned).
  absl::Duration total_budget = absl::Minutes(2);
};

// ValidatePolicy: kInvalidArgument unless max_attempts >= 1, 0 < initial <= max backoff (both
// finite), multiplier >= 1 and the budget is positive.
absl::Status ValidatePolicy(const RetryPolicy& policy);

// BackoffCap: the upper bound of the sleep before retry number `retry` (0 = before the 2nd
// attempt): min(max_backoff, initial_backoff * multiplier^retry).
absl::Duration BackoffCap(const RetryPolicy& policy, int retry);
// FullJitterBackoff: uniform in [0, BackoffCap(policy, retry)].
absl::Duration FullJitterBackoff(const RetryPolicy& policy, int retry, absl::BitGenRef gen);

// ParseRetryAfter: RFC 9110 Retry-After, either delay-seconds ("120") or an IMF-fixdate
// ("Wed, 21 Oct 2015 07:28:00 GMT", relative to `now`; a past date means 0). nullopt when it is
// neither (the header is then ignored). Values are capped at one day.
std::optional<absl::Duration> ParseRetryAfter(absl::string_view value, absl::Time now);

// IsRetryableHttpStatus: 408, 429, and 5xx except 501 (Not Implemented) and 505.
bool IsRetryableHttpStatus(int status);
// IsRetryableError: transport errors worth another attempt: kUnavailable, kDeadlineExceeded.
bool IsRetryableError(const absl::Status& status);

// RetryAttempt: what an attempt function is told.
struct RetryAttempt {
  int number = 1;              // 1-based
  absl::Duration budget_left;  // time left of the total budget: cap the request timeout to it
};

// Retry calls `attempt` until it returns a non-retryable outcome (a response whose status is
// not retryable, or a non-retryable error), attempts run out, or the budget would be exceeded;
// the LAST outcome is returned (a retryable HTTP response is data, as always; a retryable error
// gets " (gave up after N attempts)" appended). Sleeps with clock.SleepFor. Between attempts the
// sleep is FullJitterBackoff, or the Retry-After of a 429/503 response when that is longer.
// kInvalidArgument if the policy is invalid.
absl::StatusOr<HttpResponse> Retry(
    const RetryPolicy& policy, Clock& clock, absl::BitGenRef gen,
    absl::FunctionRef<absl::StatusOr<HttpResponse>(const RetryAttempt&)> attempt);

// DoWithRetry: Retry around client.Do(request), each attempt's timeout capped to the budget
// left. Uses a process-wide random source.
absl::StatusOr<HttpResponse> DoWithRetry(HttpClient& client, const HttpRequest& request,
                                         const RetryPolicy& policy, Clock& clock);

}  // namespace hallmark::net

#endif  // HALLMARK_NET_RETRY_H_
