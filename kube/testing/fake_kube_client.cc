#include "kube/testing/fake_kube_client.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "base/status_macros.h"
#include "kube/api_status.h"
#include "kube/internal/json.h"

namespace hallmark::kube::testing {
namespace {

absl::Status ApiError(int code, const char* reason, std::string message, absl::string_view what) {
  nlohmann::json status = {{"kind", "Status"},    {"apiVersion", "v1"},
                           {"status", "Failure"}, {"code", code},
                           {"reason", reason},    {"message", std::move(message)}};
  return ErrorFromStatusObject(status, what);
}

std::string Quoted(const Resource& r, absl::string_view name) {
  return absl::StrCat(r.GroupResource(), " \"", name, "\"");
}

absl::Status NotFound(const Resource& r, absl::string_view name) {
  return ApiError(404, "NotFound", absl::StrCat(Quoted(r, name), " not found"), "fake");
}

absl::Status Conflict(const Resource& r, absl::string_view name) {
  return ApiError(409, "Conflict",
                  absl::StrCat("Operation cannot be fulfilled on ", Quoted(r, name),
                               ": the object has been modified; please apply your changes to "
                               "the latest version and try again"),
                  "fake");
}

absl::Status Expired(int64_t rv, int64_t floor) {
  return ApiError(410, "Expired",
                  absl::StrCat("too old resource version: ", rv, " (", floor - 1, ")"), "fake");
}

// WithoutVersion: `object` minus metadata.resourceVersion (to detect no-op writes).
nlohmann::json WithoutVersion(nlohmann::json object) {
  if (object.is_object() && object.contains("metadata") && object["metadata"].is_object()) {
    object["metadata"].erase("resourceVersion");
  }
  return object;
}

FakeKubeClient::Call MakeCall(const char* verb, const Resource& r, absl::string_view ns,
                              absl::string_view name = "") {
  FakeKubeClient::Call call;
  call.verb = verb;
  call.resource = r.GroupResource();
  call.ns = std::string(ns);
  call.name = std::string(name);
  return call;
}

}  // namespace

absl::StatusOr<bool> MatchesLabelSelector(const nlohmann::json& object,
                                          absl::string_view selector) {
  nlohmann::json labels = nlohmann::json::object();
  if (const nlohmann::json* meta = internal::Child(object, "metadata")) {
    if (const nlohmann::json* l = internal::Child(*meta, "labels"); l && l->is_object()) {
      labels = *l;
    }
  }
  for (absl::string_view term : absl::StrSplit(selector, ',', absl::SkipWhitespace())) {
    term = absl::StripAsciiWhitespace(term);
    std::string key, value;
    enum { kEq, kNe, kExists, kNotExists } op;
    if (size_t p = term.find("!="); p != absl::string_view::npos) {
      op = kNe;
      key = std::string(absl::StripAsciiWhitespace(term.substr(0, p)));
      value = std::string(absl::StripAsciiWhitespace(term.substr(p + 2)));
    } else if (size_t q = term.find("=="); q != absl::string_view::npos) {
      op = kEq;
      key = std::string(absl::StripAsciiWhitespace(term.substr(0, q)));
      value = std::string(absl::StripAsciiWhitespace(term.substr(q + 2)));
    } else if (size_t e = term.find('='); e != absl::string_view::npos) {
      op = kEq;
      key = std::string(absl::StripAsciiWhitespace(term.substr(0, e)));
      value = std::string(absl::StripAsciiWhitespace(term.substr(e + 1)));
    } else if (absl::ConsumePrefix(&term, "!")) {
      op = kNotExists;
      key = std::string(absl::StripAsciiWhitespace(term));
    } else {
      op = kExists;
      key = std::string(term);
    }
    if (key.empty()) return absl::InvalidArgumentError("label selector: empty key");
    std::string actual = internal::StringAt(labels, key.c_str());
    bool has = labels.contains(key);
    bool ok = op == kEq       ? (has && actual == value)
              : op == kNe     ? (!has || actual != value)
              : op == kExists ? has
                              : !has;
    if (!ok) return false;
  }
  return true;
}

absl::StatusOr<bool> MatchesFieldSelector(const nlohmann::json& object,
                                          absl::string_view selector) {
  for (absl::string_view term : absl::StrSplit(selector, ',', absl::SkipWhitespace())) {
    bool negate = false;
    size_t p = term.find("!=");
    size_t len = 2;
    if (p != absl::string_view::npos) {
      negate = true;
    } else if ((p = term.find("==")) == absl::string_view::npos) {
      p = term.find('=');
      len = 1;
    }
    if (p == absl::string_view::npos) {
      return absl::InvalidArgumentError("field selector: want field=value");
    }
    absl::string_view field = absl::StripAsciiWhitespace(term.substr(0, p));
    std::string value(absl::StripAsciiWhitespace(term.substr(p + len)));
    std::string actual;
    if (field == "metadata.name") {
      actual = MetaName(object);
    } else if (field == "metadata.namespace") {
      actual = MetaNamespace(object);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("field selector: unsupported field \"", field, "\""));
    }
    if ((actual == value) == negate) return false;
  }
  return true;
}

