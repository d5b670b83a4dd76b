// File: kube/leader_elector.h
//
// LeaderElector: one leader among replicas, through a coordination.k8s.io/v1 Lease, with
// client-go's algorithm (tools/leaderelection):
//  - Acquire: GET the Lease; create it if missing. If another holder renewed it less than its
//    leaseDurationSeconds ago, as measured on OUR clock from the moment we first saw that
//    renewal (so clock skew between replicas does not matter), wait retry_period and try again.
//    Otherwise write ourselves in with PUT carrying the resourceVersion we read: when two
//    contenders race, the server accepts one PUT and answers 409 to the other, so both can never
//    win (a create race ends in 409 AlreadyExists the same way).
//  - Lead: renew (the same PUT) every retry_period. If no renewal has succeeded for
//    renew_deadline, leadership is lost. renew_deadline < lease_duration, so a replica that can
//    no longer renew stops leading before anyone else may take over.
//  - Stop: if leading, on_stopped_leading runs, then (release_on_stop) the Lease is given up
//    (holder cleared, duration 1 s) so a successor does not wait out the full lease.
// After losing leadership the elector goes back to acquiring (a process that prefers to exit,
// as client-go users usually do, can do so from on_stopped_leading).
//
// Callbacks run on the elector's thread and must return promptly (start long work elsewhere):
// while a callback runs, nothing is renewed. IsLeader() turns false as soon as renew_deadline
// has passed without a successful renewal, even while a renewal request is still in flight, so
// check it before each write that only the leader may make.
//
// WARNING: give the elector a client with a request timeout shorter than retry_period and few
// retries (ClientOptions::request_timeout, retry.max_attempts), or a slow API server stretches
// a renewal attempt past the deadline.
#ifndef HALLMARK_KUBE_LEADER_ELECTOR_H_
#define HALLMARK_KUBE_LEADER_ELECTOR_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "kube/kube_client.h"
#include "nlohmann/json.hpp"

namespace hallmark::kube {

struct LeaderElectionOptions {
  std::string lease_namespace;
  std::string lease_name;
  std::string identity;  // unique per replica, e.g. the pod name
  absl::Duration lease_duration = absl::Seconds(15);
  absl::Duration renew_deadline = absl::Seconds(10);
  absl::Duration retry_period = absl::Seconds(2);
  bool release_on_stop = true;
  std::function<void()> on_started_leading;
  std::function<void()> on_stopped_leading;
  // Called when a different holder is observed (including ourselves once we lead).
  std::function<void(const std::string& identity)> on_new_leader;
  // Time for lease decisions and timestamps; nullptr: the real clock. Waiting is real time.
  Clock* clock = nullptr;
};

class LeaderElector {
 public:
  // New: kInvalidArgument unless the names are valid, identity is non-empty, and
  // lease_duration > renew_deadline > 1.2 * retry_period > 0 (client-go's rule), with
  // lease_duration a whole number of seconds (the Lease stores seconds).
  static absl::StatusOr<std::unique_ptr<LeaderElector>> New(KubeClient& client,
                                                            LeaderElectionOptions options);
  ~LeaderElector();  // Stop()

  // Start: runs the election on a background thread. kFailedPrecondition if already started.
  absl::Status Start();
  // Stop: see the file comment; returns when the thread has ended. Idempotent.
  void Stop();

  bool IsLeader() const;
  // Leader: the holder last observed ("" if none).
  std::string Leader() const;

 private:
  struct Record {
    std::string holder;
    int64_t lease_duration_seconds = 0;
    std::string acquire_time;
    std::string renew_time;
    int64_t transitions = 0;
  };

  LeaderElector(KubeClient& client, LeaderElectionOptions options, Clock& clock);
  void Run();
  // TryAcquireOrRenew: one round; true when we hold the lease afterwards.
  bool TryAcquireOrRenew();
  void Release();
  nlohmann::json LeaseObject(const Record& record, const std::string& resource_version) const;
  static Record ParseRecord(const nlohmann::json& lease);
  void Observe(const Record& record);

  KubeClient& client_;
  const LeaderElectionOptions options_;
  Clock& clock_;
  absl::Notification stop_;
  std::thread thread_;
  absl::Mutex lifecycle_mu_;
  bool started_ ABSL_GUARDED_BY(lifecycle_mu_) = false;

  mutable absl::Mutex mu_;
  bool leading_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time last_renew_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  Record observed_ ABSL_GUARDED_BY(mu_);
  absl::Time observed_time_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::string observed_rv_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hallmark::kube

#endif  // HALLMARK_KUBE_LEADER_ELECTOR_H_
