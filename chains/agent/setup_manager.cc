#include "chains/agent/setup_manager.h"

#include <algorithm>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "base/log.h"
#include "oci/curl_registry_client.h"
#include "storage/tekton_backend.h"

namespace hallmark::chains::agent {

struct SetupManager::OciBundle {
  ~OciBundle() {
    if (client != nullptr && retired_requests != nullptr) {
      oci::RegistryClientStats stats = client->Stats();
      retired_requests->fetch_add(stats.requests + stats.token_requests);
    }
  }
  std::unique_ptr<oci::RegistryClient> client;
  std::unique_ptr<storage::OciBackend> backend;  // borrows `client`: destroyed before it
  std::shared_ptr<std::atomic<uint64_t>> retired_requests;
};

namespace {

// SerialisedBackend: the oci backend with its pushes serialised per `.sig`/`.att` tag through a
// lock table shared by every backend the manager builds. Each OciBackend serialises its own
// pushes; this also covers two backends of different credentials (an in-flight signing on the
// old client and a new one on the new client), which would otherwise both read the tag's
// manifest and each write it back with only their own layer.
class SerialisedBackend final : public storage::Backend {
 public:
  SerialisedBackend(std::shared_ptr<const void> owner, storage::Backend* inner,
                    std::shared_ptr<std::array<absl::Mutex, 64>> locks)
      : owner_(std::move(owner)), inner_(inner), locks_(std::move(locks)) {}

  absl::string_view Name() const override { return inner_->Name(); }
  absl::Status CheckImage(const oci::Reference& image) override {
    return inner_->CheckImage(image);
  }
  absl::StatusOr<storage::StoreResult> Store(const storage::SignedArtifact& artifact) override {
    // The tag is sha256-<hex>.sig/.att wherever it goes: the digest and kind name it.
    std::string digest = artifact.image.has_value() && artifact.image->digest().has_value()
                             ? artifact.image->digest()->String()
                             : std::string();
    size_t stripe = absl::HashOf(digest, static_cast<int>(artifact.kind)) % locks_->size();
    absl::MutexLock lock(&(*locks_)[stripe]);
    return inner_->Store(artifact);
  }

 private:
  const std::shared_ptr<const void> owner_;  // keeps `inner_` and its client alive
  storage::Backend* const inner_;
  const std::shared_ptr<std::array<absl::Mutex, 64>> locks_;
};

}  // namespace

SetupManager::SetupManager(signer::KeyStore* keys, RegistryOptions registry,
                           std::function<void()> on_change, RegistryClientFactory factory)
    : keys_(keys),
      registry_(std::move(registry)),
      on_change_(std::move(on_change)),
      factory_(std::move(factory)),
      keychain_(registry_.keychain),
      retired_requests_(std::make_shared<std::atomic<uint64_t>>(0)),
      tag_locks_(std::make_shared<std::array<absl::Mutex, 64>>()),
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

void SetupManager::UpdateKeychain(oci::Keychain keychain) {
  {
    absl::MutexLock lock(&mu_);
    keychain_ = std::move(keychain);
    retired_.erase(std::remove_if(retired_.begin(), retired_.end(),
                                  [](const std::weak_ptr<OciBundle>& b) { return b.expired(); }),
                   retired_.end());
    for (const auto& [key, entry] : oci_) retired_.push_back(entry.bundle);
    oci_.clear();
    RebuildLocked();
  }
  if (on_change_) on_change_();
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
  options.keychain = keychain_;
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
  auto bundle = std::make_shared<OciBundle>();
  bundle->client = *std::move(client);
  bundle->backend = *std::move(backend);
  bundle->retired_requests = retired_requests_;
  OciEntry entry;
  entry.backend = std::make_shared<SerialisedBackend>(bundle, bundle->backend.get(), tag_locks_);
  entry.bundle = std::move(bundle);
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
  uint64_t total = retired_requests_->load();
  auto add = [&total](const OciBundle& bundle) {
    oci::RegistryClientStats stats = bundle.client->Stats();
    total += stats.requests + stats.token_requests;
  };
  for (const auto& [key, entry] : oci_) add(*entry.bundle);
  for (const std::weak_ptr<OciBundle>& weak : retired_) {
    if (std::shared_ptr<OciBundle> bundle = weak.lock()) add(*bundle);
  }
  return total;
}

bool SetupManager::ConfigKnown() const {
  absl::MutexLock lock(&mu_);
  return config_known_;
}

}  // namespace hallmark::chains::agent
