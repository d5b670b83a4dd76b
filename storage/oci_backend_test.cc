// OciBackend against the real docker-registry: cosign's layout, idempotent re-signing, no lost
// layers between threads, storage.oci.repository, round trips, recovery from a forgotten blob,
// the image check before signing (tektoncd/chains#485); and the check against a fake registry
// for what docker-registry never does (answering for a digest with another one).
#include "storage/oci_backend.h"

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/testing/fixtures.h"
#include "base/testing/process.h"
#include "base/testing/status_matchers.h"
#include "crypto/dsse.h"
#include "crypto/private_key.h"
#include "crypto/simple_signing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/testing/fake_http_client.h"
#include "oci/content_digest.h"
#include "oci/curl_registry_client.h"
#include "oci/manifest.h"
#include "oci/media_types.h"
#include "storage/cosign_layout.h"
#include "tests/registry/registry_server.h"
#include "verifier/predicate_type.h"
#include "verifier/verify_image.h"

namespace hallmark::storage {
namespace {

using ::hallmark::testing::ReadFixture;
using ::hallmark::testing::StatusIs;
using ::hallmark::tests::registry::RegistryServer;
using ::hallmark::tests::registry::TestImage;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr char kPredicate[] = "https://slsa.dev/provenance/v0.2";

oci::RegistryClientOptions FastOptions() {
  oci::RegistryClientOptions o;
  o.retry.max_attempts = 2;
  o.retry.initial_backoff = absl::Milliseconds(10);
  return o;
}

crypto::PrivateKey NewKey() {
  auto key = crypto::PrivateKey::Generate(crypto::KeyType::kEcdsaP256);
  EXPECT_TRUE(key.ok());
  return *key;
}

class OciBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(registry_, RegistryServer::Start());
    ASSERT_OK_AND_ASSIGN(client_, oci::NewCurlRegistryClient(FastOptions()));
    ASSERT_OK_AND_ASSIGN(backend_, OciBackend::New(*client_));
  }

  // Pushes an image and returns its reference pinned by digest.
  oci::Reference Image(const std::string& repo, const std::string& seed = "img") {
    auto image = registry_->PushImage(repo, "v1", seed);
    EXPECT_TRUE(image.ok()) << image.status();
    return *oci::Reference::Parse(
        absl::StrCat(registry_->host(), "/", repo, "@", image->digest.String()));
  }

  SignedArtifact Signature(const oci::Reference& image, const crypto::PrivateKey& key,
                           const std::map<std::string, std::string>& annotations = {}) {
    SignedArtifact a;
    a.image = image;
    a.payload =
        *crypto::SimpleSigningPayload::Build(image.Name(), image.digest()->String(), annotations);
    a.signature = *key.Sign(a.payload);
    a.key = image.digest()->hex().substr(0, 12);
    a.signer = key.public_key();
    return a;
  }

  SignedArtifact Attestation(const oci::Reference& image, const crypto::PrivateKey& key,
                             const std::string& predicate_type = kPredicate,
                             const std::string& predicate = R"({"builder":{"id":"test"}})") {
    SignedArtifact a;
    a.kind = SignedArtifact::Kind::kAttestation;
    a.image = image;
    a.predicate_type = predicate_type;
    a.payload = absl::StrCat(R"({"_type":"https://in-toto.io/Statement/v0.1","predicateType":")",
                             predicate_type, R"(","subject":[{"name":")", image.Name(),
                             R"(","digest":{"sha256":")", image.digest()->hex(),
                             R"("}}],"predicate":)", predicate, "}");
    a.signature = *crypto::SignDsseEnvelope(key, crypto::kInTotoPayloadType, a.payload);
    a.signer = key.public_key();
    return a;
  }

  oci::ImageManifest Fetch(const oci::Reference& image, const std::string& suffix,
                           const std::string& repo = "") {
    std::string where = absl::StrCat(repo.empty() ? image.Name() : registry_->host() + "/" + repo,
                                     ":sha256-", image.digest()->hex(), suffix);
    auto fetched = client_->GetManifest(*oci::Reference::Parse(where));
    EXPECT_TRUE(fetched.ok()) << fetched.status();
    EXPECT_EQ(fetched->media_type, oci::kOciManifestMediaType);
    return *oci::ImageManifest::Parse(fetched->bytes);
  }

  std::unique_ptr<RegistryServer> registry_;
  std::unique_ptr<oci::RegistryClient> client_;
  std::unique_ptr<OciBackend> backend_;
};

