#include "verifier/policy/conditions.h"

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hallmark::verifier::policy {
namespace {

using json = nlohmann::json;

ConditionResult Eval(const std::string& conditions, const json& predicate) {
  absl::StatusOr<std::vector<AnyAllConditions>> c = ParseConditions(json::parse(conditions), "c");
  EXPECT_OK(c.status());
  EvalContext ctx;
  ctx.predicate = &predicate;
  return EvaluateConditions(c.ok() ? *c : std::vector<AnyAllConditions>{}, ctx);
}

const json kPredicate = json::parse(R"({"repo":{"uri":"https://github.com/example/my-project",
  "branch":"main"},"reviewers":["mailto:bob@example.com"],"count":3,"ok":true,"list":[1,2]})");

TEST(ConditionsTest, VariablesResolveAgainstThePredicate) {
  EXPECT_EQ(ResolveVariable(" repo.uri ", {&kPredicate}), "https://github.com/example/my-project");
  EXPECT_EQ(ResolveVariable("reviewers[0]", {&kPredicate}), "mailto:bob@example.com");
  EXPECT_EQ(ResolveVariable("\"repo\".branch", {&kPredicate}), "main");
  EXPECT_TRUE(ResolveVariable("repo.nope", {&kPredicate}).is_null());
  EXPECT_TRUE(ResolveVariable("list[9]", {&kPredicate}).is_null());
}

TEST(ConditionsTest, AllAnyAndMessages) {
  EXPECT_TRUE(
      Eval(
          R"([{"all":[{"key":"{{ repo.uri }}","operator":"Equals","value":"https://github.com/example/my-project"},
                               {"key":"{{ repo.branch }}","operator":"Equals","value":"main"}]}])",
          kPredicate)
          .passed);
  ConditionResult r = Eval(
      R"([{"all":[{"key":"{{ repo.branch }}","operator":"Equals","value":"dev","message":"not dev"},
                                       {"key":"x","operator":"Equals","value":"x","message":"never reached"}]}])",
      kPredicate);
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.message, "not dev");
  r = Eval(R"([{"any":[{"key":"a","operator":"Equals","value":"b","message":"m1"},
                       {"key":"a","operator":"Equals","value":"c","message":"m2"}]}])",
           kPredicate);
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.message, "m1; m2");
  EXPECT_TRUE(
      Eval(
          R"([{"any":[{"key":"a","operator":"Equals","value":"b"},{"key":"a","operator":"Equals","value":"a"}]}])",
          kPredicate)
          .passed);
  EXPECT_FALSE(Eval(R"([{"any":[]}])", kPredicate).passed);  // an empty any never passes
  EXPECT_FALSE(
      Eval(R"([{"all":[]}, {"all":[{"key":"1","operator":"Equals","value":"2"}]}])", kPredicate)
          .passed);
}

TEST(ConditionsTest, Operators) {
  struct Case {
    const char* key;
    const char* op;
    const char* value;
    bool want;
  };
  const Case cases[] = {
      {"\"{{ repo.branch }}\"", "equals", "\"ma*\"", true},
      {"\"{{ repo.branch }}\"", "NotEquals", "\"main\"", false},
      {"\"prefix-{{ repo.branch }}\"", "Equals", "\"prefix-main\"", true},
      {"\"{{ count }}\"", "Equals", "3", true},
      {"\"{{ count }}\"", "Equals", "\"3\"", true},
      {"\"{{ count }}\"", "GreaterThan", "2", true},
      {"\"{{ count }}\"", "LessThanOrEquals", "\"2.5\"", false},
      {"\"{{ ok }}\"", "Equals", "true", true},
      {"\"{{ ok }}\"", "Equals", "\"true\"", false},
      {"\"{{ reviewers }}\"", "AnyIn", "[\"mailto:*@example.com\"]", true},
      {"\"{{ reviewers }}\"", "AllNotIn", "[\"mailto:eve@x\"]", true},
      {"\"{{ list }}\"", "AllIn", "[1, 2, 3]", true},
      {"\"{{ list }}\"", "AnyNotIn", "[1, 2]", false},
      {"\"{{ missing }}\"", "Equals", "\"\"", false},
      {"\"{{ missing }}\"", "NotEquals", "\"x\"", false},
      {"\"{{ repo }}\"", "Equals",
       "{\"uri\":\"https://github.com/example/my-project\",\"branch\":\"main\"}", true},
  };
  for (const Case& c : cases) {
    std::string conds = std::string(R"([{"all":[{"key":)") + c.key + R"(,"operator":")" + c.op +
                        R"(","value":)" + c.value + "}]}]";
    EXPECT_EQ(Eval(conds, kPredicate).passed, c.want) << conds;
  }
}

}  // namespace
}  // namespace hallmark::verifier::policy
