// End-to-end faults: a missing key, a rotated key (Secret and mounted folder), the registry down
// for a while, 409 on the marking patch, watches dropped mid-stream, 410 Expired, a bad or
// unsupported chains-config - each ends in the right state, nothing lost and nothing signed twice.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kube/kube_client.h"
#include "kube/resource.h"
#include "nlohmann/json.hpp"
#include "tests/e2e/agent_harness.h"
#include "tests/e2e/agent_harness_test_base.h"
#include "tests/e2e/tcp_proxy.h"

namespace hallmark::tests::e2e {
namespace {

using ::hallmark::testing::IsOkAndHolds;
using nlohmann::json;
using ::testing::HasSubstr;

json ImageResults(const std::string& image) {
  return json::array({{{"name", "IMAGE_URL"}, {"value", image.substr(0, image.find('@'))}},
                      {{"name", "IMAGE_DIGEST"}, {"value", image.substr(image.find('@') + 1)}}});
}

// WaitForEvent: the first Event with `reason` about `name`.
absl::StatusOr<json> WaitForEvent(AgentHarness& h, const std::string& name,
                                  const std::string& reason, const std::string& ns = kRunNamespace,
                                  absl::Duration timeout = absl::Seconds(20)) {
  absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    absl::StatusOr<std::vector<json>> events = h.Events(name, ns);
    if (events.ok()) {
      for (const json& e : *events) {
        if (e["reason"] == reason) return e;
      }
    }
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(absl::StrCat("no ", reason, " event about ", name));
    }
    absl::SleepFor(absl::Milliseconds(25));
  }
}

std::string Annotation(const json& run, const std::string& key) {
  json a = run.value("metadata", json::object()).value("annotations", json::object());
  return a.is_object() && a.contains(key) && a[key].is_string() ? a[key].get<std::string>() : "";
}

class AgentFaultsTest : public AgentHarnessTest {
 protected:
  // ExpectSignedOnce: `image` has exactly one `.sig` and one `.att` layer, by `key`.
  void ExpectSignedOnce(const std::string& image, const SigningKey& key) {
    SCOPED_TRACE(image);
    EXPECT_THAT(h_->CountLayers(image, "sig"), IsOkAndHolds(1));
    EXPECT_THAT(h_->CountLayers(image, "att"), IsOkAndHolds(1));
    EXPECT_OK(h_->VerifyImage(image, key.public_path));
  }
};

TEST_F(AgentFaultsTest, MissingKeyWaitsWithAnEventThenSignsWhenTheSecretAppears) {
  HarnessOptions options;
  options.create_secret = false;
  Start(options);
  ASSERT_OK_AND_ASSIGN(std::string image, h_->PushImage("team/app", "v1", "nokey"));
  ASSERT_OK(h_->CompleteTaskRun({.name = "waiting", .results = ImageResults(image)}).status());
  ASSERT_OK_AND_ASSIGN(json event, WaitForEvent(*h_, "waiting", "SigningKeyUnavailable"));
  EXPECT_EQ(event["type"], "Warning");
  EXPECT_THAT(event["message"].get<std::string>(),
              HasSubstr("Secret tekton-chains/signing-secrets: not found"));
  absl::SleepFor(absl::Milliseconds(500));  // it stays waiting: not signed, not failed
  ASSERT_OK_AND_ASSIGN(json run, h_->Get(kube::TaskRunsV1(), "waiting"));
  EXPECT_EQ(Annotation(run, "chains.tekton.dev/signed"), "");
  EXPECT_EQ(Annotation(run, "chains.tekton.dev/retries"), "");
  EXPECT_THAT(h_->MetricValue("hallmark_runs_waiting"), IsOkAndHolds(1));
  EXPECT_THAT(h_->CountLayers(image, "sig"), IsOkAndHolds(0));
  ASSERT_OK_AND_ASSIGN(auto ready, h_->Readyz());
  EXPECT_EQ(ready.first, 200);  // waiting for a key is not a reason to restart the pod

  ASSERT_OK(h_->PutSigningSecret(h_->key()));
  ASSERT_OK(h_->WaitForSigned(kube::TaskRunsV1(), "waiting").status());
  ExpectSignedOnce(image, h_->key());
  ASSERT_OK_AND_ASSIGN(std::vector<json> events, h_->Events("waiting"));
  EXPECT_EQ(events.size(), 1u);  // one Event for the whole wait
}

