#include "chains/formats/statement.h"

#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "chains/formats/proto_json.h"
#include "chains/formats/slsa_v02.h"
#include "chains/formats/slsa_v1.h"
#include "nlohmann/json.hpp"
#include "proto/intoto_statement.pb.h"

namespace hallmark::chains::formats {
namespace {

using artifacts::PipelineRun;
using artifacts::Report;
using artifacts::TaskRun;

// MentionTaskRun notes every result of `run` (and its steps) so --explain shows each one.
void MentionTaskRun(const TaskRun& run, const FormatOptions& options, Report* report) {
  artifacts::ResultSource source = artifacts::TaskRunResults(run);
  for (const artifacts::Result* r : source.results) {
    report->Mention(source.scope, r->name, "not a type hint");
  }
  for (const artifacts::StepState& step : run.steps) {
    artifacts::ResultSource step_source = artifacts::StepResults(run, step);
    for (const artifacts::Result* r : step_source.results) {
      report->Mention(step_source.scope, r->name,
                      options.format == Format::kSlsaV2Alpha4
                          ? "not a type hint"
                          : absl::StrCat("step results are only read by slsa/v2alpha4"));
    }
  }
}

absl::StatusOr<Statement> Write(Predicate predicate, const FormatOptions& options, Report report) {
  if (predicate.subjects.size() > artifacts::kMaxImagesPerRun) {
    return absl::InvalidArgumentError(absl::StrCat("the run has ", predicate.subjects.size(),
                                                   " subjects; the limit is ",
                                                   artifacts::kMaxImagesPerRun));
  }
  const bool v02 = options.format == Format::kSlsaV02;
  proto::intoto::Statement statement;
  statement.set_type(std::string(v02 ? kStatementV01 : kStatementV1));
  statement.set_predicate_type(std::string(v02 ? kSlsaV02PredicateType : kSlsaV1PredicateType));
  for (const artifacts::Artifact& subject : predicate.subjects) {
    proto::intoto::ResourceDescriptor* rd = statement.add_subject();
    rd->set_name(subject.name);
    for (const auto& [alg, hex] : subject.digest) (*rd->mutable_digest())[alg] = hex;
  }
  *statement.mutable_predicate() = std::move(predicate.predicate);

  Statement out;
  HM_ASSIGN_OR_RETURN(out.payload, SerializeJson(statement));
  out.predicate_type = statement.predicate_type();
  out.subjects = std::move(predicate.subjects);
  out.report = std::move(report);
  return out;
}

}  // namespace

absl::StatusOr<Statement> BuildStatement(const TaskRun& run, const FormatOptions& options) {
  // Results are mentioned first so that the report lists them in the run's order.
  Report report;
  MentionTaskRun(run, options, &report);
  absl::StatusOr<Predicate> predicate = options.format == Format::kSlsaV02
                                            ? SlsaV02ForTaskRun(run, options, &report)
                                            : SlsaV1ForTaskRun(run, options, &report);
  if (!predicate.ok()) return predicate.status();
  return Write(*std::move(predicate), options, std::move(report));
}

absl::StatusOr<Statement> BuildStatement(const PipelineRun& run,
                                         const std::vector<TaskRun>& children,
                                         const FormatOptions& options) {
  ChildSelection selection = SelectChildren(run, children, options);
  Report report;
  artifacts::ResultSource source = artifacts::PipelineRunResults(run);
  for (const artifacts::Result* r : source.results) {
    report.Mention(source.scope, r->name, "not a type hint");
  }
  for (const ExecutedChild& child : selection.executed) {
    if (options.deep_inspection) {
      MentionTaskRun(*child.run, options, &report);
    } else {
      for (const artifacts::Result& r : child.run->status.results) {
        report.Mention(artifacts::TaskRunScope(*child.run), r.name,
                       "child results are only read with deep inspection");
      }
    }
  }
  absl::StatusOr<Predicate> predicate =
      options.format == Format::kSlsaV02
          ? SlsaV02ForPipelineRun(run, selection, options, &report)
          : SlsaV1ForPipelineRun(run, selection, options, &report);
  if (!predicate.ok()) return predicate.status();
  absl::StatusOr<Statement> out = Write(*std::move(predicate), options, std::move(report));
  if (out.ok()) out->ignored_children = std::move(selection.ignored);
  return out;
}

absl::StatusOr<Statement> BuildStatementFromDocuments(const RunDocument& run,
                                                      const std::vector<RunDocument>& children,
                                                      const FormatOptions& options) {
  const auto named = [](const RunDocument& doc, const absl::Status& status) {
    return absl::Status(status.code(), absl::StrCat(doc.name, ": ", status.message()));
  };
  absl::StatusOr<artifacts::TektonRun> parsed = artifacts::ParseRun(run.text);
  if (!parsed.ok()) return named(run, parsed.status());
  if (const TaskRun* task_run = std::get_if<TaskRun>(&*parsed)) {
    if (!children.empty()) {
      return named(run, absl::InvalidArgumentError(
                            "is a TaskRun; child TaskRuns can only be given for a PipelineRun"));
    }
    absl::StatusOr<Statement> statement = BuildStatement(*task_run, options);
    if (!statement.ok()) return named(run, statement.status());
    return statement;
  }
  std::vector<TaskRun> child_runs;
  for (const RunDocument& child : children) {
    absl::StatusOr<artifacts::TektonRun> child_run = artifacts::ParseRun(child.text);
    if (!child_run.ok()) return named(child, child_run.status());
    if (!std::holds_alternative<TaskRun>(*child_run)) {
      return named(child, absl::InvalidArgumentError("is not a TaskRun"));
    }
    child_runs.push_back(std::get<TaskRun>(*std::move(child_run)));
  }
  absl::StatusOr<Statement> statement =
      BuildStatement(std::get<PipelineRun>(*parsed), child_runs, options);
  if (!statement.ok()) return named(run, statement.status());
  return statement;
}

absl::StatusOr<std::string> PrettyPrint(const std::string& payload) {
  try {
    nlohmann::json parsed = nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) return absl::InvalidArgumentError("payload is not JSON");
    return parsed.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("payload is not JSON: ", e.what()));
  }
}

}  // namespace hallmark::chains::formats
