// The agent against a misbehaving registry, end to end: the real docker-registry (behind
// HttpFaultProxy, stopped and restarted, or on a full disk), hallmark-apiserver and the built
// `hallmark agent`. After every scenario: each completed run is signed exactly once (one `.sig`
// and one `.att` layer, both verified by `hallmark verify`/openssl and securesystemslib), and no
// run says signed=true while its image is not verifiably signed. FIGURE lines give the time to
// recover and the requests made. (tests/e2e/agent_faults_test covers a registry port that
// refuses connections for a while and an outage longer than the retry window.)
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kube/resource.h"
#include "nlohmann/json.hpp"
#include "oci/content_digest.h"
#include "oci/curl_registry_client.h"
#include "oci/reference.h"
#include "oci/registry_client.h"
#include "tests/e2e/agent_harness.h"
#include "tests/faults/fault_testing.h"
#include "tests/faults/http_fault_proxy.h"
#include "tests/registry/registry_server.h"

namespace hallmark::tests::faults {
namespace {

using e2e::AgentHarness;
using nlohmann::json;

class AgentRegistryFaultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(h_, AgentHarness::Start());
    ASSERT_OK_AND_ASSIGN(proxy_, HttpFaultProxy::Start(h_->registry().port()));
  }
  void TearDown() override {
    if (h_ != nullptr) {
      EXPECT_OK(h_->NoSecretsInLogs());
    }
  }

  // Signs `run` for `image` (direct) referenced through the proxy; returns the time to signed.
  absl::StatusOr<absl::Duration> SignThroughProxy(const std::string& run, const std::string& image,
                                                  absl::Duration timeout = absl::Seconds(60)) {
    absl::Time start = absl::Now();
    absl::Status s =
        h_->CompleteTaskRun({.name = run, .results = ImageResults(ViaHost(image, proxy_->host()))})
            .status();
    if (!s.ok()) return s;
    s = h_->WaitForSigned(kube::TaskRunsV1(), run, timeout).status();
    if (!s.ok()) return s;
    return absl::Now() - start;
  }

  std::unique_ptr<AgentHarness> h_;
  std::unique_ptr<HttpFaultProxy> proxy_;
};

TEST_F(AgentRegistryFaultsTest, ServerErrorsAndRateLimitsAreRetriedAndSignedOnce) {
  for (int t = 0; t < Trials(); ++t) {
    ASSERT_OK_AND_ASSIGN(std::string image, h_->PushImage("team/app", absl::StrCat("e", t),
                                                          absl::StrCat("errors", t)));
    proxy_->ClearRequests();
    ASSERT_OK(proxy_->AddRule({.method = "PUT",
                               .path = ".*/manifests/sha256-.*\\.(sig|att)",
                               .status = 500,
                               .count = 2}));
    ASSERT_OK(proxy_->AddRule(
        {.method = "POST", .path = ".*/blobs/uploads/", .status = 503, .count = 2}));
    ASSERT_OK(proxy_->AddRule({.method = "GET",
                               .path = ".*/manifests/sha256-.*\\.sig",
                               .status = 429,
                               .retry_after = 1,
                               .count = 1}));
    ASSERT_OK_AND_ASSIGN(absl::Duration took, SignThroughProxy(absl::StrCat("errors-", t), image));
    ExpectSignedExactlyOnce(*h_, image);

    // Every injected fault was met, and the 429's Retry-After was waited out.
    std::vector<SeenRequest> seen = proxy_->Requests();
    int injected = 0;
    for (size_t i = 0; i < seen.size(); ++i) {
      if (!seen[i].injected) continue;
      ++injected;
      if (seen[i].status != 429) continue;
      for (size_t j = i + 1; j < seen.size(); ++j) {
        if (seen[j].method == seen[i].method && seen[j].path == seen[i].path) {
          EXPECT_GE(seen[j].at - seen[i].at, absl::Milliseconds(950)) << seen[j].path;
          break;
        }
      }
    }
    EXPECT_EQ(injected, 5);
    Figure("registry: 500 on manifest PUTs x2, 503 on upload POSTs x2, 429 Retry-After 1 x1",
           {{"trial", t},
            {"ms_to_signed", Millis(took)},
            {"requests", seen.size()},
            {"injected", injected}});
    proxy_->ClearRules();
  }
}

