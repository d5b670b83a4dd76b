#include "kube/config.h"

#include <cstdlib>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/file.h"
#include "base/status_macros.h"
#include "kube/internal/kubeconfig.h"
#include "kube/token_source.h"

namespace hallmark::kube {
namespace {

constexpr size_t kMaxPemBytes = 1 << 20;

std::optional<std::string> Env(const GetEnv& getenv, const std::string& name) {
  if (getenv) return getenv(name);
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

absl::StatusOr<std::string> ReadReferenced(const std::string& path, absl::string_view what) {
  absl::StatusOr<std::string> data = ReadFile(path, kMaxPemBytes);
  if (!data.ok()) {
    return absl::Status(data.status().code(),
                        absl::StrCat("reading ", what, ": ", data.status().message()));
  }
  return data;
}

std::string TrimServer(std::string server) {
  while (absl::EndsWith(server, "/")) server.pop_back();
  return server;
}

absl::StatusOr<Config> FromSelection(const internal::KubeconfigSelection& sel) {
  Config config;
  config.server = TrimServer(sel.server);
  config.origin = absl::StrCat("kubeconfig context \"", absl::CHexEscape(sel.context), "\"");
  if (!sel.namespace_.empty()) config.default_namespace = sel.namespace_;
  config.insecure_skip_tls_verify = sel.insecure_skip_tls_verify;
  config.proxy_url = sel.proxy_url;
  if (!sel.ca_data.empty()) {
    config.ca_pem = sel.ca_data;
  } else if (!sel.ca_file.empty()) {
    HM_ASSIGN_OR_RETURN(config.ca_pem, ReadReferenced(sel.ca_file, "certificate-authority"));
  }
  if (!sel.client_certificate_data.empty()) {
    config.client_cert_pem = sel.client_certificate_data;
  } else if (!sel.client_certificate_file.empty()) {
    HM_ASSIGN_OR_RETURN(config.client_cert_pem,
                        ReadReferenced(sel.client_certificate_file, "client-certificate"));
  }
  if (!sel.client_key_data.empty()) {
    config.client_key_pem = sel.client_key_data;
  } else if (!sel.client_key_file.empty()) {
    HM_ASSIGN_OR_RETURN(std::string key, ReadReferenced(sel.client_key_file, "client-key"));
    config.client_key_pem = SecretData(key);
    ::hallmark::internal::SecureWipe(key.data(), key.size());
  }
  if (!sel.token.empty()) {
    config.token = sel.token;
  } else if (!sel.token_file.empty()) {
    // Fail at load time, not at the first request, when the file is not there.
    HM_RETURN_IF_ERROR(ReadTokenFile(sel.token_file).status());
    config.token_file = sel.token_file;
  }
  return config;
}

}  // namespace

absl::StatusOr<Config> InClusterConfig(const InClusterOptions& options) {
  std::optional<std::string> host = Env(options.getenv, "KUBERNETES_SERVICE_HOST");
  std::optional<std::string> port = Env(options.getenv, "KUBERNETES_SERVICE_PORT");
  if (!host || host->empty() || !port || port->empty()) {
    return absl::FailedPreconditionError(
        "not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be "
        "set");
  }
  for (char c : *port) {
    if (!absl::ascii_isdigit(c)) {
      return absl::InvalidArgumentError("KUBERNETES_SERVICE_PORT is not a port number");
    }
  }
  for (char c : *host) {
    if (!(absl::ascii_isalnum(c) || c == '.' || c == '-' || c == ':')) {
      return absl::InvalidArgumentError("KUBERNETES_SERVICE_HOST is not a host name or address");
    }
  }
  Config config;
  config.origin = "in-cluster";
  bool v6 = absl::StrContains(*host, ':');
  config.server = absl::StrCat("https://", v6 ? "[" : "", *host, v6 ? "]" : "", ":", *port);
  std::string dir(absl::StripSuffix(options.service_account_dir, "/"));
  config.token_file = absl::StrCat(dir, "/token");
  HM_RETURN_IF_ERROR(ReadTokenFile(config.token_file).status());
  HM_ASSIGN_OR_RETURN(config.ca_pem, ReadReferenced(absl::StrCat(dir, "/ca.crt"), "in-cluster CA"));
  if (std::optional<std::string> ns = Env(options.getenv, "POD_NAMESPACE"); ns && !ns->empty()) {
    config.default_namespace = *ns;
  } else if (absl::StatusOr<std::string> file = ReadFile(absl::StrCat(dir, "/namespace"), 1024);
             file.ok() && !absl::StripAsciiWhitespace(*file).empty()) {
    config.default_namespace = std::string(absl::StripAsciiWhitespace(*file));
  }
  return config;
}

absl::StatusOr<Config> KubeconfigConfig(const KubeconfigOptions& options) {
  std::vector<std::string> paths;
  bool explicit_path = !options.path.empty();
  if (explicit_path) {
    paths.push_back(options.path);
  } else if (std::optional<std::string> env = Env(options.getenv, "KUBECONFIG");
             env && !env->empty()) {
    std::set<std::string> seen;
    for (absl::string_view p : absl::StrSplit(*env, ':', absl::SkipEmpty())) {
      if (seen.insert(std::string(p)).second) paths.emplace_back(p);
    }
  } else {
    std::optional<std::string> home = Env(options.getenv, "HOME");
    if (!home || home->empty()) {
      return absl::NotFoundError("no kubeconfig: KUBECONFIG and HOME are unset");
    }
    paths.push_back(absl::StrCat(*home, "/.kube/config"));
  }
  std::vector<internal::KubeconfigFile> files;
  for (const std::string& path : paths) {
    absl::StatusOr<std::string> text = ReadFile(path, internal::kMaxKubeconfigBytes);
    if (absl::IsNotFound(text.status()) && !explicit_path) continue;  // client-go skips these
    if (!text.ok()) {
      return absl::Status(text.status().code(),
                          absl::StrCat("reading kubeconfig: ", text.status().message()));
    }
    files.push_back({path, *std::move(text)});
  }
  if (files.empty()) {
    return absl::NotFoundError(
        absl::StrCat("no kubeconfig file found (looked at ", absl::StrJoin(paths, ", "), ")"));
  }
  absl::StatusOr<internal::KubeconfigSelection> sel =
      internal::SelectKubeconfig(files, options.context);
  for (internal::KubeconfigFile& f : files) {
    ::hallmark::internal::SecureWipe(f.text.data(), f.text.size());  // may hold tokens and keys
  }
  if (!sel.ok()) return sel.status();
  return FromSelection(*sel);
}

absl::StatusOr<Config> LoadConfig(const KubeconfigOptions& kubeconfig,
                                  const InClusterOptions& in_cluster) {
  std::optional<std::string> env = Env(kubeconfig.getenv, "KUBECONFIG");
  if (!kubeconfig.path.empty() || (env && !env->empty())) return KubeconfigConfig(kubeconfig);
  GetEnv getenv = in_cluster.getenv ? in_cluster.getenv : kubeconfig.getenv;
  std::optional<std::string> host = Env(getenv, "KUBERNETES_SERVICE_HOST");
  if (host && !host->empty()) {
    InClusterOptions options = in_cluster;
    options.getenv = getenv;
    return InClusterConfig(options);
  }
  return KubeconfigConfig(kubeconfig);
}

}  // namespace hallmark::kube
