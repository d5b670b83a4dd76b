// Conformance with Tekton Chains' formatter unit tests: every file of
// fixtures/chains/expected-summaries (hand-transcribed from the upstream Go tests) is run through
// BuildStatement and compared with the rules of fixtures/chains/README.md:
//   1. only keys a summary lists are checked; "<== input .spec>" means the input's spec, and an
//      internalParameters "note" means the input's feature flags, passed through;
//   2. `subject: null` and an empty list mean the key is absent (protobuf JSON drops them), and an
//      empty object means exactly `{}`;
//   3. lists are ordered, except those the summary's `order_significant` says are sets;
//   4. byproducts carry base64 `content` (checked against `content_decoded`);
//   5. always parsed JSON, never bytes.
// Dotted keys ("invocation.parameters") are paths; "buildConfig.tasks[*]" lists the tasks.
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "base/encoding.h"
#include "base/testing/fixtures.h"
#include "base/testing/status_matchers.h"
#include "chains/artifacts/run.h"
#include "chains/formats/options.h"
#include "chains/formats/statement.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace hallmark::chains::formats {
namespace {

using artifacts::PipelineRun;
using artifacts::TaskRun;
using artifacts::TektonRun;
using nlohmann::json;

json ParseOrDie(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  EXPECT_FALSE(j.is_discarded());
  return j;
}

struct Checker {
  std::set<std::string> unordered;  // list keys compared as sets
  json input;                       // the input run, for "<== input .spec>" and feature flags
  std::vector<std::string> errors;

  void Fail(const std::string& path, const std::string& what) {
    errors.push_back(path + ": " + what);
  }

