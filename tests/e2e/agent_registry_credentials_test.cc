// End-to-end: registry credentials rotated while the agent runs. Debian's docker-registry with
// htpasswd (bcrypt) auth, the real hallmark-apiserver and the built agent: with a wrong password
// a completed run is not signed (SigningFailed Event with the registry's 401, nothing pushed);
// once the --registry-secret Secret or the --registry-config file holds the right password, the
// same run (being retried) and new runs are signed by the same agent process. Neither password
// ever reaches the agent's log.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/encoding.h"
#include "base/file.h"
#include "base/testing/fixtures.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kube/kube_client.h"
#include "kube/resource.h"
#include "nlohmann/json.hpp"
#include "tests/e2e/agent_harness.h"
#include "tests/e2e/agent_harness_test_base.h"
#include "tests/registry/registry_server.h"

namespace hallmark::tests::e2e {
namespace {

using ::hallmark::testing::IsOkAndHolds;
using nlohmann::json;
using ::testing::HasSubstr;

constexpr char kUser[] = "ci-pusher";
constexpr char kRightPassword[] = "Rt7-correct-horse-battery-staple-42";
constexpr char kWrongPassword[] = "Wr0ng-stale-password-from-last-month";
constexpr char kSecretName[] = "registry-credentials";

json ImageResults(const std::string& image) {
  return json::array({{{"name", "IMAGE_URL"}, {"value", image.substr(0, image.find('@'))}},
                      {{"name", "IMAGE_DIGEST"}, {"value", image.substr(image.find('@') + 1)}}});
}

std::string Annotation(const json& run, const std::string& key) {
  json a = run.value("metadata", json::object()).value("annotations", json::object());
  return a.is_object() && a.contains(key) && a[key].is_string() ? a[key].get<std::string>() : "";
}

class AgentRegistryCredentialsTest : public AgentHarnessTest {
 protected:
  // Start: an htpasswd registry (the harness pushes and verifies as kUser with the right
  // password), the agent not started yet.
  void Start(std::vector<std::string> agent_args) {
    HarnessOptions options;
    options.registry.auth = registry::RegistryServerOptions::Auth::kHtpasswd;
    options.registry.users = {{kUser, kRightPassword}};
    options.start_agent = false;
    options.agent_args = std::move(agent_args);
    ASSERT_OK_AND_ASSIGN(h_, AgentHarness::Start(options));
    h_->AddLogSecret(kWrongPassword);
    h_->AddLogSecret(Base64Encode(absl::StrCat(kUser, ":", kWrongPassword)));
  }

  std::string ConfigJson(const std::string& password) {
    return json{
        {"auths",
         {{h_->registry().host(), {{"auth", Base64Encode(absl::StrCat(kUser, ":", password))}}}}}}
        .dump();
  }
  // PutSecret: create or replace the registry Secret with `config` as `.dockerconfigjson`.
  absl::Status PutSecret(const std::string& config) {
    json secret = {{"apiVersion", "v1"},
                   {"kind", "Secret"},
                   {"metadata", {{"name", kSecretName}, {"namespace", kSystemNamespace}}},
                   {"type", "kubernetes.io/dockerconfigjson"},
                   {"data", {{".dockerconfigjson", Base64Encode(config)}}}};
    absl::StatusOr<json> existing = h_->kube().Get(kube::Secrets(), kSystemNamespace, kSecretName);
    if (absl::IsNotFound(existing.status())) {
      return h_->kube().Create(kube::Secrets(), kSystemNamespace, secret).status();
    }
    if (!existing.ok()) return existing.status();
    secret["metadata"]["resourceVersion"] = kube::MetaResourceVersion(*existing);
    return h_->kube().Update(kube::Secrets(), kSystemNamespace, secret).status();
  }

  // CompleteRun: a completed TaskRun that built a freshly pushed image; returns the image.
  std::string CompleteRun(const std::string& name) {
    absl::StatusOr<std::string> image = h_->PushImage("team/app", name, name);
    EXPECT_OK(image.status());
    if (!image.ok()) return "";
    RunSpec run;
    run.name = name;
    run.results = ImageResults(*image);
    EXPECT_OK(h_->CompleteTaskRun(run).status());
    return *image;
  }

  // ExpectRefused: `name` gets a SigningFailed Event saying `why` (by default the registry's 401
  // for a wrong password), is not signed and nothing was pushed for `image`.
  void ExpectRefused(const std::string& name, const std::string& image,
                     const std::string& why = "401") {
    SCOPED_TRACE(name);
    absl::Time deadline = absl::Now() + absl::Seconds(20);
    std::string message;
    while (message.empty() && absl::Now() < deadline) {
      absl::StatusOr<std::vector<json>> events = h_->Events(name);
      if (events.ok()) {
        for (const json& e : *events) {
          if (e.value("reason", "") == "SigningFailed") message = e.value("message", "");
        }
      }
      if (message.empty()) absl::SleepFor(absl::Milliseconds(25));
    }
    EXPECT_THAT(message, HasSubstr(why));
    ASSERT_OK_AND_ASSIGN(json run, h_->Get(kube::TaskRunsV1(), name));
    EXPECT_NE(Annotation(run, "chains.tekton.dev/signed"), "true");
    EXPECT_THAT(h_->CountLayers(image, "sig"), IsOkAndHolds(0));
    EXPECT_THAT(h_->CountLayers(image, "att"), IsOkAndHolds(0));
  }

