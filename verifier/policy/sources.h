// File: verifier/policy/sources.h
//
// The two things the policy engine reads from outside, as interfaces, so that the engine stays
// testable and the admission webhook, `hallmark policy apply` and tests can plug in what they
// have:
//   ImageSource  - the verifier-fetch interface: resolve an image to a digest ONCE, and fetch the
//                  `.sig` / `.att` attachment layers of that digest (verifier/attachments.h does
//                  it against a registry: RegistryImageSource in
//                  verifier/policy/registry_source.h);
//   SecretSource - Kubernetes Secrets (keys.secret / k8s:// keys,
//   imageRegistryCredentials.secrets).
//
// Implementations must be thread-safe: the engine calls them from many admission requests at
// once.
#ifndef HALLMARK_VERIFIER_POLICY_SOURCES_H_
#define HALLMARK_VERIFIER_POLICY_SOURCES_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "oci/reference.h"
#include "oci/registry_client.h"
#include "verifier/attachments.h"
#include "verifier/cosign.h"
#include "verifier/policy/policy.h"

namespace hallmark::verifier::policy {

class ImageSource {
 public:
  virtual ~ImageSource() = default;

  // Resolve: the digest `image` names (a digest reference as is, without a request). Errors as
  // verifier::ResolveImageDigest (`image tag not found: ...` for an unknown tag; transport and
  // auth errors with their codes).
  virtual absl::StatusOr<oci::Digest> Resolve(const oci::Reference& image,
                                              const RegistryAccess& access) = 0;

  // Fetch: the attachment layers of `digest` (in `repository` when set, else the image's own
  // repository). No attachments: an empty list. Errors as verifier::FetchAttachments.
  virtual absl::StatusOr<std::vector<AttachmentLayer>> Fetch(
      const oci::Reference& image, const oci::Digest& digest, AttachmentKind kind,
      const std::optional<oci::Repository>& repository, const RegistryAccess& access) = 0;
};

struct Secret {
  std::string type;                         // "kubernetes.io/dockerconfigjson", "Opaque", ...
  std::map<std::string, std::string> data;  // decoded
  std::string version;                      // resourceVersion (or a content hash)
};

class SecretSource {
 public:
  virtual ~SecretSource() = default;
  // Get: the Secret `ns`/`name`. kNotFound if it does not exist; kUnavailable when the API
  // server cannot be reached; kPermissionDenied without RBAC access.
  virtual absl::StatusOr<Secret> Get(absl::string_view ns, absl::string_view name) = 0;
  // DefaultNamespace: where a plain Secret name lives (Kyverno: its own namespace).
  virtual std::string DefaultNamespace() const = 0;
};

}  // namespace hallmark::verifier::policy

#endif  // HALLMARK_VERIFIER_POLICY_SOURCES_H_
