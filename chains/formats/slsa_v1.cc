#include "chains/formats/slsa_v1.h"

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "chains/artifacts/extract.h"
#include "chains/artifacts/materials.h"
#include "chains/formats/proto_json.h"
#include "proto/intoto_statement.pb.h"
#include "proto/slsa_provenance_v1.pb.h"

namespace hallmark::chains::formats {
namespace {

using artifacts::Artifact;
using artifacts::ObjectMeta;
using artifacts::PipelineRun;
using artifacts::Report;
using artifacts::Result;
using artifacts::ResultSource;
using artifacts::TaskRun;
using ::hallmark::proto::intoto::ResourceDescriptor;
using nlohmann::json;
namespace v1 = ::hallmark::proto::slsa::v1;

constexpr absl::string_view kJsonMediaType = "application/json";
constexpr absl::string_view kInputResultName = "inputs/result";

bool IsV2Alpha4(const FormatOptions& options) { return options.format == Format::kSlsaV2Alpha4; }

absl::StatusOr<std::string> BuildType(const FormatOptions& options) {
  if (options.build_type.empty() || options.build_type == kSlsaBuildType) {
    return std::string(kSlsaBuildType);
  }
  if (options.build_type == kSlsaTektonBuildType) return std::string(kSlsaTektonBuildType);
  return absl::InvalidArgumentError(
      absl::StrCat("unsupported buildType \"", options.build_type.substr(0, 100), "\" (want ",
                   kSlsaBuildType, " or ", kSlsaTektonBuildType, ")"));
}

ResourceDescriptor Descriptor(absl::string_view name, const std::string& uri,
                              const artifacts::DigestSet& digest) {
  ResourceDescriptor rd;
  if (!name.empty()) rd.set_name(std::string(name));
  rd.set_uri(uri);
  for (const auto& [alg, hex] : digest) (*rd.mutable_digest())[alg] = hex;
  return rd;
}

void AddMaterials(const std::vector<Artifact>& materials, absl::string_view name,
                  std::vector<ResourceDescriptor>* out) {
  for (const Artifact& m : materials) out->push_back(Descriptor(name, m.name, m.digest));
}

// RemoveDuplicates: Chains' RemoveDuplicateResolvedDependencies. Two entries are the same when
// uri, digest and content are; the name does not count, except that "task", "pipeline" and
// "stepAction/*" entries are always kept.
std::vector<ResourceDescriptor> RemoveDuplicates(std::vector<ResourceDescriptor> in) {
  std::vector<ResourceDescriptor> out;
  std::set<std::string> seen;
  for (ResourceDescriptor& rd : in) {
    std::string key = absl::StrCat(rd.uri().size(), ":", rd.uri(), "|");
    std::map<std::string, std::string> digest(rd.digest().begin(), rd.digest().end());
    for (const auto& [alg, hex] : digest)
      absl::StrAppend(&key, alg.size(), ":", alg, "=", hex, ";");
    absl::StrAppend(&key, "|", rd.content());
    bool fresh = seen.insert(std::move(key)).second;
    if (!fresh && rd.name() != "task" && rd.name() != "pipeline" &&
        !absl::StartsWith(rd.name(), "stepAction/")) {
      continue;
    }
    out.push_back(std::move(rd));
  }
  return out;
}

absl::StatusOr<std::vector<Artifact>> StepAndSidecarImages(const TaskRun& run) {
  HM_ASSIGN_OR_RETURN(std::vector<Artifact> out, artifacts::StepImageMaterials(run));
  HM_ASSIGN_OR_RETURN(std::vector<Artifact> sidecars, artifacts::SidecarImageMaterials(run));
  out.insert(out.end(), sidecars.begin(), sidecars.end());
  return out;
}

void AddRemoteStepActions(const TaskRun& run, std::vector<ResourceDescriptor>* out) {
  for (const artifacts::StepState& step : run.steps) {
    if (!step.ref_source.has_value()) continue;
    out->push_back(Descriptor(absl::StrCat("stepAction/", step.name), step.ref_source->uri,
                              step.ref_source->digest));
  }
}

absl::StatusOr<std::vector<ResourceDescriptor>> TaskRunDependencies(const TaskRun& run,
                                                                    const FormatOptions& options,
                                                                    Report* report) {
  std::vector<ResourceDescriptor> deps;
  if (run.status.provenance.has_value() && run.status.provenance->ref_source.has_value()) {
    const auto& source = *run.status.provenance->ref_source;
    deps.push_back(Descriptor("task", source.uri, source.digest));
  }
  HM_ASSIGN_OR_RETURN(std::vector<Artifact> images, StepAndSidecarImages(run));
  AddMaterials(images, "", &deps);
  if (IsV2Alpha4(options)) {
    AddMaterials(artifacts::StepActionInputMaterials(run, report), kInputResultName, &deps);
    AddRemoteStepActions(run, &deps);
  }
  AddMaterials(artifacts::TaskInputMaterials(run, report), kInputResultName, &deps);
  return RemoveDuplicates(std::move(deps));
}

absl::StatusOr<std::vector<ResourceDescriptor>> PipelineRunDependencies(
    const PipelineRun& run, const ChildSelection& children, const FormatOptions& options,
    bool tekton_build_type, Report* report) {
  std::vector<ResourceDescriptor> deps;
  if (run.status.provenance.has_value() && run.status.provenance->ref_source.has_value()) {
    const auto& source = *run.status.provenance->ref_source;
    deps.push_back(Descriptor("pipeline", source.uri, source.digest));
  }
  for (const ExecutedChild& child : children.executed) {
    const TaskRun& tr = *child.run;
    const auto& provenance = tr.status.provenance;
    bool has_source = provenance.has_value() && provenance->ref_source.has_value();
    if (tekton_build_type) {
      ResourceDescriptor rd = has_source ? Descriptor("pipelineTask", provenance->ref_source->uri,
                                                      provenance->ref_source->digest)
                                         : Descriptor("pipelineTask", "", {});
      rd.set_content(tr.object.dump(-1, ' ', false, json::error_handler_t::replace));
      deps.push_back(std::move(rd));
    } else if (has_source) {
      deps.push_back(
          Descriptor("pipelineTask", provenance->ref_source->uri, provenance->ref_source->digest));
    }
    if (IsV2Alpha4(options)) AddRemoteStepActions(tr, &deps);
    HM_ASSIGN_OR_RETURN(std::vector<Artifact> images, StepAndSidecarImages(tr));
    AddMaterials(images, "", &deps);
  }
  if (options.deep_inspection && IsV2Alpha4(options)) {
    for (const ExecutedChild& child : children.executed) {
      AddMaterials(artifacts::StepActionInputMaterials(*child.run, report), kInputResultName,
                   &deps);
    }
  }
  AddMaterials(
      artifacts::PipelineInputMaterials(
          run, options.deep_inspection ? children.Runs() : std::vector<const TaskRun*>(), report),
      kInputResultName, &deps);
  return RemoveDuplicates(std::move(deps));
}

json InternalParameters(const ObjectMeta& meta, const std::optional<artifacts::Provenance>& prov,
                        bool tekton_build_type) {
  json params = json::object();
  if (prov.has_value() && !prov->feature_flags.is_null()) {
    params["tekton-pipelines-feature-flags"] = prov->feature_flags;
  }
  if (tekton_build_type) {
    params["labels"] = meta.labels.has_value() ? json(*meta.labels) : json(nullptr);
    params["annotations"] = meta.annotations.has_value() ? json(*meta.annotations) : json(nullptr);
  }
  return params;
}

json ExternalParameters(const json& spec, bool remote,
                        const std::optional<artifacts::Provenance>& prov) {
  json params = json::object();
  if (remote && prov.has_value() && prov->ref_source.has_value()) {
    const auto& source = *prov->ref_source;
    // Chains takes "the first" entry of a Go map (random with several); ours is the first in
    // sorted order.
    std::string ref;
    if (!source.digest.empty()) {
      ref = absl::StrCat(source.digest.begin()->first, ":", source.digest.begin()->second);
    }
    params["buildConfigSource"] = {
        {"ref", ref}, {"repository", source.uri}, {"path", source.entry_point}};
  }
  params["runSpec"] = spec.is_object() ? spec : json::object();
  return params;
}

void SetMetadata(const ObjectMeta& meta, const artifacts::RunStatus& status,
                 v1::BuildMetadata* out) {
  if (!meta.uid.empty()) out->set_invocation_id(meta.uid);
  if (status.start_time) *out->mutable_started_on() = ToTimestamp(*status.start_time);
  if (status.completion_time) *out->mutable_finished_on() = ToTimestamp(*status.completion_time);
}

ResourceDescriptor Byproduct(std::string name, const Result& r) {
  ResourceDescriptor rd;
  rd.set_name(std::move(name));
  rd.set_media_type(std::string(kJsonMediaType));
  rd.set_content(r.value.GoJson());
  return rd;
}

bool IsImageResultName(const std::string& name) {
  return absl::EndsWith(name, artifacts::kImageUrlSuffix) ||
         absl::EndsWith(name, artifacts::kImageDigestSuffix) || name == artifacts::kImagesResult;
}

// ByproductsWithoutBuildArtifacts: Chains' GetResultsWithoutBuildArtifacts (v2alpha4): results
// that are neither images nor build artifacts (nor *ARTIFACT_OUTPUTS that fail that check).
void ByproductsWithoutBuildArtifacts(const std::string& prefix, const std::string& object_name,
                                     const std::vector<const Result*>& results,
                                     std::vector<ResourceDescriptor>* out) {
  for (const Result* r : results) {
    absl::StatusOr<bool> build = artifacts::IsBuildArtifact(*r);
    if (!build.ok() || *build) continue;
    if (IsImageResultName(r->name)) continue;
    out->push_back(Byproduct(absl::StrCat(prefix, "/", object_name, "/", r->name), *r));
  }
}

void TaskRunByproductsV2Alpha4(const TaskRun& run, std::vector<ResourceDescriptor>* out) {
  ByproductsWithoutBuildArtifacts("taskRunResults", run.metadata.name,
                                  artifacts::TaskRunResults(run).results, out);
  ByproductsWithoutBuildArtifacts("stepResults", run.metadata.name, run.StepResults(), out);
}

std::vector<Artifact> TaskRunSubjectsV2Alpha4(const TaskRun& run, Report* report) {
  std::vector<Artifact> subjects;
  for (const artifacts::StepState& step : run.steps) {
    artifacts::AppendArtifacts(&subjects, artifacts::SubjectsFromBuildArtifacts(
                                              artifacts::StepResults(run, step), report));
  }
  artifacts::AppendArtifacts(
      &subjects, artifacts::SubjectsFromBuildArtifacts(artifacts::TaskRunResults(run), report));
  return subjects;
}

absl::StatusOr<Predicate> Finish(const std::string& build_type, json external, json internal,
                                 std::vector<ResourceDescriptor> deps, const ObjectMeta& meta,
                                 const artifacts::RunStatus& status,
                                 std::vector<ResourceDescriptor> byproducts,
                                 std::vector<Artifact> subjects, const FormatOptions& options) {
  v1::Provenance provenance;
  v1::BuildDefinition* definition = provenance.mutable_build_definition();
  definition->set_build_type(build_type);
  *definition->mutable_external_parameters() = ToProtoStruct(external);
  *definition->mutable_internal_parameters() = ToProtoStruct(internal);
  for (ResourceDescriptor& rd : deps) *definition->add_resolved_dependencies() = std::move(rd);
  v1::RunDetails* details = provenance.mutable_run_details();
  details->mutable_builder()->set_id(options.builder_id);
  SetMetadata(meta, status, details->mutable_metadata());
  for (ResourceDescriptor& rd : byproducts) *details->add_byproducts() = std::move(rd);

  Predicate out;
  HM_ASSIGN_OR_RETURN(out.predicate, MessageToStruct(provenance));
  out.subjects = std::move(subjects);
  return out;
}

}  // namespace

absl::StatusOr<Predicate> SlsaV1ForTaskRun(const TaskRun& run, const FormatOptions& options,
                                           Report* report) {
  HM_ASSIGN_OR_RETURN(std::string build_type, BuildType(options));
  const bool tekton = build_type == kSlsaTektonBuildType;

  std::vector<ResourceDescriptor> byproducts;
  std::vector<Artifact> subjects;
  if (IsV2Alpha4(options)) {
    TaskRunByproductsV2Alpha4(run, &byproducts);
    subjects = TaskRunSubjectsV2Alpha4(run, report);
  } else {
    for (const Result& r : run.status.results) {
      byproducts.push_back(Byproduct(absl::StrCat("taskRunResults/", r.name), r));
    }
    subjects = artifacts::SubjectsFromResults(artifacts::TaskRunResults(run), report);
  }
  HM_ASSIGN_OR_RETURN(std::vector<ResourceDescriptor> deps,
                      TaskRunDependencies(run, options, report));
  return Finish(build_type, ExternalParameters(run.spec, run.IsRemote(), run.status.provenance),
                InternalParameters(run.metadata, run.status.provenance, tekton), std::move(deps),
                run.metadata, run.status, std::move(byproducts), std::move(subjects), options);
}

absl::StatusOr<Predicate> SlsaV1ForPipelineRun(const PipelineRun& run,
                                               const ChildSelection& children,
                                               const FormatOptions& options, Report* report) {
  HM_ASSIGN_OR_RETURN(std::string build_type, BuildType(options));
  const bool tekton = build_type == kSlsaTektonBuildType;
  ResultSource results = artifacts::PipelineRunResults(run);

  std::vector<ResourceDescriptor> byproducts;
  std::vector<Artifact> subjects;
  if (IsV2Alpha4(options)) {
    ByproductsWithoutBuildArtifacts("pipelineRunResults", run.metadata.name, results.results,
                                    &byproducts);
    subjects = artifacts::SubjectsFromBuildArtifacts(results, report);
    if (options.deep_inspection) {
      for (const ExecutedChild& child : children.executed) {
        TaskRunByproductsV2Alpha4(*child.run, &byproducts);
        artifacts::AppendArtifacts(&subjects, TaskRunSubjectsV2Alpha4(*child.run, report));
      }
    }
  } else {
    for (const Result& r : run.status.results) {
      byproducts.push_back(Byproduct(absl::StrCat("pipelineRunResults/", r.name), r));
    }
    std::vector<Artifact> pipeline_subjects = artifacts::SubjectsFromResults(results, report);
    if (options.deep_inspection) {
      for (const ExecutedChild& child : children.executed) {
        artifacts::AppendArtifacts(&subjects, artifacts::SubjectsFromResults(
                                                  artifacts::TaskRunResults(*child.run), report));
      }
      artifacts::AppendArtifacts(&subjects, pipeline_subjects);
    } else {
      subjects = std::move(pipeline_subjects);
    }
  }
  HM_ASSIGN_OR_RETURN(std::vector<ResourceDescriptor> deps,
                      PipelineRunDependencies(run, children, options, tekton, report));
  return Finish(build_type, ExternalParameters(run.spec, run.IsRemote(), run.status.provenance),
                InternalParameters(run.metadata, run.status.provenance, tekton), std::move(deps),
                run.metadata, run.status, std::move(byproducts), std::move(subjects), options);
}

}  // namespace hallmark::chains::formats
