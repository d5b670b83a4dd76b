#include "chains/artifacts/extract.h"

#include <string>
#include <vector>

#include "base/testing/status_matchers.h"
#include "chains/artifacts/digest.h"
#include "chains/artifacts/materials.h"
#include "chains/artifacts/report.h"
#include "chains/artifacts/run.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace hallmark::chains::artifacts {
namespace {

using ::hallmark::testing::StatusIs;
using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kHex[] = "05f95b26ed10668b7183c1e2da98610e91372fa9f510046d4ce5812addad86b5";

TaskRun MakeRun(const json& status, const json& spec = json()) {
  json object = {{"metadata", {{"name", "tr"}}}, {"status", status}};
  if (!spec.is_null()) object["spec"] = spec;
  absl::StatusOr<TaskRun> run = TaskRun::FromJson(object);
  EXPECT_OK(run.status());
  return run.ok() ? *run : TaskRun();
}

json Res(const std::string& name, const json& value) { return {{"name", name}, {"value", value}}; }

std::vector<std::string> Names(const std::vector<ImageTarget>& images) {
  std::vector<std::string> out;
  for (const auto& i : images) out.push_back(i.Name() + "@" + i.Digest());
  return out;
}

TEST(ExtractTest, TagIsDroppedAndDockerHubNormalised) {
  TaskRun tr = MakeRun({{"results",
                         {Res("a-IMAGE_URL", "gcr.io/foo/bar:v1"),
                          Res("a-IMAGE_DIGEST", std::string("sha256:") + kHex),
                          Res("b-IMAGE_URL", " docker.io/foo/bar\n"),
                          Res("b-IMAGE_DIGEST", std::string("sha256:") + kHex),
                          Res("IMAGES", std::string("busybox:1.36@sha256:") + kHex)}}});
  ASSERT_OK_AND_ASSIGN(SigningTargets targets, ExtractSigningTargets(tr));
  EXPECT_THAT(Names(targets.images),
              ElementsAre(std::string("gcr.io/foo/bar@sha256:") + kHex,
                          std::string("index.docker.io/foo/bar@sha256:") + kHex,
                          std::string("index.docker.io/library/busybox@sha256:") + kHex));
  EXPECT_EQ(targets.images[0].result, "a-IMAGE_URL");
  EXPECT_FALSE(targets.images[0].image.has_tag());
  EXPECT_TRUE(targets.report.Rejections().empty());
}

TEST(ExtractTest, MalformedHintsAreReportedNotFatal) {
  TaskRun tr = MakeRun(
      {{"results",
        {Res("IMAGE_URL", {{"uri", "x"}}), Res("IMAGE_DIGEST", std::string("sha256:") + kHex),
         Res("x-IMAGE_URL", "gcr.io/UPPER/case"),
         Res("x-IMAGE_DIGEST", std::string("sha256:") + kHex), Res("y-IMAGE_URL", "gcr.io/a/b"),
         Res("y-IMAGE_DIGEST", "sha512:abc"), Res("z-IMAGE_URL", std::string(5000, 'a')),
         Res("IMAGES", "gcr.io/a/b:tag, gcr.io/a/c@sha256@x"), Res("unrelated", "x")}}});
  ASSERT_OK_AND_ASSIGN(SigningTargets targets, ExtractSigningTargets(tr));
  EXPECT_TRUE(targets.images.empty());
  std::vector<std::string> lines = targets.report.ExplainLines();
  std::string all;
  for (const auto& l : lines) all += l + "\n";
  EXPECT_THAT(all, HasSubstr("taskrun/tr IMAGE_URL: rejected: value is an object, not a string"));
  EXPECT_THAT(all, HasSubstr("taskrun/tr IMAGE_DIGEST: rejected: no matching IMAGE_URL result"));
  EXPECT_THAT(all, HasSubstr("taskrun/tr y-IMAGE_DIGEST: rejected:"));
  EXPECT_THAT(all, HasSubstr("taskrun/tr z-IMAGE_URL: rejected: value is larger than the 4096"));
  EXPECT_THAT(all, HasSubstr("has no @sha256:<hex> digest"));
  EXPECT_THAT(all, HasSubstr("taskrun/tr unrelated: ignored: not an image type hint"));
  // One line per result.
  EXPECT_EQ(lines.size(), 9u);
  EXPECT_EQ(targets.report.Rejections().size(), 9u);
}

TEST(ExtractTest, TooManyImagesIsAnError) {
  // 7 IMAGES results of 40 images each (each result stays under the 4 KiB value limit).
  json results = json::array();
  for (int r = 0; r < 7; ++r) {
    std::string images;
    for (int i = 0; i < 40; ++i) {
      images += "gcr.io/p/i" + std::to_string(r * 40 + i) + "@sha256:" + kHex + ",";
    }
    results.push_back(Res("IMAGES", images));
  }
  TaskRun tr = MakeRun({{"results", results}});
  EXPECT_THAT(ExtractSigningTargets(tr), StatusIs(absl::StatusCode::kInvalidArgument,
                                                  HasSubstr("280 images; the limit is 256")));
}

TEST(ExtractTest, BuildArtifactChecks) {
  Result plain{"x-ARTIFACT_OUTPUTS", "", ParamValue::String("gcr.io/a@sha256:x")};
  EXPECT_THAT(IsBuildArtifact(plain), StatusIs(absl::StatusCode::kInvalidArgument));
  Result not_build{"x-ARTIFACT_OUTPUTS", "",
                   ParamValue::FromJson({{"uri", "u"}, {"digest", "sha1:x"}})};
  ASSERT_OK_AND_ASSIGN(bool b, IsBuildArtifact(not_build));
  EXPECT_FALSE(b);
  Result bad{
      "x-ARTIFACT_OUTPUTS", "",
      ParamValue::FromJson({{"uri", "u"}, {"digest", "sha256:"}, {"isBuildArtifact", "true"}})};
  EXPECT_THAT(IsBuildArtifact(bad), StatusIs(absl::StatusCode::kInvalidArgument));
  Result good{
      "x-ARTIFACT_OUTPUTS", "",
      ParamValue::FromJson(
          {{"uri", "u"}, {"digest", std::string("sha256:") + kHex}, {"isBuildArtifact", "true"}})};
  ASSERT_OK_AND_ASSIGN(b, IsBuildArtifact(good));
  EXPECT_TRUE(b);
  Result other{"x-IMAGE_URL", "", ParamValue::String("u")};
  ASSERT_OK_AND_ASSIGN(b, IsBuildArtifact(other));
  EXPECT_FALSE(b);
}

TEST(ExtractTest, AbcBuildArtifactGivesTwoSubjectsInV2alpha4) {
  // Chains' quirk (reference §4.2): the raw uri and the same uri parsed as an image.
  TaskRun tr = MakeRun({{"results",
                         {Res("b-ARTIFACT_OUTPUTS", {{"uri", "abc"},
                                                     {"digest", std::string("sha256:") + kHex},
                                                     {"isBuildArtifact", "true"}})}}});
  Report report;
  std::vector<Artifact> subjects = SubjectsFromBuildArtifacts(TaskRunResults(tr), &report);
  ASSERT_EQ(subjects.size(), 2u);
  EXPECT_EQ(subjects[0].name, "abc");
  EXPECT_EQ(subjects[1].name, "index.docker.io/library/abc");
}

TEST(ExtractTest, AppendArtifactMergesOnSharedDigest) {
  std::vector<Artifact> list;
  AppendArtifact(&list, {"a", {{"sha256", "1"}}});
  AppendArtifact(&list, {"a", {{"sha256", "1"}, {"sha512", "2"}}});
  AppendArtifact(&list, {"a", {{"sha256", "3"}}});
  AppendArtifact(&list, {"b", {{"sha256", "1"}}});
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].digest, (DigestSet{{"sha256", "1"}, {"sha512", "2"}}));
  EXPECT_EQ(list[1].digest, (DigestSet{{"sha256", "3"}}));
  EXPECT_EQ(list[2].name, "b");
}

