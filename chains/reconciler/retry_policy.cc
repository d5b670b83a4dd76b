#include "chains/reconciler/retry_policy.h"

#include <algorithm>

#include "absl/random/distributions.h"

namespace hallmark::chains::reconciler {

absl::Status RetryPolicy::Validate() const {
  if (initial_backoff <= absl::ZeroDuration() || max_backoff < initial_backoff ||
      max_backoff == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        "retry policy: want 0 < initial backoff <= max backoff < infinity");
  }
  if (window < absl::ZeroDuration() || window == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError("retry policy: the retry window must be finite and >= 0");
  }
  if (!(jitter >= 0 && jitter <= 1)) {
    return absl::InvalidArgumentError("retry policy: jitter must be in [0, 1]");
  }
  if (window / max_backoff > 9000) {
    return absl::InvalidArgumentError(
        "retry policy: the retry window needs more than 10000 attempts; raise the max backoff");
  }
  return absl::OkStatus();
}

absl::Duration RetryPolicy::Delay(int failures) const {
  absl::Duration d = initial_backoff;
  for (int i = 1; i < failures && d < max_backoff; ++i) d *= 2;
  return std::min(d, max_backoff);
}

int RetryPolicy::MaxAttempts() const {
  int attempts = 1;
  absl::Duration total = absl::ZeroDuration();
  while (total < window && attempts < 10000) {
    total += Delay(attempts);
    ++attempts;
  }
  return attempts;
}

absl::Duration RetryPolicy::JitteredDelay(int failures, absl::BitGenRef gen) const {
  double factor = 1.0 + (jitter > 0 ? absl::Uniform<double>(gen, 0.0, jitter) : 0.0);
  return Delay(failures) * factor;
}

}  // namespace hallmark::chains::reconciler
