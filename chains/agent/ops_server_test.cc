#include "chains/agent/ops_server.h"

#include <atomic>
#include <string>

#include "absl/strings/str_cat.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"

namespace hallmark::chains::agent {
namespace {

using ::hallmark::testing::StatusIs;

TEST(OpsServerTest, ServesMetricsHealthAndReadiness) {
  std::atomic<bool> ready{false};
  ASSERT_OK_AND_ASSIGN(auto server,
                       OpsServer::Start(
                           "127.0.0.1:0", [] { return std::string("x_total 1\n"); },
                           [&] {
                             return Readiness{ready.load(), ready ? "leading" : "syncing"};
                           }));
  ASSERT_GT(server->port(), 0);
  httplib::Client client("127.0.0.1", server->port());
  auto metrics = client.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_EQ(metrics->body, "x_total 1\n");
  EXPECT_EQ(metrics->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  auto health = client.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto not_ready = client.Get("/readyz");
  ASSERT_TRUE(not_ready);
  EXPECT_EQ(not_ready->status, 503);
  EXPECT_EQ(not_ready->body, "not ready: syncing\n");
  ready = true;
  auto now_ready = client.Get("/readyz");
  ASSERT_TRUE(now_ready);
  EXPECT_EQ(now_ready->status, 200);
  EXPECT_EQ(now_ready->body, "ready: leading\n");
  auto missing = client.Get("/nope");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  server->Stop();
}

TEST(OpsServerTest, RefusesAnAddressInUse) {
  ASSERT_OK_AND_ASSIGN(
      auto first, OpsServer::Start(
                      "127.0.0.1:0", [] { return std::string(); }, [] { return Readiness{}; }));
  EXPECT_THAT(OpsServer::Start(
                  absl::StrCat("127.0.0.1:", first->port()), [] { return std::string(); },
                  [] { return Readiness{}; })
                  .status(),
              StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace hallmark::chains::agent
