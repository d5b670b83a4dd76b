// File: chains/reconciler/reconciler.h
//
// RunReconciler: one attempt at signing one run, as Tekton Chains' reconcilers do it
// (reference/chains.md §2, §5, §7) but safer (DESIGN.md "where we are deliberately better"):
//
//   1. GET the live run (never trust the cache: a stale cache must not sign twice). Gone, not
//      done (Succeeded True/False), already `signed=true|failed`, or skipped -> nothing to do.
//   2. The signing setup (chains-config + key + backends, swapped atomically when either
//      changes) must be usable, else the run is PARKED (kPark) with an Event saying why (no key,
//      bad key, unsupported config) - it is neither signed nor failed, and resumes when fixed.
//   3. PipelineRun: every child TaskRun (status.childReferences) must be done and reconciled
//      (or skipped) first; until then nothing is done (the child's update re-queues the parent).
//   4. TaskRun: one cosign simple-signing signature per image (artifacts.oci.*), then the
//      provenance (artifacts.taskrun.*); PipelineRun: the provenance only
//      (artifacts.pipelinerun.*). Each artifact is stored to every configured backend (`oci`:
//      `.sig`/`.att` per image, idempotently; `tekton`: annotations collected for step 5); the
//      stores of one run are independent and run concurrently (up to 8 at once). Before any of
//      them, every image an artifact goes with is checked once with the backend it goes to
//      (Backend::CheckImage: `oci` HEADs the image's manifest by digest in its own repository;
//      `tekton` checks nothing): one image its registry does not have (tektoncd/chains#485) and
//      nothing of the run is stored - the attempt fails with kNotFound (retried, below: a
//      registry may lag behind a push) and an `ImageNotInRegistry` Event naming the image. The
//      statement is built from the run without its chains.tekton.dev/* annotations, so a retry
//      after a crash signs the same bytes and the registry dedupe adds no layer.
//   5. ONE merge patch: `signed=true`, the tekton-backend annotations, `retries` removed - with a
//      resourceVersion precondition. On 409 the run is read again: if someone marked it
//      meanwhile, nothing more is done; otherwise the patch is retried on the new version.
// Never marked signed unless every configured artifact was signed and stored.
//
// Failures (what the absl code of the error decides; STYLE.md rule 2):
//   - permanent (kInvalidArgument, kFailedPrecondition, kOutOfRange, kUnimplemented,
//     kAlreadyExists): the run cannot be signed as it is (e.g. more than 256 images, a step
//     imageID without a digest, provenance too large for annotations, a registry that refuses
//     the artifact): marked `signed=failed` at once, with an Event;
//   - everything else is retriable (kUnavailable, kDeadlineExceeded, kAborted, kUnauthenticated,
//     kPermissionDenied, kNotFound from a registry or its image check, kInternal...): `retries`
//     is set to the number of failed attempts, an Event says why (reason `SigningFailed`, or
//     `ImageNotInRegistry`), and the run is retried after the RetryPolicy's backoff until its
//     window is used up, then marked `signed=failed` - never `signed=true`.
//   - API errors on the GET or the final patch are not counted (they could not be recorded
//     anyway): the run is retried after a short backoff.
// Events are rate-limited (a token bucket for the whole agent) and never carry secrets.
#ifndef HALLMARK_CHAINS_RECONCILER_RECONCILER_H_
#define HALLMARK_CHAINS_RECONCILER_RECONCILER_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "chains/config/config.h"
#include "chains/controller/controller.h"
#include "chains/formats/statement.h"
#include "chains/metrics/agent_metrics.h"
#include "chains/reconciler/retry_policy.h"
#include "chains/reconciler/run_state.h"
#include "kube/event_recorder.h"
#include "kube/kube_client.h"
#include "kube/rate_limiter.h"
#include "nlohmann/json.hpp"
#include "signer/signer.h"
#include "storage/backend.h"

namespace hallmark::chains::reconciler {

// Event reasons of a retried attempt: any failure, or an image whose digest its registry does
// not have.
inline constexpr absl::string_view kSigningFailedReason = "SigningFailed";
inline constexpr absl::string_view kImageNotInRegistryReason = "ImageNotInRegistry";

// Setup: everything a signing needs that comes from configuration, built once per chains-config
// and Secret version and shared (immutable) by all workers.
struct Setup {
  config::Config config;
  // The key, or why there is none (kFailedPrecondition / kUnavailable from signer::KeyStore).
  absl::StatusOr<std::shared_ptr<const signer::Signer>> signer =
      absl::UnavailableError("no signing key yet");
  // The backends the config names (null when not configured).
  std::shared_ptr<storage::Backend> oci;
  std::shared_ptr<storage::Backend> tekton;
};

struct ReconcilerOptions {
  RetryPolicy retry;
  // --skip-before: runs that completed earlier are ignored.
  std::optional<absl::Time> skip_before;
  // Final-patch attempts when the run keeps changing under us (409).
  int max_conflicts = 5;
  // Events: at most this many per second for the whole agent (burst 4x).
  double events_per_second = 5;
};

class RunReconciler final : public controller::Reconciler {
 public:
  struct Dependencies {
    kube::KubeClient* kube = nullptr;  // required, borrowed
    // The current setup, or why the config is unusable (the run is parked).
    std::function<absl::StatusOr<std::shared_ptr<const Setup>>()> setup;  // required
    // Cached projections (the informers), used to check a PipelineRun's children without API
    // calls; when empty, children are read with GET.
    std::function<std::shared_ptr<const RunInfo>(RunKind, const std::string& ns,
                                                 const std::string& name)>
        cached;
    // When the agent first saw `key` complete (for the latency histogram); nullopt: use
    // status.completionTime.
    std::function<std::optional<absl::Time>(const std::string& key)> seen_done;
    // Called when a run needs no more work (signed, failed, gone).
    std::function<void(const std::string& key)> on_finished;
    kube::EventRecorder* events = nullptr;     // optional, borrowed
    metrics::AgentMetrics* metrics = nullptr;  // optional, borrowed
    Clock* clock = nullptr;                    // nullptr: the real clock
  };

