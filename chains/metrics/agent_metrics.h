// File: chains/metrics/agent_metrics.h
//
// AgentMetrics: what `hallmark agent` exposes at /metrics. Tekton Chains' counter names, so
// existing dashboards and alerts keep working (reference/chains.md §7), for TaskRuns and
// PipelineRuns:
//   watcher_<kind>_sign_created_total          signatures made (image signatures and provenance)
//   watcher_<kind>_payload_uploaded_total      transparency-log uploads (always 0: no Rekor yet)
//   watcher_<kind>_payload_stored_total        artifacts stored by a backend (per backend)
//   watcher_<kind>_marked_signed_total         runs marked chains.tekton.dev/signed=true
//   watcher_<kind>_signing_failures_total{error_type}
//       error_type: payload_creation | signing | storage | marking (Chains' set, with our
//       marshal_payload folded into payload_creation and no tlog; marking = the final patch)
// plus ours:
//   hallmark_run_sign_latency_seconds          histogram: completion (as the agent first saw it,
//                                              or status.completionTime for runs found at start)
//                                              to the accepted signed patch
//   hallmark_queue_depth                       gauge: runs queued or waiting for a retry
//   hallmark_runs_waiting                      gauge: runs parked until the key/config is fixed
//   hallmark_runs_marked_failed_total          runs marked chains.tekton.dev/signed=failed
//   hallmark_key_loads_total                   signing keys decrypted (once per Secret version)
//   hallmark_kube_requests_total               HTTP requests to the Kubernetes API (all uses)
//   hallmark_registry_requests_total           HTTP requests to registries (token requests too)
//
// Unlike Chains, failures of image signatures count too (Chains skips its OCI type's errors).
#ifndef HALLMARK_CHAINS_METRICS_AGENT_METRICS_H_
#define HALLMARK_CHAINS_METRICS_AGENT_METRICS_H_

#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "chains/metrics/registry.h"

namespace hallmark::chains::metrics {

inline constexpr absl::string_view kErrorPayloadCreation = "payload_creation";
inline constexpr absl::string_view kErrorSigning = "signing";
inline constexpr absl::string_view kErrorStorage = "storage";
inline constexpr absl::string_view kErrorMarking = "marking";

struct KindMetrics {
  Counter* sign_created = nullptr;
  Counter* payload_uploaded = nullptr;
  Counter* payload_stored = nullptr;
  Counter* marked_signed = nullptr;
  LabeledCounter* signing_failures = nullptr;
};

class AgentMetrics {
 public:
  // New registers every metric. kInternal only on a programming error (duplicate names).
  static absl::StatusOr<std::unique_ptr<AgentMetrics>> New();

  KindMetrics taskrun;
  KindMetrics pipelinerun;
  Histogram* sign_latency = nullptr;
  Counter* runs_marked_failed = nullptr;
  Counter* key_loads = nullptr;

  // Gauges read through callbacks set once the controller exists (0 until then).
  void SetQueueDepth(std::function<double()> read);
  void SetWaiting(std::function<double()> read);
  void SetKubeRequests(std::function<double()> read);
  void SetRegistryRequests(std::function<double()> read);

  Registry& registry() { return registry_; }
  std::string Render() const { return registry_.Render(); }

 private:
  AgentMetrics() = default;
  Registry registry_;
  absl::Mutex mu_;
  std::function<double()> queue_depth_ ABSL_GUARDED_BY(mu_);
  std::function<double()> waiting_ ABSL_GUARDED_BY(mu_);
  std::function<double()> kube_requests_ ABSL_GUARDED_BY(mu_);
  std::function<double()> registry_requests_ ABSL_GUARDED_BY(mu_);
};

// The latency buckets (seconds): 5 ms .. 30 min.
std::vector<double> LatencyBuckets();

}  // namespace hallmark::chains::metrics

#endif  // HALLMARK_CHAINS_METRICS_AGENT_METRICS_H_