TEST_F(AgentRegistryFaultsTest, UploadsCutMidBodyAndLostResponsesLeaveOneLayer) {
  for (int t = 0; t < Trials(); ++t) {
    ASSERT_OK_AND_ASSIGN(std::string image,
                         h_->PushImage("team/app", absl::StrCat("r", t), absl::StrCat("reset", t)));
    proxy_->ClearRequests();
    // Blob uploads cut in the middle (twice); then the `.sig` and `.att` manifests stored by the
    // registry but their 201s lost: the agent must not end up with a second layer.
    ASSERT_OK(proxy_->AddRule({.method = "PUT",
                               .path = ".*/blobs/uploads/.*",
                               .action = FaultRule::Action::kResetMidBody,
                               .count = 2}));
    ASSERT_OK(proxy_->AddRule({.method = "PUT",
                               .path = ".*/manifests/sha256-.*\\.sig",
                               .action = FaultRule::Action::kDropResponse,
                               .count = 1}));
    ASSERT_OK(proxy_->AddRule({.method = "PUT",
                               .path = ".*/manifests/sha256-.*\\.att",
                               .action = FaultRule::Action::kDropResponse,
                               .count = 1}));
    ASSERT_OK_AND_ASSIGN(absl::Duration took, SignThroughProxy(absl::StrCat("reset-", t), image));
    ExpectSignedExactlyOnce(*h_, image);
    EXPECT_EQ(proxy_->Injected(), 4);
    Figure("registry: uploads reset mid-body x2, .sig/.att manifest responses lost",
           {{"trial", t},
            {"ms_to_signed", Millis(took)},
            {"requests", proxy_->Count()},
            {"injected", proxy_->Injected()}});
    proxy_->ClearRules();
  }
}

TEST_F(AgentRegistryFaultsTest, SlowRegistrySignsABurst) {
  for (int t = 0; t < Trials(); ++t) {
    std::vector<std::string> images;
    for (int i = 0; i < 4; ++i) {
      ASSERT_OK_AND_ASSIGN(std::string image,
                           h_->PushImage(absl::StrCat("slow/app", i), absl::StrCat("t", t),
                                         absl::StrCat("slow", t, "-", i)));
      images.push_back(image);
    }
    proxy_->ClearRequests();
    ASSERT_OK(proxy_->AddRule({.method = "",
                               .path = "",
                               .action = FaultRule::Action::kDelay,
                               .delay = absl::Milliseconds(250),
                               .count = -1}));
    absl::Time start = absl::Now();
    for (int i = 0; i < 4; ++i) {
      ASSERT_OK(h_->CompleteTaskRun({.name = absl::StrCat("slow-", t, "-", i),
                                     .results = ImageResults(ViaHost(images[i], proxy_->host()))})
                    .status());
    }
    for (int i = 0; i < 4; ++i) {
      ASSERT_OK(
          h_->WaitForSigned(kube::TaskRunsV1(), absl::StrCat("slow-", t, "-", i), absl::Seconds(60))
              .status());
    }
    absl::Duration took = absl::Now() - start;
    proxy_->ClearRules();
    for (const std::string& image : images) ExpectSignedExactlyOnce(*h_, image);
    Figure("registry: every request delayed 250 ms, 4 runs",
           {{"trial", t}, {"ms_to_all_signed", Millis(took)}, {"requests", proxy_->Count()}});
  }
}