TEST(DigestTest, ChainsParseDigestRules) {
  ASSERT_OK_AND_ASSIGN(ArtifactDigest d,
                       ParseArtifactDigest(std::string(" SHA256 : ") + kHex + " "));
  EXPECT_EQ(d.algorithm, "sha256");
  EXPECT_EQ(d.hex, kHex);
  ASSERT_OK_AND_ASSIGN(d, ParseArtifactDigest("sha1:93c56eeba9ec70f74c9bfd297d9516642d366cb5"));
  EXPECT_EQ(d.algorithm, "sha1");
  EXPECT_THAT(ParseArtifactDigest("sha1:93C56EEBA9EC70F74C9BFD297D9516642D366CB5"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseArtifactDigest("md5:d41d8cd98f00b204e9800998ecf8427e"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unsupported")));
  EXPECT_THAT(ParseArtifactDigest("sha256:a123"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseArtifactDigest("sha256:a:b"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseArtifactDigest(kHex), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(MaterialsTest, ImageIds) {
  ASSERT_OK_AND_ASSIGN(
      Artifact m, MaterialFromImageId(std::string("docker-pullable://gcr.io/a/b@sha256:") + kHex));
  EXPECT_EQ(m.name, "oci://gcr.io/a/b");
  EXPECT_EQ(m.digest, (DigestSet{{"sha256", kHex}}));
  EXPECT_THAT(MaterialFromImageId("test.io/test/build-image"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("test.io/test/build-image")));
  EXPECT_THAT(MaterialFromImageId("a@b@sha256:x"), StatusIs(absl::StatusCode::kInvalidArgument));

  TaskRun tr = MakeRun({{"steps", {{{"name", "s1"}, {"imageID", "busybox"}}}}});
  EXPECT_THAT(StepImageMaterials(tr),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("status.steps[0] (s1)")));
}

TEST(MaterialsTest, GitMaterialOrderAndQuirk) {
  // Later sources win: taskSpec default < spec.params < status.results.
  TaskRun tr = MakeRun({{"taskSpec",
                         {{"params",
                           {{{"name", "CHAINS-GIT_URL"}, {"default", "https://d"}},
                            {{"name", "CHAINS-GIT_COMMIT"}, {"default", "c0"}}}}}},
                        {"results", {Res("CHAINS-GIT_COMMIT", "c2")}}},
                       {{"params", {{{"name", "CHAINS-GIT_COMMIT"}, {"value", "c1"}}}}});
  Report report;
  std::vector<Artifact> m = TaskInputMaterials(tr, &report);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].name, "git+https://d.git");
  EXPECT_EQ(m[0].digest, (DigestSet{{"sha1", "c2"}}));
  EXPECT_EQ(report.notes().size(), 1u);
  EXPECT_EQ(report.notes()[0].outcome, Outcome::kInput);

  // A commit without a URL: Chains' "git+.git".
  TaskRun no_url = MakeRun({{"results", {Res("CHAINS-GIT_COMMIT", "abc")}}});
  m = TaskInputMaterials(no_url, nullptr);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].name, "git+.git");
  EXPECT_EQ(SpdxGit("git+https://x.git"), "git+https://x.git");
}

TEST(ReportTest, ExplainLinesGroupByResult) {
  Report report;
  report.Mention("taskrun/a", "x", "not a type hint");
  report.Add("taskrun/a", "y", Outcome::kArtifact, "one");
  report.Add("taskrun/a", "y", Outcome::kArtifact, "one");
  report.Add("taskrun/a", "y", Outcome::kIgnored, "two");
  report.Mention("taskrun/a", "y", "not a type hint");
  EXPECT_THAT(report.ExplainLines(), ElementsAre("taskrun/a x: ignored: not a type hint",
                                                 "taskrun/a y: artifact: one; ignored: two"));
  EXPECT_EQ(report.notes().size(), 2u);
  EXPECT_TRUE(report.Rejections().empty());
}

}  // namespace
}  // namespace hallmark::chains::artifacts