absl::Status FakeKubeClient::Record(Call call) {
  calls_.push_back(call);
  for (auto it = failures_.begin(); it != failures_.end(); ++it) {
    if (it->verb.empty() || it->verb == call.verb) {
      absl::Status status = it->status;
      if (--it->count <= 0) failures_.erase(it);
      return status;
    }
  }
  return absl::OkStatus();
}

void FakeKubeClient::Compact(int64_t floor) {
  absl::MutexLock lock(&mu_);
  floor_ = std::max(floor_, floor);
  while (!history_.empty() && history_.front().revision < floor_) history_.pop_front();
}

void FakeKubeClient::CompactAll() {
  int64_t rev;
  {
    absl::MutexLock lock(&mu_);
    rev = revision_;
  }
  Compact(rev);
}

void FakeKubeClient::CloseWatches() {
  absl::MutexLock lock(&mu_);
  ++close_generation_;
}

void FakeKubeClient::FailNext(std::string verb, int count, absl::Status status) {
  absl::MutexLock lock(&mu_);
  failures_.push_back({std::move(verb), count, std::move(status)});
}

std::vector<FakeKubeClient::Call> FakeKubeClient::calls() const {
  absl::MutexLock lock(&mu_);
  return calls_;
}

void FakeKubeClient::ClearCalls() {
  absl::MutexLock lock(&mu_);
  calls_.clear();
}

int64_t FakeKubeClient::revision() const {
  absl::MutexLock lock(&mu_);
  return revision_;
}

int FakeKubeClient::active_watches() const {
  absl::MutexLock lock(&mu_);
  return active_watches_;
}

absl::StatusOr<nlohmann::json> FakeKubeClient::Store(const Resource& resource,
                                                     const std::string& ns, nlohmann::json object,
                                                     bool create) {
  if (!object.is_object()) return absl::InvalidArgumentError("object is not a JSON map");
  std::string name = MetaName(object);
  HM_RETURN_IF_ERROR(ValidateName("name", name));
  if (resource.namespaced) HM_RETURN_IF_ERROR(ValidateName("namespace", ns));
  Key key{resource.GroupResource(), resource.namespaced ? ns : "", name};
  if (create && objects_.count(key) > 0) {
    return ApiError(409, "AlreadyExists", absl::StrCat(Quoted(resource, name), " already exists"),
                    "fake");
  }
  nlohmann::json& meta = object["metadata"];
  if (resource.namespaced) meta["namespace"] = ns;
  if (!meta.contains("uid")) meta["uid"] = absl::StrCat("fake-uid-", ++uid_counter_);
  if (!meta.contains("creationTimestamp")) {
    meta["creationTimestamp"] =
        absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone());
  }
  if (!object.contains("apiVersion")) object["apiVersion"] = resource.ApiVersion();
  if (!object.contains("kind")) object["kind"] = resource.kind;
  meta["resourceVersion"] = absl::StrCat(++revision_);
  objects_[key] = object;
  history_.push_back({revision_, resource.GroupResource(), resource.namespaced ? ns : "",
                      create ? WatchEventType::kAdded : WatchEventType::kModified, object});
  return object;
}

