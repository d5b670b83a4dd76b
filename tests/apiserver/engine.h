// File: tests/apiserver/engine.h
//
// ApiEngine: the semantics of kube-apiserver's generic registry, without HTTP. Every verb the
// server offers is one method here, so unit tests exercise exactly what clients get:
//   - create: generateName, uid, creationTimestamp, generation, namespace existence and
//     termination, status reset for resources with a status subresource, Secret stringData;
//   - update/patch: optimistic concurrency (409 with the exact message), resourceVersion
//     required on custom resources (422), main resource ignores .status and /status ignores the
//     rest, metadata-only changes keep metadata.generation, no-op writes keep the
//     resourceVersion and emit no event, finalizers (no new ones while deleting; removing the
//     last one deletes);
//   - merge patch, JSON patch (422 on a failing op), strategic merge patch (built-in kinds only;
//     415 for custom resources with kube's message), server-side apply (see Patch);
//   - schema handling: unknown fields are dropped and reported per fieldValidation
//     (Strict: 400, Warn: Warning header, Ignore), defaults, type errors;
//   - delete: DeleteOptions preconditions, finalizers -> deletionTimestamp, namespace
//     termination (its objects are removed shortly after, by a background namespace
//     controller), garbage collection of owned objects;
//   - list: label/field selectors, paging from one snapshot with kube's continue tokens and the
//     410 for an expired token;
//   - watch: initial ADDED events, resume from a resourceVersion, selector transitions
//     (ADDED/DELETED when an object starts/stops matching), bookmarks, timeouts, 410 Expired
//     as an in-stream ERROR event or an HTTP 410 (a test knob chooses).
//
// Errors are absl::Status values carrying an ApiError (api_error.h). Thread-safe.
#ifndef HALLMARK_TESTS_APISERVER_ENGINE_H_
#define HALLMARK_TESTS_APISERVER_ENGINE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "nlohmann/json.hpp"
#include "tests/apiserver/admission_hook.h"
#include "tests/apiserver/registry.h"
#include "tests/apiserver/selector.h"
#include "tests/apiserver/store.h"

namespace hallmark::tests::apiserver {

struct WriteOptions {
  std::string field_manager;     // fieldManager query parameter
  std::string field_validation;  // "Strict", "Warn", "Ignore"; "" means Warn
  bool dry_run = false;          // dryRun=All
  bool force = false;            // server-side apply `force`
  UserInfo user;
};

struct WriteResult {
  int code = 200;  // 201 for a create
  std::string body;
  std::vector<std::string> warnings;  // Warning header values ("299 - \"...\"")
};

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
  int64_t limit = 0;
  std::string continue_token;
  std::string resource_version;
};

struct WatchOptions {
  std::string label_selector;
  std::string field_selector;
  std::string resource_version;  // "" or "0": start with the current state
  bool allow_bookmarks = false;
  bool send_initial_events = false;
  std::string resource_version_match;
  std::optional<int64_t> timeout_seconds;
};

// WatchSettings: test knobs for every watch started afterwards.
struct WatchSettings {
  absl::Duration bookmark_interval = absl::Seconds(60);
  // expired_as_http: answer a stale resourceVersion with HTTP 410 instead of the in-stream ERROR
  // event kube-apiserver sends.
  bool expired_as_http = false;
  // max_page: caps `limit` on lists (0: no cap).
  int64_t max_page = 0;
};

class WatchStream {
 public:
  struct Output {
    std::string data;       // zero or more complete event lines
    bool finished = false;  // end the response after `data`
  };
  virtual ~WatchStream() = default;
  // Next blocks up to `max_wait` for events (never past the watch's own timeout).
  virtual Output Next(absl::Duration max_wait) = 0;
};

struct EngineOptions {
  Clock* clock = nullptr;  // defaults to the real clock; not owned
  size_t history_limit = 50000;
  bool create_default_namespaces = true;
  bool preinstall_crds = true;
  // How long after a namespace is deleted its objects are removed (kube's namespace controller
  // works asynchronously; `kubectl delete -f` of a folder relies on that).
  absl::Duration namespace_cleanup_delay = absl::Seconds(1);
};

class ApiEngine {
 public:
  static absl::StatusOr<std::unique_ptr<ApiEngine>> New(const EngineOptions& options);
  ~ApiEngine();

  // registry: the current resource set (replaced when CRDs change). Hold the pointer for as long
  // as a ResourceInfo from it is used.
  std::shared_ptr<const Registry> registry() const;
  Store* store() { return &store_; }
  // SetAdmission: `hook` (not owned, may be null) must outlive every later request.
  void SetAdmission(AdmissionHook* hook);
  void SetWatchSettings(const WatchSettings& settings);
  WatchSettings watch_settings() const;

  absl::StatusOr<std::string> Get(const ResourceInfo& info, const std::string& ns,
                                  const std::string& name) const;
  absl::StatusOr<std::string> List(const ResourceInfo& info, const std::string& ns,
                                   const ListOptions& options);
  absl::StatusOr<WriteResult> Create(const ResourceInfo& info, const std::string& ns,
                                     nlohmann::json body, const WriteOptions& options);
  absl::StatusOr<WriteResult> Update(const ResourceInfo& info, const std::string& ns,
                                     const std::string& name, const std::string& subresource,
                                     nlohmann::json body, const WriteOptions& options);
  // Patch: `content_type` is the request's Content-Type (parameters ignored). Server-side apply
  // (application/apply-patch+yaml) is implemented as "create if missing, else merge the applied
  // configuration in" with per-manager ownership of the applied fields kept in
  // metadata.managedFields, and 409 FieldManagerConflict when another apply manager owns a field
  // with a different value (force=true takes it over).
  absl::StatusOr<WriteResult> Patch(const ResourceInfo& info, const std::string& ns,
                                    const std::string& name, const std::string& subresource,
                                    const std::string& content_type, const std::string& body,
                                    const WriteOptions& options);
  absl::StatusOr<WriteResult> Delete(const ResourceInfo& info, const std::string& ns,
                                     const std::string& name, const nlohmann::json& delete_options,
                                     const WriteOptions& options);
  absl::StatusOr<WriteResult> DeleteCollection(const ResourceInfo& info, const std::string& ns,
                                               const ListOptions& list_options,
                                               const nlohmann::json& delete_options,
                                               const WriteOptions& options);
  absl::StatusOr<std::unique_ptr<WatchStream>> Watch(const ResourceInfo& info,
                                                     const std::string& ns,
                                                     const WatchOptions& options);

  // Seed stores `object` as-is (status included), adding what a manifest or a fixture lacks:
  // apiVersion/kind (inferred for Tekton runs), namespace "default", uid, creationTimestamp.
  // An existing object of the same name is replaced.
  absl::Status Seed(nlohmann::json object);
  // Serialize: every object as {"revision": N, "objects": [...]}; Load restores it.
  std::string Serialize() const;
  absl::Status Load(const std::string& data);

 private:
  explicit ApiEngine(const EngineOptions& options);
  absl::StatusOr<WriteResult> ApplyPatch(const ResourceInfo& info, const std::string& ns,
                                         const std::string& name, const std::string& subresource,
                                         const std::string& body, const WriteOptions& options);
  class Impl;
  Store store_;  // declared first: Impl refers to it
  std::unique_ptr<Impl> impl_;
};

}  // namespace hallmark::tests::apiserver

#endif  // HALLMARK_TESTS_APISERVER_ENGINE_H_
