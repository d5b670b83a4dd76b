// The agent as deploy/agent installs it, with real components: deploy/agent applied with kubectl
// 1.32 to hallmark-apiserver, the signing key put in `signing-secrets` as README.md says and
// "mounted" as the Deployment mounts it, and the real `hallmark agent` run with the Deployment's
// own args (read from deploy/agent/deployment.yaml; only what a cluster provides is replaced: the
// namespace, the listen address, the mount path, API access by kubeconfig). A completed buildah
// TaskRun and PipelineRun from deploy/examples, pointing at an image in the real docker-registry,
// must get signed=true (and a run with too many images signed=failed, with an Event); the image
// signature verifies with `hallmark verify`; the probes and metrics the
// Deployment and Service use answer; and deploy/agent's RBAC covers every API call the agent
// made, with no grant unused.
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/testing/fixtures.h"
#include "base/testing/process.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/deploy/deploy_test_base.h"
#include "tests/deploy/deployment_args.h"
#include "tests/deploy/rbac_coverage.h"
#include "tests/deploy/rbac_policy.h"
#include "tests/deploy/request_attributes.h"
#include "tests/registry/registry_server.h"

namespace hallmark::tests::deploy {
namespace {

using ::hallmark::testing::BackgroundProcess;
using ::hallmark::testing::CommandOptions;
using ::hallmark::testing::CommandResult;
using ::hallmark::testing::FreePort;
using ::hallmark::testing::ReadFileOrDie;
using ::hallmark::testing::RunfilePath;
using ::hallmark::testing::WriteFileOrDie;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kPassword[] = "agent-deploy-test-password";

class AgentDeployTest : public DeployTest {
 protected:
  AgentDeployTest() : DeployTest(kPassword) {}
  void TearDown() override {
    if (agent_ != nullptr) agent_->Stop();
    DeployTest::TearDown();
  }
  std::string Curl(int port, const std::string& path) {
    return Exec({"curl", "-s", absl::StrCat("http://127.0.0.1:", port, path)}).out;
  }

  std::unique_ptr<BackgroundProcess> agent_;
};

TEST_F(AgentDeployTest, SignsACompletedBuildahRunWithTheDeploymentsArgsAndRbac) {
  // An image in the registry, as the buildah Task would have pushed it.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<registry::RegistryServer> registry,
                       registry::RegistryServer::Start());
  ASSERT_OK_AND_ASSIGN(registry::TestImage image,
                       registry->PushImage("test/chains/demo-1", "latest", "agent-deploy"));
  std::string image_url = registry->host() + "/test/chains/demo-1:latest";

  ASSERT_OK(StartApiServer());

