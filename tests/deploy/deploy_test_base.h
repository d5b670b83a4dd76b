// File: tests/deploy/deploy_test_base.h
//
// DeployTest: the fixture of the tests that install deploy/ with the real kubectl 1.32 against
// hallmark-apiserver. SetUp copies deploy/ into the test's folder (dir_, deploy_);
// StartApiServer runs hallmark-apiserver (request log in dir_/requests.jsonl) and writes a
// kubeconfig for it (kubeconfig_); Kubectl/MustKubectl/Hallmark run the real binaries.
// TearDown stops the API server: a derived fixture stops its own processes first.
#ifndef HALLMARK_TESTS_DEPLOY_DEPLOY_TEST_BASE_H_
#define HALLMARK_TESTS_DEPLOY_DEPLOY_TEST_BASE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "base/testing/process.h"
#include "gtest/gtest.h"

namespace hallmark::tests::deploy {

inline constexpr char kKubectl[] = "/usr/lib/google-cloud-sdk/bin/kubectl.1.32";

// Exec: runs `argv`; a command that cannot be started is a test failure (and an empty result).
::hallmark::testing::CommandResult Exec(const std::vector<std::string>& argv,
                                        const ::hallmark::testing::CommandOptions& options = {});

class DeployTest : public ::testing::Test {
 protected:
  // `cosign_password`: COSIGN_PASSWORD for Hallmark().
  explicit DeployTest(std::string cosign_password) : cosign_password_(std::move(cosign_password)) {}
  void SetUp() override;
  void TearDown() override;

  // StartApiServer: hallmark-apiserver on 127.0.0.1 with `extra_args`, and kubeconfig_ for it.
  absl::Status StartApiServer(const std::vector<std::string>& extra_args = {});

  // The kubectl command line every call uses: our kubeconfig, a cache of its own.
  std::vector<std::string> KubectlArgv() const;
  ::hallmark::testing::CommandResult Kubectl(const std::vector<std::string>& args,
                                             const std::string& stdin_data = "");
  // MustKubectl: Kubectl that must exit 0 (else a test failure); its stdout.
  std::string MustKubectl(const std::vector<std::string>& args, const std::string& stdin_data = "");
  // Hallmark: the built `hallmark` in dir_ with COSIGN_PASSWORD set.
  ::hallmark::testing::CommandResult Hallmark(const std::vector<std::string>& args);

  const std::string cosign_password_;
  std::string dir_, deploy_, kubeconfig_;
  std::unique_ptr<::hallmark::testing::BackgroundProcess> apiserver_;
};

}  // namespace hallmark::tests::deploy

#endif  // HALLMARK_TESTS_DEPLOY_DEPLOY_TEST_BASE_H_
