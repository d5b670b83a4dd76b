#include "tests/apiserver/engine.h"

#include <algorithm>
#include <deque>
#include <map>
#include <set>
#include <thread>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/encoding.h"
#include "base/log.h"
#include "base/status_macros.h"
#include "tests/apiserver/api_error.h"
#include "tests/apiserver/builtin_catalog.h"
#include "tests/apiserver/json_patch.h"
#include "tests/apiserver/json_util.h"
#include "tests/apiserver/kind_validation.h"
#include "tests/apiserver/merge_patch.h"
#include "tests/apiserver/meta_validation.h"
#include "tests/apiserver/strategic_merge_patch.h"

namespace hallmark::tests::apiserver {
namespace {

// Writes are compare-and-swap: a write that lost a race re-reads and re-applies, as kube's
// GuaranteedUpdate does, for as long as it keeps losing to other writers (bounded only by time).
constexpr absl::Duration kMaxRetryTime = absl::Seconds(30);

// RetryBudget: true while a write may try again.
class RetryBudget {
 public:
  bool Next() { return attempts_++ == 0 || absl::Now() < deadline_; }

 private:
  int attempts_ = 0;
  absl::Time deadline_ = absl::Now() + kMaxRetryTime;
};
constexpr char kCrdStorageKey[] = "apiextensions.k8s.io/customresourcedefinitions";
constexpr char kNamespaceStorageKey[] = "/namespaces";
const GroupResource kNamespacesGr{"", "namespaces"};
// The label kube-apiserver keeps on every Namespace (core/v1 LabelMetadataName).
constexpr char kNamespaceNameLabel[] = "kubernetes.io/metadata.name";

// SetNamespaceNameLabel: kube-apiserver's Namespace defaulting and strategy (Canonicalize) set
// `kubernetes.io/metadata.name: <name>` on every create and update, whatever the client or a
// mutating webhook sent, so namespaceSelectors can select namespaces by name. A nameless object
// (generateName, before its name is chosen) is left alone.
void SetNamespaceNameLabel(const ResourceInfo& info, json* obj) {
  if (!info.builtin || !info.group.empty() || info.resource != "namespaces") return;
  std::string name = StringAt(*obj, {"metadata", "name"});
  if (name.empty()) return;
  json* meta = EnsureObject(*obj, "metadata");
  json* labels = meta != nullptr ? EnsureObject(*meta, "labels") : nullptr;
  if (labels != nullptr) (*labels)[kNamespaceNameLabel] = name;
}

std::string ObjectKey(bool namespaced, const std::string& ns, const std::string& name) {
  return namespaced ? absl::StrCat(ns, "/", name) : name;
}

std::string MediaType(const std::string& content_type) {
  std::string t = content_type.substr(0, content_type.find(';'));
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(t));
}

// Value at a JSON pointer such as "/involvedObject/name", rendered for field selectors.
std::string FieldValue(const json& obj, const std::string& pointer) {
  const json* cur = &obj;
  for (absl::string_view part : absl::StrSplit(absl::string_view(pointer).substr(1), '/')) {
    cur = Member(*cur, part);
    if (cur == nullptr) return "";
  }
  if (cur->is_string()) return cur->get<std::string>();
  if (cur->is_null()) return "";
  return Dump(*cur);
}

absl::StatusOr<json> ParseStored(const StoredObject& o) {
  absl::StatusOr<json> j = ParseJson(o.json);
  if (!j.ok()) return ToStatus(ApiError::InternalError("stored object is not valid JSON"));
  return j;
}

std::string GoJsonKindFor(const std::string& openapi_type) {
  if (openapi_type == "boolean") return "bool";
  if (openapi_type == "integer" || openapi_type == "number") return "number";
  return openapi_type;
}

// Leaf paths of an applied configuration (server-side apply ownership).
void LeafPaths(const json& v, std::vector<std::string>& prefix,
               std::set<std::vector<std::string>>* out) {
  if (v.is_object() && !v.empty()) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      prefix.push_back(it.key());
      LeafPaths(it.value(), prefix, out);
      prefix.pop_back();
    }
    return;
  }
  out->insert(prefix);
}

json FieldsV1(const std::set<std::vector<std::string>>& paths) {
  json tree = json::object();
  for (const auto& p : paths) {
    json* cur = &tree;
    for (const auto& k : p) cur = &(*cur)[absl::StrCat("f:", k)];
    if (cur->is_null()) *cur = json::object();
  }
  return tree;
}

void ParseFieldsV1(const json& tree, std::vector<std::string>& prefix,
                   std::set<std::vector<std::string>>* out) {
  bool has_child = false;
  if (tree.is_object()) {
    for (auto it = tree.begin(); it != tree.end(); ++it) {
      if (!absl::StartsWith(it.key(), "f:")) continue;
      has_child = true;
      prefix.push_back(it.key().substr(2));
      ParseFieldsV1(it.value(), prefix, out);
      prefix.pop_back();
    }
  }
  if (!has_child && !prefix.empty()) out->insert(prefix);
}

const json* AtPath(const json& obj, const std::vector<std::string>& path) {
  const json* cur = &obj;
  for (const auto& k : path) {
    cur = Member(*cur, k);
    if (cur == nullptr) return nullptr;
  }
  return cur;
}

void SetAtPath(json* obj, const std::vector<std::string>& path, const json& value) {
  json* cur = obj;
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    if (!cur->is_object()) *cur = json::object();
    cur = &(*cur)[path[i]];
  }
  if (!cur->is_object()) *cur = json::object();
  (*cur)[path.back()] = value;
}

void EraseAtPath(json* obj, const std::vector<std::string>& path) {
  json* cur = obj;
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    cur = MutableMember(*cur, path[i]);
    if (cur == nullptr) return;
  }
  if (cur->is_object()) cur->erase(path.back());
}

std::string PathString(const std::vector<std::string>& path) {
  std::string out;
  for (const auto& p : path) absl::StrAppend(&out, ".", p);
  return out;
}

bool IsPrefix(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  if (a.size() > b.size()) return false;
  return std::equal(a.begin(), a.end(), b.begin());
}

