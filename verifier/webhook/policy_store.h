// File: verifier/webhook/policy_store.h
//
// PolicyStore: the policies the webhook enforces right now, as an immutable snapshot swapped
// atomically when a source changes (a request always sees one consistent set). Sources are
// named ("file:/etc/hallmark/policies/a.yaml", "kube:ClusterPolicy//name"); each holds the
// policies it last loaded successfully.
//
// FilePolicyWatcher loads a policy file, or every *.yaml / *.yml / *.json in a folder (names
// starting with "." are skipped, so a mounted ConfigMap's ..data entries are not read twice), and
// re-reads them every `interval`: a changed file is parsed again and replaces its policies; a file
// that no longer parses KEEPS its previous policies (logged, counted) — a typo never disables
// enforcement; a removed file removes its policies.
#ifndef HALLMARK_VERIFIER_WEBHOOK_POLICY_STORE_H_
#define HALLMARK_VERIFIER_WEBHOOK_POLICY_STORE_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "verifier/policy/policy.h"
#include "verifier/webhook/metrics.h"

namespace hallmark::verifier::webhook {

struct PolicySnapshot {
  // ClusterPolicies by name, then Policies by namespace/name: the order they are evaluated in.
  std::vector<policy::Policy> policies;
  uint64_t generation = 0;
};

class PolicyStore {
 public:
  PolicyStore();
  std::shared_ptr<const PolicySnapshot> Get() const;
  // Set / Remove the policies of one source; the snapshot is rebuilt and listeners called (on the
  // calling thread, after the swap).
  void Set(const std::string& source, std::vector<policy::Policy> policies);
  void Remove(const std::string& source);
  using Listener = std::function<void(const PolicySnapshot&)>;
  void AddListener(Listener listener);

 private:
  void RebuildLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  mutable absl::Mutex mu_;
  std::map<std::string, std::vector<policy::Policy>> sources_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const PolicySnapshot> snapshot_ ABSL_GUARDED_BY(mu_);
  std::vector<Listener> listeners_ ABSL_GUARDED_BY(mu_);
};

// Most policy files read from one folder.
inline constexpr size_t kMaxPolicyFiles = 1000;

class FilePolicyWatcher {
 public:
  // Start: loads `path` (a file or a folder) into `store` now — any file that does not parse
  // is an error (kInvalidArgument naming the file and field), as is a missing path (kNotFound):
  // the webhook refuses to start without the policies it was told to enforce — then polls every
  // `interval` on a background thread. `store` and `metrics` (optional) must outlive the watcher.
  static absl::StatusOr<std::unique_ptr<FilePolicyWatcher>> Start(
      std::string path, policy::LoadOptions options, PolicyStore* store, Metrics* metrics,
      absl::Duration interval = absl::Seconds(2));
  ~FilePolicyWatcher();

  // Rescan now (tests); returns the number of files whose policies changed.
  int RescanForTest();

 private:
  FilePolicyWatcher(std::string path, policy::LoadOptions options, PolicyStore* store,
                    Metrics* metrics, absl::Duration interval)
      : path_(std::move(path)),
        options_(std::move(options)),
        store_(store),
        metrics_(metrics),
        interval_(interval) {}
  absl::StatusOr<int> Scan(bool initial);

  const std::string path_;
  const policy::LoadOptions options_;
  PolicyStore* store_;
  Metrics* metrics_;
  const absl::Duration interval_;
  absl::Mutex scan_mu_;
  std::map<std::string, std::string> hashes_ ABSL_GUARDED_BY(scan_mu_);  // file -> content hash
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace hallmark::verifier::webhook

#endif  // HALLMARK_VERIFIER_WEBHOOK_POLICY_STORE_H_
