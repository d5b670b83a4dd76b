// File: chains/formats/slsa_v02.h
//
// The `in-toto` / `slsa/v1` format: SLSA Provenance v0.2 (shared/reference/chains.md §4.1), built
// as Chains' pkg/chains/formats/slsa/v1 does. Called by statement.h; use BuildStatement instead.
#ifndef HALLMARK_CHAINS_FORMATS_SLSA_V02_H_
#define HALLMARK_CHAINS_FORMATS_SLSA_V02_H_

#include "absl/status/statusor.h"
#include "chains/artifacts/report.h"
#include "chains/artifacts/run.h"
#include "chains/formats/children.h"
#include "chains/formats/options.h"
#include "chains/formats/predicate.h"

namespace hallmark::chains::formats {

// Errors: kInvalidArgument when a step or sidecar imageID has no `@<alg>:<hex>` (Chains cannot
// build materials then either); kInternal if protobuf fails to convert the predicate.
absl::StatusOr<Predicate> SlsaV02ForTaskRun(const artifacts::TaskRun& run,
                                            const FormatOptions& options,
                                            artifacts::Report* report);
absl::StatusOr<Predicate> SlsaV02ForPipelineRun(const artifacts::PipelineRun& run,
                                                const ChildSelection& children,
                                                const FormatOptions& options,
                                                artifacts::Report* report);

}  // namespace hallmark::chains::formats

#endif  // HALLMARK_CHAINS_FORMATS_SLSA_V02_H_
