// Debian's python3-kubernetes client (the other real client the contract was measured with)
// against the real hallmark-apiserver binary: CustomObjectsApi list/paging/patch/watch of Tekton
// runs, CoreV1Api list/watch of config maps, reading a Secret, 409 and 410 handling.
#include <string>

#include "absl/strings/str_cat.h"
#include "base/testing/fixtures.h"
#include "base/testing/process.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/apiserver/testing/apiserver_process.h"

namespace hallmark::tests::apiserver {
namespace {

using ::hallmark::testing::RunCommand;
using ::hallmark::tests::apiserver::testing::ApiserverProcess;
using json = nlohmann::json;

TEST(PythonClient, ListWatchPatchAndErrors) {
  std::string dir = ::hallmark::testing::TempDir();
  ::hallmark::testing::WriteFileOrDie(dir + "/seed.yaml", R"(
apiVersion: tekton.dev/v1
kind: PipelineRun
metadata: {name: run-a, namespace: default}
spec: {pipelineRef: {name: build}}
---
apiVersion: tekton.dev/v1
kind: PipelineRun
metadata: {name: run-b, namespace: other}
spec: {pipelineRef: {name: build}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: chains-config, namespace: default}
data: {artifacts.oci.storage: oci}
---
apiVersion: v1
kind: Secret
metadata: {name: signing-secrets, namespace: default}
stringData: {cosign.key: k, cosign.password: p}
)");
  auto api = ApiserverProcess::Start({"--token", "py-token", "--seed", dir + "/seed.yaml"}, dir);
  ASSERT_TRUE(api.ok()) << api.status();
  // Make resourceVersion 1 too old, so the client's 410 handling shows.
  ASSERT_OK((*api)->Knob("POST", "/__hallmark/compact", ""));

  ::hallmark::testing::CommandOptions options;
  options.timeout = absl::Seconds(60);
  auto r = RunCommand({"/usr/bin/python3",
                       ::hallmark::testing::RunfilePath("tests/apiserver/python_client_check.py"),
                       (*api)->url(), "py-token"},
                      options);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->exit_code, 0) << r->err;
  json out = json::parse(r->out);
  EXPECT_EQ(r->err, "");
  EXPECT_EQ(out["runs"], json::parse(R"(["run-a","run-b"])"));
  EXPECT_EQ(out["page1"], json::parse(R"(["run-a"])"));
  EXPECT_EQ(out["page2"], json::parse(R"(["run-b"])"));
  // The change, then (allowWatchBookmarks) the bookmark kube-apiserver sends before a timeout.
  ASSERT_GE(out["run_events"].size(), 1u);
  EXPECT_EQ(out["run_events"][0], json::parse(R"(["MODIFIED","run-a","true"])"));
  for (size_t i = 1; i < out["run_events"].size(); ++i) {
    EXPECT_EQ(out["run_events"][i][0], "BOOKMARK");
  }
  EXPECT_EQ(out["conflict"], json::parse(R"([409,"Conflict"])"));
  EXPECT_EQ(out["configmaps"], json::parse(R"(["chains-config"])"));
  EXPECT_EQ(out["configmap_events"],
            json::parse(R"([["ADDED","from-python","v"],["MODIFIED","from-python","w"],
                            ["DELETED","from-python","w"]])"));
  EXPECT_EQ(out["secret_keys"], json::parse(R"(["cosign.key","cosign.password"])"));
  EXPECT_EQ(out["expired"][0], 410);

  // Every request authenticated with the token (python sends "authorization: Bearer ...").
  auto log = (*api)->Knob("GET", "/__hallmark/requests", "");
  ASSERT_TRUE(log.ok()) << log.status();
  int python_requests = 0;
  json requests = json::parse(*log)["requests"];
  for (const auto& req : requests) {
    if (req["userAgent"].get<std::string>().find("OpenAPI-Generator") == std::string::npos)
      continue;
    ++python_requests;
    EXPECT_NE(req["status"], 401) << req;
  }
  EXPECT_GE(python_requests, 12);
}

}  // namespace
}  // namespace hallmark::tests::apiserver
