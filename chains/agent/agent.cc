#include "chains/agent/agent.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/encoding.h"
#include "base/status_macros.h"
#include "kube/config.h"
#include "kube/resource.h"
#include "oci/docker_config.h"

namespace hallmark::chains::agent {
namespace {

using nlohmann::json;
using reconciler::RunInfo;
using reconciler::RunKind;

const json* Member(const json& object, absl::string_view key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(std::string(key));
  return it == object.end() ? nullptr : &*it;
}

// SecretData: a Secret's `data`, base64-decoded (entries that do not decode are left out: a
// key file missing is then reported by the key loader).
std::map<std::string, std::string> DecodedSecretData(const json& secret) {
  std::map<std::string, std::string> out;
  const json* data = Member(secret, "data");
  if (data == nullptr || !data->is_object()) return out;
  for (auto it = data->begin(); it != data->end(); ++it) {
    if (!it->is_string()) continue;
    absl::StatusOr<std::string> bytes = Base64Decode(it->get_ref<const std::string&>());
    if (bytes.ok()) out[it.key()] = *std::move(bytes);
  }
  return out;
}

std::string DefaultIdentity() {
  if (const char* pod = std::getenv("POD_NAME"); pod != nullptr && *pod != '\0') return pod;
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') {
    std::snprintf(host, sizeof(host), "hallmark");
  }
  return absl::StrCat(host, "_", getpid());
}

}  // namespace

absl::StatusOr<std::unique_ptr<Agent>> Agent::New(AgentOptions options) {
  if (options.threads < 1 || options.threads > 256) {
    return absl::InvalidArgumentError(
        absl::StrCat("--threads must be in [1, 256], got ", options.threads));
  }
  if (!(options.kube_api_qps > 0) || options.kube_api_burst < 1) {
    return absl::InvalidArgumentError("--kube-api-qps must be > 0 and --kube-api-burst >= 1");
  }
  HM_RETURN_IF_ERROR(kube::ValidateName("namespace", options.system_namespace));
  for (const std::string& ns : options.namespaces) {
    HM_RETURN_IF_ERROR(kube::ValidateName("namespace", ns));
  }
  HM_RETURN_IF_ERROR(kube::ValidateName("name", options.lease_name));
  HM_RETURN_IF_ERROR(options.retry.Validate());
  if (!options.registry_secret.empty()) {
    HM_RETURN_IF_ERROR(kube::ValidateName("name", options.registry_secret));
  }
  if (options.registry_config_poll <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("the registry config poll interval must be > 0");
  }
  if (options.identity.empty()) options.identity = DefaultIdentity();
  std::unique_ptr<Agent> agent(new Agent(std::move(options)));
  HM_RETURN_IF_ERROR(agent->Init());
  return agent;
}

