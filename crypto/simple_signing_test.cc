#include "crypto/simple_signing.h"

#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "base/encoding.h"
#include "base/testing/fixtures.h"
#include "base/testing/status_matchers.h"
#include "crypto/cosign_key.h"
#include "crypto/digest.h"
#include "crypto/public_key.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hallmark::crypto {
namespace {

using ::hallmark::testing::ReadFixture;
using ::hallmark::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kDigest[] =
    "sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00";

TEST(SimpleSigningBuildTest, ExactCosignBytes) {
  // The fixture payload was made by cosign's code path for this reference and digest.
  EXPECT_THAT(
      SimpleSigningPayload::Build("registry.example:5000/demo", kDigest),
      testing::IsOkAndHolds(ReadFixture("cosign/simplesigning/local-chains-key/payload.json")));
  // sigstore's own unit-test expectation.
  const std::string d = "sha256:d34db33fd34db33fd34db33fd34db33fd34db33fd34db33fd34db33fd34db33f";
  EXPECT_THAT(SimpleSigningPayload::Build("example.com/test/image", d),
              testing::IsOkAndHolds(absl::StrCat(
                  R"({"critical":{"identity":{"docker-reference":"example.com/test/image"},)",
                  R"("image":{"docker-manifest-digest":")", d,
                  R"("},"type":"cosign container image signature"},"optional":null})")));
}

TEST(SimpleSigningBuildTest, AnnotationsSortedAndEscapedLikeGo) {
  std::map<std::string, std::string> annotations = {
      {"z", "last"}, {"a", "<tag> & \"q\"\n"}, {"B", "\xe2\x80\xa8 \xff"}};
  ASSERT_OK_AND_ASSIGN(std::string payload,
                       SimpleSigningPayload::Build("r.example/x", kDigest, annotations));
  EXPECT_THAT(
      payload,
      HasSubstr(
          R"("optional":{"B":"\u2028 \ufffd","a":"\u003ctag\u003e \u0026 \"q\"\n","z":"last"}})"));
  ASSERT_OK_AND_ASSIGN(SimpleSigningPayload parsed, SimpleSigningPayload::ParseStrict(payload));
  EXPECT_EQ(parsed.annotations.at("a"), "<tag> & \"q\"\n");
  EXPECT_EQ(parsed.annotations.at("z"), "last");
}

