#include "chains/controller/work_queue.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hallmark::chains::controller {
namespace {

using ::testing::ElementsAre;

std::vector<std::string> Drain(WorkQueue& q) {
  std::vector<std::string> out;
  while (auto key = q.TryGetFor(absl::ZeroDuration())) {
    out.push_back(*key);
    q.Done(*key);
  }
  return out;
}

TEST(WorkQueueTest, DedupesQueuedKeys) {
  WorkQueue q;
  q.Add("a", Lane::kBacklog);
  q.Add("a", Lane::kBacklog);
  q.Add("b", Lane::kBacklog);
  q.Add("a", Lane::kBacklog);
  EXPECT_EQ(q.Ready(), 2u);
  EXPECT_THAT(Drain(q), ElementsAre("a", "b"));
  EXPECT_EQ(q.Depth(), 0u);
}

TEST(WorkQueueTest, FreshLaneFirstButBacklogNotStarved) {
  WorkQueue q(/*fresh_burst=*/2);
  for (int i = 0; i < 3; ++i) q.Add("old" + std::to_string(i), Lane::kBacklog);
  for (int i = 0; i < 5; ++i) q.Add("new" + std::to_string(i), Lane::kFresh);
  EXPECT_THAT(Drain(q),
              ElementsAre("new0", "new1", "old0", "new2", "new3", "old1", "new4", "old2"));
}

TEST(WorkQueueTest, AddingAQueuedBacklogKeyAsFreshPromotesIt) {
  WorkQueue q(/*fresh_burst=*/100);
  q.Add("a", Lane::kBacklog);
  q.Add("b", Lane::kBacklog);
  q.Add("b", Lane::kFresh);
  EXPECT_EQ(q.Ready(), 2u);
  EXPECT_THAT(Drain(q), ElementsAre("b", "a"));
}

TEST(WorkQueueTest, AKeyIsNeverHandedOutTwiceAtOnce) {
  WorkQueue q;
  q.Add("a", Lane::kFresh);
  ASSERT_EQ(q.TryGetFor(absl::ZeroDuration()), "a");
  q.Add("a", Lane::kFresh);  // changed while being processed
  EXPECT_EQ(q.TryGetFor(absl::Milliseconds(20)), std::nullopt);
  EXPECT_EQ(q.Processing(), 1u);
  q.Done("a");
  EXPECT_EQ(q.TryGetFor(absl::ZeroDuration()), "a");  // dirty: queued again
  q.Done("a");
  EXPECT_EQ(q.TryGetFor(absl::ZeroDuration()), std::nullopt);
}

TEST(WorkQueueTest, DelaysAndTheirCancellation) {
  WorkQueue q;
  q.AddAfter("late", absl::Milliseconds(60));
  q.AddAfter("soon", absl::Milliseconds(10));
  EXPECT_EQ(q.Delayed(), 2u);
  EXPECT_EQ(q.TryGetFor(absl::ZeroDuration()), std::nullopt);
  absl::Time start = absl::Now();
  EXPECT_EQ(q.TryGetFor(absl::Seconds(5)), "soon");
  q.Done("soon");
  EXPECT_EQ(q.TryGetFor(absl::Seconds(5)), "late");
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(55));
  q.Done("late");

  q.AddAfter("x", absl::Seconds(30));
  q.Add("x", Lane::kFresh);  // an explicit add wins over the delay
  EXPECT_EQ(q.Delayed(), 0u);
  EXPECT_EQ(q.TryGetFor(absl::ZeroDuration()), "x");
  q.Done("x");
  EXPECT_EQ(q.Depth(), 0u);

  q.AddAfter("y", absl::Milliseconds(10));
  q.AddAfter("y", absl::Seconds(30));  // the earlier due time is kept
  EXPECT_EQ(q.TryGetFor(absl::Seconds(5)), "y");
  q.Done("y");
}

TEST(WorkQueueTest, RetryRequestedWhileProcessingWaitsForItsDelay) {
  WorkQueue q;
  q.Add("a", Lane::kFresh);
  ASSERT_EQ(q.TryGetFor(absl::ZeroDuration()), "a");
  q.AddAfter("a", absl::Milliseconds(30));
  q.Done("a");
  EXPECT_EQ(q.TryGetFor(absl::ZeroDuration()), std::nullopt);
  EXPECT_EQ(q.TryGetFor(absl::Seconds(5)), "a");
  q.Done("a");
}

TEST(WorkQueueTest, AddIfAbsentRespectsDelaysAndForgetDrops) {
  WorkQueue q;
  q.AddAfter("retrying", absl::Seconds(30));
  EXPECT_FALSE(q.AddIfAbsent("retrying", Lane::kBacklog));  // the backoff stands
  EXPECT_EQ(q.Delayed(), 1u);
  EXPECT_TRUE(q.AddIfAbsent("new", Lane::kBacklog));
  EXPECT_FALSE(q.AddIfAbsent("new", Lane::kBacklog));
  q.Add("other", Lane::kFresh);
  q.Forget("retrying");
  q.Forget("other");
  EXPECT_EQ(q.Depth(), 1u);
  EXPECT_THAT(Drain(q), ElementsAre("new"));
  q.Add("busy", Lane::kFresh);
  ASSERT_EQ(q.TryGetFor(absl::ZeroDuration()), "busy");
  q.Add("busy", Lane::kFresh);
  q.Forget("busy");  // processing: left alone, but not queued again
  q.Done("busy");
  EXPECT_EQ(q.TryGetFor(absl::ZeroDuration()), std::nullopt);
}

TEST(WorkQueueTest, PauseHoldsWorkAndShutDownReleasesWaiters) {
  WorkQueue q;
  q.SetPaused(true);
  q.Add("a", Lane::kFresh);
  EXPECT_EQ(q.TryGetFor(absl::Milliseconds(20)), std::nullopt);
  q.SetPaused(false);
  EXPECT_EQ(q.TryGetFor(absl::ZeroDuration()), "a");
  q.Done("a");

  std::atomic<bool> returned{false};
  std::thread waiter([&] {
    EXPECT_EQ(q.Get(), std::nullopt);
    returned = true;
  });
  absl::SleepFor(absl::Milliseconds(20));
  EXPECT_FALSE(returned.load());
  q.ShutDown();
  waiter.join();
  EXPECT_TRUE(returned.load());
  q.Add("b", Lane::kFresh);  // ignored after shutdown
  EXPECT_EQ(q.Ready(), 0u);
}

}  // namespace
}  // namespace hallmark::chains::controller
