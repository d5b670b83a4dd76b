// File: kube/rate_limiter.h
//
// RateLimiter: the client-side token bucket every request of one Kubernetes client goes through
// (client-go's flowcontrol.NewTokenBucketRateLimiter): `qps` tokens per second, at most `burst`
// saved up. Hallmark's defaults are QPS 50 / burst 100 (reference/perf-reliability.md §1: Chains
// ships 5/10 and its maintainers now recommend 50/100).
//
// Waiting works by reservation: Wait() takes the next free slot under a lock and then sleeps
// outside it with the injected Clock (a FakeClock advances instead of sleeping), so concurrent
// callers are served in order and never all wake at once.
//
// Thread-safe. The clock must outlive the limiter.
#ifndef HALLMARK_KUBE_RATE_LIMITER_H_
#define HALLMARK_KUBE_RATE_LIMITER_H_

#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/clock.h"

namespace hallmark::kube {

inline constexpr double kDefaultQps = 50;
inline constexpr int kDefaultBurst = 100;

class RateLimiter {
 public:
  // New: kInvalidArgument unless 0 < qps <= 1e6 and 1 <= burst <= 1e6. The bucket starts full.
  static absl::StatusOr<std::unique_ptr<RateLimiter>> New(double qps, int burst, Clock& clock);

  // Wait blocks until this caller may send one request; returns how long it waited.
  absl::Duration Wait();
  // TryAccept takes a token if one is available now, without waiting.
  bool TryAccept();

  double qps() const { return qps_; }
  int burst() const { return burst_; }

 private:
  RateLimiter(double qps, int burst, Clock& clock);
  // Refill: adds the tokens earned since `last_`. REQUIRES mu_.
  void Refill(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const double qps_;
  const int burst_;
  Clock& clock_;
  absl::Mutex mu_;
  // May go negative: each waiter reserves a token it will own when the balance reaches it.
  double tokens_ ABSL_GUARDED_BY(mu_);
  absl::Time last_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hallmark::kube

#endif  // HALLMARK_KUBE_RATE_LIMITER_H_
