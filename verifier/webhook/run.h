// File: verifier/webhook/run.h
//
// RunWebhook: `hallmark webhook` as a library entry point — builds the registry source, the
// Secret and policy sources, cache, engine, handler and HTTPS server from WebhookConfig, serves
// until `stop` is notified, then shuts down in order.
//
//   WebhookConfig config;
//   config.policy_path = "/etc/hallmark/policies";
//   config.tls_cert = "/etc/hallmark/tls/tls.crt"; config.tls_key = ".../tls.key";
//   HM_RETURN_IF_ERROR(RunWebhook(config, stop, [](const std::string& url) { ... }));
#ifndef HALLMARK_VERIFIER_WEBHOOK_RUN_H_
#define HALLMARK_VERIFIER_WEBHOOK_RUN_H_

#include <cstddef>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace hallmark::verifier::webhook {

struct WebhookConfig {
  // Policies: a file or folder (--policy), and/or ClusterPolicies + Policies watched from the API
  // server (--kubeconfig, or in-cluster with --watch-policies). At least one source.
  std::string policy_path;
  std::string kubeconfig;      // also enables Secret reads (keys.secret, registry secrets)
  bool in_cluster = false;     // use the ServiceAccount (KUBERNETES_SERVICE_HOST) instead
  bool watch_policies = true;  // with API access: watch ClusterPolicies/Policies
  std::string ns;  // where plain Secret names live; default $POD_NAMESPACE or hallmark-system

  std::string tls_cert;
  std::string tls_key;
  std::string listen = ":8443";
  std::string metrics_listen;  // "" : metrics only on the HTTPS port

  std::string registry_config;  // docker config.json (base credentials)
  std::string registry_cacert;
  bool allow_insecure_registry = false;
  bool insecure_ignore_tlog = false;

  absl::Duration budget = absl::Seconds(8);
  absl::Duration cache_ttl = absl::Minutes(60);
  size_t cache_size = 1000;  // 0: no cache
  absl::Duration policy_poll = absl::Seconds(2);
  size_t workers = 16;
};

// RunWebhook: kInvalidArgument / kNotFound for bad configuration or policies that cannot be
// loaded at start (the webhook never starts without its policies), kUnavailable when the port
// is taken or the API server cannot be reached for the initial policy list. `on_ready` is called
// with the listening URL once requests are served.
absl::Status RunWebhook(const WebhookConfig& config, const absl::Notification& stop,
                        const std::function<void(const std::string& url)>& on_ready);

}  // namespace hallmark::verifier::webhook

#endif  // HALLMARK_VERIFIER_WEBHOOK_RUN_H_
