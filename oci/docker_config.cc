#include "oci/docker_config.h"

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/encoding.h"
#include "base/file.h"
#include "base/status_macros.h"
#include "nlohmann/json.hpp"

namespace hallmark::oci {
namespace {

using Json = nlohmann::json;

absl::Status Invalid(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("docker config: ", why));
}

absl::StatusOr<Json> ParseObject(absl::string_view text) {
  if (text.size() > kMaxDockerConfigBytes) {
    return Invalid(absl::StrCat("larger than ", kMaxDockerConfigBytes, " bytes"));
  }
  Json j;
  try {
    j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  } catch (const std::exception&) {
    return Invalid("cannot be parsed");
  }
  if (j.is_discarded()) return Invalid("not valid JSON");
  if (!j.is_object()) return Invalid("not a JSON object");
  return j;
}

// Field: a string member, "" when absent or null; an error for another type.
absl::StatusOr<std::string> Field(const Json& entry, const char* key, absl::string_view server) {
  auto it = entry.find(key);
  if (it == entry.end() || it->is_null()) return std::string();
  if (!it->is_string()) {
    return Invalid(absl::StrCat("`", key, "` of \"", server, "\" is not a string"));
  }
  return it->get_ref<const std::string&>();
}

absl::StatusOr<Credentials> ParseEntry(const Json& entry, absl::string_view server) {
  if (!entry.is_object()) return Invalid(absl::StrCat("entry \"", server, "\" is not an object"));
  Credentials c;
  HM_ASSIGN_OR_RETURN(c.username, Field(entry, "username", server));
  HM_ASSIGN_OR_RETURN(std::string password, Field(entry, "password", server));
  c.password = SecretData(password);
  HM_ASSIGN_OR_RETURN(std::string auth, Field(entry, "auth", server));
  if (!auth.empty()) {
    // docker decodes with StdEncoding; Kubernetes tooling sometimes drops the padding, so the
    // DSSE-style lenient reader (either alphabet, padding optional) is used.
    auto decoded = Base64DecodeLenient(auth);
    if (!decoded.ok()) return Invalid(absl::StrCat("`auth` of \"", server, "\" is not base64"));
    SecretData plain(*decoded);
    std::fill(decoded->begin(), decoded->end(), '\0');
    absl::string_view view = plain.InsecureView();
    size_t colon = view.find(':');
    if (colon == absl::string_view::npos) {
      return Invalid(absl::StrCat("`auth` of \"", server, "\" is not base64(username:password)"));
    }
    c.username = std::string(view.substr(0, colon));
    c.password = SecretData(view.substr(colon + 1));
  }
  HM_ASSIGN_OR_RETURN(std::string identity, Field(entry, "identitytoken", server));
  c.identity_token = SecretData(identity);
  HM_ASSIGN_OR_RETURN(std::string registry_token, Field(entry, "registrytoken", server));
  c.registry_token = SecretData(registry_token);
  std::fill(password.begin(), password.end(), '\0');
  std::fill(identity.begin(), identity.end(), '\0');
  std::fill(registry_token.begin(), registry_token.end(), '\0');
  return c;
}

absl::Status AddAuths(const Json& auths, Keychain& keychain) {
  if (!auths.is_object()) return Invalid("`auths` is not an object");
  for (auto it = auths.begin(); it != auths.end(); ++it) {
    HM_ASSIGN_OR_RETURN(Credentials c, ParseEntry(it.value(), it.key()));
    if (!c.empty()) keychain.Add(it.key(), std::move(c));
  }
  return absl::OkStatus();
}

}  // namespace

std::string NormalizeRegistryKey(absl::string_view server) {
  absl::string_view s = absl::StripAsciiWhitespace(server);
  for (absl::string_view scheme : {"https://", "http://"}) {
    if (absl::StartsWithIgnoreCase(s, scheme)) {
      s.remove_prefix(scheme.size());
      break;
    }
  }
  s = s.substr(0, s.find('/'));
  std::string host = absl::AsciiStrToLower(s);
  if (host == "docker.io" || host == "index.docker.io" || host == "registry-1.docker.io" ||
      host == "registry.hub.docker.com") {
    return "index.docker.io";
  }
  return host;
}

