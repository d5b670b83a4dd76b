// RegistryClient against the real Debian docker-registry (distribution 2.8.2): anonymous,
// htpasswd (bcrypt, made by the real htpasswd) and token auth (tests/registry's issuer).
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/curl_http_client.h"
#include "oci/content_digest.h"
#include "oci/curl_registry_client.h"
#include "oci/manifest.h"
#include "oci/media_types.h"
#include "oci/reference.h"
#include "oci/registry_client.h"
#include "tests/registry/registry_server.h"

namespace hallmark::oci {
namespace {

using ::hallmark::testing::StatusIs;
using ::hallmark::tests::registry::RegistryServer;
using ::hallmark::tests::registry::RegistryServerOptions;
using ::hallmark::tests::registry::TestImage;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

RegistryClientOptions FastOptions() {
  RegistryClientOptions options;
  options.retry.max_attempts = 2;
  options.retry.initial_backoff = absl::Milliseconds(10);
  options.request_timeout = absl::Seconds(10);
  return options;
}

Keychain KeychainFor(const RegistryServer& registry, const std::string& user,
                     const std::string& password) {
  Keychain k;
  Credentials c;
  c.username = user;
  c.password = SecretData(password);
  k.Add(registry.host(), std::move(c));
  return k;
}

class AnonymousRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(registry_, RegistryServer::Start());
    ASSERT_OK_AND_ASSIGN(http_, net::CurlHttpClient::New());
    ASSERT_OK_AND_ASSIGN(client_, RegistryClient::New(*http_, FastOptions()));
    ASSERT_OK_AND_ASSIGN(image_, registry_->PushImage("demo/app", "v1"));
    repo_ = Repository{registry_->host(), "demo/app"};
  }
  Reference Ref(const std::string& rest) {
    return *Reference::Parse(absl::StrCat(registry_->host(), "/", rest));
  }

  std::unique_ptr<RegistryServer> registry_;
  std::unique_ptr<net::CurlHttpClient> http_;
  std::unique_ptr<RegistryClient> client_;
  TestImage image_ = hallmark::tests::registry::MakeTestImage("unused");
  Repository repo_;
};

TEST_F(AnonymousRegistryTest, ResolveTagHashesTheManifestInOneRequest) {
  uint64_t before = client_->Stats().requests;
  ASSERT_OK_AND_ASSIGN(Descriptor d, client_->Resolve(Ref("demo/app:v1")));
  EXPECT_EQ(d.digest, image_.digest);
  EXPECT_EQ(d.media_type, kOciManifestMediaType);
  EXPECT_EQ(d.size, static_cast<int64_t>(image_.manifest.size()));
  EXPECT_EQ(client_->Stats().requests - before, 1u);
  // A digest reference is used as is: no request.
  ASSERT_OK_AND_ASSIGN(Descriptor pinned,
                       client_->Resolve(Ref("demo/app@" + image_.digest.String())));
  EXPECT_EQ(pinned.digest, image_.digest);
  EXPECT_EQ(client_->Stats().requests - before, 1u);
  EXPECT_THAT(client_->Resolve(Ref("demo/app:missing")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("MANIFEST_UNKNOWN")));
}

TEST_F(AnonymousRegistryTest, ManifestsByTagAndDigestWithOciAccept) {
  // distribution 2.8 hides OCI manifests from clients without the OCI Accept type.
  ASSERT_OK_AND_ASSIGN(FetchedManifest m,
                       client_->GetManifest(Ref("demo/app@" + image_.digest.String())));
  EXPECT_EQ(m.bytes, image_.manifest);
  EXPECT_EQ(m.media_type, kOciManifestMediaType);
  ASSERT_OK_AND_ASSIGN(Descriptor head, client_->Head(Ref("demo/app:v1")));
  EXPECT_EQ(head.digest, image_.digest);
  EXPECT_EQ(head.size, static_cast<int64_t>(image_.manifest.size()));

  // Push the same manifest under another tag and by digest.
  ASSERT_OK_AND_ASSIGN(Digest d,
                       client_->PutManifest(repo_, "v2", image_.manifest, kOciManifestMediaType));
  EXPECT_EQ(d, image_.digest);
  ASSERT_OK(
      client_->PutManifest(repo_, image_.digest.String(), image_.manifest, kOciManifestMediaType)
          .status());
  EXPECT_THAT(client_->PutManifest(repo_, Sha256Of("other").String(), image_.manifest,
                                   kOciManifestMediaType),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("does not match")));
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> tags, client_->ListTags(repo_));
  EXPECT_THAT(tags, UnorderedElementsAre("v1", "v2"));
}

