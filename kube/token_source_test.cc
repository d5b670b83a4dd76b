#include "kube/token_source.h"

#include <string>

#include "base/clock.h"
#include "base/testing/fixtures.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hallmark::kube {
namespace {

using ::hallmark::testing::StatusIs;
using ::hallmark::testing::TempDir;
using ::hallmark::testing::WriteFileOrDie;

std::string View(const absl::StatusOr<SecretData>& s) {
  return s.ok() ? std::string(s->InsecureView()) : "<error>";
}

TEST(TokenSourceTest, StaticTokenIsTrimmed) {
  auto source = TokenSource::Static(SecretData(" abc \n"));
  EXPECT_EQ(View(source->Token()), "abc");
  EXPECT_FALSE(source->Invalidate(absl::InfiniteFuture()));
  EXPECT_FALSE(source->file_backed());
}

TEST(TokenSourceTest, FileIsReReadAfterThePeriodOnly) {
  FakeClock clock;
  std::string path = TempDir() + "/token";
  WriteFileOrDie(path, "first\n");
  ASSERT_OK_AND_ASSIGN(auto source, TokenSource::FromFile(path, clock));
  EXPECT_EQ(View(source->Token()), "first");
  WriteFileOrDie(path, "second\n");
  clock.Advance(absl::Seconds(59));
  EXPECT_EQ(View(source->Token()), "first");
  clock.Advance(absl::Seconds(1));
  EXPECT_EQ(View(source->Token()), "second");
}

TEST(TokenSourceTest, UnauthorizedDropsATokenReadBeforeTheRequest) {
  FakeClock clock;
  std::string path = TempDir() + "/token";
  WriteFileOrDie(path, "old");
  ASSERT_OK_AND_ASSIGN(auto source, TokenSource::FromFile(path, clock));
  clock.Advance(absl::Seconds(1));
  absl::Time request_start = clock.Now();
  WriteFileOrDie(path, "new");
  EXPECT_TRUE(source->Invalidate(request_start));
  EXPECT_EQ(View(source->Token()), "new");
}

TEST(TokenSourceTest, UnauthorizedKeepsATokenReadAfterTheRequestStarted) {
  FakeClock clock;
  std::string path = TempDir() + "/token";
  WriteFileOrDie(path, "one");
  absl::Time request_start = clock.Now() - absl::Seconds(5);
  ASSERT_OK_AND_ASSIGN(auto source, TokenSource::FromFile(path, clock));
  WriteFileOrDie(path, "two");
  EXPECT_TRUE(source->Invalidate(request_start));
  EXPECT_EQ(View(source->Token()), "one");  // already fresher than the failed request
}

TEST(TokenSourceTest, FailedReReadKeepsTheLastToken) {
  FakeClock clock;
  std::string path = TempDir() + "/token";
  WriteFileOrDie(path, "keep");
  ASSERT_OK_AND_ASSIGN(auto source, TokenSource::FromFile(path, clock));
  WriteFileOrDie(path, "  \n");  // a rewrite caught half-way: empty
  clock.Advance(absl::Minutes(2));
  EXPECT_EQ(View(source->Token()), "keep");
  WriteFileOrDie(path, "fresh");
  EXPECT_EQ(View(source->Token()), "fresh");  // retried on the very next call
}

TEST(TokenSourceTest, BadFilesAreClearErrorsWithoutContents) {
  FakeClock clock;
  std::string dir = TempDir();
  EXPECT_THAT(TokenSource::FromFile(dir + "/missing", clock),
              StatusIs(absl::StatusCode::kNotFound));
  WriteFileOrDie(dir + "/empty", "\n");
  EXPECT_THAT(TokenSource::FromFile(dir + "/empty", clock),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("empty")));
  WriteFileOrDie(dir + "/twolines", "secret-part-one\nsecret-part-two");
  absl::StatusOr<std::unique_ptr<TokenSource>> s = TokenSource::FromFile(dir + "/twolines", clock);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(s.status().message()), ::testing::Not(::testing::HasSubstr("secret")));
  WriteFileOrDie(dir + "/big", std::string(kMaxTokenBytes + 1, 'a'));
  EXPECT_THAT(TokenSource::FromFile(dir + "/big", clock),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace hallmark::kube