absl::StatusOr<nlohmann::json> FakeKubeClient::Write(const Resource& resource,
                                                     const std::string& ns, const std::string& name,
                                                     nlohmann::json object,
                                                     const std::string& precondition) {
  Key key{resource.GroupResource(), resource.namespaced ? ns : "", name};
  auto it = objects_.find(key);
  if (it == objects_.end()) return NotFound(resource, name);
  std::string current_rv = MetaResourceVersion(it->second);
  std::string wanted = precondition.empty() ? MetaResourceVersion(object) : precondition;
  if (!wanted.empty() && wanted != current_rv) return Conflict(resource, name);
  if (!object.is_object()) return absl::InvalidArgumentError("object is not a JSON map");
  nlohmann::json& meta = object["metadata"];
  if (!meta.is_object()) return absl::InvalidArgumentError("metadata is not a JSON map");
  // Identity fields come from the stored object.
  meta["name"] = name;
  if (resource.namespaced) meta["namespace"] = ns;
  const nlohmann::json& old_meta = it->second["metadata"];
  for (const char* field : {"uid", "creationTimestamp"}) {
    if (old_meta.contains(field)) meta[field] = old_meta[field];
  }
  if (WithoutVersion(object) == WithoutVersion(it->second)) return it->second;  // no-op
  return Store(resource, ns, std::move(object), /*create=*/false);
}

absl::StatusOr<nlohmann::json> FakeKubeClient::Seed(const Resource& resource,
                                                    nlohmann::json object) {
  absl::MutexLock lock(&mu_);
  std::string ns = MetaNamespace(object);
  if (resource.namespaced && ns.empty()) ns = "default";
  return Store(resource, ns, std::move(object), /*create=*/true);
}

absl::StatusOr<nlohmann::json> FakeKubeClient::Get(const Resource& resource, absl::string_view ns,
                                                   absl::string_view name) {
  absl::MutexLock lock(&mu_);
  HM_RETURN_IF_ERROR(Record(MakeCall("get", resource, ns, name)));
  HM_RETURN_IF_ERROR(ObjectPath(resource, ns, name).status());
  auto it = objects_.find(
      Key{resource.GroupResource(), resource.namespaced ? std::string(ns) : "", name});
  if (it == objects_.end()) return NotFound(resource, name);
  return it->second;
}

absl::StatusOr<ObjectList> FakeKubeClient::List(const Resource& resource, absl::string_view ns,
                                                const ListOptions& options) {
  absl::MutexLock lock(&mu_);
  Call call = MakeCall("list", resource, ns);
  call.resource_version = options.resource_version;
  call.label_selector = options.label_selector;
  call.field_selector = options.field_selector;
  call.limit = options.limit;
  call.continue_token = options.continue_token;
  HM_RETURN_IF_ERROR(Record(call));
  HM_RETURN_IF_ERROR(CollectionPath(resource, ns).status());
  int64_t snapshot = revision_;
  size_t offset = 0;
  if (!options.continue_token.empty()) {
    std::pair<std::string, std::string> parts =
        absl::StrSplit(options.continue_token, absl::MaxSplits('/', 1));
    int64_t rev = 0;
    if (!absl::SimpleAtoi(parts.first, &rev) || !absl::SimpleAtoi(parts.second, &offset)) {
      return ApiError(400, "BadRequest", "invalid continue token", "fake");
    }
    if (rev < floor_) return Expired(rev, floor_);
    snapshot = rev;
  }
  std::vector<const nlohmann::json*> matching;
  std::string gr = resource.GroupResource();
  for (const auto& [key, object] : objects_) {
    if (std::get<0>(key) != gr) continue;
    if (!ns.empty() && std::get<1>(key) != ns) continue;
    HM_ASSIGN_OR_RETURN(bool labels, MatchesLabelSelector(object, options.label_selector));
    HM_ASSIGN_OR_RETURN(bool fields, MatchesFieldSelector(object, options.field_selector));
    if (labels && fields) matching.push_back(&object);
  }
  ObjectList list;
  list.resource_version = absl::StrCat(snapshot);
  size_t end = matching.size();
  if (options.limit > 0) end = std::min(end, offset + static_cast<size_t>(options.limit));
  for (size_t i = offset; i < end; ++i) list.items.push_back(*matching[i]);
  if (end < matching.size()) list.continue_token = absl::StrCat(snapshot, "/", end);
  return list;
}

