#include "net/host.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace hallmark::net {
namespace {

TEST(HostTest, Loopback) {
  for (const char* host :
       {"localhost", "LocalHost", "localhost:5000", "127.0.0.1", "127.0.0.1:80", "127.255.255.254",
        "::1", "[::1]", "[::1]:5000", "0:0:0:0:0:0:0:1", "[::ffff:127.0.0.1]:8080"}) {
    EXPECT_TRUE(IsLoopbackHost(host)) << host;
  }
  for (const char* host :
       {"", "localhost.example.com", "foo.localhost", "128.0.0.1", "127.1", "0127.0.0.1",
        "10.0.0.1", "::2", "[::ffff:10.0.0.1]", "example.com", "[::1"}) {
    EXPECT_FALSE(IsLoopbackHost(host)) << host;
  }
}

TEST(HostTest, LinkLocal) {
  for (const char* host : {"169.254.169.254", "169.254.0.1:80", "[fe80::1]", "fe80::abcd",
                           "[::ffff:169.254.169.254]"}) {
    EXPECT_TRUE(IsLinkLocalHost(host)) << host;
  }
  for (const char* host :
       {"169.255.0.1", "localhost", "metadata.google.internal", "[fec0::1]", "127.0.0.1"}) {
    EXPECT_FALSE(IsLinkLocalHost(host)) << host;
  }
}

TEST(HostTest, StripPort) {
  EXPECT_EQ(StripPort("a.b:5000"), "a.b");
  EXPECT_EQ(StripPort("a.b"), "a.b");
  EXPECT_EQ(StripPort("[::1]:5000"), "::1");
  EXPECT_EQ(StripPort("[::1]"), "::1");
  EXPECT_EQ(StripPort("::1"), "::1");
}

}  // namespace
}  // namespace hallmark::net
