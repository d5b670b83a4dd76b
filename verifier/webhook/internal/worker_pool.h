// File: verifier/webhook/internal/worker_pool.h
//
// WorkerPool: a fixed set of threads running submitted tasks, with a bounded queue. The
// admission handler runs each evaluation here and waits for it only until its budget runs out,
// so a slow registry can never hold an AdmissionReview past the webhook's deadline: the late
// task finishes in the background (and may still fill the verification cache).
#ifndef HALLMARK_VERIFIER_WEBHOOK_INTERNAL_WORKER_POOL_H_
#define HALLMARK_VERIFIER_WEBHOOK_INTERNAL_WORKER_POOL_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace hallmark::verifier::webhook::internal {

class WorkerPool {
 public:
  WorkerPool(size_t threads, size_t max_queue) : max_queue_(max_queue) {
    for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Loop(); });
  }
  // The destructor runs the tasks already queued, then joins.
  ~WorkerPool() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    for (std::thread& t : threads_) t.join();
  }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Submit: false (task dropped) when the queue is full or the pool is stopping.
  bool Submit(std::function<void()> task) {
    absl::MutexLock lock(&mu_);
    if (stopping_ || queue_.size() >= max_queue_) return false;
    queue_.push_back(std::move(task));
    return true;
  }

  size_t Queued() const {
    absl::MutexLock lock(&mu_);
    return queue_.size();
  }

 private:
  void Loop() {
    while (true) {
      std::function<void()> task;
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(
            +[](WorkerPool* p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(p->mu_) {
              return p->stopping_ || !p->queue_.empty();
            },
            this));
        if (queue_.empty()) return;  // stopping and drained
        task = std::move(queue_.front());
        queue_.pop_front();
      }
      task();
    }
  }

  const size_t max_queue_;
  mutable absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace hallmark::verifier::webhook::internal

#endif  // HALLMARK_VERIFIER_WEBHOOK_INTERNAL_WORKER_POOL_H_
