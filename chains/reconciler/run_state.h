// File: chains/reconciler/run_state.h
//
// What the agent needs to know about a run without holding the whole object: the compact
// projection the informers cache (DESIGN.md: "the informer keeps only the fields it needs"; a
// few hundred bytes per run, so 10k runs fit in a few MiB), the run keys the work queue carries,
// and the Chains annotations.
#ifndef HALLMARK_CHAINS_RECONCILER_RUN_STATE_H_
#define HALLMARK_CHAINS_RECONCILER_RUN_STATE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "kube/resource.h"
#include "nlohmann/json.hpp"

namespace hallmark::chains::reconciler {

// Annotations (reference/chains.md §2). kSkipAnnotation is ours: Chains has none (#979).
inline constexpr absl::string_view kChainsPrefix = "chains.tekton.dev/";
inline constexpr absl::string_view kSignedAnnotation = "chains.tekton.dev/signed";
inline constexpr absl::string_view kRetriesAnnotation = "chains.tekton.dev/retries";
inline constexpr absl::string_view kSkipAnnotation = "chains.tekton.dev/skip";
inline constexpr absl::string_view kPipelineRunLabel = "tekton.dev/pipelineRun";

enum class RunKind { kTaskRun, kPipelineRun };

absl::string_view KindName(RunKind kind);  // "TaskRun", "PipelineRun"
const kube::Resource& ResourceOf(RunKind kind);

// RunKey: "TaskRun/<ns>/<name>" or "PipelineRun/<ns>/<name>" (what the work queue carries).
struct RunKey {
  RunKind kind = RunKind::kTaskRun;
  std::string ns;
  std::string name;

  std::string String() const;
  // Parse: kInvalidArgument unless `text` is a RunKey string with a valid namespace and name.
  static absl::StatusOr<RunKey> Parse(absl::string_view text);
};
std::string KeyOf(RunKind kind, absl::string_view ns, absl::string_view name);

// RunInfo: the cached projection of a run.
struct RunInfo {
  RunKind kind = RunKind::kTaskRun;
  std::string ns;
  std::string name;
  bool done = false;         // Succeeded condition True or False
  std::string signed_value;  // chains.tekton.dev/signed ("" when absent)
  bool skip = false;         // chains.tekton.dev/skip: "true"
  // status.completionTime, else metadata.creationTimestamp; InfinitePast when neither parses.
  absl::Time completion = absl::InfinitePast();
  // TaskRun: the PipelineRun it belongs to (label tekton.dev/pipelineRun, else a controller
  // ownerReference of kind PipelineRun); "" for a standalone TaskRun.
  std::string parent;
  // PipelineRun: the names of its child TaskRuns (status.childReferences of kind TaskRun).
  std::vector<std::string> children;

  // Reconciled: signed is "true" or "failed" (Chains: never processed again).
  bool Reconciled() const { return signed_value == "true" || signed_value == "failed"; }
  std::string Key() const { return KeyOf(kind, ns, name); }
};

// ProjectRun: the RunInfo of a run object. kInvalidArgument when it has no name or namespace;
// every other field is read leniently (a field of an unexpected type counts as absent).
absl::StatusOr<RunInfo> ProjectRun(RunKind kind, const nlohmann::json& object);

// Skipped: the run is to be ignored: the skip annotation, or it completed before
// `skip_before` (--skip-before).
bool Skipped(const RunInfo& info, const std::optional<absl::Time>& skip_before);

// Helpers on run objects (lenient, like ProjectRun).
bool IsDone(const nlohmann::json& object);
std::string Annotation(const nlohmann::json& object, absl::string_view key);
// WithoutChainsAnnotations: `object` minus the chains.tekton.dev/* annotations, so a statement
// built from it does not change with our own bookkeeping between attempts (the statement must be
// byte-identical for the registry dedupe of a re-signed attestation).
nlohmann::json WithoutChainsAnnotations(const nlohmann::json& object);
// CompletionTime: status.completionTime, if it parses.
std::optional<absl::Time> CompletionTime(const nlohmann::json& object);

}  // namespace hallmark::chains::reconciler

#endif  // HALLMARK_CHAINS_RECONCILER_RUN_STATE_H_