std::string UnknownFieldsMessage(const std::vector<std::string>& fields) {
  std::vector<std::string> parts;
  for (const auto& f : fields) parts.push_back(absl::StrCat("unknown field ", GoQuote(f)));
  return absl::StrCat("strict decoding error: ", absl::StrJoin(parts, ", "));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Watch stream

class EngineWatch : public WatchStream {
 public:
  EngineWatch(Store* store, ResourceInfo info, std::string ns, LabelSelector labels,
              FieldSelector fields, uint64_t cursor, std::string initial, bool initial_bookmark,
              bool allow_bookmarks, absl::Time deadline, absl::Duration bookmark_interval,
              uint64_t epoch, std::string first_error)
      : store_(store),
        info_(std::move(info)),
        ns_(std::move(ns)),
        labels_(std::move(labels)),
        fields_(std::move(fields)),
        cursor_(cursor),
        pending_(std::move(initial)),
        initial_bookmark_(initial_bookmark),
        allow_bookmarks_(allow_bookmarks),
        deadline_(deadline),
        bookmark_interval_(bookmark_interval),
        next_bookmark_(absl::Now() + bookmark_interval),
        epoch_(epoch),
        first_error_(std::move(first_error)) {}

  Output Next(absl::Duration max_wait) override {
    Output out;
    if (!first_error_.empty()) {
      out.data = std::move(first_error_);
      out.finished = true;
      return out;
    }
    if (!pending_.empty()) {
      out.data = std::move(pending_);
      pending_.clear();
      if (initial_bookmark_) {
        out.data += Bookmark(cursor_, true);
        initial_bookmark_ = false;
      }
      return out;
    }
    if (initial_bookmark_) {
      out.data = Bookmark(cursor_, true);
      initial_bookmark_ = false;
      return out;
    }
    absl::Time now = absl::Now();
    absl::Time wake = std::min(now + max_wait, deadline_);
    if (allow_bookmarks_) wake = std::min(wake, next_bookmark_);
    Store::WatchBatch batch = store_->Wait(info_.StorageKey(), cursor_, wake, epoch_);
    if (batch.closed) {
      out.finished = true;
      return out;
    }
    if (batch.expired) {
      ApiError e = ApiError::Expired(
          absl::StrCat("too old resource version: ", cursor_, " (", batch.compacted, ")"));
      out.data = absl::StrCat("{\"type\":\"ERROR\",\"object\":", Dump(e.ToJson()), "}\n");
      out.finished = true;
      return out;
    }
    for (const Event& ev : batch.events) {
      AppendEvent(ev, &out.data);
      cursor_ = ev.rv;
    }
    if (batch.events.empty()) cursor_ = std::max(cursor_, batch.revision);
    now = absl::Now();
    if (allow_bookmarks_ && now >= next_bookmark_ && out.data.empty()) {
      out.data = Bookmark(cursor_, false);
      next_bookmark_ = now + bookmark_interval_;
    }
    if (now >= deadline_) {
      // kube-apiserver sends a last bookmark just before a watch times out.
      if (allow_bookmarks_) out.data += Bookmark(cursor_, false);
      out.finished = true;
    }
    return out;
  }

 private:
  bool Matches(const StoredObject* o) const {
    if (o == nullptr) return false;
    if (info_.namespaced && !ns_.empty() && o->ns != ns_) return false;
    return labels_.Matches(o->labels) && fields_.Matches(o->fields);
  }

  std::string Text(const StoredObject& o) const {
    if (info_.version == info_.storage_version) return o.json;
    absl::StatusOr<json> j = ParseJson(o.json);
    if (!j.ok()) return o.json;
    (*j)["apiVersion"] = info_.GroupVersion();
    return Dump(*j);
  }

  void AppendEvent(const Event& ev, std::string* out) const {
    const char* type = nullptr;
    bool now = Matches(ev.object.get());
    bool before = Matches(ev.previous.get());
    switch (ev.type) {
      case EventType::kAdded:
        if (now) type = "ADDED";
        break;
      case EventType::kModified:
        if (now && before) {
          type = "MODIFIED";
        } else if (now) {
          type = "ADDED";
        } else if (before) {
          type = "DELETED";
        }
        break;
      case EventType::kDeleted:
        if (before || now) type = "DELETED";
        break;
    }
    if (type == nullptr) return;
    absl::StrAppend(out, "{\"type\":\"", type, "\",\"object\":", Text(*ev.object), "}\n");
  }

  std::string Bookmark(uint64_t rv, bool initial_end) const {
    json obj = {{"kind", info_.kind},
                {"apiVersion", info_.GroupVersion()},
                {"metadata", {{"resourceVersion", absl::StrCat(rv)}}}};
    if (initial_end) {
      obj["metadata"]["annotations"] = {{"k8s.io/initial-events-end", "true"}};
    }
    return absl::StrCat("{\"type\":\"BOOKMARK\",\"object\":", Dump(obj), "}\n");
  }

  Store* store_;
  ResourceInfo info_;
  std::string ns_;
  LabelSelector labels_;
  FieldSelector fields_;
  uint64_t cursor_;
  std::string pending_;
  bool initial_bookmark_;
  bool allow_bookmarks_;
  absl::Time deadline_;
  absl::Duration bookmark_interval_;
  absl::Time next_bookmark_;
  uint64_t epoch_;
  std::string first_error_;
};

// ---------------------------------------------------------------------------------------------
// Engine internals

class ApiEngine::Impl {
 public:
  Impl(const EngineOptions& options, Store* store)
      : clock_(options.clock != nullptr ? options.clock : Clock::RealClock()),
        store_(store),
        namespace_cleanup_delay_(options.namespace_cleanup_delay) {
    registry_ = Registry::Build({});
    namespace_controller_ = std::thread([this] { NamespaceControllerLoop(); });
  }

  ~Impl() {
    {
      absl::MutexLock lock(&ns_mu_);
      stopping_ = true;
    }
    namespace_controller_.join();
  }

  // ---- the namespace controller ----

  // ScheduleNamespaceCleanup: delete the objects of terminating namespace `ns` a little later,
  // as kube's namespace controller does asynchronously (so `kubectl delete -f dir/` can still
  // delete a namespace's objects after the namespace itself).
  void ScheduleNamespaceCleanup(const std::string& ns) {
    absl::MutexLock lock(&ns_mu_);
    ns_queue_.emplace_back(absl::Now() + namespace_cleanup_delay_, ns);
  }

  void NamespaceControllerLoop() {
    while (true) {
      std::string ns;
      {
        absl::MutexLock lock(&ns_mu_);
        auto due = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(ns_mu_) {
          return stopping_ || (!ns_queue_.empty() && ns_queue_.front().first <= absl::Now());
        };
        // Wake at least every 50 ms: absl's Await cannot watch the clock.
        while (!due()) {
          ns_mu_.AwaitWithTimeout(absl::Condition(&due), absl::Milliseconds(50));
        }
        if (stopping_) return;
        ns = ns_queue_.front().second;
        ns_queue_.pop_front();
      }
      PurgeNamespace(ns);
    }
  }

  std::shared_ptr<const Registry> registry() const {
    absl::MutexLock lock(&mu_);
    return registry_;
  }

  void RebuildRegistry() {
    std::vector<json> crds;
    auto snap = store_->List(kCrdStorageKey);
    for (const auto& [key, obj] : snap->items) {
      absl::StatusOr<json> j = ParseStored(*obj);
      if (j.ok()) crds.push_back(std::move(*j));
    }
    auto reg = Registry::Build(crds);
    absl::MutexLock lock(&mu_);
    registry_ = std::move(reg);
  }

  std::string Now() const { return FormatRfc3339(clock_->Now()); }

  // ---- object helpers ----

  ObjectInput MakeInput(const ResourceInfo& info, json obj) const {
    ObjectInput in;
    in.labels = StringMap(Path(obj, {"metadata", "labels"}));
    in.fields["metadata.name"] = StringAt(obj, {"metadata", "name"});
    if (info.namespaced) in.fields["metadata.namespace"] = StringAt(obj, {"metadata", "namespace"});
    for (const auto& [label, pointer] : info.field_selectors) {
      in.fields[label] = FieldValue(obj, pointer);
    }
    in.object = std::move(obj);
    return in;
  }

  // Text of a stored object as served at `info.version`; list items of built-in kinds carry no
  // apiVersion/kind (kube's typed lists).
  std::string Serve(const ResourceInfo& info, const StoredObject& o, bool list_item) const {
    bool rewrite = info.version != info.storage_version;
    bool strip = list_item && info.builtin;
    if (!rewrite && !strip) return o.json;
    absl::StatusOr<json> j = ParseStored(o);
    if (!j.ok()) return o.json;
    if (strip) {
      j->erase("apiVersion");
      j->erase("kind");
    } else {
      (*j)["apiVersion"] = info.GroupVersion();
    }
    return Dump(*j);
  }

  json ServeJson(const ResourceInfo& info, json obj) const {
    if (info.version != info.storage_version) obj["apiVersion"] = info.GroupVersion();
    return obj;
  }

  const json* RootSchema(const Registry& reg, const ResourceInfo& info) const {
    return reg.schemas().Get(info.schema_name);
  }

  // Normalize: schema pruning/defaulting/type checks plus fieldValidation handling for a body
  // that was sent whole (create, update). `patched` selects the patch error shapes.
  absl::Status NormalizeBody(const Registry& reg, const ResourceInfo& info, json* obj,
                             const WriteOptions& options, bool patched,
                             std::vector<std::string>* warnings) const {
    const json* schema = RootSchema(reg, info);
    if (schema == nullptr) return absl::OkStatus();
    json original_for_patch_error = patched ? *obj : json();
    SchemaViolations v;
    Normalize(reg.schemas(), *schema, obj, NormalizeOptions{}, &v);
    std::string name = StringAt(*obj, {"metadata", "name"});
    if (!v.type_errors.empty()) {
      const TypeMismatch& t = v.type_errors.front();
      if (patched) {
        std::string detail =
            info.builtin
                ? absl::StrCat("json: cannot unmarshal ", t.actual, " into Go struct field ",
                               t.struct_name.empty() ? info.kind : t.struct_name, ".", t.path,
                               " of type ", t.go_type)
                : absl::StrCat(t.path, " in body must be of type ", t.expected, ": ",
                               GoQuote(GoJsonKindFor(t.actual)));
        return ToStatus(ApiError::Invalid(
            "", "", "",
            {FieldError::InvalidString("patch", Dump(original_for_patch_error), detail)}));
      }
      if (info.builtin) {
        return ToStatus(ApiError::BadRequest(absl::StrCat(
            info.kind, " in version ", GoQuote(info.version), " cannot be handled as a ", info.kind,
            ": json: cannot unmarshal ", t.actual, " into Go struct field ",
            t.struct_name.empty() ? info.kind : t.struct_name, ".", t.path, " of type ",
            t.go_type)));
      }
      std::vector<FieldError> errs;
      for (const auto& te : v.type_errors) {
        errs.push_back(
            FieldError::Invalid(te.path, te.value,
                                absl::StrCat(te.path, " in body must be of type ", te.expected,
                                             ": ", GoQuote(GoJsonKindFor(te.actual)))));
      }
      return ToStatus(ApiError::Invalid(info.group, info.kind, name, errs));
    }
    if (!v.unknown_fields.empty()) {
      std::string mode = options.field_validation.empty() ? "Warn" : options.field_validation;
      if (mode == "Strict") {
        std::string msg = UnknownFieldsMessage(v.unknown_fields);
        if (patched) {
          return ToStatus(ApiError::Invalid(
              "", "", "",
              {FieldError::InvalidString("patch", Dump(original_for_patch_error), msg)}));
        }
        return ToStatus(
            ApiError::BadRequest(absl::StrCat(info.kind, " in version ", GoQuote(info.version),
                                              " cannot be handled as a ", info.kind, ": ", msg)));
      }
      if (mode == "Warn") {
        for (const auto& f : v.unknown_fields) {
          warnings->push_back(
              absl::StrCat("299 - ", GoQuote(absl::StrCat("unknown field ", GoQuote(f)))));
        }
      }
    }
    return absl::OkStatus();
  }

  // Kind-specific defaulting and conversions kube-apiserver does on every write.
  void ApplyKindDefaults(const ResourceInfo& info, json* obj) const {
    if (!info.builtin) return;
    SetNamespaceNameLabel(info, obj);
    if (info.group.empty() && info.resource == "secrets") {
      if (StringAt(*obj, {"type"}).empty()) (*obj)["type"] = "Opaque";
      const json* string_data = Member(*obj, "stringData");
      if (string_data != nullptr && string_data->is_object()) {
        json* data = EnsureObject(*obj, "data");
        if (data != nullptr) {
          for (auto it = string_data->begin(); it != string_data->end(); ++it) {
            if (it.value().is_string()) {
              (*data)[it.key()] = Base64Encode(it.value().get<std::string>());
            }
          }
        }
      }
      obj->erase("stringData");
    }
    if (info.group.empty() && info.resource == "services") {
      json* spec = EnsureObject(*obj, "spec");
      if (spec != nullptr) {
        if (StringAt(*spec, {"type"}).empty()) (*spec)["type"] = "ClusterIP";
        if (StringAt(*spec, {"sessionAffinity"}).empty()) (*spec)["sessionAffinity"] = "None";
        json* ports = MutableMember(*spec, "ports");
        if (ports != nullptr && ports->is_array()) {
          for (auto& p : *ports) {
            if (!p.is_object()) continue;
            if (StringAt(p, {"protocol"}).empty()) p["protocol"] = "TCP";
            if (!p.contains("targetPort") && p.contains("port")) p["targetPort"] = p["port"];
          }
        }
      }
    }
    if (info.group == "apps" && info.resource == "deployments") {
      json* spec = EnsureObject(*obj, "spec");
      if (spec != nullptr && !spec->contains("replicas")) (*spec)["replicas"] = 1;
    }
  }

  // Status kube-apiserver gives a new object of a resource with a status subresource.
  void ResetStatusForCreate(const ResourceInfo& info, json* obj) const {
    if (!info.status_subresource) return;
    obj->erase("status");
    if (info.builtin && info.group.empty() && info.resource == "namespaces") {
      (*obj)["status"] = {{"phase", "Active"}};
    } else if (info.builtin && info.group.empty() && info.resource == "pods") {
      (*obj)["status"] = {{"phase", "Pending"}};
    }
  }

  absl::Status CheckNamespaceForCreate(const ResourceInfo& info, const std::string& ns,
                                       const std::string& name) const {
    if (!info.namespaced) return absl::OkStatus();
    ObjectRef nsobj = store_->Get(kNamespaceStorageKey, ns);
    if (nsobj == nullptr) return ToStatus(ApiError::NotFound(kNamespacesGr, ns));
    absl::StatusOr<json> j = ParseStored(*nsobj);
    if (j.ok() && (StringAt(*j, {"status", "phase"}) == "Terminating" ||
                   Path(*j, {"metadata", "deletionTimestamp"}) != nullptr)) {
      return ToStatus(ApiError::Forbidden(info.gr(), name,
                                          absl::StrCat("unable to create new content in namespace ",
                                                       ns, " because it is being terminated")));
    }
    return absl::OkStatus();
  }

  absl::Status CheckIdentity(const ResourceInfo& info, json* obj, const std::string& ns,
                             const std::string* url_name) const {
    if (!obj->is_object()) {
      return ToStatus(ApiError::BadRequest(
          absl::StrCat("the object provided is unrecognized (must be of type ", info.kind, ")")));
    }
    std::string api_version = StringAt(*obj, {"apiVersion"});
    std::string kind = StringAt(*obj, {"kind"});
    if (!api_version.empty() && api_version != info.GroupVersion()) {
      // Any served version of the same group is accepted (no conversion between versions).
      std::string group = api_version.find('/') == std::string::npos
                              ? ""
                              : api_version.substr(0, api_version.find('/'));
      if (group != info.group) {
        return ToStatus(ApiError::BadRequest(
            absl::StrCat("the API version in the data (", api_version,
                         ") does not match the expected API version (", info.GroupVersion(), ")")));
      }
    }
    if (!kind.empty() && kind != info.kind) {
      return ToStatus(ApiError::BadRequest(
          absl::StrCat(kind, " in version ", GoQuote(info.version), " cannot be handled as a ",
                       info.kind, ": no kind ", GoQuote(kind), " is registered for version ",
                       GoQuote(info.GroupVersion()))));
    }
    (*obj)["apiVersion"] = info.StorageApiVersion();
    (*obj)["kind"] = info.kind;
    json* meta = EnsureObject(*obj, "metadata");
    if (meta == nullptr) {
      return ToStatus(ApiError::BadRequest(
          absl::StrCat(info.kind, " in version ", GoQuote(info.version), " cannot be handled as a ",
                       info.kind, ": json: cannot unmarshal into Go struct field ", info.kind,
                       ".metadata of type v1.ObjectMeta")));
    }
    if (info.namespaced) {
      std::string body_ns = StringAt(*meta, {"namespace"});
      if (body_ns.empty()) {
        (*meta)["namespace"] = ns;
      } else if (body_ns != ns) {
        return ToStatus(ApiError::BadRequest(
            "the namespace of the provided object does not match the namespace sent on the "
            "request"));
      }
    } else {
      meta->erase("namespace");
    }
    if (url_name != nullptr) {
      std::string body_name = StringAt(*meta, {"name"});
      if (body_name.empty()) {
        (*meta)["name"] = *url_name;
      } else if (body_name != *url_name) {
        return ToStatus(ApiError::BadRequest(absl::StrCat("the name of the object (", body_name,
                                                          ") does not match the name on the URL (",
                                                          *url_name, ")")));
      }
    }
    return absl::OkStatus();
  }

  // ---- create ----

  absl::StatusOr<WriteResult> Create(const Registry& reg, const ResourceInfo& info,
                                     const std::string& ns, json obj, const WriteOptions& options,
                                     bool keep_managed_fields) {
    WriteResult result;
    HM_RETURN_IF_ERROR(CheckIdentity(info, &obj, ns, nullptr));
    json& meta = obj["metadata"];
    if (!StringAt(meta, {"resourceVersion"}).empty()) {
      return ToStatus(
          ApiError::BadRequest("resourceVersion should not be set on objects to be created"));
    }
    HM_RETURN_IF_ERROR(NormalizeBody(reg, info, &obj, options, false, &result.warnings));
    if (info.create_only) return CreateOnly(info, std::move(obj), options);
    ApplyKindDefaults(info, &obj);
    std::string name = StringAt(obj, {"metadata", "name"});
    std::string generate = StringAt(obj, {"metadata", "generateName"});
    // Mutating admission sees the object before system fields are set.
    if (admission_ != nullptr) {
      AdmissionRequest req = AdmissionFor(info, "", "CREATE", ns, name, nullptr, options);
      req.options = {{"kind", "CreateOptions"}, {"apiVersion", "meta.k8s.io/v1"}};
      if (!options.field_manager.empty()) req.options["fieldManager"] = options.field_manager;
      json served = ServeJson(info, obj);
      HM_RETURN_IF_ERROR(admission_->Mutate(req, &served));
      obj = std::move(served);
      HM_RETURN_IF_ERROR(CheckIdentity(info, &obj, ns, nullptr));
      NormalizeOptions quiet;
      SchemaViolations ignored;
      if (const json* schema = RootSchema(reg, info); schema != nullptr) {
        Normalize(reg.schemas(), *schema, &obj, quiet, &ignored);
      }
      name = StringAt(obj, {"metadata", "name"});
      generate = StringAt(obj, {"metadata", "generateName"});
    }
    // System fields (rest.BeforeCreate).
    json* m = EnsureObject(obj, "metadata");
    m->erase("deletionTimestamp");
    m->erase("deletionGracePeriodSeconds");
    m->erase("selfLink");
    if (!keep_managed_fields) m->erase("managedFields");
    (*m)["uid"] = NewUid();
    (*m)["creationTimestamp"] = Now();
    if (info.has_generation)
      (*m)["generation"] = 1;
    else
      m->erase("generation");
    ResetStatusForCreate(info, &obj);
    if (info.builtin && info.group.empty() && info.resource == "namespaces") {
      (*EnsureObject(obj, "spec"))["finalizers"] = json::array({"kubernetes"});
    }
    bool generated = name.empty() && !generate.empty();
    for (int attempt = 0;; ++attempt) {
      if (generated) {
        name = generate + RandomSuffix(5);
        (*m)["name"] = name;
      }
      std::vector<FieldError> errs = ValidateObjectMeta(
          obj["metadata"], info.namespaced, NameRuleFor(info.group, info.resource, info.builtin));
      if (info.builtin && info.group == "apiextensions.k8s.io") {
        for (auto& e : ValidateCrd(obj)) errs.push_back(std::move(e));
      }
      if (info.builtin) {
        for (auto& e : ValidateKind(info.group, info.resource, obj)) errs.push_back(std::move(e));
      }
      if (!errs.empty()) {
        return ToStatus(ApiError::Invalid(info.group, info.kind, name, errs));
      }
      SetNamespaceNameLabel(info, &obj);  // after mutation and generateName (Canonicalize)
      HM_RETURN_IF_ERROR(CheckNamespaceForCreate(info, ns, name));
      if (info.builtin && info.group == "apiextensions.k8s.io") {
        obj["status"] = CrdStatus(obj, Now());
      }
      if (admission_ != nullptr) {
        AdmissionRequest req = AdmissionFor(info, "", "CREATE", ns, name, nullptr, options);
        req.options = {{"kind", "CreateOptions"}, {"apiVersion", "meta.k8s.io/v1"}};
        json served = ServeJson(info, obj);
        HM_RETURN_IF_ERROR(admission_->Validate(req, &served));
      }
      if (options.dry_run) {
        result.code = 201;
        result.body = Dump(ServeJson(info, obj));
        return result;
      }
      std::string key = ObjectKey(info.namespaced, ns, name);
      absl::StatusOr<ObjectRef> stored =
          store_->Create(info.StorageKey(), key, MakeInput(info, obj));
      if (!stored.ok()) {
        if (stored.status().code() == absl::StatusCode::kAlreadyExists) {
          if (generated && attempt < 8) continue;
          return ToStatus(ApiError::AlreadyExists(info.gr(), name));
        }
        return stored.status();
      }
      AfterWrite(info);
      result.code = 201;
      result.body = Serve(info, **stored, false);
      return result;
    }
  }

  absl::StatusOr<WriteResult> CreateOnly(const ResourceInfo& info, json obj,
                                         const WriteOptions& options) {
    // SelfSubjectAccessReview: RBAC is stored, not enforced, so everything is allowed.
    WriteResult result;
    result.code = 201;
    obj["status"] = {{"allowed", true}, {"reason", "hallmark-apiserver does not enforce RBAC"}};
    result.body = Dump(ServeJson(info, obj));
    return result;
  }

  // ---- update (PUT, patch, apply, finalizer completion) ----

  enum class UpdateMode { kPut, kPatch };

  // Update writes `next` over the current object `cur` (rv `cur_rv`) following the update rules;
  // returns kAborted (internal) when the store changed in between.
  absl::StatusOr<WriteResult> CommitUpdate(const Registry& reg, const ResourceInfo& info,
                                           const std::string& ns, const std::string& name,
                                           const std::string& subresource, const json& cur,
                                           uint64_t cur_rv, json next, UpdateMode mode,
                                           const WriteOptions& options,
                                           std::vector<std::string> warnings) {
    WriteResult result;
    result.warnings = std::move(warnings);
    std::string url_name = name;
    HM_RETURN_IF_ERROR(CheckIdentity(info, &next, ns, &url_name));
    // Optimistic concurrency.
    std::string want_rv = StringAt(next, {"metadata", "resourceVersion"});
    if (want_rv.empty()) {
      if (mode == UpdateMode::kPut && !info.builtin) {
        return ToStatus(
            ApiError::Invalid(info.group, info.resource, name,
                              {FieldError::Invalid("metadata.resourceVersion", "0x0",
                                                   "must be specified for an update")}));
      }
    } else {
      uint64_t rv;
      if (!absl::SimpleAtoi(want_rv, &rv)) {
        return ToStatus(ApiError::BadRequest(
            absl::StrCat("metadata.resourceVersion: Invalid value: ", GoQuote(want_rv),
                         ": must be a valid resource version")));
      }
      if (rv != cur_rv) return ToStatus(ApiError::ConflictModified(info.gr(), name));
    }
    // The status subresource splits ownership of .status.
    if (info.status_subresource) {
      if (subresource == "status") {
        json status = next.contains("status") ? next["status"] : json();
        json merged = cur;
        if (status.is_null()) {
          merged.erase("status");
        } else {
          merged["status"] = std::move(status);
        }
        next = std::move(merged);
      } else {
        if (cur.contains("status")) {
          next["status"] = cur["status"];
        } else {
          next.erase("status");
        }
      }
    }
    if (mode == UpdateMode::kPut || subresource != "status") {
      HM_RETURN_IF_ERROR(
          NormalizeBody(reg, info, &next, options, mode == UpdateMode::kPatch, &result.warnings));
    }
    ApplyKindDefaults(info, &next);
    // System fields (rest.BeforeUpdate).
    json* m = EnsureObject(next, "metadata");
    const json& old_meta = cur["metadata"];
    std::string body_uid = StringAt(*m, {"uid"});
    for (const char* field : {"uid", "creationTimestamp", "deletionTimestamp",
                              "deletionGracePeriodSeconds", "generation"}) {
      const json* v = Member(old_meta, field);
      if (v != nullptr) {
        (*m)[field] = *v;
      } else {
        m->erase(field);
      }
    }
    m->erase("selfLink");
    if (!m->contains("managedFields") && old_meta.contains("managedFields")) {
      (*m)["managedFields"] = old_meta["managedFields"];
    }
    if (info.builtin && info.group.empty() && info.resource == "namespaces") {
      const json* fin = Path(cur, {"spec", "finalizers"});
      if (fin != nullptr) (*EnsureObject(next, "spec"))["finalizers"] = *fin;
    }
    std::vector<FieldError> errs;
    if (!body_uid.empty() && body_uid != StringAt(old_meta, {"uid"})) {
      errs.push_back(FieldError::InvalidString("metadata.uid", body_uid, "field is immutable"));
    }
    for (auto& e : ValidateObjectMetaUpdate(*m, old_meta)) errs.push_back(std::move(e));
    if (info.builtin && info.group == "apiextensions.k8s.io") {
      for (auto& e : ValidateCrd(next)) errs.push_back(std::move(e));
    }
    if (info.builtin) {
      for (auto& e : ValidateKindUpdate(info.group, info.resource, next, cur)) {
        errs.push_back(std::move(e));
      }
    }
    if (!errs.empty()) return ToStatus(ApiError::Invalid(info.group, info.kind, name, errs));
    // metadata.generation follows spec (everything but metadata and status).
    if (info.has_generation) {
      json a = cur, b = next;
      for (json* x : {&a, &b}) {
        x->erase("metadata");
        x->erase("status");
      }
      if (a != b) {
        int64_t gen = 0;
        const json* g = Member(old_meta, "generation");
        if (g != nullptr && g->is_number_integer()) gen = g->get<int64_t>();
        (*m)["generation"] = gen + 1;
      }
    }
    if (admission_ != nullptr) {
      AdmissionRequest req = AdmissionFor(info, subresource, "UPDATE", ns, name, &cur, options);
      req.options = {{"kind", "UpdateOptions"}, {"apiVersion", "meta.k8s.io/v1"}};
      json served = ServeJson(info, next);
      HM_RETURN_IF_ERROR(admission_->Mutate(req, &served));
      next = std::move(served);
      HM_RETURN_IF_ERROR(CheckIdentity(info, &next, ns, &url_name));
      SetNamespaceNameLabel(info, &next);  // whatever a mutating webhook did (Canonicalize)
      served = ServeJson(info, next);
      HM_RETURN_IF_ERROR(admission_->Validate(req, &served));
    }
    // Admission replaced `next`: the old `m` points into freed memory (writing through it made
    // every update a use-after-free).
    m = EnsureObject(next, "metadata");
    (*m)["resourceVersion"] = absl::StrCat(cur_rv);
    bool deleting = Member(old_meta, "deletionTimestamp") != nullptr;
    bool finalized = deleting && StringList(Member(*m, "finalizers")).empty();
    if (next == cur && !finalized) {
      result.body =
          Serve(info, *store_->Get(info.StorageKey(), ObjectKey(info.namespaced, ns, name)), false);
      return result;
    }
    if (options.dry_run) {
      result.body = Dump(ServeJson(info, next));
      return result;
    }
    std::string key = ObjectKey(info.namespaced, ns, name);
    if (finalized) {
      absl::StatusOr<ObjectRef> gone =
          store_->Delete(info.StorageKey(), key, cur_rv, MakeInput(info, next));
      if (!gone.ok()) return StoreError(info, name, gone.status());
      AfterRemove(info, next);
      result.body = Serve(info, **gone, false);
      return result;
    }
    absl::StatusOr<ObjectRef> stored =
        store_->Update(info.StorageKey(), key, cur_rv, MakeInput(info, next));
    if (!stored.ok()) return StoreError(info, name, stored.status());
    AfterWrite(info);
    result.body = Serve(info, **stored, false);
    return result;
  }

  // StoreError: a store failure as the API reports it. kAborted (the object changed since it was
  // read) stays internal: callers retry or turn it into a 409.
  static absl::Status StoreError(const ResourceInfo& info, const std::string& name,
                                 const absl::Status& s) {
    if (s.code() == absl::StatusCode::kNotFound) {
      return ToStatus(ApiError::NotFound(info.gr(), name));
    }
    return s;
  }

  // ---- delete ----

  absl::StatusOr<WriteResult> DeleteOne(const ResourceInfo& info, const std::string& ns,
                                        const std::string& name, const json& delete_options,
                                        const WriteOptions& options) {
    std::string key = ObjectKey(info.namespaced, ns, name);
    for (RetryBudget budget; budget.Next();) {
      ObjectRef cur_ref = store_->Get(info.StorageKey(), key);
      if (cur_ref == nullptr) return ToStatus(ApiError::NotFound(info.gr(), name));
      HM_ASSIGN_OR_RETURN(json cur, ParseStored(*cur_ref));
      if (info.builtin && info.group.empty() && info.resource == "namespaces" &&
          (name == "default" || name == "kube-system" || name == "kube-public")) {
        return ToStatus(ApiError::Forbidden(info.gr(), name, "this namespace may not be deleted"));
      }
      const json* pre = Member(delete_options, "preconditions");
      if (pre != nullptr && pre->is_object()) {
        std::string uid = StringAt(*pre, {"uid"});
        std::string rv = StringAt(*pre, {"resourceVersion"});
        std::string have_uid = StringAt(cur, {"metadata", "uid"});
        if (!uid.empty() && uid != have_uid) {
          return ToStatus(
              ApiError::Conflict(info.gr(), name,
                                 absl::StrCat("Precondition failed: UID in precondition: ", uid,
                                              ", UID in object meta: ", have_uid)));
        }
        if (!rv.empty() && rv != absl::StrCat(cur_ref->rv)) {
          return ToStatus(ApiError::Conflict(
              info.gr(), name,
              absl::StrCat("the ResourceVersion in the precondition (", rv,
                           ") does not match the ResourceVersion in record (", cur_ref->rv,
                           "). The object might have been modified")));
        }
      }
      if (admission_ != nullptr) {
        AdmissionRequest req = AdmissionFor(info, "", "DELETE", ns, name, &cur, options);
        req.options = {{"kind", "DeleteOptions"}, {"apiVersion", "meta.k8s.io/v1"}};
        if (const json* p = Member(delete_options, "propagationPolicy"); p != nullptr) {
          req.options["propagationPolicy"] = *p;
        }
        HM_RETURN_IF_ERROR(admission_->Mutate(req, nullptr));
        HM_RETURN_IF_ERROR(admission_->Validate(req, nullptr));
      }
      WriteResult result;
      bool is_namespace = info.builtin && info.group.empty() && info.resource == "namespaces";
      bool has_finalizers =
          !StringList(Path(cur, {"metadata", "finalizers"})).empty() ||
          (is_namespace && !StringList(Path(cur, {"spec", "finalizers"})).empty());
      if (has_finalizers) {
        if (Path(cur, {"metadata", "deletionTimestamp"}) != nullptr) {
          result.body = Serve(info, *cur_ref, false);
          return result;
        }
        json next = cur;
        next["metadata"]["deletionTimestamp"] = Now();
        next["metadata"]["deletionGracePeriodSeconds"] = 0;
        if (is_namespace) next["status"] = {{"phase", "Terminating"}};
        if (options.dry_run) {
          result.body = Dump(ServeJson(info, next));
          return result;
        }
        absl::StatusOr<ObjectRef> stored =
            store_->Update(info.StorageKey(), key, cur_ref->rv, MakeInput(info, next));
        if (!stored.ok()) {
          if (stored.status().code() == absl::StatusCode::kAborted) continue;
          return stored.status();
        }
        if (is_namespace) ScheduleNamespaceCleanup(name);
        result.body = Serve(info, **stored, false);
        return result;
      }
      if (options.dry_run) {
        result.body = Serve(info, *cur_ref, false);
        return result;
      }
      absl::StatusOr<ObjectRef> gone =
          store_->Delete(info.StorageKey(), key, cur_ref->rv, MakeInput(info, cur));
      if (!gone.ok()) {
        if (gone.status().code() == absl::StatusCode::kAborted) continue;
        if (gone.status().code() == absl::StatusCode::kNotFound) {
          return ToStatus(ApiError::NotFound(info.gr(), name));
        }
        return gone.status();
      }
      std::string propagation = StringAt(delete_options, {"propagationPolicy"});
      AfterRemove(info, cur, propagation == "Orphan");
      bool return_object = !info.builtin || (info.group.empty() && (info.resource == "pods" ||
                                                                    info.resource == "services" ||
                                                                    info.resource == "namespaces"));
      if (return_object) {
        result.body = Serve(info, **gone, false);
      } else {
        json status = {{"kind", "Status"},
                       {"apiVersion", "v1"},
                       {"metadata", json::object()},
                       {"status", "Success"},
                       {"details",
                        {{"name", name},
                         {"kind", info.resource},
                         {"uid", StringAt(cur, {"metadata", "uid"})}}}};
        if (!info.group.empty()) status["details"]["group"] = info.group;
        result.body = Dump(status);
      }
      return result;
    }
    return ToStatus(ApiError::ConflictModified(info.gr(), name));
  }

  // Side effects of an object disappearing: CRD registry refresh, garbage collection of owned
  // objects, completing the termination of its namespace.
  void AfterRemove(const ResourceInfo& info, const json& last, bool orphan = false) {
    AfterWrite(info);
    if (info.builtin && info.group == "apiextensions.k8s.io") {
      // Deleting a CRD deletes its objects.
      std::string group = StringAt(last, {"spec", "group"});
      std::string plural = StringAt(last, {"spec", "names", "plural"});
      std::string coll = absl::StrCat(group, "/", plural);
      auto snap = store_->List(coll);
      for (const auto& [key, obj] : snap->items) {
        absl::StatusOr<json> j = ParseStored(*obj);
        if (!j.ok()) continue;
        ResourceInfo fake;
        fake.group = group;
        fake.resource = plural;
        store_->Delete(coll, key, obj->rv, MakeInput(fake, *j)).IgnoreError();
      }
    }
    std::string uid = StringAt(last, {"metadata", "uid"});
    if (!uid.empty()) CollectDependents(uid, orphan);
    std::string ns = StringAt(last, {"metadata", "namespace"});
    if (!ns.empty()) MaybeFinishNamespace(ns);
  }

  void AfterWrite(const ResourceInfo& info) {
    if (info.builtin && info.group == "apiextensions.k8s.io") RebuildRegistry();
  }

  // Garbage collector: objects owned by `uid` lose that owner reference; an object left with no
  // owner is deleted (background propagation), unless `orphan`.
  void CollectDependents(const std::string& uid, bool orphan) {
    auto reg = registry();
    for (const auto& [coll, obj] : store_->AllObjects()) {
      if (obj->json.find(uid) == std::string::npos) continue;
      absl::StatusOr<json> j = ParseStored(*obj);
      if (!j.ok()) continue;
      const json* refs = Path(*j, {"metadata", "ownerReferences"});
      if (refs == nullptr || !refs->is_array()) continue;
      json kept = json::array();
      bool owned = false;
      for (const auto& r : *refs) {
        if (StringAt(r, {"uid"}) == uid) {
          owned = true;
        } else {
          kept.push_back(r);
        }
      }
      if (!owned) continue;
      std::vector<const ResourceInfo*> infos = reg->ForStorageKey(coll);
      if (infos.empty()) continue;
      const ResourceInfo& info = *infos.front();
      std::string key = ObjectKey(info.namespaced, obj->ns, obj->name);
      if (kept.empty() && !orphan) {
        WriteOptions opts;
        DeleteOne(info, obj->ns, obj->name, json::object(), opts).IgnoreError();
      } else {
        json next = *j;
        if (kept.empty()) {
          next["metadata"].erase("ownerReferences");
        } else {
          next["metadata"]["ownerReferences"] = kept;
        }
        store_->Update(coll, key, obj->rv, MakeInput(info, next)).IgnoreError();
      }
    }
  }

  // The namespace controller: delete everything in a terminating namespace.
  void PurgeNamespace(const std::string& ns) {
    auto reg = registry();
    std::set<std::string> done;
    for (const auto& r : reg->resources()) {
      if (!r.namespaced || !done.insert(r.StorageKey()).second) continue;
      auto snap = store_->List(r.StorageKey(), ns + "/");
      for (const auto& [key, obj] : snap->items) {
        WriteOptions opts;
        DeleteOne(r, ns, obj->name, json::object(), opts).IgnoreError();
      }
    }
    MaybeFinishNamespace(ns);
  }

  void MaybeFinishNamespace(const std::string& ns) {
    ObjectRef nsobj = store_->Get(kNamespaceStorageKey, ns);
    if (nsobj == nullptr) return;
    absl::StatusOr<json> j = ParseStored(*nsobj);
    if (!j.ok() || Path(*j, {"metadata", "deletionTimestamp"}) == nullptr) return;
    auto reg = registry();
    std::set<std::string> done;
    for (const auto& r : reg->resources()) {
      if (!r.namespaced || !done.insert(r.StorageKey()).second) continue;
      if (!store_->List(r.StorageKey(), ns + "/")->items.empty()) return;
    }
    json next = *j;
    if (json* spec = MutableMember(next, "spec"); spec != nullptr) spec->erase("finalizers");
    if (!StringList(Path(next, {"metadata", "finalizers"})).empty()) {
      store_->Update(kNamespaceStorageKey, ns, nsobj->rv, NamespaceInput(next)).IgnoreError();
      return;
    }
    store_->Delete(kNamespaceStorageKey, ns, nsobj->rv, NamespaceInput(next)).IgnoreError();
  }

  ObjectInput NamespaceInput(json obj) const {
    auto reg = registry();
    const ResourceInfo* info = reg->Find("", "v1", "namespaces");
    return MakeInput(*info, std::move(obj));
  }

  AdmissionRequest AdmissionFor(const ResourceInfo& info, const std::string& subresource,
                                const std::string& op, const std::string& ns,
                                const std::string& name, const json* old,
                                const WriteOptions& options) const {
    AdmissionRequest req;
    req.resource = &info;
    req.subresource = subresource;
    req.operation = op;
    req.ns = info.namespaced ? ns : "";
    req.name = name;
    req.old_object = old;
    req.user = options.user;
    req.dry_run = options.dry_run;
    return req;
  }

  // ---- list ----

  struct ContinueToken {
    int64_t rv = 0;
    std::string start;
  };

  static std::string EncodeContinue(int64_t rv, const std::string& start) {
    json token = {{"v", "meta.k8s.io/v1"}, {"rv", rv}, {"start", start}};
    return Base64UrlEncode(Dump(token));
  }

  static absl::StatusOr<ContinueToken> DecodeContinue(const std::string& text) {
    absl::StatusOr<std::string> raw = Base64DecodeLenient(text);
    if (!raw.ok()) {
      return ToStatus(ApiError::BadRequest(
          absl::StrCat("continue key is not valid: ", raw.status().message())));
    }
    absl::StatusOr<json> j = ParseJson(*raw);
    if (!j.ok() || !j->is_object() || StringAt(*j, {"v"}) != "meta.k8s.io/v1") {
      return ToStatus(
          ApiError::BadRequest("continue key is not valid: incorrect encoded start resourceVersion "
                               "(version meta.k8s.io/v1)"));
    }
    ContinueToken t;
    const json* rv = Member(*j, "rv");
    if (rv == nullptr || !rv->is_number_integer()) {
      return ToStatus(ApiError::BadRequest("continue key is not valid: missing rv"));
    }
    t.rv = rv->get<int64_t>();
    t.start = StringAt(*j, {"start"});
    return t;
  }

  absl::StatusOr<std::string> List(const ResourceInfo& info, const std::string& ns,
                                   const ListOptions& options) {
    HM_ASSIGN_OR_RETURN(LabelSelector labels, ParseLabels(options.label_selector));
    HM_ASSIGN_OR_RETURN(FieldSelector fields, ParseFields(info, options.field_selector));
    int64_t limit = options.limit;
    int64_t max_page = watch_settings().max_page;
    if (max_page > 0 && (limit <= 0 || limit > max_page) && limit > 0) limit = max_page;
    std::shared_ptr<const Snapshot> snap;
    std::string start;
    std::string prefix = info.namespaced && !ns.empty() ? ns + "/" : "";
    if (!options.continue_token.empty()) {
      HM_ASSIGN_OR_RETURN(ContinueToken token, DecodeContinue(options.continue_token));
      start = token.start;
      if (token.rv == -1) {
        snap = store_->List(info.StorageKey());
      } else {
        absl::StatusOr<std::shared_ptr<const Snapshot>> s =
            store_->PagedSnapshot(info.StorageKey(), static_cast<uint64_t>(token.rv));
        if (!s.ok()) {
          std::string last = start.empty() ? start : start.substr(0, start.size() - 1);
          ApiError e = ApiError::Expired(
              "The provided continue parameter is too old to display a consistent list result. "
              "You can start a new list without the continue parameter, or use the continue "
              "token in this response to retrieve the remainder of the results. Continuing "
              "with the provided token results in an inconsistent list - objects that were "
              "created, modified, or deleted between the time the first chunk was returned "
              "and now may show up in the list.");
          e.list_continue = EncodeContinue(-1, start);
          return ToStatus(e);
        }
        snap = *s;
      }
    } else if (limit > 0) {
      HM_ASSIGN_OR_RETURN(snap, store_->PagedSnapshot(info.StorageKey(), 0));
    } else {
      snap = store_->List(info.StorageKey(), prefix);
    }
    std::string items;
    int64_t count = 0;
    std::string last_key;
    bool more = false;
    int64_t remaining = 0;
    auto begin = std::lower_bound(snap->items.begin(), snap->items.end(), std::max(start, prefix),
                                  [](const std::pair<std::string, ObjectRef>& a,
                                     const std::string& k) { return a.first < k; });
    for (auto it = begin; it != snap->items.end(); ++it) {
      if (!prefix.empty() && !absl::StartsWith(it->first, prefix)) break;
      const StoredObject& o = *it->second;
      if (!labels.Matches(o.labels) || !fields.Matches(o.fields)) continue;
      if (limit > 0 && count >= limit) {
        more = true;
        if (labels.Empty() && fields.Empty()) {
          for (auto rest = it; rest != snap->items.end(); ++rest) {
            if (!prefix.empty() && !absl::StartsWith(rest->first, prefix)) break;
            ++remaining;
          }
        }
        break;
      }
      if (count > 0) items.push_back(',');
      items += Serve(info, o, true);
      last_key = it->first;
      ++count;
    }
    json meta = {{"resourceVersion", absl::StrCat(snap->rv)}};
    if (more) {
      meta["continue"] = EncodeContinue(static_cast<int64_t>(snap->rv), last_key + '\0');
      if (remaining > 0) meta["remainingItemCount"] = remaining;
    }
    return absl::StrCat("{\"apiVersion\":", Dump(info.GroupVersion()), ",\"items\":[", items,
                        "],\"kind\":", Dump(info.list_kind), ",\"metadata\":", Dump(meta), "}");
  }

  static absl::StatusOr<LabelSelector> ParseLabels(const std::string& text) {
    absl::StatusOr<LabelSelector> s = LabelSelector::Parse(text);
    if (!s.ok()) return ToStatus(ApiError::BadRequest(std::string(s.status().message())));
    return s;
  }

  static absl::StatusOr<FieldSelector> ParseFields(const ResourceInfo& info,
                                                   const std::string& text) {
    absl::StatusOr<FieldSelector> s = FieldSelector::Parse(text);
    if (!s.ok()) return ToStatus(ApiError::BadRequest(std::string(s.status().message())));
    for (const auto& r : s->requirements()) {
      bool known = r.field == "metadata.name" || (r.field == "metadata.namespace") ||
                   info.field_selectors.count(r.field) > 0;
      if (!known) {
        return ToStatus(ApiError::BadRequest(absl::StrCat("field label not supported: ", r.field)));
      }
    }
    return s;
  }

  // ---- watch ----

  absl::StatusOr<std::unique_ptr<WatchStream>> Watch(const ResourceInfo& info,
                                                     const std::string& ns,
                                                     const WatchOptions& options) {
    HM_ASSIGN_OR_RETURN(LabelSelector labels, ParseLabels(options.label_selector));
    HM_ASSIGN_OR_RETURN(FieldSelector fields, ParseFields(info, options.field_selector));
    WatchSettings settings = watch_settings();
    if (options.send_initial_events &&
        (!options.allow_bookmarks || options.resource_version_match != "NotOlderThan")) {
      return ToStatus(ApiError::Invalid(
          "meta.k8s.io", "ListOptions", "",
          {FieldError::Forbidden("sendInitialEvents",
                                 "sendInitialEvents requires setting resourceVersionMatch to "
                                 "NotOlderThan and allowWatchBookmarks to true")}));
    }
    absl::Duration timeout;
    if (options.timeout_seconds.has_value() && *options.timeout_seconds > 0) {
      timeout = absl::Seconds(*options.timeout_seconds);
    } else {
      // kube-apiserver: a random time between 30 and 60 minutes.
      absl::BitGen gen;
      timeout = absl::Seconds(absl::Uniform<int>(gen, 1800, 3600));
    }
    uint64_t epoch = store_->WatchEpoch();
    std::string initial;
    uint64_t cursor = 0;
    bool from_state = options.resource_version.empty() || options.resource_version == "0" ||
                      options.send_initial_events;
    std::string first_error;
    if (from_state) {
      std::string prefix = info.namespaced && !ns.empty() ? ns + "/" : "";
      auto snap = store_->List(info.StorageKey(), prefix);
      cursor = snap->rv;
      for (const auto& [key, obj] : snap->items) {
        if (!labels.Matches(obj->labels) || !fields.Matches(obj->fields)) continue;
        absl::StrAppend(&initial, "{\"type\":\"ADDED\",\"object\":", Serve(info, *obj, false),
                        "}\n");
      }
    } else {
      if (!absl::SimpleAtoi(options.resource_version, &cursor)) {
        return ToStatus(ApiError::BadRequest(
            absl::StrCat("resourceVersion: Invalid value: ", GoQuote(options.resource_version),
                         ": must be a valid resource version")));
      }
      uint64_t compacted = store_->CompactedRevision();
      if (cursor < compacted) {
        ApiError e = ApiError::Expired(
            absl::StrCat("too old resource version: ", cursor, " (", compacted, ")"));
        if (settings.expired_as_http) return ToStatus(e);
        first_error = absl::StrCat("{\"type\":\"ERROR\",\"object\":", Dump(e.ToJson()), "}\n");
      }
    }
    bool initial_bookmark = options.send_initial_events && options.allow_bookmarks;
    auto stream = std::make_unique<EngineWatch>(
        store_, info, info.namespaced ? ns : "", std::move(labels), std::move(fields), cursor,
        std::move(initial), initial_bookmark, options.allow_bookmarks, absl::Now() + timeout,
        settings.bookmark_interval, epoch, std::move(first_error));
    return std::unique_ptr<WatchStream>(std::move(stream));
  }

  WatchSettings watch_settings() const {
    absl::MutexLock lock(&mu_);
    return settings_;
  }

  void set_watch_settings(const WatchSettings& s) {
    absl::MutexLock lock(&mu_);
    settings_ = s;
  }

  Clock* clock_;
  Store* store_;
  AdmissionHook* admission_ = nullptr;
  mutable absl::Mutex mu_;
  std::shared_ptr<const Registry> registry_ ABSL_GUARDED_BY(mu_);
  WatchSettings settings_ ABSL_GUARDED_BY(mu_);
  const absl::Duration namespace_cleanup_delay_;
  absl::Mutex ns_mu_;
  std::deque<std::pair<absl::Time, std::string>> ns_queue_ ABSL_GUARDED_BY(ns_mu_);
  bool stopping_ ABSL_GUARDED_BY(ns_mu_) = false;
  std::thread namespace_controller_;
};

// ---------------------------------------------------------------------------------------------
// Public API

namespace {

// What Guarded names in its error: "patch secrets hallmark-system/tls".
struct Operation {
  const char* verb;
  const ResourceInfo* info = nullptr;
  absl::string_view ns = {};
  absl::string_view name = {};

  std::string String() const {
    std::string out = verb;
    if (info != nullptr) absl::StrAppend(&out, " ", info->gr().String());
    if (!ns.empty() || !name.empty()) {
      absl::StrAppend(&out, " ", ns, ns.empty() || name.empty() ? "" : "/", name);
    }
    return out;
  }
};

// Guarded runs one engine operation. Defense in depth: the code above checks JSON types before
// access, but nlohmann::json throws on a missed case, and no exception may leave the engine: it
// becomes a 500 that names the operation, and an error in the server's log.
template <typename F>
auto Guarded(const Operation& op, F f) -> decltype(f()) {
  std::string what;
  try {
    return f();
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
    what = "an exception of an unknown type";
  }
  std::string operation = op.String();
  log::Error("unexpected error in the API engine", {{"operation", operation}, {"error", what}});
  return ToStatus(
      ApiError::InternalError(absl::StrCat("unexpected error in ", operation, ": ", what)));
}

bool IsStoreRace(const absl::Status& s) {
  return s.code() == absl::StatusCode::kAborted && !IsApiError(s);
}

std::string UnsupportedPatchMessage(bool builtin) {
  std::string m =
      "the body of the request was in an unknown format - accepted media types include: "
      "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml";
  if (builtin) m += ", application/strategic-merge-patch+json";
  return m;
}

}  // namespace

ApiEngine::ApiEngine(const EngineOptions& options)
    : store_(options.history_limit), impl_(std::make_unique<Impl>(options, &store_)) {}

ApiEngine::~ApiEngine() { store_.Close(); }

absl::StatusOr<std::unique_ptr<ApiEngine>> ApiEngine::New(const EngineOptions& options) {
  std::unique_ptr<ApiEngine> engine(new ApiEngine(options));
  if (options.preinstall_crds) {
    for (json crd : PreinstalledCrds()) HM_RETURN_IF_ERROR(engine->Seed(std::move(crd)));
  }
  if (options.create_default_namespaces) {
    for (const char* ns : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
      HM_RETURN_IF_ERROR(engine->Seed(
          {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}}));
    }
  }
  return engine;
}

