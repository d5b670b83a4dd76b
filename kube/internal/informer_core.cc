#include "kube/internal/informer_core.h"

#include <algorithm>
#include <utility>

#include "absl/random/distributions.h"
#include "absl/random/random.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/log.h"
#include "base/status_macros.h"
#include "kube/api_status.h"
#include "kube/pager.h"

namespace hallmark::kube::internal {

absl::StatusOr<std::unique_ptr<InformerCore>> InformerCore::New(KubeClient& client,
                                                                InformerOptions options,
                                                                Projection projection,
                                                                Handlers handlers) {
  if (!projection) return absl::InvalidArgumentError("informer: no projection");
  HM_RETURN_IF_ERROR(ValidateBackoffOptions(options.backoff));
  HM_RETURN_IF_ERROR(CollectionPath(options.resource, "").status());
  if (!options.resource.namespaced && !options.namespaces.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("informer: ", options.resource.GroupResource(),
                                                   " is cluster-scoped: no namespaces"));
  }
  for (const std::string& ns : options.namespaces) {
    HM_RETURN_IF_ERROR(ValidateName("namespace", ns));
  }
  std::vector<std::string> unique;
  for (const std::string& ns : options.namespaces) {
    if (std::find(unique.begin(), unique.end(), ns) == unique.end()) unique.push_back(ns);
  }
  options.namespaces = std::move(unique);
  if (options.page_size < 0) return absl::InvalidArgumentError("informer: negative page_size");
  if (options.resync_period < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("informer: negative resync_period");
  }
  if (options.min_watch_timeout < absl::Seconds(1) || options.min_watch_timeout > absl::Hours(12)) {
    return absl::InvalidArgumentError("informer: min_watch_timeout must be in [1 s, 12 h]");
  }
  if (options.name.empty()) options.name = options.resource.GroupResource();
  return std::unique_ptr<InformerCore>(
      new InformerCore(client, std::move(options), std::move(projection), std::move(handlers)));
}

InformerCore::InformerCore(KubeClient& client, InformerOptions options, Projection projection,
                           Handlers handlers)
    : client_(client),
      options_(std::move(options)),
      projection_(std::move(projection)),
      handlers_(std::move(handlers)),
      clock_(options_.clock != nullptr ? *options_.clock : *Clock::RealClock()) {}

InformerCore::~InformerCore() { Stop(); }

absl::Status InformerCore::Start() {
  absl::MutexLock lifecycle(&lifecycle_mu_);
  if (started_) return absl::FailedPreconditionError("informer: already started");
  if (stop_.HasBeenNotified()) return absl::FailedPreconditionError("informer: stopped");
  started_ = true;
  dispatcher_ = std::thread([this] { RunDispatch(); });
  if (options_.namespaces.empty()) {
    reflectors_.emplace_back([this] { RunReflector(""); });
  } else {
    for (const std::string& ns : options_.namespaces) {
      reflectors_.emplace_back([this, ns] { RunReflector(ns); });
    }
  }
  return absl::OkStatus();
}

void InformerCore::Stop() {
  absl::MutexLock lifecycle(&lifecycle_mu_);
  if (!stop_.HasBeenNotified()) stop_.Notify();
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& t : reflectors_) {
    if (t.joinable()) t.join();
  }
  if (dispatcher_.joinable()) dispatcher_.join();
}

bool InformerCore::HasSynced() const {
  absl::MutexLock lock(&mu_);
  size_t want = options_.namespaces.empty() ? 1 : options_.namespaces.size();
  return synced_reflectors_ >= want;
}

bool InformerCore::WaitForSync(absl::Duration timeout) const {
  size_t want = options_.namespaces.empty() ? 1 : options_.namespaces.size();
  absl::MutexLock lock(&mu_);
  auto done = [this, want]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return synced_reflectors_ >= want || stopping_;
  };
  mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
  return synced_reflectors_ >= want;
}

std::string InformerCore::Key(absl::string_view ns, absl::string_view name) {
  return ns.empty() ? std::string(name) : absl::StrCat(ns, "/", name);
}

bool InformerCore::InPartition(const std::string& key, const std::string& ns) {
  return ns.empty() ||
         (absl::StartsWith(key, ns) && key.size() > ns.size() && key[ns.size()] == '/');
}

InformerCore::Object InformerCore::Get(absl::string_view ns, absl::string_view name) const {
  std::string key = Key(options_.resource.namespaced ? ns : "", name);
  absl::MutexLock lock(&mu_);
  auto it = store_.find(key);
  return it == store_.end() ? nullptr : it->second.object;
}

std::vector<InformerCore::Object> InformerCore::List() const {
  absl::MutexLock lock(&mu_);
  std::vector<Object> out;
  out.reserve(store_.size());
  for (const auto& [key, entry] : store_) out.push_back(entry.object);
  return out;
}

