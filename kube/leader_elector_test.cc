#include "kube/leader_elector.h"

#include <atomic>
#include <string>

#include "absl/synchronization/mutex.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kube/internal/json.h"
#include "kube/testing/fake_kube_client.h"

namespace hallmark::kube {
namespace {

using ::hallmark::kube::testing::FakeKubeClient;
using ::hallmark::testing::IsOk;
using ::hallmark::testing::StatusIs;

// PartitionableClient: one replica's view of the shared fake API server; Cut() makes every
// call fail as if the network to the API server were gone.
class PartitionableClient : public KubeClient {
 public:
  explicit PartitionableClient(FakeKubeClient& server) : server_(server) {}
  void Cut() { cut_ = true; }

  absl::StatusOr<nlohmann::json> Get(const Resource& r, absl::string_view ns,
                                     absl::string_view name) override {
    if (cut_) return Down();
    return server_.Get(r, ns, name);
  }
  absl::StatusOr<ObjectList> List(const Resource& r, absl::string_view ns,
                                  const ListOptions& o) override {
    if (cut_) return Down();
    return server_.List(r, ns, o);
  }
  absl::Status Watch(const Resource& r, absl::string_view ns, const WatchOptions& o,
                     EventCallback cb) override {
    if (cut_) return Down();
    return server_.Watch(r, ns, o, cb);
  }
  absl::StatusOr<nlohmann::json> Create(const Resource& r, absl::string_view ns,
                                        const nlohmann::json& obj, const WriteOptions& o) override {
    if (cut_) return Down();
    return server_.Create(r, ns, obj, o);
  }
  absl::StatusOr<nlohmann::json> Update(const Resource& r, absl::string_view ns,
                                        const nlohmann::json& obj, const WriteOptions& o) override {
    if (cut_) return Down();
    return server_.Update(r, ns, obj, o);
  }
  absl::StatusOr<nlohmann::json> Patch(const Resource& r, absl::string_view ns,
                                       absl::string_view name, PatchType t, absl::string_view p,
                                       const PatchOptions& o) override {
    if (cut_) return Down();
    return server_.Patch(r, ns, name, t, p, o);
  }
  absl::Status Delete(const Resource& r, absl::string_view ns, absl::string_view name,
                      const DeleteOptions& o) override {
    if (cut_) return Down();
    return server_.Delete(r, ns, name, o);
  }

