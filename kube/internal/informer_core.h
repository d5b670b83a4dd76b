// File: kube/internal/informer_core.h
//
// The type-erased engine behind kube/informer.h (objects are std::shared_ptr<const void>; the
// template wrapper casts them back). Read kube/informer.h for the contract.
#ifndef HALLMARK_KUBE_INTERNAL_INFORMER_CORE_H_
#define HALLMARK_KUBE_INTERNAL_INFORMER_CORE_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "kube/backoff.h"
#include "kube/kube_client.h"
#include "kube/resource.h"
#include "nlohmann/json.hpp"

namespace hallmark::kube {

struct InformerOptions {
  Resource resource;
  // Namespaces to watch, one LIST+WATCH each so the server does the filtering; empty: one
  // cluster-wide LIST+WATCH. Must be empty for cluster-scoped resources.
  std::vector<std::string> namespaces;
  std::string label_selector;
  std::string field_selector;
  int64_t page_size = 500;
  // Every resync_period, every cached object is re-delivered to on_update(obj, obj); zero: off.
  absl::Duration resync_period = absl::ZeroDuration();
  // Delay schedule after failures (client-go: 0.8 s doubling to 30 s, jitter 1.0, reset after
  // 2 min).
  BackoffOptions backoff;
  // Each watch asks the server to end it after a random time in [min, 2*min) (client-go: 5 min,
  // so 300-600 s), spreading reconnects.
  absl::Duration min_watch_timeout = absl::Minutes(5);
  // For the backoff reset and the "very short watch" check; nullptr: the real clock. Waiting
  // itself is always real time (so Stop can interrupt it).
  Clock* clock = nullptr;
  std::string name;  // for logs; default: the resource's GroupResource()
};

// Counters since Start (monotonic).
struct InformerStats {
  uint64_t lists = 0;         // successful full lists (initial + relists)
  uint64_t relists = 0;       // of which after the first (a 410 made the cache stale)
  uint64_t watches = 0;       // watch requests started
  uint64_t watch_errors = 0;  // watches that ended with an error (410 included)
  uint64_t events = 0;        // ADDED/MODIFIED/DELETED received
  uint64_t bookmarks = 0;
  uint64_t projection_errors = 0;  // objects the projection refused (skipped)
};

namespace internal {

class InformerCore {
 public:
  using Object = std::shared_ptr<const void>;
  using Projection = std::function<absl::StatusOr<Object>(const nlohmann::json&)>;
  struct Handlers {
    std::function<void(const Object&)> on_add;
    std::function<void(const Object& old_object, const Object& new_object)> on_update;
    std::function<void(const Object&)> on_delete;
  };

  static absl::StatusOr<std::unique_ptr<InformerCore>> New(KubeClient& client,
                                                           InformerOptions options,
                                                           Projection projection,
                                                           Handlers handlers);
  ~InformerCore();

  absl::Status Start();
  void Stop();
  bool HasSynced() const;
  bool WaitForSync(absl::Duration timeout) const;
  Object Get(absl::string_view ns, absl::string_view name) const;
  std::vector<Object> List() const;
  std::vector<Object> ListNamespace(absl::string_view ns) const;
  size_t Size() const;
  InformerStats Stats() const;

 private:
  struct Entry {
    std::string resource_version;
    Object object;
  };
  enum class Kind { kAdd, kUpdate, kDelete, kSynced };
  struct Notification {
    Kind kind;
    Object old_object;
    Object new_object;
  };

  InformerCore(KubeClient& client, InformerOptions options, Projection projection,
               Handlers handlers);
  void RunReflector(std::string ns);
  absl::Status ListAndReplace(const std::string& ns, bool consistent, int64_t page_size,
                              std::string* rv, bool first);
  void ApplyEvent(WatchEvent&& event);
  void RunDispatch();
  bool Wait(absl::Duration d);  // false when stopping
  static std::string Key(absl::string_view ns, absl::string_view name);
  // InPartition: whether `key` belongs to the reflector of namespace `ns` ("" = all).
  static bool InPartition(const std::string& key, const std::string& ns);

  KubeClient& client_;
  const InformerOptions options_;
  const Projection projection_;
  const Handlers handlers_;
  Clock& clock_;

  absl::Notification stop_;
  std::vector<std::thread> reflectors_;
  std::thread dispatcher_;
  absl::Mutex lifecycle_mu_;  // serialises Start and Stop
  bool started_ ABSL_GUARDED_BY(lifecycle_mu_) = false;

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> store_ ABSL_GUARDED_BY(mu_);
  std::deque<Notification> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Reflectors whose initial list has been delivered by the dispatcher.
  size_t synced_reflectors_ ABSL_GUARDED_BY(mu_) = 0;
  InformerStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace internal
}  // namespace hallmark::kube

#endif  // HALLMARK_KUBE_INTERNAL_INFORMER_CORE_H_
