// File: chains/agent/agent.h
//
// The signing agent (`hallmark agent`): Tekton Chains' controller, rebuilt (DESIGN.md). It
// watches TaskRuns and PipelineRuns (only the namespaces asked for, caching a compact
// projection), and signs every completed run exactly once: cosign signatures of the images it
// built and SLSA provenance, stored in the registry and/or on the run, then marked
// `chains.tekton.dev/signed=true` (chains/reconciler/reconciler.h has the per-run rules).
//
// Wiring:
//   chains-config ConfigMap (informer), signing-secrets Secret (informer, or the mounted
//     folder, polled) and the registry credentials (--registry-secret informer, --registry-config
//     file checked every 10 s and before each signing attempt, at most once a second)
//     -> SetupManager -> Setup (config + key + backends, swapped atomically);
//   TaskRun / PipelineRun informers -> Controller (queue: fresh/backlog lanes, N workers)
//     -> RunReconciler (GET, sign, store, one PATCH);
//   LeaderElector (--leader-elect): only the Lease holder's workers run; a standby keeps its
//     caches and queue warm;
//   OpsServer (--metrics-addr): /metrics, /healthz, /readyz.
//
// Lifecycle: New (validates options, builds clients) -> Start (starts watching; a background
// thread waits for the caches, then starts work or the election) -> Shutdown(grace) (stops
// taking work, lets in-flight runs finish within `grace`, releases the Lease, stops watching).
#ifndef HALLMARK_CHAINS_AGENT_AGENT_H_
#define HALLMARK_CHAINS_AGENT_AGENT_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "base/log.h"
#include "chains/agent/ops_server.h"
#include "chains/agent/registry_credentials.h"
#include "chains/agent/setup_manager.h"
#include "chains/controller/controller.h"
#include "chains/metrics/agent_metrics.h"
#include "chains/reconciler/reconciler.h"
#include "chains/reconciler/run_state.h"
#include "kube/event_recorder.h"
#include "kube/http_kube_client.h"
#include "kube/informer.h"
#include "kube/leader_elector.h"
#include "oci/docker_config.h"
#include "signer/key_store.h"
#include "signer/secret_dir.h"
#include "signer/signing_secrets.h"

namespace hallmark::chains::agent {

struct AgentOptions {
  // Kubernetes connection: --kubeconfig (else KUBECONFIG, in-cluster, ~/.kube/config).
  std::string kubeconfig;
  std::string kube_context;
  double kube_api_qps = 50;
  int kube_api_burst = 100;
  // Where chains-config, signing-secrets and the Lease live (--system-namespace).
  std::string system_namespace = "tekton-chains";
  std::string config_map_name = "chains-config";
  std::string signing_secret_name = "signing-secrets";
  // --signing-secrets-dir: read the key from this folder (the mounted Secret) instead of the API.
  std::string signing_secrets_dir;
  absl::Duration signing_secrets_poll = absl::Seconds(1);
  // --namespace a,b: watch only these namespaces (one LIST+WATCH each); empty: all.
  std::vector<std::string> namespaces;
  int threads = 2;
  // --metrics-addr HOST:PORT; empty: no ops server.
  std::string metrics_addr;
  // --leader-elect, --lease-name; identity defaults to the host name plus the process id.
  bool leader_elect = false;
  std::string lease_name = "hallmark-agent";
  std::string identity;
  absl::Duration lease_duration = absl::Seconds(15);
  absl::Duration renew_deadline = absl::Seconds(10);
  absl::Duration retry_period = absl::Seconds(2);
  // --retry-window and the backoff between attempts.
  reconciler::RetryPolicy retry;
  // --skip-before TIME.
  std::optional<absl::Time> skip_before;
  // Registry credentials: --registry-config FILE (a docker config.json; default:
  // $DOCKER_CONFIG/config.json or ~/.docker/config.json when present) and --registry-secret NAME
  // (a kubernetes.io/dockerconfigjson or dockercfg Secret in the system namespace), the file's
  // entry winning for a registry both name. Both are followed live (chains/agent/
  // registry_credentials.h): the Secret through an informer (missing at start: a warning, used
  // when it appears), the file by its identity every registry_config_poll and before each signing
  // attempt. A broken version keeps the previous credentials (a warning, never the credentials).
  std::string registry_config;
  std::string registry_secret;
  absl::Duration registry_config_poll = absl::Seconds(10);
  std::string registry_ca_file;
  storage::ConfigMode oci_config_blob = storage::ConfigMode::kCosign;
  // How long the initial list of runs may take before the agent gives up (kUnavailable).
  absl::Duration sync_timeout = absl::Minutes(5);
};

class Agent {
 public:
  // New: kInvalidArgument for bad options; the errors of loading the Kubernetes configuration
  // and the registry config file (RegistryCredentials::New).
  static absl::StatusOr<std::unique_ptr<Agent>> New(AgentOptions options);
  ~Agent();  // Shutdown(infinite grace) unless already shut down

