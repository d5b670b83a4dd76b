// Fuzz target: type hinting over arbitrary results. The input is a JSON array of results (or any
// JSON document: every array of objects found in it is tried as a result list), which is what
// the seed corpus of runs and type-hinting vectors contains.
#include <cstddef>
#include <cstdint>
#include <string>

#include "chains/artifacts/extract.h"
#include "chains/artifacts/materials.h"
#include "chains/artifacts/run.h"
#include "nlohmann/json.hpp"

using namespace hallmark::chains::artifacts;  // NOLINT: fuzz target
using nlohmann::json;

namespace {

void TryResults(const json& results, int depth) {
  if (depth > 20) return;
  if (results.is_array()) {
    json object = {{"metadata", {{"name", "fuzz"}}}, {"status", {{"results", results}}}};
    absl::StatusOr<TaskRun> run = TaskRun::FromJson(object);
    if (run.ok()) {
      Report report;
      ResultSource source = TaskRunResults(*run);
      (void)SubjectsFromResults(source, &report);
      (void)SubjectsFromBuildArtifacts(source, &report);
      (void)TaskInputMaterials(*run, &report);
      (void)ExtractSigningTargets(*run);
      (void)report.ExplainLines();
    }
  }
  if (results.is_array() || results.is_object()) {
    for (const auto& item : results) TryResults(item, depth + 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<json> doc = ParseJsonDocument(text);
  if (doc.ok()) TryResults(*doc, 0);
  return 0;
}