std::vector<InformerCore::Object> InformerCore::ListNamespace(absl::string_view ns) const {
  std::string partition(ns);
  absl::MutexLock lock(&mu_);
  std::vector<Object> out;
  for (const auto& [key, entry] : store_) {
    if (InPartition(key, partition)) out.push_back(entry.object);
  }
  return out;
}

size_t InformerCore::Size() const {
  absl::MutexLock lock(&mu_);
  return store_.size();
}

InformerStats InformerCore::Stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

bool InformerCore::Wait(absl::Duration d) { return !stop_.WaitForNotificationWithTimeout(d); }

absl::Status InformerCore::ListAndReplace(const std::string& ns, bool consistent, int64_t page_size,
                                          std::string* rv, bool first) {
  absl::flat_hash_map<std::string, Entry> fresh;
  uint64_t projection_errors = 0;
  ListOptions list;
  list.label_selector = options_.label_selector;
  list.field_selector = options_.field_selector;
  // client-go's first list asks for "any" data (served from the watch cache); after a 410 it
  // needs the newest data.
  list.resource_version = consistent ? "" : "0";
  list.cancel = &stop_;
  PagerOptions pager;
  pager.page_size = page_size;
  HM_ASSIGN_OR_RETURN(
      std::string list_rv,
      ListAll(
          client_, options_.resource, ns, list, pager, [&] { fresh.clear(); },
          [&](nlohmann::json&& item) {
            std::string name = MetaName(item);
            std::string key = Key(options_.resource.namespaced ? MetaNamespace(item) : "", name);
            absl::StatusOr<Object> object =
                name.empty() ? absl::InvalidArgumentError("no metadata.name") : projection_(item);
            if (!object.ok() || *object == nullptr) {
              ++projection_errors;
              log::Warn("informer: object skipped",
                        {{"informer", options_.name},
                         {"object", key},
                         {"error", object.ok() ? "projection returned null"
                                               : std::string(object.status().message())}});
              return absl::OkStatus();
            }
            fresh[key] = Entry{MetaResourceVersion(item), *std::move(object)};
            return absl::OkStatus();
          }));

  absl::MutexLock lock(&mu_);
  // Replace this reflector's partition: what the new list lacks was deleted meanwhile.
  for (auto it = store_.begin(); it != store_.end();) {
    if (InPartition(it->first, ns) && !fresh.contains(it->first)) {
      queue_.push_back({Kind::kDelete, nullptr, it->second.object});
      store_.erase(it++);
    } else {
      ++it;
    }
  }
  for (auto& [key, entry] : fresh) {
    auto it = store_.find(key);
    if (it == store_.end()) {
      queue_.push_back({Kind::kAdd, nullptr, entry.object});
      store_.emplace(key, std::move(entry));
    } else if (it->second.resource_version != entry.resource_version) {
      queue_.push_back({Kind::kUpdate, it->second.object, entry.object});
      it->second = std::move(entry);
    }
  }
  if (first) queue_.push_back({Kind::kSynced, nullptr, nullptr});
  ++stats_.lists;
  if (!first) ++stats_.relists;
  stats_.projection_errors += projection_errors;
  *rv = std::move(list_rv);
  return absl::OkStatus();
}

void InformerCore::ApplyEvent(WatchEvent&& event) {
  if (event.type == WatchEventType::kBookmark) {
    absl::MutexLock lock(&mu_);
    ++stats_.bookmarks;
    return;
  }
  std::string name = MetaName(event.object);
  std::string key = Key(options_.resource.namespaced ? MetaNamespace(event.object) : "", name);
  std::string rv = MetaResourceVersion(event.object);
  // Project outside the lock: it is the expensive part.
  absl::StatusOr<Object> object =
      name.empty() ? absl::InvalidArgumentError("no metadata.name") : projection_(event.object);
  bool projected = object.ok() && *object != nullptr;
  absl::MutexLock lock(&mu_);
  ++stats_.events;
  if (event.type == WatchEventType::kDeleted) {
    auto it = store_.find(key);
    if (it == store_.end()) return;
    // Deliver the final state from the event when it projects, else the cached one.
    queue_.push_back({Kind::kDelete, nullptr, projected ? *object : it->second.object});
    store_.erase(it);
    return;
  }
  if (!projected) {
    ++stats_.projection_errors;
    log::Warn("informer: object skipped",
              {{"informer", options_.name},
               {"object", key},
               {"error", object.ok() ? "projection returned null"
                                     : std::string(object.status().message())}});
    return;
  }
  auto it = store_.find(key);
  if (it == store_.end()) {
    queue_.push_back({Kind::kAdd, nullptr, *object});
    store_.emplace(key, Entry{std::move(rv), *object});
  } else {
    queue_.push_back({Kind::kUpdate, it->second.object, *object});
    it->second = Entry{std::move(rv), *std::move(object)};
  }
}

