// Until `hallmark agent` exists (issue #6), this drives the agent's API access pattern with the
// REAL kube library it is built on (informers over runs cluster-wide and over chains-config and
// signing-secrets in tekton-chains, the re-read and annotation patch of a run, an Event, a Lease
// election) against hallmark-apiserver, and checks with the server's request log that
// deploy/agent's RBAC allows every request. It also cross-checks our request -> RBAC attribute
// mapping against the server's own for every logged request.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/testing/fixtures.h"
#include "base/testing/process.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kube/config.h"
#include "kube/event_recorder.h"
#include "kube/http_kube_client.h"
#include "kube/informer.h"
#include "kube/leader_elector.h"
#include "kube/resource.h"
#include "nlohmann/json.hpp"
#include "tests/deploy/rbac_coverage.h"
#include "tests/deploy/rbac_policy.h"
#include "tests/deploy/request_attributes.h"

namespace hallmark::tests::deploy {
namespace {

using ::hallmark::testing::BackgroundProcess;
using ::hallmark::testing::CommandResult;
using ::hallmark::testing::ReadFileOrDie;
using ::hallmark::testing::RunCommand;
using ::hallmark::testing::RunfilePath;
using ::hallmark::testing::TempDir;
using ::hallmark::testing::WriteFileOrDie;
using ::testing::IsEmpty;

constexpr char kKubectl[] = "/usr/lib/google-cloud-sdk/bin/kubectl.1.32";
constexpr char kAgentUserAgent[] = "hallmark-agent-pattern/1";

struct Named {
  std::string ns, name;
};

absl::StatusOr<Named> Project(const nlohmann::json& o) {
  if (!o.contains("metadata") || !o["metadata"].is_object()) {
    return absl::InvalidArgumentError("no metadata");
  }
  return Named{o["metadata"].value("namespace", ""), o["metadata"].value("name", "")};
}

TEST(AgentApiRbac, TheAgentsApiCallsAreAllowedByDeployAgentRbac) {
  std::string dir = TempDir();
  std::string log_file = dir + "/requests.jsonl";
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<BackgroundProcess> apiserver,
      BackgroundProcess::Start({RunfilePath("tests/apiserver/hallmark-apiserver"), "--listen",
                                "127.0.0.1:0", "--request-log", log_file},
                               dir + "/apiserver.log"));
  ASSERT_OK(apiserver->WaitForOutput("listening on http://", absl::Seconds(20)));
  std::string out = apiserver->Log();
  std::string url = out.substr(out.find("http://"));
  url = std::string(absl::StripAsciiWhitespace(url.substr(0, url.find('\n'))));

