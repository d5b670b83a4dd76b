// `hallmark webhook`: the Kyverno-compatible verifyImages admission webhook
// (verifier/webhook/run.h does the work; this file parses flags and handles signals).
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "base/log.h"
#include "cmd/cli.h"
#include "verifier/webhook/run.h"

namespace hallmark::cmd {
namespace {

struct WebhookFlags {
  verifier::webhook::WebhookConfig config;
  std::string budget = "8s";
  std::string cache_ttl = "60m";
  std::string policy_poll = "2s";
};

int Run(WebhookFlags flags) {
  log::Init(log::Format::kJson);
  for (auto [text, out, name] : {std::tuple<std::string, absl::Duration*, const char*>{
                                     flags.budget, &flags.config.budget, "--budget"},
                                 {flags.cache_ttl, &flags.config.cache_ttl, "--cache-ttl"},
                                 {flags.policy_poll, &flags.config.policy_poll, "--policy-poll"}}) {
    if (!absl::ParseDuration(text, out)) {
      std::fprintf(stderr, "Error: %s: \"%s\" is not a duration (e.g. 8s, 60m)\n", name,
                   text.c_str());
      return kExitError;
    }
  }
  // SIGTERM / SIGINT end the server; every thread started below inherits the blocked mask, so
  // only the waiter sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  absl::Notification stop;
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    stop.Notify();
  });
  absl::Status status =
      verifier::webhook::RunWebhook(flags.config, stop, [](const std::string& url) {
        std::printf("listening on %s\n", url.c_str());
        std::fflush(stdout);
      });
  if (!stop.HasBeenNotified()) kill(getpid(), SIGTERM);  // wake the waiter
  waiter.join();
  if (!status.ok()) {
    log::Error("webhook failed", {{"error", std::string(status.message())}});
    std::fprintf(stderr, "Error: %s\n", std::string(status.message()).c_str());
    return kExitError;
  }
  return kExitOk;
}

}  // namespace

void RegisterWebhook(CLI::App& app, int* exit_code) {
  CLI::App* sub = app.add_subcommand(
      "webhook",
      "Serve the admission webhook that enforces Kyverno verifyImages policies over HTTPS: "
      "POST /mutate (verify, pin digests, annotate kyverno.io/verify-images) and POST /validate "
      "(verifyDigest, required); /mutate/fail and /validate/fail are Kyverno-path aliases. "
      "GET /healthz, /readyz, /metrics. Fails closed: errors and timeouts deny");
  auto flags = std::make_shared<WebhookFlags>();
  verifier::webhook::WebhookConfig& c = flags->config;
  sub->add_option("--policy", c.policy_path,
                  "Policy file or folder, re-read when it changes (a file that stops parsing "
                  "keeps its previous policies)");
  sub->add_option("--kubeconfig", c.kubeconfig,
                  "Kubeconfig for the API server: watch ClusterPolicies and Policies, read "
                  "Secrets (keys.secret, imageRegistryCredentials.secrets)");
  sub->add_flag("--in-cluster", c.in_cluster,
                "Use the Pod's ServiceAccount to reach the API server");
  sub->add_flag("!--no-watch-policies", c.watch_policies,
                "With API access, do not watch ClusterPolicies/Policies (files only)");
  sub->add_option("--namespace", c.ns,
                  "Namespace of Secrets named without one (default: $POD_NAMESPACE, else "
                  "hallmark-system)");
  sub->add_option("--tls-cert", c.tls_cert, "Serving certificate (PEM chain)")->required();
  sub->add_option("--tls-key", c.tls_key, "Serving private key (PEM)")->required();
  sub->add_option("--listen", c.listen, "HOST:PORT to serve HTTPS on (:PORT for all addresses)")
      ->capture_default_str();
  sub->add_option("--metrics-addr", c.metrics_listen,
                  "HOST:PORT for a plain-HTTP /metrics listener (default: only on the HTTPS port)");
  sub->add_option("--registry-config", c.registry_config,
                  "Docker config.json with registry credentials (default: $DOCKER_CONFIG/"
                  "config.json, else ~/.docker/config.json)");
  sub->add_option("--registry-cacert", c.registry_cacert, "PEM bundle of extra registry CAs");
  sub->add_flag("--allow-insecure-registry", c.allow_insecure_registry,
                "Allow plain HTTP and unverified TLS to every registry");
  sub->add_flag("--insecure-ignore-tlog", c.insecure_ignore_tlog,
                "Accept policy entries that require a Rekor transparency log and verify them "
                "with the key alone");
  sub->add_option("--budget", flags->budget,
                  "Total time to answer one AdmissionReview; past it the request is denied. Keep "
                  "it below the webhook's timeoutSeconds")
      ->capture_default_str();
  sub->add_option("--cache-ttl", flags->cache_ttl, "How long a successful verification is reused")
      ->capture_default_str();
  sub->add_option("--cache-size", c.cache_size, "Verified images cached (0: no cache)")
      ->capture_default_str();
  sub->add_option("--policy-poll", flags->policy_poll, "How often policy files are checked")
      ->capture_default_str();
  sub->add_option("--workers", c.workers, "Verifications run at once")->capture_default_str();
  sub->callback([flags, exit_code] { *exit_code = Run(*flags); });
}

}  // namespace hallmark::cmd