  // New: kInvalidArgument without a kube client or setup function, or for a bad retry policy.
  static absl::StatusOr<std::unique_ptr<RunReconciler>> New(Dependencies deps,
                                                            ReconcilerOptions options);

  // Reconcile: one attempt at the run named by `key` (a RunKey string); see the file comment.
  controller::Result Reconcile(const std::string& key) override;

  const ReconcilerOptions& options() const { return options_; }

 private:
  struct Failure {
    absl::Status status;
    absl::string_view error_type;  // metrics::kError*
    // The reason of the Event of a retried attempt.
    absl::string_view event_reason = kSigningFailedReason;
  };
  struct Work {
    std::map<std::string, std::string> annotations;  // from the tekton backend
    int images = 0;
    int attestations = 0;
  };

  RunReconciler(Dependencies deps, ReconcilerOptions options, Clock& clock,
                std::unique_ptr<kube::RateLimiter> event_limiter);

  controller::Result ReconcileRun(const RunKey& key);
  // ChildrenReady: true when every child TaskRun is done and reconciled (or skipped). A child
  // that does not exist sets `missing`.
  bool ChildrenReady(const RunKey& key, const std::vector<std::string>& children,
                     std::string* missing);
  std::optional<Failure> SignTaskRun(const Setup& setup, const nlohmann::json& object, Work* work);
  std::optional<Failure> SignPipelineRun(const Setup& setup, const RunKey& key,
                                         const nlohmann::json& object, Work* work);
  // One Store call to make.
  struct StoreJob {
    storage::Backend* backend;  // null when the config names a backend that was not built
    std::string backend_name;
    storage::SignedArtifact artifact;
    std::string what;  // for messages: "the signature of <image>"
  };
  // AddAttestationJobs: the signed statement to the type's backends (tekton: annotations for
  // the final patch; oci: one `.att` per image subject).
  void AddAttestationJobs(const Setup& setup, const config::ArtifactConfig& type,
                          const formats::Statement& statement, const std::string& envelope,
                          const std::string& key, std::vector<StoreJob>* jobs);
  // CheckImages: Backend::CheckImage once per (backend, image) of the jobs, concurrently; the
  // first failure (in job order), if any.
  std::optional<Failure> CheckImages(const std::vector<StoreJob>& jobs);
  // RunStores: CheckImages, then - only if every check passed - every job, concurrently; the
  // first failure (in job order), if any. Successful jobs count in the metrics and add their
  // annotations to `work` either way.
  std::optional<Failure> RunStores(std::vector<StoreJob>& jobs, const metrics::KindMetrics* m,
                                   Work* work);
  // Mark: the final merge patch (signed=true or failed) with preconditions and the 409 loop.
  // Returns OK when patched or when the run turned out to be reconciled already
  // (`*already` set).
  absl::Status Mark(const RunKey& key, nlohmann::json object,
                    const std::map<std::string, std::optional<std::string>>& annotations,
                    bool* already);
  controller::Result Succeeded(const RunKey& key, const nlohmann::json& object, const Work& work,
                               absl::Time started);
  controller::Result Failed(const RunKey& key, const nlohmann::json& object,
                            const Failure& failure);
  controller::Result MarkFailed(const RunKey& key, const nlohmann::json& object,
                                const std::string& why, int attempts);
  controller::Result Park(const RunKey& key, const nlohmann::json& object, absl::string_view reason,
                          const absl::Status& why);
  void Event(const RunKey& key, const nlohmann::json& object, kube::EventType type,
             absl::string_view reason, const std::string& message);
  void Finished(const std::string& key);
  const metrics::KindMetrics* KindMetricsFor(RunKind kind) const;
  absl::Duration Jittered(int failures);

  const Dependencies deps_;
  const ReconcilerOptions options_;
  const int max_attempts_;
  Clock& clock_;
  std::unique_ptr<kube::RateLimiter> event_limiter_;
  absl::Mutex mu_;
  absl::BitGen gen_ ABSL_GUARDED_BY(mu_);
  // The last "waiting" reason an Event was recorded for, per parked run (one Event per reason).
  absl::flat_hash_map<std::string, std::string> waiting_ ABSL_GUARDED_BY(mu_);
};

// IsPermanent: the absl codes that mark a run failed at once (see the file comment).
bool IsPermanent(absl::StatusCode code);

}  // namespace hallmark::chains::reconciler

#endif  // HALLMARK_CHAINS_RECONCILER_RECONCILER_H_
