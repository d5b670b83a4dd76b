// File: kube/informer.h
//
// Informer<T>: keeps a local cache of one resource (all namespaces, or a set of namespaces with
// one LIST+WATCH each so the server filters) and tells handlers about changes. It caches only
// what the caller's projection keeps: T is a compact struct built from each object's JSON, which
// is dropped right after projection (DESIGN.md: "the informer keeps only the fields it needs";
// 10k TaskRuns fit in a few MiB, see docs/benchmarks.md).
//
//   struct RunInfo { std::string ns, name, uid; bool done; ... };
//   Informer<RunInfo>::Handlers h;
//   h.on_add = [&](const auto& run) { queue.Add(run->ns, run->name); };
//   HM_ASSIGN_OR_RETURN(auto informer, Informer<RunInfo>::New(client, options, ProjectRun, h));
//   HM_RETURN_IF_ERROR(informer->Start());
//   if (!informer->WaitForSync(absl::Minutes(2))) ...
//
// Behaviour (client-go's reflector, reference/kube-api.md §1):
//  - Start: paged LIST (limit page_size, resourceVersion=0), then WATCH from the list's
//    resourceVersion with allowWatchBookmarks and timeoutSeconds random in [300, 600).
//  - Every event (bookmarks included) moves the resume point. A clean end of the stream
//    re-watches from it without a list. A 410 (in-stream ERROR event or HTTP 410) relists with a
//    consistent read; the new list replaces the cache: objects missing from it are delivered as
//    deletes, changed ones as updates. Any other failure (dropped connection, 429, 5xx, garbage
//    on the stream) backs off and re-watches from the resume point.
//  - Backoff between failures: 0.8 s doubling to 30 s with jitter, reset after 2 min of health.
//  - Objects the projection refuses are skipped (logged, counted in Stats()).
//
// Threading: handlers are called on ONE dispatch thread, in the order the cache changed, never
// concurrently, and after the cache already reflects the change. A handler must not call Stop()
// (it would wait for itself). A slow handler delays later notifications (they queue, unbounded:
// at most one per event received). Resync (if enabled) calls on_update(obj, obj) for every
// cached object on that thread. All other methods are thread-safe.
//
// Stop() returns promptly: it interrupts waits and cancels the watch stream (libcurl notices
// within about a second), then joins the threads. Notifications still queued are dropped.
#ifndef HALLMARK_KUBE_INFORMER_H_
#define HALLMARK_KUBE_INFORMER_H_

#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "kube/internal/informer_core.h"
#include "kube/kube_client.h"
#include "nlohmann/json.hpp"

namespace hallmark::kube {

template <typename T>
class Informer {
 public:
  using Ptr = std::shared_ptr<const T>;
  // Projection: the compact form of one object; an error skips the object.
  using Projection = std::function<absl::StatusOr<T>(const nlohmann::json& object)>;
  struct Handlers {
    std::function<void(const Ptr& object)> on_add;
    std::function<void(const Ptr& old_object, const Ptr& new_object)> on_update;
    std::function<void(const Ptr& last_state)> on_delete;
  };

  // New validates the options (kInvalidArgument); nothing is sent until Start(). `client` must
  // outlive the informer.
  static absl::StatusOr<std::unique_ptr<Informer>> New(KubeClient& client, InformerOptions options,
                                                       Projection projection, Handlers handlers) {
    if (!projection) return absl::InvalidArgumentError("informer: no projection");
    internal::InformerCore::Projection erased =
        [projection = std::move(projection)](
            const nlohmann::json& object) -> absl::StatusOr<internal::InformerCore::Object> {
      absl::StatusOr<T> value = projection(object);
      if (!value.ok()) return value.status();
      return internal::InformerCore::Object(std::make_shared<const T>(*std::move(value)));
    };
    internal::InformerCore::Handlers h;
    if (handlers.on_add) {
      h.on_add = [f = std::move(handlers.on_add)](const internal::InformerCore::Object& o) {
        f(Cast(o));
      };
    }
    if (handlers.on_update) {
      h.on_update = [f = std::move(handlers.on_update)](const internal::InformerCore::Object& a,
                                                        const internal::InformerCore::Object& b) {
        f(Cast(a), Cast(b));
      };
    }
    if (handlers.on_delete) {
      h.on_delete = [f = std::move(handlers.on_delete)](const internal::InformerCore::Object& o) {
        f(Cast(o));
      };
    }
    HM_ASSIGN_OR_RETURN(
        std::unique_ptr<internal::InformerCore> core,
        internal::InformerCore::New(client, std::move(options), std::move(erased), std::move(h)));
    return std::unique_ptr<Informer>(new Informer(std::move(core)));
  }

  ~Informer() = default;  // stops (the core's destructor)

  // Start: begins listing and watching on background threads. kFailedPrecondition if already
  // started or stopped.
  absl::Status Start() { return core_->Start(); }
  // Stop: see the file comment. Idempotent; the informer cannot be restarted.
  void Stop() { core_->Stop(); }

  // HasSynced: the initial list of every namespace is in the cache and its on_add calls have
  // returned.
  bool HasSynced() const { return core_->HasSynced(); }
  // WaitForSync: blocks until HasSynced() (true) or the timeout or Stop() (false).
  bool WaitForSync(absl::Duration timeout) const { return core_->WaitForSync(timeout); }

  // Get: the cached object, or null. `ns` is ignored for cluster-scoped resources.
  Ptr Get(absl::string_view ns, absl::string_view name) const { return Cast(core_->Get(ns, name)); }
  // List / ListNamespace: snapshots of the cache, in no particular order.
  std::vector<Ptr> List() const { return CastAll(core_->List()); }
  std::vector<Ptr> ListNamespace(absl::string_view ns) const {
    return CastAll(core_->ListNamespace(ns));
  }
  size_t Size() const { return core_->Size(); }
  InformerStats Stats() const { return core_->Stats(); }

 private:
  explicit Informer(std::unique_ptr<internal::InformerCore> core) : core_(std::move(core)) {}
  static Ptr Cast(const internal::InformerCore::Object& o) {
    return std::static_pointer_cast<const T>(o);
  }
  static std::vector<Ptr> CastAll(const std::vector<internal::InformerCore::Object>& all) {
    std::vector<Ptr> out;
    out.reserve(all.size());
    for (const auto& o : all) out.push_back(Cast(o));
    return out;
  }

  std::unique_ptr<internal::InformerCore> core_;
};

}  // namespace hallmark::kube

#endif  // HALLMARK_KUBE_INFORMER_H_
