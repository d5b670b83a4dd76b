// The real kubectl (1.32, called directly, fresh cache) against the real hallmark-apiserver
// binary: what users and scripts/demo do, and what must look exactly like a real cluster.
#include <csignal>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "base/encoding.h"
#include "base/testing/fixtures.h"
#include "base/testing/process.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "tests/apiserver/testing/apiserver_process.h"

namespace hallmark::tests::apiserver {
namespace {

using ::hallmark::testing::BackgroundProcess;
using ::hallmark::testing::CommandOptions;
using ::hallmark::testing::CommandResult;
using ::hallmark::testing::FixturePath;
using ::hallmark::testing::ReadFixture;
using ::hallmark::testing::RunCommand;
using ::hallmark::testing::TempDir;
using ::hallmark::testing::WriteFileOrDie;
using ::hallmark::tests::apiserver::testing::ApiserverProcess;
using ::testing::HasSubstr;
using json = nlohmann::json;

constexpr char kKubectl[] = "/usr/lib/google-cloud-sdk/bin/kubectl.1.32";

class Kubectl {
 public:
  Kubectl(std::string kubeconfig, std::string home)
      : kubeconfig_(std::move(kubeconfig)), home_(std::move(home)) {}

  std::vector<std::string> Argv(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {kKubectl,      "--kubeconfig",   kubeconfig_,
                                     "--cache-dir", home_ + "/cache", "--request-timeout",
                                     "30s"};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

  CommandOptions Options() const {
    CommandOptions o;
    o.env = {{"HOME", home_}};
    o.unset_env = {"KUBECONFIG"};
    o.timeout = absl::Seconds(60);
    return o;
  }

  CommandResult Run(const std::vector<std::string>& args,
                    const std::string& stdin_data = "") const {
    CommandOptions o = Options();
    o.stdin_data = stdin_data;
    absl::StatusOr<CommandResult> r = RunCommand(Argv(args), o);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : CommandResult{};
  }

  // Ok: runs and expects success; returns stdout.
  std::string Ok(const std::vector<std::string>& args, const std::string& stdin_data = "") const {
    CommandResult r = Run(args, stdin_data);
    EXPECT_EQ(r.exit_code, 0) << absl::StrJoin(args, " ") << "\nstdout: " << r.out
                              << "\nstderr: " << r.err;
    return r.out;
  }

  json Json(const std::vector<std::string>& args) const {
    std::vector<std::string> a = args;
    a.insert(a.end(), {"-o", "json"});
    std::string out = Ok(a);
    json j = json::parse(out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << out;
    return j;
  }

 private:
  std::string kubeconfig_;
  std::string home_;
};

class KubectlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir();
    auto api = ApiserverProcess::Start({"--request-log", dir_ + "/requests.jsonl"}, dir_);
    ASSERT_TRUE(api.ok()) << api.status();
    api_ = std::move(*api);
    api_->WriteKubeconfig(dir_ + "/kubeconfig");
    kubectl_ = std::make_unique<Kubectl>(dir_ + "/kubeconfig", dir_);
  }