TEST_F(AgentFaultsTest, RotatedSecretIsUsedFromTheNextRunWithoutARestart) {
  Start();
  ASSERT_OK_AND_ASSIGN(std::string first, h_->PushImage("team/app", "v1", "first"));
  ASSERT_OK(h_->CompleteTaskRun({.name = "before", .results = ImageResults(first)}).status());
  ASSERT_OK(h_->WaitForSigned(kube::TaskRunsV1(), "before").status());
  pid_t pid = h_->agent()->pid();

  ASSERT_OK_AND_ASSIGN(SigningKey rotated, h_->NewKey());
  ASSERT_OK(h_->PutSigningSecret(rotated, /*as_x509=*/true));
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (*h_->MetricValue("hallmark_key_loads_total") < 2 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_OK_AND_ASSIGN(std::string second, h_->PushImage("team/app", "v2", "second"));
  ASSERT_OK(h_->CompleteTaskRun({.name = "after", .results = ImageResults(second)}).status());
  ASSERT_OK(h_->WaitForSigned(kube::TaskRunsV1(), "after").status());

  EXPECT_EQ(h_->agent()->pid(), pid);
  EXPECT_TRUE(h_->AgentRunning());
  ExpectSignedOnce(first, h_->key());
  ExpectSignedOnce(second, rotated);
  EXPECT_FALSE(h_->VerifyImage(second, h_->key().public_path).ok());
  EXPECT_THAT(h_->MetricValue("hallmark_key_loads_total"), IsOkAndHolds(2));
}

TEST_F(AgentFaultsTest, RotationThroughTheMountedFolderAndABrokenKeyInBetween) {
  HarnessOptions options;
  options.secrets_in_dir = true;
  Start(options);
  ASSERT_OK_AND_ASSIGN(std::string first, h_->PushImage("team/app", "v1", "dir-first"));
  ASSERT_OK(h_->CompleteTaskRun({.name = "one", .results = ImageResults(first)}).status());
  ASSERT_OK(h_->WaitForSigned(kube::TaskRunsV1(), "one").status());

  // A rotation to a key whose password does not match: runs wait (never the old key).
  ASSERT_OK_AND_ASSIGN(SigningKey broken, h_->NewKey());
  broken.password = h_->key().password;
  ASSERT_OK(h_->PutSigningSecret(broken));
  // Like the kubelet's, the agent's view of the folder lags (a poll per second): wait for it.
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (*h_->MetricValue("hallmark_key_loads_total") < 2 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_OK_AND_ASSIGN(std::string second, h_->PushImage("team/app", "v2", "dir-second"));
  ASSERT_OK(h_->CompleteTaskRun({.name = "two", .results = ImageResults(second)}).status());
  ASSERT_OK_AND_ASSIGN(json event, WaitForEvent(*h_, "two", "SigningKeyUnavailable"));
  EXPECT_THAT(event["message"].get<std::string>(), HasSubstr("decryption failed"));
  EXPECT_THAT(h_->CountLayers(second, "sig"), IsOkAndHolds(0));

  ASSERT_OK_AND_ASSIGN(SigningKey good, h_->NewKey());
  ASSERT_OK(h_->PutSigningSecret(good));
  ASSERT_OK(h_->WaitForSigned(kube::TaskRunsV1(), "two").status());
  ExpectSignedOnce(first, h_->key());
  ExpectSignedOnce(second, good);
}

TEST_F(AgentFaultsTest, RegistryDownForAWhileIsRetriedThenSignedNotFailed) {
  Start();
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<TcpProxy> proxy, TcpProxy::Start(h_->registry().port()));
  ASSERT_OK_AND_ASSIGN(std::string direct, h_->PushImage("team/app", "v1", "outage"));
  std::string via_proxy = proxy->host() + direct.substr(direct.find('/'));
  proxy->Down();
  ASSERT_OK(h_->CompleteTaskRun({.name = "outage", .results = ImageResults(via_proxy)}).status());
  ASSERT_OK(h_->WaitForAnnotation(kube::TaskRunsV1(), "outage", "chains.tekton.dev/retries", "2")
                .status());
  ASSERT_OK_AND_ASSIGN(json event, WaitForEvent(*h_, "outage", "SigningFailed"));
  EXPECT_THAT(event["message"].get<std::string>(), HasSubstr(proxy->host()));
  EXPECT_THAT(event["message"].get<std::string>(), HasSubstr("retrying in"));
  ASSERT_OK(proxy->Up());
  ASSERT_OK_AND_ASSIGN(json run, h_->WaitForSigned(kube::TaskRunsV1(), "outage"));
  EXPECT_EQ(Annotation(run, "chains.tekton.dev/retries"), "");  // cleared on success
  ExpectSignedOnce(direct, h_->key());
  ASSERT_OK_AND_ASSIGN(
      double failures,
      h_->MetricValue("watcher_taskrun_signing_failures_total{error_type=\"storage\"}"));
  EXPECT_GE(failures, 2);
}

TEST_F(AgentFaultsTest, OurOwnRetriesPatchDoesNotCutTheBackoffShort) {
  // Chains re-drives a failed run from the update event of its own `retries` annotation, so its
  // retries come seconds apart whatever the backoff. Ours wait for the backoff.
  HarnessOptions options;
  options.agent_args = {"--retry-backoff", "3s", "--retry-max-backoff", "3s"};
  Start(options);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<TcpProxy> proxy, TcpProxy::Start(h_->registry().port()));
  ASSERT_OK_AND_ASSIGN(std::string direct, h_->PushImage("team/app", "v1", "backoff"));
  proxy->Down();
  ASSERT_OK(h_->CompleteTaskRun(
                  {.name = "backoff",
                   .results = ImageResults(proxy->host() + direct.substr(direct.find('/')))})
                .status());
  ASSERT_OK(h_->WaitForAnnotation(kube::TaskRunsV1(), "backoff", "chains.tekton.dev/retries", "1")
                .status());
  absl::SleepFor(absl::Seconds(2));
  ASSERT_OK_AND_ASSIGN(json run, h_->Get(kube::TaskRunsV1(), "backoff"));
  EXPECT_EQ(Annotation(run, "chains.tekton.dev/retries"), "1");
  ASSERT_OK(proxy->Up());
  ASSERT_OK(h_->WaitForSigned(kube::TaskRunsV1(), "backoff").status());
  ExpectSignedOnce(direct, h_->key());
}

