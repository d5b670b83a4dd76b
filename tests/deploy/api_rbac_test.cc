// Until `hallmark agent` and `hallmark webhook` exist (issues #6, #7), this drives the agent's API
// access pattern with the REAL kube library it is built on (informers over runs cluster-wide and
// over chains-config and signing-secrets in tekton-chains, the re-read and annotation patch of a
// run, an Event, a Lease election) against hallmark-apiserver, and checks with the server's request
// log that deploy/agent's RBAC allows every request; the same for the webhook's reads (policies,
// Secrets) and deploy/webhook's RBAC. It also cross-checks our request -> RBAC attribute mapping
// against the server's own for every logged request.
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
constexpr char kAgentUserAgent[] = "hallmark-api-pattern/1";

struct Named {
  std::string ns, name;
};

absl::StatusOr<Named> Project(const nlohmann::json& o) {
  if (!o.contains("metadata") || !o["metadata"].is_object()) {
    return absl::InvalidArgumentError("no metadata");
  }
  return Named{o["metadata"].value("namespace", ""), o["metadata"].value("name", "")};
}

// A hallmark-apiserver with a request log, and kubectl pointed at it.
class ApiServerWithLog {
 public:
  void Start() {
    dir_ = TempDir();
    log_file_ = dir_ + "/requests.jsonl";
    absl::StatusOr<std::unique_ptr<BackgroundProcess>> p =
        BackgroundProcess::Start({RunfilePath("tests/apiserver/hallmark-apiserver"), "--listen",
                                  "127.0.0.1:0", "--request-log", log_file_},
                                 dir_ + "/apiserver.log");
    ASSERT_OK(p.status());
    process_ = *std::move(p);
    ASSERT_OK(process_->WaitForOutput("listening on http://", absl::Seconds(20)));
    std::string out = process_->Log();
    url_ = out.substr(out.find("http://"));
    url_ = std::string(absl::StripAsciiWhitespace(url_.substr(0, url_.find('\n'))));
    kubeconfig_ = dir_ + "/kubeconfig";
    WriteFileOrDie(kubeconfig_, absl::StrCat("apiVersion: v1\nkind: Config\nclusters: [{name: l, "
                                             "cluster: {server: \"",
                                             url_,
                                             "\"}}]\nusers: [{name: u, user: {}}]\ncontexts: "
                                             "[{name: l, context: {cluster: l, user: u}}]\n"
                                             "current-context: l\n"));
    // kustomize refuses the symlinked runfiles tree: a real copy of deploy/.
    absl::StatusOr<CommandResult> cp = RunCommand({"cp", "-rL", RunfilePath("deploy"), dir_});
    ASSERT_TRUE(cp.ok() && cp->exit_code == 0);
    deploy_ = dir_ + "/deploy";
  }
  void Kubectl(std::vector<std::string> args) {
    args.insert(args.begin(), {kKubectl, "--kubeconfig", kubeconfig_, "--cache-dir", dir_ + "/c"});
    absl::StatusOr<CommandResult> r = RunCommand(args);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->exit_code, 0) << absl::StrJoin(args, " ") << "\n" << r->out << r->err;
  }
  // Stops the server and returns its request log.
  std::vector<LoggedRequest> StopAndReadLog() {
    process_->Stop();
    absl::StatusOr<std::vector<LoggedRequest>> log = ParseRequestLog(ReadFileOrDie(log_file_));
    EXPECT_TRUE(log.ok()) << log.status();
    return log.ok() ? *log : std::vector<LoggedRequest>{};
  }
  std::unique_ptr<kube::HttpKubeClient> Client() {
    kube::Config config;
    config.server = url_;
    kube::ClientOptions options;
    options.user_agent = kAgentUserAgent;
    absl::StatusOr<std::unique_ptr<kube::HttpKubeClient>> c =
        kube::HttpKubeClient::New(config, options);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *std::move(c) : nullptr;
  }
  // The copy of deploy/.
  const std::string& deploy() const { return deploy_; }

 private:
  std::string dir_, log_file_, url_, kubeconfig_, deploy_;
  std::unique_ptr<BackgroundProcess> process_;
};

