// provenance: the in-toto statement Tekton Chains would attest for a TaskRun or PipelineRun, from
// files. The work is in chains/formats/statement.h; this callback parses flags and prints.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/file.h"
#include "chains/artifacts/run.h"
#include "chains/formats/options.h"
#include "chains/formats/statement.h"
#include "cmd/cli.h"

namespace hallmark::cmd {
namespace {

struct ProvenanceFlags {
  std::string format = "in-toto";
  bool deep_inspection = false;
  std::string builder_id = std::string(chains::formats::kDefaultBuilderId);
  std::string build_type = std::string(chains::formats::kSlsaBuildType);
  bool allow_unowned_children = false;
  bool pretty = false;
  bool explain = false;
  std::string run;
  std::vector<std::string> children;
};

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "Error: %s\n", std::string(status.message()).c_str());
  return kExitError;
}

absl::StatusOr<chains::formats::RunDocument> Read(const std::string& path) {
  // One byte over the limit, so that an oversized file is reported by the parser's limit check.
  absl::StatusOr<std::string> text = ReadFileOrStdin(path, chains::artifacts::kMaxRunBytes + 1);
  if (!text.ok()) return text.status();
  return chains::formats::RunDocument{path, *std::move(text)};
}

int Run(const ProvenanceFlags& flags) {
  chains::formats::FormatOptions options;
  absl::StatusOr<chains::formats::Format> format = chains::formats::ParseFormat(flags.format);
  if (!format.ok()) return Fail(format.status());
  options.format = *format;
  options.deep_inspection = flags.deep_inspection;
  options.builder_id = flags.builder_id;
  options.build_type = flags.build_type;
  options.allow_unowned_children = flags.allow_unowned_children;

  absl::StatusOr<chains::formats::RunDocument> run = Read(flags.run);
  if (!run.ok()) return Fail(run.status());
  std::vector<chains::formats::RunDocument> children;
  for (const std::string& path : flags.children) {
    absl::StatusOr<chains::formats::RunDocument> child = Read(path);
    if (!child.ok()) return Fail(child.status());
    children.push_back(*std::move(child));
  }
  absl::StatusOr<chains::formats::Statement> statement =
      chains::formats::BuildStatementFromDocuments(*run, children, options);
  if (!statement.ok()) return Fail(statement.status());

  if (flags.explain) {
    for (const std::string& line : statement->report.ExplainLines()) {
      std::printf("%s\n", line.c_str());
    }
    for (const auto& child : statement->ignored_children) {
      std::printf("child taskrun/%s: ignored: %s\n", child.name.c_str(), child.reason.c_str());
    }
    return kExitOk;
  }
  for (const auto& child : statement->ignored_children) {
    std::fprintf(stderr, "Warning: child TaskRun %s ignored: %s\n", child.name.c_str(),
                 child.reason.c_str());
  }
  std::string out = statement->payload;
  if (flags.pretty) {
    absl::StatusOr<std::string> pretty = chains::formats::PrettyPrint(statement->payload);
    if (!pretty.ok()) return Fail(pretty.status());
    out = *std::move(pretty);
  }
  std::printf("%s\n", out.c_str());
  return kExitOk;
}

}  // namespace

void RegisterProvenance(CLI::App& app, int* exit_code) {
  CLI::App* sub = app.add_subcommand(
      "provenance",
      "Print the in-toto statement (SLSA provenance) Tekton Chains would attest for a TaskRun or "
      "PipelineRun given as JSON or YAML (`-` reads standard input); a PipelineRun's child "
      "TaskRuns follow it");
  auto flags = std::make_shared<ProvenanceFlags>();
  sub->add_option("--format", flags->format,
                  "in-toto (= slsa/v1, SLSA v0.2), slsa/v2alpha3 or slsa/v2alpha4 (SLSA v1.0)")
      ->capture_default_str();
  sub->add_flag("--deep-inspection", flags->deep_inspection,
                "artifacts.pipelinerun.enable-deep-inspection: child TaskRuns add subjects, "
                "inputs and byproducts");
  sub->add_option("--builder-id", flags->builder_id, "builder.id")->capture_default_str();
  sub->add_option("--build-type", flags->build_type,
                  "builddefinition.buildtype (SLSA v1.0): https://tekton.dev/chains/v2/slsa or "
                  "https://tekton.dev/chains/v2/slsa-tekton")
      ->capture_default_str();
  sub->add_flag("--allow-unowned-children", flags->allow_unowned_children,
                "Read child TaskRuns that have no ownerReference to the PipelineRun (hand-written "
                "files); children owned by another PipelineRun are always ignored");
  sub->add_flag("--pretty", flags->pretty, "Indent the JSON (the signed bytes are compact)");
  sub->add_flag("--explain", flags->explain,
                "Instead of the statement, print one line per result: what type hinting made of "
                "it, or why it was skipped");
  sub->add_option("run", flags->run, "TaskRun or PipelineRun file (.json or .yaml)")->required();
  sub->add_option("children", flags->children, "Child TaskRun files of a PipelineRun");
  sub->callback([flags, exit_code] { *exit_code = Run(*flags); });
}

}  // namespace hallmark::cmd
