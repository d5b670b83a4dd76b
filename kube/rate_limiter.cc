#include "kube/rate_limiter.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace hallmark::kube {

absl::StatusOr<std::unique_ptr<RateLimiter>> RateLimiter::New(double qps, int burst, Clock& clock) {
  if (!(qps > 0 && qps <= 1e6)) {
    return absl::InvalidArgumentError(absl::StrCat("rate limiter: qps ", qps, " not in (0, 1e6]"));
  }
  if (burst < 1 || burst > 1000000) {
    return absl::InvalidArgumentError(
        absl::StrCat("rate limiter: burst ", burst, " not in [1, 1000000]"));
  }
  return std::unique_ptr<RateLimiter>(new RateLimiter(qps, burst, clock));
}

RateLimiter::RateLimiter(double qps, int burst, Clock& clock)
    : qps_(qps), burst_(burst), clock_(clock), tokens_(burst), last_(clock.Now()) {}

void RateLimiter::Refill(absl::Time now) {
  if (now <= last_) return;
  tokens_ = std::min<double>(burst_, tokens_ + absl::ToDoubleSeconds(now - last_) * qps_);
  last_ = now;
}

absl::Duration RateLimiter::Wait() {
  absl::Duration wait;
  {
    absl::MutexLock lock(&mu_);
    Refill(clock_.Now());
    tokens_ -= 1;
    if (tokens_ >= 0) return absl::ZeroDuration();
    // The debt is paid back at qps tokens per second.
    wait = absl::Seconds(-tokens_ / qps_);
  }
  clock_.SleepFor(wait);
  return wait;
}

bool RateLimiter::TryAccept() {
  absl::MutexLock lock(&mu_);
  Refill(clock_.Now());
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

}  // namespace hallmark::kube
