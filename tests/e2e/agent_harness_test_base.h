// File: tests/e2e/agent_harness_test_base.h
//
// AgentHarnessTest: the gtest fixture the agent's end-to-end, fault and security tests share.
// Start() brings up an AgentHarness (API server, registry, agent) into h_; TearDown checks that
// no secret reached any agent log. Tests derive from it and add their own helpers.
#ifndef HALLMARK_TESTS_E2E_AGENT_HARNESS_TEST_BASE_H_
#define HALLMARK_TESTS_E2E_AGENT_HARNESS_TEST_BASE_H_

#include <memory>

#include "base/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "tests/e2e/agent_harness.h"

namespace hallmark::tests::e2e {

class AgentHarnessTest : public ::testing::Test {
 protected:
  void Start(HarnessOptions options = {}) {
    ASSERT_OK_AND_ASSIGN(h_, AgentHarness::Start(options));
  }
  void TearDown() override {
    if (h_ != nullptr) {
      EXPECT_OK(h_->NoSecretsInLogs());
    }
  }
  std::unique_ptr<AgentHarness> h_;
};

}  // namespace hallmark::tests::e2e

#endif  // HALLMARK_TESTS_E2E_AGENT_HARNESS_TEST_BASE_H_
