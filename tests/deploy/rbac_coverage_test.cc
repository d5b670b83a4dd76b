// Unit tests of the request -> RBAC attribute mapping and the RBAC evaluator, and the check of
// deploy/agent's and deploy/webhook's rules against request logs.
#include "tests/deploy/rbac_coverage.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/testing/fixtures.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/deploy/rbac_policy.h"
#include "tests/deploy/request_attributes.h"

namespace hallmark::tests::deploy {
namespace {

using ::hallmark::testing::ReadFileOrDie;
using ::hallmark::testing::RunfilePath;
using ::hallmark::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

RequestAttributes Attr(const std::string& method, const std::string& target) {
  absl::StatusOr<RequestAttributes> a = AttributesFromHttp(method, target);
  EXPECT_TRUE(a.ok()) << method << " " << target << ": " << a.status();
  return a.ok() ? *a : RequestAttributes{};
}

TEST(AttributesFromHttp, CollectionsListWatchAndDeleteCollection) {
  RequestAttributes list = Attr("GET", "/apis/tekton.dev/v1/taskruns?limit=500");
  EXPECT_TRUE(list.resource_request);
  EXPECT_EQ(list.verb, "list");
  EXPECT_EQ(list.api_group, "tekton.dev");
  EXPECT_EQ(list.api_version, "v1");
  EXPECT_EQ(list.resource, "taskruns");
  EXPECT_EQ(list.namespace_, "");
  EXPECT_EQ(list.name, "");

  EXPECT_EQ(Attr("GET", "/apis/tekton.dev/v1/taskruns?resourceVersion=4&watch=true").verb, "watch");
  EXPECT_EQ(Attr("GET", "/apis/tekton.dev/v1/taskruns?watch=1").verb, "watch");
  EXPECT_EQ(Attr("GET", "/apis/tekton.dev/v1/taskruns?watch=false").verb, "list");
  RequestAttributes legacy = Attr("GET", "/api/v1/watch/namespaces/ci/events");
  EXPECT_EQ(legacy.verb, "watch");
  EXPECT_EQ(legacy.resource, "events");
  EXPECT_EQ(legacy.namespace_, "ci");
  EXPECT_EQ(Attr("DELETE", "/api/v1/namespaces/ci/configmaps").verb, "deletecollection");
}

TEST(AttributesFromHttp, ObjectsAndSubresources) {
  RequestAttributes get = Attr("GET", "/api/v1/namespaces/tekton-chains/secrets/signing-secrets");
  EXPECT_EQ(get.verb, "get");
  EXPECT_EQ(get.api_group, "");
  EXPECT_EQ(get.resource, "secrets");
  EXPECT_EQ(get.namespace_, "tekton-chains");
  EXPECT_EQ(get.name, "signing-secrets");

  RequestAttributes status = Attr("PATCH", "/apis/tekton.dev/v1/namespaces/ci/taskruns/b-1/status");
  EXPECT_EQ(status.verb, "patch");
  EXPECT_EQ(status.subresource, "status");
  EXPECT_EQ(status.name, "b-1");

  EXPECT_EQ(Attr("POST", "/api/v1/namespaces/ci/events").verb, "create");
  EXPECT_EQ(Attr("PUT", "/apis/coordination.k8s.io/v1/namespaces/x/leases/l").verb, "update");
  EXPECT_EQ(Attr("DELETE", "/apis/kyverno.io/v1/clusterpolicies/p").verb, "delete");
}

TEST(AttributesFromHttp, NamespaceObjectsAreTheirOwnNamespace) {
  RequestAttributes ns = Attr("GET", "/api/v1/namespaces/policy");
  EXPECT_EQ(ns.resource, "namespaces");
  EXPECT_EQ(ns.name, "policy");
  EXPECT_EQ(ns.namespace_, "policy");
  RequestAttributes finalize = Attr("PUT", "/api/v1/namespaces/policy/finalize");
  EXPECT_EQ(finalize.resource, "namespaces");
  EXPECT_EQ(finalize.subresource, "finalize");
  EXPECT_EQ(Attr("GET", "/api/v1/namespaces").verb, "list");
}

TEST(AttributesFromHttp, FieldSelectorOnNameNamesTheObject) {
  RequestAttributes w = Attr("GET",
                             "/api/v1/namespaces/tekton-chains/"
                             "configmaps?fieldSelector=metadata.name%3Dchains-config&watch=true");
  EXPECT_EQ(w.verb, "watch");
  EXPECT_EQ(w.name, "chains-config");
  EXPECT_EQ(Attr("GET", "/api/v1/namespaces/a/configmaps?fieldSelector=metadata.name==x").name,
            "x");
}

TEST(AttributesFromHttp, NonResourcePathsNeedNoRule) {
  for (const char* path : {"/version", "/api", "/api/v1", "/apis", "/apis/tekton.dev/v1",
                           "/openapi/v3", "/healthz", "/__hallmark/log"}) {
    RequestAttributes a = Attr("GET", path);
    EXPECT_FALSE(a.resource_request) << path;
    EXPECT_EQ(a.verb, "get") << path;
  }
}

TEST(AttributesFromHttp, RejectsWhatTheApiServerWouldNotRoute) {
  EXPECT_THAT(AttributesFromHttp("TRACE", "/api/v1/namespaces/a/pods"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("TRACE")));
  EXPECT_THAT(AttributesFromHttp("PATCH", "/apis/tekton.dev/v1/namespaces/a/taskruns"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("without an object name")));
  EXPECT_THAT(AttributesFromHttp("GET", "api/v1/pods"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(AttributesFromHttp("POST", "/api/v1/watch/namespaces/a/pods"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(AttributesFromHttp("GET", "/api/v1/namespaces/a/pods/p/log/extra"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("too many")));
}

TEST(ParseRequestLog, ReadsJsonLinesWithTheirVariants) {
  ASSERT_OK_AND_ASSIGN(
      std::vector<LoggedRequest> log,
      ParseRequestLog("{\"method\":\"GET\",\"path\":\"/api/v1/namespaces\",\"query\":\"?limit=5\","
                      "\"userAgent\":\"kubectl\",\"status\":200}\n\n"
                      "{\"method\":\"PATCH\",\"path\":\"/a?x=1\",\"query\":\"y=2\"}\n"));
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].target, "/api/v1/namespaces?limit=5");
  EXPECT_EQ(log[0].user_agent, "kubectl");
  EXPECT_EQ(log[0].status, 200);
  EXPECT_EQ(log[1].target, "/a?x=1");  // a query already in the path wins
  EXPECT_EQ(log[1].status, 0);
  EXPECT_FALSE(log[0].has_server_view);
}

TEST(ParseRequestLog, KeepsTheServersOwnView) {
  ASSERT_OK_AND_ASSIGN(
      std::vector<LoggedRequest> log,
      ParseRequestLog(
          R"({"seq":3,"method":"PATCH","path":"/apis/tekton.dev/v1/namespaces/ci/taskruns/b/status",)"
          R"("query":"","userAgent":"k","status":200,"verb":"patch","apiGroup":"tekton.dev",)"
          R"("resource":"taskruns","subresource":"status","namespace":"ci","name":"b"})"));
  ASSERT_EQ(log.size(), 1u);
  ASSERT_TRUE(log[0].has_server_view);
  EXPECT_EQ(log[0].server_view.DebugString(), "patch tekton.dev/taskruns/status ci/b");
  EXPECT_EQ(Attr(log[0].method, log[0].target).DebugString(), log[0].server_view.DebugString());
}

TEST(ParseRequestLog, NamesTheBadLine) {
  EXPECT_THAT(ParseRequestLog("{\"method\":\"GET\",\"path\":\"/v\"}\nnot json\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 2")));
  EXPECT_THAT(ParseRequestLog("{\"method\":1,\"path\":\"/v\"}"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"method\"")));
  EXPECT_THAT(ParseRequestLog("[1]"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseRequestLog(
                  "{\"method\":\"GET\",\"path\":\"/v\"}\n{\"method\":\"GET\",\"path\":\"/v\"}", 1),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

constexpr char kPolicy[] = R"yaml(
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: runs}
rules:
  - apiGroups: ["tekton.dev"]
    resources: ["taskruns", "*/status"]
    verbs: ["get", "list"]
  - nonResourceURLs: ["/metrics", "/debug/*"]
    verbs: ["get"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: runs}
subjects: [{kind: ServiceAccount, name: sa, namespace: home}]
roleRef: {kind: ClusterRole, name: runs, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: key, namespace: home}
rules:
  - apiGroups: [""]
    resources: ["secrets"]
    resourceNames: ["signing-secrets"]
    verbs: ["get", "create"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: key, namespace: home}
subjects: [{kind: ServiceAccount, name: sa}]
roleRef: {kind: Role, name: key, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: events-in-ci, namespace: ci}
subjects: [{kind: ServiceAccount, name: sa, namespace: home}]
roleRef: {kind: ClusterRole, name: events, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: events}
rules:
  - apiGroups: [""]
    resources: ["events"]
    verbs: ["*"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: dangling, namespace: home}
subjects: [{kind: ServiceAccount, name: sa, namespace: home}]
roleRef: {kind: Role, name: does-not-exist, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: ignored}
)yaml";

TEST(RbacPolicy, EvaluatesLikeTheRbacAuthorizer) {
  ASSERT_OK_AND_ASSIGN(RbacPolicy policy, RbacPolicy::Parse(kPolicy));
  Subject sa{"home", "sa"};
  Subject other{"home", "other"};
  EXPECT_TRUE(policy.Allows(sa, Attr("GET", "/apis/tekton.dev/v1/taskruns")));
  EXPECT_TRUE(policy.Allows(sa, Attr("GET", "/apis/tekton.dev/v1/namespaces/x/taskruns/t")));
  EXPECT_FALSE(policy.Allows(other, Attr("GET", "/apis/tekton.dev/v1/taskruns")));
  EXPECT_FALSE(policy.Allows(sa, Attr("GET", "/apis/tekton.dev/v1/taskruns?watch=true")));
  EXPECT_FALSE(policy.Allows(sa, Attr("GET", "/apis/tekton.dev/v1/pipelineruns")));
  // "*/status" matches the status subresource of any resource in the group, not the resource.
  EXPECT_TRUE(
      policy.Allows(sa, Attr("GET", "/apis/tekton.dev/v1/namespaces/x/pipelineruns/p/status")));
  EXPECT_FALSE(policy.Allows(sa, Attr("GET", "/apis/tekton.dev/v1/namespaces/x/pipelineruns/p")));
  // resourceNames: only that object, never create (no name is known when authorising a create).
  EXPECT_TRUE(policy.Allows(sa, Attr("GET", "/api/v1/namespaces/home/secrets/signing-secrets")));
  EXPECT_FALSE(policy.Allows(sa, Attr("GET", "/api/v1/namespaces/home/secrets/other")));
  EXPECT_FALSE(policy.Allows(sa, Attr("GET", "/api/v1/namespaces/home/secrets")));
  EXPECT_FALSE(policy.Allows(sa, Attr("POST", "/api/v1/namespaces/home/secrets")));
  // A Role applies in its namespace only.
  EXPECT_FALSE(policy.Allows(sa, Attr("GET", "/api/v1/namespaces/ci/secrets/signing-secrets")));
  // A ClusterRole bound by a RoleBinding applies in the RoleBinding's namespace only.
  EXPECT_TRUE(policy.Allows(sa, Attr("POST", "/api/v1/namespaces/ci/events")));
  EXPECT_FALSE(policy.Allows(sa, Attr("POST", "/api/v1/namespaces/home/events")));
  EXPECT_FALSE(policy.Allows(sa, Attr("GET", "/api/v1/events")));
  // Non-resource URLs, exact and by prefix.
  EXPECT_TRUE(policy.Allows(sa, Attr("GET", "/metrics")));
  EXPECT_TRUE(policy.Allows(sa, Attr("GET", "/debug/pprof")));
  EXPECT_FALSE(policy.Allows(sa, Attr("GET", "/healthz")));
}

TEST(RbacPolicy, ReportsGrantsNoRequestUsed) {
  ASSERT_OK_AND_ASSIGN(RbacPolicy policy, RbacPolicy::Parse(kPolicy));
  std::vector<RequestAttributes> used = {
      Attr("GET", "/apis/tekton.dev/v1/taskruns"),
      Attr("GET", "/api/v1/namespaces/home/secrets/signing-secrets"),
      Attr("POST", "/api/v1/namespaces/ci/events"),
      Attr("GET", "/metrics"),
      // Out of scope for the Role in `home`: does not use it.
      Attr("GET", "/api/v1/namespaces/other/secrets/signing-secrets"),
  };
  EXPECT_THAT(
      policy.UnusedGrants({"home", "sa"}, used),
      ElementsAre("create core/secrets [signing-secrets] in home", "get core//debug/* in cluster",
                  "get tekton.dev/*/status in cluster", "get tekton.dev/taskruns in cluster",
                  "list tekton.dev/*/status in cluster"));
}

TEST(RbacPolicy, RejectsMalformedRbacObjects) {
  EXPECT_THAT(RbacPolicy::Parse("a: [b"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("YAML")));
  EXPECT_THAT(RbacPolicy::Parse("apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\n"
                                "metadata: {name: r}\nrules: []\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("namespace")));
  EXPECT_THAT(RbacPolicy::Parse("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\n"
                                "metadata: {name: r}\nrules: [{resources: [a]}]\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("verbs")));
  EXPECT_THAT(
      RbacPolicy::Parse("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n"
                        "metadata: {name: b}\nroleRef: {kind: Role, name: r}\n"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("roleRef")));
  EXPECT_THAT(RbacPolicy::Parse("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\n"
                                "metadata: {name: r}\nrules: [{verbs: get}]\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must be a list")));
}

// deploy/agent's RBAC as shipped.
RbacPolicy AgentPolicy() {
  absl::StatusOr<RbacPolicy> p =
      RbacPolicy::Parse(ReadFileOrDie(RunfilePath("deploy/agent/rbac.yaml")));
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *p : RbacPolicy();
}

const Subject kAgent{"tekton-chains", "tekton-chains-controller"};

TEST(AgentRbac, CoversTheRecordedSampleAndNothingIsUnused) {
  ASSERT_OK_AND_ASSIGN(
      std::vector<LoggedRequest> log,
      ParseRequestLog(ReadFileOrDie(RunfilePath("tests/deploy/testdata/agent_request_log.jsonl"))));
  ASSERT_OK_AND_ASSIGN(CoverageReport report,
                       CheckCoverage(AgentPolicy(), kAgent, log, "hallmark-agent"));
  EXPECT_EQ(report.checked, 23u);  // 27 lines: the 4 kubectl requests are not checked
  EXPECT_THAT(report.uncovered, IsEmpty()) << absl::StrJoin(report.uncovered, "\n");
  EXPECT_THAT(report.unused, IsEmpty()) << absl::StrJoin(report.unused, "\n");
}

TEST(AgentRbac, DeniesWhatTheAgentMustNotDo) {
  RbacPolicy policy = AgentPolicy();
  for (const auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/api/v1/namespaces/ci/secrets/registry-creds"},  // secrets of tenants
           {"GET", "/api/v1/secrets"},                               // secrets cluster-wide
           {"GET", "/api/v1/namespaces/tekton-chains/secrets/signing-secrets"},  // it is mounted
           {"POST", "/apis/tekton.dev/v1/namespaces/ci/taskruns"},
           {"PUT", "/apis/tekton.dev/v1/namespaces/ci/taskruns/b-1"},
           {"DELETE", "/apis/tekton.dev/v1/namespaces/ci/taskruns/b-1"},
           {"PATCH", "/apis/tekton.dev/v1/namespaces/ci/taskruns/b-1/status"},
           {"GET", "/api/v1/namespaces/ci/pods"},
           {"PATCH", "/api/v1/namespaces/tekton-chains/configmaps/chains-config"},
           {"DELETE",
            "/apis/coordination.k8s.io/v1/namespaces/tekton-chains/leases/hallmark-agent"},
           {"GET", "/apis/coordination.k8s.io/v1/namespaces/ci/leases/x"},
       }) {
    EXPECT_FALSE(policy.Allows(kAgent, Attr(method, target))) << method << " " << target;
  }
}

TEST(AgentRbac, ReportsAnUncoveredRequest) {
  std::vector<LoggedRequest> log(2);
  for (LoggedRequest& r : log) {
    r.method = "GET";
    r.target = "/api/v1/namespaces/ci/serviceaccounts/default";
  }
  log[0].user_agent = "hallmark/0.1";
  log[1].user_agent = "kubectl/1.32";
  ASSERT_OK_AND_ASSIGN(CoverageReport report,
                       CheckCoverage(AgentPolicy(), kAgent, log, "hallmark/"));
  EXPECT_EQ(report.checked, 1u);
  EXPECT_THAT(
      report.uncovered,
      ElementsAre(
          "GET /api/v1/namespaces/ci/serviceaccounts/default -> get serviceaccounts ci/default"));
}

// deploy/webhook's RBAC: what `hallmark webhook --kubeconfig` reads.
TEST(WebhookRbac, CoversPolicyWatchAndSecretsInItsNamespaceOnly) {
  ASSERT_OK_AND_ASSIGN(RbacPolicy policy,
                       RbacPolicy::Parse(ReadFileOrDie(RunfilePath("deploy/webhook/rbac.yaml"))));
  Subject webhook{"hallmark-system", "hallmark-webhook"};
  EXPECT_TRUE(policy.Allows(webhook, Attr("GET", "/apis/kyverno.io/v1/clusterpolicies?limit=500")));
  EXPECT_TRUE(
      policy.Allows(webhook, Attr("GET", "/apis/kyverno.io/v1/clusterpolicies?watch=true")));
  EXPECT_TRUE(
      policy.Allows(webhook, Attr("GET", "/apis/kyverno.io/v1/namespaces/a/policies?watch=true")));
  EXPECT_TRUE(policy.Allows(
      webhook, Attr("GET", "/api/v1/namespaces/hallmark-system/secrets/registry-credentials")));
  EXPECT_FALSE(policy.Allows(
      webhook, Attr("GET", "/api/v1/namespaces/tekton-chains/secrets/signing-secrets")));
  EXPECT_FALSE(policy.Allows(webhook, Attr("PATCH", "/apis/kyverno.io/v1/clusterpolicies/p")));
  EXPECT_FALSE(policy.Allows(webhook, Attr("GET", "/api/v1/namespaces/policy/pods")));
}

}  // namespace
}  // namespace hallmark::tests::deploy