absl::Status Agent::Init() {
  const AgentOptions& o = options_;
  kube::KubeconfigOptions kc;
  kc.path = o.kubeconfig;
  kc.context = o.kube_context;
  HM_ASSIGN_OR_RETURN(kube::Config config, kube::LoadConfig(kc));
  kube::ClientOptions client;
  client.qps = o.kube_api_qps;
  client.burst = o.kube_api_burst;
  client.user_agent = "hallmark-agent";
  HM_ASSIGN_OR_RETURN(kube_, kube::HttpKubeClient::New(config, client));
  if (o.leader_elect) {
    // The elector's own client: short deadline, no retries, its own rate budget, so a slow API
    // server cannot stretch a renewal past the renew deadline (kube/leader_elector.h).
    kube::ClientOptions lease;
    lease.user_agent = "hallmark-agent/leader-election";
    lease.request_timeout = std::min(o.retry_period, absl::Seconds(5));
    lease.retry.max_attempts = 1;
    HM_ASSIGN_OR_RETURN(lease_kube_, kube::HttpKubeClient::New(config, lease));
  }

  HM_ASSIGN_OR_RETURN(metrics_, metrics::AgentMetrics::New());
  HM_ASSIGN_OR_RETURN(events_, kube::EventRecorder::New(*kube_, "hallmark-agent", o.identity));

  // Registry credentials: the file now (a broken one stops the start, as it always did), the
  // Secret once its informer delivers it; both followed live.
  RegistryCredentialsOptions rco;
  rco.config_file = o.registry_config;
  HM_ASSIGN_OR_RETURN(registry_creds_, RegistryCredentials::New(rco));
  HM_ASSIGN_OR_RETURN(
      registry_loads_,
      metrics_->registry().AddLabeledCounter(
          "hallmark_registry_credentials_loads_total",
          "Registry credential versions put in force, by source (file, secret)", "source"));
  HM_ASSIGN_OR_RETURN(
      registry_errors_,
      metrics_->registry().AddLabeledCounter(
          "hallmark_registry_credentials_errors_total",
          "Registry credential versions rejected (previous ones kept), by source", "source"));
  if (registry_creds_->FileExists()) registry_loads_->With("file")->Inc();
  RegistryOptions registry;
  registry.config_blob = o.oci_config_blob;
  registry.ca_file = o.registry_ca_file;
  registry.keychain = registry_creds_->Keychain();

  keys_ = std::make_unique<signer::KeyStore>(
      o.signing_secrets_dir.empty()
          ? absl::StrCat("Secret ", o.system_namespace, "/", o.signing_secret_name)
          : absl::StrCat("folder ", o.signing_secrets_dir));
  setups_ = std::make_unique<SetupManager>(keys_.get(), std::move(registry), [this] {
    if (controller_ != nullptr) controller_->WakeParked();
  });

  reconciler::RunReconciler::Dependencies deps;
  deps.kube = kube_.get();
  deps.setup = [this] {
    CheckRegistryFile(/*force=*/false);  // a stat at most once a second
    return setups_->Current();
  };
  deps.cached = [this](RunKind kind, const std::string& ns, const std::string& name) {
    return Cached(kind, ns, name);
  };
  deps.seen_done = [this](const std::string& key) -> std::optional<absl::Time> {
    absl::MutexLock lock(&mu_);
    auto it = seen_done_.find(key);
    if (it == seen_done_.end()) return std::nullopt;
    return it->second;
  };
  deps.on_finished = [this](const std::string& key) {
    absl::MutexLock lock(&mu_);
    seen_done_.erase(key);
  };
  deps.events = events_.get();
  deps.metrics = metrics_.get();
  reconciler::ReconcilerOptions ro;
  ro.retry = o.retry;
  ro.skip_before = o.skip_before;
  HM_ASSIGN_OR_RETURN(reconciler_, reconciler::RunReconciler::New(std::move(deps), ro));
  controller::ControllerOptions co;
  co.threads = o.threads;
  co.start_paused = true;
  HM_ASSIGN_OR_RETURN(controller_, controller::Controller::New(reconciler_.get(), co));
  metrics_->SetQueueDepth([this] { return static_cast<double>(controller_->Depth()); });
  metrics_->SetWaiting([this] { return static_cast<double>(controller_->Parked()); });
  metrics_->SetKubeRequests([this] {
    uint64_t n = kube_->Stats().requests;
    if (lease_kube_ != nullptr) n += lease_kube_->Stats().requests;
    return static_cast<double>(n);
  });
  metrics_->SetRegistryRequests(
      [this] { return static_cast<double>(setups_->RegistryRequests()); });

  // chains-config.
  {
    kube::InformerOptions io;
    io.resource = kube::ConfigMaps();
    io.namespaces = {o.system_namespace};
    io.field_selector = absl::StrCat("metadata.name=", o.config_map_name);
    io.name = "chains-config";
    kube::Informer<ConfigMapData>::Handlers h;
    auto update = [this](const std::shared_ptr<const ConfigMapData>& cm) {
      absl::Status status = setups_->UpdateConfig(cm->data);  // logged by the manager
      if (!status.ok()) {
        absl::StatusOr<std::string> recorded = events_->Record(
            cm->ref, kube::EventType::kWarning,
            absl::IsUnimplemented(status) ? "UnsupportedConfig" : "InvalidConfig",
            absl::StrCat(status.message(), absl::IsUnimplemented(status)
                                               ? " (runs wait until this is fixed)"
                                               : " (the previous configuration stays in force)"));
        if (!recorded.ok()) {
          log::Warn("recording an event failed", {{"error", recorded.status().ToString()}});
        }
      }
    };
    h.on_add = update;
    h.on_update = [update](const auto&, const auto& cm) { update(cm); };
    h.on_delete = [this](const auto&) {
      log::Warn("chains-config deleted: using Chains' defaults");
      setups_->UpdateConfig(std::nullopt).IgnoreError();
    };
    HM_ASSIGN_OR_RETURN(config_informer_,
                        kube::Informer<ConfigMapData>::New(
                            *kube_, io,
                            [](const json& object) -> absl::StatusOr<ConfigMapData> {
                              ConfigMapData cm;
                              cm.ref = kube::ObjectReference::For(kube::ConfigMaps(), object);
                              const json* data = Member(object, "data");
                              if (data != nullptr && data->is_object()) {
                                for (auto it = data->begin(); it != data->end(); ++it) {
                                  if (it->is_string()) cm.data[it.key()] = it->get<std::string>();
                                }
                              }
                              return cm;
                            },
                            std::move(h)));
  }

  // signing-secrets: the mounted folder, or the Secret through the API.
  auto key_updated = [this](const std::optional<signer::SecretFiles>& files) {
    AfterKeyUpdate(keys_->Update(files));
  };
  if (!o.signing_secrets_dir.empty()) {
    HM_ASSIGN_OR_RETURN(secret_dir_, signer::SecretDirWatcher::New(
                                         o.signing_secrets_dir, keys_.get(), o.signing_secrets_poll,
                                         [this] { AfterKeyUpdate(true); }));
  } else {
    kube::InformerOptions io;
    io.resource = kube::Secrets();
    io.namespaces = {o.system_namespace};
    io.field_selector = absl::StrCat("metadata.name=", o.signing_secret_name);
    io.name = "signing-secrets";
    kube::Informer<signer::SecretFiles>::Handlers h;
    h.on_add = [key_updated](const std::shared_ptr<const signer::SecretFiles>& files) {
      key_updated(*files);
    };
    h.on_update = [key_updated](const auto&, const auto& files) { key_updated(*files); };
    h.on_delete = [key_updated](const auto&) { key_updated(std::nullopt); };
    HM_ASSIGN_OR_RETURN(secret_informer_,
                        kube::Informer<signer::SecretFiles>::New(
                            *kube_, io,
                            [](const json& object) -> absl::StatusOr<signer::SecretFiles> {
                              signer::SecretFiles files;
                              for (auto& [name, bytes] : DecodedSecretData(object)) {
                                files.emplace(name, SecretData(bytes));
                                internal::SecureWipe(bytes.data(), bytes.size());
                              }
                              return files;
                            },
                            std::move(h)));
  }

  // The registry Secret: one object, by name, in the system namespace.
  if (!o.registry_secret.empty()) {
    kube::InformerOptions io;
    io.resource = kube::Secrets();
    io.namespaces = {o.system_namespace};
    io.field_selector = absl::StrCat("metadata.name=", o.registry_secret);
    io.name = "registry-secret";
    kube::Informer<RegistrySecret>::Handlers h;
    auto update = [this](const std::shared_ptr<const RegistrySecret>& secret) {
      ChangeRegistryCredentials(
          "secret", [this, &secret] { return registry_creds_->UpdateSecret(secret->keychain); });
    };
    h.on_add = update;
    h.on_update = [update](const auto&, const auto& secret) { update(secret); };
    h.on_delete = [this](const auto&) {
      ChangeRegistryCredentials("secret", [this] { return registry_creds_->RemoveSecret(); });
    };
    HM_ASSIGN_OR_RETURN(
        registry_secret_informer_,
        kube::Informer<RegistrySecret>::New(
            *kube_, io,
            [](const json& object) -> absl::StatusOr<RegistrySecret> {
              const json* type = Member(object, "type");
              std::map<std::string, std::string> data = DecodedSecretData(object);
              RegistrySecret secret;
              secret.keychain = oci::Keychain::FromSecret(
                  type != nullptr && type->is_string() ? type->get<std::string>() : std::string(),
                  data);
              for (auto& [name, bytes] : data) internal::SecureWipe(bytes.data(), bytes.size());
              return secret;
            },
            std::move(h)));
  }

  // TaskRuns and PipelineRuns, compact.
  for (RunKind kind : {RunKind::kTaskRun, RunKind::kPipelineRun}) {
    kube::InformerOptions io;
    io.resource = reconciler::ResourceOf(kind);
    io.namespaces = o.namespaces;
    kube::Informer<RunInfo>::Handlers h;
    h.on_add = [this, kind](const std::shared_ptr<const RunInfo>& info) {
      OnRun(kind, nullptr, info, synced_.load());
    };
    h.on_update = [this, kind](const std::shared_ptr<const RunInfo>& old,
                               const std::shared_ptr<const RunInfo>& info) {
      OnRun(kind, &old, info, synced_.load());
    };
    h.on_delete = [this](const std::shared_ptr<const RunInfo>& info) { OnRunDeleted(info); };
    HM_ASSIGN_OR_RETURN(
        auto informer,
        kube::Informer<RunInfo>::New(
            *kube_, io, [kind](const json& object) { return reconciler::ProjectRun(kind, object); },
            std::move(h)));
    (kind == RunKind::kTaskRun ? taskruns_ : pipelineruns_) = std::move(informer);
  }

  if (o.leader_elect) {
    kube::LeaderElectionOptions le;
    le.lease_namespace = o.system_namespace;
    le.lease_name = o.lease_name;
    le.identity = o.identity;
    le.lease_duration = o.lease_duration;
    le.renew_deadline = o.renew_deadline;
    le.retry_period = o.retry_period;
    le.on_started_leading = [this] {
      log::Info("leading: signing runs", {{"identity", options_.identity}});
      leading_ = true;
      controller_->Resume();
    };
    le.on_stopped_leading = [this] {
      log::Warn("lost the lease: standing by", {{"identity", options_.identity}});
      leading_ = false;
      controller_->Pause();
    };
    le.on_new_leader = [](const std::string& identity) {
      log::Info("leader", {{"identity", identity}});
    };
    HM_ASSIGN_OR_RETURN(elector_, kube::LeaderElector::New(*lease_kube_, std::move(le)));
  }
  return absl::OkStatus();
}

