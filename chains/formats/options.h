// File: chains/formats/options.h
//
// Which provenance format to build and the chains-config values that shape it
// (shared/reference/chains.md §1, §4).
#ifndef HALLMARK_CHAINS_FORMATS_OPTIONS_H_
#define HALLMARK_CHAINS_FORMATS_OPTIONS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hallmark::chains::formats {

enum class Format {
  kSlsaV02,       // "in-toto" = "slsa/v1": in-toto Statement v0.1, SLSA Provenance v0.2
  kSlsaV2Alpha3,  // "slsa/v2alpha3": Statement v1, SLSA Provenance v1.0
  kSlsaV2Alpha4,  // "slsa/v2alpha4": as v2alpha3, plus StepAction results, build-artifact subjects
};

// ParseFormat: the chains-config value (`in-toto`, `slsa/v1`, `slsa/v2alpha3`,
// `slsa/v2alpha4`). kInvalidArgument for anything else, with the accepted values (as Chains'
// config validation, which rejects the removed `tekton` format too).
absl::StatusOr<Format> ParseFormat(absl::string_view name);
// FormatName: the canonical config value ("slsa/v1", "slsa/v2alpha3", "slsa/v2alpha4").
absl::string_view FormatName(Format format);

inline constexpr absl::string_view kDefaultBuilderId = "https://tekton.dev/chains/v2";
inline constexpr absl::string_view kSlsaBuildType = "https://tekton.dev/chains/v2/slsa";
inline constexpr absl::string_view kSlsaTektonBuildType =
    "https://tekton.dev/chains/v2/slsa-tekton";

inline constexpr absl::string_view kStatementV01 = "https://in-toto.io/Statement/v0.1";
inline constexpr absl::string_view kStatementV1 = "https://in-toto.io/Statement/v1";
inline constexpr absl::string_view kSlsaV02PredicateType = "https://slsa.dev/provenance/v0.2";
inline constexpr absl::string_view kSlsaV1PredicateType = "https://slsa.dev/provenance/v1";

struct FormatOptions {
  Format format = Format::kSlsaV02;
  // `builder.id`.
  std::string builder_id = std::string(kDefaultBuilderId);
  // `builddefinition.buildtype` (SLSA v1.0 formats): kSlsaBuildType or kSlsaTektonBuildType; an
  // empty value means kSlsaBuildType, anything else is kInvalidArgument when building.
  std::string build_type = std::string(kSlsaBuildType);
  // `artifacts.pipelinerun.enable-deep-inspection`: child TaskRuns add their subjects, inputs and
  // (v2alpha4) byproducts to a PipelineRun's statement.
  bool deep_inspection = false;
  // Child TaskRuns must carry an ownerReference to the PipelineRun's UID (CVE-2023-37264); a
  // child that points at another PipelineRun is always ignored. Hand-written inputs (the upstream
  // test data) have no ownerReferences at all: set this to accept such children.
  bool allow_unowned_children = false;
};

}  // namespace hallmark::chains::formats

#endif  // HALLMARK_CHAINS_FORMATS_OPTIONS_H_
