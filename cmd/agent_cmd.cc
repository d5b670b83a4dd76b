// `hallmark agent`: the signing agent (Tekton Chains' controller). This file only parses flags
// and calls chains::agent::RunAgent (chains/agent/agent.h).
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "base/log.h"
#include "chains/agent/agent.h"
#include "cmd/cli.h"

namespace hallmark::cmd {
namespace {

int Fail(absl::string_view message) {
  std::fprintf(stderr, "Error: %s\n", std::string(message).c_str());
  return kExitError;
}

bool ParseDurationFlag(const std::string& flag, const std::string& text, absl::Duration* out,
                       std::string* error) {
  if (!absl::ParseDuration(text, out) || *out < absl::ZeroDuration()) {
    *error = absl::StrCat(flag, ": \"", text, "\" is not a duration (e.g. 10m, 90s, 1h30m)");
    return false;
  }
  return true;
}

struct AgentFlags {
  chains::agent::AgentOptions options;
  std::string namespaces;
  std::string retry_window = "10m";
  std::string retry_backoff = "1s";
  std::string retry_max_backoff = "60s";
  std::string skip_before;
  std::string oci_config_blob = "cosign";
  std::string shutdown_grace = "20s";
  std::string lease_duration = "15s";
  std::string renew_deadline = "10s";
  std::string retry_period = "2s";
  std::string log_level = "info";
};

int RunAgentCommand(AgentFlags& f) {
  chains::agent::AgentOptions& o = f.options;
  std::string error;
  for (absl::string_view ns : absl::StrSplit(f.namespaces, ',', absl::SkipWhitespace())) {
    o.namespaces.emplace_back(absl::StripAsciiWhitespace(ns));
  }
  absl::Duration grace;
  if (!ParseDurationFlag("--retry-window", f.retry_window, &o.retry.window, &error) ||
      !ParseDurationFlag("--retry-backoff", f.retry_backoff, &o.retry.initial_backoff, &error) ||
      !ParseDurationFlag("--retry-max-backoff", f.retry_max_backoff, &o.retry.max_backoff,
                         &error) ||
      !ParseDurationFlag("--shutdown-grace", f.shutdown_grace, &grace, &error) ||
      !ParseDurationFlag("--lease-duration", f.lease_duration, &o.lease_duration, &error) ||
      !ParseDurationFlag("--lease-renew-deadline", f.renew_deadline, &o.renew_deadline, &error) ||
      !ParseDurationFlag("--lease-retry-period", f.retry_period, &o.retry_period, &error)) {
    return Fail(error);
  }
  if (!f.skip_before.empty()) {
    absl::Time t;
    std::string why;
    if (!absl::ParseTime(absl::RFC3339_full, f.skip_before, &t, &why)) {
      return Fail(absl::StrCat("--skip-before: \"", f.skip_before,
                               "\" is not an RFC 3339 time (e.g. 2026-01-31T00:00:00Z)"));
    }
    o.skip_before = t;
  }
  if (f.oci_config_blob == "cosign") {
    o.oci_config_blob = storage::ConfigMode::kCosign;
  } else if (f.oci_config_blob == "constant") {
    o.oci_config_blob = storage::ConfigMode::kConstant;
  } else {
    return Fail("--oci-config-blob: want cosign or constant");
  }
  log::Level level;
  if (!log::ParseLevel(f.log_level, &level)) {
    return Fail("--log-level: want debug, info, warn or error");
  }
  absl::Status status = chains::agent::RunAgent(o, level, grace);
  if (!status.ok()) return Fail(status.message());
  return kExitOk;
}

}  // namespace

void RegisterAgent(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<AgentFlags>();
  chains::agent::AgentOptions& o = flags->options;
  CLI::App* sub = app.add_subcommand(
      "agent",
      "Run the signing agent: watch TaskRuns and PipelineRuns, sign every completed run once "
      "(cosign image signatures, SLSA provenance), store them (registry and/or annotations) and "
      "mark it chains.tekton.dev/signed=true. A drop-in for Tekton Chains' controller: it reads "
      "the chains-config ConfigMap and the signing-secrets Secret. Stops on SIGTERM.");
  sub->add_option("--kubeconfig", o.kubeconfig,
                  "kubeconfig file (default: KUBECONFIG, in-cluster, ~/.kube/config)");
  sub->add_option("--context", o.kube_context, "kubeconfig context (default: current-context)");
  sub->add_option("--system-namespace", o.system_namespace,
                  "namespace of chains-config, signing-secrets and the Lease (env "
                  "SYSTEM_NAMESPACE, as Chains)")
      ->envname("SYSTEM_NAMESPACE")
      ->capture_default_str();
  sub->add_option("--namespace", flags->namespaces,
                  "watch only these namespaces (comma-separated; default: all)");
  sub->add_option("--threads", o.threads, "signing workers")->capture_default_str();
  sub->add_option("--kube-api-qps", o.kube_api_qps, "Kubernetes API requests per second")
      ->capture_default_str();
  sub->add_option("--kube-api-burst", o.kube_api_burst, "Kubernetes API burst")
      ->capture_default_str();
  sub->add_option("--metrics-addr", o.metrics_addr,
                  "serve /metrics, /healthz and /readyz on HOST:PORT (e.g. 0.0.0.0:9090)");
  sub->add_flag("--leader-elect", o.leader_elect,
                "sign only while holding a coordination.k8s.io Lease (replicas stand by)");
  sub->add_option("--lease-name", o.lease_name, "name of the Lease in the system namespace")
      ->capture_default_str();
  sub->add_option("--lease-duration", flags->lease_duration,
                  "how long a Lease holder that stopped renewing keeps it")
      ->capture_default_str();
  sub->add_option("--lease-renew-deadline", flags->renew_deadline,
                  "the holder gives up leading when it could not renew for this long")
      ->capture_default_str();
  sub->add_option("--lease-retry-period", flags->retry_period,
                  "how often the Lease is renewed or tried")
      ->capture_default_str();
  sub->add_option("--identity", o.identity,
                  "this replica's Lease identity (default: POD_NAME, else host name and pid)");
  sub->add_option("--signing-secrets-dir", o.signing_secrets_dir,
                  "read the key from this folder (the mounted signing-secrets Secret: x509.pem, "
                  "or cosign.key + cosign.password) instead of from the API");
  sub->add_option("--retry-window", flags->retry_window,
                  "keep retrying a run that fails for a transient reason (registry down...) "
                  "for at least this long, then mark it signed=failed")
      ->capture_default_str();
  sub->add_option("--retry-backoff", flags->retry_backoff, "first wait between attempts")
      ->capture_default_str();
  sub->add_option("--retry-max-backoff", flags->retry_max_backoff, "longest wait between attempts")
      ->capture_default_str();
  sub->add_option("--skip-before", flags->skip_before,
                  "ignore runs that completed before this RFC 3339 time (first roll-out on a busy "
                  "cluster); runs annotated chains.tekton.dev/skip=true are always ignored");
  sub->add_option("--registry-config", o.registry_config,
                  "docker config.json with registry credentials (default: "
                  "$DOCKER_CONFIG/config.json or ~/.docker/config.json if present); re-read "
                  "when it changes (a mounted Secret's update is followed)");
  sub->add_option("--registry-secret", o.registry_secret,
                  "a kubernetes.io/dockerconfigjson or dockercfg Secret in the system namespace "
                  "with registry credentials (watched: updates apply without a restart; the "
                  "--registry-config file wins for a registry both name)");
  sub->add_option("--registry-cacert", o.registry_ca_file,
                  "PEM bundle of extra CAs for registries");
  sub->add_option("--oci-config-blob", flags->oci_config_blob,
                  "config blob of .sig/.att manifests: cosign (byte-identical to cosign's) or "
                  "constant (one per repository: 2 fewer registry requests per push)")
      ->capture_default_str();
  sub->add_option("--shutdown-grace", flags->shutdown_grace,
                  "on SIGTERM, how long in-flight runs may take to finish")
      ->capture_default_str();
  sub->add_option("--log-level", flags->log_level, "debug, info, warn or error (JSON lines)")
      ->capture_default_str();
  sub->callback([flags, exit_code] { *exit_code = RunAgentCommand(*flags); });
}

}  // namespace hallmark::cmd
