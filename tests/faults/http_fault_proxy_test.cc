// The fault proxy in front of the real docker-registry, driven by our registry client: it
// forwards faithfully (an image resolves and a blob uploads through it), and each fault does
// what it says: injected statuses with Retry-After, resets in the middle of an upload, delays,
// down/up and a black hole.
#include "tests/faults/http_fault_proxy.h"

#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "oci/content_digest.h"
#include "oci/curl_registry_client.h"
#include "oci/reference.h"
#include "oci/registry_client.h"
#include "tests/registry/registry_server.h"

namespace hallmark::tests::faults {
namespace {

using ::hallmark::testing::IsOk;
using ::hallmark::testing::StatusIs;

class HttpFaultProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(registry_, registry::RegistryServer::Start());
    ASSERT_OK_AND_ASSIGN(image_, registry_->PushImage("proxy/app", "v1", "proxy"));
    ASSERT_OK_AND_ASSIGN(proxy_, HttpFaultProxy::Start(registry_->port()));
  }
  std::unique_ptr<oci::RegistryClient> Client(int attempts = 3,
                                              absl::Duration timeout = absl::Seconds(10)) {
    oci::RegistryClientOptions options;
    options.retry.max_attempts = attempts;
    options.retry.initial_backoff = absl::Milliseconds(10);
    options.retry.max_backoff = absl::Milliseconds(50);
    options.request_timeout = timeout;
    auto client = oci::NewCurlRegistryClient(options);
    EXPECT_OK(client.status());
    return client.ok() ? std::move(*client) : nullptr;
  }
  oci::Reference Ref(const std::string& tag = "v1") {
    return *oci::Reference::Parse(absl::StrCat(proxy_->host(), "/proxy/app:", tag));
  }

  std::unique_ptr<registry::RegistryServer> registry_;
  std::optional<registry::TestImage> image_;
  std::unique_ptr<HttpFaultProxy> proxy_;
};

TEST_F(HttpFaultProxyTest, ForwardsAndCounts) {
  auto client = Client();
  ASSERT_OK_AND_ASSIGN(oci::Descriptor d, client->Resolve(Ref()));
  EXPECT_EQ(d.digest, image_->digest);
  std::string blob = "a blob uploaded through the proxy";
  ASSERT_OK(client->UploadBlob(oci::Repository::Of(Ref()), oci::Sha256Of(blob), blob));
  EXPECT_EQ(proxy_->Count("GET", ".*/manifests/v1"), 1);
  EXPECT_GE(proxy_->Count("PUT", ".*/blobs/uploads/.*"), 1);
  EXPECT_EQ(proxy_->Injected(), 0);
  for (const SeenRequest& r : proxy_->Requests()) EXPECT_LT(r.status, 400) << r.path;
}

TEST_F(HttpFaultProxyTest, InjectedStatusesWithRetryAfterAreHonoured) {
  ASSERT_OK(proxy_->AddRule(
      {.method = "GET", .path = ".*/manifests/v1", .status = 429, .retry_after = 1, .count = 1}));
  ASSERT_OK(proxy_->AddRule({.method = "GET", .path = ".*/manifests/v1", .status = 503}));
  auto client = Client();
  absl::Time start = absl::Now();
  ASSERT_OK_AND_ASSIGN(oci::Descriptor d, client->Resolve(Ref()));
  EXPECT_EQ(d.digest, image_->digest);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(950));  // Retry-After: 1
  EXPECT_EQ(proxy_->Count("GET", ".*/manifests/v1"), 3);
  EXPECT_EQ(proxy_->Injected(), 2);
  // Spent rules do nothing more.
  EXPECT_OK(client->Resolve(Ref()).status());
  EXPECT_EQ(proxy_->Injected(), 2);
}

