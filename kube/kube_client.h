// File: kube/kube_client.h
//
// KubeClient: the Kubernetes API calls the agent, the webhook and the informer need: get, list
// (one page), watch (streaming), create, update (PUT), patch (merge or JSON patch) and delete.
// Objects are nlohmann::json; callers project what they need (kube/informer.h).
//
// Error contract (every method): kube/api_status.h maps the server's Status to an absl code
// (404 kNotFound, 409 kAborted or kAlreadyExists, 410 kOutOfRange, 422 kInvalidArgument, 401
// kUnauthenticated, 403 kPermissionDenied, 429/5xx kUnavailable) with the server's message;
// transport failures are kUnavailable or kDeadlineExceeded; bad arguments (names that are not
// object names, a patch that is not JSON) kInvalidArgument before anything is sent; a response
// that is not the expected JSON kDataLoss; kCancelled when a `cancel` notification fired.
//
// Implementations: HttpKubeClient (kube/http_kube_client.h), FakeKubeClient
// (kube/testing/fake_kube_client.h). All are thread-safe.
#ifndef HALLMARK_KUBE_KUBE_CLIENT_H_
#define HALLMARK_KUBE_KUBE_CLIENT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/notification.h"
#include "kube/resource.h"
#include "kube/watch_decoder.h"
#include "nlohmann/json.hpp"

namespace hallmark::kube {

struct ListOptions {
  std::string label_selector;  // "app=x,tier!=db"
  std::string field_selector;  // "metadata.name=x"
  // "" : the newest data (a consistent read); "0": any data; "N": at least as new as N.
  std::string resource_version;
  int64_t limit = 0;                           // page size; 0: everything at once
  std::string continue_token;                  // from the previous page
  const absl::Notification* cancel = nullptr;  // must outlive the call
};

struct ObjectList {
  std::string resource_version;  // the list's revision (where a watch should start)
  std::string continue_token;    // non-empty: more pages follow
  std::vector<nlohmann::json> items;
};

struct WatchOptions {
  // Where to start: "" or "0" begin with a synthetic ADDED for every current object; "N" sends
  // exactly the changes after revision N (410 when N is no longer kept).
  std::string resource_version;
  std::string label_selector;
  std::string field_selector;
  int64_t timeout_seconds = 0;  // the server ends the stream cleanly after this; 0: its default
  bool allow_bookmarks = true;
  const absl::Notification* cancel = nullptr;  // must outlive the call
};

enum class PatchType {
  kMerge,  // application/merge-patch+json (RFC 7386): what kubectl annotate sends
  kJson,   // application/json-patch+json (RFC 6902)
};

struct PatchOptions {
  std::string subresource;  // "" or "status"
  std::string field_manager = "hallmark";
  // Optimistic concurrency: when set, the patch only applies if the object still has this
  // resourceVersion, else kAborted (409). Merge patches carry it as metadata.resourceVersion;
  // JSON patches get an extra `add /metadata/resourceVersion` operation. Both make the server
  // compare it with the stored one (kube-api.md §1 "Optimistic concurrency").
  std::string resource_version;
};

struct WriteOptions {
  std::string field_manager = "hallmark";
};

struct DeleteOptions {
  // Preconditions: delete only if the object still has this resourceVersion / uid (409 if not).
  std::string resource_version;
  std::string uid;
};

class KubeClient {
 public:
  virtual ~KubeClient() = default;

  // Get: the object `name` (kNotFound if it does not exist).
  virtual absl::StatusOr<nlohmann::json> Get(const Resource& resource, absl::string_view ns,
                                             absl::string_view name) = 0;

  // List: one page; `ns` empty lists all namespaces. An expired continue token is kOutOfRange
  // (IsResourceExpired): start over (kube/pager.h does that).
  virtual absl::StatusOr<ObjectList> List(const Resource& resource, absl::string_view ns,
                                          const ListOptions& options) = 0;

  // Watch streams events to `on_event` as they arrive, in order, on the calling thread, until
  // the server ends the stream (OK), `on_event` returns false (OK), options.cancel fires
  // (kCancelled) or an error. An ERROR event is not passed on: it ends the watch with its Status
  // as the error (a 410 there, like an HTTP 410, is kOutOfRange with IsResourceExpired true).
  // A stream that is not watch events is kDataLoss; an event line over the client's limit is
  // kResourceExhausted.
  using EventCallback = absl::FunctionRef<bool(WatchEvent&& event)>;
  virtual absl::Status Watch(const Resource& resource, absl::string_view ns,
                             const WatchOptions& options, EventCallback on_event) = 0;

  // Create: POST `object` into `ns` (its metadata.namespace, if any, must equal `ns`); returns
  // the stored object. kAlreadyExists when the name is taken.
  virtual absl::StatusOr<nlohmann::json> Create(const Resource& resource, absl::string_view ns,
                                                const nlohmann::json& object,
                                                const WriteOptions& options = {}) = 0;

  // Update: PUT `object` (named by its metadata.name; it must carry metadata.resourceVersion);
  // kAborted when that resourceVersion is stale.
  virtual absl::StatusOr<nlohmann::json> Update(const Resource& resource, absl::string_view ns,
                                                const nlohmann::json& object,
                                                const WriteOptions& options = {}) = 0;

  // Patch: applies `patch` (a JSON document of `type`) and returns the updated object.
  // kAborted when a resourceVersion precondition fails; kInvalidArgument (422) when a JSON
  // patch operation fails.
  virtual absl::StatusOr<nlohmann::json> Patch(const Resource& resource, absl::string_view ns,
                                               absl::string_view name, PatchType type,
                                               absl::string_view patch,
                                               const PatchOptions& options = {}) = 0;

  // Delete: kNotFound if it does not exist, kAborted if a precondition fails.
  virtual absl::Status Delete(const Resource& resource, absl::string_view ns,
                              absl::string_view name, const DeleteOptions& options = {}) = 0;
};

// AddResourceVersionPrecondition: `patch` with the precondition described in PatchOptions
// (shared by the implementations). kInvalidArgument if `patch` is not a JSON object (merge) or
// array (JSON patch).
absl::StatusOr<std::string> AddResourceVersionPrecondition(PatchType type, absl::string_view patch,
                                                           absl::string_view resource_version);

// AnnotationsMergePatch: the merge patch that sets (a value) or removes (nullopt) annotations,
// e.g. {"metadata":{"annotations":{"chains.tekton.dev/signed":"true",
// "chains.tekton.dev/retries":null}}}: what the agent sends, one per run, with
// PatchType::kMerge. kInvalidArgument for an empty key or a key over 317 characters
// (253-character prefix, "/", 63-character name); the server checks the rest.
absl::StatusOr<std::string> AnnotationsMergePatch(
    const std::vector<std::pair<std::string, std::optional<std::string>>>& changes);

// ObjectMeta helpers (empty string when absent or not a string).
std::string MetaName(const nlohmann::json& object);
std::string MetaNamespace(const nlohmann::json& object);
std::string MetaResourceVersion(const nlohmann::json& object);
std::string MetaUid(const nlohmann::json& object);

}  // namespace hallmark::kube

#endif  // HALLMARK_KUBE_KUBE_CLIENT_H_
