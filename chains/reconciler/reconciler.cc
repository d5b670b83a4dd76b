#include "chains/reconciler/reconciler.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/log.h"
#include "chains/artifacts/extract.h"
#include "chains/artifacts/run.h"
#include "chains/formats/statement.h"
#include "crypto/dsse.h"
#include "crypto/simple_signing.h"
#include "kube/api_status.h"
#include "oci/reference.h"
#include "storage/tekton_backend.h"

namespace hallmark::chains::reconciler {
namespace {

using controller::Result;
using nlohmann::json;

constexpr absl::string_view kFieldManager = "hallmark-agent";

std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

absl::Status Prefix(absl::string_view what, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat(what, ": ", status.message()));
}

std::string Seconds(absl::Duration d) {
  return absl::StrCat(absl::ToDoubleSeconds(absl::Trunc(d, absl::Milliseconds(100))), "s");
}

// OciSubject: the image a statement subject names, pinned by its sha256, or nullopt when the
// subject is not an OCI image (a Maven URI, a file...): such subjects cannot get a `.att`.
std::optional<oci::Reference> OciSubject(const artifacts::Artifact& subject) {
  auto sha = subject.digest.find("sha256");
  if (sha == subject.digest.end()) return std::nullopt;
  absl::StatusOr<oci::Reference> ref = oci::Reference::Parse(subject.name);
  if (!ref.ok() || ref->has_digest()) return std::nullopt;
  absl::StatusOr<oci::Digest> digest = oci::Digest::Parse(absl::StrCat("sha256:", sha->second));
  if (!digest.ok()) return std::nullopt;
  return ref->WithDigest(*digest);
}

// ForEachConcurrently: fn(0..n-1) on up to `max_threads` threads (this one included); returns
// when every call has returned. One call runs inline, without a thread.
void ForEachConcurrently(size_t n, size_t max_threads, const std::function<void(size_t)>& fn) {
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < n; i = next++) fn(i);
  };
  std::vector<std::thread> threads;
  size_t extra = std::min(n, max_threads);
  for (size_t t = 1; t < extra; ++t) threads.emplace_back(worker);
  worker();
  for (std::thread& t : threads) t.join();
}

// At most this many registry requests of one run at once (checks, then stores).
constexpr size_t kMaxParallelStores = 8;

}  // namespace

bool IsPermanent(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kUnimplemented:
    case absl::StatusCode::kAlreadyExists:
      return true;
    default:
      return false;
  }
}

absl::StatusOr<std::unique_ptr<RunReconciler>> RunReconciler::New(Dependencies deps,
                                                                  ReconcilerOptions options) {
  if (deps.kube == nullptr) return absl::InvalidArgumentError("reconciler: no kube client");
  if (!deps.setup) return absl::InvalidArgumentError("reconciler: no setup function");
  if (absl::Status s = options.retry.Validate(); !s.ok()) return s;
  if (options.max_conflicts < 1) options.max_conflicts = 1;
  Clock& clock = deps.clock != nullptr ? *deps.clock : *Clock::RealClock();
  double eps = options.events_per_second > 0 ? options.events_per_second : 5;
  absl::StatusOr<std::unique_ptr<kube::RateLimiter>> limiter =
      kube::RateLimiter::New(eps, std::max(1, static_cast<int>(eps * 4)), clock);
  if (!limiter.ok()) return limiter.status();
  return std::unique_ptr<RunReconciler>(
      new RunReconciler(std::move(deps), std::move(options), clock, *std::move(limiter)));
}

RunReconciler::RunReconciler(Dependencies deps, ReconcilerOptions options, Clock& clock,
                             std::unique_ptr<kube::RateLimiter> event_limiter)
    : deps_(std::move(deps)),
      options_(std::move(options)),
      max_attempts_(options_.retry.MaxAttempts()),
      clock_(clock),
      event_limiter_(std::move(event_limiter)) {}

