#include "net/retry.h"

#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "base/clock.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/testing/fake_http_client.h"

namespace hallmark::net {
namespace {

using ::hallmark::net::testing::FakeHttpClient;
using ::hallmark::testing::IsOk;
using ::hallmark::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// RecordingClock: a FakeClock that remembers every sleep.
class RecordingClock : public FakeClock {
 public:
  void SleepFor(absl::Duration d) override {
    sleeps.push_back(d);
    FakeClock::SleepFor(d);
  }
  std::vector<absl::Duration> sleeps;
};

HttpResponse Response(int status, Headers headers = {}) {
  HttpResponse r;
  r.status = status;
  r.headers = std::move(headers);
  return r;
}

RetryPolicy Policy() {
  RetryPolicy p;
  p.max_attempts = 5;
  p.initial_backoff = absl::Milliseconds(100);
  p.max_backoff = absl::Seconds(2);
  p.multiplier = 2;
  p.total_budget = absl::Seconds(60);
  return p;
}

TEST(RetryTest, RetriesServerErrorsWithJitteredBackoffWithinBounds) {
  RecordingClock clock;
  std::mt19937_64 gen(42);
  std::vector<int> statuses = {503, 500, 502, 200};
  int calls = 0;
  ASSERT_OK_AND_ASSIGN(HttpResponse resp, Retry(Policy(), clock, gen, [&](const RetryAttempt& a) {
                         EXPECT_EQ(a.number, calls + 1);
                         return absl::StatusOr<HttpResponse>(Response(statuses[calls++]));
                       }));
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(calls, 4);
  ASSERT_EQ(clock.sleeps.size(), 3u);
  // Full jitter: retry n sleeps in [0, min(2 s, 100 ms * 2^n)].
  EXPECT_LE(clock.sleeps[0], absl::Milliseconds(100));
  EXPECT_LE(clock.sleeps[1], absl::Milliseconds(200));
  EXPECT_LE(clock.sleeps[2], absl::Milliseconds(400));
  for (absl::Duration d : clock.sleeps) EXPECT_GE(d, absl::ZeroDuration());
}

TEST(RetryTest, FullJitterCoversTheWholeRange) {
  RetryPolicy p = Policy();
  std::mt19937_64 gen(7);
  absl::Duration lo = absl::InfiniteDuration(), hi = absl::ZeroDuration();
  for (int i = 0; i < 2000; ++i) {
    absl::Duration d = FullJitterBackoff(p, 3, gen);  // cap 800 ms
    ASSERT_GE(d, absl::ZeroDuration());
    ASSERT_LE(d, absl::Milliseconds(800));
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  EXPECT_LT(lo, absl::Milliseconds(80));
  EXPECT_GT(hi, absl::Milliseconds(720));
}

TEST(RetryTest, BackoffCapGrowsAndSaturates) {
  RetryPolicy p = Policy();
  EXPECT_EQ(BackoffCap(p, 0), absl::Milliseconds(100));
  EXPECT_EQ(BackoffCap(p, 1), absl::Milliseconds(200));
  EXPECT_EQ(BackoffCap(p, 4), absl::Milliseconds(1600));
  EXPECT_EQ(BackoffCap(p, 5), absl::Seconds(2));
  EXPECT_EQ(BackoffCap(p, 1000000), absl::Seconds(2));
}

TEST(RetryTest, RetryAfterSecondsIsHonouredOn429) {
  RecordingClock clock;
  std::mt19937_64 gen(1);
  int calls = 0;
  ASSERT_OK_AND_ASSIGN(
      HttpResponse resp, Retry(Policy(), clock, gen, [&](const RetryAttempt&) {
        ++calls;
        return absl::StatusOr<HttpResponse>(
            calls == 1 ? Response(429, Headers{{"Retry-After", "7"}}) : Response(200));
      }));
  EXPECT_EQ(resp.status, 200);
  EXPECT_THAT(clock.sleeps, ElementsAre(absl::Seconds(7)));
}

TEST(RetryTest, RetryAfterHttpDateIsHonouredOn503) {
  RecordingClock clock;  // starts at 1700000000 = Tue, 14 Nov 2023 22:13:20 GMT
  std::mt19937_64 gen(1);
  int calls = 0;
  ASSERT_OK_AND_ASSIGN(
      HttpResponse resp, Retry(Policy(), clock, gen, [&](const RetryAttempt&) {
        ++calls;
        return absl::StatusOr<HttpResponse>(
            calls == 1 ? Response(503, Headers{{"retry-after", "Tue, 14 Nov 2023 22:13:32 GMT"}})
                       : Response(204));
      }));
  EXPECT_EQ(resp.status, 204);
  EXPECT_THAT(clock.sleeps, ElementsAre(absl::Seconds(12)));
}

TEST(RetryTest, RetryAfterBeyondTheBudgetGivesUpAtOnce) {
  RecordingClock clock;
  std::mt19937_64 gen(1);
  RetryPolicy p = Policy();
  p.total_budget = absl::Seconds(30);
  int calls = 0;
  ASSERT_OK_AND_ASSIGN(
      HttpResponse resp, Retry(p, clock, gen, [&](const RetryAttempt&) {
        ++calls;
        return absl::StatusOr<HttpResponse>(Response(429, Headers{{"Retry-After", "3600"}}));
      }));
  EXPECT_EQ(resp.status, 429);  // the last response, as data
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(clock.sleeps.empty());
}

TEST(RetryTest, BudgetExhaustionStopsBeforeMaxAttempts) {
  RecordingClock clock;
  std::mt19937_64 gen(3);
  RetryPolicy p = Policy();
  p.max_attempts = 100;
  p.initial_backoff = absl::Seconds(1);
  p.max_backoff = absl::Seconds(4);
  p.total_budget = absl::Seconds(10);
  absl::Time start = clock.Now();
  int calls = 0;
  std::vector<absl::Duration> budgets;
  auto result = Retry(p, clock, gen, [&](const RetryAttempt& a) -> absl::StatusOr<HttpResponse> {
    ++calls;
    budgets.push_back(a.budget_left);
    clock.Advance(absl::Milliseconds(500));  // each attempt takes 0.5 s
    return absl::UnavailableError("GET https://r.example/v2/: connection refused");
  });
  EXPECT_THAT(result, StatusIs(absl::StatusCode::kUnavailable,
                               HasSubstr(absl::StrCat("gave up after ", calls, " attempts"))));
  EXPECT_LT(calls, 100);
  EXPECT_GE(calls, 3);
  // No sleep crosses the budget; only the last attempt itself may run past it.
  EXPECT_LE(clock.Now() - start, absl::Seconds(10) + absl::Milliseconds(500));
  // Each attempt is told how much budget is left, and it shrinks.
  EXPECT_EQ(budgets.front(), absl::Seconds(10));
  for (size_t i = 1; i < budgets.size(); ++i) EXPECT_LT(budgets[i], budgets[i - 1]);
}

TEST(RetryTest, MaxAttemptsIsRespected) {
  RecordingClock clock;
  std::mt19937_64 gen(3);
  RetryPolicy p = Policy();
  p.max_attempts = 3;
  int calls = 0;
  auto result = Retry(p, clock, gen, [&](const RetryAttempt&) -> absl::StatusOr<HttpResponse> {
    ++calls;
    return absl::DeadlineExceededError("timed out");
  });
  EXPECT_THAT(result, StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("3 attempts")));
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(clock.sleeps.size(), 2u);
}

TEST(RetryTest, NonRetryableOutcomesReturnAtOnce) {
  RecordingClock clock;
  std::mt19937_64 gen(3);
  for (int status : {200, 201, 301, 400, 401, 403, 404, 409, 501}) {
    int calls = 0;
    auto result = Retry(Policy(), clock, gen, [&](const RetryAttempt&) {
      ++calls;
      return absl::StatusOr<HttpResponse>(Response(status));
    });
    ASSERT_THAT(result, IsOk());
    EXPECT_EQ(result->status, status);
    EXPECT_EQ(calls, 1) << status;
  }
  for (absl::Status error : {absl::FailedPreconditionError("tls"), absl::InvalidArgumentError("x"),
                             absl::CancelledError("c")}) {
    int calls = 0;
    auto result = Retry(Policy(), clock, gen, [&](const RetryAttempt&) {
      ++calls;
      return absl::StatusOr<HttpResponse>(error);
    });
    EXPECT_EQ(result.status(), error);  // unchanged message
    EXPECT_EQ(calls, 1);
  }
  EXPECT_TRUE(clock.sleeps.empty());
}

TEST(RetryTest, InvalidPolicyIsRefused) {
  RecordingClock clock;
  std::mt19937_64 gen(3);
  RetryPolicy p = Policy();
  p.max_attempts = 0;
  int calls = 0;
  auto attempt = [&](const RetryAttempt&) {
    ++calls;
    return absl::StatusOr<HttpResponse>(Response(200));
  };
  EXPECT_THAT(Retry(p, clock, gen, attempt), StatusIs(absl::StatusCode::kInvalidArgument));
  p = Policy();
  p.max_backoff = absl::Milliseconds(1);
  EXPECT_THAT(Retry(p, clock, gen, attempt), StatusIs(absl::StatusCode::kInvalidArgument));
  p = Policy();
  p.multiplier = 0.5;
  EXPECT_THAT(Retry(p, clock, gen, attempt), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(calls, 0);
}

TEST(RetryTest, ParseRetryAfter) {
  absl::Time now = absl::FromUnixSeconds(1700000000);  // Tue, 14 Nov 2023 22:13:20 GMT
  EXPECT_EQ(ParseRetryAfter("0", now), absl::ZeroDuration());
  EXPECT_EQ(ParseRetryAfter(" 120 ", now), absl::Seconds(120));
  EXPECT_EQ(ParseRetryAfter("Tue, 14 Nov 2023 22:14:20 GMT", now), absl::Seconds(60));
  EXPECT_EQ(ParseRetryAfter("Tue, 14 Nov 2023 22:00:00 GMT", now), absl::ZeroDuration());
  EXPECT_EQ(ParseRetryAfter("99999999999999999999", now), absl::Hours(24));
  EXPECT_EQ(ParseRetryAfter("86401", now), absl::Hours(24));
  EXPECT_EQ(ParseRetryAfter("", now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("-5", now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("1.5", now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("soon", now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("2023-11-14T22:14:20Z", now), std::nullopt);
}

TEST(RetryTest, RetryableClassification) {
  for (int s : {408, 429, 500, 502, 503, 504, 599}) EXPECT_TRUE(IsRetryableHttpStatus(s)) << s;
  for (int s : {200, 304, 400, 401, 404, 410, 501, 505})
    EXPECT_FALSE(IsRetryableHttpStatus(s)) << s;
  EXPECT_TRUE(IsRetryableError(absl::UnavailableError("")));
  EXPECT_TRUE(IsRetryableError(absl::DeadlineExceededError("")));
  EXPECT_FALSE(IsRetryableError(absl::FailedPreconditionError("")));
  EXPECT_FALSE(IsRetryableError(absl::OkStatus()));
}

TEST(DoWithRetryTest, RetriesThroughAClientAndCapsTimeoutsToTheBudget) {
  RecordingClock clock;
  FakeHttpClient fake;
  std::vector<absl::Duration> timeouts;
  int calls = 0;
  fake.On(Method::kGet, "https://r.example/v2/", [&](const HttpRequest& req) {
    timeouts.push_back(req.timeout);
    clock.Advance(absl::Seconds(4));
    return absl::StatusOr<HttpResponse>(Response(++calls < 3 ? 503 : 200));
  });
  HttpRequest req;
  req.url = "https://r.example/v2/";
  req.timeout = absl::Seconds(30);
  RetryPolicy p = Policy();
  p.total_budget = absl::Seconds(20);
  ASSERT_OK_AND_ASSIGN(HttpResponse resp, DoWithRetry(fake, req, p, clock));
  EXPECT_EQ(resp.status, 200);
  ASSERT_EQ(timeouts.size(), 3u);
  EXPECT_EQ(timeouts[0], absl::Seconds(20));  // min(request 30 s, budget 20 s)
  EXPECT_LT(timeouts[1], absl::Seconds(16) + absl::Nanoseconds(1));
  EXPECT_LT(timeouts[2], timeouts[1]);
}

}  // namespace
}  // namespace hallmark::net
