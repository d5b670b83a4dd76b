#include "tests/deploy/deploy_test_base.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "base/testing/fixtures.h"

namespace hallmark::tests::deploy {

using ::hallmark::testing::BackgroundProcess;
using ::hallmark::testing::CommandOptions;
using ::hallmark::testing::CommandResult;
using ::hallmark::testing::RunfilePath;

CommandResult Exec(const std::vector<std::string>& argv, const CommandOptions& options) {
  absl::StatusOr<CommandResult> r = ::hallmark::testing::RunCommand(argv, options);
  EXPECT_TRUE(r.ok()) << argv[0] << ": " << r.status();
  return r.ok() ? *r : CommandResult{};
}

void DeployTest::SetUp() {
  dir_ = ::hallmark::testing::TempDir();
  CommandResult cp = Exec({"cp", "-rL", RunfilePath("deploy"), dir_});
  ASSERT_EQ(cp.exit_code, 0) << cp.err;
  deploy_ = dir_ + "/deploy";
}

void DeployTest::TearDown() {
  if (apiserver_ != nullptr) apiserver_->Stop();
}

absl::Status DeployTest::StartApiServer(const std::vector<std::string>& extra_args) {
  std::vector<std::string> argv = {RunfilePath("tests/apiserver/hallmark-apiserver"), "--listen",
                                   "127.0.0.1:0", "--request-log", dir_ + "/requests.jsonl"};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  HM_ASSIGN_OR_RETURN(apiserver_, BackgroundProcess::Start(argv, dir_ + "/apiserver.log"));
  HM_RETURN_IF_ERROR(apiserver_->WaitForOutput("listening on http://", absl::Seconds(20)));
  std::string log = apiserver_->Log();
  std::string url = log.substr(log.find("http://"));
  url = std::string(absl::StripAsciiWhitespace(url.substr(0, url.find('\n'))));
  kubeconfig_ = dir_ + "/kubeconfig";
  ::hallmark::testing::WriteFileOrDie(
      kubeconfig_,
      absl::StrCat("apiVersion: v1\nkind: Config\nclusters: [{name: l, cluster: {server: \"", url,
                   "\"}}]\nusers: [{name: u, user: {}}]\ncontexts: [{name: l, context: "
                   "{cluster: l, user: u}}]\ncurrent-context: l\n"));
  return absl::OkStatus();
}

std::vector<std::string> DeployTest::KubectlArgv() const {
  return {kKubectl, "--kubeconfig", kubeconfig_, "--cache-dir", dir_ + "/kube-cache"};
}

CommandResult DeployTest::Kubectl(const std::vector<std::string>& args,
                                  const std::string& stdin_data) {
  std::vector<std::string> argv = KubectlArgv();
  argv.insert(argv.end(), args.begin(), args.end());
  CommandOptions options;
  options.stdin_data = stdin_data;
  return Exec(argv, options);
}

std::string DeployTest::MustKubectl(const std::vector<std::string>& args,
                                    const std::string& stdin_data) {
  CommandResult r = Kubectl(args, stdin_data);
  EXPECT_EQ(r.exit_code, 0) << "kubectl " << absl::StrJoin(args, " ") << "\n" << r.out << r.err;
  return r.out;
}

CommandResult DeployTest::Hallmark(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {RunfilePath("cmd/hallmark")};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandOptions options;
  options.cwd = dir_;
  options.env["COSIGN_PASSWORD"] = cosign_password_;
  return Exec(argv, options);
}

}  // namespace hallmark::tests::deploy
