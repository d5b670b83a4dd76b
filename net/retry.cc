#include "net/retry.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "absl/random/distributions.h"
#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace hallmark::net {
namespace {

constexpr absl::Duration kMaxRetryAfter = absl::Hours(24);

}  // namespace

absl::Status ValidatePolicy(const RetryPolicy& p) {
  if (p.max_attempts < 1) return absl::InvalidArgumentError("retry: max_attempts must be >= 1");
  if (p.initial_backoff <= absl::ZeroDuration() || p.max_backoff < p.initial_backoff ||
      p.max_backoff == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError("retry: want 0 < initial_backoff <= max_backoff < infinity");
  }
  if (!(p.multiplier >= 1.0) || std::isinf(p.multiplier)) {
    return absl::InvalidArgumentError("retry: multiplier must be a finite number >= 1");
  }
  if (p.total_budget <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("retry: total_budget must be positive");
  }
  return absl::OkStatus();
}

absl::Duration BackoffCap(const RetryPolicy& policy, int retry) {
  // Grow step by step so a large `retry` saturates at max_backoff instead of overflowing.
  absl::Duration cap = policy.initial_backoff;
  for (int i = 0; i < retry && cap < policy.max_backoff; ++i) cap = cap * policy.multiplier;
  return std::min(cap, policy.max_backoff);
}

absl::Duration FullJitterBackoff(const RetryPolicy& policy, int retry, absl::BitGenRef gen) {
  int64_t cap_ns = absl::ToInt64Nanoseconds(BackoffCap(policy, retry));
  return absl::Nanoseconds(absl::Uniform<int64_t>(absl::IntervalClosed, gen, 0, cap_ns));
}

std::optional<absl::Duration> ParseRetryAfter(absl::string_view value, absl::Time now) {
  value = absl::StripAsciiWhitespace(value);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return absl::ascii_isdigit(c); })) {
    if (value.size() > 9) return kMaxRetryAfter;  // absurdly large: cap without overflowing
    int64_t seconds = 0;
    if (!absl::SimpleAtoi(value, &seconds)) return std::nullopt;
    return std::min(absl::Seconds(seconds), kMaxRetryAfter);
  }
  absl::Time when;
  std::string error;
  if (!absl::ParseTime("%a, %d %b %Y %H:%M:%S GMT", std::string(value), absl::UTCTimeZone(), &when,
                       &error)) {
    return std::nullopt;
  }
  return std::clamp(when - now, absl::ZeroDuration(), kMaxRetryAfter);
}

bool IsRetryableHttpStatus(int status) {
  return status == 408 || status == 429 || (status >= 500 && status != 501 && status != 505);
}

bool IsRetryableError(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnavailable ||
         status.code() == absl::StatusCode::kDeadlineExceeded;
}

absl::StatusOr<HttpResponse> Retry(
    const RetryPolicy& policy, Clock& clock, absl::BitGenRef gen,
    absl::FunctionRef<absl::StatusOr<HttpResponse>(const RetryAttempt&)> attempt) {
  HM_RETURN_IF_ERROR(ValidatePolicy(policy));
  const absl::Time start = clock.Now();
  const absl::Time deadline = start + policy.total_budget;
  for (int number = 1;; ++number) {
    RetryAttempt info;
    info.number = number;
    info.budget_left = deadline - clock.Now();
    absl::StatusOr<HttpResponse> outcome = attempt(info);

    std::optional<absl::Duration> retry_after;
    if (outcome.ok()) {
      if (!IsRetryableHttpStatus(outcome->status)) return outcome;
      if (outcome->status == 429 || outcome->status == 503) {
        if (auto header = outcome->headers.Get("Retry-After")) {
          retry_after = ParseRetryAfter(*header, clock.Now());
        }
      }
    } else if (!IsRetryableError(outcome.status())) {
      return outcome;
    }

    auto give_up = [&]() -> absl::StatusOr<HttpResponse> {
      if (outcome.ok()) return outcome;
      return absl::Status(outcome.status().code(),
                          absl::StrCat(outcome.status().message(), " (gave up after ", number,
                                       number == 1 ? " attempt" : " attempts", " in ",
                                       absl::FormatDuration(clock.Now() - start), ")"));
    };
    if (number >= policy.max_attempts) return give_up();
    absl::Duration sleep = FullJitterBackoff(policy, number - 1, gen);
    if (retry_after.has_value()) sleep = std::max(sleep, *retry_after);
    if (clock.Now() + sleep >= deadline) return give_up();
    clock.SleepFor(sleep);
  }
}

absl::StatusOr<HttpResponse> DoWithRetry(HttpClient& client, const HttpRequest& request,
                                         const RetryPolicy& policy, Clock& clock) {
  // absl::BitGen is not thread-safe; one per thread, seeded from the OS.
  thread_local absl::BitGen gen;
  HttpRequest copy = request;
  return Retry(policy, clock, gen, [&](const RetryAttempt& a) {
    copy.timeout = std::min(request.timeout, a.budget_left);
    return client.Do(copy);
  });
}

}  // namespace hallmark::net
