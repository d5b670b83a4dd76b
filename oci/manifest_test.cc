#include "oci/manifest.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "base/testing/fixtures.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "oci/content_digest.h"
#include "oci/media_types.h"

namespace hallmark::oci {
namespace {

using ::hallmark::testing::ReadFixture;
using ::hallmark::testing::StatusIs;
using ::testing::HasSubstr;

const std::string kDigest = "sha256:" + std::string(64, 'a');

std::string Layer(int i) {
  return absl::StrCat(R"({"mediaType":"text/plain","size":)", i, R"(,"digest":")", kDigest,
                      R"("})");
}

std::string ManifestWithLayers(size_t n) {
  std::string layers;
  for (size_t i = 0; i < n; ++i) absl::StrAppend(&layers, i ? "," : "", Layer(1));
  return absl::StrCat(
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)",
      R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":2,"digest":")",
      kDigest, R"("},"layers":[)", layers, "]}");
}

TEST(ImageManifestTest, CosignSignatureManifestRoundTripsByteForByte) {
  // The fixture is built the way go-containerregistry serialises; Serialize must reproduce it.
  for (const char* name :
       {"cosign/oci/sig-tag-example.manifest.json", "cosign/oci/att-tag-example.manifest.json"}) {
    std::string text = ReadFixture(name);
    ASSERT_OK_AND_ASSIGN(ImageManifest m, ImageManifest::Parse(text));
    EXPECT_EQ(m.Serialize(), text) << name;
  }
}

TEST(ImageManifestTest, ReadsSignatureLayers) {
  ASSERT_OK_AND_ASSIGN(
      ImageManifest m,
      ImageManifest::Parse(ReadFixture("cosign/oci/att-tag-example.manifest.json")));
  EXPECT_EQ(m.media_type, kOciManifestMediaType);
  EXPECT_EQ(m.config.media_type, kOciConfigMediaType);
  ASSERT_EQ(m.layers.size(), 2u);
  EXPECT_EQ(m.layers[0].media_type, kDsseEnvelopeMediaType);
  EXPECT_EQ(m.layers[0].size, 624);
  EXPECT_EQ(m.layers[0].Annotation(kCosignSignatureAnnotation), std::optional<std::string>(""));
  EXPECT_EQ(m.layers[1].Annotation(kPredicateTypeAnnotation),
            std::optional<std::string>("https://example.com/CodeReview/v1"));
  EXPECT_EQ(m.layers[1].Annotation("absent"), std::nullopt);
}

TEST(ImageManifestTest, AcceptsOtherKeyOrderAndDockerManifests) {
  // containers/image writes descriptors as mediaType, digest, size.
  ASSERT_OK_AND_ASSIGN(
      ImageManifest skopeo,
      ImageManifest::Parse(ReadFixture("skopeo/sig-skopeo-rewritten/sig-manifest.json")));
  EXPECT_EQ(skopeo.layers.size(), 1u);
  ASSERT_OK_AND_ASSIGN(
      ImageManifest docker,
      ImageManifest::Parse(ReadFixture("cosign/simplesigning/valid/manifest.json")));
  EXPECT_EQ(docker.media_type, kDockerManifestMediaType);
  EXPECT_EQ(docker.layers[0].size, 2896510);
}

TEST(ImageManifestTest, LayerLimitCheckedBeforeConversion) {
  ASSERT_OK(ImageManifest::Parse(ManifestWithLayers(1000)).status());
  EXPECT_THAT(ImageManifest::Parse(ManifestWithLayers(1001)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("number of layers (1001) exceeded the limit (1000)")));
  EXPECT_THAT(ImageManifest::Parse(ManifestWithLayers(3), 2),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("limit (2)")));
}

TEST(ImageManifestTest, RejectsIndexWhereManifestExpected) {
  std::string index = absl::StrCat(
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]})");
  EXPECT_THAT(ImageManifest::Parse(index),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("got an index")));
  std::string untyped = R"({"schemaVersion":2,"manifests":[]})";
  EXPECT_THAT(ImageManifest::Parse(untyped),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("got an index")));
}

