// File: chains/controller/controller.h
//
// Controller: a pool of workers that take run keys from a WorkQueue and hand them to a
// Reconciler, then act on its answer:
//   kDone        - nothing more to do until an informer event enqueues the key again;
//   kRetryAfter  - queue the key again after `after` (backoff of a retriable failure);
//   kPark        - the run cannot be signed until the signing setup changes (no usable key or
//                  chains-config): keep the key aside; WakeParked() queues every parked key
//                  again (called when the Secret or the ConfigMap changes).
// A key is reconciled by at most one worker at a time (WorkQueue), so two workers never sign the
// same run at once.
//
// Lifecycle: New -> Start (workers run; the queue may start paused, e.g. a standby replica under
// leader election) -> Pause/Resume any number of times -> Stop(grace): no new work is taken,
// in-flight reconciles get `grace` to finish.
#ifndef HALLMARK_CHAINS_CONTROLLER_CONTROLLER_H_
#define HALLMARK_CHAINS_CONTROLLER_CONTROLLER_H_

#include <atomic>
#include <cstddef>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "chains/controller/work_queue.h"

namespace hallmark::chains::controller {

struct Result {
  enum class Action { kDone, kRetryAfter, kPark };
  Action action = Action::kDone;
  absl::Duration after = absl::ZeroDuration();

  static Result Done() { return {}; }
  static Result RetryAfter(absl::Duration d) { return {Action::kRetryAfter, d}; }
  static Result Park() { return {Action::kPark, absl::ZeroDuration()}; }
};

class Reconciler {
 public:
  virtual ~Reconciler() = default;
  // Reconcile: one attempt at `key`. Must not throw; may block on network calls (each bounded
  // by its own deadline).
  virtual Result Reconcile(const std::string& key) = 0;
};

struct ControllerOptions {
  int threads = 2;
  // Fresh-lane items taken before one backlog item (see WorkQueue).
  int fresh_burst = 8;
  bool start_paused = false;
};

class Controller {
 public:
  // New: kInvalidArgument unless 1 <= threads <= 256. `reconciler` must outlive the controller.
  static absl::StatusOr<std::unique_ptr<Controller>> New(Reconciler* reconciler,
                                                         ControllerOptions options);
  ~Controller();  // Stop(infinite grace)

  void Start();
  void Enqueue(const std::string& key, Lane lane);
  void EnqueueAfter(const std::string& key, absl::Duration delay);
  // EnqueueIfIdle: queue `key` only if it is not queued, delayed, in flight or parked (periodic
  // re-checks). True if queued.
  bool EnqueueIfIdle(const std::string& key, Lane lane);
  // Forget: `key` needs no more work (signed elsewhere, deleted): drop it from the queue and the
  // parked set.
  void Forget(const std::string& key);
  // WakeParked: every parked key is queued again (backlog lane).
  void WakeParked();
  void Pause();
  void Resume();
  // Stop: stop handing out work and wait up to `grace` for in-flight reconciles. Returns true if
  // every worker has finished (the threads are joined); false if some are still running (they
  // are left running: the caller should then end the process rather than destroy what they
  // use). Idempotent.
  bool Stop(absl::Duration grace);

  size_t Depth() const { return queue_.Depth(); }
  size_t Parked() const;
  size_t InFlight() const { return queue_.Processing(); }
  WorkQueue& queue() { return queue_; }

 private:
  Controller(Reconciler* reconciler, ControllerOptions options);
  void Work();

  Reconciler* const reconciler_;
  const ControllerOptions options_;
  WorkQueue queue_;
  mutable absl::Mutex mu_;
  std::set<std::string> parked_ ABSL_GUARDED_BY(mu_);
  // Bumped by WakeParked: a reconcile that started before a wake and then parks is queued again
  // instead (the setup it found unusable may already be fixed).
  uint64_t wake_generation_ ABSL_GUARDED_BY(mu_) = 0;
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  bool detached_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;
};

}  // namespace hallmark::chains::controller

#endif  // HALLMARK_CHAINS_CONTROLLER_CONTROLLER_H_
