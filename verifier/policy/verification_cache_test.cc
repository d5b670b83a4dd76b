#include "verifier/policy/verification_cache.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "base/clock.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hallmark::verifier::policy {
namespace {

using Cache = VerificationCache<std::string>;
bool Ok(const std::string& v) { return v.rfind("ok", 0) == 0; }

TEST(VerificationCacheTest, TtlAndSuccessesOnly) {
  FakeClock clock;
  CacheOptions o;
  o.ttl = absl::Minutes(60);
  o.clock = &clock;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Cache> cache, Cache::New(o));
  int runs = 0;
  auto compute = [&] { return "ok" + std::to_string(++runs); };
  bool hit = true;
  EXPECT_EQ(cache->GetOrCompute("k", compute, Ok, &hit), "ok1");
  EXPECT_FALSE(hit);
  EXPECT_EQ(cache->GetOrCompute("k", compute, Ok, &hit), "ok1");
  EXPECT_TRUE(hit);
  clock.Advance(absl::Minutes(61));
  EXPECT_EQ(cache->GetOrCompute("k", compute, Ok, &hit), "ok2");
  EXPECT_FALSE(hit);
  int fails = 0;
  auto failing = [&] { return "fail" + std::to_string(++fails); };
  EXPECT_EQ(cache->GetOrCompute("f", failing, Ok), "fail1");
  EXPECT_EQ(cache->GetOrCompute("f", failing, Ok), "fail2");  // never stored
  EXPECT_THAT(Cache::New({absl::ZeroDuration(), 10, &clock}),
              hallmark::testing::StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(VerificationCacheTest, LeastRecentlyUsedEvictedAndPrefixesRetained) {
  CacheOptions o;
  o.max_entries = 2;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Cache> cache, Cache::New(o));
  auto value = [] { return std::string("ok"); };
  cache->GetOrCompute("v1\na", value, Ok);
  cache->GetOrCompute("v1\nb", value, Ok);
  bool hit = false;
  cache->GetOrCompute("v1\na", value, Ok, &hit);  // a is now the most recent
  EXPECT_TRUE(hit);
  cache->GetOrCompute("v2\nc", value, Ok);  // evicts b
  cache->GetOrCompute("v1\nb", value, Ok, &hit);
  EXPECT_FALSE(hit);
  EXPECT_EQ(cache->Stats().evictions, 2u);
  cache->RetainPrefixes({"v2\n"});  // the policy behind v1 changed
  EXPECT_EQ(cache->Stats().size, 1u);
  cache->GetOrCompute("v1\nb", value, Ok, &hit);
  EXPECT_FALSE(hit);
  EXPECT_EQ(cache->Stats().size, 1u);  // results of a dropped version are not stored again
}

TEST(VerificationCacheTest, ConcurrentMissesRunOnce) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Cache> cache, Cache::New(CacheOptions{}));
  std::atomic<int> runs{0};
  absl::Notification release;
  auto slow = [&] {
    ++runs;
    release.WaitForNotification();
    return std::string("fail: registry down");  // failures are shared with the waiters too
  };
  std::vector<std::thread> threads;
  std::vector<std::string> results(10);
  for (int i = 0; i < 10; ++i) {
    threads.emplace_back([&, i] { results[i] = cache->GetOrCompute("k", slow, Ok); });
  }
  while (cache->Stats().misses + cache->Stats().coalesced < 10)
    absl::SleepFor(absl::Milliseconds(1));
  release.Notify();
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(runs.load(), 1);
  for (const std::string& r : results) EXPECT_EQ(r, "fail: registry down");
  EXPECT_EQ(cache->Stats().coalesced, 9u);
}

}  // namespace
}  // namespace hallmark::verifier::policy