std::shared_ptr<const Registry> ApiEngine::registry() const { return impl_->registry(); }

void ApiEngine::SetAdmission(AdmissionHook* hook) { impl_->admission_ = hook; }

void ApiEngine::SetWatchSettings(const WatchSettings& settings) {
  impl_->set_watch_settings(settings);
}

WatchSettings ApiEngine::watch_settings() const { return impl_->watch_settings(); }

absl::StatusOr<std::string> ApiEngine::Get(const ResourceInfo& info, const std::string& ns,
                                           const std::string& name) const {
  return Guarded({"get", &info, ns, name}, [&]() -> absl::StatusOr<std::string> {
    ObjectRef o = store_.Get(info.StorageKey(), ObjectKey(info.namespaced, ns, name));
    if (o == nullptr) return ToStatus(ApiError::NotFound(info.gr(), name));
    return impl_->Serve(info, *o, false);
  });
}

absl::StatusOr<std::string> ApiEngine::List(const ResourceInfo& info, const std::string& ns,
                                            const ListOptions& options) {
  return Guarded({"list", &info, ns}, [&]() { return impl_->List(info, ns, options); });
}

absl::StatusOr<WriteResult> ApiEngine::Create(const ResourceInfo& info, const std::string& ns,
                                              json body, const WriteOptions& options) {
  return Guarded({"create", &info, ns}, [&]() -> absl::StatusOr<WriteResult> {
    auto reg = impl_->registry();
    return impl_->Create(*reg, info, ns, std::move(body), options, false);
  });
}