TEST_F(HttpFaultProxyTest, ResetInTheMiddleOfAnUploadIsSeenAsAConnectionFailure) {
  ASSERT_OK(proxy_->AddRule({.method = "PUT",
                             .path = ".*/blobs/uploads/.*",
                             .action = FaultRule::Action::kResetMidBody,
                             .count = -1}));
  auto client = Client(/*attempts=*/2);
  std::string blob(4096, 'x');
  EXPECT_THAT(client->UploadBlob(oci::Repository::Of(Ref()), oci::Sha256Of(blob), blob),
              StatusIs(absl::StatusCode::kUnavailable));
  // Two attempts; curl itself may repeat a request whose reused connection died.
  EXPECT_GE(proxy_->Count("PUT", ".*/blobs/uploads/.*"), 2);
  for (const SeenRequest& r : proxy_->Requests()) {
    if (r.method == "PUT") {
      EXPECT_TRUE(r.injected && r.status == 0) << r.path;
    }
  }
  // The registry never got the whole blob.
  EXPECT_THAT(client->BlobSize(oci::Repository::Of(Ref()), oci::Sha256Of(blob)),
              ::hallmark::testing::IsOkAndHolds(std::nullopt));
  proxy_->ClearRules();
  EXPECT_OK(client->UploadBlob(oci::Repository::Of(Ref()), oci::Sha256Of(blob), blob));
}

TEST_F(HttpFaultProxyTest, DroppedResponseAfterTheRegistryDidTheWork) {
  ASSERT_OK(proxy_->AddRule(
      {.method = "PUT", .path = ".*/manifests/v2", .action = FaultRule::Action::kDropResponse}));
  auto client = Client(/*attempts=*/1);
  EXPECT_THAT(
      client->PutManifest(oci::Repository::Of(Ref()), "v2", image_->manifest, image_->manifest_type)
          .status(),
      StatusIs(absl::StatusCode::kUnavailable));
  ASSERT_OK_AND_ASSIGN(oci::Descriptor d, client->Resolve(Ref("v2")));  // it was stored
  EXPECT_EQ(d.digest, image_->digest);
  int puts = 0;
  for (const SeenRequest& r : proxy_->Requests()) {
    if (r.method != "PUT") continue;
    ++puts;
    EXPECT_EQ(r.status, 201);  // what the registry answered, never relayed
    EXPECT_TRUE(r.injected);
  }
  EXPECT_GE(puts, 1);
}

TEST_F(HttpFaultProxyTest, DelaysBeforeAndAfterForwarding) {
  ASSERT_OK(proxy_->AddRule({.method = "GET",
                             .path = ".*/manifests/v1",
                             .action = FaultRule::Action::kDelay,
                             .delay = absl::Milliseconds(400)}));
  ASSERT_OK(proxy_->AddRule({.method = "GET",
                             .path = ".*/manifests/v1",
                             .action = FaultRule::Action::kDelayResponse,
                             .delay = absl::Seconds(3)}));
  auto client = Client(/*attempts=*/1, /*timeout=*/absl::Seconds(1));
  absl::Time start = absl::Now();
  EXPECT_OK(client->Resolve(Ref()).status());
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(400));
  // The registry answered, but too late for the client.
  EXPECT_THAT(client->Resolve(Ref()).status(), StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_EQ(proxy_->Count("GET", ".*/manifests/v1"), 2);
}

TEST_F(HttpFaultProxyTest, DownRefusesAndUpServesOnTheSamePort) {
  auto client = Client(/*attempts=*/1);
  int port = proxy_->port();
  proxy_->Down();
  EXPECT_THAT(client->Resolve(Ref()).status(), StatusIs(absl::StatusCode::kUnavailable));
  ASSERT_OK(proxy_->Up());
  EXPECT_EQ(proxy_->port(), port);
  EXPECT_THAT(client->Resolve(Ref()).status(), IsOk());
}

TEST_F(HttpFaultProxyTest, BlackHoleNeverAnswers) {
  proxy_->BlackHole(true);
  auto client = Client(/*attempts=*/1, /*timeout=*/absl::Milliseconds(500));
  absl::Time start = absl::Now();
  EXPECT_THAT(client->Resolve(Ref()).status(), StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  EXPECT_EQ(proxy_->Count(), 0);
}

}  // namespace
}  // namespace hallmark::tests::faults
