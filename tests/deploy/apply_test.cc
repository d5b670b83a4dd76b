// Applies every manifest of deploy/ with the real kubectl (1.32) to hallmark-apiserver and checks
// what was stored, and runs gen-certs.sh against it. (How the API server then calls the real
// webhook through these configurations: webhook_deploy_test.)
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "base/testing/fixtures.h"
#include "base/testing/process.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace hallmark::tests::deploy {
namespace {

using ::hallmark::testing::BackgroundProcess;
using ::hallmark::testing::CommandOptions;
using ::hallmark::testing::CommandResult;
using ::hallmark::testing::ReadFileOrDie;
using ::hallmark::testing::RunCommand;
using ::hallmark::testing::RunfilePath;
using ::hallmark::testing::TempDir;
using ::hallmark::testing::WriteFileOrDie;
using ::testing::HasSubstr;
using json = nlohmann::json;

constexpr char kKubectl[] = "/usr/lib/google-cloud-sdk/bin/kubectl.1.32";

// `local` is contained in `live`: every key of an object, every element of an array (same length)
// and every scalar equal. The API server may add fields (defaults, metadata), never change ours.
bool Contains(const json& live, const json& local, const std::string& where, std::string* diff) {
  if (local.is_object()) {
    if (!live.is_object()) return *diff = where + ": not an object", false;
    for (auto it = local.begin(); it != local.end(); ++it) {
      if (!live.contains(it.key())) return *diff = where + "." + it.key() + ": missing", false;
      if (!Contains(live[it.key()], it.value(), where + "." + it.key(), diff)) return false;
    }
    return true;
  }
  if (local.is_array()) {
    if (!live.is_array() || live.size() != local.size())
      return *diff = where + ": array differs", false;
    for (size_t i = 0; i < local.size(); ++i) {
      if (!Contains(live[i], local[i], absl::StrCat(where, "[", i, "]"), diff)) return false;
    }
    return true;
  }
  if (live != local) return *diff = where + ": " + live.dump() + " != " + local.dump(), false;
  return true;
}

class ApplyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir();
    CommandResult cp = Exec({"cp", "-rL", RunfilePath("deploy"), dir_});
    ASSERT_EQ(cp.exit_code, 0) << cp.err;
    deploy_ = dir_ + "/deploy";
    StartApiServer({});
  }

  void TearDown() override {
    if (apiserver_ != nullptr) apiserver_->Stop();
  }

  void StartApiServer(const std::vector<std::string>& extra) {
    std::vector<std::string> argv = {RunfilePath("tests/apiserver/hallmark-apiserver"), "--listen",
                                     "127.0.0.1:0", "--request-log", dir_ + "/requests.jsonl"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    absl::StatusOr<std::unique_ptr<BackgroundProcess>> p =
        BackgroundProcess::Start(argv, dir_ + "/apiserver.log");
    ASSERT_OK(p.status());
    apiserver_ = *std::move(p);
    ASSERT_OK(apiserver_->WaitForOutput("listening on http://", absl::Seconds(20)));
    std::string log = apiserver_->Log();
    std::string url = log.substr(log.find("http://"));
    url = std::string(absl::StripAsciiWhitespace(url.substr(0, url.find('\n'))));
    kubeconfig_ = dir_ + "/kubeconfig";
    WriteFileOrDie(kubeconfig_, absl::StrCat("apiVersion: v1\nkind: Config\n",
                                             "clusters: [{name: local, cluster: {server: \"", url,
                                             "\"}}]\nusers: [{name: me, user: {}}]\n",
                                             "contexts: [{name: local, context: {cluster: local, "
                                             "user: me}}]\ncurrent-context: local\n"));
  }

  static CommandResult Exec(const std::vector<std::string>& argv, const CommandOptions& o = {}) {
    absl::StatusOr<CommandResult> r = RunCommand(argv, o);
    EXPECT_TRUE(r.ok()) << argv[0] << ": " << r.status();
    return r.ok() ? *r : CommandResult{};
  }

  // The kubectl command line every call uses: a fresh cache, our kubeconfig.
  std::vector<std::string> KubectlArgv() const {
    return {kKubectl, "--kubeconfig", kubeconfig_, "--cache-dir", dir_ + "/kube-cache"};
  }

  CommandResult Kubectl(const std::vector<std::string>& args) {
    std::vector<std::string> argv = KubectlArgv();
    argv.insert(argv.end(), args.begin(), args.end());
    return Exec(argv);
  }

  // Kubectl that must succeed; its stdout.
  std::string MustKubectl(const std::vector<std::string>& args) {
    CommandResult r = Kubectl(args);
    EXPECT_EQ(r.exit_code, 0) << "kubectl " << absl::StrJoin(args, " ") << "\n" << r.out << r.err;
    return r.out;
  }

  json MustJson(const std::vector<std::string>& args) {
    std::string out = MustKubectl(args);
    json j = json::parse(out, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(j.is_discarded()) << out;
    return j;
  }

  // The objects of a kustomization (or files), as kubectl itself reads them, in a JSON List.
  // (`create --dry-run=client -o json` prints one JSON document per object.)
  json LocalObjects(const std::vector<std::string>& source) {
    std::vector<std::string> args = {"create", "--dry-run=client", "-o", "json"};
    args.insert(args.end(), source.begin(), source.end());
    std::istringstream in(MustKubectl(args));
    json list = {{"kind", "List"}, {"items", json::array()}};
    try {
      while ((in >> std::ws).peek() != EOF) {
        json item;
        in >> item;
        list["items"].push_back(std::move(item));
      }
    } catch (const json::exception& e) {
      ADD_FAILURE() << "kubectl printed something that is not JSON: " << e.what();
    }
    return list;
  }

  // Every local object is stored, with every field we wrote.
  void ExpectStored(const json& local_list) {
    ASSERT_TRUE(local_list.contains("items"));
    for (const json& local : local_list["items"]) {
      std::string kind = local["kind"], name = local["metadata"]["name"];
      std::string api_version = local["apiVersion"];
      std::string group = absl::StrContains(api_version, '/')
                              ? std::string(api_version.substr(0, api_version.find('/')))
                              : "";
      std::vector<std::string> args = {"get", group.empty() ? kind : kind + "." + group, name, "-o",
                                       "json"};
      if (local["metadata"].contains("namespace")) {
        args.push_back("-n");
        args.push_back(local["metadata"]["namespace"]);
      }
      json live = MustJson(args);
      std::string diff;
      json expected = local;
      expected.erase("status");
      EXPECT_TRUE(Contains(live, expected, kind + "/" + name, &diff)) << diff;
      EXPECT_FALSE(live["metadata"].value("uid", "").empty()) << kind << "/" << name;
    }
  }

  std::string dir_, deploy_, kubeconfig_;
  std::unique_ptr<BackgroundProcess> apiserver_;
};

TEST_F(ApplyTest, KustomizeApplyOfDeployStoresEveryObjectAndIsIdempotent) {
  std::string out = MustKubectl({"apply", "-k", deploy_});
  json local = LocalObjects({"-k", deploy_});
  EXPECT_EQ(local["items"].size(), 25u);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 25) << out;
  ExpectStored(local);
  // Applying again changes nothing.
  out = MustKubectl({"apply", "-k", deploy_});
  for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
    EXPECT_TRUE(absl::EndsWith(line, " unchanged")) << line;
  }
}