Agent::~Agent() {
  if (!shut_down_.load()) Shutdown(absl::InfiniteDuration());
}

std::shared_ptr<const RunInfo> Agent::Cached(RunKind kind, const std::string& ns,
                                             const std::string& name) const {
  const auto& informer = kind == RunKind::kTaskRun ? taskruns_ : pipelineruns_;
  return informer != nullptr ? informer->Get(ns, name) : nullptr;
}

bool Agent::Actionable(const RunInfo& info) const {
  return info.done && !info.Reconciled() && !reconciler::Skipped(info, options_.skip_before);
}

void Agent::OnRun(RunKind kind, const std::shared_ptr<const RunInfo>* old,
                  const std::shared_ptr<const RunInfo>& info, bool synced) {
  std::string key = info->Key();
  bool was_reconciled = old != nullptr && (*old)->Reconciled();
  if (kind == RunKind::kTaskRun && info->Reconciled() && !was_reconciled && !info->parent.empty()) {
    MaybeEnqueueParent(info->ns, info->parent);
  }
  if (!Actionable(*info)) {
    if (info->Reconciled()) {
      controller_->Forget(key);
      absl::MutexLock lock(&mu_);
      seen_done_.erase(key);
    }
    return;
  }
  // Only transitions matter: our own `retries` patch must not cut a backoff short.
  if (old != nullptr && Actionable(**old)) return;
  if (synced) {
    absl::MutexLock lock(&mu_);
    seen_done_.emplace(key, absl::Now());
  }
  controller_->Enqueue(key, synced ? controller::Lane::kFresh : controller::Lane::kBacklog);
}

