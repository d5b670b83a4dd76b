#include "kube/backoff.h"

#include <algorithm>
#include <cmath>

#include "absl/random/distributions.h"

namespace hallmark::kube {

absl::Status ValidateBackoffOptions(const BackoffOptions& o) {
  if (o.initial <= absl::ZeroDuration() || o.cap < o.initial || o.cap == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError("backoff: want 0 < initial <= cap < infinity");
  }
  if (!(o.factor >= 1.0) || std::isinf(o.factor)) {
    return absl::InvalidArgumentError("backoff: factor must be a finite number >= 1");
  }
  if (!(o.jitter >= 0.0 && o.jitter <= 10.0)) {
    return absl::InvalidArgumentError("backoff: jitter must be in [0, 10]");
  }
  if (o.reset_after <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("backoff: reset_after must be positive");
  }
  return absl::OkStatus();
}

Backoff::Backoff(const BackoffOptions& options, const Clock& clock, uint64_t seed)
    : options_(options), clock_(clock), current_(options.initial), lcg_(seed), seeded_(seed != 0) {}

absl::Duration Backoff::Next() {
  absl::Time now = clock_.Now();
  if (now - last_ > options_.reset_after) current_ = options_.initial;
  last_ = now;
  absl::Duration base = current_;
  current_ = std::min(options_.cap, current_ * options_.factor);
  if (options_.jitter <= 0) return base;
  double u;
  if (seeded_) {
    // SplitMix64 step: reproducible jitter for tests without depending on absl's engine.
    uint64_t z = (lcg_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    u = static_cast<double>(z >> 11) / static_cast<double>(1ULL << 53);
  } else {
    u = absl::Uniform<double>(os_gen_, 0.0, 1.0);
  }
  return base + base * (options_.jitter * u);
}

void Backoff::Reset() {
  current_ = options_.initial;
  last_ = absl::InfinitePast();
}

}  // namespace hallmark::kube
