#include "kube/leader_elector.h"

#include <utility>

#include "absl/random/distributions.h"
#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "base/log.h"
#include "base/status_macros.h"
#include "kube/internal/json.h"
#include "kube/resource.h"

namespace hallmark::kube {
namespace {

constexpr double kJitterFactor = 1.2;  // client-go's JitterFactor for the acquire loop

std::string MicroTime(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone());
}

int64_t IntAt(const nlohmann::json& obj, const char* key) {
  const nlohmann::json* v = internal::Child(obj, key);
  return v != nullptr && v->is_number_integer() ? v->get<int64_t>() : 0;
}

}  // namespace

absl::StatusOr<std::unique_ptr<LeaderElector>> LeaderElector::New(KubeClient& client,
                                                                  LeaderElectionOptions options) {
  HM_RETURN_IF_ERROR(ValidateName("lease namespace", options.lease_namespace));
  HM_RETURN_IF_ERROR(ValidateName("lease name", options.lease_name));
  if (options.identity.empty() || options.identity.size() > 253) {
    return absl::InvalidArgumentError("leader election: identity must be 1-253 characters");
  }
  if (!(options.retry_period > absl::ZeroDuration() &&
        options.renew_deadline > options.retry_period * kJitterFactor &&
        options.lease_duration > options.renew_deadline)) {
    return absl::InvalidArgumentError(
        "leader election: want lease_duration > renew_deadline > 1.2 * retry_period > 0");
  }
  if (options.lease_duration % absl::Seconds(1) != absl::ZeroDuration() ||
      options.lease_duration > absl::Hours(24)) {
    return absl::InvalidArgumentError(
        "leader election: lease_duration must be whole seconds, at most 24 h");
  }
  Clock& clock = options.clock != nullptr ? *options.clock : *Clock::RealClock();
  return std::unique_ptr<LeaderElector>(new LeaderElector(client, std::move(options), clock));
}

LeaderElector::LeaderElector(KubeClient& client, LeaderElectionOptions options, Clock& clock)
    : client_(client), options_(std::move(options)), clock_(clock) {}

LeaderElector::~LeaderElector() { Stop(); }