absl::StatusOr<WriteResult> ApiEngine::Update(const ResourceInfo& info, const std::string& ns,
                                              const std::string& name,
                                              const std::string& subresource, json body,
                                              const WriteOptions& options) {
  return Guarded({"update", &info, ns, name}, [&]() -> absl::StatusOr<WriteResult> {
    auto reg = impl_->registry();
    std::string key = ObjectKey(info.namespaced, ns, name);
    bool conditional = !StringAt(body, {"metadata", "resourceVersion"}).empty();
    for (RetryBudget budget; budget.Next();) {
      ObjectRef cur_ref = store_.Get(info.StorageKey(), key);
      if (cur_ref == nullptr) return ToStatus(ApiError::NotFound(info.gr(), name));
      HM_ASSIGN_OR_RETURN(json cur, ParseStored(*cur_ref));
      absl::StatusOr<WriteResult> r =
          impl_->CommitUpdate(*reg, info, ns, name, subresource, cur, cur_ref->rv, body,
                              Impl::UpdateMode::kPut, options, {});
      if (r.ok() || !IsStoreRace(r.status())) return r;
      if (conditional) return ToStatus(ApiError::ConflictModified(info.gr(), name));
    }
    return ToStatus(ApiError::ConflictModified(info.gr(), name));
  });
}