void Agent::AfterKeyUpdate(bool changed) {
  uint64_t loads = keys_->loads();
  uint64_t counted = counted_loads_.exchange(loads);
  if (loads > counted) metrics_->key_loads->Inc(loads - counted);
  if (!changed) return;
  absl::StatusOr<std::shared_ptr<const signer::Signer>> signer = keys_->Current();
  if (signer.ok()) {
    log::Info("signing key loaded", {{"key", (*signer)->Describe()}});
  } else {
    log::Warn("no usable signing key: runs wait",
              {{"error", std::string(signer.status().message())}});
  }
  setups_->KeyChanged();
}

void Agent::ChangeRegistryCredentials(absl::string_view source,
                                      const std::function<RegistryCredentials::Result()>& change) {
  using Outcome = RegistryCredentials::Outcome;
  absl::MutexLock lock(&registry_mu_);
  RegistryCredentials::Result result = change();
  if (result.outcome == Outcome::kUnchanged) return;
  std::string what = source == "file" ? absl::StrCat("file ", registry_creds_->file())
                                      : absl::StrCat("Secret ", options_.system_namespace, "/",
                                                     options_.registry_secret);
  switch (result.outcome) {
    case Outcome::kRejected:
      registry_errors_->With(source)->Inc();
      log::Warn("registry credentials rejected; the previous ones stay in force",
                {{"source", what}, {"error", std::string(result.error.message())}});
      return;
    case Outcome::kLoaded:
      registry_loads_->With(source)->Inc();
      log::Info(
          "registry credentials loaded",
          {{"source", what}, {"registries", absl::StrCat(registry_creds_->Keychain().size())}});
      break;
    case Outcome::kRemoved:
      log::Warn("registry credentials removed: anonymous for the registries only they named",
                {{"source", what}});
      break;
    case Outcome::kUnchanged:
      return;
  }
  setups_->UpdateKeychain(registry_creds_->Keychain());
}

