#include "chains/controller/controller.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace hallmark::chains::controller {

absl::StatusOr<std::unique_ptr<Controller>> Controller::New(Reconciler* reconciler,
                                                            ControllerOptions options) {
  if (reconciler == nullptr) return absl::InvalidArgumentError("controller: no reconciler");
  if (options.threads < 1 || options.threads > 256) {
    return absl::InvalidArgumentError(
        absl::StrCat("controller: threads must be in [1, 256], got ", options.threads));
  }
  return std::unique_ptr<Controller>(new Controller(reconciler, options));
}

Controller::Controller(Reconciler* reconciler, ControllerOptions options)
    : reconciler_(reconciler), options_(options), queue_(options.fresh_burst) {
  queue_.SetPaused(options.start_paused);
}

Controller::~Controller() { Stop(absl::InfiniteDuration()); }

void Controller::Start() {
  absl::MutexLock lock(&mu_);
  if (started_ || stopped_) return;
  started_ = true;
  running_ = options_.threads;
  for (int i = 0; i < options_.threads; ++i) workers_.emplace_back([this] { Work(); });
}

void Controller::Work() {
  for (;;) {
    std::optional<std::string> key = queue_.Get();
    if (!key.has_value()) break;
    uint64_t generation;
    {
      absl::MutexLock lock(&mu_);
      generation = wake_generation_;
    }
    Result result = reconciler_->Reconcile(*key);
    switch (result.action) {
      case Result::Action::kDone:
        break;
      case Result::Action::kRetryAfter:
        queue_.AddAfter(*key, result.after);
        break;
      case Result::Action::kPark: {
        bool woken;
        {
          absl::MutexLock lock(&mu_);
          woken = wake_generation_ != generation;
          if (!woken) parked_.insert(*key);
        }
        if (woken) queue_.Add(*key, Lane::kBacklog);
        break;
      }
    }
    queue_.Done(*key);
  }
  absl::MutexLock lock(&mu_);
  --running_;
}

void Controller::Enqueue(const std::string& key, Lane lane) {
  {
    absl::MutexLock lock(&mu_);
    parked_.erase(key);
  }
  queue_.Add(key, lane);
}

void Controller::EnqueueAfter(const std::string& key, absl::Duration delay) {
  queue_.AddAfter(key, delay);
}

bool Controller::EnqueueIfIdle(const std::string& key, Lane lane) {
  {
    absl::MutexLock lock(&mu_);
    if (parked_.count(key) > 0) return false;
  }
  return queue_.AddIfAbsent(key, lane);
}

void Controller::Forget(const std::string& key) {
  {
    absl::MutexLock lock(&mu_);
    parked_.erase(key);
  }
  queue_.Forget(key);
}

void Controller::WakeParked() {
  std::set<std::string> parked;
  {
    absl::MutexLock lock(&mu_);
    parked.swap(parked_);
    ++wake_generation_;
  }
  for (const std::string& key : parked) queue_.Add(key, Lane::kBacklog);
}

void Controller::Pause() { queue_.SetPaused(true); }
void Controller::Resume() { queue_.SetPaused(false); }

size_t Controller::Parked() const {
  absl::MutexLock lock(&mu_);
  return parked_.size();
}

bool Controller::Stop(absl::Duration grace) {
  {
    absl::MutexLock lock(&mu_);
    if (detached_) return false;
    stopped_ = true;
  }
  queue_.ShutDown();
  bool finished;
  {
    absl::MutexLock lock(&mu_);
    auto done = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return running_ == 0; };
    finished = mu_.AwaitWithTimeout(absl::Condition(&done), grace);
    if (!finished) detached_ = true;
  }
  if (!finished) {
    for (std::thread& t : workers_) t.detach();
    workers_.clear();
    return false;
  }
  for (std::thread& t : workers_) {
    if (t.joinable()) t.join();
  }
  workers_.clear();
  return true;
}

}  // namespace hallmark::chains::controller