absl::StatusOr<WriteResult> ApiEngine::Patch(const ResourceInfo& info, const std::string& ns,
                                             const std::string& name,
                                             const std::string& subresource,
                                             const std::string& content_type,
                                             const std::string& body, const WriteOptions& options) {
  return Guarded({"patch", &info, ns, name}, [&]() -> absl::StatusOr<WriteResult> {
    auto reg = impl_->registry();
    std::string type = MediaType(content_type);
    enum { kJson, kMerge, kStrategic, kApply } kind;
    if (type == "application/json-patch+json") {
      kind = kJson;
    } else if (type == "application/merge-patch+json") {
      kind = kMerge;
    } else if (type == "application/strategic-merge-patch+json" && info.builtin) {
      kind = kStrategic;
    } else if (type == "application/apply-patch+yaml") {
      kind = kApply;
    } else {
      return ToStatus(ApiError::UnsupportedMediaType(UnsupportedPatchMessage(info.builtin)));
    }
    if (kind == kApply) return ApplyPatch(info, ns, name, subresource, body, options);
    if (options.force) {
      return ToStatus(ApiError::Invalid(
          "meta.k8s.io", "PatchOptions", "",
          {FieldError::Forbidden("force", "may not be specified for non-apply patch")}));
    }
    absl::StatusOr<json> patch = ParseJson(body);
    if (!patch.ok()) {
      if (kind == kMerge) return ToStatus(ApiError::BadRequest("Invalid JSON Patch"));
      return ToStatus(ApiError::BadRequest(std::string(patch.status().message())));
    }
    if (kind == kMerge && !patch->is_object()) {
      return ToStatus(ApiError::BadRequest("Invalid JSON Patch"));
    }
    std::string key = ObjectKey(info.namespaced, ns, name);
    for (RetryBudget budget; budget.Next();) {
      ObjectRef cur_ref = store_.Get(info.StorageKey(), key);
      if (cur_ref == nullptr) return ToStatus(ApiError::NotFound(info.gr(), name));
      HM_ASSIGN_OR_RETURN(json cur, ParseStored(*cur_ref));
      json served = impl_->ServeJson(info, cur);
      json patched;
      if (kind == kJson) {
        absl::StatusOr<json> r = ApplyJsonPatch(served, *patch);
        if (!r.ok()) {
          switch (r.status().code()) {
            case absl::StatusCode::kInvalidArgument:
              return ToStatus(ApiError::BadRequest(std::string(r.status().message())));
            case absl::StatusCode::kResourceExhausted:
              return ToStatus(ApiError::WithCode(413, std::string(r.status().message())));
            default: {
              log::Info("json patch does not apply",
                        {{"resource", info.gr().String()},
                         {"name", name},
                         {"error", std::string(r.status().message())}});
              ApiError e = ApiError::WithCode(
                  422, "the server rejected our request due to an error in our request");
              e.has_details = true;
              return ToStatus(e);
            }
          }
        }
        patched = std::move(*r);
      } else if (kind == kMerge) {
        patched = ApplyMergePatch(served, *patch);
      } else {
        const json* schema = reg->schemas().Get(info.schema_name);
        absl::StatusOr<json> r = ApplyStrategicMergePatch(served, *patch, reg->schemas(), schema);
        if (!r.ok()) return ToStatus(ApiError::BadRequest(std::string(r.status().message())));
        patched = std::move(*r);
      }
      if (!patched.is_object()) {
        return ToStatus(ApiError::BadRequest("the patched object is not a JSON object"));
      }
      absl::StatusOr<WriteResult> r =
          impl_->CommitUpdate(*reg, info, ns, name, subresource, cur, cur_ref->rv,
                              std::move(patched), Impl::UpdateMode::kPatch, options, {});
      if (r.ok() || !IsStoreRace(r.status())) return r;
    }
    return ToStatus(ApiError::ConflictModified(info.gr(), name));
  });
}

