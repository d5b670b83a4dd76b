#include "chains/formats/slsa_v02.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "base/status_macros.h"
#include "chains/artifacts/extract.h"
#include "chains/artifacts/materials.h"
#include "chains/formats/proto_json.h"
#include "proto/slsa_provenance_v02.pb.h"

namespace hallmark::chains::formats {
namespace {

using artifacts::Artifact;
using artifacts::ObjectMeta;
using artifacts::Param;
using artifacts::ParamSpec;
using artifacts::PipelineRun;
using artifacts::Provenance;
using artifacts::Report;
using artifacts::TaskRun;
using nlohmann::json;
namespace v02 = ::hallmark::proto::slsa::v02;

constexpr absl::string_view kReproducibleLabel = "chains.tekton.dev/reproducible";
constexpr absl::string_view kLastAppliedAnnotation =
    "kubectl.kubernetes.io/last-applied-configuration";

// Invocation: Chains' attest.Invocation. configSource from status.provenance.refSource (always
// present, `{}` without one); parameters = param defaults overridden by the run's params;
// environment = labels and annotations (without Chains' own and kubectl's), when any.
json InvocationJson(const ObjectMeta& meta, const std::optional<Provenance>& provenance,
                    const std::vector<Param>& params, const std::vector<ParamSpec>* specs) {
  json config_source = json::object();
  if (provenance.has_value() && provenance->ref_source.has_value()) {
    const auto& source = *provenance->ref_source;
    if (!source.uri.empty()) config_source["uri"] = source.uri;
    if (!source.digest.empty()) config_source["digest"] = source.digest;
    if (!source.entry_point.empty()) config_source["entryPoint"] = source.entry_point;
  }
  json parameters = json::object();
  if (specs != nullptr) {
    for (const ParamSpec& spec : *specs) {
      if (spec.default_value.has_value()) parameters[spec.name] = spec.default_value->ToJson();
    }
  }
  for (const Param& p : params) parameters[p.name] = p.value.ToJson();

  json invocation = {{"configSource", config_source}, {"parameters", parameters}};
  json environment = json::object();
  if (meta.annotations.has_value()) {
    json annotations = json::object();
    for (const auto& [key, value] : *meta.annotations) {
      if (key == kLastAppliedAnnotation || absl::StartsWith(key, "chains.tekton.dev/")) continue;
      annotations[key] = value;
    }
    if (!annotations.empty()) environment["annotations"] = annotations;
  }
  if (meta.labels.has_value() && !meta.labels->empty()) environment["labels"] = *meta.labels;
  if (!environment.empty()) invocation["environment"] = environment;
  return invocation;
}

void SetInvocation(const json& invocation, v02::Invocation* out) {
  v02::ConfigSource* source = out->mutable_config_source();
  const json& cs = invocation["configSource"];
  if (cs.contains("uri")) source->set_uri(cs["uri"].get<std::string>());
  if (cs.contains("entryPoint")) source->set_entry_point(cs["entryPoint"].get<std::string>());
  if (cs.contains("digest")) {
    for (auto it = cs["digest"].begin(); it != cs["digest"].end(); ++it) {
      (*source->mutable_digest())[it.key()] = it->get<std::string>();
    }
  }
  *out->mutable_parameters() = ToProtoStruct(invocation["parameters"]);
  if (invocation.contains("environment")) {
    *out->mutable_environment() = ToProtoStruct(invocation["environment"]);
  }
}

// StepJson: Chains' attest.Step for one status step and its spec step (or an empty spec step).
json StepJson(const artifacts::Step* spec, const artifacts::StepState& state) {
  std::string entry_point;
  json arguments = nullptr;
  if (spec != nullptr) {
    entry_point = spec->script.empty() ? absl::StrJoin(spec->command, " ") : spec->script;
    if (spec->args.has_value()) arguments = *spec->args;
  }
  absl::string_view image_view = state.image_id;
  absl::ConsumePrefix(&image_view, "docker-pullable://");
  return {
      {"entryPoint", entry_point},
      {"arguments", arguments},
      {"environment", {{"image", absl::StrCat("oci://", image_view)}, {"container", state.name}}},
      {"annotations", nullptr}};
}

const artifacts::Step* SpecStepNamed(const TaskRun& run, const std::string& name) {
  if (!run.task_spec.has_value()) return nullptr;
  for (const artifacts::Step& step : run.task_spec->steps) {
    if (step.name == name) return &step;
  }
  return nullptr;
}

void SetMetadata(const artifacts::RunStatus& status, const ObjectMeta& meta, v02::Metadata* out) {
  if (status.start_time) *out->mutable_build_started_on() = ToTimestamp(*status.start_time);
  if (status.completion_time) {
    *out->mutable_build_finished_on() = ToTimestamp(*status.completion_time);
  }
  out->mutable_completeness()->set_parameters(false);
  out->mutable_completeness()->set_environment(false);
  out->mutable_completeness()->set_materials(false);
  const std::string* reproducible = meta.Label(kReproducibleLabel);
  out->set_reproducible(reproducible != nullptr && *reproducible == "true");
}

void AddMaterials(const std::vector<Artifact>& materials, v02::Provenance* out) {
  for (const Artifact& m : materials) {
    v02::Material* material = out->add_materials();
    material->set_uri(m.name);
    for (const auto& [alg, hex] : m.digest) (*material->mutable_digest())[alg] = hex;
  }
}

absl::StatusOr<std::vector<Artifact>> ImageMaterials(const TaskRun& run) {
  std::vector<Artifact> out;
  HM_ASSIGN_OR_RETURN(std::vector<Artifact> steps, artifacts::StepImageMaterials(run));
  artifacts::AppendArtifacts(&out, steps);
  HM_ASSIGN_OR_RETURN(std::vector<Artifact> sidecars, artifacts::SidecarImageMaterials(run));
  artifacts::AppendArtifacts(&out, sidecars);
  return out;
}

std::string ConditionStatus(const std::vector<artifacts::Condition>& conditions) {
  if (conditions.empty()) return "";
  const std::string& status = conditions[0].status;
  if (status == "False") return "Failed";
  if (status == "True") return "Succeeded";
  if (status == "Unknown") return "Running";
  return "";
}

// TaskAttestation: one entry of a PipelineRun's buildConfig.tasks, or null when Chains skips the
// child (no taskSpec, step counts differ, or an "unnamed-" status step against a named spec step).
json TaskAttestation(const PipelineRun& run, const ExecutedChild& child, const std::string& last) {
  const TaskRun& tr = *child.run;
  if (!tr.task_spec.has_value() || tr.task_spec->steps.size() != tr.steps.size()) return nullptr;
  json steps = json::array();
  for (size_t i = 0; i < tr.steps.size(); ++i) {
    const artifacts::Step& spec = tr.task_spec->steps[i];
    if (absl::StartsWith(tr.steps[i].name, "unnamed-") && !spec.name.empty()) return nullptr;
    steps.push_back(StepJson(&spec, tr.steps[i]));
  }
  std::vector<std::string> after = child.task->run_after;
  for (const std::string& ref : child.task->result_ref_tasks) {
    if (std::find(after.begin(), after.end(), ref) == after.end()) after.push_back(ref);
  }
  if (after.empty() && child.is_finally && !last.empty()) after.push_back(last);

  json task = json::object();
  if (!child.task->name.empty()) task["name"] = child.task->name;
  if (!after.empty()) task["after"] = after;
  task["ref"] = child.task->task_ref.is_object() ? child.task->task_ref : json::object();
  // Chains dereferences startTime unconditionally (a nil pointer panic); we leave it out.
  if (tr.status.start_time) task["startedOn"] = GoTimeString(*tr.status.start_time);
  task["finishedOn"] = GoTimeString(*tr.status.completion_time);
  if (!run.task_run_template_service_account.empty()) {
    task["serviceAccountName"] = run.task_run_template_service_account;
  }
  std::string status = ConditionStatus(tr.status.conditions);
  if (!status.empty()) task["status"] = status;
  if (!steps.empty()) task["steps"] = steps;
  task["invocation"] =
      InvocationJson(tr.metadata, tr.status.provenance, tr.params, &tr.task_spec->params);
  if (!tr.status.results.empty()) {
    json results = json::array();
    for (const artifacts::Result& r : tr.status.results) {
      // A result without a type is typed by its value (the Tekton controller always sets it).
      results.push_back({{"name", r.name},
                         {"type", r.type.empty() ? std::string(r.value.TypeName()) : r.type},
                         {"value", r.value.ToJson()}});
    }
    task["results"] = results;
  }
  return task;
}

json PipelineBuildConfig(const PipelineRun& run, const ChildSelection& children) {
  if (!run.pipeline_spec.has_value()) return {{"tasks", nullptr}};
  // `last`: the latest non-finally task, in spec order, that had a labelled TaskRun before the
  // child being written.
  json tasks = json::array();
  std::string last;
  size_t next = 0;
  for (const artifacts::PipelineTask& t : run.pipeline_spec->tasks) {
    for (; next < children.executed.size() && children.executed[next].task == &t; ++next) {
      json task = TaskAttestation(run, children.executed[next], last);
      if (!task.is_null()) tasks.push_back(std::move(task));
    }
    if (children.tasks_with_runs.count(t.name)) last = t.name;
  }
  for (; next < children.executed.size(); ++next) {
    json task = TaskAttestation(run, children.executed[next], last);
    if (!task.is_null()) tasks.push_back(std::move(task));
  }
  return {{"tasks", tasks}};
}

absl::StatusOr<Predicate> Finish(v02::Provenance provenance, std::vector<Artifact> subjects) {
  Predicate out;
  HM_ASSIGN_OR_RETURN(out.predicate, MessageToStruct(provenance));
  out.subjects = std::move(subjects);
  return out;
}

}  // namespace

absl::StatusOr<Predicate> SlsaV02ForTaskRun(const TaskRun& run, const FormatOptions& options,
                                            Report* report) {
  std::vector<Artifact> subjects =
      artifacts::SubjectsFromResults(artifacts::TaskRunResults(run), report);

  HM_ASSIGN_OR_RETURN(std::vector<Artifact> materials, ImageMaterials(run));
  artifacts::AppendArtifacts(&materials, artifacts::TaskInputMaterials(run, report));

  v02::Provenance provenance;
  provenance.mutable_builder()->set_id(options.builder_id);
  provenance.set_build_type(absl::StrCat(run.api_version, "/", run.kind));
  SetInvocation(InvocationJson(run.metadata, run.status.provenance, run.params,
                               run.task_spec ? &run.task_spec->params : nullptr),
                provenance.mutable_invocation());
  json steps = json::array();
  for (const artifacts::StepState& state : run.steps) {
    steps.push_back(StepJson(SpecStepNamed(run, state.name), state));
  }
  *provenance.mutable_build_config() = ToProtoStruct({{"steps", steps}});
  SetMetadata(run.status, run.metadata, provenance.mutable_metadata());
  AddMaterials(materials, &provenance);
  return Finish(std::move(provenance), std::move(subjects));
}

absl::StatusOr<Predicate> SlsaV02ForPipelineRun(const PipelineRun& run,
                                                const ChildSelection& children,
                                                const FormatOptions& options, Report* report) {
  std::vector<Artifact> pipeline_subjects =
      artifacts::SubjectsFromResults(artifacts::PipelineRunResults(run), report);
  std::vector<Artifact> subjects;
  if (options.deep_inspection) {
    for (const ExecutedChild& child : children.executed) {
      artifacts::AppendArtifacts(
          &subjects, artifacts::SubjectsFromResults(artifacts::TaskRunResults(*child.run), report));
    }
    artifacts::AppendArtifacts(&subjects, pipeline_subjects);
  } else {
    subjects = std::move(pipeline_subjects);
  }

  std::vector<Artifact> materials;
  if (run.status.provenance.has_value() && run.status.provenance->ref_source.has_value()) {
    const auto& source = *run.status.provenance->ref_source;
    artifacts::AppendArtifact(&materials, Artifact{source.uri, source.digest});
  }
  for (const ExecutedChild& child : children.executed) {
    HM_ASSIGN_OR_RETURN(std::vector<Artifact> images, ImageMaterials(*child.run));
    artifacts::AppendArtifacts(&materials, images);
    const auto& provenance = child.run->status.provenance;
    if (provenance.has_value() && provenance->ref_source.has_value()) {
      artifacts::AppendArtifact(
          &materials, Artifact{provenance->ref_source->uri, provenance->ref_source->digest});
    }
  }
  artifacts::AppendArtifacts(
      &materials,
      artifacts::PipelineInputMaterials(
          run, options.deep_inspection ? children.Runs() : std::vector<const TaskRun*>(), report));

  v02::Provenance provenance;
  provenance.mutable_builder()->set_id(options.builder_id);
  provenance.set_build_type(absl::StrCat(run.api_version, "/", run.kind));
  SetInvocation(InvocationJson(run.metadata, run.status.provenance, run.params,
                               run.pipeline_spec ? &run.pipeline_spec->params : nullptr),
                provenance.mutable_invocation());
  *provenance.mutable_build_config() = ToProtoStruct(PipelineBuildConfig(run, children));
  SetMetadata(run.status, run.metadata, provenance.mutable_metadata());
  AddMaterials(materials, &provenance);
  return Finish(std::move(provenance), std::move(subjects));
}

}  // namespace hallmark::chains::formats
