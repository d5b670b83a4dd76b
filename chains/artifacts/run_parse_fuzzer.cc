// Fuzz target: run parsing (JSON or YAML) and everything derived from a parsed run. Must never
// crash, throw or run away with memory; errors are fine.
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

#include "chains/artifacts/extract.h"
#include "chains/artifacts/materials.h"
#include "chains/artifacts/run.h"

using namespace hallmark::chains::artifacts;  // NOLINT: fuzz target

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<TektonRun> run = ParseRun(text);
  if (!run.ok()) return 0;
  if (const TaskRun* tr = std::get_if<TaskRun>(&*run)) {
    (void)ExtractSigningTargets(*tr);
    Report report;
    (void)TaskInputMaterials(*tr, &report);
    (void)StepActionInputMaterials(*tr, &report);
    (void)StepImageMaterials(*tr);
    (void)report.ExplainLines();
  } else {
    const PipelineRun& pr = std::get<PipelineRun>(*run);
    Report report;
    (void)SubjectsFromResults(PipelineRunResults(pr), &report);
    (void)PipelineInputMaterials(pr, {}, &report);
  }
  return 0;
}
