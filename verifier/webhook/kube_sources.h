// File: verifier/webhook/kube_sources.h
//
// What the webhook reads from the Kubernetes API with --kubeconfig (or in-cluster):
//   KubeSecretSource   - Secrets for keys.secret / k8s:// keys and imageRegistryCredentials
//                        (GET, cached for a short TTL so a burst of admissions costs one call);
//   KubePolicyWatcher  - kyverno.io/v1 ClusterPolicies (and namespaced Policies) watched with an
//                        informer and loaded into the PolicyStore as they change. A policy that
//                        cannot be enforced is refused with its reason logged (and counted); if
//                        it was an edit, the previous version of that policy stays in force.
#ifndef HALLMARK_VERIFIER_WEBHOOK_KUBE_SOURCES_H_
#define HALLMARK_VERIFIER_WEBHOOK_KUBE_SOURCES_H_

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "kube/informer.h"
#include "kube/kube_client.h"
#include "verifier/policy/policy.h"
#include "verifier/policy/sources.h"
#include "verifier/webhook/metrics.h"
#include "verifier/webhook/policy_store.h"

namespace hallmark::verifier::webhook {

class KubeSecretSource : public policy::SecretSource {
 public:
  // `client` is borrowed. `default_namespace`: where plain Secret names live (the webhook's own).
  KubeSecretSource(kube::KubeClient* client, std::string default_namespace,
                   absl::Duration ttl = absl::Seconds(30), Clock* clock = Clock::RealClock())
      : client_(client),
        default_namespace_(std::move(default_namespace)),
        ttl_(ttl),
        clock_(clock) {}

  absl::StatusOr<policy::Secret> Get(absl::string_view ns, absl::string_view name) override;
  std::string DefaultNamespace() const override { return default_namespace_; }

 private:
  kube::KubeClient* client_;
  const std::string default_namespace_;
  const absl::Duration ttl_;
  Clock* clock_;
  absl::Mutex mu_;
  struct Entry {
    policy::Secret secret;
    absl::Time fetched;
  };
  std::map<std::string, Entry> cache_ ABSL_GUARDED_BY(mu_);
};

// The kyverno.io/v1 namespaced Policy resource (ClusterPolicies are kube::ClusterPolicies()).
const kube::Resource& KyvernoPolicies();

class KubePolicyWatcher {
 public:
  // Start: begins watching; WaitForSync before serving so the first admissions see the
  // policies. `client`, `store`, `metrics` are borrowed.
  static absl::StatusOr<std::unique_ptr<KubePolicyWatcher>> Start(kube::KubeClient* client,
                                                                  policy::LoadOptions options,
                                                                  PolicyStore* store,
                                                                  Metrics* metrics,
                                                                  bool namespaced_policies = true);
  bool WaitForSync(absl::Duration timeout) const;
  void Stop();
  ~KubePolicyWatcher() { Stop(); }

  struct Loaded {
    std::string source;  // "kube:ClusterPolicy//name"
    std::optional<policy::Policy> policy;
    std::string error;
  };

 private:
  KubePolicyWatcher() = default;
  std::unique_ptr<kube::Informer<Loaded>> cluster_;
  std::unique_ptr<kube::Informer<Loaded>> namespaced_;
};

}  // namespace hallmark::verifier::webhook

#endif  // HALLMARK_VERIFIER_WEBHOOK_KUBE_SOURCES_H_