const metrics::KindMetrics* RunReconciler::KindMetricsFor(RunKind kind) const {
  if (deps_.metrics == nullptr) return nullptr;
  return kind == RunKind::kTaskRun ? &deps_.metrics->taskrun : &deps_.metrics->pipelinerun;
}

absl::Duration RunReconciler::Jittered(int failures) {
  absl::MutexLock lock(&mu_);
  return options_.retry.JitteredDelay(failures, gen_);
}

Result RunReconciler::Reconcile(const std::string& key) {
  absl::StatusOr<RunKey> parsed = RunKey::Parse(key);
  if (!parsed.ok()) {
    log::Error("reconcile: bad run key", {{"key", key}, {"error", parsed.status().ToString()}});
    return Result::Done();
  }
  return ReconcileRun(*parsed);
}

Result RunReconciler::ReconcileRun(const RunKey& key) {
  absl::Time started = clock_.Now();
  const std::string k = key.String();

  // A PipelineRun whose children are not all signed yet waits without an API call: a child's
  // update re-queues it.
  if (key.kind == RunKind::kPipelineRun && deps_.cached) {
    std::shared_ptr<const RunInfo> cached = deps_.cached(RunKind::kPipelineRun, key.ns, key.name);
    std::string missing;
    if (cached != nullptr && cached->done && !cached->Reconciled() &&
        !ChildrenReady(key, cached->children, &missing) && missing.empty()) {
      return Result::Done();
    }
  }

  absl::StatusOr<json> live = deps_.kube->Get(ResourceOf(key.kind), key.ns, key.name);
  if (absl::IsNotFound(live.status())) {
    Finished(k);
    return Result::Done();
  }
  if (!live.ok()) {
    log::Warn("reading run failed", {{"run", k}, {"error", live.status().ToString()}});
    return Result::RetryAfter(Jittered(1));
  }
  const json& object = *live;
  absl::StatusOr<RunInfo> info = ProjectRun(key.kind, object);
  if (!info.ok() || !info->done) return Result::Done();
  if (info->Reconciled()) {
    Finished(k);
    return Result::Done();
  }
  if (Skipped(*info, options_.skip_before)) {
    log::Debug("run skipped", {{"run", k}});
    Finished(k);
    return Result::Done();
  }

  absl::StatusOr<std::shared_ptr<const Setup>> setup = deps_.setup();
  if (!setup.ok()) return Park(key, object, "ConfigUnusable", setup.status());
  const config::Config& config = (*setup)->config;

  if (key.kind == RunKind::kPipelineRun) {
    std::string missing;
    if (!ChildrenReady(key, info->children, &missing)) {
      if (!missing.empty()) {
        // Chains does not sign a PipelineRun whose child is gone either (so its deletion is not
        // blocked); we say so once.
        bool first;
        std::string why = absl::StrCat("child TaskRun ", missing, " not found: not signed");
        {
          absl::MutexLock lock(&mu_);
          first = waiting_[k] != why;
          waiting_[k] = why;
        }
        if (first) {
          log::Warn("pipelinerun not signed", {{"run", k}, {"reason", why}});
          Event(key, object, kube::EventType::kWarning, "ChildTaskRunMissing", why);
        }
      }
      return Result::Done();
    }
  }

  bool enabled = key.kind == RunKind::kTaskRun ? (config.taskrun.Enabled() || config.oci.Enabled())
                                               : config.pipelinerun.Enabled();
  if (enabled && !(*setup)->signer.ok()) {
    return Park(key, object, "SigningKeyUnavailable", (*setup)->signer.status());
  }

  Work work;
  std::optional<Failure> failure = key.kind == RunKind::kTaskRun
                                       ? SignTaskRun(**setup, object, &work)
                                       : SignPipelineRun(**setup, key, object, &work);
  if (failure.has_value()) return Failed(key, object, *failure);
  return Succeeded(key, object, work, started);
}

