#include "verifier/policy/match.h"

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hallmark::verifier::policy {
namespace {

using json = nlohmann::json;

Rule RuleFrom(const std::string& match, const std::string& exclude = "null") {
  json p = {
      {"apiVersion", "kyverno.io/v1"},
      {"kind", "ClusterPolicy"},
      {"metadata",
       {{"name", "p"}, {"annotations", {{"pod-policies.kyverno.io/autogen-controllers", "none"}}}}},
      {"spec",
       {{"rules",
         json::array({{{"name", "r"},
                       {"match", json::parse(match)},
                       {"verifyImages", json::parse(R"([{"imageReferences":["*"]}])")}}})}}}};
  json ex = json::parse(exclude);
  if (!ex.is_null()) p["spec"]["rules"][0]["exclude"] = ex;
  absl::StatusOr<Policy> policy = ParsePolicy(p);
  EXPECT_OK(policy.status());
  return policy->rules[0];
}

RequestInfo Pod(const std::string& ns, const json& object = json::object()) {
  static json holder;
  holder = object;
  RequestInfo r;
  r.operation = "CREATE";
  r.version = "v1";
  r.kind = "Pod";
  r.ns = ns;
  r.name = "web-1";
  r.object = &holder;
  r.user = {"system:serviceaccount:ci:builder", {"system:serviceaccounts", "devs"}};
  return r;
}

TEST(MatchTest, KindsNamespacesNamesOperations) {
  Rule r =
      RuleFrom(R"({"any":[{"resources":{"kinds":["Pod"],"namespaces":["policy","prod-*"]}}]})");
  EXPECT_TRUE(RuleApplies(r, Pod("policy")));
  EXPECT_TRUE(RuleApplies(r, Pod("prod-eu")));
  EXPECT_FALSE(RuleApplies(r, Pod("default")));
  RequestInfo deploy = Pod("policy");
  deploy.group = "apps";
  deploy.kind = "Deployment";
  EXPECT_FALSE(RuleApplies(r, deploy));
  EXPECT_TRUE(
      RuleApplies(RuleFrom(R"({"any":[{"resources":{"kinds":["apps/v1/Deployment"]}}]})"), deploy));
  EXPECT_TRUE(
      RuleApplies(RuleFrom(R"({"any":[{"resources":{"kinds":["*/Deployment"]}}]})"), deploy));
  EXPECT_FALSE(
      RuleApplies(RuleFrom(R"({"any":[{"resources":{"kinds":["batch/*/Job"]}}]})"), deploy));
  EXPECT_TRUE(RuleApplies(
      RuleFrom(R"({"any":[{"resources":{"kinds":["Pod"],"names":["web-*"]}}]})"), Pod("x")));
  EXPECT_FALSE(RuleApplies(
      RuleFrom(R"({"any":[{"resources":{"kinds":["Pod"],"operations":["UPDATE"]}}]})"), Pod("x")));
  // The legacy form.
  EXPECT_TRUE(RuleApplies(RuleFrom(R"({"resources":{"kinds":["Pod"]}})"), Pod("x")));
}

TEST(MatchTest, SelectorsAnnotationsSubjects) {
  json labeled = {
      {"metadata",
       {{"labels", {{"app", "web"}, {"tier", "front"}}}, {"annotations", {{"team", "payments"}}}}}};
  EXPECT_TRUE(RuleApplies(RuleFrom(R"({"any":[{"resources":{"kinds":["Pod"],
      "selector":{"matchLabels":{"app":"w*"},"matchExpressions":[{"key":"tier","operator":"In","values":["front"]},
      {"key":"debug","operator":"DoesNotExist"}]}}}]})"),
                          Pod("x", labeled)));
  EXPECT_FALSE(RuleApplies(RuleFrom(R"({"any":[{"resources":{"kinds":["Pod"],
      "selector":{"matchExpressions":[{"key":"tier","operator":"NotIn","values":["front"]}]}}}]})"),
                           Pod("x", labeled)));
  EXPECT_TRUE(RuleApplies(
      RuleFrom(R"({"any":[{"resources":{"kinds":["Pod"],"annotations":{"team":"pay*"}}}]})"),
      Pod("x", labeled)));
  EXPECT_TRUE(RuleApplies(RuleFrom(R"({"any":[{"resources":{"kinds":["Pod"]},
      "subjects":[{"kind":"ServiceAccount","name":"builder","namespace":"ci"}]}]})"),
                          Pod("x")));
  EXPECT_TRUE(RuleApplies(
      RuleFrom(
          R"({"any":[{"resources":{"kinds":["Pod"]},"subjects":[{"kind":"Group","name":"devs"}]}]})"),
      Pod("x")));
  EXPECT_FALSE(RuleApplies(
      RuleFrom(
          R"({"any":[{"resources":{"kinds":["Pod"]},"subjects":[{"kind":"User","name":"alice"}]}]})"),
      Pod("x")));
}

TEST(MatchTest, AnyAllAndExclude) {
  Rule all =
      RuleFrom(R"({"all":[{"resources":{"kinds":["Pod"]}},{"resources":{"namespaces":["a"]}}]})");
  EXPECT_TRUE(RuleApplies(all, Pod("a")));
  EXPECT_FALSE(RuleApplies(all, Pod("b")));
  Rule excluded = RuleFrom(
      R"({"any":[{"resources":{"kinds":["Pod"]}}]})",
      R"({"any":[{"resources":{"namespaces":["kube-system"]}},{"resources":{"names":["skip-*"]}}]})");
  EXPECT_FALSE(RuleApplies(excluded, Pod("kube-system")));
  EXPECT_TRUE(RuleApplies(excluded, Pod("default")));
  Rule exclude_all = RuleFrom(
      R"({"any":[{"resources":{"kinds":["Pod"]}}]})",
      R"({"all":[{"resources":{"namespaces":["kube-system"]}},{"resources":{"names":["nope"]}}]})");
  EXPECT_TRUE(RuleApplies(exclude_all, Pod("kube-system")));
}

}  // namespace
}  // namespace hallmark::verifier::policy
