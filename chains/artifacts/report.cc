#include "chains/artifacts/report.h"

#include <map>
#include <utility>

#include "absl/strings/str_cat.h"

namespace hallmark::chains::artifacts {

absl::string_view OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kArtifact:
      return "artifact";
    case Outcome::kInput:
      return "input";
    case Outcome::kRejected:
      return "rejected";
    case Outcome::kIgnored:
      return "ignored";
  }
  return "ignored";
}

void Report::Add(absl::string_view scope, absl::string_view result, Outcome outcome,
                 std::string detail) {
  for (const Entry& e : entries_) {
    if (!e.placeholder && e.note.scope == scope && e.note.result == result &&
        e.note.outcome == outcome && e.note.detail == detail) {
      return;
    }
  }
  entries_.push_back(Entry{
      ResultNote{std::string(scope), std::string(result), outcome, std::move(detail)}, false});
}

void Report::Mention(absl::string_view scope, absl::string_view result, std::string detail) {
  for (const Entry& e : entries_) {
    if (e.note.scope == scope && e.note.result == result) return;
  }
  entries_.push_back(Entry{
      ResultNote{std::string(scope), std::string(result), Outcome::kIgnored, std::move(detail)},
      true});
}

void Report::Merge(const Report& other) {
  for (const Entry& e : other.entries_) {
    if (e.placeholder) {
      Mention(e.note.scope, e.note.result, e.note.detail);
    } else {
      Add(e.note.scope, e.note.result, e.note.outcome, e.note.detail);
    }
  }
}

std::vector<ResultNote> Report::notes() const {
  std::vector<ResultNote> out;
  for (const Entry& e : entries_) {
    if (!e.placeholder) out.push_back(e.note);
  }
  return out;
}

std::vector<ResultNote> Report::Rejections() const {
  std::vector<ResultNote> out;
  for (const Entry& e : entries_) {
    if (!e.placeholder && e.note.outcome == Outcome::kRejected) out.push_back(e.note);
  }
  return out;
}

std::vector<std::string> Report::ExplainLines() const {
  std::vector<std::pair<std::string, std::string>> order;  // (scope, result)
  std::map<std::pair<std::string, std::string>, std::vector<const Entry*>> by_key;
  for (const Entry& e : entries_) {
    auto key = std::make_pair(e.note.scope, e.note.result);
    auto [it, inserted] = by_key.try_emplace(key);
    if (inserted) order.push_back(key);
    it->second.push_back(&e);
  }
  std::vector<std::string> lines;
  for (const auto& key : order) {
    const std::vector<const Entry*>& entries = by_key[key];
    bool has_real = false;
    for (const Entry* e : entries) has_real = has_real || !e->placeholder;
    std::string line = absl::StrCat(key.first, " ", key.second, ": ");
    bool first = true;
    for (const Entry* e : entries) {
      if (has_real && e->placeholder) continue;
      if (!first) line.append("; ");
      first = false;
      absl::StrAppend(&line, OutcomeName(e->note.outcome), ": ", e->note.detail);
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

}  // namespace hallmark::chains::artifacts