bool RunReconciler::ChildrenReady(const RunKey& key, const std::vector<std::string>& children,
                                  std::string* missing) {
  for (const std::string& name : children) {
    std::shared_ptr<const RunInfo> child =
        deps_.cached ? deps_.cached(RunKind::kTaskRun, key.ns, name) : nullptr;
    if (child == nullptr) {
      absl::StatusOr<json> object = deps_.kube->Get(kube::TaskRunsV1(), key.ns, name);
      if (absl::IsNotFound(object.status())) {
        *missing = name;
        return false;
      }
      if (!object.ok()) return false;
      absl::StatusOr<RunInfo> projected = ProjectRun(RunKind::kTaskRun, *object);
      if (!projected.ok()) return false;
      child = std::make_shared<const RunInfo>(*std::move(projected));
    }
    if (Skipped(*child, options_.skip_before)) continue;
    if (!child->done || !child->Reconciled()) return false;
  }
  return true;
}

std::optional<RunReconciler::Failure> RunReconciler::SignTaskRun(const Setup& setup,
                                                                 const json& object, Work* work) {
  const config::Config& config = setup.config;
  const metrics::KindMetrics* m = KindMetricsFor(RunKind::kTaskRun);
  if (!config.oci.Enabled() && !config.taskrun.Enabled()) return std::nullopt;
  absl::StatusOr<artifacts::TaskRun> run =
      artifacts::TaskRun::FromJson(WithoutChainsAnnotations(object));
  if (!run.ok()) {
    return Failure{Prefix("parsing the TaskRun", run.status()), metrics::kErrorPayloadCreation};
  }
  const std::shared_ptr<const signer::Signer>& signer = *setup.signer;
  std::vector<StoreJob> jobs;

  if (config.oci.Enabled()) {
    absl::StatusOr<artifacts::SigningTargets> targets = artifacts::ExtractSigningTargets(*run);
    if (!targets.ok()) return Failure{targets.status(), metrics::kErrorPayloadCreation};
    for (const artifacts::ImageTarget& image : targets->images) {
      absl::StatusOr<std::string> payload =
          crypto::SimpleSigningPayload::Build(image.Name(), image.Digest());
      if (!payload.ok()) {
        return Failure{Prefix(absl::StrCat("payload for ", image.image.String()), payload.status()),
                       metrics::kErrorPayloadCreation};
      }
      absl::StatusOr<std::string> signature = signer->Sign(*payload);
      if (!signature.ok()) return Failure{signature.status(), metrics::kErrorSigning};
      if (m != nullptr) m->sign_created->Inc();
      storage::SignedArtifact artifact;
      artifact.kind = storage::SignedArtifact::Kind::kImageSignature;
      artifact.image = image.image;
      artifact.payload = *std::move(payload);
      artifact.signature = *std::move(signature);
      artifact.key = storage::ImageKey(*image.image.digest());
      artifact.signer = signer->public_key();
      for (const std::string& name : config.oci.storage) {
        jobs.push_back(StoreJob{name == config::kStorageOci ? setup.oci.get() : setup.tekton.get(),
                                std::string(name), artifact,
                                absl::StrCat("the signature of ", image.image.String())});
      }
      ++work->images;
    }
  }

  if (config.taskrun.Enabled()) {
    absl::StatusOr<formats::Statement> statement =
        formats::BuildStatement(*run, config.TaskRunFormat());
    if (!statement.ok()) return Failure{statement.status(), metrics::kErrorPayloadCreation};
    absl::StatusOr<std::string> envelope =
        signer->SignDsse(crypto::kInTotoPayloadType, statement->payload);
    if (!envelope.ok()) return Failure{envelope.status(), metrics::kErrorSigning};
    if (m != nullptr) m->sign_created->Inc();
    AddAttestationJobs(setup, config.taskrun, *statement, *envelope,
                       storage::TaskRunKey(run->metadata.uid), &jobs);
  }
  return RunStores(jobs, m, work);
}

