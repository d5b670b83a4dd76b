// File: chains/artifacts/run.h
//
// The parts of Tekton `tekton.dev/v1` TaskRuns and PipelineRuns that type hinting and the SLSA
// formats read (shared/reference/kube-api.md §3), parsed from JSON or YAML.
//
// Parsing follows Go's encoding/json into Tekton's types, which is what Chains sees: missing
// fields are fine (empty), unknown fields are ignored, and a field of the wrong JSON type (a
// result name that is a number, `status.steps` that is an object...) makes the whole run invalid,
// as it does for Go. A param or result *value* is Tekton's ParamValue, which is lenient: a string,
// an array of strings or an object of strings, and anything else is kept as its JSON text.
//
// Parsed runs are plain values: copy them, keep them, read their fields. The original JSON is kept
// in `object` and `spec` for the formats that embed it (SLSA v1.0 `runSpec`, slsa-tekton content).
//
//   HM_ASSIGN_OR_RETURN(TektonRun run, ParseRun(file_bytes));
//   if (auto* tr = std::get_if<TaskRun>(&run)) { ... }
#ifndef HALLMARK_CHAINS_ARTIFACTS_RUN_H_
#define HALLMARK_CHAINS_ARTIFACTS_RUN_H_

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace hallmark::chains::artifacts {

// Limits (DESIGN.md). A run document is at most kMaxRunBytes and kMaxJsonDepth levels deep; a
// result value larger than kMaxResultValueBytes (its JSON text) is kept but never used as a type
// hint (it is reported instead).
inline constexpr size_t kMaxRunBytes = 8 << 20;
// kMaxJsonDepth is deep enough for Kubernetes objects (a Tekton run is rarely 16 levels deep), and
// shallow enough that a run's spec embedded in a statement stays within protobuf's JSON converter
// limit (64 message levels, and every JSON level inside a google.protobuf.Struct costs two).
inline constexpr int kMaxJsonDepth = 30;
inline constexpr size_t kMaxResultValueBytes = 4096;

inline constexpr absl::string_view kTektonApiVersion = "tekton.dev/v1";
inline constexpr absl::string_view kPipelineTaskLabel = "tekton.dev/pipelineTask";

using StringMap = std::map<std::string, std::string>;
// Algorithm -> hex. Ordered, so output built from it is deterministic.
using DigestSet = std::map<std::string, std::string>;

// ParamValue: Tekton's value of a param, param default or result.
struct ParamValue {
  enum class Type { kString, kArray, kObject };
  Type type = Type::kString;
  std::string string_value;
  std::vector<std::string> array_value;
  StringMap object_value;

  // FromJson applies Tekton's ParamValue.UnmarshalJSON: a string; an array of strings; an object
  // of strings; null is ""; any other value (number, bool, mixed array...) is its JSON text.
  static ParamValue FromJson(const nlohmann::json& value);
  static ParamValue String(std::string s);

  // GoJson: the bytes Go's json.Marshal writes for it (see go_json.h).
  std::string GoJson() const;
  // ToJson: the same value as a JSON tree.
  nlohmann::json ToJson() const;
  // TypeName: "string", "array" or "object".
  absl::string_view TypeName() const;

  friend bool operator==(const ParamValue& a, const ParamValue& b) {
    return a.type == b.type && a.string_value == b.string_value && a.array_value == b.array_value &&
           a.object_value == b.object_value;
  }
};

struct Param {
  std::string name;
  ParamValue value;
};

struct ParamSpec {
  std::string name;
  std::optional<ParamValue> default_value;
};

// A TaskRun, step or PipelineRun result.
struct Result {
  std::string name;
  std::string type;  // as written ("string", "array", "object"), empty when absent
  ParamValue value;
  // Too large to be a type hint (its JSON text is over kMaxResultValueBytes).
  bool oversized = false;
};

// status.provenance.refSource: where the Task/Pipeline definition came from.
struct RefSource {
  std::string uri;
  DigestSet digest;
  std::string entry_point;
};

struct Provenance {
  std::optional<RefSource> ref_source;
  // status.provenance.featureFlags, verbatim (null when absent).
  nlohmann::json feature_flags;
};

struct OwnerReference {
  std::string api_version;
  std::string kind;
  std::string name;
  std::string uid;
  bool controller = false;
};

struct ObjectMeta {
  std::string name;
  std::string namespace_name;
  std::string uid;
  // nullopt when the object has no `labels` / `annotations` at all (Go's nil map).
  std::optional<StringMap> labels;
  std::optional<StringMap> annotations;
  std::vector<OwnerReference> owner_references;

  // Label: the value of label `key`, or nullptr.
  const std::string* Label(absl::string_view key) const;
};

struct Condition {
  std::string type;
  std::string status;  // "True", "False", "Unknown"
  std::string reason;
};

// A step of a Task spec (status.taskSpec.steps[]).
struct Step {
  std::string name;
  std::string script;
  std::vector<std::string> command;
  std::optional<std::vector<std::string>> args;  // nullopt when absent
};

// status.steps[] / status.sidecars[].
struct StepState {
  std::string name;
  std::string container;
  std::string image_id;
  std::vector<Result> results;          // StepAction results (v2alpha4)
  std::optional<RefSource> ref_source;  // status.steps[].provenance.refSource (remote StepAction)
};

struct TaskSpec {
  std::vector<ParamSpec> params;
  std::vector<Step> steps;
};

// Common run status.
struct RunStatus {
  std::optional<absl::Time> start_time;  // UTC, whole seconds (metav1.Time)
  std::optional<absl::Time> completion_time;
  std::vector<Condition> conditions;
  std::vector<Result> results;
  std::optional<Provenance> provenance;
};

struct TaskRun {
  // Parse: `object` is one TaskRun. kInvalidArgument naming the JSON path for a field of the wrong
  // type, a time that is not RFC 3339, an apiVersion other than tekton.dev/v1 or a kind other than
  // TaskRun. A missing apiVersion/kind is taken to be tekton.dev/v1 TaskRun.
  static absl::StatusOr<TaskRun> FromJson(const nlohmann::json& object);

  std::string api_version;  // "tekton.dev/v1"
  std::string kind;         // "TaskRun"
  ObjectMeta metadata;
  nlohmann::json spec;        // verbatim; null when absent
  std::vector<Param> params;  // spec.params
  bool has_task_ref = false;
  std::string task_ref_resolver;  // spec.taskRef.resolver
  std::string service_account_name;
  RunStatus status;
  std::vector<StepState> steps;       // status.steps
  std::vector<StepState> sidecars;    // status.sidecars
  std::optional<TaskSpec> task_spec;  // status.taskSpec
  nlohmann::json object;              // the whole object, verbatim

  // IsRemote: spec.taskRef.resolver is set and is not "Cluster" (a remote resolver fetched it).
  bool IsRemote() const;
  // StepResults: every status.steps[].results entry, in step order.
  std::vector<const Result*> StepResults() const;
};

struct PipelineTask {
  std::string name;
  std::vector<std::string> run_after;
  nlohmann::json task_ref;  // verbatim; null when absent
  // Tasks whose results this task reads through `$(tasks.<name>.results...)` in its params, matrix
  // params or when expressions, in order of first appearance.
  std::vector<std::string> result_ref_tasks;
};

struct PipelineSpec {
  std::vector<ParamSpec> params;
  std::vector<PipelineTask> tasks;
  std::vector<PipelineTask> finally;
};

struct ChildReference {
  std::string kind;
  std::string name;
  std::string pipeline_task_name;
};

struct PipelineRun {
  // Parse: as TaskRun::FromJson, for kind PipelineRun.
  static absl::StatusOr<PipelineRun> FromJson(const nlohmann::json& object);

  std::string api_version;
  std::string kind;
  ObjectMeta metadata;
  nlohmann::json spec;
  std::vector<Param> params;  // spec.params
  bool has_pipeline_ref = false;
  std::string pipeline_ref_resolver;
  std::string task_run_template_service_account;  // spec.taskRunTemplate.serviceAccountName
  RunStatus status;
  std::optional<PipelineSpec> pipeline_spec;  // status.pipelineSpec
  std::vector<ChildReference> child_references;
  nlohmann::json object;

  bool IsRemote() const;
};

using TektonRun = std::variant<TaskRun, PipelineRun>;

// ParseJsonDocument: JSON text (after a depth check) or, when the first non-blank character is not
// `{`, one YAML document read as Kubernetes reads it (base/yaml_json.h; a repeated key: the last
// wins). kInvalidArgument for malformed input, several YAML documents, input over kMaxRunBytes, or
// nesting deeper than kMaxJsonDepth.
absl::StatusOr<nlohmann::json> ParseJsonDocument(absl::string_view text);

// ParseRun: a TaskRun or PipelineRun document. The kind is taken from `kind`; without one, a
// document with spec.pipelineRef, spec.pipelineSpec, status.pipelineSpec or
// status.childReferences is a PipelineRun and anything else a TaskRun.
absl::StatusOr<TektonRun> ParseRun(absl::string_view text);
absl::StatusOr<TektonRun> RunFromJson(const nlohmann::json& object);

// Helpers on TektonRun.
const ObjectMeta& MetadataOf(const TektonRun& run);
absl::string_view KindOf(const TektonRun& run);

}  // namespace hallmark::chains::artifacts

#endif  // HALLMARK_CHAINS_ARTIFACTS_RUN_H_
