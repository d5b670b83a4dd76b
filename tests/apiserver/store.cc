#include "tests/apiserver/store.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/apiserver/json_util.h"

namespace hallmark::tests::apiserver {
namespace {

constexpr size_t kMaxSnapshots = 32;

}  // namespace

Store::Store(size_t history_limit) : history_limit_(std::max<size_t>(history_limit, 16)) {}

uint64_t Store::Revision() const {
  absl::MutexLock lock(&mu_);
  return revision_;
}

uint64_t Store::CompactedRevision() const {
  absl::MutexLock lock(&mu_);
  return compacted_;
}

ObjectRef Store::Get(const std::string& collection, const std::string& key) const {
  absl::MutexLock lock(&mu_);
  auto c = collections_.find(collection);
  if (c == collections_.end()) return nullptr;
  auto it = c->second.objects.find(key);
  return it == c->second.objects.end() ? nullptr : it->second;
}

std::shared_ptr<const Snapshot> Store::List(const std::string& collection,
                                            const std::string& ns_prefix) const {
  auto snap = std::make_shared<Snapshot>();
  absl::MutexLock lock(&mu_);
  snap->rv = revision_;
  auto c = collections_.find(collection);
  if (c == collections_.end()) return snap;
  const auto& objects = c->second.objects;
  auto it = ns_prefix.empty() ? objects.begin() : objects.lower_bound(ns_prefix);
  for (; it != objects.end(); ++it) {
    if (!ns_prefix.empty() && !absl::StartsWith(it->first, ns_prefix)) break;
    snap->items.emplace_back(it->first, it->second);
  }
  return snap;
}

absl::StatusOr<std::shared_ptr<const Snapshot>> Store::PagedSnapshot(const std::string& collection,
                                                                     uint64_t rv) {
  if (rv != 0) {
    absl::MutexLock lock(&mu_);
    if (rv >= compacted_) {
      for (const auto& [coll, snap] : snapshots_) {
        if (coll == collection && snap->rv == rv) return snap;
      }
      if (rv == revision_) {
        // Nothing changed since: the current state is that snapshot.
      } else {
        return absl::OutOfRangeError("continue token expired");
      }
    } else {
      return absl::OutOfRangeError("continue token expired");
    }
  }
  std::shared_ptr<const Snapshot> snap = List(collection);
  absl::MutexLock lock(&mu_);
  snapshots_.emplace_back(collection, snap);
  while (snapshots_.size() > kMaxSnapshots) snapshots_.pop_front();
  return snap;
}

absl::StatusOr<ObjectRef> Store::StampLocked(ObjectInput input, uint64_t rv) {
  json* meta = EnsureObject(input.object, "metadata");
  if (meta == nullptr) return absl::InvalidArgumentError("metadata must be an object");
  (*meta)["resourceVersion"] = absl::StrCat(rv);
  auto obj = std::make_shared<StoredObject>();
  obj->json = Dump(input.object);
  obj->ns = StringAt(input.object, {"metadata", "namespace"});
  obj->name = StringAt(input.object, {"metadata", "name"});
  obj->rv = rv;
  obj->labels = std::move(input.labels);
  obj->fields = std::move(input.fields);
  return ObjectRef(std::move(obj));
}

void Store::AppendLocked(Event event) {
  history_.push_back(std::move(event));
  while (history_.size() > history_limit_) {
    compacted_ = std::max(compacted_, history_.front().rv);
    history_.pop_front();
  }
  ++changes_;
  changed_.SignalAll();
}

absl::StatusOr<ObjectRef> Store::Create(const std::string& collection, const std::string& key,
                                        ObjectInput input) {
  absl::MutexLock lock(&mu_);
  Collection& c = collections_[collection];
  if (c.objects.count(key) > 0) return absl::AlreadyExistsError(key);
  absl::StatusOr<ObjectRef> obj = StampLocked(std::move(input), revision_ + 1);
  if (!obj.ok()) return obj.status();
  ++revision_;
  c.objects[key] = *obj;
  AppendLocked(Event{EventType::kAdded, revision_, collection, *obj, nullptr});
  return obj;
}

absl::StatusOr<ObjectRef> Store::Update(const std::string& collection, const std::string& key,
                                        uint64_t expected_rv, ObjectInput input) {
  absl::MutexLock lock(&mu_);
  auto c = collections_.find(collection);
  if (c == collections_.end()) return absl::NotFoundError(key);
  auto it = c->second.objects.find(key);
  if (it == c->second.objects.end()) return absl::NotFoundError(key);
  if (it->second->rv != expected_rv) return absl::AbortedError("object changed");
  absl::StatusOr<ObjectRef> obj = StampLocked(std::move(input), revision_ + 1);
  if (!obj.ok()) return obj.status();
  ++revision_;
  ObjectRef previous = it->second;
  it->second = *obj;
  AppendLocked(Event{EventType::kModified, revision_, collection, *obj, std::move(previous)});
  return obj;
}

absl::StatusOr<ObjectRef> Store::Delete(const std::string& collection, const std::string& key,
                                        uint64_t expected_rv, ObjectInput last_state) {
  absl::MutexLock lock(&mu_);
  auto c = collections_.find(collection);
  if (c == collections_.end()) return absl::NotFoundError(key);
  auto it = c->second.objects.find(key);
  if (it == c->second.objects.end()) return absl::NotFoundError(key);
  if (it->second->rv != expected_rv) return absl::AbortedError("object changed");
  absl::StatusOr<ObjectRef> obj = StampLocked(std::move(last_state), revision_ + 1);
  if (!obj.ok()) return obj.status();
  ++revision_;
  ObjectRef previous = it->second;
  c->second.objects.erase(it);
  AppendLocked(Event{EventType::kDeleted, revision_, collection, *obj, std::move(previous)});
  return obj;
}

void Store::Restore(const std::string& collection, const std::string& key, ObjectInput input,
                    uint64_t rv) {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<ObjectRef> obj = StampLocked(std::move(input), rv);
  if (!obj.ok()) return;
  collections_[collection].objects[key] = *obj;
  revision_ = std::max(revision_, rv);
  compacted_ = std::max(compacted_, revision_);
}

void Store::SetRevision(uint64_t rv) {
  absl::MutexLock lock(&mu_);
  revision_ = std::max(revision_, rv);
  compacted_ = std::max(compacted_, revision_);
}

void Store::Compact(uint64_t rv) {
  absl::MutexLock lock(&mu_);
  rv = std::min(rv, revision_);
  if (rv <= compacted_) return;
  compacted_ = rv;
  while (!history_.empty() && history_.front().rv <= rv) history_.pop_front();
  // Paged snapshots older than the floor are gone with it (their continue tokens expire).
  snapshots_.erase(std::remove_if(snapshots_.begin(), snapshots_.end(),
                                  [rv](const auto& s) { return s.second->rv < rv; }),
                   snapshots_.end());
}

Store::WatchBatch Store::Wait(const std::string& collection, uint64_t after, absl::Time deadline,
                              uint64_t epoch) const {
  WatchBatch batch;
  absl::MutexLock lock(&mu_);
  while (true) {
    batch.revision = revision_;
    batch.compacted = compacted_;
    if (closed_ || epoch_ != epoch) {
      batch.closed = true;
      return batch;
    }
    if (after < compacted_) {
      batch.expired = true;
      return batch;
    }
    // History is ordered by rv: find the first event after `after`.
    auto it = std::upper_bound(history_.begin(), history_.end(), after,
                               [](uint64_t v, const Event& e) { return v < e.rv; });
    for (; it != history_.end(); ++it) {
      if (it->collection == collection) batch.events.push_back(*it);
    }
    if (!batch.events.empty()) return batch;
    // Nothing for this collection up to now: the watcher is current as of revision_.
    after = std::max(after, revision_);
    if (absl::Now() >= deadline) return batch;
    changed_.WaitWithDeadline(&mu_, deadline);
  }
}

uint64_t Store::WatchEpoch() const {
  absl::MutexLock lock(&mu_);
  return epoch_;
}

void Store::DropWatches() {
  absl::MutexLock lock(&mu_);
  ++epoch_;
  changed_.SignalAll();
}

void Store::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
  changed_.SignalAll();
}

uint64_t Store::ChangeCounter() const {
  absl::MutexLock lock(&mu_);
  return changes_;
}

std::vector<std::pair<std::string, ObjectRef>> Store::AllObjects() const {
  std::vector<std::pair<std::string, ObjectRef>> out;
  absl::MutexLock lock(&mu_);
  for (const auto& [name, c] : collections_) {
    for (const auto& [key, obj] : c.objects) out.emplace_back(name, obj);
  }
  return out;
}

size_t Store::HistorySize() const {
  absl::MutexLock lock(&mu_);
  return history_.size();
}

size_t Store::ObjectCount() const {
  absl::MutexLock lock(&mu_);
  size_t n = 0;
  for (const auto& [name, c] : collections_) n += c.objects.size();
  return n;
}

}  // namespace hallmark::tests::apiserver