  std::string dir_;
  std::unique_ptr<ApiserverProcess> api_;
  std::unique_ptr<Kubectl> kubectl_;
};

TEST_F(KubectlTest, TektonRunsLikeOnACluster) {
  const Kubectl& k = *kubectl_;
  std::string tr_file = FixturePath("chains/e2e/inputs/taskruns/task-output-image.yaml");
  EXPECT_EQ(k.Ok({"apply", "-f", tr_file}),
            "taskrun.tekton.dev/build-push-run-output-image-test created\n");
  EXPECT_EQ(k.Ok({"apply", "-f", tr_file}),
            "taskrun.tekton.dev/build-push-run-output-image-test unchanged\n");
  // A PipelineRun with generateName goes through `create -f`.
  std::string created = k.Ok(
      {"create", "-f", FixturePath("chains/e2e/inputs/pipelineruns/pipeline-output-image.yaml")});
  EXPECT_THAT(created, ::testing::MatchesRegex(
                           "pipelinerun.tekton.dev/image-pipelinerun[a-z0-9]{5} created\n"));

  json list = k.Json({"get", "taskruns"});
  ASSERT_EQ(list["items"].size(), 1u);
  EXPECT_EQ(list["items"][0]["kind"], "TaskRun");
  EXPECT_EQ(list["items"][0]["spec"]["taskSpec"]["steps"][0]["image"], "busybox");
  EXPECT_EQ(k.Json({"get", "pr"})["items"].size(), 1u);

  const std::string tr = "taskrun.tekton.dev/build-push-run-output-image-test";
  EXPECT_EQ(
      k.Ok({"annotate", "tr", "build-push-run-output-image-test", "chains.tekton.dev/signed=true"}),
      tr + " annotated\n");
  EXPECT_EQ(k.Ok({"label", "tr", "build-push-run-output-image-test", "team=a"}), tr + " labeled\n");
  // kubectl's default patch type is strategic: custom resources refuse it with kube's text.
  CommandResult strategic = k.Run({"patch", "tr", "build-push-run-output-image-test", "-p",
                                   R"({"metadata":{"labels":{"x":"y"}}})"});
  EXPECT_EQ(strategic.exit_code, 1);
  EXPECT_EQ(strategic.err,
            "error: application/strategic-merge-patch+json is not supported by tekton.dev/v1, "
            "Kind=TaskRun: the body of the request was in an unknown format - accepted media "
            "types include: application/json-patch+json, application/merge-patch+json, "
            "application/apply-patch+yaml\n");
  EXPECT_EQ(k.Ok({"patch", "tr", "build-push-run-output-image-test", "--type=merge", "-p",
                  R"({"metadata":{"labels":{"x":"y"}}})"}),
            tr + " patched\n");
  EXPECT_EQ(
      k.Ok(
          {"patch", "tr", "build-push-run-output-image-test", "--type=json", "-p",
           R"([{"op":"add","path":"/metadata/annotations/chains.tekton.dev~1retries","value":"1"}])"}),
      tr + " patched\n");
  CommandResult failed_test =
      k.Run({"patch", "tr", "build-push-run-output-image-test", "--type=json", "-p",
             R"([{"op":"test","path":"/metadata/labels/x","value":"z"}])"});
  EXPECT_EQ(failed_test.exit_code, 1);
  EXPECT_EQ(failed_test.err,
            "The request is invalid: the server rejected our request due to an error in our "
            "request\n");
  // A completed run is made the way Tekton makes it: status through the subresource.
  EXPECT_EQ(
      k.Ok({"patch", "tr", "build-push-run-output-image-test", "--subresource=status",
            "--type=merge", "-p",
            R"({"status":{"conditions":[{"type":"Succeeded","status":"True","reason":"Succeeded"}],
                      "results":[{"name":"IMAGE_DIGEST","value":"sha256:05f9"}]}})"}),
      tr + " patched\n");
  // Table output with the CRD's printer columns, as on a cluster running Tekton.
  std::string table = k.Ok({"get", "tr"});
  EXPECT_THAT(table,
              ::testing::StartsWith(
                  "NAME                               SUCCEEDED   REASON      STARTTIME   "
                  "COMPLETIONTIME\nbuild-push-run-output-image-test   True        Succeeded"));
  json run = k.Json({"get", "tr", "build-push-run-output-image-test"});
  EXPECT_EQ(run["metadata"]["annotations"]["chains.tekton.dev/signed"], "true");
  EXPECT_EQ(run["metadata"]["annotations"]["chains.tekton.dev/retries"], "1");
  EXPECT_EQ(run["metadata"]["labels"]["team"], "a");
  EXPECT_EQ(run["status"]["conditions"][0]["status"], "True");
  EXPECT_EQ(run["status"]["results"][0]["value"], "sha256:05f9");

  CommandResult nope = k.Run({"get", "tr", "nope"});
  EXPECT_EQ(nope.exit_code, 1);
  EXPECT_EQ(nope.err, "Error from server (NotFound): taskruns.tekton.dev \"nope\" not found\n");
  CommandResult conflict =
      k.Run({"annotate", "--overwrite", "--resource-version=1", "tr",
             "build-push-run-output-image-test", "chains.tekton.dev/signed=false"});
  EXPECT_EQ(conflict.exit_code, 1);
  EXPECT_EQ(conflict.err,
            "Error from server (Conflict): Operation cannot be fulfilled on taskruns.tekton.dev "
            "\"build-push-run-output-image-test\": the object has been modified; please apply "
            "your changes to the latest version and try again\n");