TEST_F(ApplyTest, AgentAndWebhookApplyAloneAndTheCertManagerVariantWithItsCrds) {
  MustKubectl({"apply", "-k", deploy_ + "/agent"});
  ExpectStored(LocalObjects({"-k", deploy_ + "/agent"}));
  MustKubectl({"apply", "-k", deploy_ + "/webhook-crds"});
  ExpectStored(LocalObjects({"-k", deploy_ + "/webhook-crds"}));
  MustKubectl({"apply", "-f", RunfilePath("tests/deploy/testdata/cert-manager-crds.yaml")});
  MustKubectl({"apply", "-k", deploy_ + "/webhook-cert-manager"});
  json local = LocalObjects({"-k", deploy_ + "/webhook-cert-manager"});
  EXPECT_EQ(local["items"].size(), 15u);
  ExpectStored(local);
  json mutating =
      MustJson({"get", "mutatingwebhookconfiguration", "hallmark-verify-images", "-o", "json"});
  EXPECT_EQ(mutating["metadata"]["annotations"].value("cert-manager.io/inject-ca-from", ""),
            "hallmark-system/hallmark-webhook-tls");
}

TEST_F(ApplyTest, PoliciesAndExamplesApplyAndCompletedRunsGetTheirStatus) {
  MustKubectl({"apply", "-f", deploy_ + "/policies/"});
  ExpectStored(LocalObjects({"-f", deploy_ + "/policies/"}));
  EXPECT_THAT(MustKubectl({"get", "clusterpolicies", "-o", "name"}),
              HasSubstr("only-cosign-image-deploy"));

  MustKubectl({"apply", "-f", deploy_ + "/examples/buildah-task.yaml", "-f",
               deploy_ + "/examples/pipeline.yaml"});
  ExpectStored(LocalObjects(
      {"-f", deploy_ + "/examples/buildah-task.yaml", "-f", deploy_ + "/examples/pipeline.yaml"}));
  EXPECT_THAT(MustKubectl({"create", "-f", deploy_ + "/examples/taskrun.yaml"}),
              HasSubstr("taskrun.tekton.dev/buildah-"));
  EXPECT_THAT(MustKubectl({"create", "-f", deploy_ + "/examples/pipelinerun.yaml"}),
              HasSubstr("pipelinerun.tekton.dev/build-and-sign-"));

  // Completed runs, as deploy/examples/README.md says: apply, then the status subresource.
  for (const char* f : {"taskrun.yaml", "pipelinerun-child-1-write-dockerfile.yaml",
                        "pipelinerun-child-2-build.yaml", "pipelinerun.yaml"}) {
    std::string path = absl::StrCat(deploy_, "/examples/completed/", f);
    MustKubectl({"apply", "-f", path});
    json before = MustJson({"get", "-f", path, "-o", "json"});
    EXPECT_FALSE(before.contains("status") && before["status"].contains("conditions"))
        << f << ": a create must ignore .status";
    MustKubectl(
        {"patch", "-f", path, "--subresource=status", "--type=merge", "--patch-file=" + path});
    json after = MustJson({"get", "-f", path, "-o", "json"});
    ASSERT_TRUE(after["status"]["conditions"].is_array()) << f << after.dump();
    EXPECT_EQ(after["status"]["conditions"][0].value("type", ""), "Succeeded") << f;
    EXPECT_EQ(after["status"]["conditions"][0].value("status", ""), "True") << f;
    EXPECT_FALSE(after["status"].value("completionTime", "").empty()) << f;
  }
  json build = MustJson({"get", "taskrun", "buildah-run-1", "-n", "default", "-o", "json"});
  std::set<std::string> results;
  for (const json& r : build["status"]["results"]) results.insert(r.value("name", ""));
  EXPECT_EQ(results, (std::set<std::string>{"IMAGE_URL", "IMAGE_DIGEST"}));
  json run =
      MustJson({"get", "pipelinerun", "build-and-sign-run-1", "-n", "default", "-o", "json"});
  EXPECT_EQ(run["status"]["childReferences"].size(), 2u);
}