absl::Status LeaderElector::Start() {
  absl::MutexLock lock(&lifecycle_mu_);
  if (started_) return absl::FailedPreconditionError("leader election: already started");
  started_ = true;
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

void LeaderElector::Stop() {
  absl::MutexLock lock(&lifecycle_mu_);
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

bool LeaderElector::IsLeader() const {
  absl::MutexLock lock(&mu_);
  return leading_ && clock_.Now() - last_renew_ < options_.renew_deadline;
}

std::string LeaderElector::Leader() const {
  absl::MutexLock lock(&mu_);
  return observed_.holder;
}

LeaderElector::Record LeaderElector::ParseRecord(const nlohmann::json& lease) {
  Record r;
  const nlohmann::json* spec = internal::Child(lease, "spec");
  if (spec == nullptr) return r;
  r.holder = internal::StringAt(*spec, "holderIdentity");
  r.lease_duration_seconds = IntAt(*spec, "leaseDurationSeconds");
  r.acquire_time = internal::StringAt(*spec, "acquireTime");
  r.renew_time = internal::StringAt(*spec, "renewTime");
  r.transitions = IntAt(*spec, "leaseTransitions");
  return r;
}

nlohmann::json LeaderElector::LeaseObject(const Record& r,
                                          const std::string& resource_version) const {
  nlohmann::json spec = {{"leaseDurationSeconds", r.lease_duration_seconds},
                         {"leaseTransitions", r.transitions}};
  // An empty holder is written as absent, as client-go's release does.
  if (!r.holder.empty()) spec["holderIdentity"] = r.holder;
  if (!r.acquire_time.empty()) spec["acquireTime"] = r.acquire_time;
  if (!r.renew_time.empty()) spec["renewTime"] = r.renew_time;
  nlohmann::json lease = {
      {"apiVersion", "coordination.k8s.io/v1"},
      {"kind", "Lease"},
      {"metadata", {{"name", options_.lease_name}, {"namespace", options_.lease_namespace}}},
      {"spec", std::move(spec)}};
  if (!resource_version.empty()) lease["metadata"]["resourceVersion"] = resource_version;
  return lease;
}

void LeaderElector::Observe(const Record& record) {
  std::string previous;
  {
    absl::MutexLock lock(&mu_);
    previous = observed_.holder;
    bool changed = record.holder != observed_.holder || record.renew_time != observed_.renew_time ||
                   record.lease_duration_seconds != observed_.lease_duration_seconds ||
                   record.transitions != observed_.transitions;
    if (changed) {
      observed_ = record;
      observed_time_ = clock_.Now();
    }
  }
  if (record.holder != previous && !record.holder.empty() && options_.on_new_leader) {
    options_.on_new_leader(record.holder);
  }
}

bool LeaderElector::TryAcquireOrRenew() {
  absl::Time now = clock_.Now();
  Record mine;
  mine.holder = options_.identity;
  mine.lease_duration_seconds = absl::ToInt64Seconds(options_.lease_duration);
  mine.acquire_time = MicroTime(now);
  mine.renew_time = MicroTime(now);
  log::Fields where = {{"lease", absl::StrCat(options_.lease_namespace, "/", options_.lease_name)},
                       {"identity", options_.identity}};

  absl::StatusOr<nlohmann::json> current =
      client_.Get(Leases(), options_.lease_namespace, options_.lease_name);
  if (absl::IsNotFound(current.status())) {
    absl::StatusOr<nlohmann::json> created =
        client_.Create(Leases(), options_.lease_namespace, LeaseObject(mine, ""));
    if (!created.ok()) {
      log::Debug("leader election: create failed", where);
      return false;
    }
    Observe(mine);
    return true;
  }
  if (!current.ok()) {
    log::Warn(
        "leader election: reading the lease failed",
        {{"identity", options_.identity}, {"error", std::string(current.status().message())}});
    return false;
  }
  Record old = ParseRecord(*current);
  Observe(old);
  bool held_by_me = old.holder == options_.identity;
  if (!old.holder.empty() && !held_by_me) {
    absl::MutexLock lock(&mu_);
    absl::Duration duration = old.lease_duration_seconds > 0
                                  ? absl::Seconds(old.lease_duration_seconds)
                                  : options_.lease_duration;
    if (observed_time_ + duration > now) return false;  // someone else holds a live lease
  }
  if (held_by_me) {
    mine.acquire_time = old.acquire_time;
    mine.transitions = old.transitions;
  } else {
    mine.transitions = old.transitions + 1;
  }
  absl::StatusOr<nlohmann::json> updated = client_.Update(
      Leases(), options_.lease_namespace, LeaseObject(mine, MetaResourceVersion(*current)));
  if (!updated.ok()) {
    // 409: someone else wrote the lease since we read it; they win this round.
    log::Debug("leader election: update failed", where);
    return false;
  }
  Observe(mine);
  return true;
}

void LeaderElector::Release() {
  absl::StatusOr<nlohmann::json> current =
      client_.Get(Leases(), options_.lease_namespace, options_.lease_name);
  if (!current.ok()) return;
  Record old = ParseRecord(*current);
  if (old.holder != options_.identity) return;
  Record released;
  released.lease_duration_seconds = 1;
  absl::Time now = clock_.Now();
  released.acquire_time = MicroTime(now);
  released.renew_time = MicroTime(now);
  released.transitions = old.transitions;
  absl::Status s = client_
                       .Update(Leases(), options_.lease_namespace,
                               LeaseObject(released, MetaResourceVersion(*current)))
                       .status();
  if (!s.ok()) {
    log::Warn("leader election: release failed",
              {{"identity", options_.identity}, {"error", std::string(s.message())}});
  }
}

void LeaderElector::Run() {
  absl::BitGen gen;
  while (!stop_.HasBeenNotified()) {
    // Acquire, every retry_period plus up to 120% jitter (replicas do not retry in lockstep).
    bool acquired = false;
    while (!stop_.HasBeenNotified()) {
      if (TryAcquireOrRenew()) {
        acquired = true;
        break;
      }
      absl::Duration wait =
          options_.retry_period * (1.0 + absl::Uniform<double>(gen, 0.0, kJitterFactor));
      if (stop_.WaitForNotificationWithTimeout(wait)) break;
    }
    if (!acquired) break;
    {
      absl::MutexLock lock(&mu_);
      leading_ = true;
      last_renew_ = clock_.Now();
    }
    log::Info("leader election: leading", {{"identity", options_.identity}});
    if (options_.on_started_leading) options_.on_started_leading();

    // Renew until it fails for renew_deadline or we are told to stop.
    while (!stop_.WaitForNotificationWithTimeout(options_.retry_period)) {
      absl::Time attempt = clock_.Now();
      if (TryAcquireOrRenew()) {
        absl::MutexLock lock(&mu_);
        last_renew_ = attempt;
        continue;
      }
      absl::MutexLock lock(&mu_);
      if (clock_.Now() - last_renew_ >= options_.renew_deadline) break;
    }
    {
      absl::MutexLock lock(&mu_);
      leading_ = false;
    }
    log::Info("leader election: stopped leading", {{"identity", options_.identity}});
    if (options_.on_stopped_leading) options_.on_stopped_leading();
    if (stop_.HasBeenNotified() && options_.release_on_stop) Release();
  }
}

}  // namespace hallmark::kube