TEST_F(OciBackendTest, SignatureAndAttestationInCosignsLayout) {
  crypto::PrivateKey key = NewKey();
  oci::Reference image = Image("demo/app");
  SignedArtifact sig = Signature(image, key);
  SignedArtifact att = Attestation(image, key);
  uint64_t before = client_->Stats().requests;
  ASSERT_OK_AND_ASSIGN(StoreResult stored, backend_->Store(sig));
  EXPECT_TRUE(stored.stored);
  EXPECT_TRUE(stored.run_annotations.empty());
  // GET (404), POST+PUT payload, POST+PUT config, PUT manifest.
  EXPECT_EQ(client_->Stats().requests - before, 6u);
  ASSERT_OK(backend_->Store(att).status());

  oci::ImageManifest m = Fetch(image, ".sig");
  EXPECT_EQ(m.media_type, oci::kOciManifestMediaType);
  EXPECT_EQ(m.config.media_type, oci::kOciConfigMediaType);
  ASSERT_THAT(m.layers, SizeIs(1));
  EXPECT_EQ(m.layers[0], SignatureLayer(sig.payload, sig.signature));
  ASSERT_OK_AND_ASSIGN(std::string config,
                       client_->GetBlob(oci::Repository::Of(image), m.config.digest));
  EXPECT_EQ(config, CosignConfig(m.layers));
  ASSERT_OK_AND_ASSIGN(std::string blob,
                       client_->GetBlob(oci::Repository::Of(image), m.layers[0].digest));
  EXPECT_EQ(blob, sig.payload);

  oci::ImageManifest a = Fetch(image, ".att");
  ASSERT_THAT(a.layers, SizeIs(1));
  EXPECT_EQ(a.layers[0].media_type, oci::kDsseEnvelopeMediaType);
  EXPECT_EQ(a.layers[0].Annotation(oci::kPredicateTypeAnnotation), kPredicate);
  EXPECT_EQ(a.layers[0].Annotation(oci::kCosignSignatureAnnotation), "");

  // Our own verifier accepts both.
  ASSERT_OK_AND_ASSIGN(auto verified, verifier::VerifyImage(*client_, image, {key.public_key()}));
  EXPECT_THAT(verified.signatures, SizeIs(1));
  ASSERT_OK_AND_ASSIGN(auto attested,
                       verifier::VerifyImageAttestationsOf(*client_, image, {key.public_key()},
                                                           kPredicate, "slsaprovenance"));
  EXPECT_THAT(attested.attestations, SizeIs(1));
}