void Agent::CheckRegistryFile(bool force) {
  ChangeRegistryCredentials("file", [this, force] { return registry_creds_->CheckFile(force); });
}

void Agent::OnRunDeleted(const std::shared_ptr<const RunInfo>& info) {
  std::string key = info->Key();
  controller_->Forget(key);
  absl::MutexLock lock(&mu_);
  seen_done_.erase(key);
}

void Agent::MaybeEnqueueParent(const std::string& ns, const std::string& parent) {
  std::shared_ptr<const RunInfo> pr = Cached(RunKind::kPipelineRun, ns, parent);
  if (pr == nullptr || !Actionable(*pr)) return;
  for (const std::string& child : pr->children) {
    std::shared_ptr<const RunInfo> c = Cached(RunKind::kTaskRun, ns, child);
    if (c == nullptr) continue;  // the reconciler reads it
    if (!reconciler::Skipped(*c, options_.skip_before) && (!c->done || !c->Reconciled())) return;
  }
  controller_->Enqueue(pr->Key(), controller::Lane::kFresh);
}

absl::Status Agent::Start() {
  if (!options_.metrics_addr.empty()) {
    HM_ASSIGN_OR_RETURN(ops_, OpsServer::Start(
                                  options_.metrics_addr, [this] { return metrics_->Render(); },
                                  [this] { return Ready(); }));
    log::Info("metrics listening", {{"address", absl::StrCat(ops_->host(), ":", ops_->port())},
                                    {"port", absl::StrCat(ops_->port())}});
  }
  controller_->Start();
  if (secret_dir_ != nullptr) {
    secret_dir_->PollOnce();
    secret_dir_->Start();
  } else {
    HM_RETURN_IF_ERROR(secret_informer_->Start());
  }
  if (registry_secret_informer_ != nullptr) {
    HM_RETURN_IF_ERROR(registry_secret_informer_->Start());
  }
  registry_watch_ = std::thread([this] {
    while (!stop_.WaitForNotificationWithTimeout(options_.registry_config_poll)) {
      CheckRegistryFile(/*force=*/true);
    }
  });
  HM_RETURN_IF_ERROR(config_informer_->Start());
  HM_RETURN_IF_ERROR(taskruns_->Start());
  HM_RETURN_IF_ERROR(pipelineruns_->Start());
  lifecycle_ = std::thread([this] { Lifecycle(); });
  log::Info(
      "agent started",
      {{"identity", options_.identity},
       {"system_namespace", options_.system_namespace},
       {"namespaces", options_.namespaces.empty() ? "*" : absl::StrJoin(options_.namespaces, ",")},
       {"threads", absl::StrCat(options_.threads)},
       {"leader_elect", options_.leader_elect ? "true" : "false"},
       {"retry_window", absl::FormatDuration(options_.retry.window)},
       {"max_attempts", absl::StrCat(options_.retry.MaxAttempts())}});
  return absl::OkStatus();
}

