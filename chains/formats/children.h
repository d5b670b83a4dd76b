// File: chains/formats/children.h
//
// Which child TaskRuns of a PipelineRun the formats read, and in which order (Chains'
// GetExecutedTasks): for each task of status.pipelineSpec.tasks, then finally, the given TaskRuns
// labelled `tekton.dev/pipelineTask=<task name>` that have a completionTime.
//
// Before that, a security check Chains does not make (CVE-2023-37264: a TaskRun can be made to
// look like a PipelineRun's child): a child whose ownerReferences name a PipelineRun other than
// this one (by UID) is ignored, and so is a child with no PipelineRun owner at all unless
// FormatOptions::allow_unowned_children. Every ignored child is listed with the reason.
#ifndef HALLMARK_CHAINS_FORMATS_CHILDREN_H_
#define HALLMARK_CHAINS_FORMATS_CHILDREN_H_

#include <set>
#include <string>
#include <vector>

#include "chains/artifacts/run.h"
#include "chains/formats/options.h"

namespace hallmark::chains::formats {

struct IgnoredChild {
  std::string name;    // metadata.name of the TaskRun
  std::string reason;  // why it was not used
};

// An executed child and the pipeline task it ran.
struct ExecutedChild {
  const artifacts::TaskRun* run;
  const artifacts::PipelineTask* task;
  bool is_finally;
};

struct ChildSelection {
  // In pipelineSpec order (tasks, then finally); pointers into the caller's TaskRuns and the
  // PipelineRun, which must outlive the selection.
  std::vector<ExecutedChild> executed;
  // Names of the pipeline tasks that had at least one labelled TaskRun, finished or not (SLSA
  // v0.2 buildConfig makes the last such non-finally task the predecessor of a finally task).
  std::set<std::string> tasks_with_runs;
  std::vector<IgnoredChild> ignored;

  std::vector<const artifacts::TaskRun*> Runs() const;
};

ChildSelection SelectChildren(const artifacts::PipelineRun& run,
                              const std::vector<artifacts::TaskRun>& children,
                              const FormatOptions& options);

}  // namespace hallmark::chains::formats

#endif  // HALLMARK_CHAINS_FORMATS_CHILDREN_H_