absl::StatusOr<WriteResult> ApiEngine::ApplyPatch(const ResourceInfo& info, const std::string& ns,
                                                  const std::string& name,
                                                  const std::string& subresource,
                                                  const std::string& body,
                                                  const WriteOptions& options) {
  auto reg = impl_->registry();
  if (options.field_manager.empty()) {
    return ToStatus(
        ApiError::Invalid("meta.k8s.io", "PatchOptions", "",
                          {FieldError::Required("fieldManager", "is required for apply patch")}));
  }
  absl::StatusOr<json> applied = ParseKubeYaml(body);
  if (!applied.ok()) return ToStatus(ApiError::BadRequest(std::string(applied.status().message())));
  if (!applied->is_object()) {
    return ToStatus(ApiError::BadRequest("apply patch must be a JSON or YAML object"));
  }
  if (StringAt(*applied, {"apiVersion"}).empty() || StringAt(*applied, {"kind"}).empty()) {
    return ToStatus(ApiError::BadRequest(
        "error decoding YAML: Object 'Kind' is missing in the applied configuration"));
  }
  std::set<std::vector<std::string>> want;
  {
    json fields = *applied;
    fields.erase("apiVersion");
    fields.erase("kind");
    if (json* m = MutableMember(fields, "metadata"); m != nullptr && m->is_object()) {
      m->erase("name");
      m->erase("namespace");
      m->erase("resourceVersion");
      if (m->empty()) fields.erase("metadata");
    }
    std::vector<std::string> prefix;
    if (!fields.empty()) LeafPaths(fields, prefix, &want);
  }
  std::string key = ObjectKey(info.namespaced, ns, name);
  for (RetryBudget budget; budget.Next();) {
    ObjectRef cur_ref = store_.Get(info.StorageKey(), key);
    json entry = {{"manager", options.field_manager},  {"operation", "Apply"},
                  {"apiVersion", info.GroupVersion()}, {"time", impl_->Now()},
                  {"fieldsType", "FieldsV1"},          {"fieldsV1", FieldsV1(want)}};
    if (!subresource.empty()) entry["subresource"] = subresource;
    if (cur_ref == nullptr) {
      if (!subresource.empty()) return ToStatus(ApiError::NotFound(info.gr(), name));
      json obj = *applied;
      json* m = EnsureObject(obj, "metadata");
      if (m == nullptr) return ToStatus(ApiError::BadRequest("metadata must be an object"));
      if (StringAt(*m, {"name"}).empty()) (*m)["name"] = name;
      if (StringAt(*m, {"name"}) != name) {
        return ToStatus(ApiError::BadRequest(
            absl::StrCat("the name of the object (", StringAt(*m, {"name"}),
                         ") does not match the name on the URL (", name, ")")));
      }
      (*m)["managedFields"] = json::array({entry});
      absl::StatusOr<WriteResult> r = impl_->Create(*reg, info, ns, std::move(obj), options, true);
      if (r.ok() || r.status().code() != absl::StatusCode::kAlreadyExists) return r;
      continue;
    }
    HM_ASSIGN_OR_RETURN(json cur, ParseStored(*cur_ref));
    json next = impl_->ServeJson(info, cur);
    // Ownership recorded so far.
    std::map<std::string, std::set<std::vector<std::string>>> owners;
    json entries = json::array();
    if (const json* mf = Path(cur, {"metadata", "managedFields"});
        mf != nullptr && mf->is_array()) {
      entries = *mf;
    }
    std::set<std::vector<std::string>> mine;
    for (const auto& e : entries) {
      std::string manager = StringAt(e, {"manager"});
      std::set<std::vector<std::string>> paths;
      std::vector<std::string> prefix;
      if (const json* f = Member(e, "fieldsV1"); f != nullptr) ParseFieldsV1(*f, prefix, &paths);
      if (manager == options.field_manager) {
        mine = std::move(paths);
      } else {
        owners[manager] = std::move(paths);
      }
    }
    // Conflicts: another manager owns a field this apply sets to a different value.
    std::vector<StatusCause> conflicts;
    std::map<std::string, std::vector<std::string>> by_manager;
    for (const auto& p : want) {
      const json* mine_value = AtPath(*applied, p);
      const json* live = AtPath(next, p);
      for (auto& [manager, paths] : owners) {
        for (auto it = paths.begin(); it != paths.end();) {
          bool overlap = IsPrefix(*it, p) || IsPrefix(p, *it);
          if (!overlap) {
            ++it;
            continue;
          }
          bool same = live != nullptr && mine_value != nullptr && *live == *mine_value;
          if (same) {
            ++it;
            continue;
          }
          if (options.force) {
            it = paths.erase(it);
            continue;
          }
          conflicts.push_back({"FieldManagerConflict",
                               absl::StrCat("conflict with ", GoQuote(manager)), PathString(*it)});
          by_manager[manager].push_back(PathString(*it));
          ++it;
        }
      }
    }
    if (!conflicts.empty()) {
      ApiError e;
      e.code = 409;
      e.reason = "Conflict";
      e.has_details = true;
      e.causes = conflicts;
      if (conflicts.size() == 1) {
        e.message = absl::StrCat("Apply failed with 1 conflict: ", conflicts[0].message, ": ",
                                 conflicts[0].field);
      } else {
        std::vector<std::string> lines;
        for (const auto& [manager, paths] : by_manager) {
          lines.push_back(absl::StrCat("conflicts with ", GoQuote(manager), ":"));
          for (const auto& path : paths) lines.push_back(absl::StrCat("- ", path));
        }
        e.message = absl::StrCat("Apply failed with ", conflicts.size(),
                                 " conflicts: ", absl::StrJoin(lines, "\n"));
      }
      return ToStatus(e);
    }
    // Merge: set every applied leaf, remove what this manager no longer applies (unless another
    // manager owns it).
    for (const auto& p : want) SetAtPath(&next, p, *AtPath(*applied, p));
    for (const auto& p : mine) {
      if (want.count(p) > 0) continue;
      bool shared = false;
      for (const auto& [manager, paths] : owners) {
        for (const auto& q : paths) shared = shared || IsPrefix(q, p) || IsPrefix(p, q);
      }
      if (!shared) EraseAtPath(&next, p);
    }
    json new_entries = json::array();
    for (const auto& e : entries) {
      std::string manager = StringAt(e, {"manager"});
      if (manager == options.field_manager) continue;
      auto it = owners.find(manager);
      if (it != owners.end() && it->second.empty()) continue;
      json copy = e;
      if (it != owners.end()) copy["fieldsV1"] = FieldsV1(it->second);
      new_entries.push_back(std::move(copy));
    }
    new_entries.push_back(entry);
    next["metadata"]["managedFields"] = std::move(new_entries);
    if (!StringAt(*applied, {"metadata", "resourceVersion"}).empty()) {
      next["metadata"]["resourceVersion"] = StringAt(*applied, {"metadata", "resourceVersion"});
    }
    absl::StatusOr<WriteResult> r =
        impl_->CommitUpdate(*reg, info, ns, name, subresource, cur, cur_ref->rv, std::move(next),
                            Impl::UpdateMode::kPatch, options, {});
    if (r.ok() || !IsStoreRace(r.status())) return r;
  }
  return ToStatus(ApiError::ConflictModified(info.gr(), name));
}

