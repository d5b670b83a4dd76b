// File: base/clock.h
//
// Time comes from an injectable Clock (STYLE.md rule 8) so retry, backoff, cache TTL and lease
// code can be tested without sleeping.
#ifndef HALLMARK_BASE_CLOCK_H_
#define HALLMARK_BASE_CLOCK_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace hallmark {

// Clock: thread-safe source of the current time and of sleeping.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
  // SleepFor blocks the calling thread for `d` of this clock's time.
  virtual void SleepFor(absl::Duration d) = 0;

  // RealClock returns the process-wide wall clock (never destroyed).
  static Clock* RealClock();
};

// FakeClock: time moves only when Advance() (or SleepFor, which advances) is called.
class FakeClock : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1700000000)) : now_(start) {}
  absl::Time Now() const override;
  void SleepFor(absl::Duration d) override { Advance(d); }
  void Advance(absl::Duration d);

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hallmark

#endif  // HALLMARK_BASE_CLOCK_H_
