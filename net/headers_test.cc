#include "net/headers.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hallmark::net {
namespace {

using ::testing::ElementsAre;

TEST(HeadersTest, CaseInsensitiveMultiValued) {
  Headers h{{"Link", "<a>; rel=\"next\""}};
  h.Add("link", "<b>; rel=\"next\"");
  h.Add("Content-Type", "application/json");
  EXPECT_EQ(h.size(), 3u);
  EXPECT_EQ(h.Get("LINK"), "<a>; rel=\"next\"");
  EXPECT_THAT(h.GetAll("Link"), ElementsAre("<a>; rel=\"next\"", "<b>; rel=\"next\""));
  EXPECT_TRUE(h.Has("content-type"));
  EXPECT_FALSE(h.Has("Location"));
  EXPECT_EQ(h.Get("Location"), std::nullopt);
  EXPECT_TRUE(h.GetAll("Location").empty());
}

TEST(HeadersTest, SetReplacesAllAndRemoveDeletesAll) {
  Headers h;
  h.Add("Accept", "a");
  h.Add("ACCEPT", "b");
  h.Add("X", "x");
  h.Set("accept", "c");
  EXPECT_THAT(h.GetAll("Accept"), ElementsAre("c"));
  EXPECT_EQ(h.entries().back().first, "accept");  // Set keeps the given spelling
  h.Remove("aCCept");
  EXPECT_FALSE(h.Has("Accept"));
  EXPECT_EQ(h.size(), 1u);
  h.clear();
  EXPECT_TRUE(h.empty());
}

}  // namespace
}  // namespace hallmark::net