  // Start: starts the config/key sources, the informers and the ops server; returns once they
  // run (the caches fill in the background; Ready() tells when signing can start).
  // kUnavailable if the ops server cannot listen.
  absl::Status Start();
  // Shutdown: see the file comment. Returns true if every in-flight run finished within
  // `grace` (everything is then stopped and the Lease released); false if some are still
  // running - the caller should end the process without destroying the agent (the Lease is
  // then NOT released, so no other replica starts on those runs before it expires).
  bool Shutdown(absl::Duration grace);

  Readiness Ready() const;
  int metrics_port() const;
  metrics::AgentMetrics& metrics() { return *metrics_; }
  controller::Controller& controller() { return *controller_; }

 private:
  explicit Agent(AgentOptions options) : options_(std::move(options)) {}
  absl::Status Init();
  void OnRun(reconciler::RunKind kind, const std::shared_ptr<const reconciler::RunInfo>* old_info,
             const std::shared_ptr<const reconciler::RunInfo>& info, bool synced);
  void OnRunDeleted(const std::shared_ptr<const reconciler::RunInfo>& info);
  void MaybeEnqueueParent(const std::string& ns, const std::string& parent);
  // AfterKeyUpdate: count key loads, log the new key state, rebuild the setup if it changed.
  void AfterKeyUpdate(bool changed);
  // ChangeRegistryCredentials: runs `change` on one credential source (`source`: "file" or
  // "secret"), counts and logs its outcome, and hands the new keychain to the SetupManager if it
  // changed - all under registry_mu_, so concurrent changes reach the manager in order.
  void ChangeRegistryCredentials(absl::string_view source,
                                 const std::function<RegistryCredentials::Result()>& change);
  void CheckRegistryFile(bool force);
  bool Actionable(const reconciler::RunInfo& info) const;
  void Lifecycle();
  std::shared_ptr<const reconciler::RunInfo> Cached(reconciler::RunKind kind, const std::string& ns,
                                                    const std::string& name) const;

  const AgentOptions options_;
  std::unique_ptr<kube::HttpKubeClient> kube_;
  std::unique_ptr<kube::HttpKubeClient> lease_kube_;
  std::unique_ptr<metrics::AgentMetrics> metrics_;
  std::unique_ptr<kube::EventRecorder> events_;
  std::unique_ptr<signer::KeyStore> keys_;
  std::unique_ptr<SetupManager> setups_;
  std::unique_ptr<reconciler::RunReconciler> reconciler_;
  std::unique_ptr<controller::Controller> controller_;
  std::unique_ptr<signer::SecretDirWatcher> secret_dir_;
  std::unique_ptr<RegistryCredentials> registry_creds_;
  metrics::LabeledCounter* registry_loads_ = nullptr;   // by source
  metrics::LabeledCounter* registry_errors_ = nullptr;  // by source
  struct RegistrySecret {
    // The Secret's keychain, or why it is unusable (never holding a credential).
    absl::StatusOr<oci::Keychain> keychain = absl::UnknownError("not read");
  };
  std::unique_ptr<kube::Informer<RegistrySecret>> registry_secret_informer_;
  std::thread registry_watch_;
  absl::Mutex registry_mu_;
  struct ConfigMapData {
    kube::ObjectReference ref;  // for Events about a rejected ConfigMap
    std::map<std::string, std::string> data;
  };
  std::unique_ptr<kube::Informer<ConfigMapData>> config_informer_;
  std::unique_ptr<kube::Informer<signer::SecretFiles>> secret_informer_;
  std::unique_ptr<kube::Informer<reconciler::RunInfo>> taskruns_;
  std::unique_ptr<kube::Informer<reconciler::RunInfo>> pipelineruns_;
  std::unique_ptr<kube::LeaderElector> elector_;
  std::unique_ptr<OpsServer> ops_;

  absl::Notification stop_;
  std::thread lifecycle_;
  std::atomic<bool> synced_{false};
  std::atomic<bool> leading_{false};
  std::atomic<bool> shut_down_{false};
  std::atomic<uint64_t> counted_loads_{0};

  mutable absl::Mutex mu_;
  // When each pending run was first seen completing (for the latency histogram).
  absl::flat_hash_map<std::string, absl::Time> seen_done_ ABSL_GUARDED_BY(mu_);
  std::string not_ready_ ABSL_GUARDED_BY(mu_) = "starting";
};

// RunAgent: the `hallmark agent` entry point. Initialises JSON logging at `log_level`, runs an
// Agent until SIGTERM or SIGINT, then shuts it down with `grace` and returns OK (exit 0). If
// in-flight runs outlive the grace period the process ends right there (exit code 0, Lease not
// released; re-signing those runs later adds nothing, see DESIGN.md). Errors of Agent::New /
// Start, or kUnavailable when the caches never synced.
absl::Status RunAgent(const AgentOptions& options, log::Level log_level = log::Level::kInfo,
                      absl::Duration grace = absl::Seconds(20));

}  // namespace hallmark::chains::agent

#endif  // HALLMARK_CHAINS_AGENT_AGENT_H_
