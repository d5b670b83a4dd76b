// File: kube/testing/fake_kube_client.h
//
// FakeKubeClient: a working in-memory KubeClient for unit tests of the informer, the leader
// elector and the agent. It keeps objects per resource with one global resourceVersion counter
// (decimal strings, like the project's API server), records every call, and implements the
// semantics callers depend on:
//  - Get/List/Create/Update/Patch/Delete with kube's codes: kNotFound, kAlreadyExists, kAborted
//    for a stale resourceVersion (Update, Patch with metadata.resourceVersion, Delete
//    preconditions), kInvalidArgument (422) when a JSON patch operation fails;
//  - merge patch (RFC 7386) and JSON patch (RFC 6902) via nlohmann::json; a patch that changes
//    nothing keeps the resourceVersion and sends no event;
//  - List paging (limit/continue over a snapshot), label selectors (k=v, k==v, k!=v, k, !k,
//    comma = AND) and field selectors metadata.name / metadata.namespace (= and !=);
//  - Watch: replays history after the given resourceVersion ("" / "0": synthetic ADDED for
//    every current object), then blocks for live changes; timeoutSeconds ends it cleanly;
//    BOOKMARK events are not sent. A resourceVersion older than the compaction floor fails with
//    the 410 error (kOutOfRange, IsResourceExpired) that HttpKubeClient returns for both of the
//    server's shapes (ERROR event and HTTP 410).
//
// Test knobs: Compact(), CloseWatches(), FailNext(), calls(). Thread-safe.
#ifndef HALLMARK_KUBE_TESTING_FAKE_KUBE_CLIENT_H_
#define HALLMARK_KUBE_TESTING_FAKE_KUBE_CLIENT_H_

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "kube/kube_client.h"
#include "nlohmann/json.hpp"

namespace hallmark::kube::testing {

class FakeKubeClient final : public KubeClient {
 public:
  // Call: one recorded call.
  struct Call {
    std::string verb;      // "get", "list", "watch", "create", "update", "patch", "delete"
    std::string resource;  // GroupResource(): "taskruns.tekton.dev"
    std::string ns;
    std::string name;
    std::string resource_version;  // list/watch options, or the precondition used
    std::string label_selector;
    std::string field_selector;
    int64_t limit = 0;
    std::string continue_token;
  };

  FakeKubeClient() = default;

  // Seed: stores `object` (metadata.name required; namespace, uid, resourceVersion and
  // creationTimestamp are filled in) as a creation, with its watch event. Returns the stored
  // object.
  absl::StatusOr<nlohmann::json> Seed(const Resource& resource, nlohmann::json object);

  // Compact: history before revision `floor` is forgotten: watches from an older
  // resourceVersion, and continue tokens taken before it, get 410.
  void Compact(int64_t floor);
  // CompactAll: keep only the current revision (a list still works; any older resume point or
  // continue token gets 410).
  void CompactAll();
  // CloseWatches: ends every active watch cleanly (as a server-side timeout does).
  void CloseWatches();
  // FailNext: the next `count` calls of `verb` ("" = any) fail with `status` before doing
  // anything.
  void FailNext(std::string verb, int count, absl::Status status);

  std::vector<Call> calls() const;
  void ClearCalls();
  int64_t revision() const;
  int active_watches() const;

  absl::StatusOr<nlohmann::json> Get(const Resource& resource, absl::string_view ns,
                                     absl::string_view name) override;
  absl::StatusOr<ObjectList> List(const Resource& resource, absl::string_view ns,
                                  const ListOptions& options) override;
  absl::Status Watch(const Resource& resource, absl::string_view ns, const WatchOptions& options,
                     EventCallback on_event) override;
  absl::StatusOr<nlohmann::json> Create(const Resource& resource, absl::string_view ns,
                                        const nlohmann::json& object,
                                        const WriteOptions& options = {}) override;
  absl::StatusOr<nlohmann::json> Update(const Resource& resource, absl::string_view ns,
                                        const nlohmann::json& object,
                                        const WriteOptions& options = {}) override;
  absl::StatusOr<nlohmann::json> Patch(const Resource& resource, absl::string_view ns,
                                       absl::string_view name, PatchType type,
                                       absl::string_view patch,
                                       const PatchOptions& options = {}) override;
  absl::Status Delete(const Resource& resource, absl::string_view ns, absl::string_view name,
                      const DeleteOptions& options = {}) override;

 private:
  using Key = std::tuple<std::string, std::string, std::string>;  // resource, ns, name
  struct Change {
    int64_t revision;
    std::string resource;
    std::string ns;
    WatchEventType type;
    nlohmann::json object;
  };
  struct Failure {
    std::string verb;
    int count;
    absl::Status status;
  };

  absl::Status Record(Call call) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<nlohmann::json> Store(const Resource& resource, const std::string& ns,
                                       nlohmann::json object, bool create)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<nlohmann::json> Write(const Resource& resource, const std::string& ns,
                                       const std::string& name, nlohmann::json object,
                                       const std::string& precondition)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::map<Key, nlohmann::json> objects_ ABSL_GUARDED_BY(mu_);
  std::deque<Change> history_ ABSL_GUARDED_BY(mu_);
  int64_t revision_ ABSL_GUARDED_BY(mu_) = 1;
  int64_t floor_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t close_generation_ ABSL_GUARDED_BY(mu_) = 0;
  int active_watches_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t uid_counter_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<Failure> failures_ ABSL_GUARDED_BY(mu_);
  std::vector<Call> calls_ ABSL_GUARDED_BY(mu_);
};

// MatchesLabelSelector: the selector subset described above; kInvalidArgument if malformed.
absl::StatusOr<bool> MatchesLabelSelector(const nlohmann::json& object, absl::string_view selector);
absl::StatusOr<bool> MatchesFieldSelector(const nlohmann::json& object, absl::string_view selector);

}  // namespace hallmark::kube::testing

#endif  // HALLMARK_KUBE_TESTING_FAKE_KUBE_CLIENT_H_