  void ExpectSignedOnce(const std::string& name, const std::string& image) {
    SCOPED_TRACE(name);
    ASSERT_OK(h_->WaitForSigned(kube::TaskRunsV1(), name).status());
    EXPECT_THAT(h_->CountLayers(image, "sig"), IsOkAndHolds(1));
    EXPECT_THAT(h_->CountLayers(image, "att"), IsOkAndHolds(1));
    EXPECT_OK(h_->VerifyImage(image, h_->key().public_path));
  }
};

TEST_F(AgentRegistryCredentialsTest, ARotatedSecretIsUsedWithoutARestart) {
  Start({"--registry-secret", kSecretName});
  ASSERT_OK(PutSecret(ConfigJson(kWrongPassword)));
  ASSERT_OK(h_->StartAgent());

  std::string first = CompleteRun("build-1");
  ExpectRefused("build-1", first);

  // A broken version (an `auth` that is not base64: the API server only checks that it is JSON)
  // is rejected: counted, logged by name, the previous credentials kept.
  ASSERT_OK(
      PutSecret(json{{"auths", {{h_->registry().host(), {{"auth", "%%not-base64%%"}}}}}}.dump()));
  EXPECT_THAT(h_->WaitForMetric("hallmark_registry_credentials_errors_total{source=\"secret\"}", 1),
              IsOkAndHolds(1));
  EXPECT_THAT(h_->AgentLogs(), HasSubstr(absl::StrCat("Secret tekton-chains/", kSecretName)));

  // The operator rotates the password: the run being retried is signed, and a new one too.
  ASSERT_OK(PutSecret(ConfigJson(kRightPassword)));
  ExpectSignedOnce("build-1", first);
  std::string second = CompleteRun("build-2");
  ExpectSignedOnce("build-2", second);

  EXPECT_TRUE(h_->AgentRunning(0));
  EXPECT_EQ(h_->agent(0), h_->agent());  // one agent process throughout
  EXPECT_THAT(h_->WaitForMetric("hallmark_registry_credentials_loads_total{source=\"secret\"}", 2),
              IsOkAndHolds(2));
}

TEST_F(AgentRegistryCredentialsTest, ASecretMissingAtStartIsUsedOnceCreatedAndDroppedOnDelete) {
  Start({"--registry-secret", kSecretName});
  ASSERT_OK(h_->StartAgent());  // ready without the Secret
  EXPECT_THAT(h_->AgentLogs(), HasSubstr("registry Secret not found"));

  std::string first = CompleteRun("early");
  ExpectRefused("early", first, "no credentials are configured");  // anonymous meanwhile
  ASSERT_OK(PutSecret(ConfigJson(kRightPassword)));
  ExpectSignedOnce("early", first);

  ASSERT_OK(h_->kube().Delete(kube::Secrets(), kSystemNamespace, kSecretName));
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!absl::StrContains(h_->AgentLogs(), "registry credentials removed") &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(25));
  }
  std::string late = CompleteRun("late");
  ExpectRefused("late", late, "no credentials are configured");
  EXPECT_TRUE(h_->AgentRunning(0));
}

TEST_F(AgentRegistryCredentialsTest, ARewrittenConfigFileIsUsedWithoutARestart) {
  std::string file = hallmark::testing::TempDir() + "/config.json";
  Start({"--registry-config", file});
  // Written the way a kubelet-updated mount or an operator's tool replaces it: a new file.
  ASSERT_OK(WriteFileAtomic(file, ConfigJson(kWrongPassword), 0600));
  ASSERT_OK(h_->StartAgent());

  std::string first = CompleteRun("build-1");
  ExpectRefused("build-1", first);

  // A truncated rewrite is rejected with a warning naming the file; a fix is picked up.
  ASSERT_OK(WriteFileAtomic(file, "{\"auths\": {", 0600));
  absl::Time deadline = absl::Now() + absl::Seconds(15);
  while (!absl::StrContains(h_->AgentLogs(), "registry credentials rejected") &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_THAT(h_->AgentLogs(), HasSubstr(absl::StrCat("file ", file)));
  ASSERT_OK(WriteFileAtomic(file, ConfigJson(kRightPassword), 0600));
  ExpectSignedOnce("build-1", first);
  std::string second = CompleteRun("build-2");
  ExpectSignedOnce("build-2", second);

  EXPECT_TRUE(h_->AgentRunning(0));
  EXPECT_THAT(h_->WaitForMetric("hallmark_registry_credentials_loads_total{source=\"file\"}", 2),
              IsOkAndHolds(2));
  EXPECT_THAT(h_->WaitForMetric("hallmark_registry_credentials_errors_total{source=\"file\"}", 1),
              IsOkAndHolds(1));
}

}  // namespace
}  // namespace hallmark::tests::e2e