TEST_F(OciBackendTest, ResigningAddsNoDuplicateLayers) {
  crypto::PrivateKey key = NewKey();
  oci::Reference image = Image("demo/idempotent");
  ASSERT_OK(backend_->Store(Signature(image, key)).status());
  ASSERT_OK(backend_->Store(Attestation(image, key)).status());
  // A crash and a retry: new (randomised) ECDSA signatures over the same payloads.
  uint64_t before = client_->Stats().requests;
  ASSERT_OK_AND_ASSIGN(StoreResult again, backend_->Store(Signature(image, key)));
  EXPECT_FALSE(again.stored);
  EXPECT_EQ(client_->Stats().requests - before, 1u);  // one GET decides
  ASSERT_OK_AND_ASSIGN(again, backend_->Store(Attestation(image, key)));
  EXPECT_FALSE(again.stored);
  EXPECT_THAT(Fetch(image, ".sig").layers, SizeIs(1));
  EXPECT_THAT(Fetch(image, ".att").layers, SizeIs(1));

  // Another key's signature over the same payload is a new layer (the payload blob is reused).
  crypto::PrivateKey other = NewKey();
  ASSERT_OK_AND_ASSIGN(StoreResult second, backend_->Store(Signature(image, other)));
  EXPECT_TRUE(second.stored);
  EXPECT_THAT(Fetch(image, ".sig").layers, SizeIs(2));
  // An attestation of another type is a new layer too.
  ASSERT_OK(
      backend_->Store(Attestation(image, key, "https://example.com/CodeReview/v1", "{}")).status());
  EXPECT_THAT(Fetch(image, ".att").layers, SizeIs(2));

  // Without the signer's key only identical layers are duplicates.
  SignedArtifact anonymous = Signature(image, key);
  anonymous.signer.reset();
  ASSERT_OK_AND_ASSIGN(StoreResult third, backend_->Store(anonymous));
  EXPECT_TRUE(third.stored);
  ASSERT_OK_AND_ASSIGN(third, backend_->Store(anonymous));
  EXPECT_FALSE(third.stored);
  EXPECT_THAT(Fetch(image, ".sig").layers, SizeIs(3));
}

TEST_F(OciBackendTest, ConcurrentSignersLoseNoLayer) {
  crypto::PrivateKey key = NewKey();
  oci::Reference image = Image("demo/concurrent");
  constexpr int kThreads = 2;
  constexpr int kEach = 5;
  std::vector<std::thread> threads;
  std::vector<absl::Status> results(kThreads * kEach);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        results[t * kEach + i] =
            backend_
                ->Store(
                    Signature(image, key, {{"thread", absl::StrCat(t)}, {"n", absl::StrCat(i)}}))
                .status();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (const absl::Status& s : results) EXPECT_OK(s);
  EXPECT_THAT(Fetch(image, ".sig").layers, SizeIs(kThreads * kEach));
  ASSERT_OK_AND_ASSIGN(auto verified, verifier::VerifyImage(*client_, image, {key.public_key()}));
  EXPECT_THAT(verified.signatures, SizeIs(kThreads * kEach));
}

TEST_F(OciBackendTest, DifferentImagesOfOneRepositoryArePushedConcurrently) {
  // Each image's `.sig`/`.att` is its own tag: threads signing different images of one
  // repository do not wait for each other, and every image gets exactly its own layers.
  crypto::PrivateKey key = NewKey();
  constexpr int kImages = 6;
  std::vector<oci::Reference> images;
  for (int i = 0; i < kImages; ++i) images.push_back(Image("demo/many", absl::StrCat("m", i)));
  std::vector<std::thread> threads;
  std::vector<absl::Status> results(2 * kImages);
  for (int i = 0; i < kImages; ++i) {
    threads.emplace_back([&, i] {
      results[2 * i] = backend_->Store(Signature(images[i], key)).status();
      results[2 * i + 1] = backend_->Store(Attestation(images[i], key)).status();
    });
  }
  for (std::thread& t : threads) t.join();
  for (const absl::Status& s : results) EXPECT_OK(s);
  for (const oci::Reference& image : images) {
    EXPECT_THAT(Fetch(image, ".sig").layers, SizeIs(1));
    EXPECT_THAT(Fetch(image, ".att").layers, SizeIs(1));
  }
}

