// File: base/testing/status_matchers.h
//
// gMock matchers for absl::Status and absl::StatusOr<T> (Abseil 20220623 has none):
//
//   EXPECT_THAT(Load(path), IsOk());
//   EXPECT_THAT(Load(bad), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("pem")));
//   EXPECT_THAT(Parse("x"), IsOkAndHolds(Eq(3)));
//   ASSERT_OK_AND_ASSIGN(auto key, Load(path));
#ifndef HALLMARK_BASE_TESTING_STATUS_MATCHERS_H_
#define HALLMARK_BASE_TESTING_STATUS_MATCHERS_H_

#include <ostream>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hallmark::testing {
namespace internal {

inline const absl::Status& GetStatus(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

MATCHER(IsOkMatcher, "is OK") {
  const absl::Status& status = GetStatus(arg);
  if (!status.ok()) *result_listener << "which is " << status;
  return status.ok();
}

MATCHER_P2(StatusIsMatcher, code, message_matcher,
           "has code " + absl::StatusCodeToString(code) + " and a message that " +
               ::testing::DescribeMatcher<std::string>(message_matcher)) {
  const absl::Status& status = GetStatus(arg);
  *result_listener << "which is " << status;
  return status.code() == code &&
         ::testing::Matches(message_matcher)(std::string(status.message()));
}

MATCHER_P(IsOkAndHoldsMatcher, value_matcher, "is OK and holds a matching value") {
  if (!arg.ok()) {
    *result_listener << "which is " << arg.status();
    return false;
  }
  return ::testing::ExplainMatchResult(value_matcher, *arg, result_listener);
}

}  // namespace internal

inline auto IsOk() { return internal::IsOkMatcher(); }

template <typename MessageMatcher>
auto StatusIs(absl::StatusCode code, MessageMatcher message_matcher) {
  return internal::StatusIsMatcher(code,
                                   ::testing::MatcherCast<std::string>(message_matcher));
}

inline auto StatusIs(absl::StatusCode code) { return StatusIs(code, ::testing::_); }

template <typename ValueMatcher>
auto IsOkAndHolds(ValueMatcher value_matcher) {
  return internal::IsOkAndHoldsMatcher(value_matcher);
}

}  // namespace hallmark::testing

#define EXPECT_OK(expr) EXPECT_THAT((expr), ::hallmark::testing::IsOk())
#define ASSERT_OK(expr) ASSERT_THAT((expr), ::hallmark::testing::IsOk())

#define HM_TESTING_CONCAT_INNER_(x, y) x##y
#define HM_TESTING_CONCAT_(x, y) HM_TESTING_CONCAT_INNER_(x, y)

// ASSERT_OK_AND_ASSIGN(lhs, expr): asserts `expr` (an absl::StatusOr<T>) is OK and moves its
// value into `lhs`.
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  ASSERT_OK_AND_ASSIGN_IMPL_(HM_TESTING_CONCAT_(hm_statusor_, __LINE__), lhs, expr)
#define ASSERT_OK_AND_ASSIGN_IMPL_(statusor, lhs, expr)   \
  auto statusor = (expr);                                 \
  ASSERT_TRUE(statusor.ok()) << statusor.status();        \
  lhs = std::move(statusor).value()

#endif  // HALLMARK_BASE_TESTING_STATUS_MATCHERS_H_