TEST_F(ApplyTest, GenCertsStoresTheSecretAndPatchesEveryCaBundle) {
  MustKubectl({"apply", "-k", deploy_ + "/webhook"});
  CommandOptions options;
  options.env["KUBECTL"] = absl::StrJoin(KubectlArgv(), " ");
  std::string out = dir_ + "/certs";
  CommandResult r = Exec({deploy_ + "/webhook/gen-certs.sh", "--out", out}, options);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("caBundle of 1 webhook(s) in mutatingwebhookconfiguration"));

  json secret =
      MustJson({"get", "secret", "hallmark-webhook-tls", "-n", "hallmark-system", "-o", "json"});
  EXPECT_EQ(secret.value("type", ""), "kubernetes.io/tls");
  std::string ca = ReadFileOrDie(out + "/ca.crt");
  for (const char* key : {"tls.crt", "tls.key", "ca.crt"}) {
    std::string decoded;
    ASSERT_TRUE(absl::Base64Unescape(secret["data"].value(key, ""), &decoded)) << key;
    EXPECT_EQ(decoded, ReadFileOrDie(absl::StrCat(out, "/", key))) << key;
  }
  for (const char* kind : {"mutatingwebhookconfiguration", "validatingwebhookconfiguration"}) {
    json config = MustJson({"get", kind, "hallmark-verify-images", "-o", "json"});
    std::string bundle;
    ASSERT_TRUE(
        absl::Base64Unescape(config["webhooks"][0]["clientConfig"].value("caBundle", ""), &bundle));
    EXPECT_EQ(bundle, ca) << kind;
    // The rest of the configuration is untouched by the patch.
    EXPECT_EQ(config["webhooks"][0].value("failurePolicy", ""), "Fail");
  }
}

}  // namespace
}  // namespace hallmark::tests::deploy