TEST_F(OciBackendTest, RepositoryOverrideMovesBoth) {
  OciBackendOptions options;
  options.repository = oci::Repository{registry_->host(), "signatures/store"};
  ASSERT_OK_AND_ASSIGN(auto moved, OciBackend::New(*client_, options));
  crypto::PrivateKey key = NewKey();
  oci::Reference image = Image("demo/moved");
  ASSERT_OK(moved->Store(Signature(image, key)).status());
  ASSERT_OK(moved->Store(Attestation(image, key)).status());
  EXPECT_THAT(Fetch(image, ".sig", "signatures/store").layers, SizeIs(1));
  EXPECT_THAT(Fetch(image, ".att", "signatures/store").layers, SizeIs(1));
  EXPECT_THAT(client_->GetManifest(*oci::Reference::Parse(
                  absl::StrCat(image.Name(), ":", oci::SignatureTag(*image.digest())))),
              StatusIs(absl::StatusCode::kNotFound));
  verifier::VerifyImageOptions verify;
  verify.fetch.repository = options.repository;
  EXPECT_OK(verifier::VerifyImage(*client_, image, {key.public_key()}, verify).status());
}

TEST_F(OciBackendTest, ConstantConfigIsUploadedOncePerRepository) {
  OciBackendOptions options;
  options.config = ConfigMode::kConstant;
  ASSERT_OK_AND_ASSIGN(auto backend, OciBackend::New(*client_, options));
  crypto::PrivateKey key = NewKey();
  oci::Reference first = Image("demo/constant", "first");
  oci::Reference second = Image("demo/constant", "second");
  uint64_t before = client_->Stats().requests;
  ASSERT_OK(backend->Store(Signature(first, key)).status());
  ASSERT_OK(backend->Store(Attestation(first, key)).status());
  EXPECT_EQ(client_->Stats().requests - before, 10u);  // 6 + 4: the config went up once
  before = client_->Stats().requests;
  ASSERT_OK(backend->Store(Signature(second, key)).status());
  ASSERT_OK(backend->Store(Attestation(second, key)).status());
  EXPECT_EQ(client_->Stats().requests - before, 8u);  // GET, POST, PUT, PUT per artifact
  EXPECT_OK(verifier::VerifyImage(*client_, second, {key.public_key()}).status());
}

TEST_F(OciBackendTest, ForgottenBlobIsUploadedAgain) {
  OciBackendOptions options;
  options.config = ConfigMode::kConstant;
  ASSERT_OK_AND_ASSIGN(auto backend, OciBackend::New(*client_, options));
  crypto::PrivateKey key = NewKey();
  oci::Reference first = Image("demo/gc", "first");
  oci::Reference second = Image("demo/gc", "second");
  ASSERT_OK(backend->Store(Signature(first, key)).status());
  // The registry loses the config blob the backend remembers.
  ASSERT_OK(registry_->DeleteBlob("demo/gc", oci::Sha256Of(ConstantConfig())));
  ASSERT_OK_AND_ASSIGN(
      std::optional<int64_t> gone,
      client_->BlobSize({registry_->host(), "demo/gc"}, oci::Sha256Of(ConstantConfig())));
  EXPECT_EQ(gone, std::nullopt);
  ASSERT_OK(backend->Store(Signature(second, key)).status());
  EXPECT_OK(verifier::VerifyImage(*client_, second, {key.public_key()}).status());
}

TEST_F(OciBackendTest, AppendsToASignatureContainersImageWrote) {
  // The skopeo-rewritten `.sig` (containers/image's own config) for the skopeo fixture image.
  const std::string dir = "skopeo/sig-skopeo-rewritten/";
  oci::Repository repo{registry_->host(), "lab/copied"};
  const std::string payload = ReadFixture(dir + "payload.json");
  const std::string config = ReadFixture(dir + "sig-config.json");
  ASSERT_OK(client_->UploadBlob(repo, oci::Sha256Of(payload), payload));
  ASSERT_OK(client_->UploadBlob(repo, oci::Sha256Of(config), config));
  const oci::Digest digest = *oci::Digest::Parse(
      "sha256:95970d2d094800352e9840af58fb7d00b2582b5395fc711c92f9aa9d26a68528");
  const std::string manifest = ReadFixture(dir + "sig-manifest.json");
  ASSERT_OK(
      client_->PutManifest(repo, oci::SignatureTag(digest), manifest, oci::kOciManifestMediaType)
          .status());
  oci::Reference image = *oci::Reference::Parse(repo.String() + "@" + digest.String());
  crypto::PrivateKey key = NewKey();
  ASSERT_OK(backend_->Store(Signature(image, key)).status());
  oci::ImageManifest m = Fetch(image, ".sig");
  ASSERT_THAT(m.layers, SizeIs(2));
  EXPECT_EQ(m.layers[0], oci::ImageManifest::Parse(manifest)->layers[0]);
  // Both signatures verify with their keys.
  ASSERT_OK_AND_ASSIGN(crypto::PublicKey skopeo_key,
                       crypto::PublicKey::ParsePem(ReadFixture("skopeo/keys/cosign.pub")));
  EXPECT_OK(verifier::VerifyImage(*client_, image, {skopeo_key}).status());
  EXPECT_OK(verifier::VerifyImage(*client_, image, {key.public_key()}).status());
}

