// The fetch layer against the real docker-registry and against a hostile registry (cpp-httplib):
// layer-count and size bounds before reading, re-hashing, one resolution per verification.
#include "verifier/attachments.h"

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "base/testing/fixtures.h"
#include "base/testing/status_matchers.h"
#include "crypto/public_key.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "net/testing/http_test_server.h"
#include "oci/content_digest.h"
#include "oci/curl_registry_client.h"
#include "oci/manifest.h"
#include "oci/media_types.h"
#include "oci/registry_client.h"
#include "tests/registry/registry_server.h"
#include "verifier/cosign.h"
#include "verifier/verify_image.h"

namespace hallmark::verifier {
namespace {

using ::hallmark::testing::ReadFixture;
using ::hallmark::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::SizeIs;

oci::RegistryClientOptions FastOptions() {
  oci::RegistryClientOptions o;
  o.retry.max_attempts = 1;
  o.request_timeout = absl::Seconds(5);
  return o;
}

// A `.sig` manifest holding the fixture signature `dir` (cosign's layout).
struct SigManifest {
  std::string payload;
  std::string config;
  std::string manifest;
};

SigManifest FixtureSig(const std::string& dir, const std::string& signature_b64) {
  SigManifest s;
  s.payload = ReadFixture("cosign/simplesigning/" + dir + "/payload.json");
  oci::Digest layer = oci::Sha256Of(s.payload);
  s.config = absl::StrCat(
      R"({"architecture":"","created":"0001-01-01T00:00:00Z","history":[{"created":"0001-01-01T00:00:00Z"}],"os":"","rootfs":{"type":"layers","diff_ids":[")",
      layer.String(), R"("]},"config":{}})");
  oci::ImageManifest m(oci::Descriptor(std::string(oci::kOciConfigMediaType),
                                       oci::Sha256Of(s.config), s.config.size()));
  m.media_type = std::string(oci::kOciManifestMediaType);
  oci::Descriptor d(std::string(oci::kCosignSimpleSigningMediaType), layer, s.payload.size());
  d.annotations[std::string(oci::kCosignSignatureAnnotation)] = signature_b64;
  m.layers.push_back(d);
  s.manifest = m.Serialize();
  return s;
}

TEST(AttachmentsTest, FixtureSignatureStoredInTheRealRegistryVerifies) {
  ASSERT_OK_AND_ASSIGN(auto registry, tests::registry::RegistryServer::Start());
  ASSERT_OK_AND_ASSIGN(auto client, oci::NewCurlRegistryClient(FastOptions()));
  const std::string manifest_json = ReadFixture("cosign/simplesigning/valid/manifest.json");
  const oci::Digest digest = oci::Sha256Of(manifest_json);
  oci::Repository repo{registry->host(), "cosign/signed"};
  SigManifest sig = FixtureSig("valid", std::string(absl::StripAsciiWhitespace(ReadFixture(
                                            "cosign/simplesigning/valid/signature.b64"))));
  ASSERT_OK(client->UploadBlob(repo, oci::Sha256Of(sig.payload), sig.payload));
  ASSERT_OK(client->UploadBlob(repo, oci::Sha256Of(sig.config), sig.config));
  ASSERT_OK(
      client->PutManifest(repo, oci::SignatureTag(digest), sig.manifest, oci::kOciManifestMediaType)
          .status());

  // A digest reference is used as is: the image manifest itself is not in the registry.
  oci::Reference image = *oci::Reference::Parse(repo.String() + "@" + digest.String());
  ASSERT_OK_AND_ASSIGN(oci::Digest resolved, ResolveImageDigest(*client, image));
  EXPECT_EQ(resolved, digest);
  ASSERT_OK_AND_ASSIGN(std::vector<AttachmentLayer> layers,
                       FetchAttachments(*client, image, digest, AttachmentKind::kSignatures));
  ASSERT_THAT(layers, SizeIs(1));
  EXPECT_EQ(layers[0].blob, sig.payload);
  EXPECT_OK(layers[0].fetch_error);

  ASSERT_OK_AND_ASSIGN(crypto::PublicKey key,
                       crypto::PublicKey::ParsePem(ReadFixture("cosign/simplesigning/cosign.pub")));
  ASSERT_OK_AND_ASSIGN(ImageSignatures ok, VerifyImage(*client, image, {key}));
  EXPECT_EQ(ok.digest, digest);
  EXPECT_THAT(ok.signatures, SizeIs(1));

  // No .att: no attestations (cosign: `no matching attestations: `).
  ASSERT_OK_AND_ASSIGN(layers,
                       FetchAttachments(*client, image, digest, AttachmentKind::kAttestations));
  EXPECT_TRUE(layers.empty());
  // Unsigned image: no signatures found.
  ASSERT_OK_AND_ASSIGN(auto pushed, registry->PushImage("cosign/unsigned", "v1"));
  auto unsigned_result =
      VerifyImage(*client, *oci::Reference::Parse(registry->host() + "/cosign/unsigned:v1"), {key});
  EXPECT_EQ(FailureOf(unsigned_result.status()), Failure::kNoSignatures);
  // Unknown tag: image tag not found.
  auto missing = VerifyImage(
      *client, *oci::Reference::Parse(registry->host() + "/cosign/unsigned:nope"), {key});
  EXPECT_EQ(FailureOf(missing.status()), Failure::kImageNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("image tag not found: "));

  // Attachments moved to another repository (COSIGN_REPOSITORY / storage.oci.repository).
  FetchOptions moved;
  moved.repository = oci::Repository{registry->host(), "elsewhere/sigs"};
  ASSERT_OK_AND_ASSIGN(
      layers, FetchAttachments(*client, image, digest, AttachmentKind::kSignatures, moved));
  EXPECT_TRUE(layers.empty());
  ASSERT_OK_AND_ASSIGN(oci::Reference where,
                       AttachmentReference(image, digest, AttachmentKind::kAttestations, moved));
  EXPECT_EQ(where.String(),
            absl::StrCat(registry->host(), "/elsewhere/sigs:sha256-", digest.hex(), ".att"));
}