  EXPECT_EQ(k.Ok({"delete", "tr", "build-push-run-output-image-test"}),
            "taskrun.tekton.dev \"build-push-run-output-image-test\" deleted\n");
  EXPECT_EQ(k.Json({"get", "tr"})["items"].size(), 0u);
}

TEST_F(KubectlTest, ClusterPolicyFromTheGuide) {
  const Kubectl& k = *kubectl_;
  std::string file = FixturePath("seed/kyverno.only-cosign-image-deploy.yaml");
  EXPECT_EQ(k.Ok({"apply", "-f", file}),
            "clusterpolicy.kyverno.io/only-cosign-image-deploy created\n");
  EXPECT_EQ(k.Ok({"apply", "-f", file}),
            "clusterpolicy.kyverno.io/only-cosign-image-deploy unchanged\n");
  json policy = k.Json({"get", "cpol", "only-cosign-image-deploy"});
  EXPECT_EQ(policy["spec"]["rules"][0]["verifyImages"][0]["attestors"][0]["count"], 1);
  EXPECT_EQ(k.Ok({"delete", "clusterpolicy", "only-cosign-image-deploy"}),
            "clusterpolicy.kyverno.io \"only-cosign-image-deploy\" deleted\n");
}

TEST_F(KubectlTest, GetWatchSeesALaterChange) {
  const Kubectl& k = *kubectl_;
  k.Ok({"create", "configmap", "watched", "--from-literal=step=1"});
  auto watcher =
      BackgroundProcess::Start(k.Argv({"get", "configmap", "watched", "-w", "-o",
                                       "jsonpath={.metadata.name}={.data.step}{\"\\n\"}"}),
                               dir_ + "/watch.log", k.Options());
  ASSERT_TRUE(watcher.ok()) << watcher.status();
  ASSERT_OK((*watcher)->WaitForOutput("watched=1", absl::Seconds(20)));
  k.Ok({"patch", "configmap", "watched", "--type=merge", "-p", R"({"data":{"step":"2"}})"});
  ASSERT_OK((*watcher)->WaitForOutput("watched=2", absl::Seconds(20)));
  (*watcher)->Stop();
  // The request log shows kubectl's list-then-watch with the list's resourceVersion.
  std::string log = ::hallmark::testing::ReadFileOrDie(dir_ + "/requests.jsonl");
  bool watched = false;
  for (absl::string_view line : absl::StrSplit(log, '\n', absl::SkipEmpty())) {
    json r = json::parse(line);
    if (r.value("verb", "") == "watch" && r["resource"] == "configmaps") {
      watched = true;
      EXPECT_THAT(r["query"].get<std::string>(),
                  HasSubstr("fieldSelector=metadata.name%3Dwatched"));
      EXPECT_THAT(r["query"].get<std::string>(), HasSubstr("resourceVersion="));
    }
  }
  EXPECT_TRUE(watched);
}

TEST_F(KubectlTest, TypedCreateCommandsSendProtobuf) {
  const Kubectl& k = *kubectl_;
  EXPECT_EQ(k.Ok({"create", "namespace", "team"}), "namespace/team created\n");
  EXPECT_EQ(k.Ok({"create", "secret", "generic", "signing-secrets", "-n", "team",
                  "--from-literal=cosign.password=p"}),
            "secret/signing-secrets created\n");
  EXPECT_EQ(k.Ok({"create", "configmap", "chains-config", "-n", "team",
                  "--from-literal=artifacts.oci.storage=oci"}),
            "configmap/chains-config created\n");
  EXPECT_EQ(k.Ok({"create", "serviceaccount", "robot", "-n", "team"}),
            "serviceaccount/robot created\n");
  // RBAC is stored, not enforced: every access review is allowed.
  EXPECT_EQ(k.Ok({"auth", "can-i", "patch", "taskruns.tekton.dev", "-n", "team"}), "yes\n");
  json secret = k.Json({"get", "secret", "signing-secrets", "-n", "team"});
  EXPECT_EQ(secret["data"]["cosign.password"], "cA==");
  EXPECT_EQ(secret["type"], "Opaque");
  EXPECT_EQ(k.Json({"get", "cm", "chains-config", "-n", "team"})["data"]["artifacts.oci.storage"],
            "oci");
  std::string log = ::hallmark::testing::ReadFileOrDie(dir_ + "/requests.jsonl");
  EXPECT_THAT(log, HasSubstr("\"contentType\":\"application/vnd.kubernetes.protobuf\""));
  EXPECT_EQ(k.Ok({"delete", "namespace", "team"}), "namespace \"team\" deleted\n");
  CommandResult gone = k.Run({"get", "namespace", "team"});
  EXPECT_EQ(gone.err, "Error from server (NotFound): namespaces \"team\" not found\n");
}

TEST_F(KubectlTest, ApplyOfADeployFolderAndStrictValidation) {
  const Kubectl& k = *kubectl_;
  std::string folder = FixturePath("chains/config");
  std::string first = k.Ok({"apply", "-f", folder});
  EXPECT_THAT(first, HasSubstr("namespace/tekton-chains created\n"));
  EXPECT_THAT(first, HasSubstr("deployment.apps/tekton-chains-controller created\n"));
  EXPECT_THAT(first, HasSubstr("clusterrole.rbac.authorization.k8s.io/"
                               "tekton-chains-controller-cluster-access created\n"));
  EXPECT_THAT(first, HasSubstr("service/tekton-chains-metrics created\n"));
  std::string second = k.Ok({"apply", "-f", folder});
  EXPECT_THAT(second, ::testing::Not(HasSubstr("created")));
  EXPECT_THAT(second, ::testing::Not(HasSubstr("configured")));
  // A changed manifest is a strategic merge patch for built-in kinds.
  std::string deployment = ReadFixture("chains/config/100-deployment.yaml");
  std::string changed =
      absl::StrReplaceAll(deployment, {{"image: ko://github.com/tektoncd/chains/cmd/controller",
                                        "image: registry.local/hallmark:dev"}});
  ASSERT_NE(changed, deployment);
  std::string out = k.Ok({"apply", "-f", "-"}, changed);
  EXPECT_THAT(out, HasSubstr("deployment.apps/tekton-chains-controller configured"));
  json d = k.Json({"get", "deploy", "tekton-chains-controller", "-n", "tekton-chains"});
  const json& containers = d["spec"]["template"]["spec"]["containers"];
  ASSERT_EQ(containers.size(), 1u);
  EXPECT_EQ(containers[0]["image"], "registry.local/hallmark:dev");
  EXPECT_EQ(containers[0]["env"].size(), 6u);
  EXPECT_EQ(d["metadata"]["generation"], 2);

  // Deleting the folder deletes the namespace first; its objects still delete one by one (the
  // namespace controller works asynchronously), and kubectl waits for all of them to go.
  CommandResult deleted = k.Run({"delete", "-f", folder});
  EXPECT_EQ(deleted.exit_code, 0) << deleted.err;
  EXPECT_EQ(deleted.err, "");
  EXPECT_THAT(deleted.out, HasSubstr("namespace \"tekton-chains\" deleted\n"));
  EXPECT_THAT(deleted.out, HasSubstr("service \"tekton-chains-metrics\" deleted\n"));
  EXPECT_EQ(k.Run({"get", "namespace", "tekton-chains"}).err,
            "Error from server (NotFound): namespaces \"tekton-chains\" not found\n");
  k.Ok({"create", "namespace", "tekton-chains"});

  WriteFileOrDie(dir_ + "/typo.yaml", R"(apiVersion: v1
kind: ConfigMap
metadata:
  name: typo
  namespace: tekton-chains
dataa:
  x: y
)");
  CommandResult typo = k.Run({"apply", "-f", dir_ + "/typo.yaml"});
  EXPECT_EQ(typo.exit_code, 1);
  EXPECT_EQ(typo.err,
            absl::StrCat("Error from server (BadRequest): error when creating \"", dir_,
                         "/typo.yaml\": ConfigMap in version \"v1\" cannot be handled as a "
                         "ConfigMap: strict decoding error: unknown field \"dataa\"\n"));
}

// Regression: with deploy/webhook's webhook configurations stored, re-running gen-certs.sh (a
// `kubectl apply` of the kubernetes.io/tls Secret, then JSON patches of the configurations)
// failed about one time in ten with 500 "[json.exception.type_error.305] cannot use operator[]
// with a string argument with number": every update wrote the resourceVersion into memory that
// admission had freed (and parsing the configurations had reused for their port numbers).
// BUILD runs this test with glibc's freed-memory perturbation, so such a write fails every time.
TEST_F(KubectlTest, RerunningGenCertsWithTheWebhookConfigurations) {
  const Kubectl& k = *kubectl_;
  // kustomize does not follow the runfiles' symlinks: a real copy of deploy/.
  absl::StatusOr<CommandResult> copied =
      RunCommand({"cp", "-rL", ::hallmark::testing::RunfilePath("deploy"), dir_});
  ASSERT_TRUE(copied.ok()) << copied.status();
  ASSERT_EQ(copied->exit_code, 0) << copied->err;
  std::string deploy = dir_ + "/deploy";
  std::string applied = k.Ok({"apply", "-k", deploy + "/webhook"});
  EXPECT_THAT(applied, HasSubstr("mutatingwebhookconfiguration.admissionregistration.k8s.io/"
                                 "hallmark-verify-images created\n"));
  CommandOptions options = k.Options();
  options.env["KUBECTL"] = absl::StrJoin(k.Argv({}), " ");
  for (int run = 0; run < 3; ++run) {
    std::string certs = absl::StrCat(dir_, "/certs", run);
    absl::StatusOr<CommandResult> r =
        RunCommand({deploy + "/webhook/gen-certs.sh", "--out", certs}, options);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->exit_code, 0) << "run " << run << "\n" << r->out << r->err;
    json secret = k.Json({"get", "secret", "hallmark-webhook-tls", "-n", "hallmark-system"});
    EXPECT_EQ(secret["type"], "kubernetes.io/tls");
    EXPECT_EQ(secret["data"]["tls.crt"],
              Base64Encode(::hallmark::testing::ReadFileOrDie(certs + "/tls.crt")));
    std::string ca_bundle = Base64Encode(::hallmark::testing::ReadFileOrDie(certs + "/ca.crt"));
    for (const char* kind : {"mutatingwebhookconfiguration", "validatingwebhookconfiguration"}) {
      json config = k.Json({"get", kind, "hallmark-verify-images"});
      EXPECT_EQ(config["webhooks"][0]["clientConfig"]["caBundle"], ca_bundle) << kind;
    }
  }
}

