// Checks the helper itself against what distribution 2.8 promises: an image pushed by PushImage is
// served back byte for byte, and the htpasswd and token variants really require credentials.
#include "tests/registry/registry_server.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/curl_http_client.h"

namespace hallmark::tests::registry {
namespace {

using ::testing::HasSubstr;

net::HttpResponse Get(const std::string& url, absl::string_view accept = "") {
  auto http = net::CurlHttpClient::New();
  EXPECT_TRUE(http.ok());
  net::HttpRequest request;
  request.url = url;
  if (!accept.empty()) request.headers.Add("Accept", accept);
  auto response = (*http)->Do(request);
  EXPECT_TRUE(response.ok()) << response.status();
  return response.ok() ? *response : net::HttpResponse();
}

TEST(MakeTestImageTest, DeterministicAndSeeded) {
  TestImage a = MakeTestImage("a");
  EXPECT_EQ(a.digest, MakeTestImage("a").digest);
  EXPECT_NE(a.digest, MakeTestImage("b").digest);
  EXPECT_THAT(a.manifest, HasSubstr(a.config_digest.String()));
  EXPECT_THAT(a.config, HasSubstr(a.layer_digest.String()));
}

TEST(RegistryServerTest, AnonymousPushAndPull) {
  ASSERT_OK_AND_ASSIGN(auto registry, RegistryServer::Start());
  EXPECT_THAT(registry->host(), HasSubstr("127.0.0.1:"));
  ASSERT_OK_AND_ASSIGN(TestImage image, registry->PushImage("demo/app", "v1"));
  net::HttpResponse r =
      Get(registry->Url("/v2/demo/app/manifests/v1"), "application/vnd.oci.image.manifest.v1+json");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, image.manifest);
  r = Get(registry->Url(absl::StrCat("/v2/demo/app/blobs/", image.layer_digest.String())));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, image.layer);
  EXPECT_THAT(registry->Log(), HasSubstr("listening on"));
}

TEST(RegistryServerTest, StopAndRestartKeepTheStorageAndThePort) {
  ASSERT_OK_AND_ASSIGN(auto registry, RegistryServer::Start());
  ASSERT_OK_AND_ASSIGN(TestImage image, registry->PushImage("demo/app", "v1"));
  const std::string url = registry->Url("/v2/demo/app/manifests/v1");
  registry->Stop();
  auto http = net::CurlHttpClient::New();
  ASSERT_TRUE(http.ok());
  net::HttpRequest request;
  request.url = url;
  EXPECT_THAT((*http)->Do(request).status(),
              ::hallmark::testing::StatusIs(absl::StatusCode::kUnavailable));
  ASSERT_OK(registry->Restart());
  net::HttpResponse r = Get(url, "application/vnd.oci.image.manifest.v1+json");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, image.manifest);
}

TEST(RegistryServerTest, StorageLimitFailsWritesLikeAFullDiskUntilResized) {
  RegistryServerOptions options;
  options.storage_limit_bytes = 16 << 10;
  ASSERT_OK_AND_ASSIGN(auto registry, RegistryServer::Start(options));
  absl::StatusOr<TestImage> full = registry->PushImage("demo/app", "v1", "full");
  ASSERT_FALSE(full.ok());
  EXPECT_THAT(registry->Log(), HasSubstr("no space left on device"));
  EXPECT_FALSE(registry->Restart().ok());  // the storage lives in the process's namespace
  ASSERT_OK(registry->ResizeStorage(8 << 20));
  ASSERT_OK_AND_ASSIGN(TestImage image, registry->PushImage("demo/app", "v1", "full"));
  EXPECT_EQ(
      Get(registry->Url("/v2/demo/app/manifests/v1"), "application/vnd.oci.image.manifest.v1+json")
          .body,
      image.manifest);
}

TEST(RegistryServerTest, HtpasswdNeedsCredentials) {
  RegistryServerOptions options;
  options.auth = RegistryServerOptions::Auth::kHtpasswd;
  options.users = {{"alice", "wonderland"}};
  ASSERT_OK_AND_ASSIGN(auto registry, RegistryServer::Start(options));
  net::HttpResponse r = Get(registry->Url("/v2/"));
  EXPECT_EQ(r.status, 401);
  EXPECT_THAT(r.headers.Get("WWW-Authenticate").value_or(""), HasSubstr("Basic realm="));
  ASSERT_OK(registry->PushImage("private/app", "v1").status());
  EXPECT_THAT(registry->DockerConfigJson("alice"), HasSubstr(registry->host()));
}

TEST(RegistryServerTest, TokenAuthIssuesTokens) {
  RegistryServerOptions options;
  options.auth = RegistryServerOptions::Auth::kToken;
  options.users = {{"bob", "builder"}};
  ASSERT_OK_AND_ASSIGN(auto registry, RegistryServer::Start(options));
  net::HttpResponse r = Get(registry->Url("/v2/"));
  EXPECT_EQ(r.status, 401);
  EXPECT_THAT(r.headers.Get("WWW-Authenticate").value_or(""),
              HasSubstr(absl::StrCat("Bearer realm=\"", registry->token_realm(), "\"")));
  // Anonymous token requests are refused by default.
  EXPECT_EQ(Get(absl::StrCat(registry->token_realm(),
                             "?service=hallmark-test-registry&scope=repository:x:pull"))
                .status,
            401);
  ASSERT_OK(registry->PushImage("private/app", "v1").status());
  EXPECT_GE(registry->token_requests(), 2);
  // The registry accepted the token: the image is there (the log shows the authorised PUT).
  EXPECT_THAT(registry->Log(), HasSubstr("PUT /v2/private/app/manifests/v1"));
}

}  // namespace
}  // namespace hallmark::tests::registry
