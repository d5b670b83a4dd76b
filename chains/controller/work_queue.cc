#include "chains/controller/work_queue.h"

#include <algorithm>
#include <utility>

#include "absl/time/clock.h"

namespace hallmark::chains::controller {
namespace {

int Index(Lane lane) { return static_cast<int>(lane); }

Lane Best(Lane a, Lane b) { return Index(a) <= Index(b) ? a : b; }

}  // namespace

WorkQueue::WorkQueue(int fresh_burst) : fresh_burst_(std::max(1, fresh_burst)) {}

void WorkQueue::PushLocked(const std::string& key, Entry& entry, Lane lane) {
  entry.queued = true;
  entry.lane = lane;
  lanes_[Index(lane)].push_back(key);
  ++ready_;
}

void WorkQueue::Add(const std::string& key, Lane lane) {
  absl::MutexLock lock(&mu_);
  if (shut_down_) return;
  Entry& e = entries_[key];
  if (e.due.has_value()) {
    e.due.reset();  // the multimap position goes stale
    --delayed_count_;
  }
  if (e.processing) {
    e.dirty_lane = e.dirty ? Best(e.dirty_lane, lane) : lane;
    e.dirty = true;
    return;
  }
  if (e.queued) {
    if (lane == Lane::kFresh && e.lane == Lane::kBacklog) {
      e.lane = Lane::kFresh;  // the backlog position goes stale
      lanes_[Index(Lane::kFresh)].push_back(key);
    }
    return;
  }
  PushLocked(key, e, lane);
}

bool WorkQueue::AddIfAbsent(const std::string& key, Lane lane) {
  absl::MutexLock lock(&mu_);
  if (shut_down_ || entries_.contains(key)) return false;
  PushLocked(key, entries_[key], lane);
  return true;
}

void WorkQueue::Forget(const std::string& key) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  Entry& e = it->second;
  if (e.due.has_value()) {
    e.due.reset();
    --delayed_count_;
  }
  if (e.processing) {
    e.dirty = false;
    return;
  }
  if (e.queued) --ready_;  // its lane position goes stale
  entries_.erase(it);
}

void WorkQueue::AddAfter(const std::string& key, absl::Duration delay) {
  if (delay <= absl::ZeroDuration()) {
    Add(key, Lane::kBacklog);
    return;
  }
  absl::Time due = absl::Now() + delay;
  absl::MutexLock lock(&mu_);
  if (shut_down_) return;
  Entry& e = entries_[key];
  if (e.queued) return;  // already ready: sooner than asked
  if (e.due.has_value() && *e.due <= due) return;
  if (!e.due.has_value()) ++delayed_count_;
  e.due = due;
  delayed_.emplace(due, key);
}

void WorkQueue::PromoteDueLocked(absl::Time now) {
  while (!delayed_.empty() && delayed_.begin()->first <= now) {
    auto it = delayed_.begin();
    absl::Time when = it->first;
    std::string key = std::move(it->second);
    delayed_.erase(it);
    auto found = entries_.find(key);
    if (found == entries_.end()) continue;
    Entry& e = found->second;
    if (!e.due.has_value() || *e.due != when) continue;  // cancelled or moved
    e.due.reset();
    --delayed_count_;
    if (e.processing) {
      e.dirty_lane = e.dirty ? Best(e.dirty_lane, Lane::kBacklog) : Lane::kBacklog;
      e.dirty = true;
    } else if (!e.queued) {
      PushLocked(key, e, Lane::kBacklog);
    }
  }
}

bool WorkQueue::HasReadyLocked() const { return ready_ > 0; }

std::optional<std::string> WorkQueue::PopLocked() {
  // Which lane: fresh first, but one backlog item after fresh_burst_ fresh ones.
  auto live = [this](Lane lane) {
    auto& q = lanes_[Index(lane)];
    while (!q.empty()) {
      auto it = entries_.find(q.front());
      if (it != entries_.end() && it->second.queued && it->second.lane == lane) return true;
      q.pop_front();  // stale position
    }
    return false;
  };
  bool fresh = live(Lane::kFresh);
  bool backlog = live(Lane::kBacklog);
  if (!fresh && !backlog) return std::nullopt;
  Lane lane = fresh && (fresh_streak_ < fresh_burst_ || !backlog) ? Lane::kFresh : Lane::kBacklog;
  fresh_streak_ = lane == Lane::kFresh ? fresh_streak_ + 1 : 0;
  std::string key = std::move(lanes_[Index(lane)].front());
  lanes_[Index(lane)].pop_front();
  Entry& e = entries_[key];
  e.queued = false;
  e.processing = true;
  --ready_;
  ++processing_;
  return key;
}

std::optional<std::string> WorkQueue::GetUntil(absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  for (;;) {
    absl::Time now = absl::Now();
    PromoteDueLocked(now);
    if (shut_down_) return std::nullopt;
    if (!paused_ && HasReadyLocked()) {
      std::optional<std::string> key = PopLocked();
      if (key.has_value()) return key;
    }
    if (now >= deadline) return std::nullopt;
    absl::Time wake = deadline;
    if (!delayed_.empty()) wake = std::min(wake, delayed_.begin()->first);
    auto can_go = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return shut_down_ || (!paused_ && ready_ > 0);
    };
    mu_.AwaitWithDeadline(absl::Condition(&can_go), wake);
  }
}

std::optional<std::string> WorkQueue::Get() { return GetUntil(absl::InfiniteFuture()); }

std::optional<std::string> WorkQueue::TryGetFor(absl::Duration timeout) {
  return GetUntil(absl::Now() + timeout);
}

void WorkQueue::Done(const std::string& key) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || !it->second.processing) return;
  Entry& e = it->second;
  e.processing = false;
  --processing_;
  if (e.dirty && !shut_down_) {
    e.dirty = false;
    if (e.due.has_value()) {
      e.due.reset();
      --delayed_count_;
    }
    PushLocked(key, e, e.dirty_lane);
    return;
  }
  e.dirty = false;
  if (!e.due.has_value() && !e.queued) entries_.erase(it);
}

void WorkQueue::SetPaused(bool paused) {
  absl::MutexLock lock(&mu_);
  paused_ = paused;
}

void WorkQueue::ShutDown() {
  absl::MutexLock lock(&mu_);
  shut_down_ = true;
}

bool WorkQueue::IsShutDown() const {
  absl::MutexLock lock(&mu_);
  return shut_down_;
}

size_t WorkQueue::Ready() const {
  absl::MutexLock lock(&mu_);
  return ready_;
}

size_t WorkQueue::Delayed() const {
  absl::MutexLock lock(&mu_);
  return delayed_count_;
}

size_t WorkQueue::Processing() const {
  absl::MutexLock lock(&mu_);
  return processing_;
}

}  // namespace hallmark::chains::controller