// Informers of `Named` over `resource`, started and synced.
void StartInformer(kube::KubeClient& client, const kube::Resource& resource,
                   std::vector<std::string> namespaces, std::string field_selector,
                   std::vector<std::unique_ptr<kube::Informer<Named>>>* informers) {
  kube::InformerOptions o;
  o.resource = resource;
  o.namespaces = std::move(namespaces);
  o.field_selector = std::move(field_selector);
  absl::StatusOr<std::unique_ptr<kube::Informer<Named>>> informer =
      kube::Informer<Named>::New(client, o, Project, {});
  ASSERT_OK(informer.status());
  ASSERT_OK((*informer)->Start());
  ASSERT_TRUE((*informer)->WaitForSync(absl::Seconds(20)));
  informers->push_back(*std::move(informer));
}

// Our mapping of each request to RBAC attributes agrees with the server's own, for every
// client (kubectl's requests included). Two refinements of kube-apiserver's RequestInfo that
// hallmark-apiserver's log does not record are left out of the comparison: a request on a
// Namespace object is in that namespace, and a list/watch with fieldSelector=metadata.name=X
// names X. Returns how many requests were compared.
size_t ExpectSameAttributesAsTheServer(const std::vector<LoggedRequest>& log) {
  size_t compared = 0;
  for (const LoggedRequest& r : log) {
    if (!r.has_server_view) continue;
    absl::StatusOr<RequestAttributes> ours = AttributesFromHttp(r.method, r.target);
    EXPECT_TRUE(ours.ok()) << ours.status();
    if (!ours.ok()) continue;
    RequestAttributes theirs = r.server_view;
    if (ours->resource == "namespaces") theirs.namespace_ = ours->namespace_;
    if (ours->verb == "list" || ours->verb == "watch") theirs.name = ours->name;
    EXPECT_EQ(ours->DebugString(), theirs.DebugString()) << r.method << " " << r.target;
    ++compared;
  }
  return compared;
}