TEST_F(AgentFaultsTest, OutageLongerThanTheRetryWindowEndsFailed) {
  HarnessOptions options;
  options.agent_args = {"--retry-window",      "1s",   "--retry-backoff", "100ms",
                        "--retry-max-backoff", "200ms"};
  Start(options);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<TcpProxy> proxy, TcpProxy::Start(h_->registry().port()));
  ASSERT_OK_AND_ASSIGN(std::string direct, h_->PushImage("team/app", "v1", "gone"));
  proxy->Down();
  ASSERT_OK(h_->CompleteTaskRun(
                  {.name = "gone",
                   .results = ImageResults(proxy->host() + direct.substr(direct.find('/')))})
                .status());
  ASSERT_OK_AND_ASSIGN(json run, h_->WaitForAnnotation(kube::TaskRunsV1(), "gone",
                                                       "chains.tekton.dev/signed", "failed"));
  int retries = 0;
  ASSERT_TRUE(absl::SimpleAtoi(Annotation(run, "chains.tekton.dev/retries"), &retries));
  EXPECT_GE(retries, 5);  // 100+200+200+200+200+200 ms >= 1 s: 7 attempts
  ASSERT_OK_AND_ASSIGN(json event, WaitForEvent(*h_, "gone", "SigningFailedPermanently"));
  EXPECT_THAT(event["message"].get<std::string>(), HasSubstr("gave up after"));
  ASSERT_OK(proxy->Up());
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_THAT(h_->CountLayers(direct, "sig"), IsOkAndHolds(0));  // failed is final
}

TEST_F(AgentFaultsTest, ConflictOnTheMarkingPatchIsReReadAndRetried) {
  Start();
  ASSERT_OK_AND_ASSIGN(std::string image, h_->PushImage("team/app", "v1", "conflict"));
  ASSERT_OK(h_->api()
                .Knob("POST", "/__hallmark/faults",
                      json{{"path", "/apis/tekton.dev/v1/namespaces/ci/taskruns/conflict"},
                           {"method", "PATCH"},
                           {"code", 409},
                           {"count", 2}}
                          .dump())
                .status());
  ASSERT_OK(h_->CompleteTaskRun({.name = "conflict", .results = ImageResults(image)}).status());
  ASSERT_OK(h_->WaitForSigned(kube::TaskRunsV1(), "conflict").status());
  ExpectSignedOnce(image, h_->key());
  ASSERT_OK_AND_ASSIGN(std::vector<json> requests, h_->AgentRequests());
  int patches = 0, conflicts = 0;
  for (const json& r : requests) {
    if (r["path"] != "/apis/tekton.dev/v1/namespaces/ci/taskruns/conflict" ||
        r["method"] != "PATCH") {
      continue;
    }
    ++patches;
    conflicts += r["status"] == 409;
  }
  EXPECT_EQ(patches, 3);
  EXPECT_EQ(conflicts, 2);
}