  // Install the agent's manifests and a completed TaskRun with kubectl, as a user would.
  std::string kubeconfig = dir + "/kubeconfig";
  WriteFileOrDie(kubeconfig, absl::StrCat("apiVersion: v1\nkind: Config\nclusters: [{name: l, "
                                          "cluster: {server: \"",
                                          url,
                                          "\"}}]\nusers: [{name: u, user: {}}]\ncontexts: "
                                          "[{name: l, context: {cluster: l, user: u}}]\n"
                                          "current-context: l\n"));
  auto kubectl = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {kKubectl, "--kubeconfig", kubeconfig, "--cache-dir", dir + "/c"});
    absl::StatusOr<CommandResult> r = RunCommand(args);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->exit_code, 0) << absl::StrJoin(args, " ") << "\n" << r->out << r->err;
  };
  // (kustomize refuses the symlinked runfiles tree: apply a real copy.)
  absl::StatusOr<CommandResult> cp = RunCommand({"cp", "-rL", RunfilePath("deploy"), dir});
  ASSERT_TRUE(cp.ok() && cp->exit_code == 0);
  kubectl({"apply", "-k", dir + "/deploy/agent"});
  if (::testing::Test::HasFailure()) return;
  std::string run = RunfilePath("deploy/examples/completed/taskrun.yaml");
  kubectl({"apply", "-f", run});
  kubectl({"patch", "-f", run, "--subresource=status", "--type=merge", "--patch-file=" + run});
  kubectl({"apply", "-f", RunfilePath("deploy/examples/completed/pipelinerun.yaml")});
  if (::testing::Test::HasFailure()) return;

  // The agent's side, through the kube library.
  kube::Config config;
  config.server = url;
  kube::ClientOptions options;
  options.user_agent = kAgentUserAgent;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<kube::HttpKubeClient> client,
                       kube::HttpKubeClient::New(config, options));
  std::vector<std::unique_ptr<kube::Informer<Named>>> informers;
  auto watch = [&](const kube::Resource& resource, std::vector<std::string> namespaces,
                   std::string field_selector) {
    kube::InformerOptions o;
    o.resource = resource;
    o.namespaces = std::move(namespaces);
    o.field_selector = std::move(field_selector);
    absl::StatusOr<std::unique_ptr<kube::Informer<Named>>> informer =
        kube::Informer<Named>::New(*client, o, Project, {});
    ASSERT_OK(informer.status());
    ASSERT_OK((*informer)->Start());
    informers.push_back(*std::move(informer));
  };
  watch(kube::TaskRunsV1(), {}, "");
  watch(kube::PipelineRunsV1(), {}, "");
  watch(kube::ConfigMaps(), {"tekton-chains"}, "metadata.name=chains-config");
  watch(kube::Secrets(), {"tekton-chains"}, "metadata.name=signing-secrets");
  for (const auto& informer : informers) ASSERT_TRUE(informer->WaitForSync(absl::Seconds(20)));
  ASSERT_NE(informers[0]->Get("default", "buildah-run-1"), nullptr);
  ASSERT_NE(informers[2]->Get("tekton-chains", "chains-config"), nullptr);

  // Re-read the run, mark it (optimistic concurrency), and record an Event on it.
  ASSERT_OK_AND_ASSIGN(nlohmann::json live,
                       client->Get(kube::TaskRunsV1(), "default", "buildah-run-1"));
  kube::PatchOptions precondition;
  precondition.resource_version = live["metadata"].value("resourceVersion", "");
  ASSERT_OK(client
                ->Patch(kube::TaskRunsV1(), "default", "buildah-run-1", kube::PatchType::kMerge,
                        R"({"metadata":{"annotations":{"chains.tekton.dev/signed":"true"}}})",
                        precondition)
                .status());
  // The same for the PipelineRun (attested once its children are signed).
  ASSERT_OK_AND_ASSIGN(nlohmann::json pr,
                       client->Get(kube::PipelineRunsV1(), "default", "build-and-sign-run-1"));
  precondition.resource_version = pr["metadata"].value("resourceVersion", "");
  ASSERT_OK(client
                ->Patch(kube::PipelineRunsV1(), "default", "build-and-sign-run-1",
                        kube::PatchType::kMerge,
                        R"({"metadata":{"annotations":{"chains.tekton.dev/signed":"true"}}})",
                        precondition)
                .status());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<kube::EventRecorder> events,
                       kube::EventRecorder::New(*client, "hallmark-agent"));
  ASSERT_OK(events
                ->Record(kube::ObjectReference::For(kube::TaskRunsV1(), live),
                         kube::EventType::kNormal, "Signed", "signed 1 image")
                .status());

  // Leader election: acquire (get, create), renew (update), release (update).
  kube::LeaderElectionOptions election;
  election.lease_namespace = "tekton-chains";
  election.lease_name = "hallmark-agent";
  election.identity = "agent-0";
  election.lease_duration = absl::Seconds(3);
  election.renew_deadline = absl::Seconds(2);
  election.retry_period = absl::Milliseconds(200);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<kube::LeaderElector> elector,
                       kube::LeaderElector::New(*client, election));
  ASSERT_OK(elector->Start());
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!elector->IsLeader() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(50));
  ASSERT_TRUE(elector->IsLeader());
  absl::SleepFor(absl::Milliseconds(500));  // a few renewals
  elector->Stop();
  for (auto& informer : informers) informer->Stop();
  apiserver->Stop();

  ASSERT_OK_AND_ASSIGN(std::vector<LoggedRequest> log, ParseRequestLog(ReadFileOrDie(log_file)));
  ASSERT_OK_AND_ASSIGN(RbacPolicy policy,
                       RbacPolicy::Parse(ReadFileOrDie(RunfilePath("deploy/agent/rbac.yaml"))));
  ASSERT_OK_AND_ASSIGN(
      CoverageReport report,
      CheckCoverage(policy, {"tekton-chains", "tekton-chains-controller"}, log, kAgentUserAgent));
  EXPECT_GE(report.checked, 12u);
  EXPECT_THAT(report.uncovered, IsEmpty()) << absl::StrJoin(report.uncovered, "\n");
  // Grants this pattern did not use (the real agent may, e.g. a get of the ConfigMap): reported,
  // and bounded to reads in the agent's own namespace.
  for (const std::string& grant : report.unused) {
    EXPECT_TRUE(absl::EndsWith(grant, " in tekton-chains")) << grant;
    std::cout << "not used by this pattern: " << grant << "\n";
  }

  // Our mapping of each request to RBAC attributes agrees with the server's own, for every
  // client (kubectl's requests included). Two refinements of kube-apiserver's RequestInfo that
  // hallmark-apiserver's log does not record are left out of the comparison: a request on a
  // Namespace object is in that namespace, and a list/watch with fieldSelector=metadata.name=X
  // names X.
  size_t compared = 0;
  for (const LoggedRequest& r : log) {
    if (!r.has_server_view) continue;
    ASSERT_OK_AND_ASSIGN(RequestAttributes ours, AttributesFromHttp(r.method, r.target));
    RequestAttributes theirs = r.server_view;
    if (ours.resource == "namespaces") theirs.namespace_ = ours.namespace_;
    if (ours.verb == "list" || ours.verb == "watch") theirs.name = ours.name;
    EXPECT_EQ(ours.DebugString(), theirs.DebugString()) << r.method << " " << r.target;
    ++compared;
  }
  EXPECT_GE(compared, report.checked);
}

}  // namespace
}  // namespace hallmark::tests::deploy