TEST_F(OciBackendTest, RejectsBadArtifacts) {
  crypto::PrivateKey key = NewKey();
  oci::Reference image = Image("demo/bad");
  SignedArtifact unpinned = Signature(image, key);
  unpinned.image = *oci::Reference::Parse(image.Name() + ":v1");
  EXPECT_THAT(backend_->Store(unpinned),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("pinned by a sha256 digest")));
  SignedArtifact mismatched = Attestation(image, key);
  mismatched.payload += " ";
  EXPECT_THAT(backend_->Store(mismatched),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a DSSE envelope over")));
  SignedArtifact untyped = Attestation(image, key);
  untyped.predicate_type.clear();
  EXPECT_THAT(backend_->Store(untyped), StatusIs(absl::StatusCode::kInvalidArgument));

  // Something that is not an image manifest sits at the .sig tag.
  oci::ImageIndex index;
  index.media_type = std::string(oci::kOciIndexMediaType);
  ASSERT_OK(client_
                ->PutManifest(oci::Repository::Of(image), oci::SignatureTag(*image.digest()),
                              index.Serialize(), oci::kOciIndexMediaType)
                .status());
  EXPECT_THAT(backend_->Store(Signature(image, key)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("holds something else")));
}

// tektoncd/chains#485: before anything is stored for an image, one HEAD of its manifest by
// digest in the image's own repository.
TEST_F(OciBackendTest, CheckImageIsOneHeadAndRefusesDigestsTheRegistryDoesNotHave) {
  oci::Reference image = Image("demo/check");
  uint64_t before = client_->Stats().requests;
  EXPECT_OK(backend_->CheckImage(image));
  EXPECT_EQ(client_->Stats().requests - before, 1u);
  EXPECT_TRUE(absl::StrContains(
      registry_->Log(), absl::StrCat("\"HEAD /v2/demo/check/manifests/", image.digest()->String())))
      << registry_->Log();

  // A well-formed digest never pushed, in a repository that exists (MANIFEST_UNKNOWN) and in
  // one that does not (NAME_UNKNOWN).
  const oci::Digest never = oci::Sha256Of("never pushed");
  for (const char* repo : {"demo/check", "demo/nothing-here"}) {
    oci::Reference ghost =
        *oci::Reference::Parse(absl::StrCat(registry_->host(), "/", repo, "@", never.String()));
    EXPECT_THAT(backend_->CheckImage(ghost),
                StatusIs(absl::StatusCode::kNotFound,
                         HasSubstr(absl::StrCat("image ", ghost.String(),
                                                " : digest not found in the registry; not "
                                                "signing (HTTP 404"))))
        << repo;
  }
  EXPECT_THAT(backend_->CheckImage(*oci::Reference::Parse(image.Name() + ":v1")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("pinned by a sha256")));
}