// A registry that serves whatever the test puts in `manifests` / `blobs` and counts requests.
class HostileRegistry {
 public:
  HostileRegistry() {
    auto s = std::make_unique<httplib::Server>();
    s->Get(R"(/v2/(.+)/manifests/(.+))", [this](const httplib::Request& req,
                                                httplib::Response& res) {
      absl::MutexLock lock(&mu_);
      ++manifest_gets_;
      std::string key = req.matches[2];
      auto it = manifests_.find(key);
      if (it == manifests_.end()) {
        res.status = 404;
        res.set_content(R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]})",
                        "application/json");
        return;
      }
      // A tag may be served differently on each request (re-pointed mid-way).
      std::string body =
          it->second.size() > 1 && manifest_gets_for_[key]++ > 0 ? it->second[1] : it->second[0];
      res.set_content(body, std::string(oci::kOciManifestMediaType));
    });
    s->Get(R"(/v2/(.+)/blobs/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
      absl::MutexLock lock(&mu_);
      ++blob_gets_;
      auto it = blobs_.find(req.matches[2]);
      if (it == blobs_.end()) {
        res.status = 404;
        return;
      }
      res.set_content(it->second, "application/octet-stream");
    });
    auto started = net::testing::HttpTestServer::Start(std::move(s));
    EXPECT_TRUE(started.ok());
    server_ = *std::move(started);
  }
  std::string host() const { return absl::StrCat("127.0.0.1:", server_->port()); }
  void Manifest(const std::string& key, std::vector<std::string> bodies) {
    absl::MutexLock lock(&mu_);
    manifests_[key] = std::move(bodies);
  }
  void Blob(const std::string& digest, std::string body) {
    absl::MutexLock lock(&mu_);
    blobs_[digest] = std::move(body);
  }
  int blob_gets() {
    absl::MutexLock lock(&mu_);
    return blob_gets_;
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, std::vector<std::string>> manifests_;
  std::map<std::string, int> manifest_gets_for_;
  std::map<std::string, std::string> blobs_;
  int manifest_gets_ = 0;
  int blob_gets_ = 0;
  std::unique_ptr<net::testing::HttpTestServer> server_;
};

std::string ManifestWith(const std::vector<oci::Descriptor>& layers) {
  oci::ImageManifest m(
      oci::Descriptor(std::string(oci::kOciConfigMediaType), oci::Sha256Of("{}"), 2));
  m.media_type = std::string(oci::kOciManifestMediaType);
  m.layers = layers;
  return m.Serialize();
}

class HostileAttachmentsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(client_, oci::NewCurlRegistryClient(FastOptions()));
  }
  void TearDown() override { client_.reset(); }
  oci::Reference Image() {
    return *oci::Reference::Parse(registry_.host() + "/evil/app@" + digest_.String());
  }

  HostileRegistry registry_;
  std::unique_ptr<oci::RegistryClient> client_;
  oci::Digest digest_ = oci::Sha256Of("the image");
};