TEST(KubectlHttps, TokenAuthAndTheUnauthorizedText) {
  std::string dir = TempDir();
  auto api = ApiserverProcess::Start({"--tls-self-signed", dir + "/tls", "--token", "s3cret"}, dir);
  ASSERT_TRUE(api.ok()) << api.status();
  EXPECT_TRUE(absl::StartsWith((*api)->url(), "https://127.0.0.1:"));
  (*api)->WriteKubeconfig(dir + "/good", "s3cret", dir + "/tls/ca.crt");
  (*api)->WriteKubeconfig(dir + "/bad", "wrong", dir + "/tls/ca.crt");
  Kubectl good(dir + "/good", dir), bad(dir + "/bad", dir);
  EXPECT_THAT(good.Ok({"get", "namespaces", "-o", "name"}), HasSubstr("namespace/default\n"));
  CommandResult denied = bad.Run({"get", "namespaces"});
  EXPECT_EQ(denied.exit_code, 1);
  EXPECT_EQ(denied.err, "error: You must be logged in to the server (Unauthorized)\n");
  // Rotation: the old token stops working, the new one works, in the same server.
  ASSERT_OK((*api)->Knob("PUT", "/__hallmark/tokens", R"({"tokens":["wrong"]})"));
  EXPECT_EQ(good.Run({"get", "namespaces"}).exit_code, 1);
  EXPECT_EQ(bad.Run({"get", "namespaces"}).exit_code, 0);
}