void InformerCore::RunReflector(std::string ns) {
  Backoff backoff(options_.backoff, clock_);
  absl::BitGen gen;
  std::string rv;
  bool need_list = true;
  bool first = true;
  bool consistent = false;
  int64_t page_size = options_.page_size;
  log::Fields where = {{"informer", options_.name}, {"namespace", ns.empty() ? "*" : ns}};
  auto with = [&](absl::string_view key, std::string value) {
    log::Fields f = where;
    f.emplace_back(std::string(key), std::move(value));
    return f;
  };
  while (!stop_.HasBeenNotified()) {
    if (need_list) {
      absl::Status listed = ListAndReplace(ns, consistent, page_size, &rv, first);
      if (stop_.HasBeenNotified()) break;
      if (!listed.ok()) {
        log::Warn("informer: list failed", with("error", std::string(listed.message())));
        // Retry with a consistent read: a real kube-apiserver may serve resourceVersion=0 from
        // its watch cache and ignore `limit` (one huge response), and after a 410 only the
        // newest data will do (client-go relists with resourceVersion="" too).
        consistent = true;
        // kFailedPrecondition is what a response over the client's size limit gives: smaller
        // pages may fit.
        if (listed.code() == absl::StatusCode::kFailedPrecondition && page_size > 10) {
          page_size = std::max<int64_t>(10, page_size / 2);
        }
        if (!Wait(backoff.Next())) break;
        continue;
      }
      need_list = false;
      first = false;
      consistent = false;
    }
    WatchOptions watch;
    watch.resource_version = rv;
    watch.label_selector = options_.label_selector;
    watch.field_selector = options_.field_selector;
    watch.allow_bookmarks = true;
    watch.cancel = &stop_;
    int64_t min_s = absl::ToInt64Seconds(options_.min_watch_timeout);
    watch.timeout_seconds = absl::Uniform<int64_t>(gen, min_s, 2 * min_s);
    {
      absl::MutexLock lock(&mu_);
      ++stats_.watches;
    }
    absl::Time started = clock_.Now();
    uint64_t received = 0;
    absl::Status watched =
        client_.Watch(options_.resource, ns, watch, [&](WatchEvent&& event) -> bool {
          ++received;
          std::string event_rv = MetaResourceVersion(event.object);
          ApplyEvent(std::move(event));
          // Every event, bookmarks included, moves the resume point forward.
          if (!event_rv.empty()) rv = std::move(event_rv);
          return !stop_.HasBeenNotified();
        });
    if (stop_.HasBeenNotified()) break;
    if (watched.ok()) {
      // A clean close: resume from the last resourceVersion, no relist. A close within a
      // second with nothing received is a server in trouble (client-go's "very short watch").
      if (received == 0 && clock_.Now() - started < absl::Seconds(1)) {
        log::Warn("informer: very short watch", where);
        if (!Wait(backoff.Next())) break;
      }
      continue;
    }
    {
      absl::MutexLock lock(&mu_);
      ++stats_.watch_errors;
    }
    if (IsResourceExpired(watched)) {
      // The resume point fell out of the server's history: only a fresh list recovers.
      log::Info("informer: resourceVersion expired, relisting",
                with("error", std::string(watched.message())));
      need_list = true;
      consistent = true;
    } else {
      // Anything else (dropped connection, 5xx, 429, a garbled line): the resume point is still
      // good, so back off and watch again from it.
      log::Warn("informer: watch failed", with("error", std::string(watched.message())));
    }
    if (!Wait(backoff.Next())) break;
  }
}

void InformerCore::RunDispatch() {
  const absl::Duration period = options_.resync_period;
  absl::Time next_resync =
      period > absl::ZeroDuration() ? absl::Now() + period : absl::InfiniteFuture();
  for (;;) {
    Notification n;
    bool have = false;
    std::vector<Object> resync;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]()
                       ABSL_SHARED_LOCKS_REQUIRED(mu_) { return !queue_.empty() || stopping_; };
      mu_.AwaitWithDeadline(absl::Condition(&ready), next_resync);
      if (stopping_) return;
      if (!queue_.empty()) {
        n = std::move(queue_.front());
        queue_.pop_front();
        have = true;
      } else if (absl::Now() >= next_resync) {
        resync.reserve(store_.size());
        for (const auto& [key, entry] : store_) resync.push_back(entry.object);
        next_resync = absl::Now() + period;
      }
    }
    if (have) {
      switch (n.kind) {
        case Kind::kAdd:
          if (handlers_.on_add) handlers_.on_add(n.new_object);
          break;
        case Kind::kUpdate:
          if (handlers_.on_update) handlers_.on_update(n.old_object, n.new_object);
          break;
        case Kind::kDelete:
          if (handlers_.on_delete) handlers_.on_delete(n.new_object);
          break;
        case Kind::kSynced: {
          absl::MutexLock lock(&mu_);
          ++synced_reflectors_;
          break;
        }
      }
      continue;
    }
    for (const Object& object : resync) {
      if (stop_.HasBeenNotified()) return;
      if (handlers_.on_update) handlers_.on_update(object, object);
    }
  }
}

}  // namespace hallmark::kube::internal
