#include "kube/backoff.h"

#include <vector>

#include "base/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hallmark::kube {
namespace {

TEST(BackoffTest, DoublesFrom800msToThe30sCapWithoutJitter) {
  FakeClock clock;
  BackoffOptions o;
  o.jitter = 0;
  Backoff b(o, clock);
  std::vector<absl::Duration> got;
  for (int i = 0; i < 8; ++i) got.push_back(b.Next());
  EXPECT_THAT(got, ::testing::ElementsAre(absl::Milliseconds(800), absl::Milliseconds(1600),
                                          absl::Milliseconds(3200), absl::Milliseconds(6400),
                                          absl::Milliseconds(12800), absl::Milliseconds(25600),
                                          absl::Seconds(30), absl::Seconds(30)));
}

TEST(BackoffTest, JitterStaysWithinOneTimesTheBase) {
  FakeClock clock;
  Backoff b(BackoffOptions{}, clock, /*seed=*/7);
  absl::Duration base = absl::Milliseconds(800);
  bool saw_jitter = false;
  for (int i = 0; i < 12; ++i) {
    absl::Duration d = b.Next();
    EXPECT_GE(d, base) << i;
    EXPECT_LT(d, 2 * base) << i;
    if (d != base) saw_jitter = true;
    base = std::min(absl::Seconds(30), base * 2);
  }
  EXPECT_TRUE(saw_jitter);
}

TEST(BackoffTest, ResetsAfterTwoHealthyMinutes) {
  FakeClock clock;
  BackoffOptions o;
  o.jitter = 0;
  Backoff b(o, clock);
  EXPECT_EQ(b.Next(), absl::Milliseconds(800));
  clock.Advance(absl::Seconds(10));
  EXPECT_EQ(b.Next(), absl::Milliseconds(1600));
  clock.Advance(absl::Seconds(119));  // not yet two minutes since the last failure
  EXPECT_EQ(b.Next(), absl::Milliseconds(3200));
  clock.Advance(absl::Seconds(121));
  EXPECT_EQ(b.Next(), absl::Milliseconds(800));
  b.Next();
  b.Reset();
  EXPECT_EQ(b.Next(), absl::Milliseconds(800));
}

TEST(BackoffTest, OptionsAreValidated) {
  EXPECT_TRUE(ValidateBackoffOptions(BackoffOptions{}).ok());
  BackoffOptions o;
  o.initial = absl::ZeroDuration();
  EXPECT_FALSE(ValidateBackoffOptions(o).ok());
  o = BackoffOptions{};
  o.cap = absl::Milliseconds(1);
  EXPECT_FALSE(ValidateBackoffOptions(o).ok());
  o = BackoffOptions{};
  o.factor = 0.5;
  EXPECT_FALSE(ValidateBackoffOptions(o).ok());
  o = BackoffOptions{};
  o.jitter = -1;
  EXPECT_FALSE(ValidateBackoffOptions(o).ok());
}

}  // namespace
}  // namespace hallmark::kube