absl::StatusOr<WriteResult> ApiEngine::Delete(const ResourceInfo& info, const std::string& ns,
                                              const std::string& name, const json& delete_options,
                                              const WriteOptions& options) {
  return Guarded({"delete", &info, ns, name},
                 [&]() { return impl_->DeleteOne(info, ns, name, delete_options, options); });
}

absl::StatusOr<WriteResult> ApiEngine::DeleteCollection(const ResourceInfo& info,
                                                        const std::string& ns,
                                                        const ListOptions& list_options,
                                                        const json& delete_options,
                                                        const WriteOptions& options) {
  return Guarded({"deletecollection", &info, ns}, [&]() -> absl::StatusOr<WriteResult> {
    HM_ASSIGN_OR_RETURN(LabelSelector labels, Impl::ParseLabels(list_options.label_selector));
    HM_ASSIGN_OR_RETURN(FieldSelector fields, Impl::ParseFields(info, list_options.field_selector));
    std::string prefix = info.namespaced && !ns.empty() ? ns + "/" : "";
    auto snap = store_.List(info.StorageKey(), prefix);
    std::string items;
    for (const auto& [key, obj] : snap->items) {
      if (!labels.Matches(obj->labels) || !fields.Matches(obj->fields)) continue;
      absl::StatusOr<WriteResult> r =
          impl_->DeleteOne(info, obj->ns, obj->name, delete_options, options);
      if (!r.ok()) {
        if (r.status().code() == absl::StatusCode::kNotFound) continue;
        return r.status();
      }
      if (!items.empty()) items.push_back(',');
      items += impl_->Serve(info, *obj, true);
    }
    WriteResult result;
    result.body = absl::StrCat("{\"apiVersion\":", Dump(info.GroupVersion()), ",\"items\":[", items,
                               "],\"kind\":", Dump(info.list_kind),
                               ",\"metadata\":{\"resourceVersion\":\"", store_.Revision(), "\"}}");
    return result;
  });
}