// A TLS webhook server living in the test, answering AdmissionReviews with `respond`.
class WebhookServer {
 public:
  WebhookServer(const std::string& cert, const std::string& key,
                std::function<json(const json& review)> respond)
      : server_(cert.c_str(), key.c_str()), respond_(std::move(respond)) {
    server_.Post(".*", [this](const httplib::Request& req, httplib::Response& res) {
      json review = json::parse(req.body, nullptr, false);
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(review);
        paths_.push_back(req.target);
        content_types_.push_back(req.get_header_value("Content-Type"));
      }
      res.set_content(respond_(review).dump(), "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) absl::SleepFor(absl::Milliseconds(1));
  }
  ~WebhookServer() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  std::vector<json> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  std::vector<std::string> paths() {
    std::lock_guard<std::mutex> lock(mu_);
    return paths_;
  }
  std::vector<std::string> content_types() {
    std::lock_guard<std::mutex> lock(mu_);
    return content_types_;
  }

 private:
  httplib::SSLServer server_;
  std::function<json(const json&)> respond_;
  std::mutex mu_;
  std::vector<json> requests_;
  std::vector<std::string> paths_;
  std::vector<std::string> content_types_;
  int port_ = 0;
  std::thread thread_;
};

void Openssl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"openssl"};
  argv.insert(argv.end(), args.begin(), args.end());
  absl::StatusOr<CommandResult> r = RunCommand(argv);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->exit_code, 0) << r->err;
}