TEST_F(AnonymousRegistryTest, ManifestReferencingMissingBlobIsRefused) {
  std::string manifest = absl::StrCat(
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":2,"digest":")",
      Sha256Of("{}").String(), R"("},"layers":[]})");
  EXPECT_THAT(client_->PutManifest(repo_, "broken", manifest, kOciManifestMediaType),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("MANIFEST_BLOB_UNKNOWN")));
}

TEST_F(AnonymousRegistryTest, BlobsMonolithicChunkedAndMounted) {
  ASSERT_OK_AND_ASSIGN(std::optional<int64_t> size, client_->BlobSize(repo_, image_.layer_digest));
  EXPECT_EQ(size, std::optional<int64_t>(image_.layer.size()));
  ASSERT_OK_AND_ASSIGN(std::string layer,
                       client_->GetBlob(repo_, image_.layer_digest, image_.layer.size()));
  EXPECT_EQ(layer, image_.layer);

  // Monolithic: exactly POST + PUT.
  const std::string small = "small blob";
  uint64_t before = client_->Stats().requests;
  ASSERT_OK(client_->UploadBlob(repo_, Sha256Of(small), small));
  EXPECT_EQ(client_->Stats().requests - before, 2u);
  ASSERT_OK_AND_ASSIGN(std::string back, client_->GetBlob(repo_, Sha256Of(small)));
  EXPECT_EQ(back, small);

  // Chunked: POST, 3 PATCHes, PUT.
  RegistryClientOptions chunky = FastOptions();
  chunky.upload_chunk_bytes = 1000;
  ASSERT_OK_AND_ASSIGN(auto chunk_client, RegistryClient::New(*http_, chunky));
  std::string big(2500, 'x');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  ASSERT_OK(chunk_client->UploadBlob(repo_, Sha256Of(big), big));
  EXPECT_EQ(chunk_client->Stats().requests, 5u);
  ASSERT_OK_AND_ASSIGN(back, client_->GetBlob(repo_, Sha256Of(big), big.size()));
  EXPECT_EQ(back, big);

  // Cross-repository mount: one request.
  Repository other{registry_->host(), "demo/other"};
  before = client_->Stats().requests;
  ASSERT_OK(client_->UploadBlob(other, Sha256Of(big), big, repo_));
  EXPECT_EQ(client_->Stats().requests - before, 1u);
  ASSERT_OK_AND_ASSIGN(size, client_->BlobSize(other, Sha256Of(big)));
  EXPECT_EQ(size, std::optional<int64_t>(big.size()));

  ASSERT_OK_AND_ASSIGN(size, client_->BlobSize(repo_, Sha256Of("absent")));
  EXPECT_EQ(size, std::nullopt);
  EXPECT_THAT(client_->UploadBlob(repo_, Sha256Of("a"), "b"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("does not match")));
}

TEST_F(AnonymousRegistryTest, ReferrersFallBackToTheTagSchema) {
  // distribution 2.8 has no referrers API (404 page not found): nothing referenced yet.
  ASSERT_OK_AND_ASSIGN(ImageIndex none, client_->Referrers(repo_, image_.digest));
  EXPECT_TRUE(none.manifests.empty());

  // An artifact manifest with a subject, listed in the fallback index at tag sha256-<hex>.
  const std::string empty = "{}";
  ASSERT_OK(client_->UploadBlob(repo_, Sha256Of(empty), empty));
  ImageManifest artifact(Descriptor(std::string(kOciEmptyMediaType), Sha256Of(empty), 2));
  artifact.media_type = std::string(kOciManifestMediaType);
  artifact.artifact_type = "application/vnd.example.sbom";
  artifact.subject =
      Descriptor(std::string(kOciManifestMediaType), image_.digest, image_.manifest.size());
  std::string artifact_bytes = artifact.Serialize();
  ASSERT_OK_AND_ASSIGN(Digest artifact_digest,
                       client_->PutManifest(repo_, Sha256Of(artifact_bytes).String(),
                                            artifact_bytes, kOciManifestMediaType));
  ImageIndex index;
  index.media_type = std::string(kOciIndexMediaType);
  Descriptor entry(std::string(kOciManifestMediaType), artifact_digest, artifact_bytes.size());
  entry.artifact_type = "application/vnd.example.sbom";
  index.manifests.push_back(entry);
  Descriptor other(std::string(kOciManifestMediaType), image_.digest, image_.manifest.size());
  other.artifact_type = "application/vnd.example.other";
  index.manifests.push_back(other);
  ASSERT_OK(client_
                ->PutManifest(repo_, absl::StrCat("sha256-", image_.digest.hex()),
                              index.Serialize(), kOciIndexMediaType)
                .status());

  ASSERT_OK_AND_ASSIGN(ImageIndex all, client_->Referrers(repo_, image_.digest));
  EXPECT_EQ(all.manifests.size(), 2u);
  ASSERT_OK_AND_ASSIGN(ImageIndex sboms,
                       client_->Referrers(repo_, image_.digest, "application/vnd.example.sbom"));
  ASSERT_EQ(sboms.manifests.size(), 1u);
  EXPECT_EQ(sboms.manifests[0].digest, artifact_digest);
}