void RunReconciler::AddAttestationJobs(const Setup& setup, const config::ArtifactConfig& type,
                                       const formats::Statement& statement,
                                       const std::string& envelope, const std::string& key,
                                       std::vector<StoreJob>* jobs) {
  const std::shared_ptr<const signer::Signer>& signer = *setup.signer;
  storage::SignedArtifact artifact;
  artifact.kind = storage::SignedArtifact::Kind::kAttestation;
  artifact.payload = statement.payload;
  artifact.signature = envelope;
  artifact.predicate_type = statement.predicate_type;
  artifact.key = key;
  artifact.signer = signer->public_key();
  // tekton: annotations on the run (written by the final patch).
  if (type.Stores(config::kStorageTekton)) {
    jobs->push_back(StoreJob{setup.tekton.get(), std::string(config::kStorageTekton), artifact,
                             "the attestation"});
  }
  // oci: one `.att` per subject that is an OCI image (Chains fails the whole run on a subject
  // that is not one; such a subject simply has no registry to go to).
  if (type.Stores(config::kStorageOci)) {
    for (const artifacts::Artifact& subject : statement.subjects) {
      std::optional<oci::Reference> image = OciSubject(subject);
      if (!image.has_value()) {
        log::Debug("subject is not an OCI image: no .att", {{"subject", subject.name}});
        continue;
      }
      storage::SignedArtifact for_image = artifact;
      for_image.image = *image;
      jobs->push_back(StoreJob{setup.oci.get(), std::string(config::kStorageOci),
                               std::move(for_image),
                               absl::StrCat("the attestation of ", image->String())});
    }
  }
}

std::optional<RunReconciler::Failure> RunReconciler::CheckImages(
    const std::vector<StoreJob>& jobs) {
  // Each image once per backend (a `.sig` and an `.att` of one image: one check), concurrently.
  struct Check {
    storage::Backend* backend;
    const oci::Reference* image;
  };
  std::vector<Check> checks;
  std::set<std::pair<storage::Backend*, std::string>> seen;
  for (const StoreJob& job : jobs) {
    if (job.backend == nullptr || !job.artifact.image.has_value()) continue;
    if (!seen.emplace(job.backend, job.artifact.image->String()).second) continue;
    checks.push_back(Check{job.backend, &*job.artifact.image});
  }
  std::vector<absl::Status> results(checks.size());
  ForEachConcurrently(checks.size(), kMaxParallelStores, [&](size_t i) {
    results[i] = checks[i].backend->CheckImage(*checks[i].image);
  });
  for (size_t i = 0; i < checks.size(); ++i) {
    if (results[i].ok()) continue;
    // The backend's message names the image (kNotFound: `image <ref> : digest not found in the
    // registry; not signing`).
    Failure failure{results[i], metrics::kErrorStorage};
    if (absl::IsNotFound(results[i])) failure.event_reason = kImageNotInRegistryReason;
    return failure;
  }
  return std::nullopt;
}

std::optional<RunReconciler::Failure> RunReconciler::RunStores(std::vector<StoreJob>& jobs,
                                                               const metrics::KindMetrics* m,
                                                               Work* work) {
  // Nothing of the run is stored unless every image it attaches something to passed its check.
  if (std::optional<Failure> unchecked = CheckImages(jobs); unchecked.has_value()) {
    return unchecked;
  }
  // Every store is independent (a different tag, or annotations): run them at once, so a run's
  // latency is that of its slowest push, not their sum. At most kMaxParallelStores threads.
  std::vector<absl::StatusOr<storage::StoreResult>> results(jobs.size(),
                                                            absl::UnknownError("not attempted"));
  ForEachConcurrently(jobs.size(), kMaxParallelStores, [&](size_t i) {
    StoreJob& job = jobs[i];
    results[i] =
        job.backend == nullptr
            ? absl::InternalError(absl::StrCat("storage backend ", job.backend_name, " not built"))
            : job.backend->Store(job.artifact);
  });

  std::optional<Failure> failure;
  for (size_t i = 0; i < jobs.size(); ++i) {
    if (!results[i].ok()) {
      if (!failure.has_value()) {
        failure =
            Failure{Prefix(absl::StrCat("storing ", jobs[i].what, " (", jobs[i].backend_name, ")"),
                           results[i].status()),
                    metrics::kErrorStorage};
      }
      continue;
    }
    if (m != nullptr) m->payload_stored->Inc();
    if (!results[i]->stored) {
      log::Debug("already stored", {{"artifact", jobs[i].what}, {"backend", jobs[i].backend_name}});
    }
    if (jobs[i].artifact.kind == storage::SignedArtifact::Kind::kAttestation) {
      ++work->attestations;
    }
    work->annotations.insert(results[i]->run_annotations.begin(),
                             results[i]->run_annotations.end());
  }
  return failure;
}

