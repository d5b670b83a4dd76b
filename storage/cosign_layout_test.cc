// The layout helpers reproduce cosign's objects byte for byte (shared/fixtures/cosign/oci, built
// from cosign + go-containerregistry's serialisation).
#include "storage/cosign_layout.h"

#include <string>
#include <vector>

#include "base/encoding.h"
#include "base/testing/fixtures.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "oci/manifest.h"
#include "oci/media_types.h"

namespace hallmark::storage {
namespace {

using ::hallmark::testing::ReadFixture;

TEST(CosignLayoutTest, SignatureTagObjectsMatchCosign) {
  const std::string payload = ReadFixture("cosign/oci/sig-tag-example.layer0.blob");
  ASSERT_OK_AND_ASSIGN(
      oci::ImageManifest fixture,
      oci::ImageManifest::Parse(ReadFixture("cosign/oci/sig-tag-example.manifest.json")));
  ASSERT_OK_AND_ASSIGN(
      std::string signature,
      Base64Decode(*fixture.layers[0].Annotation(oci::kCosignSignatureAnnotation)));
  oci::Descriptor layer = SignatureLayer(payload, signature);
  EXPECT_EQ(layer, fixture.layers[0]);
  const std::string config = CosignConfig({layer});
  EXPECT_EQ(config, ReadFixture("cosign/oci/sig-tag-example.config.json"));
  EXPECT_EQ(AttachmentManifest({layer}, config).Serialize(),
            ReadFixture("cosign/oci/sig-tag-example.manifest.json"));
}

TEST(CosignLayoutTest, AttestationTagObjectsMatchCosign) {
  std::vector<oci::Descriptor> layers = {
      AttestationLayer(ReadFixture("cosign/oci/att-tag-example.layer0.blob"),
                       "https://cosign.sigstore.dev/attestation/v1"),
      AttestationLayer(ReadFixture("cosign/oci/att-tag-example.layer1.blob"),
                       "https://example.com/CodeReview/v1")};
  EXPECT_EQ(layers[0].Annotation(oci::kCosignSignatureAnnotation), std::optional<std::string>(""));
  const std::string config = CosignConfig(layers);
  EXPECT_EQ(config, ReadFixture("cosign/oci/att-tag-example.config.json"));
  EXPECT_EQ(AttachmentManifest(layers, config).Serialize(),
            ReadFixture("cosign/oci/att-tag-example.manifest.json"));
}

TEST(CosignLayoutTest, CertificatesOnlyWhenGiven) {
  oci::Descriptor keyed = SignatureLayer("p", "s");
  EXPECT_EQ(keyed.annotations.size(), 1u);
  oci::Descriptor with_cert = SignatureLayer("p", "s", "CERT", "CHAIN");
  EXPECT_EQ(with_cert.Annotation(oci::kCosignCertificateAnnotation), "CERT");
  EXPECT_EQ(with_cert.Annotation(oci::kCosignChainAnnotation), "CHAIN");
  EXPECT_EQ(ConstantConfig(), ConstantConfig());
  EXPECT_THAT(ConstantConfig(), ::testing::HasSubstr("\"diff_ids\":[]"));
}

}  // namespace
}  // namespace hallmark::storage