TEST(HtpasswdRegistryTest, BasicAuthOnceThenUpFront) {
  RegistryServerOptions options;
  options.auth = RegistryServerOptions::Auth::kHtpasswd;
  options.users = {{"alice", "wonderland"}};
  ASSERT_OK_AND_ASSIGN(auto registry, RegistryServer::Start(options));
  ASSERT_OK_AND_ASSIGN(TestImage image, registry->PushImage("private/app", "v1"));
  ASSERT_OK_AND_ASSIGN(auto http, net::CurlHttpClient::New());
  Reference ref = *Reference::Parse(registry->host() + "/private/app:v1");

  RegistryClientOptions good = FastOptions();
  good.keychain = KeychainFor(*registry, "alice", "wonderland");
  ASSERT_OK_AND_ASSIGN(auto client, RegistryClient::New(*http, good));
  ASSERT_OK_AND_ASSIGN(Descriptor d, client->Resolve(ref));
  EXPECT_EQ(d.digest, image.digest);
  ASSERT_OK(client->UploadBlob(Repository::Of(ref), Sha256Of("x"), "x"));
  ASSERT_OK(client->GetManifest(ref).status());
  // One 401 for the whole session: afterwards credentials go up front.
  EXPECT_EQ(client->Stats().challenges, 1u);
  EXPECT_EQ(client->Stats().requests, 5u);  // GET+401 retry, POST, PUT, GET

  RegistryClientOptions wrong = FastOptions();
  wrong.keychain = KeychainFor(*registry, "alice", "not-the-password");
  ASSERT_OK_AND_ASSIGN(auto bad, RegistryClient::New(*http, wrong));
  auto refused = bad->Resolve(ref);
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kUnauthenticated,
                                HasSubstr("rejected the credentials of user \"alice\"")));
  EXPECT_THAT(std::string(refused.status().message()),
              ::testing::Not(HasSubstr("not-the-password")));

  ASSERT_OK_AND_ASSIGN(auto anonymous, RegistryClient::New(*http, FastOptions()));
  EXPECT_THAT(anonymous->Resolve(ref),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("requires authentication (HTTP Basic) and no credentials")));
}

