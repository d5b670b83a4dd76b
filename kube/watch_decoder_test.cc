#include "kube/watch_decoder.h"

#include <string>
#include <vector>

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hallmark::kube {
namespace {

using ::hallmark::testing::IsOk;
using ::hallmark::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Event(const char* type, const char* name, const char* rv) {
  return nlohmann::json(
             {{"type", type},
              {"object",
               {{"kind", "TaskRun"}, {"metadata", {{"name", name}, {"resourceVersion", rv}}}}}})
             .dump() +
         "\n";
}

struct Seen {
  std::vector<std::string> items;
  bool operator()(WatchEvent&& e) {
    items.push_back(absl::StrCat(WatchEventTypeName(e.type), ":",
                                 e.object["metadata"]["name"].get<std::string>()));
    return true;
  }
};

TEST(WatchDecoderTest, EventsSplitAtEveryByteAreReassembled) {
  std::string stream = Event("ADDED", "a", "1") + Event("MODIFIED", "a", "2") +
                       Event("BOOKMARK", "", "3") + Event("DELETED", "a", "4");
  WatchDecoder decoder;
  Seen seen;
  for (char c : stream) ASSERT_THAT(decoder.Feed(absl::string_view(&c, 1), std::ref(seen)), IsOk());
  ASSERT_THAT(decoder.Finish(std::ref(seen)), IsOk());
  EXPECT_THAT(seen.items, ElementsAre("ADDED:a", "MODIFIED:a", "BOOKMARK:", "DELETED:a"));
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
}

TEST(WatchDecoderTest, ManyEventsInOneChunkCrlfAndBlankLines) {
  std::string stream = Event("ADDED", "a", "1") + "\r\n\n" + Event("ADDED", "b", "2");
  stream.insert(stream.find('\n'), "\r");
  WatchDecoder decoder;
  Seen seen;
  ASSERT_THAT(decoder.Feed(stream, std::ref(seen)), IsOk());
  EXPECT_THAT(seen.items, ElementsAre("ADDED:a", "ADDED:b"));
}

TEST(WatchDecoderTest, ErrorEventsAreEvents) {
  WatchDecoder decoder;
  std::vector<WatchEvent> got;
  std::string line = R"({"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired"}})"
                     "\n";
  ASSERT_THAT(decoder.Feed(line,
                           [&](WatchEvent&& e) {
                             got.push_back(std::move(e));
                             return true;
                           }),
              IsOk());
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].type, WatchEventType::kError);
  EXPECT_EQ(got[0].object["code"], 410);
}

TEST(WatchDecoderTest, OversizedLineIsRefusedWithoutBufferingIt) {
  WatchDecoder decoder(/*max_line_bytes=*/64);
  Seen seen;
  std::string chunk(40, 'x');
  ASSERT_THAT(decoder.Feed(chunk, std::ref(seen)), IsOk());
  EXPECT_THAT(decoder.Feed(chunk, std::ref(seen)),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("64 bytes")));
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
  // Poisoned: later input is not decoded.
  EXPECT_THAT(decoder.Feed(Event("ADDED", "a", "1"), std::ref(seen)),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_TRUE(seen.items.empty());
}

TEST(WatchDecoderTest, GarbageIsDataLoss) {
  for (const char* bad :
       {"not json\n", "[1,2]\n", "{\"type\":\"ADDED\"}\n", "{\"type\":7,\"object\":{}}\n",
        "{\"type\":\"ADDED\",\"object\":\"x\"}\n", "{\"type\":\"SPLIT\",\"object\":{}}\n",
        "{\"type\":\"ADDED\",\"object\":{}\n"}) {
    WatchDecoder decoder;
    Seen seen;
    EXPECT_THAT(decoder.Feed(bad, std::ref(seen)), StatusIs(absl::StatusCode::kDataLoss)) << bad;
  }
}

TEST(WatchDecoderTest, FinishAcceptsAWholeLastEventAndRefusesATruncatedOne) {
  std::string last = Event("ADDED", "z", "9");
  last.pop_back();  // no trailing newline
  {
    WatchDecoder decoder;
    Seen seen;
    ASSERT_THAT(decoder.Feed(last, std::ref(seen)), IsOk());
    EXPECT_TRUE(seen.items.empty());
    ASSERT_THAT(decoder.Finish(std::ref(seen)), IsOk());
    EXPECT_THAT(seen.items, ElementsAre("ADDED:z"));
  }
  {
    WatchDecoder decoder;
    Seen seen;
    ASSERT_THAT(decoder.Feed(last.substr(0, 20), std::ref(seen)), IsOk());
    EXPECT_THAT(decoder.Finish(std::ref(seen)),
                StatusIs(absl::StatusCode::kDataLoss, HasSubstr("ended inside an event")));
  }
}

TEST(WatchDecoderTest, CallbackCanStop) {
  WatchDecoder decoder;
  int n = 0;
  std::string stream = Event("ADDED", "a", "1") + Event("ADDED", "b", "2");
  ASSERT_THAT(decoder.Feed(stream,
                           [&](WatchEvent&&) {
                             ++n;
                             return false;
                           }),
              IsOk());
  EXPECT_EQ(n, 1);
  EXPECT_TRUE(decoder.stopped());
}

}  // namespace
}  // namespace hallmark::kube