absl::StatusOr<std::unique_ptr<WatchStream>> ApiEngine::Watch(const ResourceInfo& info,
                                                              const std::string& ns,
                                                              const WatchOptions& options) {
  return Guarded({"watch", &info, ns}, [&]() { return impl_->Watch(info, ns, options); });
}

absl::Status ApiEngine::Seed(json object) {
  return Guarded({"seed"}, [&]() -> absl::Status {
    if (!object.is_object()) return absl::InvalidArgumentError("seed object is not an object");
    std::string api_version = StringAt(object, {"apiVersion"});
    std::string kind = StringAt(object, {"kind"});
    if (kind.empty()) {
      // Tekton fixtures without TypeMeta: a PipelineRun has a pipeline reference or spec, a
      // TaskRun a task reference or spec.
      bool pr = Path(object, {"spec", "pipelineRef"}) != nullptr ||
                Path(object, {"spec", "pipelineSpec"}) != nullptr ||
                Path(object, {"status", "pipelineSpec"}) != nullptr ||
                Path(object, {"status", "childReferences"}) != nullptr;
      bool tr = Path(object, {"spec", "taskRef"}) != nullptr ||
                Path(object, {"spec", "taskSpec"}) != nullptr ||
                Path(object, {"status", "podName"}) != nullptr ||
                Path(object, {"status", "steps"}) != nullptr;
      if (pr == tr) {
        return absl::InvalidArgumentError(
            absl::StrCat("seed object ", StringAt(object, {"metadata", "name"}),
                         " has no kind and is not recognisably a PipelineRun or a TaskRun"));
      }
      kind = pr ? "PipelineRun" : "TaskRun";
      if (api_version.empty()) api_version = "tekton.dev/v1";
    }
    std::string group, version = api_version;
    if (size_t slash = api_version.find('/'); slash != std::string::npos) {
      group = api_version.substr(0, slash);
      version = api_version.substr(slash + 1);
    }
    auto reg = impl_->registry();
    const ResourceInfo* info = reg->FindKind(group, version, kind);
    if (info == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("seed object of unknown kind ", api_version, "/", kind));
    }
    object["apiVersion"] = info->StorageApiVersion();
    object["kind"] = kind;
    json* meta = EnsureObject(object, "metadata");
    if (meta == nullptr) return absl::InvalidArgumentError("seed metadata is not an object");
    std::string name = StringAt(*meta, {"name"});
    if (name.empty()) {
      // Fixtures sometimes have no metadata at all: name them after their kind.
      std::string generate = StringAt(*meta, {"generateName"});
      if (generate.empty()) generate = absl::AsciiStrToLower(kind) + "-";
      name = generate + RandomSuffix(5);
      (*meta)["name"] = name;
    }
    std::string ns;
    if (info->namespaced) {
      ns = StringAt(*meta, {"namespace"});
      if (ns.empty()) ns = "default";
      (*meta)["namespace"] = ns;
    } else {
      meta->erase("namespace");
    }
    if (StringAt(*meta, {"uid"}).empty()) (*meta)["uid"] = NewUid();
    if (StringAt(*meta, {"creationTimestamp"}).empty()) (*meta)["creationTimestamp"] = impl_->Now();
    if (info->has_generation && !meta->contains("generation")) (*meta)["generation"] = 1;
    meta->erase("resourceVersion");
    impl_->ApplyKindDefaults(*info, &object);
    if (info->builtin && info->group == "apiextensions.k8s.io") {
      std::vector<FieldError> errs = ValidateCrd(object);
      if (!errs.empty()) {
        return absl::InvalidArgumentError(ApiError::Invalid(group, kind, name, errs).message);
      }
      object["status"] = CrdStatus(object, impl_->Now());
    }
    if (info->builtin && info->group.empty() && info->resource == "namespaces") {
      if (Path(object, {"status", "phase"}) == nullptr) object["status"] = {{"phase", "Active"}};
      (*EnsureObject(object, "spec"))["finalizers"] = json::array({"kubernetes"});
    }
    if (info->namespaced && store_.Get("/namespaces", ns) == nullptr) {
      HM_RETURN_IF_ERROR(
          Seed({{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}}));
    }
    std::string key = ObjectKey(info->namespaced, ns, name);
    for (RetryBudget budget; budget.Next();) {
      ObjectRef existing = store_.Get(info->StorageKey(), key);
      absl::StatusOr<ObjectRef> r =
          existing == nullptr
              ? store_.Create(info->StorageKey(), key, impl_->MakeInput(*info, object))
              : store_.Update(info->StorageKey(), key, existing->rv,
                              impl_->MakeInput(*info, object));
      if (r.ok()) {
        impl_->AfterWrite(*info);
        return absl::OkStatus();
      }
      if (!IsStoreRace(r.status()) && r.status().code() != absl::StatusCode::kAlreadyExists) {
        return r.status();
      }
    }
    return absl::AbortedError(absl::StrCat("seeding ", key, " raced with other writers"));
  });
}

std::string ApiEngine::Serialize() const {
  std::string out = absl::StrCat("{\"revision\":", store_.Revision(), ",\"objects\":[");
  bool first = true;
  for (const auto& [coll, obj] : store_.AllObjects()) {
    if (!first) out.push_back(',');
    first = false;
    out += obj->json;
  }
  out += "]}\n";
  return out;
}

absl::Status ApiEngine::Load(const std::string& data) {
  return Guarded({"load"}, [&]() -> absl::Status {
    HM_ASSIGN_OR_RETURN(json doc, ParseJson(data));
    const json* objects = Member(doc, "objects");
    const json* revision = Member(doc, "revision");
    if (objects == nullptr || !objects->is_array() || revision == nullptr ||
        !revision->is_number_unsigned()) {
      return absl::InvalidArgumentError("data file is not a hallmark-apiserver store");
    }
    // CRDs first, so their resources are known when the objects load.
    std::vector<const json*> ordered;
    for (const auto& o : *objects) {
      if (StringAt(o, {"kind"}) == "CustomResourceDefinition") ordered.push_back(&o);
    }
    for (const auto& o : *objects) {
      if (StringAt(o, {"kind"}) != "CustomResourceDefinition") ordered.push_back(&o);
    }
    bool crds_done = false;
    for (const json* o : ordered) {
      if (!crds_done && StringAt(*o, {"kind"}) != "CustomResourceDefinition") {
        impl_->RebuildRegistry();
        crds_done = true;
      }
      std::string api_version = StringAt(*o, {"apiVersion"});
      std::string group, version = api_version;
      if (size_t slash = api_version.find('/'); slash != std::string::npos) {
        group = api_version.substr(0, slash);
        version = api_version.substr(slash + 1);
      }
      auto reg = impl_->registry();
      const ResourceInfo* info = reg->FindKind(group, version, StringAt(*o, {"kind"}));
      if (info == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat("data file holds an object of unknown kind ",
                                                       api_version, "/", StringAt(*o, {"kind"})));
      }
      uint64_t rv = 0;
      absl::SimpleAtoi(StringAt(*o, {"metadata", "resourceVersion"}), &rv);
      std::string key = ObjectKey(info->namespaced, StringAt(*o, {"metadata", "namespace"}),
                                  StringAt(*o, {"metadata", "name"}));
      store_.Restore(info->StorageKey(), key, impl_->MakeInput(*info, *o), rv);
    }
    impl_->RebuildRegistry();
    store_.SetRevision(revision->get<uint64_t>());
    for (const auto& [key, ns] : store_.List(kNamespaceStorageKey)->items) {
      if (ns->json.find("\"deletionTimestamp\"") != std::string::npos) {
        impl_->ScheduleNamespaceCleanup(ns->name);
      }
    }
    return absl::OkStatus();
  });
}

}  // namespace hallmark::tests::apiserver