TEST_F(OciBackendTest, CheckImageAsksTheImagesRepositoryNotTheStorageRepository) {
  OciBackendOptions options;
  options.repository = oci::Repository{registry_->host(), "signatures/store"};
  ASSERT_OK_AND_ASSIGN(auto moved, OciBackend::New(*client_, options));
  oci::Reference image = Image("demo/own");
  EXPECT_OK(moved->CheckImage(image));
  // The same manifest only in the storage repository: the image's repository does not have it.
  ASSERT_OK_AND_ASSIGN(TestImage elsewhere, registry_->PushImage("signatures/store", "x", "only"));
  oci::Reference claimed = *oci::Reference::Parse(
      absl::StrCat(registry_->host(), "/demo/own@", elsewhere.digest.String()));
  EXPECT_THAT(moved->CheckImage(claimed), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_FALSE(absl::StrContains(
      registry_->Log(),
      absl::StrCat("\"HEAD /v2/signatures/store/manifests/", elsewhere.digest.String())));
}

TEST(CheckImageUnreachableTest, UnreachableRegistryIsUnavailable) {
  ASSERT_OK_AND_ASSIGN(auto client, oci::NewCurlRegistryClient(FastOptions()));
  ASSERT_OK_AND_ASSIGN(auto backend, OciBackend::New(*client));
  // A loopback port nothing listens on.
  oci::Reference image = *oci::Reference::Parse(absl::StrCat(
      "127.0.0.1:", hallmark::testing::FreePort(), "/demo/app@", oci::Sha256Of("x").String()));
  EXPECT_THAT(backend->CheckImage(image),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr(absl::StrCat("checking image ", image.String()))));
}

// With token auth, the check reads with push scope when the `.sig`/`.att` go to the image's own
// repository: its token covers the push, so the check costs one request and no token exchange.
TEST(CheckImageTokenAuthTest, OneTokenCoversTheCheckAndThePush) {
  tests::registry::RegistryServerOptions registry_options;
  registry_options.auth = tests::registry::RegistryServerOptions::Auth::kToken;
  registry_options.users = {{"builder", "pushes-images"}};
  ASSERT_OK_AND_ASSIGN(auto registry, RegistryServer::Start(registry_options));
  ASSERT_OK_AND_ASSIGN(TestImage pushed, registry->PushImage("team/app", "v1", "tokens"));
  oci::RegistryClientOptions options = FastOptions();
  ASSERT_OK_AND_ASSIGN(options.keychain,
                       oci::Keychain::ParseDockerConfigJson(registry->DockerConfigJson("builder")));
  ASSERT_OK_AND_ASSIGN(auto client, oci::NewCurlRegistryClient(options));
  ASSERT_OK_AND_ASSIGN(auto backend, OciBackend::New(*client));
  oci::Reference image =
      *oci::Reference::Parse(absl::StrCat(registry->host(), "/team/app@", pushed.digest.String()));
  const int tokens_before = registry->token_requests();
  ASSERT_OK(backend->CheckImage(image));
  crypto::PrivateKey key = NewKey();
  SignedArtifact sig;
  sig.image = image;
  sig.payload = *crypto::SimpleSigningPayload::Build(image.Name(), image.digest()->String());
  sig.signature = *key.Sign(sig.payload);
  sig.signer = key.public_key();
  ASSERT_OK(backend->Store(sig).status());
  EXPECT_EQ(registry->token_requests() - tokens_before, 1);
  EXPECT_EQ(client->Stats().challenges, 1u);
  EXPECT_OK(verifier::VerifyImage(*client, image, {key.public_key()}).status());
}

// What docker-registry never does: answer for a digest with another one.
class CheckImageFakeRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(client_, oci::RegistryClient::New(fake_, FastOptions()));
    ASSERT_OK_AND_ASSIGN(backend_, OciBackend::New(*client_));
  }
  const std::string manifest_ = R"({"schemaVersion":2,"mediaType":")" +
                                std::string(oci::kOciManifestMediaType) +
                                R"(","config":{"mediaType":"a","digest":"sha256:)" +
                                std::string(64, 'c') + R"(","size":1},"layers":[]})";
  const oci::Digest digest_ = oci::Sha256Of(manifest_);
  const oci::Reference image_ =
      *oci::Reference::Parse("registry.example/team/app@" + digest_.String());
  const std::string url_ = "https://registry.example/v2/team/app/manifests/" + digest_.String();
  net::testing::FakeHttpClient fake_;
  std::unique_ptr<oci::RegistryClient> client_;
  std::unique_ptr<OciBackend> backend_;
};