 private:
  static absl::Status Down() { return absl::UnavailableError("connection refused"); }
  FakeKubeClient& server_;
  std::atomic<bool> cut_{false};
};

LeaderElectionOptions Fast(const std::string& identity, std::atomic<int>* started,
                           std::atomic<int>* stopped) {
  LeaderElectionOptions o;
  o.lease_namespace = "hallmark";
  o.lease_name = "agent";
  o.identity = identity;
  o.lease_duration = absl::Seconds(1);
  o.renew_deadline = absl::Milliseconds(600);
  o.retry_period = absl::Milliseconds(100);
  o.on_started_leading = [started] { ++*started; };
  o.on_stopped_leading = [stopped] { ++*stopped; };
  return o;
}

bool WaitUntil(std::function<bool()> pred, absl::Duration timeout) {
  absl::Time end = absl::Now() + timeout;
  while (absl::Now() < end) {
    if (pred()) return true;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return pred();
}

TEST(LeaderElectorTest, OneLeaderAtATimeAndHandOverOnRelease) {
  FakeKubeClient server;
  PartitionableClient c1(server), c2(server);
  std::atomic<int> started1{0}, stopped1{0}, started2{0}, stopped2{0};
  ASSERT_OK_AND_ASSIGN(auto e1, LeaderElector::New(c1, Fast("replica-1", &started1, &stopped1)));
  ASSERT_OK_AND_ASSIGN(auto e2, LeaderElector::New(c2, Fast("replica-2", &started2, &stopped2)));
  ASSERT_THAT(e1->Start(), IsOk());
  ASSERT_THAT(e2->Start(), IsOk());
  ASSERT_TRUE(WaitUntil([&] { return e1->IsLeader() || e2->IsLeader(); }, absl::Seconds(5)));
  // Watch for two seconds (two lease durations): never both.
  absl::Time end = absl::Now() + absl::Seconds(2);
  while (absl::Now() < end) {
    ASSERT_FALSE(e1->IsLeader() && e2->IsLeader());
    absl::SleepFor(absl::Milliseconds(2));
  }
  LeaderElector* leader = e1->IsLeader() ? e1.get() : e2.get();
  LeaderElector* follower = leader == e1.get() ? e2.get() : e1.get();
  std::string leader_id = leader == e1.get() ? "replica-1" : "replica-2";
  EXPECT_EQ(follower->Leader(), leader_id);
  EXPECT_EQ(started1 + started2, 1);

  // Release on stop: the follower takes over without waiting out the lease.
  absl::Time stop_time = absl::Now();
  leader->Stop();
  EXPECT_EQ(stopped1 + stopped2, 1);
  ASSERT_TRUE(WaitUntil([&] { return follower->IsLeader(); }, absl::Seconds(5)));
  EXPECT_LT(absl::Now() - stop_time, absl::Seconds(1));
  ASSERT_OK_AND_ASSIGN(nlohmann::json lease, server.Get(Leases(), "hallmark", "agent"));
  EXPECT_EQ(internal::StringAt(lease["spec"], "holderIdentity"),
            leader_id == "replica-1" ? "replica-2" : "replica-1");
  EXPECT_EQ(lease["spec"]["leaseTransitions"], 1);
}

TEST(LeaderElectorTest, APartitionedLeaderStepsDownBeforeTheOtherTakesOver) {
  FakeKubeClient server;
  PartitionableClient c1(server), c2(server);
  std::atomic<int> started1{0}, stopped1{0}, started2{0}, stopped2{0};
  ASSERT_OK_AND_ASSIGN(auto e1, LeaderElector::New(c1, Fast("replica-1", &started1, &stopped1)));
  ASSERT_THAT(e1->Start(), IsOk());
  ASSERT_TRUE(WaitUntil([&] { return e1->IsLeader(); }, absl::Seconds(5)));
  ASSERT_OK_AND_ASSIGN(auto e2, LeaderElector::New(c2, Fast("replica-2", &started2, &stopped2)));
  ASSERT_THAT(e2->Start(), IsOk());
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_FALSE(e2->IsLeader());

  c1.Cut();
  absl::Time cut = absl::Now();
  absl::Time e1_stopped = absl::InfiniteFuture();
  absl::Time e2_started = absl::InfiniteFuture();
  while (absl::Now() - cut < absl::Seconds(4) && e2_started == absl::InfiniteFuture()) {
    bool l1 = e1->IsLeader(), l2 = e2->IsLeader();
    ASSERT_FALSE(l1 && l2);
    if (!l1 && e1_stopped == absl::InfiniteFuture()) e1_stopped = absl::Now();
    if (l2) e2_started = absl::Now();
    absl::SleepFor(absl::Milliseconds(2));
  }
  ASSERT_NE(e2_started, absl::InfiniteFuture()) << "replica-2 never took over";
  EXPECT_LT(e1_stopped, e2_started);
  EXPECT_LE(e1_stopped - cut, absl::Milliseconds(800));  // renew_deadline (+ a retry period)
  EXPECT_GE(e2_started - cut, absl::Milliseconds(700));  // waited out the lease it observed
  ASSERT_TRUE(WaitUntil([&] { return stopped1 == 1; }, absl::Seconds(2)));
  e1->Stop();  // its release fails (still cut off) and must not take the lease back
  EXPECT_TRUE(e2->IsLeader());
  EXPECT_EQ(started2, 1);
}

TEST(LeaderElectorTest, OptionsFollowClientGoRules) {
  FakeKubeClient server;
  LeaderElectionOptions o;
  o.lease_namespace = "ns";
  o.lease_name = "l";
  EXPECT_THAT(LeaderElector::New(server, o), StatusIs(absl::StatusCode::kInvalidArgument));
  o.identity = "me";
  EXPECT_THAT(LeaderElector::New(server, o), IsOk());  // 15 s / 10 s / 2 s
  o.renew_deadline = absl::Seconds(15);
  EXPECT_THAT(LeaderElector::New(server, o), StatusIs(absl::StatusCode::kInvalidArgument));
  o.renew_deadline = absl::Seconds(2);  // not > 1.2 * retry
  EXPECT_THAT(LeaderElector::New(server, o), StatusIs(absl::StatusCode::kInvalidArgument));
  o.renew_deadline = absl::Seconds(10);
  o.lease_duration = absl::Milliseconds(15500);
  EXPECT_THAT(LeaderElector::New(server, o), StatusIs(absl::StatusCode::kInvalidArgument));
  o.lease_duration = absl::Seconds(15);
  o.lease_name = "bad/name";
  EXPECT_THAT(LeaderElector::New(server, o), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace hallmark::kube
