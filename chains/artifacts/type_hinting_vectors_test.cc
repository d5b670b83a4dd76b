// Runs every vector of fixtures/chains/expected-summaries/type-hinting-vectors.json (transcribed
// from Chains' pkg/artifacts and extract tests) through our extractors. The deep-inspection
// merging vector needs a PipelineRun with children and is run by
// chains/formats/statement_conformance_test.cc; this test checks that every other vector id is
// known, so a new vector cannot be skipped silently.
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "base/testing/fixtures.h"
#include "base/testing/status_matchers.h"
#include "chains/artifacts/extract.h"
#include "chains/artifacts/materials.h"
#include "chains/artifacts/run.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace hallmark::chains::artifacts {
namespace {

using nlohmann::json;

json LoadVectors() {
  json doc = json::parse(
      testing::ReadFixture("chains/expected-summaries/type-hinting-vectors.json"), nullptr, false);
  EXPECT_FALSE(doc.is_discarded());
  return doc;
}

TaskRun RunWithResults(const json& results) {
  json object = {{"metadata", {{"name", "vector"}}}, {"status", {{"results", results}}}};
  absl::StatusOr<TaskRun> run = TaskRun::FromJson(object);
  EXPECT_OK(run.status());
  return run.ok() ? *run : TaskRun();
}

std::vector<std::string> ImageNames(const std::vector<ImageTarget>& images) {
  std::vector<std::string> out;
  for (const ImageTarget& i : images) out.push_back(i.Name() + "@" + i.Digest());
  return out;
}

// "alg:hex" form used by the vectors for a single-digest artifact.
std::string DigestString(const Artifact& a) {
  EXPECT_EQ(a.digest.size(), 1u) << a.name;
  if (a.digest.empty()) return "";
  return a.digest.begin()->first + ":" + a.digest.begin()->second;
}

std::vector<std::string> UriDigestPairs(const std::vector<Artifact>& artifacts) {
  std::vector<std::string> out;
  for (const Artifact& a : artifacts) out.push_back(a.name + " " + DigestString(a));
  return out;
}

std::vector<std::string> ExpectedUriDigestPairs(const json& list) {
  std::vector<std::string> out;
  for (const json& e : list) {
    out.push_back(e["uri"].get<std::string>() + " " + e["digest"].get<std::string>());
  }
  return out;
}

json SubjectsJson(const std::vector<Artifact>& subjects) {
  json out = json::array();
  for (const Artifact& s : subjects) out.push_back({{"name", s.name}, {"digest", s.digest}});
  return out;
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::vector<std::string> Dumped(const json& list) {
  std::vector<std::string> out;
  for (const json& e : list) out.push_back(e.dump());
  return out;
}

void CheckSubjects(const json& c, const std::vector<Artifact>& got, const std::string& label) {
  json subjects = SubjectsJson(got);
  if (c.contains("expected_subjects")) {
    EXPECT_EQ(subjects, c["expected_subjects"]) << label;
  } else if (c.contains("expected_subjects_ordered")) {
    EXPECT_EQ(subjects, c["expected_subjects_ordered"]) << label;
  } else {
    ASSERT_TRUE(c.contains("expected_subjects_unordered")) << label;
    EXPECT_EQ(Sorted(Dumped(subjects)), Sorted(Dumped(c["expected_subjects_unordered"]))) << label;
  }
}

TEST(TypeHintingVectorsTest, EveryVectorIsKnown) {
  json doc = LoadVectors();
  const std::set<std::string> known = {
      "oci-single-pair",
      "oci-prefixed-pair-and-noise",
      "oci-images-whitespace",
      "oci-images-newlines",
      "oci-mixed-valid-and-invalid",
      "oci-cross-format-dedup",
      "oci-pair-and-artifact-outputs-dedup",
      "oci-same-digest-different-repos",
      "artifact-uri-digest-pairs",
      "artifact-inputs-digest-algorithms",
      "artifact-inputs-to-materials",
      "subjects-reject-bad-image-digests",
      "v2alpha4-build-artifact-subjects",
      "deep-inspection-merging",  // chains/formats/statement_conformance_test.cc
  };
  ASSERT_TRUE(doc["vectors"].is_array());
  EXPECT_EQ(doc["vectors"].size(), known.size());
  for (const json& v : doc["vectors"]) {
    EXPECT_TRUE(known.count(v["id"].get<std::string>())) << "unhandled vector " << v["id"];
  }
}

TEST(TypeHintingVectorsTest, OciImages) {
  int checked = 0;
  const json doc = LoadVectors();
  for (const json& v : doc["vectors"]) {
    if (v["extractor"] != "oci_images") continue;
    std::string id = v["id"];
    TaskRun run = RunWithResults(v["results"]);
    Report report;
    std::vector<std::string> got = ImageNames(ExtractOciImages(TaskRunResults(run), &report));
    if (v.contains("expected")) {
      EXPECT_EQ(got, v["expected"].get<std::vector<std::string>>()) << id;
    } else {
      EXPECT_EQ(Sorted(got), v["expected_sorted"].get<std::vector<std::string>>()) << id;
    }
    // The signing targets of a TaskRun are the same images.
    ASSERT_OK_AND_ASSIGN(SigningTargets targets, ExtractSigningTargets(run));
    EXPECT_EQ(ImageNames(targets.images), got) << id;
    ++checked;
  }
  EXPECT_EQ(checked, 8);
}

TEST(TypeHintingVectorsTest, MixedVectorReportsEveryMalformedResult) {
  const json doc = LoadVectors();
  for (const json& v : doc["vectors"]) {
    if (v["id"] != "oci-mixed-valid-and-invalid") continue;
    TaskRun run = RunWithResults(v["results"]);
    ASSERT_OK_AND_ASSIGN(SigningTargets targets, ExtractSigningTargets(run));
    std::set<std::string> rejected;
    for (const ResultNote& n : targets.report.Rejections()) rejected.insert(n.result);
    EXPECT_EQ(rejected, (std::set<std::string>{"img4_IMAGE_URL", "img5_IMAGE_DIGEST",
                                               "empty_str_IMAGE_DIGEST", "empty_str_IMAGE_URL"}));
  }
}

TEST(TypeHintingVectorsTest, ArtifactUriDigestPairs) {
  const json doc = LoadVectors();
  for (const json& v : doc["vectors"]) {
    if (v["id"] != "artifact-uri-digest-pairs") continue;
    TaskRun run = RunWithResults(v["results"]);
    Report report;
    std::vector<std::string> got =
        UriDigestPairs(ExtractArtifactUriDigests(TaskRunResults(run), &report));
    EXPECT_EQ(Sorted(got), ExpectedUriDigestPairs(v["expected_sorted_by_uri"]));
    // The unpaired digest and the invalid digest are reported.
    std::set<std::string> rejected;
    for (const ResultNote& n : report.Rejections()) rejected.insert(n.result);
    EXPECT_TRUE(rejected.count("miss_target_name_ARTIFACT_DIGEST"));
    EXPECT_TRUE(rejected.count("wrong_digest_format_ARTIFACT_DIGEST"));
    return;
  }
  FAIL() << "vector artifact-uri-digest-pairs not found";
}

TEST(TypeHintingVectorsTest, StructuredInputsAndOutputs) {
  const json doc = LoadVectors();
  for (const json& v : doc["vectors"]) {
    if (v["id"] != "artifact-inputs-digest-algorithms") continue;
    TaskRun run = RunWithResults(v["results"]);
    Report report;
    EXPECT_EQ(Sorted(UriDigestPairs(
                  ExtractStructured(TaskRunResults(run), kArtifactInputsSuffix, &report))),
              Sorted(ExpectedUriDigestPairs(v["expected_inputs_unordered"])));
    EXPECT_EQ(Sorted(UriDigestPairs(
                  ExtractStructured(TaskRunResults(run), kArtifactOutputsSuffix, &report))),
              Sorted(ExpectedUriDigestPairs(v["expected_outputs_unordered"])));
    EXPECT_EQ(report.Rejections().size(), 4u);  // three wrong lengths and one empty digest
    return;
  }
  FAIL() << "vector artifact-inputs-digest-algorithms not found";
}

TEST(TypeHintingVectorsTest, InputsToMaterials) {
  const json doc = LoadVectors();
  for (const json& v : doc["vectors"]) {
    if (v["id"] != "artifact-inputs-to-materials") continue;
    TaskRun run = RunWithResults(v["results"]);
    std::vector<Artifact> materials = TaskInputMaterials(run, nullptr);
    json got = json::array();
    for (const Artifact& m : materials) got.push_back({{"uri", m.name}, {"digest", m.digest}});
    EXPECT_EQ(got, v["expected_materials"]);
    return;
  }
  FAIL() << "vector artifact-inputs-to-materials not found";
}

TEST(TypeHintingVectorsTest, SubjectsRejectBadImageDigests) {
  const json doc = LoadVectors();
  for (const json& v : doc["vectors"]) {
    if (v["id"] != "subjects-reject-bad-image-digests") continue;
    int i = 0;
    for (const json& c : v["cases"]) {
      TaskRun run = RunWithResults(c["results"]);
      Report report;
      CheckSubjects(c, SubjectsFromResults(TaskRunResults(run), &report),
                    "case " + std::to_string(i++));
    }
    EXPECT_EQ(i, 4);
    return;
  }
  FAIL() << "vector subjects-reject-bad-image-digests not found";
}

TEST(TypeHintingVectorsTest, V2alpha4BuildArtifactSubjects) {
  const json doc = LoadVectors();
  for (const json& v : doc["vectors"]) {
    if (v["id"] != "v2alpha4-build-artifact-subjects") continue;
    int i = 0;
    for (const json& c : v["cases"]) {
      TaskRun run = RunWithResults(c["results"]);
      Report report;
      CheckSubjects(c, SubjectsFromBuildArtifacts(TaskRunResults(run), &report),
                    c["name"].get<std::string>());
      ++i;
    }
    EXPECT_EQ(i, 4);
    return;
  }
  FAIL() << "vector v2alpha4-build-artifact-subjects not found";
}

}  // namespace
}  // namespace hallmark::chains::artifacts
