// Runs the built `hallmark provenance` on the Chains fixtures and checks what it prints.
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "base/testing/fixtures.h"
#include "base/testing/process.h"
#include "base/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace hallmark {
namespace {

using nlohmann::json;
using testing::CommandResult;
using ::testing::HasSubstr;

CommandResult Hallmark(std::vector<std::string> args, const std::string& stdin_data = "") {
  args.insert(args.begin(), {testing::RunfilePath("cmd/hallmark"), "provenance"});
  testing::CommandOptions options;
  options.stdin_data = stdin_data;
  absl::StatusOr<CommandResult> r = testing::RunCommand(args, options);
  EXPECT_OK(r.status());
  return r.ok() ? *r : CommandResult();
}

std::string Input(const std::string& path) {
  return testing::FixturePath("chains/unit-inputs/" + path);
}

json ParseOutput(const CommandResult& r) {
  json j = json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r.out << r.err;
  return j;
}

std::set<std::string> Subjects(const json& statement) {
  std::set<std::string> out;
  for (const json& s : statement.value("subject", json::array())) {
    out.insert(s["name"].get<std::string>() +
               "@sha256:" + s["digest"]["sha256"].get<std::string>());
  }
  return out;
}

TEST(ProvenanceCmdTest, TaskRunDefaultsToInToto) {
  CommandResult r = Hallmark({Input("pipeline-v1/taskrun1.json")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json statement = ParseOutput(r);
  EXPECT_EQ(statement["_type"], "https://in-toto.io/Statement/v0.1");
  EXPECT_EQ(statement["predicateType"], "https://slsa.dev/provenance/v0.2");
  EXPECT_EQ(statement["predicate"]["builder"]["id"], "https://tekton.dev/chains/v2");
  EXPECT_EQ(
      Subjects(statement),
      (std::set<std::string>{"gcr.io/my/image@sha256:"
                             "827521c857fdcd4374f4da5442fbae2edb01e7fbae285c3ec15673d4c1daecb7"}));
  // Compact: one line, as signed.
  EXPECT_EQ(r.out.find('\n'), r.out.size() - 1);
}

TEST(ProvenanceCmdTest, PipelineRunWithChildrenAndDeepInspection) {
  CommandResult r =
      Hallmark({"--format", "slsa/v2alpha4", "--deep-inspection", "--allow-unowned-children",
                "--builder-id", "test_builder-1", Input("slsa-v2alpha4/pipelinerun1.json"),
                Input("slsa-v2alpha4/taskrun1.json"), Input("slsa-v2alpha4/taskrun2.json")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json statement = ParseOutput(r);
  const std::string d1 = "827521c857fdcd4374f4da5442fbae2edb01e7fbae285c3ec15673d4c1daecb7";
  EXPECT_EQ(
      Subjects(statement),
      (std::set<std::string>{"abc@sha256:" + d1, "test.io/test/image@sha256:" + d1,
                             "index.docker.io/library/abc@sha256:" + d1,
                             "gcr.io/my/image/fromstep3@sha256:" + d1,
                             "gcr.io/my/image@sha256:"
                             "d31cc8328054de2bd93735f9cbf0ccfb6e0ee8f4c4225da7d8f8cb3900eaf466"}));
  EXPECT_EQ(statement["predicate"]["runDetails"]["builder"]["id"], "test_builder-1");
  EXPECT_EQ(statement["predicate"]["runDetails"]["byproducts"].size(), 9u);

  // Without deep inspection only the PipelineRun's own results count.
  r = Hallmark({"--format", "slsa/v2alpha4", "--allow-unowned-children",
                Input("slsa-v2alpha4/pipelinerun1.json"), Input("slsa-v2alpha4/taskrun1.json")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Subjects(ParseOutput(r)).size(), 3u);
}

TEST(ProvenanceCmdTest, UnownedChildrenAreIgnoredByDefault) {
  CommandResult r =
      Hallmark({"--format", "slsa/v2alpha3", "--deep-inspection",
                Input("slsa-v2alpha3/pipelinerun1.json"), Input("slsa-v2alpha3/taskrun1.json")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("Warning: child TaskRun taskrun-build ignored"));
  EXPECT_THAT(r.err, HasSubstr("CVE-2023-37264"));
  // gcr.io/my/image comes only from the (ignored) child.
  for (const std::string& s : Subjects(ParseOutput(r)))
    EXPECT_EQ(s.find("gcr.io/my/image"), std::string::npos);
}

TEST(ProvenanceCmdTest, PrettyYamlAndStdin) {
  std::string yaml =
      testing::FixturePath("chains/e2e/inputs/pipelineruns/pipeline-output-image.yaml");
  CommandResult r = Hallmark({"--format", "slsa/v2alpha3", "--pretty", yaml});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GT(std::count(r.out.begin(), r.out.end(), '\n'), 10);
  json statement = ParseOutput(r);
  EXPECT_EQ(statement["predicate"]["buildDefinition"]["externalParameters"]["runSpec"]["params"][0]
                     ["value"],
            "my-git-commit");

  r = Hallmark({"--format", "slsa/v2alpha3", "-"},
               testing::ReadFixture("chains/e2e/inputs/type-hinting/taskrun.json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ParseOutput(r)["_type"], "https://in-toto.io/Statement/v1");
}

TEST(ProvenanceCmdTest, ExplainPrintsOneLinePerResult) {
  CommandResult r =
      Hallmark({"--format", "slsa/v2alpha4", "--explain", Input("slsa-v2alpha4/taskrun1.json")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = absl::StrSplit(r.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 5u) << r.out;
  EXPECT_THAT(r.out, HasSubstr("taskrun/taskrun-build IMAGE_DIGEST: artifact: OCI image "
                               "gcr.io/my/image@sha256:"
                               "d31cc8328054de2bd93735f9cbf0ccfb6e0ee8f4c4225da7d8f8cb3900eaf466"));
  EXPECT_THAT(r.out, HasSubstr("taskrun/taskrun-build/step/step1 step1_result1: ignored: not a "
                               "type hint"));

  // A malformed hint is explained, and the statement is still produced.
  std::string dir = testing::TempDir();
  std::string bad = dir + "/bad.json";
  testing::WriteFileOrDie(bad, R"({"metadata": {"name": "t"}, "status": {"results": [
      {"name": "IMAGE_URL", "value": "gcr.io/a/b"},
      {"name": "IMAGE_DIGEST", "value": "sha256:a123"},
      {"name": "out-ARTIFACT_OUTPUTS", "value": {"uri": "gcr.io/a/c"}}]}})");
  r = Hallmark({"--explain", bad});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("taskrun/t IMAGE_DIGEST: rejected:"));
  EXPECT_THAT(r.out, HasSubstr("taskrun/t out-ARTIFACT_OUTPUTS: rejected: object has no digest"));
  r = Hallmark({bad});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(ParseOutput(r).contains("subject"));
}

TEST(ProvenanceCmdTest, BadInputExitsOneWithAMessage) {
  std::string dir = testing::TempDir();
  std::string broken = dir + "/broken.json";
  testing::WriteFileOrDie(broken, "{\"status\": {\"results\": [{\"name\": 7}]}}");
  CommandResult r = Hallmark({broken});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("Error: " + broken + ": status.results[0].name: expected a string"));
  EXPECT_TRUE(r.out.empty());

  r = Hallmark({dir + "/missing.json"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("missing.json"));

  r = Hallmark({"--format", "tekton", Input("pipeline-v1/taskrun1.json")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("invalid format \"tekton\""));

  r = Hallmark({Input("pipeline-v1/taskrun1.json"), Input("pipeline-v1/taskrun2.json")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("child TaskRuns can only be given for a PipelineRun"));

  r = Hallmark({"--format", "slsa/v2alpha3", "--build-type", "https://example.com/x",
                Input("pipeline-v1/taskrun1.json")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("unsupported buildType"));
}

}  // namespace
}  // namespace hallmark
