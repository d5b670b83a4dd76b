// File: kube/config.h
//
// Config: where the Kubernetes API is and how to authenticate, loaded like client-go does
// (reference/kube-api.md §2):
//  - in-cluster: KUBERNETES_SERVICE_HOST/PORT, the ServiceAccount token file (re-read while the
//    client runs, see kube/token_source.h), ca.crt, and the namespace from POD_NAMESPACE or the
//    namespace file;
//  - kubeconfig: an explicit file (--kubeconfig), else the KUBECONFIG colon list (merged, first
//    definition of each name wins, missing files skipped), else ~/.kube/config; current-context
//    or a named context; server, certificate-authority(-data), insecure-skip-tls-verify,
//    proxy-url; token, tokenFile, client-certificate/-key (files or -data). Relative paths are
//    resolved against the folder of the kubeconfig that names them. exec, auth-provider,
//    username/password, impersonation and tls-server-name are refused (kUnimplemented) with the
//    entry named, rather than half-supported.
//
// Referenced CA and client certificate/key files are read at load time; the token file is read
// again by the client. Credentials (token, client key) are SecretData and never appear in
// messages. Errors name files and kubeconfig entries only.
//
//   KubeconfigOptions kc;
//   kc.path = flag_kubeconfig;   // may be empty
//   HM_ASSIGN_OR_RETURN(Config config, LoadConfig(kc));
//   HM_ASSIGN_OR_RETURN(auto client, HttpKubeClient::New(config, {}));
#ifndef HALLMARK_KUBE_CONFIG_H_
#define HALLMARK_KUBE_CONFIG_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/secret_data.h"

namespace hallmark::kube {

struct Config {
  // Base URL, without a trailing slash: "https://10.96.0.1:443" (may carry a path prefix).
  std::string server;
  // Trust anchors (PEM); empty: the system bundle.
  std::string ca_pem;
  // WARNING: no server verification at all. Never together with ca_pem.
  bool insecure_skip_tls_verify = false;
  // Client certificate (PEM) and key (PEM), both or neither.
  std::string client_cert_pem;
  SecretData client_key_pem;
  // Explicit proxy for every request (kubeconfig proxy-url); empty: the environment's.
  std::string proxy_url;
  // Bearer token: fixed, or a file re-read about every minute. `token` wins if both are set.
  SecretData token;
  std::string token_file;
  // Namespace for namespaced calls when the caller names none ("default" unless configured).
  std::string default_namespace = "default";
  // Where this came from, for messages: "in-cluster" or "kubeconfig context \"x\"".
  std::string origin;
};

// Environment lookup (tests inject one); nullopt when unset.
using GetEnv = std::function<std::optional<std::string>(const std::string& name)>;

struct InClusterOptions {
  GetEnv getenv;  // empty: the process environment
  std::string service_account_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
};

// InClusterConfig: kFailedPrecondition when KUBERNETES_SERVICE_HOST or _PORT is unset ("not
// running in a cluster"); kNotFound / kInvalidArgument when the token or ca.crt is missing,
// empty or unreadable. The URL is https://host:port, with brackets around an IPv6 host.
absl::StatusOr<Config> InClusterConfig(const InClusterOptions& options = {});

struct KubeconfigOptions {
  std::string path;     // --kubeconfig: this file only (it must exist)
  std::string context;  // --context: empty for current-context
  GetEnv getenv;        // reads KUBECONFIG and HOME; empty: the process environment
};

// KubeconfigConfig: loads kubeconfig files as described above. kNotFound when no kubeconfig
// file exists; kInvalidArgument / kUnimplemented from parsing and validation (see
// kube/internal/kubeconfig.h for the exact list); kNotFound when a referenced file is missing.
absl::StatusOr<Config> KubeconfigConfig(const KubeconfigOptions& options);

// LoadConfig: the agent's rule, in order: an explicit `path` or a set KUBECONFIG -> kubeconfig;
// otherwise KUBERNETES_SERVICE_HOST set -> in-cluster; otherwise ~/.kube/config.
absl::StatusOr<Config> LoadConfig(const KubeconfigOptions& kubeconfig,
                                  const InClusterOptions& in_cluster = {});

}  // namespace hallmark::kube

#endif  // HALLMARK_KUBE_CONFIG_H_