absl::Status FakeKubeClient::Watch(const Resource& resource, absl::string_view ns,
                                   const WatchOptions& options, EventCallback on_event) {
  const std::string gr = resource.GroupResource();
  const std::string want_ns(ns);
  std::vector<WatchEvent> initial;
  int64_t cursor = 0;
  int64_t generation = 0;
  auto matches = [&](const nlohmann::json& object) -> absl::StatusOr<bool> {
    HM_ASSIGN_OR_RETURN(bool labels, MatchesLabelSelector(object, options.label_selector));
    HM_ASSIGN_OR_RETURN(bool fields, MatchesFieldSelector(object, options.field_selector));
    return labels && fields;
  };
  {
    absl::MutexLock lock(&mu_);
    Call call = MakeCall("watch", resource, ns);
    call.resource_version = options.resource_version;
    call.label_selector = options.label_selector;
    call.field_selector = options.field_selector;
    HM_RETURN_IF_ERROR(Record(call));
    HM_RETURN_IF_ERROR(CollectionPath(resource, ns).status());
    if (options.resource_version.empty() || options.resource_version == "0") {
      for (const auto& [key, object] : objects_) {
        if (std::get<0>(key) != gr || (!want_ns.empty() && std::get<1>(key) != want_ns)) continue;
        HM_ASSIGN_OR_RETURN(bool ok, matches(object));
        if (ok) initial.push_back({WatchEventType::kAdded, object});
      }
      cursor = revision_;
    } else {
      if (!absl::SimpleAtoi(options.resource_version, &cursor)) {
        return ApiError(400, "BadRequest", "invalid resourceVersion", "fake");
      }
      if (cursor + 1 < floor_) return Expired(cursor, floor_);
    }
    generation = close_generation_;
    ++active_watches_;
  }
  auto done = [&] {
    absl::MutexLock lock(&mu_);
    --active_watches_;
  };
  for (WatchEvent& e : initial) {
    if (!on_event(std::move(e))) {
      done();
      return absl::OkStatus();
    }
  }
  absl::Time deadline = options.timeout_seconds > 0
                            ? absl::Now() + absl::Seconds(options.timeout_seconds)
                            : absl::InfiniteFuture();
  for (;;) {
    std::vector<WatchEvent> batch;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
        return (!history_.empty() && history_.back().revision > cursor) ||
               close_generation_ != generation;
      };
      // Poll so cancellation and the deadline are noticed without a dedicated wake-up.
      mu_.AwaitWithDeadline(absl::Condition(&ready),
                            std::min(deadline, absl::Now() + absl::Milliseconds(20)));
      if (close_generation_ != generation) break;
      if (options.cancel != nullptr && options.cancel->HasBeenNotified()) {
        --active_watches_;
        return absl::CancelledError("fake watch: cancelled");
      }
      if (absl::Now() >= deadline) break;
      for (const Change& c : history_) {
        if (c.revision <= cursor) continue;
        cursor = c.revision;
        if (c.resource != gr || (!want_ns.empty() && c.ns != want_ns)) continue;
        absl::StatusOr<bool> ok = matches(c.object);
        if (ok.ok() && *ok) batch.push_back({c.type, c.object});
      }
    }
    for (WatchEvent& e : batch) {
      if (!on_event(std::move(e))) {
        done();
        return absl::OkStatus();
      }
    }
  }
  done();
  return absl::OkStatus();
}

absl::StatusOr<nlohmann::json> FakeKubeClient::Create(const Resource& resource,
                                                      absl::string_view ns,
                                                      const nlohmann::json& object,
                                                      const WriteOptions& options) {
  absl::MutexLock lock(&mu_);
  HM_RETURN_IF_ERROR(Record(MakeCall("create", resource, ns, MetaName(object))));
  std::string object_ns = MetaNamespace(object);
  if (!object_ns.empty() && object_ns != ns) {
    return ApiError(400, "BadRequest", "the namespace of the object does not match", "fake");
  }
  nlohmann::json copy = object;
  if (copy.is_object() && copy.contains("metadata") && copy["metadata"].is_object()) {
    copy["metadata"].erase("resourceVersion");
  }
  return Store(resource, std::string(ns), std::move(copy), /*create=*/true);
}

