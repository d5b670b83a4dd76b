// cosign verification against cosign-, containers/image- and locally made fixtures
// (shared/fixtures/cosign), plus the advisory regression tests of perf-reliability.md §6 that
// apply to key-based verification.
#include "verifier/cosign.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/encoding.h"
#include "base/file.h"
#include "base/testing/fixtures.h"
#include "base/testing/status_matchers.h"
#include "crypto/cosign_key.h"
#include "crypto/dsse.h"
#include "crypto/private_key.h"
#include "crypto/public_key.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "oci/content_digest.h"
#include "oci/media_types.h"

namespace hallmark::verifier {
namespace {

using ::hallmark::testing::ReadFixture;
using ::hallmark::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

const oci::Digest kImage =
    *oci::Digest::Parse("sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00");

crypto::PublicKey Key(const std::string& fixture) {
  auto key = crypto::PublicKey::ParsePem(ReadFixture(fixture));
  EXPECT_TRUE(key.ok()) << key.status();
  return *key;
}

// A `.sig` layer as cosign stored the fixture signature: the payload blob, its media type and the
// layer annotations from layer-descriptor-info.json (or signature.b64 when there is none).
AttachmentLayer SigLayer(const std::string& dir) {
  const std::string base = "cosign/simplesigning/" + dir + "/";
  std::string payload = ReadFixture(base + "payload.json");
  oci::Descriptor d(std::string(oci::kCosignSimpleSigningMediaType), oci::Sha256Of(payload),
                    payload.size());
  if (hallmark::FileExists(hallmark::testing::FixturePath(base + "layer-descriptor-info.json"))) {
    nlohmann::json info = nlohmann::json::parse(ReadFixture(base + "layer-descriptor-info.json"));
    d.media_type = info["mimeType"].get<std::string>();
    for (auto& [k, v] : info["annotations"].items()) d.annotations[k] = v.get<std::string>();
  } else {
    d.annotations[std::string(oci::kCosignSignatureAnnotation)] =
        std::string(absl::StripAsciiWhitespace(ReadFixture(base + "signature.b64")));
  }
  return AttachmentLayer{d, payload, absl::OkStatus()};
}

AttachmentLayer AttLayer(const std::string& envelope, const std::string& predicate_type) {
  oci::Descriptor d(std::string(oci::kDsseEnvelopeMediaType), oci::Sha256Of(envelope),
                    envelope.size());
  d.annotations[std::string(oci::kCosignSignatureAnnotation)] = "";
  d.annotations[std::string(oci::kPredicateTypeAnnotation)] = predicate_type;
  return AttachmentLayer{d, envelope, absl::OkStatus()};
}

TEST(VerifySignaturesTest, CosignAndContainersImageSignaturesVerify) {
  crypto::PublicKey cosign_pub = Key("cosign/simplesigning/cosign.pub");
  for (std::string dir : {"valid", "valid-skopeo-with-tag"}) {
    std::vector<AttachmentLayer> layers = {SigLayer(dir)};
    ASSERT_OK_AND_ASSIGN(std::vector<VerifiedSignature> ok,
                         VerifyImageSignatures(layers, {cosign_pub}, kImage));
    ASSERT_THAT(ok, SizeIs(1)) << dir;
    EXPECT_EQ(ok[0].payload, layers[0].blob);
    EXPECT_EQ(ok[0].claims.manifest_digest, kImage.String());
    EXPECT_EQ(ok[0].layer_digest, layers[0].descriptor.digest);
  }
  // Signed with the Chains test key; a Rekor bundle annotation is simply not used.
  ASSERT_OK(VerifyImageSignatures({SigLayer("local-chains-key")},
                                  {Key("cosign/keys/chains-p256.pub")}, kImage)
                .status());
  const oci::Digest other =
      oci::Sha256Of(ReadFixture("cosign/simplesigning/key-with-rekor-bundle/manifest.json"));
  ASSERT_OK(VerifyImageSignatures({SigLayer("key-with-rekor-bundle")},
                                  {Key("cosign/simplesigning/cosign2.pub")}, other)
                .status());
}

TEST(VerifySignaturesTest, NegativeFixturesFailWithCosignsMessages) {
  crypto::PublicKey key = Key("cosign/simplesigning/cosign.pub");
  // The manifest was modified after signing: its digest is not the one in the claim.
  const oci::Digest modified =
      oci::Sha256Of(ReadFixture("cosign/simplesigning/NEGATIVE-modified-manifest/manifest.json"));
  auto result = VerifyImageSignatures({SigLayer("NEGATIVE-modified-manifest")}, {key}, modified);
  EXPECT_THAT(result, StatusIs(absl::StatusCode::kPermissionDenied,
                               HasSubstr("no matching signatures: invalid or missing digest in "
                                         "claim: sha256:634a8f35")));
  EXPECT_EQ(FailureOf(result.status()), Failure::kNoMatchingSignatures);

  result = VerifyImageSignatures({SigLayer("NEGATIVE-unknown-key")}, {key}, kImage);
  EXPECT_THAT(result.status().message(),
              "no matching signatures: invalid signature when validating ASN.1 encoded signature");

  // A signature by another key.
  result =
      VerifyImageSignatures({SigLayer("valid")}, {Key("cosign/simplesigning/cosign2.pub")}, kImage);
  EXPECT_EQ(FailureOf(result.status()), Failure::kNoMatchingSignatures);
}

TEST(VerifySignaturesTest, NoLayersIsNoSignaturesFound) {
  auto result = VerifyImageSignatures({}, {Key("cosign/simplesigning/cosign.pub")}, kImage);
  EXPECT_THAT(result, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(result.status().message(), "no signatures found");
  EXPECT_EQ(FailureOf(result.status()), Failure::kNoSignatures);
  EXPECT_EQ(FailureOf(absl::OkStatus()), Failure::kNone);
  EXPECT_EQ(FailureOf(absl::InternalError("x")), Failure::kOther);
  EXPECT_THAT(VerifyImageSignatures({SigLayer("valid")}, {}, kImage),
              StatusIs(absl::StatusCode::kInvalidArgument, "no trusted keys"));
}

TEST(VerifySignaturesTest, TamperedPayloadAndSignature) {
  crypto::PublicKey key = Key("cosign/simplesigning/cosign.pub");
  AttachmentLayer layer = SigLayer("valid");
  layer.blob[20] ^= 1;
  EXPECT_THAT(VerifyImageSignatures({layer}, {key}, kImage).status().message(),
              HasSubstr("invalid signature when validating ASN.1 encoded signature"));

  layer = SigLayer("valid");
  std::string& sig = layer.descriptor.annotations[std::string(oci::kCosignSignatureAnnotation)];
  sig[10] = sig[10] == 'A' ? 'B' : 'A';
  EXPECT_THAT(VerifyImageSignatures({layer}, {key}, kImage).status().message(),
              HasSubstr("invalid signature when validating ASN.1 encoded signature"));
}

TEST(VerifySignaturesTest, AnnotationProblems) {
  crypto::PublicKey key = Key("cosign/simplesigning/cosign.pub");
  AttachmentLayer layer = SigLayer("valid");
  layer.descriptor.annotations.clear();
  EXPECT_EQ(
      VerifyImageSignatures({layer}, {key}, kImage).status().message(),
      absl::StrCat("no matching signatures: signature layer ", layer.descriptor.digest.String(),
                   " is missing \"dev.cosignproject.cosign/signature\" annotation"));

  layer = SigLayer("valid");
  layer.descriptor.annotations[std::string(oci::kCosignSignatureAnnotation)] = "MEU*CIQ";
  EXPECT_EQ(VerifyImageSignatures({layer}, {key}, kImage).status().message(),
            "no matching signatures: illegal base64 data at input byte 3");
  layer.descriptor.annotations[std::string(oci::kCosignSignatureAnnotation)] = "MEUCIQ";
  EXPECT_EQ(VerifyImageSignatures({layer}, {key}, kImage).status().message(),
            "no matching signatures: illegal base64 data at input byte 4");
}

TEST(VerifySignaturesTest, WantedAnnotationsComeFromOptional) {
  crypto::PublicKey key = Key("cosign/simplesigning/cosign.pub");
  CheckOptions options;
  options.annotations = {{"creator", "containers/image 5.21.2-dev"}};
  ASSERT_OK(
      VerifyImageSignatures({SigLayer("valid-skopeo-with-tag")}, {key}, kImage, options).status());
  options.annotations = {{"creator", "someone else"}};
  EXPECT_EQ(VerifyImageSignatures({SigLayer("valid-skopeo-with-tag")}, {key}, kImage, options)
                .status()
                .message(),
            "no matching signatures: missing or incorrect annotation");
  // `optional: null` has no annotations at all.
  options.annotations = {{"env", "prod"}};
  EXPECT_THAT(VerifyImageSignatures({SigLayer("valid")}, {key}, kImage, options).status().message(),
              HasSubstr("missing or incorrect annotation"));
}

TEST(VerifySignaturesTest, OnlyTheValidLayerCountsAmongUnsignedExtras) {
  crypto::PublicKey key = Key("cosign/simplesigning/cosign.pub");
  AttachmentLayer unsigned_layer = SigLayer("valid");
  unsigned_layer.descriptor.annotations.clear();
  AttachmentLayer other = SigLayer("NEGATIVE-other-attachment");
  AttachmentLayer foreign = SigLayer("NEGATIVE-unknown-key");
  ASSERT_OK_AND_ASSIGN(
      std::vector<VerifiedSignature> ok,
      VerifyImageSignatures({unsigned_layer, other, SigLayer("valid"), foreign}, {key}, kImage));
  ASSERT_THAT(ok, SizeIs(1));
  EXPECT_EQ(ok[0].payload, SigLayer("valid").blob);
}

TEST(VerifySignaturesTest, MovedRekorBundleGivesNothing) {
  // CVE-2022-23649: a valid bundle annotation copied onto a layer whose signature is bad.
  AttachmentLayer donor = SigLayer("key-with-rekor-bundle");
  AttachmentLayer layer = SigLayer("NEGATIVE-unknown-key");
  layer.descriptor.annotations[std::string(oci::kCosignBundleAnnotation)] =
      donor.descriptor.annotations[std::string(oci::kCosignBundleAnnotation)];
  ASSERT_FALSE(layer.descriptor.annotations[std::string(oci::kCosignBundleAnnotation)].empty());
  EXPECT_EQ(
      FailureOf(VerifyImageSignatures({layer}, {Key("cosign/simplesigning/cosign.pub")}, kImage)
                    .status()),
      Failure::kNoMatchingSignatures);
}

TEST(VerifySignaturesTest, LimitsOnLayersAndSizes) {
  crypto::PublicKey key = Key("cosign/simplesigning/cosign.pub");
  std::vector<AttachmentLayer> many(1001, SigLayer("valid"));
  EXPECT_THAT(VerifyImageSignatures(many, {key}, kImage),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "number of layers (1001) exceeded the limit (1000)"));
  many.erase(many.begin() + 1000, many.end());
  EXPECT_THAT(VerifyImageSignatures(many, {key}, kImage), hallmark::testing::IsOk());

  CheckOptions small;
  small.max_layer_bytes = 100;
  EXPECT_THAT(VerifyImageSignatures({SigLayer("valid")}, {key}, kImage, small).status().message(),
              HasSubstr("size of layer (261) exceeded the limit (100)"));
  AttachmentLayer failed = SigLayer("valid");
  failed.blob.clear();
  failed.fetch_error = absl::FailedPreconditionError("content does not match digest");
  EXPECT_THAT(VerifyImageSignatures({failed}, {key}, kImage).status().message(),
              "no matching signatures: content does not match digest");
}

TEST(VerifySignaturesTest, CosignVerifyOutputShape) {
  crypto::PublicKey key = Key("cosign/simplesigning/cosign.pub");
  ASSERT_OK_AND_ASSIGN(
      auto ok,
      VerifyImageSignatures({SigLayer("valid"), SigLayer("valid-skopeo-with-tag")}, {key}, kImage));
  EXPECT_EQ(
      CosignVerifyOutput(ok),
      absl::StrCat("[", ReadFixture("cosign/simplesigning/valid/payload.json"), ",",
                   ReadFixture("cosign/simplesigning/valid-skopeo-with-tag/payload.json"), "]"));
}

// --- Attestations ---

std::string Envelope(const std::string& name) {
  return ReadFixture("cosign/dsse/local-cosign-attestation/" + name + ".envelope.json");
}

TEST(VerifyAttestationsTest, CosignStyleAttestationsVerify) {
  crypto::PublicKey key = Key("cosign/keys/chains-p256.pub");
  std::vector<AttachmentLayer> layers = {
      AttLayer(Envelope("custom"), "https://cosign.sigstore.dev/attestation/v1"),
      AttLayer(Envelope("codereview"), "https://example.com/CodeReview/v1")};
  ASSERT_OK_AND_ASSIGN(std::vector<VerifiedAttestation> ok,
                       VerifyImageAttestations(layers, {key}, kImage));
  ASSERT_THAT(ok, SizeIs(2));
  EXPECT_EQ(ok[0].predicate_type, "https://cosign.sigstore.dev/attestation/v1");
  EXPECT_EQ(ok[0].envelope, layers[0].blob);
  EXPECT_EQ(ok[0].statement,
            ReadFixture("cosign/dsse/local-cosign-attestation/custom.statement.json"));

  ASSERT_OK_AND_ASSIGN(auto reviews,
                       FilterByPredicateType(ok, "https://example.com/CodeReview/v1", "x"));
  ASSERT_THAT(reviews, SizeIs(1));
  EXPECT_EQ(reviews[0].predicate_type, "https://example.com/CodeReview/v1");
}

TEST(VerifyAttestationsTest, OtherPredicateNeverSatisfiesType) {
  // CVE-2022-35929: valid attestations of other types do not satisfy --type slsaprovenance.
  crypto::PublicKey key = Key("cosign/keys/chains-p256.pub");
  ASSERT_OK_AND_ASSIGN(std::vector<VerifiedAttestation> ok,
                       VerifyImageAttestations({AttLayer(Envelope("custom"), "x"),
                                                AttLayer(Envelope("codereview"), "x")},
                                               {key}, kImage));
  auto filtered = FilterByPredicateType(ok, "https://slsa.dev/provenance/v0.2", "slsaprovenance");
  EXPECT_EQ(filtered.status().message(),
            "none of the attestations matched the predicate type: slsaprovenance, found: "
            "https://cosign.sigstore.dev/attestation/v1,https://example.com/CodeReview/v1");
  EXPECT_EQ(FailureOf(filtered.status()), Failure::kNoMatchingPredicate);
  // A prefix of the URI is not the URI.
  EXPECT_FALSE(FilterByPredicateType(ok, "https://example.com/CodeReview", "x").ok());
}

TEST(VerifyAttestationsTest, NegativeEnvelopes) {
  crypto::PublicKey key = Key("cosign/keys/chains-p256.pub");
  auto wrong_subject =
      VerifyImageAttestations({AttLayer(Envelope("NEGATIVE-wrong-subject"), "x")}, {key}, kImage);
  EXPECT_EQ(wrong_subject.status().message(),
            "no matching attestations: no matching subject digest found");
  EXPECT_EQ(FailureOf(wrong_subject.status()), Failure::kNoMatchingAttestations);

  // Old cosign put the predicate URI in payloadType.
  auto legacy = VerifyImageAttestations(
      {AttLayer(ReadFixture("cosign/dsse/kyverno-legacy-payloadtype/envelope-0.json"), "x")},
      {Key("cosign/dsse/kyverno-legacy-payloadtype/pub.pem")}, kImage);
  EXPECT_EQ(legacy.status().message(),
            "no matching attestations: invalid payloadType https://example.com/CodeReview/v1 on "
            "envelope. Expected application/vnd.in-toto+json");

  auto other_key = VerifyImageAttestations({AttLayer(Envelope("custom"), "x")},
                                           {Key("cosign/simplesigning/cosign.pub")}, kImage);
  EXPECT_EQ(other_key.status().message(),
            "no matching attestations: accepted signatures do not match threshold, Found: 0, "
            "Expected 1");

  AttachmentLayer bare = AttLayer(Envelope("custom"), "x");
  bare.descriptor.annotations.erase(std::string(oci::kCosignSignatureAnnotation));
  EXPECT_THAT(VerifyImageAttestations({bare}, {key}, kImage).status().message(),
              HasSubstr("is missing \"dev.cosignproject.cosign/signature\" annotation"));

  EXPECT_EQ(VerifyImageAttestations({}, {key}, kImage).status().message(),
            "no matching attestations: ");
}

TEST(VerifyAttestationsTest, MalformedStatementsSignedWithTheRightKey) {
  // GHSA-w6c6-c85g-mmv6: a valid DSSE signature over something that is not a proper Statement.
  ASSERT_OK_AND_ASSIGN(
      crypto::PrivateKey signer,
      crypto::LoadCosignKey(ReadFixture("cosign/keys/chains-p256.key"), SecretData("p")));
  const std::string good_subject =
      absl::StrCat(R"("subject":[{"name":"r/x","digest":{"sha256":")", kImage.hex(), R"("}}])");
  struct Case {
    std::string statement;
    std::string error;
  };
  for (const Case& c : std::vector<Case>{
           {"not json", "invalid in-toto statement: not a JSON object"},
           {absl::StrCat(R"({"_type":"https://example.com/NotAStatement","predicateType":"p",)",
                         good_subject, "}"),
            "_type is not an in-toto Statement"},
           {absl::StrCat(R"({"_type":"https://in-toto.io/Statement/v1",)", good_subject, "}"),
            "no predicateType"},
           {R"({"_type":"https://in-toto.io/Statement/v1","predicateType":"p","subject":{}})",
            "subject is not an array"},
           {absl::StrCat(R"({"_type":"https://in-toto.io/Statement/v1","predicateType":"p",)",
                         R"("subject":[{"digest":{"sha512":")", kImage.hex(), R"("}}]})"),
            "no matching subject digest found"}}) {
    ASSERT_OK_AND_ASSIGN(std::string envelope,
                         crypto::SignDsseEnvelope(signer, crypto::kInTotoPayloadType, c.statement));
    auto result = VerifyImageAttestations({AttLayer(envelope, "p")}, {signer.public_key()}, kImage);
    EXPECT_THAT(result.status().message(), HasSubstr(c.error)) << c.statement;
  }
  // The same signer over a proper v1 statement passes.
  ASSERT_OK_AND_ASSIGN(
      std::string good,
      crypto::SignDsseEnvelope(signer, crypto::kInTotoPayloadType,
                               absl::StrCat(R"({"_type":"https://in-toto.io/Statement/v1",)",
                                            R"("predicateType":"p",)", good_subject, "}")));
  EXPECT_THAT(VerifyImageAttestations({AttLayer(good, "p")}, {signer.public_key()}, kImage),
              hallmark::testing::IsOk());
}

}  // namespace
}  // namespace hallmark::verifier