TEST(TokenRegistryTest, TokenFetchedOncePerScopeAndReused) {
  RegistryServerOptions options;
  options.auth = RegistryServerOptions::Auth::kToken;
  options.users = {{"bob", "builder"}, {"reader", "only"}};
  options.read_only_users = {"reader"};
  ASSERT_OK_AND_ASSIGN(auto registry, RegistryServer::Start(options));
  ASSERT_OK_AND_ASSIGN(TestImage image, registry->PushImage("private/app", "v1"));
  ASSERT_OK_AND_ASSIGN(auto http, net::CurlHttpClient::New());
  Reference ref = *Reference::Parse(registry->host() + "/private/app:v1");
  Repository repo = Repository::Of(ref);

  RegistryClientOptions good = FastOptions();
  good.keychain = KeychainFor(*registry, "bob", "builder");
  ASSERT_OK_AND_ASSIGN(auto client, RegistryClient::New(*http, good));
  // Reading with push intent gets a pull,push token, which then also covers the upload.
  ASSERT_OK_AND_ASSIGN(Descriptor d, client->Resolve(ref, Access::kPush));
  EXPECT_EQ(d.digest, image.digest);
  ASSERT_OK(client->UploadBlob(repo, Sha256Of("payload"), "payload"));
  ASSERT_OK(client->GetBlob(repo, Sha256Of("payload")).status());  // a pull: same token
  EXPECT_EQ(client->Stats().token_requests, 1u);
  EXPECT_EQ(client->Stats().challenges, 1u);

  // A read-only user gets a pull token; the registry then refuses the push.
  RegistryClientOptions reader = FastOptions();
  reader.keychain = KeychainFor(*registry, "reader", "only");
  ASSERT_OK_AND_ASSIGN(auto read_client, RegistryClient::New(*http, reader));
  ASSERT_OK(read_client->Resolve(ref).status());
  auto push = read_client->UploadBlob(repo, Sha256Of("nope"), "nope");
  EXPECT_THAT(push, StatusIs(absl::StatusCode::kPermissionDenied,
                             HasSubstr("do not grant repository:private/app:pull,push")));

  // Wrong password: the token server says no.
  RegistryClientOptions wrong = FastOptions();
  wrong.keychain = KeychainFor(*registry, "bob", "wrong");
  ASSERT_OK_AND_ASSIGN(auto bad, RegistryClient::New(*http, wrong));
  EXPECT_THAT(bad->Resolve(ref),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("rejected the credentials for " + registry->host())));

  // Anonymous: refused by the token server.
  ASSERT_OK_AND_ASSIGN(auto anonymous, RegistryClient::New(*http, FastOptions()));
  EXPECT_THAT(anonymous->Resolve(ref),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("refused anonymous access")));
}

TEST(TokenRegistryTest, HttpsRealmNeedsTheCustomCaBundle) {
  RegistryServerOptions options;
  options.auth = RegistryServerOptions::Auth::kToken;
  options.users = {{"dave", "pass"}};
  options.token_over_https = true;
  ASSERT_OK_AND_ASSIGN(auto registry, RegistryServer::Start(options));
  EXPECT_THAT(registry->token_realm(), ::testing::StartsWith("https://127.0.0.1:"));
  ASSERT_OK_AND_ASSIGN(TestImage image, registry->PushImage("private/app", "v1"));
  Reference ref = *Reference::Parse(registry->host() + "/private/app:v1");

  RegistryClientOptions o = FastOptions();
  o.keychain = KeychainFor(*registry, "dave", "pass");
  RegistryTransportOptions trusted;
  trusted.ca_file = registry->ca_file();
  ASSERT_OK_AND_ASSIGN(auto client, NewCurlRegistryClient(o, trusted));
  ASSERT_OK_AND_ASSIGN(Descriptor d, client->Resolve(ref));
  EXPECT_EQ(d.digest, image.digest);

  // The system trust store does not know the test CA: the token request fails, clearly.
  ASSERT_OK_AND_ASSIGN(auto untrusted, NewCurlRegistryClient(o));
  auto refused = untrusted->Resolve(ref);
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kFailedPrecondition,
                                HasSubstr("getting a token for " + registry->host())));
  EXPECT_THAT(NewCurlRegistryClient(o, RegistryTransportOptions{"/nonexistent/ca.pem"}),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(TokenRegistryTest, DockerConfigFileCredentials) {
  RegistryServerOptions options;
  options.auth = RegistryServerOptions::Auth::kToken;
  options.users = {{"carol", "secret"}};
  ASSERT_OK_AND_ASSIGN(auto registry, RegistryServer::Start(options));
  ASSERT_OK_AND_ASSIGN(TestImage image, registry->PushImage("private/app", "v1"));
  ASSERT_OK_AND_ASSIGN(auto http, net::CurlHttpClient::New());
  RegistryClientOptions o = FastOptions();
  ASSERT_OK_AND_ASSIGN(o.keychain,
                       Keychain::ParseDockerConfigJson(registry->DockerConfigJson("carol")));
  ASSERT_OK_AND_ASSIGN(auto client, RegistryClient::New(*http, o));
  ASSERT_OK_AND_ASSIGN(Descriptor d,
                       client->Resolve(*Reference::Parse(registry->host() + "/private/app:v1")));
  EXPECT_EQ(d.digest, image.digest);
}

}  // namespace
}  // namespace hallmark::oci
