#include "chains/reconciler/retry_policy.h"

#include "absl/random/random.h"
#include "base/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace hallmark::chains::reconciler {
namespace {

TEST(RetryPolicyTest, DefaultWindowIsCoveredByTheAttempts) {
  RetryPolicy p;
  ASSERT_OK(p.Validate());
  EXPECT_EQ(p.Delay(1), absl::Seconds(1));
  EXPECT_EQ(p.Delay(2), absl::Seconds(2));
  EXPECT_EQ(p.Delay(7), absl::Seconds(60));
  EXPECT_EQ(p.Delay(100), absl::Seconds(60));
  // 1+2+4+8+16+32 = 63 s, then nine minutes of 60 s delays: 16 attempts span 603 s >= 10 min.
  EXPECT_EQ(p.MaxAttempts(), 16);
  absl::Duration total;
  for (int i = 1; i < p.MaxAttempts(); ++i) total += p.Delay(i);
  EXPECT_GE(total, absl::Minutes(10));
  EXPECT_LT(total - p.Delay(p.MaxAttempts() - 1), absl::Minutes(10));
}

TEST(RetryPolicyTest, JitterOnlyLengthens) {
  RetryPolicy p;
  absl::BitGen gen;
  for (int i = 0; i < 100; ++i) {
    absl::Duration d = p.JitteredDelay(3, gen);
    EXPECT_GE(d, absl::Seconds(4));
    EXPECT_LT(d, absl::Seconds(6));
  }
}

TEST(RetryPolicyTest, ZeroWindowMeansOneAttemptAndBadPoliciesAreRefused) {
  RetryPolicy p;
  p.window = absl::ZeroDuration();
  EXPECT_EQ(p.MaxAttempts(), 1);
  RetryPolicy bad;
  bad.initial_backoff = absl::ZeroDuration();
  EXPECT_FALSE(bad.Validate().ok());
  bad = RetryPolicy();
  bad.max_backoff = absl::Milliseconds(10);
  EXPECT_FALSE(bad.Validate().ok());
  bad = RetryPolicy();
  bad.jitter = 2;
  EXPECT_FALSE(bad.Validate().ok());
  bad = RetryPolicy();
  bad.window = absl::Hours(24 * 365);
  EXPECT_FALSE(bad.Validate().ok());
}

}  // namespace
}  // namespace hallmark::chains::reconciler