absl::StatusOr<nlohmann::json> FakeKubeClient::Update(const Resource& resource,
                                                      absl::string_view ns,
                                                      const nlohmann::json& object,
                                                      const WriteOptions& options) {
  absl::MutexLock lock(&mu_);
  std::string name = MetaName(object);
  Call call = MakeCall("update", resource, ns, name);
  call.resource_version = MetaResourceVersion(object);
  HM_RETURN_IF_ERROR(Record(call));
  HM_RETURN_IF_ERROR(ObjectPath(resource, ns, name).status());
  return Write(resource, std::string(ns), name, object, "");
}

absl::StatusOr<nlohmann::json> FakeKubeClient::Patch(const Resource& resource, absl::string_view ns,
                                                     absl::string_view name, PatchType type,
                                                     absl::string_view patch,
                                                     const PatchOptions& options) {
  absl::MutexLock lock(&mu_);
  Call call = MakeCall("patch", resource, ns, name);
  call.resource_version = options.resource_version;
  HM_RETURN_IF_ERROR(Record(call));
  HM_RETURN_IF_ERROR(ObjectPath(resource, ns, name, options.subresource).status());
  auto it = objects_.find(
      Key{resource.GroupResource(), resource.namespaced ? std::string(ns) : "", name});
  if (it == objects_.end()) return NotFound(resource, name);
  nlohmann::json doc =
      nlohmann::json::parse(patch.begin(), patch.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return ApiError(400, "BadRequest", "patch is not JSON", "fake");
  nlohmann::json result = it->second;
  std::string precondition = options.resource_version;
  if (type == PatchType::kMerge) {
    if (!doc.is_object()) return ApiError(400, "BadRequest", "merge patch is not a map", "fake");
    result.merge_patch(doc);
  } else {
    if (!doc.is_array()) return ApiError(400, "BadRequest", "JSON patch is not a list", "fake");
    try {
      result = result.patch(doc);
    } catch (const nlohmann::json::exception& e) {
      return ApiError(422, "Invalid",
                      "the server rejected our request due to an error in our request", "fake");
    }
  }
  // As kube: a resourceVersion the patch put into the object is a precondition.
  if (precondition.empty()) {
    std::string patched_rv = MetaResourceVersion(result);
    if (patched_rv != MetaResourceVersion(it->second)) precondition = patched_rv;
  }
  if (!result.is_object() || !result.contains("metadata") || !result["metadata"].is_object()) {
    return ApiError(422, "Invalid", "the patch removed metadata", "fake");
  }
  if (precondition.empty()) result["metadata"].erase("resourceVersion");
  return Write(resource, std::string(ns), std::string(name), std::move(result), precondition);
}

absl::Status FakeKubeClient::Delete(const Resource& resource, absl::string_view ns,
                                    absl::string_view name, const DeleteOptions& options) {
  absl::MutexLock lock(&mu_);
  Call call = MakeCall("delete", resource, ns, name);
  call.resource_version = options.resource_version;
  HM_RETURN_IF_ERROR(Record(call));
  HM_RETURN_IF_ERROR(ObjectPath(resource, ns, name).status());
  Key key{resource.GroupResource(), resource.namespaced ? std::string(ns) : "", std::string(name)};
  auto it = objects_.find(key);
  if (it == objects_.end()) return NotFound(resource, name);
  if (!options.resource_version.empty() &&
      options.resource_version != MetaResourceVersion(it->second)) {
    return Conflict(resource, name);
  }
  if (!options.uid.empty() && options.uid != MetaUid(it->second)) {
    return Conflict(resource, name);
  }
  nlohmann::json last = std::move(it->second);
  objects_.erase(it);
  last["metadata"]["resourceVersion"] = absl::StrCat(++revision_);
  history_.push_back({revision_, resource.GroupResource(), std::get<1>(key),
                      WatchEventType::kDeleted, std::move(last)});
  return absl::OkStatus();
}

}  // namespace hallmark::kube::testing