TEST(SimpleSigningBuildTest, RejectsBadInput) {
  EXPECT_THAT(SimpleSigningPayload::Build("r/x", "sha256:abc"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("invalid image digest")));
  EXPECT_THAT(SimpleSigningPayload::Build("r/x", absl::StrCat(kDigest, "0")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(SimpleSigningPayload::Build(
                  "r/x", "sha256:634A8F35B5F16DCF4AAA0822ADC0B1964BB786FCA12F6831DE8DDC45E5986A00"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(SimpleSigningPayload::Build("", kDigest),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("docker-reference")));
}

struct FixtureSignature {
  const char* dir;
  const char* key;  // public key file, or certificate when `cert` is true
  bool cert;
  bool digest_matches;
};

const FixtureSignature kValid[] = {
    {"valid", "cosign/simplesigning/cosign.pub", false, true},
    {"valid-skopeo-with-tag", "cosign/simplesigning/cosign.pub", false, true},
    {"key-with-rekor-bundle", "cosign/simplesigning/cosign2.pub", false, true},
    {"fulcio-cert-with-rekor-bundle",
     "cosign/simplesigning/fulcio-cert-with-rekor-bundle/certificate.pem", true, true},
    {"pki-cert-chain", "cosign/simplesigning/pki-cert-chain/certificate.pem", true, true},
    {"local-chains-key", "cosign/keys/chains-p256.pub", false, true},
    {"NEGATIVE-modified-manifest", "cosign/simplesigning/cosign.pub", false, false},
};

// The whole check a cosign verifier makes per `.sig` layer: signature over the exact payload
// bytes, then the claimed digest against the manifest's digest.
TEST(SimpleSigningFixtureTest, SignaturesVerifyAndDigestsMatchAsTheReadmeSays) {
  for (const FixtureSignature& f : kValid) {
    SCOPED_TRACE(f.dir);
    const std::string dir = absl::StrCat("cosign/simplesigning/", f.dir, "/");
    absl::StatusOr<PublicKey> key = f.cert ? PublicKey::FromCertificatePem(ReadFixture(f.key))
                                           : PublicKey::ParsePem(ReadFixture(f.key));
    ASSERT_OK(key.status());
    const std::string payload = ReadFixture(absl::StrCat(dir, "payload.json"));
    ASSERT_OK_AND_ASSIGN(std::string sig,
                         Base64Decode(absl::StrReplaceAll(
                             ReadFixture(absl::StrCat(dir, "signature.b64")), {{"\n", ""}})));
    EXPECT_EQ(sig, ReadFixture(absl::StrCat(dir, "signature.der")));
    EXPECT_OK(key->Verify(payload, sig));

    ASSERT_OK_AND_ASSIGN(SimpleSigningPayload lenient, SimpleSigningPayload::ParseLenient(payload));
    ASSERT_OK_AND_ASSIGN(SimpleSigningPayload strict, SimpleSigningPayload::ParseStrict(payload));
    EXPECT_EQ(lenient.manifest_digest, strict.manifest_digest);
    EXPECT_EQ(lenient.docker_reference, strict.docker_reference);
    EXPECT_EQ(strict.type, kSimpleSigningType);
    const std::string manifest_digest =
        Sha256Digest(ReadFixture(absl::StrCat(dir, "manifest.json")));
    EXPECT_EQ(strict.manifest_digest == manifest_digest, f.digest_matches);
  }
}

TEST(SimpleSigningFixtureTest, SkopeoOptionalFields) {
  ASSERT_OK_AND_ASSIGN(SimpleSigningPayload p,
                       SimpleSigningPayload::ParseStrict(
                           ReadFixture("cosign/simplesigning/valid-skopeo-with-tag/payload.json")));
  EXPECT_EQ(p.docker_reference, "192.168.64.2:5000/skopeo-signed:tag");
  EXPECT_EQ(p.annotations.at("creator"), "containers/image 5.21.2-dev");
  EXPECT_EQ(p.timestamp, 1657296609);
}

TEST(SimpleSigningFixtureTest, NegativesFail) {
  // Signed by a key nobody trusts: none of our fixture keys verifies it.
  const std::string dir = "cosign/simplesigning/NEGATIVE-unknown-key/";
  const std::string payload = ReadFixture(absl::StrCat(dir, "payload.json"));
  const std::string sig = ReadFixture(absl::StrCat(dir, "signature.der"));
  for (const char* k : {"cosign/simplesigning/cosign.pub", "cosign/simplesigning/cosign2.pub",
                        "cosign/keys/chains-p256.pub", "cosign/simplesigning/rekor.pub"}) {
    ASSERT_OK_AND_ASSIGN(PublicKey key, PublicKey::ParsePem(ReadFixture(k)));
    EXPECT_FALSE(key.Verify(payload, sig).ok()) << k;
  }
  // A non-signature attachment: not JSON, so neither parser takes it.
  const std::string other =
      ReadFixture("cosign/simplesigning/NEGATIVE-other-attachment/payload.json");
  EXPECT_THAT(SimpleSigningPayload::ParseLenient(other),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(SimpleSigningPayload::ParseStrict(other),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SimpleSigningParseTest, LenientAcceptsWhatCosignAccepts) {
  ASSERT_OK_AND_ASSIGN(SimpleSigningPayload p,
                       SimpleSigningPayload::ParseLenient(absl::StrCat(
                           R"({"critical":{"image":{"docker-manifest-digest":")", kDigest,
                           R"("},"extra":1},"optional":{"k":"v","n":3},"more":[1]})")));
  EXPECT_EQ(p.manifest_digest, kDigest);
  EXPECT_EQ(p.type, "");
  EXPECT_EQ(p.docker_reference, "");
  EXPECT_EQ(p.annotations, (std::map<std::string, std::string>{{"k", "v"}}));
  ASSERT_OK_AND_ASSIGN(p, SimpleSigningPayload::ParseLenient("{}"));
  EXPECT_EQ(p.manifest_digest, "");
  ASSERT_OK_AND_ASSIGN(p,
                       SimpleSigningPayload::ParseLenient(R"({"critical":null,"optional":null})"));
}

TEST(SimpleSigningParseTest, LenientRejectsWrongTypes) {
  for (const char* bad :
       {"[]", "\"x\"", R"({"critical":"x"})",
        R"({"critical":{"image":{"docker-manifest-digest":5}}})", R"({"critical":{"identity":[]}})",
        R"({"critical":{"type":true}})", R"({"optional":"x"})", "{", R"({} trailing)"}) {
    EXPECT_THAT(SimpleSigningPayload::ParseLenient(bad),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
}

TEST(SimpleSigningParseTest, StrictRulesOfContainersImage) {
  const std::string good = ReadFixture("cosign/simplesigning/local-chains-key/payload.json");
  ASSERT_OK(SimpleSigningPayload::ParseStrict(good).status());
  struct Case {
    std::string payload;
    const char* message;
  };
  auto with = [&](absl::string_view from, absl::string_view to) {
    std::string s = good;
    size_t at = s.find(std::string(from));
    EXPECT_NE(at, std::string::npos) << from;
    s.replace(at, from.size(), std::string(to));
    return s;
  };
  const Case cases[] = {
      {with(R"(,"optional":null)", ""), "key \"optional\" missing"},
      {with(R"("optional":null)", R"("optional":null,"x":1)"), "unknown key \"x\""},
      {with(R"("type":)", R"("x":1,"type":)"), "unknown key \"x\" in critical"},
      {with("cosign container image signature", "atomic container signature"),
       "Unrecognized signature type atomic container signature"},
      {with(kDigest, "sha256:1234"), "invalid docker-manifest-digest"},
      {with(kDigest, "md5:d41d8cd98f00b204e9800998ecf8427e"), "invalid docker-manifest-digest"},
      {with(R"("docker-reference":"registry.example:5000/demo")", R"("docker-reference":7)"),
       "docker-reference is not a string"},
      {with(R"("optional":null)", R"("optional":{"creator":1})"), "optional.creator"},
      {with(R"("optional":null)", R"("optional":{"timestamp":1.5})"), "not an integer"},
      {with(R"("optional":null)", R"("optional":null,"optional":null)"),
       "duplicate key \"optional\""},
      {with(R"({"docker-reference")", R"({"docker-reference":"a","docker-reference")"),
       "duplicate key \"docker-reference\""},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(SimpleSigningPayload::ParseStrict(c.payload),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)))
        << c.payload;
  }
  // An integral float timestamp is fine (Go reads it as float64).
  ASSERT_OK_AND_ASSIGN(SimpleSigningPayload p,
                       SimpleSigningPayload::ParseStrict(
                           with(R"("optional":null)", R"("optional":{"timestamp":1e3})")));
  EXPECT_EQ(p.timestamp, 1000);
}

TEST(SimpleSigningRoundTripTest, SignedPayloadVerifiesWithTheChainsKey) {
  ASSERT_OK_AND_ASSIGN(PrivateKey key,
                       LoadCosignKey(ReadFixture("cosign/keys/chains-p256.key"), SecretData("p")));
  ASSERT_OK_AND_ASSIGN(std::string payload,
                       SimpleSigningPayload::Build("registry.example:5000/demo", kDigest));
  ASSERT_OK_AND_ASSIGN(std::string sig, key.Sign(payload));
  ASSERT_OK_AND_ASSIGN(PublicKey pub,
                       PublicKey::ParsePem(ReadFixture("cosign/keys/chains-p256.pub")));
  EXPECT_OK(pub.Verify(payload, sig));
  // The fixture signature (made by the same key over the same bytes) verifies too.
  EXPECT_OK(
      pub.Verify(payload, ReadFixture("cosign/simplesigning/local-chains-key/signature.der")));
}

}  // namespace
}  // namespace hallmark::crypto
