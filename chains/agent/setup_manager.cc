#include "chains/agent/setup_manager.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "base/log.h"
#include "oci/curl_registry_client.h"
#include "storage/tekton_backend.h"

namespace hallmark::chains::agent {

SetupManager::SetupManager(signer::KeyStore* keys, RegistryOptions registry,
                           std::function<void()> on_change, RegistryClientFactory factory)
    : keys_(keys),
      registry_(std::move(registry)),
      on_change_(std::move(on_change)),
      factory_(std::move(factory)),
      current_(absl::UnavailableError("chains-config not read yet")) {}

absl::Status SetupManager::UpdateConfig(
    const std::optional<std::map<std::string, std::string>>& data) {
  static const std::map<std::string, std::string> kEmpty;
  absl::StatusOr<config::Config> parsed = config::Config::Parse(data.has_value() ? *data : kEmpty);
  {
    absl::MutexLock lock(&mu_);
    config_known_ = true;
    if (parsed.ok()) {
      bool same = config_.has_value() && *config_ == *parsed && config_error_.ok();
      config_ = *parsed;
      config_error_ = absl::OkStatus();
      if (!same) {
        log::Info("chains-config in force",
                  {{"config", parsed->Summary()}, {"source", data ? "ConfigMap" : "defaults"}});
      }
    } else if (absl::IsInvalidArgument(parsed.status())) {
      if (config_.has_value() && config_error_.ok()) {
        log::Error("chains-config rejected; the previous configuration stays in force",
                   {{"error", std::string(parsed.status().message())}});
      } else {
        log::Error("chains-config rejected and no previous configuration: runs wait",
                   {{"error", std::string(parsed.status().message())}});
        config_error_ = parsed.status();
      }
    } else {
      log::Error("chains-config asks for something hallmark does not implement: runs wait",
                 {{"error", std::string(parsed.status().message())}});
      config_error_ = parsed.status();
    }
    RebuildLocked();
  }
  if (on_change_) on_change_();
  return parsed.status();
}

void SetupManager::KeyChanged() {
  {
    absl::MutexLock lock(&mu_);
    RebuildLocked();
  }
  if (on_change_) on_change_();
}

absl::StatusOr<std::shared_ptr<storage::Backend>> SetupManager::OciBackendFor(
    const config::Config& config) {
  std::string key = absl::StrCat(config.oci_repository ? config.oci_repository->String() : "", "|",
                                 config.oci_repository_insecure);
  auto it = oci_.find(key);
  if (it != oci_.end()) return it->second.backend;

  oci::RegistryClientOptions options;
  options.keychain = registry_.keychain;
  if (config.oci_repository.has_value() && config.oci_repository_insecure) {
    options.insecure_registries.insert(config.oci_repository->registry);
  }
  options.request_timeout = registry_.request_timeout;
  options.retry.max_attempts = registry_.max_attempts;
  options.retry.initial_backoff = absl::Milliseconds(200);
  options.retry.max_backoff = absl::Seconds(2);
  options.retry.total_budget = registry_.retry_budget;
  absl::StatusOr<std::unique_ptr<oci::RegistryClient>> client =
      factory_ ? factory_(std::move(options)) : [&]() {
        oci::RegistryTransportOptions transport;
        transport.ca_file = registry_.ca_file;
        transport.user_agent = "hallmark-agent";
        return oci::NewCurlRegistryClient(std::move(options), transport);
      }();
  if (!client.ok()) return client.status();
  storage::OciBackendOptions backend_options;
  backend_options.repository = config.oci_repository;
  backend_options.config = registry_.config_blob;
  absl::StatusOr<std::unique_ptr<storage::OciBackend>> backend =
      storage::OciBackend::New(**client, backend_options);
  if (!backend.ok()) return backend.status();
  OciEntry entry;
  entry.key = key;
  entry.client = *std::move(client);
  entry.backend = std::shared_ptr<storage::Backend>(*std::move(backend));
  std::shared_ptr<storage::Backend> out = entry.backend;
  oci_.emplace(key, std::move(entry));
  return out;
}

void SetupManager::RebuildLocked() {
  if (!config_known_) return;
  if (!config_error_.ok()) {
    current_ = config_error_;
    return;
  }
  if (!config_.has_value()) {
    current_ = absl::UnavailableError("chains-config not read yet");
    return;
  }
  auto setup = std::make_shared<reconciler::Setup>();
  setup->config = *config_;
  setup->signer = keys_->Current();
  if (config_->UsesStorage(config::kStorageTekton)) {
    if (tekton_ == nullptr) {
      absl::StatusOr<std::unique_ptr<storage::TektonBackend>> tekton =
          storage::TektonBackend::New();
      if (!tekton.ok()) {
        current_ = tekton.status();
        return;
      }
      tekton_ = std::shared_ptr<storage::Backend>(*std::move(tekton));
    }
    setup->tekton = tekton_;
  }
  if (config_->UsesStorage(config::kStorageOci)) {
    absl::StatusOr<std::shared_ptr<storage::Backend>> oci = OciBackendFor(*config_);
    if (!oci.ok()) {
      log::Error("building the oci storage backend failed: runs wait",
                 {{"error", oci.status().ToString()}});
      current_ = absl::FailedPreconditionError(
          absl::StrCat("oci storage backend: ", oci.status().message()));
      return;
    }
    setup->oci = *std::move(oci);
  }
  current_ = std::shared_ptr<const reconciler::Setup>(std::move(setup));
}

absl::StatusOr<std::shared_ptr<const reconciler::Setup>> SetupManager::Current() const {
  absl::MutexLock lock(&mu_);
  return current_;
}

uint64_t SetupManager::RegistryRequests() const {
  absl::MutexLock lock(&mu_);
  uint64_t total = 0;
  for (const auto& [key, entry] : oci_) {
    oci::RegistryClientStats stats = entry.client->Stats();
    total += stats.requests + stats.token_requests;
  }
  return total;
}

bool SetupManager::ConfigKnown() const {
  absl::MutexLock lock(&mu_);
  return config_known_;
}

}  // namespace hallmark::chains::agent