TEST_F(AgentRegistryFaultsTest, RegistryStoppedPastTheFirstRetriesThenRestarted) {
  for (int t = 0; t < Trials(); ++t) {
    ASSERT_OK_AND_ASSIGN(std::string image,
                         h_->PushImage("team/app", absl::StrCat("s", t), absl::StrCat("stop", t)));
    const std::string run = absl::StrCat("stopped-", t);
    h_->registry().Stop();
    absl::Time down = absl::Now();
    ASSERT_OK(h_->CompleteTaskRun({.name = run, .results = ImageResults(image)}).status());
    // Failed attempts are counted in chains.tekton.dev/retries; the run is not failed.
    ASSERT_OK_AND_ASSIGN(json waiting, h_->WaitForAnnotation(kube::TaskRunsV1(), run,
                                                             "chains.tekton.dev/retries", "2"));
    EXPECT_EQ(Annotation(waiting, "chains.tekton.dev/signed"), "");
    ASSERT_OK(h_->registry().Restart());
    absl::Time up = absl::Now();
    ASSERT_OK_AND_ASSIGN(json run_object,
                         h_->WaitForSigned(kube::TaskRunsV1(), run, absl::Seconds(60)));
    absl::Duration recovery = absl::Now() - up;
    EXPECT_EQ(Annotation(run_object, "chains.tekton.dev/retries"), "");
    ExpectSignedExactlyOnce(*h_, image);
    // The agent's backoff is at most 2 s here (the harness's --retry-max-backoff).
    EXPECT_LT(recovery, absl::Seconds(10));
    Figure(
        "registry process stopped (SIGTERM) until 2 retries, then restarted with its storage",
        {{"trial", t}, {"ms_down", Millis(up - down)}, {"ms_restart_to_signed", Millis(recovery)}});
  }
}

TEST_F(AgentRegistryFaultsTest, FullDiskNeverSignsThenSignsOnceTheVolumeGrows) {
  registry::RegistryServerOptions options;
  options.storage_limit_bytes = 1 << 20;
  ASSERT_OK_AND_ASSIGN(auto full, registry::RegistryServer::Start(options));
  ASSERT_OK_AND_ASSIGN(registry::TestImage pushed, full->PushImage("team/app", "v1", "disk"));
  const std::string image = absl::StrCat(full->host(), "/team/app@", pushed.digest.String());

  // Fill the volume through the registry itself.
  oci::RegistryClientOptions client_options;
  client_options.retry.max_attempts = 1;
  ASSERT_OK_AND_ASSIGN(auto client, oci::NewCurlRegistryClient(client_options));
  oci::Repository filler_repo{full->host(), "filler/blobs"};
  int fillers = 0;
  for (; fillers < 64; ++fillers) {
    std::string blob(48 << 10, static_cast<char>('a' + fillers % 26));
    blob += absl::StrCat(fillers);
    if (!client->UploadBlob(filler_repo, oci::Sha256Of(blob), blob).ok()) break;
  }
  ASSERT_LT(fillers, 64) << "the volume never filled up";

  ASSERT_OK(h_->CompleteTaskRun({.name = "full-disk", .results = ImageResults(image)}).status());
  ASSERT_OK_AND_ASSIGN(json waiting, h_->WaitForAnnotation(kube::TaskRunsV1(), "full-disk",
                                                           "chains.tekton.dev/retries", "2"));
  EXPECT_EQ(Annotation(waiting, "chains.tekton.dev/signed"), "");
  EXPECT_THAT(full->Log(), ::testing::HasSubstr("no space left on device"));
  ExpectNoSignedWithoutSignatures(*h_, {"full-disk"}, {image});

  ASSERT_OK(full->ResizeStorage(64 << 20));
  absl::Time grown = absl::Now();
  ASSERT_OK(h_->WaitForSigned(kube::TaskRunsV1(), "full-disk", absl::Seconds(60)).status());
  absl::Duration recovery = absl::Now() - grown;
  ExpectSignedExactlyOnce(*h_, image);
  Figure("registry volume full (tmpfs, ENOSPC) until 2 retries, then grown",
         {{"filler_blobs", fillers}, {"ms_grow_to_signed", Millis(recovery)}});
}

}  // namespace
}  // namespace hallmark::tests::faults
