// Fuzz target: a run document through every format. The input is one run (JSON or YAML); for a
// PipelineRun, the same bytes parsed as a TaskRun (if they parse) serve as a child, with deep
// inspection on and off. Must never crash or throw; errors are fine.
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "chains/artifacts/run.h"
#include "chains/formats/options.h"
#include "chains/formats/statement.h"

using namespace hallmark::chains;  // NOLINT: fuzz target

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<nlohmann::json> doc = artifacts::ParseJsonDocument(text);
  if (!doc.ok()) return 0;
  absl::StatusOr<artifacts::TektonRun> run = artifacts::RunFromJson(*doc);
  if (!run.ok()) return 0;
  std::vector<artifacts::TaskRun> children;
  if (doc->is_object()) {
    nlohmann::json as_child = *doc;
    as_child.erase("kind");
    absl::StatusOr<artifacts::TaskRun> child = artifacts::TaskRun::FromJson(as_child);
    if (child.ok()) children.push_back(*child);
  }
  for (formats::Format format : {formats::Format::kSlsaV02, formats::Format::kSlsaV2Alpha3,
                                 formats::Format::kSlsaV2Alpha4}) {
    for (bool deep : {false, true}) {
      formats::FormatOptions options;
      options.format = format;
      options.deep_inspection = deep;
      options.allow_unowned_children = true;
      options.build_type = deep ? std::string(formats::kSlsaTektonBuildType) : "";
      absl::StatusOr<formats::Statement> statement =
          std::holds_alternative<artifacts::TaskRun>(*run)
              ? formats::BuildStatement(std::get<artifacts::TaskRun>(*run), options)
              : formats::BuildStatement(std::get<artifacts::PipelineRun>(*run), children, options);
      if (statement.ok()) {
        (void)statement->report.ExplainLines();
        (void)formats::PrettyPrint(statement->payload);
      }
    }
  }
  return 0;
}
