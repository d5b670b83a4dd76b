// File: tests/apiserver/store.h
//
// Store: the versioned object store behind the API (what etcd plus the watch cache are to
// kube-apiserver). Objects are kept as immutable compact-JSON versions shared by pointer between
// the current state, the watch history and list snapshots, so a watch fan-out or a 10k-item list
// never copies objects. One global revision counter orders every change.
//
// Collections are named by storage key ("tekton.dev/pipelineruns"), objects by "ns/name" (or
// "name" when cluster-scoped); keys sort as etcd's do, so lists come out in etcd order.
//
// Writes are compare-and-swap on the object's revision; the caller (ApiEngine) computes the new
// object outside the lock and retries on kAborted. Thread-safe.
#ifndef HALLMARK_TESTS_APISERVER_STORE_H_
#define HALLMARK_TESTS_APISERVER_STORE_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "tests/apiserver/selector.h"

namespace hallmark::tests::apiserver {

// StoredObject: one immutable version of an object.
struct StoredObject {
  std::string json;  // compact JSON, metadata.resourceVersion == rv
  std::string ns;
  std::string name;
  uint64_t rv = 0;
  Labels labels;
  std::map<std::string, std::string> fields;  // field-selector values (metadata.name, ...)
};
using ObjectRef = std::shared_ptr<const StoredObject>;

// ObjectInput: what a writer hands the store; the store stamps metadata.resourceVersion.
struct ObjectInput {
  nlohmann::json object;
  Labels labels;
  std::map<std::string, std::string> fields;
};

enum class EventType { kAdded, kModified, kDeleted };

struct Event {
  EventType type;
  uint64_t rv;
  std::string collection;
  ObjectRef object;    // the new state (for kDeleted: the last state, stamped with rv)
  ObjectRef previous;  // the state before (null for kAdded)
};

// Snapshot: one collection at one revision, sorted by key.
struct Snapshot {
  uint64_t rv = 0;
  std::vector<std::pair<std::string, ObjectRef>> items;
};

class Store {
 public:
  // `history_limit`: watch events kept; older ones are compacted away (a watch from before the
  // compacted revision gets 410 Expired), like etcd's periodic compaction.
  explicit Store(size_t history_limit = 50000);

  uint64_t Revision() const;
  uint64_t CompactedRevision() const;

  // Get: the current version, or null.
  ObjectRef Get(const std::string& collection, const std::string& key) const;

  // List: the collection now. With `ns_prefix` ("ns/"), only keys with that prefix.
  std::shared_ptr<const Snapshot> List(const std::string& collection,
                                       const std::string& ns_prefix = "") const;

  // PagedSnapshot: the whole collection at revision `rv` for a paged list: the current state
  // when `rv` is 0 (remembered for its continuation pages), or a remembered snapshot. kOutOfRange
  // when a remembered snapshot is gone (compacted or evicted): the continue token expired.
  absl::StatusOr<std::shared_ptr<const Snapshot>> PagedSnapshot(const std::string& collection,
                                                                uint64_t rv);

  // Create: kAlreadyExists if `key` exists. Returns the stored version.
  absl::StatusOr<ObjectRef> Create(const std::string& collection, const std::string& key,
                                   ObjectInput input);
  // Update: replaces the version whose rv is `expected_rv`; kAborted if the object changed in
  // between, kNotFound if it is gone.
  absl::StatusOr<ObjectRef> Update(const std::string& collection, const std::string& key,
                                   uint64_t expected_rv, ObjectInput input);
  // Delete: removes the version whose rv is `expected_rv` (same errors as Update); the DELETED
  // event carries `last_state` stamped with the deletion revision, which is returned.
  absl::StatusOr<ObjectRef> Delete(const std::string& collection, const std::string& key,
                                   uint64_t expected_rv, ObjectInput last_state);
  // Restore: puts a version with its own resourceVersion back (loading --data); no event.
  void Restore(const std::string& collection, const std::string& key, ObjectInput input,
               uint64_t rv);
  // SetRevision: after Restore, the global revision (and compaction floor) to resume from.
  void SetRevision(uint64_t rv);

  // Compact: forget watch history up to and including `rv` (clamped to the current revision).
  void Compact(uint64_t rv);

  // WatchBatch: what Wait returns to one watcher.
  struct WatchBatch {
    std::vector<Event> events;  // rv > after, in order, for the collection
    bool expired = false;       // `after` is older than the compaction floor
    bool closed = false;        // watches were dropped (epoch changed) or the store is closing
    uint64_t revision = 0;      // the revision this batch is complete up to
    uint64_t compacted = 0;     // the compaction floor (for the 410 message)
  };
  // Wait blocks until the collection has events after `after`, `deadline` passes, or watches are
  // dropped; `epoch` is the WatchEpoch() the watch started in.
  WatchBatch Wait(const std::string& collection, uint64_t after, absl::Time deadline,
                  uint64_t epoch) const;
  uint64_t WatchEpoch() const;
  // DropWatches ends every current watch (their next Wait returns closed).
  void DropWatches();
  // Close: wakes all waiters for shutdown; every later Wait returns closed.
  void Close();

  // ChangeCounter: increments on every write (for the persistence writer).
  uint64_t ChangeCounter() const;
  // AllObjects: every current object (for persistence).
  std::vector<std::pair<std::string, ObjectRef>> AllObjects() const;
  size_t HistorySize() const;
  size_t ObjectCount() const;

 private:
  struct Collection {
    std::map<std::string, ObjectRef> objects;
  };

  absl::StatusOr<ObjectRef> StampLocked(ObjectInput input, uint64_t rv)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AppendLocked(Event event) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t history_limit_;
  mutable absl::Mutex mu_;
  mutable absl::CondVar changed_;
  uint64_t revision_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t compacted_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t epoch_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t changes_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_map<std::string, Collection> collections_ ABSL_GUARDED_BY(mu_);
  std::deque<Event> history_ ABSL_GUARDED_BY(mu_);
  // Remembered paged-list snapshots, oldest first.
  std::deque<std::pair<std::string, std::shared_ptr<const Snapshot>>> snapshots_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace hallmark::tests::apiserver

#endif  // HALLMARK_TESTS_APISERVER_STORE_H_
