#include "base/http_server_thread.h"

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "base/testing/process.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"

namespace hallmark {
namespace {

using ::hallmark::testing::RunCommand;
using ::hallmark::testing::StatusIs;
using ::testing::HasSubstr;

// A server as ours are set up: a 30 s keep-alive timeout (the webhook's), a quick route and one
// that takes `slow` to answer.
std::unique_ptr<httplib::Server> NewServer(absl::Duration slow = absl::ZeroDuration(),
                                           absl::Notification* slow_started = nullptr) {
  auto server = std::make_unique<httplib::Server>();
  server->set_keep_alive_timeout(30);
  server->Get("/quick", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("quick-body", "text/plain");
  });
  server->Get("/slow", [slow, slow_started](const httplib::Request&, httplib::Response& res) {
    if (slow_started != nullptr) slow_started->Notify();
    absl::SleepFor(slow);
    res.set_content("slow-body", "text/plain");
  });
  return server;
}

// The listen backlog of 127.0.0.1:`port` as `ss` reports it (Send-Q of a listening socket).
std::string Backlog(int port) {
  absl::StatusOr<hallmark::testing::CommandResult> r =
      RunCommand({"ss", "-ltnH", absl::StrCat("sport = :", port)});
  if (!r.ok() || r->exit_code != 0) return "ss failed";
  std::vector<std::string> fields = absl::StrSplit(r->out, ' ', absl::SkipEmpty());
  return fields.size() >= 3 ? fields[2] : "no listener: " + r->out;
}

TEST(ParseListenAddressTest, Forms) {
  std::string host;
  int port = -1;
  ASSERT_OK(ParseListenAddress("127.0.0.1:9090", &host, &port));
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 9090);
  ASSERT_OK(ParseListenAddress(":8443", &host, &port));
  EXPECT_EQ(host, "0.0.0.0");
  EXPECT_EQ(port, 8443);
  ASSERT_OK(ParseListenAddress("[::1]:0", &host, &port));
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 0);
  for (const char* bad : {"9090", "host:port", "host:70000", ":99999", "[::1]9090", "[::1", ""}) {
    EXPECT_THAT(ParseListenAddress(bad, &host, &port),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("listen address")))
        << bad;
  }
}

TEST(HttpServerThreadTest, IdleKeepAliveConnectionsDoNotDelayStop) {
  for (const std::string host : {"127.0.0.1", "::1"}) {
    auto server = NewServer();
    if (host == "::1") server->set_address_family(AF_INET6);
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<HttpServerThread> serving,
                         HttpServerThread::Start(std::move(server), host, 0));
    ASSERT_GT(serving->port(), 0);
    httplib::Client a(host, serving->port()), b(host, serving->port());
    a.set_keep_alive(true);
    b.set_keep_alive(true);
    for (httplib::Client* c : {&a, &b, &a}) {
      httplib::Result got = c->Get("/quick");
      ASSERT_TRUE(got) << host << ": " << httplib::to_string(got.error());
      EXPECT_EQ(got->body, "quick-body");
    }
    // Two idle kept-alive connections: httplib alone would wait out their 30 s timeout.
    absl::Time start = absl::Now();
    serving->Stop();
    EXPECT_LT(absl::Now() - start, absl::Seconds(2)) << host;
    EXPECT_FALSE(a.Get("/quick")) << "still serving after Stop";
  }
}

TEST(HttpServerThreadTest, ARequestInFlightFinishesWithinTheGrace) {
  absl::Notification started;
  HttpServerThreadOptions options;
  options.stop_grace = absl::Seconds(10);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<HttpServerThread> serving,
                       HttpServerThread::Start(NewServer(absl::Milliseconds(500), &started),
                                               "127.0.0.1", 0, options));
  httplib::Client idle("127.0.0.1", serving->port());
  idle.set_keep_alive(true);
  ASSERT_TRUE(idle.Get("/quick"));  // an idle connection as well
  int status = -1;                  // -1: no response
  std::string body;
  std::thread client([&] {
    httplib::Client c("127.0.0.1", serving->port());
    if (httplib::Result r = c.Get("/slow")) {
      status = r->status;
      body = r->body;
    }
  });
  started.WaitForNotification();
  EXPECT_EQ(serving->RequestsInFlight(), 1);
  absl::Time start = absl::Now();
  serving->Stop();
  absl::Duration took = absl::Now() - start;
  client.join();
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body, "slow-body");
  // Done when the slow request was, not after the grace nor the idle connection's timeout.
  EXPECT_LT(took, absl::Seconds(3));
  EXPECT_EQ(serving->RequestsInFlight(), 0);
}

TEST(HttpServerThreadTest, TheGraceIsBounded) {
  absl::Notification started;
  HttpServerThreadOptions options;
  options.stop_grace = absl::Milliseconds(100);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<HttpServerThread> serving,
                       HttpServerThread::Start(NewServer(absl::Milliseconds(1500), &started),
                                               "127.0.0.1", 0, options));
  int status = -1;  // -1: no response
  std::string body;
  std::thread client([&] {
    httplib::Client c("127.0.0.1", serving->port());
    if (httplib::Result r = c.Get("/slow")) {
      status = r->status;
      body = r->body;
    }
  });
  started.WaitForNotification();
  serving->Stop();  // joins the worker, so it returns once the handler does
  client.join();
  // The connection was shut down after 100 ms: the late response is not delivered.
  EXPECT_EQ(status, -1);
  EXPECT_EQ(body, "");
}

TEST(HttpServerThreadTest, RequestsRefusedBeforeRoutingAreNotCounted) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<HttpServerThread> serving,
                       HttpServerThread::Start(NewServer(), "127.0.0.1", 0));
  httplib::Client c("127.0.0.1", serving->port());
  ASSERT_TRUE(c.Get("/quick"));
  std::string long_path(10000, 'x');  // over httplib's URI limit: 414 before routing
  httplib::Result refused = c.Get("/" + long_path);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 414);
  EXPECT_EQ(serving->RequestsInFlight(), 0);
  absl::Time start = absl::Now();
  serving->Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
}

TEST(HttpServerThreadTest, ListensWithALargeBacklog) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<HttpServerThread> serving,
                       HttpServerThread::Start(NewServer(), "127.0.0.1", 0));
  EXPECT_EQ(Backlog(serving->port()), absl::StrCat(kListenBacklog));

  // What httplib does on its own, for comparison: Debian's library listens with 5.
  httplib::Server plain;
  int port = plain.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  EXPECT_EQ(Backlog(port), "5");
}

TEST(HttpServerThreadTest, APortInUseIsRefused) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<HttpServerThread> first,
                       HttpServerThread::Start(NewServer(), "127.0.0.1", 0));
  // httplib's default SO_REUSEPORT would let this one bind too and take half the connections.
  EXPECT_THAT(HttpServerThread::Start(NewServer(), "127.0.0.1", first->port()),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr(absl::StrCat("cannot listen on 127.0.0.1:", first->port()))));
  httplib::Client c("127.0.0.1", first->port());
  EXPECT_TRUE(c.Get("/quick"));
  // Once it is stopped, the port can be bound again at once (SO_REUSEADDR).
  int port = first->port();
  first->Stop();
  first->Stop();  // idempotent
  EXPECT_OK(HttpServerThread::Start(NewServer(), "127.0.0.1", port).status());
}

}  // namespace
}  // namespace hallmark
