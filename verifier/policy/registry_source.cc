#include "verifier/policy/registry_source.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/log.h"
#include "base/status_macros.h"

namespace hallmark::verifier::policy {

absl::StatusOr<std::unique_ptr<RegistryImageSource>> RegistryImageSource::New(
    RegistrySourceOptions options) {
  // Build one client now so bad options (retry policy, CA file) fail at start, not per request.
  HM_ASSIGN_OR_RETURN(std::unique_ptr<oci::RegistryClient> probe,
                      oci::NewCurlRegistryClient(options.client, options.transport));
  auto source = std::unique_ptr<RegistryImageSource>(new RegistryImageSource(std::move(options)));
  absl::MutexLock lock(&source->mu_);
  source->clients_["|"] = Cached{std::shared_ptr<oci::RegistryClient>(std::move(probe)), 0};
  source->created_ = 1;
  return source;
}

absl::StatusOr<std::shared_ptr<oci::RegistryClient>> RegistryImageSource::ClientFor(
    const RegistryAccess& access) {
  oci::RegistryClientOptions client_options = options_.client;
  std::string key = access.allow_insecure ? "insecure|" : "|";
  if (!access.secrets.empty() && options_.secrets == nullptr) {
    std::string names = absl::StrJoin(access.secrets, ",");
    absl::MutexLock lock(&mu_);
    if (warned_.insert(names).second) {
      log::Warn(
          "imageRegistryCredentials.secrets ignored: no access to the API server "
          "(--kubeconfig); using the default registry credentials",
          {{"secrets", names}});
    }
  } else if (!access.secrets.empty()) {
    oci::Keychain keychain;
    for (const std::string& name : access.secrets) {
      std::string ns = options_.secrets->DefaultNamespace();
      std::string secret_name = name;
      if (size_t slash = name.find('/'); slash != std::string::npos) {
        ns = name.substr(0, slash);
        secret_name = name.substr(slash + 1);
      }
      absl::StatusOr<Secret> secret = options_.secrets->Get(ns, secret_name);
      if (!secret.ok()) {
        return absl::Status(
            secret.status().code(),
            absl::StrCat("failed to fetch secrets: imageRegistryCredentials secret ", ns, "/",
                         secret_name, ": ", secret.status().message()));
      }
      absl::StatusOr<oci::Keychain> kc = oci::Keychain::FromSecret(secret->type, secret->data);
      if (!kc.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("imageRegistryCredentials secret ", ns, "/",
                                                       secret_name, ": ", kc.status().message()));
      }
      keychain.Merge(*kc);
      absl::StrAppend(&key, ns, "/", secret_name, "@", secret->version, ",");
    }
    keychain.Merge(options_.client.keychain);
    client_options.keychain = std::move(keychain);
  }
  if (access.allow_insecure) client_options.allow_insecure_registries = true;

  absl::MutexLock lock(&mu_);
  auto it = clients_.find(key);
  if (it != clients_.end()) {
    it->second.last_used = ++tick_;
    return it->second.client;
  }
  HM_ASSIGN_OR_RETURN(std::unique_ptr<oci::RegistryClient> client,
                      oci::NewCurlRegistryClient(std::move(client_options), options_.transport));
  ++created_;
  std::shared_ptr<oci::RegistryClient> shared(std::move(client));
  clients_[key] = Cached{shared, ++tick_};
  while (clients_.size() > options_.max_clients) {
    auto oldest = clients_.begin();
    for (auto c = clients_.begin(); c != clients_.end(); ++c) {
      if (c->second.last_used < oldest->second.last_used) oldest = c;
    }
    clients_.erase(oldest);  // in-flight users keep it alive through their shared_ptr
  }
  return shared;
}

absl::StatusOr<oci::Digest> RegistryImageSource::Resolve(const oci::Reference& image,
                                                         const RegistryAccess& access) {
  HM_ASSIGN_OR_RETURN(std::shared_ptr<oci::RegistryClient> client, ClientFor(access));
  return ResolveImageDigest(*client, image);
}

absl::StatusOr<std::vector<AttachmentLayer>> RegistryImageSource::Fetch(
    const oci::Reference& image, const oci::Digest& digest, AttachmentKind kind,
    const std::optional<oci::Repository>& repository, const RegistryAccess& access) {
  HM_ASSIGN_OR_RETURN(std::shared_ptr<oci::RegistryClient> client, ClientFor(access));
  FetchOptions options;
  options.repository = repository;
  options.max_layer_bytes = options_.client.max_blob_bytes;
  return FetchAttachments(*client, image, digest, kind, options);
}

RegistrySourceStats RegistryImageSource::Stats() const {
  absl::MutexLock lock(&mu_);
  RegistrySourceStats s;
  s.clients_created = created_;
  for (const auto& [k, c] : clients_) s.requests += c.client->Stats().requests;
  return s;
}

}  // namespace hallmark::verifier::policy
