#include "chains/metrics/agent_metrics.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace hallmark::chains::metrics {
namespace {

absl::StatusOr<KindMetrics> AddKind(Registry& r, absl::string_view kind, absl::string_view title) {
  KindMetrics m;
  std::string p = absl::StrCat("watcher_", kind, "_");
  HM_ASSIGN_OR_RETURN(m.sign_created,
                      r.AddCounter(p + "sign_created_total",
                                   absl::StrCat("Total number of signed messages for ", title)));
  HM_ASSIGN_OR_RETURN(m.payload_uploaded,
                      r.AddCounter(p + "payload_uploaded_total",
                                   absl::StrCat("Total number of uploaded payloads for ", title,
                                                " (transparency log; not implemented, always 0)")));
  HM_ASSIGN_OR_RETURN(m.payload_stored,
                      r.AddCounter(p + "payload_stored_total",
                                   absl::StrCat("Total number of stored payloads for ", title)));
  HM_ASSIGN_OR_RETURN(
      m.marked_signed,
      r.AddCounter(p + "marked_signed_total",
                   absl::StrCat("Total number of objects marked as signed for ", title)));
  HM_ASSIGN_OR_RETURN(
      m.signing_failures,
      r.AddLabeledCounter(p + "signing_failures_total",
                          absl::StrCat("Total number of signing failures for ", title),
                          "error_type"));
  return m;
}

}  // namespace

std::vector<double> LatencyBuckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800};
}

absl::StatusOr<std::unique_ptr<AgentMetrics>> AgentMetrics::New() {
  std::unique_ptr<AgentMetrics> m(new AgentMetrics());
  Registry& r = m->registry_;
  HM_ASSIGN_OR_RETURN(m->taskrun, AddKind(r, "taskrun", "taskrun"));
  HM_ASSIGN_OR_RETURN(m->pipelinerun, AddKind(r, "pipelinerun", "pipelinerun"));
  HM_ASSIGN_OR_RETURN(
      m->sign_latency,
      r.AddHistogram("hallmark_run_sign_latency_seconds",
                     "Seconds from a run's completion (as first seen by the agent) to the patch "
                     "that marked it signed",
                     LatencyBuckets()));
  AgentMetrics* self = m.get();
  HM_RETURN_IF_ERROR(
      r.AddGauge("hallmark_queue_depth", "Runs queued for signing or waiting for a retry", [self] {
        absl::MutexLock lock(&self->mu_);
        return self->queue_depth_ ? self->queue_depth_() : 0.0;
      }));
  HM_RETURN_IF_ERROR(r.AddGauge("hallmark_runs_waiting",
                                "Runs waiting for a usable signing key or chains-config", [self] {
                                  absl::MutexLock lock(&self->mu_);
                                  return self->waiting_ ? self->waiting_() : 0.0;
                                }));
  HM_ASSIGN_OR_RETURN(m->runs_marked_failed,
                      r.AddCounter("hallmark_runs_marked_failed_total",
                                   "Runs marked chains.tekton.dev/signed=failed"));
  HM_ASSIGN_OR_RETURN(m->key_loads,
                      r.AddCounter("hallmark_key_loads_total",
                                   "Signing keys loaded (decrypted once per Secret version)"));
  HM_RETURN_IF_ERROR(r.AddCounterFunc("hallmark_kube_requests_total",
                                      "HTTP requests sent to the Kubernetes API", [self] {
                                        absl::MutexLock lock(&self->mu_);
                                        return self->kube_requests_ ? self->kube_requests_() : 0.0;
                                      }));
  HM_RETURN_IF_ERROR(r.AddCounterFunc("hallmark_registry_requests_total",
                                      "HTTP requests sent to registries (tokens included)", [self] {
                                        absl::MutexLock lock(&self->mu_);
                                        return self->registry_requests_ ? self->registry_requests_()
                                                                        : 0.0;
                                      }));
  return m;
}

void AgentMetrics::SetKubeRequests(std::function<double()> read) {
  absl::MutexLock lock(&mu_);
  kube_requests_ = std::move(read);
}

void AgentMetrics::SetRegistryRequests(std::function<double()> read) {
  absl::MutexLock lock(&mu_);
  registry_requests_ = std::move(read);
}

void AgentMetrics::SetQueueDepth(std::function<double()> read) {
  absl::MutexLock lock(&mu_);
  queue_depth_ = std::move(read);
}

void AgentMetrics::SetWaiting(std::function<double()> read) {
  absl::MutexLock lock(&mu_);
  waiting_ = std::move(read);
}

}  // namespace hallmark::chains::metrics
