#include "chains/controller/controller.h"

#include <atomic>
#include <map>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hallmark::chains::controller {
namespace {

// Recording reconciler: counts calls per key, checks that no key is reconciled twice at once,
// and answers from a script.
class ScriptedReconciler : public Reconciler {
 public:
  Result Reconcile(const std::string& key) override {
    {
      absl::MutexLock lock(&mu_);
      if (++active_[key] > 1) overlap_ = true;
      ++calls_[key];
    }
    absl::SleepFor(delay_);
    Result r = Result::Done();
    {
      absl::MutexLock lock(&mu_);
      auto it = script_.find(key);
      if (it != script_.end() && !it->second.empty()) {
        r = it->second.front();
        it->second.erase(it->second.begin());
      }
      --active_[key];
    }
    return r;
  }
  void Script(const std::string& key, std::vector<Result> results) {
    absl::MutexLock lock(&mu_);
    script_[key] = std::move(results);
  }
  int Calls(const std::string& key) {
    absl::MutexLock lock(&mu_);
    return calls_[key];
  }
  bool overlap() {
    absl::MutexLock lock(&mu_);
    return overlap_;
  }
  absl::Duration delay_ = absl::ZeroDuration();

 private:
  absl::Mutex mu_;
  std::map<std::string, int> active_, calls_;
  std::map<std::string, std::vector<Result>> script_;
  bool overlap_ = false;
};

bool WaitFor(const std::function<bool()>& cond, absl::Duration timeout = absl::Seconds(5)) {
  absl::Time deadline = absl::Now() + timeout;
  while (!cond()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(2));
  }
  return true;
}

TEST(ControllerTest, RejectsBadOptions) {
  ScriptedReconciler r;
  EXPECT_FALSE(Controller::New(&r, {.threads = 0}).ok());
  EXPECT_FALSE(Controller::New(nullptr, {}).ok());
}

TEST(ControllerTest, RetriesAfterTheRequestedDelay) {
  ScriptedReconciler r;
  r.Script("k", {Result::RetryAfter(absl::Milliseconds(30)), Result::Done()});
  ASSERT_OK_AND_ASSIGN(auto c, Controller::New(&r, {.threads = 2}));
  c->Start();
  absl::Time start = absl::Now();
  c->Enqueue("k", Lane::kFresh);
  ASSERT_TRUE(WaitFor([&] { return r.Calls("k") == 2; }));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(25));
  EXPECT_TRUE(c->Stop(absl::Seconds(5)));
}

TEST(ControllerTest, ParkedKeysWaitForWakeParked) {
  ScriptedReconciler r;
  r.Script("k", {Result::Park(), Result::Done()});
  ASSERT_OK_AND_ASSIGN(auto c, Controller::New(&r, {.threads = 1}));
  c->Start();
  c->Enqueue("k", Lane::kFresh);
  ASSERT_TRUE(WaitFor([&] { return c->Parked() == 1; }));
  absl::SleepFor(absl::Milliseconds(30));
  EXPECT_EQ(r.Calls("k"), 1);
  c->WakeParked();
  ASSERT_TRUE(WaitFor([&] { return r.Calls("k") == 2; }));
  EXPECT_EQ(c->Parked(), 0u);
  EXPECT_TRUE(c->Stop(absl::Seconds(5)));
}

TEST(ControllerTest, NoKeyIsReconciledConcurrently) {
  ScriptedReconciler r;
  r.delay_ = absl::Milliseconds(1);
  ASSERT_OK_AND_ASSIGN(auto c, Controller::New(&r, {.threads = 8}));
  c->Start();
  for (int round = 0; round < 50; ++round) {
    for (int k = 0; k < 4; ++k) c->Enqueue("k" + std::to_string(k), Lane::kFresh);
    absl::SleepFor(absl::Microseconds(300));
  }
  ASSERT_TRUE(WaitFor([&] { return c->Depth() == 0 && c->InFlight() == 0; }));
  EXPECT_FALSE(r.overlap());
  EXPECT_TRUE(c->Stop(absl::Seconds(5)));
}

TEST(ControllerTest, PausedControllerTakesNoWorkUntilResumed) {
  ScriptedReconciler r;
  ASSERT_OK_AND_ASSIGN(auto c, Controller::New(&r, {.threads = 1, .start_paused = true}));
  c->Start();
  c->Enqueue("k", Lane::kFresh);
  absl::SleepFor(absl::Milliseconds(30));
  EXPECT_EQ(r.Calls("k"), 0);
  c->Resume();
  ASSERT_TRUE(WaitFor([&] { return r.Calls("k") == 1; }));
  EXPECT_TRUE(c->Stop(absl::Seconds(5)));
}

TEST(ControllerTest, StopWaitsForInFlightWorkWithinGrace) {
  ScriptedReconciler r;
  r.delay_ = absl::Milliseconds(100);
  ASSERT_OK_AND_ASSIGN(auto c, Controller::New(&r, {.threads = 1}));
  c->Start();
  c->Enqueue("a", Lane::kFresh);
  c->Enqueue("b", Lane::kFresh);
  ASSERT_TRUE(WaitFor([&] { return c->InFlight() == 1; }));
  EXPECT_TRUE(c->Stop(absl::Seconds(5)));  // "a" finishes, "b" is never started
  EXPECT_EQ(r.Calls("a"), 1);
  EXPECT_EQ(r.Calls("b"), 0);
}

}  // namespace
}  // namespace hallmark::chains::controller
