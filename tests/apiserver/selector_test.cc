#include "tests/apiserver/selector.h"

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hallmark::tests::apiserver {
namespace {

using ::hallmark::testing::StatusIs;
using ::testing::HasSubstr;

bool Match(const char* selector, const Labels& labels) {
  absl::StatusOr<LabelSelector> s = LabelSelector::Parse(selector);
  EXPECT_TRUE(s.ok()) << selector << ": " << s.status();
  return s.ok() && s->Matches(labels);
}

TEST(LabelSelector, EqualityBased) {
  Labels l = {{"app", "web"}, {"tier", "front"}};
  EXPECT_TRUE(Match("", l));
  EXPECT_TRUE(Match("app=web", l));
  EXPECT_TRUE(Match("app==web", l));
  EXPECT_FALSE(Match("app=db", l));
  EXPECT_TRUE(Match("app!=db", l));
  EXPECT_FALSE(Match("app!=web", l));
  // != also matches objects without the label.
  EXPECT_TRUE(Match("missing!=x", l));
  EXPECT_TRUE(Match("app=web,tier=front", l));
  EXPECT_FALSE(Match("app=web,tier=back", l));
  EXPECT_TRUE(Match(" app = web , tier = front ", l));
}

TEST(LabelSelector, SetBased) {
  Labels l = {{"env", "prod"}, {"n", "5"}};
  EXPECT_TRUE(Match("env in (prod,staging)", l));
  EXPECT_FALSE(Match("env in (dev)", l));
  EXPECT_TRUE(Match("env notin (dev)", l));
  EXPECT_FALSE(Match("env notin (prod)", l));
  EXPECT_TRUE(Match("other notin (x)", l));
  EXPECT_FALSE(Match("other in (x)", l));
  EXPECT_TRUE(Match("env", l));
  EXPECT_FALSE(Match("!env", l));
  EXPECT_TRUE(Match("!other", l));
  EXPECT_TRUE(Match("n>4", l));
  EXPECT_FALSE(Match("n>5", l));
  EXPECT_TRUE(Match("n<6", l));
  EXPECT_TRUE(Match("env in (prod),!other,n>1", l));
  EXPECT_TRUE(
      Match("tekton.dev/pipelineTask in (build, test)", {{"tekton.dev/pipelineTask", "test"}}));
}

TEST(LabelSelector, Errors) {
  EXPECT_THAT(LabelSelector::Parse("app="), ::hallmark::testing::IsOk());
  EXPECT_THAT(
      LabelSelector::Parse("app in prod"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unable to parse requirement")));
  EXPECT_THAT(LabelSelector::Parse("=x"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(LabelSelector::Parse("a b"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(LabelSelector::Parse("bad key=x"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(LabelSelector::Parse("-bad=x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("name part must consist of")));
  EXPECT_THAT(LabelSelector::Parse("a=-x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("a valid label must be")));
  EXPECT_THAT(LabelSelector::Parse("n>x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must be an integer")));
}

TEST(LabelSelector, FromJson) {
  auto sel = LabelSelector::FromJson(nlohmann::json::parse(
      R"({"matchLabels":{"a":"b"},"matchExpressions":[{"key":"c","operator":"NotIn","values":["d"]},
         {"key":"e","operator":"Exists"}]})"));
  ASSERT_TRUE(sel.ok()) << sel.status();
  EXPECT_TRUE(sel->Matches({{"a", "b"}, {"e", ""}}));
  EXPECT_FALSE(sel->Matches({{"a", "b"}, {"c", "d"}, {"e", ""}}));
  EXPECT_FALSE(sel->Matches({{"a", "b"}}));
  auto everything = LabelSelector::FromJson(nlohmann::json());
  ASSERT_TRUE(everything.ok());
  EXPECT_TRUE(everything->Matches({}));
  EXPECT_THAT(LabelSelector::FromJson(
                  nlohmann::json::parse(R"({"matchExpressions":[{"key":"c","operator":"Near"}]})")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Near")));
}

TEST(FieldSelector, ParseAndMatch) {
  std::map<std::string, std::string> f = {{"metadata.name", "x"}, {"metadata.namespace", "ns"}};
  auto s = FieldSelector::Parse("metadata.name=x,metadata.namespace!=other");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->Matches(f));
  auto t = FieldSelector::Parse("metadata.name==y");
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(t->Matches(f));
  auto escaped = FieldSelector::Parse(R"(reason=a\,b\=c)");
  ASSERT_TRUE(escaped.ok()) << escaped.status();
  EXPECT_TRUE(escaped->Matches({{"reason", "a,b=c"}}));
  EXPECT_THAT(FieldSelector::Parse("metadata.name"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("can't understand")));
  EXPECT_TRUE(FieldSelector::Parse("")->Empty());
}

TEST(Validation, Dns1123AndQualifiedNames) {
  EXPECT_TRUE(IsDns1123Subdomain("tekton-chains.example.com").empty());
  EXPECT_THAT(IsDns1123Subdomain("Upper"),
              ::testing::ElementsAre(HasSubstr("a lowercase RFC 1123 subdomain")));
  EXPECT_THAT(IsDns1123Label("a.b"), ::testing::ElementsAre("must not contain dots"));
  EXPECT_TRUE(IsQualifiedName("chains.tekton.dev/signed").empty());
  EXPECT_THAT(IsQualifiedName("a/b/c"), ::testing::ElementsAre(HasSubstr("a qualified name")));
  EXPECT_THAT(IsQualifiedName(std::string(64, 'a')),
              ::testing::ElementsAre("name part must be no more than 63 characters"));
  EXPECT_TRUE(IsValidLabelValue("").empty());
}

}  // namespace
}  // namespace hallmark::tests::apiserver
