#include "chains/formats/children.h"

#include "absl/strings/str_cat.h"

namespace hallmark::chains::formats {
namespace {

using artifacts::PipelineRun;
using artifacts::TaskRun;

// OwnerProblem: empty if `child` may be read as a child of `run`, else why not.
std::string OwnerProblem(const PipelineRun& run, const TaskRun& child,
                         const FormatOptions& options) {
  bool has_pipeline_owner = false;
  for (const auto& owner : child.metadata.owner_references) {
    if (owner.kind != "PipelineRun") continue;
    has_pipeline_owner = true;
    if (!run.metadata.uid.empty() && owner.uid == run.metadata.uid) return "";
  }
  if (has_pipeline_owner) {
    return absl::StrCat("its ownerReferences name another PipelineRun, not uid \"",
                        run.metadata.uid, "\" (CVE-2023-37264)");
  }
  if (options.allow_unowned_children) return "";
  return absl::StrCat("it has no ownerReference to PipelineRun uid \"", run.metadata.uid,
                      "\" (CVE-2023-37264)");
}

}  // namespace

std::vector<const TaskRun*> ChildSelection::Runs() const {
  std::vector<const TaskRun*> out;
  for (const ExecutedChild& c : executed) out.push_back(c.run);
  return out;
}

ChildSelection SelectChildren(const PipelineRun& run, const std::vector<TaskRun>& children,
                              const FormatOptions& options) {
  ChildSelection selection;
  std::vector<const TaskRun*> owned;
  for (const TaskRun& child : children) {
    std::string problem = OwnerProblem(run, child, options);
    if (!problem.empty()) {
      selection.ignored.push_back({child.metadata.name, std::move(problem)});
    } else {
      owned.push_back(&child);
    }
  }
  std::vector<bool> matched(owned.size(), false);
  if (run.pipeline_spec.has_value()) {
    const auto visit = [&](const std::vector<artifacts::PipelineTask>& tasks, bool is_finally) {
      for (const artifacts::PipelineTask& task : tasks) {
        for (size_t i = 0; i < owned.size(); ++i) {
          const std::string* label = owned[i]->metadata.Label(artifacts::kPipelineTaskLabel);
          if (label == nullptr || *label != task.name) continue;
          matched[i] = true;
          selection.tasks_with_runs.insert(task.name);
          if (!owned[i]->status.completion_time.has_value()) {
            selection.ignored.push_back(
                {owned[i]->metadata.name, absl::StrCat("it has no completionTime (task \"",
                                                       task.name, "\" did not finish)")});
            continue;
          }
          selection.executed.push_back({owned[i], &task, is_finally});
        }
      }
    };
    visit(run.pipeline_spec->tasks, false);
    visit(run.pipeline_spec->finally, true);
  }
  for (size_t i = 0; i < owned.size(); ++i) {
    if (matched[i]) continue;
    selection.ignored.push_back(
        {owned[i]->metadata.name, absl::StrCat("it is not labelled ", artifacts::kPipelineTaskLabel,
                                               " with a task of status.pipelineSpec")});
  }
  return selection;
}

}  // namespace hallmark::chains::formats
