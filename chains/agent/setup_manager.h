// File: chains/agent/setup_manager.h
//
// SetupManager: turns the three live inputs - the `chains-config` ConfigMap, the signing key
// (signer::KeyStore) and the registry credentials (oci::Keychain) - into the immutable
// reconciler::Setup the workers sign with, rebuilt and swapped atomically whenever one changes
// (STYLE.md rule 7).
//
// ConfigMap rules (chains/config/config.h):
//  - valid: adopted;
//  - invalid (a value Chains rejects too): the previous configuration stays in force and the
//    rejection is logged (and reported through `on_config_event`); if there is no previous one
//    (the agent started with a bad ConfigMap) runs wait;
//  - unsupported (a value Chains accepts that Hallmark does not implement): adopted as unusable -
//    runs wait, with the error naming the key and value, until the ConfigMap is fixed;
//  - absent: Chains' defaults.
// Backends: the `tekton` backend is stateless; the `oci` backend (and its registry client) is
// built per (storage.oci.repository, .insecure) and reused while those stay the same, so its
// known-blob cache survives unrelated config changes. New registry credentials (UpdateKeychain)
// build new registry clients (no token obtained with the old ones is reused); a Setup taken
// before keeps its client and finishes with the old credentials. Pushes to one `.sig`/`.att`
// tag stay serialised across all these backends (one lock table for the manager's lifetime).
//
// Thread-safe. Current() is cheap (a shared_ptr copy under a mutex).
#ifndef HALLMARK_CHAINS_AGENT_SETUP_MANAGER_H_
#define HALLMARK_CHAINS_AGENT_SETUP_MANAGER_H_

#include <array>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "chains/config/config.h"
#include "chains/reconciler/reconciler.h"
#include "oci/docker_config.h"
#include "oci/registry_client.h"
#include "signer/key_store.h"
#include "storage/oci_backend.h"

namespace hallmark::chains::agent {

struct RegistryOptions {
  oci::Keychain keychain;  // credentials for pushing `.sig` / `.att` (until UpdateKeychain)
  storage::ConfigMode config_blob = storage::ConfigMode::kCosign;
  // Every request's deadline, and the in-request retries (kept short: the reconciler's own
  // backoff handles long outages without holding a worker).
  absl::Duration request_timeout = absl::Seconds(30);
  int max_attempts = 3;
  absl::Duration retry_budget = absl::Seconds(10);
  // Extra trust anchors for registries (PEM bundle file); empty: the system bundle.
  std::string ca_file;
};

// Factory for the registry client (tests inject one); default: oci::NewCurlRegistryClient.
using RegistryClientFactory = std::function<absl::StatusOr<std::unique_ptr<oci::RegistryClient>>(
    oci::RegistryClientOptions options)>;

class SetupManager {
 public:
  // `keys` must outlive the manager. `on_change` runs (on the caller's thread of Update*/
  // KeyChanged) after a new Setup was swapped in, e.g. to wake parked runs.
  SetupManager(signer::KeyStore* keys, RegistryOptions registry,
               std::function<void()> on_change = nullptr, RegistryClientFactory factory = nullptr);

  // UpdateConfig: the ConfigMap's data now (nullopt: it does not exist). Returns the parse
  // status: OK, or the rejection / unsupported error (already logged).
  absl::Status UpdateConfig(const std::optional<std::map<std::string, std::string>>& data);
  // KeyChanged: the KeyStore changed (a new key, or a new reason for having none).
  void KeyChanged();
  // UpdateKeychain: the registry credentials now; the next Setup uses them (new registry
  // clients), Setups already taken keep theirs.
  void UpdateKeychain(oci::Keychain keychain);

  // Current: the setup, or why the configuration is unusable (kInvalidArgument / kUnimplemented
  // from chains-config, kUnavailable before the first UpdateConfig).
  absl::StatusOr<std::shared_ptr<const reconciler::Setup>> Current() const;
  // ConfigKnown: UpdateConfig has been called at least once.
  bool ConfigKnown() const;
  // RegistryRequests: HTTP requests sent by every registry client built so far.
  uint64_t RegistryRequests() const;

 private:
  // A registry client and the backend that borrows it, kept alive by the Setups using it.
  struct OciBundle;
  struct OciEntry {
    std::shared_ptr<OciBundle> bundle;
    std::shared_ptr<storage::Backend> backend;  // serialised through tag_locks_
  };
  // Rebuild: a new Setup from config_ and the key store; REQUIRES mu_.
  void RebuildLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::shared_ptr<storage::Backend>> OciBackendFor(const config::Config& config)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  signer::KeyStore* const keys_;
  const RegistryOptions registry_;  // its keychain: see keychain_
  const std::function<void()> on_change_;
  const RegistryClientFactory factory_;

  mutable absl::Mutex mu_;
  bool config_known_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<config::Config> config_ ABSL_GUARDED_BY(mu_);  // the one in force
  absl::Status config_error_ ABSL_GUARDED_BY(mu_);             // makes the setup unusable
  std::shared_ptr<storage::Backend> tekton_ ABSL_GUARDED_BY(mu_);
  oci::Keychain keychain_ ABSL_GUARDED_BY(mu_);
  // The oci backends of the current credentials, by repository + insecure.
  std::map<std::string, OciEntry> oci_ ABSL_GUARDED_BY(mu_);
  // Bundles of earlier credentials, counted in RegistryRequests while a Setup still holds them;
  // retired_requests_ has the requests of those already gone.
  std::vector<std::weak_ptr<OciBundle>> retired_ ABSL_GUARDED_BY(mu_);
  const std::shared_ptr<std::atomic<uint64_t>> retired_requests_;
  // Striped locks over `.sig`/`.att` tags shared by every backend built (see the file comment).
  const std::shared_ptr<std::array<absl::Mutex, 64>> tag_locks_;
  absl::StatusOr<std::shared_ptr<const reconciler::Setup>> current_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hallmark::chains::agent

#endif  // HALLMARK_CHAINS_AGENT_SETUP_MANAGER_H_
