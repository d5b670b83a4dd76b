#include "chains/artifacts/materials.h"

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace hallmark::chains::artifacts {
namespace {

constexpr absl::string_view kDockerPullable = "docker-pullable://";

// GitSource: the winning CHAINS-GIT_URL / CHAINS-GIT_COMMIT values and, when they came from a
// result, which one (for the report).
struct GitSource {
  std::string url;
  std::string commit;
  const Result* url_result = nullptr;
  const Result* commit_result = nullptr;

  void FromParamSpecs(const std::vector<ParamSpec>& specs) {
    for (const ParamSpec& p : specs) {
      if (!p.default_value.has_value()) continue;
      if (p.name == kGitCommitName) {
        commit = p.default_value->string_value;
      } else if (p.name == kGitUrlName) {
        url = p.default_value->string_value;
      }
    }
  }
  void FromParams(const std::vector<Param>& params) {
    for (const Param& p : params) {
      if (p.name == kGitCommitName) {
        commit = p.value.string_value;
        commit_result = nullptr;
      } else if (p.name == kGitUrlName) {
        url = p.value.string_value;
        url_result = nullptr;
      }
    }
  }
  void FromResults(const std::vector<const Result*>& results) {
    for (const Result* r : results) {
      if (r->name == kGitCommitName) {
        commit = r->value.string_value;
        commit_result = r;
      }
      if (r->name == kGitUrlName) {
        url = r->value.string_value;
        url_result = r;
      }
    }
  }
  void NoteInput(const std::string& scope, const Artifact& material, Report* report) const {
    if (report == nullptr) return;
    std::string detail = absl::StrCat("git material ", material.name, " sha1:", commit);
    if (url_result != nullptr) report->Add(scope, url_result->name, Outcome::kInput, detail);
    if (commit_result != nullptr) {
      report->Add(scope, commit_result->name, Outcome::kInput, detail);
    }
  }
};

std::vector<const Result*> Pointers(const std::vector<Result>& results) {
  std::vector<const Result*> out;
  for (const Result& r : results) out.push_back(&r);
  return out;
}

absl::StatusOr<std::vector<Artifact>> ImageMaterials(const std::vector<StepState>& states,
                                                     absl::string_view what) {
  std::vector<Artifact> out;
  for (size_t i = 0; i < states.size(); ++i) {
    absl::StatusOr<Artifact> m = MaterialFromImageId(states[i].image_id);
    if (!m.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("status.", what, "[", i, "] (", states[i].name,
                                                     "): ", m.status().message()));
    }
    AppendArtifact(&out, *std::move(m));
  }
  return out;
}

}  // namespace

absl::StatusOr<Artifact> MaterialFromImageId(absl::string_view image_id) {
  std::vector<absl::string_view> at = absl::StrSplit(image_id, '@');
  std::vector<absl::string_view> colon;
  if (at.size() == 2) colon = absl::StrSplit(at[1], ':');
  if (at.size() != 2 || colon.size() != 2) {
    std::string shown(image_id.substr(0, 200));
    return absl::InvalidArgumentError(
        absl::StrCat("imageID \"", shown,
                     "\" is not <image>@<algorithm>:<hex>, so the image cannot be "
                     "recorded as a material"));
  }
  absl::string_view repo = at[0];
  absl::ConsumePrefix(&repo, kDockerPullable);
  return Artifact{absl::StrCat("oci://", repo),
                  DigestSet{{std::string(colon[0]), std::string(colon[1])}}};
}

absl::StatusOr<std::vector<Artifact>> StepImageMaterials(const TaskRun& run) {
  return ImageMaterials(run.steps, "steps");
}

absl::StatusOr<std::vector<Artifact>> SidecarImageMaterials(const TaskRun& run) {
  return ImageMaterials(run.sidecars, "sidecars");
}

std::string SpdxGit(absl::string_view url) {
  std::string out(url);
  if (!absl::StartsWith(out, "git+")) out = absl::StrCat("git+", out);
  if (!absl::EndsWith(out, ".git")) out.append(".git");
  return out;
}

std::vector<Artifact> TaskInputMaterials(const TaskRun& run, Report* report) {
  GitSource git;
  if (run.task_spec.has_value()) git.FromParamSpecs(run.task_spec->params);
  git.FromParams(run.params);
  git.FromResults(Pointers(run.status.results));
  std::vector<Artifact> out;
  std::string url = SpdxGit(git.url);
  if (!git.commit.empty()) {
    Artifact material{url, DigestSet{{"sha1", git.commit}}};
    git.NoteInput(TaskRunScope(run), material, report);
    AppendArtifact(&out, std::move(material));
  }
  AppendArtifacts(&out, ExtractStructured(TaskRunResults(run), kArtifactInputsSuffix, report));
  return out;
}

std::vector<Artifact> StepActionInputMaterials(const TaskRun& run, Report* report) {
  std::vector<Artifact> out;
  for (const StepState& step : run.steps) {
    GitSource git;
    git.FromResults(Pointers(step.results));
    std::string url = SpdxGit(git.url);
    if (!git.commit.empty()) {
      Artifact material{url, DigestSet{{"sha1", git.commit}}};
      git.NoteInput(StepResults(run, step).scope, material, report);
      AppendArtifact(&out, std::move(material));
    }
  }
  for (const StepState& step : run.steps) {
    AppendArtifacts(&out, ExtractStructured(StepResults(run, step), kArtifactInputsSuffix, report));
  }
  return out;
}

std::vector<Artifact> PipelineInputMaterials(const PipelineRun& run,
                                             const std::vector<const TaskRun*>& deep_children,
                                             Report* report) {
  std::vector<Artifact> out;
  ResultSource source = PipelineRunResults(run);
  AppendArtifacts(&out, ExtractStructured(source, kArtifactInputsSuffix, report));
  for (const TaskRun* child : deep_children) {
    AppendArtifacts(&out, TaskInputMaterials(*child, report));
  }
  GitSource git;
  if (run.pipeline_spec.has_value()) git.FromParamSpecs(run.pipeline_spec->params);
  git.FromParams(run.params);
  git.FromResults(source.results);
  if (!git.commit.empty() && !git.url.empty()) {
    Artifact material{SpdxGit(git.url), DigestSet{{"sha1", git.commit}}};
    git.NoteInput(source.scope, material, report);
    AppendArtifact(&out, std::move(material));
  }
  return out;
}

}  // namespace hallmark::chains::artifacts
