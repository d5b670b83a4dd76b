#include "oci/auth_challenge.h"

#include <string>
#include <vector>

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hallmark::oci {
namespace {

using ::hallmark::testing::StatusIs;
using ::testing::HasSubstr;

TEST(AuthChallengeTest, DistributionBearer) {
  ASSERT_OK_AND_ASSIGN(
      std::vector<AuthChallenge> c,
      ParseAuthChallenges(
          R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push")"));
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "bearer");
  EXPECT_EQ(c[0].Param("realm"), "https://auth.docker.io/token");
  EXPECT_EQ(c[0].Param("service"), "registry.docker.io");
  EXPECT_EQ(c[0].Param("scope"), "repository:samalba/my-app:pull,push");
  EXPECT_EQ(c[0].Param("error"), std::nullopt);
}

TEST(AuthChallengeTest, BasicAndCaseAndSpacing) {
  ASSERT_OK_AND_ASSIGN(std::vector<AuthChallenge> c,
                       ParseAuthChallenges(R"(BASIC  Realm = "lab realm" ,  charset=UTF-8)"));
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "basic");
  EXPECT_EQ(c[0].Param("realm"), "lab realm");
  EXPECT_EQ(c[0].Param("charset"), "UTF-8");
}

TEST(AuthChallengeTest, SeveralChallengesInOneField) {
  ASSERT_OK_AND_ASSIGN(
      std::vector<AuthChallenge> c,
      ParseAuthChallenges(
          R"(Basic realm="a", Bearer realm="https://t/x",error="insufficient_scope", Negotiate)"));
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].scheme, "basic");
  EXPECT_EQ(c[1].scheme, "bearer");
  EXPECT_EQ(c[1].Param("error"), "insufficient_scope");
  EXPECT_EQ(c[2].scheme, "negotiate");
  EXPECT_TRUE(c[2].params.empty());
}

TEST(AuthChallengeTest, QuotedPairs) {
  ASSERT_OK_AND_ASSIGN(std::vector<AuthChallenge> c,
                       ParseAuthChallenges(R"(Bearer realm="a\"b\\c")"));
  EXPECT_EQ(c[0].Param("realm"), "a\"b\\c");
}

TEST(AuthChallengeTest, SeveralFields) {
  ASSERT_OK_AND_ASSIGN(std::vector<AuthChallenge> c,
                       ParseAuthChallengeHeaders({"Basic realm=\"x\"", "Bearer realm=\"y\""}));
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[1].Param("realm"), "y");
}

class MalformedTest : public ::testing::TestWithParam<std::string> {};

TEST_P(MalformedTest, Rejected) {
  EXPECT_THAT(ParseAuthChallenges(GetParam()), StatusIs(absl::StatusCode::kInvalidArgument,
                                                        HasSubstr("malformed WWW-Authenticate")));
}

INSTANTIATE_TEST_SUITE_P(Table, MalformedTest,
                         ::testing::Values("", "   ", "Bearer realm=\"unterminated",
                                           "Bearer realm=\"a\" service=\"b\"",
                                           "Bearer realm=\"a\",realm=\"b\"", "Bearer=x",
                                           "Bearer realm=", "Bearer realm=\"a\x01\"",
                                           "Bearer realm=\"a\r\nX: y\"",
                                           "Negotiate abc==", "Bearer realm=\"x\",=y",
                                           std::string(9000, 'a'), "Bearer realm=\"x\"\x7f"));

TEST(AuthChallengeTest, TooManyParams) {
  std::string header = "Bearer ";
  for (int i = 0; i < 40; ++i) header += "p" + std::to_string(i) + "=v,";
  EXPECT_THAT(ParseAuthChallenges(header),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("too many auth-params")));
}

}  // namespace
}  // namespace hallmark::oci