std::optional<RunReconciler::Failure> RunReconciler::SignPipelineRun(const Setup& setup,
                                                                     const RunKey& key,
                                                                     const json& object,
                                                                     Work* work) {
  const config::Config& config = setup.config;
  if (!config.pipelinerun.Enabled()) return std::nullopt;
  const metrics::KindMetrics* m = KindMetricsFor(RunKind::kPipelineRun);
  absl::StatusOr<artifacts::PipelineRun> run =
      artifacts::PipelineRun::FromJson(WithoutChainsAnnotations(object));
  if (!run.ok()) {
    return Failure{Prefix("parsing the PipelineRun", run.status()), metrics::kErrorPayloadCreation};
  }
  std::vector<artifacts::TaskRun> children;
  for (const artifacts::ChildReference& ref : run->child_references) {
    if (!ref.kind.empty() && ref.kind != "TaskRun") continue;
    absl::StatusOr<json> child = deps_.kube->Get(kube::TaskRunsV1(), key.ns, ref.name);
    if (absl::IsNotFound(child.status())) {
      log::Warn("child TaskRun gone while signing its PipelineRun",
                {{"run", key.String()}, {"child", ref.name}});
      continue;
    }
    if (!child.ok()) {
      // Reading a child is an API call: retry later like any transient failure.
      return Failure{absl::UnavailableError(absl::StrCat("reading child TaskRun ", ref.name, ": ",
                                                         child.status().message())),
                     metrics::kErrorPayloadCreation};
    }
    absl::StatusOr<artifacts::TaskRun> parsed = artifacts::TaskRun::FromJson(*child);
    if (!parsed.ok()) {
      log::Warn(
          "child TaskRun unreadable: left out of the provenance",
          {{"run", key.String()}, {"child", ref.name}, {"error", parsed.status().ToString()}});
      continue;
    }
    children.push_back(*std::move(parsed));
  }
  absl::StatusOr<formats::Statement> statement =
      formats::BuildStatement(*run, children, config.PipelineRunFormat());
  if (!statement.ok()) return Failure{statement.status(), metrics::kErrorPayloadCreation};
  const std::shared_ptr<const signer::Signer>& signer = *setup.signer;
  absl::StatusOr<std::string> envelope =
      signer->SignDsse(crypto::kInTotoPayloadType, statement->payload);
  if (!envelope.ok()) return Failure{envelope.status(), metrics::kErrorSigning};
  if (m != nullptr) m->sign_created->Inc();
  std::vector<StoreJob> jobs;
  AddAttestationJobs(setup, config.pipelinerun, *statement, *envelope,
                     storage::PipelineRunKey(run->metadata.uid), &jobs);
  return RunStores(jobs, m, work);
}

