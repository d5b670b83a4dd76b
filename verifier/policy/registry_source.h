// File: verifier/policy/registry_source.h
//
// RegistryImageSource: the ImageSource (verifier/policy/sources.h) that talks to registries, via
// verifier::ResolveImageDigest / FetchAttachments (bounded, re-hashed, one resolution per call).
//
// Credentials per verifyImages entry, as Kyverno: the base keychain (a docker config.json given
// with --registry-config, else none) plus the docker-config Secrets an entry names in
// imageRegistryCredentials.secrets (read through the SecretSource; a plain name is in the
// source's default namespace, `ns/name` elsewhere; earlier Secrets win for the same registry,
// then the base keychain). `allowInsecureRegistry` allows plain HTTP / unverified TLS for that
// entry's registries (loopback registries are plain HTTP anyway). One RegistryClient (with its
// own connection pool and token cache) is kept per distinct credential set and Secret versions,
// so warm verifications reuse connections and tokens.
//
// Without a SecretSource, `secrets` are ignored (a warning is logged once per set): the base
// keychain applies — what `hallmark policy apply` does, like `kyverno apply`. A Secret that
// cannot be read is an error (the webhook then denies: it fails closed).
#ifndef HALLMARK_VERIFIER_POLICY_REGISTRY_SOURCE_H_
#define HALLMARK_VERIFIER_POLICY_REGISTRY_SOURCE_H_

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "oci/curl_registry_client.h"
#include "oci/docker_config.h"
#include "oci/registry_client.h"
#include "verifier/policy/sources.h"

namespace hallmark::verifier::policy {

struct RegistrySourceOptions {
  // Base client settings: keychain (--registry-config), timeouts, retries, limits.
  oci::RegistryClientOptions client;
  oci::RegistryTransportOptions transport;
  // Not owned; may be null (see the file comment). Must outlive the source.
  SecretSource* secrets = nullptr;
  // Most clients kept (distinct credential sets); the least recently used is dropped.
  size_t max_clients = 32;
};

struct RegistrySourceStats {
  uint64_t clients_created = 0;
  uint64_t requests = 0;  // registry HTTP exchanges of live clients
};

class RegistryImageSource : public ImageSource {
 public:
  // New: errors of oci::NewCurlRegistryClient for the base options (checked once up front).
  static absl::StatusOr<std::unique_ptr<RegistryImageSource>> New(RegistrySourceOptions options);

  absl::StatusOr<oci::Digest> Resolve(const oci::Reference& image,
                                      const RegistryAccess& access) override;
  absl::StatusOr<std::vector<AttachmentLayer>> Fetch(
      const oci::Reference& image, const oci::Digest& digest, AttachmentKind kind,
      const std::optional<oci::Repository>& repository, const RegistryAccess& access) override;

  RegistrySourceStats Stats() const;

 private:
  explicit RegistryImageSource(RegistrySourceOptions options) : options_(std::move(options)) {}
  // The client for `access` (built or reused). Errors: Secret reads, bad docker config.
  absl::StatusOr<std::shared_ptr<oci::RegistryClient>> ClientFor(const RegistryAccess& access);

  const RegistrySourceOptions options_;
  mutable absl::Mutex mu_;
  struct Cached {
    std::shared_ptr<oci::RegistryClient> client;
    uint64_t last_used = 0;
  };
  std::map<std::string, Cached> clients_ ABSL_GUARDED_BY(mu_);
  uint64_t tick_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t created_ ABSL_GUARDED_BY(mu_) = 0;
  std::set<std::string> warned_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hallmark::verifier::policy

#endif  // HALLMARK_VERIFIER_POLICY_REGISTRY_SOURCE_H_
