#include "kube/rate_limiter.h"

#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hallmark::kube {
namespace {

using ::hallmark::testing::StatusIs;

TEST(RateLimiterTest, BurstIsFreeThenOneTokenPerInterval) {
  FakeClock clock;
  ASSERT_OK_AND_ASSIGN(auto limiter, RateLimiter::New(/*qps=*/10, /*burst=*/3, clock));
  absl::Time start = clock.Now();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter->Wait(), absl::ZeroDuration());
  EXPECT_EQ(clock.Now(), start);
  EXPECT_EQ(limiter->Wait(), absl::Milliseconds(100));
  EXPECT_EQ(limiter->Wait(), absl::Milliseconds(100));
  EXPECT_EQ(clock.Now() - start, absl::Milliseconds(200));
}

TEST(RateLimiterTest, RefillsButNeverBeyondBurst) {
  FakeClock clock;
  ASSERT_OK_AND_ASSIGN(auto limiter, RateLimiter::New(2, 2, clock));
  EXPECT_TRUE(limiter->TryAccept());
  EXPECT_TRUE(limiter->TryAccept());
  EXPECT_FALSE(limiter->TryAccept());
  clock.Advance(absl::Milliseconds(500));
  EXPECT_TRUE(limiter->TryAccept());
  EXPECT_FALSE(limiter->TryAccept());
  clock.Advance(absl::Hours(1));  // a long idle period saves at most `burst` tokens
  EXPECT_TRUE(limiter->TryAccept());
  EXPECT_TRUE(limiter->TryAccept());
  EXPECT_FALSE(limiter->TryAccept());
}

TEST(RateLimiterTest, DefaultsAllow100ThenFiftyPerSecond) {
  FakeClock clock;
  ASSERT_OK_AND_ASSIGN(auto limiter, RateLimiter::New(kDefaultQps, kDefaultBurst, clock));
  absl::Time start = clock.Now();
  for (int i = 0; i < 150; ++i) limiter->Wait();
  // 100 from the bucket, 50 more at 50/s.
  EXPECT_EQ(clock.Now() - start, absl::Seconds(1));
}

TEST(RateLimiterTest, ConcurrentWaitersReserveDistinctSlots) {
  // Real clock, small numbers: 4 threads x 5 requests at 200 qps with burst 1 take >= 95 ms.
  ASSERT_OK_AND_ASSIGN(auto limiter, RateLimiter::New(200, 1, *Clock::RealClock()));
  absl::Time start = absl::Now();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i) limiter->Wait();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(90));
}

TEST(RateLimiterTest, RejectsBadSettings) {
  FakeClock clock;
  EXPECT_THAT(RateLimiter::New(0, 1, clock), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(RateLimiter::New(-1, 1, clock), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(RateLimiter::New(1, 0, clock), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(RateLimiter::New(std::nan(""), 1, clock),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace hallmark::kube
