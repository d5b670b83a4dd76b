// File: chains/controller/work_queue.h
//
// WorkQueue: the agent's queue of run keys ("TaskRun/ns/name"), with the guarantees the
// controller relies on (client-go's workqueue semantics, plus lanes):
//  - Dedupe: a key is queued at most once; adding a queued key again does nothing (except move
//    it to the fresh lane).
//  - One worker per key: a key handed out by Get() is "processing" until Done(); adding it
//    meanwhile marks it dirty, and it is queued again by Done() - never given to two workers.
//  - Two lanes, so live runs are not stuck behind a backlog (tektoncd/chains#979): kFresh for
//    runs that just completed, kBacklog for runs found at start-up, retries and re-checks. Get()
//    prefers kFresh but takes one kBacklog item after every `fresh_burst` fresh ones, so neither
//    lane starves.
//  - Delays: AddAfter() queues a key (on kBacklog) once its delay has passed; an Add() of that
//    key before then cancels the delay and queues it at once. A later AddAfter keeps the earlier
//    due time.
//  - Pause: while paused Get() hands out nothing (a standby replica keeps its queue warm).
//
// Thread-safe. Keys are opaque strings.
#ifndef HALLMARK_CHAINS_CONTROLLER_WORK_QUEUE_H_
#define HALLMARK_CHAINS_CONTROLLER_WORK_QUEUE_H_

#include <cstddef>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace hallmark::chains::controller {

enum class Lane { kFresh = 0, kBacklog = 1 };

class WorkQueue {
 public:
  explicit WorkQueue(int fresh_burst = 8);

  void Add(const std::string& key, Lane lane);
  void AddAfter(const std::string& key, absl::Duration delay);
  // AddIfAbsent: Add, but only when the queue does not know `key` at all (not queued, delayed or
  // processing): a periodic re-check must not cut a retry's backoff short. True if added.
  bool AddIfAbsent(const std::string& key, Lane lane);
  // Forget: drop `key` if it is queued or delayed (a run that got signed meanwhile); a key
  // being processed is left alone, and its dirty mark is cleared.
  void Forget(const std::string& key);

  // Get: the next key, blocking while nothing is ready (or the queue is paused); nullopt once
  // ShutDown() was called (queued items are then left alone).
  std::optional<std::string> Get();
  // TryGetFor: as Get, but gives up after `timeout` (nullopt).
  std::optional<std::string> TryGetFor(absl::Duration timeout);
  // Done: the worker finished `key` (REQUIRES: handed out by Get and not yet Done).
  void Done(const std::string& key);

  void SetPaused(bool paused);
  void ShutDown();
  bool IsShutDown() const;

  // Counts for the backlog gauge and tests.
  size_t Ready() const;       // queued, not delayed
  size_t Delayed() const;     // waiting for their delay
  size_t Processing() const;  // handed out, not Done
  size_t Depth() const { return Ready() + Delayed(); }

 private:
  struct Entry {
    bool queued = false;
    Lane lane = Lane::kBacklog;
    bool processing = false;
    bool dirty = false;
    Lane dirty_lane = Lane::kBacklog;
    std::optional<absl::Time> due;
  };
  std::optional<std::string> GetUntil(absl::Time deadline);
  void PushLocked(const std::string& key, Entry& entry, Lane lane)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void PromoteDueLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::optional<std::string> PopLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool HasReadyLocked() const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  const int fresh_burst_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  // Lanes hold keys; an entry may appear in a lane it no longer belongs to (moved to fresh, or
  // its delay was cancelled): such stale positions are skipped when popped.
  std::deque<std::string> lanes_[2] ABSL_GUARDED_BY(mu_);
  size_t ready_ ABSL_GUARDED_BY(mu_) = 0;
  size_t processing_ ABSL_GUARDED_BY(mu_) = 0;
  std::multimap<absl::Time, std::string> delayed_ ABSL_GUARDED_BY(mu_);
  size_t delayed_count_ ABSL_GUARDED_BY(mu_) = 0;
  int fresh_streak_ ABSL_GUARDED_BY(mu_) = 0;
  bool paused_ ABSL_GUARDED_BY(mu_) = false;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace hallmark::chains::controller

#endif  // HALLMARK_CHAINS_CONTROLLER_WORK_QUEUE_H_