void Agent::Lifecycle() {
  auto set_not_ready = [this](std::string why) {
    absl::MutexLock lock(&mu_);
    not_ready_ = std::move(why);
  };
  auto wait = [this](const auto& informer, absl::string_view what) {
    absl::Time start = absl::Now();
    while (!stop_.HasBeenNotified()) {
      if (informer->WaitForSync(absl::Seconds(1))) return true;
      if (absl::Now() - start > options_.sync_timeout) {
        log::Warn("still waiting for the first list", {{"what", std::string(what)}});
        start = absl::Now();
      }
    }
    return false;
  };
  set_not_ready("waiting for chains-config");
  if (!wait(config_informer_, "chains-config")) return;
  if (config_informer_->Size() == 0) {
    log::Info("no chains-config ConfigMap: using Chains' defaults",
              {{"namespace", options_.system_namespace}});
    setups_->UpdateConfig(std::nullopt).IgnoreError();
  }
  if (secret_informer_ != nullptr) {
    set_not_ready("waiting for signing-secrets");
    if (!wait(secret_informer_, "signing-secrets")) return;
    if (secret_informer_->Size() == 0) AfterKeyUpdate(keys_->Update(std::nullopt));
  }
  if (registry_secret_informer_ != nullptr) {
    set_not_ready("waiting for the registry Secret");
    if (!wait(registry_secret_informer_, "registry-secret")) return;
    if (registry_secret_informer_->Size() == 0) {
      log::Warn(
          "registry Secret not found: its credentials are used once it is created",
          {{"secret", absl::StrCat(options_.system_namespace, "/", options_.registry_secret)}});
    }
  }
  set_not_ready("listing TaskRuns and PipelineRuns");
  if (!wait(taskruns_, "taskruns") || !wait(pipelineruns_, "pipelineruns")) return;
  synced_ = true;
  set_not_ready("");
  log::Info("caches synced", {{"taskruns", absl::StrCat(taskruns_->Size())},
                              {"pipelineruns", absl::StrCat(pipelineruns_->Size())},
                              {"queued", absl::StrCat(controller_->Depth())}});
  if (elector_ != nullptr) {
    absl::Status started = elector_->Start();
    if (!started.ok()) log::Error("leader election", {{"error", started.ToString()}});
  } else {
    leading_ = true;
    controller_->Resume();
  }
  // A periodic re-check: anything actionable that nothing is working on (an event missed while
  // the API server was unreachable, say) is queued again. Backoffs and parked runs are left
  // alone.
  while (!stop_.WaitForNotificationWithTimeout(absl::Minutes(5))) {
    int requeued = 0;
    for (const auto* informer : {&taskruns_, &pipelineruns_}) {
      for (const auto& info : (*informer)->List()) {
        if (Actionable(*info) &&
            controller_->EnqueueIfIdle(info->Key(), controller::Lane::kBacklog)) {
          ++requeued;
        }
      }
    }
    if (requeued > 0) log::Info("re-check queued runs", {{"runs", absl::StrCat(requeued)}});
  }
}

Readiness Agent::Ready() const {
  Readiness r;
  if (!synced_.load()) {
    absl::MutexLock lock(&mu_);
    r.detail = not_ready_;
    return r;
  }
  r.ready = true;
  if (options_.leader_elect) {
    r.detail = leading_.load() ? "leading" : "standby";
  } else {
    r.detail = "signing";
  }
  return r;
}

int Agent::metrics_port() const { return ops_ != nullptr ? ops_->port() : 0; }

bool Agent::Shutdown(absl::Duration grace) {
  if (shut_down_.exchange(true)) return true;
  stop_.Notify();
  if (lifecycle_.joinable()) lifecycle_.join();
  if (registry_watch_.joinable()) registry_watch_.join();
  log::Info("stopping: no new work; waiting for in-flight runs",
            {{"in_flight", absl::StrCat(controller_->InFlight())},
             {"grace", absl::FormatDuration(grace)}});
  if (!controller_->Stop(grace)) return false;
  if (elector_ != nullptr) elector_->Stop();  // releases the Lease
  if (secret_dir_ != nullptr) secret_dir_->Stop();
  // Each informer takes up to a second to notice its cancelled watch: stop them together.
  std::vector<std::thread> stopping;
  if (secret_informer_ != nullptr) stopping.emplace_back([this] { secret_informer_->Stop(); });
  if (registry_secret_informer_ != nullptr) {
    stopping.emplace_back([this] { registry_secret_informer_->Stop(); });
  }
  stopping.emplace_back([this] { config_informer_->Stop(); });
  stopping.emplace_back([this] { taskruns_->Stop(); });
  stopping.emplace_back([this] { pipelineruns_->Stop(); });
  for (std::thread& t : stopping) t.join();
  if (ops_ != nullptr) ops_->Stop();
  log::Info("stopped");
  return true;
}

absl::Status RunAgent(const AgentOptions& options, log::Level log_level, absl::Duration grace) {
  log::Init(log::Format::kJson, log_level);
  // Signals are taken by this thread with sigwait; threads started later inherit the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  HM_ASSIGN_OR_RETURN(std::unique_ptr<Agent> agent, Agent::New(options));
  HM_RETURN_IF_ERROR(agent->Start());
  int sig = 0;
  sigwait(&stop_signals, &sig);
  log::Info("shutting down", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
  if (!agent->Shutdown(grace)) {
    log::Warn(
        "in-flight runs did not finish within the grace period: exiting now (they are "
        "signed again, idempotently, by the next leader)");
    std::fflush(stderr);
    std::_Exit(0);
  }
  agent.reset();
  return absl::OkStatus();
}

}  // namespace hallmark::chains::agent