absl::StatusOr<Keychain> Keychain::ParseDockerConfigJson(absl::string_view json) {
  HM_ASSIGN_OR_RETURN(Json j, ParseObject(json));
  Keychain keychain;
  if (auto it = j.find("auths"); it != j.end() && !it->is_null()) {
    HM_RETURN_IF_ERROR(AddAuths(*it, keychain));
  }
  if (auto it = j.find("credsStore"); it != j.end() && !it->is_null()) {
    if (!it->is_string()) return Invalid("`credsStore` is not a string");
    keychain.default_helper_ = it->get<std::string>();
  }
  if (auto it = j.find("credHelpers"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) return Invalid("`credHelpers` is not an object");
    for (auto h = it->begin(); h != it->end(); ++h) {
      if (!h.value().is_string()) {
        return Invalid(absl::StrCat("credHelpers \"", h.key(), "\" is not a string"));
      }
      keychain.helpers_[NormalizeRegistryKey(h.key())] = h.value().get<std::string>();
    }
  }
  return keychain;
}

absl::StatusOr<Keychain> Keychain::ParseDockerCfg(absl::string_view json) {
  HM_ASSIGN_OR_RETURN(Json j, ParseObject(json));
  Keychain keychain;
  HM_RETURN_IF_ERROR(AddAuths(j, keychain));
  return keychain;
}

absl::StatusOr<Keychain> Keychain::FromSecret(absl::string_view type,
                                              const std::map<std::string, std::string>& data) {
  const char* key = nullptr;
  if (type == "kubernetes.io/dockerconfigjson") {
    key = ".dockerconfigjson";
  } else if (type == "kubernetes.io/dockercfg") {
    key = ".dockercfg";
  } else {
    return Invalid(absl::StrCat("Secret type \"", type, "\" holds no registry credentials"));
  }
  auto it = data.find(key);
  if (it == data.end()) return Invalid(absl::StrCat("Secret of type ", type, " has no ", key));
  if (type == "kubernetes.io/dockercfg") return ParseDockerCfg(it->second);
  return ParseDockerConfigJson(it->second);
}

absl::StatusOr<Keychain> Keychain::LoadFile(absl::string_view path) {
  HM_ASSIGN_OR_RETURN(std::string text, ReadFile(path, kMaxDockerConfigBytes));
  auto keychain = ParseDockerConfigJson(text);
  std::fill(text.begin(), text.end(), '\0');
  if (!keychain.ok()) {
    return absl::Status(keychain.status().code(),
                        absl::StrCat(path, ": ", keychain.status().message()));
  }
  return keychain;
}

std::string Keychain::DefaultPath() {
  if (const char* dir = std::getenv("DOCKER_CONFIG"); dir != nullptr && *dir != '\0') {
    return absl::StrCat(dir, "/config.json");
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return absl::StrCat(home, "/.docker/config.json");
  }
  return "";
}

absl::StatusOr<Keychain> Keychain::LoadDefault() {
  std::string path = DefaultPath();
  if (path.empty() || !FileExists(path)) return Keychain();
  return LoadFile(path);
}

void Keychain::Add(absl::string_view server, Credentials credentials) {
  entries_[NormalizeRegistryKey(server)] = std::move(credentials);
}

void Keychain::Merge(const Keychain& other) {
  for (const auto& [server, creds] : other.entries_) entries_.emplace(server, creds);
  for (const auto& [server, helper] : other.helpers_) helpers_.emplace(server, helper);
  if (default_helper_.empty()) default_helper_ = other.default_helper_;
}

const Credentials* Keychain::Find(absl::string_view registry) const {
  auto it = entries_.find(NormalizeRegistryKey(registry));
  return it == entries_.end() ? nullptr : &it->second;
}

std::string Keychain::HelperFor(absl::string_view registry) const {
  auto it = helpers_.find(NormalizeRegistryKey(registry));
  if (it != helpers_.end()) return it->second;
  return default_helper_;
}

}  // namespace hallmark::oci