  // Match checks `exp` against `act` (nullptr: absent) at `path`; `key` is the last key.
  void Match(const json& exp, const json* act, const std::string& path, const std::string& key) {
    // README rule 2: `subject: null` and empty lists stand for an absent key.
    if ((exp.is_null() && key == "subject") || (exp.is_array() && exp.empty())) {
      if (act != nullptr) Fail(path, "should be absent, got " + act->dump());
      return;
    }
    if (act == nullptr) {
      Fail(path, "missing");
      return;
    }
    if (exp.is_string() && exp.get<std::string>().rfind("<==", 0) == 0) {
      json spec = input.contains("spec") ? input["spec"] : json::object();
      if (*act != spec) Fail(path, "is not the input's spec: " + act->dump());
      return;
    }
    if (exp.is_object()) {
      if (!act->is_object()) return Fail(path, "not an object: " + act->dump());
      if (key == "internalParameters" && exp.contains("note")) {
        json flags = input["status"]["provenance"]["featureFlags"];
        if (!act->contains("tekton-pipelines-feature-flags") ||
            (*act)["tekton-pipelines-feature-flags"] != flags) {
          Fail(path, "does not pass the feature flags through: " + act->dump());
        }
        return;
      }
      if (exp.empty() && !act->empty()) return Fail(path, "should be {}, got " + act->dump());
      for (auto it = exp.begin(); it != exp.end(); ++it) {
        const std::string& k = it.key();
        std::string sub = path + "." + k;
        if (k == "content_decoded") {
          if (Base64Encode(it->get<std::string>()) != exp["content"].get<std::string>()) {
            Fail(sub, "summary's content and content_decoded disagree");
          }
          continue;
        }
        if (act->contains(k)) {
          Match(*it, &(*act)[k], sub, k);
          continue;
        }
        // A dotted path, possibly ending in a list ("buildConfig.tasks[*]").
        const json* node = act;
        std::string rest = k;
        std::string last = k;
        while (node != nullptr && !rest.empty()) {
          size_t dot = rest.find('.');
          last = rest.substr(0, dot);
          std::string name = last;
          if (name.size() > 3 && name.compare(name.size() - 3, 3, "[*]") == 0) {
            name.resize(name.size() - 3);
          }
          node = (node->is_object() && node->contains(name)) ? &(*node)[name] : nullptr;
          rest = dot == std::string::npos ? "" : rest.substr(dot + 1);
        }
        Match(*it, node, sub, last);
      }
      return;
    }
    if (exp.is_array()) {
      if (!act->is_array()) return Fail(path, "not a list: " + act->dump());
      if (act->size() != exp.size()) {
        return Fail(path, "has " + std::to_string(act->size()) + " entries, want " +
                              std::to_string(exp.size()) + ": " + act->dump());
      }
      if (!unordered.count(key)) {
        for (size_t i = 0; i < exp.size(); ++i) {
          Match(exp[i], &(*act)[i], path + "[" + std::to_string(i) + "]", key);
        }
        return;
      }
      std::vector<bool> used(act->size(), false);
      for (size_t i = 0; i < exp.size(); ++i) {
        bool found = false;
        for (size_t j = 0; j < act->size() && !found; ++j) {
          if (used[j]) continue;
          Checker probe{unordered, input, {}};
          probe.Match(exp[i], &(*act)[j], path, key);
          if (probe.errors.empty()) found = used[j] = true;
        }
        if (!found) Fail(path, "no entry matches " + exp[i].dump() + " in " + act->dump());
      }
      return;
    }
    if (exp != *act) Fail(path, "is " + act->dump() + ", want " + exp.dump());
  }
};

std::set<std::string> UnorderedKeys(const json& order) {
  if (order.is_boolean()) return {};
  std::string text = order.get<std::string>();
  if (text.rfind("no", 0) == 0) return {"subject", "resolvedDependencies", "byproducts"};
  if (text.find("materials compared as an unordered set") != std::string::npos) {
    return {"materials"};
  }
  ADD_FAILURE() << "unknown order_significant: " << text;
  return {};
}

FormatOptions OptionsFor(const json& summary) {
  FormatOptions options;
  std::string format = summary["format"].get<std::string>();
  absl::StatusOr<Format> parsed = ParseFormat(format.substr(0, format.find(' ')));
  EXPECT_OK(parsed.status());
  if (parsed.ok()) options.format = *parsed;
  const json& config = summary["config"];
  if (config.contains("builder.id")) options.builder_id = config["builder.id"];
  if (config.contains("artifacts.pipelinerun.enable-deep-inspection")) {
    options.deep_inspection = config["artifacts.pipelinerun.enable-deep-inspection"];
  }
  if (config.contains("builddefinition.buildtype")) {
    std::string type = config["builddefinition.buildtype"];
    if (type.rfind("https://", 0) == 0) options.build_type = type;
  }
  // The upstream inputs are hand-written and carry no ownerReferences.
  options.allow_unowned_children = true;
  return options;
}

absl::StatusOr<Statement> Build(const json& summary, json* input) {
  FormatOptions options = OptionsFor(summary);
  std::string run_text =
      testing::ReadFixture("chains/" + summary["inputs"]["run"].get<std::string>());
  *input = ParseOrDie(run_text);
  absl::StatusOr<TektonRun> run = artifacts::ParseRun(run_text);
  if (!run.ok()) return run.status();
  if (const TaskRun* tr = std::get_if<TaskRun>(&*run)) return BuildStatement(*tr, options);
  std::vector<TaskRun> children;
  if (summary["inputs"].contains("child_taskruns")) {
    for (const json& path : summary["inputs"]["child_taskruns"]) {
      absl::StatusOr<TektonRun> child =
          artifacts::ParseRun(testing::ReadFixture("chains/" + path.get<std::string>()));
      if (!child.ok()) return child.status();
      children.push_back(std::get<TaskRun>(*child));
    }
  }
  return BuildStatement(std::get<PipelineRun>(*run), children, options);
}

class ExpectedSummaryTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ExpectedSummaryTest, MatchesUpstream) {
  json summary = ParseOrDie(testing::ReadFixture("chains/expected-summaries/" + GetParam()));
  json input;
  ASSERT_OK_AND_ASSIGN(Statement statement, Build(summary, &input));
  json got = ParseOrDie(statement.payload);
  EXPECT_EQ(summary["kind"], std::string(artifacts::KindOf(*artifacts::RunFromJson(input))));

  Checker checker{UnorderedKeys(summary["order_significant"]), input, {}};
  checker.Match(summary["expect"], &got, "statement", "");
  for (const std::string& e : checker.errors) ADD_FAILURE() << GetParam() << ": " << e;
  EXPECT_TRUE(statement.ignored_children.empty());

  // The subjects handed to storage are the statement's.
  size_t subjects = got.contains("subject") ? got["subject"].size() : 0;
  EXPECT_EQ(statement.subjects.size(), subjects);
}

