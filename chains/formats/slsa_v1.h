// File: chains/formats/slsa_v1.h
//
// The `slsa/v2alpha3` and `slsa/v2alpha4` formats: SLSA Provenance v1.0
// (shared/reference/chains.md §4.2), built as Chains' pkg/chains/formats/slsa/v2alpha3 and
// v2alpha4 do. Called by statement.h; use BuildStatement instead.
#ifndef HALLMARK_CHAINS_FORMATS_SLSA_V1_H_
#define HALLMARK_CHAINS_FORMATS_SLSA_V1_H_

#include "absl/status/statusor.h"
#include "chains/artifacts/report.h"
#include "chains/artifacts/run.h"
#include "chains/formats/children.h"
#include "chains/formats/options.h"
#include "chains/formats/predicate.h"

namespace hallmark::chains::formats {

// `options.format` must be kSlsaV2Alpha3 or kSlsaV2Alpha4. Errors: kInvalidArgument for a build
// type other than the two Chains knows, or a step/sidecar imageID without `@<alg>:<hex>`;
// kInternal if protobuf fails to convert the predicate.
absl::StatusOr<Predicate> SlsaV1ForTaskRun(const artifacts::TaskRun& run,
                                           const FormatOptions& options, artifacts::Report* report);
absl::StatusOr<Predicate> SlsaV1ForPipelineRun(const artifacts::PipelineRun& run,
                                               const ChildSelection& children,
                                               const FormatOptions& options,
                                               artifacts::Report* report);

}  // namespace hallmark::chains::formats

#endif  // HALLMARK_CHAINS_FORMATS_SLSA_V1_H_
