// File: chains/artifacts/materials.h
//
// Inputs of a run (shared/reference/chains.md §3 E): the images its steps and sidecars ran, the
// `CHAINS-GIT_URL`/`CHAINS-GIT_COMMIT` source, and `*ARTIFACT_INPUTS` objects. They become SLSA
// v0.2 materials or SLSA v1.0 resolved dependencies. Each function keeps Chains' order and merges
// duplicates (AppendArtifact); an Artifact's `name` is the material uri.
#ifndef HALLMARK_CHAINS_ARTIFACTS_MATERIALS_H_
#define HALLMARK_CHAINS_ARTIFACTS_MATERIALS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "chains/artifacts/extract.h"
#include "chains/artifacts/report.h"
#include "chains/artifacts/run.h"

namespace hallmark::chains::artifacts {

// MaterialFromImageId: `[docker-pullable://]<repo>@<alg>:<hex>` -> {uri: "oci://<repo>", digest:
// {alg: hex}} (not validated further, as Chains). kInvalidArgument when the imageID does not have
// exactly one `@` and one `:` after it: Chains fails the payload then, so the run cannot be
// attested until it is fixed.
absl::StatusOr<Artifact> MaterialFromImageId(absl::string_view image_id);

// StepImageMaterials / SidecarImageMaterials: status.steps[].imageID / status.sidecars[].imageID.
// Errors as MaterialFromImageId, naming the step.
absl::StatusOr<std::vector<Artifact>> StepImageMaterials(const TaskRun& run);
absl::StatusOr<std::vector<Artifact>> SidecarImageMaterials(const TaskRun& run);

// SpdxGit: "git+" prefix and ".git" suffix unless present (in-toto's SPDX git form).
std::string SpdxGit(absl::string_view url);

// TaskInputMaterials (Chains' FromTaskParamsAndResults): the CHAINS-GIT material from taskSpec
// param defaults, then spec.params, then status.results (later wins), then the TaskRun's
// *ARTIFACT_INPUTS. Quirk kept from Chains: the URL is made SPDX before the emptiness check, so a
// commit without a URL gives uri "git+.git".
std::vector<Artifact> TaskInputMaterials(const TaskRun& run, Report* report);

// StepActionInputMaterials (FromStepActionsResults, slsa/v2alpha4): per step, CHAINS-GIT in its
// results; then every step's *ARTIFACT_INPUTS.
std::vector<Artifact> StepActionInputMaterials(const TaskRun& run, Report* report);

// PipelineInputMaterials (FromPipelineParamsAndResults): the PipelineRun's *ARTIFACT_INPUTS; then,
// for each child in `deep_children` (empty without deep inspection), TaskInputMaterials; then the
// CHAINS-GIT material from pipelineSpec param defaults, spec.params and status.results.
std::vector<Artifact> PipelineInputMaterials(const PipelineRun& run,
                                             const std::vector<const TaskRun*>& deep_children,
                                             Report* report);

}  // namespace hallmark::chains::artifacts

#endif  // HALLMARK_CHAINS_ARTIFACTS_MATERIALS_H_
