// File: chains/formats/statement.h
//
// Provenance for a Tekton run, as Tekton Chains would attest it: an in-toto Statement whose
// predicate is SLSA Provenance v0.2 (`in-toto` / `slsa/v1`) or v1.0 (`slsa/v2alpha3`,
// `slsa/v2alpha4`). shared/reference/chains.md §3-§4 are the rules; docs/compatibility.md lists
// where we differ on purpose.
//
// The statement is serialised exactly once: `payload` holds the bytes to sign (DSSE PAE) and to
// store. Never re-serialise a Statement; re-parsing and writing it again may change key order and
// whitespace.
//
// What the agent does with a run (DESIGN.md story):
//   TaskRun:     artifacts::ExtractSigningTargets(run) -> one cosign `.sig` per image, and
//                BuildStatement(run, options) -> the attestation (`.att` per subject).
//   PipelineRun: BuildStatement(run, children, options) -> the attestation only; Chains pushes no
//                `.sig` for images named by pipeline results, and neither do we.
//
//   HM_ASSIGN_OR_RETURN(Statement st, BuildStatement(taskrun, options));
//   HM_ASSIGN_OR_RETURN(auto envelope, signer.SignDsse("application/vnd.in-toto+json",
//   st.payload));
#ifndef HALLMARK_CHAINS_FORMATS_STATEMENT_H_
#define HALLMARK_CHAINS_FORMATS_STATEMENT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "chains/artifacts/extract.h"
#include "chains/artifacts/report.h"
#include "chains/artifacts/run.h"
#include "chains/formats/children.h"
#include "chains/formats/options.h"

namespace hallmark::chains::formats {

inline constexpr absl::string_view kInTotoPayloadType = "application/vnd.in-toto+json";

struct Statement {
  // The serialised in-toto Statement (compact JSON): sign and store exactly these bytes.
  std::string payload;
  std::string predicate_type;  // kSlsaV02PredicateType or kSlsaV1PredicateType
  // The statement's subjects (also in `payload`): one `.att` push per subject in OCI storage.
  std::vector<artifacts::Artifact> subjects;
  // What type hinting made of every result read (malformed hints are in report.Rejections()).
  artifacts::Report report;
  // PipelineRun only: child TaskRuns given but not used, and why.
  std::vector<IgnoredChild> ignored_children;
};

// BuildStatement (TaskRun). Errors, none worth retrying:
//   kInvalidArgument: options name an unknown build type; a step or sidecar imageID lacks
//     `@<alg>:<hex>` (Chains fails the payload too); more than artifacts::kMaxImagesPerRun
//     subjects.
//   kInternal: protobuf could not serialise the statement.
absl::StatusOr<Statement> BuildStatement(const artifacts::TaskRun& run,
                                         const FormatOptions& options);

// BuildStatement (PipelineRun). `children` are the run's child TaskRuns (any order; the agent
// reads them from status.childReferences); only those selected by SelectChildren are read, and
// the others are listed in `ignored_children`. Same errors as for a TaskRun.
absl::StatusOr<Statement> BuildStatement(const artifacts::PipelineRun& run,
                                         const std::vector<artifacts::TaskRun>& children,
                                         const FormatOptions& options);

// A run document (JSON or YAML) and a name for messages (a file path).
struct RunDocument {
  std::string name;
  std::string text;
};

// BuildStatementFromDocuments: parses `run` (a TaskRun or PipelineRun) and `children` (TaskRuns,
// only for a PipelineRun) and calls BuildStatement. kInvalidArgument naming the document for
// input that does not parse, a child that is not a TaskRun, or children given for a TaskRun;
// otherwise BuildStatement's errors.
absl::StatusOr<Statement> BuildStatementFromDocuments(const RunDocument& run,
                                                      const std::vector<RunDocument>& children,
                                                      const FormatOptions& options);

// PrettyPrint: `payload` re-indented for people (`hallmark provenance --pretty`). The bytes differ
// from the payload: never sign or store them. kInvalidArgument if `payload` is not JSON.
absl::StatusOr<std::string> PrettyPrint(const std::string& payload);

}  // namespace hallmark::chains::formats

#endif  // HALLMARK_CHAINS_FORMATS_STATEMENT_H_
