#include "base/server_sockets.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "httplib.h"

namespace hallmark {
namespace {

// A raw client connection, so the test controls exactly when it is idle.
class Client {
 public:
  Client(const std::string& host, int port) {
    if (absl::StrContains(host, ":")) {
      fd_ = socket(AF_INET6, SOCK_STREAM, 0);
      sockaddr_in6 addr{};
      addr.sin6_family = AF_INET6;
      addr.sin6_port = htons(static_cast<uint16_t>(port));
      inet_pton(AF_INET6, host.c_str(), &addr.sin6_addr);
      connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    } else {
      fd_ = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(static_cast<uint16_t>(port));
      inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
      connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    }
  }
  ~Client() { close(fd_); }
  bool connected() const { return connected_; }
  bool Send(const std::string& request) {
    return write(fd_, request.data(), request.size()) == static_cast<ssize_t>(request.size());
  }
  // ReadUntil: reads until `marker` arrived or the peer closed; returns all bytes read.
  std::string ReadUntil(const std::string& marker) {
    std::string got;
    char buf[4096];
    while (!absl::StrContains(got, marker)) {
      ssize_t n = read(fd_, buf, sizeof(buf));
      if (n <= 0) break;
      got.append(buf, static_cast<size_t>(n));
    }
    return got;
  }
  // Get: one keep-alive request; true if the response came back.
  bool Get() {
    return Send("GET /quick HTTP/1.1\r\nHost: t\r\n\r\n") &&
           absl::StrContains(ReadUntil("quick-body"), "quick-body");
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

// The parameter is the address the server listens on (IPv4 and IPv6 loopback).
class ServerSocketsTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    server_.set_keep_alive_timeout(30);  // the webhook's value: 30 s to stop without the helper
    server_.Get("/quick", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("quick-body", "text/plain");
    });
    if (absl::StrContains(GetParam(), ":")) server_.set_address_family(AF_INET6);
    port_ = server_.bind_to_any_port(GetParam());
    ASSERT_GT(port_, 0);
    listener_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) absl::SleepFor(absl::Milliseconds(1));
  }

  void TearDown() override {
    if (listener_.joinable()) {
      server_.stop();
      ShutdownServerConnections(port_);
      listener_.join();
    }
  }

  // Stop: what a server's Stop() does; returns how long its threads took to finish.
  absl::Duration Stop(int* shut_down) {
    absl::Time start = absl::Now();
    server_.stop();
    *shut_down = ShutdownServerConnections(port_);
    listener_.join();
    return absl::Now() - start;
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread listener_;
};

TEST_P(ServerSocketsTest, IdleKeepAliveConnectionsNoLongerDelayStop) {
  Client a(GetParam(), port_), b(GetParam(), port_);
  ASSERT_TRUE(a.connected());
  ASSERT_TRUE(b.connected());
  ASSERT_TRUE(a.Get());
  ASSERT_TRUE(b.Get());
  // Both connections are idle and kept alive; without the helper stop() would wait 30 s.
  int shut_down = 0;
  absl::Duration took = Stop(&shut_down);
  // Exactly the two accepted connections: not the listening socket, not the clients' own
  // sockets (same process, peer port = the server's port, local port ephemeral).
  EXPECT_EQ(shut_down, 2);
  EXPECT_LT(took, absl::Seconds(5));
  // The server closed the connections: the clients read end-of-file.
  EXPECT_EQ(a.ReadUntil("never"), "");
  EXPECT_EQ(b.ReadUntil("never"), "");
}

TEST_P(ServerSocketsTest, OtherPortsAndBadPortsAreLeftAlone) {
  Client client(GetParam(), port_);
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.Get());
  EXPECT_EQ(ShutdownServerConnections(0), 0);
  EXPECT_EQ(ShutdownServerConnections(-1), 0);
  EXPECT_EQ(ShutdownServerConnections(port_ == 65535 ? 65534 : port_ + 1), 0);
  EXPECT_TRUE(client.Get());  // the connection still works
}

INSTANTIATE_TEST_SUITE_P(Loopback, ServerSocketsTest, ::testing::Values("127.0.0.1", "::1"));

}  // namespace
}  // namespace hallmark