std::vector<std::string> SummaryFiles() {
  std::vector<std::string> files;
  for (const auto& entry :
       std::filesystem::directory_iterator(testing::FixturePath("chains/expected-summaries"))) {
    std::string name = entry.path().filename().string();
    if (name != "type-hinting-vectors.json") files.push_back(name);
  }
  std::sort(files.begin(), files.end());
  return files;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ExpectedSummaryTest, ::testing::ValuesIn(SummaryFiles()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param.substr(0, info.param.size() - 5);
                           for (char& c : name) {
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

TEST(ExpectedSummaryFilesTest, AllFourteenAreCovered) { EXPECT_EQ(SummaryFiles().size(), 14u); }

// The comparison itself must catch differences, or the tests above prove nothing.
TEST(ExpectedSummaryFilesTest, CheckerCatchesDifferences) {
  json summary =
      ParseOrDie(testing::ReadFixture("chains/expected-summaries/slsa-v1_taskrun1.json"));
  json input;
  ASSERT_OK_AND_ASSIGN(Statement statement, Build(summary, &input));
  const json good = ParseOrDie(statement.payload);
  const auto errors = [&](const json& got, std::set<std::string> unordered) {
    Checker checker{std::move(unordered), input, {}};
    checker.Match(summary["expect"], &got, "statement", "");
    return checker.errors.size();
  };
  EXPECT_EQ(errors(good, {}), 0u);

  json changed = good;
  changed["subject"][0]["digest"]["sha256"] = "00";
  EXPECT_GT(errors(changed, {}), 0u);
  changed = good;
  changed["subject"].push_back(good["subject"][0]);
  EXPECT_GT(errors(changed, {}), 0u);
  changed = good;
  std::swap(changed["predicate"]["materials"][0], changed["predicate"]["materials"][1]);
  EXPECT_GT(errors(changed, {}), 0u);
  EXPECT_EQ(errors(changed, {"materials"}), 0u);  // the same list compared as a set
  changed = good;
  changed["predicate"]["invocation"]["parameters"].erase("IMAGE");
  EXPECT_GT(errors(changed, {}), 0u);
  changed = good;
  changed["predicate"]["buildConfig"]["steps"][0]["arguments"] = json::array();
  EXPECT_GT(errors(changed, {}), 0u);
  changed = good;
  changed.erase("subject");
  EXPECT_GT(errors(changed, {}), 0u);
}

// The "deep-inspection-merging" vector of type-hinting-vectors.json: a PipelineRun with one child
// per pair of IMAGE_URL/IMAGE_DIGEST results, formatted with slsa/v1 and slsa/v2alpha3.
TEST(DeepInspectionVectorTest, MergesChildAndPipelineSubjects) {
  json doc =
      ParseOrDie(testing::ReadFixture("chains/expected-summaries/type-hinting-vectors.json"));
  int cases = 0;
  for (const json& v : doc["vectors"]) {
    if (v["id"] != "deep-inspection-merging") continue;
    for (const json& c : v["cases"]) {
      json pr = {
          {"kind", "PipelineRun"},
          {"metadata", {{"name", "pr"}, {"uid", "pr-uid"}}},
          {"status", {{"pipelineSpec", {{"tasks", json::array()}}}, {"results", json::array()}}}};
      std::vector<TaskRun> children;
      int i = 0;
      for (const json& pair : c["taskrun_results"]) {
        std::string task = "t" + std::to_string(i++);
        pr["status"]["pipelineSpec"]["tasks"].push_back({{"name", task}});
        json child = {
            {"kind", "TaskRun"},
            {"metadata",
             {{"name", "pr-" + task},
              {"labels", {{"tekton.dev/pipelineTask", task}}},
              {"ownerReferences", {{{"kind", "PipelineRun"}, {"name", "pr"}, {"uid", "pr-uid"}}}}}},
            {"status",
             {{"completionTime", "2021-03-29T09:50:15Z"},
              {"results",
               {{{"name", "IMAGE_URL"}, {"value", pair[0]}},
                {{"name", "IMAGE_DIGEST"}, {"value", pair[1]}}}}}}};
        ASSERT_OK_AND_ASSIGN(TaskRun tr, TaskRun::FromJson(child));
        children.push_back(tr);
      }
      if (c.contains("pipeline_results")) {
        for (auto it = c["pipeline_results"].begin(); it != c["pipeline_results"].end(); ++it) {
          pr["status"]["results"].push_back({{"name", "IMAGE_URL"}, {"value", it.key()}});
          pr["status"]["results"].push_back({{"name", "IMAGE_DIGEST"}, {"value", *it}});
        }
      }
      ASSERT_OK_AND_ASSIGN(PipelineRun run, PipelineRun::FromJson(pr));
      for (Format format : {Format::kSlsaV02, Format::kSlsaV2Alpha3}) {
        FormatOptions options;
        options.format = format;
        options.deep_inspection = c["deep"].get<bool>();
        ASSERT_OK_AND_ASSIGN(Statement statement, BuildStatement(run, children, options));
        std::vector<std::string> got;
        const json payload = ParseOrDie(statement.payload);
        for (const json& s : payload["subject"]) {
          got.push_back(s["name"].get<std::string>() +
                        "@sha256:" + s["digest"]["sha256"].get<std::string>());
        }
        std::vector<std::string> want =
            c.contains("expected_subjects")
                ? c["expected_subjects"].get<std::vector<std::string>>()
                : c["expected_subjects_unordered"].get<std::vector<std::string>>();
        if (!c.contains("expected_subjects")) {
          std::sort(got.begin(), got.end());
          std::sort(want.begin(), want.end());
        }
        EXPECT_EQ(got, want) << c["name"] << " " << FormatName(format);
      }
      ++cases;
    }
  }
  EXPECT_EQ(cases, 4);
}

}  // namespace
}  // namespace hallmark::chains::formats