TEST_F(HostileAttachmentsTest, ThousandAndOneLayersRejectedBeforeAnyBlob) {
  std::vector<oci::Descriptor> layers(
      1001,
      oci::Descriptor(std::string(oci::kCosignSimpleSigningMediaType), oci::Sha256Of("x"), 1));
  registry_.Manifest(oci::SignatureTag(digest_), {ManifestWith(layers)});
  registry_.Blob(oci::Sha256Of("x").String(), "x");
  EXPECT_THAT(FetchAttachments(*client_, Image(), digest_, AttachmentKind::kSignatures),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("number of layers (1001) exceeded the limit (1000)")));
  EXPECT_EQ(registry_.blob_gets(), 0);
}

TEST_F(HostileAttachmentsTest, HugeOrMismatchedLayersFailAloneAndTheValidOneStillCounts) {
  const std::string good = "good payload";
  const std::string lie = "bytes the digest does not name";
  oci::Descriptor huge(std::string(oci::kCosignSimpleSigningMediaType), oci::Sha256Of("huge"),
                       1LL << 30);  // 1 GiB declared
  oci::Descriptor mismatched(std::string(oci::kCosignSimpleSigningMediaType),
                             oci::Sha256Of("expected"), lie.size());
  oci::Descriptor fine(std::string(oci::kCosignSimpleSigningMediaType), oci::Sha256Of(good),
                       good.size());
  registry_.Manifest(oci::SignatureTag(digest_), {ManifestWith({huge, mismatched, fine})});
  registry_.Blob(oci::Sha256Of("expected").String(), lie);
  registry_.Blob(oci::Sha256Of(good).String(), good);
  ASSERT_OK_AND_ASSIGN(std::vector<AttachmentLayer> layers,
                       FetchAttachments(*client_, Image(), digest_, AttachmentKind::kSignatures));
  ASSERT_THAT(layers, SizeIs(3));
  EXPECT_THAT(layers[0].fetch_error.message(),
              HasSubstr("size of layer (1073741824) exceeded the limit (134217728)"));
  EXPECT_THAT(layers[1].fetch_error.message(), HasSubstr("content does not match digest"));
  EXPECT_OK(layers[2].fetch_error);
  EXPECT_EQ(layers[2].blob, good);
  EXPECT_EQ(registry_.blob_gets(), 2);  // the 1 GiB layer was never requested
}

TEST_F(HostileAttachmentsTest, IndexWhereAManifestBelongsIsRefused) {
  registry_.Manifest(
      oci::SignatureTag(digest_),
      {R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]})"});
  EXPECT_THAT(FetchAttachments(*client_, Image(), digest_, AttachmentKind::kSignatures),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("got an index")));
}

TEST_F(HostileAttachmentsTest, TagResolvedOnceEvenIfTheRegistryRepointsIt) {
  // CVE-2022-47633: first answer A, then B. Everything after the resolution uses A.
  const std::string a = ManifestWith({});
  const std::string b =
      ManifestWith({oci::Descriptor(std::string(oci::kOciEmptyMediaType), oci::Sha256Of("b"), 1)});
  registry_.Manifest("latest", {a, b});
  ASSERT_OK_AND_ASSIGN(crypto::PublicKey key,
                       crypto::PublicKey::ParsePem(ReadFixture("cosign/simplesigning/cosign.pub")));
  auto result =
      VerifyImage(*client_, *oci::Reference::Parse(registry_.host() + "/evil/app:latest"), {key});
  EXPECT_EQ(FailureOf(result.status()), Failure::kNoSignatures);
  ASSERT_OK_AND_ASSIGN(
      oci::Digest again,
      ResolveImageDigest(*client_, *oci::Reference::Parse(registry_.host() + "/evil/app:latest")));
  EXPECT_EQ(again, oci::Sha256Of(b));  // the registry did re-point it...
  ASSERT_OK_AND_ASSIGN(
      oci::Digest first,
      ResolveImageDigest(*client_, *oci::Reference::Parse(registry_.host() + "/evil/app@" +
                                                          oci::Sha256Of(a).String())));
  EXPECT_EQ(first, oci::Sha256Of(a));  // ...and a digest reference never asks.
}

}  // namespace
}  // namespace hallmark::verifier
