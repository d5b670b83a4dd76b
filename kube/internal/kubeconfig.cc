#include "kube/internal/kubeconfig.h"

#include <map>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "base/encoding.h"
#include "base/status_macros.h"
#include "yaml-cpp/yaml.h"

namespace hallmark::kube::internal {
namespace {

// Entry: one named cluster/user/context and the file that defined it.
struct Entry {
  std::string file;
  YAML::Node body;  // the `cluster:` / `user:` / `context:` map (may be null)
};

using EntryMap = std::map<std::string, Entry>;

absl::Status Bad(absl::string_view file, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("kubeconfig ", file, ": ", what));
}

// Scalar: the string value of node[key]; nullopt when absent or null; an error when not a scalar.
absl::StatusOr<std::optional<std::string>> Scalar(const YAML::Node& node, const char* key,
                                                  absl::string_view file, absl::string_view where) {
  if (!node.IsMap()) return std::optional<std::string>();
  YAML::Node value = node[key];
  if (!value.IsDefined() || value.IsNull()) return std::optional<std::string>();
  if (!value.IsScalar()) {
    return Bad(file, absl::StrCat(where, ": field \"", key, "\" must be a string"));
  }
  return std::optional<std::string>(value.Scalar());
}

absl::StatusOr<std::string> String(const YAML::Node& node, const char* key, absl::string_view file,
                                   absl::string_view where) {
  HM_ASSIGN_OR_RETURN(std::optional<std::string> v, Scalar(node, key, file, where));
  return v.value_or("");
}

absl::StatusOr<bool> Bool(const YAML::Node& node, const char* key, absl::string_view file,
                          absl::string_view where) {
  HM_ASSIGN_OR_RETURN(std::optional<std::string> v, Scalar(node, key, file, where));
  if (!v) return false;
  std::string s = absl::AsciiStrToLower(*v);
  // YAML 1.1 booleans, as go-yaml (behind client-go's kubeconfig loader) reads them.
  if (s == "true" || s == "yes" || s == "on" || s == "y") return true;
  if (s == "false" || s == "no" || s == "off" || s == "n" || s.empty()) return false;
  return Bad(file, absl::StrCat(where, ": field \"", key, "\" must be true or false"));
}

bool Present(const YAML::Node& node, const char* key) {
  if (!node.IsMap()) return false;
  YAML::Node value = node[key];
  if (!value.IsDefined() || value.IsNull()) return false;
  if (value.IsScalar()) return !value.Scalar().empty();
  return value.size() > 0 || value.IsMap();
}

// Base64Field: the decoded `-data` field (Go's []byte JSON decoding: standard base64, CR/LF
// ignored).
absl::StatusOr<std::string> Base64Field(const std::string& text, absl::string_view file,
                                        absl::string_view where, const char* key) {
  std::string compact = absl::StrReplaceAll(text, {{"\n", ""}, {"\r", ""}});
  absl::StatusOr<std::string> decoded = Base64Decode(compact);
  if (!decoded.ok()) {
    return Bad(file, absl::StrCat(where, ": field \"", key, "\" is not valid base64"));
  }
  return decoded;
}

// AddEntries merges the list `section` of one file into `entries` (first definition wins).
absl::Status AddEntries(const YAML::Node& root, const char* section, const char* inner,
                        const std::string& file, EntryMap& entries) {
  YAML::Node list = root[section];
  if (!list.IsDefined() || list.IsNull()) return absl::OkStatus();
  if (!list.IsSequence()) return Bad(file, absl::StrCat("\"", section, "\" must be a list"));
  for (size_t i = 0; i < list.size(); ++i) {
    YAML::Node item = list[i];
    std::string where = absl::StrCat(section, "[", i, "]");
    if (!item.IsMap()) return Bad(file, absl::StrCat(where, " must be a map"));
    HM_ASSIGN_OR_RETURN(std::string name, String(item, "name", file, where));
    if (name.empty()) return Bad(file, absl::StrCat(where, " has no name"));
    YAML::Node body = item[inner];
    if (body.IsDefined() && !body.IsNull() && !body.IsMap()) {
      return Bad(file, absl::StrCat(where, " (\"", absl::CHexEscape(name), "\"): \"", inner,
                                    "\" must be a map"));
    }
    entries.emplace(name, Entry{file, body});  // emplace keeps the first
  }
  return absl::OkStatus();
}

absl::Status Unsupported(absl::string_view user, absl::string_view what) {
  return absl::UnimplementedError(absl::StrCat("kubeconfig user \"", absl::CHexEscape(user),
                                               "\": ", what, " is not supported by hallmark"));
}

}  // namespace

