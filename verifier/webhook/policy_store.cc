#include "verifier/webhook/policy_store.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/file.h"
#include "base/log.h"
#include "oci/content_digest.h"

namespace hallmark::verifier::webhook {

PolicyStore::PolicyStore() : snapshot_(std::make_shared<const PolicySnapshot>()) {}

std::shared_ptr<const PolicySnapshot> PolicyStore::Get() const {
  absl::MutexLock lock(&mu_);
  return snapshot_;
}

void PolicyStore::RebuildLocked() {
  auto next = std::make_shared<PolicySnapshot>();
  next->generation = snapshot_->generation + 1;
  for (const auto& [source, policies] : sources_) {
    for (const policy::Policy& p : policies) next->policies.push_back(p);
  }
  std::stable_sort(next->policies.begin(), next->policies.end(),
                   [](const policy::Policy& a, const policy::Policy& b) {
                     bool ac = a.kind == "ClusterPolicy", bc = b.kind == "ClusterPolicy";
                     if (ac != bc) return ac;
                     return a.Key() < b.Key();
                   });
  for (size_t i = 1; i < next->policies.size(); ++i) {
    if (next->policies[i].Key() == next->policies[i - 1].Key()) {
      log::Warn("policy defined twice; both are enforced", {{"policy", next->policies[i].Key()}});
    }
  }
  snapshot_ = std::move(next);
}

void PolicyStore::Set(const std::string& source, std::vector<policy::Policy> policies) {
  std::shared_ptr<const PolicySnapshot> snap;
  std::vector<Listener> listeners;
  {
    absl::MutexLock lock(&mu_);
    sources_[source] = std::move(policies);
    RebuildLocked();
    snap = snapshot_;
    listeners = listeners_;
  }
  for (const Listener& l : listeners) l(*snap);
}

void PolicyStore::Remove(const std::string& source) {
  std::shared_ptr<const PolicySnapshot> snap;
  std::vector<Listener> listeners;
  {
    absl::MutexLock lock(&mu_);
    if (sources_.erase(source) == 0) return;
    RebuildLocked();
    snap = snapshot_;
    listeners = listeners_;
  }
  for (const Listener& l : listeners) l(*snap);
}

void PolicyStore::AddListener(Listener listener) {
  absl::MutexLock lock(&mu_);
  listeners_.push_back(std::move(listener));
}

namespace {

bool IsPolicyFileName(const std::string& name) {
  return !absl::StartsWith(name, ".") &&
         (absl::EndsWith(name, ".yaml") || absl::EndsWith(name, ".yml") ||
          absl::EndsWith(name, ".json"));
}

// The policy files under `path`: the file itself, or the regular files (symlinks followed) of the
// folder with policy extensions, sorted.
absl::StatusOr<std::vector<std::string>> ListFiles(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat("policy path ", path, " does not exist"));
  }
  if (!S_ISDIR(st.st_mode)) return std::vector<std::string>{path};
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) return absl::PermissionDeniedError(absl::StrCat("cannot read folder ", path));
  std::vector<std::string> files;
  while (dirent* e = readdir(dir)) {
    std::string name = e->d_name;
    if (!IsPolicyFileName(name)) continue;
    std::string full = absl::StrCat(path, "/", name);
    struct stat fst;
    if (stat(full.c_str(), &fst) != 0 || !S_ISREG(fst.st_mode)) continue;
    files.push_back(full);
    if (files.size() > kMaxPolicyFiles) {
      closedir(dir);
      return absl::InvalidArgumentError(
          absl::StrCat("more than ", kMaxPolicyFiles, " policy files in ", path));
    }
  }
  closedir(dir);
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

absl::StatusOr<std::unique_ptr<FilePolicyWatcher>> FilePolicyWatcher::Start(
    std::string path, policy::LoadOptions options, PolicyStore* store, Metrics* metrics,
    absl::Duration interval) {
  auto w = std::unique_ptr<FilePolicyWatcher>(
      new FilePolicyWatcher(std::move(path), std::move(options), store, metrics, interval));
  absl::StatusOr<int> first = w->Scan(/*initial=*/true);
  if (!first.ok()) return first.status();
  FilePolicyWatcher* raw = w.get();
  w->thread_ = std::thread([raw] {
    while (!raw->stop_.WaitForNotificationWithTimeout(raw->interval_))
      raw->Scan(false).IgnoreError();
  });
  return w;
}

FilePolicyWatcher::~FilePolicyWatcher() {
  stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

int FilePolicyWatcher::RescanForTest() {
  absl::StatusOr<int> n = Scan(false);
  return n.ok() ? *n : -1;
}

absl::StatusOr<int> FilePolicyWatcher::Scan(bool initial) {
  absl::MutexLock lock(&scan_mu_);
  absl::StatusOr<std::vector<std::string>> files = ListFiles(path_);
  if (!files.ok()) {
    if (!initial)
      log::Error("cannot list policies; keeping the loaded ones",
                 {{"path", path_}, {"error", std::string(files.status().message())}});
    return files.status();
  }
  int changed = 0;
  std::set<std::string> present(files->begin(), files->end());
  for (auto it = hashes_.begin(); it != hashes_.end();) {
    if (present.count(it->first) == 0) {
      store_->Remove("file:" + it->first);
      log::Info("policy file removed", {{"file", it->first}});
      it = hashes_.erase(it);
      ++changed;
    } else {
      ++it;
    }
  }
  for (const std::string& file : *files) {
    absl::StatusOr<std::string> text = ReadFile(file, policy::kMaxPolicyBytes + 1);
    if (!text.ok()) {
      if (initial) return text.status();
      continue;
    }
    std::string hash = oci::Sha256Of(*text).String();
    auto known = hashes_.find(file);
    if (known != hashes_.end() && known->second == hash) continue;
    absl::StatusOr<std::vector<policy::Policy>> parsed = policy::ParsePolicies(*text, options_);
    if (!parsed.ok()) {
      if (metrics_ != nullptr) metrics_->RecordPolicyError();
      absl::Status err(parsed.status().code(), absl::StrCat(file, ": ", parsed.status().message()));
      if (initial) return err;
      log::Error("policy file refused; its previous version stays in force",
                 {{"file", file}, {"error", std::string(err.message())}});
      hashes_[file] = hash;  // do not log the same error every interval
      continue;
    }
    std::string names;
    for (const policy::Policy& p : *parsed)
      absl::StrAppend(&names, names.empty() ? "" : ",", p.Key());
    store_->Set("file:" + file, *std::move(parsed));
    hashes_[file] = hash;
    ++changed;
    log::Info(initial ? "policies loaded" : "policies reloaded",
              {{"file", file}, {"policies", names}});
  }
  return changed;
}

}  // namespace hallmark::verifier::webhook