absl::Status RunReconciler::Mark(
    const RunKey& key, json object,
    const std::map<std::string, std::optional<std::string>>& annotations, bool* already) {
  *already = false;
  json patch_annotations = json::object();
  for (const auto& [name, value] : annotations) {
    patch_annotations[name] = value.has_value() ? json(*value) : json(nullptr);
  }
  json patch = {{"metadata", {{"annotations", patch_annotations}}}};
  std::string body = Dump(patch);
  absl::Status last;
  for (int attempt = 0; attempt < options_.max_conflicts; ++attempt) {
    kube::PatchOptions options;
    options.field_manager = std::string(kFieldManager);
    options.resource_version = kube::MetaResourceVersion(object);
    absl::StatusOr<json> patched = deps_.kube->Patch(ResourceOf(key.kind), key.ns, key.name,
                                                     kube::PatchType::kMerge, body, options);
    if (patched.ok()) return absl::OkStatus();
    last = patched.status();
    if (!absl::IsAborted(last)) return last;
    // 409: the run changed since we read it. Read it again: if it got marked meanwhile (another
    // agent, an operator), leave it; otherwise patch the new version.
    absl::StatusOr<json> fresh = deps_.kube->Get(ResourceOf(key.kind), key.ns, key.name);
    if (!fresh.ok()) return fresh.status();
    std::string value = Annotation(*fresh, kSignedAnnotation);
    if (value == "true" || value == "failed") {
      *already = true;
      return absl::OkStatus();
    }
    object = *std::move(fresh);
  }
  return absl::AbortedError(absl::StrCat("the run kept changing (", options_.max_conflicts,
                                         " conflicts): ", last.message()));
}

Result RunReconciler::Succeeded(const RunKey& key, const json& object, const Work& work,
                                absl::Time started) {
  std::map<std::string, std::optional<std::string>> annotations;
  for (const auto& [name, value] : work.annotations) annotations[name] = value;
  annotations[std::string(kSignedAnnotation)] = "true";
  annotations[std::string(kRetriesAnnotation)] = std::nullopt;
  size_t total = 0;
  for (const auto& [name, value] : work.annotations) total += name.size() + value.size();
  const metrics::KindMetrics* m = KindMetricsFor(key.kind);
  if (total > storage::kMaxAnnotationBytes) {
    if (m != nullptr) m->signing_failures->With(metrics::kErrorStorage)->Inc();
    return MarkFailed(
        key, object,
        absl::StrCat("the tekton storage annotations total ", total,
                     " bytes, over Kubernetes' limit of ", storage::kMaxAnnotationBytes),
        1);
  }
  bool already = false;
  absl::Status marked = Mark(key, object, annotations, &already);
  if (!marked.ok()) {
    if (m != nullptr) m->signing_failures->With(metrics::kErrorMarking)->Inc();
    if (absl::IsInvalidArgument(marked)) {
      return MarkFailed(key, object, absl::StrCat("marking signed: ", marked.message()), 1);
    }
    log::Warn("marking signed failed; will retry",
              {{"run", key.String()}, {"error", marked.ToString()}});
    return Result::RetryAfter(Jittered(1));
  }
  absl::Time now = clock_.Now();
  if (!already) {
    if (m != nullptr) m->marked_signed->Inc();
    std::optional<absl::Time> since =
        deps_.seen_done ? deps_.seen_done(key.String()) : std::nullopt;
    if (!since.has_value()) since = CompletionTime(object);
    if (deps_.metrics != nullptr && since.has_value()) {
      deps_.metrics->sign_latency->Observe(std::max(0.0, absl::ToDoubleSeconds(now - *since)));
    }
    log::Info("signed", {{"run", key.String()},
                         {"images", absl::StrCat(work.images)},
                         {"attestations", absl::StrCat(work.attestations)},
                         {"ms", absl::StrCat(absl::ToInt64Milliseconds(now - started))}});
  }
  Finished(key.String());
  return Result::Done();
}