struct BadCase {
  std::string name;
  std::string json;
  std::string message;
};

class BadManifestTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadManifestTest, Rejected) {
  EXPECT_THAT(ImageManifest::Parse(GetParam().json),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(GetParam().message)));
}

const std::string kConfig =
    R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":2,"digest":")" +
    kDigest + R"("})";

INSTANTIATE_TEST_SUITE_P(
    Table, BadManifestTest,
    ::testing::Values(
        BadCase{"not_json", "{", "not valid JSON"}, BadCase{"array", "[]", "not a JSON object"},
        BadCase{"schema1", R"({"schemaVersion":1,)" + kConfig + "}", "schemaVersion must be 2"},
        BadCase{"schema_string", R"({"schemaVersion":"2",)" + kConfig + "}",
                "schemaVersion must be 2"},
        BadCase{"no_config", R"({"schemaVersion":2,"layers":[]})", "no config"},
        BadCase{"other_type", R"({"schemaVersion":2,"mediaType":"text/html",)" + kConfig + "}",
                "unsupported mediaType"},
        BadCase{"bad_digest",
                R"({"schemaVersion":2,"config":{"mediaType":"x","size":2,"digest":"sha256:ABC"}})",
                "image manifest config"},
        BadCase{"negative_size",
                R"({"schemaVersion":2,"config":{"mediaType":"x","size":-1,"digest":")" + kDigest +
                    R"("}})",
                "negative"},
        BadCase{"float_size",
                R"({"schemaVersion":2,"config":{"mediaType":"x","size":1.5,"digest":")" + kDigest +
                    R"("}})",
                "not an integer"},
        BadCase{
            "huge_size",
            R"({"schemaVersion":2,"config":{"mediaType":"x","size":18446744073709551615,"digest":")" +
                kDigest + R"("}})",
            "too large"},
        BadCase{"no_media_type",
                R"({"schemaVersion":2,"config":{"size":1,"digest":")" + kDigest + R"("}})",
                "no mediaType"},
        BadCase{"layers_object", R"({"schemaVersion":2,)" + kConfig + R"(,"layers":{}})",
                "layers is not an array"},
        BadCase{"annotation_number",
                R"({"schemaVersion":2,)" + kConfig +
                    R"(,"layers":[{"mediaType":"x","size":1,"digest":")" + kDigest +
                    R"(","annotations":{"a":1}}]})",
                "annotation \"a\" is not a string"},
        BadCase{"too_big", std::string(kMaxManifestBytes + 1, ' '), "exceeds the limit"}),
    [](const ::testing::TestParamInfo<BadCase>& info) { return info.param.name; });

TEST(ImageIndexTest, ParsesAndSerializes) {
  ImageIndex index;
  index.media_type = std::string(kOciIndexMediaType);
  Descriptor d(std::string(kOciManifestMediaType), *Digest::Parse(kDigest), 10);
  d.artifact_type = "application/example";
  d.annotations["k"] = "v";
  index.manifests.push_back(d);
  ASSERT_OK_AND_ASSIGN(ImageIndex again, ImageIndex::Parse(index.Serialize()));
  ASSERT_EQ(again.manifests.size(), 1u);
  EXPECT_EQ(again.manifests[0], d);
  EXPECT_THAT(ImageIndex::Parse(ManifestWithLayers(1)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("expected an index")));
}

TEST(ContentDigestTest, ChecksBytes) {
  Digest d = Sha256Of("hello");
  EXPECT_EQ(d.String(), "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
  EXPECT_OK(CheckContentDigest("hello", d, "blob"));
  EXPECT_THAT(CheckContentDigest("hellO", d, "blob"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("content does not match digest sha256:2cf2")));
  EXPECT_EQ(DigestOf("hello", "sha512").algorithm(), "sha512");
  EXPECT_OK(CheckContentDigest("hello", DigestOf("hello", "sha384"), "blob"));
}

}  // namespace
}  // namespace hallmark::oci
