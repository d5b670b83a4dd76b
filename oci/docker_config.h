// File: oci/docker_config.h
//
// Registry credentials the way docker, cosign and the kubelet find them:
//  - a Docker `config.json` (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`, or an
//    explicit file given with `hallmark ... --registry-config FILE`);
//  - a `kubernetes.io/dockerconfigjson` Secret (data `.dockerconfigjson`, the same JSON) or a
//    legacy `kubernetes.io/dockercfg` Secret (data `.dockercfg`: the `auths` map without the
//    wrapper).
// An entry is `{"auth": base64("user:pass")}` and/or `{"username": .., "password": ..}` (`auth`
// wins when both are present, as in docker), optionally `identitytoken` (an OAuth2 refresh token
// exchanged at the token realm) or `registrytoken` (a bearer token sent as is).
//
// Keys are normalised like docker's ConvertToHostname: `https://index.docker.io/v1/`,
// `docker.io`, `registry-1.docker.io` and `index.docker.io` all mean Docker Hub
// (`index.docker.io`, the name oci::Reference uses); otherwise the scheme and any path are
// dropped (`https://registry.example:5000/v2/` -> `registry.example:5000`).
//
// Credential helpers (`credsStore`, `credHelpers`) are NOT run: Hallmark does not execute
// programs named by a config file. HelperFor() reports them so an authentication error can say
// why no credentials were found.
//
// Credentials are held in SecretData and never appear in error messages.
#ifndef HALLMARK_OCI_DOCKER_CONFIG_H_
#define HALLMARK_OCI_DOCKER_CONFIG_H_

#include <cstddef>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/secret_data.h"

namespace hallmark::oci {

// Largest config file or Secret value read.
inline constexpr size_t kMaxDockerConfigBytes = 1 << 20;

struct Credentials {
  std::string username;
  SecretData password;
  SecretData identity_token;  // OAuth2 refresh token (config.json `identitytoken`)
  SecretData registry_token;  // bearer token used as is (config.json `registrytoken`)

  // HasBasic: a username and password usable for HTTP Basic (also at a token realm).
  bool HasBasic() const { return !username.empty() || !password.empty(); }
  bool empty() const { return !HasBasic() && identity_token.empty() && registry_token.empty(); }
};

// NormalizeRegistryKey: the registry host[:port] a config key or an image registry names, lower
// case, Docker Hub aliases folded into `index.docker.io`.
std::string NormalizeRegistryKey(absl::string_view server);

class Keychain {
 public:
  Keychain() = default;  // empty: anonymous access everywhere

  // ParseDockerConfigJson reads config.json / `.dockerconfigjson` text: an object whose `auths`
  // (optional) maps server -> entry; `credsStore` and `credHelpers` are recorded, not run.
  // kInvalidArgument (naming the server key, never a credential) for text over
  // kMaxDockerConfigBytes, invalid JSON, wrong member types, `auth` that is not base64 or has no
  // `:`.
  static absl::StatusOr<Keychain> ParseDockerConfigJson(absl::string_view json);
  // ParseDockerCfg reads the legacy `.dockercfg` shape: the server -> entry map itself.
  static absl::StatusOr<Keychain> ParseDockerCfg(absl::string_view json);
  // FromSecret reads a Secret's decoded `data` by its `type`: `kubernetes.io/dockerconfigjson`
  // (key `.dockerconfigjson`) or `kubernetes.io/dockercfg` (key `.dockercfg`).
  // kInvalidArgument for another type or a missing key.
  static absl::StatusOr<Keychain> FromSecret(absl::string_view type,
                                             const std::map<std::string, std::string>& data);
  // LoadFile reads a config.json file (kNotFound if it does not exist).
  static absl::StatusOr<Keychain> LoadFile(absl::string_view path);
  // LoadDefault reads `$DOCKER_CONFIG/config.json` if DOCKER_CONFIG is set, else
  // `$HOME/.docker/config.json`; a missing file is an empty keychain (anonymous), as docker does.
  static absl::StatusOr<Keychain> LoadDefault();
  // DefaultPath: the file LoadDefault reads ("" when neither DOCKER_CONFIG nor HOME is set).
  static std::string DefaultPath();

  // Add stores `credentials` for `server` (normalised), replacing what was there.
  void Add(absl::string_view server, Credentials credentials);
  // Merge adds the entries (and helper names) of `other` for servers this keychain lacks.
  void Merge(const Keychain& other);

  // Find: the credentials for `registry` (normalised), or nullptr (anonymous). The pointer lives
  // as long as this keychain is not modified.
  const Credentials* Find(absl::string_view registry) const;
  // HelperFor: the credential helper config.json names for `registry` (credHelpers, else
  // credsStore), "" if none.
  std::string HelperFor(absl::string_view registry) const;

  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }

 private:
  std::map<std::string, Credentials> entries_;
  std::map<std::string, std::string> helpers_;
  std::string default_helper_;
};

}  // namespace hallmark::oci

#endif  // HALLMARK_OCI_DOCKER_CONFIG_H_
