#include "kube/pager.h"

#include <string>
#include <vector>

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kube/api_status.h"
#include "kube/testing/fake_kube_client.h"

namespace hallmark::kube {
namespace {

using ::hallmark::kube::testing::FakeKubeClient;
using ::hallmark::testing::StatusIs;
using ::testing::SizeIs;

void SeedRuns(FakeKubeClient& fake, int n) {
  for (int i = 0; i < n; ++i) {
    ASSERT_THAT(fake.Seed(TaskRunsV1(),
                          {{"metadata", {{"name", absl::StrCat("run-", i)}, {"namespace", "ci"}}}}),
                ::hallmark::testing::IsOk());
  }
}

TEST(PagerTest, WalksEveryPageWithTheSameListVersion) {
  FakeKubeClient fake;
  SeedRuns(fake, 7);
  PagerOptions pager;
  pager.page_size = 3;
  ASSERT_OK_AND_ASSIGN(ObjectList list, ListAllObjects(fake, TaskRunsV1(), "ci", {}, pager));
  EXPECT_THAT(list.items, SizeIs(7));
  EXPECT_EQ(list.resource_version, absl::StrCat(fake.revision()));
  std::vector<FakeKubeClient::Call> calls = fake.calls();
  ASSERT_THAT(calls, SizeIs(3));
  EXPECT_EQ(calls[0].limit, 3);
  EXPECT_EQ(calls[0].continue_token, "");
  EXPECT_NE(calls[1].continue_token, "");
  EXPECT_NE(calls[2].continue_token, calls[1].continue_token);
}

TEST(PagerTest, ExpiredContinueTokenStartsOverAndTheCallerForgets) {
  FakeKubeClient fake;
  SeedRuns(fake, 5);
  PagerOptions pager;
  pager.page_size = 2;
  int restarts = 0;
  int items = 0;
  bool compacted = false;
  ASSERT_OK_AND_ASSIGN(
      std::string rv,
      ListAll(
          fake, TaskRunsV1(), "ci", {}, pager,
          [&] {
            ++restarts;
            items = 0;
          },
          [&](nlohmann::json&&) {
            ++items;
            if (!compacted) {  // the snapshot behind the continue token is gone
              compacted = true;
              EXPECT_THAT(
                  fake.Seed(TaskRunsV1(), {{"metadata", {{"name", "late"}, {"namespace", "ci"}}}}),
                  ::hallmark::testing::IsOk());
              fake.CompactAll();
            }
            return absl::OkStatus();
          }));
  EXPECT_EQ(restarts, 1);
  EXPECT_EQ(items, 6);  // the fresh listing, including the object created meanwhile
  EXPECT_EQ(rv, absl::StrCat(fake.revision()));
}

TEST(PagerTest, GivesUpAfterRepeatedExpiry) {
  FakeKubeClient fake;
  SeedRuns(fake, 4);
  PagerOptions pager;
  pager.page_size = 1;
  pager.max_restarts = 2;
  absl::Status s =
      ListAll(
          fake, TaskRunsV1(), "ci", {}, pager, [] {},
          [&](nlohmann::json&&) {
            fake.CompactAll();
            EXPECT_THAT(
                fake.Seed(TaskRunsV1(),
                          {{"metadata",
                            {{"name", absl::StrCat("x", fake.revision())}, {"namespace", "ci"}}}}),
                ::hallmark::testing::IsOk());
            fake.CompactAll();
            return absl::OkStatus();
          })
          .status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kOutOfRange, ::testing::HasSubstr("3 times")));
}

TEST(PagerTest, ErrorsFromTheFirstPageAndFromTheCallerPassThrough) {
  FakeKubeClient fake;
  SeedRuns(fake, 2);
  fake.FailNext("list", 1, absl::UnavailableError("down"));
  EXPECT_THAT(ListAllObjects(fake, TaskRunsV1(), "ci"), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(ListAll(
                  fake, TaskRunsV1(), "ci", {}, {}, [] {},
                  [](nlohmann::json&&) { return absl::CancelledError("enough"); }),
              StatusIs(absl::StatusCode::kCancelled));
}

// A server that repeats its continue token forever must not loop forever.
class RepeatingClient : public KubeClient {
 public:
  absl::StatusOr<ObjectList> List(const Resource&, absl::string_view, const ListOptions&) override {
    ObjectList l;
    l.continue_token = "same";
    return l;
  }
  absl::StatusOr<nlohmann::json> Get(const Resource&, absl::string_view,
                                     absl::string_view) override {
    return absl::UnimplementedError("test");
  }
  absl::Status Watch(const Resource&, absl::string_view, const WatchOptions&,
                     EventCallback) override {
    return absl::UnimplementedError("test");
  }
  absl::StatusOr<nlohmann::json> Create(const Resource&, absl::string_view, const nlohmann::json&,
                                        const WriteOptions&) override {
    return absl::UnimplementedError("test");
  }
  absl::StatusOr<nlohmann::json> Update(const Resource&, absl::string_view, const nlohmann::json&,
                                        const WriteOptions&) override {
    return absl::UnimplementedError("test");
  }
  absl::StatusOr<nlohmann::json> Patch(const Resource&, absl::string_view, absl::string_view,
                                       PatchType, absl::string_view, const PatchOptions&) override {
    return absl::UnimplementedError("test");
  }
  absl::Status Delete(const Resource&, absl::string_view, absl::string_view,
                      const DeleteOptions&) override {
    return absl::UnimplementedError("test");
  }
};

TEST(PagerTest, RepeatedContinueTokenIsDataLoss) {
  RepeatingClient client;
  EXPECT_THAT(ListAllObjects(client, TaskRunsV1(), "ci"), StatusIs(absl::StatusCode::kDataLoss));
}

}  // namespace
}  // namespace hallmark::kube