  // Install as README.md says: the manifests, then the key into signing-secrets.
  MustKubectl({"apply", "-k", deploy_ + "/agent"});
  CommandResult r = Hallmark({"generate-key-pair"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string secret =
      MustKubectl({"create", "secret", "generic", "signing-secrets", "-n", "tekton-chains",
                   "--from-file=" + dir_ + "/cosign.key", "--from-file=" + dir_ + "/cosign.pub",
                   std::string("--from-literal=cosign.password=") + kPassword, "--dry-run=client",
                   "-o", "yaml"});
  MustKubectl({"apply", "-f", "-"}, secret);
  // What the kubelet mounts at /etc/signing-secrets: one file per key of the Secret.
  std::string mount = dir_ + "/etc-signing-secrets";
  ASSERT_EQ(Exec({"mkdir", "-p", mount}).exit_code, 0);
  WriteFileOrDie(mount + "/cosign.key", ReadFileOrDie(dir_ + "/cosign.key"));
  WriteFileOrDie(mount + "/cosign.pub", ReadFileOrDie(dir_ + "/cosign.pub"));
  WriteFileOrDie(mount + "/cosign.password", kPassword);

  // The Deployment's args, with what the cluster would provide substituted.
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> args,
                       ContainerArgs(MustKubectl({"kustomize", deploy_ + "/agent"}),
                                     "tekton-chains-controller", "tekton-chains-controller"));
  int metrics_port = FreePort();
  std::vector<std::string> argv = {RunfilePath("cmd/hallmark")};
  for (const std::string& a :
       Substitute(args, {{"$(SYSTEM_NAMESPACE)", "tekton-chains"},
                         {"0.0.0.0:9090", absl::StrCat("127.0.0.1:", metrics_port)},
                         {"/etc/signing-secrets", mount}})) {
    argv.push_back(a);
  }
  for (const char* flag : {"--leader-elect", "--metrics-addr=127.0.0.1:"}) {
    EXPECT_TRUE(absl::StrContains(absl::StrJoin(argv, " "), flag)) << flag;
  }
  argv.insert(argv.end(), {"--kubeconfig", kubeconfig_});
  CommandOptions agent_env;
  agent_env.env["POD_NAME"] = "tekton-chains-controller-0";  // set by the Deployment's env
  agent_env.env["DOCKER_CONFIG"] = dir_;                     // no credentials needed
  ASSERT_OK_AND_ASSIGN(agent_, BackgroundProcess::Start(argv, dir_ + "/agent.log", agent_env));

  // Completed runs from deploy/examples whose results name the registry's image: the buildah
  // TaskRun, and the PipelineRun with its two children (children first, as Tekton completes them).
  auto complete = [&](const std::string& example) {
    std::string text = absl::StrReplaceAll(
        ReadFileOrDie(absl::StrCat(deploy_, "/examples/completed/", example)),
        {{"registry.example:5000/test/chains/demo-1:latest", image_url},
         {"sha256:99fbf00ce55be691ba42b8e6073f04b2209d43ddd5b1540454e0afee53ab0250",
          image.digest.String()}});
    std::string path = absl::StrCat(dir_, "/", example);
    WriteFileOrDie(path, text);
    MustKubectl({"apply", "-f", path});
    MustKubectl(
        {"patch", "-f", path, "--subresource=status", "--type=merge", "--patch-file=" + path});
  };
  for (const char* example : {"taskrun.yaml", "pipelinerun-child-1-write-dockerfile.yaml",
                              "pipelinerun-child-2-build.yaml", "pipelinerun.yaml"}) {
    complete(example);
  }
  // And one the agent must refuse (more than 256 images): signed=failed, with an Event.
  std::string results;
  for (int i = 0; i < 257; ++i) {
    absl::StrAppend(&results, "  - {name: i", i, "-IMAGE_URL, type: string, value: \"",
                    registry->host(), "/team/app", i, "\"}\n  - {name: i", i,
                    "-IMAGE_DIGEST, type: string, value: \"sha256:", std::string(64, 'a'), "\"}\n");
  }
  WriteFileOrDie(dir_ + "/huge.yaml",
                 absl::StrCat("apiVersion: tekton.dev/v1\nkind: TaskRun\nmetadata: {name: huge, "
                              "namespace: default}\nspec: {taskRef: {name: buildah}}\nstatus:\n"
                              "  conditions: [{type: Succeeded, status: \"True\", reason: "
                              "Succeeded}]\n  startTime: \"2026-11-20T10:00:00Z\"\n"
                              "  completionTime: \"2026-11-20T10:01:00Z\"\n  results:\n",
                              results));
  MustKubectl({"apply", "-f", dir_ + "/huge.yaml"});
  MustKubectl({"patch", "-f", dir_ + "/huge.yaml", "--subresource=status", "--type=merge",
               "--patch-file=" + dir_ + "/huge.yaml"});
  if (HasFailure()) return;

  auto signed_of = [&](const std::string& kind, const std::string& name) {
    return MustKubectl({"get", kind, name, "-n", "default", "-o",
                        R"(jsonpath={.metadata.annotations.chains\.tekton\.dev/signed})"});
  };
  const std::vector<std::vector<std::string>> expected = {
      {"taskrun", "buildah-run-1", "true"},
      {"taskrun", "build-and-sign-run-1-write-dockerfile", "true"},
      {"taskrun", "build-and-sign-run-1-build", "true"},
      {"pipelinerun", "build-and-sign-run-1", "true"},
      {"taskrun", "huge", "failed"}};
  absl::Time deadline = absl::Now() + absl::Seconds(60);
  size_t done = 0;
  while (done < expected.size() && absl::Now() < deadline && agent_->Running()) {
    done = 0;
    for (const auto& e : expected) done += signed_of(e[0], e[1]) == e[2] ? 1 : 0;
    if (done < expected.size()) absl::SleepFor(absl::Milliseconds(200));
  }
  for (const auto& e : expected) {
    EXPECT_EQ(signed_of(e[0], e[1]), e[2]) << e[0] << "/" << e[1] << "\n" << agent_->Log();
  }
  std::string events;
  for (int i = 0; i < 50 && !absl::StrContains(events, "huge "); ++i) {
    if (i > 0) absl::SleepFor(absl::Milliseconds(100));
    events = MustKubectl({"get", "events", "-n", "default", "-o",
                          "jsonpath={range .items[*]}{.involvedObject.name} {.reason}: "
                          "{.message}{\"\\n\"}{end}"});
  }
  EXPECT_THAT(events, HasSubstr("huge "));

  // The image signature is in the registry and verifies with the public key.
  r = Hallmark({"verify", "--key", "cosign.pub", "--insecure-ignore-tlog",
                absl::StrCat(image_url, "@", image.digest.String())});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  // The Deployment's probes and the metrics Service's port answer.
  EXPECT_EQ(Exec({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                  absl::StrCat("http://127.0.0.1:", metrics_port, "/healthz")})
                .out,
            "200");
  EXPECT_EQ(Exec({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                  absl::StrCat("http://127.0.0.1:", metrics_port, "/readyz")})
                .out,
            "200");
  // (Counters move right after the patches the annotations come from: allow a moment.)
  std::string metrics;
  for (int i = 0; i < 50; ++i) {
    metrics = Curl(metrics_port, "/metrics");
    if (absl::StrContains(metrics, "hallmark_runs_marked_failed_total 1") &&
        absl::StrContains(metrics, "watcher_pipelinerun_marked_signed_total 1")) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_THAT(metrics, HasSubstr("watcher_taskrun_marked_signed_total 3"));
  EXPECT_THAT(metrics, HasSubstr("watcher_pipelinerun_marked_signed_total 1"));
  EXPECT_THAT(metrics, HasSubstr("hallmark_runs_marked_failed_total 1"));
  // SIGTERM (what the kubelet sends) ends it cleanly.
  EXPECT_EQ(agent_->Stop(absl::Seconds(25)), 0) << agent_->Log();
  apiserver_->Stop();

  std::string request_log = ReadFileOrDie(dir_ + "/requests.jsonl");
  // Kept with the test's outputs (bazel-testlogs/.../test.outputs/) for a look when RBAC fails.
  if (const char* outputs = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR"); outputs != nullptr) {
    WriteFileOrDie(absl::StrCat(outputs, "/agent_requests.jsonl"), request_log);
  }
  ASSERT_OK_AND_ASSIGN(std::vector<LoggedRequest> requests, ParseRequestLog(request_log));
  ASSERT_OK_AND_ASSIGN(RbacPolicy rbac,
                       RbacPolicy::Parse(ReadFileOrDie(deploy_ + "/agent/rbac.yaml")));
  ASSERT_OK_AND_ASSIGN(CoverageReport report,
                       CheckCoverage(rbac, {"tekton-chains", "tekton-chains-controller"}, requests,
                                     "hallmark-agent"));
  EXPECT_GE(report.checked, 10u);
  EXPECT_THAT(report.uncovered, IsEmpty()) << absl::StrJoin(report.uncovered, "\n");
  EXPECT_THAT(report.unused, IsEmpty()) << absl::StrJoin(report.unused, "\n");
  // Our request -> RBAC attribute mapping agrees with the server's for every logged request.
  size_t compared = 0;
  EXPECT_THAT(MismatchesWithServer(requests, &compared), IsEmpty());
  EXPECT_GE(compared, report.checked);
}

}  // namespace
}  // namespace hallmark::tests::deploy
