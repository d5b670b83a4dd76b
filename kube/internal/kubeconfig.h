// File: kube/internal/kubeconfig.h
//
// The pure half of kubeconfig loading (no file reads, so it is safe to fuzz): parse each file,
// merge them with client-go's rules, pick the context and validate what it points to. File
// references are resolved against the folder of the file that defined the entry but not read;
// kube/config.h reads them.
#ifndef HALLMARK_KUBE_INTERNAL_KUBECONFIG_H_
#define HALLMARK_KUBE_INTERNAL_KUBECONFIG_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/secret_data.h"

namespace hallmark::kube::internal {

inline constexpr size_t kMaxKubeconfigBytes = 1 << 20;

struct KubeconfigFile {
  std::string path;  // absolute or relative; its folder anchors relative references
  std::string text;  // YAML (or JSON)
};

// KubeconfigSelection: the chosen context's cluster and user, merged and validated.
struct KubeconfigSelection {
  std::string context;  // names, for messages
  std::string cluster;
  std::string user;        // empty: no user entry (anonymous)
  std::string namespace_;  // context namespace, "" if unset

  std::string server;
  std::string ca_file;  // resolved path, or ""
  std::string ca_data;  // decoded PEM, or "" (wins over ca_file, as in client-go)
  bool insecure_skip_tls_verify = false;
  std::string tls_server_name;
  std::string proxy_url;

  SecretData token;        // `token` (wins over token_file)
  std::string token_file;  // resolved path
  std::string client_certificate_file;
  std::string client_certificate_data;  // decoded PEM
  std::string client_key_file;
  SecretData client_key_data;  // decoded PEM
};

// SelectKubeconfig merges `files` in order (for clusters, users and contexts the first file
// that defines a name wins; the first non-empty current-context wins), then picks `context`
// (empty: current-context). Errors (kInvalidArgument unless noted), each naming the entry:
//  - a file that is not YAML, or whose clusters/users/contexts are not lists of {name, ...};
//  - no context chosen, the context or its cluster or user missing, a cluster without server;
//  - a CA (file or data) together with insecure-skip-tls-verify: "specifying a root
//    certificates file with the insecure flag is not allowed" (kubectl's words);
//  - a client certificate without a key or the reverse, or both file and data for either;
//  - -data fields that are not base64;
//  - kUnimplemented for `exec`, `auth-provider`, `username`/`password`, impersonation (`as*`)
//    and `tls-server-name`.
absl::StatusOr<KubeconfigSelection> SelectKubeconfig(const std::vector<KubeconfigFile>& files,
                                                     absl::string_view context);

// ResolvePath: `path` unchanged if absolute or empty, else joined to the folder of `file`.
std::string ResolvePath(absl::string_view file, absl::string_view path);

}  // namespace hallmark::kube::internal

#endif  // HALLMARK_KUBE_INTERNAL_KUBECONFIG_H_