// Issues `name`.crt/.key for `san` from the test CA in `dir`.
void IssueCert(const std::string& dir, const std::string& name, const std::string& san) {
  Openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
           dir + "/" + name + ".key", "-out", dir + "/" + name + ".csr", "-subj", "/CN=" + name,
           "-addext", "subjectAltName=" + san});
  Openssl({"x509", "-req", "-in", dir + "/" + name + ".csr", "-CA", dir + "/ca.crt", "-CAkey",
           dir + "/ca.key", "-CAcreateserial", "-copy_extensions", "copy", "-days", "1", "-out",
           dir + "/" + name + ".crt"});
}

json Answer(const json& review, json response) {
  response["uid"] = review["request"]["uid"];
  return {{"apiVersion", "admission.k8s.io/v1"},
          {"kind", "AdmissionReview"},
          {"request", review["request"]},
          {"response", response}};
}

TEST(KubectlWebhooks, DenialPatchAndFailurePolicy) {
  std::string dir = TempDir();
  Openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
           "-keyout", dir + "/ca.key", "-out", dir + "/ca.crt", "-days", "1", "-subj",
           "/CN=webhook-ca"});
  IssueCert(dir, "kyverno", "DNS:kyverno-svc.kyverno.svc");
  IssueCert(dir, "mutator", "IP:127.0.0.1");
  std::string ca_bundle = Base64Encode(::hallmark::testing::ReadFileOrDie(dir + "/ca.crt"));

  // The denial Kyverno's mutating webhook gives for the unsigned image (fixture), and the
  // digest-pinning patch it gives for a signed one (fixture).
  json denied = json::parse(ReadFixture("kyverno/admission/response-denied.json"))["response"];
  json allowed =
      json::parse(ReadFixture("kyverno/admission/response-allowed-mutated.json"))["response"];
  WebhookServer kyverno(dir + "/kyverno.crt", dir + "/kyverno.key",
                        [&](const json& review) { return Answer(review, denied); });
  WebhookServer mutator(dir + "/mutator.crt", dir + "/mutator.key",
                        [&](const json& review) { return Answer(review, allowed); });

  auto api = ApiserverProcess::Start(
      {"--webhook-host", absl::StrCat("kyverno-svc.kyverno.svc=127.0.0.1:", kyverno.port())}, dir);
  ASSERT_TRUE(api.ok()) << api.status();
  (*api)->WriteKubeconfig(dir + "/kubeconfig");
  Kubectl k(dir + "/kubeconfig", dir);
  k.Ok({"create", "namespace", "policy"});
  std::string config = absl::StrCat(R"(apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: kyverno-resource-mutating-webhook-cfg
webhooks:
- name: mutate.kyverno.svc-fail
  admissionReviewVersions: [v1]
  sideEffects: NoneOnDryRun
  failurePolicy: Fail
  timeoutSeconds: 10
  clientConfig:
    caBundle: )",
                                    ca_bundle, R"(
    service: {name: kyverno-svc, namespace: kyverno, path: /mutate/fail, port: 443}
  objectSelector: {matchLabels: {run: unsigned}}
  rules:
  - apiGroups: [""]
    apiVersions: [v1]
    operations: [CREATE, UPDATE]
    resources: [pods]
    scope: Namespaced
