// File: oci/media_types.h
//
// Media types of the OCI image spec, Docker's distribution formats and cosign's attachments, and
// the Accept header a registry client must send: distribution 2.8 answers 404 to a GET of an OCI
// manifest whose Accept lacks the OCI type, and silently down-converts a Docker schema 2
// manifest to schema 1 (another digest) when Accept is missing (reference/build-and-tools.md §2).
#ifndef HALLMARK_OCI_MEDIA_TYPES_H_
#define HALLMARK_OCI_MEDIA_TYPES_H_

#include "absl/strings/string_view.h"

namespace hallmark::oci {

inline constexpr absl::string_view kOciManifestMediaType =
    "application/vnd.oci.image.manifest.v1+json";
inline constexpr absl::string_view kOciIndexMediaType = "application/vnd.oci.image.index.v1+json";
inline constexpr absl::string_view kOciConfigMediaType = "application/vnd.oci.image.config.v1+json";
inline constexpr absl::string_view kOciEmptyMediaType = "application/vnd.oci.empty.v1+json";
inline constexpr absl::string_view kDockerManifestMediaType =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr absl::string_view kDockerManifestListMediaType =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr absl::string_view kDockerConfigMediaType =
    "application/vnd.docker.container.image.v1+json";

// cosign attachments (reference/cosign-kyverno.md §3-4).
inline constexpr absl::string_view kCosignSimpleSigningMediaType =
    "application/vnd.dev.cosign.simplesigning.v1+json";
inline constexpr absl::string_view kDsseEnvelopeMediaType = "application/vnd.dsse.envelope.v1+json";
inline constexpr absl::string_view kCosignSignatureAnnotation =
    "dev.cosignproject.cosign/signature";
inline constexpr absl::string_view kCosignCertificateAnnotation = "dev.sigstore.cosign/certificate";
inline constexpr absl::string_view kCosignChainAnnotation = "dev.sigstore.cosign/chain";
inline constexpr absl::string_view kCosignBundleAnnotation = "dev.sigstore.cosign/bundle";
inline constexpr absl::string_view kPredicateTypeAnnotation = "predicateType";

// The Accept value for manifest requests: every image manifest and index type we understand.
inline constexpr absl::string_view kManifestAccept =
    "application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json";

// IsImageManifestMediaType: OCI or Docker schema 2 image manifest.
inline bool IsImageManifestMediaType(absl::string_view t) {
  return t == kOciManifestMediaType || t == kDockerManifestMediaType;
}
// IsIndexMediaType: OCI index or Docker manifest list.
inline bool IsIndexMediaType(absl::string_view t) {
  return t == kOciIndexMediaType || t == kDockerManifestListMediaType;
}

}  // namespace hallmark::oci

#endif  // HALLMARK_OCI_MEDIA_TYPES_H_
