#include "verifier/webhook/run.h"

#include <cstdlib>
#include <memory>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "base/http_server_thread.h"
#include "base/log.h"
#include "base/status_macros.h"
#include "kube/config.h"
#include "kube/http_kube_client.h"
#include "oci/docker_config.h"
#include "verifier/policy/engine.h"
#include "verifier/policy/registry_source.h"
#include "verifier/webhook/handler.h"
#include "verifier/webhook/kube_sources.h"
#include "verifier/webhook/metrics.h"
#include "verifier/webhook/policy_store.h"
#include "verifier/webhook/server.h"

namespace hallmark::verifier::webhook {

absl::Status RunWebhook(const WebhookConfig& config, const absl::Notification& stop,
                        const std::function<void(const std::string& url)>& on_ready) {
  const bool api = !config.kubeconfig.empty() || config.in_cluster;
  if (config.policy_path.empty() && !(api && config.watch_policies)) {
    return absl::InvalidArgumentError(
        "no policies: give --policy FILE_OR_DIR and/or --kubeconfig to watch ClusterPolicies");
  }
  if (config.budget <= absl::ZeroDuration() || config.budget > absl::Seconds(29)) {
    return absl::InvalidArgumentError(
        "--budget must be between 0 and 29s (below the webhook timeout)");
  }
  std::string ns = config.ns;
  if (ns.empty()) {
    const char* pod_ns = std::getenv("POD_NAMESPACE");
    ns = pod_ns != nullptr && *pod_ns != '\0' ? pod_ns : "hallmark-system";
  }

  Metrics metrics;
  policy::LoadOptions load;
  load.insecure_ignore_tlog = config.insecure_ignore_tlog;
  if (config.insecure_ignore_tlog) {
    log::Warn(
        "--insecure-ignore-tlog: entries that require a transparency log are verified with "
        "the key alone");
  }

  // API server access (optional).
  std::unique_ptr<kube::HttpKubeClient> kube_client;
  std::unique_ptr<KubeSecretSource> secrets;
  if (api) {
    kube::KubeconfigOptions kc;
    kc.path = config.kubeconfig;
    absl::StatusOr<kube::Config> kconfig =
        config.kubeconfig.empty() ? kube::InClusterConfig() : kube::KubeconfigConfig(kc);
    if (!kconfig.ok()) return kconfig.status();
    kube::ClientOptions copts;
    copts.user_agent = "hallmark-webhook";
    copts.request_timeout = std::min(config.budget, absl::Seconds(5));
    copts.retry.max_attempts = 2;
    copts.retry.total_budget = config.budget;
    HM_ASSIGN_OR_RETURN(kube_client, kube::HttpKubeClient::New(*kconfig, copts));
    secrets = std::make_unique<KubeSecretSource>(kube_client.get(), ns);
  }

  // Registries.
  policy::RegistrySourceOptions ropts;
  if (!config.registry_config.empty()) {
    HM_ASSIGN_OR_RETURN(ropts.client.keychain, oci::Keychain::LoadFile(config.registry_config));
  } else {
    HM_ASSIGN_OR_RETURN(ropts.client.keychain, oci::Keychain::LoadDefault());
  }
  ropts.client.allow_insecure_registries = config.allow_insecure_registry;
  // Every registry request fits in the budget, and a retry only when there is time for it.
  ropts.client.request_timeout = config.budget;
  ropts.client.idle_timeout = std::min(config.budget, absl::Seconds(5));
  ropts.client.retry.max_attempts = 2;
  ropts.client.retry.total_budget = config.budget;
  ropts.transport.ca_file = config.registry_cacert;
  ropts.transport.user_agent = "hallmark-webhook";
  ropts.transport.connect_timeout = std::min(config.budget, absl::Seconds(3));
  ropts.secrets = secrets.get();
  HM_ASSIGN_OR_RETURN(std::unique_ptr<policy::RegistryImageSource> images,
                      policy::RegistryImageSource::New(ropts));

  std::unique_ptr<policy::ImageVerdictCache> cache;
  if (config.cache_size > 0) {
    policy::CacheOptions c;
    c.ttl = config.cache_ttl;
    c.max_entries = config.cache_size;
    HM_ASSIGN_OR_RETURN(cache, policy::ImageVerdictCache::New(c));
    policy::ImageVerdictCache* raw = cache.get();
    metrics.AddCollector([raw] {
      policy::CacheStats s = raw->Stats();
      return absl::StrCat(
          "# HELP hallmark_webhook_verify_cache_hits_total Verifications answered from the cache.\n"
          "# TYPE hallmark_webhook_verify_cache_hits_total counter\n"
          "hallmark_webhook_verify_cache_hits_total ",
          s.hits,
          "\n"
          "# HELP hallmark_webhook_verify_cache_misses_total Verifications run against "
          "registries.\n"
          "# TYPE hallmark_webhook_verify_cache_misses_total counter\n"
          "hallmark_webhook_verify_cache_misses_total ",
          s.misses,
          "\n"
          "# HELP hallmark_webhook_verify_cache_coalesced_total Verifications that waited for an "
          "identical one in flight.\n"
          "# TYPE hallmark_webhook_verify_cache_coalesced_total counter\n"
          "hallmark_webhook_verify_cache_coalesced_total ",
          s.coalesced,
          "\n"
          "# HELP hallmark_webhook_verify_cache_entries Verified images cached.\n"
          "# TYPE hallmark_webhook_verify_cache_entries gauge\n"
          "hallmark_webhook_verify_cache_entries ",
          s.size, "\n");
    });
  }

  PolicyStore store;
  store.AddListener([&metrics, raw = cache.get()](const PolicySnapshot& snap) {
    metrics.SetPolicies(static_cast<int64_t>(snap.policies.size()));
    if (raw != nullptr) {
      std::set<std::string> keep;
      for (const policy::Policy& p : snap.policies) keep.insert(policy::Engine::CacheKeyPrefix(p));
      raw->RetainPrefixes(keep);
    }
  });
  std::unique_ptr<FilePolicyWatcher> files;
  if (!config.policy_path.empty()) {
    HM_ASSIGN_OR_RETURN(files, FilePolicyWatcher::Start(config.policy_path, load, &store, &metrics,
                                                        config.policy_poll));
  }
  std::unique_ptr<KubePolicyWatcher> watcher;
  if (api && config.watch_policies) {
    HM_ASSIGN_OR_RETURN(watcher,
                        KubePolicyWatcher::Start(kube_client.get(), load, &store, &metrics));
    if (!watcher->WaitForSync(absl::Seconds(30))) {
      return absl::UnavailableError(
          "could not list ClusterPolicies/Policies from the API server within 30s");
    }
  }

  policy::EngineOptions eopts;
  eopts.images = images.get();
  eopts.secrets = secrets.get();
  eopts.cache = cache.get();
  policy::Engine engine(eopts);
  HandlerOptions hopts;
  hopts.budget = config.budget;
  hopts.workers = config.workers;
  AdmissionHandler handler(&store, &engine, &metrics, hopts);

  ServerOptions sopts;
  HM_RETURN_IF_ERROR(ParseListenAddress(config.listen, &sopts.host, &sopts.port));
  if (!config.metrics_listen.empty()) {
    HM_RETURN_IF_ERROR(
        ParseListenAddress(config.metrics_listen, &sopts.metrics_host, &sopts.metrics_port));
  }
  sopts.tls_cert_file = config.tls_cert;
  sopts.tls_key_file = config.tls_key;
  HM_ASSIGN_OR_RETURN(std::unique_ptr<WebhookServer> server,
                      WebhookServer::Start(sopts, &handler, &metrics, [] { return true; }));
  log::Info("webhook serving", {{"url", server->url()},
                                {"policies", absl::StrCat(store.Get()->policies.size())},
                                {"budget", absl::FormatDuration(config.budget)}});
  if (on_ready) on_ready(server->url());
  stop.WaitForNotification();
  log::Info("webhook stopping");
  server->Stop();
  if (watcher != nullptr) watcher->Stop();
  files.reset();
  return absl::OkStatus();
}

}  // namespace hallmark::verifier::webhook
