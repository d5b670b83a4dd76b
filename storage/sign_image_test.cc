// SignImage / AttestImage against the real registry, and the statement cosign attest writes.
#include "storage/sign_image.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "base/testing/status_matchers.h"
#include "crypto/private_key.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "oci/content_digest.h"
#include "oci/curl_registry_client.h"
#include "tests/registry/registry_server.h"
#include "verifier/verify_image.h"

namespace hallmark::storage {
namespace {

using ::hallmark::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::SizeIs;

const oci::Digest kDigest = oci::Sha256Of("image");

TEST(CosignStatementTest, CustomAndJsonPredicates) {
  oci::Reference image = *oci::Reference::Parse("registry.example:5000/demo:v1");
  ASSERT_OK_AND_ASSIGN(std::string custom,
                       CosignStatement(image, kDigest, "custom", "hello <world>\n",
                                       absl::FromUnixSeconds(1767225600)));
  EXPECT_EQ(custom,
            absl::StrCat(
                R"({"_type":"https://in-toto.io/Statement/v0.1",)",
                R"("predicateType":"https://cosign.sigstore.dev/attestation/v1",)",
                R"("subject":[{"name":"registry.example:5000/demo","digest":{"sha256":")",
                kDigest.hex(), R"("}}],)",
                R"("predicate":{"Data":"hello <world>\n","Timestamp":"2026-01-01T00:00:00Z"}})"));
  // JSON predicates keep their key order and are re-emitted compactly.
  ASSERT_OK_AND_ASSIGN(std::string slsa,
                       CosignStatement(image, kDigest, "slsaprovenance1",
                                       "{ \"z\": 1,\n \"a\": [true, null] }", absl::Now()));
  EXPECT_THAT(slsa, HasSubstr(R"("predicateType":"https://slsa.dev/provenance/v1")"));
  EXPECT_THAT(slsa, HasSubstr(R"("predicate":{"z":1,"a":[true,null]}})"));
  EXPECT_THAT(CosignStatement(image, kDigest, "spdx", "not json", absl::Now()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must be a JSON object")));
  EXPECT_THAT(CosignStatement(image, kDigest, "spdx", "42", absl::Now()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(CosignStatement(image, kDigest, "bad type", "{}", absl::Now()),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SignImageTest, ByTagAndByDigestAgainstTheRealRegistry) {
  ASSERT_OK_AND_ASSIGN(auto registry, tests::registry::RegistryServer::Start());
  ASSERT_OK_AND_ASSIGN(auto image, registry->PushImage("demo/app", "v1"));
  ASSERT_OK_AND_ASSIGN(auto client, oci::NewCurlRegistryClient({}));
  ASSERT_OK_AND_ASSIGN(crypto::PrivateKey key,
                       crypto::PrivateKey::Generate(crypto::KeyType::kEcdsaP256));
  oci::Reference by_tag = *oci::Reference::Parse(registry->host() + "/demo/app:v1");
  SignImageOptions annotated;
  annotated.annotations = {{"k", "v"}};
  ASSERT_OK_AND_ASSIGN(SignedImage s, SignImage(*client, key, by_tag, annotated));
  EXPECT_EQ(*s.image.digest(), image.digest);
  EXPECT_EQ(s.destination.String(), registry->host() + "/demo/app");
  EXPECT_THAT(s.payload, HasSubstr(absl::StrCat(R"("docker-reference":")", registry->host(),
                                                R"(/demo/app:v1")")));
  EXPECT_THAT(s.payload, HasSubstr(R"("optional":{"k":"v"})"));
  EXPECT_TRUE(s.stored);

  oci::Reference by_digest =
      *oci::Reference::Parse(registry->host() + "/demo/app@" + image.digest.String());
  ASSERT_OK_AND_ASSIGN(SignedImage d, SignImage(*client, key, by_digest));
  EXPECT_THAT(d.payload, HasSubstr(absl::StrCat(R"("docker-reference":")", registry->host(),
                                                R"(/demo/app")")));
  AttestImageOptions slsa;
  slsa.type = "slsaprovenance";
  ASSERT_OK_AND_ASSIGN(SignedImage a,
                       AttestImage(*client, key, by_digest, R"({"builder":{"id":"x"}})", slsa));
  EXPECT_TRUE(a.stored);
  ASSERT_OK_AND_ASSIGN(auto verified, verifier::VerifyImage(*client, by_tag, {key.public_key()}));
  EXPECT_THAT(verified.signatures, SizeIs(2));

  // A digest that is not in the registry is not signed.
  oci::Reference ghost =
      *oci::Reference::Parse(registry->host() + "/demo/app@" + oci::Sha256Of("ghost").String());
  EXPECT_THAT(SignImage(*client, key, ghost), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(SignImage(*client, key, *oci::Reference::Parse(registry->host() + "/demo/app:nope")),
              StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace hallmark::storage
