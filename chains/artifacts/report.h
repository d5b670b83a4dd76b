// File: chains/artifacts/report.h
//
// What type hinting made of each result: an artifact, an input, or why it was skipped. Chains only
// logs malformed type hints (mostly at debug level) and signs the run anyway; we do the same but
// keep a structured list the agent can log and count, and that `hallmark provenance --explain`
// prints one line per result.
#ifndef HALLMARK_CHAINS_ARTIFACTS_REPORT_H_
#define HALLMARK_CHAINS_ARTIFACTS_REPORT_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace hallmark::chains::artifacts {

enum class Outcome {
  kArtifact,  // produced an output artifact (a subject, or an image to sign)
  kInput,     // produced an input (a material / resolved dependency)
  kRejected,  // a malformed type hint: skipped (the run is still attested)
  kIgnored,   // not a type hint, or one the chosen format does not read
};

absl::string_view OutcomeName(Outcome outcome);  // "artifact", "input", "rejected", "ignored"

struct ResultNote {
  // Where the result was read: "taskrun/<name>", "taskrun/<name>/step/<step>",
  // "pipelinerun/<name>" (a child TaskRun of a PipelineRun has its own "taskrun/..." scope).
  std::string scope;
  std::string result;  // the result name
  Outcome outcome;
  std::string detail;  // what it became, or why it was skipped; never a secret (results are public)
};

class Report {
 public:
  // Add records a note; an identical note (same scope, result, outcome and detail) is kept once.
  void Add(absl::string_view scope, absl::string_view result, Outcome outcome, std::string detail);
  // Mention records that a result was looked at: if no other note exists for it, ExplainLines
  // shows it with `detail` (e.g. "not a type hint").
  void Mention(absl::string_view scope, absl::string_view result, std::string detail);
  void Merge(const Report& other);

  // notes: every note except the Mention placeholders, in the order they were added.
  std::vector<ResultNote> notes() const;
  // Rejections: the kRejected notes (malformed type hints), for logging and counting.
  std::vector<ResultNote> Rejections() const;
  // ExplainLines: one line per result, in the order results were first seen:
  // "<scope> <result>: <outcome>: <detail>[; <outcome>: <detail>...]".
  std::vector<std::string> ExplainLines() const;

 private:
  struct Entry {
    ResultNote note;
    bool placeholder;
  };
  std::vector<Entry> entries_;
};

}  // namespace hallmark::chains::artifacts

#endif  // HALLMARK_CHAINS_ARTIFACTS_REPORT_H_
