#include "storage/tekton_backend.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/encoding.h"

namespace hallmark::storage {
namespace {

bool IsLowerHex(absl::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// A Kubernetes UID: lower-case alphanumerics and '-', at most 36 characters (RFC 4122 form), so
// that the longest annotation name part, "signature-pipelinerun-<uid>", stays within 63.
bool IsUid(absl::string_view s) {
  if (s.empty() || s.size() > 36) return false;
  for (char c : s) {
    if (!(absl::ascii_islower(static_cast<unsigned char>(c)) ||
          absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '-')) {
      return false;
    }
  }
  return absl::ascii_isalnum(static_cast<unsigned char>(s.front())) &&
         absl::ascii_isalnum(static_cast<unsigned char>(s.back()));
}

bool IsValidKey(absl::string_view key) {
  if (key.size() == 12 && IsLowerHex(key)) return true;
  for (absl::string_view prefix : {"taskrun-", "pipelinerun-"}) {
    if (absl::StartsWith(key, prefix)) return IsUid(key.substr(prefix.size()));
  }
  return false;
}

}  // namespace

std::string TaskRunKey(absl::string_view uid) { return absl::StrCat("taskrun-", uid); }
std::string PipelineRunKey(absl::string_view uid) { return absl::StrCat("pipelinerun-", uid); }
std::string ImageKey(const oci::Digest& digest) { return digest.hex().substr(0, 12); }

absl::StatusOr<std::map<std::string, std::string>> TektonAnnotations(
    const SignedArtifact& artifact) {
  if (!IsValidKey(artifact.key)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tekton storage: invalid key \"", absl::CHexEscape(artifact.key.substr(0, 80)),
        "\" (want taskrun-<uid>, pipelinerun-<uid> or 12 hex digits of an image digest)"));
  }
  if (artifact.payload.empty() || artifact.signature.empty()) {
    return absl::InvalidArgumentError("tekton storage: empty payload or signature");
  }
  std::map<std::string, std::string> out;
  out[absl::StrCat(kChainsAnnotationPrefix, "payload-", artifact.key)] =
      Base64Encode(artifact.payload);
  out[absl::StrCat(kChainsAnnotationPrefix, "signature-", artifact.key)] =
      Base64Encode(artifact.signature);
  out[absl::StrCat(kChainsAnnotationPrefix, "cert-", artifact.key)] =
      artifact.certificate.empty() ? "" : Base64Encode(artifact.certificate);
  out[absl::StrCat(kChainsAnnotationPrefix, "chain-", artifact.key)] =
      artifact.chain.empty() ? "" : Base64Encode(artifact.chain);
  size_t total = 0;
  for (const auto& [k, v] : out) total += k.size() + v.size();
  if (total > kMaxAnnotationBytes) {
    return absl::FailedPreconditionError(absl::StrCat(
        "tekton storage: the annotations for ", artifact.key, " are ", total,
        " bytes, over Kubernetes' limit of ", kMaxAnnotationBytes,
        " for all annotations of an object (use the oci storage for large provenance)"));
  }
  return out;
}

absl::StatusOr<std::unique_ptr<TektonBackend>> TektonBackend::New() {
  return std::unique_ptr<TektonBackend>(new TektonBackend());
}

absl::StatusOr<StoreResult> TektonBackend::Store(const SignedArtifact& artifact) {
  absl::StatusOr<std::map<std::string, std::string>> annotations = TektonAnnotations(artifact);
  if (!annotations.ok()) return annotations.status();
  return StoreResult{true, *std::move(annotations)};
}

}  // namespace hallmark::storage
