// File: kube/backoff.h
//
// Backoff: the delay schedule of client-go's reflector between failed list/watch attempts
// (reference/kube-api.md §1): 0.8 s, doubling, capped at 30 s, each delay multiplied by a
// random factor in [1, 1 + jitter) (client-go jitter 1.0), and back to 0.8 s when the previous
// delay was handed out more than 2 minutes ago (the connection has been healthy that long).
//
//   Backoff backoff(BackoffOptions{}, *Clock::RealClock());
//   ... on failure: stop.WaitForNotificationWithTimeout(backoff.Next());
//
// Not thread-safe: one Backoff per loop.
#ifndef HALLMARK_KUBE_BACKOFF_H_
#define HALLMARK_KUBE_BACKOFF_H_

#include <cstdint>

#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "base/clock.h"

namespace hallmark::kube {

struct BackoffOptions {
  absl::Duration initial = absl::Milliseconds(800);
  absl::Duration cap = absl::Seconds(30);  // applies before jitter, as in client-go
  double factor = 2.0;
  double jitter = 1.0;  // 0: no jitter
  absl::Duration reset_after = absl::Minutes(2);
};

// ValidateBackoffOptions: kInvalidArgument unless 0 < initial <= cap < infinity, factor >= 1,
// 0 <= jitter <= 10, reset_after > 0.
absl::Status ValidateBackoffOptions(const BackoffOptions& options);

class Backoff {
 public:
  // REQUIRES: ValidateBackoffOptions(options).ok(). `clock` must outlive this object. `seed`
  // fixes the jitter for tests; 0 seeds from the OS.
  Backoff(const BackoffOptions& options, const Clock& clock, uint64_t seed = 0);

  // Next: the delay to wait now, advancing the schedule.
  absl::Duration Next();
  // Reset: start again from `initial` (e.g. after a successful relist).
  void Reset();

 private:
  BackoffOptions options_;
  const Clock& clock_;
  absl::Duration current_;
  absl::Time last_ = absl::InfinitePast();
  absl::BitGen os_gen_;
  uint64_t lcg_;  // deterministic generator when seeded
  bool seeded_;
};

}  // namespace hallmark::kube

#endif  // HALLMARK_KUBE_BACKOFF_H_