TEST_F(CheckImageFakeRegistryTest, HeadWithOciAndDockerAcceptTypes) {
  fake_.On(net::Method::kHead, url_,
           net::testing::FakeHttpClient::Reply(
               200, "",
               net::Headers{{"Content-Type", std::string(oci::kOciManifestMediaType)},
                            {"Docker-Content-Digest", digest_.String()}}));
  EXPECT_OK(backend_->CheckImage(image_));
  auto requests = fake_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, net::Method::kHead);
  std::string accept = requests[0].headers.Get("Accept").value_or("");
  for (absl::string_view type :
       {oci::kOciManifestMediaType, oci::kOciIndexMediaType, oci::kDockerManifestMediaType}) {
    EXPECT_TRUE(absl::StrContains(accept, type)) << accept;
  }
  EXPECT_TRUE(
      absl::StrContains(accept, "application/vnd.docker.distribution.manifest.list.v2+json"));
}

TEST_F(CheckImageFakeRegistryTest, AnotherDigestInTheAnswerIsTreatedAsNotFound) {
  const oci::Digest other = oci::Sha256Of("another manifest");
  fake_.On(net::Method::kHead, url_,
           net::testing::FakeHttpClient::Reply(
               200, "", net::Headers{{"Docker-Content-Digest", other.String()}}));
  EXPECT_THAT(backend_->CheckImage(image_),
              StatusIs(absl::StatusCode::kNotFound,
                       AllOf(HasSubstr("digest not found in the registry; not signing"),
                             HasSubstr(other.String()))));
}

TEST_F(CheckImageFakeRegistryTest, OtherBytesOnTheFallbackGetAreTreatedAsNotFound) {
  // No Docker-Content-Digest: the client GETs the manifest and hashes it.
  fake_.On(net::Method::kHead, url_, net::testing::FakeHttpClient::Reply(200));
  fake_.On(net::Method::kGet, url_,
           net::testing::FakeHttpClient::Reply(
               200, manifest_ + " ",
               net::Headers{{"Content-Type", std::string(oci::kOciManifestMediaType)}}));
  EXPECT_THAT(backend_->CheckImage(image_),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("digest not found in the registry; not signing")));
  // The right bytes: found.
  fake_.On(net::Method::kHead, "https://registry.example/v2/team/ok/manifests/*",
           net::testing::FakeHttpClient::Reply(200));
  fake_.On(
      net::Method::kGet, "https://registry.example/v2/team/ok/manifests/*",
      net::testing::FakeHttpClient::Reply(
          200, manifest_, net::Headers{{"Content-Type", std::string(oci::kOciManifestMediaType)}}));
  EXPECT_OK(
      backend_->CheckImage(*oci::Reference::Parse("registry.example/team/ok@" + digest_.String())));
}

TEST_F(CheckImageFakeRegistryTest, ServerErrorsAndRefusedCredentialsKeepTheirCodes) {
  fake_.On(net::Method::kHead, url_, net::testing::FakeHttpClient::Reply(503));
  EXPECT_THAT(backend_->CheckImage(image_),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("checking image registry.example/team/app@")));
  fake_.On(net::Method::kHead, "https://registry.example/v2/team/denied/manifests/*",
           net::testing::FakeHttpClient::Reply(403));
  EXPECT_THAT(backend_->CheckImage(
                  *oci::Reference::Parse("registry.example/team/denied@" + digest_.String())),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

}  // namespace
}  // namespace hallmark::storage
