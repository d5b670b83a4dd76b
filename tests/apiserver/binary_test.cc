// The hallmark-apiserver command line as tests, the demo and users rely on it: --help, the one
// stdout line, SIGTERM, --data, --seed, --request-log, bad flags.
#include <csignal>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/file.h"
#include "base/testing/fixtures.h"
#include "base/testing/process.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"

namespace hallmark::tests::apiserver {
namespace {

using ::hallmark::testing::BackgroundProcess;
using ::hallmark::testing::ReadFileOrDie;
using ::hallmark::testing::RunCommand;
using ::hallmark::testing::RunfilePath;
using ::hallmark::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using json = nlohmann::json;

std::string Binary() { return RunfilePath("tests/apiserver/hallmark-apiserver"); }

TEST(Binary, HelpDocumentsEveryFlag) {
  auto r = RunCommand({Binary(), "--help"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0);
  for (const char* flag :
       {"--listen", "--tls-cert", "--tls-key", "--tls-self-signed", "--client-ca", "--token",
        "--data", "--seed", "--webhook-host", "--request-log", "/__hallmark/", "listening on"}) {
    EXPECT_THAT(r->out, HasSubstr(flag));
  }
}

TEST(Binary, BadFlagsFailWithAMessage) {
  auto listen = RunCommand({Binary(), "--listen", "nonsense"});
  ASSERT_TRUE(listen.ok());
  EXPECT_EQ(listen->exit_code, 2);
  EXPECT_EQ(listen->err, "hallmark-apiserver: --listen wants HOST:PORT, got \"nonsense\"\n");
  auto tls = RunCommand({Binary(), "--tls-cert", "/nonexistent.crt"});
  ASSERT_TRUE(tls.ok());
  EXPECT_EQ(tls->exit_code, 1);
  EXPECT_EQ(tls->err, "hallmark-apiserver: --tls-cert and --tls-key go together\n");
  auto seed = RunCommand({Binary(), "--seed", "/nonexistent/seed"});
  ASSERT_TRUE(seed.ok());
  EXPECT_EQ(seed->exit_code, 1);
  EXPECT_THAT(seed->err, HasSubstr("seed path /nonexistent/seed does not exist"));
  EXPECT_TRUE(seed->out.empty());
}

TEST(Binary, OneLineOnStdoutSigtermFlushesData) {
  std::string dir = TempDir();
  ::hallmark::testing::WriteFileOrDie(dir + "/seed.json",
                                      R"({"apiVersion":"v1","kind":"ConfigMap",
                                          "metadata":{"name":"seeded","namespace":"default"}})");
  // stdout alone goes to the log; stderr elsewhere.
  std::string cmd =
      absl::StrCat("exec ", Binary(), " --listen 127.0.0.1:0 --data ", dir, "/store.json --seed ",
                   dir, "/seed.json --request-log ", dir, "/requests.jsonl 2>", dir, "/stderr.log");
  auto p = BackgroundProcess::Start({"/bin/sh", "-c", cmd}, dir + "/stdout.log");
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_OK((*p)->WaitForOutput("listening on ", absl::Seconds(20)));
  absl::SleepFor(absl::Milliseconds(100));
  std::string out = (*p)->Log();
  EXPECT_THAT(out, MatchesRegex("listening on http://127\\.0\\.0\\.1:[0-9]+\n"));
  int port = std::stoi(out.substr(out.rfind(':') + 1));
  httplib::Client c("127.0.0.1", port);
  auto created = c.Post("/api/v1/namespaces/default/configmaps",
                        R"({"metadata":{"name":"written-before-sigterm"}})", "application/json");
  ASSERT_TRUE(created);
  EXPECT_EQ(created->status, 201);
  EXPECT_EQ((*p)->Stop(), 0);   // SIGTERM: a clean exit
  EXPECT_EQ((*p)->Log(), out);  // nothing else on stdout
  std::string data = ReadFileOrDie(dir + "/store.json");
  EXPECT_THAT(data, HasSubstr("\"name\":\"written-before-sigterm\""));
  EXPECT_THAT(data, HasSubstr("\"name\":\"seeded\""));
  std::string requests = ReadFileOrDie(dir + "/requests.jsonl");
  std::vector<std::string> lines = absl::StrSplit(requests, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 1u);
  json line = json::parse(lines[0]);
  EXPECT_EQ(line["method"], "POST");
  EXPECT_EQ(line["verb"], "create");
  EXPECT_EQ(line["status"], 201);

  // Restarted on the same data file, it serves what it had.
  auto again = BackgroundProcess::Start(
      {Binary(), "--listen", "127.0.0.1:0", "--data", dir + "/store.json"}, dir + "/again.log");
  ASSERT_TRUE(again.ok());
  ASSERT_OK((*again)->WaitForOutput("listening on ", absl::Seconds(20)));
  std::string log = (*again)->Log();
  int port2 = std::stoi(log.substr(log.rfind(':') + 1));
  httplib::Client c2("127.0.0.1", port2);
  auto got = c2.Get("/api/v1/namespaces/default/configmaps/written-before-sigterm");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ((*again)->Stop(), 0);
}

TEST(Binary, SigtermIsQuickWithAnIdleKeepAliveConnection) {
  // httplib used to wait for the keep-alive timeout (5 s) of every idle connection before it
  // exited, so a stop with a client still connected ran into BackgroundProcess's SIGKILL.
  std::string dir = TempDir();
  auto p = BackgroundProcess::Start({Binary(), "--listen", "127.0.0.1:0"}, dir + "/log");
  ASSERT_TRUE(p.ok());
  ASSERT_OK((*p)->WaitForOutput("listening on ", absl::Seconds(20)));
  std::string log = (*p)->Log();
  int port = std::stoi(log.substr(log.rfind(':') + 1));
  httplib::Client c("127.0.0.1", port);
  c.set_keep_alive(true);
  for (int i = 0; i < 2; ++i) {  // the second request proves the connection is kept alive
    auto got = c.Get("/version");
    ASSERT_TRUE(got);
    EXPECT_EQ(got->status, 200);
  }
  absl::Time start = absl::Now();
  EXPECT_EQ((*p)->Stop(), 0);  // SIGTERM, and not the SIGKILL that follows after 5 s
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
}

TEST(Binary, AnEscapedExceptionIsA500NamingTheRequestAndLogged) {
  std::string dir = TempDir();
  auto p = BackgroundProcess::Start(
      {Binary(), "--listen", "127.0.0.1:0", "--request-log", dir + "/requests.jsonl"},
      dir + "/log");
  ASSERT_TRUE(p.ok());
  ASSERT_OK((*p)->WaitForOutput("listening on ", absl::Seconds(20)));
  std::string log = (*p)->Log();
  int port = std::stoi(log.substr(log.find("127.0.0.1:") + 10));
  httplib::Client c("127.0.0.1", port);
  auto rule = c.Post("/__hallmark/faults",
                     R"({"path":"/api/v1/namespaces/default/configmaps","exception":"boom"})",
                     "application/json");
  ASSERT_TRUE(rule);
  ASSERT_EQ(rule->status, 200) << rule->body;
  auto failed = c.Get("/api/v1/namespaces/default/configmaps?limit=1");
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->status, 500);
  json status = json::parse(failed->body, nullptr, false);
  EXPECT_EQ(status["reason"], "InternalError");
  EXPECT_EQ(status["message"],
            "Internal error occurred: unexpected error handling GET "
            "/api/v1/namespaces/default/configmaps: boom");
  // The server keeps serving (the rule was for one request).
  auto next = c.Get("/api/v1/namespaces/default/configmaps");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ((*p)->Stop(), 0);
  EXPECT_THAT((*p)->Log(), MatchesRegex("(.|\n)*request handler failed with an exception.*"
                                        "GET.*/api/v1/namespaces/default/configmaps.*boom(.|\n)*"));
  std::vector<std::string> lines =
      absl::StrSplit(ReadFileOrDie(dir + "/requests.jsonl"), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(json::parse(lines[0])["status"], 500);
}

TEST(Binary, UpdatesWriteNoFreedMemory) {
  // glibc fills freed memory with 0xa5 here (MALLOC_PERTURB_, with its thread cache off so every
  // free is filled): a write through a dangling pointer then fails at once instead of corrupting
  // the heap unnoticed. Every update used to write the new resourceVersion into the metadata of
  // the object admission had just replaced: here every PUT and PATCH answered 500 "cannot use
  // operator[] with a string argument with number"; without the knobs the heap was silently
  // corrupted, and `kubectl replace` of a ConfigMap crashed the server (SIGSEGV) now and then.
  std::string dir = TempDir();
  ::hallmark::testing::CommandOptions options;
  options.env["GLIBC_TUNABLES"] = "glibc.malloc.tcache_count=0";
  options.env["MALLOC_PERTURB_"] = "165";
  auto p = BackgroundProcess::Start({Binary(), "--listen", "127.0.0.1:0"}, dir + "/log", options);
  ASSERT_TRUE(p.ok());
  ASSERT_OK((*p)->WaitForOutput("listening on ", absl::Seconds(20)));
  std::string log = (*p)->Log();
  int port = std::stoi(log.substr(log.find("127.0.0.1:") + 10));
  httplib::Client c("127.0.0.1", port);
  const std::string cms = "/api/v1/namespaces/default/configmaps";
  auto created = c.Post(cms, R"({"metadata":{"name":"c"},"data":{"a":"1"}})", "application/json");
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;
  auto put = c.Put(cms + "/c",
                   R"({"apiVersion":"v1","kind":"ConfigMap",)"
                   R"("metadata":{"name":"c","namespace":"default"},"data":{"a":"2"}})",
                   "application/json");
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 200) << put->body;
  auto patched = c.Patch(cms + "/c", R"({"data":{"a":"3"}})", "application/merge-patch+json");
  ASSERT_TRUE(patched);
  EXPECT_EQ(patched->status, 200) << patched->body;
  // A TaskRun completed as Tekton does it (scripts/demo too): create, then patch /status.
  const std::string trs = "/apis/tekton.dev/v1/namespaces/default/taskruns";
  auto run = c.Post(trs,
                    R"({"apiVersion":"tekton.dev/v1","kind":"TaskRun",)"
                    R"("metadata":{"name":"r"},"spec":{"taskRef":{"name":"t"}}})",
                    "application/json");
  ASSERT_TRUE(run);
  ASSERT_EQ(run->status, 201) << run->body;
  auto status = c.Patch(trs + "/r/status",
                        R"({"status":{"conditions":[{"type":"Succeeded","status":"True"}]}})",
                        "application/merge-patch+json");
  ASSERT_TRUE(status);
  EXPECT_EQ(status->status, 200) << status->body;
  auto got = c.Get(cms + "/c");
  ASSERT_TRUE(got);
  json cm = json::parse(got->body, nullptr, false);
  ASSERT_FALSE(cm.is_discarded()) << got->body;
  EXPECT_EQ(cm["data"]["a"], "3");
  EXPECT_EQ((*p)->Stop(), 0);
}

TEST(Binary, ListensOnIpv6Loopback) {
  std::string dir = TempDir();
  auto p = BackgroundProcess::Start({Binary(), "--listen", "[::1]:0"}, dir + "/log");
  ASSERT_TRUE(p.ok());
  ASSERT_OK((*p)->WaitForOutput("listening on ", absl::Seconds(20)));
  EXPECT_THAT((*p)->Log(), MatchesRegex("listening on http://\\[::1\\]:[0-9]+\n"));
  EXPECT_EQ((*p)->Stop(), 0);
}

}  // namespace
}  // namespace hallmark::tests::apiserver
