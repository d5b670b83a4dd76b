// File: chains/artifacts/extract.h
//
// Type hinting: which results of a run name the artifacts it built (shared/reference/chains.md §3,
// the rules of Tekton Chains' pkg/artifacts and pkg/chains/formats/slsa/extract).
//
//   A. `*IMAGE_URL` + `*IMAGE_DIGEST`, paired by the text before the suffix;
//   B. `IMAGES`: a list split on `,` and newlines;
//   C. `*ARTIFACT_OUTPUTS` objects {uri, digest[, isBuildArtifact]};
//   D. `*ARTIFACT_URI` + `*ARTIFACT_DIGEST` pairs;
//   E. inputs (`*ARTIFACT_INPUTS`, CHAINS-GIT_*): see materials.h.
//
// Images (A, B, and C with isBuildArtifact "true") are parsed as OCI references: the digest must be
// exactly `sha256:` + 64 lower-case hex, a `:tag` on the URL is dropped, and names are normalised
// as go-containerregistry does (`busybox` -> `index.docker.io/library/busybox`). Malformed hints
// are skipped and noted in the Report; nothing here fails on bad results.
//
// Chains pairs A and D through a Go map, so their order is undefined upstream; here pairs come in
// the order of their prefix (sorted), so the output is deterministic.
#ifndef HALLMARK_CHAINS_ARTIFACTS_EXTRACT_H_
#define HALLMARK_CHAINS_ARTIFACTS_EXTRACT_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "chains/artifacts/report.h"
#include "chains/artifacts/run.h"
#include "oci/reference.h"

namespace hallmark::chains::artifacts {

// At most this many images to sign, and subjects in a statement, per run (DESIGN.md limits).
inline constexpr size_t kMaxImagesPerRun = 256;

inline constexpr absl::string_view kImageUrlSuffix = "IMAGE_URL";
inline constexpr absl::string_view kImageDigestSuffix = "IMAGE_DIGEST";
inline constexpr absl::string_view kImagesResult = "IMAGES";
inline constexpr absl::string_view kArtifactUriSuffix = "ARTIFACT_URI";
inline constexpr absl::string_view kArtifactDigestSuffix = "ARTIFACT_DIGEST";
inline constexpr absl::string_view kArtifactOutputsSuffix = "ARTIFACT_OUTPUTS";
inline constexpr absl::string_view kArtifactInputsSuffix = "ARTIFACT_INPUTS";
inline constexpr absl::string_view kGitUrlName = "CHAINS-GIT_URL";
inline constexpr absl::string_view kGitCommitName = "CHAINS-GIT_COMMIT";

// Artifact: a subject ({name, digest}) or a material ({uri, digest}; `name` holds the uri).
struct Artifact {
  std::string name;
  DigestSet digest;

  friend bool operator==(const Artifact& a, const Artifact& b) {
    return a.name == b.name && a.digest == b.digest;
  }
};

// AppendArtifact adds `item` to `list`, merging it into an existing entry that has the same name
// and shares at least one (algorithm, hex) pair (the digest sets are then united; on a clash for
// one algorithm the later hex wins, as upstream).
void AppendArtifact(std::vector<Artifact>* list, Artifact item);
void AppendArtifacts(std::vector<Artifact>* list, const std::vector<Artifact>& items);

// ImageTarget: an image the run built, pinned by digest.
struct ImageTarget {
  oci::Reference image;  // normalised, no tag, with a sha256 digest
  std::string result;    // the result that named it (for IMAGE_URL pairs, the URL result)

  std::string Name() const { return image.Name(); }                // "gcr.io/foo/bar"
  std::string Digest() const { return image.digest()->String(); }  // "sha256:<hex>"
};

// ResultSource: results being read, and the scope they are reported under.
struct ResultSource {
  std::string scope;
  std::vector<const Result*> results;
};
ResultSource TaskRunResults(const TaskRun& run);                      // status.results
ResultSource StepResults(const TaskRun& run, const StepState& step);  // status.steps[i].results
ResultSource PipelineRunResults(const PipelineRun& run);              // status.results
std::string TaskRunScope(const TaskRun& run);                         // "taskrun/<name>"

// ExtractOciImages: A, then B, then C with isBuildArtifact "true" that parse as images;
// de-duplicated by normalised `name@digest`.
std::vector<ImageTarget> ExtractOciImages(const ResultSource& source, Report* report);

// ExtractArtifactUriDigests: D, with digests validated as ParseArtifactDigest.
std::vector<Artifact> ExtractArtifactUriDigests(const ResultSource& source, Report* report);

// ExtractStructured: every valid `*<suffix>` object (suffix kArtifactOutputsSuffix or
// kArtifactInputsSuffix): uri and digest non-empty, digest valid.
std::vector<Artifact> ExtractStructured(const ResultSource& source, absl::string_view suffix,
                                        Report* report);

// ExtractBuildArtifacts: the `*ARTIFACT_OUTPUTS` objects with isBuildArtifact "true" that are
// valid, with their uri verbatim.
std::vector<Artifact> ExtractBuildArtifacts(const ResultSource& source, Report* report);

// IsBuildArtifact: Chains' check. false for results that are not `*ARTIFACT_OUTPUTS` or do not say
// isBuildArtifact "true"; kInvalidArgument for a `*ARTIFACT_OUTPUTS` that is not an object, or a
// build artifact with a missing uri/digest or an invalid digest.
absl::StatusOr<bool> IsBuildArtifact(const Result& result);

// SubjectsFromResults: subjects for slsa/v1 (SLSA v0.2) and slsa/v2alpha3: images (A, B, C-build),
// then D, then every valid C; duplicates merged.
std::vector<Artifact> SubjectsFromResults(const ResultSource& source, Report* report);

// SubjectsFromBuildArtifacts: subjects for slsa/v2alpha4: C-build with the uri verbatim, then the
// images (A, B, C-build parsed as images); duplicates merged. D and non-build C are not subjects.
std::vector<Artifact> SubjectsFromBuildArtifacts(const ResultSource& source, Report* report);

// What the agent signs for a TaskRun: one cosign `.sig` per image (from status.results only, as
// Chains' OCI artifact type), plus a Report of every result it looked at.
// A PipelineRun has no signing targets: Chains pushes no `.sig` for pipeline results, only the
// attestation (see formats/statement.h).
struct SigningTargets {
  std::vector<ImageTarget> images;
  Report report;
};

// ExtractSigningTargets: kInvalidArgument if the run names more than kMaxImagesPerRun images
// (nothing is signed then, rather than a silent subset).
absl::StatusOr<SigningTargets> ExtractSigningTargets(const TaskRun& run);

}  // namespace hallmark::chains::artifacts

#endif  // HALLMARK_CHAINS_ARTIFACTS_EXTRACT_H_