TEST(AgentApiRbac, TheAgentsApiCallsAreAllowedByDeployAgentRbac) {
  ApiServerWithLog server;
  server.Start();
  // Install the agent's manifests and completed runs with kubectl, as a user would.
  server.Kubectl({"apply", "-k", server.deploy() + "/agent"});
  std::string run = RunfilePath("deploy/examples/completed/taskrun.yaml");
  server.Kubectl({"apply", "-f", run});
  server.Kubectl(
      {"patch", "-f", run, "--subresource=status", "--type=merge", "--patch-file=" + run});
  server.Kubectl({"apply", "-f", RunfilePath("deploy/examples/completed/pipelinerun.yaml")});
  if (::testing::Test::HasFailure()) return;

  // The agent's side, through the kube library: informers over runs cluster-wide and over its
  // configuration in its own namespace.
  std::unique_ptr<kube::HttpKubeClient> client = server.Client();
  ASSERT_NE(client, nullptr);
  std::vector<std::unique_ptr<kube::Informer<Named>>> informers;
  StartInformer(*client, kube::TaskRunsV1(), {}, "", &informers);
  StartInformer(*client, kube::PipelineRunsV1(), {}, "", &informers);
  StartInformer(*client, kube::ConfigMaps(), {"tekton-chains"}, "metadata.name=chains-config",
                &informers);
  StartInformer(*client, kube::Secrets(), {"tekton-chains"}, "metadata.name=signing-secrets",
                &informers);
  ASSERT_EQ(informers.size(), 4u);
  ASSERT_NE(informers[0]->Get("default", "buildah-run-1"), nullptr);
  ASSERT_NE(informers[2]->Get("tekton-chains", "chains-config"), nullptr);

  // Re-read each run and mark it (optimistic concurrency); an Event on the TaskRun.
  for (const auto& [resource, name] :
       {std::pair{&kube::TaskRunsV1(), "buildah-run-1"},
        std::pair{&kube::PipelineRunsV1(), "build-and-sign-run-1"}}) {
    ASSERT_OK_AND_ASSIGN(nlohmann::json live, client->Get(*resource, "default", name));
    kube::PatchOptions precondition;
    precondition.resource_version = live["metadata"].value("resourceVersion", "");
    ASSERT_OK(client
                  ->Patch(*resource, "default", name, kube::PatchType::kMerge,
                          R"({"metadata":{"annotations":{"chains.tekton.dev/signed":"true"}}})",
                          precondition)
                  .status());
  }
  ASSERT_OK_AND_ASSIGN(nlohmann::json run_object,
                       client->Get(kube::TaskRunsV1(), "default", "buildah-run-1"));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<kube::EventRecorder> events,
                       kube::EventRecorder::New(*client, "hallmark-agent"));
  ASSERT_OK(events
                ->Record(kube::ObjectReference::For(kube::TaskRunsV1(), run_object),
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

  std::vector<LoggedRequest> log = server.StopAndReadLog();
  ASSERT_OK_AND_ASSIGN(RbacPolicy policy,
                       RbacPolicy::Parse(ReadFileOrDie(RunfilePath("deploy/agent/rbac.yaml"))));
  ASSERT_OK_AND_ASSIGN(
      CoverageReport report,
      CheckCoverage(policy, {"tekton-chains", "tekton-chains-controller"}, log, kAgentUserAgent));
  EXPECT_GE(report.checked, 14u);
  EXPECT_THAT(report.uncovered, IsEmpty()) << absl::StrJoin(report.uncovered, "\n");
  // Grants this pattern did not use (the real agent may, e.g. a get of the ConfigMap): reported,
  // and bounded to reads in the agent's own namespace.
  for (const std::string& grant : report.unused) {
    EXPECT_TRUE(absl::EndsWith(grant, " in tekton-chains")) << grant;
    std::cout << "not used by this pattern: " << grant << "\n";
  }
  EXPECT_GE(ExpectSameAttributesAsTheServer(log), report.checked);
}

// The webhook's side (issue #7 contract: ClusterPolicies watched from the API server, Secrets
// named by policies read in its namespace), against deploy/webhook's RBAC.
TEST(WebhookApiRbac, PolicyWatchAndSecretReadsAreAllowedByDeployWebhookRbac) {
  ApiServerWithLog server;
  server.Start();
  server.Kubectl({"apply", "-k", server.deploy() + "/webhook"});
  server.Kubectl({"apply", "-f", server.deploy() + "/policies/"});
  server.Kubectl({"apply", "-f", RunfilePath("tests/deploy/testdata/registry-credentials.yaml")});
  if (::testing::Test::HasFailure()) return;

  std::unique_ptr<kube::HttpKubeClient> client = server.Client();
  ASSERT_NE(client, nullptr);
  kube::Resource policies = kube::ClusterPolicies();
  policies.plural = "policies";
  policies.kind = "Policy";
  policies.namespaced = true;
  std::vector<std::unique_ptr<kube::Informer<Named>>> informers;
  StartInformer(*client, kube::ClusterPolicies(), {}, "", &informers);
  StartInformer(*client, policies, {}, "", &informers);
  ASSERT_EQ(informers.size(), 2u);
  EXPECT_EQ(informers[0]->Size(), 3u);  // deploy/policies/*.yaml
  ASSERT_OK(client->Get(kube::Secrets(), "hallmark-system", "registry-credentials").status());
  for (auto& informer : informers) informer->Stop();

  std::vector<LoggedRequest> log = server.StopAndReadLog();
  ASSERT_OK_AND_ASSIGN(RbacPolicy policy,
                       RbacPolicy::Parse(ReadFileOrDie(RunfilePath("deploy/webhook/rbac.yaml"))));
  ASSERT_OK_AND_ASSIGN(
      CoverageReport report,
      CheckCoverage(policy, {"hallmark-system", "hallmark-webhook"}, log, kAgentUserAgent));
  EXPECT_GE(report.checked, 5u);
  EXPECT_THAT(report.uncovered, IsEmpty()) << absl::StrJoin(report.uncovered, "\n");
  for (const std::string& grant : report.unused) {
    std::cout << "not used by this pattern: " << grant << "\n";
  }
  EXPECT_GE(ExpectSameAttributesAsTheServer(log), report.checked);
}

}  // namespace
}  // namespace hallmark::tests::deploy