TEST_F(AgentFaultsTest, WatchesDroppedMidStreamAndExpiredResourceVersionsLoseNothing) {
  Start();
  std::vector<std::string> images;
  for (int i = 0; i < 12; ++i) {
    ASSERT_OK_AND_ASSIGN(std::string image,
                         h_->PushImage("team/app", absl::StrCat("v", i), absl::StrCat("w", i)));
    images.push_back(image);
  }
  for (int i = 0; i < 12; ++i) {
    if (i == 3) {
      ASSERT_OK(h_->api().Knob("POST", "/__hallmark/drop-watches?abrupt=1", "").status());
    }
    if (i == 6) {
      // 410 as an ERROR event: everything before now is compacted, then the watches drop, so
      // the agent's resume point is gone and it must relist.
      ASSERT_OK(h_->api().Knob("POST", "/__hallmark/compact", "").status());
      ASSERT_OK(h_->api().Knob("POST", "/__hallmark/drop-watches", "").status());
    }
    if (i == 9) {
      ASSERT_OK(
          h_->api().Knob("PUT", "/__hallmark/watch-settings", R"({"expiredAs": "http"})").status());
      ASSERT_OK(h_->api().Knob("POST", "/__hallmark/compact", "").status());
      ASSERT_OK(h_->api().Knob("POST", "/__hallmark/drop-watches?abrupt=1", "").status());
    }
    ASSERT_OK(
        h_->CompleteTaskRun({.name = absl::StrCat("w", i), .results = ImageResults(images[i])})
            .status());
  }
  for (int i = 0; i < 12; ++i) {
    ASSERT_OK(
        h_->WaitForSigned(kube::TaskRunsV1(), absl::StrCat("w", i), absl::Seconds(60)).status());
  }
  for (const std::string& image : images) ExpectSignedOnce(image, h_->key());
  std::string logs = h_->AgentLogs();
  EXPECT_THAT(logs, HasSubstr("relisting"));  // the 410s were seen and handled by relisting
}

TEST_F(AgentFaultsTest, UnsupportedConfigWaitsAndABadValueKeepsThePreviousConfig) {
  Start();
  // Unsupported (Chains accepts it, we do not implement it): runs wait with an Event.
  ASSERT_OK(h_->PutConfig({{"artifacts.taskrun.storage", "gcs"}}));
  ASSERT_OK(WaitForEvent(*h_, "chains-config", "UnsupportedConfig", kSystemNamespace).status());
  ASSERT_OK_AND_ASSIGN(std::string image, h_->PushImage("team/app", "v1", "config"));
  ASSERT_OK(h_->CompleteTaskRun({.name = "config", .results = ImageResults(image)}).status());
  ASSERT_OK_AND_ASSIGN(json event, WaitForEvent(*h_, "config", "ConfigUnusable"));
  EXPECT_THAT(event["message"].get<std::string>(),
              HasSubstr("artifacts.taskrun.storage: \"gcs\" is not supported"));
  ASSERT_OK_AND_ASSIGN(json run, h_->Get(kube::TaskRunsV1(), "config"));
  EXPECT_EQ(Annotation(run, "chains.tekton.dev/signed"), "");

  // Fixed: the run is signed.
  ASSERT_OK(h_->PutConfig({{"artifacts.taskrun.storage", "oci"}}));
  ASSERT_OK(h_->WaitForSigned(kube::TaskRunsV1(), "config").status());
  ExpectSignedOnce(image, h_->key());

  // Invalid (Chains rejects it too): the previous config stays in force.
  ASSERT_OK(h_->PutConfig(
      {{"artifacts.taskrun.storage", "oci"}, {"artifacts.taskrun.format", "tekton"}}));
  ASSERT_OK_AND_ASSIGN(json invalid,
                       WaitForEvent(*h_, "chains-config", "InvalidConfig", kSystemNamespace));
  EXPECT_THAT(invalid["message"].get<std::string>(), HasSubstr("previous configuration"));
  ASSERT_OK_AND_ASSIGN(std::string next, h_->PushImage("team/app", "v2", "config-next"));
  ASSERT_OK(h_->CompleteTaskRun({.name = "next", .results = ImageResults(next)}).status());
  ASSERT_OK(h_->WaitForSigned(kube::TaskRunsV1(), "next").status());
  ExpectSignedOnce(next, h_->key());
}

TEST_F(AgentFaultsTest, TooManyImagesIsMarkedFailedAtOnce) {
  Start();
  json results = json::array();
  for (int i = 0; i < 257; ++i) {
    results.push_back({{"name", absl::StrCat("i", i, "-IMAGE_URL")},
                       {"value", absl::StrCat(h_->registry().host(), "/team/app", i)}});
    results.push_back({{"name", absl::StrCat("i", i, "-IMAGE_DIGEST")},
                       {"value", "sha256:" + std::string(64, 'a')}});
  }
  ASSERT_OK(h_->CompleteTaskRun({.name = "huge", .results = results}).status());
  ASSERT_OK_AND_ASSIGN(json run, h_->WaitForAnnotation(kube::TaskRunsV1(), "huge",
                                                       "chains.tekton.dev/signed", "failed"));
  EXPECT_EQ(Annotation(run, "chains.tekton.dev/retries"), "1");
  ASSERT_OK_AND_ASSIGN(json event, WaitForEvent(*h_, "huge", "SigningFailedPermanently"));
  EXPECT_THAT(event["message"].get<std::string>(), HasSubstr("256"));
}

}  // namespace
}  // namespace hallmark::tests::e2e