std::string ResolvePath(absl::string_view file, absl::string_view path) {
  if (path.empty() || absl::StartsWith(path, "/")) return std::string(path);
  size_t slash = file.rfind('/');
  if (slash == absl::string_view::npos) return std::string(path);
  return absl::StrCat(file.substr(0, slash + 1), path);
}

absl::StatusOr<KubeconfigSelection> SelectKubeconfig(const std::vector<KubeconfigFile>& files,
                                                     absl::string_view context) {
  EntryMap clusters, users, contexts;
  std::string current_context;
  for (const KubeconfigFile& f : files) {
    if (f.text.size() > kMaxKubeconfigBytes) {
      return Bad(f.path, absl::StrCat("larger than ", kMaxKubeconfigBytes, " bytes"));
    }
    YAML::Node root;
    try {
      root = YAML::Load(f.text);
    } catch (const YAML::Exception& e) {
      return Bad(f.path, absl::StrCat("not YAML: ", e.msg, " (line ", e.mark.line + 1, ")"));
    }
    if (root.IsNull() || !root.IsDefined()) continue;  // an empty file adds nothing
    if (!root.IsMap()) return Bad(f.path, "top level must be a map");
    try {
      HM_RETURN_IF_ERROR(AddEntries(root, "clusters", "cluster", f.path, clusters));
      HM_RETURN_IF_ERROR(AddEntries(root, "users", "user", f.path, users));
      HM_RETURN_IF_ERROR(AddEntries(root, "contexts", "context", f.path, contexts));
      HM_ASSIGN_OR_RETURN(std::string cc, String(root, "current-context", f.path, "top level"));
      if (current_context.empty()) current_context = cc;
    } catch (const YAML::Exception& e) {
      return Bad(f.path, absl::StrCat("unexpected structure: ", e.msg));
    }
  }

  KubeconfigSelection sel;
  sel.context = context.empty() ? current_context : std::string(context);
  if (sel.context.empty()) {
    return absl::InvalidArgumentError(
        "kubeconfig: no context chosen (no current-context and no --context)");
  }
  auto ctx = contexts.find(sel.context);
  if (ctx == contexts.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("kubeconfig: context \"", absl::CHexEscape(sel.context), "\" not found"));
  }
  try {
    const std::string& cfile = ctx->second.file;
    std::string where = absl::StrCat("context \"", absl::CHexEscape(sel.context), "\"");
    HM_ASSIGN_OR_RETURN(sel.cluster, String(ctx->second.body, "cluster", cfile, where));
    HM_ASSIGN_OR_RETURN(sel.user, String(ctx->second.body, "user", cfile, where));
    HM_ASSIGN_OR_RETURN(sel.namespace_, String(ctx->second.body, "namespace", cfile, where));
    if (sel.cluster.empty()) return Bad(cfile, absl::StrCat(where, " names no cluster"));

    auto cl = clusters.find(sel.cluster);
    if (cl == clusters.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "kubeconfig: cluster \"", absl::CHexEscape(sel.cluster), "\" of ", where, " not found"));
    }
    const std::string& file = cl->second.file;
    const YAML::Node& c = cl->second.body;
    where = absl::StrCat("cluster \"", absl::CHexEscape(sel.cluster), "\"");
    HM_ASSIGN_OR_RETURN(sel.server, String(c, "server", file, where));
    if (sel.server.empty()) return Bad(file, absl::StrCat(where, " has no server"));
    if (!absl::StartsWithIgnoreCase(sel.server, "https://") &&
        !absl::StartsWithIgnoreCase(sel.server, "http://")) {
      return Bad(file, absl::StrCat(where, ": server must be an http:// or https:// URL"));
    }
    HM_ASSIGN_OR_RETURN(std::string ca, String(c, "certificate-authority", file, where));
    sel.ca_file = ResolvePath(file, ca);
    HM_ASSIGN_OR_RETURN(std::string ca_data, String(c, "certificate-authority-data", file, where));
    if (!ca_data.empty()) {
      HM_ASSIGN_OR_RETURN(sel.ca_data,
                          Base64Field(ca_data, file, where, "certificate-authority-data"));
    }
    HM_ASSIGN_OR_RETURN(sel.insecure_skip_tls_verify,
                        Bool(c, "insecure-skip-tls-verify", file, where));
    if (sel.insecure_skip_tls_verify && (!sel.ca_file.empty() || !sel.ca_data.empty())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "kubeconfig ", where,
          ": specifying a root certificates file with the insecure flag is not allowed"));
    }
    HM_ASSIGN_OR_RETURN(sel.tls_server_name, String(c, "tls-server-name", file, where));
    if (!sel.tls_server_name.empty()) {
      return absl::UnimplementedError(
          absl::StrCat("kubeconfig ", where, ": tls-server-name is not supported by hallmark"));
    }
    HM_ASSIGN_OR_RETURN(sel.proxy_url, String(c, "proxy-url", file, where));

    if (sel.user.empty()) return sel;
    auto us = users.find(sel.user);
    if (us == users.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("kubeconfig: user \"", absl::CHexEscape(sel.user), "\" of context \"",
                       absl::CHexEscape(sel.context), "\" not found"));
    }
    const std::string& ufile = us->second.file;
    const YAML::Node& u = us->second.body;
    where = absl::StrCat("user \"", absl::CHexEscape(sel.user), "\"");
    if (Present(u, "exec")) return Unsupported(sel.user, "exec credential plugins");
    if (Present(u, "auth-provider")) return Unsupported(sel.user, "auth-provider");
    if (Present(u, "username") || Present(u, "password")) {
      return Unsupported(sel.user, "basic authentication (username/password)");
    }
    if (Present(u, "as") || Present(u, "as-uid") || Present(u, "as-groups") ||
        Present(u, "as-user-extra")) {
      return Unsupported(sel.user, "impersonation");
    }
    HM_ASSIGN_OR_RETURN(std::optional<std::string> token, Scalar(u, "token", ufile, where));
    if (token && !token->empty()) {
      sel.token = SecretData(*token);
      ::hallmark::internal::SecureWipe(token->data(), token->size());
    }
    HM_ASSIGN_OR_RETURN(std::string token_file, String(u, "tokenFile", ufile, where));
    sel.token_file = ResolvePath(ufile, token_file);

    HM_ASSIGN_OR_RETURN(std::string cert, String(u, "client-certificate", ufile, where));
    HM_ASSIGN_OR_RETURN(std::string cert_data, String(u, "client-certificate-data", ufile, where));
    HM_ASSIGN_OR_RETURN(std::string key, String(u, "client-key", ufile, where));
    HM_ASSIGN_OR_RETURN(std::optional<std::string> key_data,
                        Scalar(u, "client-key-data", ufile, where));
    bool has_key_data = key_data && !key_data->empty();
    if (!cert.empty() && !cert_data.empty()) {
      return Bad(ufile, absl::StrCat(where,
                                     ": client-certificate and client-certificate-data are both "
                                     "specified"));
    }
    if (!key.empty() && has_key_data) {
      return Bad(ufile, absl::StrCat(where, ": client-key and client-key-data are both specified"));
    }
    bool has_cert = !cert.empty() || !cert_data.empty();
    bool has_key = !key.empty() || has_key_data;
    if (has_cert != has_key) {
      return Bad(ufile, absl::StrCat(where, has_cert ? ": client certificate without a key"
                                                     : ": client key without a certificate"));
    }
    sel.client_certificate_file = ResolvePath(ufile, cert);
    sel.client_key_file = ResolvePath(ufile, key);
    if (!cert_data.empty()) {
      HM_ASSIGN_OR_RETURN(sel.client_certificate_data,
                          Base64Field(cert_data, ufile, where, "client-certificate-data"));
    }
    if (has_key_data) {
      absl::StatusOr<std::string> decoded = Base64Field(*key_data, ufile, where, "client-key-data");
      ::hallmark::internal::SecureWipe(key_data->data(), key_data->size());
      if (!decoded.ok()) return decoded.status();
      sel.client_key_data = SecretData(*decoded);
      ::hallmark::internal::SecureWipe(decoded->data(), decoded->size());
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("kubeconfig: unexpected structure: ", e.msg));
  }
  return sel;
}

}  // namespace hallmark::kube::internal