- name: pin.example.com
  admissionReviewVersions: [v1]
  sideEffects: None
  clientConfig:
    caBundle: )",
                                    ca_bundle, R"(
    url: https://127.0.0.1:)",
                                    mutator.port(), R"(/mutate
  objectSelector: {matchLabels: {run: signed}}
  rules:
  - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}
- name: broken.example.com
  admissionReviewVersions: [v1]
  sideEffects: None
  failurePolicy: Fail
  clientConfig:
    url: https://127.0.0.1:1/broken
  objectSelector: {matchLabels: {run: broken}}
  rules:
  - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}
- name: ignored.example.com
  admissionReviewVersions: [v1]
  sideEffects: None
  failurePolicy: Ignore
  clientConfig:
    url: https://127.0.0.1:1/ignored
  objectSelector: {matchLabels: {run: tolerated}}
  rules:
  - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}
)");
  EXPECT_EQ(k.Ok({"apply", "-f", "-"}, config),
            "mutatingwebhookconfiguration.admissionregistration.k8s.io/"
            "kyverno-resource-mutating-webhook-cfg created\n");

  // Denied: exactly what kubectl prints against a cluster running Kyverno.
  CommandResult unsigned_pod =
      k.Run({"run", "-n", "policy", "unsigned", "--image=registry.example:5000/unsigned:v1", "--",
             "sleep", "3600"});
  EXPECT_EQ(unsigned_pod.exit_code, 1);
  EXPECT_EQ(unsigned_pod.err, ReadFixture("kyverno/admission/expected-kubectl-denial.txt"));
  ASSERT_EQ(kyverno.requests().size(), 1u);
  const json request = kyverno.requests()[0]["request"];
  EXPECT_EQ(kyverno.paths()[0], "/mutate/fail?timeout=10s");
  EXPECT_EQ(kyverno.content_types()[0], "application/json");
  EXPECT_EQ(kyverno.requests()[0]["apiVersion"], "admission.k8s.io/v1");
  EXPECT_EQ(request["operation"], "CREATE");
  EXPECT_EQ(request["kind"], json::parse(R"({"group":"","version":"v1","kind":"Pod"})"));
  EXPECT_EQ(request["resource"], json::parse(R"({"group":"","version":"v1","resource":"pods"})"));
  EXPECT_EQ(request["namespace"], "policy");
  EXPECT_EQ(request["name"], "unsigned");
  EXPECT_EQ(request["object"]["spec"]["containers"][0]["image"],
            "registry.example:5000/unsigned:v1");
  EXPECT_TRUE(request["oldObject"].is_null());
  EXPECT_EQ(request["userInfo"]["username"], "kubernetes-admin");
  EXPECT_EQ(k.Run({"get", "pod", "-n", "policy", "unsigned"}).exit_code, 1);

  // Patched: the JSONPatch pins the digest and adds Kyverno's annotation.
  EXPECT_EQ(k.Ok({"run", "-n", "policy", "signed", "--image=registry.example:5000/demo:v1"}),
            "pod/signed created\n");
  json pod = k.Json({"get", "pod", "-n", "policy", "signed"});
  EXPECT_EQ(pod["spec"]["containers"][0]["image"],
            "registry.example:5000/"
            "demo:v1@sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00");
  EXPECT_EQ(
      pod["metadata"]["annotations"]["kyverno.io/verify-images"],
      "{\"registry.example:5000/"
      "demo@sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00\":\"pass\"}");
  EXPECT_EQ(mutator.paths()[0], "/mutate?timeout=10s");

  // An unreachable webhook fails closed with kube-apiserver's message, or is skipped (Ignore).
  CommandResult broken = k.Run({"run", "-n", "policy", "broken", "--image=busybox"});
  EXPECT_EQ(broken.exit_code, 1);
  EXPECT_EQ(broken.err,
            "Error from server (InternalError): Internal error occurred: failed calling webhook "
            "\"broken.example.com\": failed to call webhook: Post "
            "\"https://127.0.0.1:1/broken?timeout=10s\": dial tcp 127.0.0.1:1: connect: "
            "connection refused\n");
  EXPECT_EQ(k.Ok({"run", "-n", "policy", "tolerated", "--image=busybox"}),
            "pod/tolerated created\n");
}

}  // namespace
}  // namespace hallmark::tests::apiserver