Result RunReconciler::Failed(const RunKey& key, const json& object, const Failure& failure) {
  const metrics::KindMetrics* m = KindMetricsFor(key.kind);
  if (m != nullptr) m->signing_failures->With(failure.error_type)->Inc();
  std::string retries_text = Annotation(object, kRetriesAnnotation);
  int prior = 0;
  if (!retries_text.empty() && (!absl::SimpleAtoi(retries_text, &prior) || prior < 0)) {
    prior = max_attempts_;  // Chains: a value that is not a count means no retries are left
  }
  int failures = prior + 1;
  std::string message(failure.status.message());
  if (IsPermanent(failure.status.code())) {
    return MarkFailed(key, object, message, failures);
  }
  if (failures >= max_attempts_) {
    return MarkFailed(
        key, object,
        absl::StrCat("gave up after ", failures, " attempts over the retry window: ", message),
        failures);
  }
  absl::Duration delay = Jittered(failures);
  json patch = {{"metadata", {{"annotations", {{kRetriesAnnotation, absl::StrCat(failures)}}}}}};
  kube::PatchOptions options;
  options.field_manager = std::string(kFieldManager);
  absl::StatusOr<json> patched = deps_.kube->Patch(ResourceOf(key.kind), key.ns, key.name,
                                                   kube::PatchType::kMerge, Dump(patch), options);
  if (!patched.ok()) {
    log::Warn("recording the retry count failed",
              {{"run", key.String()}, {"error", patched.status().ToString()}});
  }
  std::string text =
      absl::StrCat("attempt ", failures, " of ", max_attempts_, " failed (", failure.error_type,
                   "), retrying in ", Seconds(delay), ": ", message);
  log::Warn("signing failed", {{"run", key.String()},
                               {"attempt", absl::StrCat(failures)},
                               {"error_type", std::string(failure.error_type)},
                               {"retry_in", Seconds(delay)},
                               {"error", message}});
  Event(key, object, kube::EventType::kWarning, failure.event_reason, text);
  return Result::RetryAfter(delay);
}

Result RunReconciler::MarkFailed(const RunKey& key, const json& object, const std::string& why,
                                 int attempts) {
  std::map<std::string, std::optional<std::string>> annotations = {
      {std::string(kSignedAnnotation), "failed"},
      {std::string(kRetriesAnnotation), absl::StrCat(attempts)}};
  bool already = false;
  absl::Status marked = Mark(key, object, annotations, &already);
  if (!marked.ok()) {
    log::Warn("marking failed did not go through; will retry",
              {{"run", key.String()}, {"error", marked.ToString()}});
    return Result::RetryAfter(Jittered(1));
  }
  if (!already) {
    if (deps_.metrics != nullptr) deps_.metrics->runs_marked_failed->Inc();
    log::Error("run marked signed=failed", {{"run", key.String()}, {"error", why}});
    Event(key, object, kube::EventType::kWarning, "SigningFailedPermanently",
          absl::StrCat("marked chains.tekton.dev/signed=failed: ", why));
  }
  Finished(key.String());
  return Result::Done();
}

Result RunReconciler::Park(const RunKey& key, const json& object, absl::string_view reason,
                           const absl::Status& why) {
  std::string message =
      absl::StrCat("waiting: ", why.message(), " (the run is signed once this is fixed)");
  bool first;
  {
    absl::MutexLock lock(&mu_);
    std::string& last = waiting_[key.String()];
    first = last != message;
    last = message;
  }
  if (first) {
    log::Warn("run waiting", {{"run", key.String()},
                              {"reason", std::string(reason)},
                              {"error", std::string(why.message())}});
    Event(key, object, kube::EventType::kWarning, reason, message);
  }
  return Result::Park();
}

void RunReconciler::Event(const RunKey& key, const json& object, kube::EventType type,
                          absl::string_view reason, const std::string& message) {
  if (deps_.events == nullptr) return;
  if (!event_limiter_->TryAccept()) {
    log::Debug("event dropped by the rate limit", {{"run", key.String()}});
    return;
  }
  absl::StatusOr<std::string> recorded = deps_.events->Record(
      kube::ObjectReference::For(ResourceOf(key.kind), object), type, reason, message);
  if (!recorded.ok()) {
    log::Warn("recording an event failed",
              {{"run", key.String()}, {"error", recorded.status().ToString()}});
  }
}

void RunReconciler::Finished(const std::string& key) {
  {
    absl::MutexLock lock(&mu_);
    waiting_.erase(key);
  }
  if (deps_.on_finished) deps_.on_finished(key);
}

}  // namespace hallmark::chains::reconciler
